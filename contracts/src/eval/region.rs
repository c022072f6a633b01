//! Regions by official municipality key (AGS, Amtlicher Gemeindeschlüssel).
//!
//! An AGS has eight digits: two for the state (Land), one for the government region
//! (Regierungsbezirk), two for the district (Kreis), three for the municipality. A region is
//! named by its significant prefix: `09` (Bayern), `091` (Oberbayern), `09162` (München,
//! kreisfreie Stadt), `09162000` (the municipality). The 8-digit forms `09000000` and
//! `09100000` and `09162000` name the state, region and municipality. A municipality lies in
//! its district, government region and state: containment is the prefix relation.
//! The dcat-ap.de IRIs (`http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000`,
//! `…/stateKey/09`, `…/districtKey/09162`) are read too.

/// A region, as its significant AGS prefix (2, 3, 5 or 8 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region {
    prefix: String,
}

const GEOCODING: &str = "http://dcat-ap.de/def/politicalGeocoding/";

impl Region {
    /// Reads an AGS code (2, 3, 5 or 8 digits) or a dcat-ap.de political geocoding IRI.
    pub fn parse(text: &str) -> Option<Region> {
        let code = match text.strip_prefix(GEOCODING) {
            Some(rest) => rest.rsplit('/').next()?,
            None => text,
        };
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix = match code.len() {
            2 | 3 | 5 => code.to_owned(),
            8 => {
                if code.ends_with("000000") {
                    code[..2].to_owned()
                } else if code.ends_with("00000") && code.as_bytes()[2] != b'0' {
                    code[..3].to_owned()
                } else {
                    code.to_owned()
                }
            }
            12 => code[..5].to_owned() + &code[9..],
            _ => return None,
        };
        if prefix.len() >= 2 && &prefix[..2] == "00" {
            return None;
        }
        Some(Region { prefix })
    }

    /// The significant prefix (`09`, `09162`, `09162000`).
    pub fn code(&self) -> &str {
        &self.prefix
    }

    /// Whether `other` lies within this region (or is it).
    pub fn contains(&self, other: &Region) -> bool {
        other.prefix.starts_with(&self.prefix)
    }

    /// What kind of region the code names, in German or English.
    pub fn kind_label(&self, german: bool) -> &'static str {
        match (self.prefix.len(), german) {
            (2, true) => "Land",
            (2, false) => "state",
            (3, true) => "Regierungsbezirk",
            (3, false) => "government region",
            (5, true) => "Kreis",
            (5, false) => "district",
            (_, true) => "Gemeinde",
            (_, false) => "municipality",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Region {
        Region::parse(s).expect(s)
    }

    #[test]
    fn containment() {
        assert!(r("09").contains(&r("09162000")));
        assert!(r("09000000").contains(&r("09162000")));
        assert!(r("091").contains(&r("09162000")));
        assert!(r("09162").contains(&r("09162000")));
        assert!(r("09162000").contains(&r("09162000")));
        assert!(!r("05").contains(&r("09162000")));
        assert!(!r("09162000").contains(&r("09")));
        assert!(
            r("http://dcat-ap.de/def/politicalGeocoding/stateKey/09").contains(&r(
                "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000"
            ))
        );
        assert_eq!(r("09100000").code(), "091");
        for bad in ["", "9", "0916", "abcdefgh", "00000000", "091620001"] {
            assert!(Region::parse(bad).is_none(), "{bad}");
        }
    }
}
