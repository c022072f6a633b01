//! `connector query` (cargo feature `sandbox`): an aggregation request through a started
//! `Sandbox-QUERY` transfer, sent by the consumer connector's management API to the provider.
//!
//! ```text
//! connector query <transfer-id> --group-by district --measure count \
//!     --measure mean:heat_kwh --filter 'year=2024'
//! connector query <transfer-id> --request anfrage.json
//! ```
//!
//! Filters: `col=v` (equal; `col=a|b|c`: one of them; `col=1..9`: between, both included),
//! `col!=v`, `col<n`, `col<=n`, `col>n`, `col>=n`. Values that read as numbers are numbers,
//! `true`/`false` truth values, anything else text (quote a number as `"2024"` to send text).

use std::path::PathBuf;

use serde_json::{Value, json};

use super::output::{print, table};
use super::{CliError, ManagementClient};

/// `connector query`.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// The consumer's transfer id (a started Sandbox-QUERY transfer).
    pub transfer: String,
    /// Group by this column (repeatable, in order).
    #[arg(long = "group-by", value_name = "COLUMN")]
    pub group_by: Vec<String>,
    /// A measure: `count`, `sum:COL`, `mean:COL` or `median:COL` (repeatable).
    #[arg(long = "measure", value_name = "MEASURE")]
    pub measures: Vec<String>,
    /// A filter such as `year=2024`, `district=Nord|Süd`, `age=6..10`, `age<18` (repeatable;
    /// all must hold).
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// The purpose of this query (default: the transfer's).
    #[arg(long)]
    pub purpose: Option<String>,
    /// Send this JSON file as the request instead of building one from the flags.
    #[arg(long, conflicts_with_all = ["group_by", "measures", "filters", "purpose"])]
    pub request: Option<PathBuf>,
}

/// Builds the request, sends it and prints the answer.
pub async fn query(api: &ManagementClient, json_out: bool, a: QueryArgs) -> Result<(), CliError> {
    let body = match &a.request {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Input(format!("reading {}: {e}", path.display())))?;
            serde_json::from_str(&text)
                .map_err(|e| CliError::Input(format!("{} is not JSON: {e}", path.display())))?
        }
        None => build_request(&a)?,
    };
    let answer = api
        .post(
            &format!(
                "/api/v1/transfers/{}/query",
                crate::client::path_segment(&a.transfer)
            ),
            &body,
        )
        .await?;
    print(json_out, &answer, || render(&answer));
    Ok(())
}

/// The request JSON from the flags.
pub fn build_request(a: &QueryArgs) -> Result<Value, CliError> {
    if a.measures.is_empty() {
        return Err(CliError::Input(
            "give at least one --measure (count, sum:COL, mean:COL, median:COL)".into(),
        ));
    }
    let measures = a
        .measures
        .iter()
        .map(|m| parse_measure(m))
        .collect::<Result<Vec<_>, _>>()?;
    let filters = a
        .filters
        .iter()
        .map(|f| parse_filter(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(
        json!({"purpose": a.purpose.clone().unwrap_or_default(), "groupBy": a.group_by,
              "measures": measures, "filters": filters}),
    )
}

fn parse_measure(m: &str) -> Result<Value, CliError> {
    let (function, column) = match m.split_once(':') {
        Some((f, c)) => (f.trim(), Some(c.trim())),
        None => (m.trim(), None),
    };
    match (function, column) {
        ("count", None) => Ok(json!({"function": "count"})),
        ("sum" | "mean" | "median", Some(c)) if !c.is_empty() => {
            Ok(json!({"function": function, "column": c}))
        }
        _ => Err(CliError::Input(format!(
            "--measure {m:?}: use count, sum:COLUMN, mean:COLUMN or median:COLUMN"
        ))),
    }
}

fn parse_filter(f: &str) -> Result<Value, CliError> {
    let bad = |why: &str| CliError::Input(format!("--filter {f:?}: {why}"));
    for (symbol, op) in [
        ("!=", "neq"),
        ("<=", "lte"),
        (">=", "gte"),
        ("<", "lt"),
        (">", "gt"),
        ("=", "eq"),
    ] {
        let Some((column, value)) = f.split_once(symbol) else {
            continue;
        };
        let column = column.trim();
        let value = value.trim();
        if column.is_empty() || value.is_empty() {
            return Err(bad("write COLUMN=VALUE (or !=, <, <=, >, >=)"));
        }
        return Ok(match op {
            "eq" if value.contains('|') => json!({"column": column, "op": "in",
                "values": value.split('|').map(|v| scalar(v.trim())).collect::<Vec<_>>()}),
            "eq" if value.contains("..") => {
                let (low, high) = value.split_once("..").unwrap_or_default();
                let number = |s: &str| {
                    s.trim()
                        .parse::<f64>()
                        .map_err(|_| bad("a range is NUMBER..NUMBER"))
                };
                json!({"column": column, "op": "between", "low": number(low)?,
                       "high": number(high)?})
            }
            "eq" | "neq" => json!({"column": column, "op": op, "value": scalar(value)}),
            _ => {
                let n: f64 = value
                    .parse()
                    .map_err(|_| bad("<, <=, > and >= compare with a number"))?;
                json!({"column": column, "op": op, "value": n})
            }
        });
    }
    Err(bad("write COLUMN=VALUE (or !=, <, <=, >, >=)"))
}

fn scalar(v: &str) -> Value {
    if let Some(text) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return Value::String(text.to_owned());
    }
    match v {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() => json!(n),
        _ => Value::String(v.to_owned()),
    }
}

/// The answer as a table and the suppression line.
pub fn render(answer: &Value) -> String {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut headers = strings(&answer["groupBy"]);
    headers.extend(strings(&answer["measures"]));
    let cell = |v: &Value| match v {
        Value::Null => "(withheld)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let rows: Vec<Vec<String>> = answer["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    let mut row: Vec<String> = g["key"]
                        .as_array()
                        .map(|k| k.iter().map(cell).collect())
                        .unwrap_or_default();
                    if let Some(values) = g["values"].as_array() {
                        row.extend(values.iter().map(cell));
                    }
                    row
                })
                .collect()
        })
        .unwrap_or_default();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let k = &answer["k"];
    let mut out = format!("Query #{} (k = {k})\n", answer["queryNumber"]);
    out.push_str(&table(&header_refs, &rows));
    out.push_str(&format!(
        "{} groups suppressed (fewer than k = {k} records)\n",
        answer["groupsSuppressed"]
    ));
    if answer["valuesWithheld"].as_u64().unwrap_or(0) > 0 {
        out.push_str(&format!(
            "{} values withheld (fewer than k non-empty values in their group)\n",
            answer["valuesWithheld"]
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(measures: &[&str], filters: &[&str]) -> QueryArgs {
        QueryArgs {
            transfer: "t".into(),
            group_by: vec!["district".into()],
            measures: measures.iter().map(|s| (*s).to_owned()).collect(),
            filters: filters.iter().map(|s| (*s).to_owned()).collect(),
            purpose: None,
            request: None,
        }
    }

    #[test]
    fn flags_become_a_request() {
        let r = build_request(&args(
            &["count", "mean:heat_kwh"],
            &[
                "year=2024",
                "district=Nord|Süd",
                "age=6..10",
                "age<18",
                "name!=\"7\"",
            ],
        ))
        .expect("request");
        assert_eq!(
            r["measures"][1],
            json!({"function": "mean", "column": "heat_kwh"})
        );
        assert_eq!(
            r["filters"][0],
            json!({"column": "year", "op": "eq", "value": 2024.0})
        );
        assert_eq!(r["filters"][1]["values"], json!(["Nord", "Süd"]));
        assert_eq!(
            r["filters"][2],
            json!({"column": "age", "op": "between", "low": 6.0, "high": 10.0})
        );
        assert_eq!(r["filters"][3]["op"], "lt");
        assert_eq!(
            r["filters"][4],
            json!({"column": "name", "op": "neq", "value": "7"})
        );
        let e = build_request(&args(&["avg:x"], &[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("avg:x"), "{e}");
        let e = build_request(&args(&["count"], &["age<old"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("number"), "{e}");
    }

    #[test]
    fn answer_prints_groups_and_suppressed() {
        let answer = json!({"queryNumber": 1, "k": 5, "groupBy": ["district"],
            "measures": ["count", "mean(heat_kwh)"],
            "groups": [{"key": ["Nord"], "values": [5, null]}],
            "groupsSuppressed": 1, "valuesWithheld": 1});
        let text = render(&answer);
        assert!(
            text.contains("Nord") && text.contains("(withheld)"),
            "{text}"
        );
        assert!(
            text.contains("1 groups suppressed (fewer than k = 5 records)"),
            "{text}"
        );
    }
}
