//! The sandbox's protections on file sources: k-suppression at the boundary, withheld measures,
//! identifying and closed columns, strict requests, differencing attacks refused while
//! legitimate repeated queries pass, the query log record, and Parquet equal to CSV.
//!
//! Run with `cargo test -p tests --features sandbox --test sandbox_rules`.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use connector::sandbox::{
    AggregationRequest, Answer, MeasureValue, QueryHistory, QueryLogRecord, Sandbox, SandboxError,
    SandboxSource, Scalar,
};
use sandbox_support::{Pupil, TempDir, school_policy, write_csv};

fn request(json: &str) -> AggregationRequest {
    AggregationRequest::from_json(json.as_bytes()).expect("valid request")
}

fn pupil(id: u64, district: &'static str, age: u32, sex: &'static str, year: u32) -> Pupil {
    Pupil {
        id,
        birth_date: format!("{}-01-01", year - age),
        district,
        year,
        age,
        sex,
        bmi_tenths: Some(150 + (id % 40) as u32),
        absent_days: (id % 13) as u32,
    }
}

/// Nord: 40 pupils (one aged 5, one aged 10, two of sex "d"), Süd: 37, Ost: 4.
fn fixture() -> Vec<Pupil> {
    let mut pupils = Vec::new();
    let mut id = 0;
    for i in 0..40u32 {
        let age = match i {
            0 => 5,
            1 => 10,
            _ => 6 + i % 4,
        };
        let sex = match i {
            2 | 3 => "d",
            _ if i % 2 == 0 => "w",
            _ => "m",
        };
        let year = if i % 2 == 0 { 2023 } else { 2024 };
        pupils.push(pupil(id, "Nord", age, sex, year));
        id += 1;
    }
    for i in 0..37u32 {
        let sex = if i % 2 == 0 { "w" } else { "m" };
        let year = if i % 2 == 0 { 2023 } else { 2024 };
        pupils.push(pupil(id, "Süd", 6 + i % 4, sex, year));
        id += 1;
    }
    for i in 0..4u32 {
        pupils.push(pupil(id, "Ost", 6 + i, "w", 2024));
        id += 1;
    }
    pupils
}

struct Fixture {
    _dir: TempDir,
    source: SandboxSource,
}

fn fixture_source() -> Fixture {
    let dir = TempDir::new("rules");
    let path = dir.join("pupils.csv");
    write_csv(&path, &fixture()).expect("write fixture");
    Fixture {
        source: SandboxSource::csv(path),
        _dir: dir,
    }
}

async fn ask(
    source: &SandboxSource,
    json: &str,
    k: u64,
    history: &mut QueryHistory,
) -> Result<Answer, SandboxError> {
    Sandbox::default()
        .execute(source, &school_policy(), &request(json), k, history)
        .await
}

fn keys(answer: &Answer) -> Vec<Vec<Scalar>> {
    answer.groups.iter().map(|g| g.key.clone()).collect()
}

fn text(s: &str) -> Scalar {
    Scalar::Text(s.to_owned())
}

#[tokio::test]
async fn groups_below_k_are_suppressed_at_the_boundary() {
    let dir = TempDir::new("boundary");
    let path = dir.join("boundary.csv");
    // A: 4 records, B: 5 (one without bmi), C: 6.
    let mut pupils = Vec::new();
    for (district, n) in [("A", 4u64), ("B", 5), ("C", 6)] {
        for i in 0..n {
            let id = pupils.len() as u64;
            let mut p = pupil(id, district, 6, "w", 2024);
            p.absent_days = (i * 2) as u32;
            p.bmi_tenths = Some(150 + 10 * i as u32);
            if district == "B" && i == 0 {
                p.bmi_tenths = None;
            }
            pupils.push(p);
        }
    }
    write_csv(&path, &pupils).unwrap();
    let source = SandboxSource::csv(&path);
    let json = r#"{"purpose":"ImproveHealthcare","groupBy":["district"],
        "measures":[{"function":"count"},{"function":"mean","column":"absent_days"},
                    {"function":"mean","column":"bmi"},{"function":"median","column":"bmi"}]}"#;

    let mut history = QueryHistory::new();
    let at5 = ask(&source, json, 5, &mut history).await.unwrap();
    assert_eq!(keys(&at5), vec![vec![text("B")], vec![text("C")]]);
    assert_eq!(
        at5.groups_suppressed, 1,
        "A (4 records) is suppressed at k = 5"
    );
    let b = &at5.groups[0].values;
    assert_eq!(
        b[0],
        MeasureValue::Count(5),
        "B with exactly k records is returned"
    );
    assert_eq!(b[1], MeasureValue::Number((0 + 2 + 4 + 6 + 8) as f64 / 5.0));
    assert_eq!(
        b[2],
        MeasureValue::Withheld,
        "B has only 4 bmi values: the mean is withheld"
    );
    assert_eq!(b[3], MeasureValue::Withheld);
    let c = &at5.groups[1].values;
    assert_eq!(c[0], MeasureValue::Count(6));
    // bmi of C: 15.0, 16.0, …, 20.0: the median of six values is the mean of the middle two.
    assert_eq!(c[3], MeasureValue::Number(17.5));
    assert_eq!(at5.values_withheld, 2);
    assert_eq!(at5.query_number, 1);

    let mut history = QueryHistory::new();
    let at6 = ask(&source, json, 6, &mut history).await.unwrap();
    assert_eq!(keys(&at6), vec![vec![text("C")]]);
    assert_eq!(
        at6.groups_suppressed, 2,
        "at k = 6, B (k − 1 records) is suppressed too"
    );

    let mut history = QueryHistory::new();
    let at4 = ask(&source, json, 4, &mut history).await.unwrap();
    assert_eq!(at4.groups.len(), 3);
    assert_eq!(at4.groups_suppressed, 0);

    let mut history = QueryHistory::new();
    let err = ask(&source, json, 1, &mut history).await.unwrap_err();
    assert!(
        matches!(err, SandboxError::InvalidMinGroupSize { k: 1 }),
        "{err}"
    );
}

#[tokio::test]
async fn identifying_and_closed_columns_are_refused_with_the_field() {
    let f = fixture_source();
    let mut history = QueryHistory::new();
    let cases = [
        (
            r#"{"purpose":"p","groupBy":["pupil_id"],"measures":[{"function":"count"}]}"#,
            "groupBy[0]",
            "\"pupil_id\" is marked identifying",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],
                "filters":[{"column":"birth_date","op":"eq","value":"2018-01-01"}]}"#,
            "filters[0].column",
            "\"birth_date\" is marked identifying",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"},{"function":"median","column":"pupil_id"}]}"#,
            "measures[1].column",
            "\"pupil_id\" is marked identifying",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],
                "filters":[{"column":"bmi","op":"gt","value":25}]}"#,
            "filters[0].column",
            "\"bmi\" may not be filtered on under this agreement",
        ),
        (
            r#"{"purpose":"p","groupBy":["income"],"measures":[{"function":"count"}]}"#,
            "groupBy[0]",
            "has no column \"income\"",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],
                "filters":[{"column":"year","op":"eq","value":"2024"}]}"#,
            "filters[0].value",
            "holds whole numbers; \"2024\" cannot be compared with it",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],
                "filters":[{"column":"district","op":"gt","value":3}]}"#,
            "filters[0].op",
            "`gt` compares numbers only",
        ),
    ];
    for (json, field, words) in cases {
        let err = ask(&f.source, json, 5, &mut history).await.unwrap_err();
        let message = err.to_string();
        assert!(err.is_request_error(), "{message}");
        assert!(
            message.contains(&format!("`{field}`")),
            "{message} should name {field}"
        );
        assert!(message.contains(words), "{message} should say {words}");
        if words.contains("identifying") {
            assert!(matches!(err, SandboxError::IdentifyingColumn { .. }));
            assert!(
                message.contains("GW-6") && message.contains("GW-7"),
                "{message}"
            );
        }
    }
    assert_eq!(history.answered(), 0, "refusals are not answered queries");
    assert_eq!(history.refused, cases.len() as u64);
}

#[test]
fn malformed_requests_name_the_field() {
    let cases = [
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],"limit":3}"#,
            "limit",
            "unknown field `limit`",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"mode","column":"bmi"}]}"#,
            "measures[0].function",
            "unknown variant `mode`",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"sum"}]}"#,
            "measures[0].column",
            "sum needs a column",
        ),
        (
            r#"{"purpose":"p","measures":[]}"#,
            "measures",
            "at least one measure",
        ),
        (
            r#"{"purpose":" ","measures":[{"function":"count"}]}"#,
            "purpose",
            "must not be empty",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],"filters":[{"column":"age","op":"between","low":9,"high":6}]}"#,
            "filters[0].high",
            "below low",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],"filters":[{"column":"age","op":"in","values":[6,[7]]}]}"#,
            "filters[0].values[1]",
            "found a list",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}],"filters":[{"column":"age","op":"lt","values":[6]}]}"#,
            "filters[0].values",
            "not used by this operator",
        ),
        (
            r#"{"purpose":"p","groupBy":["sex","sex"],"measures":[{"function":"count"}]}"#,
            "groupBy[1]",
            "listed twice",
        ),
        (
            r#"{"purpose":"p","measures":[{"function":"count"}]} x"#,
            "(body)",
            "trailing characters",
        ),
    ];
    for (json, field, words) in cases {
        let message = AggregationRequest::from_json(json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(&format!("field `{field}`")),
            "{message} should name {field}"
        );
        assert!(message.contains(words), "{message} should say {words}");
    }
    let huge = format!(
        r#"{{"purpose":"{}","measures":[{{"function":"count"}}]}}"#,
        "x".repeat(20_000)
    );
    let err = AggregationRequest::from_json(huge.as_bytes()).unwrap_err();
    assert!(matches!(err, SandboxError::RequestTooLarge { .. }), "{err}");
}

fn assert_differencing(result: Result<Answer, SandboxError>, earlier: u64, group: &str) {
    match result {
        Err(SandboxError::Differencing(refusal)) => {
            assert_eq!(refusal.earlier_query, earlier, "{refusal}");
            assert_eq!(refusal.group, group, "{refusal}");
            let message = refusal.to_string();
            assert!(
                message.contains(&format!("earlier query #{earlier}")),
                "{message}"
            );
            assert!(message.contains("between 1 and 4 records"), "{message}");
        }
        other => panic!("expected a differencing refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn all_versus_all_but_one_value_is_refused_in_both_orders() {
    let f = fixture_source();
    let all = r#"{"purpose":"p","measures":[{"function":"count"},{"function":"mean","column":"absent_days"}]}"#;
    let all_but_ost = r#"{"purpose":"p","measures":[{"function":"count"},{"function":"mean","column":"absent_days"}],
        "filters":[{"column":"district","op":"neq","value":"Ost"}]}"#;
    let mut history = QueryHistory::new();
    let first = ask(&f.source, all, 5, &mut history).await.unwrap();
    assert_eq!(first.groups[0].values[0], MeasureValue::Count(81));
    assert_differencing(ask(&f.source, all_but_ost, 5, &mut history).await, 1, "");
    assert_eq!(history.answered(), 1);

    let mut history = QueryHistory::new();
    ask(&f.source, all_but_ost, 5, &mut history).await.unwrap();
    assert_differencing(ask(&f.source, all, 5, &mut history).await, 1, "");
}

#[tokio::test]
async fn total_after_a_breakdown_with_a_suppressed_group_is_refused() {
    let f = fixture_source();
    let mut history = QueryHistory::new();
    let breakdown = ask(
        &f.source,
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}]}"#,
        5,
        &mut history,
    )
    .await
    .unwrap();
    assert_eq!(breakdown.groups_suppressed, 1, "Ost has 4 records");
    // The history survives a restart of the connector (stored as JSON).
    let stored = serde_json::to_string(&history).unwrap();
    let mut history: QueryHistory = serde_json::from_str(&stored).unwrap();
    assert_differencing(
        ask(
            &f.source,
            r#"{"purpose":"p","measures":[{"function":"count"}]}"#,
            5,
            &mut history,
        )
        .await,
        1,
        "",
    );
}

#[tokio::test]
async fn overlapping_range_filters_are_refused_and_equal_ranges_pass() {
    let f = fixture_source();
    let mut history = QueryHistory::new();
    let q = |low: u32, high: u32| {
        format!(
            r#"{{"purpose":"p","groupBy":["district"],"measures":[{{"function":"count"}}],
                "filters":[{{"column":"age","op":"between","low":{low},"high":{high}}}]}}"#
        )
    };
    ask(&f.source, &q(5, 9), 5, &mut history).await.unwrap();
    // 6..10 shares all but one pupil per side with 5..9 in Nord (the 5- and the 10-year-old).
    assert_differencing(
        ask(&f.source, &q(6, 10), 5, &mut history).await,
        1,
        "district = \"Nord\"",
    );
    // `5 ≤ age < 10` contains `5 ≤ age ≤ 9` and selects the same pupils: no difference, passes.
    let lt10 = r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}],
        "filters":[{"column":"age","op":"gte","value":5},{"column":"age","op":"lt","value":10}]}"#;
    let same = ask(&f.source, lt10, 5, &mut history).await.unwrap();
    assert_eq!(same.query_number, 2);
    // A narrower nested range that differs by many records passes.
    ask(&f.source, &q(5, 7), 5, &mut history).await.unwrap();
}

#[tokio::test]
async fn a_filter_fixing_the_coarse_group_cannot_reveal_its_suppressed_cell() {
    let f = fixture_source();
    let mut history = QueryHistory::new();
    ask(
        &f.source,
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}]}"#,
        5,
        &mut history,
    )
    .await
    .unwrap();
    // By sex within Nord: "d" (2 pupils) is suppressed, so Nord − (w + m) would reveal it.
    let result = ask(
        &f.source,
        r#"{"purpose":"p","groupBy":["sex"],"measures":[{"function":"count"}],
            "filters":[{"column":"district","op":"eq","value":"Nord"}]}"#,
        5,
        &mut history,
    )
    .await;
    assert_differencing(result, 1, "district = \"Nord\"");
}

#[tokio::test]
async fn legitimate_repeated_and_refined_queries_pass() {
    let f = fixture_source();
    let mut history = QueryHistory::new();
    let queries = [
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"},{"function":"mean","column":"bmi"}]}"#,
        // the same query again
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"},{"function":"mean","column":"bmi"}]}"#,
        // other measures, same groups
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"sum","column":"absent_days"},{"function":"median","column":"bmi"}]}"#,
        // a filter that keeps whole returned groups
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}],
            "filters":[{"column":"district","op":"in","values":["Nord","Süd"]}]}"#,
        // a finer grouping whose cells inside the returned groups are all returned
        r#"{"purpose":"p","groupBy":["district","year"],"measures":[{"function":"count"}]}"#,
        // one year, then the other: disjoint selections
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}],
            "filters":[{"column":"year","op":"eq","value":2023}]}"#,
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"count"}],
            "filters":[{"column":"year","op":"eq","value":2024}]}"#,
        // an incomparable grouping
        r#"{"purpose":"p","groupBy":["age_band"],"measures":[{"function":"count"}]}"#,
    ];
    for (i, json) in queries.iter().enumerate() {
        let answer = ask(&f.source, json, 5, &mut history)
            .await
            .unwrap_or_else(|e| panic!("query {} refused: {e}", i + 1));
        assert_eq!(answer.query_number, i as u64 + 1);
    }
    assert_eq!(history.answered(), queries.len() as u64);
    assert_eq!(history.next_query_number(), queries.len() as u64 + 1);
    assert_eq!(history.refused, 0);
}

#[tokio::test]
async fn the_log_record_keeps_the_shape_not_the_values() {
    let f = fixture_source();
    let mut history = QueryHistory::new();
    let json = r#"{"purpose":"ImproveHealthcare","groupBy":["district"],
        "measures":[{"function":"count"},{"function":"mean","column":"bmi"}]}"#;
    let req = request(json);
    let answer = Sandbox::default()
        .execute(&f.source, &school_policy(), &req, 5, &mut history)
        .await
        .unwrap();
    let mut record = serde_json::to_value(QueryLogRecord::answered(&req, &answer)).unwrap();
    assert!(record["at"].is_string());
    record.as_object_mut().unwrap().remove("at");
    assert_eq!(record["outcome"], "answered");
    assert_eq!(record["queryNumber"], 1);
    assert_eq!(record["groupsReturned"], 2);
    assert_eq!(record["groupsSuppressed"], 1);
    assert_eq!(
        record["columns"],
        serde_json::json!(["district", "count", "mean(bmi)"])
    );
    assert_eq!(
        record["rows"],
        serde_json::json!({"atLeast": 10, "below": 100})
    );
    assert_eq!(record["purpose"], "ImproveHealthcare");
    let text = record.to_string();
    let MeasureValue::Number(mean) = answer.groups[0].values[1] else {
        panic!("mean returned")
    };
    assert!(
        !text.contains(&mean.to_string()),
        "no values in the log: {text}"
    );
    assert!(!text.contains("Nord"), "no group keys in the log: {text}");

    let refused = ask(
        &f.source,
        r#"{"purpose":"p","measures":[{"function":"count"}]}"#,
        5,
        &mut history,
    )
    .await
    .unwrap_err();
    let record =
        serde_json::to_value(QueryLogRecord::refused(&request(json), 5, &refused)).unwrap();
    assert_eq!(record["outcome"], "refused");
    assert_eq!(record["code"], "differencing");
}

#[tokio::test]
async fn parquet_gives_the_same_answer_as_csv() {
    use connector::sandbox::datafusion::dataframe::DataFrameWriteOptions;
    use connector::sandbox::datafusion::prelude::{CsvReadOptions, SessionContext};

    let f = fixture_source();
    let SandboxSource::Csv(csv) = &f.source else {
        unreachable!()
    };
    let parquet = f._dir.join("pupils.parquet");
    let ctx = SessionContext::new();
    ctx.read_csv(csv.path.to_str().unwrap(), CsvReadOptions::new())
        .await
        .unwrap()
        .write_parquet(
            parquet.to_str().unwrap(),
            DataFrameWriteOptions::new(),
            None,
        )
        .await
        .unwrap();
    let json = r#"{"purpose":"p","groupBy":["district","sex"],
        "measures":[{"function":"count"},{"function":"sum","column":"absent_days"},
                    {"function":"mean","column":"bmi"},{"function":"median","column":"age"}],
        "filters":[{"column":"age","op":"gte","value":6}]}"#;
    let from_csv = ask(&f.source, json, 5, &mut QueryHistory::new())
        .await
        .unwrap();
    let from_parquet = ask(
        &SandboxSource::parquet(&parquet),
        json,
        5,
        &mut QueryHistory::new(),
    )
    .await
    .unwrap();
    assert_eq!(from_csv, from_parquet);
    assert!(from_csv.groups.len() >= 4);
}

#[tokio::test]
async fn a_bad_record_is_a_provider_fault_whose_details_stay_with_the_provider() {
    let dir = TempDir::new("bad-record");
    let path = dir.join("pupils.csv");
    // Types are inferred from the first 10 000 records; record 10 050 has text for a number.
    let mut pupils: Vec<Pupil> = (0..10_100)
        .map(|i| pupil(i, "Nord", 6, "w", 2024))
        .collect();
    pupils[10_050].district = "Süd";
    write_csv(&path, &pupils).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replace(
        "S00010050,2018-01-01,Süd,2024,6,",
        "S00010050,2018-01-01,Süd,2024,six,",
    );
    assert_ne!(text, broken);
    std::fs::write(&path, broken).unwrap();
    let json =
        r#"{"purpose":"p","groupBy":["district"],"measures":[{"function":"mean","column":"age"}]}"#;
    let err = ask(
        &SandboxSource::csv(&path),
        json,
        5,
        &mut QueryHistory::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SandboxError::Source { .. }), "{err}");
    assert!(!err.is_request_error());
    assert!(
        err.to_string().contains("six"),
        "the operator sees the detail: {err}"
    );
    assert!(
        !err.consumer_message().contains("six"),
        "{}",
        err.consumer_message()
    );
    let record = serde_json::to_string(&QueryLogRecord::refused(&request(json), 5, &err)).unwrap();
    assert!(
        !record.contains("S00010050") && !record.contains("six"),
        "{record}"
    );
    assert!(record.contains(r#""code":"source""#), "{record}");
}
