//! Errors of the dashboard, rendered as pages that say what was wrong and what to do; internal
//! failures are logged and shown without details. A missing or expired session leads to the
//! login page.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::negotiation::DecisionError;
use crate::store::StoreError;

/// Why a dashboard page or form could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// No valid session: the browser is sent to the login page.
    #[error("login required")]
    LoginRequired,
    /// The form's CSRF token is missing or does not belong to the session.
    #[error("the form's security token is missing or wrong")]
    Csrf,
    /// A form field is missing or not acceptable.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as labelled on the form.
        field: String,
        /// What is wrong (German).
        message: String,
    },
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state (German explanation).
    #[error("{0}")]
    Conflict(String),
    /// The form body is larger than allowed.
    #[error("the form exceeds {0} bytes")]
    TooLarge(usize),
    /// A failure on this side (logged; the page shows no details).
    #[error("internal: {0}")]
    Internal(String),
}

impl PageError {
    /// An invalid form field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status of the error page.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::LoginRequired => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::Invalid { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn heading_and_message(&self) -> (&'static str, String) {
        match self {
            Self::LoginRequired => ("Anmeldung nötig", "Bitte melden Sie sich an.".into()),
            Self::Csrf => (
                "Formular abgelaufen",
                "Das Formular trägt kein gültiges Sicherheitsmerkmal (CSRF-Token) dieser Sitzung. Laden Sie die Seite neu und senden Sie das Formular erneut.".into(),
            ),
            Self::Invalid { field, message } => (
                "Eingabe nicht möglich",
                format!("Feld „{field}“: {message}"),
            ),
            Self::NotFound(m) => ("Nicht gefunden", m.clone()),
            Self::Conflict(m) => ("Jetzt nicht möglich", m.clone()),
            Self::TooLarge(n) => (
                "Formular zu groß",
                format!("Das Formular ist größer als {n} Bytes. Kürzen Sie die Eingaben."),
            ),
            Self::Internal(cause) => {
                tracing::error!(%cause, "dashboard page failed");
                (
                    "Fehler",
                    "Die Seite kann gerade nicht angezeigt werden; Einzelheiten stehen im Protokoll des Konnektors.".into(),
                )
            }
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage {
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self, Self::LoginRequired) {
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/dashboard/login")],
            )
                .into_response();
        }
        let status = self.status();
        let (heading, message) = self.heading_and_message();
        let html = ErrorPage { heading, message }
            .render()
            .unwrap_or_else(|_| heading.to_owned());
        (status, Html(html)).into_response()
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

impl From<DecisionError> for PageError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::NotFound(id) => Self::NotFound(format!("Keine Verhandlung {id}.")),
            DecisionError::NotNow(m) => Self::Conflict(format!(
                "Das geht in diesem Stand der Verhandlung nicht: {m}"
            )),
            DecisionError::Invalid(m) => Self::invalid("Bedingungen", m),
            DecisionError::Store(e) => Self::Internal(e.to_string()),
        }
    }
}

/// Unknown pages under `/dashboard`.
pub async fn not_found() -> PageError {
    PageError::NotFound("Diese Seite gibt es im Dashboard nicht.".into())
}

/// Renders a page template as a response.
pub fn render(page: &impl Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}
