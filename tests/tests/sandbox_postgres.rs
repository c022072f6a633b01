//! The sandbox on a PostgreSQL table (a real, throw-away server): the aggregation pushed down as
//! SQL gives the same answers as the CSV source on the same data, and the protections hold
//! there too. The test fails, never skips, when PostgreSQL cannot start.
//!
//! Run with `cargo test -p tests --features sandbox --test sandbox_postgres`.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use connector::sandbox::{
    AggregationRequest, Answer, MeasureValue, QueryHistory, Sandbox, SandboxError, SandboxSource,
};
use sandbox_support::{PgCluster, TempDir, school_policy, write_school_csv};

const ROWS: u64 = 30_000;

fn request(json: &str) -> AggregationRequest {
    AggregationRequest::from_json(json.as_bytes()).expect("valid request")
}

async fn ask(source: &SandboxSource, json: &str, k: u64) -> Result<Answer, SandboxError> {
    Sandbox::default()
        .execute(
            source,
            &school_policy(),
            &request(json),
            k,
            &mut QueryHistory::new(),
        )
        .await
}

fn assert_same(csv: &Answer, pg: &Answer, query: &str) {
    assert_eq!(csv.group_by, pg.group_by, "{query}");
    assert_eq!(csv.measures, pg.measures, "{query}");
    assert_eq!(
        csv.groups_suppressed, pg.groups_suppressed,
        "suppressed: {query}"
    );
    assert_eq!(csv.values_withheld, pg.values_withheld, "withheld: {query}");
    assert_eq!(csv.rows, pg.rows, "{query}");
    assert_eq!(csv.groups.len(), pg.groups.len(), "groups: {query}");
    for (a, b) in csv.groups.iter().zip(&pg.groups) {
        assert_eq!(a.key, b.key, "{query}");
        for (x, y) in a.values.iter().zip(&b.values) {
            match (x, y) {
                (MeasureValue::Number(x), MeasureValue::Number(y)) => {
                    let scale = x.abs().max(y.abs()).max(1.0);
                    assert!(
                        (x - y).abs() / scale < 1e-9,
                        "{x} vs {y} in {:?}: {query}",
                        a.key
                    );
                }
                _ => assert_eq!(x, y, "{:?}: {query}", a.key),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_answers_like_csv_and_refuses_like_csv() {
    let pg = PgCluster::start().unwrap_or_else(|e| {
        panic!("PostgreSQL must start for this test (apt-get install postgresql): {e}")
    });
    let dir = TempDir::new("pg-data");
    let csv = dir.join("pupils.csv");
    write_school_csv(&csv, ROWS, 7).expect("write data");
    pg.load_school_table("pupils", &csv)
        .expect("load the table");
    pg.psql(&[
        "CREATE SCHEMA stats",
        "CREATE VIEW stats.\"Pupils View\" AS SELECT * FROM pupils",
    ])
    .expect("create a view");

    let csv_source = SandboxSource::csv(&csv);
    let pg_source = SandboxSource::postgres(pg.connection_string(), "pupils");
    let SandboxSource::Postgres(mut view) =
        SandboxSource::postgres(pg.connection_string(), "Pupils View")
    else {
        unreachable!()
    };
    view.schema = Some("stats".into());
    let view_source = SandboxSource::Postgres(view);

    let queries = [
        (
            5,
            r#"{"purpose":"p","groupBy":["district","sex"],
            "measures":[{"function":"count"},{"function":"sum","column":"absent_days"},
                        {"function":"mean","column":"bmi"},{"function":"median","column":"bmi"},
                        {"function":"median","column":"absent_days"}]}"#,
        ),
        (
            5,
            r#"{"purpose":"p","groupBy":["year","age_band"],
            "measures":[{"function":"count"},{"function":"mean","column":"absent_days"}],
            "filters":[{"column":"district","op":"in","values":["Nord","Hafen","Bergheim"]},
                       {"column":"age","op":"between","low":6,"high":9},
                       {"column":"sex","op":"neq","value":"d"}]}"#,
        ),
        (
            5,
            r#"{"purpose":"p","measures":[{"function":"count"},{"function":"sum","column":"bmi"}],
            "filters":[{"column":"district","op":"eq","value":"Bergheim"},
                       {"column":"year","op":"gte","value":2023}]}"#,
        ),
        // k large enough that many groups are suppressed, and some means withheld.
        (
            40,
            r#"{"purpose":"p","groupBy":["district","year","sex"],
            "measures":[{"function":"count"},{"function":"mean","column":"bmi"}],
            "filters":[{"column":"age","op":"lt","value":7}]}"#,
        ),
        (
            5,
            r#"{"purpose":"p","groupBy":["sex"],"measures":[{"function":"count"}],
            "filters":[{"column":"district","op":"eq","value":"Nowhere"}]}"#,
        ),
    ];
    for (k, json) in queries {
        let from_csv = ask(&csv_source, json, k).await.expect("csv answer");
        let from_pg = ask(&pg_source, json, k).await.expect("postgres answer");
        assert_same(&from_csv, &from_pg, json);
        let from_view = ask(&view_source, json, k).await.expect("view answer");
        assert_same(&from_csv, &from_view, json);
    }
    let heavy = ask(&pg_source, queries[3].1, 40).await.unwrap();
    assert!(heavy.groups_suppressed > 0, "k = 40 suppresses some cells");

    // The protections hold on PostgreSQL: identifying column, nested and overlapping attacks.
    let err = ask(
        &pg_source,
        r#"{"purpose":"p","groupBy":["pupil_id"],"measures":[{"function":"count"}]}"#,
        5,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, SandboxError::IdentifyingColumn { .. }),
        "{err}"
    );

    let sandbox = Sandbox::default();
    let policy = school_policy();
    let mut history = QueryHistory::new();
    let by_district = request(
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}],
            "filters":[{"column":"year","op":"eq","value":2024}]}"#,
    );
    sandbox
        .execute(&pg_source, &policy, &by_district, 5, &mut history)
        .await
        .unwrap();
    // Three extra records for Bergheim in 2024, then the same query: the difference would
    // describe them.
    pg.psql(&["INSERT INTO pupils SELECT * FROM pupils WHERE district = 'Bergheim' AND year = 2024 LIMIT 3"])
        .unwrap();
    let again = sandbox
        .execute(&pg_source, &policy, &by_district, 5, &mut history)
        .await;
    match again {
        Err(SandboxError::Differencing(r)) => {
            assert_eq!(r.earlier_query, 1);
            assert_eq!(r.group, "district = \"Bergheim\", year = 2024");
        }
        other => panic!("expected a differencing refusal, got {other:?}"),
    }
    // Overlapping ranges, counted inside PostgreSQL: ages 5–9 versus 6–10 in one school year
    // and a district/sex cell small enough that the 5- and 10-year-olds are few.
    let range = |low: u32, high: u32| {
        request(&format!(
            r#"{{"purpose":"p","groupBy":["district"],"measures":[{{"function":"count"}}],
                "filters":[{{"column":"sex","op":"eq","value":"d"}},
                           {{"column":"age","op":"between","low":{low},"high":{high}}}]}}"#
        ))
    };
    let mut history = QueryHistory::new();
    let first = sandbox
        .execute(&pg_source, &policy, &range(5, 9), 5, &mut history)
        .await
        .unwrap();
    assert!(
        !first.groups.is_empty(),
        "some district has 5 or more pupils of sex d"
    );
    let second = sandbox
        .execute(&pg_source, &policy, &range(6, 10), 5, &mut history)
        .await;
    assert!(
        matches!(second, Err(SandboxError::Differencing(_))),
        "overlapping ranges on few records: {second:?}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_provider_side_error() {
    let source =
        SandboxSource::postgres("host=127.0.0.1 port=1 user=postgres connect_timeout=2", "t");
    let err = ask(
        &source,
        r#"{"purpose":"p","measures":[{"function":"count"}]}"#,
        5,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            SandboxError::Source {
                source_kind: "postgres",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_request_error());
    let from_env = SandboxSource::postgres_from_env("SANDBOX_TEST_UNSET_VARIABLE", "t");
    let err = ask(
        &from_env,
        r#"{"purpose":"p","measures":[{"function":"count"}]}"#,
        5,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("SANDBOX_TEST_UNSET_VARIABLE is not set"),
        "{err}"
    );
}
