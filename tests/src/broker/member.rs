//! A participant as the broker tests see it: its key, its self-description with the ODRL
//! offer, the join request, and signed publication over HTTPS.

use std::collections::BTreeMap;

use contracts::charta::Charta;
use contracts::membership::{ChartaAcceptance, sign_charta_acceptance};
use contracts::template::Template;
use oxigraph::model::Graph;
use serde_json::{Value, json};
use vocab::jose::SigningKey;
use vocab::model::SelfDescription;

use super::{TestBroker, did_path, offer};

const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../contracts/templates/kommunale-planung-aggregiert-12-monate.md"
));

/// The self-description graph plus the rendered ODRL offer of the showcase template, linked
/// from every dataset that names an offer (as a connector publishes it).
pub fn graph_with_offer(sd: &SelfDescription) -> Graph {
    let mut graph = sd.to_graph().expect("self-description graph");
    let template = Template::parse(TEMPLATE).expect("template");
    let rendered = template
        .render(&BTreeMap::new(), &Charta::default_1_0())
        .expect("render");
    let datasets: Vec<String> = sd
        .datasets
        .iter()
        .filter(|d| !d.offered_policies.is_empty())
        .map(|d| d.id.clone())
        .collect();
    offer::add_offer(
        &mut graph,
        &rendered.offer,
        &datasets,
        (
            &rendered.template_id,
            &rendered.template_version,
            &template.title,
        ),
    );
    graph
}

/// A participant of a broker test.
#[derive(Clone)]
pub struct BrokerMember {
    /// Its DID.
    pub did: String,
    /// Its key (`<did>#key-1`).
    pub key: SigningKey,
    /// Its self-description.
    pub sd: SelfDescription,
}

impl BrokerMember {
    /// A member for a self-description (the DID is the self-description's participant).
    pub fn new(sd: SelfDescription) -> Self {
        let did = sd.participant.did.clone();
        let key = SigningKey::generate(&format!("{did}#key-1")).expect("key");
        Self { did, key, sd }
    }

    /// The showcase's Stadtwerke Musterstadt.
    pub fn stadtwerke() -> Self {
        Self::new(vocab::showcase::stadtwerke("https://stadtwerke.example").expect("showcase"))
    }

    /// The showcase's Musterstadt.
    pub fn musterstadt() -> Self {
        Self::new(vocab::showcase::musterstadt("https://musterstadt.example").expect("showcase"))
    }

    /// The JSON join request.
    pub fn join_request(&self) -> Value {
        let acceptance = ChartaAcceptance::new(&Charta::default_1_0(), &self.did, 1_750_000_000);
        let p = &self.sd.participant;
        let mut body = json!({
            "did": self.did,
            "legalName": p.legal_name,
            "participantType": p.participant_type,
            "connectorEndpoint": p.connector_endpoint,
            "publicKey": self.key.public_key().to_jwk_value(),
            "chartaAcceptance": sign_charta_acceptance(&self.key, &acceptance).expect("acceptance"),
        });
        if let Some(a) = &p.ags {
            body["ags"] = Value::String(a.as_str().to_owned());
        }
        body
    }

    /// Sends the join request; returns status and answer.
    pub async fn join(&self, broker: &TestBroker) -> (u16, Value) {
        let r = broker
            .http
            .post(broker.at("/api/v1/participants"))
            .json(&self.join_request())
            .send()
            .await
            .expect("join");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The signed envelope of the self-description (with offer) at `iat`.
    pub fn envelope(&self, iat: i64) -> String {
        let turtle = vocab::rdf::to_turtle(&graph_with_offer(&self.sd)).expect("turtle");
        vocab::envelope::seal(turtle.as_bytes(), &self.key, iat).expect("seal")
    }

    /// Publishes an envelope; returns status and answer.
    pub async fn put(&self, broker: &TestBroker, envelope: String) -> (u16, Value) {
        let r = broker
            .http
            .put(broker.at(&format!(
                "/api/v1/self-descriptions/{}",
                did_path(&self.did)
            )))
            .header("content-type", "application/jose")
            .body(envelope)
            .send()
            .await
            .expect("publish");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Publishes the self-description signed now.
    pub async fn publish(&self, broker: &TestBroker) -> (u16, Value) {
        self.put(broker, self.envelope(chrono::Utc::now().timestamp()))
            .await
    }
}
