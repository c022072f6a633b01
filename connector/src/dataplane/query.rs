//! The provider's sandbox query endpoint: `POST /data/{transfer}/query` (cargo feature
//! `sandbox`), the data plane of a `Sandbox-QUERY` transfer.
//!
//! A query passes the same checks as a pull before anything is read ([`super::serve::admit`]:
//! access token, the caller's own request token and membership, the transfer STARTED, the
//! agreement evaluated with `contracts::eval`), so revocation, expiry, suspension and
//! termination apply to every query. Then, under the agreement's lock:
//! 1. the body (at most [`MAX_REQUEST_BYTES`]) is parsed strictly into an
//!    [`AggregationRequest`];
//! 2. the agreement is evaluated again as query number `answered + 1` with the request's
//!    purpose: an ODRL `count` constraint counts answered queries;
//! 3. [`Sandbox::execute`] answers next to the data with the agreement's k (default 5),
//!    checking identifying columns and differencing against the agreement's history;
//! 4. the history, the query log entry and the audit event (the request and the answer's
//!    shape, never values) are written in one atomic batch; only then is the answer sent.
//!
//! Refusals are JSON `{"code", "reason": [German, English]}` with a 4xx status; faults on the
//! provider's side say so without details (those go to the provider's log).

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::serve::{Refusal, admit};
use crate::app::App;
use crate::audit::{AuditEvent, AuditKind};
use crate::process::ProcessLocks;
use crate::sandbox::{
    AggregationRequest, MAX_REQUEST_BYTES, QueryHistory, QueryLogRecord, QueryOutcome, Sandbox,
    SandboxError, SandboxQueryEntry, history_key, log_key, read_history, read_spec,
};

/// The HTTP status and the German and English explanation of a sandbox refusal.
fn explain(e: &SandboxError) -> (StatusCode, String, String) {
    let (status, de, en) = crate::sandbox::explain(e);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        de,
        en,
    )
}
use crate::store::WriteBatch;
use crate::transfer::{Direction, Transfer};

/// One lock per agreement: its history is read, checked and extended by one query at a time.
fn agreement_locks() -> &'static ProcessLocks {
    static LOCKS: OnceLock<ProcessLocks> = OnceLock::new();
    LOCKS.get_or_init(ProcessLocks::default)
}

fn refusal(status: StatusCode, code: &'static str, de: String, en: String) -> Refusal {
    Refusal {
        status,
        code,
        reasons: vec![de, en],
    }
}

/// `POST /data/{transfer}/query`.
pub async fn query(
    State(app): State<Arc<App>>,
    Path(transfer_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t = match admit(&app, &transfer_id, &headers).await {
        Ok(t) => t,
        Err((refused, t, party)) => {
            record_refusal(&app, &transfer_id, &refused, t.as_ref(), party);
            return refused.into_response();
        }
    };
    if t.format.direction() != Direction::Query {
        let r = refusal(
            StatusCode::CONFLICT,
            "not_a_query_transfer",
            format!("Die Übertragung {} ist kein Sandbox-Zugriff.", t.id),
            format!(
                "transfer {} is a {} transfer, not Sandbox-QUERY",
                t.id, t.format
            ),
        );
        record_refusal(&app, &transfer_id, &r, Some(&t), None);
        return r.into_response();
    }
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let r = refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                format!("Die Anfrage ist größer als {MAX_REQUEST_BYTES} Bytes."),
                format!("the aggregation request is larger than {MAX_REQUEST_BYTES} bytes"),
            );
            record_refusal(&app, &transfer_id, &r, Some(&t), None);
            return r.into_response();
        }
    };
    let request = match AggregationRequest::from_json(&bytes) {
        Ok(r) => r,
        Err(e) => {
            let (status, de, en) = explain(&e);
            let r = refusal(status, e.code(), de, en);
            record_refusal(&app, &transfer_id, &r, Some(&t), None);
            return r.into_response();
        }
    };
    match answer(&app, &t, &request).await {
        Ok(response) => response,
        Err(r) => r.into_response(),
    }
}

/// Evaluates, runs and records one parsed query.
async fn answer(
    app: &App,
    t: &Transfer,
    request: &AggregationRequest,
) -> Result<Response, Refusal> {
    let internal = |what: &str, e: &dyn std::fmt::Display| {
        tracing::error!(transfer = %t.id, error = %e, "{what}");
        refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Der Datengeber kann die Anfrage gerade nicht beantworten.".into(),
            "the provider cannot answer this query right now".into(),
        )
    };
    let _guard = agreement_locks().lock(&t.agreement_id).await;
    let record = app
        .transfers
        .agreement_of(t)
        .map_err(|e| internal("cannot read the agreement", &e))?;
    let k = record
        .as_ref()
        .and_then(|r| contracts::agreement::Agreement::from_dsp_json(&r.agreement).ok())
        .map(|a| crate::transfer::sandbox::min_group_size(&a.policy))
        .unwrap_or(crate::transfer::sandbox::DEFAULT_MIN_GROUP_SIZE);
    let mut history =
        read_history(app.store.as_ref(), &t.agreement_id).map_err(|e| internal("history", &e))?;
    let mut as_asked = t.clone();
    if !request.purpose.trim().is_empty() {
        as_asked.purpose = Some(request.purpose.clone());
    }
    let number = history.answered() + 1;
    if let Err(d) = crate::transfer::enforce::decide(
        &app.terms,
        record.as_ref(),
        &as_asked,
        number,
        chrono::Utc::now(),
    ) {
        let log = QueryLogRecord {
            at: chrono::Utc::now(),
            k,
            purpose: request.purpose.clone(),
            request: request.clone(),
            outcome: QueryOutcome::Refused {
                code: d.code.to_owned(),
                reason: d.summary(),
            },
        };
        history.refused += 1;
        let r = Refusal {
            status: StatusCode::FORBIDDEN,
            code: d.code,
            reasons: d.reasons(),
        };
        commit(app, t, &history, log, Some(&r))?;
        return Err(r);
    }
    let spec = match app.assets.asset(&t.dataset_id) {
        Ok(Some(asset)) if asset.personal_adjacent => read_spec(app.store.as_ref(), &asset.id)
            .map_err(|e| internal("cannot read the sandbox source", &e))?,
        Ok(_) => None,
        Err(e) => return Err(internal("cannot read the asset", &e)),
    };
    let Some(spec) = spec else {
        tracing::warn!(dataset = %t.dataset_id, "no sandbox source configured for the dataset");
        return Err(refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_sandbox_source",
            "Für diesen Datensatz ist keine Sandbox-Quelle eingerichtet.".into(),
            "the provider has not configured a sandbox source for this dataset".into(),
        ));
    };
    let outcome = Sandbox::default()
        .execute(&spec.source, &spec.policy, request, k, &mut history)
        .await;
    match outcome {
        Ok(answer) => {
            let log = QueryLogRecord::answered(request, &answer);
            commit(app, t, &history, log, None)?;
            Ok((StatusCode::OK, axum::Json(answer)).into_response())
        }
        Err(e) => {
            if !e.is_request_error() {
                tracing::warn!(transfer = %t.id, dataset = %t.dataset_id, error = %e, "sandbox query failed");
            }
            let log = QueryLogRecord::refused(request, k, &e);
            let (status, de, en) = explain(&e);
            let r = refusal(status, e.code(), de, en);
            commit(app, t, &history, log, Some(&r))?;
            Err(r)
        }
    }
}

/// Writes the history, the query log entry and the audit event in one batch.
fn commit(
    app: &App,
    t: &Transfer,
    history: &QueryHistory,
    log: QueryLogRecord,
    refused: Option<&Refusal>,
) -> Result<(), Refusal> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(transfer = %t.id, error = %e, "cannot record the sandbox query; not answering");
        refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "Die Anfrage kann gerade nicht protokolliert werden und wird daher nicht beantwortet."
                .into(),
            "the query cannot be recorded right now, so it is not answered".into(),
        )
    };
    let seq = app.store.next_id().map_err(|e| unavailable(&e))?;
    let summary = match (&log.outcome, refused) {
        (
            QueryOutcome::Answered {
                query_number,
                groups_returned,
                groups_suppressed,
                ..
            },
            _,
        ) => {
            format!(
                "Sandbox-Anfrage Nr. {query_number} beantwortet: {groups_returned} Gruppen, \
                 {groups_suppressed} unterdrückt"
            )
        }
        (_, Some(r)) => format!("Sandbox-Anfrage abgelehnt: {}", r.reasons.join(" ")),
        (_, None) => "Sandbox-Anfrage abgelehnt".to_owned(),
    };
    let kind = if refused.is_some() {
        AuditKind::AccessRefused
    } else {
        AuditKind::DataAccess
    };
    let detail = serde_json::to_value(&log).map_err(|e| unavailable(&e))?;
    let mut event = AuditEvent::new(kind, summary)
        .agreement(t.agreement_id.clone())
        .party(t.counterparty.id.clone())
        .process(t.id.clone())
        .detail("sandbox_query", detail);
    if let Some(r) = refused {
        event = event.detail("code", r.code);
    }
    let entry = SandboxQueryEntry {
        agreement_id: t.agreement_id.clone(),
        transfer_id: t.id.clone(),
        consumer: t.counterparty.id.clone(),
        record: log,
    };
    let mut batch = WriteBatch::new();
    batch.put(history_key(&t.agreement_id), history);
    batch.put(log_key(&t.agreement_id, seq), &entry);
    app.transfers.audit().stage(&mut batch, event);
    app.store.apply(batch).map_err(|e| unavailable(&e))?;
    app.transfers.audit().wake();
    Ok(())
}

/// Records a refusal before the query was parsed or checked (no history change).
fn record_refusal(
    app: &App,
    transfer_id: &str,
    r: &Refusal,
    t: Option<&Transfer>,
    party: Option<String>,
) {
    let mut event = AuditEvent::new(
        AuditKind::AccessRefused,
        format!("Sandbox-Anfrage verweigert: {}", r.reasons.join(" ")),
    )
    .process(transfer_id.to_owned())
    .detail("code", r.code)
    .detail("reasons", r.reasons.clone());
    if let Some(t) = t {
        event = event
            .agreement(t.agreement_id.clone())
            .party(t.counterparty.id.clone());
    } else if let Some(p) = party {
        event = event.party(p);
    }
    let mut batch = WriteBatch::new();
    app.transfers.audit().stage(&mut batch, event);
    if app.store.apply(batch).is_ok() {
        app.transfers.audit().wake();
    }
}
