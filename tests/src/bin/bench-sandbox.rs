//! Benchmark of the sandbox engine: the same group-by over generated school-health data, run
//! through `Sandbox::execute` (policy check, k-suppression, measure withholding, differencing
//! bookkeeping) and directly through DataFusion in the same process. Prints the times, their
//! ratio, rows per second and the peak resident memory of each phase; for CSV and Parquet.
//!
//! ```text
//! cargo run --release -p tests --features sandbox --bin bench-sandbox -- [ROWS] [RUNS]
//! ```
//! ROWS defaults to 10 000 000, RUNS (per variant, the median is reported) to 3.

#[path = "../../tests/sandbox_support/mod.rs"]
mod sandbox_support;

use std::time::Instant;

use connector::sandbox::datafusion::dataframe::DataFrameWriteOptions;
use connector::sandbox::datafusion::functions_aggregate::expr_fn::{avg, count, median, sum};
use connector::sandbox::datafusion::prelude::{
    CsvReadOptions, ParquetReadOptions, SessionContext, col, lit,
};
use connector::sandbox::{AggregationRequest, QueryHistory, Sandbox, SandboxSource};
use sandbox_support::{
    TempDir, peak_rss_mib, reset_peak_rss, rss_mib, school_policy, write_school_csv,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const GROUP_BY: [&str; 4] = ["district", "year", "age_band", "sex"];

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Parquet,
}

struct Figures {
    seconds: f64,
    peak_mib: f64,
    groups: usize,
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(rows, runs.max(1)))
}

async fn bench(rows: u64, runs: usize) -> Result<()> {
    let dir = TempDir::new("bench");
    let csv = dir.join("pupils.csv");
    let parquet = dir.join("pupils.parquet");
    let started = Instant::now();
    write_school_csv(&csv, rows, 42)?;
    let csv_mib = std::fs::metadata(&csv)?.len() as f64 / 1048576.0;
    println!(
        "data: {rows} rows, CSV {csv_mib:.0} MiB, generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    SessionContext::new()
        .read_csv(path_str(&csv)?, CsvReadOptions::new())
        .await?
        .write_parquet(path_str(&parquet)?, DataFrameWriteOptions::new(), None)
        .await?;
    println!(
        "data: Parquet {:.0} MiB, converted in {:.1} s",
        std::fs::metadata(&parquet)?.len() as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
    println!(
        "baseline RSS {:.0} MiB, cores {}",
        rss_mib(),
        Sandbox::default().config().partitions
    );
    println!();
    println!(
        "query: GROUP BY district, year, age_band, sex (216 groups); count, sum(absent_days), mean(bmi)[, median(bmi)]"
    );
    println!(
        "{:<9} {:<8} {:>10} {:>10} {:>7} {:>11} {:>11} {:>11}",
        "format",
        "measures",
        "direct s",
        "sandbox s",
        "ratio",
        "M rows/s",
        "direct MiB",
        "sandbox MiB"
    );
    for format in [Format::Csv, Format::Parquet] {
        for with_median in [false, true] {
            let path = if format == Format::Csv {
                &csv
            } else {
                &parquet
            };
            let mut direct = Vec::new();
            let mut sandboxed = Vec::new();
            for _ in 0..runs {
                direct.push(run_direct(format, path_str(path)?, with_median).await?);
                sandboxed.push(run_sandbox(format, path, with_median).await?);
            }
            let d = median_of(&direct);
            let s = median_of(&sandboxed);
            if direct[0].groups != sandboxed[0].groups {
                return Err(format!(
                    "direct gave {} groups, the sandbox {}",
                    direct[0].groups, sandboxed[0].groups
                )
                .into());
            }
            println!(
                "{:<9} {:<8} {:>10.2} {:>10.2} {:>7.2} {:>11.1} {:>11.0} {:>11.0}",
                if format == Format::Csv {
                    "csv"
                } else {
                    "parquet"
                },
                if with_median { "+median" } else { "basic" },
                d.seconds,
                s.seconds,
                s.seconds / d.seconds,
                rows as f64 / s.seconds / 1e6,
                d.peak_mib,
                s.peak_mib
            );
        }
    }
    println!();
    println!(
        "peak MiB: VmHWM of the process, reset before each run (so: baseline + the run's peak)"
    );
    Ok(())
}

async fn run_direct(format: Format, path: &str, with_median: bool) -> Result<Figures> {
    reset_peak_rss();
    let started = Instant::now();
    let ctx = SessionContext::new();
    let frame = match format {
        Format::Csv => ctx.read_csv(path, CsvReadOptions::new()).await?,
        Format::Parquet => {
            ctx.read_parquet(path, ParquetReadOptions::default())
                .await?
        }
    };
    let mut aggregates = vec![
        count(lit(1i64)).alias("n"),
        sum(col("absent_days")).alias("absent"),
        avg(col("bmi")).alias("bmi_mean"),
    ];
    if with_median {
        aggregates.push(median(col("bmi")).alias("bmi_median"));
    }
    let batches = frame
        .filter(col("age").gt_eq(lit(5i64)))?
        .aggregate(GROUP_BY.iter().map(|c| col(*c)).collect(), aggregates)?
        .collect()
        .await?;
    let groups = batches.iter().map(|b| b.num_rows()).sum();
    Ok(Figures {
        seconds: started.elapsed().as_secs_f64(),
        peak_mib: peak_rss_mib(),
        groups,
    })
}

async fn run_sandbox(format: Format, path: &std::path::Path, with_median: bool) -> Result<Figures> {
    let median = if with_median {
        r#",{"function":"median","column":"bmi"}"#
    } else {
        ""
    };
    let request = AggregationRequest::from_json(
        format!(
            r#"{{"purpose":"ProvideOfficialStatistics","groupBy":["district","year","age_band","sex"],
            "measures":[{{"function":"count"}},{{"function":"sum","column":"absent_days"}},
                        {{"function":"mean","column":"bmi"}}{median}],
            "filters":[{{"column":"age","op":"gte","value":5}}]}}"#
        )
        .as_bytes(),
    )?;
    let source = match format {
        Format::Csv => SandboxSource::csv(path),
        Format::Parquet => SandboxSource::parquet(path),
    };
    reset_peak_rss();
    let started = Instant::now();
    let answer = Sandbox::default()
        .execute(
            &source,
            &school_policy(),
            &request,
            5,
            &mut QueryHistory::new(),
        )
        .await?;
    Ok(Figures {
        seconds: started.elapsed().as_secs_f64(),
        peak_mib: peak_rss_mib(),
        groups: answer.groups.len() + answer.groups_suppressed as usize,
    })
}

fn median_of(figures: &[Figures]) -> Figures {
    let mut seconds: Vec<f64> = figures.iter().map(|f| f.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    let peak = figures.iter().map(|f| f.peak_mib).fold(0.0, f64::max);
    Figures {
        seconds: seconds[seconds.len() / 2],
        peak_mib: peak,
        groups: figures[0].groups,
    }
}

fn path_str(path: &std::path::Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| "temporary path is not UTF-8".into())
}
