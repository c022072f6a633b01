//! The management API's input handling: strict parsing with errors that name the field,
//! size limits, and nothing half-written.

use serde_json::{Value, json};
use tests::harness::{ConnectorOptions, TestConnector, TestEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_management_errors_name_the_field_and_nothing_is_half_written() {
    let env = TestEnv::new("connector_management_inputs");
    let c = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let field = |v: &Value| v["field"].as_str().unwrap_or_default().to_owned();

    let (status, e) = c
        .post("/api/v1/assets", &json!({"title": "A", "titel": "typo"}))
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("titel")),
        "{e}"
    );
    let (status, e) = c
        .post("/api/v1/assets", &json!({"description": "no title"}))
        .await;
    assert_eq!((status, field(&e)), (400, "title".to_owned()), "{e}");
    let (status, e) = c
        .post("/api/v1/assets", &json!({"title": "A", "ags": "99999999"}))
        .await;
    assert_eq!((status, field(&e)), (400, "ags".to_owned()), "{e}");
    let (status, e) = c
        .post(
            "/api/v1/assets",
            &json!({"title": "A", "themes": ["ENER", "SPORT"]}),
        )
        .await;
    assert_eq!((status, field(&e)), (400, "themes[1]".to_owned()), "{e}");
    let (status, e) = c
        .post("/api/v1/assets", &json!({"title": "A", "id": "a/b"}))
        .await;
    assert_eq!((status, field(&e)), (400, "id".to_owned()), "{e}");
    let (status, e) = c
        .post(
            "/api/v1/assets",
            &json!({"title": "A", "source": {"file": "/x", "url": "https://x.example"}}),
        )
        .await;
    assert_eq!((status, field(&e)), (400, "source".to_owned()), "{e}");
    let (status, e) = c
        .post(
            "/api/v1/assets",
            &json!({"title": "A", "source": {"url": "https://user:pw@x.example/data"}}),
        )
        .await;
    assert_eq!((status, field(&e)), (400, "source.url".to_owned()), "{e}");
    let (status, e) = c
        .post(
            "/api/v1/assets",
            &json!({"title": "A", "source": {"source": "nowhere"}}),
        )
        .await;
    assert_eq!(
        (status, field(&e)),
        (400, "source.source".to_owned()),
        "{e}"
    );
    let (_, assets) = c.get("/api/v1/assets").await;
    assert_eq!(assets, json!([]), "nothing stored after refused inputs");

    // Bodies are limited.
    let big = json!({"title": "A", "description": "x".repeat(2 * 1024 * 1024)});
    let (status, e) = c.post("/api/v1/assets", &big).await;
    assert_eq!(status, 413, "{e}");

    // A batch stores the valid items together and reports each refused one.
    let (status, report) = c
        .post("/api/v1/assets/batch", &json!([{"id": "ok-1", "title": "Eins"}, {"id": "bad", "title": ""}, {"id": "ok-2", "title": "Zwei"}]))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report[0]["status"], "created");
    assert_eq!(report[1]["status"], "error");
    assert!(
        report[1]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("title:")),
        "{report}"
    );
    assert_eq!(report[2]["status"], "created");
    let (_, assets) = c.get("/api/v1/assets").await;
    assert_eq!(assets.as_array().map(Vec::len), Some(2));

    // Templates: a broken one is refused with line and column; nothing is stored.
    let (status, e) = c
        .post_text(
            "/api/v1/templates",
            "+++\nid = \"x\"\n+++\n# Vertrag\n",
            "text/markdown",
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains(":2:") || m.contains(":1:")),
        "line and column: {e}"
    );
    let (_, templates) = c.get("/api/v1/templates").await;
    assert_eq!(templates, json!([]));

    // Offers name the missing template and parameter problems.
    let (status, e) = c
        .post(
            "/api/v1/offers",
            &json!({"asset_id": "ok-1", "template_id": "unbekannt", "template_version": "1.0.0"}),
        )
        .await;
    assert_eq!((status, field(&e)), (400, "template_id".to_owned()), "{e}");
    let template = std::fs::read_to_string(format!(
        "{}/../contracts/templates/mobilitaetsdaten-verkehrsplanung.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("template");
    let (status, t) = c
        .post_text("/api/v1/templates", &template, "text/markdown")
        .await;
    assert_eq!(status, 201, "{t}");
    let (status, e) = c
        .post(
            "/api/v1/offers",
            &json!({"asset_id": "ok-1", "template_id": t["id"], "template_version": t["version"],
                                        "parameters": {"dauer": "P60M"}}),
        )
        .await;
    assert_eq!((status, field(&e)), (400, "parameters".to_owned()), "{e}");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("dauer")),
        "{e}"
    );
    let (status, e) = c
        .post(
            "/api/v1/offers",
            &json!({"asset_id": "ok-1", "template_id": t["id"], "template_version": t["version"],
                                        "visible_to": {"participant_types": ["Kommune"]}}),
        )
        .await;
    assert_eq!(
        (status, field(&e)),
        (400, "visible_to.participant_types[0]".to_owned()),
        "{e}"
    );
    let (_, offers) = c.get("/api/v1/offers").await;
    assert_eq!(offers, json!([]));

    // Decisions on unknown negotiations, and unknown filters.
    let (status, _) = c
        .post("/api/v1/negotiations/urn:uuid:nope/approve", &json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, e) = c.get("/api/v1/negotiations?state=DONE").await;
    assert_eq!((status, field(&e)), (400, "state".to_owned()), "{e}");
}
