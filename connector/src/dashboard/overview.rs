//! The overview page (who this connector is, its membership, counts, messages waiting for
//! delivery) and the page of assets with their offers in plain language.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use contracts::template::Template as ContractTemplate;

use super::error::{PageError, render};
use super::session::AuthSession;
use super::{Dashboard, Nav, format_ms, key_terms};
use crate::app::App;
use crate::assets::{ApprovalMode, Offer};

/// The connector's own membership, as checked now against the pinned authority key.
#[derive(Debug, Clone)]
pub struct MembershipView {
    /// The state in words (`gültig`, `nicht beigetreten`, `widerrufen`, …).
    pub state: &'static str,
    /// What it means and the credential's facts (validity, type, AGS, Charta version).
    pub details: Vec<String>,
}

/// This connector's membership as the federation module reports it (the same status
/// `GET /api/v1/status` and `GET /api/v1/federation` show: credential, revocation, join
/// request).
pub fn membership(app: &App) -> MembershipView {
    use crate::federation::membership::MembershipState as S;
    let status = app.federation.status();
    let state = match status.state {
        S::Member => "gültig",
        S::NotJoined => "nicht beigetreten",
        S::Pending => "Beitritt beantragt",
        S::Rejected => "Beitritt abgelehnt",
        S::Expired => "abgelaufen",
        S::Revoked => "widerrufen",
        S::Invalid => "ungültig",
    };
    let mut details = vec![status.message.clone()];
    if let Some(c) = &status.credential {
        details.push(format!("Gültig vom {} bis {}", c.valid_from, c.valid_until));
        details.push(format!(
            "Teilnehmerart: {}",
            key_terms::participant_type_de(&c.participant_type)
        ));
        if !c.ags.is_empty() {
            details.push(format!("Amtlicher Gemeindeschlüssel: {}", c.ags.join(", ")));
        }
        details.push(format!("Anerkannte Charta: Version {}", c.charta_version));
        details.push(format!("Ausgestellt von {}", c.issuer));
    }
    if let Some(broker) = &status.broker_url {
        details.push(format!("Broker: {broker}"));
    }
    details.push(format!("Geprüft am {}", format_ms(status.checked_ms)));
    MembershipView { state, details }
}

/// A message waiting for delivery.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// The message type.
    pub message_type: String,
    /// Where it goes.
    pub url: String,
    /// Attempts so far.
    pub attempts: u32,
    /// The next attempt.
    pub next_attempt: String,
    /// The last failure.
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    nav: Nav,
    did: String,
    dsp_base_url: String,
    version: &'static str,
    membership: MembershipView,
    counts: Vec<(&'static str, usize, &'static str)>,
    outbox: Vec<OutboxRow>,
}

/// `GET /dashboard`.
pub async fn overview(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
) -> Result<Response, PageError> {
    let app = &dashboard.app;
    let nav = Nav::new(&dashboard, &session, "overview")?;
    let negotiations = app.negotiations.list()?;
    let running = negotiations
        .iter()
        .filter(|n| !n.state.is_terminal())
        .count();
    let transfers_running = app
        .transfers
        .list()?
        .iter()
        .filter(|t| matches!(t.state.as_str(), "REQUESTED" | "STARTED" | "SUSPENDED"))
        .count();
    let outbox = app
        .outbox
        .pending()?
        .into_iter()
        .map(|e| OutboxRow {
            message_type: e.message_type,
            url: e.url,
            attempts: e.attempts,
            next_attempt: format_ms(e.next_attempt_ms),
            last_error: e.last_error.unwrap_or_default(),
        })
        .collect();
    let page = OverviewPage {
        counts: vec![
            (
                "Datensätze",
                app.assets.assets()?.len(),
                "/dashboard/assets",
            ),
            ("Angebote", app.assets.offers()?.len(), "/dashboard/assets"),
            (
                "Vertragsvorlagen",
                app.assets.templates()?.len(),
                "/dashboard/assets",
            ),
            ("Laufende Verhandlungen", running, "/dashboard/negotiations"),
            (
                "Warten auf Freigabe",
                nav.waiting,
                "/dashboard/negotiations",
            ),
            (
                "Geschlossene Verträge",
                app.negotiations.agreements()?.len(),
                "/dashboard/agreements",
            ),
            (
                "Laufende Übertragungen",
                transfers_running,
                "/dashboard/transfers",
            ),
        ],
        nav,
        did: app.identity.did.clone(),
        dsp_base_url: app.identity.dsp_base_url.clone(),
        version: env!("CARGO_PKG_VERSION"),
        membership: membership(app),
        outbox,
    };
    render(&page)
}

/// An offer in plain language.
#[derive(Debug, Clone)]
pub struct OfferView {
    /// Its id.
    pub id: String,
    /// The template (title, id and version) or `—`.
    pub template: String,
    /// Parameter values with the template's labels and in words.
    pub parameters: Vec<(String, String)>,
    /// Key terms of the ODRL offer.
    pub terms: Vec<key_terms::TermGroup>,
    /// Who approves requests.
    pub approval: &'static str,
    /// Who may see it.
    pub visible_to: Vec<String>,
}

/// An asset with its offers.
#[derive(Debug, Clone)]
pub struct AssetView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Facts (themes, AGS, licence, …).
    pub facts: Vec<(&'static str, String)>,
    /// Offers.
    pub offers: Vec<OfferView>,
}

/// Describes an offer: the template's parameter labels with the values in words.
pub fn offer_view(app: &App, offer: &Offer) -> OfferView {
    let charta = app.terms.charta();
    let template = offer.template.as_ref().and_then(|t| {
        app.assets
            .template(&t.id, &t.version)
            .ok()
            .flatten()
            .and_then(|r| ContractTemplate::parse(&r.source).ok())
    });
    let parameters = offer
        .parameters
        .iter()
        .map(|(name, value)| {
            let decl = template.as_ref().and_then(|t| t.parameters.get(name));
            let label = decl.map_or_else(|| name.clone(), |d| d.label.clone());
            let words = decl
                .and_then(|d| contracts::template::ParamValue::parse(d.ty, value).ok())
                .map_or_else(|| value.clone(), |v| v.prose(charta.purposes()));
            (label, words)
        })
        .collect();
    OfferView {
        id: offer.id.clone(),
        template: match (&offer.template, &template) {
            (Some(r), Some(t)) => format!("{} ({} {})", t.title, r.id, r.version),
            (Some(r), None) => format!("{} {}", r.id, r.version),
            _ => "—".to_owned(),
        },
        parameters,
        terms: key_terms::of_json(&offer.message_json(), charta),
        approval: match offer.approval {
            ApprovalMode::Automatic => "automatisch, wenn die Prüfung es erlaubt",
            ApprovalMode::Manual => "von Hand: jede Anfrage wartet auf Freigabe",
        },
        visible_to: match &offer.visibility {
            Some(v) => key_terms::conditions_of_json(v, charta),
            None => vec!["alle zugelassenen Mitglieder".to_owned()],
        },
    }
}

#[derive(Template)]
#[template(path = "dashboard/assets.html")]
struct AssetsPage {
    nav: Nav,
    assets: Vec<AssetView>,
    templates: Vec<(String, String, String)>,
}

/// `GET /dashboard/assets`.
pub async fn assets(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
) -> Result<Response, PageError> {
    let app = &dashboard.app;
    let nav = Nav::new(&dashboard, &session, "assets")?;
    let mut offers: BTreeMap<String, Vec<OfferView>> = BTreeMap::new();
    for offer in app.assets.offers()? {
        offers
            .entry(offer.asset_id.clone())
            .or_default()
            .push(offer_view(app, &offer));
    }
    let assets = app
        .assets
        .assets()?
        .into_iter()
        .map(|a| {
            let mut facts = Vec::new();
            if !a.themes.is_empty() {
                facts.push(("Themen", a.themes.join(", ")));
            }
            if let Some(ags) = &a.ags {
                facts.push(("Gemeindeschlüssel", ags.clone()));
            }
            if let Some(l) = &a.license {
                facts.push(("Lizenz", l.clone()));
            }
            if let Some(p) = &a.publisher {
                facts.push(("Herausgeber", p.clone()));
            }
            if a.personal_adjacent {
                facts.push(("Personennah", "ja: nur Aggregate in der Sandbox".to_owned()));
            }
            facts.push(("Geändert", format_ms(a.updated_ms)));
            AssetView {
                offers: offers.remove(&a.id).unwrap_or_default(),
                id: a.id,
                title: a.title,
                description: a.description,
                facts,
            }
        })
        .collect();
    let templates = app
        .assets
        .templates()?
        .into_iter()
        .map(|t| (t.title, t.id, t.version))
        .collect();
    render(&AssetsPage {
        nav,
        assets,
        templates,
    })
}
