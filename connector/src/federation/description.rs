//! The self-description this connector publishes: one DCAT-AP.de catalogue with the
//! participant (as its membership credential certifies it) as publisher, the connector as
//! data service, and every asset as a dataset whose distribution is the connector's DSP
//! endpoint — with the ODRL terms of each public offer in the graph
//! ([`super::policy_graph`]), so the broker's search names the template and its key terms.
//!
//! Offers with a visibility policy (shown only to some members) are left out: the broker is
//! public. The graph is checked with `vocab::validate` before anything is signed; the
//! violations name node, property and rule.

use oxigraph::model::Graph;
use serde_json::json;
use sha2::Digest;
use vocab::model::{
    ContactPoint, DataService, DataTheme, Dataset, Distribution, License, Participant,
    ParticipantType, SelfDescription, Text,
};

use super::FederationError;
use super::policy_graph::{TemplateName, add_offer};
use crate::assets::{Asset, Assets, Offer};
use crate::config::Config;
use contracts::membership::Membership;

/// A self-description ready to be signed.
#[derive(Debug, Clone)]
pub struct Description {
    /// The graph as Turtle (what is signed).
    pub turtle: String,
    /// Datasets in it.
    pub datasets: usize,
    /// Offers in it.
    pub offers: usize,
    /// SHA-256 over the content (not the Turtle, whose blank node labels vary): equal
    /// fingerprints mean nothing needs to be published again.
    pub fingerprint: String,
}

fn bad(message: impl Into<String>) -> FederationError {
    FederationError::Description(message.into())
}

/// The IRI of `segment` under `<public_url>/<path>/`.
fn iri_under(config: &Config, path: &str, segment: &str) -> Result<String, FederationError> {
    let mut url = reqwest::Url::parse(&format!("{}/{path}/", config.public_base()))
        .map_err(|e| bad(format!("dsp.public_url: {e}")))?;
    url.path_segments_mut()
        .map_err(|_| bad("dsp.public_url cannot be a base URL"))?
        .pop_if_empty()
        .push(segment);
    Ok(url.to_string())
}

fn participant(config: &Config, did: &str, m: &Membership) -> Result<Participant, FederationError> {
    let c = config.federation.contact.as_ref().ok_or_else(|| {
        bad("federation.contact is required to publish: add [federation.contact] with a name and an email, phone or url to connector.toml")
    })?;
    let participant_type = ParticipantType::from_iri(&m.claims.participant_type).ok_or_else(|| {
        bad(format!(
            "the membership credential names the participant type {}, which this connector cannot describe",
            m.claims.participant_type
        ))
    })?;
    let contact = ContactPoint {
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        url: c.url.clone(),
    };
    let mut p = Participant::new(
        did,
        m.claims.legal_name.clone(),
        participant_type,
        contact,
        config.dsp_base_url(),
    );
    if let Some(a) = m.claims.ags.first() {
        p = p.with_ags(
            vocab::ags::Ags::parse(a).map_err(|e| bad(format!("the credential's AGS {a}: {e}")))?,
        );
    }
    if let Some(h) = &config.federation.homepage {
        p = p.with_homepage(h.clone());
    }
    Ok(p)
}

fn license(asset: &Asset) -> Result<License, FederationError> {
    match asset.license.as_deref().map(str::trim) {
        None | Some("") => {
            License::from_id("other-closed").map_err(|e| bad(format!("asset {}: {e}", asset.id)))
        }
        Some(l) => License::from_iri(l)
            .or_else(|_| License::from_id(l))
            .map_err(|e| bad(format!("asset {}: license: {e}", asset.id))),
    }
}

fn dataset(
    config: &Config,
    p: &Participant,
    service_iri: &str,
    asset: &Asset,
    offer_iris: &[String],
) -> Result<Dataset, FederationError> {
    let iri = iri_under(config, "datasets", &asset.id)?;
    let description = if asset.description.trim().is_empty() {
        asset.title.clone()
    } else {
        asset.description.clone()
    };
    let mut d = Dataset::new(
        iri.clone(),
        Text::de(asset.title.clone()),
        Text::de(description),
        p.agent(),
        license(asset)?,
    )
    .with_identifier(asset.id.clone())
    .with_keywords(asset.keywords.iter().filter(|k| !k.trim().is_empty()))
    .with_contact_point(p.contact.clone())
    .with_personal_adjacent(asset.personal_adjacent)
    .with_distribution(
        Distribution::new(format!("{iri}#dsp"), config.dsp_base_url())
            .with_title(Text::de("Zugang über den Konnektor (Dataspace Protocol)"))
            .with_access_service(service_iri),
    );
    for t in &asset.themes {
        let theme = DataTheme::from_code(t)
            .or_else(|| DataTheme::from_iri(t))
            .ok_or_else(|| {
                bad(format!(
                    "asset {}: theme {t:?} is not an EU data theme",
                    asset.id
                ))
            })?;
        d = d.with_theme(theme);
    }
    if let Some(a) = &asset.ags {
        d = d.with_spatial(
            vocab::ags::Ags::parse(a).map_err(|e| bad(format!("asset {}: ags: {e}", asset.id)))?,
        );
    }
    let modified =
        chrono::DateTime::from_timestamp_millis(asset.updated_ms).map(|t| t.date_naive());
    d = d.with_dates(None, modified);
    for o in offer_iris {
        d = d.with_offered_policy(o.clone());
    }
    Ok(d)
}

/// Builds and checks the self-description of this connector's assets and public offers.
pub fn build(
    config: &Config,
    did: &str,
    m: &Membership,
    assets: &Assets,
) -> Result<Description, FederationError> {
    let p = participant(config, did, m)?;
    let service_iri = format!("{}#connector", config.dsp_base_url());
    let service = DataService::new(
        service_iri.clone(),
        Text::de(format!("Konnektor von {}", p.legal_name)),
        config.dsp_base_url(),
    );
    let title = config
        .federation
        .catalog_title
        .clone()
        .unwrap_or_else(|| format!("Datenkatalog von {}", p.legal_name));
    let mut sd = SelfDescription::new(
        format!("{}/catalog", config.public_base()),
        Text::de(title),
        Text::de(format!(
            "Datensätze von {}, erhältlich über den Konnektor unter den Bedingungen der Datennutzungscharta.",
            p.legal_name
        )),
        p.clone(),
        service,
    );
    let offers: Vec<Offer> = assets
        .offers()?
        .into_iter()
        .filter(|o| o.visibility.is_none() && o.tck.is_none())
        .collect();
    let mut published_offers: Vec<(String, &Offer)> = Vec::new();
    for asset in assets.assets()? {
        let mut iris = Vec::new();
        for o in offers.iter().filter(|o| o.asset_id == asset.id) {
            let iri = iri_under(config, "offers", &o.id)?;
            iris.push(iri.clone());
            published_offers.push((iri, o));
        }
        sd = sd.with_dataset(dataset(config, &p, &service_iri, &asset, &iris)?);
    }
    sd.check()
        .map_err(|e| bad(format!("the self-description: {e}")))?;
    let mut graph: Graph = sd
        .to_graph()
        .map_err(|e| bad(format!("the self-description: {e}")))?;
    let mut fingerprint_input = vec![serde_json::to_value(&sd).unwrap_or_default()];
    for (iri, o) in &published_offers {
        let policy = contracts::odrl::Policy::from_dsp_json(&o.policy)
            .map_err(|e| bad(format!("offer {}: its ODRL policy: {e}", o.id)))?;
        let template = match &o.template {
            Some(t) => Some(TemplateName {
                id: t.id.clone(),
                version: t.version.clone(),
                title: assets
                    .template(&t.id, &t.version)?
                    .map(|r| r.title)
                    .unwrap_or_else(|| t.id.clone()),
            }),
            None => None,
        };
        add_offer(&mut graph, iri, &policy, template.as_ref())
            .map_err(|e| bad(format!("offer {}: {e}", o.id)))?;
        fingerprint_input.push(json!({
            "iri": iri,
            "policy": o.policy,
            "template": template.as_ref().map(|t| [&t.id, &t.version, &t.title]),
        }));
    }
    if let Err(report) = vocab::validate::validate(&graph) {
        return Err(bad(format!(
            "the self-description is not valid DCAT-AP.de: {}",
            report
                .violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let turtle =
        vocab::rdf::to_turtle(&graph).map_err(|e| bad(format!("the self-description: {e}")))?;
    let fingerprint = hex::encode(sha2::Sha256::digest(
        serde_json::to_vec(&fingerprint_input).unwrap_or_default(),
    ));
    Ok(Description {
        turtle,
        datasets: sd.datasets.len(),
        offers: published_offers.len(),
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use contracts::charta::Charta;
    use contracts::membership::{AcceptedCharta, MembershipClaims, StatusEntry, Validity};
    use vocab::jose::SigningKey;

    use super::*;
    use crate::assets::{ApprovalMode, AssetSource, TemplateRef};
    use crate::config::SampleParams;
    use crate::federation::ContactConfig;
    use crate::store::SledStore;
    use crate::terms::Terms;

    const TEMPLATE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/templates/mobilitaetsdaten-verkehrsplanung.md"
    ));

    fn config() -> Config {
        let charta = Charta::default_1_0();
        let text = Config::sample_toml(&SampleParams {
            legal_name: "Stadtwerke Musterstadt GmbH",
            public_url: "https://stadtwerke.example:8443",
            did: "did:web:stadtwerke.example%3A8443",
            dsp_listen: "127.0.0.1:8443",
            management_listen: "127.0.0.1:8444",
            authority_did: "did:web:broker.example",
            charta_version: charta.version(),
            charta_sha256: charta.sha256(),
        });
        let mut c = Config::from_toml(&text, std::path::Path::new("/tmp")).expect("config");
        c.federation.contact = Some(ContactConfig {
            name: "Datenmanagement".into(),
            email: Some("daten@stadtwerke.example".into()),
            phone: None,
            url: None,
        });
        c
    }

    fn membership(did: &str, key: &SigningKey) -> Membership {
        let authority = SigningKey::generate("did:web:broker.example#authority-key").expect("key");
        let charta = Charta::default_1_0();
        let now = chrono::Utc::now().timestamp();
        let jwt = contracts::membership::issue(
            &authority,
            &MembershipClaims {
                participant: did.into(),
                legal_name: "Stadtwerke Musterstadt GmbH".into(),
                participant_type: "https://w3id.org/gemeinwohl-datenraum/ns#Company".into(),
                ags: vec!["09162000".into()],
                charta_version: charta.version().into(),
                charta_hash: charta.sha256().into(),
                participant_key: key.public_key(),
                status: StatusEntry {
                    list_url: "https://broker.example/api/v1/status-list".into(),
                    index: 1,
                },
            },
            Validity {
                not_before: now - 10,
                not_after: now + 3600,
            },
        )
        .expect("issue");
        contracts::membership::verify(
            &jwt,
            &authority.public_key(),
            now,
            &[AcceptedCharta::of(&charta)],
            None,
        )
        .expect("verify")
    }

    fn asset(id: &str, themes: &[&str]) -> Asset {
        Asset {
            id: id.into(),
            title: "Verkehrszählung Musterstadt 2024".into(),
            description: "Stündliche Zählwerte aller Dauerzählstellen.".into(),
            keywords: vec!["Verkehr".into()],
            themes: themes.iter().map(|t| (*t).to_owned()).collect(),
            ags: Some("09162000".into()),
            license: Some("http://dcat-ap.de/def/licenses/dl-by-de/2.0".into()),
            publisher: None,
            personal_adjacent: false,
            source: AssetSource::None,
            origin: None,
            created_ms: 1_750_000_000_000,
            updated_ms: 1_750_000_000_000,
        }
    }

    fn offer(id: &str, asset_id: &str, visibility: Option<serde_json::Value>) -> Offer {
        let template = contracts::template::Template::parse(TEMPLATE).expect("template");
        let rendered = template
            .render(&BTreeMap::new(), &Charta::default_1_0())
            .expect("render");
        let mut policy = rendered.offer.to_dsp_json();
        if let serde_json::Value::Object(m) = &mut policy {
            m.remove("@context");
            m.remove("target");
            m.insert("@id".into(), id.into());
        }
        Offer {
            id: id.into(),
            asset_id: asset_id.into(),
            template: Some(TemplateRef {
                id: rendered.template_id,
                version: rendered.template_version,
            }),
            parameters: rendered.parameters,
            policy,
            contract_markdown: rendered.markdown,
            contract_sha256: "00".repeat(32),
            approval: ApprovalMode::Automatic,
            visibility,
            tck: None,
            created_ms: 1_750_000_000_000,
        }
    }

    fn assets() -> Assets {
        let store: Arc<dyn crate::store::Store> = Arc::new(SledStore::temporary().expect("store"));
        Assets::new(store, Arc::new(Terms::default()))
    }

    #[test]
    fn the_description_is_valid_dcat_with_the_offers_terms_and_leaves_restricted_offers_out() {
        let c = config();
        let did = c.did().expect("did");
        let key = SigningKey::generate(&format!("{did}#key-1")).expect("key");
        let m = membership(&did, &key);
        let a = assets();
        a.put(
            &[asset("verkehr-2024", &["TRAN"]), asset("parken-2024", &[])],
            &[
                offer("offer-1", "verkehr-2024", None),
                offer(
                    "offer-2",
                    "parken-2024",
                    Some(serde_json::json!({"@type": "Offer", "permission": [{"action": "use"}]})),
                ),
            ],
        )
        .expect("put");
        let d = build(&c, &did, &m, &a).expect("valid");
        assert_eq!(
            (d.datasets, d.offers),
            (2, 1),
            "the restricted offer is not published"
        );
        assert!(
            d.turtle.contains("mobilitaetsdaten-verkehrsplanung"),
            "{}",
            d.turtle
        );
        assert!(
            d.turtle
                .contains("https://stadtwerke.example:8443/offers/offer-1")
        );
        assert!(!d.turtle.contains("offer-2"));
        // The Turtle parses, and the broker's reading of the offer finds the purposes.
        let graph = vocab::rdf::parse(d.turtle.as_bytes(), vocab::rdf::Syntax::Turtle, None)
            .expect("turtle");
        vocab::validate::validate(&graph).expect("DCAT-AP.de valid");
        let policy = contracts::odrl::Policy::from_turtle(
            &d.turtle,
            Some("https://stadtwerke.example:8443/offers/offer-1"),
        )
        .expect("policy");
        assert!(!policy.permissions.is_empty());
        // Same content, same fingerprint (blank node labels do not matter); a change shows.
        assert_eq!(
            build(&c, &did, &m, &a).expect("again").fingerprint,
            d.fingerprint
        );
        a.put(&[asset("hallenbad-2024", &[])], &[]).expect("put");
        assert_ne!(
            build(&c, &did, &m, &a).expect("changed").fingerprint,
            d.fingerprint
        );
    }

    #[test]
    fn problems_name_the_asset_or_the_missing_setting() {
        let mut c = config();
        let did = c.did().expect("did");
        let key = SigningKey::generate(&format!("{did}#key-1")).expect("key");
        let m = membership(&did, &key);
        let a = assets();
        a.put(&[asset("verkehr-2024", &["VERKEHR"])], &[])
            .expect("put");
        let e = build(&c, &did, &m, &a).expect_err("bad theme");
        assert!(
            e.to_string().contains("asset verkehr-2024") && e.to_string().contains("VERKEHR"),
            "{e}"
        );
        c.federation.contact = None;
        let e = build(&c, &did, &m, &a).expect_err("no contact");
        assert!(e.to_string().contains("federation.contact"), "{e}");
    }
}
