//! The agreement pages: the list, and one agreement with its German contract text, its key
//! terms and both parties' signatures, verified again when the page is shown (with this
//! connector's key and the key the other party's membership credential binds).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use contracts::agreement::Role as SigningRole;
use vocab::jose::PublicKey;

use super::error::{PageError, render};
use super::session::AuthSession;
use super::{Dashboard, Nav, format_ms, key_terms, markdown, path_segment};
use crate::app::App;
use crate::negotiation::AgreementRecord;
use crate::process::Role;

/// One line of the agreement list.
#[derive(Debug, Clone)]
pub struct AgreementRow {
    /// Link to the agreement's page.
    pub href: String,
    /// The other party.
    pub counterparty: String,
    /// Our side.
    pub role: &'static str,
    /// The dataset.
    pub dataset: String,
    /// Both signatures verified at conclusion.
    pub fully_signed: bool,
    /// When.
    pub finalized: String,
}

#[derive(Template)]
#[template(path = "dashboard/agreements.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<AgreementRow>,
}

fn role_de(role: Role) -> &'static str {
    match role {
        Role::Provider => "Datengeber",
        Role::Consumer => "Datennehmer",
    }
}

/// `GET /dashboard/agreements`.
pub async fn list(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
) -> Result<Response, PageError> {
    let app = &dashboard.app;
    let nav = Nav::new(&dashboard, &session, "agreements")?;
    let rows = app
        .negotiations
        .agreements()?
        .into_iter()
        .map(|a| AgreementRow {
            href: format!("/dashboard/agreements/{}", path_segment(&a.id)),
            counterparty: a.counterparty_name.clone().unwrap_or_else(|| match a.role {
                Role::Provider => a.consumer.clone(),
                Role::Consumer => a.provider.clone(),
            }),
            role: role_de(a.role),
            dataset: app
                .assets
                .asset(&a.dataset_id)
                .ok()
                .flatten()
                .map_or_else(|| a.dataset_id.clone(), |x| x.title),
            fully_signed: a.fully_signed,
            finalized: format_ms(a.finalized_ms),
        })
        .collect();
    render(&ListPage { nav, rows })
}

/// A party's signature and the result of checking it now.
#[derive(Debug, Clone)]
pub struct SignatureView {
    /// `Datengeber` or `Datennehmer`.
    pub party: &'static str,
    /// The party's identifier.
    pub who: String,
    /// The signing key's id, when signed.
    pub kid: String,
    /// Whether the signature verifies.
    pub valid: bool,
    /// The result in words.
    pub result: String,
}

/// Checks both signatures of a stored agreement now.
pub fn verify_signatures(app: &App, record: &AgreementRecord) -> Vec<SignatureView> {
    let signed = match app.terms.read_agreement(&record.agreement) {
        Ok(s) => s,
        Err(e) => {
            return vec![SignatureView {
                party: "Vertrag",
                who: record.id.clone(),
                kid: String::new(),
                valid: false,
                result: format!("Der gespeicherte Vertrag ist nicht lesbar: {e}"),
            }];
        }
    };
    let own = app.identity.key.public_key();
    let theirs: Option<PublicKey> = app
        .negotiations
        .get(&record.negotiation_id)
        .ok()
        .flatten()
        .and_then(|n| n.counterparty.key)
        .and_then(|jwk| PublicKey::from_jwk_value(&jwk).ok());
    [
        (SigningRole::Provider, Role::Provider, &record.provider),
        (SigningRole::Consumer, Role::Consumer, &record.consumer),
    ]
    .into_iter()
    .map(|(signing_role, role, who)| {
        let kid = signed
            .signatures
            .iter()
            .find(|s| s.role == signing_role)
            .map(|s| s.kid.clone());
        let key = if role == record.role {
            Some(own.clone())
        } else {
            theirs.clone()
        };
        let (valid, result) = match (&kid, key) {
            (None, _) => (false, "Unterschrift fehlt".to_owned()),
            (Some(_), None) => (
                false,
                "nicht prüfbar: der Schlüssel des Gegenübers ist nicht bekannt".to_owned(),
            ),
            (Some(_), Some(key)) => match app.terms.verify_party(&signed, signing_role, &key) {
                Ok(()) => (true, "gültig (jetzt geprüft)".to_owned()),
                Err(e) => (false, format!("ungültig: {e}")),
            },
        };
        SignatureView {
            party: role_de(role),
            who: who.clone(),
            kid: kid.unwrap_or_default(),
            valid,
            result,
        }
    })
    .collect()
}

#[derive(Template)]
#[template(path = "dashboard/agreement.html")]
struct DetailPage {
    nav: Nav,
    id: String,
    facts: Vec<(&'static str, String)>,
    signatures: Vec<SignatureView>,
    terms: Vec<key_terms::TermGroup>,
    contract_html: Option<String>,
    negotiation_href: String,
}

/// `GET /dashboard/agreements/{id}`.
pub async fn show(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let app = &dashboard.app;
    let nav = Nav::new(&dashboard, &session, "agreements")?;
    let record = app
        .negotiations
        .agreement(&id)?
        .ok_or_else(|| PageError::NotFound(format!("Kein Vertrag {id}.")))?;
    let charta = app.terms.charta();
    let signatures = verify_signatures(app, &record);
    let terms = match app.terms.read_agreement(&record.agreement) {
        Ok(s) => key_terms::of_policy(&s.agreement.policy, charta),
        Err(_) => Vec::new(),
    };
    let mut facts = vec![
        ("Unsere Rolle", role_de(record.role).to_owned()),
        ("Datengeber", record.provider.clone()),
        ("Datennehmer", record.consumer.clone()),
    ];
    if let Some(name) = &record.counterparty_name {
        facts.push(("Name des Gegenübers", name.clone()));
    }
    facts.push(("Datensatz", record.dataset_id.clone()));
    facts.push(("Abgeschlossen", format_ms(record.finalized_ms)));
    facts.push((
        "Beim Abschluss geprüft",
        if record.fully_signed {
            "beide Unterschriften gültig".to_owned()
        } else {
            "nicht beide Unterschriften geprüft".to_owned()
        },
    ));
    if let Some(sha) = &record.contract_sha256 {
        facts.push(("SHA-256 des Vertragstexts", sha.clone()));
    }
    render(&DetailPage {
        nav,
        negotiation_href: format!(
            "/dashboard/negotiations/{}",
            path_segment(&record.negotiation_id)
        ),
        id: record.id.clone(),
        facts,
        signatures,
        terms,
        contract_html: record
            .contract_markdown
            .as_deref()
            .map(markdown::to_safe_html),
    })
}
