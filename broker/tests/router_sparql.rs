//! Router tests of the SPARQL endpoint: the protocol (GET, POST, formats), only visible graphs,
//! updates and SERVICE refused, and malicious queries cut at the time limit without harming
//! other requests.

mod common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::*;

fn q(query: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("query", query);
    format!("/sparql?{}", s.finish())
}

async fn with_showcase(config: broker::BrokerConfig, generated: usize) -> TestBroker {
    let tb = test_broker_with(config);
    let sw = stadtwerke();
    assert_eq!(
        join_and_publish(&tb, &sw, &stadtwerke_sd(&sw)).await.status,
        StatusCode::OK
    );
    for sd in vocab::showcase::generate_self_descriptions(generated, 3) {
        let m = member(&vocab::did::base_url_of(&sd.participant.did).expect("base"));
        assert_eq!(join_and_publish(&tb, &m, &sd).await.status, StatusCode::OK);
    }
    tb
}

const TITLES: &str = "SELECT ?title WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?title FILTER(lang(?title) = 'de') } ORDER BY ?title";

#[tokio::test]
async fn queries_run_over_the_union_of_visible_graphs_in_every_format() {
    let tb = with_showcase(config(true), 0).await;
    let json = get(&tb.app, &q(TITLES)).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text());
    assert_eq!(
        json.headers["content-type"],
        "application/sparql-results+json"
    );
    assert_eq!(
        json.json()["results"]["bindings"][0]["title"]["value"],
        "Stromverbrauch je Baublock 2024"
    );

    let csv = call(
        &tb.app,
        Method::GET,
        &q(TITLES),
        &[("accept", "text/csv")],
        "",
    )
    .await;
    assert_eq!(csv.headers["content-type"], "text/csv");
    assert!(csv.text().contains("Stromverbrauch je Baublock 2024"));

    let post = call(
        &tb.app,
        Method::POST,
        "/sparql",
        &[
            ("content-type", "application/sparql-query"),
            ("accept", "application/sparql-results+xml"),
        ],
        TITLES,
    )
    .await;
    assert_eq!(post.status, StatusCode::OK);
    assert!(post.text().contains("<sparql"));

    let form = format!(
        "query={}",
        url::form_urlencoded::byte_serialize(b"ASK { ?s ?p ?o }").collect::<String>()
    );
    let ask = call(
        &tb.app,
        Method::POST,
        "/sparql",
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    )
    .await;
    assert_eq!(ask.json()["boolean"], true);

    let construct = call(
        &tb.app,
        Method::GET,
        &q("CONSTRUCT { ?d ?p ?o } WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; ?p ?o }"),
        &[("accept", "text/turtle")],
        "",
    )
    .await;
    assert_eq!(construct.headers["content-type"], "text/turtle");
    assert!(construct.text().contains("stromverbrauch-baublock-2024"));

    // one named graph per participant
    let graphs = get(
        &tb.app,
        &q("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
    )
    .await
    .json();
    assert_eq!(
        graphs["results"]["bindings"][0]["g"]["value"],
        "did:web:stadtwerke.example"
    );
}

#[tokio::test]
async fn updates_service_and_syntax_errors_are_refused_clearly() {
    let tb = with_showcase(config(true), 0).await;
    let cases = [
        (
            call(
                &tb.app,
                Method::GET,
                &q("INSERT DATA { <http://a> <http://b> <http://c> }"),
                &[],
                "",
            )
            .await,
            "update_refused",
        ),
        (
            call(
                &tb.app,
                Method::POST,
                "/sparql",
                &[("content-type", "application/sparql-update")],
                "DELETE WHERE { ?s ?p ?o }",
            )
            .await,
            "update_refused",
        ),
        (
            call(
                &tb.app,
                Method::POST,
                "/sparql",
                &[("content-type", "application/x-www-form-urlencoded")],
                "update=CLEAR%20ALL",
            )
            .await,
            "update_refused",
        ),
        (
            get(
                &tb.app,
                &q("SELECT * WHERE { SERVICE <https://evil.example/sparql> { ?s ?p ?o } }"),
            )
            .await,
            "service_refused",
        ),
        (
            get(&tb.app, &q("SELECT * WHERE { ?s ?p }")).await,
            "query_syntax",
        ),
        (get(&tb.app, "/sparql").await, "invalid_request"),
        (
            call(
                &tb.app,
                Method::POST,
                "/sparql",
                &[("content-type", "text/plain")],
                TITLES,
            )
            .await,
            "invalid_request",
        ),
    ];
    for (answer, code) in cases {
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{code}: {}",
            answer.text()
        );
        assert_eq!(answer.error_code(), code, "{}", answer.text());
    }
    // nothing changed
    assert_eq!(
        get(&tb.app, &q("ASK { ?s ?p ?o }")).await.json()["boolean"],
        true
    );
}

#[tokio::test]
async fn results_over_the_limit_are_refused() {
    let mut c = config(true);
    c.sparql.result_limit = 10;
    let tb = with_showcase(c, 0).await;
    let all = get(&tb.app, &q("SELECT * WHERE { ?s ?p ?o }")).await;
    assert_eq!(
        (all.status, all.error_code().as_str()),
        (StatusCode::BAD_REQUEST, "result_limit")
    );
    let limited = get(&tb.app, &q("SELECT * WHERE { ?s ?p ?o } LIMIT 10")).await;
    assert_eq!(limited.status, StatusCode::OK);
}

/// Joined on the predicate (no cartesian product), with a regex over all three objects that
/// cannot be pushed down: it runs on every one of the Σ n_p³ combinations.
const REGEX_BOMB: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z FILTER(REGEX(CONCAT(STR(?x), STR(?y), STR(?z)), '(a|e|i|o|u)*(x+x+)+y')) }";
/// The same join, sorted: every combination is materialised.
const HUGE_SORT: &str = "SELECT * WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z } ORDER BY ?x ?y ?z";

#[tokio::test]
async fn cartesian_products_are_refused_before_they_run() {
    let tb = with_showcase(config(true), 0).await;
    let a = get(
        &tb.app,
        &q("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?c ?f ?i ?l"),
    )
    .await;
    assert_eq!(
        (a.status, a.error_code().as_str()),
        (StatusCode::BAD_REQUEST, "query_refused")
    );
    assert!(
        a.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("share no variable"),
        "{}",
        a.text()
    );
}

#[tokio::test]
async fn huge_sorts_are_cut_by_the_memory_guard() {
    let mut c = config(true);
    c.sparql.time_limit_ms = 20_000;
    c.sparql.memory_limit_mb = 200;
    let tb = with_showcase(c, 50).await;
    let started = Instant::now();
    let answer = get(&tb.app, &q(HUGE_SORT)).await;
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "query_too_large"),
        "{}",
        answer.text()
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "cut by memory before the time limit"
    );
}

#[tokio::test]
async fn malicious_queries_are_cut_at_the_time_limit_without_harming_others() {
    let mut c = config(true);
    c.sparql.time_limit_ms = 400;
    c.sparql.max_concurrent = 2;
    let tb = with_showcase(c, 50).await;
    for query in [REGEX_BOMB, HUGE_SORT] {
        let started = Instant::now();
        let app = tb.app.clone();
        let heavy = tokio::spawn(async move { get(&app, &q(query)).await });
        // meanwhile, search and pages answer
        tokio::time::sleep(Duration::from_millis(50)).await;
        let search = get(&tb.app, "/api/v1/search?q=Stromverbrauch").await;
        assert_eq!(search.status, StatusCode::OK);
        assert!(
            !heavy.is_finished(),
            "the heavy query is still running while search answered"
        );
        let answer = heavy.await.expect("task");
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{query}: {}",
            answer.text()
        );
        let code = answer.error_code();
        assert!(
            code == "query_timeout" || code == "query_too_large",
            "{query}: {}",
            answer.text()
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "cut, not run to the end"
        );
    }
    // the slots are free again
    let mut ok = false;
    for _ in 0..50 {
        if get(&tb.app, &q("ASK { ?s ?p ?o }")).await.status == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "a normal query runs after the malicious ones were cut");
}

#[tokio::test]
async fn a_full_endpoint_answers_busy_instead_of_queueing_forever() {
    let mut c = config(true);
    c.sparql.time_limit_ms = 3_000;
    c.sparql.max_concurrent = 1;
    let tb = with_showcase(c, 50).await;
    let app = tb.app.clone();
    let heavy = tokio::spawn(async move { get(&app, &q(REGEX_BOMB)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = get(&tb.app, &q("ASK { ?s ?p ?o }")).await;
    assert_eq!(
        (second.status, second.error_code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "busy")
    );
    assert_eq!(second.headers["retry-after"], "5");
    let code = heavy.await.expect("task").error_code();
    assert!(
        code == "query_timeout" || code == "query_too_large",
        "{code}"
    );
}
