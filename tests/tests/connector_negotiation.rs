//! Two real connectors over TLS: a data holder offers a dataset under a contract template,
//! a municipality negotiates; the agreement is finalized, signed by both, stored on both sides
//! with its German contract text. Also: refusals with reasons the consumer sees, manual
//! approval, and who may see which offer.

use std::time::{Duration, Instant};

use contracts::agreement::SignedAgreement;
use serde_json::{Value, json};
use sha2::Digest;
use tests::harness::{ConnectorOptions, Member, TestConnector, TestEnv};

fn template(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../contracts/templates/{name}.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("template file")
}

/// The mobility template as a manual-approval variant with its own id and title (requests
/// wait for the provider's operator).
fn manual_mobility_template(id: &str) -> String {
    let base = template("mobilitaetsdaten-verkehrsplanung");
    let manual = base
        .replacen(
            "id = \"mobilitaetsdaten-verkehrsplanung\"",
            &format!("id = \"{id}\""),
            1,
        )
        .replacen("approval = \"automatic\"", "approval = \"manual\"", 1)
        .replacen(
            "title = \"Mobilitätsdaten für die Verkehrsplanung",
            "title = \"Mobilitätsdaten mit Freigabe",
            1,
        );
    assert_ne!(manual, base);
    manual
}

/// Adds a template, an asset and an offer to `provider`; returns the offer.
async fn offer(
    provider: &TestConnector,
    template_name: &str,
    asset: Value,
    visible_to: Value,
) -> Value {
    let (status, t) = provider
        .post_text(
            "/api/v1/templates",
            &template(template_name),
            "text/markdown",
        )
        .await;
    assert!(status == 201, "template: {status} {t}");
    let (status, a) = provider.post("/api/v1/assets", &asset).await;
    assert_eq!(status, 201, "asset: {a}");
    let (status, o) = provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": a["id"], "template_id": t["id"], "template_version": t["version"], "visible_to": visible_to}),
        )
        .await;
    assert_eq!(status, 201, "offer: {o}");
    o
}

fn traffic_asset() -> Value {
    json!({"id": "verkehrszaehlung-2024", "title": "Verkehrszählung Musterstadt 2024",
           "description": "Stündliche Zählwerte aller Dauerzählstellen.", "themes": ["TRAN"],
           "ags": "09162000", "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
           "source": {"file": "/srv/daten/verkehr-2024.csv"}})
}

async fn negotiate(
    consumer: &TestConnector,
    provider: &TestConnector,
    dataset: &str,
    purpose: &str,
) -> String {
    let (status, n) = consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": provider.dsp_base(), "dataset_id": dataset, "purpose": purpose}),
        )
        .await;
    assert_eq!(status, 201, "start: {n}");
    n["id"].as_str().expect("id").to_owned()
}

/// Waits until `count` negotiations on `provider` wait for its operator; returns them.
async fn wait_waiting(provider: &TestConnector, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = provider.get("/api/v1/negotiations?waiting=true").await;
        if let Some(list) = list.as_array().filter(|l| l.len() == count) {
            return list.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{count} negotiation(s) not waiting for approval after 30 s: {list}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the consumer's negotiation `id` has recorded the provider's answer (its
/// `provider_pid`); returns it.
async fn acknowledged(consumer: &TestConnector, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, n) = consumer.get(&format!("/api/v1/negotiations/{id}")).await;
        if n["provider_pid"].is_string() {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "the consumer did not record the provider's answer in 30 s: {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn provider_side(provider: &TestConnector, consumer_negotiation: &Value) -> Value {
    let (_, list) = provider.get("/api/v1/negotiations").await;
    list.as_array()
        .expect("list")
        .iter()
        .find(|n| n["provider_pid"] == consumer_negotiation["provider_pid"])
        .cloned()
        .expect("the provider has the negotiation")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_two_connectors_negotiate_a_finalized_doubly_signed_agreement_over_tls() {
    let env = TestEnv::new("connector_negotiation_finalized");
    let provider = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let consumer = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
    let offer = offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        traffic_asset(),
        Value::Null,
    )
    .await;

    // The consumer sees the offer and its German contract text in the provider's catalog.
    let (status, catalog) = consumer
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": provider.dsp_base()}),
        )
        .await;
    assert_eq!(status, 200, "{catalog}");
    env.capture.write("got", &catalog);
    let listed = &catalog["dataset"][0];
    assert_eq!(listed["@id"], "verkehrszaehlung-2024");
    assert_eq!(listed["hasPolicy"][0]["@id"], offer["id"]);
    let text = listed["hasPolicy"][0]["https://w3id.org/gemeinwohl-datenraum/ns#contractText"]
        .as_str()
        .expect("contract text");
    assert!(text.contains('§'), "a German contract: {text}");

    let id = negotiate(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    let n = consumer.wait_state(&id, "FINALIZED", 30).await;
    let p = provider_side(&provider, &n).await;
    let p = provider
        .wait_state(p["id"].as_str().expect("id"), "FINALIZED", 30)
        .await;
    assert_eq!(p["counterparty"]["id"], consumer.did.as_str());
    assert_eq!(p["counterparty"]["legal_name"], "Stadt Musterstadt");

    // Both sides store the same agreement, signed by both, with the German contract text.
    let (_, mine) = consumer.get("/api/v1/agreements").await;
    let (_, theirs) = provider.get("/api/v1/agreements").await;
    let (mine, theirs) = (&mine[0], &theirs[0]);
    assert_eq!(mine["id"], theirs["id"]);
    assert_eq!(mine["fully_signed"], true, "{mine}");
    assert_eq!(theirs["fully_signed"], true, "{theirs}");
    assert_eq!(mine["contract_markdown"], theirs["contract_markdown"]);
    let signed = SignedAgreement::from_dsp_json(&mine["agreement"]).expect("agreement");
    signed
        .verify(&provider.public_key(), &consumer.public_key())
        .expect("both signatures verify");
    assert_eq!(signed.agreement.provider(), provider.did);
    assert_eq!(signed.agreement.consumer(), consumer.did);
    let markdown = mine["contract_markdown"].as_str().expect("text");
    assert_eq!(
        signed.agreement.contract.contract_sha256,
        hex::encode(sha2::Sha256::digest(markdown.as_bytes()))
    );
    let theirs_signed = SignedAgreement::from_dsp_json(&theirs["agreement"]).expect("agreement");
    assert_eq!(
        theirs_signed.canonical_bytes().expect("JCS"),
        signed.canonical_bytes().expect("JCS")
    );

    // The contract text is served as Markdown, and the CLI lists the agreement.
    let agreement_id = mine["id"].as_str().expect("id");
    let r = env
        .http
        .get(format!(
            "https://localhost:{}/api/v1/agreements/{agreement_id}/contract",
            consumer.management_port
        ))
        .bearer_auth(&consumer.token)
        .send()
        .await
        .expect("contract");
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    assert_eq!(r.text().await.expect("text"), markdown);
    let (ok, out, err) = consumer.cli(&["agreements", "list"]);
    assert!(ok && out.contains(agreement_id), "{out}{err}");
    let (ok, out, err) = consumer.cli(&["agreements", "contract", agreement_id]);
    assert!(ok && out == markdown, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_refusals_reach_the_consumer_with_the_evaluation_reasons() {
    let env = TestEnv::new("connector_negotiation_refused");
    let provider = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let company = TestConnector::start(&env, ConnectorOptions::company("firma")).await;
    let town = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
    offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        traffic_asset(),
        Value::Null,
    )
    .await;

    // Only municipalities and public bodies: a company is refused, with the reason.
    let id = negotiate(
        &company,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    let n = company.wait_state(&id, "TERMINATED", 30).await;
    assert_eq!(n["termination"]["by"], "provider", "{n}");
    assert_eq!(n["termination"]["code"], "policy_denied");
    let reasons: Vec<&str> = n["termination"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasons.len() >= 2,
        "German and English reasons: {reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("Gemeinde")
            || r.contains("Kommune")
            || r.contains("öffentliche Stelle")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("municipalit") || r.contains("public bod")),
        "{reasons:?}"
    );
    // The CLI shows them.
    let (ok, out, _) = company.cli(&["negotiations", "show", &id]);
    assert!(ok && out.contains("terminated by provider"), "{out}");

    // A purpose outside the offer is refused with a reason naming it.
    let id = negotiate(&town, &provider, "verkehrszaehlung-2024", "dpv:Advertising").await;
    let n = town.wait_state(&id, "TERMINATED", 30).await;
    let reasons = n["termination"]["reasons"].to_string();
    assert!(
        reasons.contains("Werbung") && reasons.contains("Advertising"),
        "{reasons}"
    );

    // The provider keeps its evaluation for its operators.
    let (_, list) = provider.get("/api/v1/negotiations?state=TERMINATED").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|n| n["evaluation"]["permitted"] == false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_manual_approval_waits_for_the_operator() {
    let env = TestEnv::new("connector_negotiation_manual");
    let provider = TestConnector::start(&env, ConnectorOptions::company("gesundheitsamt")).await;
    let consumer = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
    // A manual-approval template on an ordinary dataset (personal-adjacent datasets are
    // offered only for sandbox access, which needs the `sandbox` feature).
    let (status, t) = provider
        .post_text(
            "/api/v1/templates",
            &manual_mobility_template("mobilitaetsdaten-mit-freigabe"),
            "text/markdown",
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let (status, a) = provider.post("/api/v1/assets", &traffic_asset()).await;
    assert_eq!(status, 201, "{a}");
    let (status, o) = provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": a["id"], "template_id": t["id"], "template_version": t["version"]}),
        )
        .await;
    assert_eq!(status, 201, "{o}");

    let first = negotiate(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    let second = negotiate(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    // Both wait on the provider; nothing is agreed without the operator.
    let waiting = wait_waiting(&provider, 2).await;
    assert!(
        waiting
            .iter()
            .all(|n| n["waiting"] == "approval" && n["state"] == "REQUESTED")
    );
    // The consumer learns the provider's process id from the provider's answer, which it
    // records after the provider has recorded the request: wait for that, not for a while.
    let c1 = acknowledged(&consumer, &first).await;
    let c2 = acknowledged(&consumer, &second).await;
    // Acknowledged and still waiting: the request is not agreed without the operator.
    assert_eq!(c1["state"], "REQUESTED", "{c1}");
    assert_eq!(c2["state"], "REQUESTED", "{c2}");
    let p1 = provider_side(&provider, &c1).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let p2 = provider_side(&provider, &c2).await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Approve the first (through the CLI), reject the second with a reason.
    let (ok, out, err) = provider.cli(&["negotiations", "approve", &p1]);
    assert!(ok, "{out}{err}");
    consumer.wait_state(&first, "FINALIZED", 30).await;
    provider.wait_state(&p1, "FINALIZED", 30).await;
    let (status, _) = provider
        .post(&format!("/api/v1/negotiations/{p2}/reject"), &json!({"reasons": ["Derzeit keine Kapazität für die Begleitung.", "No capacity at present."]}))
        .await;
    assert_eq!(status, 200);
    let n = consumer.wait_state(&second, "TERMINATED", 30).await;
    assert_eq!(
        n["termination"]["reasons"][0],
        "Derzeit keine Kapazität für die Begleitung."
    );

    // Deciding twice is refused with a clear conflict.
    let (status, e) = provider
        .post(&format!("/api/v1/negotiations/{p1}/approve"), &json!({}))
        .await;
    assert_eq!(status, 409, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_offers_are_visible_only_to_the_participants_their_policy_admits() {
    let env = TestEnv::new("connector_negotiation_visibility");
    let provider = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let company = TestConnector::start(&env, ConnectorOptions::company("firma")).await;
    let town = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
    let mut other_town_opts = ConnectorOptions::municipality("anderstadt");
    other_town_opts.member = Member::municipality("Stadt Anderstadt", "05315000");
    let other_town = TestConnector::start(&env, other_town_opts).await;
    offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        traffic_asset(),
        json!({"participant_types": ["Municipality"], "regions": ["09"]}),
    )
    .await;

    let datasets = |c: Value| c["dataset"].as_array().map(Vec::len).unwrap_or(0);
    let (_, cat) = town
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": provider.dsp_base()}),
        )
        .await;
    assert_eq!(datasets(cat), 1, "a Bavarian municipality sees it");
    let (_, cat) = company
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": provider.dsp_base()}),
        )
        .await;
    assert_eq!(datasets(cat), 0, "a company does not");
    let (_, cat) = other_town
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": provider.dsp_base()}),
        )
        .await;
    assert_eq!(
        datasets(cat),
        0,
        "a municipality outside the region does not"
    );

    // Asking for it directly does not help, and the answer gives no hint it exists.
    let (status, e) = company
        .post(
            "/api/v1/negotiations",
            &json!({"connector": provider.dsp_base(), "dataset_id": "verkehrszaehlung-2024"}),
        )
        .await;
    assert_eq!(status, 502, "{e}");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("404")),
        "{e}"
    );
}

/// The provider's operator counter-offers with another template; the consumer accepts it.
/// The agreement both sides sign and store names the counter-offer's template, parameters and
/// text, not the published offer's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_a_counter_offer_from_another_template_is_what_the_agreement_names() {
    const PUBLISHED: &str = "mobilitaetsdaten-verkehrsplanung-mit-freigabe";
    const COUNTER_TEMPLATE: &str = "mobilitaetsdaten-verkehrsplanung";
    let env = TestEnv::new("connector_negotiation_counter_template");
    let provider = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let consumer = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
    // Published under a manual-approval variant of the mobility template (its own id and
    // title), so that the request waits for the provider's operator.
    let base = template(COUNTER_TEMPLATE);
    let manual = manual_mobility_template(PUBLISHED);
    for text in [&manual, &base] {
        let (status, t) = provider
            .post_text("/api/v1/templates", text, "text/markdown")
            .await;
        assert_eq!(status, 201, "{t}");
    }
    let (status, a) = provider.post("/api/v1/assets", &traffic_asset()).await;
    assert_eq!(status, 201, "{a}");
    let (status, published) = provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": a["id"], "template_id": PUBLISHED, "template_version": "1.0.0"}),
        )
        .await;
    assert_eq!(status, 201, "{published}");

    let id = negotiate(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    let waiting = wait_waiting(&provider, 1).await;
    let pid = waiting[0]["id"].as_str().expect("id").to_owned();

    // A provider's counter-offer without a template is refused, naming the field.
    let (status, e) = provider
        .post(
            &format!("/api/v1/negotiations/{pid}/counter"),
            &json!({"offer": {"permission": [{"action": "use"}]}}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("template_id"), "{e}");

    // The counter-offer through the CLI: another template, another parameter value.
    let (ok, out, err) = provider.cli(&[
        "negotiations",
        "counter",
        &pid,
        "--template",
        COUNTER_TEMPLATE,
        "--template-version",
        "1.0.0",
        "--param",
        "abrufe=50",
    ]);
    assert!(ok, "{out}{err}");

    // The consumer sees the counter-offer's text (its hash checked on arrival) and decides.
    let deadline = Instant::now() + Duration::from_secs(30);
    let n = loop {
        let (_, n) = consumer.get(&format!("/api/v1/negotiations/{id}")).await;
        if n["waiting"] == "offer_decision" {
            break n;
        }
        assert_ne!(n["state"], "TERMINATED", "{n}");
        assert!(
            Instant::now() < deadline,
            "the counter-offer did not reach the consumer in 30 s: {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let offered = n["offers"]
        .as_array()
        .and_then(|o| o.last())
        .expect("offer")
        .clone();
    assert_eq!(offered["by"], "provider");
    assert_eq!(offered["contract"]["template_id"], COUNTER_TEMPLATE);
    let counter_text = offered["contract"]["markdown"]
        .as_str()
        .expect("the counter-offer's text")
        .to_owned();
    assert_eq!(n["contract_markdown"], counter_text.as_str());
    assert_ne!(
        offered["contract"]["sha256"], published["contract_sha256"],
        "another template, another text"
    );
    let (status, n) = consumer
        .post(&format!("/api/v1/negotiations/{id}/accept"), &json!({}))
        .await;
    assert_eq!(status, 200, "{n}");

    // The operator's own counter-offer needs no second approval: both sides finalize.
    consumer.wait_state(&id, "FINALIZED", 30).await;
    provider.wait_state(&pid, "FINALIZED", 30).await;
    let counter_sha = hex::encode(sha2::Sha256::digest(counter_text.as_bytes()));
    let (_, mine) = consumer.get("/api/v1/agreements").await;
    let (_, theirs) = provider.get("/api/v1/agreements").await;
    for (side, record, other) in [
        ("consumer", &mine[0], &theirs[0]),
        ("provider", &theirs[0], &mine[0]),
    ] {
        assert_eq!(record["id"], other["id"], "{side}");
        assert_eq!(record["fully_signed"], true, "{side}: {record}");
        assert_eq!(
            record["contract_markdown"],
            counter_text.as_str(),
            "{side} stores the counter-offer's text"
        );
        assert_eq!(record["contract_sha256"], counter_sha.as_str(), "{side}");
        let signed = SignedAgreement::from_dsp_json(&record["agreement"]).expect("agreement");
        signed
            .verify(&provider.public_key(), &consumer.public_key())
            .expect("both signatures verify");
        let named = &signed.agreement.contract;
        assert_eq!(named.template_id, COUNTER_TEMPLATE, "{side}");
        assert_eq!(named.template_version, "1.0.0", "{side}");
        assert_eq!(named.contract_sha256, counter_sha, "{side}");
        assert_eq!(
            named.parameters.get("abrufe").map(String::as_str),
            Some("50"),
            "{side}"
        );
        // The terms are the counter-offer's (at most 50 uses), not the published ones (100).
        let permission = record["agreement"]["permission"].to_string();
        assert!(
            permission.contains("50") && !permission.contains("100"),
            "{side}: {permission}"
        );
    }
    let r = env
        .http
        .get(format!(
            "https://localhost:{}/api/v1/agreements/{}/contract",
            provider.management_port,
            theirs[0]["id"].as_str().expect("id")
        ))
        .bearer_auth(&provider.token)
        .send()
        .await
        .expect("contract");
    assert_eq!(r.text().await.expect("text"), counter_text);
}

/// A consumer recomputes the hash of the contract text an offer carries and refuses an offer
/// whose text does not match it (here the test plays the provider, in TCK mode).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_consumer_refuses_an_offer_whose_text_does_not_match_its_hash() {
    use tests::harness::tck::ConsumerScenario;
    const TEXT: &str = "https://w3id.org/gemeinwohl-datenraum/ns#contractText";
    const SHA: &str = "https://w3id.org/gemeinwohl-datenraum/ns#contractSha256";
    let s = ConsumerScenario::start("connector_negotiation_offer_text", "CN_C_01_01").await;
    let text = "# Vertrag\n\n§ 1 Gegenstand: Verkehrszählung.\n";
    let mut bad = s.offer_message();
    bad["offer"][TEXT] = text.into();
    bad["offer"][SHA] = hex::encode(sha2::Sha256::digest(b"# Ein anderer Text\n")).into();
    let (status, err) = s.send("offers", &bad).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["@type"], "ContractNegotiationError", "{err}");
    assert!(err.to_string().contains("is not the SHA-256"), "{err}");
    assert_eq!(s.state().await, "REQUESTED");

    let mut good = s.offer_message();
    good["offer"][TEXT] = text.into();
    good["offer"][SHA] = hex::encode(sha2::Sha256::digest(text.as_bytes())).into();
    let (status, body) = s.send("offers", &good).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationEventMessage", "events").await;
    let (_, n) = s
        .connector
        .get(&format!("/api/v1/negotiations/{}", s.consumer_pid))
        .await;
    assert_eq!(n["contract_markdown"], text, "{n}");
}
