//! The sandbox queries page (cargo feature `sandbox`): per agreement, every query a consumer
//! sent to this provider's sandbox — when, who, grouping, measures, filters, and the outcome
//! (answered with n groups and m suppressed, or refused with the reason). Values are never
//! shown: the provider keeps only the answers' shape.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{PageError, render};
use super::session::AuthSession;
use super::{Dashboard, Nav};
use crate::sandbox::{QueryOutcome, SandboxQueryEntry, query_log};

/// One query as shown.
#[derive(Debug, Clone)]
pub struct QueryRow {
    /// When (German date and time, UTC).
    pub at: String,
    /// The consumer.
    pub consumer: String,
    /// The group-by columns.
    pub grouping: String,
    /// The measures.
    pub measures: String,
    /// The filters.
    pub filters: String,
    /// Answered or not.
    pub answered: bool,
    /// The outcome in words.
    pub outcome: String,
}

/// One agreement's queries.
#[derive(Debug, Clone)]
pub struct AgreementQueries {
    /// The agreement.
    pub agreement: String,
    /// Its page's path segment.
    pub link: String,
    /// Answered queries.
    pub answered: usize,
    /// Refused queries.
    pub refused: usize,
    /// The queries, newest first.
    pub rows: Vec<QueryRow>,
}

fn row(e: &SandboxQueryEntry) -> QueryRow {
    let request = &e.record.request;
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "—".to_owned()
        } else {
            items.join(", ")
        }
    };
    let (answered, outcome) = match &e.record.outcome {
        QueryOutcome::Answered {
            query_number,
            groups_returned,
            groups_suppressed,
            values_withheld,
            ..
        } => (
            true,
            format!(
                "Anfrage Nr. {query_number} beantwortet: {groups_returned} Gruppen, \
                 {groups_suppressed} unterdrückt (weniger als k = {} Datensätze){}",
                e.record.k,
                if *values_withheld > 0 {
                    format!(", {values_withheld} Werte zurückgehalten")
                } else {
                    String::new()
                }
            ),
        ),
        QueryOutcome::Refused { code, reason } => (false, format!("Abgelehnt ({code}): {reason}")),
    };
    QueryRow {
        at: e.record.at.format("%d.%m.%Y %H:%M:%S UTC").to_string(),
        consumer: e.consumer.clone(),
        grouping: list(request.group_by.clone()),
        measures: list(request.measures.iter().map(ToString::to_string).collect()),
        filters: list(request.filters.iter().map(ToString::to_string).collect()),
        answered,
        outcome,
    }
}

/// The queries grouped by agreement, each newest first.
pub fn by_agreement(entries: &[SandboxQueryEntry]) -> Vec<AgreementQueries> {
    let mut groups: BTreeMap<&str, Vec<&SandboxQueryEntry>> = BTreeMap::new();
    for e in entries {
        groups.entry(&e.agreement_id).or_default().push(e);
    }
    groups
        .into_iter()
        .map(|(agreement, list)| {
            let rows: Vec<QueryRow> = list.iter().rev().map(|e| row(e)).collect();
            AgreementQueries {
                agreement: agreement.to_owned(),
                link: super::path_segment(agreement),
                answered: rows.iter().filter(|r| r.answered).count(),
                refused: rows.iter().filter(|r| !r.answered).count(),
                rows,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard/sandbox.html")]
struct SandboxPage {
    nav: Nav,
    agreements: Vec<AgreementQueries>,
}

/// `GET /dashboard/sandbox`.
pub async fn page(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
) -> Result<Response, PageError> {
    let nav = Nav::new(&dashboard, &session, "sandbox")?;
    let entries = query_log(dashboard.app.store.as_ref(), None)?;
    render(&SandboxPage {
        nav,
        agreements: by_agreement(&entries),
    })
}
