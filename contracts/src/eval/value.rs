//! Values compared during evaluation: typed XSD values read from literals.
//!
//! `xsd:dateTime` without a timezone and `xsd:date` are read as UTC; a date stands for the
//! whole day (so `dateTime lteq 2025-12-31` allows the 31st until midnight). `xsd:duration`
//! keeps months and seconds apart (a month has no fixed length): it is added to a start
//! instant with calendar arithmetic.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A value the evaluator compares.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A resource.
    Iri(String),
    /// A plain string.
    Text(String),
    /// An integer.
    Integer(i64),
    /// A decimal number.
    Decimal(f64),
    /// A boolean.
    Boolean(bool),
    /// An instant.
    DateTime(DateTime<Utc>),
    /// A whole day (`xsd:date`).
    Date(NaiveDate),
    /// A duration.
    Duration(XsdDuration),
    /// Several values.
    List(Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Iri(s) | Value::Text(s) => f.write_str(s),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::DateTime(d) => write!(
                f,
                "{}",
                d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            Value::Date(d) => write!(f, "{d}"),
            Value::Duration(d) => write!(f, "{d}"),
            Value::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// An `xsd:duration`: months and seconds kept apart, with a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XsdDuration {
    /// Whole months (years × 12 + months).
    pub months: i64,
    /// Seconds (days × 86400 + hours × 3600 + minutes × 60 + seconds), whole.
    pub seconds: i64,
    /// Nanoseconds beyond the whole seconds.
    pub nanos: u32,
    /// Whether the duration is negative.
    pub negative: bool,
}

impl XsdDuration {
    /// Reads `PnYnMnDTnHnMnS` (e.g. `P12M`, `P1Y6M`, `PT36H`, `P30DT12H`, `-P1D`).
    pub fn parse(text: &str) -> Option<XsdDuration> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let rest = rest.strip_prefix('P')?;
        if rest.is_empty() || rest.ends_with('T') {
            return None;
        }
        let (date_part, time_part) = match rest.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (rest, None),
        };
        let mut d = XsdDuration {
            negative,
            ..XsdDuration::default()
        };
        let mut any = false;
        let mut parse_part = |part: &str, units: &[(char, i64, bool)]| -> Option<()> {
            let mut num = String::new();
            let mut last_unit = 0usize;
            for c in part.chars() {
                if c.is_ascii_digit() || c == '.' {
                    num.push(c);
                    continue;
                }
                let pos = units.iter().position(|(u, _, _)| *u == c)?;
                if pos < last_unit || num.is_empty() {
                    return None;
                }
                last_unit = pos + 1;
                let (_, factor, is_month) = units[pos];
                if num.contains('.') {
                    // Fractions are allowed for seconds only.
                    if c != 'S' {
                        return None;
                    }
                    let (whole, frac) = num.split_once('.')?;
                    let whole: i64 = whole.parse().ok()?;
                    let frac9 = format!("{frac:0<9}");
                    let nanos: u32 = frac9.get(..9)?.parse().ok()?;
                    d.seconds = d.seconds.checked_add(whole)?;
                    d.nanos = nanos;
                } else {
                    let n: i64 = num.parse().ok()?;
                    let v = n.checked_mul(factor)?;
                    if is_month {
                        d.months = d.months.checked_add(v)?;
                    } else {
                        d.seconds = d.seconds.checked_add(v)?;
                    }
                }
                any = true;
                num.clear();
            }
            if num.is_empty() { Some(()) } else { None }
        };
        parse_part(
            date_part,
            &[('Y', 12, true), ('M', 1, true), ('D', 86_400, false)],
        )?;
        if let Some(t) = time_part {
            parse_part(t, &[('H', 3600, false), ('M', 60, false), ('S', 1, false)])?;
        }
        any.then_some(d)
    }

    /// A duration of whole seconds.
    pub fn from_seconds(seconds: i64) -> XsdDuration {
        XsdDuration {
            months: 0,
            seconds: seconds.abs(),
            nanos: 0,
            negative: seconds < 0,
        }
    }

    /// `start + self`, with calendar months (31 January + P1M = 28/29 February).
    pub fn add_to(&self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let months = Months::new(u32::try_from(self.months.unsigned_abs()).ok()?);
        let secs = Duration::try_seconds(self.seconds)?
            .checked_add(&Duration::nanoseconds(i64::from(self.nanos)))?;
        if self.negative {
            start.checked_sub_months(months)?.checked_sub_signed(secs)
        } else {
            start.checked_add_months(months)?.checked_add_signed(secs)
        }
    }

    /// Whether the duration has calendar months (and so no fixed length).
    pub fn has_months(&self) -> bool {
        self.months != 0
    }

    /// The duration in German words in the dative, for contract prose after a preposition
    /// (`nach 12 Monaten`, `innerhalb von 30 Tagen`).
    pub fn in_words_dative(&self) -> String {
        let nominative = self.in_words(true);
        let mut out = Vec::new();
        for part in nominative.split(", ") {
            let dative = match part.rsplit_once(' ') {
                Some((n, "Monate")) => format!("{n} Monaten"),
                Some((n, "Tage")) => format!("{n} Tagen"),
                Some((n, w)) if w.ends_with('e') && n != "1" => format!("{n} {w}n"),
                _ => part.to_owned(),
            };
            out.push(dative);
        }
        out.join(", ")
    }

    /// Describes the duration in words (`12 Monate` / `12 months`).
    pub fn in_words(&self, german: bool) -> String {
        let mut parts = Vec::new();
        let mut push = |n: i64, de1: &str, den: &str, en1: &str, enn: &str| {
            if n != 0 {
                let w = match (german, n == 1) {
                    (true, true) => de1,
                    (true, false) => den,
                    (false, true) => en1,
                    (false, false) => enn,
                };
                parts.push(format!("{n} {w}"));
            }
        };
        push(self.months, "Monat", "Monate", "month", "months");
        let (days, rem) = (self.seconds / 86_400, self.seconds % 86_400);
        push(days, "Tag", "Tage", "day", "days");
        push(rem / 3600, "Stunde", "Stunden", "hour", "hours");
        push(rem % 3600 / 60, "Minute", "Minuten", "minute", "minutes");
        push(rem % 60, "Sekunde", "Sekunden", "second", "seconds");
        if parts.is_empty() {
            return if german {
                "0 Sekunden".into()
            } else {
                "0 seconds".into()
            };
        }
        let joined = parts.join(", ");
        if self.negative {
            format!("-{joined}")
        } else {
            joined
        }
    }
}

impl fmt::Display for XsdDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        if self.months != 0 {
            write!(f, "{}M", self.months)?;
        }
        let (days, rem) = (self.seconds / 86_400, self.seconds % 86_400);
        if days != 0 {
            write!(f, "{days}D")?;
        }
        if rem != 0 || self.nanos != 0 {
            f.write_str("T")?;
            if rem / 3600 != 0 {
                write!(f, "{}H", rem / 3600)?;
            }
            if rem % 3600 / 60 != 0 {
                write!(f, "{}M", rem % 3600 / 60)?;
            }
            if rem % 60 != 0 || self.nanos != 0 {
                if self.nanos != 0 {
                    let frac = format!("{:09}", self.nanos);
                    write!(f, "{}.{}S", rem % 60, frac.trim_end_matches('0'))?;
                } else {
                    write!(f, "{}S", rem % 60)?;
                }
            }
        }
        if self.months == 0 && self.seconds == 0 && self.nanos == 0 {
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

/// Reads an `xsd:dateTime` (timezone optional, UTC assumed; seconds optional, as in the DSP
/// examples' `2023-12-31T06:00Z`).
pub fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M%#z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(d) = DateTime::parse_from_str(text, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = text.strip_suffix('Z').unwrap_or(text);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    None
}

/// Reads an `xsd:date` (`2025-12-31`, optionally with `Z`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.strip_suffix('Z').unwrap_or(text), "%Y-%m-%d").ok()
}

/// A date or instant in the form a German reader expects (`31.12.2025 23:59 UTC`).
pub(crate) fn format_instant(d: &DateTime<Utc>, german: bool) -> String {
    if german {
        d.format("%d.%m.%Y %H:%M UTC").to_string()
    } else {
        d.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// A day in the form a German reader expects (`31.12.2025`).
pub(crate) fn format_date(d: &NaiveDate, german: bool) -> String {
    if german {
        format!("{:02}.{:02}.{}", d.day(), d.month(), d.year())
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = XsdDuration::parse("P12M").expect("P12M");
        assert_eq!((d.months, d.seconds), (12, 0));
        assert_eq!(d.to_string(), "P12M");
        let d = XsdDuration::parse("P1Y6M2DT3H4M5.5S").expect("full");
        assert_eq!(d.months, 18);
        assert_eq!(d.seconds, 2 * 86_400 + 3 * 3600 + 4 * 60 + 5);
        assert_eq!(d.nanos, 500_000_000);
        assert_eq!(d.to_string(), "P18M2DT3H4M5.5S");
        assert!(XsdDuration::parse("PT36H").is_some());
        for bad in ["P", "PT", "12M", "P1H", "PM", "P1.5M", "P1M1Y", "P1D2", ""] {
            assert!(XsdDuration::parse(bad).is_none(), "{bad} must be rejected");
        }
        let start = parse_date_time("2025-01-31T00:00:00Z").expect("start");
        let end = XsdDuration::parse("P1M")
            .and_then(|d| d.add_to(start))
            .expect("end");
        assert_eq!(end.to_rfc3339(), "2025-02-28T00:00:00+00:00");
        // Absurd durations do not panic; they have no end.
        let huge = XsdDuration::parse("PT9223372036854775807S").expect("parses");
        assert_eq!(huge.add_to(start), None);
        assert_eq!(XsdDuration::parse("P99999999999999999999Y"), None);
        assert_eq!(
            XsdDuration::parse("P24M").map(|d| d.in_words(true)),
            Some("24 Monate".into())
        );
        assert_eq!(
            XsdDuration::parse("P18M").map(|d| d.in_words(false)),
            Some("18 months".into())
        );
    }

    #[test]
    fn date_times() {
        assert!(parse_date_time("2024-02-12T11:20:10.999Z").is_some());
        assert!(parse_date_time("2017-12-19T15:00:00").is_some());
        assert!(parse_date_time("2023-12-31T06:00Z").is_some());
        assert!(parse_date_time("2023-12-31T06:00+01:00").is_some());
        assert!(parse_date_time("yesterday").is_none());
        assert_eq!(parse_date("2018-01-01").map(|d| d.year()), Some(2018));
    }
}
