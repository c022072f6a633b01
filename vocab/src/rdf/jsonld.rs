//! JSON-LD output with the DCAT-AP.de context: a flat `@graph` of node objects whose keys and
//! types are compact IRIs (`dct:title`, `dcat:Dataset`) under the context's prefixes.

use std::collections::BTreeMap;

use oxigraph::model::{Graph, NamedOrBlankNodeRef, TermRef};
use serde_json::{Map, Value, json};

use crate::context::{DCAT_AP_DE_CONTEXT_URL, dcat_ap_de_context_object, dcat_ap_de_prefixes};
use crate::error::{Error, Result};
use crate::ns::{rdf, xsd};

/// How the output refers to the DCAT-AP.de context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextMode {
    /// By URL (`"@context": "https://w3id.org/gemeinwohl-datenraum/contexts/…"`): compact; a
    /// reader needs the bundled context ([`crate::context`]) to understand it.
    Referenced,
    /// The context object itself, so any JSON-LD processor can read the document offline.
    Embedded,
}

fn compact(iri: &str, prefixes: &[(String, String)]) -> String {
    for (prefix, ns) in prefixes {
        if let Some(local) = iri.strip_prefix(ns.as_str()) {
            let simple = !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && !local.starts_with('.');
            if simple {
                return format!("{prefix}:{local}");
            }
        }
    }
    iri.to_owned()
}

fn node_id(node: NamedOrBlankNodeRef<'_>) -> String {
    match node {
        NamedOrBlankNodeRef::NamedNode(n) => n.as_str().to_owned(),
        NamedOrBlankNodeRef::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

fn value(term: TermRef<'_>, prefixes: &[(String, String)]) -> Value {
    match term {
        TermRef::NamedNode(n) => json!({ "@id": n.as_str() }),
        TermRef::BlankNode(b) => json!({ "@id": format!("_:{}", b.as_str()) }),
        TermRef::Literal(l) => {
            if let Some(lang) = l.language() {
                json!({ "@value": l.value(), "@language": lang })
            } else if l.datatype() == xsd::STRING {
                Value::String(l.value().to_owned())
            } else {
                json!({ "@value": l.value(), "@type": compact(l.datatype().as_str(), prefixes) })
            }
        }
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

/// Serializes a graph as JSON-LD with the DCAT-AP.de context; nodes sorted by `@id`, values
/// sorted, so the same graph gives the same text.
///
/// ```
/// use vocab::rdf::{self, ContextMode, Syntax};
/// let g = rdf::parse(
///     br#"<https://a.example/d> a <http://www.w3.org/ns/dcat#Dataset> ;
///         <http://purl.org/dc/terms/title> "Baeume"@de ."#, Syntax::Turtle, None).unwrap();
/// let json = rdf::to_jsonld(&g, ContextMode::Referenced).unwrap();
/// assert!(json.contains(r#""@type":["dcat:Dataset"]"#));
/// let back = rdf::parse(json.as_bytes(), Syntax::JsonLd, None).unwrap();
/// assert!(rdf::isomorphic(&g, &back));
/// ```
pub fn to_jsonld(graph: &Graph, mode: ContextMode) -> Result<String> {
    let prefixes = dcat_ap_de_prefixes();
    let mut nodes: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut types: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in graph.iter() {
        let id = node_id(t.subject);
        if t.predicate == rdf::TYPE
            && let TermRef::NamedNode(class) = t.object
        {
            types
                .entry(id.clone())
                .or_default()
                .push(compact(class.as_str(), &prefixes));
            nodes.entry(id).or_default();
            continue;
        }
        nodes
            .entry(id)
            .or_default()
            .entry(compact(t.predicate.as_str(), &prefixes))
            .or_default()
            .push(value(t.object, &prefixes));
    }
    let mut out = Vec::with_capacity(nodes.len());
    for (id, props) in nodes {
        let mut obj = Map::new();
        obj.insert("@id".into(), Value::String(id.clone()));
        if let Some(mut ts) = types.remove(&id) {
            ts.sort();
            obj.insert("@type".into(), Value::from(ts));
        }
        for (p, mut vs) in props {
            vs.sort_by_key(|v| v.to_string());
            obj.insert(p, Value::Array(vs));
        }
        out.push(Value::Object(obj));
    }
    let context = match mode {
        ContextMode::Referenced => Value::String(DCAT_AP_DE_CONTEXT_URL.into()),
        ContextMode::Embedded => dcat_ap_de_context_object(),
    };
    let doc = json!({ "@context": context, "@graph": out });
    serde_json::to_string(&doc).map_err(|e| Error::Serialize {
        format: "JSON-LD",
        message: e.to_string(),
    })
}
