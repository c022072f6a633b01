//! Regions by official municipality key (AGS), on top of [`vocab::ags`].
//!
//! A region is a state (2 digits, `09`), a district (5 digits, `09162`) or a municipality
//! (8 digits, `09162000`), each an official key. A municipality lies in its district and its
//! state: containment is the key prefix. The DCAT-AP.de IRIs
//! (`http://dcat-ap.de/def/politicalGeocoding/stateKey/09`, `…/districtKey/09162`,
//! `…/municipalityKey/09162000`) are read too.

use vocab::ags::{self, RegionLevel};

/// A state, district or municipality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(ags::Region);

impl Region {
    /// Reads an official key (2, 5 or 8 digits) or a DCAT-AP.de political geocoding IRI.
    pub fn parse(text: &str) -> Option<Region> {
        let text = text.trim();
        let key = [
            ags::STATE_KEY_IRI,
            ags::DISTRICT_KEY_IRI,
            ags::MUNICIPALITY_KEY_IRI,
        ]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .unwrap_or(text);
        ags::Region::parse(key).ok().map(Region)
    }

    /// The key (`09`, `09162`, `09162000`).
    pub fn code(&self) -> &str {
        self.0.as_str()
    }

    /// Whether `other` lies within this region (or is it).
    pub fn contains(&self, other: &Region) -> bool {
        self.0.contains(&other.0)
    }

    /// What kind of region the key names, in German or English.
    pub fn kind_label(&self, german: bool) -> &'static str {
        match (self.0.level(), german) {
            (RegionLevel::State, true) => "Land",
            (RegionLevel::State, false) => "state",
            (RegionLevel::District, true) => "Kreis",
            (RegionLevel::District, false) => "district",
            (_, true) => "Gemeinde",
            (_, false) => "municipality",
        }
    }

    /// A label for messages: `Land Bayern (09)`, `Kreis 09162`, `Gemeinde 09162000`.
    pub fn label(&self, german: bool) -> String {
        match self.0.level() {
            RegionLevel::State => match ags::state_name(self.code()) {
                Some(name) => format!("{} {name} ({})", self.kind_label(german), self.code()),
                None => format!("{} {}", self.kind_label(german), self.code()),
            },
            _ => format!("{} {}", self.kind_label(german), self.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Region {
        Region::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn containment() {
        assert!(r("09").contains(&r("09162000")));
        assert!(r("09162").contains(&r("09162000")));
        assert!(r("09162000").contains(&r("09162000")));
        assert!(!r("05").contains(&r("09162000")));
        assert!(!r("09162000").contains(&r("09")));
        assert!(
            r("http://dcat-ap.de/def/politicalGeocoding/stateKey/09").contains(&r(
                "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000"
            ))
        );
        assert_eq!(r("09").label(true), "Land Bayern (09)");
        for bad in [
            "",
            "9",
            "0916",
            "abcdefgh",
            "00000000",
            "09162999",
            "091620001",
        ] {
            assert!(Region::parse(bad).is_none(), "{bad}");
        }
    }
}
