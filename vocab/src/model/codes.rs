//! Controlled vocabularies: EU data themes, DCAT-AP.de licences, EU frequencies, EU file
//! types and IANA media types.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The EU data-theme authority list (`dcat:theme`).
pub const DATA_THEME_SCHEME: &str = "http://publications.europa.eu/resource/authority/data-theme";
/// The EU frequency authority list (`dct:accrualPeriodicity`).
pub const FREQUENCY_SCHEME: &str = "http://publications.europa.eu/resource/authority/frequency";
/// The EU file-type authority list (`dct:format`).
pub const FILE_TYPE_SCHEME: &str = "http://publications.europa.eu/resource/authority/file-type";
/// The DCAT-AP.de licence list (`dct:license`).
pub const LICENSE_SCHEME: &str = "http://dcat-ap.de/def/licenses";
/// The IANA media-type registry prefix DCAT-AP.de requires for `dcat:mediaType`.
pub const MEDIA_TYPE_PREFIX: &str = "https://www.iana.org/assignments/media-types/";

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $scheme:expr, { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant,)*
        }

        impl $name {
            /// Every value, in list order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code in the authority list (e.g. `ENER`).
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            /// The German label.
            pub fn label_de(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }

            /// The concept IRI.
            pub fn iri(self) -> String {
                format!("{}/{}", $scheme, self.code())
            }

            /// The concept scheme IRI (`skos:inScheme`).
            pub fn scheme() -> &'static str {
                $scheme
            }

            /// Reads a code (`ENER`).
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }

            /// Reads a concept IRI (`…/ENER`).
            pub fn from_iri(iri: &str) -> Option<Self> {
                iri.strip_prefix($scheme)?.strip_prefix('/').and_then(Self::from_code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// An EU data theme (the 13 themes of the publications office's data-theme list).
    DataTheme, DATA_THEME_SCHEME, {
    /// Agriculture, fisheries, forestry and food.
    Agriculture = "AGRI", "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel";
    /// Economy and finance.
    Economy = "ECON", "Wirtschaft und Finanzen";
    /// Education, culture and sport.
    Education = "EDUC", "Bildung, Kultur und Sport";
    /// Energy.
    Energy = "ENER", "Energie";
    /// Environment.
    Environment = "ENVI", "Umwelt";
    /// Government and public sector.
    Government = "GOVE", "Regierung und öffentlicher Sektor";
    /// Health.
    Health = "HEAL", "Gesundheit";
    /// International issues.
    International = "INTR", "Internationale Themen";
    /// Justice, legal system and public safety.
    Justice = "JUST", "Justiz, Rechtssystem und öffentliche Sicherheit";
    /// Regions and cities.
    Regions = "REGI", "Regionen und Städte";
    /// Population and society.
    Society = "SOCI", "Bevölkerung und Gesellschaft";
    /// Science and technology.
    Science = "TECH", "Wissenschaft und Technologie";
    /// Transport.
    Transport = "TRAN", "Verkehr";
});

code_enum!(
    /// An update frequency from the EU frequency list (the values the self-descriptions use).
    Frequency, FREQUENCY_SCHEME, {
    /// Updated continuously.
    Continuous = "UPDATE_CONT", "kontinuierlich";
    /// Daily.
    Daily = "DAILY", "täglich";
    /// Weekly.
    Weekly = "WEEKLY", "wöchentlich";
    /// Monthly.
    Monthly = "MONTHLY", "monatlich";
    /// Quarterly.
    Quarterly = "QUARTERLY", "vierteljährlich";
    /// Twice a year.
    Semiannual = "ANNUAL_2", "halbjährlich";
    /// Yearly.
    Annual = "ANNUAL", "jährlich";
    /// Irregularly.
    Irregular = "IRREG", "unregelmäßig";
    /// Never updated (a closed dataset).
    Never = "NEVER", "nie";
    /// Unknown.
    Unknown = "UNKNOWN", "unbekannt";
});

/// The DCAT-AP.de licence list (ids below `http://dcat-ap.de/def/licenses/`) with German labels.
pub const LICENSES: [(&str, &str); 34] = [
    (
        "apache",
        "Freie Softwarelizenz der Apache Software Foundation",
    ),
    ("bsd", "BSD Lizenz"),
    ("cc-by", "Creative Commons Namensnennung (CC-BY)"),
    (
        "cc-by/4.0",
        "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
    ),
    (
        "cc-by-de/3.0",
        "Creative Commons Namensnennung 3.0 Deutschland (CC BY 3.0 DE)",
    ),
    (
        "cc-by-nc",
        "Creative Commons Namensnennung - Nicht kommerziell (CC BY-NC)",
    ),
    (
        "cc-by-nc-de/3.0",
        "Creative Commons Namensnennung-Nicht kommerziell 3.0 Deutschland (CC BY-NC 3.0 DE)",
    ),
    (
        "cc-by-nc/4.0",
        "Creative Commons Namensnennung - Nicht kommerziell 4.0 International (CC BY-NC 4.0)",
    ),
    (
        "cc-by-nd",
        "Creative Commons Namensnennung - Keine Bearbeitung (CC BY-ND)",
    ),
    (
        "cc-by-nd/3.0",
        "Creative Commons Namensnennung - Keine Bearbeitung 3.0 Unported (CC BY-ND 3.0)",
    ),
    (
        "cc-by-nd/4.0",
        "Creative Commons Namensnennung - Keine Bearbeitung 4.0 International (CC BY-ND 4.0)",
    ),
    (
        "cc-by-sa",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen (CC-BY-SA)",
    ),
    (
        "cc-by-sa-de/3.0",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland (CC BY-SA 3.0 DE)",
    ),
    (
        "cc-by-sa/4.0",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 4.0 International (CC-BY-SA 4.0)",
    ),
    ("ccpdm/1.0", "Public Domain Mark 1.0 (PDM)"),
    ("cc-zero", "Creative Commons CC Zero License (cc-zero)"),
    ("dl-by-de/1.0", "Datenlizenz Deutschland Namensnennung 1.0"),
    ("dl-by-de/2.0", "Datenlizenz Deutschland Namensnennung 2.0"),
    (
        "dl-by-nc-de/1.0",
        "Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0",
    ),
    (
        "dl-zero-de/2.0",
        "Datenlizenz Deutschland – Zero – Version 2.0",
    ),
    (
        "geonutz/20130319",
        "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Bundes",
    ),
    (
        "geoNutz/20131001",
        "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Landes Berlin",
    ),
    ("gfdl", "GNU Free Documentation License (GFDL)"),
    ("gpl/3.0", "GNU General Public License version 3.0 (GPLv3)"),
    ("mozilla", "Mozilla Public License 2.0 (MPL)"),
    ("odbl", "Open Data Commons Open Database License (ODbL)"),
    ("odby", "Open Data Commons Attribution License (ODC-BY 1.0)"),
    (
        "odcpddl",
        "Open Data Commons Public Domain Dedication and Licence (ODC PDDL)",
    ),
    (
        "officialWork",
        "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG",
    ),
    ("other-closed", "Andere geschlossene Lizenz"),
    ("other-commercial", "Andere kommerzielle Lizenz"),
    ("other-freeware", "Andere Freeware Lizenz"),
    ("other-open", "Andere offene Lizenz"),
    ("other-opensource", "Andere Open Source Lizenz"),
];

/// A licence from the DCAT-AP.de licence list.
///
/// ```
/// use vocab::model::License;
/// let l = License::from_id("dl-by-de/2.0").unwrap();
/// assert_eq!(l.iri(), "http://dcat-ap.de/def/licenses/dl-by-de/2.0");
/// assert_eq!(l.label_de(), "Datenlizenz Deutschland Namensnennung 2.0");
/// assert!(License::from_id("wtfpl").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct License(usize);

impl License {
    /// Datenlizenz Deutschland – Namensnennung – Version 2.0 (`dl-by-de/2.0`).
    pub const DL_BY_DE_2_0: License = License(17);
    /// Creative Commons BY 4.0 (`cc-by/4.0`).
    pub const CC_BY_4_0: License = License(3);
    /// Another closed licence (`other-closed`): data shared under contract only.
    pub const OTHER_CLOSED: License = License(29);
    /// Another open licence (`other-open`).
    pub const OTHER_OPEN: License = License(32);

    /// Reads a licence id (`dl-by-de/2.0`).
    pub fn from_id(id: &str) -> Result<Self> {
        LICENSES
            .iter()
            .position(|(i, _)| *i == id)
            .map(License)
            .ok_or_else(|| {
                Error::model(
                    "license",
                    format!("{id:?} is not in the DCAT-AP.de licence list (http://dcat-ap.de/def/licenses/…)"),
                )
            })
    }

    /// Reads a licence IRI (`http://dcat-ap.de/def/licenses/dl-by-de/2.0`; `https` and the
    /// `www.` host variant that catalogues use are accepted).
    pub fn from_iri(iri: &str) -> Result<Self> {
        let rest = [
            "http://dcat-ap.de/def/licenses/",
            "https://dcat-ap.de/def/licenses/",
            "http://www.dcat-ap.de/def/licenses/",
            "https://www.dcat-ap.de/def/licenses/",
        ]
        .iter()
        .find_map(|p| iri.strip_prefix(p))
        .ok_or_else(|| {
            Error::model(
                "license",
                format!(
                    "{iri:?} is not a DCAT-AP.de licence IRI (http://dcat-ap.de/def/licenses/…)"
                ),
            )
        })?;
        Self::from_id(rest.trim_end_matches('/'))
    }

    /// All licences of the list.
    pub fn all() -> impl Iterator<Item = License> {
        (0..LICENSES.len()).map(License)
    }

    /// The id (`dl-by-de/2.0`).
    pub fn id(self) -> &'static str {
        LICENSES[self.0].0
    }

    /// The German label.
    pub fn label_de(self) -> &'static str {
        LICENSES[self.0].1
    }

    /// The licence IRI.
    pub fn iri(self) -> String {
        format!("{LICENSE_SCHEME}/{}", self.id())
    }

    /// Whether the licence is an open one (anything but `other-closed` and
    /// `other-commercial`).
    pub fn is_open(self) -> bool {
        !matches!(self.id(), "other-closed" | "other-commercial")
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for License {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for License {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        License::from_id(&s).map_err(serde::de::Error::custom)
    }
}

/// A file type code of the EU file-type list (`CSV`, `JSON`, `GEOJSON`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileType(String);

impl FileType {
    /// Reads a code: upper-case letters, digits and `_`, as the EU list writes them.
    pub fn new(code: &str) -> Result<Self> {
        if code.is_empty()
            || code.len() > 32
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(Error::model(
                "format",
                format!(
                    "{code:?} is not an EU file-type code (upper-case letters, digits, _; e.g. CSV)"
                ),
            ));
        }
        Ok(Self(code.to_owned()))
    }

    /// Reads a concept IRI of the EU file-type list.
    pub fn from_iri(iri: &str) -> Result<Self> {
        let code = iri
            .strip_prefix(FILE_TYPE_SCHEME)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| {
                Error::model(
                    "format",
                    format!("{iri:?} is not in the EU file-type list ({FILE_TYPE_SCHEME}/…)"),
                )
            })?;
        Self::new(code)
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The concept IRI.
    pub fn iri(&self) -> String {
        format!("{FILE_TYPE_SCHEME}/{}", self.0)
    }
}

impl TryFrom<String> for FileType {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        FileType::new(&s)
    }
}

impl From<FileType> for String {
    fn from(f: FileType) -> Self {
        f.0
    }
}

/// An IANA media type (`text/csv`), written in RDF as
/// `https://www.iana.org/assignments/media-types/text/csv`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaType(String);

impl MediaType {
    /// Reads `type/subtype`.
    pub fn new(media_type: &str) -> Result<Self> {
        let ok = media_type.split_once('/').is_some_and(|(t, s)| {
            let token = |x: &str| {
                !x.is_empty()
                    && x.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
            };
            token(t) && token(s)
        });
        if !ok {
            return Err(Error::model(
                "mediaType",
                format!("{media_type:?} is not a media type of the form type/subtype"),
            ));
        }
        Ok(Self(media_type.to_ascii_lowercase()))
    }

    /// Reads the IANA IRI (`http` or `https`).
    pub fn from_iri(iri: &str) -> Result<Self> {
        let rest = iri
            .strip_prefix(MEDIA_TYPE_PREFIX)
            .or_else(|| iri.strip_prefix("http://www.iana.org/assignments/media-types/"))
            .ok_or_else(|| {
                Error::model(
                    "mediaType",
                    format!("{iri:?} is not an IANA media type IRI ({MEDIA_TYPE_PREFIX}…)"),
                )
            })?;
        Self::new(rest)
    }

    /// `type/subtype`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IANA IRI.
    pub fn iri(&self) -> String {
        format!("{MEDIA_TYPE_PREFIX}{}", self.0)
    }
}

impl TryFrom<String> for MediaType {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        MediaType::new(&s)
    }
}

impl From<MediaType> for String {
    fn from(m: MediaType) -> Self {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_list_is_the_official_one() {
        let lists = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/specs/dcat-ap-de/vocabularies/dcat-ap-de-lists.ttl"
        ))
        .expect("lists file");
        let mut official: Vec<&str> = lists
            .split("<http://dcat-ap.de/def/licenses/")
            .skip(1)
            .filter_map(|s| s.split('>').next())
            .collect();
        official.sort_unstable();
        let mut ours: Vec<&str> = LICENSES.iter().map(|(id, _)| *id).collect();
        ours.sort_unstable();
        assert_eq!(ours, official);
    }

    #[test]
    fn codes_round_trip() {
        for t in DataTheme::ALL {
            assert_eq!(DataTheme::from_iri(&t.iri()), Some(*t));
        }
        assert_eq!(DataTheme::from_code("XXXX"), None);
        assert_eq!(
            Frequency::Annual.iri(),
            "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
        );
        for l in License::all() {
            assert_eq!(License::from_iri(&l.iri()).unwrap(), l);
        }
        assert!(License::from_iri("https://creativecommons.org/licenses/by/4.0/").is_err());
        assert_eq!(License::DL_BY_DE_2_0.id(), "dl-by-de/2.0");
        assert_eq!(License::CC_BY_4_0.id(), "cc-by/4.0");
        assert_eq!(License::OTHER_CLOSED.id(), "other-closed");
        assert_eq!(License::OTHER_OPEN.id(), "other-open");
        assert_eq!(
            FileType::from_iri(&FileType::new("CSV").unwrap().iri())
                .unwrap()
                .code(),
            "CSV"
        );
        assert!(FileType::new("csv").is_err());
        assert_eq!(MediaType::new("Text/CSV").unwrap().as_str(), "text/csv");
        assert!(MediaType::new("csv").is_err());
        assert_eq!(
            serde_json::to_string(&DataTheme::Energy).unwrap(),
            "\"ENER\""
        );
    }
}
