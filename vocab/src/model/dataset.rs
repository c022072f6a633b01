//! Datasets, their distributions, publishers, contact points and temporal coverage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    DataTheme, FileType, Frequency, License, MediaType, Text, check_iri, check_text, check_url,
};
use crate::ags::Ags;
use crate::error::{Error, Result};

/// An organisation that publishes datasets (`foaf:Agent` with `foaf:name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Agent {
    /// The agent's IRI (a participant's DID).
    pub id: String,
    /// Its name.
    pub name: String,
}

impl Agent {
    /// An agent with its IRI and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
        }
    }

    pub(crate) fn check(&self, field: &str) -> Result<()> {
        check_iri(&format!("{field}.id"), &self.id)?;
        check_text(&format!("{field}.name"), &self.name)
    }
}

/// A contact point (`vcard:Kind`): a name and at least one of e-mail, telephone, web page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactPoint {
    /// The name shown (`vcard:fn`), e.g. a team or office.
    pub name: String,
    /// E-mail address (without `mailto:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Telephone number in international form (`+49 89 123456`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A web page with contact details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ContactPoint {
    /// A contact point reached by e-mail.
    pub fn email(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            email: Some(email.into()),
            phone: None,
            url: None,
        }
    }

    /// Adds a telephone number.
    #[must_use]
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Adds a web page.
    #[must_use]
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The contact with its telephone number as the `tel:` IRI writes it (digits and `+` only).
    #[must_use]
    pub fn normalized(mut self) -> Self {
        if let Some(t) = self.phone_iri() {
            self.phone = t.strip_prefix("tel:").map(str::to_owned);
        }
        self
    }

    /// The `mailto:` IRI of the e-mail address.
    pub fn email_iri(&self) -> Option<String> {
        self.email.as_ref().map(|e| format!("mailto:{e}"))
    }

    /// The `tel:` IRI of the telephone number (spaces and separators removed).
    pub fn phone_iri(&self) -> Option<String> {
        self.phone.as_ref().map(|p| {
            let digits: String = p
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            format!("tel:{digits}")
        })
    }

    pub(crate) fn check(&self, field: &str) -> Result<()> {
        check_text(&format!("{field}.name"), &self.name)?;
        if self.email.is_none() && self.phone.is_none() && self.url.is_none() {
            return Err(Error::model(
                field,
                "needs an e-mail address, a telephone number or a web page",
            ));
        }
        if let Some(e) = &self.email {
            let ok = e.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !e.contains(char::is_whitespace)
            });
            if !ok {
                return Err(Error::model(
                    format!("{field}.email"),
                    format!("{e:?} is not an e-mail address"),
                ));
            }
        }
        if let Some(p) = &self.phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if digits < 3
                || !p
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-/()".contains(c))
            {
                return Err(Error::model(
                    format!("{field}.phone"),
                    format!("{p:?} is not a telephone number"),
                ));
            }
        }
        if let Some(u) = &self.url {
            check_url(&format!("{field}.url"), u)?;
        }
        Ok(())
    }
}

/// The period a dataset covers (`dct:PeriodOfTime` with `dcat:startDate`/`dcat:endDate`); at
/// least one end is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TemporalCoverage {
    /// First day covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// Last day covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
}

impl TemporalCoverage {
    /// A period from `start` to `end` (both inclusive).
    pub fn between(start: NaiveDate, end: NaiveDate) -> Self {
        Self {
            start: Some(start),
            end: Some(end),
        }
    }

    /// A whole calendar year.
    pub fn year(year: i32) -> Option<Self> {
        Some(Self::between(
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        ))
    }

    pub(crate) fn check(&self, field: &str) -> Result<()> {
        match (self.start, self.end) {
            (None, None) => Err(Error::model(field, "needs a start or an end date")),
            (Some(s), Some(e)) if e < s => Err(Error::model(
                field,
                format!("ends ({e}) before it starts ({s})"),
            )),
            _ => Ok(()),
        }
    }
}

/// A distribution: one way to get a dataset (`dcat:Distribution`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// The distribution's IRI.
    pub id: String,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// Where access is given (`dcat:accessURL`, mandatory): for data behind a connector, its
    /// DSP endpoint.
    pub access_url: String,
    /// The data service giving access (`dcat:accessService`), e.g. the connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_service: Option<String>,
    /// A direct download (`dcat:downloadURL`) for open data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// The IANA media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// The EU file type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<FileType>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_size: Option<u64>,
}

impl Distribution {
    /// A distribution with its IRI and access URL.
    pub fn new(id: impl Into<String>, access_url: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: None,
            access_url: access_url.into(),
            access_service: None,
            download_url: None,
            media_type: None,
            format: None,
            byte_size: None,
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: Text) -> Self {
        self.title = Some(title);
        self
    }

    /// Sets the data service giving access.
    #[must_use]
    pub fn with_access_service(mut self, service_iri: impl Into<String>) -> Self {
        self.access_service = Some(service_iri.into());
        self
    }

    /// Sets a direct download URL.
    #[must_use]
    pub fn with_download_url(mut self, url: impl Into<String>) -> Self {
        self.download_url = Some(url.into());
        self
    }

    /// Sets the media type and file type.
    #[must_use]
    pub fn with_format(mut self, media_type: MediaType, format: FileType) -> Self {
        self.media_type = Some(media_type);
        self.format = Some(format);
        self
    }

    /// Sets the size in bytes.
    #[must_use]
    pub fn with_byte_size(mut self, bytes: u64) -> Self {
        self.byte_size = Some(bytes);
        self
    }

    /// Checks the distribution's values (`field` names it in errors).
    pub fn check(&self, field: &str) -> Result<()> {
        check_iri(&format!("{field}.id"), &self.id)?;
        check_url(&format!("{field}.access_url"), &self.access_url)?;
        if let Some(t) = &self.title {
            t.check(&format!("{field}.title"))?;
        }
        if let Some(s) = &self.access_service {
            check_iri(&format!("{field}.access_service"), s)?;
        }
        if let Some(u) = &self.download_url {
            check_url(&format!("{field}.download_url"), u)?;
        }
        Ok(())
    }
}

/// A dataset as its holder offers it (`dcat:Dataset`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// The dataset's IRI.
    pub id: String,
    /// A short identifier (`dct:identifier`), unique at the publisher; defaults to the last
    /// segment of the IRI.
    pub identifier: String,
    /// Title, German and optionally English.
    pub title: Text,
    /// Description, German and optionally English.
    pub description: Text,
    /// Keywords (German).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// EU data themes.
    #[serde(default)]
    pub themes: Vec<DataTheme>,
    /// Municipalities covered (`dct:spatial` with the AGS IRI).
    #[serde(default)]
    pub spatial: Vec<Ags>,
    /// The period covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporal: Option<TemporalCoverage>,
    /// Who publishes it.
    pub publisher: Agent,
    /// Whom to ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_point: Option<ContactPoint>,
    /// The licence (DCAT-AP.de list); stated on every distribution.
    pub license: License,
    /// Whether the data relate to persons closely enough to need protection even when
    /// aggregated (e.g. consumption per block); such data are offered under sandbox terms.
    #[serde(default)]
    pub personal_adjacent: bool,
    /// How the data can be obtained; at least one.
    #[serde(default)]
    pub distributions: Vec<Distribution>,
    /// IRIs of the ODRL offers under which the dataset is offered (`odrl:hasPolicy`).
    #[serde(default)]
    pub offered_policies: Vec<String>,
    /// Date of first publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<NaiveDate>,
    /// Date of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<NaiveDate>,
    /// How often it is updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// A web page about the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
}

impl Dataset {
    /// A dataset with what every dataset needs; the identifier is taken from the IRI's last
    /// path segment (change it with [`Dataset::with_identifier`]).
    pub fn new(
        id: impl Into<String>,
        title: Text,
        description: Text,
        publisher: Agent,
        license: License,
    ) -> Self {
        let id = id.into();
        let identifier = id
            .trim_end_matches('/')
            .rsplit(['/', '#', ':'])
            .next()
            .unwrap_or_default()
            .to_owned();
        Self {
            id,
            identifier,
            title,
            description,
            keywords: Vec::new(),
            themes: Vec::new(),
            spatial: Vec::new(),
            temporal: None,
            publisher,
            contact_point: None,
            license,
            personal_adjacent: false,
            distributions: Vec::new(),
            offered_policies: Vec::new(),
            issued: None,
            modified: None,
            frequency: None,
            landing_page: None,
        }
    }

    /// Sets the identifier.
    #[must_use]
    pub fn with_identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = identifier.into();
        self
    }

    /// Adds keywords.
    #[must_use]
    pub fn with_keywords<I, S>(mut self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keywords.extend(keywords.into_iter().map(Into::into));
        self
    }

    /// Adds a theme.
    #[must_use]
    pub fn with_theme(mut self, theme: DataTheme) -> Self {
        if !self.themes.contains(&theme) {
            self.themes.push(theme);
        }
        self
    }

    /// Adds a municipality covered.
    #[must_use]
    pub fn with_spatial(mut self, ags: Ags) -> Self {
        if !self.spatial.contains(&ags) {
            self.spatial.push(ags);
        }
        self
    }

    /// Sets the period covered.
    #[must_use]
    pub fn with_temporal(mut self, temporal: TemporalCoverage) -> Self {
        self.temporal = Some(temporal);
        self
    }

    /// Sets the contact point.
    #[must_use]
    pub fn with_contact_point(mut self, contact: ContactPoint) -> Self {
        self.contact_point = Some(contact);
        self
    }

    /// Marks the dataset as personal-adjacent (or not).
    #[must_use]
    pub fn with_personal_adjacent(mut self, flag: bool) -> Self {
        self.personal_adjacent = flag;
        self
    }

    /// Adds a distribution.
    #[must_use]
    pub fn with_distribution(mut self, distribution: Distribution) -> Self {
        self.distributions.push(distribution);
        self
    }

    /// Adds a reference to an ODRL offer.
    #[must_use]
    pub fn with_offered_policy(mut self, offer_iri: impl Into<String>) -> Self {
        self.offered_policies.push(offer_iri.into());
        self
    }

    /// Sets the publication and change dates.
    #[must_use]
    pub fn with_dates(mut self, issued: Option<NaiveDate>, modified: Option<NaiveDate>) -> Self {
        self.issued = issued;
        self.modified = modified;
        self
    }

    /// Sets the update frequency.
    #[must_use]
    pub fn with_frequency(mut self, frequency: Frequency) -> Self {
        self.frequency = Some(frequency);
        self
    }

    /// Sets the landing page.
    #[must_use]
    pub fn with_landing_page(mut self, url: impl Into<String>) -> Self {
        self.landing_page = Some(url.into());
        self
    }

    /// The same dataset in the order a graph gives it back: keywords, themes, municipalities,
    /// distributions and offers sorted, telephone numbers in their `tel:` form
    /// (`+49 89 123` → `+4989123`). `Dataset::from_graph(&d.to_graph()?, &d.id)? ==
    /// d.normalized()`.
    #[must_use]
    pub fn normalized(mut self) -> Self {
        self.keywords.sort();
        self.keywords.dedup();
        self.themes.sort();
        self.themes.dedup();
        self.spatial.sort();
        self.spatial.dedup();
        self.distributions.sort_by(|a, b| a.id.cmp(&b.id));
        self.offered_policies.sort();
        self.offered_policies.dedup();
        if let Some(c) = self.contact_point.take() {
            self.contact_point = Some(c.normalized());
        }
        self
    }

    /// Checks what the types cannot: IRIs and URLs are absolute, texts are not empty, there is
    /// at least one distribution (the licence is stated on distributions), dates are in order.
    /// The error names the field (`dataset.title.de`, `dataset.distributions[0].access_url`).
    pub fn check(&self) -> Result<()> {
        check_iri("dataset.id", &self.id)?;
        check_text("dataset.identifier", &self.identifier)?;
        self.title.check("dataset.title")?;
        self.description.check("dataset.description")?;
        for (i, k) in self.keywords.iter().enumerate() {
            check_text(&format!("dataset.keywords[{i}]"), k)?;
        }
        if let Some(t) = &self.temporal {
            t.check("dataset.temporal")?;
        }
        self.publisher.check("dataset.publisher")?;
        if let Some(c) = &self.contact_point {
            c.check("dataset.contact_point")?;
        }
        if self.distributions.is_empty() {
            return Err(Error::model(
                "dataset.distributions",
                "a dataset needs at least one distribution (where and how it can be obtained)",
            ));
        }
        for (i, d) in self.distributions.iter().enumerate() {
            d.check(&format!("dataset.distributions[{i}]"))?;
            if d.id == self.id {
                return Err(Error::model(
                    format!("dataset.distributions[{i}].id"),
                    "must differ from the dataset's IRI",
                ));
            }
        }
        for (i, p) in self.offered_policies.iter().enumerate() {
            check_iri(&format!("dataset.offered_policies[{i}]"), p)?;
        }
        if let (Some(i), Some(m)) = (self.issued, self.modified)
            && m < i
        {
            return Err(Error::model(
                "dataset.modified",
                format!("{m} lies before the publication date {i}"),
            ));
        }
        if let Some(l) = &self.landing_page {
            check_url("dataset.landing_page", l)?;
        }
        Ok(())
    }
}
