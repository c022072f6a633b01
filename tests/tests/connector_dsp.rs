//! DSP endpoint behaviour beyond the TCK: processes of others are not found (no hint),
//! a message delivered twice is acknowledged without effect, bodies are size-limited, media
//! types are checked, and trailing slashes are tolerated.

use serde_json::json;
use tests::harness::messages::{contract_request, event, termination};
use tests::harness::{ConnectorOptions, Member, Peer, PeerAuth, TestConnector, TestEnv};

async fn provider_with_offer(env: &TestEnv) -> (TestConnector, String) {
    let provider = TestConnector::start(env, ConnectorOptions::company("stadtwerke")).await;
    let template = std::fs::read_to_string(format!(
        "{}/../contracts/templates/mobilitaetsdaten-verkehrsplanung.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("template");
    let (_, t) = provider
        .post_text("/api/v1/templates", &template, "text/markdown")
        .await;
    provider
        .post(
            "/api/v1/assets",
            &json!({"id": "verkehr", "title": "Verkehrszählung"}),
        )
        .await;
    let (status, o) = provider
        .post("/api/v1/offers", &json!({"asset_id": "verkehr", "template_id": t["id"], "template_version": t["version"]}))
        .await;
    assert_eq!(status, 201, "{o}");
    (provider, o["id"].as_str().expect("id").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_dsp_others_processes_are_not_found_and_duplicates_are_harmless() {
    let env = TestEnv::new("connector_dsp_visibility");
    let (provider, offer_id) = provider_with_offer(&env).await;
    let (_, offer) = provider.get(&format!("/api/v1/offers/{offer_id}")).await;
    let alice = Peer::start(
        &env,
        Member::municipality("Stadt Musterstadt", "09162000"),
        PeerAuth::Token,
    )
    .await;
    let mallory = Peer::start(
        &env,
        Member::municipality("Stadt Anderstadt", "09162000"),
        PeerAuth::Token,
    )
    .await;

    let mut policy = offer["policy"].clone();
    policy["target"] = json!("verkehr");
    let cpid = "urn:uuid:11111111-1111-4111-8111-111111111111";
    let request = contract_request(cpid, policy, &alice.base());
    let (status, ack) = alice
        .send(&provider, "negotiations/request", &request)
        .await;
    assert_eq!(status, 201, "{ack}");
    let ppid = ack["providerPid"].as_str().expect("pid").to_owned();

    // The same request delivered again (a retry) gives the same answer and no second negotiation.
    let (status, again) = alice
        .send(&provider, "negotiations/request", &request)
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["providerPid"], ppid.as_str());
    let (_, list) = provider.get("/api/v1/negotiations").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // Another member: not found, on every endpoint, without a hint.
    let (status, body) = mallory
        .get(&provider, &format!("negotiations/{ppid}"))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["reason"][0], "no such process");
    let (status, _) = mallory
        .send(
            &provider,
            &format!("negotiations/{ppid}/termination"),
            &termination(&ppid, cpid, "x"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = mallory
        .send(
            &provider,
            &format!("negotiations/{ppid}/events"),
            &event(&ppid, cpid, "ACCEPTED"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = mallory
        .get(&provider, "negotiations/urn:uuid:does-not-exist")
        .await;
    assert_eq!(status, 404);

    // Alice sees it. She declared no purpose, so the provider refuses, naming the purpose.
    let (status, _) = alice.get(&provider, &format!("negotiations/{ppid}")).await;
    assert_eq!(status, 200);
    let t = alice
        .wait_type("ContractNegotiationTerminationMessage", "/termination")
        .await;
    assert_eq!(t.body["code"], "policy_denied");
    assert!(t.body["reason"].to_string().contains("Zweck"), "{}", t.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_dsp_limits_bodies_checks_media_types_and_tolerates_trailing_slashes() {
    let env = TestEnv::new("connector_dsp_limits");
    let (provider, _) = provider_with_offer(&env).await;
    let peer = Peer::start(
        &env,
        Member::municipality("Stadt Musterstadt", "09162000"),
        PeerAuth::Token,
    )
    .await;
    let token = format!("Bearer {}", peer.participant.token(&provider.did));

    // 300 KiB > the default 256 KiB limit.
    let big = json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage",
                     "filter": ["x".repeat(300 * 1024)]});
    let (status, body) = peer
        .send_with_auth(
            &format!("{}/catalog/request", provider.dsp_base()),
            Some(&token),
            &big,
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["@type"], "CatalogError");

    let r = env
        .http
        .post(format!("{}/catalog/request", provider.dsp_base()))
        .header(
            "authorization",
            format!("Bearer {}", peer.participant.token(&provider.did)),
        )
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 415);

    let r = env
        .http
        .post(format!("{}/catalog/request", provider.dsp_base()))
        .header(
            "authorization",
            format!("Bearer {}", peer.participant.token(&provider.did)),
        )
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.expect("JSON");
    assert!(
        body["reason"][0]
            .as_str()
            .is_some_and(|r| r.contains("not JSON")),
        "{body}"
    );

    // A trailing slash, as the TCK sends for some callbacks.
    let (status, catalog) = peer
        .send(
            &provider,
            "catalog/request/",
            &tests::harness::messages::catalog_request(),
        )
        .await;
    assert_eq!(status, 200, "{catalog}");
}
