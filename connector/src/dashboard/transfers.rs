//! The transfers page: running transfers first, with their progress (bytes moved of the
//! total, as a `<progress>` element and in words), then the finished ones with how they
//! ended. Read from [`crate::transfer::Transfers`], the service the JSON API uses.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{PageError, render};
use super::session::AuthSession;
use super::{Dashboard, Nav, format_ms, path_segment};
use crate::process::Role;
use crate::transfer::Transfer;

/// A transfer state in words.
pub fn state_de(state: &str) -> &'static str {
    match state {
        "REQUESTED" => "angefragt",
        "STARTED" => "läuft",
        "SUSPENDED" => "angehalten",
        "COMPLETED" => "abgeschlossen",
        "TERMINATED" => "beendet",
        _ => "unbekannt",
    }
}

/// A byte count in words (`1,5 MB`).
pub fn bytes_de(n: u64) -> String {
    const UNITS: [&str; 5] = ["Bytes", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} Bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit]).replace('.', ",")
    }
}

/// One transfer as shown.
#[derive(Debug, Clone)]
pub struct TransferRow {
    /// Its id.
    pub id: String,
    /// The other party.
    pub counterparty: String,
    /// The dataset.
    pub dataset: String,
    /// Our side.
    pub role: &'static str,
    /// `HttpData-PULL` or `HttpData-PUSH`.
    pub format: String,
    /// The state in words.
    pub state: &'static str,
    /// Bytes moved.
    pub bytes: u64,
    /// Total bytes, when known.
    pub total: Option<u64>,
    /// Progress in words (`1,5 MB von 3,0 MB (50 %)`).
    pub progress: String,
    /// Attempts and the last failure, or how it ended.
    pub notes: Vec<String>,
    /// Link to the agreement.
    pub agreement_href: String,
    /// Last change.
    pub updated: String,
}

fn row(dashboard: &Dashboard, t: &Transfer) -> TransferRow {
    // While data moves, the data plane's live count is ahead of the stored one (the JSON
    // API shows it the same way); the files' sizes give the total when it is not stored.
    let mut p = t.progress.clone();
    if let Some(live) = dashboard.app.transfers.registry().progress(&t.id)
        && live.bytes > p.bytes
        && p.done_ms.is_none()
    {
        p.bytes = live.bytes;
        p.total = live.total.or(p.total);
    }
    if p.total.is_none() && !t.files.is_empty() {
        p.total = Some(t.files.iter().map(|f| f.size).sum());
    }
    let p = &p;
    // The provider's side keeps no byte count of what the consumer pulled (the audit log
    // records each access with its bytes); say so instead of showing "0 %".
    let provider_unknown = t.role == Role::Provider && p.bytes == 0 && p.done_ms.is_none();
    let progress = match p.total {
        Some(total) if provider_unknown => format!(
            "Umfang {}; was abgerufen wurde, steht im Prüfprotokoll (Datenzugriffe)",
            bytes_de(total)
        ),
        None if provider_unknown => {
            "Was abgerufen wurde, steht im Prüfprotokoll (Datenzugriffe)".to_owned()
        }
        Some(total) if total > 0 => format!(
            "{} von {} ({} %)",
            bytes_de(p.bytes),
            bytes_de(total),
            (p.bytes.min(total) * 100) / total
        ),
        _ => format!("{} übertragen", bytes_de(p.bytes)),
    };
    let mut notes = Vec::new();
    if p.attempts > 1 {
        notes.push(format!("{} Verbindungsversuche", p.attempts));
    }
    if let Some(e) = &p.last_error {
        notes.push(format!("Letzter Fehler: {e}"));
    }
    if let Some(done) = p.done_ms {
        notes.push(format!("Vollständig und geprüft am {}", format_ms(done)));
    }
    if let Some(end) = &t.termination {
        notes.push(format!(
            "Beendet ({}): {}",
            match end.by.as_str() {
                "provider" => "vom Datengeber",
                "consumer" => "vom Datennehmer",
                "enforcement" => "der Vertrag erlaubt die Nutzung nicht mehr",
                "delivery" => "Nachricht nicht zustellbar",
                _ => "aus anderem Grund",
            },
            end.reasons.join(" ")
        ));
    }
    if let Some(deleted) = t.deleted_ms {
        notes.push(format!("Daten gelöscht am {}", format_ms(deleted)));
    }
    TransferRow {
        id: t.id.clone(),
        counterparty: t
            .counterparty
            .legal_name
            .clone()
            .unwrap_or_else(|| t.counterparty.id.clone()),
        dataset: dashboard
            .app
            .assets
            .asset(&t.dataset_id)
            .ok()
            .flatten()
            .map_or_else(|| t.dataset_id.clone(), |a| a.title),
        role: match t.role {
            Role::Provider => "Datengeber",
            Role::Consumer => "Datennehmer",
        },
        format: t.format.to_string(),
        state: state_de(t.state.as_str()),
        bytes: p.bytes,
        total: p.total.filter(|&n| n > 0 && !provider_unknown),
        progress,
        notes,
        agreement_href: format!("/dashboard/agreements/{}", path_segment(&t.agreement_id)),
        updated: format_ms(t.updated_ms),
    }
}

#[derive(Template)]
#[template(path = "dashboard/transfers.html")]
struct TransfersPage {
    nav: Nav,
    running: Vec<TransferRow>,
    finished: Vec<TransferRow>,
    more: usize,
}

const FINISHED_LIMIT: usize = 100;

/// `GET /dashboard/transfers`.
pub async fn list(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
) -> Result<Response, PageError> {
    let nav = Nav::new(&dashboard, &session, "transfers")?;
    let all = dashboard.app.transfers.list()?;
    let (running, finished): (Vec<&Transfer>, Vec<&Transfer>) = all
        .iter()
        .partition(|t| matches!(t.state.as_str(), "REQUESTED" | "STARTED" | "SUSPENDED"));
    let more = finished.len().saturating_sub(FINISHED_LIMIT);
    render(&TransfersPage {
        nav,
        running: running.iter().map(|t| row(&dashboard, t)).collect(),
        finished: finished
            .iter()
            .take(FINISHED_LIMIT)
            .map(|t| row(&dashboard, t))
            .collect(),
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_in_german() {
        assert_eq!(bytes_de(999), "999 Bytes");
        assert_eq!(bytes_de(1_500_000), "1,5 MB");
        assert_eq!(bytes_de(2_000_000_000), "2,0 GB");
    }
}
