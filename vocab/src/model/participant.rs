//! Participants of the data space.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Agent, ContactPoint, check_text, check_url};
use crate::ags::Ags;
use crate::did::check_did_web;
use crate::error::{Error, Result};
use crate::ns::gwd;

/// What kind of organisation a participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantType {
    /// A municipality (Kommune); has an AGS.
    Municipality,
    /// Another public body (state agency, public-law institution, association of
    /// municipalities).
    PublicBody,
    /// A company, e.g. a municipal utility.
    Company,
    /// A research organisation.
    Research,
}

impl ParticipantType {
    /// Every type.
    pub const ALL: [ParticipantType; 4] = [
        ParticipantType::Municipality,
        ParticipantType::PublicBody,
        ParticipantType::Company,
        ParticipantType::Research,
    ];

    /// The project's term for it (`gwd:Municipality`, …).
    pub fn iri(self) -> &'static str {
        match self {
            ParticipantType::Municipality => gwd::MUNICIPALITY.as_str(),
            ParticipantType::PublicBody => gwd::PUBLIC_BODY.as_str(),
            ParticipantType::Company => gwd::COMPANY.as_str(),
            ParticipantType::Research => gwd::RESEARCH.as_str(),
        }
    }

    /// Reads the project's term.
    pub fn from_iri(iri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.iri() == iri)
    }

    /// The ADMS publisher type (`dct:type` of a `foaf:Agent` in DCAT-AP), where one fits
    /// unambiguously: municipality → `LocalAuthority`, company → `Company`, research →
    /// `Academia-ScientificOrganisation`; a public body can be local, regional or national, so
    /// it gets none.
    pub fn adms_publisher_type(self) -> Option<&'static str> {
        match self {
            ParticipantType::Municipality => {
                Some("http://purl.org/adms/publishertype/LocalAuthority")
            }
            ParticipantType::Company => Some("http://purl.org/adms/publishertype/Company"),
            ParticipantType::Research => {
                Some("http://purl.org/adms/publishertype/Academia-ScientificOrganisation")
            }
            ParticipantType::PublicBody => None,
        }
    }

    /// The German name.
    pub fn label_de(self) -> &'static str {
        match self {
            ParticipantType::Municipality => "Kommune",
            ParticipantType::PublicBody => "Öffentliche Stelle",
            ParticipantType::Company => "Unternehmen",
            ParticipantType::Research => "Forschungseinrichtung",
        }
    }
}

impl fmt::Display for ParticipantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_de())
    }
}

/// A participant: an organisation running a connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Its `did:web` identifier.
    pub did: String,
    /// Its legal name.
    pub legal_name: String,
    /// What kind of organisation it is.
    pub participant_type: ParticipantType,
    /// Its municipality key; required for municipalities, optional (the seat) for others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ags: Option<Ags>,
    /// Whom to contact.
    pub contact: ContactPoint,
    /// The DSP endpoint of its connector.
    pub connector_endpoint: String,
    /// Its public web site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

impl Participant {
    /// A participant with what every participant needs.
    pub fn new(
        did: impl Into<String>,
        legal_name: impl Into<String>,
        participant_type: ParticipantType,
        contact: ContactPoint,
        connector_endpoint: impl Into<String>,
    ) -> Self {
        Self {
            did: did.into(),
            legal_name: legal_name.into(),
            participant_type,
            ags: None,
            contact,
            connector_endpoint: connector_endpoint.into(),
            homepage: None,
        }
    }

    /// Sets the municipality key.
    #[must_use]
    pub fn with_ags(mut self, ags: Ags) -> Self {
        self.ags = Some(ags);
        self
    }

    /// Sets the homepage.
    #[must_use]
    pub fn with_homepage(mut self, url: impl Into<String>) -> Self {
        self.homepage = Some(url.into());
        self
    }

    /// The participant as publisher.
    pub fn agent(&self) -> Agent {
        Agent::new(&self.did, &self.legal_name)
    }

    /// Checks the values: a valid `did:web`, a name, a contact, an http(s) endpoint, and an AGS
    /// for a municipality.
    pub fn check(&self) -> Result<()> {
        check_did_web(&self.did).map_err(|e| Error::model("participant.did", e.to_string()))?;
        check_text("participant.legal_name", &self.legal_name)?;
        self.contact.check("participant.contact")?;
        check_url("participant.connector_endpoint", &self.connector_endpoint)?;
        if let Some(h) = &self.homepage {
            check_url("participant.homepage", h)?;
        }
        if self.participant_type == ParticipantType::Municipality && self.ags.is_none() {
            return Err(Error::model(
                "participant.ags",
                "a municipality needs its municipality key (AGS)",
            ));
        }
        Ok(())
    }
}
