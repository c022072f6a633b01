//! The audit log page: the hash chain checked when the page is shown (with
//! [`crate::audit::verify`], as `GET /api/v1/audit/verify` and `connector audit verify` do),
//! and the latest entries, optionally of one kind, newest first.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::error::{PageError, render};
use super::session::AuthSession;
use super::{Dashboard, Nav};
use crate::audit::{AuditEntry, AuditFilter, AuditKind, VerifyReport};

/// How many entries the page shows.
pub const SHOWN: usize = 200;

/// An entry kind in words.
pub fn kind_de(kind: AuditKind) -> &'static str {
    match kind.as_str() {
        "negotiation" => "Verhandlung",
        "agreement" => "Vertrag geschlossen",
        "policy_decision" => "Prüfung der Bedingungen",
        "transfer" => "Übertragung",
        "data_access" => "Datenzugriff",
        "data_access_end" => "Datenzugriff beendet",
        "access_refused" => "Zugriff verweigert",
        "data_received" => "Daten empfangen",
        "deletion" => "Löschung",
        "log_recovered" => "Protokoll nach Absturz bereinigt",
        _ => "Sonstiges",
    }
}

const KINDS: [&str; 10] = [
    "negotiation",
    "agreement",
    "policy_decision",
    "transfer",
    "data_access",
    "data_access_end",
    "access_refused",
    "data_received",
    "deletion",
    "log_recovered",
];

/// The chain check in words.
#[derive(Debug, Clone)]
pub struct ChainView {
    /// Whether the chain is intact.
    pub intact: bool,
    /// The headline.
    pub headline: String,
    /// Details (entries, head, problems by line).
    pub details: Vec<String>,
}

fn chain_view(report: &VerifyReport) -> ChainView {
    let intact = report.problems.is_empty();
    let mut details = vec![format!("{} Einträge gelesen", report.entries)];
    if let Some(last) = &report.last {
        details.push(format!(
            "Letzter gültiger Eintrag: Nr. {}, Prüfsumme {}",
            last.seq, last.hash
        ));
    }
    if report.incomplete_tail {
        details.push(
            "Die letzte Zeile wird gerade geschrieben oder wurde bei einem Absturz abgerissen; der Konnektor schneidet sie beim nächsten Start ab."
                .into(),
        );
    }
    for p in &report.problems {
        details.push(if p.line == 0 {
            format!("Protokoll: {}", p.message)
        } else {
            format!("Zeile {}: {}", p.line, p.message)
        });
    }
    ChainView {
        intact,
        headline: if intact {
            "Die Prüfsummenkette ist unversehrt: kein Eintrag wurde geändert, entfernt oder umgestellt.".into()
        } else {
            format!(
                "Die Prüfsummenkette ist verletzt ({} Befunde). Das Protokoll wurde verändert oder beschädigt.",
                report.problems.len()
            )
        },
        details,
    }
}

/// One entry as shown.
#[derive(Debug, Clone)]
pub struct EntryRow {
    /// Sequence number.
    pub seq: u64,
    /// When.
    pub at: String,
    /// Kind in words.
    pub kind: &'static str,
    /// The summary.
    pub summary: String,
    /// Agreement, party, process.
    pub about: Vec<String>,
}

fn entry_row(e: AuditEntry) -> EntryRow {
    let mut about = Vec::new();
    if let Some(a) = e.agreement {
        about.push(format!("Vertrag {a}"));
    }
    if let Some(p) = e.party {
        about.push(format!("Partei {p}"));
    }
    if let Some(p) = e.process {
        about.push(format!("Vorgang {p}"));
    }
    EntryRow {
        seq: e.seq,
        at: e.at,
        kind: kind_de(e.kind),
        summary: e.summary,
        about,
    }
}

/// Query of the audit page.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    /// Only entries of this kind.
    pub art: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPage {
    nav: Nav,
    chain: ChainView,
    kinds: Vec<(&'static str, &'static str, bool)>,
    entries: Vec<EntryRow>,
}

/// `GET /dashboard/audit`.
pub async fn page(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let nav = Nav::new(&dashboard, &session, "audit")?;
    let kind = query.art.filter(|k| !k.is_empty());
    if let Some(k) = &kind
        && AuditKind::parse(k).is_none()
    {
        return Err(PageError::invalid(
            "Art",
            format!("„{k}“ ist keine Art von Eintrag"),
        ));
    }
    dashboard.app.audit.flush().await;
    let path = dashboard.app.audit.path().to_path_buf();
    let filter = AuditFilter {
        kind: kind.clone(),
        limit: Some(SHOWN),
        ..AuditFilter::default()
    };
    let (report, entries) = tokio::task::spawn_blocking(move || {
        (
            crate::audit::verify(&path, None),
            crate::audit::read_entries(&path, &filter),
        )
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))?;
    let report = report.map_err(|e| PageError::Internal(format!("audit verify: {e}")))?;
    let mut entries = entries.map_err(|e| PageError::Internal(format!("audit read: {e}")))?;
    entries.reverse();
    render(&AuditPage {
        nav,
        chain: chain_view(&report),
        kinds: KINDS
            .iter()
            .filter_map(|k| AuditKind::parse(k))
            .map(|k| (k.as_str(), kind_de(k), kind.as_deref() == Some(k.as_str())))
            .collect(),
        entries: entries.into_iter().map(entry_row).collect(),
    })
}
