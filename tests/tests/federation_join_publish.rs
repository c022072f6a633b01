//! The federation with a broker in dev mode (join requests approved at once), the real
//! `broker` and two real `connector` binaries over TLS: connectors start before they are
//! members and say so; `connector join` pins the authority key (checked against the
//! thumbprint given out of band) and stores the credential, which the running connectors use
//! without a restart; the provider publishes its datasets with their offers; the broker's
//! search finds them with the template; the connectors negotiate to a finalized agreement;
//! changed offers are republished; `connector unpublish` withdraws the description.

mod federation_support;

use federation_support::*;
use serde_json::json;
use tests::broker::{BrokerOptions, TestBroker, did_path};
use tests::harness::{ConnectorOptions, TestConnector, TestEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_connectors_join_publish_are_found_and_negotiate() {
    let broker = TestBroker::start("federation-dev", BrokerOptions::default()).await;
    let env = TestEnv::new("federation_join_publish");
    let provider = TestConnector::start(
        &env,
        ConnectorOptions::company("fed-stadtwerke").with_broker(broker.link()),
    )
    .await;
    let consumer = TestConnector::start(
        &env,
        ConnectorOptions::municipality("fed-musterstadt").with_broker(broker.link()),
    )
    .await;

    // Before joining: running and ready, and saying what to do.
    let ready: serde_json::Value = env
        .http
        .get(format!(
            "https://localhost:{}/ready",
            provider.management_port
        ))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["member"], false, "{ready}");
    assert_eq!(ready["membership"], "not_joined", "{ready}");
    let (ok, out, err) = provider.cli(&["status"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("not a member yet") && out.contains("connector join"),
        "{out}"
    );
    // Outgoing DSP calls fail with that message; incoming ones get the protocol's error.
    let (status, body) = consumer
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": provider.dsp_base()}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body.to_string().contains("not a member yet"),
        "the operator learns why: {body}"
    );
    let r = env
        .http
        .post(format!("{}/catalog/request", provider.dsp_base()))
        .json(&json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage"}))
        .send()
        .await
        .expect("DSP call");
    assert_eq!(r.status().as_u16(), 503);
    let error: serde_json::Value = r.json().await.expect("JSON error");
    env.capture.write("received", &error);
    assert_eq!(error["@type"], "CatalogError", "{error}");
    assert!(
        error["reason"].to_string().contains("not a member"),
        "{error}"
    );

    // Joining: a wrong thumbprint is refused and nothing is pinned.
    let thumbprint = authority_thumbprint(&broker).await;
    let (ok, out, err) = provider.cli(&[
        "join",
        "--broker",
        &broker.url,
        "--type",
        "company",
        "--authority-thumbprint",
        "kJ8xTK3Xw9sMNqBqOSxJXomGWvrVJ9mvIYfa0Qt_u3M",
    ]);
    assert!(!ok, "{out}");
    assert!(err.contains("does not match"), "{err}");
    assert!(!provider.dir.join("keys/authority.jwk").exists());
    let (ok, out, err) = provider.cli(&[
        "join",
        "--broker",
        &broker.url,
        "--type",
        "company",
        "--authority-thumbprint",
        &thumbprint,
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(&thumbprint), "the pinned key is named: {out}");
    assert!(out.contains("Member of the federation"), "{out}");
    let (ok, out, err) = consumer.cli(&[
        "join",
        "--broker",
        &broker.url,
        "--type",
        "municipality",
        "--ags",
        "09162000",
    ]);
    assert!(ok, "{out}{err}");
    // A municipality needs its AGS: refused before anything is sent.
    let (ok, _, err) = consumer.cli(&["join", "--broker", &broker.url, "--type", "municipality"]);
    assert!(!ok && err.contains("--ags"), "{err}");

    // The running connectors use their credentials without a restart.
    let f = wait_member(&provider).await;
    assert_eq!(f["membership"]["authority_thumbprint"], thumbprint.as_str());
    assert_eq!(
        f["membership"]["credential"]["participant_type"],
        "https://w3id.org/gemeinwohl-datenraum/ns#Company"
    );
    wait_member(&consumer).await;
    let (_, s) = provider.get("/api/v1/status").await;
    assert_eq!(s["has_membership_credential"], true);

    // Publication: the offer's terms go to the broker; its search names the template.
    offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        traffic_asset(),
    )
    .await;
    let (ok, out, err) = provider.cli(&["publish"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("published") || out.contains("up_to_date"),
        "{out}"
    );
    let found = wait_search(&broker, "q=Verkehrsz%C3%A4hlung", 10, |v| {
        v["total"].as_u64() == Some(1)
    })
    .await;
    let hit = &found["results"][0];
    assert_eq!(hit["participant"], provider.did.as_str(), "{hit}");
    assert_eq!(
        hit["template"]["title"], "Mobilitätsdaten für die Verkehrsplanung – mit Quellenangabe",
        "{hit}"
    );
    assert!(
        hit["keyTerms"].as_array().is_some_and(|k| !k.is_empty()),
        "key terms are named: {hit}"
    );
    assert!(
        hit["purposes"].to_string().contains("Verkehrsplanung"),
        "{hit}"
    );
    let (ok, out, err) = provider.cli(&["status"]);
    assert!(ok, "{err}");
    assert!(out.contains("Membership:   member"), "{out}");
    assert!(out.contains("1 dataset(s), 1 offer(s)"), "{out}");

    // A new offer is republished without anyone asking.
    offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        parking_asset(),
    )
    .await;
    wait_search(&broker, "q=Parkhausbelegung", 15, |v| {
        v["total"].as_u64() == Some(1)
    })
    .await;

    // The members negotiate point to point to a finalized agreement.
    let n = negotiate_finalized(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    assert_eq!(n["counterparty"]["id"], provider.did.as_str());

    // Both signed the register summary inside the negotiation; the provider submits it and
    // the broker's register lists the cooperation; both agreement listings say so.
    let (_, agreements) = consumer.get("/api/v1/agreements").await;
    let agreement_id = agreements[0]["id"].as_str().expect("id").to_owned();
    let listed = wait_register(&provider, &agreement_id, "registered", 15).await;
    assert_eq!(
        listed["register"]["summary"]["datasetTitle"],
        "Verkehrszählung Musterstadt 2024"
    );
    let (status, register) = broker.get_json("/api/v1/register").await;
    assert_eq!(status, 200);
    let entry = register
        .as_array()
        .expect("register")
        .iter()
        .find(|e| e["id"] == agreement_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the register lists {agreement_id}: {register}"));
    assert_eq!(entry["summary"]["provider"], provider.did.as_str());
    assert_eq!(entry["summary"]["consumer"], consumer.did.as_str());
    assert_eq!(
        entry["summary"]["dataset"],
        format!(
            "https://localhost:{}/datasets/verkehrszaehlung-2024",
            provider.dsp_port
        )
    );
    assert!(
        entry["summary"]["purposes"]
            .to_string()
            .contains("Verkehrsplanung"),
        "{entry}"
    );
    wait_register(&consumer, &agreement_id, "registered", 15).await;
    let (ok, out, err) = provider.cli(&["agreements", "list"]);
    assert!(ok && out.contains("registered"), "{out}{err}");

    // Withdrawal: a signed deletion; nothing is published again until `connector publish`.
    let (ok, out, err) = provider.cli(&["unpublish"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("withdrawn"), "{out}");
    let (status, _) = broker
        .get(&format!(
            "/api/v1/self-descriptions/{}",
            did_path(&provider.did)
        ))
        .await;
    assert_eq!(status, 404);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let v = search(&broker, "q=Verkehrsz%C3%A4hlung").await;
    assert_eq!(v["total"], 0, "{v}");
    let (_, f) = provider.get("/api/v1/federation").await;
    assert_eq!(f["publish"], false, "{f}");
    let (ok, out, err) = provider.cli(&["publish"]);
    assert!(ok && out.contains("published"), "{out}{err}");
    wait_search(&broker, "q=Verkehrsz%C3%A4hlung", 10, |v| {
        v["total"].as_u64() == Some(1)
    })
    .await;
}
