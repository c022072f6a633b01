//! Plain-text output: tables, times, and negotiations as operators read them.

use serde_json::{Value, json};

/// A field as text for tables (`-` when missing).
pub fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    }
}

/// Renders rows as an aligned table.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count().min(60));
            }
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c: String = c.chars().take(60).collect();
                format!("{c:<width$}", width = widths.get(i).copied().unwrap_or(0))
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.clone()));
        out.push('\n');
    }
    out
}

/// A millisecond timestamp as local date and time.
pub fn time(ms: &Value) -> String {
    ms.as_i64()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Prints JSON (`--json`) or the human form.
pub fn print(json_out: bool, value: &Value, human: impl FnOnce() -> String) {
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        print!("{}", human());
    }
}

/// A negotiation as text for operators: state, counterparty, what it waits for, why it ended, its history.
pub fn negotiation_summary(n: &Value) -> String {
    let mut s = format!(
        "Negotiation {}\n  role:         {}\n  state:        {}\n  counterparty: {} {}\n  dataset:      {}\n  offer:        {}\n",
        text(n, "id"),
        text(n, "role"),
        text(n, "state"),
        text(&n["counterparty"], "id"),
        n["counterparty"]
            .get("legal_name")
            .and_then(Value::as_str)
            .map(|l| format!("({l})"))
            .unwrap_or_default(),
        text(n, "dataset_id"),
        text(n, "offer_id")
    );
    if let Some(w) = n["waiting"].as_str() {
        s.push_str(&format!(
            "  waiting for:  {}\n",
            if w == "approval" {
                "your approval (approve or reject)"
            } else {
                "your decision on the offer (accept, counter or terminate)"
            }
        ));
    }
    if let Some(t) = n.get("termination").filter(|t| !t.is_null()) {
        s.push_str(&format!(
            "  terminated by {} ({}):\n",
            text(t, "by"),
            text(t, "code")
        ));
        for r in t["reasons"].as_array().into_iter().flatten() {
            s.push_str(&format!("    - {}\n", r.as_str().unwrap_or_default()));
        }
    }
    if let Some(e) = n.get("evaluation").filter(|e| !e.is_null())
        && e["permitted"] == json!(false)
    {
        s.push_str("  evaluation: denied\n");
        for r in e["reasons_de"].as_array().into_iter().flatten() {
            s.push_str(&format!("    - {}\n", r.as_str().unwrap_or_default()));
        }
    }
    s.push_str("  history:\n");
    for h in n["history"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "    {}  {} by {} → {}\n",
            time(&h["at_ms"]),
            text(h, "message"),
            text(h, "by"),
            text(h, "state")
        ));
    }
    s
}
