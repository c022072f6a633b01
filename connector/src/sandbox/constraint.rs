//! The filter algebra the differencing check reasons with.
//!
//! A request's filters are a conjunction of conditions on single columns. Per column they
//! normalise to either a finite set of allowed values (`eq`, `in`, narrowed by the other
//! conditions) or a range with excluded points (`lt` … `between`, `neq`). On that form two
//! questions are decided:
//! - **implication**: does every record matching filter set A also match filter set B
//!   (A's record set is contained in B's)? Decided exactly for finite sets and real intervals;
//!   where the reasoning cannot prove it (e.g. `age < 21` versus `age ≤ 20` on whole numbers) it
//!   answers "no", and the caller falls back to counting on the data itself.
//! - **disjointness**: can no record match both? Answered "yes" only when provable.
//!
//! Records whose column is empty (NULL) match no condition on that column, in both engines.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::request::{Condition, Filter, FilterValue};

/// A filter value with a total order (numbers by value, -0 = 0).
#[derive(Debug, Clone)]
enum Atom {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl Atom {
    fn from_value(value: &FilterValue) -> Self {
        match value {
            FilterValue::Bool(b) => Atom::Bool(*b),
            FilterValue::Number(n) => Atom::Number(if *n == 0.0 { 0.0 } else { *n }),
            FilterValue::Text(t) => Atom::Text(t.clone()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Atom::Bool(_) => 0,
            Atom::Number(_) => 1,
            Atom::Text(_) => 2,
        }
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Atom::Bool(a), Atom::Bool(b)) => a.cmp(b),
            (Atom::Number(a), Atom::Number(b)) => a.total_cmp(b),
            (Atom::Text(a), Atom::Text(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Atom {}

/// One end of a numeric range.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    value: f64,
    inclusive: bool,
}

/// What one column must satisfy, normalised.
#[derive(Debug, Clone, PartialEq)]
enum ColumnConstraint {
    /// One of these values (empty: nothing matches).
    OneOf(BTreeSet<Atom>),
    /// Within the bounds (numbers only; absent bounds are unbounded) and not one of `excluded`.
    Range {
        lower: Option<Bound>,
        upper: Option<Bound>,
        excluded: BTreeSet<Atom>,
    },
}

/// The normalised filters of one request: a constraint per filtered column.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterSet {
    columns: BTreeMap<String, ColumnConstraint>,
}

impl FilterSet {
    /// Normalises a conjunction of filters.
    pub fn new(filters: &[Filter]) -> Self {
        let mut by_column: BTreeMap<&str, Vec<&Condition>> = BTreeMap::new();
        for f in filters {
            by_column
                .entry(f.column.as_str())
                .or_default()
                .push(&f.condition);
        }
        let columns = by_column
            .into_iter()
            .map(|(column, conditions)| (column.to_owned(), normalise(&conditions)))
            .collect();
        FilterSet { columns }
    }

    /// Whether no record can match (some column must take a value from an empty set).
    pub fn is_unsatisfiable(&self) -> bool {
        self.columns
            .values()
            .any(|c| matches!(c, ColumnConstraint::OneOf(set) if set.is_empty()))
    }

    /// Whether every record matching `self` provably matches `other`.
    pub fn implies(&self, other: &FilterSet) -> bool {
        if self.is_unsatisfiable() {
            return true;
        }
        other
            .columns
            .iter()
            .all(|(column, wanted)| match self.columns.get(column) {
                Some(have) => column_implies(have, wanted),
                None => false,
            })
    }

    /// Whether both match the same records (each implies the other).
    pub fn equivalent(&self, other: &FilterSet) -> bool {
        self.implies(other) && other.implies(self)
    }

    /// Whether no record can match both, provably.
    pub fn disjoint(&self, other: &FilterSet) -> bool {
        if self.is_unsatisfiable() || other.is_unsatisfiable() {
            return true;
        }
        self.columns.iter().any(|(column, a)| {
            other
                .columns
                .get(column)
                .is_some_and(|b| column_disjoint(a, b))
        })
    }
}

fn normalise(conditions: &[&Condition]) -> ColumnConstraint {
    let mut one_of: Option<BTreeSet<Atom>> = None;
    let mut lower: Option<Bound> = None;
    let mut upper: Option<Bound> = None;
    let mut excluded = BTreeSet::new();
    let mut restrict = |set: BTreeSet<Atom>| {
        one_of = Some(match one_of.take() {
            Some(have) => have.intersection(&set).cloned().collect(),
            None => set,
        });
    };
    for condition in conditions {
        match condition {
            Condition::Eq { value } => restrict(BTreeSet::from([Atom::from_value(value)])),
            Condition::In { values } => restrict(values.iter().map(Atom::from_value).collect()),
            Condition::Neq { value } => {
                excluded.insert(Atom::from_value(value));
            }
            Condition::Lt { value } => tighten_upper(&mut upper, *value, false),
            Condition::Lte { value } => tighten_upper(&mut upper, *value, true),
            Condition::Gt { value } => tighten_lower(&mut lower, *value, false),
            Condition::Gte { value } => tighten_lower(&mut lower, *value, true),
            Condition::Between { low, high } => {
                tighten_lower(&mut lower, *low, true);
                tighten_upper(&mut upper, *high, true);
            }
        }
    }
    let range = ColumnConstraint::Range {
        lower,
        upper,
        excluded,
    };
    match one_of {
        Some(set) => {
            ColumnConstraint::OneOf(set.into_iter().filter(|a| admits(&range, a)).collect())
        }
        None => range,
    }
}

fn tighten_lower(lower: &mut Option<Bound>, value: f64, inclusive: bool) {
    let tighter = match lower {
        None => true,
        Some(b) => value > b.value || (value == b.value && !inclusive),
    };
    if tighter {
        *lower = Some(Bound { value, inclusive });
    }
}

fn tighten_upper(upper: &mut Option<Bound>, value: f64, inclusive: bool) {
    let tighter = match upper {
        None => true,
        Some(b) => value < b.value || (value == b.value && !inclusive),
    };
    if tighter {
        *upper = Some(Bound { value, inclusive });
    }
}

/// Whether a range admits one value.
fn admits(constraint: &ColumnConstraint, atom: &Atom) -> bool {
    match constraint {
        ColumnConstraint::OneOf(set) => set.contains(atom),
        ColumnConstraint::Range {
            lower,
            upper,
            excluded,
        } => !excluded.contains(atom) && within(*lower, *upper, atom),
    }
}

fn within(lower: Option<Bound>, upper: Option<Bound>, atom: &Atom) -> bool {
    if lower.is_none() && upper.is_none() {
        return true;
    }
    let Atom::Number(x) = atom else {
        return false;
    };
    let above = lower.is_none_or(|b| *x > b.value || (b.inclusive && *x == b.value));
    let below = upper.is_none_or(|b| *x < b.value || (b.inclusive && *x == b.value));
    above && below
}

fn column_implies(have: &ColumnConstraint, wanted: &ColumnConstraint) -> bool {
    match (have, wanted) {
        (ColumnConstraint::OneOf(mine), _) => mine.iter().all(|a| admits(wanted, a)),
        (ColumnConstraint::Range { .. }, ColumnConstraint::OneOf(_)) => false,
        (
            ColumnConstraint::Range {
                lower: my_lower,
                upper: my_upper,
                excluded: my_excluded,
            },
            ColumnConstraint::Range {
                lower,
                upper,
                excluded,
            },
        ) => {
            lower_within(*my_lower, *lower)
                && upper_within(*my_upper, *upper)
                && excluded
                    .iter()
                    .all(|e| my_excluded.contains(e) || !within(*my_lower, *my_upper, e))
        }
    }
}

/// Whether the lower bound `mine` is at least as tight as `theirs`.
fn lower_within(mine: Option<Bound>, theirs: Option<Bound>) -> bool {
    match (mine, theirs) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(m), Some(t)) => {
            m.value > t.value || (m.value == t.value && (t.inclusive || !m.inclusive))
        }
    }
}

/// Whether the upper bound `mine` is at least as tight as `theirs`.
fn upper_within(mine: Option<Bound>, theirs: Option<Bound>) -> bool {
    match (mine, theirs) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(m), Some(t)) => {
            m.value < t.value || (m.value == t.value && (t.inclusive || !m.inclusive))
        }
    }
}

fn column_disjoint(a: &ColumnConstraint, b: &ColumnConstraint) -> bool {
    match (a, b) {
        (ColumnConstraint::OneOf(set), other) | (other, ColumnConstraint::OneOf(set)) => {
            !set.iter().any(|atom| admits(other, atom))
        }
        (
            ColumnConstraint::Range {
                lower: l1,
                upper: u1,
                ..
            },
            ColumnConstraint::Range {
                lower: l2,
                upper: u2,
                ..
            },
        ) => {
            // The tighter lower bound against the tighter upper bound.
            let lower = [*l1, *l2].into_iter().flatten().max_by(|x, y| {
                x.value
                    .total_cmp(&y.value)
                    .then_with(|| y.inclusive.cmp(&x.inclusive))
            });
            let upper = [*u1, *u2].into_iter().flatten().min_by(|x, y| {
                x.value
                    .total_cmp(&y.value)
                    .then_with(|| x.inclusive.cmp(&y.inclusive))
            });
            match (lower, upper) {
                (Some(lo), Some(hi)) => {
                    lo.value > hi.value || (lo.value == hi.value && !(lo.inclusive && hi.inclusive))
                }
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::request::AggregationRequest;

    fn filters(json: &str) -> FilterSet {
        let body =
            format!(r#"{{"purpose":"p","measures":[{{"function":"count"}}],"filters":{json}}}"#);
        FilterSet::new(
            &AggregationRequest::from_json(body.as_bytes())
                .unwrap()
                .filters,
        )
    }

    #[test]
    fn all_but_one_value_is_contained_in_all() {
        let all = filters("[]");
        let all_but = filters(r#"[{"column":"district","op":"neq","value":"Nord"}]"#);
        assert!(all_but.implies(&all));
        assert!(!all.implies(&all_but));
        let subset = filters(r#"[{"column":"district","op":"in","values":["Süd","Ost"]}]"#);
        assert!(subset.implies(&all_but));
        assert!(!all_but.implies(&subset));
    }

    #[test]
    fn ranges_nest_overlap_or_part() {
        let wide = filters(r#"[{"column":"age","op":"between","low":20,"high":40}]"#);
        let narrow = filters(
            r#"[{"column":"age","op":"gt","value":20},{"column":"age","op":"lte","value":40}]"#,
        );
        let shifted = filters(r#"[{"column":"age","op":"between","low":21,"high":41}]"#);
        let apart = filters(r#"[{"column":"age","op":"gt","value":40}]"#);
        assert!(narrow.implies(&wide));
        assert!(!wide.implies(&narrow));
        assert!(!shifted.implies(&wide) && !wide.implies(&shifted));
        assert!(!shifted.disjoint(&wide));
        assert!(apart.disjoint(&wide));
        assert!(!apart.disjoint(&shifted));
    }

    #[test]
    fn sets_and_contradictions() {
        let one = filters(r#"[{"column":"district","op":"eq","value":"Nord"}]"#);
        let two = filters(r#"[{"column":"district","op":"in","values":["Nord","Süd"]}]"#);
        let other = filters(r#"[{"column":"district","op":"eq","value":"Ost"}]"#);
        assert!(one.implies(&two) && !two.implies(&one));
        assert!(one.disjoint(&other));
        let none = filters(
            r#"[{"column":"age","op":"eq","value":3},{"column":"age","op":"gt","value":5}]"#,
        );
        assert!(none.is_unsatisfiable());
        let same = filters(
            r#"[{"column":"age","op":"in","values":[3,4]},{"column":"age","op":"neq","value":5}]"#,
        );
        assert!(same.equivalent(&filters(r#"[{"column":"age","op":"in","values":[4,3]}]"#)));
    }
}
