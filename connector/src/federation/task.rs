//! The background task of a running connector: every `federation.check_secs` (or at once when
//! woken) it reads its membership again, asks the broker about a pending join request,
//! follows the revocation list its own credential names, and publishes the self-description
//! when due.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::local::JoinStatus;
use super::{join, publish, register_queue};
use crate::app::App;
use crate::process::now_ms;

/// Runs until shut down.
pub async fn run(app: Arc<App>, shutdown: CancellationToken) {
    let every = Duration::from_secs(app.config.federation.check_secs);
    let mut list_fetched_ms = 0i64;
    loop {
        tick(&app, &mut list_fetched_ms).await;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
            _ = app.federation.woken() => {}
        }
    }
}

async fn tick(app: &App, list_fetched_ms: &mut i64) {
    let f = &app.federation;
    let status = f.refresh();
    if !status.is_member()
        && status.credential.is_none()
        && status
            .join_request
            .as_ref()
            .is_some_and(|r| r.status == JoinStatus::Pending)
    {
        match join::check_status(&app.config).await {
            Ok(report) if report.credential_file.is_some() => {
                tracing::info!("the federation operator approved the join request");
                f.refresh();
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "cannot ask the broker about the join request"),
        }
    }
    // The revocation list the own credential names, unless trust.status_list_url names one
    // (then the revocation task keeps it current).
    if app.config.trust.status_list_url.is_none()
        && let Some(m) = f.membership()
        && let Some(authority) = f.verifier().authority_key()
        && now_ms() - *list_fetched_ms >= (app.config.trust.status_list_refresh_secs as i64) * 1000
    {
        match crate::trust::revocation::fetch(&app.client, &m.claims.status.list_url, &authority)
            .await
        {
            Ok(list) => {
                *list_fetched_ms = now_ms();
                f.verifier().set_status_list(list);
                f.refresh();
            }
            Err(e) => {
                tracing::warn!(url = %m.claims.status.list_url, error = %e, "cannot fetch the revocation list")
            }
        }
    }
    if f.is_member() && app.tck.is_none() {
        // Failures are recorded in the publication state and logged there.
        let _ = publish::publish_if_due(f, app.store.as_ref(), &app.assets, false).await;
        if let Err(e) = register_queue::submit_due(f, app.store.as_ref()).await {
            tracing::debug!(error = %e, "register submissions not attempted");
        }
        if let Err(e) = register_queue::confirm_listed(f, app.store.as_ref()).await {
            tracing::debug!(error = %e, "cannot read the broker's register");
        }
    }
    if let Ok(p) = publish::load(app.store.as_ref()) {
        crate::metrics::record_federation(f.is_member(), p.failures, p.last_accepted_ms);
    }
}
