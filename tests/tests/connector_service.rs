//! The connector as a service: `connector init` output, start to ready, the well-known
//! documents, probes and metrics, the management API's token and OpenAPI document, the CLI,
//! and a graceful stop on SIGTERM.

use serde_json::Value;
use tests::harness::{ConnectorOptions, Member, Peer, PeerAuth, TestConnector, TestEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_starts_serves_well_known_documents_and_stops_gracefully() {
    let env = TestEnv::new("connector_service_lifecycle");
    let mut c = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;

    // The generated configuration keeps the management port on localhost and files 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(c.dir.join("keys/participant.jwk"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "private key must be 0600");
    }

    // DSP version metadata, at the host root and under the DSP base.
    for url in [
        format!(
            "https://localhost:{}/.well-known/dspace-version",
            c.dsp_port
        ),
        format!("{}/.well-known/dspace-version", c.dsp_base()),
    ] {
        let v: Value = env
            .http
            .get(&url)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON");
        env.capture.write("got", &v);
        let parsed = connector::dsp::version::VersionResponse::from_json(&v)
            .expect("valid version document");
        let entry = parsed.dsp_2025_1().expect("2025-1 offered");
        assert_eq!(entry.path, "/dsp");
        assert_eq!(entry.binding, "HTTPS");
    }

    // The DID document names the key the connector signs with and its DSP endpoint.
    let doc = env
        .http
        .get(format!(
            "https://localhost:{}/.well-known/did.json",
            c.dsp_port
        ))
        .send()
        .await
        .expect("GET did.json")
        .text()
        .await
        .expect("text");
    let doc =
        vocab::did::DidDocument::from_json(&doc, &c.did).expect("DID document of the connector");
    assert_eq!(doc.key(&format!("{}#key-1", c.did)), Some(c.public_key()));
    assert_eq!(doc.dsp_endpoint(), Some(c.dsp_base().as_str()));

    // Probes and metrics.
    for path in ["/health", "/ready"] {
        let r = env
            .http
            .get(format!("https://localhost:{}{path}", c.management_port))
            .send()
            .await
            .expect("probe");
        assert_eq!(r.status(), 200, "{path}");
    }
    let metrics = env
        .http
        .get(format!("https://localhost:{}/metrics", c.management_port))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("connector_outbox_pending_messages"),
        "{metrics}"
    );

    // The management API needs the token; the OpenAPI document is public and complete.
    let r = env
        .http
        .get(format!(
            "https://localhost:{}/api/v1/status",
            c.management_port
        ))
        .send()
        .await
        .expect("status");
    assert_eq!(r.status(), 401);
    let r = env
        .http
        .get(format!(
            "https://localhost:{}/api/v1/status",
            c.management_port
        ))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("status");
    assert_eq!(r.status(), 401);
    let (status, s) = c.get("/api/v1/status").await;
    assert_eq!(status, 200);
    assert_eq!(s["did"], c.did.as_str());
    assert_eq!(s["has_membership_credential"], true);
    let openapi: Value = env
        .http
        .get(format!(
            "https://localhost:{}/api/v1/openapi.json",
            c.management_port
        ))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("JSON");
    assert!(
        openapi["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    assert!(openapi["paths"]["/api/v1/negotiations/{id}/approve"]["post"].is_object());

    // The CLI talks to the running connector.
    let (ok, out, err) = c.cli(&["status"]);
    assert!(ok, "{err}");
    assert!(out.contains(&c.did), "{out}");

    // A member's catalog request is answered (nothing offered yet: no datasets).
    let peer = Peer::start(
        &env,
        Member::municipality("Stadt Musterstadt", "09162000"),
        PeerAuth::Token,
    )
    .await;
    let (status, catalog) = peer
        .send(
            &c,
            "catalog/request",
            &serde_json::json!({
            "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
            "@type": "CatalogRequestMessage", "filter": []}),
        )
        .await;
    assert_eq!(status, 200, "{catalog}");
    assert_eq!(catalog["participantId"], c.did.as_str());
    assert!(catalog.get("dataset").is_none());

    // SIGTERM: graceful stop with exit code 0.
    assert!(
        c.terminate(),
        "the connector did not stop cleanly on SIGTERM:\n{}",
        c.log_tail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_refuses_to_start_twice_on_one_data_folder_and_names_bad_config_keys() {
    let env = TestEnv::new("connector_service_config");
    let c = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let out = std::process::Command::new(tests::harness::binaries::connector_binary())
        .args(["serve", "--config"])
        .arg(c.dir.join("connector.toml"))
        .output()
        .expect("second serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another process"), "{err}");

    let bad = c.dir.join("bad.toml");
    let text = std::fs::read_to_string(c.dir.join("connector.toml")).expect("config");
    std::fs::write(&bad, text.replace("[outbox]", "[outbox]\nretries = 3")).expect("write");
    let out = std::process::Command::new(tests::harness::binaries::connector_binary())
        .args(["serve", "--config"])
        .arg(&bad)
        .output()
        .expect("serve with bad config");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("retries"),
        "the error must name the unknown key: {err}"
    );
}
