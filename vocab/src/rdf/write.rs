//! The model as DCAT-AP.de 3.0 triples.

use oxigraph::model::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{
    Agent, ContactPoint, DataService, Dataset, Distribution, License, Participant, SelfDescription,
    TemporalCoverage, Text,
};
use crate::ns::{dcat, dcatde, dct, foaf, gwd, odrl, rdf, skos, vcard, xsd};

/// The language list and the one language the catalogues are written in.
const LANGUAGE_SCHEME: &str = "http://publications.europa.eu/resource/authority/language";
const GERMAN: &str = "http://publications.europa.eu/resource/authority/language/DEU";
/// The ADMS publisher type list.
const PUBLISHER_TYPE_SCHEME: &str = "http://purl.org/adms/publishertype/1.0";
/// What the connector's data service conforms to.
const DSP_SPEC: &str = "https://w3id.org/dspace/2025/1/";

/// Collects triples, turning IRI strings into nodes (the model was checked before, so every
/// IRI is valid; an invalid one still gives an error, never a panic).
pub(super) struct GraphWriter {
    graph: Graph,
}

fn iri(value: &str) -> Result<NamedNode> {
    NamedNode::new(value).map_err(|e| Error::Serialize {
        format: "RDF",
        message: format!("{value:?} is not an IRI: {e}"),
    })
}

impl GraphWriter {
    pub(super) fn new() -> Self {
        Self {
            graph: Graph::new(),
        }
    }

    pub(super) fn finish(self) -> Graph {
        self.graph
    }

    fn add(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxigraph::model::NamedNodeRef<'_>,
        o: impl Into<Term>,
    ) {
        self.graph.insert(&Triple::new(s.clone(), p, o));
    }

    fn add_iri(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxigraph::model::NamedNodeRef<'_>,
        o: &str,
    ) -> Result<()> {
        let o = iri(o)?;
        self.add(s, p, o);
        Ok(())
    }

    fn add_type(&mut self, s: &NamedOrBlankNode, class: oxigraph::model::NamedNodeRef<'_>) {
        self.add(s, rdf::TYPE, class.into_owned());
    }

    /// `o` with `skos:inScheme scheme`, so validators see the controlled vocabulary.
    fn add_concept(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxigraph::model::NamedNodeRef<'_>,
        o: &str,
        scheme: &str,
    ) -> Result<()> {
        self.add_iri(s, p, o)?;
        let concept = NamedOrBlankNode::from(iri(o)?);
        self.add_iri(&concept, skos::IN_SCHEME, scheme)
    }

    fn add_text(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxigraph::model::NamedNodeRef<'_>,
        text: &Text,
    ) {
        self.add(
            s,
            p,
            Literal::new_language_tagged_literal_unchecked(&text.de, "de"),
        );
        if let Some(en) = &text.en {
            self.add(
                s,
                p,
                Literal::new_language_tagged_literal_unchecked(en, "en"),
            );
        }
    }

    fn add_date(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxigraph::model::NamedNodeRef<'_>,
        d: chrono::NaiveDate,
    ) {
        self.add(
            s,
            p,
            Literal::new_typed_literal(d.format("%Y-%m-%d").to_string(), xsd::DATE),
        );
    }

    /// A blank node whose label is derived from its owner and role, so output is stable.
    fn derived_blank(owner: &str, role: &str) -> NamedOrBlankNode {
        let digest = Sha256::digest(format!("{owner}\u{0}{role}").as_bytes());
        let label = format!("b{}", hex_prefix(&digest));
        BlankNode::new(label)
            .map(NamedOrBlankNode::from)
            .unwrap_or_else(|_| BlankNode::default().into())
    }

    fn subject(value: &str) -> Result<NamedOrBlankNode> {
        Ok(iri(value)?.into())
    }

    pub(super) fn agent(&mut self, agent: &Agent) -> Result<NamedOrBlankNode> {
        let s = Self::subject(&agent.id)?;
        self.add_type(&s, foaf::AGENT);
        self.add_type(&s, foaf::ORGANIZATION);
        self.add(&s, foaf::NAME, Literal::new_simple_literal(&agent.name));
        Ok(s)
    }

    fn contact(&mut self, owner: &str, role: &str, c: &ContactPoint) -> Result<NamedOrBlankNode> {
        let s = Self::derived_blank(owner, role);
        self.add_type(&s, vcard::ORGANIZATION);
        self.add(&s, vcard::FN, Literal::new_simple_literal(&c.name));
        if let Some(e) = c.email_iri() {
            self.add_iri(&s, vcard::HAS_EMAIL, &e)?;
        }
        if let Some(t) = c.phone_iri() {
            self.add_iri(&s, vcard::HAS_TELEPHONE, &t)?;
        }
        if let Some(u) = &c.url {
            self.add_iri(&s, vcard::HAS_URL, u)?;
        }
        Ok(s)
    }

    fn temporal(&mut self, owner: &str, t: &TemporalCoverage) -> NamedOrBlankNode {
        let s = Self::derived_blank(owner, "temporal");
        self.add_type(&s, dct::PERIOD_OF_TIME);
        if let Some(d) = t.start {
            self.add_date(&s, dcat::START_DATE, d);
        }
        if let Some(d) = t.end {
            self.add_date(&s, dcat::END_DATE, d);
        }
        s
    }

    pub(super) fn participant(&mut self, p: &Participant) -> Result<NamedOrBlankNode> {
        let s = self.agent(&p.agent())?;
        self.add_type(&s, gwd::PARTICIPANT);
        self.add_iri(&s, gwd::PARTICIPANT_TYPE, p.participant_type.iri())?;
        if let Some(t) = p.participant_type.adms_publisher_type() {
            self.add_concept(&s, dct::TYPE, t, PUBLISHER_TYPE_SCHEME)?;
        }
        if let Some(ags) = &p.ags {
            self.add_iri(&s, gwd::AGS, &ags.iri())?;
            let place = Self::subject(&ags.iri())?;
            self.add_type(&place, dct::LOCATION);
        }
        self.add_iri(&s, gwd::CONNECTOR_ENDPOINT, &p.connector_endpoint)?;
        if let Some(h) = &p.homepage {
            self.add_iri(&s, foaf::HOMEPAGE, h)?;
        }
        let c = self.contact(&p.did, "contact", &p.contact)?;
        self.add(&s, gwd::CONTACT_POINT, c);
        Ok(s)
    }

    fn distribution(&mut self, d: &Distribution, license: License) -> Result<NamedOrBlankNode> {
        let s = Self::subject(&d.id)?;
        self.add_type(&s, dcat::DISTRIBUTION);
        if let Some(t) = &d.title {
            self.add_text(&s, dct::TITLE, t);
        }
        self.add_iri(&s, dcat::ACCESS_URL, &d.access_url)?;
        if let Some(a) = &d.access_service {
            self.add_iri(&s, dcat::ACCESS_SERVICE, a)?;
        }
        if let Some(u) = &d.download_url {
            self.add_iri(&s, dcat::DOWNLOAD_URL, u)?;
        }
        if let Some(m) = &d.media_type {
            self.add_iri(&s, dcat::MEDIA_TYPE, &m.iri())?;
        }
        if let Some(f) = &d.format {
            self.add_concept(&s, dct::FORMAT, &f.iri(), crate::model::FILE_TYPE_SCHEME)?;
        }
        if let Some(b) = d.byte_size {
            self.add(
                &s,
                dcat::BYTE_SIZE,
                Literal::new_typed_literal(b.to_string(), xsd::NON_NEGATIVE_INTEGER),
            );
        }
        self.add_concept(
            &s,
            dct::LICENSE,
            &license.iri(),
            crate::model::LICENSE_SCHEME,
        )?;
        Ok(s)
    }

    pub(super) fn dataset(&mut self, d: &Dataset) -> Result<NamedOrBlankNode> {
        let s = Self::subject(&d.id)?;
        self.add_type(&s, dcat::DATASET);
        self.add(
            &s,
            dct::IDENTIFIER,
            Literal::new_simple_literal(&d.identifier),
        );
        self.add_text(&s, dct::TITLE, &d.title);
        self.add_text(&s, dct::DESCRIPTION, &d.description);
        for k in &d.keywords {
            self.add(
                &s,
                dcat::KEYWORD,
                Literal::new_language_tagged_literal_unchecked(k, "de"),
            );
        }
        for t in &d.themes {
            self.add_concept(&s, dcat::THEME, &t.iri(), crate::model::DataTheme::scheme())?;
        }
        for a in &d.spatial {
            self.add_iri(&s, dct::SPATIAL, &a.iri())?;
            let place = Self::subject(&a.iri())?;
            self.add_type(&place, dct::LOCATION);
        }
        if let Some(t) = &d.temporal {
            let p = self.temporal(&d.id, t);
            self.add(&s, dct::TEMPORAL, p);
        }
        let publisher = self.agent(&d.publisher)?;
        self.add(&s, dct::PUBLISHER, publisher.clone());
        self.add(&s, dcatde::CONTRIBUTOR_ID, publisher);
        if let Some(c) = &d.contact_point {
            let c = self.contact(&d.id, "contactPoint", c)?;
            self.add(&s, dcat::CONTACT_POINT, c);
        }
        self.add(
            &s,
            gwd::PERSONAL_ADJACENT,
            Literal::from(d.personal_adjacent),
        );
        for p in &d.offered_policies {
            self.add_iri(&s, odrl::HAS_POLICY, p)?;
            let offer = Self::subject(p)?;
            self.add_type(&offer, odrl::OFFER);
        }
        if let Some(i) = d.issued {
            self.add_date(&s, dct::ISSUED, i);
        }
        if let Some(m) = d.modified {
            self.add_date(&s, dct::MODIFIED, m);
        }
        if let Some(f) = d.frequency {
            self.add_concept(
                &s,
                dct::ACCRUAL_PERIODICITY,
                &f.iri(),
                crate::model::Frequency::scheme(),
            )?;
        }
        if let Some(l) = &d.landing_page {
            self.add_iri(&s, dcat::LANDING_PAGE, l)?;
        }
        for dist in &d.distributions {
            let o = self.distribution(dist, d.license)?;
            self.add(&s, dcat::DISTRIBUTION_PROP, o);
        }
        Ok(s)
    }

    fn service(
        &mut self,
        svc: &DataService,
        p: &Participant,
        datasets: &[Dataset],
    ) -> Result<NamedOrBlankNode> {
        let s = Self::subject(&svc.id)?;
        self.add_type(&s, dcat::DATA_SERVICE);
        self.add_text(&s, dct::TITLE, &svc.title);
        self.add_iri(&s, dcat::ENDPOINT_URL, &svc.endpoint_url)?;
        if let Some(d) = &svc.endpoint_description {
            self.add_iri(&s, dcat::ENDPOINT_DESCRIPTION, d)?;
        }
        self.add_iri(&s, dct::CONFORMS_TO, DSP_SPEC)?;
        self.add_iri(&s, dct::PUBLISHER, &p.did)?;
        for d in datasets {
            self.add_iri(&s, dcat::SERVES_DATASET, &d.id)?;
        }
        Ok(s)
    }

    pub(super) fn self_description(&mut self, sd: &SelfDescription) -> Result<()> {
        let s = Self::subject(&sd.catalog_id)?;
        self.add_type(&s, dcat::CATALOG);
        self.add_text(&s, dct::TITLE, &sd.title);
        self.add_text(&s, dct::DESCRIPTION, &sd.description);
        self.add_concept(&s, dct::LANGUAGE, GERMAN, LANGUAGE_SCHEME)?;
        let publisher = self.participant(&sd.participant)?;
        self.add(&s, dct::PUBLISHER, publisher);
        if let Some(m) = sd.modified {
            self.add_date(&s, dct::MODIFIED, m);
        }
        let svc = self.service(&sd.service, &sd.participant, &sd.datasets)?;
        self.add(&s, dcat::SERVICE, svc);
        for d in &sd.datasets {
            let o = self.dataset(d)?;
            self.add(&s, dcat::DATASET_PROP, o);
        }
        Ok(())
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl SelfDescription {
    /// The self-description as a DCAT-AP.de 3.0 graph (after [`SelfDescription::check`]).
    pub fn to_graph(&self) -> Result<Graph> {
        self.check()?;
        let mut w = GraphWriter::new();
        w.self_description(self)?;
        Ok(w.finish())
    }
}

impl Dataset {
    /// The dataset alone (with its publisher, contact point, distributions) as a graph, after
    /// [`Dataset::check`].
    pub fn to_graph(&self) -> Result<Graph> {
        self.check()?;
        let mut w = GraphWriter::new();
        w.dataset(self)?;
        Ok(w.finish())
    }
}
