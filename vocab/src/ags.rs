//! Official municipality keys (AGS, *Amtlicher Gemeindeschlüssel*) and the regions they lie in.
//!
//! An AGS has 8 digits: state (2), government region (1), district (2), municipality (3). Only
//! keys in the official list are accepted: the crate ships a compact list derived from the
//! DCAT-AP.de regional key list (2019 edition, CC BY 4.0 GovData; see `data/README.md`).
//!
//! ```
//! use vocab::ags::{Ags, Region};
//! let munich = Ags::parse("09162000").unwrap();
//! assert_eq!(munich.state(), "09");
//! assert_eq!(munich.district(), "09162");
//! assert_eq!(munich.state_name(), "Bayern");
//! assert_eq!(
//!     munich.iri(),
//!     "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000"
//! );
//! assert!(munich.is_within(&Region::parse("09").unwrap()));
//! assert!(Ags::parse("09162999").is_err()); // well formed, but not an official key
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The IRI prefix of municipality keys in DCAT-AP.de (`dct:spatial` objects).
pub const MUNICIPALITY_KEY_IRI: &str = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/";
/// The IRI prefix of district keys in DCAT-AP.de.
pub const DISTRICT_KEY_IRI: &str = "http://dcat-ap.de/def/politicalGeocoding/districtKey/";
/// The IRI prefix of state keys in DCAT-AP.de.
pub const STATE_KEY_IRI: &str = "http://dcat-ap.de/def/politicalGeocoding/stateKey/";
/// The IRI prefix of regional keys (ARS) in DCAT-AP.de.
pub const REGIONAL_KEY_IRI: &str = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/";

/// The shipped list (see `data/README.md` for its format and derivation).
const KEY_LIST: &str = include_str!("../data/ags-keys.txt");

/// The names of the 16 states, by key (common knowledge; the key list has no names).
const STATE_NAMES: [(&str, &str); 16] = [
    ("01", "Schleswig-Holstein"),
    ("02", "Hamburg"),
    ("03", "Niedersachsen"),
    ("04", "Bremen"),
    ("05", "Nordrhein-Westfalen"),
    ("06", "Hessen"),
    ("07", "Rheinland-Pfalz"),
    ("08", "Baden-Württemberg"),
    ("09", "Bayern"),
    ("10", "Saarland"),
    ("11", "Berlin"),
    ("12", "Brandenburg"),
    ("13", "Mecklenburg-Vorpommern"),
    ("14", "Sachsen"),
    ("15", "Sachsen-Anhalt"),
    ("16", "Thüringen"),
];

/// The parsed key list.
struct KeyTable {
    /// AGS (8 digits) → ARS (12 digits).
    municipalities: BTreeMap<[u8; 8], [u8; 12]>,
    /// District keys of the official district list.
    districts: BTreeSet<[u8; 5]>,
    /// State keys.
    states: BTreeSet<[u8; 2]>,
}

fn digits<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = s.as_bytes();
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Some(out)
}

fn table() -> &'static KeyTable {
    static TABLE: OnceLock<KeyTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = KeyTable {
            municipalities: BTreeMap::new(),
            districts: BTreeSet::new(),
            states: BTreeSet::new(),
        };
        // The list is compiled in and checked by a test, so malformed lines cannot occur at
        // run time; they would simply be skipped.
        for line in KEY_LIST.lines().filter(|l| !l.starts_with('#')) {
            let mut tokens = line.split_ascii_whitespace();
            let Some(first) = tokens.next() else { continue };
            if first == "states" {
                t.states.extend(tokens.filter_map(digits::<2>));
                continue;
            }
            let (district, listed) = match first.strip_prefix('~') {
                Some(d) => (d, false),
                None => (first, true),
            };
            let Some(d) = digits::<5>(district) else {
                continue;
            };
            if listed {
                t.districts.insert(d);
            }
            for rest in tokens.filter_map(digits::<7>) {
                let mut ars = [0u8; 12];
                ars[..5].copy_from_slice(&d);
                ars[5..].copy_from_slice(&rest);
                let mut ags = [0u8; 8];
                ags[..5].copy_from_slice(&d);
                ags[5..].copy_from_slice(&rest[4..]);
                t.municipalities.insert(ags, ars);
            }
        }
        t
    })
}

/// An official municipality key (8 digits).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ags([u8; 8]);

impl Ags {
    /// Parses an 8-digit key and checks it against the official list.
    ///
    /// Errors say whether the form is wrong ([`Error::AgsFormat`]) or the key is unknown
    /// ([`Error::AgsUnknown`]).
    pub fn parse(key: &str) -> Result<Self> {
        let key = key.trim();
        if key.len() != 8 {
            return Err(Error::AgsFormat {
                key: key.to_owned(),
                reason: "a municipality key has exactly 8 digits",
            });
        }
        let d = digits::<8>(key).ok_or_else(|| Error::AgsFormat {
            key: key.to_owned(),
            reason: "a municipality key consists of digits only",
        })?;
        if table().municipalities.contains_key(&d) {
            Ok(Ags(d))
        } else {
            Err(Error::AgsUnknown(key.to_owned()))
        }
    }

    /// Reads a key from its DCAT-AP.de IRI (`…/municipalityKey/<8 digits>`).
    pub fn from_iri(iri: &str) -> Result<Self> {
        let key = iri.strip_prefix(MUNICIPALITY_KEY_IRI).ok_or_else(|| Error::AgsFormat {
            key: iri.to_owned(),
            reason: "not a DCAT-AP.de municipality key IRI (http://dcat-ap.de/def/politicalGeocoding/municipalityKey/<8 digits>)",
        })?;
        Self::parse(key)
    }

    /// All official keys, ascending.
    pub fn all() -> impl Iterator<Item = Ags> {
        table().municipalities.keys().map(|k| Ags(*k))
    }

    /// The number of official keys.
    pub fn count() -> usize {
        table().municipalities.len()
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("00000000")
    }

    /// The state key (first 2 digits).
    pub fn state(&self) -> &str {
        &self.as_str()[..2]
    }

    /// The district key (first 5 digits).
    pub fn district(&self) -> &str {
        &self.as_str()[..5]
    }

    /// Whether the district key is in the official district list (three special areas
    /// outside any district are not).
    pub fn district_is_listed(&self) -> bool {
        let mut d = [0u8; 5];
        d.copy_from_slice(&self.0[..5]);
        table().districts.contains(&d)
    }

    /// The state's name (`Bayern` for `09…`).
    pub fn state_name(&self) -> &'static str {
        state_name(self.state()).unwrap_or("unbekannt")
    }

    /// The 12-digit regional key (ARS) of this municipality.
    pub fn ars(&self) -> String {
        table()
            .municipalities
            .get(&self.0)
            .and_then(|a| std::str::from_utf8(a).ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// The DCAT-AP.de IRI: `http://dcat-ap.de/def/politicalGeocoding/municipalityKey/<8 digits>`.
    pub fn iri(&self) -> String {
        format!("{MUNICIPALITY_KEY_IRI}{}", self.as_str())
    }

    /// Whether this municipality lies within `region`.
    pub fn is_within(&self, region: &Region) -> bool {
        self.as_str().starts_with(region.as_str())
    }
}

impl fmt::Display for Ags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Ags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ags({})", self.as_str())
    }
}

impl std::str::FromStr for Ags {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ags::parse(s)
    }
}

impl Serialize for Ags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Ags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ags::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The name of a state by its 2-digit key.
pub fn state_name(state_key: &str) -> Option<&'static str> {
    STATE_NAMES
        .iter()
        .find(|(k, _)| *k == state_key)
        .map(|(_, n)| *n)
}

/// The level of a [`Region`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    /// A state (2 digits).
    State,
    /// A district (5 digits).
    District,
    /// A municipality (8 digits).
    Municipality,
}

/// A region a municipality can lie in: a state (2 digits), a district (5) or a municipality (8),
/// each an official key.
///
/// ```
/// use vocab::ags::{Ags, Region, RegionLevel};
/// let upper_bavaria_district = Region::parse("09162").unwrap();
/// assert_eq!(upper_bavaria_district.level(), RegionLevel::District);
/// assert!(Ags::parse("09162000").unwrap().is_within(&upper_bavaria_district));
/// assert!(!Ags::parse("11000000").unwrap().is_within(&upper_bavaria_district));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);

impl Region {
    /// Parses a state, district or municipality key; it must be official.
    pub fn parse(key: &str) -> Result<Self> {
        let key = key.trim();
        let t = table();
        match key.len() {
            2 => {
                let d = digits::<2>(key).ok_or_else(|| Error::AgsFormat {
                    key: key.to_owned(),
                    reason: "a state key consists of 2 digits",
                })?;
                if t.states.contains(&d) {
                    Ok(Region(key.to_owned()))
                } else {
                    Err(Error::AgsUnknown(key.to_owned()))
                }
            }
            5 => {
                let d = digits::<5>(key).ok_or_else(|| Error::AgsFormat {
                    key: key.to_owned(),
                    reason: "a district key consists of 5 digits",
                })?;
                let mut lo = [b'0'; 8];
                lo[..5].copy_from_slice(&d);
                let mut hi = [b'9'; 8];
                hi[..5].copy_from_slice(&d);
                let has_members = t.municipalities.range(lo..=hi).next().is_some();
                if t.districts.contains(&d) || has_members {
                    Ok(Region(key.to_owned()))
                } else {
                    Err(Error::AgsUnknown(key.to_owned()))
                }
            }
            8 => Ags::parse(key).map(Region::from),
            _ => Err(Error::AgsFormat {
                key: key.to_owned(),
                reason: "a region key has 2 (state), 5 (district) or 8 (municipality) digits",
            }),
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// State, district or municipality.
    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            2 => RegionLevel::State,
            5 => RegionLevel::District,
            _ => RegionLevel::Municipality,
        }
    }

    /// The region's name where the crate knows it: the 16 state names. The official key list
    /// carries no names of districts or municipalities, so those give `None`.
    pub fn name(&self) -> Option<&'static str> {
        match self.level() {
            RegionLevel::State => state_name(&self.0),
            RegionLevel::District | RegionLevel::Municipality => None,
        }
    }

    /// The DCAT-AP.de IRI of the region (state, district or municipality key).
    pub fn iri(&self) -> String {
        match self.level() {
            RegionLevel::State => format!("{STATE_KEY_IRI}{}", self.0),
            RegionLevel::District => format!("{DISTRICT_KEY_IRI}{}", self.0),
            RegionLevel::Municipality => format!("{MUNICIPALITY_KEY_IRI}{}", self.0),
        }
    }

    /// Whether `other` lies within this region (a region contains itself).
    pub fn contains(&self, other: &Region) -> bool {
        other.0.starts_with(&self.0)
    }
}

impl From<Ags> for Region {
    fn from(a: Ags) -> Self {
        Region(a.as_str().to_owned())
    }
}

impl TryFrom<String> for Region {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Region::parse(&s)
    }
}

impl From<Region> for String {
    fn from(r: Region) -> Self {
        r.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/specs/dcat-ap-de/vocabularies/dcat-ap-de-lists.ttl"
    );

    /// Re-derives `data/ags-keys.txt` from the official Turtle file with an RDF parser (the
    /// shipped file was made by a separate script) and compares byte for byte.
    #[test]
    fn shipped_list_matches_the_official_source() {
        use oxigraph::io::{RdfFormat, RdfParser};
        let file = std::fs::read(LISTS).expect("../shared/specs lists file");
        let mut ars = BTreeSet::new();
        let mut districts = BTreeSet::new();
        let mut states = BTreeSet::new();
        for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(&file) {
            let quad = quad.expect("valid Turtle");
            if quad.predicate != crate::ns::rdf::FIRST {
                continue;
            }
            let oxigraph::model::Term::NamedNode(n) = quad.object else {
                continue;
            };
            let iri = n.as_str();
            if let Some(k) = iri.strip_prefix(REGIONAL_KEY_IRI) {
                ars.insert(k.to_owned());
            } else if let Some(k) = iri.strip_prefix(DISTRICT_KEY_IRI) {
                districts.insert(k.to_owned());
            } else if let Some(k) = iri.strip_prefix(STATE_KEY_IRI) {
                states.insert(k.to_owned());
            }
        }
        assert_eq!(ars.len(), 11_294);
        let mut by_district: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in &districts {
            by_district.entry(d.clone()).or_default();
        }
        for a in &ars {
            by_district
                .entry(a[..5].to_owned())
                .or_default()
                .push(a[5..].to_owned());
        }
        let mut expected = String::new();
        for line in KEY_LIST.lines().take_while(|l| l.starts_with('#')) {
            expected.push_str(line);
            expected.push('\n');
        }
        expected.push_str("states");
        for s in &states {
            expected.push(' ');
            expected.push_str(s);
        }
        expected.push('\n');
        for (d, rest) in &by_district {
            if !districts.contains(d) {
                expected.push('~');
            }
            expected.push_str(d);
            for r in rest {
                expected.push(' ');
                expected.push_str(r);
            }
            expected.push('\n');
        }
        assert!(
            expected == KEY_LIST,
            "data/ags-keys.txt differs from the source"
        );
        assert_eq!(Ags::count(), 11_294);
        // every official ARS maps to an accepted AGS and back
        for a in &ars {
            let ags = format!("{}{}", &a[..5], &a[9..]);
            assert_eq!(Ags::parse(&ags).expect("official").ars(), *a);
        }
    }

    #[test]
    fn parse_reports_format_and_unknown() {
        assert!(matches!(
            Ags::parse("0916200"),
            Err(Error::AgsFormat { .. })
        ));
        assert!(matches!(
            Ags::parse("0916200x"),
            Err(Error::AgsFormat { .. })
        ));
        assert!(matches!(Ags::parse("99999999"), Err(Error::AgsUnknown(_))));
        let a = Ags::parse("09162000").unwrap();
        assert_eq!(a.ars(), "091620000000");
        assert!(a.district_is_listed());
        assert_eq!(Ags::from_iri(&a.iri()).unwrap(), a);
        assert!(Ags::from_iri("http://example.org/09162000").is_err());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"09162000\"");
        assert_eq!(serde_json::from_str::<Ags>(&json).unwrap(), a);
        assert!(serde_json::from_str::<Ags>("\"12345678\"").is_err());
        // a special area outside any listed district
        assert!(!Ags::parse("03901999").unwrap().district_is_listed());
    }

    #[test]
    fn regions_nest() {
        let munich = Ags::parse("09162000").unwrap();
        let bavaria = Region::parse("09").unwrap();
        let district = Region::parse("09162").unwrap();
        let itself = Region::parse("09162000").unwrap();
        assert!(munich.is_within(&bavaria));
        assert!(munich.is_within(&district));
        assert!(munich.is_within(&itself));
        assert!(bavaria.contains(&district));
        assert!(!district.contains(&bavaria));
        assert!(!munich.is_within(&Region::parse("08").unwrap()));
        assert!(!munich.is_within(&Region::parse("09161").unwrap()));
        assert!(matches!(Region::parse("17"), Err(Error::AgsUnknown(_))));
        assert!(matches!(Region::parse("09999"), Err(Error::AgsUnknown(_))));
        assert!(matches!(
            Region::parse("0916"),
            Err(Error::AgsFormat { .. })
        ));
        assert_eq!(district.level(), RegionLevel::District);
        assert_eq!(
            bavaria.iri(),
            "http://dcat-ap.de/def/politicalGeocoding/stateKey/09"
        );
        assert_eq!(state_name("11"), Some("Berlin"));
        assert_eq!(bavaria.name(), Some("Bayern"));
        assert_eq!(district.name(), None);
        assert_eq!(state_name("17"), None);
    }
}
