//! The federation authority's revocation list as tests play it: a status list JWT signed by
//! the test authority, served over HTTPS, changed by the test while connectors poll it.

use std::sync::{Arc, Mutex};

use axum::routing::get;
use contracts::membership::{StatusList, Validity};

use super::connector::TestConnector;
use super::env::TestEnv;
use super::identity::Member;
use super::ports::free_port;

/// A served status list; [`StatusListServer::publish`] replaces it.
pub struct StatusListServer {
    /// Where it is served.
    pub url: String,
    current: Arc<Mutex<String>>,
    authority: vocab::jose::SigningKey,
}

impl StatusListServer {
    /// Serves an empty list (nobody revoked).
    pub async fn start(env: &TestEnv) -> Self {
        let port = free_port();
        let url = format!("https://localhost:{port}/status-list");
        let current = Arc::new(Mutex::new(String::new()));
        let server = Self {
            url,
            current: current.clone(),
            authority: env.authority.key.clone(),
        };
        server.publish(&[]);
        let app = axum::Router::new().route(
            "/status-list",
            get(move || {
                let jwt = current.lock().expect("lock").clone();
                async move { ([("content-type", "application/vc+jwt")], jwt) }
            }),
        );
        env.serve_https("status-list", port, app).await;
        server
    }

    /// Publishes a new list in which exactly the entries `revoked` are revoked.
    pub fn publish(&self, revoked: &[u64]) {
        let mut list = StatusList::new(self.url.clone(), StatusList::MIN_ENTRIES);
        for i in revoked {
            list.revoke(*i).expect("revoke");
        }
        let now = chrono::Utc::now().timestamp();
        let jwt = list
            .issue(
                &self.authority,
                Validity {
                    not_before: now - 60,
                    not_after: now + 3600,
                },
            )
            .expect("issue list");
        *self.current.lock().expect("lock") = jwt;
    }

    /// Gives the stopped connector `c` a credential whose revocation bit is `index` in this
    /// list, and lets it poll the list every second.
    pub fn enrol(&self, env: &TestEnv, c: &TestConnector, member: &Member, index: u64) {
        let vc =
            env.authority
                .credential_indexed(&c.did, &c.public_key(), member, &self.url, index);
        std::fs::write(c.dir.join("membership.jwt"), vc).expect("credential");
        c.set_config("trust", "status_list_url", self.url.clone().into());
        c.set_config("trust", "status_list_refresh_secs", 1.into());
    }
}
