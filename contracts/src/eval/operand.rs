//! Left operands: what each one means, which operators it allows, how its right operand is
//! read at compile time, and how a value from the request or world is compared with it.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::region::Region;
use super::value::{Value, XsdDuration, parse_date, parse_date_time};
use super::{EvaluationRequest, WorldState};
use crate::charta::PurposeTree;
use crate::odrl::{Literal, OdrlError, Operator, RightOperand, terms};

/// The left operands the system knows, and `Other` for any further one (its value then comes
/// from [`WorldState::values`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperandKind {
    /// `odrl:dateTime`: the current time.
    DateTime,
    /// `odrl:elapsedTime`: time since the agreement started.
    ElapsedTime,
    /// `odrl:count`: the number of this use.
    Count,
    /// `odrl:purpose`: the declared purpose, with the Charta's `isA` hierarchy.
    Purpose,
    /// `gwd:recipientType`: the recipient's participant type.
    RecipientType,
    /// `gwd:recipientAgs`: the recipient's municipality keys.
    RecipientAgs,
    /// `gwd:spatialScope` or `odrl:spatial`: the area the data is used for.
    SpatialScope,
    /// `gwd:chartaMembership`: whether the recipient holds a valid membership.
    ChartaMembership,
    /// `gwd:chartaVersion`: the Charta version the recipient accepted.
    ChartaVersion,
    /// `gwd:aggregationThreshold`: the minimum group size k of an aggregation.
    AggregationThreshold,
    /// Any other operand.
    Other,
}

impl OperandKind {
    /// The kind of a left operand IRI.
    pub fn of(iri: &str) -> OperandKind {
        if let Some(local) = iri.strip_prefix(terms::ODRL) {
            return match local {
                "dateTime" => OperandKind::DateTime,
                "elapsedTime" => OperandKind::ElapsedTime,
                "count" => OperandKind::Count,
                "purpose" => OperandKind::Purpose,
                "spatial" => OperandKind::SpatialScope,
                _ => OperandKind::Other,
            };
        }
        match iri.strip_prefix(terms::GWD) {
            Some("recipientType") => OperandKind::RecipientType,
            Some("recipientAgs") => OperandKind::RecipientAgs,
            Some("spatialScope") => OperandKind::SpatialScope,
            Some("chartaMembership") => OperandKind::ChartaMembership,
            Some("chartaVersion") => OperandKind::ChartaVersion,
            Some("aggregationThreshold") => OperandKind::AggregationThreshold,
            _ => OperandKind::Other,
        }
    }

    /// The operators that make sense for this operand.
    pub fn operators(self) -> &'static [Operator] {
        use Operator::*;
        match self {
            OperandKind::DateTime | OperandKind::ElapsedTime => {
                &[Eq, Neq, Lt, Lteq, Gt, Gteq, TermLteq]
            }
            OperandKind::Count | OperandKind::AggregationThreshold | OperandKind::ChartaVersion => {
                &[Eq, Neq, Lt, Lteq, Gt, Gteq, TermLteq, IsAnyOf, IsNoneOf]
            }
            OperandKind::Purpose => &[Eq, Neq, IsA, IsAnyOf, IsNoneOf, IsAllOf],
            OperandKind::RecipientType => &[Eq, Neq, IsA, IsAnyOf, IsNoneOf],
            OperandKind::RecipientAgs | OperandKind::SpatialScope => {
                &[Eq, Neq, IsPartOf, IsAnyOf, IsNoneOf, HasPart]
            }
            OperandKind::ChartaMembership => &[Eq, Neq],
            OperandKind::Other => &Operator::ALL,
        }
    }
}

/// A point in time or a whole day, as a right operand of `dateTime`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TimeBound {
    Point(DateTime<Utc>),
    /// `[start, next day's start)`.
    Day(NaiveDate, DateTime<Utc>, DateTime<Utc>),
}

/// A right operand read for its left operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CompiledRight {
    Time(TimeBound),
    Duration(XsdDuration),
    Integer(Vec<i64>),
    /// The IRIs as written, and the set they stand for (with descendants for purposes).
    Iris {
        listed: Vec<String>,
        expanded: HashSet<String>,
    },
    Regions(Vec<Region>),
    Bool(bool),
    Versions(Vec<String>),
    Generic(Vec<Value>),
}

fn err(path: &str, message: String) -> OdrlError {
    OdrlError::Value {
        path: format!("{path}.rightOperand"),
        message,
    }
}

fn literal_text<'a>(value: &'a RightOperand, path: &str, what: &str) -> Result<&'a str, OdrlError> {
    match value {
        RightOperand::Literal(l) => Ok(&l.lexical),
        RightOperand::Iri(i) => Ok(i),
        RightOperand::List(_) => Err(err(path, format!("expected a single {what}, found a list"))),
    }
}

fn read_integer(value: &RightOperand, path: &str) -> Result<i64, OdrlError> {
    let text = literal_text(value, path, "whole number")?;
    text.trim()
        .parse::<i64>()
        .map_err(|_| err(path, format!("\"{text}\" is not a whole number")))
}

fn is_list_operator(op: Operator) -> bool {
    matches!(
        op,
        Operator::IsAnyOf | Operator::IsNoneOf | Operator::IsAllOf
    )
}

fn day_bounds(d: NaiveDate) -> Option<TimeBound> {
    let start = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?);
    Some(TimeBound::Day(
        d,
        start,
        start.checked_add_signed(Duration::days(1))?,
    ))
}

/// Reads a literal as a typed value by its datatype (for operands of unknown meaning).
pub(crate) fn literal_value(l: &Literal) -> Value {
    let dt = l
        .datatype
        .as_deref()
        .and_then(|d| d.strip_prefix(terms::XSD));
    let text = l.lexical.trim();
    match dt {
        Some(
            "integer" | "int" | "long" | "short" | "nonNegativeInteger" | "positiveInteger"
            | "unsignedInt",
        ) => text
            .parse()
            .map(Value::Integer)
            .unwrap_or_else(|_| Value::Text(l.lexical.clone())),
        Some("decimal" | "double" | "float") => text
            .parse()
            .map(Value::Decimal)
            .unwrap_or_else(|_| Value::Text(l.lexical.clone())),
        Some("boolean") => match text {
            "true" | "1" => Value::Boolean(true),
            "false" | "0" => Value::Boolean(false),
            _ => Value::Text(l.lexical.clone()),
        },
        Some("dateTime" | "dateTimeStamp") => parse_date_time(text)
            .map(Value::DateTime)
            .unwrap_or_else(|| Value::Text(l.lexical.clone())),
        Some("date") => parse_date(text)
            .map(Value::Date)
            .unwrap_or_else(|| Value::Text(l.lexical.clone())),
        Some("duration" | "dayTimeDuration" | "yearMonthDuration") => XsdDuration::parse(text)
            .map(Value::Duration)
            .unwrap_or_else(|| Value::Text(l.lexical.clone())),
        _ => Value::Text(l.lexical.clone()),
    }
}

fn operand_value(v: &RightOperand) -> Value {
    match v {
        RightOperand::Iri(i) => Value::Iri(i.clone()),
        RightOperand::Literal(l) => literal_value(l),
        RightOperand::List(items) => Value::List(items.iter().map(operand_value).collect()),
    }
}

/// Reads the right operand for its left operand kind; `path` names the constraint.
pub(crate) fn compile_right(
    kind: OperandKind,
    op: Operator,
    right: &RightOperand,
    purposes: &PurposeTree,
    path: &str,
) -> Result<CompiledRight, OdrlError> {
    if !kind.operators().contains(&op) {
        return Err(OdrlError::Value {
            path: format!("{path}.operator"),
            message: format!(
                "operator \"{op}\" does not apply here; use one of: {}",
                kind.operators()
                    .iter()
                    .map(|o| o.term())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let values = right.values();
    if values.len() > 1 && !is_list_operator(op) {
        return Err(err(
            path,
            format!("operator \"{op}\" compares with one value, found a list; use isAnyOf"),
        ));
    }
    Ok(match kind {
        OperandKind::DateTime => {
            let text = literal_text(right, path, "date or date-time")?;
            let bound = match parse_date_time(text) {
                Some(t) => TimeBound::Point(t),
                None => parse_date(text).and_then(day_bounds).ok_or_else(|| {
                    err(path, format!("\"{text}\" is not an xsd:dateTime (2025-12-31T23:59:59Z) or xsd:date (2025-12-31)"))
                })?,
            };
            CompiledRight::Time(bound)
        }
        OperandKind::ElapsedTime => {
            let text = literal_text(right, path, "duration")?;
            CompiledRight::Duration(XsdDuration::parse(text).ok_or_else(|| {
                err(
                    path,
                    format!("\"{text}\" is not an xsd:duration such as P12M or P30D"),
                )
            })?)
        }
        OperandKind::Count | OperandKind::AggregationThreshold => {
            let ints = values
                .iter()
                .map(|v| read_integer(v, path))
                .collect::<Result<Vec<_>, _>>()?;
            if ints.iter().any(|i| *i < 0) {
                return Err(err(path, "must not be negative".into()));
            }
            CompiledRight::Integer(ints)
        }
        OperandKind::Purpose | OperandKind::RecipientType => {
            let mut listed = Vec::new();
            let mut expanded = HashSet::new();
            for v in &values {
                let iri = match v {
                    RightOperand::Iri(i) => i.clone(),
                    RightOperand::Literal(l) if l.datatype.is_none() && l.lexical.contains(':') => {
                        terms::expand_prefixed(&l.lexical)
                    }
                    other => {
                        return Err(err(
                            path,
                            format!("expected a purpose or type IRI, found \"{other}\""),
                        ));
                    }
                };
                if kind == OperandKind::Purpose && op != Operator::Eq && op != Operator::Neq {
                    expanded.extend(purposes.descendants_or_self(&iri));
                } else {
                    expanded.insert(iri.clone());
                }
                listed.push(iri);
            }
            CompiledRight::Iris { listed, expanded }
        }
        OperandKind::RecipientAgs | OperandKind::SpatialScope => {
            let regions = values
                .iter()
                .map(|v| {
                    let text = literal_text(v, path, "region key")?;
                    Region::parse(text).ok_or_else(|| {
                        err(path, format!("\"{text}\" is not an AGS region key (2, 3, 5 or 8 digits, e.g. 09 or 09162000)"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            CompiledRight::Regions(regions)
        }
        OperandKind::ChartaMembership => {
            let text = literal_text(right, path, "boolean")?;
            CompiledRight::Bool(match text {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(err(path, format!("\"{text}\" is not true or false"))),
            })
        }
        OperandKind::ChartaVersion => CompiledRight::Versions(
            values
                .iter()
                .map(|v| literal_text(v, path, "version").map(str::to_owned))
                .collect::<Result<_, _>>()?,
        ),
        OperandKind::Other => {
            CompiledRight::Generic(values.into_iter().map(operand_value).collect())
        }
    })
}

/// Finds the left operand's value in the request and world (closed world: `None` if unknown).
pub(crate) fn left_value(
    kind: OperandKind,
    iri: &str,
    request: &EvaluationRequest,
    world: &WorldState,
) -> Option<Value> {
    match kind {
        OperandKind::DateTime => world.now.map(Value::DateTime),
        OperandKind::ElapsedTime => match (world.agreement_start, world.now) {
            (Some(start), Some(now)) => Some(Value::Duration(XsdDuration::from_seconds(
                (now - start).num_seconds(),
            ))),
            _ => world.values.get(iri).cloned(),
        },
        OperandKind::Count => world
            .use_count
            .map(|c| Value::Integer(i64::try_from(c.saturating_add(1)).unwrap_or(i64::MAX))),
        OperandKind::Purpose => request.purpose.clone().map(Value::Iri),
        OperandKind::RecipientType => world.recipient.participant_type.clone().map(Value::Iri),
        OperandKind::RecipientAgs => match world.recipient.ags.as_slice() {
            [] => None,
            [one] => Some(Value::Text(one.clone())),
            many => Some(Value::List(many.iter().cloned().map(Value::Text).collect())),
        },
        OperandKind::SpatialScope => world.spatial_scope.clone().map(Value::Text),
        OperandKind::ChartaMembership => Some(Value::Boolean(world.recipient.charta_member)),
        OperandKind::ChartaVersion => world.recipient.charta_version.clone().map(Value::Text),
        OperandKind::AggregationThreshold => world
            .aggregation_k
            .map(|k| Value::Integer(i64::try_from(k).unwrap_or(i64::MAX))),
        OperandKind::Other => world.values.get(iri).cloned(),
    }
}

fn ordered(op: Operator, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Operator::Eq => ord == Equal,
        Operator::Neq => ord != Equal,
        Operator::Lt => ord == Less,
        Operator::Lteq | Operator::TermLteq => ord != Greater,
        Operator::Gt => ord == Greater,
        Operator::Gteq => ord != Less,
        _ => false,
    }
}

fn membership(op: Operator, found: bool) -> bool {
    match op {
        Operator::IsNoneOf | Operator::Neq => !found,
        _ => found,
    }
}

fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| {
        s.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    let (mut x, mut y) = (parse(a), parse(b));
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    x.cmp(&y)
}

fn time_holds(op: Operator, now: DateTime<Utc>, bound: &TimeBound) -> bool {
    match bound {
        TimeBound::Point(t) => ordered(op, now.cmp(t)),
        TimeBound::Day(_, start, end) => match op {
            Operator::Eq => now >= *start && now < *end,
            Operator::Neq => !(now >= *start && now < *end),
            Operator::Lt => now < *start,
            Operator::Lteq | Operator::TermLteq => now < *end,
            Operator::Gt => now >= *end,
            Operator::Gteq => now >= *start,
            _ => false,
        },
    }
}

fn generic_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => Some(x.cmp(y)),
        (Value::Integer(x), Value::Decimal(y)) => (*x as f64).partial_cmp(y),
        (Value::Decimal(x), Value::Integer(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Decimal(x), Value::Decimal(y)) => x.partial_cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Boolean(x), Value::Boolean(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) if !x.has_months() && !y.has_months() => {
            let sx = if x.negative { -x.seconds } else { x.seconds };
            let sy = if y.negative { -y.seconds } else { y.seconds };
            Some(sx.cmp(&sy))
        }
        (Value::Iri(x) | Value::Text(x), Value::Iri(y) | Value::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Compares a known left value with the compiled right operand.
pub(crate) fn holds(
    kind: OperandKind,
    op: Operator,
    left: &Value,
    right: &CompiledRight,
    purposes: &PurposeTree,
    world: &WorldState,
) -> bool {
    match (kind, right) {
        (OperandKind::DateTime, CompiledRight::Time(bound)) => match left {
            Value::DateTime(now) => time_holds(op, *now, bound),
            _ => false,
        },
        (OperandKind::ElapsedTime, CompiledRight::Duration(limit)) => {
            match (world.agreement_start, world.now) {
                (Some(start), Some(now)) => match limit.add_to(start) {
                    Some(deadline) => ordered(op, now.cmp(&deadline)),
                    None => false,
                },
                _ => match left {
                    Value::Duration(d) => {
                        generic_cmp(&Value::Duration(*d), &Value::Duration(*limit))
                            .is_some_and(|o| ordered(op, o))
                    }
                    _ => false,
                },
            }
        }
        (_, CompiledRight::Integer(ints)) => match left {
            Value::Integer(v) => match op {
                Operator::IsAnyOf | Operator::IsNoneOf => membership(op, ints.contains(v)),
                _ => ints.first().is_some_and(|r| ordered(op, v.cmp(r))),
            },
            _ => false,
        },
        (OperandKind::Purpose, CompiledRight::Iris { listed, expanded }) => {
            let Value::Iri(p) = left else { return false };
            match op {
                Operator::Eq => listed.first().is_some_and(|l| l == p),
                Operator::Neq => listed.first().is_some_and(|l| l != p),
                Operator::IsA | Operator::IsAnyOf => expanded.contains(p),
                Operator::IsNoneOf => !expanded.contains(p),
                // A single declared purpose "is all of" the listed ones when it is a kind of each.
                Operator::IsAllOf => listed.iter().all(|l| purposes.is_a(p, l)),
                _ => false,
            }
        }
        (_, CompiledRight::Iris { listed, .. }) => {
            let (Value::Iri(v) | Value::Text(v)) = left else {
                return false;
            };
            match op {
                Operator::Eq | Operator::IsA => listed.first().is_some_and(|l| l == v),
                Operator::Neq => listed.first().is_some_and(|l| l != v),
                _ => membership(op, listed.contains(v)),
            }
        }
        (_, CompiledRight::Regions(regions)) => {
            let lefts: Vec<Option<Region>> = match left {
                Value::List(items) => items
                    .iter()
                    .map(|v| Region::parse(&v.to_string()))
                    .collect(),
                other => vec![Region::parse(&other.to_string())],
            };
            if lefts.is_empty() {
                return false;
            }
            lefts.iter().all(|l| {
                let Some(l) = l else { return false };
                match op {
                    Operator::Eq => regions.first().is_some_and(|r| r == l),
                    Operator::Neq => regions.first().is_some_and(|r| r != l),
                    Operator::IsPartOf => regions.first().is_some_and(|r| r.contains(l)),
                    Operator::HasPart => regions.first().is_some_and(|r| l.contains(r)),
                    Operator::IsAnyOf => regions.iter().any(|r| r.contains(l)),
                    Operator::IsNoneOf => !regions.iter().any(|r| r.contains(l)),
                    _ => false,
                }
            })
        }
        (_, CompiledRight::Bool(b)) => match left {
            Value::Boolean(v) => membership(op, v == b),
            _ => false,
        },
        (_, CompiledRight::Versions(versions)) => {
            let v = left.to_string();
            match op {
                Operator::IsAnyOf | Operator::IsNoneOf => {
                    membership(op, versions.iter().any(|r| version_cmp(&v, r).is_eq()))
                }
                _ => versions
                    .first()
                    .is_some_and(|r| ordered(op, version_cmp(&v, r))),
            }
        }
        (_, CompiledRight::Generic(values)) => generic_holds(op, left, values),
        _ => false,
    }
}

fn generic_holds(op: Operator, left: &Value, values: &[Value]) -> bool {
    let eq = |a: &Value, b: &Value| generic_cmp(a, b).is_some_and(|o| o.is_eq()) || a == b;
    match op {
        Operator::IsAnyOf | Operator::IsPartOf => values.iter().any(|r| eq(left, r)),
        Operator::IsNoneOf => !values.iter().any(|r| eq(left, r)),
        Operator::IsAllOf | Operator::HasPart => {
            let lefts: Vec<&Value> = match left {
                Value::List(items) => items.iter().collect(),
                other => vec![other],
            };
            values.iter().all(|r| lefts.iter().any(|l| eq(l, r)))
        }
        Operator::IsA | Operator::Eq => values.first().is_some_and(|r| eq(left, r)),
        Operator::Neq => !values.first().is_some_and(|r| eq(left, r)),
        _ => values
            .first()
            .and_then(|r| {
                generic_cmp(left, r).or_else(|| (left == r).then_some(std::cmp::Ordering::Equal))
            })
            .is_some_and(|o| ordered(op, o)),
    }
}
