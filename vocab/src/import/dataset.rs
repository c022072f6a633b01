//! Reading one dataset of a foreign catalogue, leniently.

use oxigraph::model::{NamedNodeRef, TermRef};

use super::common::{Problems, lenient_text};
use super::distribution::{minted_distribution_iri, read_distribution};
use super::{Fallback, Impact, ImportedDataset};
use crate::ags::{Ags, REGIONAL_KEY_IRI};
use crate::model::{Agent, ContactPoint, DataTheme, Dataset, Frequency, License, TemporalCoverage};
use crate::ns::{dcat, dct, foaf, vcard};
use crate::rdf::NodeView;
use crate::rdf::access::parse_date;

const SCHEMA_START: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("http://schema.org/startDate");
const SCHEMA_END: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("http://schema.org/endDate");

/// A publisher: an IRI node with a name.
pub(super) fn read_agent_lenient(node: &NodeView<'_>) -> Result<Agent, String> {
    let iri = node
        .iri()
        .ok_or("the publisher is a blank node without an IRI")?;
    let name = lenient_text(node, foaf::NAME).ok_or("the publisher has no foaf:name")?;
    let agent = Agent::new(iri, name.de);
    agent.check("publisher").map_err(|e| e.to_string())?;
    Ok(agent)
}

fn read_contact(node: &NodeView<'_>) -> Result<ContactPoint, String> {
    let name = lenient_text(node, vcard::FN)
        .or_else(|| lenient_text(node, vcard::ORGANIZATION_NAME))
        .map(|t| t.de)
        .ok_or("the contact point has no vcard:fn")?;
    let value = |p: NamedNodeRef<'_>| {
        node.objects(p).next().map(|o| match o {
            TermRef::NamedNode(n) => n.as_str().to_owned(),
            TermRef::Literal(l) => l.value().trim().to_owned(),
            other => other.to_string(),
        })
    };
    let contact = ContactPoint {
        name,
        email: value(vcard::HAS_EMAIL).map(|e| e.trim_start_matches("mailto:").to_owned()),
        phone: value(vcard::HAS_TELEPHONE).map(|t| t.trim_start_matches("tel:").to_owned()),
        url: value(vcard::HAS_URL),
    };
    contact.check("contact_point").map_err(|e| e.to_string())?;
    Ok(contact)
}

/// A municipality key from a municipality-key or regional-key IRI.
fn ags_of(iri: &str) -> Option<Result<Ags, String>> {
    if iri.contains("/municipalityKey/") {
        let key = iri.rsplit('/').next().unwrap_or_default();
        return Some(Ags::parse(key).map_err(|e| e.to_string()));
    }
    if !(iri.starts_with(REGIONAL_KEY_IRI)
        || iri.contains("dcat-ap.de/def/politicalGeocoding/regionalKey/"))
    {
        return None;
    }
    let key = iri.rsplit('/').next().unwrap_or_default();
    if key.len() != 12 || !key.chars().all(|c| c.is_ascii_digit()) {
        return Some(Err(format!("{key:?} is not a 12-digit regional key")));
    }
    let ags = format!("{}{}", &key[..5], &key[9..]);
    Some(Ags::parse(&ags).map_err(|e| e.to_string()))
}

fn read_spatial(node: &NodeView<'_>, problems: &mut Problems) -> Vec<Ags> {
    let mut out = Vec::new();
    for o in node.objects(dct::SPATIAL) {
        let found = match o {
            TermRef::NamedNode(n) => ags_of(n.as_str()),
            TermRef::BlankNode(b) => {
                // A dct:Location that names its administrative unit (locn:adminUnitL2 …).
                let place = NodeView::new(node.graph(), b.into());
                let unit = place.properties().find_map(|(_, v)| match v {
                    TermRef::NamedNode(n) => ags_of(n.as_str()).filter(Result::is_ok),
                    _ => None,
                });
                if let Some(Ok(a)) = &unit {
                    problems.add("spatial-location-converted", Impact::Converted, node, dct::SPATIAL, format!("the location {o} names the administrative unit {}; used as dct:spatial", a.iri()));
                }
                unit
            }
            _ => None,
        };
        match found {
            Some(Ok(a)) => out.push(a),
            Some(Err(e)) => problems.add("spatial-not-ags", Impact::Dropped, node, dct::SPATIAL, e),
            None => problems.add("spatial-not-ags", Impact::Dropped, node, dct::SPATIAL, format!("{o} is not a municipality key (a geometry, a state or a place name cannot be used as municipality)")),
        }
    }
    // DCAT-AP.de 1.x/2.x namespaces vary (`…/dcatde/`, `…/dcatde/1.1/`, www., https).
    let geocoding: Vec<(NamedNodeRef<'_>, TermRef<'_>)> = node
        .properties()
        .filter(|(p, _)| {
            p.as_str().contains("dcat-ap.de/def/dcatde/")
                && p.as_str().ends_with("politicalGeocodingURI")
        })
        .collect();
    for (property, o) in geocoding {
        let converted = match o {
            TermRef::NamedNode(n) => ags_of(n.as_str()),
            _ => None,
        };
        match converted {
            Some(Ok(a)) => {
                problems.add("political-geocoding-converted", Impact::Converted, node, property, format!("deprecated dcatde:politicalGeocodingURI {o} converted to dct:spatial {}", a.iri()));
                out.push(a);
            }
            _ => problems.add("political-geocoding-not-municipality", Impact::Dropped, node, property, format!("deprecated dcatde:politicalGeocodingURI {o} is not a municipality: it cannot be a municipality key")),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn read_temporal(node: &NodeView<'_>, problems: &mut Problems) -> Option<TemporalCoverage> {
    let period = node.nodes(dct::TEMPORAL).into_iter().next()?;
    let date = |p: NamedNodeRef<'_>, q: NamedNodeRef<'_>| {
        period
            .literals(p)
            .first()
            .or(period.literals(q).first())
            .and_then(|l| parse_date(*l))
    };
    let t = TemporalCoverage {
        start: date(dcat::START_DATE, SCHEMA_START),
        end: date(dcat::END_DATE, SCHEMA_END),
    };
    match t.check("temporal") {
        Ok(()) => Some(t),
        Err(e) => {
            problems.add(
                "temporal-invalid",
                Impact::Dropped,
                node,
                dct::TEMPORAL,
                e.to_string(),
            );
            None
        }
    }
}

fn read_date(
    node: &NodeView<'_>,
    p: NamedNodeRef<'_>,
    problems: &mut Problems,
) -> Option<chrono::NaiveDate> {
    let l = *node.literals(p).first()?;
    let d = parse_date(l);
    if d.is_none() {
        problems.add(
            "date-invalid",
            Impact::Dropped,
            node,
            p,
            format!("{l} is not a date"),
        );
    }
    d
}

/// Imports one dataset node.
pub(super) fn import_dataset(node: &NodeView<'_>, fallback: Fallback<'_>) -> ImportedDataset {
    let mut problems = Problems { list: Vec::new() };
    let dataset = read(node, fallback, &mut problems);
    ImportedDataset {
        node: node.node().to_string(),
        dataset,
        problems: problems.list,
    }
}

fn read(node: &NodeView<'_>, fallback: Fallback<'_>, problems: &mut Problems) -> Option<Dataset> {
    let skip = |problems: &mut Problems, kind, property, message: &str| {
        problems.add(kind, Impact::Skipped, node, property, message);
    };
    let title = lenient_text(node, dct::TITLE);
    let description = lenient_text(node, dct::DESCRIPTION);
    let id = node.iri();
    if id.is_none() {
        skip(
            problems,
            "dataset-blank-node",
            dct::IDENTIFIER,
            "the dataset has no IRI (blank node)",
        );
    }
    if title.is_none() {
        skip(
            problems,
            "title-missing",
            dct::TITLE,
            "the dataset has no title",
        );
    }
    if description.is_none() {
        skip(
            problems,
            "description-missing",
            dct::DESCRIPTION,
            "the dataset has no description",
        );
    }
    let publisher = match node.nodes(dct::PUBLISHER).first().map(read_agent_lenient) {
        Some(Ok(a)) => Some(a),
        other => {
            let why = match other {
                Some(Err(e)) => e,
                _ => "the dataset names no publisher".to_owned(),
            };
            match fallback {
                Some(f) => {
                    problems.add(
                        "publisher-from-catalogue",
                        Impact::Converted,
                        node,
                        dct::PUBLISHER,
                        format!("{why}; the catalogue's publisher {} is used", f.name),
                    );
                    Some(f.clone())
                }
                None => {
                    skip(problems, "publisher-missing", dct::PUBLISHER, &why);
                    None
                }
            }
        }
    };
    // Distributions: keep those with a usable access URL and licence; one licence per dataset.
    let mut distributions = Vec::new();
    let mut license: Option<License> = None;
    let mut dist_nodes = node.nodes(dcat::DISTRIBUTION_PROP);
    dist_nodes.sort_by_key(NodeView::id);
    for (j, dn) in dist_nodes.iter().enumerate() {
        let minted = id.map(|i| minted_distribution_iri(i, j));
        let Some((d, l)) = read_distribution(dn, minted, problems) else {
            continue;
        };
        match license {
            Some(first) if first != l => problems.add("licence-differs", Impact::Dropped, dn, dct::LICENSE, format!("licence {l} differs from {first} of the dataset's other distributions; a dataset is offered under one licence")),
            _ => {
                license = Some(l);
                distributions.push(d);
            }
        }
    }
    if dist_nodes.is_empty() {
        skip(
            problems,
            "distribution-missing",
            dcat::DISTRIBUTION_PROP,
            "the dataset has no distribution",
        );
    } else if distributions.is_empty() {
        skip(
            problems,
            "no-usable-distribution",
            dcat::DISTRIBUTION_PROP,
            "no distribution has an access URL and a licence from the DCAT-AP.de list",
        );
    }

    let mut themes = Vec::new();
    for t in node.objects(dcat::THEME) {
        match t {
            TermRef::NamedNode(n) if DataTheme::from_iri(n.as_str()).is_some() => {
                themes.extend(DataTheme::from_iri(n.as_str()))
            }
            _ => problems.add(
                "theme-not-eu",
                Impact::Dropped,
                node,
                dcat::THEME,
                format!("{t} is not in the EU data-theme list"),
            ),
        }
    }
    let spatial = read_spatial(node, problems);
    let temporal = read_temporal(node, problems);
    let contact_point = match node.nodes(dcat::CONTACT_POINT).first().map(read_contact) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            problems.add(
                "contact-invalid",
                Impact::Dropped,
                node,
                dcat::CONTACT_POINT,
                e,
            );
            None
        }
        None => None,
    };
    let frequency = node.objects(dct::ACCRUAL_PERIODICITY).next().and_then(|f| {
        let known = match f {
            TermRef::NamedNode(n) => Frequency::from_iri(n.as_str()),
            _ => None,
        };
        if known.is_none() {
            problems.add(
                "frequency-unknown",
                Impact::Dropped,
                node,
                dct::ACCRUAL_PERIODICITY,
                format!("{f} is not a supported EU frequency"),
            );
        }
        known
    });
    let issued = read_date(node, dct::ISSUED, problems);
    let modified = read_date(node, dct::MODIFIED, problems);
    let keywords: Vec<String> = {
        let mut k: Vec<String> = node
            .literals(dcat::KEYWORD)
            .iter()
            .map(|l| l.value().trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        k.sort();
        k.dedup();
        k
    };
    let landing_page = node
        .iris(dcat::LANDING_PAGE)
        .first()
        .map(|s| (*s).to_owned());

    let (Some(id), Some(title), Some(description), Some(publisher), Some(license)) =
        (id, title, description, publisher, license)
    else {
        return None;
    };
    if distributions.is_empty() {
        return None;
    }
    let identifier = node
        .literals(dct::IDENTIFIER)
        .first()
        .map(|l| l.value().trim().to_owned())
        .filter(|s| !s.is_empty());
    let mut d = Dataset::new(id, title, description, publisher, license);
    if let Some(i) = identifier {
        d.identifier = i;
    }
    d.keywords = keywords;
    d.themes = themes;
    d.themes.sort();
    d.themes.dedup();
    d.spatial = spatial;
    d.temporal = temporal;
    d.contact_point = contact_point;
    d.distributions = distributions;
    d.issued = issued;
    d.modified = modified;
    if let (Some(i), Some(m)) = (d.issued, d.modified)
        && m < i
    {
        problems.add(
            "dates-out-of-order",
            Impact::Dropped,
            node,
            dct::MODIFIED,
            format!("modified {m} lies before issued {i}"),
        );
        d.modified = None;
    }
    d.frequency = frequency;
    d.landing_page = landing_page;
    match d.check() {
        Ok(()) => Some(d),
        Err(e) => {
            problems.add(
                "dataset-invalid",
                Impact::Skipped,
                node,
                dct::IDENTIFIER,
                e.to_string(),
            );
            None
        }
    }
}
