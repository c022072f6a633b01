//! Typed template parameters: reading values, checking bounds, and writing them as prose
//! and as ODRL right operands.

use chrono::NaiveDate;

use crate::charta::PurposeTree;
use crate::eval::{Region, XsdDuration, parse_date};
use crate::odrl::{RightOperand, terms};

/// The type of a template parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ParamType {
    /// A list of purposes (IRIs or prefixed names such as `gwd:Waermeplanung`).
    Purposes,
    /// An `xsd:duration` such as `P12M`.
    Duration,
    /// A region by AGS key (`09`, `09162`, `09162000`).
    Region,
    /// A whole number.
    Count,
    /// A date (`2025-12-31`).
    Date,
    /// A party, by DID.
    Party,
    /// A minimum group size k for aggregates.
    K,
}

impl ParamType {
    /// The type's name as written in the front matter.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Purposes => "purposes",
            ParamType::Duration => "duration",
            ParamType::Region => "region",
            ParamType::Count => "count",
            ParamType::Date => "date",
            ParamType::Party => "party",
            ParamType::K => "k",
        }
    }

    /// An example value, for messages.
    pub fn example(self) -> &'static str {
        match self {
            ParamType::Purposes => "gwd:Waermeplanung, dpv:CombatClimateChange",
            ParamType::Duration => "P12M",
            ParamType::Region => "09162000",
            ParamType::Count => "10",
            ParamType::Date => "2025-12-31",
            ParamType::Party => "did:web:musterstadt.example",
            ParamType::K => "5",
        }
    }
}

/// Why a text is not a valid value of a parameter type, in English and German.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue {
    /// In English.
    pub en: String,
    /// In German.
    pub de: String,
}

impl std::fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

fn invalid(en: String, de: String) -> InvalidValue {
    InvalidValue { en, de }
}

/// A parameter value, read and checked for its type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParamValue {
    /// Purpose IRIs.
    Purposes(Vec<String>),
    /// A duration.
    Duration(XsdDuration),
    /// A region.
    Region(Region),
    /// A whole number (count or k).
    Number(i64),
    /// A date.
    Date(NaiveDate),
    /// A party DID.
    Party(String),
}

impl ParamValue {
    /// Reads a value of type `ty` from text (`--param name=value` or a front matter default).
    pub fn parse(ty: ParamType, text: &str) -> Result<ParamValue, InvalidValue> {
        let t = text.trim();
        match ty {
            ParamType::Purposes => {
                let items: Vec<String> = t
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').trim())
                    .filter(|s| !s.is_empty())
                    .map(terms::expand_prefixed)
                    .collect();
                if items.is_empty() {
                    return Err(invalid(
                        "at least one purpose is needed".into(),
                        "mindestens ein Zweck ist nötig".into(),
                    ));
                }
                if let Some(bad) = items.iter().find(|i| !i.contains(':')) {
                    return Err(invalid(
                        format!("\"{bad}\" is not a purpose IRI (e.g. gwd:Waermeplanung)"),
                        format!("\"{bad}\" ist kein Zweck-IRI (z. B. gwd:Waermeplanung)"),
                    ));
                }
                Ok(ParamValue::Purposes(items))
            }
            ParamType::Duration => XsdDuration::parse(t)
                .filter(|d| !d.negative)
                .map(ParamValue::Duration)
                .ok_or_else(|| {
                    invalid(
                        format!("\"{t}\" is not a duration such as P12M or P30D"),
                        format!("\"{t}\" ist keine Dauer wie P12M oder P30D"),
                    )
                }),
            ParamType::Region => Region::parse(t).map(ParamValue::Region).ok_or_else(|| {
                invalid(
                    format!(
                        "\"{t}\" is not an official AGS region key such as 09, 09162 or 09162000"
                    ),
                    format!(
                        "\"{t}\" ist kein amtlicher Gebietsschlüssel wie 09, 09162 oder 09162000"
                    ),
                )
            }),
            ParamType::Count | ParamType::K => t
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(ParamValue::Number)
                .ok_or_else(|| {
                    invalid(
                        format!("\"{t}\" is not a whole number ≥ 0"),
                        format!("\"{t}\" ist keine ganze Zahl ≥ 0"),
                    )
                }),
            ParamType::Date => parse_date(t).map(ParamValue::Date).ok_or_else(|| {
                invalid(
                    format!("\"{t}\" is not a date such as 2025-12-31"),
                    format!("\"{t}\" ist kein Datum wie 2025-12-31"),
                )
            }),
            ParamType::Party => {
                if t.starts_with("did:") && t.len() > 8 && !t.contains(char::is_whitespace) {
                    Ok(ParamValue::Party(t.to_owned()))
                } else {
                    Err(invalid(
                        format!("\"{t}\" is not a DID such as did:web:musterstadt.example"),
                        format!("\"{t}\" ist keine DID wie did:web:musterstadt.example"),
                    ))
                }
            }
        }
    }

    /// The canonical text of the value (recorded in agreements).
    pub fn canonical(&self) -> String {
        match self {
            ParamValue::Purposes(p) => p.join(","),
            ParamValue::Duration(d) => d.to_string(),
            ParamValue::Region(r) => r.code().to_owned(),
            ParamValue::Number(n) => n.to_string(),
            ParamValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            ParamValue::Party(p) => p.clone(),
        }
    }

    /// The value as German prose (durations in the dative: „nach 12 Monaten“).
    pub fn prose(&self, purposes: &PurposeTree) -> String {
        match self {
            ParamValue::Purposes(p) => {
                let labels: Vec<String> = p.iter().map(|i| purposes.label(i, true)).collect();
                match labels.len() {
                    1 => labels[0].clone(),
                    n => format!("{} und {}", labels[..n - 1].join(", "), labels[n - 1]),
                }
            }
            ParamValue::Duration(d) => d.in_words_dative(),
            ParamValue::Region(r) => r.label(true),
            ParamValue::Number(n) => n.to_string(),
            ParamValue::Date(d) => d.format("%d.%m.%Y").to_string(),
            ParamValue::Party(p) => p.clone(),
        }
    }

    /// The value as an ODRL right operand.
    pub fn operand(&self) -> RightOperand {
        match self {
            ParamValue::Purposes(p) => RightOperand::iri_list(p.iter().cloned()),
            ParamValue::Duration(d) => RightOperand::typed(d.to_string(), "duration"),
            ParamValue::Region(r) => RightOperand::string(r.code()),
            ParamValue::Number(n) => RightOperand::typed(n.to_string(), "integer"),
            ParamValue::Date(d) => RightOperand::typed(d.format("%Y-%m-%d").to_string(), "date"),
            ParamValue::Party(p) => RightOperand::iri(p.clone()),
        }
    }

    /// A value usable for checking a template whose parameter has no default.
    pub fn sample(ty: ParamType) -> ParamValue {
        match ParamValue::parse(ty, ty.example()) {
            Ok(v) => v,
            Err(_) => ParamValue::Number(0),
        }
    }
}

/// Compares two durations by adding them to the same start (months have no fixed length).
pub(crate) fn duration_exceeds(d: &XsdDuration, max: &XsdDuration) -> bool {
    let start =
        chrono::DateTime::<chrono::Utc>::from_timestamp(1_735_689_600, 0).unwrap_or_default();
    match (d.add_to(start), max.add_to(start)) {
        (Some(a), Some(b)) => a > b,
        _ => true,
    }
}
