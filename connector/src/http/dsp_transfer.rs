//! The transfer process endpoints.
//!
//! This connector does not run transfer processes yet (they build on the finalized
//! agreements of the negotiation). The endpoints already authenticate callers and parse
//! every message strictly, so invalid messages get the 400 answer the protocol prescribes;
//! a process id is never known (404), and a valid transfer request is answered with
//! 501 Not Implemented and a `TransferError` saying so — never with a pretended success.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use super::error::{Area, DspError, ErrorContext};
use super::input;
use crate::app::App;
use crate::dsp::DspMessage;
use crate::dsp::transfer::{
    TransferCompletionMessage, TransferRequestMessage, TransferStartMessage,
    TransferSuspensionMessage, TransferTerminationMessage,
};

fn bad(ctx: &ErrorContext, e: crate::dsp::DspParseError) -> DspError {
    ctx.error(StatusCode::BAD_REQUEST, "invalid_message", e.to_string())
}

/// `POST /transfers/request`.
pub async fn request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ErrorContext::new(Area::Transfer);
    let incoming = input::read(&app, &headers, "transfers/request", body, &mut ctx).await?;
    let msg = TransferRequestMessage::from_json(&incoming.json).map_err(|e| bad(&ctx, e))?;
    app.negotiations
        .check_address("callbackAddress", &msg.callback_address)
        .map_err(|f| ctx.failure(f))?;
    let agreement = app
        .negotiations
        .agreement(&msg.agreement_id)
        .map_err(|e| ctx.internal(&e.to_string()))?
        .filter(|a| a.consumer == incoming.caller.id);
    match agreement {
        None => Err(ctx.error(
            StatusCode::BAD_REQUEST,
            "unknown_agreement",
            format!(
                "agreementId {:?} is not a finalized agreement with the caller",
                msg.agreement_id
            ),
        )),
        Some(_) => Err(ctx.error(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            "transfer processes are not available on this connector yet",
        )),
    }
}

/// `GET /transfers/{pid}`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(_pid): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, DspError> {
    let ctx = ErrorContext::new(Area::Transfer);
    input::authenticate(&app, &headers, &ctx)?;
    Err(ctx.not_found())
}

macro_rules! transfer_message_endpoint {
    ($(#[$doc:meta])* $name:ident, $msg:ty, $suffix:literal) => {
        $(#[$doc])*
        pub async fn $name(
            State(app): State<Arc<App>>,
            Path(pid): Path<String>,
            headers: HeaderMap,
            body: Body,
        ) -> Result<StatusCode, DspError> {
            let mut ctx = ErrorContext::new(Area::Transfer);
            let incoming = input::read(&app, &headers, &format!("transfers/{pid}/{}", $suffix), body, &mut ctx).await?;
            <$msg>::from_json(&incoming.json).map_err(|e| bad(&ctx, e))?;
            Err(ctx.not_found())
        }
    };
}

transfer_message_endpoint!(
    /// `POST /transfers/{pid}/start`.
    start, TransferStartMessage, "start"
);
transfer_message_endpoint!(
    /// `POST /transfers/{pid}/completion`.
    completion, TransferCompletionMessage, "completion"
);
transfer_message_endpoint!(
    /// `POST /transfers/{pid}/termination`.
    termination, TransferTerminationMessage, "termination"
);
transfer_message_endpoint!(
    /// `POST /transfers/{pid}/suspension`.
    suspension, TransferSuspensionMessage, "suspension"
);
