//! The connector's data service and the self-description (one catalogue per participant).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Dataset, Participant, Text, check_iri, check_url};

use crate::error::{Error, Result};

/// The connector as a `dcat:DataService`: the DSP endpoint through which the datasets are
/// negotiated and transferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataService {
    /// The service's IRI.
    pub id: String,
    /// Its title.
    pub title: Text,
    /// The DSP base URL (`dcat:endpointURL`).
    pub endpoint_url: String,
    /// A machine-readable description of the endpoint (e.g. the OpenAPI document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_description: Option<String>,
}

impl DataService {
    /// A data service with its IRI, title and DSP endpoint.
    pub fn new(id: impl Into<String>, title: Text, endpoint_url: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title,
            endpoint_url: endpoint_url.into(),
            endpoint_description: None,
        }
    }

    /// Sets the endpoint description URL.
    #[must_use]
    pub fn with_endpoint_description(mut self, url: impl Into<String>) -> Self {
        self.endpoint_description = Some(url.into());
        self
    }

    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        check_iri("service.id", &self.id)?;
        self.title.check("service.title")?;
        check_url("service.endpoint_url", &self.endpoint_url)?;
        if let Some(d) = &self.endpoint_description {
            check_url("service.endpoint_description", d)?;
        }
        Ok(())
    }
}

/// A participant's self-description: one `dcat:Catalog` with the participant as publisher, its
/// connector as data service and its datasets. This is what a connector signs and publishes
/// to the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfDescription {
    /// The catalogue's IRI.
    pub catalog_id: String,
    /// The catalogue's title.
    pub title: Text,
    /// The catalogue's description.
    pub description: Text,
    /// Who publishes it.
    pub participant: Participant,
    /// The connector.
    pub service: DataService,
    /// The datasets offered.
    #[serde(default)]
    pub datasets: Vec<Dataset>,
    /// When the catalogue last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<NaiveDate>,
}

impl SelfDescription {
    /// A self-description without datasets.
    pub fn new(
        catalog_id: impl Into<String>,
        title: Text,
        description: Text,
        participant: Participant,
        service: DataService,
    ) -> Self {
        Self {
            catalog_id: catalog_id.into(),
            title,
            description,
            participant,
            service,
            datasets: Vec::new(),
            modified: None,
        }
    }

    /// Adds a dataset.
    #[must_use]
    pub fn with_dataset(mut self, dataset: Dataset) -> Self {
        self.datasets.push(dataset);
        self
    }

    /// Sets the date of the last change.
    #[must_use]
    pub fn with_modified(mut self, date: NaiveDate) -> Self {
        self.modified = Some(date);
        self
    }

    /// The same self-description in the order a graph gives it back (datasets sorted by IRI,
    /// each [`Dataset::normalized`], contacts normalized).
    /// `SelfDescription::from_graph(&sd.to_graph()?)? == sd.normalized()`.
    #[must_use]
    pub fn normalized(mut self) -> Self {
        self.datasets = self.datasets.into_iter().map(Dataset::normalized).collect();
        self.datasets.sort_by(|a, b| a.id.cmp(&b.id));
        self.participant.contact = self.participant.contact.normalized();
        self
    }

    /// Checks every part, and that the datasets are published by the participant and have
    /// distinct IRIs and identifiers. The error names the dataset and field.
    pub fn check(&self) -> Result<()> {
        check_iri("catalog_id", &self.catalog_id)?;
        self.title.check("title")?;
        self.description.check("description")?;
        self.participant.check()?;
        self.service.check()?;
        let mut ids = std::collections::HashSet::new();
        let mut identifiers = std::collections::HashSet::new();
        for (i, d) in self.datasets.iter().enumerate() {
            d.check().map_err(|e| match e {
                Error::Model { field, reason } => {
                    Error::model(format!("datasets[{i}] ({}): {field}", d.id), reason)
                }
                other => other,
            })?;
            if d.publisher.id != self.participant.did {
                return Err(Error::model(
                    format!("datasets[{i}].publisher"),
                    format!(
                        "is {}, but a self-description only holds datasets published by its participant {}",
                        d.publisher.id, self.participant.did
                    ),
                ));
            }
            if d.publisher.name != self.participant.legal_name {
                return Err(Error::model(
                    format!("datasets[{i}].publisher.name"),
                    format!(
                        "is {:?}, but the participant's legal name is {:?}",
                        d.publisher.name, self.participant.legal_name
                    ),
                ));
            }
            if !ids.insert(d.id.as_str()) {
                return Err(Error::model(
                    format!("datasets[{i}].id"),
                    format!("{} occurs twice", d.id),
                ));
            }
            if !identifiers.insert(d.identifier.as_str()) {
                return Err(Error::model(
                    format!("datasets[{i}].identifier"),
                    format!("{:?} occurs twice", d.identifier),
                ));
            }
        }
        for (name, iri) in [
            ("catalog_id", &self.catalog_id),
            ("service.id", &self.service.id),
        ] {
            if ids.contains(iri.as_str()) || *iri == self.participant.did {
                return Err(Error::model(
                    name,
                    format!("{iri} is also used for another node"),
                ));
            }
        }
        if self.catalog_id == self.service.id {
            return Err(Error::model(
                "service.id",
                "must differ from the catalogue's IRI",
            ));
        }
        Ok(())
    }
}
