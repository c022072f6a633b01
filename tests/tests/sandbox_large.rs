//! Ten million records answered with flat memory: the CSV is generated on disk (about 600 MB),
//! the sandbox aggregates it in a streaming way, and the peak resident memory of the query is
//! printed and bounded far below the data's size. `SANDBOX_LARGE_ROWS` changes the row count.
//!
//! Run with `cargo test -p tests --features sandbox --test sandbox_large -- --nocapture`.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::time::Instant;

use connector::sandbox::{AggregationRequest, MeasureValue, QueryHistory, Sandbox, SandboxSource};
use sandbox_support::{
    TempDir, peak_rss_mib, reset_peak_rss, rss_mib, school_policy, write_school_csv,
};

/// Peak memory the query may add, in MiB: far below the file (about 600 MB for 10 M rows) and
/// independent of the row count (see `bench-sandbox` for the 1 M versus 10 M comparison).
const QUERY_MEMORY_BOUND_MIB: f64 = 256.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_million_rows_are_aggregated_with_flat_memory() {
    let rows: u64 = std::env::var("SANDBOX_LARGE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let dir = TempDir::new("large");
    let path = dir.join("pupils.csv");
    let started = Instant::now();
    write_school_csv(&path, rows, 42).expect("write the data");
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!(
        "generated {rows} rows, {:.0} MiB of CSV in {:.1} s",
        bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    let request = AggregationRequest::from_json(
        br#"{"purpose":"ProvideOfficialStatistics","groupBy":["district","year","age_band","sex"],
            "measures":[{"function":"count"},{"function":"sum","column":"absent_days"},
                        {"function":"mean","column":"bmi"}],
            "filters":[{"column":"age","op":"gte","value":5}]}"#,
    )
    .unwrap();
    let resettable = reset_peak_rss();
    let before = rss_mib();
    let started = Instant::now();
    let answer = Sandbox::default()
        .execute(
            &SandboxSource::csv(&path),
            &school_policy(),
            &request,
            5,
            &mut QueryHistory::new(),
        )
        .await
        .expect("answer");
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    println!(
        "query: {seconds:.1} s, {:.1} M rows/s; RSS before {before:.0} MiB, peak {peak:.0} MiB \
         (peak reset before the query: {resettable}); {} groups, {} suppressed",
        rows as f64 / seconds / 1e6,
        answer.groups.len(),
        answer.groups_suppressed
    );

    let counted: u64 = answer
        .groups
        .iter()
        .map(|g| match g.values[0] {
            MeasureValue::Count(n) => n,
            _ => panic!("count is never withheld"),
        })
        .sum();
    // 8 districts × 3 years × 3 age bands × 3 sexes.
    assert_eq!(answer.groups.len() as u64 + answer.groups_suppressed, 216);
    if rows >= 10_000_000 {
        assert_eq!(
            answer.groups_suppressed, 0,
            "every cell is large at 10 M rows"
        );
        assert_eq!(counted, rows, "every record is counted once");
    }
    assert!(
        peak - before < QUERY_MEMORY_BOUND_MIB,
        "the query added {:.0} MiB of peak memory for {:.0} MiB of data",
        peak - before,
        bytes as f64 / 1048576.0
    );
}
