//! The provider's column policy: which columns a consumer may group on, filter on and measure,
//! and which are identifying (never usable, never returned).
//!
//! The policy lives in the provider's configuration next to the source description; it never
//! travels in a message. A column not named in any list cannot be used at all, so a new column
//! in the source stays closed until the provider opens it.

use serde::{Deserialize, Serialize};

use super::error::SandboxError;
use super::schema::SourceSchema;

/// Which columns may be used how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnPolicy {
    /// Columns the consumer may group on.
    #[serde(default)]
    pub groupable: Vec<String>,
    /// Columns the consumer may filter on.
    #[serde(default)]
    pub filterable: Vec<String>,
    /// Numeric columns the consumer may sum, average and take the median of.
    #[serde(default)]
    pub measurable: Vec<String>,
    /// Columns that identify a person or household (name, address, insurance number …): never
    /// grouped on, filtered on, measured or returned.
    #[serde(default)]
    pub identifying: Vec<String>,
}

impl ColumnPolicy {
    /// A policy with nothing allowed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows grouping on these columns.
    #[must_use]
    pub fn with_groupable<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        columns: I,
    ) -> Self {
        self.groupable.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Allows filtering on these columns.
    #[must_use]
    pub fn with_filterable<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        columns: I,
    ) -> Self {
        self.filterable.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Allows measuring these columns.
    #[must_use]
    pub fn with_measurable<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        columns: I,
    ) -> Self {
        self.measurable.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Marks these columns identifying.
    #[must_use]
    pub fn with_identifying<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        columns: I,
    ) -> Self {
        self.identifying.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Whether a column is marked identifying.
    pub fn is_identifying(&self, column: &str) -> bool {
        self.identifying.iter().any(|c| c == column)
    }

    /// Checks the policy on its own: no column both identifying and usable, no empty names.
    pub fn validate(&self) -> Result<(), SandboxError> {
        for (field, list) in self.usable_lists() {
            for column in list {
                if column.trim().is_empty() {
                    return Err(policy_error(field, "contains an empty column name"));
                }
                if self.is_identifying(column) {
                    return Err(policy_error(
                        field,
                        format!(
                            "column \"{column}\" is also marked identifying; an identifying \
                             column can never be {}",
                            usage_words(field)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the policy against the source's columns: every named column exists, measurable
    /// columns are numeric.
    pub fn validate_against(&self, schema: &SourceSchema) -> Result<(), SandboxError> {
        self.validate()?;
        for (field, list) in self
            .usable_lists()
            .chain([("identifying", &self.identifying)])
        {
            for column in list {
                let Some(kind) = schema.kind_of(column) else {
                    return Err(policy_error(
                        field,
                        format!(
                            "the source has no column \"{column}\" (it has: {})",
                            schema.names().join(", ")
                        ),
                    ));
                };
                if field == "measurable" && !kind.is_numeric() {
                    return Err(policy_error(
                        field,
                        format!("column \"{column}\" holds {kind}, not numbers"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn usable_lists(&self) -> impl Iterator<Item = (&'static str, &Vec<String>)> {
        [
            ("groupable", &self.groupable),
            ("filterable", &self.filterable),
            ("measurable", &self.measurable),
        ]
        .into_iter()
    }
}

fn usage_words(field: &str) -> &'static str {
    match field {
        "groupable" => "grouped on",
        "filterable" => "filtered on",
        _ => "measured",
    }
}

fn policy_error(field: &str, reason: impl Into<String>) -> SandboxError {
    SandboxError::InvalidPolicy {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::schema::ColumnKind;

    #[test]
    fn identifying_column_cannot_be_opened() {
        let policy = ColumnPolicy::new()
            .with_groupable(["district", "name"])
            .with_identifying(["name"]);
        let err = policy.validate().unwrap_err().to_string();
        assert!(err.contains("`groupable`"), "{err}");
        assert!(err.contains("\"name\" is also marked identifying"), "{err}");
    }

    #[test]
    fn columns_must_exist_and_measures_be_numeric() {
        let schema = SourceSchema::new(vec![
            ("district".into(), ColumnKind::Text),
            ("age".into(), ColumnKind::Integer),
        ]);
        let missing = ColumnPolicy::new().with_filterable(["year"]);
        let err = missing.validate_against(&schema).unwrap_err().to_string();
        assert!(err.contains("no column \"year\""), "{err}");
        let text_measure = ColumnPolicy::new().with_measurable(["district"]);
        let err = text_measure
            .validate_against(&schema)
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds text"), "{err}");
        let fine = ColumnPolicy::new()
            .with_groupable(["district"])
            .with_measurable(["age"]);
        fine.validate_against(&schema).unwrap();
    }
}
