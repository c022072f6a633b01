//! DCAT-AP.de graphs back into the model (strict: anything the model cannot hold exactly is an
//! error naming the node and property; lenient reading of foreign catalogues is in
//! [`crate::import`]).

use oxigraph::model::{Graph, NamedNodeRef};

use super::access::NodeView;
use crate::ags::Ags;
use crate::error::{Error, Result};
use crate::model::{
    Agent, ContactPoint, DataService, DataTheme, Dataset, Distribution, FileType, Frequency,
    License, MediaType, Participant, ParticipantType, SelfDescription, TemporalCoverage,
};
use crate::ns::{dcat, dct, foaf, gwd, odrl, rdf, vcard};

/// The single node of `class` in `graph`.
pub(crate) fn single_of_class<'a>(
    graph: &'a Graph,
    class: NamedNodeRef<'_>,
) -> Result<NodeView<'a>> {
    let mut nodes = graph.subjects_for_predicate_object(rdf::TYPE, class);
    let first = nodes.next().ok_or_else(|| Error::Graph {
        node: "(graph)".into(),
        property: rdf::TYPE.to_string(),
        reason: format!("no node of type {class}"),
    })?;
    if let Some(second) = nodes.next() {
        return Err(Error::Graph {
            node: second.to_string(),
            property: rdf::TYPE.to_string(),
            reason: format!(
                "a second node of type {class} besides {first}; exactly one is expected"
            ),
        });
    }
    Ok(NodeView::new(graph, first))
}

fn iri_of(node: &NodeView<'_>, what: &str) -> Result<String> {
    node.iri().map(str::to_owned).ok_or_else(|| Error::Graph {
        node: node.id(),
        property: rdf::TYPE.to_string(),
        reason: format!("a {what} must be named by an IRI, not a blank node"),
    })
}

pub(crate) fn read_contact(node: &NodeView<'_>) -> Result<ContactPoint> {
    let name = node.one_string(vcard::FN)?.to_owned();
    let email = node
        .opt_iri(vcard::HAS_EMAIL)?
        .map(|e| {
            e.strip_prefix("mailto:")
                .map(str::to_owned)
                .ok_or_else(|| node.error(vcard::HAS_EMAIL, format!("<{e}> is not a mailto: IRI")))
        })
        .transpose()?;
    let phone = node
        .opt_iri(vcard::HAS_TELEPHONE)?
        .map(|t| {
            t.strip_prefix("tel:")
                .map(str::to_owned)
                .ok_or_else(|| node.error(vcard::HAS_TELEPHONE, format!("<{t}> is not a tel: IRI")))
        })
        .transpose()?;
    let url = node.opt_iri(vcard::HAS_URL)?.map(str::to_owned);
    Ok(ContactPoint {
        name,
        email,
        phone,
        url,
    })
}

fn read_temporal(node: &NodeView<'_>) -> Result<TemporalCoverage> {
    Ok(TemporalCoverage {
        start: node.opt_date(dcat::START_DATE)?,
        end: node.opt_date(dcat::END_DATE)?,
    })
}

fn read_agent(node: &NodeView<'_>) -> Result<Agent> {
    Ok(Agent {
        id: iri_of(node, "publisher")?,
        name: node.one_string(foaf::NAME)?.to_owned(),
    })
}

fn read_license(node: &NodeView<'_>) -> Result<License> {
    let iri = node.one_iri(dct::LICENSE)?;
    License::from_iri(iri).map_err(|e| node.error(dct::LICENSE, e.to_string()))
}

fn read_distribution(node: &NodeView<'_>) -> Result<(Distribution, License)> {
    let media_type = node
        .opt_iri(dcat::MEDIA_TYPE)?
        .map(|m| MediaType::from_iri(m).map_err(|e| node.error(dcat::MEDIA_TYPE, e.to_string())))
        .transpose()?;
    let format = node
        .opt_iri(dct::FORMAT)?
        .map(|f| FileType::from_iri(f).map_err(|e| node.error(dct::FORMAT, e.to_string())))
        .transpose()?;
    let byte_size = node
        .opt_string(dcat::BYTE_SIZE)?
        .map(|b| {
            b.trim()
                .parse::<u64>()
                .map_err(|_| node.error(dcat::BYTE_SIZE, format!("{b:?} is not a number of bytes")))
        })
        .transpose()?;
    let d = Distribution {
        id: iri_of(node, "distribution")?,
        title: node.opt_text(dct::TITLE)?,
        access_url: node.one_iri(dcat::ACCESS_URL)?.to_owned(),
        access_service: node.opt_iri(dcat::ACCESS_SERVICE)?.map(str::to_owned),
        download_url: node.opt_iri(dcat::DOWNLOAD_URL)?.map(str::to_owned),
        media_type,
        format,
        byte_size,
    };
    Ok((d, read_license(node)?))
}

/// Reads the dataset at `node`.
pub(crate) fn read_dataset(node: &NodeView<'_>) -> Result<Dataset> {
    let id = iri_of(node, "dataset")?;
    let publisher = node
        .opt_node(dct::PUBLISHER)?
        .ok_or_else(|| node.error(dct::PUBLISHER, "is missing"))?;
    let mut themes = Vec::new();
    for t in node.iris(dcat::THEME) {
        themes.push(DataTheme::from_iri(t).ok_or_else(|| {
            node.error(
                dcat::THEME,
                format!("<{t}> is not in the EU data-theme list"),
            )
        })?);
    }
    themes.sort();
    let mut spatial = Vec::new();
    for s in node.iris(dct::SPATIAL) {
        spatial.push(Ags::from_iri(s).map_err(|e| node.error(dct::SPATIAL, e.to_string()))?);
    }
    spatial.sort();
    let mut keywords: Vec<String> = node
        .literals(dcat::KEYWORD)
        .iter()
        .map(|l| l.value().to_owned())
        .collect();
    keywords.sort();
    let mut distributions = Vec::new();
    let mut license: Option<License> = None;
    for dn in node.nodes(dcat::DISTRIBUTION_PROP) {
        let (d, l) = read_distribution(&dn)?;
        match license {
            Some(first) if first != l => {
                return Err(dn.error(
                    dct::LICENSE,
                    format!("licence {l} differs from {first} of another distribution of the same dataset"),
                ));
            }
            _ => license = Some(l),
        }
        distributions.push(d);
    }
    distributions.sort_by(|a, b| a.id.cmp(&b.id));
    let license = license.ok_or_else(|| {
        node.error(
            dcat::DISTRIBUTION_PROP,
            "is missing: a dataset needs a distribution carrying its licence",
        )
    })?;
    let mut offered_policies: Vec<String> = node
        .iris(odrl::HAS_POLICY)
        .into_iter()
        .map(str::to_owned)
        .collect();
    offered_policies.sort();
    let frequency = node
        .opt_iri(dct::ACCRUAL_PERIODICITY)?
        .map(|f| {
            Frequency::from_iri(f).ok_or_else(|| {
                node.error(
                    dct::ACCRUAL_PERIODICITY,
                    format!("<{f}> is not a supported EU frequency"),
                )
            })
        })
        .transpose()?;
    let contact_point = node
        .opt_node(dcat::CONTACT_POINT)?
        .map(|c| read_contact(&c))
        .transpose()?;
    let temporal = node
        .opt_node(dct::TEMPORAL)?
        .map(|t| read_temporal(&t))
        .transpose()?;
    let dataset = Dataset {
        identifier: node.one_string(dct::IDENTIFIER)?.to_owned(),
        title: node.text(dct::TITLE)?,
        description: node.text(dct::DESCRIPTION)?,
        keywords,
        themes,
        spatial,
        temporal,
        publisher: read_agent(&publisher)?,
        contact_point,
        license,
        personal_adjacent: node.opt_bool(gwd::PERSONAL_ADJACENT)?.unwrap_or(false),
        distributions,
        offered_policies,
        issued: node.opt_date(dct::ISSUED)?,
        modified: node.opt_date(dct::MODIFIED)?,
        frequency,
        landing_page: node.opt_iri(dcat::LANDING_PAGE)?.map(str::to_owned),
        id,
    };
    Ok(dataset)
}

fn read_participant(node: &NodeView<'_>) -> Result<Participant> {
    let did = iri_of(node, "participant")?;
    let type_iri = node.one_iri(gwd::PARTICIPANT_TYPE)?;
    let participant_type = ParticipantType::from_iri(type_iri).ok_or_else(|| {
        node.error(
            gwd::PARTICIPANT_TYPE,
            format!("<{type_iri}> is not a participant type"),
        )
    })?;
    let ags = node
        .opt_iri(gwd::AGS)?
        .map(|a| Ags::from_iri(a).map_err(|e| node.error(gwd::AGS, e.to_string())))
        .transpose()?;
    let contact = node
        .opt_node(gwd::CONTACT_POINT)?
        .ok_or_else(|| node.error(gwd::CONTACT_POINT, "is missing"))?;
    Ok(Participant {
        legal_name: node.one_string(foaf::NAME)?.to_owned(),
        participant_type,
        ags,
        contact: read_contact(&contact)?,
        connector_endpoint: node.one_iri(gwd::CONNECTOR_ENDPOINT)?.to_owned(),
        homepage: node.opt_iri(foaf::HOMEPAGE)?.map(str::to_owned),
        did,
    })
}

fn read_service(node: &NodeView<'_>) -> Result<DataService> {
    Ok(DataService {
        id: iri_of(node, "data service")?,
        title: node.text(dct::TITLE)?,
        endpoint_url: node.one_iri(dcat::ENDPOINT_URL)?.to_owned(),
        endpoint_description: node.opt_iri(dcat::ENDPOINT_DESCRIPTION)?.map(str::to_owned),
    })
}

impl SelfDescription {
    /// Reads a self-description from its graph: exactly one `dcat:Catalog`, its publisher (the
    /// participant), one `dcat:service` and its datasets; then [`SelfDescription::check`]s it.
    /// Datasets come sorted by IRI, lists inside them sorted.
    pub fn from_graph(graph: &Graph) -> Result<Self> {
        let catalog = single_of_class(graph, dcat::CATALOG)?;
        let participant = catalog
            .opt_node(dct::PUBLISHER)?
            .ok_or_else(|| catalog.error(dct::PUBLISHER, "is missing"))?;
        let service = catalog.opt_node(dcat::SERVICE)?.ok_or_else(|| {
            catalog.error(dcat::SERVICE, "is missing (the connector's data service)")
        })?;
        let mut datasets = Vec::new();
        for d in catalog.nodes(dcat::DATASET_PROP) {
            datasets.push(read_dataset(&d)?);
        }
        datasets.sort_by(|a, b| a.id.cmp(&b.id));
        let sd = SelfDescription {
            catalog_id: iri_of(&catalog, "catalogue")?,
            title: catalog.text(dct::TITLE)?,
            description: catalog.text(dct::DESCRIPTION)?,
            participant: read_participant(&participant)?,
            service: read_service(&service)?,
            datasets,
            modified: catalog.opt_date(dct::MODIFIED)?,
        };
        sd.check()?;
        Ok(sd)
    }
}

impl Dataset {
    /// Reads the dataset `iri` from a graph (strictly; see [`crate::import`] for foreign
    /// catalogues).
    pub fn from_graph(graph: &Graph, iri: &str) -> Result<Self> {
        let node = oxigraph::model::NamedNodeRef::new(iri)
            .map_err(|e| Error::model("iri", e.to_string()))?;
        if !graph.contains(oxigraph::model::TripleRef::new(
            node,
            rdf::TYPE,
            dcat::DATASET,
        )) {
            return Err(Error::graph(
                node,
                rdf::TYPE,
                "is not a dcat:Dataset in this graph",
            ));
        }
        let d = read_dataset(&NodeView::new(graph, node.into()))?;
        d.check()?;
        Ok(d)
    }
}
