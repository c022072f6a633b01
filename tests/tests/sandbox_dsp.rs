//! Sandbox access between two real connectors built with the feature `sandbox`: a
//! personal-adjacent dataset offered under the sandbox template, negotiated, and queried
//! through a `Sandbox-QUERY` transfer over DSP. Covers k-suppression at the boundary (k-1
//! suppressed, k returned), an identifying column refused, a differencing attempt refused
//! with its explanation, the ODRL `count` exhausted after n answered queries, a query after
//! the transfer's termination refused, a raw HttpData-PULL of the dataset refused, the catalog
//! listing only `Sandbox-QUERY`, the audit log keeping the queries' shape without values, the
//! provider's dashboard page, and `connector query`. Every DSP message is captured for
//! `validate-dsp-message`.
#![cfg(feature = "sandbox")]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::harness::{ConnectorOptions, TestConnector, TestEnv, urlencode};

const DATASET: &str = "schuleingang-2024";
const PURPOSE: &str = "gwd:Gesundheitsberichterstattung";
/// The agreement's `count` limit on queries.
const MAX_QUERIES: u64 = 3;

/// 21 children: Nord 5 (= k), Süd 4 (= k-1), Ost 12; all in 2024.
fn data_csv() -> String {
    let mut csv = String::from("person_id,name,district,year,heat_kwh\n");
    let mut n = 0;
    for (district, count) in [("Nord", 5), ("Süd", 4), ("Ost", 12)] {
        for i in 0..count {
            n += 1;
            csv.push_str(&format!("{n},Kind {n},{district},2024,{}\n", 100 + i * 10));
        }
    }
    csv
}

/// The sandbox template with k = 5 (by parameter) and a limit on the number of queries.
fn template() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/templates/sandbox-schul-und-gesundheitsdaten.md"
    ))
    .expect("template");
    let limited = text.replace(
        "  \"gwd:chartaMembership eq true\",\n",
        &format!("  \"gwd:chartaMembership eq true\",\n  \"count lteq {MAX_QUERIES}\",\n"),
    );
    assert_ne!(limited, text, "the template's constraint list changed");
    limited
}

/// The DSP messages of `type_` the connectors captured so far (both sides).
fn captured(env: &TestEnv, type_: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut dirs = vec![env.capture.dir().clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["@type"] == type_
            {
                out.push(v);
            }
        }
    }
    out
}

/// A dashboard page of `c`, after logging in with the management token (login form with its
/// CSRF cookie, then the session cookie).
async fn dashboard_page(env: &TestEnv, c: &TestConnector, path: &str) -> String {
    let pem = std::fs::read(&env.ca_file).expect("CA file");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("https://localhost:{}", c.management_port);
    let cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next().map(str::to_owned))
            .collect()
    };
    let r = http
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .expect("login page");
    let login = cookies(&r).into_iter().next().expect("login cookie");
    let csrf = login
        .split_once('=')
        .map(|(_, v)| v.to_owned())
        .expect("csrf");
    let r = http
        .post(format!("{base}/dashboard/login"))
        .header("cookie", &login)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={}&token={}",
            urlencode(&csrf),
            urlencode(&c.token)
        ))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303, "login");
    let session = cookies(&r).join("; ");
    let r = http
        .get(format!("{base}{path}"))
        .header("cookie", session)
        .send()
        .await
        .expect("page");
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.expect("page text")
}

async fn put(c: &TestConnector, env: &TestEnv, path: &str, body: &Value) -> (u16, Value) {
    let r = env
        .http
        .put(format!("https://localhost:{}{path}", c.management_port))
        .bearer_auth(&c.token)
        .json(body)
        .send()
        .await
        .expect("PUT");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn wait_for<F, Fut>(what: &str, mut probe: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn transfer_in(c: &TestConnector, id: &str, states: &[&str]) -> Value {
    wait_for(&format!("transfer {id} in {states:?}"), || async {
        let (status, t) = c.get(&format!("/api/v1/transfers/{id}")).await;
        (status == 200 && states.iter().any(|s| t["state"] == *s)).then_some(t)
    })
    .await
}

async fn query(c: &TestConnector, transfer: &str, body: Value) -> (u16, Value) {
    c.post(&format!("/api/v1/transfers/{transfer}/query"), &body)
        .await
}

/// The provider's side of the consumer's transfer `consumer_pid`, if it knows it.
async fn provider_side(provider: &TestConnector, consumer_pid: &str) -> Option<Value> {
    let (_, list) = provider.get("/api/v1/transfers").await;
    list.as_array()?
        .iter()
        .find(|t| t["consumer_pid"] == consumer_pid)
        .cloned()
}

/// A count query presented straight to the provider's query endpoint with a ticket the
/// consumer connector issued (`/api/v1/transfers/{id}/ticket`), bypassing the consumer's checks.
async fn present_directly(env: &TestEnv, ticket: &Value) -> (u16, Value) {
    let r = env
        .http
        .post(ticket["endpoint"].as_str().expect("endpoint"))
        .header(
            "authorization",
            ticket["authorization"].as_str().expect("token"),
        )
        .header("x-dsp-caller", ticket["caller"].as_str().expect("caller"))
        .json(&by_district(json!([{"function": "count"}])))
        .send()
        .await
        .expect("query presented directly");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn by_district(measures: Value) -> Value {
    json!({"purpose": PURPOSE, "groupBy": ["district"], "measures": measures})
}

/// Two connectors with a finalized sandbox agreement about [`DATASET`].
struct Setup {
    env: TestEnv,
    provider: TestConnector,
    consumer: TestConnector,
    agreement: String,
}

impl Setup {
    /// Starts a Sandbox-QUERY transfer; returns its id once STARTED.
    async fn sandbox_transfer(&self) -> String {
        let (status, tq) = self
            .consumer
            .post(
                "/api/v1/transfers",
                &json!({"agreement_id": self.agreement, "format": "Sandbox-QUERY"}),
            )
            .await;
        assert_eq!(status, 201, "{tq}");
        let tid = tq["id"].as_str().expect("id").to_owned();
        transfer_in(&self.consumer, &tid, &["STARTED"]).await;
        tid
    }
}

/// Provider: the dataset, its sandbox source and column policy, the offer (template
/// `parameters`); the catalog; the negotiation with the provider's approval.
async fn setup(test: &str, parameters: Value) -> Setup {
    let env = TestEnv::new(test);
    let provider = TestConnector::start(&env, ConnectorOptions::company("gesundheitsamt")).await;
    let consumer = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;

    // Provider: the dataset, its sandbox source and column policy, the offer.
    let file = env.dir.join("schuleingang.csv");
    std::fs::write(&file, data_csv()).expect("data");
    let (status, t) = provider
        .post_text("/api/v1/templates", &template(), "text/markdown")
        .await;
    assert_eq!(status, 201, "template: {t}");
    let (status, a) = provider
        .post(
            "/api/v1/assets",
            &json!({"id": DATASET, "title": "Schuleingangsuntersuchungen 2024",
                    "ags": "09162000", "personal_adjacent": true}),
        )
        .await;
    assert_eq!(status, 201, "asset: {a}");
    let spec_path = format!("/api/v1/assets/{DATASET}/sandbox");
    let spec = json!({"source": {"kind": "csv", "path": file.display().to_string()},
        "policy": {"groupable": ["district", "year"], "filterable": ["district", "year"],
                   "measurable": ["heat_kwh"], "identifying": ["person_id", "name"]}});
    let mut inline = spec.clone();
    inline["source"] =
        json!({"kind": "postgres", "connection": "host=db password=geheim", "table": "kinder"});
    let (status, e) = put(&provider, &env, &spec_path, &inline).await;
    assert_eq!(status, 400, "an inline connection string is refused: {e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("connection_env"),
        "{e}"
    );
    let (status, s) = put(&provider, &env, &spec_path, &spec).await;
    assert_eq!(status, 200, "sandbox spec: {s}");

    // Deleting an asset removes its sandbox spec: created again under the same id, it has none.
    let scratch = json!({"id": "scratch-sandbox", "title": "Entwurf", "ags": "09162000",
                         "personal_adjacent": true});
    let (status, a) = provider.post("/api/v1/assets", &scratch).await;
    assert_eq!(status, 201, "scratch asset: {a}");
    let scratch_spec = "/api/v1/assets/scratch-sandbox/sandbox";
    let (status, s) = put(&provider, &env, scratch_spec, &spec).await;
    assert_eq!(status, 200, "scratch spec: {s}");
    let r = env
        .http
        .delete(format!(
            "https://localhost:{}/api/v1/assets/scratch-sandbox",
            provider.management_port
        ))
        .bearer_auth(&provider.token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status().as_u16(), 204);
    let (status, a) = provider.post("/api/v1/assets", &scratch).await;
    assert_eq!(status, 201, "scratch asset again: {a}");
    let (status, s) = provider.get(scratch_spec).await;
    assert_eq!(status, 404, "the deleted asset's spec is gone: {s}");
    let (status, o) = provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": DATASET, "template_id": t["id"],
                    "template_version": t["version"], "parameters": parameters}),
        )
        .await;
    assert_eq!(status, 201, "offer: {o}");

    // The catalog lists only Sandbox-QUERY for the dataset.
    let (status, catalog) = consumer
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": provider.dsp_base()}),
        )
        .await;
    assert_eq!(status, 200, "catalog: {catalog}");
    let text = catalog.to_string();
    assert!(text.contains("Sandbox-QUERY"), "{text}");
    assert!(!text.contains("HttpData-PULL"), "{text}");

    // Negotiation (manual approval on the provider's side).
    let (status, n) = consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": provider.dsp_base(), "dataset_id": DATASET,
                    "purpose": PURPOSE}),
        )
        .await;
    assert_eq!(status, 201, "negotiation: {n}");
    let waiting = wait_for("the provider's negotiation", || async {
        let (_, list) = provider.get("/api/v1/negotiations").await;
        list.as_array()
            .and_then(|l| l.iter().find(|n| n["state"] == "REQUESTED").cloned())
    })
    .await;
    let (status, a) = provider
        .post(
            &format!(
                "/api/v1/negotiations/{}/approve",
                waiting["id"].as_str().expect("id")
            ),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "approve: {a}");
    consumer
        .wait_state(n["id"].as_str().expect("id"), "FINALIZED", 40)
        .await;
    let (_, agreements) = consumer.get("/api/v1/agreements").await;
    let agreement = agreements[0]["id"].as_str().expect("agreement").to_owned();
    wait_for("the provider's agreement", || async {
        let (status, a) = provider
            .get(&format!("/api/v1/agreements/{}", urlencode(&agreement)))
            .await;
        (status == 200).then_some(a)
    })
    .await;

    Setup {
        env,
        provider,
        consumer,
        agreement,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_queries_through_dsp() {
    let Setup {
        env,
        provider,
        consumer,
        agreement,
    } = setup("sandbox_dsp", json!({"k": "5"})).await;

    // A raw pull of the personal-adjacent dataset is refused by the provider.
    let (status, pull) = consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": agreement, "format": "HttpData-PULL"}),
        )
        .await;
    assert_eq!(status, 201, "{pull}");
    let refused = transfer_in(&consumer, pull["id"].as_str().expect("id"), &["TERMINATED"]).await;
    assert!(
        refused["termination"].to_string().contains("HTTP 400"),
        "{refused}"
    );
    let error = captured(&env, "TransferError")
        .into_iter()
        .find(|m| m["code"] == "sandbox_only")
        .expect("the provider's TransferError, captured");
    let why = error["reason"].to_string();
    assert!(
        why.contains("personal-adjacent") && why.contains("personennah"),
        "{why}"
    );
    assert!(why.contains("Sandbox-QUERY"), "{why}");

    // The sandbox transfer: started with the query endpoint.
    let (status, tq) = consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": agreement, "format": "Sandbox-QUERY"}),
        )
        .await;
    assert_eq!(status, 201, "{tq}");
    let tid = tq["id"].as_str().expect("id").to_owned();
    transfer_in(&consumer, &tid, &["STARTED"]).await;

    // 1: k-suppression at the boundary: Nord (5 = k) returned, Süd (4 = k-1) suppressed.
    let (status, answer) = query(
        &consumer,
        &tid,
        by_district(json!([{"function": "count"}, {"function": "mean", "column": "heat_kwh"}])),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["k"], 5, "{answer}");
    assert_eq!(answer["groupsSuppressed"], 1, "{answer}");
    let groups = answer["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2, "{answer}");
    assert_eq!(groups[0]["key"], json!(["Nord"]), "{answer}");
    assert_eq!(groups[0]["values"], json!([5, 120.0]), "{answer}");
    assert_eq!(groups[1]["key"], json!(["Ost"]), "{answer}");
    assert_eq!(groups[1]["values"][0], 12, "{answer}");
    assert!(!answer.to_string().contains("Süd"), "{answer}");

    // An identifying column is refused, in German and English.
    let (status, e) = query(
        &consumer,
        &tid,
        json!({"purpose": PURPOSE, "groupBy": ["name"], "measures": [{"function": "count"}]}),
    )
    .await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["code"], "identifying_column", "{e}");
    let reasons = e["reason"].to_string();
    assert!(
        reasons.contains("identifizierend") && reasons.contains("marked identifying"),
        "{e}"
    );

    // Differencing: the total minus query 1's returned groups would be the 4 children of Süd.
    let (status, e) = query(
        &consumer,
        &tid,
        json!({"purpose": PURPOSE, "measures": [{"function": "count"}]}),
    )
    .await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["code"], "differencing", "{e}");
    let reasons = e["reason"].to_string();
    assert!(
        reasons.contains("Differenzbildung") && reasons.contains("Anfrage Nr. 1"),
        "{e}"
    );
    assert!(reasons.contains("earlier query #1"), "{e}");
    assert!(!reasons.contains("21"), "no counts leak: {e}");

    // Queries 2 and 3 are answered (refusals do not count); the 4th exceeds `count`.
    let (status, a2) = query(
        &consumer,
        &tid,
        json!({"purpose": PURPOSE, "groupBy": ["district"], "measures": [{"function": "count"}],
               "filters": [{"column": "year", "op": "eq", "value": 2024}]}),
    )
    .await;
    assert_eq!((status, a2["queryNumber"].clone()), (200, json!(2)), "{a2}");
    // Query 3 with `connector query`: the table and the suppressed groups.
    let (ok, out, err) = consumer.cli(&[
        "query",
        &tid,
        "--group-by",
        "district",
        "--measure",
        "sum:heat_kwh",
        "--purpose",
        PURPOSE,
    ]);
    assert!(ok, "connector query: {out} {err}");
    assert!(
        out.contains("Query #3") && out.contains("Nord") && out.contains("Ost"),
        "{out}"
    );
    assert!(
        out.contains("1 groups suppressed (fewer than k = 5 records)"),
        "{out}"
    );
    assert!(!out.contains("Süd"), "{out}");
    let (status, e) = query(&consumer, &tid, by_district(json!([{"function": "count"}]))).await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["code"], "policy_denied", "{e}");
    assert!(
        e["reason"].to_string().contains('3'),
        "the limit is named: {e}"
    );
    let (ok, out, err) = consumer.cli(&["query", &tid, "--measure", "count"]);
    assert!(!ok, "the 5th query is refused: {out}");
    assert!(
        err.contains("policy_denied"),
        "the CLI names the refusal: {err}"
    );
    // Starting a query transfer is no use of its own (the queries are): with the count spent,
    // a new Sandbox-QUERY transfer is refused as the next query would be, naming the limit.
    let (status, again) = consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": agreement, "format": "Sandbox-QUERY"}),
        )
        .await;
    assert_eq!(status, 201, "{again}");
    let again = transfer_in(
        &consumer,
        again["id"].as_str().expect("id"),
        &["TERMINATED"],
    )
    .await;
    assert!(
        again.to_string().contains('3'),
        "the limit is named: {again}"
    );

    // The provider's audit log has every query's shape, never a value. A query's entry is
    // staged with its answer and written to the log just after it: wait for the seventh.
    let sandbox_queries = |audit: &Value| {
        audit.as_array().map_or(0, |entries| {
            entries
                .iter()
                .filter(|e| e.to_string().contains("sandbox_query"))
                .count()
        })
    };
    let audit = wait_for("the provider's audit entries of the 7 queries", || async {
        let (status, audit) = provider
            .get(&format!(
                "/api/v1/audit?agreement={}",
                urlencode(&agreement)
            ))
            .await;
        assert_eq!(status, 200, "{audit}");
        (sandbox_queries(&audit) >= 7).then_some(audit)
    })
    .await;
    assert_eq!(
        sandbox_queries(&audit),
        7,
        "3 answered + 4 refused: {audit}"
    );
    let audit_text = audit.to_string();
    assert!(
        !audit_text.contains("Kind 1") && !audit_text.contains("120.0"),
        "{audit_text}"
    );
    assert!(audit_text.contains("groupsSuppressed"), "{audit_text}");

    // The provider's query log (API and dashboard page).
    let (status, log) = provider
        .get(&format!(
            "/api/v1/sandbox/queries?agreement={}",
            urlencode(&agreement)
        ))
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log.as_array().map(Vec::len), Some(7), "{log}");
    let page = dashboard_page(&env, &provider, "/dashboard/sandbox").await;
    assert!(page.contains(&agreement), "{page}");
    assert!(
        page.contains(r#"<a href="/dashboard/sandbox" aria-current="page">Sandbox-Anfragen</a>"#),
        "the navigation links the sandbox page: {page}"
    );
    assert!(page.contains("3 beantwortet, 4 abgelehnt"), "{page}");
    assert!(page.contains("2 Gruppen, 1 unterdrückt"), "{page}");
    assert!(page.contains("Abgelehnt (differencing)"), "{page}");
    assert!(
        page.contains("mean(heat_kwh)") && page.contains("year = 2024"),
        "{page}"
    );
    assert!(!page.contains("Kind 1"), "no values: {page}");

    // After termination, the provider refuses the token (even presented directly).
    let (status, ticket) = consumer
        .post(&format!("/api/v1/transfers/{tid}/ticket"), &json!({}))
        .await;
    assert_eq!(status, 200, "{ticket}");
    let (status, t) = consumer
        .post(&format!("/api/v1/transfers/{tid}/terminate"), &json!({}))
        .await;
    assert_eq!(status, 200, "{t}");
    let (status, e) = query(&consumer, &tid, by_district(json!([{"function": "count"}]))).await;
    assert_eq!(
        status, 409,
        "the consumer does not send through a terminated transfer: {e}"
    );
    wait_for("the provider's side of the termination", || async {
        provider_side(&provider, &tid)
            .await
            .filter(|t| t["state"] == "TERMINATED")
    })
    .await;
    let (status, body) = present_directly(&env, &ticket).await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(
        body["code"] == "invalid_token" || body["code"] == "not_started",
        "refused for the termination: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_query_after_expiry_is_refused() {
    let s = setup("sandbox_dsp_expiry", json!({"k": "5", "dauer": "PT25S"})).await;
    let (_, agreements) = s.consumer.get("/api/v1/agreements").await;
    let signed = contracts::agreement::SignedAgreement::from_dsp_json(&agreements[0]["agreement"])
        .expect("agreement");
    let expires = signed.agreement.start + chrono::Duration::seconds(25);
    let tid = s.sandbox_transfer().await;
    let (status, a) = query(
        &s.consumer,
        &tid,
        by_district(json!([{"function": "count"}])),
    )
    .await;
    assert_eq!(status, 200, "answered while the agreement runs: {a}");
    let wait = (expires - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(500)).await;
    // Presented directly with a fresh request token: the provider refuses after the expiry.
    let (status, ticket) = s
        .consumer
        .post(&format!("/api/v1/transfers/{tid}/ticket"), &json!({}))
        .await;
    assert_eq!(status, 200, "{ticket}");
    let (status, body) = present_directly(&s.env, &ticket).await;
    assert!((400..500).contains(&status), "{status} {body}");
    if body["code"] != "agreement_expired" {
        // The provider's enforcement ended the transfer at the expiry first (tokens revoked).
        let ended = provider_side(&s.provider, &tid)
            .await
            .expect("the provider's transfer");
        let text = ended["termination"].to_string();
        assert!(
            ended["state"] == "TERMINATED"
                && ended["termination"]["by"] == "enforcement"
                && text.contains("duration of use (25 seconds) has ended"),
            "refused ({body}) because the agreement expired: {ended}"
        );
    }
}
