//! The TCK's contract negotiation scenarios, played by the test against a connector in TCK
//! mode: the test acts as the TCK (its fixed Authorization header, its dataset and offer ids
//! from `tck-sample.properties`), the connector as provider (CN) or consumer (CN_C).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::connector::{ConnectorOptions, TestConnector, spec_path};
use super::env::TestEnv;
use super::identity::Member;
use super::messages;
use super::peer::{Peer, PeerAuth, Received};

/// A value of the TCK's sample properties.
pub fn tck_property(key: &str) -> String {
    let text = std::fs::read_to_string(spec_path("dsp-2025-1/tck-sample.properties"))
        .expect("tck-sample.properties");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("{key} not in tck-sample.properties"))
}

/// The TCK's participant id.
pub const TCK_PARTICIPANT: &str = "TCK_PARTICIPANT";

/// The provider pid the peer hands out for a consumer pid (the peer plays the provider).
pub fn provider_pid_for(consumer_pid: &str) -> String {
    format!("urn:tck:provider:{consumer_pid}")
}

/// A scenario with the connector as provider.
pub struct ProviderScenario {
    /// The environment.
    pub env: TestEnv,
    /// The connector under test.
    pub connector: TestConnector,
    /// The test playing the TCK consumer.
    pub peer: Peer,
    /// The dataset.
    pub dataset: String,
    /// The offer.
    pub offer: String,
    /// The consumer pid (the test's).
    pub consumer_pid: String,
    /// The provider pid (the connector's).
    pub provider_pid: String,
}

impl ProviderScenario {
    /// Starts the connector and sends the initial contract request for the scenario's dataset
    /// (`scenario` is the property prefix, e.g. `CN_01_01`).
    pub async fn start(test: &str, scenario: &str) -> Self {
        let env = TestEnv::new(test);
        let connector =
            TestConnector::start(&env, ConnectorOptions::company("provider").with_tck()).await;
        let peer = Peer::start(&env, Member::company("TCK"), PeerAuth::Tck).await;
        let dataset = tck_property(&format!("{scenario}_DATASETID"));
        let offer = tck_property(&format!("{scenario}_OFFERID"));
        let consumer_pid = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        let (status, ack) = peer
            .send(
                &connector,
                "negotiations/request",
                &messages::contract_request(
                    &consumer_pid,
                    messages::offer(&offer, &dataset),
                    &peer.base(),
                ),
            )
            .await;
        assert_eq!(status, 201, "contract request: {ack}");
        assert_eq!(ack["@type"], "ContractNegotiation");
        assert_eq!(ack["state"], "REQUESTED");
        assert_eq!(ack["consumerPid"], consumer_pid.as_str());
        let provider_pid = ack["providerPid"].as_str().expect("providerPid").to_owned();
        Self {
            env,
            connector,
            peer,
            dataset,
            offer,
            consumer_pid,
            provider_pid,
        }
    }

    /// Waits for the connector's message of `type_` to `negotiations/{consumerPid}/{suffix}`.
    pub async fn expect(&self, type_: &str, suffix: &str) -> Received {
        let path = format!("/dsp/negotiations/{}/{suffix}", self.consumer_pid);
        let r = self
            .peer
            .wait_for(type_, 20, |r| r.type_() == type_ && r.path == path)
            .await;
        assert_eq!(r.body["providerPid"], self.provider_pid.as_str());
        assert_eq!(r.body["consumerPid"], self.consumer_pid.as_str());
        r
    }

    /// Sends a message to `negotiations/{providerPid}/{suffix}` (empty suffix: the negotiation).
    pub async fn send(&self, suffix: &str, body: &Value) -> (u16, Value) {
        self.peer
            .send(
                &self.connector,
                &format!("negotiations/{}/{suffix}", self.provider_pid),
                body,
            )
            .await
    }

    /// Sends a message the connector must refuse with 4xx (and a DSP error body).
    pub async fn send_refused(&self, suffix: &str, body: &Value) {
        let (status, err) = self.send(suffix, body).await;
        assert!(
            (400..500).contains(&status) && status != 404,
            "expected a 4xx (not 404), got {status}: {err}"
        );
        assert_eq!(err["@type"], "ContractNegotiationError", "{err}");
    }

    /// The provider's state as the TCK reads it (`GET /negotiations/{providerPid}`).
    pub async fn state(&self) -> String {
        let (status, n) = self
            .peer
            .get(
                &self.connector,
                &format!("negotiations/{}", self.provider_pid),
            )
            .await;
        assert_eq!(status, 200, "{n}");
        assert_eq!(n["@type"], "ContractNegotiation");
        n["state"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the provider's state is `state`.
    pub async fn wait_state(&self, state: &str) {
        wait(|| self.state(), state).await;
    }

    /// The messages of the accepted offer and the counter-offer as the TCK sends them.
    pub fn counter_offer(&self) -> Value {
        messages::counter_request(
            &self.provider_pid,
            &self.consumer_pid,
            json!({"@type": "Offer", "@id": self.offer, "target": self.dataset,
                   "permission": [{"action": "use", "constraint": []}],
                   "assigner": self.connector.did, "assignee": TCK_PARTICIPANT}),
        )
    }
}

async fn wait<F, Fut>(mut read: F, state: &str)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = read().await;
        if now == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "state is {now}, expected {state}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A scenario with the connector as consumer.
pub struct ConsumerScenario {
    /// The environment.
    pub env: TestEnv,
    /// The connector under test.
    pub connector: TestConnector,
    /// The test playing the TCK provider.
    pub peer: Peer,
    /// The dataset.
    pub dataset: String,
    /// The consumer pid (the connector's).
    pub consumer_pid: String,
    /// The provider pid (the test's).
    pub provider_pid: String,
    /// The connector's callback address.
    pub callback: String,
}

impl ConsumerScenario {
    /// Starts the connector and triggers a negotiation for the scenario's dataset through the
    /// TCK endpoint (`scenario`: `CN_C_01_01`, …); returns when the contract request arrived.
    pub async fn start(test: &str, scenario: &str) -> Self {
        let env = TestEnv::new(test);
        let connector =
            TestConnector::start(&env, ConnectorOptions::municipality("consumer").with_tck()).await;
        let peer = Peer::start(&env, Member::company("TCK"), PeerAuth::Tck).await;
        peer.set_responder(std::sync::Arc::new(|r: &Received| {
            if r.method == "POST" && r.path.ends_with("/negotiations/request") {
                let cpid = r.body["consumerPid"].as_str().unwrap_or_default();
                let ack = json!({"@context": messages::ctx(), "@type": "ContractNegotiation",
                    "providerPid": provider_pid_for(cpid), "consumerPid": cpid, "state": "REQUESTED"});
                (axum::http::StatusCode::CREATED, Some(ack))
            } else {
                (axum::http::StatusCode::OK, None)
            }
        }));
        let dataset = tck_property(&format!("{scenario}_DATASETID"));
        let (status, body) = connector
            .post_unauthenticated(
                "/tck/negotiations/requests",
                &json!({"providerId": TCK_PARTICIPANT, "offerId": format!("CD123:{dataset}:456"),
                        "datasetId": dataset, "connectorAddress": peer.base()}),
            )
            .await;
        assert!((200..300).contains(&status), "TCK trigger: {status} {body}");
        let request = peer
            .wait_type("ContractRequestMessage", "/dsp/negotiations/request")
            .await;
        assert!(request.body.get("providerPid").is_none());
        assert_eq!(request.body["offer"]["target"], dataset.as_str());
        let consumer_pid = request.body["consumerPid"]
            .as_str()
            .expect("consumerPid")
            .to_owned();
        let callback = request.body["callbackAddress"]
            .as_str()
            .expect("callbackAddress")
            .to_owned();
        Self {
            provider_pid: provider_pid_for(&consumer_pid),
            env,
            connector,
            peer,
            dataset,
            consumer_pid,
            callback,
        }
    }

    fn url(&self, suffix: &str) -> String {
        let base = format!(
            "{}/negotiations/{}",
            self.callback.trim_end_matches('/'),
            self.consumer_pid
        );
        if suffix.is_empty() {
            base
        } else {
            format!("{base}/{suffix}")
        }
    }

    /// Sends a message to the connector's callback `negotiations/{consumerPid}/{suffix}`.
    pub async fn send(&self, suffix: &str, body: &Value) -> (u16, Value) {
        self.env.capture.write("sent", body);
        self.peer
            .send_with_auth(&self.url(suffix), Some(super::TCK_AUTHORIZATION), body)
            .await
    }

    /// Sends a message the connector must refuse with 4xx (not 404) and a DSP error.
    pub async fn send_refused(&self, suffix: &str, body: &Value) {
        let (status, err) = self
            .peer
            .send_with_auth(&self.url(suffix), Some(super::TCK_AUTHORIZATION), body)
            .await;
        assert!(
            (400..500).contains(&status) && status != 404,
            "expected a 4xx (not 404), got {status}: {err}"
        );
        assert_eq!(err["@type"], "ContractNegotiationError", "{err}");
    }

    /// Waits for the connector's message of `type_` to `negotiations/{providerPid}/{suffix}`.
    pub async fn expect(&self, type_: &str, suffix: &str) -> Received {
        let path = format!("/dsp/negotiations/{}/{suffix}", self.provider_pid);
        let r = self
            .peer
            .wait_for(type_, 20, |r| r.type_() == type_ && r.path == path)
            .await;
        assert_eq!(
            r.body["providerPid"],
            self.provider_pid.as_str(),
            "{:?}",
            r.body
        );
        assert_eq!(r.body["consumerPid"], self.consumer_pid.as_str());
        r
    }

    /// The consumer's state as the TCK reads it (`GET {callback}/negotiations/{consumerPid}`).
    pub async fn state(&self) -> String {
        let r = self
            .env
            .http
            .get(self.url(""))
            .header("authorization", super::TCK_AUTHORIZATION)
            .send()
            .await
            .expect("GET negotiation");
        assert_eq!(r.status(), 200);
        let n: Value = r.json().await.expect("JSON");
        self.env.capture.write("got", &n);
        assert_eq!(n["@type"], "ContractNegotiation");
        n["state"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the consumer's state is `state`.
    pub async fn wait_state(&self, state: &str) {
        wait(|| self.state(), state).await;
    }

    /// An offer message from the provider (the test).
    pub fn offer_message(&self) -> Value {
        messages::contract_offer(
            &self.provider_pid,
            &self.consumer_pid,
            messages::offer(&format!("urn:uuid:{}", uuid::Uuid::new_v4()), &self.dataset),
        )
    }

    /// An agreement message from the provider (the test).
    pub fn agreement_message(&self) -> Value {
        messages::contract_agreement(
            &self.provider_pid,
            &self.consumer_pid,
            &self.dataset,
            TCK_PARTICIPANT,
            &self.connector.did,
        )
    }
}
