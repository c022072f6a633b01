//! The DCAT-AP.de catalogue for GovData and other portals: one `dcat:Catalog` of the broker,
//! paged with Hydra, each dataset with its description from the participant's signed graph.
//! Datasets under a contract offer keep their metadata and access conditions (the offer, the
//! connector's endpoint) but never a download URL: data only flows through the connectors.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use oxigraph::model::{Graph, Literal, NamedNode, Term, Triple};
use vocab::ns::{dcat, dct, foaf, rdf, xsd};

use super::Broker;
use crate::error::BrokerError;
use crate::index::{DatasetSummary, describe};

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const SKOS_IN_SCHEME: &str = "http://www.w3.org/2004/02/skos/core#inScheme";
const LANGUAGE_DE: &str = "http://publications.europa.eu/resource/authority/language/DEU";
const LANGUAGE_SCHEME: &str = "http://publications.europa.eu/resource/authority/language";
const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";

/// Largest page size.
pub const MAX_PAGE_SIZE: usize = 1_000;
/// Default page size.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// A harvest request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarvestRequest {
    /// 1-based page.
    pub page: usize,
    /// Datasets per page.
    pub page_size: usize,
    /// Only datasets modified (or, without a date, published) at or after this instant.
    pub modified_since: Option<DateTime<Utc>>,
}

/// One page of the catalogue.
#[derive(Debug, Clone)]
pub struct HarvestPage {
    /// The graph of this page.
    pub graph: Graph,
    /// Matching datasets in total.
    pub total: usize,
    /// Datasets on this page.
    pub datasets: usize,
}

fn node(iri: &str) -> Result<NamedNode, BrokerError> {
    NamedNode::new(iri).map_err(|e| BrokerError::Index(format!("{iri:?}: {e}")))
}

fn hydra(term: &str) -> Result<NamedNode, BrokerError> {
    node(&format!("{HYDRA}{term}"))
}

fn integer(n: usize) -> Literal {
    Literal::new_typed_literal(n.to_string(), xsd::INTEGER)
}

/// Whether a dataset is offered under contract only (no open download in the harvest).
fn is_restricted(d: &DatasetSummary) -> bool {
    let open_rights = d
        .access_rights
        .as_deref()
        .is_some_and(|r| r.ends_with("/PUBLIC"));
    d.template.is_some() || d.personal_adjacent || (d.access_rights.is_some() && !open_rights)
}

impl Broker {
    /// The participant's accepted graph exactly as signed (parsed from the stored bytes; the
    /// SPARQL store normalises literals, the harvest must not).
    fn signed_graph(&self, did: &str) -> Result<Graph, BrokerError> {
        let stored = self
            .store
            .envelope(did)?
            .ok_or_else(|| BrokerError::Index(format!("{did} is indexed but has no envelope")))?;
        let bytes = vocab::envelope::peek_payload(&stored.jws)
            .map_err(|e| BrokerError::Index(format!("stored envelope of {did}: {e}")))?;
        vocab::rdf::parse(&bytes, vocab::rdf::Syntax::Turtle, None)
            .map_err(|e| BrokerError::Index(format!("stored envelope of {did}: {e}")))
    }

    /// Builds one page of the harvest catalogue; `page_url(n)` gives the URL of page `n`.
    pub fn harvest(
        &self,
        request: &HarvestRequest,
        page_url: impl Fn(usize) -> String,
    ) -> Result<HarvestPage, BrokerError> {
        let since = request.modified_since;
        let mut matching = self
            .catalog
            .datasets_where(|d| since.is_none_or(|s| d.modified.unwrap_or(d.published_at) >= s))?;
        // Participant order keeps a page within few descriptions (each is parsed once).
        matching.sort_by(|a, b| a.participant.cmp(&b.participant).then(a.iri.cmp(&b.iri)));
        let total = matching.len();
        let size = request.page_size.clamp(1, MAX_PAGE_SIZE);
        let last_page = total.div_ceil(size).max(1);
        let start = (request.page.max(1) - 1).saturating_mul(size);
        let page: Vec<_> = matching.iter().skip(start).take(size).cloned().collect();

        let mut g = Graph::new();
        let base = self.config.public_url.as_str();
        let catalog = node(&format!("{base}/harvest/catalog"))?;
        let authority = node(self.authority.did())?;
        let add = |g: &mut Graph, s: &NamedNode, p: oxigraph::model::NamedNodeRef<'_>, o: Term| {
            g.insert(&Triple::new(s.clone(), p, o));
        };
        add(
            &mut g,
            &catalog,
            rdf::TYPE,
            dcat::CATALOG.into_owned().into(),
        );
        add(
            &mut g,
            &catalog,
            dct::TITLE,
            Literal::new_language_tagged_literal_unchecked(
                "Katalog des Kommunalen Datenraums",
                "de",
            )
            .into(),
        );
        add(
            &mut g,
            &catalog,
            dct::DESCRIPTION,
            Literal::new_language_tagged_literal_unchecked(
                "Datensätze, die Kommunen und Datengeber im föderierten Datenraum für kommunale \
                 Datenkooperationen anbieten. Daten mit Vertragsangebot sind nur über die \
                 Konnektoren der Beteiligten zugänglich.",
                "de",
            )
            .into(),
        );
        add(&mut g, &catalog, dct::PUBLISHER, authority.clone().into());
        add(
            &mut g,
            &catalog,
            foaf::HOMEPAGE,
            node(&format!("{base}/"))?.into(),
        );
        let language = node(LANGUAGE_DE)?;
        add(&mut g, &catalog, dct::LANGUAGE, language.clone().into());
        add(
            &mut g,
            &language,
            node(SKOS_IN_SCHEME)?.as_ref(),
            node(LANGUAGE_SCHEME)?.into(),
        );
        add(
            &mut g,
            &authority,
            rdf::TYPE,
            foaf::AGENT.into_owned().into(),
        );
        add(
            &mut g,
            &authority,
            rdf::TYPE,
            foaf::ORGANIZATION.into_owned().into(),
        );
        add(
            &mut g,
            &authority,
            foaf::NAME,
            Literal::new_simple_literal("Betreiber des Kommunalen Datenraums").into(),
        );
        if let Some(latest) = matching.iter().map(|d| d.published_at).max() {
            add(
                &mut g,
                &catalog,
                dct::MODIFIED,
                Literal::new_typed_literal(
                    latest.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    xsd::DATE_TIME,
                )
                .into(),
            );
        }

        let on_page: HashSet<&str> = page.iter().map(|d| d.iri.as_str()).collect();
        let mut source: Option<(String, Graph)> = None;
        for d in &page {
            let ds = node(&d.iri)?;
            add(&mut g, &catalog, dcat::DATASET_PROP, ds.clone().into());
            let restricted = is_restricted(d);
            if source.as_ref().is_none_or(|(did, _)| *did != d.participant) {
                source = Some((d.participant.clone(), self.signed_graph(&d.participant)?));
            }
            let Some((_, signed)) = &source else {
                continue;
            };
            for t in describe(signed, &d.iri) {
                if restricted && t.predicate == dcat::DOWNLOAD_URL {
                    continue;
                }
                // Links to datasets of other pages would leave untyped dataset references.
                if let Term::NamedNode(o) = &t.object
                    && o.as_str() != d.iri
                    && !on_page.contains(o.as_str())
                    && (t.predicate == dcat::SERVES_DATASET || t.predicate == dcat::DATASET_PROP)
                {
                    continue;
                }
                g.insert(&t);
            }
            if restricted && d.access_rights.is_none() {
                let right = node(&format!("{ACCESS_RIGHT}RESTRICTED"))?;
                add(&mut g, &ds, dct::ACCESS_RIGHTS, right.clone().into());
                add(
                    &mut g,
                    &right,
                    node(SKOS_IN_SCHEME)?.as_ref(),
                    node(ACCESS_RIGHT.trim_end_matches('/'))?.into(),
                );
            }
        }
        // Drop references to datasets not on this page that other nodes (services) carry.
        let dangling: Vec<Triple> = g
            .iter()
            .filter(|t| {
                t.predicate == dcat::SERVES_DATASET
                    && matches!(t.object, oxigraph::model::TermRef::NamedNode(o) if !on_page.contains(o.as_str()))
            })
            .map(|t| t.into_owned())
            .collect();
        for t in &dangling {
            g.remove(t);
        }

        let view = node(&page_url(request.page.max(1)))?;
        add(
            &mut g,
            &view,
            rdf::TYPE,
            hydra("PartialCollectionView")?.into(),
        );
        add(
            &mut g,
            &view,
            hydra("totalItems")?.as_ref(),
            integer(total).into(),
        );
        add(
            &mut g,
            &view,
            hydra("itemsPerPage")?.as_ref(),
            integer(size).into(),
        );
        add(
            &mut g,
            &view,
            hydra("first")?.as_ref(),
            node(&page_url(1))?.into(),
        );
        add(
            &mut g,
            &view,
            hydra("last")?.as_ref(),
            node(&page_url(last_page))?.into(),
        );
        if request.page > 1 {
            add(
                &mut g,
                &view,
                hydra("previous")?.as_ref(),
                node(&page_url(request.page.min(last_page + 1) - 1))?.into(),
            );
        }
        if request.page < last_page {
            add(
                &mut g,
                &view,
                hydra("next")?.as_ref(),
                node(&page_url(request.page + 1))?.into(),
            );
        }
        Ok(HarvestPage {
            graph: g,
            total,
            datasets: page.len(),
        })
    }
}
