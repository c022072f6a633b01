//! Reading one distribution of a foreign catalogue, leniently.

use oxigraph::model::{NamedNodeRef, TermRef};

use super::Impact;
use super::common::{Problems, lenient_text};
use crate::model::{Distribution, FileType, License, MediaType};
use crate::ns::{dcat, dct};
use crate::rdf::NodeView;

fn read_license(node: &NodeView<'_>, problems: &mut Problems) -> Option<License> {
    let values: Vec<TermRef<'_>> = node.objects(dct::LICENSE).collect();
    let Some(first) = values.first() else {
        problems.add(
            "licence-missing",
            Impact::Dropped,
            node,
            dct::LICENSE,
            "the distribution has no licence",
        );
        return None;
    };
    match first {
        TermRef::NamedNode(n) => match License::from_iri(n.as_str()) {
            Ok(l) => Some(l),
            Err(_) => {
                problems.add(
                    "licence-not-in-list",
                    Impact::Dropped,
                    node,
                    dct::LICENSE,
                    format!("{first} is not in the DCAT-AP.de licence list"),
                );
                None
            }
        },
        _ => {
            problems.add("licence-not-an-iri", Impact::Dropped, node, dct::LICENSE, format!("the licence is given as text ({first}), not as an IRI of the DCAT-AP.de licence list"));
            None
        }
    }
}

fn read_format(
    node: &NodeView<'_>,
    problems: &mut Problems,
) -> (Option<MediaType>, Option<FileType>) {
    let mut media = None;
    let mut format = None;
    if let Some(m) = node.objects(dcat::MEDIA_TYPE).next() {
        media = match m {
            TermRef::NamedNode(n) => MediaType::from_iri(n.as_str()).ok(),
            TermRef::Literal(l) => MediaType::new(l.value()).ok().inspect(|_| {
                problems.add(
                    "media-type-as-text",
                    Impact::Converted,
                    node,
                    dcat::MEDIA_TYPE,
                    format!("media type given as text {m}; read as the IANA type"),
                );
            }),
            _ => None,
        };
        if media.is_none()
            && !problems
                .list
                .iter()
                .any(|p| p.kind == "media-type-as-text" && p.node == node.node().to_string())
        {
            problems.add(
                "media-type-invalid",
                Impact::Dropped,
                node,
                dcat::MEDIA_TYPE,
                format!("{m} is not an IANA media type"),
            );
        }
    }
    if let Some(f) = node.objects(dct::FORMAT).next() {
        format = match f {
            TermRef::NamedNode(n) => FileType::from_iri(n.as_str()).ok(),
            TermRef::Literal(l) => {
                let code = l
                    .value()
                    .trim()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                FileType::new(&code).ok().inspect(|_| {
                    problems.add(
                        "format-as-text",
                        Impact::Converted,
                        node,
                        dct::FORMAT,
                        format!("format given as text {f}; read as EU file type {code}"),
                    );
                })
            }
            _ => None,
        };
        if format.is_none() {
            problems.add(
                "format-invalid",
                Impact::Dropped,
                node,
                dct::FORMAT,
                format!("{f} is not in the EU file-type list"),
            );
        }
    }
    (media, format)
}

/// The first value of `property` as a URL: an IRI, or a text that is an absolute http(s) URL
/// (reported as converted).
fn url_value(
    node: &NodeView<'_>,
    property: NamedNodeRef<'_>,
    problems: &mut Problems,
) -> Option<String> {
    let value = node.objects(property).next()?;
    match value {
        TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
        TermRef::Literal(l) => {
            let text = l.value().trim();
            let ok = (text.starts_with("https://") || text.starts_with("http://"))
                && oxigraph::model::NamedNode::new(text).is_ok();
            if ok {
                problems.add(
                    "url-as-text",
                    Impact::Converted,
                    node,
                    property,
                    format!("URL given as text {value}; read as an IRI"),
                );
                Some(text.to_owned())
            } else {
                problems.add(
                    "url-invalid",
                    Impact::Dropped,
                    node,
                    property,
                    format!("{value} is not a URL"),
                );
                None
            }
        }
        _ => {
            problems.add(
                "url-invalid",
                Impact::Dropped,
                node,
                property,
                format!("{value} is a blank node, not a URL"),
            );
            None
        }
    }
}

/// An IRI for the `index`-th blank-node distribution of `dataset`.
pub(super) fn minted_distribution_iri(dataset: &str, index: usize) -> String {
    if dataset.contains('#') {
        format!("{dataset}-distribution-{index}")
    } else {
        format!("{dataset}#distribution-{index}")
    }
}

pub(super) fn read_distribution(
    node: &NodeView<'_>,
    minted: Option<String>,
    problems: &mut Problems,
) -> Option<(Distribution, License)> {
    let id = match (node.iri(), minted) {
        (Some(iri), _) => iri.to_owned(),
        (None, Some(m)) => {
            problems.add(
                "distribution-blank-node",
                Impact::Converted,
                node,
                dcat::DISTRIBUTION_PROP,
                format!("the distribution has no IRI (blank node); it is named <{m}>"),
            );
            m
        }
        (None, None) => {
            problems.add(
                "distribution-blank-node",
                Impact::Dropped,
                node,
                dcat::DISTRIBUTION_PROP,
                "the distribution has no IRI (blank node) and neither has its dataset",
            );
            return None;
        }
    };
    let download = url_value(node, dcat::DOWNLOAD_URL, problems);
    let access = match url_value(node, dcat::ACCESS_URL, problems) {
        Some(a) => a,
        None => match &download {
            Some(d) => {
                problems.add(
                    "access-url-missing",
                    Impact::Converted,
                    node,
                    dcat::ACCESS_URL,
                    "no access URL; the download URL is used as access URL",
                );
                d.clone()
            }
            None => {
                problems.add(
                    "access-url-missing",
                    Impact::Dropped,
                    node,
                    dcat::ACCESS_URL,
                    "the distribution has neither an access URL nor a download URL",
                );
                return None;
            }
        },
    };
    let license = read_license(node, problems)?;
    let (media_type, format) = read_format(node, problems);
    let byte_size = node.literals(dcat::BYTE_SIZE).first().and_then(|l| {
        let v = l.value().trim();
        let parsed = v.parse::<u64>().ok().or_else(|| {
            v.parse::<f64>()
                .ok()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        });
        if parsed.is_none() {
            problems.add(
                "byte-size-invalid",
                Impact::Dropped,
                node,
                dcat::BYTE_SIZE,
                format!("{l} is not a number of bytes"),
            );
        }
        parsed
    });
    let d = Distribution {
        id,
        title: lenient_text(node, dct::TITLE),
        access_url: access,
        access_service: node
            .iris(dcat::ACCESS_SERVICE)
            .first()
            .map(|s| (*s).to_owned()),
        download_url: download,
        media_type,
        format,
        byte_size,
    };
    match d.check("distribution") {
        Ok(()) => Some((d, license)),
        Err(e) => {
            problems.add(
                "distribution-invalid",
                Impact::Dropped,
                node,
                dcat::ACCESS_URL,
                e.to_string(),
            );
            None
        }
    }
}
