//! Router tests of publication: the accepted path, atomic replacement, deletion, expiry,
//! revocation, restart, and every kind of bad input rejected with a clear error while nothing
//! is stored.

mod common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Map, Value};
use vocab::envelope::{SELF_DESCRIPTION_TYP, TURTLE};

/// Signs arbitrary bytes as a self-description envelope, without the checks `seal` makes.
fn raw_envelope(m: &Member, payload: &[u8], iat: i64, iss: &str) -> String {
    let mut extra = Map::new();
    extra.insert("iss".into(), Value::String(iss.to_owned()));
    extra.insert("iat".into(), Value::from(iat));
    m.key
        .sign_compact_with_header(payload, Some(SELF_DESCRIPTION_TYP), Some(TURTLE), &extra)
        .expect("sign")
}

async fn total(tb: &TestBroker) -> u64 {
    get(&tb.app, "/api/v1/search").await.json()["total"]
        .as_u64()
        .expect("total")
}

async fn ready_stadtwerke() -> (TestBroker, Member, String) {
    let tb = test_broker(true);
    let sw = stadtwerke();
    let joined = post_json(
        &tb.app,
        "/api/v1/participants",
        &join_request(&sw, &stadtwerke_sd(&sw)),
    )
    .await;
    assert_eq!(joined.status, StatusCode::CREATED);
    let turtle = turtle_of(&graph_with_offer(&stadtwerke_sd(&sw)));
    (tb, sw, turtle)
}

#[tokio::test]
async fn showcase_publication_is_searchable_with_its_terms() {
    let (tb, sw, turtle) = ready_stadtwerke().await;
    let jws = seal(&sw, &turtle, now());
    let answer = put_envelope(&tb.app, &sw.did, &jws).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["datasets"], 1);
    // the envelope is kept exactly as received
    let stored = get(
        &tb.app,
        &format!("/api/v1/self-descriptions/{}", did_path(&sw.did)),
    )
    .await;
    assert_eq!(stored.text(), jws);
    assert_eq!(stored.headers["content-type"], "application/jose");

    let found = get(&tb.app, "/api/v1/search?q=W%C3%A4rmeplanungen")
        .await
        .json();
    assert_eq!(found["total"], 1, "stemming finds the plural");
    let hit = &found["results"][0];
    assert_eq!(hit["title"], "Stromverbrauch je Baublock 2024");
    assert_eq!(
        hit["template"]["title"],
        "Kommunale Planung – aggregiert, 12 Monate"
    );
    let terms: Vec<&str> = hit["keyTerms"]
        .as_array()
        .expect("terms")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        terms
            .iter()
            .any(|t| t.starts_with("Zweck:") && t.contains("Wärmeplanung")),
        "{terms:?}"
    );
    assert!(
        terms.contains(&"Nutzungsdauer: höchstens 12 Monate"),
        "{terms:?}"
    );
    assert!(terms.contains(&"Keine Weitergabe an Dritte"), "{terms:?}");
    assert!(
        hit["purposes"]
            .as_array()
            .expect("purposes")
            .contains(&"https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung".into())
    );
}

#[tokio::test]
async fn a_new_publication_replaces_the_previous_one_atomically() {
    let (tb, sw, turtle) = ready_stadtwerke().await;
    let t0 = now();
    assert_eq!(
        put_envelope(&tb.app, &sw.did, &seal(&sw, &turtle, t0))
            .await
            .status,
        StatusCode::OK
    );
    let renamed = turtle.replace(
        "Stromverbrauch je Baublock 2024",
        "Gasverbrauch je Baublock 2024",
    );
    let a = put_envelope(&tb.app, &sw.did, &seal(&sw, &renamed, t0 + 1)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let all = get(&tb.app, "/api/v1/search").await.json();
    assert_eq!(all["total"], 1, "replaced, not added");
    assert_eq!(all["results"][0]["title"], "Gasverbrauch je Baublock 2024");
    let sparql = get(
        &tb.app,
        "/sparql?query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20WHERE%20%7B%20%3Fd%20%3Chttp%3A%2F%2Fpurl.org%2Fdc%2Fterms%2Ftitle%3E%20%22Stromverbrauch%20je%20Baublock%202024%22%40de%20%7D",
    )
    .await;
    assert_eq!(
        sparql.json()["results"]["bindings"][0]["n"]["value"],
        "0",
        "{}",
        sparql.text()
    );
}

#[tokio::test]
async fn bad_envelopes_are_refused_and_nothing_is_stored() {
    let (tb, sw, turtle) = ready_stadtwerke().await;
    let ms = musterstadt();
    post_json(
        &tb.app,
        "/api/v1/participants",
        &join_request(&ms, &musterstadt_sd(&ms)),
    )
    .await;
    let t = now();
    let impostor = Member {
        key: vocab::jose::SigningKey::generate(sw.key.kid()).expect("key"),
        ..sw.clone()
    };
    let broken_turtle =
        "@prefix dct: <http://purl.org/dc/terms/> .\n<https://x> dct:title \"unterminated ;\n";
    let invalid_dcat = turtle.replace(
        "dct:description \"Annual 2024 electricity",
        "dct:source \"Annual 2024 electricity",
    );
    let invalid_dcat = strip_german_description(&invalid_dcat);
    let other_publisher = turtle_of(&graph_with_offer(&musterstadt_sd(&ms)));
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "unsigned Turtle",
            turtle.clone(),
            StatusCode::BAD_REQUEST,
            "malformed_envelope",
        ),
        (
            "empty body",
            String::new(),
            StatusCode::BAD_REQUEST,
            "malformed_envelope",
        ),
        (
            "alg none",
            unsigned_jws(&turtle, &sw.did, t),
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "wrong key, same kid",
            seal(&impostor, &turtle, t),
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            "signed by another participant",
            seal(&ms, &other_publisher, t),
            StatusCode::FORBIDDEN,
            "wrong_participant",
        ),
        (
            "graph published by another participant",
            raw_envelope(&sw, other_publisher.as_bytes(), t, &sw.did),
            StatusCode::FORBIDDEN,
            "wrong_participant",
        ),
        (
            "malformed RDF",
            raw_envelope(&sw, broken_turtle.as_bytes(), t, &sw.did),
            StatusCode::BAD_REQUEST,
            "malformed_rdf",
        ),
        (
            "invalid DCAT",
            raw_envelope(&sw, invalid_dcat.as_bytes(), t, &sw.did),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_dcat",
        ),
        (
            "iat in the future",
            seal(&sw, &turtle, t + 3_600),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "tampered payload",
            tamper(&seal(&sw, &turtle, t)),
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
    ];
    for (what, body, status, code) in cases {
        let a = put_envelope(&tb.app, &sw.did, &body).await;
        assert_eq!(
            (a.status, a.error_code().as_str()),
            (status, code),
            "{what}: {}",
            a.text()
        );
        assert!(
            !a.json()["message"].as_str().unwrap_or_default().is_empty(),
            "{what}"
        );
        assert!(
            tb.broker
                .store()
                .envelope(&sw.did)
                .expect("store")
                .is_none(),
            "{what}: nothing stored"
        );
        assert_eq!(total(&tb).await, 0, "{what}: nothing visible");
    }
    // the DCAT error names node and property
    let a = put_envelope(
        &tb.app,
        &sw.did,
        &raw_envelope(&sw, invalid_dcat.as_bytes(), t, &sw.did),
    )
    .await;
    let details = a.json()["details"].to_string();
    assert!(
        details.contains("stromverbrauch-baublock-2024") && details.contains("description"),
        "{details}"
    );
    // the malformed RDF error names the line
    let a = put_envelope(
        &tb.app,
        &sw.did,
        &raw_envelope(&sw, broken_turtle.as_bytes(), t, &sw.did),
    )
    .await;
    assert!(
        a.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("line"),
        "{}",
        a.text()
    );

    // a participant that is not active, and one that does not exist
    let pending_broker = test_broker(false);
    post_json(
        &pending_broker.app,
        "/api/v1/participants",
        &join_request(&sw, &stadtwerke_sd(&sw)),
    )
    .await;
    let a = put_envelope(&pending_broker.app, &sw.did, &seal(&sw, &turtle, t)).await;
    assert_eq!(
        (a.status, a.error_code().as_str()),
        (StatusCode::FORBIDDEN, "not_active")
    );
    let nobody = member("https://nobody.example");
    let a = put_envelope(&tb.app, &nobody.did, &seal(&sw, &turtle, t)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

fn strip_german_description(turtle: &str) -> String {
    // remove the dataset's German description so that it has none (dct:description is mandatory)
    let start = turtle.find("dct:description").expect("description");
    let mut out = turtle.to_owned();
    let line_end = out[start..].find(" ;").map(|i| start + i + 2).expect("end");
    out.replace_range(start..line_end, "");
    out
}

fn unsigned_jws(turtle: &str, did: &str, iat: i64) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({"alg": "none", "kid": format!("{did}#key-1"), "iss": did, "iat": iat,
        "typ": SELF_DESCRIPTION_TYP, "cty": TURTLE});
    format!("{}.{}.", b64.encode(header.to_string()), b64.encode(turtle))
}

fn tamper(jws: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(b64.decode(parts[1]).expect("b64")).expect("utf8");
    let changed = payload.replace("Stromverbrauch", "Wasserverbrauch");
    format!("{}.{}.{}", parts[0], b64.encode(changed), parts[2])
}

#[tokio::test]
async fn oversized_envelopes_are_refused_before_reading_them() {
    let mut config = config(true);
    config.publication.max_envelope_bytes = 4_096;
    let tb = test_broker_with(config);
    let sw = stadtwerke();
    post_json(
        &tb.app,
        "/api/v1/participants",
        &join_request(&sw, &stadtwerke_sd(&sw)),
    )
    .await;
    let jws = seal(
        &sw,
        &turtle_of(&graph_with_offer(&stadtwerke_sd(&sw))),
        now(),
    );
    assert!(jws.len() > 4_096);
    let a = put_envelope(&tb.app, &sw.did, &jws).await;
    assert_eq!(
        (a.status, a.error_code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert!(
        a.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("4096")
    );
    assert!(
        tb.broker
            .store()
            .envelope(&sw.did)
            .expect("store")
            .is_none()
    );
}

#[tokio::test]
async fn replays_and_older_envelopes_are_refused() {
    let (tb, sw, turtle) = ready_stadtwerke().await;
    let t = now() - 10;
    let first = seal(&sw, &turtle, t);
    assert_eq!(
        put_envelope(&tb.app, &sw.did, &first).await.status,
        StatusCode::OK
    );
    let replay = put_envelope(&tb.app, &sw.did, &first).await;
    assert_eq!(
        (replay.status, replay.error_code().as_str()),
        (StatusCode::CONFLICT, "replay")
    );
    let older = put_envelope(
        &tb.app,
        &sw.did,
        &seal(&sw, &turtle.replace("Stromverbrauch", "Alt"), t - 5),
    )
    .await;
    assert_eq!(older.error_code(), "replay");
    assert_eq!(
        tb.broker
            .store()
            .envelope(&sw.did)
            .expect("store")
            .expect("kept")
            .jws,
        first
    );
}

fn deletion(m: &Member, iat: i64) -> String {
    vocab::envelope::seal_deletion(&m.key, iat).expect("deletion")
}

async fn delete(tb: &TestBroker, did: &str, body: &str) -> Answer {
    call(
        &tb.app,
        Method::DELETE,
        &format!("/api/v1/self-descriptions/{}", did_path(did)),
        &[("content-type", "application/jose")],
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn signed_deletion_withdraws_at_once() {
    let (tb, sw, turtle) = ready_stadtwerke().await;
    let t = now() - 10;
    assert_eq!(
        put_envelope(&tb.app, &sw.did, &seal(&sw, &turtle, t))
            .await
            .status,
        StatusCode::OK
    );
    let ms = musterstadt();
    let foreign = delete(&tb, &sw.did, &deletion(&ms, t + 1)).await;
    assert_eq!(foreign.error_code(), "wrong_participant");
    let stale = delete(&tb, &sw.did, &deletion(&sw, t)).await;
    assert_eq!(stale.error_code(), "replay");
    assert_eq!(total(&tb).await, 1);
    let done = delete(&tb, &sw.did, &deletion(&sw, t + 1)).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text());
    assert_eq!(total(&tb).await, 0);
    assert_eq!(
        get(
            &tb.app,
            &format!("/api/v1/self-descriptions/{}", did_path(&sw.did))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let again = delete(&tb, &sw.did, &deletion(&sw, t + 2)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // the old envelope cannot be replayed after the deletion
    assert_eq!(
        put_envelope(&tb.app, &sw.did, &seal(&sw, &turtle, t))
            .await
            .error_code(),
        "replay"
    );
}

#[tokio::test]
async fn silent_descriptions_expire_and_come_back_on_refresh() {
    let mut config = config(true);
    config.publication.expire_after_secs = 1;
    let tb = test_broker_with(config);
    let sw = stadtwerke();
    assert_eq!(
        join_and_publish(&tb, &sw, &stadtwerke_sd(&sw)).await.status,
        StatusCode::OK
    );
    assert!(
        tb.broker.expire_silent().expect("sweep").is_empty(),
        "fresh descriptions stay"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(
        tb.broker.expire_silent().expect("sweep"),
        vec![sw.did.clone()]
    );
    assert_eq!(total(&tb).await, 0);
    let count = get(
        &tb.app,
        "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
    )
    .await;
    assert_eq!(count.json()["boolean"], false, "gone from SPARQL too");
    let turtle = turtle_of(&graph_with_offer(&stadtwerke_sd(&sw)));
    assert_eq!(
        put_envelope(&tb.app, &sw.did, &seal(&sw, &turtle, now() + 1))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(total(&tb).await, 1);
}

#[tokio::test]
async fn revocation_hides_the_participant_and_stops_publication() {
    let tb = test_broker(true);
    let sw = stadtwerke();
    assert_eq!(
        join_and_publish(&tb, &sw, &stadtwerke_sd(&sw)).await.status,
        StatusCode::OK
    );
    assert_eq!(total(&tb).await, 1);
    assert_eq!(
        admin(&tb.admin, "revoke", &sw.did, Some("Missbrauch"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(total(&tb).await, 0);
    let ask = get(
        &tb.app,
        "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
    )
    .await;
    assert_eq!(ask.json()["boolean"], false);
    let turtle = turtle_of(&graph_with_offer(&stadtwerke_sd(&sw)));
    let a = put_envelope(&tb.app, &sw.did, &seal(&sw, &turtle, now() + 1)).await;
    assert_eq!(
        (a.status, a.error_code().as_str()),
        (StatusCode::FORBIDDEN, "revoked")
    );
}

#[tokio::test]
async fn indexes_are_rebuilt_from_sled_at_start() {
    let dir = std::env::temp_dir().join(format!("broker-rebuild-{}", uuid::Uuid::new_v4()));
    let key = vocab::jose::SigningKey::generate("did:web:broker.test#authority-key").expect("key");
    let open = |key: &vocab::jose::SigningKey| {
        let store = Arc::new(broker::store::SledStore::open(&dir).expect("store"));
        let authority = broker::authority::Authority::new(key.clone(), BROKER_URL, 365, 3600)
            .expect("authority");
        Arc::new(broker::Broker::new(config(true), store, authority).expect("broker"))
    };
    let sw = stadtwerke();
    let ms = musterstadt();
    {
        let b = open(&key);
        b.rebuild().expect("rebuild");
        let app = broker::http::app(b.clone());
        let tb = TestBroker {
            admin: broker::http::admin_app(b.clone(), broker::http::AdminToken::new(ADMIN_TOKEN)),
            app,
            broker: b,
        };
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
        assert_eq!(
            admin(&tb.admin, "revoke", &ms.did, Some("Test"))
                .await
                .status,
            StatusCode::OK
        );
    }
    let b = open(&key);
    let app = broker::http::app(b.clone());
    assert_eq!(
        get(&app, "/api/v1/search").await.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready before the rebuild"
    );
    let report = b.rebuild().expect("rebuild");
    assert_eq!(
        (report.descriptions, report.datasets, report.skipped),
        (1, 1, 1)
    );
    let found = get(&app, "/api/v1/search?q=Stromverbrauch").await.json();
    assert_eq!(found["total"], 1);
    let all = get(&app, "/api/v1/search").await.json();
    assert_eq!(all["total"], 1);
    assert_eq!(
        all["results"][0]["participant"],
        sw.did.as_str(),
        "the revoked participant stays hidden"
    );
    drop(app);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
}
