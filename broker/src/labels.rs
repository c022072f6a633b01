//! German labels for facet values and codes: EU themes, licences, regions, purposes,
//! participant types. Unknown values show themselves, never an error.

use std::sync::OnceLock;

use contracts::charta::Charta;
use vocab::model::{DataTheme, License};

use crate::store::{ParticipantType, parse_participant_type};

/// The Charta whose purpose labels are shown (the federation's default).
pub fn charta() -> &'static Charta {
    static CHARTA: OnceLock<Charta> = OnceLock::new();
    CHARTA.get_or_init(Charta::default_1_0)
}

/// `ENER` → "Energie".
pub fn theme(code: &str) -> String {
    DataTheme::from_code(code)
        .map(|t| t.label_de().to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// A licence IRI → its German name.
pub fn license(iri: &str) -> String {
    License::from_iri(iri)
        .map(|l| l.label_de().to_owned())
        .unwrap_or_else(|_| iri.to_owned())
}

/// A purpose IRI → its German label from the Charta.
pub fn purpose(iri: &str) -> String {
    charta().purposes().label(iri, true)
}

/// A region key → "Bayern" for states, "Kreis 09162" / "Gemeinde 09162000" otherwise.
pub fn region(key: &str) -> String {
    match key.len() {
        2 => vocab::ags::state_name(key)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Land {key}")),
        5 => format!("Kreis {key}"),
        8 => format!("Gemeinde {key}"),
        _ => key.to_owned(),
    }
}

/// A participant type wire name → German.
pub fn participant_type(name: &str) -> String {
    parse_participant_type(name)
        .map(|t: ParticipantType| t.label_de().to_owned())
        .unwrap_or_else(|| name.to_owned())
}

/// An access-rights IRI → German.
pub fn access_rights(iri: &str) -> String {
    match iri.rsplit('/').next().unwrap_or_default() {
        "PUBLIC" => "öffentlich".into(),
        "RESTRICTED" => "eingeschränkt (Vertrag erforderlich)".into(),
        "NON_PUBLIC" => "nicht öffentlich (Vertrag erforderlich)".into(),
        _ => iri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_german_and_fall_back_to_the_value() {
        assert_eq!(theme("ENER"), "Energie");
        assert_eq!(theme("XXXX"), "XXXX");
        assert_eq!(region("09"), "Bayern");
        assert_eq!(region("09162"), "Kreis 09162");
        assert_eq!(participant_type("municipality"), "Kommune");
        assert_eq!(
            purpose("https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung"),
            charta().purposes().label(
                "https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung",
                true
            )
        );
    }
}
