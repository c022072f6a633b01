//! The rules: one function per class, each naming the rule it checks.

use oxigraph::model::{NamedNodeRef, NamedOrBlankNodeRef, TermRef};

use super::checker::Checker;
use crate::ags::{Ags, MUNICIPALITY_KEY_IRI};
use crate::model::{DataTheme, FileType, Frequency, License, MEDIA_TYPE_PREFIX};
use crate::ns::{dcat, dcatde, dct, foaf, vcard, xsd};

const LANGUAGE_SCHEME: &str = "http://publications.europa.eu/resource/authority/language";
const PUBLISHER_TYPE_SCHEME: &str = "http://purl.org/adms/publishertype/1.0";
const AGENT_CLASSES: [NamedNodeRef<'static>; 3] = [foaf::AGENT, foaf::ORGANIZATION, foaf::PERSON];
const KIND_CLASSES: [NamedNodeRef<'static>; 4] = [
    vcard::KIND,
    vcard::ORGANIZATION,
    vcard::INDIVIDUAL,
    NamedNodeRef::new_unchecked("http://www.w3.org/2006/vcard/ns#Group"),
];

/// A concept of the EU language list (`…/language/DEU`).
fn is_language(iri: &str) -> bool {
    iri.strip_prefix(LANGUAGE_SCHEME)
        .and_then(|r| r.strip_prefix('/'))
        .is_some_and(|code| code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()))
}

impl Checker<'_> {
    pub(super) fn run(&mut self) {
        for c in self.of_class(&[dcat::CATALOG]) {
            self.catalog(c.as_ref());
        }
        for d in self.of_class(&[dcat::DATASET]) {
            self.dataset(d.as_ref());
        }
        for d in self.of_class(&[dcat::DISTRIBUTION]) {
            self.distribution(d.as_ref());
        }
        for s in self.of_class(&[dcat::DATA_SERVICE]) {
            self.data_service(s.as_ref());
        }
        for a in self.of_class(&AGENT_CLASSES) {
            self.agent(a.as_ref());
        }
        for k in self.of_class(&KIND_CLASSES) {
            self.kind(k.as_ref());
        }
        for p in self.of_class(&[dct::PERIOD_OF_TIME]) {
            self.period(p.as_ref());
        }
    }

    fn catalog(&mut self, c: NamedOrBlankNodeRef<'_>) {
        self.cardinality(
            "catalog-title",
            c,
            dct::TITLE,
            "the catalogue's title",
            1,
            None,
            true,
        );
        self.cardinality(
            "catalog-description",
            c,
            dct::DESCRIPTION,
            "the catalogue's description",
            1,
            None,
            true,
        );
        let publishers = self.cardinality(
            "catalog-publisher",
            c,
            dct::PUBLISHER,
            "the catalogue's publisher",
            1,
            Some(1),
            false,
        );
        self.class_of_values(
            "catalog-publisher",
            c,
            dct::PUBLISHER,
            &publishers,
            &AGENT_CLASSES,
            "foaf:Agent",
        );
        let datasets = self.cardinality(
            "catalog-dataset",
            c,
            dcat::DATASET_PROP,
            "a dataset of the catalogue",
            0,
            None,
            false,
        );
        self.class_of_values(
            "catalog-dataset",
            c,
            dcat::DATASET_PROP,
            &datasets,
            &[dcat::DATASET],
            "dcat:Dataset",
        );
        let services = self.cardinality(
            "catalog-service",
            c,
            dcat::SERVICE,
            "a data service of the catalogue",
            0,
            None,
            false,
        );
        self.class_of_values(
            "catalog-service",
            c,
            dcat::SERVICE,
            &services,
            &[dcat::DATA_SERVICE],
            "dcat:DataService",
        );
        let languages = self.cardinality(
            "catalog-language",
            c,
            dct::LANGUAGE,
            "the catalogue's language",
            0,
            None,
            false,
        );
        self.vocabulary(
            "catalog-language",
            c,
            dct::LANGUAGE,
            &languages,
            (LANGUAGE_SCHEME, "EU language list"),
            is_language,
        );
        for p in [dct::ISSUED, dct::MODIFIED] {
            self.cardinality("catalog-dates", c, p, "a catalogue date", 0, Some(1), true);
        }
    }

    fn dataset(&mut self, d: NamedOrBlankNodeRef<'_>) {
        self.cardinality(
            "dataset-title",
            d,
            dct::TITLE,
            "the dataset's title",
            1,
            None,
            true,
        );
        self.cardinality(
            "dataset-description",
            d,
            dct::DESCRIPTION,
            "the dataset's description",
            1,
            None,
            true,
        );
        let publishers = self.cardinality(
            "dataset-publisher",
            d,
            dct::PUBLISHER,
            "the dataset's publisher",
            1,
            Some(1),
            false,
        );
        self.class_of_values(
            "dataset-publisher",
            d,
            dct::PUBLISHER,
            &publishers,
            &AGENT_CLASSES,
            "foaf:Agent",
        );
        let dists = self.cardinality(
            "dataset-distribution",
            d,
            dcat::DISTRIBUTION_PROP,
            "a distribution",
            0,
            None,
            false,
        );
        self.class_of_values(
            "dataset-distribution",
            d,
            dcat::DISTRIBUTION_PROP,
            &dists,
            &[dcat::DISTRIBUTION],
            "dcat:Distribution",
        );
        let contacts = self.cardinality(
            "dataset-contact-point",
            d,
            dcat::CONTACT_POINT,
            "a contact point",
            0,
            None,
            false,
        );
        self.class_of_values(
            "dataset-contact-point",
            d,
            dcat::CONTACT_POINT,
            &contacts,
            &KIND_CLASSES,
            "vcard:Kind",
        );
        self.cardinality(
            "dataset-keyword",
            d,
            dcat::KEYWORD,
            "a keyword",
            0,
            None,
            true,
        );
        let themes = self.cardinality("dataset-theme", d, dcat::THEME, "a theme", 0, None, false);
        self.vocabulary(
            "dataset-theme",
            d,
            dcat::THEME,
            &themes,
            (DataTheme::scheme(), "EU data-theme list"),
            |i| DataTheme::from_iri(i).is_some(),
        );
        let freq = self.cardinality(
            "dataset-frequency",
            d,
            dct::ACCRUAL_PERIODICITY,
            "the update frequency",
            0,
            Some(1),
            false,
        );
        self.vocabulary(
            "dataset-frequency",
            d,
            dct::ACCRUAL_PERIODICITY,
            &freq,
            (Frequency::scheme(), "EU frequency list"),
            |i| Frequency::from_iri(i).is_some(),
        );
        let languages = self.cardinality(
            "dataset-language",
            d,
            dct::LANGUAGE,
            "a language",
            0,
            None,
            false,
        );
        self.vocabulary(
            "dataset-language",
            d,
            dct::LANGUAGE,
            &languages,
            (LANGUAGE_SCHEME, "EU language list"),
            is_language,
        );
        let spatial = self.cardinality(
            "dataset-spatial",
            d,
            dct::SPATIAL,
            "a spatial coverage",
            0,
            None,
            false,
        );
        for s in &spatial {
            if let TermRef::NamedNode(n) = s
                && let Some(key) = n.as_str().strip_prefix(MUNICIPALITY_KEY_IRI)
                && let Err(e) = Ags::parse(key)
            {
                self.report("dataset-spatial", d, dct::SPATIAL, format!("{s}: {e}"));
            }
        }
        if !self.values(d, dcatde::POLITICAL_GEOCODING_URI).is_empty() {
            self.report("dataset-spatial", d, dcatde::POLITICAL_GEOCODING_URI, "dcatde:politicalGeocodingURI is deprecated in DCAT-AP.de 3.0; state the municipality with dct:spatial and the AGS IRI");
        }
        let temporal = self.cardinality(
            "dataset-temporal",
            d,
            dct::TEMPORAL,
            "a temporal coverage",
            0,
            None,
            false,
        );
        self.class_of_values(
            "dataset-temporal",
            d,
            dct::TEMPORAL,
            &temporal,
            &[dct::PERIOD_OF_TIME],
            "dct:PeriodOfTime",
        );
        for p in [dct::ISSUED, dct::MODIFIED] {
            let dates = self.cardinality("dataset-dates", d, p, "a dataset date", 0, Some(1), true);
            self.dates("dataset-dates", d, p, &dates);
        }
        self.cardinality(
            "dataset-contributor-id",
            d,
            dcatde::CONTRIBUTOR_ID,
            "the contributor id",
            0,
            None,
            false,
        );
        self.cardinality(
            "dataset-identifier",
            d,
            dct::IDENTIFIER,
            "the identifier",
            0,
            None,
            true,
        );
    }

    fn distribution(&mut self, x: NamedOrBlankNodeRef<'_>) {
        self.cardinality(
            "distribution-access-url",
            x,
            dcat::ACCESS_URL,
            "the access URL",
            1,
            None,
            false,
        );
        let licences = self.cardinality(
            "distribution-license",
            x,
            dct::LICENSE,
            "the licence",
            1,
            Some(1),
            false,
        );
        for l in &licences {
            if let TermRef::NamedNode(n) = l
                && License::from_iri(n.as_str()).is_err()
            {
                self.report("distribution-license", x, dct::LICENSE, format!("{l} is not in the DCAT-AP.de licence list (http://dcat-ap.de/def/licenses/…)"));
            }
        }
        let formats = self.cardinality(
            "distribution-format",
            x,
            dct::FORMAT,
            "the file format",
            0,
            Some(1),
            false,
        );
        self.vocabulary(
            "distribution-format",
            x,
            dct::FORMAT,
            &formats,
            (crate::model::FILE_TYPE_SCHEME, "EU file-type list"),
            |i| FileType::from_iri(i).is_ok(),
        );
        let media = self.cardinality(
            "distribution-media-type",
            x,
            dcat::MEDIA_TYPE,
            "the media type",
            0,
            Some(1),
            false,
        );
        for m in &media {
            if let TermRef::NamedNode(n) = m
                && !n
                    .as_str()
                    .to_ascii_lowercase()
                    .starts_with(MEDIA_TYPE_PREFIX)
                && !n
                    .as_str()
                    .to_ascii_lowercase()
                    .starts_with("http://www.iana.org/assignments/media-types/")
            {
                self.report(
                    "distribution-media-type",
                    x,
                    dcat::MEDIA_TYPE,
                    format!("{m} is not an IANA media type IRI ({MEDIA_TYPE_PREFIX}…)"),
                );
            }
        }
        let languages = self.cardinality(
            "distribution-language",
            x,
            dct::LANGUAGE,
            "a language",
            0,
            None,
            false,
        );
        self.vocabulary(
            "distribution-language",
            x,
            dct::LANGUAGE,
            &languages,
            (LANGUAGE_SCHEME, "EU language list"),
            is_language,
        );
        let sizes = self.cardinality(
            "distribution-byte-size",
            x,
            dcat::BYTE_SIZE,
            "the size in bytes",
            0,
            Some(1),
            true,
        );
        for s in &sizes {
            if let TermRef::Literal(l) = s
                && (l.datatype() != xsd::NON_NEGATIVE_INTEGER || l.value().parse::<u64>().is_err())
            {
                self.report(
                    "distribution-byte-size",
                    x,
                    dcat::BYTE_SIZE,
                    format!("{s} must be a whole number typed xsd:nonNegativeInteger"),
                );
            }
        }
        for p in [dct::ISSUED, dct::MODIFIED] {
            let dates = self.cardinality(
                "distribution-dates",
                x,
                p,
                "a distribution date",
                0,
                Some(1),
                true,
            );
            self.dates("distribution-dates", x, p, &dates);
        }
    }

    fn data_service(&mut self, s: NamedOrBlankNodeRef<'_>) {
        self.cardinality(
            "service-title",
            s,
            dct::TITLE,
            "the data service's title",
            1,
            None,
            true,
        );
        self.cardinality(
            "service-endpoint-url",
            s,
            dcat::ENDPOINT_URL,
            "the endpoint URL",
            1,
            None,
            false,
        );
        let publishers = self.cardinality(
            "service-publisher",
            s,
            dct::PUBLISHER,
            "the data service's publisher",
            1,
            Some(1),
            false,
        );
        self.class_of_values(
            "service-publisher",
            s,
            dct::PUBLISHER,
            &publishers,
            &AGENT_CLASSES,
            "foaf:Agent",
        );
        let served = self.cardinality(
            "service-serves-dataset",
            s,
            dcat::SERVES_DATASET,
            "a served dataset",
            0,
            None,
            false,
        );
        self.class_of_values(
            "service-serves-dataset",
            s,
            dcat::SERVES_DATASET,
            &served,
            &[dcat::DATASET],
            "dcat:Dataset",
        );
    }

    fn agent(&mut self, a: NamedOrBlankNodeRef<'_>) {
        self.cardinality("agent-name", a, foaf::NAME, "the name", 1, None, true);
        let types = self.cardinality(
            "agent-type",
            a,
            dct::TYPE,
            "the publisher type",
            0,
            Some(1),
            false,
        );
        self.vocabulary(
            "agent-type",
            a,
            dct::TYPE,
            &types,
            (PUBLISHER_TYPE_SCHEME, "ADMS publisher-type list"),
            |i| i.starts_with("http://purl.org/adms/publishertype/"),
        );
    }

    fn kind(&mut self, k: NamedOrBlankNodeRef<'_>) {
        self.cardinality(
            "contact-name",
            k,
            vcard::FN,
            "the contact's name (vcard:fn)",
            0,
            Some(1),
            true,
        );
        let mut reachable = 0;
        for (p, scheme) in [
            (vcard::HAS_EMAIL, "mailto:"),
            (vcard::HAS_TELEPHONE, "tel:"),
            (vcard::HAS_URL, "http"),
        ] {
            let values = self.cardinality(
                "contact-reachable",
                k,
                p,
                "a contact channel",
                0,
                None,
                false,
            );
            reachable += values.len();
            for v in &values {
                if let TermRef::NamedNode(n) = v
                    && !n.as_str().starts_with(scheme)
                {
                    self.report(
                        "contact-reachable",
                        k,
                        p,
                        format!("{v} should be a {scheme} IRI"),
                    );
                }
            }
        }
        if reachable == 0 {
            self.report("contact-reachable", k, vcard::HAS_EMAIL, "the contact point needs an e-mail address, a telephone number or a web page (vcard:hasEmail, vcard:hasTelephone or vcard:hasURL)");
        }
    }

    fn period(&mut self, p: NamedOrBlankNodeRef<'_>) {
        let start = self.cardinality(
            "period-bounds",
            p,
            dcat::START_DATE,
            "the start date",
            0,
            Some(1),
            true,
        );
        let end = self.cardinality(
            "period-bounds",
            p,
            dcat::END_DATE,
            "the end date",
            0,
            Some(1),
            true,
        );
        let time_begin = self.values(
            p,
            NamedNodeRef::new_unchecked("http://www.w3.org/2006/time#hasBeginning"),
        );
        let time_end = self.values(
            p,
            NamedNodeRef::new_unchecked("http://www.w3.org/2006/time#hasEnd"),
        );
        if start.is_empty() && end.is_empty() && time_begin.is_empty() && time_end.is_empty() {
            self.report(
                "period-bounds",
                p,
                dcat::START_DATE,
                "a period of time needs a start or an end (dcat:startDate, dcat:endDate)",
            );
        }
        self.dates("period-bounds", p, dcat::START_DATE, &start);
        self.dates("period-bounds", p, dcat::END_DATE, &end);
    }
}
