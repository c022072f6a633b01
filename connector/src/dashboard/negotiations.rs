//! The negotiation pages: the list (what waits for an operator first) and one negotiation
//! with the request's terms, the explanation of the evaluation, the contract text, the history
//! and — when it waits for this side — the forms of [`super::decisions`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use contracts::template::Template as ContractTemplate;
use serde::Deserialize;

use super::error::{PageError, render};
use super::session::AuthSession;
use super::{Dashboard, Nav, format_ms, key_terms, markdown, path_segment};
use crate::app::App;
use crate::negotiation::Negotiation;
use crate::negotiation::record::{TerminatedBy, Waiting};
use crate::process::Role;

/// A state in words.
pub fn state_de(state: &str) -> &'static str {
    match state {
        "REQUESTED" => "angefragt",
        "OFFERED" => "Angebot liegt vor",
        "ACCEPTED" => "Angebot angenommen",
        "AGREED" => "Vertrag gesendet, wartet auf Bestätigung",
        "VERIFIED" => "Vertrag bestätigt",
        "FINALIZED" => "abgeschlossen",
        "TERMINATED" => "beendet",
        _ => "unbekannt",
    }
}

/// A declared purpose in words (Charta label).
pub fn purpose_de(app: &App, purpose: Option<&str>) -> String {
    match purpose {
        Some(p) => app
            .terms
            .charta()
            .purposes()
            .label(&contracts::odrl::terms::expand_prefixed(p), true),
        None => "nicht angegeben".to_owned(),
    }
}

/// One line of the negotiation list.
#[derive(Debug, Clone)]
pub struct NegotiationRow {
    /// Link to the detail page.
    pub href: String,
    /// The other party.
    pub counterparty: String,
    /// Dataset title (or id).
    pub dataset: String,
    /// The purpose in words.
    pub purpose: String,
    /// Our side.
    pub role: &'static str,
    /// The state in words.
    pub state: &'static str,
    /// Last change.
    pub updated: String,
}

fn counterparty_name(n: &Negotiation) -> String {
    n.counterparty
        .legal_name
        .clone()
        .unwrap_or_else(|| n.counterparty.id.clone())
}

fn dataset_title(app: &App, id: &str) -> String {
    app.assets
        .asset(id)
        .ok()
        .flatten()
        .map_or_else(|| id.to_owned(), |a| a.title)
}

fn row(app: &App, n: &Negotiation) -> NegotiationRow {
    NegotiationRow {
        href: format!("/dashboard/negotiations/{}", path_segment(&n.id)),
        counterparty: counterparty_name(n),
        dataset: dataset_title(app, &n.dataset_id),
        purpose: purpose_de(app, n.purpose.as_deref()),
        role: match n.role {
            Role::Provider => "Datengeber",
            Role::Consumer => "Datennehmer",
        },
        state: state_de(n.state.as_str()),
        updated: format_ms(n.updated_ms),
    }
}

#[derive(Template)]
#[template(path = "dashboard/negotiations.html")]
struct ListPage {
    nav: Nav,
    approvals: Vec<NegotiationRow>,
    offers: Vec<NegotiationRow>,
    others: Vec<NegotiationRow>,
    more: usize,
}

const LIST_LIMIT: usize = 100;

/// `GET /dashboard/negotiations`.
pub async fn list(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
) -> Result<Response, PageError> {
    let app = &dashboard.app;
    let nav = Nav::new(&dashboard, &session, "negotiations")?;
    let all = app.negotiations.list()?;
    let approvals = all
        .iter()
        .filter(|n| n.waiting == Some(Waiting::Approval))
        .map(|n| row(app, n))
        .collect();
    let offers = all
        .iter()
        .filter(|n| n.waiting == Some(Waiting::OfferDecision))
        .map(|n| row(app, n))
        .collect();
    let rest: Vec<&Negotiation> = all.iter().filter(|n| n.waiting.is_none()).collect();
    let more = rest.len().saturating_sub(LIST_LIMIT);
    let others = rest
        .into_iter()
        .take(LIST_LIMIT)
        .map(|n| row(app, n))
        .collect();
    render(&ListPage {
        nav,
        approvals,
        offers,
        others,
        more,
    })
}

/// A template parameter as a form field of the counter-offer.
#[derive(Debug, Clone)]
pub struct ParamField {
    /// The parameter's name (field `param.<name>`).
    pub name: String,
    /// Its label.
    pub label: String,
    /// The value to start with.
    pub value: String,
    /// What is allowed (type, bounds, example).
    pub hint: String,
}

/// The counter-offer form: the chosen template and its parameters.
#[derive(Debug, Clone)]
pub struct CounterForm {
    /// Templates to choose from: (value `id@version`, title, selected).
    pub templates: Vec<(String, String, bool)>,
    /// The chosen template's id.
    pub template_id: String,
    /// Its version.
    pub template_version: String,
    /// Its parameters.
    pub fields: Vec<ParamField>,
}

fn counter_form(
    app: &App,
    n: &Negotiation,
    chosen: Option<&str>,
) -> Result<Option<CounterForm>, PageError> {
    let records = app.assets.templates()?;
    let offer = app.assets.offer(&n.offer_id)?;
    let current = offer
        .as_ref()
        .and_then(|o| o.template.as_ref())
        .map(|t| format!("{}@{}", t.id, t.version));
    let selected = chosen
        .map(str::to_owned)
        .or(current.clone())
        .or_else(|| records.first().map(|r| format!("{}@{}", r.id, r.version)));
    let Some(selected) = selected else {
        return Ok(None);
    };
    let Some(record) = records
        .iter()
        .find(|r| format!("{}@{}", r.id, r.version) == selected)
    else {
        return Err(PageError::invalid(
            "Vorlage",
            format!("„{selected}“ ist keine gespeicherte Vertragsvorlage"),
        ));
    };
    let template = ContractTemplate::parse(&record.source)
        .map_err(|e| PageError::Internal(format!("stored template {selected}: {e}")))?;
    let same_as_offer = current.as_deref() == Some(selected.as_str());
    let fields = template
        .parameters
        .iter()
        .map(|(name, decl)| {
            let value = offer
                .as_ref()
                .filter(|_| same_as_offer)
                .and_then(|o| o.parameters.get(name).cloned())
                .or_else(|| decl.default.as_ref().map(|d| d.canonical()))
                .unwrap_or_default();
            let mut hint = format!("Typ {}, z. B. {}", decl.ty.name(), decl.ty.example());
            if let Some(min) = &decl.min {
                hint.push_str(&format!("; mindestens {}", min.canonical()));
            }
            if let Some(max) = &decl.max {
                hint.push_str(&format!("; höchstens {}", max.canonical()));
            }
            if let Some(within) = &decl.within {
                hint.push_str(&format!("; innerhalb {}", within.label(true)));
            }
            ParamField {
                name: name.clone(),
                label: decl.label.clone(),
                value,
                hint,
            }
        })
        .collect();
    Ok(Some(CounterForm {
        templates: records
            .iter()
            .map(|r| {
                let v = format!("{}@{}", r.id, r.version);
                let sel = v == selected;
                (v, format!("{} (Version {})", r.title, r.version), sel)
            })
            .collect(),
        template_id: record.id.clone(),
        template_version: record.version.clone(),
        fields,
    }))
}

#[derive(Template)]
#[template(path = "dashboard/negotiation.html")]
struct DetailPage {
    nav: Nav,
    id: String,
    title: String,
    action_base: String,
    done: Option<&'static str>,
    facts: Vec<(&'static str, String)>,
    waiting_approval: bool,
    waiting_offer: bool,
    request_terms: Vec<key_terms::TermGroup>,
    matches_offer: Option<String>,
    evaluation: Option<(bool, Vec<String>)>,
    contract_html: Option<String>,
    termination: Option<(String, Vec<String>)>,
    history: Vec<(String, &'static str, &'static str, &'static str)>,
    counter: Option<CounterForm>,
    agreement_href: Option<String>,
}

/// Query of the detail page.
#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    /// Which template the counter-offer form uses (`id@version`).
    pub vorlage: Option<String>,
    /// What was just done (shown as a note).
    pub erledigt: Option<String>,
}

fn done_note(what: Option<&str>) -> Option<&'static str> {
    Some(match what? {
        "freigegeben" => {
            "Freigegeben: der unterschriebene Vertrag wird an den Anfragenden gesendet."
        }
        "abgelehnt" => "Abgelehnt: der Anfragende erhält Ihre Begründung.",
        "gegenangebot" => "Gegenangebot gesendet: der Anfragende kann es annehmen oder ablehnen.",
        "angenommen" => "Angebot angenommen: der Datengeber schickt nun den Vertrag.",
        _ => return None,
    })
}

/// `GET /dashboard/negotiations/{id}`.
pub async fn show(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let app = &dashboard.app;
    let nav = Nav::new(&dashboard, &session, "negotiations")?;
    let n = app
        .negotiations
        .get(&id)?
        .ok_or_else(|| PageError::NotFound(format!("Keine Verhandlung {id}.")))?;
    let charta = app.terms.charta();
    let mut facts = vec![
        ("Stand", state_de(n.state.as_str()).to_owned()),
        (
            "Unsere Rolle",
            match n.role {
                Role::Provider => "Datengeber (Anbieter)".to_owned(),
                Role::Consumer => "Datennehmer (Anfragender)".to_owned(),
            },
        ),
        ("Gegenüber", counterparty_name(&n)),
        ("Kennung des Gegenübers", n.counterparty.id.clone()),
    ];
    if let Some(t) = &n.counterparty.participant_type {
        facts.push(("Teilnehmerart", key_terms::participant_type_de(t)));
    }
    if !n.counterparty.ags.is_empty() {
        facts.push(("Gemeindeschlüssel", n.counterparty.ags.join(", ")));
    }
    facts.push(("Datensatz", dataset_title(app, &n.dataset_id)));
    facts.push(("Angebot", n.offer_id.clone()));
    facts.push(("Erklärter Zweck", purpose_de(app, n.purpose.as_deref())));
    facts.push(("Begonnen", format_ms(n.created_ms)));
    facts.push(("Zuletzt geändert", format_ms(n.updated_ms)));
    let latest = n.last_offer();
    let request_terms = latest
        .map(|s| key_terms::of_json(&s.policy, charta))
        .unwrap_or_default();
    let matches_offer = match (latest, app.assets.offer(&n.offer_id)?) {
        (Some(step), Some(offer)) if step.by == Role::Consumer => Some(
            match app.terms.same_terms(&offer.message_json(), &step.policy) {
                Ok(()) => "Die Anfrage entspricht genau den Bedingungen des Angebots.".to_owned(),
                Err(e) => format!("Die Anfrage weicht vom Angebot ab: {e}"),
            },
        ),
        _ => None,
    };
    let waiting_approval = n.role == Role::Provider && n.waiting == Some(Waiting::Approval);
    let waiting_offer = n.role == Role::Consumer && n.waiting == Some(Waiting::OfferDecision);
    let counter = if waiting_approval {
        counter_form(app, &n, query.vorlage.as_deref())?
    } else {
        None
    };
    let agreement_href = n
        .agreement
        .as_ref()
        .and_then(|a| a.get("@id"))
        .and_then(|v| v.as_str())
        .filter(|_| n.state.as_str() == "FINALIZED")
        .map(|a| format!("/dashboard/agreements/{}", path_segment(a)));
    let page = DetailPage {
        nav,
        action_base: format!("/dashboard/negotiations/{}", path_segment(&n.id)),
        id: n.id.clone(),
        title: dataset_title(app, &n.dataset_id),
        done: done_note(query.erledigt.as_deref()),
        facts,
        waiting_approval,
        waiting_offer,
        request_terms,
        matches_offer,
        evaluation: n
            .evaluation
            .as_ref()
            .map(|e| (e.permitted, e.reasons_de.clone())),
        contract_html: n.contract_markdown.as_deref().map(markdown::to_safe_html),
        termination: n.termination.as_ref().map(|t| {
            (
                match t.by {
                    TerminatedBy::Provider => "vom Datengeber".to_owned(),
                    TerminatedBy::Consumer => "vom Datennehmer".to_owned(),
                    TerminatedBy::Delivery => {
                        "von diesem Konnektor (Nachricht nicht zustellbar oder Antwort ungültig)"
                            .to_owned()
                    }
                },
                t.reasons.clone(),
            )
        }),
        history: n
            .history
            .iter()
            .map(|h| {
                (
                    format_ms(h.at_ms),
                    message_de(&h.message.to_string()),
                    match h.by {
                        Role::Provider => "Datengeber",
                        Role::Consumer => "Datennehmer",
                    },
                    state_de(h.state.as_str()),
                )
            })
            .collect(),
        counter,
        agreement_href,
    };
    render(&page)
}

fn message_de(kind: &str) -> &'static str {
    match kind {
        "ContractRequestMessage" => "Anfrage",
        "ContractOfferMessage" => "Angebot",
        "ContractNegotiationEventMessage:ACCEPTED" => "Angebot angenommen",
        "ContractAgreementMessage" => "Vertrag gesendet",
        "ContractAgreementVerificationMessage" => "Vertrag bestätigt",
        "ContractNegotiationEventMessage:FINALIZED" => "Abschluss",
        "ContractNegotiationTerminationMessage" => "Beendigung",
        _ => "Nachricht",
    }
}
