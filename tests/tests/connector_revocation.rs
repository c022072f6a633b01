//! Revocation: the connector polls the authority's status list (a JWT signed by the pinned
//! authority key) and refuses callers whose membership is revoked with 403, while other
//! members still get in.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use contracts::membership::{StatusList, Validity};
use tests::harness::messages::catalog_request;
use tests::harness::ports::free_port;
use tests::harness::{ConnectorOptions, Member, Participant, TestConnector, TestEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_revoked_members_are_refused_after_the_next_status_list() {
    let env = TestEnv::new("connector_revocation");
    // The authority's status list, served over HTTPS.
    let port = free_port();
    let url = format!("https://localhost:{port}/status-list");
    let now = chrono::Utc::now().timestamp();
    let issue = |revoked: &[u64]| {
        let mut list = StatusList::new(url.clone(), StatusList::MIN_ENTRIES);
        for i in revoked {
            list.revoke(*i).expect("revoke");
        }
        list.issue(
            &env.authority.key,
            Validity {
                not_before: now - 60,
                not_after: now + 3600,
            },
        )
        .expect("issue list")
    };
    let current = Arc::new(Mutex::new(issue(&[])));
    let served = current.clone();
    let app = Router::new().route(
        "/status-list",
        get(move || {
            let jwt = served.lock().expect("lock").clone();
            async move { ([("content-type", "application/vc+jwt")], jwt) }
        }),
    );
    env.serve_https("status", port, app).await;

    let mut options = ConnectorOptions::company("stadtwerke");
    options.status_list_url = Some(url.clone());
    let c = TestConnector::start(&env, options).await;

    let member = |name: &str, index: u64| {
        let did = format!("did:web:{name}.example");
        let key = vocab::jose::SigningKey::generate(&format!("{did}#key-1")).expect("key");
        let credential = env.authority.credential_indexed(
            &did,
            &key.public_key(),
            &Member::municipality(name, "09162000"),
            &url,
            index,
        );
        Participant {
            did,
            key,
            credential,
        }
    };
    let kept = member("bleibt", 7);
    let revoked = member("widerrufen", 8);
    let call = |p: &Participant| {
        let http = env.http.clone();
        let endpoint = format!("{}/catalog/request", c.dsp_base());
        let token = p.token(&c.did);
        async move {
            let r = http
                .post(endpoint)
                .bearer_auth(token)
                .json(&catalog_request())
                .send()
                .await
                .expect("POST");
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(call(&kept).await.0, 200);
    assert_eq!(call(&revoked).await.0, 200);

    // The authority revokes index 8; within one refresh the connector refuses that member.
    *current.lock().expect("lock") = issue(&[8]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = call(&revoked).await;
        if status == 403 {
            assert!(
                body["reason"][0]
                    .as_str()
                    .is_some_and(|r| r.contains("revoked")),
                "{body}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {status} after 20 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(call(&kept).await.0, 200, "other members are not affected");
}
