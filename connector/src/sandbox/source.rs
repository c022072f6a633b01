//! Where sandboxed data lives: a CSV file, a Parquet file, or a PostgreSQL table or view.
//!
//! A source description belongs to the provider's configuration and never travels in a message.
//! The PostgreSQL connection string is read from an environment variable named in the
//! description (so the secret stays out of the configuration file), or, for local setups, given
//! inline.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::SandboxError;

/// A sandboxed data source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum SandboxSource {
    /// A CSV file with a header line. Column types are inferred from the first 10 000 records;
    /// a later record that does not fit (text in a numeric column) fails the query with an
    /// error naming the line.
    Csv(CsvSource),
    /// A Parquet file.
    Parquet(ParquetSource),
    /// A PostgreSQL table or view; the aggregation runs inside PostgreSQL.
    Postgres(PostgresSource),
}

/// A CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSource {
    /// The file.
    pub path: PathBuf,
    /// The field separator (one ASCII character; default `,`).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
}

/// A Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParquetSource {
    /// The file.
    pub path: PathBuf,
}

/// A PostgreSQL table or view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSource {
    /// The name of the environment variable holding the connection string
    /// (`host=… user=… dbname=…` or `postgresql://…`); preferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_env: Option<String>,
    /// The connection string itself (only for local setups without secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The schema (default: the connection's search path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The table or view.
    pub table: String,
}

fn default_delimiter() -> char {
    ','
}

impl SandboxSource {
    /// A CSV file with `,` as separator.
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        SandboxSource::Csv(CsvSource {
            path: path.into(),
            delimiter: default_delimiter(),
        })
    }

    /// A Parquet file.
    pub fn parquet(path: impl Into<PathBuf>) -> Self {
        SandboxSource::Parquet(ParquetSource { path: path.into() })
    }

    /// A PostgreSQL table whose connection string is in the environment variable `env_var`.
    pub fn postgres_from_env(env_var: impl Into<String>, table: impl Into<String>) -> Self {
        SandboxSource::Postgres(PostgresSource {
            connection_env: Some(env_var.into()),
            connection: None,
            schema: None,
            table: table.into(),
        })
    }

    /// A PostgreSQL table with an inline connection string.
    pub fn postgres(connection: impl Into<String>, table: impl Into<String>) -> Self {
        SandboxSource::Postgres(PostgresSource {
            connection_env: None,
            connection: Some(connection.into()),
            schema: None,
            table: table.into(),
        })
    }

    /// `csv`, `parquet` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            SandboxSource::Csv(_) => "csv",
            SandboxSource::Parquet(_) => "parquet",
            SandboxSource::Postgres(_) => "postgres",
        }
    }

    /// Checks the description on its own (not whether the file or server is reachable).
    pub fn validate(&self) -> Result<(), SandboxError> {
        match self {
            SandboxSource::Csv(csv) => {
                if !csv.delimiter.is_ascii() || csv.delimiter.is_ascii_alphanumeric() {
                    return Err(source_error(
                        "delimiter",
                        format!("{:?} is not a usable separator", csv.delimiter),
                    ));
                }
                non_empty_path(&csv.path)
            }
            SandboxSource::Parquet(parquet) => non_empty_path(&parquet.path),
            SandboxSource::Postgres(pg) => {
                match (&pg.connection_env, &pg.connection) {
                    (Some(_), Some(_)) => {
                        return Err(source_error(
                            "connection",
                            "give either connection_env or connection, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(source_error(
                            "connection_env",
                            "missing: name the environment variable holding the connection \
                             string",
                        ));
                    }
                    _ => {}
                }
                identifier("table", &pg.table)?;
                if let Some(schema) = &pg.schema {
                    identifier("schema", schema)?;
                }
                Ok(())
            }
        }
    }
}

impl PostgresSource {
    /// The connection string, read from the environment if so configured.
    pub fn connection_string(&self) -> Result<String, SandboxError> {
        if let Some(inline) = &self.connection {
            return Ok(inline.clone());
        }
        let Some(var) = &self.connection_env else {
            return Err(source_error("connection_env", "missing"));
        };
        std::env::var(var).map_err(|_| {
            source_error(
                "connection_env",
                format!("environment variable {var} is not set (or not UTF-8)"),
            )
        })
    }
}

fn non_empty_path(path: &std::path::Path) -> Result<(), SandboxError> {
    if path.as_os_str().is_empty() {
        return Err(source_error("path", "must not be empty"));
    }
    Ok(())
}

fn identifier(field: &str, name: &str) -> Result<(), SandboxError> {
    if name.is_empty() || name.len() > 63 || name.contains('\0') {
        return Err(source_error(
            field,
            format!("\"{name}\" is not a PostgreSQL name (1 to 63 bytes, no NUL)"),
        ));
    }
    Ok(())
}

pub(crate) fn source_error(field: &str, reason: impl Into<String>) -> SandboxError {
    SandboxError::InvalidSource {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_toml_with_defaults() {
        let source: SandboxSource = toml::from_str(
            "kind = \"postgres\"\nconnection_env = \"SCHOOL_DB\"\nschema = \"stats\"\ntable = \"pupils\"\n",
        )
        .unwrap();
        source.validate().unwrap();
        let SandboxSource::Postgres(pg) = &source else {
            panic!("{source:?}")
        };
        assert_eq!(pg.table, "pupils");
        let csv: SandboxSource = toml::from_str("kind = \"csv\"\npath = \"a.csv\"\n").unwrap();
        assert_eq!(csv, SandboxSource::csv("a.csv"));
    }

    #[test]
    fn names_the_wrong_field() {
        let err = toml::from_str::<SandboxSource>("kind = \"csv\"\npath = \"a\"\nsep = \";\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sep"), "{err}");
        let both = SandboxSource::Postgres(PostgresSource {
            connection_env: Some("X".into()),
            connection: Some("host=x".into()),
            schema: None,
            table: "t".into(),
        });
        assert!(
            both.validate()
                .unwrap_err()
                .to_string()
                .contains("`connection`")
        );
    }
}
