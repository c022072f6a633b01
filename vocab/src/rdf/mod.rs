//! RDF conversion: the model to and from oxigraph graphs, and graphs to and from Turtle,
//! N-Triples, JSON-LD (with the bundled DCAT-AP.de context) and RDF/XML (read only).
//!
//! The graph of a [`SelfDescription`](crate::model::SelfDescription) is DCAT-AP.de 3.0 as
//! GovData validates it: `dct:spatial` with the AGS IRI, licences from the DCAT-AP.de list,
//! themes, formats and frequencies from the EU authority lists with their `skos:inScheme`, the
//! publisher typed `foaf:Agent` with its ADMS publisher type, contact points with `mailto:`/`tel:`
//! IRIs. Sub-nodes (contact points, periods of time) are blank nodes with ids derived from their
//! owner, so the same model always gives the same bytes.
//!
//! ```
//! use vocab::{rdf, showcase};
//! let sd = showcase::stadtwerke("https://stadtwerke.example").unwrap();
//! let graph = sd.to_graph().unwrap();
//! let turtle = rdf::to_turtle(&graph).unwrap();
//! let back = rdf::parse(turtle.as_bytes(), rdf::Syntax::Turtle, None).unwrap();
//! assert!(rdf::isomorphic(&graph, &back));
//! assert_eq!(vocab::model::SelfDescription::from_graph(&back).unwrap(), sd.normalized());
//! ```

pub(crate) mod access;
mod jsonld;
mod read;
mod write;

pub use access::NodeView;
pub use jsonld::{ContextMode, to_jsonld};

use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::graph::CanonicalizationAlgorithm;
use oxigraph::model::{Graph, Triple, TripleRef};

use crate::context;
use crate::error::{Error, Result};

/// The largest RDF document [`parse`] accepts (16 MiB).
pub const MAX_RDF_BYTES: usize = 16 * 1024 * 1024;

/// An RDF syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Syntax {
    /// Turtle (`text/turtle`).
    Turtle,
    /// N-Triples (`application/n-triples`).
    NTriples,
    /// JSON-LD (`application/ld+json`); remote contexts only from the bundled ones.
    JsonLd,
    /// RDF/XML (`application/rdf+xml`), read only (catalogue import).
    RdfXml,
}

impl Syntax {
    /// The syntax's name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Turtle => "Turtle",
            Syntax::NTriples => "N-Triples",
            Syntax::JsonLd => "JSON-LD",
            Syntax::RdfXml => "RDF/XML",
        }
    }

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Syntax::Turtle => "text/turtle",
            Syntax::NTriples => "application/n-triples",
            Syntax::JsonLd => "application/ld+json",
            Syntax::RdfXml => "application/rdf+xml",
        }
    }

    /// The syntax of a media type (parameters such as `; charset=utf-8` are ignored).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type.split(';').next().unwrap_or_default().trim() {
            "text/turtle" => Some(Syntax::Turtle),
            "application/n-triples" => Some(Syntax::NTriples),
            "application/ld+json" | "application/json" => Some(Syntax::JsonLd),
            "application/rdf+xml" => Some(Syntax::RdfXml),
            _ => None,
        }
    }
}

/// Parses RDF text into a graph. JSON-LD is read with the bundled contexts only (see
/// [`crate::context`]); named graphs are refused; errors carry the parser's line and column.
pub fn parse(bytes: &[u8], syntax: Syntax, base: Option<&str>) -> Result<Graph> {
    if bytes.len() > MAX_RDF_BYTES {
        return Err(Error::TooLarge {
            what: "RDF document",
            size: bytes.len(),
            limit: MAX_RDF_BYTES,
        });
    }
    let format = match syntax {
        Syntax::JsonLd => return context::parse_jsonld(bytes, base),
        Syntax::Turtle => RdfFormat::Turtle,
        Syntax::NTriples => RdfFormat::NTriples,
        Syntax::RdfXml => RdfFormat::RdfXml,
    };
    let mut parser = RdfParser::from_format(format).without_named_graphs();
    if let Some(base) = base {
        parser = parser.with_base_iri(base).map_err(|e| Error::Parse {
            format: syntax.name(),
            message: format!("base IRI {base:?}: {e}"),
        })?;
    }
    let mut graph = Graph::new();
    for quad in parser.for_slice(bytes) {
        let q = quad.map_err(|e| Error::Parse {
            format: syntax.name(),
            message: e.to_string(),
        })?;
        graph.insert(TripleRef::new(&q.subject, &q.predicate, &q.object));
    }
    Ok(graph)
}

/// The triples of a graph in a fixed order (subject, predicate, object as N-Triples text), so
/// serializations are deterministic.
fn sorted_triples(graph: &Graph) -> Vec<Triple> {
    let mut triples: Vec<Triple> = graph.iter().map(TripleRef::into_owned).collect();
    triples.sort_by_cached_key(|t| {
        (
            t.subject.to_string(),
            t.predicate.to_string(),
            t.object.to_string(),
        )
    });
    triples
}

fn serialize(graph: &Graph, format: RdfFormat, name: &'static str) -> Result<String> {
    let mut serializer = RdfSerializer::from_format(format);
    if format == RdfFormat::Turtle {
        for (prefix, iri) in context::dcat_ap_de_prefixes() {
            serializer = serializer
                .with_prefix(prefix, iri)
                .map_err(|e| Error::Serialize {
                    format: name,
                    message: e.to_string(),
                })?;
        }
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in sorted_triples(graph) {
        writer.serialize_triple(&t).map_err(|e| Error::Serialize {
            format: name,
            message: e.to_string(),
        })?;
    }
    let bytes = writer.finish().map_err(|e| Error::Serialize {
        format: name,
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| Error::Serialize {
        format: name,
        message: e.to_string(),
    })
}

/// Serializes a graph as Turtle with the DCAT-AP.de prefixes; the same graph always gives the
/// same text.
pub fn to_turtle(graph: &Graph) -> Result<String> {
    serialize(graph, RdfFormat::Turtle, "Turtle")
}

/// Serializes a graph as N-Triples, one triple per line, sorted.
pub fn to_ntriples(graph: &Graph) -> Result<String> {
    serialize(graph, RdfFormat::NTriples, "N-Triples")
}

/// Serializes a graph in `syntax` (JSON-LD with the DCAT-AP.de context embedded).
pub fn serialize_as(graph: &Graph, syntax: Syntax) -> Result<String> {
    match syntax {
        Syntax::Turtle => to_turtle(graph),
        Syntax::NTriples => to_ntriples(graph),
        Syntax::JsonLd => to_jsonld(graph, ContextMode::Embedded),
        Syntax::RdfXml => serialize(graph, RdfFormat::RdfXml, "RDF/XML"),
    }
}

/// Whether two graphs are isomorphic: equal up to the naming of blank nodes.
pub fn isomorphic(a: &Graph, b: &Graph) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut a = a.clone();
    let mut b = b.clone();
    a.canonicalize(CanonicalizationAlgorithm::Unstable);
    b.canonicalize(CanonicalizationAlgorithm::Unstable);
    a == b
}

#[cfg(test)]
mod tests;
