//! Browser sessions for the dashboard.
//!
//! Browsers do not send bearer headers, so an operator logs in once with the management token
//! on a form. The connector then keeps a session on the server (random 256-bit id, absolute
//! expiry after [`SESSION_LIFETIME`], at most [`MAX_SESSIONS`] at once, forgotten on restart)
//! and gives the browser only its id, in a cookie that is `HttpOnly`, `Secure` and
//! `SameSite=Strict`. Every POST form carries the session's CSRF token in a hidden field, and
//! the login form itself a one-time token that must match a short-lived cookie (double submit),
//! so no other site can log a browser in or act in its name.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rand::RngCore;

use super::Dashboard;
use super::error::PageError;

/// How long a session lasts after login.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How many sessions are kept at once (the oldest is dropped beyond).
pub const MAX_SESSIONS: usize = 256;
/// The session cookie's name; the management port is appended (`dashboard_session_9443`)
/// because browsers share cookies between the ports of one host, and two connectors on one
/// machine must not end each other's sessions.
pub const SESSION_COOKIE: &str = "dashboard_session";
/// The login form's double-submit cookie (port appended likewise).
pub const LOGIN_COOKIE: &str = "dashboard_login";
/// The largest form body accepted.
pub const FORM_LIMIT: usize = 16 * 1024;
/// The hidden field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

struct SessionEntry {
    csrf: String,
    expires: Instant,
}

/// The logged-in sessions, kept in memory, and the names of this connector's cookies.
pub struct Sessions {
    inner: Mutex<HashMap<String, SessionEntry>>,
    session_cookie: String,
    login_cookie: String,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

/// A random token (256 bits, hex).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Constant-time comparison.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    /// No sessions yet; the cookie names carry `port` (the management port).
    pub fn new(port: u16) -> Self {
        Self {
            inner: Mutex::default(),
            session_cookie: format!("{SESSION_COOKIE}_{port}"),
            login_cookie: format!("{LOGIN_COOKIE}_{port}"),
        }
    }

    /// The session cookie's name.
    pub fn session_cookie(&self) -> &str {
        &self.session_cookie
    }

    /// The login form cookie's name.
    pub fn login_cookie(&self) -> &str {
        &self.login_cookie
    }

    /// Starts a session; returns (id, CSRF token).
    pub fn create(&self) -> Result<(String, String), PageError> {
        let id = random_token();
        let csrf = random_token();
        let now = Instant::now();
        let mut map = self
            .inner
            .lock()
            .map_err(|_| PageError::Internal("session table poisoned".into()))?;
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            id.clone(),
            SessionEntry {
                csrf: csrf.clone(),
                expires: now + SESSION_LIFETIME,
            },
        );
        Ok((id, csrf))
    }

    /// The CSRF token of a live session.
    pub fn csrf_of(&self, id: &str) -> Option<String> {
        let mut map = self.inner.lock().ok()?;
        match map.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.csrf.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(id);
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// A logged-in operator's session, extracted from the cookie; without one the browser is sent
/// to the login page.
#[derive(Debug, Clone)]
pub struct AuthSession {
    /// The session id.
    pub id: String,
    /// Its CSRF token.
    pub csrf: String,
}

impl FromRequestParts<Dashboard> for AuthSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        dashboard: &Dashboard,
    ) -> Result<Self, Self::Rejection> {
        let id = cookie(&parts.headers, dashboard.sessions.session_cookie())
            .ok_or(PageError::LoginRequired)?;
        let csrf = dashboard
            .sessions
            .csrf_of(id)
            .ok_or(PageError::LoginRequired)?;
        Ok(AuthSession {
            id: id.to_owned(),
            csrf,
        })
    }
}

/// The fields of a submitted form, in order (a name may repeat).
#[derive(Debug, Clone, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields whose name starts with `prefix`, with the prefix removed.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
    }
}

/// Reads a form body: `application/x-www-form-urlencoded`, at most [`FORM_LIMIT`] bytes.
pub async fn read_form(headers: &HeaderMap, body: Body) -> Result<FormFields, PageError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(PageError::invalid(
            "Content-Type",
            format!(
                "„{ct}“: das Formular muss als application/x-www-form-urlencoded gesendet werden"
            ),
        ));
    }
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| PageError::TooLarge(FORM_LIMIT))?;
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .map(FormFields)
        .map_err(|e| PageError::invalid("<Formular>", format!("nicht lesbar: {e}")))
}

/// Reads a form of a logged-in session and checks its CSRF token.
pub async fn read_checked_form(
    session: &AuthSession,
    headers: &HeaderMap,
    body: Body,
) -> Result<FormFields, PageError> {
    let form = read_form(headers, body).await?;
    match form.get(CSRF_FIELD) {
        Some(t) if same_secret(t.as_bytes(), session.csrf.as_bytes()) => Ok(form),
        _ => Err(PageError::Csrf),
    }
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    csrf: String,
    error: Option<&'static str>,
}

fn login_response(
    sessions: &Sessions,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, PageError> {
    let csrf = random_token();
    let html = LoginPage {
        csrf: csrf.clone(),
        error,
    }
    .render()?;
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(sessions.login_cookie(), &csrf, "/dashboard/login", 1800),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// `GET /dashboard/login`: the login form (or the overview when logged in already).
pub async fn login_page(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if cookie(&headers, dashboard.sessions.session_cookie())
        .is_some_and(|id| dashboard.sessions.csrf_of(id).is_some())
    {
        return Ok(see_other("/dashboard"));
    }
    login_response(&dashboard.sessions, StatusCode::OK, None)
}

/// `POST /dashboard/login`: checks the form's one-time token and the management token; on
/// success starts a session.
pub async fn login(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let form = read_form(&headers, body).await?;
    let expected = cookie(&headers, dashboard.sessions.login_cookie()).unwrap_or_default();
    let presented = form.get(CSRF_FIELD).unwrap_or_default();
    if expected.is_empty() || !same_secret(presented.as_bytes(), expected.as_bytes()) {
        return login_response(
            &dashboard.sessions,
            StatusCode::FORBIDDEN,
            Some(
                "Das Anmeldeformular ist abgelaufen oder stammt nicht von dieser Seite. Bitte erneut anmelden.",
            ),
        );
    }
    let token = form.get("token").unwrap_or_default().trim();
    if token.is_empty() {
        return login_response(
            &dashboard.sessions,
            StatusCode::BAD_REQUEST,
            Some("Bitte geben Sie das Verwaltungs-Token ein."),
        );
    }
    if !same_secret(
        token.as_bytes(),
        dashboard.app.management_token.expose().as_bytes(),
    ) {
        tracing::warn!("dashboard login with a wrong management token");
        return login_response(
            &dashboard.sessions,
            StatusCode::UNAUTHORIZED,
            Some("Das Verwaltungs-Token ist nicht richtig."),
        );
    }
    let (id, _) = dashboard.sessions.create()?;
    let mut response = see_other("/dashboard");
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            dashboard.sessions.session_cookie(),
            &id,
            "/dashboard",
            SESSION_LIFETIME.as_secs(),
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(dashboard.sessions.login_cookie(), "", "/dashboard/login", 0),
    );
    Ok(response)
}

/// `POST /dashboard/logout`: ends the session.
pub async fn logout(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    read_checked_form(&session, &headers, body).await?;
    dashboard.sessions.remove(&session.id);
    let mut response = see_other("/dashboard/login");
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(dashboard.sessions.session_cookie(), "", "/dashboard", 0),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_are_bounded() {
        let sessions = Sessions::new(9443);
        assert_eq!(sessions.session_cookie(), "dashboard_session_9443");
        let (id, csrf) = sessions.create().expect("session");
        assert_eq!(sessions.csrf_of(&id).as_deref(), Some(csrf.as_str()));
        assert_eq!(id.len(), 64);
        assert_ne!(id, csrf);
        sessions.remove(&id);
        assert!(sessions.csrf_of(&id).is_none());
        for _ in 0..MAX_SESSIONS + 10 {
            sessions.create().expect("session");
        }
        assert!(sessions.inner.lock().expect("lock").len() <= MAX_SESSIONS);
        // an expired session is refused and forgotten
        let (old, _) = sessions.create().expect("session");
        if let Ok(mut map) = sessions.inner.lock()
            && let Some(s) = map.get_mut(&old)
        {
            s.expires = Instant::now() - Duration::from_secs(1);
        }
        assert!(sessions.csrf_of(&old).is_none());
        assert!(!sessions.inner.lock().expect("lock").contains_key(&old));
    }

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("dashboard_session=xyz"),
        );
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        let v = set_cookie(SESSION_COOKIE, "abc", "/dashboard", 60);
        let v = v.to_str().expect("ascii");
        for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard"] {
            assert!(v.contains(attr), "{v}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"ab", b"abc"));
    }
}
