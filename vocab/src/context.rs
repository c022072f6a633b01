//! The JSON-LD contexts bundled in the crate, and a document loader that serves only them.
//!
//! Three contexts are compiled in: the DSP 2025-1 context, its ODRL profile (both unmodified
//! copies of the standard files, see `contexts/PROVENANCE.md`) and the DCAT-AP.de 3.0 context
//! written for the self-descriptions. [`load`] maps a URL to its bundled text; any other URL is
//! [`Error::UnknownContext`] naming it. Nothing is ever fetched.
//!
//! ```
//! use vocab::context;
//! let doc = br#"{
//!   "@context": "https://w3id.org/gemeinwohl-datenraum/contexts/dcat-ap-de-3.jsonld",
//!   "@id": "https://a.example/ds/1", "@type": "Dataset",
//!   "title": { "de": "Baumkataster" }
//! }"#;
//! let graph = context::parse_jsonld(doc, None).unwrap();
//! assert_eq!(graph.len(), 2);
//!
//! let remote = br#"{ "@context": "https://example.org/ctx.jsonld", "@id": "urn:x:1" }"#;
//! let err = context::parse_jsonld(remote, None).unwrap_err();
//! assert!(err.to_string().contains("https://example.org/ctx.jsonld"));
//! ```

use std::sync::{Arc, Mutex};

use oxigraph::io::{JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use oxigraph::model::{Graph, TripleRef};

use crate::error::{Error, Result};

/// URL of the DSP 2025-1 context.
pub const DSP_CONTEXT_URL: &str = "https://w3id.org/dspace/2025/1/context.jsonld";
/// URL of the DSP 2025-1 ODRL profile context (imported by the DSP context).
pub const DSP_ODRL_PROFILE_URL: &str = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld";
/// URL of the DCAT-AP.de 3.0 context of the self-descriptions.
pub const DCAT_AP_DE_CONTEXT_URL: &str =
    "https://w3id.org/gemeinwohl-datenraum/contexts/dcat-ap-de-3.jsonld";

/// The DSP 2025-1 context document.
pub const DSP_CONTEXT: &str = include_str!("../contexts/dspace-2025-1-context.jsonld");
/// The DSP 2025-1 ODRL profile context document.
pub const DSP_ODRL_PROFILE: &str = include_str!("../contexts/dspace-2025-1-odrl-profile.jsonld");
/// The DCAT-AP.de 3.0 context document.
pub const DCAT_AP_DE_CONTEXT: &str = include_str!("../contexts/dcat-ap-de-3.jsonld");

/// The largest JSON-LD document [`parse_jsonld`] accepts.
pub const MAX_JSONLD_BYTES: usize = 16 * 1024 * 1024;

/// Every bundled context: URL and document.
pub const BUNDLED: [(&str, &str); 3] = [
    (DSP_CONTEXT_URL, DSP_CONTEXT),
    (DSP_ODRL_PROFILE_URL, DSP_ODRL_PROFILE),
    (DCAT_AP_DE_CONTEXT_URL, DCAT_AP_DE_CONTEXT),
];

/// The bundled document for `url`, or [`Error::UnknownContext`].
pub fn load(url: &str) -> Result<&'static str> {
    BUNDLED
        .iter()
        .find(|(u, _)| *u == url)
        .map(|(_, doc)| *doc)
        .ok_or_else(|| Error::UnknownContext(url.to_owned()))
}

/// The prefixes of the DCAT-AP.de context (`dcat` → `http://www.w3.org/ns/dcat#`, …), in the
/// order the context declares them.
pub fn dcat_ap_de_prefixes() -> Vec<(String, String)> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(DCAT_AP_DE_CONTEXT) else {
        return Vec::new();
    };
    value["@context"]
        .as_object()
        .map(|ctx| {
            ctx.iter()
                .filter_map(|(k, v)| {
                    let iri = v.as_str()?;
                    (iri.ends_with(['#', '/']) && !k.starts_with('@'))
                        .then(|| (k.clone(), iri.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `@context` object of the DCAT-AP.de context, to embed it in a document.
pub fn dcat_ap_de_context_object() -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(DCAT_AP_DE_CONTEXT)
        .map(|mut v| v["@context"].take())
        .unwrap_or(serde_json::Value::Null)
}

/// Parses a JSON-LD document into a graph; remote contexts come from the bundled documents
/// only. `base` resolves relative IRIs. Named graphs are refused (self-descriptions and DSP
/// messages have none).
pub fn parse_jsonld(document: &[u8], base: Option<&str>) -> Result<Graph> {
    if document.len() > MAX_JSONLD_BYTES {
        return Err(Error::TooLarge {
            what: "JSON-LD document",
            size: document.len(),
            limit: MAX_JSONLD_BYTES,
        });
    }
    let unknown: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&unknown);
    let mut parser = RdfParser::from_format(RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    })
    .without_named_graphs();
    if let Some(base) = base {
        parser = parser.with_base_iri(base).map_err(|e| Error::Parse {
            format: "JSON-LD",
            message: format!("base IRI {base:?}: {e}"),
        })?;
    }
    let quads = parser
        .for_slice(document)
        .with_document_loader(move |url| match load(url) {
            Ok(doc) => Ok(LoadedDocument {
                url: url.to_owned(),
                content: doc.as_bytes().to_vec(),
                format: RdfFormat::JsonLd {
                    profile: JsonLdProfileSet::empty(),
                },
            }),
            Err(e) => {
                if let Ok(mut slot) = seen.lock() {
                    slot.get_or_insert_with(|| url.to_owned());
                }
                Err(Box::new(e))
            }
        });
    let mut graph = Graph::new();
    for quad in quads {
        match quad {
            Ok(q) => {
                graph.insert(TripleRef::new(&q.subject, &q.predicate, &q.object));
            }
            Err(e) => {
                if let Some(url) = unknown.lock().ok().and_then(|s| s.clone()) {
                    return Err(Error::UnknownContext(url));
                }
                return Err(Error::Parse {
                    format: "JSON-LD",
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ns::{dcat, odrl, rdf};
    use oxigraph::model::{NamedNodeRef, TermRef};

    const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs/dsp-2025-1");

    #[test]
    fn bundled_dsp_contexts_equal_the_spec_files() {
        let context = std::fs::read_to_string(format!("{SPEC}/context/dspace.jsonld")).unwrap();
        let profile = std::fs::read_to_string(format!("{SPEC}/context/odrl.jsonld")).unwrap();
        assert!(
            context == DSP_CONTEXT,
            "contexts/dspace-2025-1-context.jsonld differs"
        );
        assert!(
            profile == DSP_ODRL_PROFILE,
            "contexts/dspace-2025-1-odrl-profile.jsonld differs"
        );
    }

    #[test]
    fn unknown_context_is_named() {
        assert!(
            matches!(load("https://schema.org/"), Err(Error::UnknownContext(u)) if u == "https://schema.org/")
        );
        let doc = br#"{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld", "https://example.org/other.jsonld"], "@id": "urn:a"}"#;
        match parse_jsonld(doc, None) {
            Err(Error::UnknownContext(u)) => assert_eq!(u, "https://example.org/other.jsonld"),
            other => panic!("expected UnknownContext, got {other:?}"),
        }
        assert!(matches!(
            parse_jsonld(b"{ not json", None),
            Err(Error::Parse { .. })
        ));
    }

    /// Every example message of the DSP 2025-1 catalog and negotiation folders parses with the
    /// bundled context (which `@import`s the ODRL profile) and gives the expected message type.
    #[test]
    fn dsp_examples_parse_with_bundled_context() {
        let mut parsed = 0;
        for folder in ["catalog", "negotiation", "transfer"] {
            let dir = format!("{SPEC}/{folder}/example");
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let graph = parse_jsonld(&bytes, Some("https://provider.example/"))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let t = json["@type"].as_str().unwrap_or_default();
                let typed = graph.iter().any(|tr| {
                    tr.predicate == rdf::TYPE
                        && matches!(tr.object, TermRef::NamedNode(n) if n.as_str().ends_with(&format!("/{t}")) || n.as_str().ends_with(&format!("#{t}")))
                });
                assert!(typed, "{}: no rdf:type for {t:?}", path.display());
                parsed += 1;
            }
        }
        assert!(parsed >= 15, "only {parsed} examples");
    }

    #[test]
    fn catalog_example_has_dcat_and_odrl_terms() {
        let bytes = std::fs::read(format!("{SPEC}/catalog/example/catalog.json")).unwrap();
        let graph = parse_jsonld(&bytes, Some("https://provider.example/")).unwrap();
        let has = |p: NamedNodeRef<'_>| graph.iter().any(|t| t.predicate == p);
        assert!(has(dcat::DATASET_PROP));
        assert!(has(odrl::HAS_POLICY));
        assert!(
            graph
                .iter()
                .any(|t| t.object == TermRef::NamedNode(dcat::CATALOG))
        );
    }

    #[test]
    fn dcat_context_prefixes() {
        let p = dcat_ap_de_prefixes();
        assert!(p.iter().any(|(k, v)| k == "dcat" && v == dcat::NAMESPACE));
        assert!(
            p.iter()
                .any(|(k, v)| k == "gwd" && v == crate::ns::gwd::NAMESPACE)
        );
        assert!(dcat_ap_de_context_object().is_object());
        assert!(parse_jsonld(&vec![b' '; MAX_JSONLD_BYTES + 1], None).is_err());
    }
}
