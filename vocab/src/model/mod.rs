//! The typed model of self-descriptions: who a participant is, what datasets it offers, and how
//! they are reached through its connector.
//!
//! A [`SelfDescription`] is one `dcat:Catalog`: the [`Participant`] (publisher), its connector's
//! [`DataService`] and its [`Dataset`]s, each with [`Distribution`]s. Values are plain structs
//! with public fields, builders (`new` + `with_*`) and serde support; [`SelfDescription::check`]
//! and [`Dataset::check`] verify what the types alone cannot (non-empty texts, URLs, at least one
//! distribution). RDF conversion lives in [`crate::rdf`].
//!
//! ```
//! use vocab::model::*;
//! let publisher = Agent::new("did:web:stadtwerke.example", "Stadtwerke Musterstadt GmbH");
//! let dataset = Dataset::new(
//!     "https://stadtwerke.example/datasets/strom-2024",
//!     Text::de("Stromverbrauch je Baublock 2024"),
//!     Text::de("Jahresverbrauch je Baublock, aggregiert."),
//!     publisher,
//!     License::from_id("dl-by-de/2.0").unwrap(),
//! )
//! .with_theme(DataTheme::Energy)
//! .with_distribution(Distribution::new(
//!     "https://stadtwerke.example/datasets/strom-2024#csv",
//!     "https://stadtwerke.example/dsp",
//! ));
//! dataset.check().unwrap();
//! assert_eq!(dataset.identifier, "strom-2024");
//! ```

mod codes;
mod dataset;
mod participant;
mod service;
mod text;

pub use codes::{
    DATA_THEME_SCHEME, DataTheme, FILE_TYPE_SCHEME, FREQUENCY_SCHEME, FileType, Frequency,
    LICENSE_SCHEME, LICENSES, License, MEDIA_TYPE_PREFIX, MediaType,
};
pub use dataset::{Agent, ContactPoint, Dataset, Distribution, TemporalCoverage};
pub use participant::{Participant, ParticipantType};
pub use service::{DataService, SelfDescription};
pub use text::Text;

use crate::error::{Error, Result};

/// Checks that `value` is an absolute `http(s)`, `mailto`, `tel`, `urn` or `did` IRI usable in RDF.
pub(crate) fn check_iri(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::model(field, "is empty"));
    }
    oxigraph::model::NamedNode::new(value)
        .map_err(|e| Error::model(field, format!("{value:?} is not an absolute IRI: {e}")))?;
    let scheme = value.split(':').next().unwrap_or_default();
    if !matches!(scheme, "http" | "https" | "urn" | "did" | "mailto" | "tel") {
        return Err(Error::model(
            field,
            format!("{value:?} must be an http(s), urn or did IRI"),
        ));
    }
    Ok(())
}

/// Checks that `value` is an absolute `http(s)` URL.
pub(crate) fn check_url(field: &str, value: &str) -> Result<()> {
    check_iri(field, value)?;
    if !(value.starts_with("https://") || value.starts_with("http://")) {
        return Err(Error::model(
            field,
            format!("{value:?} must be an http(s) URL"),
        ));
    }
    Ok(())
}

/// Checks that `value` is not empty or blank.
pub(crate) fn check_text(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::model(field, "is empty"))
    } else {
        Ok(())
    }
}
