//! Shared by the transfer tests: DSP transfer messages as the TCK sends them, and the two TCK
//! scenario drivers — the connector as provider (`TP`, the test plays the TCK consumer) and
//! as consumer (`TP_C`, the test plays the TCK provider). Every message sent and received is
//! captured for `validate-dsp-message`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::harness::messages::ctx;
use tests::harness::tck::{TCK_PARTICIPANT, tck_property};
pub(crate) use tests::harness::urlencode;
use tests::harness::{
    ConnectorOptions, Member, Peer, PeerAuth, Received, TCK_AUTHORIZATION, TestConnector, TestEnv,
};

fn msg_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// A `TransferRequestMessage`.
pub(crate) fn request(consumer_pid: &str, agreement: &str, callback: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "TransferRequestMessage",
           "consumerPid": consumer_pid, "agreementId": agreement, "format": "HttpData-PULL",
           "callbackAddress": callback})
}

/// A `TransferStartMessage` (with a pull address when `endpoint` is given).
pub(crate) fn start(provider_pid: &str, consumer_pid: &str, endpoint: Option<&str>) -> Value {
    let mut m = json!({"@context": ctx(), "@id": msg_id(), "@type": "TransferStartMessage",
           "providerPid": provider_pid, "consumerPid": consumer_pid});
    if let Some(e) = endpoint {
        m["dataAddress"] = json!({"@type": "DataAddress",
            "endpointType": "https://w3id.org/idsa/v4.1/HTTP", "endpoint": e,
            "endpointProperties": [
                {"@type": "EndpointProperty", "name": "authorization", "value": "secret-token"},
                {"@type": "EndpointProperty", "name": "authType", "value": "bearer"}]});
    }
    m
}

/// A `TransferSuspensionMessage`.
pub(crate) fn suspension(provider_pid: &str, consumer_pid: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "TransferSuspensionMessage",
           "providerPid": provider_pid, "consumerPid": consumer_pid, "code": "pause",
           "reason": ["paused by the test"]})
}

/// A `TransferCompletionMessage`.
pub(crate) fn completion(provider_pid: &str, consumer_pid: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "TransferCompletionMessage",
           "providerPid": provider_pid, "consumerPid": consumer_pid})
}

/// A `TransferTerminationMessage`.
pub(crate) fn termination(provider_pid: &str, consumer_pid: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "TransferTerminationMessage",
           "providerPid": provider_pid, "consumerPid": consumer_pid, "code": "stop",
           "reason": ["ended by the test"]})
}

async fn wait_until<F, Fut>(mut read: F, state: &str)
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

/// The connector as provider; the test plays the TCK consumer.
pub(crate) struct ProviderScenario {
    /// The environment.
    pub(crate) env: TestEnv,
    /// The connector under test.
    pub(crate) connector: TestConnector,
    /// The test's side.
    pub(crate) peer: Peer,
    /// The test's consumerPid.
    pub(crate) consumer_pid: String,
    /// The connector's providerPid.
    pub(crate) provider_pid: String,
}

impl ProviderScenario {
    /// Starts the connector and sends the transfer request for the scenario's agreement
    /// (`scenario`: `TP_01_01`, …).
    pub(crate) async fn start(test: &str, scenario: &str) -> Self {
        let env = TestEnv::new(test);
        let connector =
            TestConnector::start(&env, ConnectorOptions::company("provider").with_tck()).await;
        let peer = Peer::start(&env, Member::company("TCK"), PeerAuth::Tck).await;
        let agreement = tck_property(&format!("{scenario}_AGREEMENTID"));
        let consumer_pid = msg_id();
        let (status, ack) = peer
            .send(
                &connector,
                "transfers/request",
                &request(&consumer_pid, &agreement, &peer.base()),
            )
            .await;
        assert_eq!(status, 201, "transfer request: {ack}");
        assert_eq!(ack["@type"], "TransferProcess");
        assert_eq!(ack["state"], "REQUESTED");
        assert_eq!(ack["consumerPid"], consumer_pid.as_str());
        let provider_pid = ack["providerPid"].as_str().expect("providerPid").to_owned();
        Self {
            env,
            connector,
            peer,
            consumer_pid,
            provider_pid,
        }
    }

    /// Waits for the connector's message of `type_` to `transfers/{consumerPid}/{suffix}`.
    pub(crate) async fn expect(&self, type_: &str, suffix: &str) -> Received {
        let path = format!("/dsp/transfers/{}/{suffix}", self.consumer_pid);
        let r = self
            .peer
            .wait_for(type_, 20, |r| r.type_() == type_ && r.path == path)
            .await;
        assert_eq!(r.body["providerPid"], self.provider_pid.as_str());
        assert_eq!(r.body["consumerPid"], self.consumer_pid.as_str());
        r
    }

    /// How many messages of `type_` the connector sent so far.
    pub(crate) fn count(&self, type_: &str) -> usize {
        self.peer
            .received()
            .iter()
            .filter(|r| r.type_() == type_)
            .count()
    }

    /// Sends to `transfers/{providerPid}/{suffix}`.
    pub(crate) async fn send(&self, suffix: &str, body: &Value) -> (u16, Value) {
        self.peer
            .send(
                &self.connector,
                &format!("transfers/{}/{suffix}", self.provider_pid),
                body,
            )
            .await
    }

    /// Sends a message the connector must refuse with 4xx (not 404) and a `TransferError`.
    pub(crate) async fn send_refused(&self, suffix: &str, body: &Value) {
        let (status, err) = self.send(suffix, body).await;
        assert!(
            (400..500).contains(&status) && status != 404,
            "expected a 4xx (not 404), got {status}: {err}"
        );
        assert_eq!(err["@type"], "TransferError", "{err}");
    }

    /// The provider's state as the TCK reads it.
    pub(crate) async fn state(&self) -> String {
        let (status, t) = self
            .peer
            .get(&self.connector, &format!("transfers/{}", self.provider_pid))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["@type"], "TransferProcess");
        t["state"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the provider's state is `state`.
    pub(crate) async fn wait_state(&self, state: &str) {
        wait_until(|| self.state(), state).await;
    }

    /// Messages of the test's side.
    pub(crate) fn start_msg(&self) -> Value {
        start(&self.provider_pid, &self.consumer_pid, None)
    }
    /// A suspension from the test.
    pub(crate) fn suspension(&self) -> Value {
        suspension(&self.provider_pid, &self.consumer_pid)
    }
    /// A completion from the test.
    pub(crate) fn completion(&self) -> Value {
        completion(&self.provider_pid, &self.consumer_pid)
    }
    /// A termination from the test.
    pub(crate) fn termination(&self) -> Value {
        termination(&self.provider_pid, &self.consumer_pid)
    }
}

/// The provider pid the test hands out (it plays the TCK provider).
pub(crate) fn provider_pid_for(consumer_pid: &str) -> String {
    format!("urn:tck:transfer:{consumer_pid}")
}

/// The connector as consumer; the test plays the TCK provider.
pub(crate) struct ConsumerScenario {
    /// The environment.
    pub(crate) env: TestEnv,
    /// The connector under test.
    pub(crate) connector: TestConnector,
    /// The test's side.
    pub(crate) peer: Peer,
    /// The connector's consumerPid.
    pub(crate) consumer_pid: String,
    /// The test's providerPid.
    pub(crate) provider_pid: String,
    /// The connector's callback address.
    pub(crate) callback: String,
}

impl ConsumerScenario {
    /// Starts the connector and triggers a transfer for the scenario's agreement through the
    /// TCK endpoint (`scenario`: `TP_C_01_01`, …); returns when the request arrived.
    pub(crate) async fn start(test: &str, scenario: &str) -> Self {
        let env = TestEnv::new(test);
        let connector =
            TestConnector::start(&env, ConnectorOptions::municipality("consumer").with_tck()).await;
        let peer = Peer::start(&env, Member::company("TCK"), PeerAuth::Tck).await;
        peer.set_responder(std::sync::Arc::new(|r: &Received| {
            if r.method == "POST" && r.path.ends_with("/transfers/request") {
                let cpid = r.body["consumerPid"].as_str().unwrap_or_default();
                let ack = json!({"@context": ctx(), "@type": "TransferProcess",
                    "providerPid": provider_pid_for(cpid), "consumerPid": cpid,
                    "state": "REQUESTED"});
                (axum::http::StatusCode::CREATED, Some(ack))
            } else {
                (axum::http::StatusCode::OK, None)
            }
        }));
        let agreement = tck_property(&format!("{scenario}_AGREEMENTID"));
        let (status, body) = connector
            .post_unauthenticated(
                "/tck/transfers/requests",
                &json!({"providerId": TCK_PARTICIPANT, "agreementId": agreement,
                        "format": "HttpData-PULL", "connectorAddress": peer.base()}),
            )
            .await;
        assert!((200..300).contains(&status), "TCK trigger: {status} {body}");
        let request = peer
            .wait_type("TransferRequestMessage", "/dsp/transfers/request")
            .await;
        assert_eq!(request.body["agreementId"], agreement.as_str());
        assert_eq!(request.body["format"], "HttpData-PULL");
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
            consumer_pid,
            callback,
        }
    }

    fn url(&self, suffix: &str) -> String {
        let base = format!(
            "{}/transfers/{}",
            self.callback.trim_end_matches('/'),
            self.consumer_pid
        );
        if suffix.is_empty() {
            base
        } else {
            format!("{base}/{suffix}")
        }
    }

    /// Sends to the connector's callback `transfers/{consumerPid}/{suffix}`.
    pub(crate) async fn send(&self, suffix: &str, body: &Value) -> (u16, Value) {
        self.env.capture.write("sent", body);
        self.peer
            .send_with_auth(&self.url(suffix), Some(TCK_AUTHORIZATION), body)
            .await
    }

    /// Sends a message the connector must refuse with 4xx (not 404) and a `TransferError`.
    pub(crate) async fn send_refused(&self, suffix: &str, body: &Value) {
        let (status, err) = self.send(suffix, body).await;
        assert!(
            (400..500).contains(&status) && status != 404,
            "expected a 4xx (not 404), got {status}: {err}"
        );
        assert_eq!(err["@type"], "TransferError", "{err}");
    }

    /// Waits for the connector's message of `type_` to `transfers/{providerPid}/{suffix}`.
    pub(crate) async fn expect(&self, type_: &str, suffix: &str) -> Received {
        let path = format!("/dsp/transfers/{}/{suffix}", self.provider_pid);
        let r = self
            .peer
            .wait_for(type_, 20, |r| r.type_() == type_ && r.path == path)
            .await;
        assert_eq!(r.body["providerPid"], self.provider_pid.as_str());
        assert_eq!(r.body["consumerPid"], self.consumer_pid.as_str());
        r
    }

    /// The consumer's state as the TCK reads it.
    pub(crate) async fn state(&self) -> String {
        let r = self
            .env
            .http
            .get(self.url(""))
            .header("authorization", TCK_AUTHORIZATION)
            .send()
            .await
            .expect("GET transfer");
        assert_eq!(r.status(), 200);
        let t: Value = r.json().await.expect("JSON");
        self.env.capture.write("got", &t);
        assert_eq!(t["@type"], "TransferProcess");
        t["state"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the consumer's state is `state`.
    pub(crate) async fn wait_state(&self, state: &str) {
        wait_until(|| self.state(), state).await;
    }

    /// A start message from the test (with a pull address).
    pub(crate) fn start_msg(&self) -> Value {
        start(
            &self.provider_pid,
            &self.consumer_pid,
            Some("https://localhost:9/data/tck"),
        )
    }
    /// A suspension from the test.
    pub(crate) fn suspension(&self) -> Value {
        suspension(&self.provider_pid, &self.consumer_pid)
    }
    /// A completion from the test.
    pub(crate) fn completion(&self) -> Value {
        completion(&self.provider_pid, &self.consumer_pid)
    }
    /// A termination from the test.
    pub(crate) fn termination(&self) -> Value {
        termination(&self.provider_pid, &self.consumer_pid)
    }
}

/// Changes to a connector's settings, made while it is stopped.
pub(crate) type ConnectorSettings<'a> = dyn Fn(&TestEnv, &TestConnector) + 'a;

/// Two real connectors with a finalized agreement about a file of the provider.
pub(crate) struct Pair {
    /// The environment.
    pub(crate) env: TestEnv,
    /// The data holder.
    pub(crate) provider: TestConnector,
    /// The municipality.
    pub(crate) consumer: TestConnector,
    /// The agreement's id.
    pub(crate) agreement: String,
    /// The agreement as the consumer stores it.
    pub(crate) agreement_json: Value,
    /// The data.
    pub(crate) data: Vec<u8>,
}

/// Deterministic pseudo-random bytes.
pub(crate) fn data_of(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// SHA-256 in hex.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Sets `[dataplane]` values in a stopped connector's configuration.
pub(crate) fn set_dataplane(c: &TestConnector, key: &str, value: toml::Value) {
    set_config(c, "dataplane", key, value);
}

/// Sets `[table] key = value` in the (stopped) connector's `connector.toml`.
pub(crate) fn set_config(c: &TestConnector, table: &str, key: &str, value: toml::Value) {
    c.set_config(table, key, value);
}

impl Pair {
    /// Starts both connectors, offers `len` bytes (0: a folder of three files) under the
    /// traffic template with these parameters, negotiates, and returns once the agreement is final on both sides.
    /// `before_offer` may restart the provider with other settings.
    pub(crate) async fn start(test: &str, len: usize, parameters: Value) -> Self {
        Self::start_with(test, len, parameters, |_| {}).await
    }

    /// As [`Pair::start`], with `[dataplane]` settings for the provider.
    pub(crate) async fn start_with(
        test: &str,
        len: usize,
        parameters: Value,
        provider_settings: impl FnOnce(&TestConnector),
    ) -> Self {
        Self::start_in(
            TestEnv::new(test),
            test,
            len,
            parameters,
            |_, p| provider_settings(p),
            None,
            None,
        )
        .await
    }

    /// As [`Pair::start_with`] in a given environment; `consumer_settings`, when given,
    /// restarts the consumer with its changes too; `source`, when given, is the asset's
    /// source instead of a file of `len` bytes (`data` is then empty).
    pub(crate) async fn start_in(
        env: TestEnv,
        test: &str,
        len: usize,
        parameters: Value,
        provider_settings: impl FnOnce(&TestEnv, &TestConnector),
        consumer_settings: Option<&ConnectorSettings<'_>>,
        source: Option<Value>,
    ) -> Self {
        let mut provider =
            TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
        let mut consumer =
            TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
        provider.terminate();
        provider_settings(&env, &provider);
        provider.spawn().await;
        if let Some(settings) = consumer_settings {
            consumer.terminate();
            settings(&env, &consumer);
            consumer.spawn().await;
        }
        let data = if source.is_some() {
            Vec::new()
        } else {
            data_of(len)
        };
        let file = env.dir.join(format!("{test}-verkehr.csv"));
        if source.is_some() {
            // The asset names its source itself.
        } else if len == 0 {
            // A folder: three files, one below a subfolder.
            std::fs::create_dir_all(file.join("2024")).expect("folder");
            std::fs::write(file.join("zaehlstellen.csv"), data_of(70_000)).expect("file");
            std::fs::write(file.join("2024/januar.csv"), data_of(1_000_001)).expect("file");
            std::fs::write(file.join("liesmich.txt"), "Zählwerte je Stunde\n").expect("file");
        } else {
            std::fs::write(&file, &data).expect("data file");
        }
        let template = std::fs::read_to_string(format!(
            "{}/../contracts/templates/mobilitaetsdaten-verkehrsplanung.md",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("template");
        let (status, t) = provider
            .post_text("/api/v1/templates", &template, "text/markdown")
            .await;
        assert_eq!(status, 201, "template: {t}");
        let (status, a) = provider
            .post(
                "/api/v1/assets",
                &json!({"id": "verkehrszaehlung-2024", "title": "Verkehrszählung 2024",
                        "description": "Stündliche Zählwerte.", "ags": "09162000",
                        "source": source.unwrap_or_else(|| json!({"file": file.display().to_string()}))}),
            )
            .await;
        assert_eq!(status, 201, "asset: {a}");
        let (status, o) = provider
            .post(
                "/api/v1/offers",
                &json!({"asset_id": a["id"], "template_id": t["id"],
                        "template_version": t["version"], "parameters": parameters}),
            )
            .await;
        assert_eq!(status, 201, "offer: {o}");
        let (status, n) = consumer
            .post(
                "/api/v1/negotiations",
                &json!({"connector": provider.dsp_base(), "dataset_id": "verkehrszaehlung-2024",
                        "purpose": "gwd:Verkehrsplanung"}),
            )
            .await;
        assert_eq!(status, 201, "negotiation: {n}");
        consumer
            .wait_state(n["id"].as_str().expect("id"), "FINALIZED", 30)
            .await;
        let (_, agreements) = consumer.get("/api/v1/agreements").await;
        let agreement_json = agreements[0].clone();
        let agreement = agreement_json["id"].as_str().expect("agreement").to_owned();
        // The provider stores it when the FINALIZED event is delivered.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, _) = provider
                .get(&format!("/api/v1/agreements/{}", urlencode(&agreement)))
                .await;
            if status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "the provider has no agreement");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            env,
            provider,
            consumer,
            agreement,
            agreement_json,
            data,
        }
    }

    /// Starts a transfer on the consumer; returns its id.
    pub(crate) async fn transfer(&self, manual: bool) -> String {
        let (status, t) = self
            .consumer
            .post(
                "/api/v1/transfers",
                &json!({"agreement_id": self.agreement, "manual_fetch": manual}),
            )
            .await;
        assert_eq!(status, 201, "transfer: {t}");
        t["id"].as_str().expect("id").to_owned()
    }

    /// Waits until the consumer's transfer satisfies `pred`.
    pub(crate) async fn wait_consumer(
        &self,
        id: &str,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        wait_transfer(&self.consumer, id, what, pred).await
    }

    /// Waits until the consumer's transfer `id` is COMPLETED with its data, and checks the
    /// stored file against the provider's data (digest and bytes).
    pub(crate) async fn completed_and_verified(&self, id: &str) -> Value {
        let t = self
            .wait_consumer(id, "COMPLETED with data", |t| {
                t["state"] == "COMPLETED" && !t["progress"]["done_ms"].is_null()
            })
            .await;
        assert_eq!(
            t["received"][0]["sha256"],
            sha256_hex(&self.data).as_str(),
            "{t}"
        );
        let stored =
            std::fs::read(t["received"][0]["stored_at"].as_str().expect("path")).expect("file");
        assert!(
            stored == self.data,
            "the stored file is the provider's data"
        );
        t
    }

    /// The provider's id of the consumer's transfer `id` and its audit entries about it.
    pub(crate) async fn provider_audit_of(&self, id: &str) -> (String, Vec<Value>) {
        let pid = self.provider_transfer(id).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let (status, log) = self
            .provider
            .get(&format!("/api/v1/audit?process={}", urlencode(&pid)))
            .await;
        assert_eq!(status, 200, "{log}");
        (pid, log.as_array().cloned().unwrap_or_default())
    }

    /// The provider's transfer for the consumer's transfer `id`, once it exists.
    pub(crate) async fn provider_transfer(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, list) = self.provider.get("/api/v1/transfers").await;
            if let Some(t) = list
                .as_array()
                .and_then(|a| a.iter().find(|t| t["consumer_pid"] == id))
            {
                return t.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the provider has no transfer for {id}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// A ticket (endpoint, access token, fresh caller token) for the consumer's transfer.
    pub(crate) async fn ticket(&self, id: &str) -> Value {
        let (status, t) = self
            .consumer
            .post(
                &format!("/api/v1/transfers/{}/ticket", urlencode(id)),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200, "ticket: {t}");
        t
    }

    /// A data request with explicit credentials (and an optional Range).
    pub(crate) async fn get_data(
        &self,
        endpoint: &str,
        authorization: &str,
        caller: &str,
        range: Option<&str>,
    ) -> reqwest::Response {
        let mut r = self
            .env
            .http
            .get(endpoint)
            .header("authorization", authorization)
            .header("x-dsp-caller", caller);
        if let Some(range) = range {
            r = r.header("range", range);
        }
        r.send().await.expect("data request")
    }

    /// The provider's audit entries about the agreement.
    pub(crate) async fn audit(&self, c: &TestConnector) -> Vec<Value> {
        let (status, entries) = c
            .get(&format!(
                "/api/v1/audit?agreement={}",
                urlencode(&self.agreement)
            ))
            .await;
        assert_eq!(status, 200, "{entries}");
        entries.as_array().cloned().unwrap_or_default()
    }
}

/// Waits until the transfer `id` on `c` satisfies `pred`.
pub(crate) async fn wait_transfer(
    c: &TestConnector,
    id: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, t) = c.get(&format!("/api/v1/transfers/{}", urlencode(id))).await;
        if status == 200 && pred(&t) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {what}: {t}\n{}",
            c.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Waits until the audit entries of `c` selected by `query` (`kind=data_access_end`,
/// `agreement=…`; empty: all) satisfy `pred`, and returns them (panics naming `what` after
/// 20 s). An entry recorded together with a state change is staged in the store in the same
/// batch and appended to the log file by the audit writer just after: it is not yet in the
/// log at the moment the state it belongs to is visible. Entries the connector appends
/// before it answers or moves on (data accesses, push ends, deletions) need no wait.
pub(crate) async fn wait_audit(
    c: &TestConnector,
    query: &str,
    what: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, entries) = c.get(&format!("/api/v1/audit?{query}")).await;
        assert_eq!(status, 200, "{entries}");
        let entries = entries.as_array().cloned().unwrap_or_default();
        if pred(&entries) {
            return entries;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the audit log ({query}) has no {what} after 20 s: {entries:?}",
            c.name
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Headers a test proxy does not pass on: hop-by-hop ones and the length (the client sets
/// its own); `Host` too on requests.
fn not_passed_on(name: &axum::http::HeaderName, request: bool) -> bool {
    matches!(
        name.as_str(),
        "content-length" | "connection" | "transfer-encoding"
    ) || (request && name == axum::http::header::HOST)
}

/// `request` (to the proxied service) with the headers of the request a test proxy received.
pub(crate) fn pass_on_headers(
    mut request: reqwest::RequestBuilder,
    headers: &axum::http::HeaderMap,
) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        if !not_passed_on(name, true) {
            request = request.header(name, value);
        }
    }
    request
}

/// The answer a test proxy passes back: the proxied service's status and headers, and `body`.
pub(crate) fn passed_back(
    status: axum::http::StatusCode,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        if !not_passed_on(name, false) {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}
