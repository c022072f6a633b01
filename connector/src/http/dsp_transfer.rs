//! The transfer process endpoints, provider and consumer side (the consumer's callback
//! address is this connector's DSP base URL, so both sides share the `/transfers` paths; the
//! local process id in the path tells which side a transfer is on).

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{Area, DspError, ErrorContext};
use super::input::{self, Incoming};
use crate::app::App;
use crate::dsp::DspMessage;
use crate::dsp::transfer::{
    TransferCompletionMessage, TransferRequestMessage, TransferStartMessage,
    TransferSuspensionMessage, TransferTerminationMessage,
};
use crate::transfer::state::MessageKind;

fn ctx() -> ErrorContext {
    ErrorContext::new(Area::Transfer)
}

fn parse<M: DspMessage>(incoming: &Incoming, ctx: &ErrorContext) -> Result<M, DspError> {
    M::from_json(&incoming.json)
        .map_err(|e| ctx.error(StatusCode::BAD_REQUEST, "invalid_message", e.to_string()))
}

fn purpose(json: &Value, ctx: &ErrorContext) -> Result<Option<String>, DspError> {
    match json.get(crate::negotiation::PURPOSE_MEMBER) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 1024 => Ok(Some(s.clone())),
        Some(_) => Err(ctx.error(
            StatusCode::BAD_REQUEST,
            "invalid_message",
            format!(
                "{}: must be a purpose IRI",
                crate::negotiation::PURPOSE_MEMBER
            ),
        )),
    }
}

/// `POST /transfers/request` (provider): a new transfer process.
pub async fn request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, DspError> {
    let mut ctx = ctx();
    let incoming = input::read(&app, &headers, "transfers/request", body, &mut ctx).await?;
    let msg: TransferRequestMessage = parse(&incoming, &ctx)?;
    let purpose = purpose(&incoming.json, &ctx)?;
    let credential = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::trust::revocation::credential_in_authorization);
    let ack = app
        .transfers
        .on_request(&incoming.caller, msg, purpose, credential, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok((StatusCode::CREATED, Json(ack.to_json())).into_response())
}

/// `GET /transfers/{pid}`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, DspError> {
    let ctx = ctx();
    let caller = input::authenticate(&app, &headers, &ctx)?;
    let t = app
        .transfers
        .transfer_for(&caller, &pid)
        .map_err(|f| ctx.failure(f))?;
    Ok(Json(t.to_json()))
}

/// `POST /transfers/{pid}/start`.
pub async fn start(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    let path = format!("transfers/{pid}/start");
    let incoming = input::read(&app, &headers, &path, body, &mut ctx).await?;
    let msg: TransferStartMessage = parse(&incoming, &ctx)?;
    app.transfers
        .on_start(&incoming.caller, &pid, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

async fn step(
    app: Arc<App>,
    pid: String,
    headers: HeaderMap,
    body: Body,
    kind: MessageKind,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    let path = format!("transfers/{pid}/{}", kind.path_suffix());
    let incoming = input::read(&app, &headers, &path, body, &mut ctx).await?;
    let msg = match kind {
        MessageKind::Completion => {
            let m: TransferCompletionMessage = parse(&incoming, &ctx)?;
            crate::dsp::transfer::TransferCodeMessage {
                provider_pid: m.provider_pid,
                consumer_pid: m.consumer_pid,
                code: None,
                reason: Vec::new(),
            }
        }
        MessageKind::Suspension => parse::<TransferSuspensionMessage>(&incoming, &ctx)?.0,
        _ => parse::<TransferTerminationMessage>(&incoming, &ctx)?.0,
    };
    app.transfers
        .on_step(&incoming.caller, &pid, kind, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

/// `POST /transfers/{pid}/completion`.
pub async fn completion(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    step(app, pid, headers, body, MessageKind::Completion).await
}

/// `POST /transfers/{pid}/termination`.
pub async fn termination(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    step(app, pid, headers, body, MessageKind::Termination).await
}

/// `POST /transfers/{pid}/suspension`.
pub async fn suspension(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    step(app, pid, headers, body, MessageKind::Suspension).await
}

/// `PUT /data/push/{transfer}` (consumer, `HttpData-PUSH`): the provider sends the single
/// file, or the manifest of a folder, with the one-time bearer token this connector put into
/// its request (the protocol: [`crate::transfer::push`]). Not a DSP message: the body is
/// streamed, never buffered. 201 with what was stored; 200 when it was there already.
pub async fn push_receive(
    State(app): State<Arc<App>>,
    Path(transfer): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    push_put(app, transfer, None, headers, body).await
}

/// `PUT /data/push/{transfer}/files/{*path}`: one file of a pushed folder.
pub async fn push_receive_file(
    State(app): State<Arc<App>>,
    Path((transfer, path)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    push_put(app, transfer, Some(path), headers, body).await
}

/// `HEAD /data/push/{transfer}`: how much of the single file arrived (`Upload-Offset`, and
/// `Upload-Complete: ?1` once it is verified).
pub async fn push_probe(
    State(app): State<Arc<App>>,
    Path(transfer): Path<String>,
    headers: HeaderMap,
) -> Response {
    push_head(app, transfer, None, headers).await
}

/// `HEAD /data/push/{transfer}/files/{*path}`: how much of one file of a folder arrived.
pub async fn push_probe_file(
    State(app): State<Arc<App>>,
    Path((transfer, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    push_head(app, transfer, Some(path), headers).await
}

async fn push_put(
    app: Arc<App>,
    transfer: String,
    file: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    use crate::transfer::push::{PushAccepted, PushHeaders};
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request = PushHeaders {
        authorization: header("authorization"),
        repr_digest: header("repr-digest"),
        content_type: header("content-type"),
        content_range: header("content-range"),
        content_length: header("content-length").and_then(|v| v.trim().parse().ok()),
    };
    let result = app
        .transfers
        .receive_push(
            &transfer,
            file.as_deref(),
            &request,
            body.into_data_stream(),
        )
        .await;
    match result {
        Ok(PushAccepted::Manifest { files, known }) => (
            if known {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            },
            Json(serde_json::json!({"manifest": true, "files": files})),
        )
            .into_response(),
        Ok(PushAccepted::File { file, known }) => (
            if known {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            },
            Json(serde_json::json!({"path": file.path, "size": file.size,
                                    "sha256": file.sha256})),
        )
            .into_response(),
        Err(e) => push_refused(&transfer, e),
    }
}

async fn push_head(
    app: Arc<App>,
    transfer: String,
    file: Option<String>,
    headers: HeaderMap,
) -> Response {
    use crate::dataplane::push::{UPLOAD_COMPLETE, UPLOAD_OFFSET};
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    match app
        .transfers
        .probe_push(&transfer, file.as_deref(), authorization)
        .await
    {
        Ok(kept) => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            r.headers_mut()
                .insert(UPLOAD_OFFSET, axum::http::HeaderValue::from(kept.offset));
            r.headers_mut().insert(
                UPLOAD_COMPLETE,
                axum::http::HeaderValue::from_static(if kept.complete { "?1" } else { "?0" }),
            );
            r
        }
        Err(e) => push_refused(&transfer, e),
    }
}

fn push_refused(transfer: &str, e: crate::transfer::push::PushRefusal) -> Response {
    use crate::dataplane::receive::ReceiveError;
    use crate::transfer::push::PushRefusal;
    let (status, code) = match &e {
        PushRefusal::Unknown(_) => (StatusCode::NOT_FOUND, "unknown_transfer"),
        PushRefusal::Unauthorized => (StatusCode::UNAUTHORIZED, "invalid_token"),
        PushRefusal::NotListed(_) => (StatusCode::NOT_FOUND, "not_in_manifest"),
        PushRefusal::Manifest(_) => (StatusCode::BAD_REQUEST, "invalid_manifest"),
        PushRefusal::Path(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
        PushRefusal::Mismatch(_) => (StatusCode::BAD_REQUEST, "not_as_in_manifest"),
        PushRefusal::Range(_) | PushRefusal::Body(ReceiveError::OffsetMismatch { .. }) => {
            (StatusCode::RANGE_NOT_SATISFIABLE, "not_a_continuation")
        }
        PushRefusal::Conflict(_) | PushRefusal::Body(ReceiveError::Stopped) => {
            (StatusCode::CONFLICT, "not_running")
        }
        PushRefusal::Body(ReceiveError::TooLarge(_)) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
        }
        PushRefusal::Body(ReceiveError::Io(_)) | PushRefusal::Internal(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
        PushRefusal::Body(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
    };
    tracing::info!(%transfer, error = %e, "push refused");
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::warn!(%transfer, error = %e, "cannot store pushed data");
        "the data cannot be stored right now".to_owned()
    } else {
        e.to_string()
    };
    (
        status,
        Json(serde_json::json!({"code": code, "message": message})),
    )
        .into_response()
}
