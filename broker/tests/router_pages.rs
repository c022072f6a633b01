//! Router tests of the web pages and the register: German HTML without JavaScript, search with
//! facets, the dataset page with its terms, participant pages, the Charta, and the public
//! register of cooperations with both signatures checked.

mod common;

use axum::http::{Method, StatusCode};
use broker::service::{AgreementSummary, PartySignatures, RegisterSubmission};
use common::*;

async fn showcase() -> (TestBroker, Member, Member) {
    let tb = test_broker(true);
    let sw = stadtwerke();
    let ms = musterstadt();
    assert_eq!(
        join_and_publish(&tb, &sw, &stadtwerke_sd(&sw)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        join_and_publish(&tb, &ms, &musterstadt_sd(&ms))
            .await
            .status,
        StatusCode::OK
    );
    (tb, sw, ms)
}

async fn html(tb: &TestBroker, uri: &str) -> Answer {
    call(
        &tb.app,
        Method::GET,
        uri,
        &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        "",
    )
    .await
}

#[tokio::test]
async fn the_catalogue_page_searches_and_filters() {
    let (tb, _, _) = showcase().await;
    let home = html(&tb, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let page = home.text();
    assert!(page.contains("<html lang=\"de\">") && page.contains("Datensätze suchen"));
    assert!(page.contains("2 Datensätze gefunden"), "{page}");
    assert!(!page.contains("<script"), "no JavaScript");

    let found = html(&tb, "/?q=W%C3%A4rmeplanung").await.text();
    assert!(found.contains("1 Datensatz gefunden"), "{found}");
    assert!(found.contains("Stromverbrauch je Baublock 2024"));
    assert!(
        found.contains("Nutzungsdauer: höchstens 12 Monate"),
        "key terms in the result"
    );
    assert!(
        found.contains("Kommunale Planung – aggregiert, 12 Monate"),
        "the template"
    );
    // facets link to filtered searches
    assert!(
        found.contains("Energie") && found.contains("theme=ENER"),
        "{found}"
    );
    let bavaria = html(&tb, "/?region=09").await.text();
    assert!(bavaria.contains("2 Datensätze gefunden"));
    let company = html(&tb, "/?participantType=company").await.text();
    assert!(company.contains("1 Datensatz gefunden") && company.contains("Stromverbrauch"));
    let other_state = html(&tb, "/?region=11").await.text();
    assert!(other_state.contains("0 Datensätze gefunden"));
    // the search API renders the same page for browsers
    let api = html(&tb, "/api/v1/search?q=Baubl%C3%B6cke").await;
    assert!(api.text().contains("Datensätze suchen"));
    // bad parameters give a German error page
    let bad = html(&tb, "/?region=123").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("Ungültige Anfrage") && bad.text().contains("region"));
}

#[tokio::test]
async fn the_dataset_page_shows_the_terms_and_how_to_request_them() {
    let (tb, sw, _) = showcase().await;
    let hit = get(&tb.app, "/api/v1/search?q=Stromverbrauch").await.json()["results"][0]["page"]
        .as_str()
        .expect("page")
        .to_owned();
    let page = html(&tb, &hit).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    for expected in [
        "Stromverbrauch je Baublock 2024",
        "Vertragsbedingungen",
        "Kommunale Planung – aggregiert, 12 Monate",
        "Nutzungsdauer: höchstens 12 Monate",
        "Keine Weitergabe an Dritte",
        "GW-6",
        "So fordern Sie die Daten an",
        "connector negotiate --connector https://stadtwerke.example/dsp --did did:web:stadtwerke.example",
        "Die Nutzung endet spätestens nach 12 Monaten",
        "Stadtwerke Musterstadt GmbH",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    let participant = html(&tb, &format!("/participants/{}", did_path(&sw.did))).await;
    assert_eq!(participant.status, StatusCode::OK);
    assert!(participant.text().contains("Angebotene Datensätze (1)"));
    let missing = html(&tb, "/datasets/0000").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("Nicht gefunden"));
    let charta = html(&tb, "/charta").await.text();
    assert!(
        charta.contains("GW-1") && charta.contains("Gemeinwohlbindung") && charta.contains("MUSS")
    );
}

fn summary(sw: &Member, ms: &Member, id: &str) -> AgreementSummary {
    let charta = contracts::charta::Charta::default_1_0();
    AgreementSummary {
        agreement_id: id.to_owned(),
        provider: sw.did.clone(),
        consumer: ms.did.clone(),
        dataset: "https://stadtwerke.example/datasets/stromverbrauch-baublock-2024".into(),
        dataset_title: "Stromverbrauch je Baublock 2024".into(),
        purposes: vec!["https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung".into()],
        start: "2025-03-01T10:00:00Z".parse().expect("date"),
        end: "2026-03-01T10:00:00Z".parse().expect("date"),
        charta_version: charta.version().into(),
        charta_hash: charta.sha256().into(),
    }
}

fn signed(summary: AgreementSummary, provider: &Member, consumer: &Member) -> serde_json::Value {
    let bytes = summary.signing_bytes().expect("jcs");
    let submission = RegisterSubmission {
        signatures: PartySignatures {
            provider: provider.key.sign_detached(&bytes).expect("sign"),
            consumer: consumer.key.sign_detached(&bytes).expect("sign"),
        },
        summary,
    };
    serde_json::to_value(submission).expect("json")
}

#[tokio::test]
async fn the_register_lists_cooperations_signed_by_both_parties() {
    let (tb, sw, ms) = showcase().await;
    let id = "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44";
    let good = signed(summary(&sw, &ms, id), &sw, &ms);

    let mut wrong_purpose = summary(&sw, &ms, "urn:uuid:2");
    wrong_purpose.purposes = vec!["https://w3id.org/dpv#Marketing".into()];
    let mut too_long = summary(&sw, &ms, "urn:uuid:3");
    too_long.end = "2028-03-01T10:00:00Z".parse().expect("date");
    let mut other_charta = summary(&sw, &ms, "urn:uuid:4");
    other_charta.charta_hash = "00".repeat(32);
    let stranger = member("https://stranger.example");
    let mut tampered = good.clone();
    tampered["summary"]["datasetTitle"] = "Etwas anderes".into();
    let cases = [
        (
            "consumer signed by provider key",
            signed(summary(&sw, &ms, "urn:uuid:1"), &sw, &sw),
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "tampered after signing",
            tampered,
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "not a public-benefit purpose",
            signed(wrong_purpose, &sw, &ms),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "longer than 24 months",
            signed(too_long, &sw, &ms),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "other Charta",
            signed(other_charta, &sw, &ms),
            StatusCode::UNPROCESSABLE_ENTITY,
            "charta_mismatch",
        ),
        (
            "unknown consumer",
            signed(summary(&sw, &stranger, "urn:uuid:5"), &sw, &stranger),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (what, body, status, code) in cases {
        let a = post_json(&tb.app, "/api/v1/register", &body).await;
        assert_eq!(
            (a.status, a.error_code().as_str()),
            (status, code),
            "{what}: {}",
            a.text()
        );
    }
    assert_eq!(
        get(&tb.app, "/api/v1/register")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(0),
        "nothing stored"
    );

    let created = post_json(&tb.app, "/api/v1/register", &good).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["id"], id);
    let twice = post_json(&tb.app, "/api/v1/register", &good).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let json = get(&tb.app, "/api/v1/register").await.json();
    assert_eq!(
        json[0]["summary"]["datasetTitle"],
        "Stromverbrauch je Baublock 2024"
    );
    let page = html(&tb, "/register").await.text();
    assert!(
        page.contains("Stadt Musterstadt") && page.contains("Stadtwerke Musterstadt GmbH"),
        "{page}"
    );
    assert!(page.contains("01.03.2025 – 01.03.2026"));
    let turtle = call(
        &tb.app,
        Method::GET,
        "/register",
        &[("accept", "text/turtle")],
        "",
    )
    .await;
    assert_eq!(turtle.headers["content-type"], "text/turtle");
    let graph =
        vocab::rdf::parse(&turtle.body, vocab::rdf::Syntax::Turtle, None).expect("turtle parses");
    assert!(graph.len() >= 10);
    let too_big = call(
        &tb.app,
        Method::POST,
        "/api/v1/register",
        &[("content-type", "application/json")],
        "x".repeat(70_000),
    )
    .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let (tb, _, _) = showcase().await;
    assert_eq!(get(&tb.app, "/healthz").await.text(), "ok");
    assert_eq!(get(&tb.app, "/readyz").await.text(), "ready");
    let metrics = get(&tb.app, "/metrics").await.text();
    assert!(metrics.contains("broker_datasets 2"), "{metrics}");
    assert!(
        metrics.contains("broker_publications_total{outcome=\"ok\"} 2"),
        "{metrics}"
    );
    let openapi = get(&tb.app, "/api/v1/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/self-descriptions/{did}"]["put"].is_object());
    let unknown = get(&tb.app, "/nothing-here").await;
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}
