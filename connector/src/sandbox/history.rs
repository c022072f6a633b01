//! The provider's memory of one agreement's answered queries, and the differencing rule.
//!
//! For every answered query the history keeps its filters, its grouping and the record count of
//! every *returned* group (values are not kept). A new query is compared with each earlier one
//! ([`QueryHistory::pair_checks`]); see the module documentation of [`super`] for the rule and
//! its limits. The history is serializable so the connector can persist it with the agreement.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::answer::{Scalar, canonical_number};
use super::constraint::FilterSet;
use super::error::DifferencingRefusal;
use super::request::{Condition, Filter, FilterValue};

/// The version of the stored form.
pub const HISTORY_VERSION: u32 = 1;

/// One answered query as remembered: no values, only the record count per returned group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The query's number under the agreement.
    pub number: u64,
    /// Its group-by columns.
    pub group_by: Vec<String>,
    /// Its filters.
    pub filters: Vec<Filter>,
    /// Its returned groups: key (in `group_by` order) and record count.
    pub groups: Vec<(Vec<Scalar>, u64)>,
}

/// The queries answered under one agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryHistory {
    /// The stored form's version ([`HISTORY_VERSION`]).
    pub version: u32,
    /// Answered queries, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// Queries refused or failed (not counted as answered).
    pub refused: u64,
}

impl Default for QueryHistory {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryHistory {
    /// An empty history (a fresh agreement).
    pub fn new() -> Self {
        QueryHistory {
            version: HISTORY_VERSION,
            entries: Vec::new(),
            refused: 0,
        }
    }

    /// How many queries were answered: the figure an ODRL `count` constraint is checked
    /// against before the next query runs.
    pub fn answered(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The number the next answered query will get.
    pub fn next_query_number(&self) -> u64 {
        self.answered() + 1
    }

    pub(crate) fn record(&mut self, entry: HistoryEntry) {
        self.entries.push(entry);
    }

    pub(crate) fn record_refusal(&mut self) {
        self.refused += 1;
    }

    /// What must be checked between `new` and each earlier query.
    pub(crate) fn pair_checks<'a>(&'a self, new: &'a HistoryEntry) -> Vec<PairCheck<'a>> {
        let new_shape = Shape::of(new);
        self.entries
            .iter()
            .filter_map(|earlier| {
                let old_shape = Shape::of(earlier);
                classify(&new_shape, &old_shape).map(|relation| PairCheck {
                    earlier,
                    new,
                    relation,
                })
            })
            .collect()
    }
}

/// How the record sets of two queries relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    /// The earlier query's grouping is the coarser one and its filters contain the new one's.
    EarlierContainsNew,
    /// The new query's grouping is the coarser one and its filters contain the earlier one's.
    NewContainsEarlier,
    /// Comparable groupings, filters overlapping without provable containment: count on the
    /// data. `new_is_coarse` says which side's grouping is the coarser.
    Overlapping {
        /// Whether the new query has the coarser grouping.
        new_is_coarse: bool,
    },
}

/// One pair to check.
#[derive(Debug)]
pub(crate) struct PairCheck<'a> {
    pub(crate) earlier: &'a HistoryEntry,
    pub(crate) new: &'a HistoryEntry,
    pub(crate) relation: Relation,
}

/// The counts the data gave for one coarse group of an overlapping pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverlapCounts {
    /// Records only in the coarse query's set.
    pub(crate) only_coarse: u64,
    /// Records only in the fine query's set.
    pub(crate) only_fine: u64,
    /// Records in both.
    pub(crate) both: u64,
}

impl PairCheck<'_> {
    /// The coarse and the fine side.
    pub(crate) fn sides(&self) -> (&HistoryEntry, &HistoryEntry) {
        match self.relation {
            Relation::EarlierContainsNew
            | Relation::Overlapping {
                new_is_coarse: false,
            } => (self.earlier, self.new),
            Relation::NewContainsEarlier
            | Relation::Overlapping {
                new_is_coarse: true,
            } => (self.new, self.earlier),
        }
    }

    /// The coarse side's effective grouping columns (group-by plus columns its filters fix to
    /// one value), in a stable order: the columns an overlap count must group on.
    pub(crate) fn coarse_columns(&self) -> Vec<String> {
        Shape::of(self.sides().0).columns.into_iter().collect()
    }

    /// The nested check from the stored counts alone: for each returned coarse group, the
    /// records not covered by the returned fine groups inside it.
    pub(crate) fn check_nested(&self, k: u64) -> Result<(), DifferencingRefusal> {
        let (coarse, fine) = self.sides();
        let coarse_shape = Shape::of(coarse);
        let fine_shape = Shape::of(fine);
        let columns: Vec<String> = coarse_shape.columns.iter().cloned().collect();
        let mut covered: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (key, n) in &fine.groups {
            let projected = fine_shape.project(fine, key, &columns);
            *covered.entry(projected).or_default() += n;
        }
        for (key, n) in &coarse.groups {
            let projected = coarse_shape.project(coarse, key, &columns);
            let Some(inside) = covered.get(&projected) else {
                continue;
            };
            let difference = n.abs_diff(*inside);
            if (1..k).contains(&difference) {
                return Err(self.refusal(&columns, &projected, k));
            }
        }
        Ok(())
    }

    /// The overlap check from counts taken on the data, keyed like [`Self::coarse_columns`]
    /// (canonical values).
    pub(crate) fn check_overlap(
        &self,
        counts: &BTreeMap<Vec<String>, OverlapCounts>,
        k: u64,
    ) -> Result<(), DifferencingRefusal> {
        let (coarse, fine) = self.sides();
        let coarse_shape = Shape::of(coarse);
        let fine_shape = Shape::of(fine);
        let columns = self.coarse_columns();
        let fine_keys: BTreeSet<Vec<String>> = fine
            .groups
            .iter()
            .map(|(key, _)| fine_shape.project(fine, key, &columns))
            .collect();
        for (key, _) in &coarse.groups {
            let projected = coarse_shape.project(coarse, key, &columns);
            if !fine_keys.contains(&projected) {
                continue;
            }
            let Some(c) = counts.get(&projected) else {
                continue;
            };
            let small = |x: u64| (1..k).contains(&x);
            if c.both > 0 && (small(c.only_coarse) || small(c.only_fine)) {
                return Err(self.refusal(&columns, &projected, k));
            }
        }
        Ok(())
    }

    fn refusal(&self, columns: &[String], key: &[String], k: u64) -> DifferencingRefusal {
        let group = columns
            .iter()
            .zip(key)
            .map(|(c, v)| format!("{c} = {}", readable(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let relation = match self.relation {
            Relation::EarlierContainsNew => format!(
                "query #{}'s group minus this query's groups inside it",
                self.earlier.number
            ),
            Relation::NewContainsEarlier => format!(
                "this query's group minus query #{}'s groups inside it",
                self.earlier.number
            ),
            Relation::Overlapping { .. } => {
                "the two queries' filters overlap and differ in only a few records of the group"
                    .to_owned()
            }
        };
        DifferencingRefusal {
            earlier_query: self.earlier.number,
            group,
            relation,
            k,
        }
    }
}

fn readable(canonical: &str) -> String {
    if let Some(text) = canonical.strip_prefix("t:") {
        format!("\"{text}\"")
    } else if let Some(number) = canonical.strip_prefix("n:") {
        number.to_owned()
    } else {
        canonical.to_owned()
    }
}

/// A query's record-set shape: its filters and its effective grouping.
struct Shape {
    filters: FilterSet,
    /// Columns fixed to one value by the filters, with that value (canonical).
    fixed: BTreeMap<String, String>,
    /// Group-by columns plus fixed columns.
    columns: BTreeSet<String>,
}

impl Shape {
    fn of(entry: &HistoryEntry) -> Self {
        let filters = FilterSet::new(&entry.filters);
        let fixed = fixed_columns(&entry.filters);
        let mut columns: BTreeSet<String> = entry.group_by.iter().cloned().collect();
        columns.extend(fixed.keys().cloned());
        Shape {
            filters,
            fixed,
            columns,
        }
    }

    /// A group's values on `columns` (each in the group-by key or fixed by a filter).
    fn project(&self, entry: &HistoryEntry, key: &[Scalar], columns: &[String]) -> Vec<String> {
        columns
            .iter()
            .map(|column| {
                entry
                    .group_by
                    .iter()
                    .position(|c| c == column)
                    .and_then(|i| key.get(i))
                    .map(Scalar::canonical)
                    .or_else(|| self.fixed.get(column).cloned())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// Columns that the filters fix to a single value (`eq`, or `in` with one value).
fn fixed_columns(filters: &[Filter]) -> BTreeMap<String, String> {
    let mut fixed = BTreeMap::new();
    for f in filters {
        let value = match &f.condition {
            Condition::Eq { value } => value,
            Condition::In { values } if values.len() == 1 => &values[0],
            _ => continue,
        };
        fixed.insert(f.column.clone(), canonical_value(value));
    }
    fixed
}

fn canonical_value(value: &FilterValue) -> String {
    match value {
        FilterValue::Number(x) => canonical_number(*x),
        FilterValue::Text(t) => format!("t:{t}"),
        FilterValue::Bool(b) => b.to_string(),
    }
}

/// Decides which check a pair needs, or none.
fn classify(new: &Shape, earlier: &Shape) -> Option<Relation> {
    let earlier_coarser = earlier.columns.is_subset(&new.columns);
    let new_coarser = new.columns.is_subset(&earlier.columns);
    if !earlier_coarser && !new_coarser {
        return None;
    }
    if earlier_coarser && new.filters.implies(&earlier.filters) {
        return Some(Relation::EarlierContainsNew);
    }
    if new_coarser && earlier.filters.implies(&new.filters) {
        return Some(Relation::NewContainsEarlier);
    }
    if new.filters.disjoint(&earlier.filters) {
        return None;
    }
    Some(Relation::Overlapping {
        new_is_coarse: new_coarser,
    })
}
