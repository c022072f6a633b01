//! The real `broker` binary over TLS on loopback ports: onboarding with the operator CLI,
//! signed publication, search, SPARQL and harvest over HTTPS, graceful restart and `kill -9`
//! without losing anything accepted.

use tests::broker::{BrokerMember, BrokerOptions, TestBroker, did_path};

#[tokio::test]
async fn onboarding_with_the_cli_publication_and_restart() {
    let mut broker = TestBroker::start(
        "service",
        BrokerOptions {
            dev: false,
            ..Default::default()
        },
    )
    .await;
    let sw = BrokerMember::stadtwerke();
    let ms = BrokerMember::musterstadt();

    // the authority's DID document over TLS
    let (status, did_doc) = broker.get_json("/.well-known/did.json").await;
    assert_eq!(status, 200);
    assert_eq!(did_doc["id"], broker.authority_did());

    // join: pending until the operator approves with the CLI
    let (status, answer) = sw.join(&broker).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (202, Some("pending")),
        "{answer}"
    );
    let (status, _) = sw.publish(&broker).await;
    assert_eq!(status, 403, "pending participants cannot publish");
    let (ok, out, err) = broker.cli(&["participants", "list", "--status", "pending"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&sw.did) && out.contains("Stadtwerke Musterstadt GmbH"),
        "{out}"
    );
    let (ok, out, err) = broker.cli(&["participants", "approve", &sw.did]);
    assert!(ok, "{out}{err}");
    let (status, _) = broker
        .get(&format!(
            "/api/v1/participants/{}/credential",
            did_path(&sw.did)
        ))
        .await;
    assert_eq!(status, 200);
    // a bad decision names the problem and exits non-zero
    let (ok, _, err) = broker.cli(&["participants", "approve", &sw.did]);
    assert!(!ok && err.contains("active"), "{err}");
    let (ok, _, err) = broker.cli(&["participants", "approve", "did:web:nobody.example"]);
    assert!(!ok && err.contains("404"), "{err}");

    ms.join(&broker).await;
    assert!(broker.cli(&["participants", "approve", &ms.did]).0);

    // publication, search, SPARQL, harvest
    let (status, answer) = sw.publish(&broker).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = ms.publish(&broker).await;
    assert_eq!(status, 200, "{answer}");
    let (_, found) = broker
        .get_json("/api/v1/search?q=W%C3%A4rmeplanung&region=09")
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(
        found["results"][0]["template"]["title"],
        "Kommunale Planung – aggregiert, 12 Monate"
    );
    let (status, sparql) = broker
        .get_json("/sparql?query=SELECT%20(COUNT(DISTINCT%20%3Fd)%20AS%20%3Fn)%20WHERE%20%7B%20%3Fd%20a%20%3Chttp%3A%2F%2Fwww.w3.org%2Fns%2Fdcat%23Dataset%3E%20%7D")
        .await;
    assert_eq!(status, 200);
    assert_eq!(sparql["results"]["bindings"][0]["n"]["value"], "2");
    let (status, turtle) = broker.get("/harvest/catalog").await;
    assert_eq!(status, 200);
    assert!(turtle.contains("hydra:") || turtle.contains("http://www.w3.org/ns/hydra/core#"));

    // graceful restart: everything accepted is back (rebuilt from sled)
    assert!(broker.terminate(), "graceful stop:\n{}", broker.log_tail());
    broker.spawn().await;
    let (_, found) = broker.get_json("/api/v1/search").await;
    assert_eq!(found["total"], 2, "{found}");
    // kill -9 right after an accepted publication loses nothing
    let renamed = BrokerMember {
        sd: {
            let mut sd = sw.sd.clone();
            sd.datasets[0].title.de = "Stromverbrauch je Baublock 2025".into();
            sd
        },
        ..sw.clone()
    };
    let (status, _) = renamed
        .put(
            &broker,
            renamed.envelope(chrono::Utc::now().timestamp() + 1),
        )
        .await;
    assert_eq!(status, 200);
    broker.kill9();
    broker.spawn().await;
    let (_, found) = broker.get_json("/api/v1/search?q=2025").await;
    assert_eq!(
        found["results"][0]["title"], "Stromverbrauch je Baublock 2025",
        "{found}"
    );
    // revocation with the CLI hides the participant at once
    let (ok, out, err) = broker.cli(&["participants", "revoke", &sw.did, "--reason", "Test"]);
    assert!(ok, "{out}{err}");
    let (_, found) = broker.get_json("/api/v1/search").await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn the_admin_listener_needs_the_token_and_tls() {
    let broker = TestBroker::start("admin-auth", BrokerOptions::default()).await;
    let r = broker
        .http
        .get(format!("{}/admin/v1/participants", broker.admin_url))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
    let token = std::fs::read_to_string(broker.dir.join("broker/admin-token")).expect("token");
    let r = broker
        .http
        .get(format!("{}/admin/v1/participants", broker.admin_url))
        .bearer_auth(token.trim())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    // plain HTTP is not served
    let plain = reqwest::Client::new()
        .get(format!(
            "http://{}/healthz",
            broker.url.trim_start_matches("https://")
        ))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
}
