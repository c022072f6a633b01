//! Importing metadata as assets: a municipality's inventory ("Metadatenkatalog") as CSV, or a
//! DCAT-AP.de catalogue (Turtle, RDF/XML, JSON-LD) through `vocab::import`. Every row or
//! dataset gets its own outcome; nothing is stored by this module (the CLI sends the valid
//! rows to the management API).
//!
//! # The CSV inventory
//!
//! UTF-8 (a byte-order mark is allowed), separated by `;` or `,` (taken from the header
//! line), one asset per row. Columns (header names exactly as below, any order; unknown
//! columns are refused so a typo does not silently drop data):
//!
//! | column | required | content |
//! |---|---|---|
//! | `kennung` | yes | the asset id (letters, digits, `. _ : - ~`) |
//! | `titel` | yes | title |
//! | `beschreibung` | no | description |
//! | `schlagworte` | no | keywords, separated by `\|` |
//! | `kategorie` | no | EU data themes (`ENER`, `ENVI`, `TRAN`, …), separated by `\|` |
//! | `ags` | no | municipality key, 8 digits (`09162000`) |
//! | `lizenz` | no | licence: DCAT-AP.de id (`dl-by-de/2.0`, `cc-by/4.0`) or IRI |
//! | `herausgeber` | no | publisher name |
//! | `personenbezug` | no | `ja` for personal-adjacent data, `nein` or empty otherwise |
//! | `quelle` | no | the data: a file path, `source:NAME` for a `[sources.NAME]` entry, or an `https://` URL |
//!
//! ```
//! let csv = "kennung;titel;kategorie;ags\nstrom-2024;Stromverbrauch je Baublock 2024;ENER;09162000\n";
//! let rows = connector::import::parse_inventory(csv).unwrap();
//! let input = rows[0].asset.as_ref().unwrap();
//! assert_eq!(input.title, "Stromverbrauch je Baublock 2024");
//! assert_eq!(input.themes, vec!["ENER".to_owned()]);
//! ```

use crate::mgmt::assets::{AssetInput, SourceInput};

/// The columns of the CSV inventory.
pub const COLUMNS: [&str; 10] = [
    "kennung",
    "titel",
    "beschreibung",
    "schlagworte",
    "kategorie",
    "ags",
    "lizenz",
    "herausgeber",
    "personenbezug",
    "quelle",
];

/// The outcome of reading one row or dataset.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Where it came from: `line 7` or the dataset IRI.
    pub origin: String,
    /// The asset to store, or why not.
    pub asset: Result<AssetInput, String>,
    /// Values dropped or converted on the way (the row is kept).
    pub notes: Vec<String>,
}

/// The whole file cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The header is not an inventory header.
    #[error("header: {0}")]
    Header(String),
    /// The CSV is malformed.
    #[error("{0}")]
    Csv(String),
    /// The RDF is malformed.
    #[error("{0}")]
    Rdf(String),
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn licence(value: &str) -> Result<String, String> {
    if value.starts_with("http://") || value.starts_with("https://") {
        return Ok(value.to_owned());
    }
    vocab::model::License::from_id(value)
        .map(|l| l.iri())
        .map_err(|e| format!("lizenz: {e}"))
}

fn source(value: &str) -> Result<Option<SourceInput>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let mut s = SourceInput {
        file: None,
        source: None,
        url: None,
    };
    if let Some(name) = value.strip_prefix("source:") {
        s.source = Some(name.to_owned());
    } else if value.starts_with("https://") || value.starts_with("http://") {
        s.url = Some(value.to_owned());
    } else {
        s.file = Some(value.to_owned());
    }
    Ok(Some(s))
}

/// Reads a CSV inventory.
pub fn parse_inventory(text: &str) -> Result<Vec<ImportRow>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.matches(';').count() >= header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            return Err(ImportError::Header(format!(
                "unknown column {h:?}; the columns are {}",
                COLUMNS.join(", ")
            )));
        }
    }
    for required in ["kennung", "titel"] {
        if !headers.iter().any(|h| h == required) {
            return Err(ImportError::Header(format!(
                "the column {required:?} is required"
            )));
        }
    }
    let column = |record: &csv::StringRecord, name: &str| -> String {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .unwrap_or_default()
            .to_owned()
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push(ImportRow {
                    origin: format!("line {line}"),
                    asset: Err(e.to_string()),
                    notes: Vec::new(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let asset = (|| -> Result<AssetInput, String> {
            let id = column(&record, "kennung");
            if id.is_empty() {
                return Err("kennung: empty".into());
            }
            let personal = match column(&record, "personenbezug").to_lowercase().as_str() {
                "" | "nein" | "no" => false,
                "ja" | "yes" => true,
                other => return Err(format!("personenbezug: {other:?} is neither ja nor nein")),
            };
            let lizenz = column(&record, "lizenz");
            Ok(AssetInput {
                id: Some(id),
                title: column(&record, "titel"),
                description: column(&record, "beschreibung"),
                keywords: split_list(&column(&record, "schlagworte")),
                themes: split_list(&column(&record, "kategorie"))
                    .into_iter()
                    .map(|t| t.to_uppercase())
                    .collect(),
                ags: Some(column(&record, "ags")).filter(|a| !a.is_empty()),
                license: if lizenz.is_empty() {
                    None
                } else {
                    Some(licence(&lizenz)?)
                },
                publisher: Some(column(&record, "herausgeber")).filter(|p| !p.is_empty()),
                personal_adjacent: personal,
                source: source(&column(&record, "quelle"))?,
                origin: Some(format!("inventory line {line}")),
            })
        })();
        rows.push(ImportRow {
            origin: format!("line {line}"),
            asset,
            notes: Vec::new(),
        });
    }
    Ok(rows)
}

/// A DCAT dataset id as an asset id: the IRI's last path segment, cleaned.
fn asset_id_of(iri: &str, identifier: &str) -> String {
    let base = if !identifier.is_empty() {
        identifier
    } else {
        iri
    };
    let tail = base
        .trim_end_matches('/')
        .rsplit(['/', '#'])
        .next()
        .unwrap_or(base);
    let cleaned: String = tail
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~') {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect();
    if cleaned.trim_matches('-').is_empty() {
        use sha2::Digest;
        format!(
            "ds-{}",
            &hex::encode(sha2::Sha256::digest(iri.as_bytes()))[..16]
        )
    } else {
        cleaned
    }
}

/// Reads a DCAT-AP.de catalogue; `syntax` from the file name.
pub fn parse_dcat(bytes: &[u8], syntax: vocab::rdf::Syntax) -> Result<Vec<ImportRow>, ImportError> {
    let report = vocab::import::import_catalog(bytes, syntax, None)
        .map_err(|e| ImportError::Rdf(e.to_string()))?;
    let mut rows = Vec::with_capacity(report.datasets.len());
    for entry in &report.datasets {
        let notes: Vec<String> = entry.problems.iter().map(|p| p.to_string()).collect();
        let asset = match &entry.dataset {
            None => Err(format!(
                "skipped: {}",
                entry
                    .problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Some(d) => Ok(AssetInput {
                id: Some(asset_id_of(&d.id, &d.identifier)),
                title: d.title.de.clone(),
                description: d.description.de.clone(),
                keywords: d.keywords.clone(),
                themes: d.themes.iter().map(|t| t.code().to_owned()).collect(),
                ags: d.spatial.first().map(|a| a.as_str().to_owned()),
                license: Some(d.license.iri()),
                publisher: Some(d.publisher.name.clone()),
                personal_adjacent: d.personal_adjacent,
                source: d
                    .distributions
                    .iter()
                    .find_map(|dist| {
                        dist.download_url
                            .clone()
                            .or_else(|| Some(dist.access_url.clone()))
                    })
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .map(|url| SourceInput {
                        file: None,
                        source: None,
                        url: Some(url),
                    }),
                origin: Some(d.id.clone()),
            }),
        };
        rows.push(ImportRow {
            origin: entry.node.clone(),
            asset,
            notes,
        });
    }
    Ok(rows)
}

/// The RDF syntax a file name suggests, or `None` for CSV.
pub fn syntax_of(path: &std::path::Path) -> Option<vocab::rdf::Syntax> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("ttl") => Some(vocab::rdf::Syntax::Turtle),
        Some("nt") => Some(vocab::rdf::Syntax::NTriples),
        Some("rdf" | "xml" | "owl") => Some(vocab::rdf::Syntax::RdfXml),
        Some("jsonld" | "json") => Some(vocab::rdf::Syntax::JsonLd),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_report_their_problems() {
        let csv = "kennung,titel,personenbezug,lizenz\na1,Erster,ja,dl-by-de/2.0\n,Ohne Kennung,,\na3,Dritter,vielleicht,\n";
        let rows = parse_inventory(csv).expect("header ok");
        assert_eq!(rows.len(), 3);
        let first = rows[0].asset.as_ref().expect("row 1");
        assert!(first.personal_adjacent);
        assert_eq!(
            first.license.as_deref(),
            Some("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
        );
        assert!(
            rows[1]
                .asset
                .as_ref()
                .expect_err("no id")
                .contains("kennung")
        );
        assert!(
            rows[2]
                .asset
                .as_ref()
                .expect_err("bad flag")
                .contains("personenbezug")
        );
        assert_eq!(rows[2].origin, "line 4");
    }

    #[test]
    fn unknown_columns_are_refused() {
        let e = parse_inventory("kennung;titel;titl\n").expect_err("typo");
        assert!(e.to_string().contains("titl"));
        assert!(parse_inventory("titel\nx\n").is_err());
    }

    #[test]
    fn dcat_ids_are_cleaned() {
        assert_eq!(
            asset_id_of("https://a.example/ds/spielplaetze", ""),
            "spielplaetze"
        );
        assert_eq!(asset_id_of("https://a.example/x", "abc def"), "abc-def");
    }
}
