//! What the broker knows about one dataset for search, pages and harvest, read from the
//! participant's signed graph with the DCAT-AP.de terms (no other source).

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use oxigraph::model::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use serde::Serialize;
use sha2::{Digest, Sha256};
use vocab::ns::{dcat, dct, foaf, gwd, rdf};

use super::policy::{PolicyTerms, policy_terms, template_ref};
use crate::store::ParticipantType;

/// IRI prefix of the EU data themes.
pub const EU_THEME_PREFIX: &str = "http://publications.europa.eu/resource/authority/data-theme/";
const MUNICIPALITY_KEY: &str = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/";
const DISTRICT_KEY: &str = "http://dcat-ap.de/def/politicalGeocoding/districtKey/";
const STATE_KEY: &str = "http://dcat-ap.de/def/politicalGeocoding/stateKey/";
const REGIONAL_KEY: &str = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/";

/// One dataset as indexed (everything the search result and the dataset page show).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSummary {
    /// Short stable id used in URLs (hex of the SHA-256 of the IRI, 32 characters).
    pub id: String,
    /// The dataset's IRI.
    pub iri: String,
    /// The publishing participant's DID (the named graph).
    pub participant: String,
    /// The participant's type, from the authority's record.
    pub participant_type: ParticipantType,
    /// Title (German preferred).
    pub title: String,
    /// Description (German preferred).
    pub description: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// EU data theme codes (`ENER`, …).
    pub themes: Vec<String>,
    /// Region keys from `dct:spatial` (2, 5 or 8 digits).
    pub regions: Vec<String>,
    /// Publisher name.
    pub publisher: String,
    /// Licence IRIs (dataset and distributions).
    pub licenses: Vec<String>,
    /// Purpose IRIs the offered policy allows.
    pub purposes: Vec<String>,
    /// `dct:accessRights` IRI, if given.
    pub access_rights: Option<String>,
    /// `dct:modified` (or `dct:issued`), if given.
    pub modified: Option<DateTime<Utc>>,
    /// When the broker accepted the description (its last refresh).
    pub published_at: DateTime<Utc>,
    /// Whether the dataset is marked personal-adjacent.
    pub personal_adjacent: bool,
    /// The offered contract template.
    pub template: Option<TemplateRef>,
    /// The offered policy's key terms in German (purposes, duration, k, …).
    pub key_terms: Vec<String>,
    /// The longest use the offer allows (`odrl:elapsedTime`, ISO 8601 duration), if it says.
    pub max_duration: Option<String>,
}

/// The contract template a dataset is offered under.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    /// Template id or IRI.
    pub iri: String,
    /// Title, if the description gives one.
    pub title: Option<String>,
    /// Version, if given.
    pub version: Option<String>,
}

/// The short id of a dataset IRI.
pub fn dataset_id(iri: &str) -> String {
    hex::encode(&Sha256::digest(iri.as_bytes())[..16])
}

/// Best literal for a property: German first, then untagged, then any.
pub(crate) fn best_literal(
    graph: &Graph,
    subject: NamedOrBlankNodeRef<'_>,
    predicate: NamedNodeRef<'_>,
) -> Option<String> {
    let mut untagged = None;
    let mut other = None;
    for object in graph.objects_for_subject_predicate(subject, predicate) {
        if let TermRef::Literal(l) = object {
            match l.language() {
                Some(lang) if lang.eq_ignore_ascii_case("de") || lang.starts_with("de-") => {
                    return Some(l.value().to_owned());
                }
                None => untagged = untagged.or_else(|| Some(l.value().to_owned())),
                Some(_) => other = other.or_else(|| Some(l.value().to_owned())),
            }
        }
    }
    untagged.or(other)
}

fn iris(
    graph: &Graph,
    subject: NamedOrBlankNodeRef<'_>,
    predicate: NamedNodeRef<'_>,
) -> Vec<String> {
    graph
        .objects_for_subject_predicate(subject, predicate)
        .filter_map(|o| match o {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

pub(super) fn nodes<'a>(
    graph: &'a Graph,
    subject: NamedOrBlankNodeRef<'a>,
    predicate: NamedNodeRef<'a>,
) -> impl Iterator<Item = NamedOrBlankNodeRef<'a>> + 'a {
    graph
        .objects_for_subject_predicate(subject, predicate)
        .filter_map(|o| match o {
            TermRef::NamedNode(n) => Some(NamedOrBlankNodeRef::NamedNode(n)),
            TermRef::BlankNode(b) => Some(NamedOrBlankNodeRef::BlankNode(b)),
            _ => None,
        })
}

/// Region key from a DCAT-AP.de political geocoding IRI.
pub fn region_key_of_iri(iri: &str) -> Option<String> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(k) = iri.strip_prefix(MUNICIPALITY_KEY) {
        return (k.len() == 8 && all_digits(k)).then(|| k.to_owned());
    }
    if let Some(k) = iri.strip_prefix(DISTRICT_KEY) {
        return (k.len() == 5 && all_digits(k)).then(|| k.to_owned());
    }
    if let Some(k) = iri.strip_prefix(STATE_KEY) {
        return (k.len() == 2 && all_digits(k)).then(|| k.to_owned());
    }
    if let Some(k) = iri.strip_prefix(REGIONAL_KEY) {
        // ARS: state(2) region(1) district(2) association(4) municipality(3) → AGS
        return (k.len() == 12 && all_digits(k)).then(|| format!("{}{}", &k[..5], &k[9..]));
    }
    None
}

fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|d| d.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// Every node reachable from `start` (itself included), following any predicate and
/// `rdf:List` cells, without entering the nodes in `stop`.
pub(crate) fn reachable<'a>(
    graph: &'a Graph,
    start: NamedOrBlankNodeRef<'a>,
    stop: &HashSet<NamedOrBlankNodeRef<'a>>,
) -> Vec<NamedOrBlankNodeRef<'a>> {
    let mut seen: HashSet<NamedOrBlankNodeRef<'a>> = HashSet::new();
    let mut queue = vec![start];
    let mut out = Vec::new();
    while let Some(node) = queue.pop() {
        if !seen.insert(node) {
            continue;
        }
        out.push(node);
        for triple in graph.triples_for_subject(node) {
            let next = match triple.object {
                TermRef::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n),
                TermRef::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b),
                _ => continue,
            };
            if !stop.contains(&next) && graph.triples_for_subject(next).next().is_some() {
                queue.push(next);
            }
        }
    }
    out
}

/// Reads every `dcat:Dataset` (with an IRI) of a participant's graph.
pub fn summarize(
    graph: &Graph,
    participant: &str,
    participant_type: ParticipantType,
    published_at: DateTime<Utc>,
) -> Vec<DatasetSummary> {
    let datasets: Vec<NamedOrBlankNodeRef<'_>> = graph
        .subjects_for_predicate_object(rdf::TYPE, dcat::DATASET)
        .collect();
    let stop: HashSet<NamedOrBlankNodeRef<'_>> = datasets.iter().copied().collect();
    let mut out = Vec::new();
    for node in &datasets {
        let NamedOrBlankNodeRef::NamedNode(iri) = node else {
            continue;
        };
        let mut summary = summarize_one(
            graph,
            *node,
            iri.as_str(),
            participant,
            participant_type,
            &stop,
        );
        summary.published_at = published_at;
        out.push(summary);
    }
    out.sort_by(|a, b| a.iri.cmp(&b.iri));
    out
}

fn summarize_one<'a>(
    graph: &'a Graph,
    node: NamedOrBlankNodeRef<'a>,
    iri: &str,
    participant: &str,
    participant_type: ParticipantType,
    stop: &HashSet<NamedOrBlankNodeRef<'a>>,
) -> DatasetSummary {
    let mut licenses: BTreeSet<String> = iris(graph, node, dct::LICENSE).into_iter().collect();
    for dist in nodes(graph, node, dcat::DISTRIBUTION_PROP) {
        licenses.extend(iris(graph, dist, dct::LICENSE));
    }
    let publisher = nodes(graph, node, dct::PUBLISHER)
        .next()
        .map(|p| {
            best_literal(graph, p, foaf::NAME).unwrap_or_else(|| match p {
                NamedOrBlankNodeRef::NamedNode(n) => n.as_str().to_owned(),
                NamedOrBlankNodeRef::BlankNode(_) => String::new(),
            })
        })
        .unwrap_or_default();
    let themes = iris(graph, node, dcat::THEME)
        .into_iter()
        .filter_map(|t| t.strip_prefix(EU_THEME_PREFIX).map(str::to_owned))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let regions = iris(graph, node, dct::SPATIAL)
        .iter()
        .filter_map(|s| region_key_of_iri(s))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut keywords: Vec<String> = graph
        .objects_for_subject_predicate(node, dcat::KEYWORD)
        .filter_map(|o| match o {
            TermRef::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        })
        .collect();
    keywords.sort();
    keywords.dedup();
    let modified = [dct::MODIFIED, dct::ISSUED].into_iter().find_map(|p| {
        graph
            .objects_for_subject_predicate(node, p)
            .find_map(|o| match o {
                TermRef::Literal(l) => parse_date(l.value()),
                _ => None,
            })
    });
    let personal_adjacent = graph
        .objects_for_subject_predicate(node, gwd::PERSONAL_ADJACENT)
        .any(|o| matches!(o, TermRef::Literal(l) if l.value() == "true" || l.value() == "1"));
    let PolicyTerms {
        purposes,
        key_terms,
        max_duration,
    } = policy_terms(graph, node, stop);
    DatasetSummary {
        id: dataset_id(iri),
        iri: iri.to_owned(),
        participant: participant.to_owned(),
        participant_type,
        title: best_literal(graph, node, dct::TITLE).unwrap_or_else(|| iri.to_owned()),
        description: best_literal(graph, node, dct::DESCRIPTION).unwrap_or_default(),
        keywords,
        themes,
        regions,
        publisher,
        licenses: licenses.into_iter().collect(),
        purposes,
        access_rights: iris(graph, node, dct::ACCESS_RIGHTS).into_iter().next(),
        modified,
        published_at: DateTime::<Utc>::UNIX_EPOCH,
        personal_adjacent,
        template: template_ref(graph, node),
        key_terms,
        max_duration,
    }
}

/// The description of one dataset in its participant's graph: every triple reachable from it,
/// not entering other datasets, and without the triples that point at other datasets.
pub fn describe(graph: &Graph, iri: &str) -> Vec<oxigraph::model::Triple> {
    let Ok(node) = NamedNodeRef::new(iri) else {
        return Vec::new();
    };
    let start = NamedOrBlankNodeRef::NamedNode(node);
    let stop: HashSet<NamedOrBlankNodeRef<'_>> = graph
        .subjects_for_predicate_object(rdf::TYPE, dcat::DATASET)
        .filter(|d| *d != start)
        .collect();
    let mut out = Vec::new();
    for subject in reachable(graph, start, &stop) {
        for t in graph.triples_for_subject(subject) {
            let points_elsewhere = match t.object {
                TermRef::NamedNode(n) => stop.contains(&NamedOrBlankNodeRef::NamedNode(n)),
                TermRef::BlankNode(b) => stop.contains(&NamedOrBlankNodeRef::BlankNode(b)),
                _ => false,
            };
            if !points_elsewhere {
                out.push(t.into_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_stop_at_other_datasets() {
        let g = vocab::rdf::parse(
            br#"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            <https://a/ds1> a dcat:Dataset ; dct:title "A" ; dcat:distribution [ dct:title "D" ] ;
                dct:relation <https://a/ds2> .
            <https://a/ds2> a dcat:Dataset ; dct:title "B" .
            <https://a/svc> dcat:servesDataset <https://a/ds1>, <https://a/ds2> ."#,
            vocab::rdf::Syntax::Turtle,
            None,
        )
        .expect("turtle");
        let d = describe(&g, "https://a/ds1");
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(d.iter().all(|t| t.subject.to_string() != "<https://a/ds2>"));
        assert!(d.iter().all(|t| t.object.to_string() != "<https://a/ds2>"));
        assert!(describe(&g, "not an iri").is_empty());
    }

    #[test]
    fn region_keys_come_from_every_geocoding_iri() {
        let k = |s: &str| region_key_of_iri(s);
        assert_eq!(
            k("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000").as_deref(),
            Some("09162000")
        );
        assert_eq!(
            k("http://dcat-ap.de/def/politicalGeocoding/districtKey/09162").as_deref(),
            Some("09162")
        );
        assert_eq!(
            k("http://dcat-ap.de/def/politicalGeocoding/stateKey/09").as_deref(),
            Some("09")
        );
        assert_eq!(
            k("http://dcat-ap.de/def/politicalGeocoding/regionalKey/091620000000").as_deref(),
            Some("09162000")
        );
        assert_eq!(
            k("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/0916"),
            None
        );
        assert_eq!(k("https://example.org/x"), None);
    }
}
