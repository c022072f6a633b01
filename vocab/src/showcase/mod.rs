//! The showcase of the data space and a generator of varied datasets.
//!
//! The showcase (see `DESIGN.md`): Musterstadt, a municipality (AGS 09162000), and Stadtwerke
//! Musterstadt, its utility, which offers "Stromverbrauch je Baublock 2024" (personal-adjacent,
//! aggregated, for heat planning). Everything is parameterised by the participants' base URLs:
//! the DID, endpoints and IRIs follow from them.
//!
//! ```
//! use vocab::showcase;
//! let sd = showcase::stadtwerke("https://stadtwerke.example").unwrap();
//! assert_eq!(sd.participant.did, "did:web:stadtwerke.example");
//! assert_eq!(sd.datasets[0].title.de, "Stromverbrauch je Baublock 2024");
//! assert!(sd.datasets[0].personal_adjacent);
//! ```

mod generator;
mod topics;

pub use generator::{generate_datasets, generate_participants, generate_self_descriptions};

use chrono::NaiveDate;

use crate::ags::Ags;
use crate::did::did_web_from_url;
use crate::error::{Error, Result};
use crate::model::{
    ContactPoint, DataService, DataTheme, Dataset, Distribution, FileType, Frequency, License,
    MediaType, Participant, ParticipantType, SelfDescription, TemporalCoverage, Text,
};

/// The municipality key of Musterstadt.
pub const MUSTERSTADT_AGS: &str = "09162000";
/// The identifier of the showcase dataset.
pub const STROMVERBRAUCH_ID: &str = "stromverbrauch-baublock-2024";
/// The identifier of the contract template the showcase dataset is offered under.
pub const STROMVERBRAUCH_TEMPLATE: &str = "kommunale-planung-aggregiert-12-monate";

/// `base` without a trailing slash, checked to be an http(s) URL, and its host.
pub(crate) fn base_and_host(base_url: &str) -> Result<(String, String)> {
    let url = url::Url::parse(base_url)
        .map_err(|e| Error::model("base_url", format!("{base_url:?} is not a URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::model("base_url", format!("{base_url:?} has no host")))?
        .to_owned();
    Ok((base_url.trim_end_matches('/').to_owned(), host))
}

/// The connector's DSP endpoint for a base URL.
pub fn dsp_endpoint(base_url: &str) -> String {
    format!("{}/dsp", base_url.trim_end_matches('/'))
}

/// The IRI of the connector's data service node for a base URL.
pub fn service_iri(base_url: &str) -> String {
    format!("{}/dsp#connector", base_url.trim_end_matches('/'))
}

/// The IRI of a participant's catalogue for a base URL.
pub fn catalog_iri(base_url: &str) -> String {
    format!("{}/catalog", base_url.trim_end_matches('/'))
}

/// The IRI of a dataset with `identifier` at a base URL.
pub fn dataset_iri(base_url: &str, identifier: &str) -> String {
    format!("{}/datasets/{identifier}", base_url.trim_end_matches('/'))
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| Error::model("date", format!("{y}-{m}-{d}")))
}

/// Musterstadt, the municipality (AGS 09162000), at `base_url`.
pub fn musterstadt_participant(base_url: &str) -> Result<Participant> {
    let (base, host) = base_and_host(base_url)?;
    Ok(Participant::new(
        did_web_from_url(&base)?,
        "Stadt Musterstadt",
        ParticipantType::Municipality,
        ContactPoint::email(
            "Stabsstelle Digitalisierung und Daten",
            format!("daten@{host}"),
        )
        .with_phone("+49 89 1234560"),
        dsp_endpoint(&base),
    )
    .with_ags(Ags::parse(MUSTERSTADT_AGS)?)
    .with_homepage(format!("{base}/")))
}

/// Stadtwerke Musterstadt, the municipal utility (a company seated in Musterstadt), at
/// `base_url`.
pub fn stadtwerke_participant(base_url: &str) -> Result<Participant> {
    let (base, host) = base_and_host(base_url)?;
    Ok(Participant::new(
        did_web_from_url(&base)?,
        "Stadtwerke Musterstadt GmbH",
        ParticipantType::Company,
        ContactPoint::email("Datenmanagement Netze", format!("datenraum@{host}"))
            .with_phone("+49 89 9876540"),
        dsp_endpoint(&base),
    )
    .with_ags(Ags::parse(MUSTERSTADT_AGS)?)
    .with_homepage(format!("{base}/")))
}

/// The showcase dataset "Stromverbrauch je Baublock 2024" of Stadtwerke Musterstadt at
/// `base_url`: personal-adjacent, aggregated per building block, energy theme, for heat
/// planning, offered under the template "Kommunale Planung – aggregiert, 12 Monate".
pub fn stromverbrauch_dataset(base_url: &str) -> Result<Dataset> {
    let p = stadtwerke_participant(base_url)?;
    let (base, _) = base_and_host(base_url)?;
    let id = dataset_iri(&base, STROMVERBRAUCH_ID);
    Ok(Dataset::new(
        id.clone(),
        Text::de("Stromverbrauch je Baublock 2024")
            .with_en("Electricity consumption per building block 2024"),
        Text::de(
            "Jahresstromverbrauch 2024 aller Haushalts- und Gewerbeanschlüsse in Musterstadt, \
             aggregiert je Baublock (nur Blöcke mit mindestens fünf Anschlüssen). Grundlage für \
             die kommunale Wärmeplanung; Zugang nur über den Konnektor unter den Bedingungen \
             der Datennutzungscharta.",
        )
        .with_en(
            "Annual 2024 electricity consumption of all household and business connections in \
             Musterstadt, aggregated per building block (blocks with at least five connections \
             only). Basis for municipal heat planning; access only through the connector under \
             the terms of the data-sharing charter.",
        ),
        p.agent(),
        License::from_id("other-closed")?,
    )
    .with_identifier(STROMVERBRAUCH_ID)
    .with_keywords(["Baublock", "Energie", "Stromverbrauch", "Wärmeplanung"])
    .with_theme(DataTheme::Energy)
    .with_theme(DataTheme::Regions)
    .with_spatial(Ags::parse(MUSTERSTADT_AGS)?)
    .with_temporal(TemporalCoverage::between(
        date(2024, 1, 1)?,
        date(2024, 12, 31)?,
    ))
    .with_contact_point(p.contact.clone())
    .with_personal_adjacent(true)
    .with_dates(Some(date(2025, 2, 14)?), Some(date(2025, 3, 3)?))
    .with_frequency(Frequency::Annual)
    .with_offered_policy(format!("{base}/offers/{STROMVERBRAUCH_TEMPLATE}"))
    .with_distribution(
        Distribution::new(format!("{id}/csv"), dsp_endpoint(&base))
            .with_title(Text::de(
                "Verbrauchswerte je Baublock (CSV) über den Konnektor",
            ))
            .with_access_service(service_iri(&base))
            .with_format(MediaType::new("text/csv")?, FileType::new("CSV")?)
            .with_byte_size(1_843_200),
    ))
}

/// Musterstadt's open dataset of building-block geometries (the shapes the consumption data
/// refer to), at `base_url`.
pub fn baubloecke_dataset(base_url: &str) -> Result<Dataset> {
    let p = musterstadt_participant(base_url)?;
    let (base, _) = base_and_host(base_url)?;
    let id = dataset_iri(&base, "baubloecke");
    Ok(Dataset::new(
        id.clone(),
        Text::de("Baublöcke Musterstadt").with_en("Building blocks of Musterstadt"),
        Text::de(
            "Geometrien und Kennungen der Baublöcke im Stadtgebiet, Stand 31.12.2024. \
             Bezugsgrundlage für blockweise aggregierte Daten.",
        ),
        p.agent(),
        License::from_id("dl-by-de/2.0")?,
    )
    .with_identifier("baubloecke")
    .with_keywords(["Baublock", "Geodaten", "Stadtplanung"])
    .with_theme(DataTheme::Regions)
    .with_spatial(Ags::parse(MUSTERSTADT_AGS)?)
    .with_temporal(TemporalCoverage {
        start: None,
        end: Some(date(2024, 12, 31)?),
    })
    .with_contact_point(p.contact.clone())
    .with_dates(Some(date(2025, 1, 20)?), None)
    .with_frequency(Frequency::Annual)
    .with_landing_page(format!("{base}/open/baubloecke"))
    .with_distribution(
        Distribution::new(format!("{id}/geojson"), format!("{base}/open/baubloecke"))
            .with_title(Text::de("Baublöcke als GeoJSON"))
            .with_download_url(format!("{base}/open/baubloecke.geojson"))
            .with_format(
                MediaType::new("application/geo+json")?,
                FileType::new("GEOJSON")?,
            )
            .with_byte_size(5_312_004),
    ))
}

fn connector_service(base: &str, owner: &str) -> DataService {
    DataService::new(
        service_iri(base),
        Text::de(format!("Datenraum-Konnektor von {owner}")),
        dsp_endpoint(base),
    )
}

/// Musterstadt's self-description at `base_url`.
pub fn musterstadt(base_url: &str) -> Result<SelfDescription> {
    let p = musterstadt_participant(base_url)?;
    let (base, _) = base_and_host(base_url)?;
    Ok(SelfDescription::new(
        catalog_iri(&base),
        Text::de("Datenkatalog der Stadt Musterstadt").with_en("Data catalogue of Musterstadt"),
        Text::de("Datensätze, die die Stadt Musterstadt im kommunalen Datenraum anbietet."),
        p,
        connector_service(&base, "Musterstadt"),
    )
    .with_dataset(baubloecke_dataset(base_url)?)
    .with_modified(date(2025, 1, 20)?))
}

/// Stadtwerke Musterstadt's self-description at `base_url`, offering the showcase dataset.
pub fn stadtwerke(base_url: &str) -> Result<SelfDescription> {
    let p = stadtwerke_participant(base_url)?;
    let (base, _) = base_and_host(base_url)?;
    Ok(SelfDescription::new(
        catalog_iri(&base),
        Text::de("Datenkatalog der Stadtwerke Musterstadt")
            .with_en("Data catalogue of Stadtwerke Musterstadt"),
        Text::de(
            "Daten der Stadtwerke Musterstadt für Vorhaben im öffentlichen Interesse, \
             bereitgestellt unter den Bedingungen der Datennutzungscharta.",
        ),
        p,
        connector_service(&base, "Stadtwerke Musterstadt"),
    )
    .with_dataset(stromverbrauch_dataset(base_url)?)
    .with_modified(date(2025, 3, 3)?))
}

#[cfg(test)]
mod tests;
