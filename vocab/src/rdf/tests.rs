//! Round trips and read errors.

use super::*;
use crate::model::{Dataset, SelfDescription};
use crate::ns::{dcat, dct};
use crate::showcase;
use oxigraph::model::{Literal, NamedNodeRef, Triple};

fn showcases() -> Vec<SelfDescription> {
    vec![
        showcase::musterstadt("https://musterstadt.example").unwrap(),
        showcase::stadtwerke("https://stadtwerke.example:8443/konnektor").unwrap(),
    ]
}

fn round_trip(sd: &SelfDescription) {
    let graph = sd.to_graph().unwrap();
    for syntax in [Syntax::Turtle, Syntax::NTriples, Syntax::JsonLd] {
        let text = serialize_as(&graph, syntax).unwrap();
        let back = parse(text.as_bytes(), syntax, None)
            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", syntax.name()));
        assert!(
            isomorphic(&graph, &back),
            "{} round trip changed the graph",
            syntax.name()
        );
        let model = SelfDescription::from_graph(&back).unwrap();
        assert_eq!(model, sd.clone().normalized(), "{}", syntax.name());
    }
    let referenced = to_jsonld(&graph, ContextMode::Referenced).unwrap();
    assert!(referenced.starts_with(
        r#"{"@context":"https://w3id.org/gemeinwohl-datenraum/contexts/dcat-ap-de-3.jsonld""#
    ));
    let back = parse(referenced.as_bytes(), Syntax::JsonLd, None).unwrap();
    assert!(isomorphic(&graph, &back));
}

#[test]
fn showcase_round_trips_in_every_syntax() {
    for sd in showcases() {
        round_trip(&sd);
    }
}

#[test]
fn generated_self_descriptions_round_trip() {
    let sds = showcase::generate_self_descriptions(120, 42);
    assert!(sds.len() >= 4);
    for sd in &sds {
        round_trip(sd);
    }
}

#[test]
fn dataset_alone_round_trips() {
    for d in showcase::generate_datasets(60, 3) {
        let g = d.to_graph().unwrap();
        assert_eq!(
            Dataset::from_graph(&g, &d.id).unwrap(),
            d.clone().normalized()
        );
    }
}

#[test]
fn serialization_is_deterministic() {
    let a = to_turtle(&showcases()[1].to_graph().unwrap()).unwrap();
    let b = to_turtle(&showcases()[1].to_graph().unwrap()).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("@prefix dcat: <http://www.w3.org/ns/dcat#> ."));
    assert!(a.contains("<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000>"));
}

#[test]
fn isomorphism_sees_changes() {
    let g = showcases()[1].to_graph().unwrap();
    let mut h = g.clone();
    assert!(isomorphic(&g, &h));
    let ds = NamedNodeRef::new(
        "https://stadtwerke.example:8443/konnektor/datasets/stromverbrauch-baublock-2024",
    )
    .unwrap();
    h.insert(&Triple::new(
        ds,
        dcat::KEYWORD,
        Literal::new_simple_literal("extra"),
    ));
    assert!(!isomorphic(&g, &h));
}

fn without(graph: &Graph, node: &str, property: NamedNodeRef<'_>) -> Graph {
    let mut g = Graph::new();
    for t in graph.iter() {
        let drop = t.predicate == property
            && matches!(t.subject, oxigraph::model::NamedOrBlankNodeRef::NamedNode(n) if n.as_str() == node);
        if !drop {
            g.insert(t);
        }
    }
    g
}

#[test]
fn read_errors_name_node_and_property() {
    let sd = showcases()[1].clone();
    let graph = sd.to_graph().unwrap();
    let ds = &sd.datasets[0].id;
    let err = SelfDescription::from_graph(&without(&graph, ds, dct::TITLE))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(ds)
            && err.contains("http://purl.org/dc/terms/title")
            && err.contains("missing"),
        "{err}"
    );

    let dist = &sd.datasets[0].distributions[0].id;
    let err = SelfDescription::from_graph(&without(&graph, dist, dct::LICENSE))
        .unwrap_err()
        .to_string();
    assert!(err.contains(dist) && err.contains("license"), "{err}");

    let err = SelfDescription::from_graph(&without(&graph, &sd.catalog_id, dcat::SERVICE))
        .unwrap_err()
        .to_string();
    assert!(err.contains("service"), "{err}");

    let mut two = graph.clone();
    for t in showcases()[0].to_graph().unwrap().iter() {
        two.insert(t);
    }
    let err = SelfDescription::from_graph(&two).unwrap_err().to_string();
    assert!(err.contains("exactly one"), "{err}");

    let mut bad_licence = without(&graph, dist, dct::LICENSE);
    bad_licence.insert(&Triple::new(
        NamedNodeRef::new(dist).unwrap(),
        dct::LICENSE,
        NamedNodeRef::new("https://creativecommons.org/licenses/by/4.0/").unwrap(),
    ));
    let err = SelfDescription::from_graph(&bad_licence)
        .unwrap_err()
        .to_string();
    assert!(err.contains("DCAT-AP.de licence"), "{err}");

    assert!(SelfDescription::from_graph(&Graph::new()).is_err());
}

#[test]
fn parse_errors_carry_positions_and_limits() {
    let err = parse(
        b"<a> <b> .\n<c> <d> <e> .",
        Syntax::Turtle,
        Some("https://x.example/"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("Turtle") && err.contains("1"), "{err}");
    let err = parse(
        b"<https://a.example/s> <https://a.example/p> \"x\" .\nnot a triple",
        Syntax::NTriples,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("N-Triples") && err.contains('2'), "{err}");
    assert!(matches!(
        parse(&vec![b' '; MAX_RDF_BYTES + 1], Syntax::Turtle, None),
        Err(Error::TooLarge { .. })
    ));
    assert!(parse(b"<r:RDF", Syntax::RdfXml, None).is_err());
    assert_eq!(
        Syntax::from_media_type("text/turtle; charset=utf-8"),
        Some(Syntax::Turtle)
    );
}
