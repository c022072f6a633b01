//! The operator dashboard: server-rendered pages (askama, German, no JavaScript needed) on the
//! management port under `/dashboard`, for the municipal staff who run the connector.
//!
//! - [`session`]: login with the management token, the session cookie (HttpOnly, Secure,
//!   SameSite=Strict, server-side expiry), the per-session CSRF token every POST form carries,
//!   and the size-limited form reader;
//! - [`error`]: errors rendered as pages that name what was wrong;
//! - [`overview`]: who this connector is (DID, legal name, membership), counts, the outbox;
//!   assets and their offers with the key terms in plain language;
//! - [`negotiations`]: negotiations waiting for approval, with the request's terms and the
//!   evaluation; [`decisions`]: the forms to approve, reject and counter (and, as consumer, to
//!   accept an offer) — they call [`crate::negotiation::Negotiations::decide_locally`], the
//!   same service function the JSON API calls;
//! - [`agreements`]: agreements with their German text and both signatures, verified when the
//!   page is shown;
//! - [`transfers`]: running transfers with their progress, then finished ones;
//! - [`audit`]: the audit log's hash chain checked on display, and its latest entries;
//! - [`key_terms`]: an ODRL policy as short German lines; [`markdown`]: contract texts as HTML;
//! - `sandbox` (feature `sandbox`): the sandbox queries per agreement (`/dashboard/sandbox`).

pub mod agreements;
pub mod audit;
pub mod decisions;
pub mod error;
pub mod key_terms;
pub mod markdown;
pub mod negotiations;
pub mod overview;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod session;
pub mod transfers;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::app::App;
use session::Sessions;

/// The path every dashboard page lives under.
pub const BASE: &str = "/dashboard";

/// What the dashboard's handlers share: the connector and the browser sessions.
#[derive(Clone)]
pub struct Dashboard {
    /// The connector.
    pub app: Arc<App>,
    /// Logged-in browser sessions.
    pub sessions: Arc<Sessions>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard").finish_non_exhaustive()
    }
}

/// The navigation shown on every page of a logged-in operator.
#[derive(Debug, Clone)]
pub struct Nav {
    /// The connector's legal name.
    pub legal_name: String,
    /// The session's CSRF token (for the logout form).
    pub csrf: String,
    /// Negotiations waiting for an operator.
    pub waiting: usize,
    /// The current section (`overview`, `assets`, `negotiations`, `agreements`, `transfers`,
    /// `audit`, `sandbox`).
    pub current: &'static str,
    /// Whether this build has sandbox access (the sandbox queries page is linked then).
    pub sandbox: bool,
}

impl Nav {
    /// The navigation for `session` on the page of section `current`.
    pub fn new(
        dashboard: &Dashboard,
        session: &session::AuthSession,
        current: &'static str,
    ) -> Result<Nav, error::PageError> {
        let waiting = dashboard
            .app
            .negotiations
            .list()?
            .iter()
            .filter(|n| n.waiting.is_some())
            .count();
        Ok(Nav {
            legal_name: dashboard.app.identity.legal_name.clone(),
            csrf: session.csrf.clone(),
            waiting,
            current,
            sandbox: cfg!(feature = "sandbox"),
        })
    }
}

/// The sandbox queries page (cargo feature `sandbox`; none without it).
fn sandbox_routes() -> Router<Dashboard> {
    let router = Router::new();
    #[cfg(feature = "sandbox")]
    let router = router.route("/dashboard/sandbox", get(sandbox::page));
    router
}

/// The dashboard's routes (state included), to be merged into the management router.
pub fn router(app: Arc<App>) -> Router {
    let port = app.config.management.listen.port();
    let dashboard = Dashboard {
        app,
        sessions: Arc::new(Sessions::new(port)),
    };
    Router::new()
        .route("/dashboard", get(overview::overview))
        .route(
            "/dashboard/login",
            get(session::login_page).post(session::login),
        )
        .route("/dashboard/logout", post(session::logout))
        .route("/dashboard/assets", get(overview::assets))
        .route("/dashboard/negotiations", get(negotiations::list))
        .route("/dashboard/negotiations/{id}", get(negotiations::show))
        .route(
            "/dashboard/negotiations/{id}/approve",
            post(decisions::approve),
        )
        .route(
            "/dashboard/negotiations/{id}/reject",
            post(decisions::reject),
        )
        .route(
            "/dashboard/negotiations/{id}/counter",
            post(decisions::counter),
        )
        .route(
            "/dashboard/negotiations/{id}/accept",
            post(decisions::accept),
        )
        .route("/dashboard/agreements", get(agreements::list))
        .route("/dashboard/agreements/{id}", get(agreements::show))
        .route("/dashboard/transfers", get(transfers::list))
        .route("/dashboard/audit", get(audit::page))
        .merge(sandbox_routes())
        .route(
            "/dashboard/{*rest}",
            get(error::not_found).post(error::not_found),
        )
        .with_state(dashboard)
}

/// Formats a Unix time in milliseconds as a German date and time (UTC).
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%d.%m.%Y %H:%M UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// Percent-encodes a path segment (ids are URNs or free text chosen by others).
pub fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
