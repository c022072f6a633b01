//! The four real catalogues, and synthetic broken inputs.

use super::*;

const CATALOGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/specs/dcat-ap-de/catalogs"
);

fn import(name: &str) -> ImportReport {
    let bytes = std::fs::read(format!("{CATALOGS}/{name}")).unwrap();
    let syntax = if name.ends_with(".ttl") {
        Syntax::Turtle
    } else {
        Syntax::RdfXml
    };
    import_catalog(&bytes, syntax, Some("https://harvest.example/")).unwrap()
}

/// Imports the four real dumps and prints the per-catalogue figures (run with
/// `-- --nocapture` to see them).
#[test]
fn real_catalogues_import_with_a_report_per_dataset() {
    let mut total = 0;
    for name in [
        "brandenburg-catalog-original-input.ttl",
        "bremen-catalog-original-input.rdf",
        "destatis-catalog-original-input.rdf",
        "rostock-catalog-original-input.rdf",
    ] {
        let report = import(name);
        println!("{name}: {} triples, {report}", report.triples);
        for p in report.examples() {
            println!("    e.g. [{}] {p}", p.kind);
        }
        assert!(!report.datasets.is_empty(), "{name}");
        assert_eq!(
            report.imported().count() + report.skipped().count(),
            report.datasets.len()
        );
        for d in &report.datasets {
            if let Some(ds) = &d.dataset {
                ds.check()
                    .unwrap_or_else(|e| panic!("{name} {}: {e}", d.node));
                ds.to_graph().unwrap();
            } else {
                assert!(
                    d.problems.iter().any(|p| p.impact == Impact::Skipped),
                    "{name} {}: skipped without reason",
                    d.node
                );
            }
            for p in &d.problems {
                assert!(!p.message.is_empty() && p.property.starts_with('<'), "{p}");
            }
        }
        total += report.datasets.len();
    }
    assert_eq!(total, 112 + 153 + 135 + 100);
}

#[test]
fn known_properties_of_the_real_catalogues() {
    let destatis = import("destatis-catalog-original-input.rdf");
    assert!(
        destatis
            .imported()
            .all(|d| d.license.id() == "dl-by-de/2.0")
    );
    assert!(destatis.imported().count() > 100);
    let rostock = import("rostock-catalog-original-input.rdf");
    // https://www.dcat-ap.de/def/licenses/… is read as the list entry
    assert!(rostock.imported().any(|d| d.license.id() == "cc-zero"));
    // the deprecated politicalGeocodingURI (regional key of Rostock) becomes dct:spatial
    assert!(
        rostock
            .imported()
            .any(|d| d.spatial.iter().any(|a| a.as_str() == "13003000")),
        "{rostock}"
    );
    assert!(
        rostock
            .problem_counts()
            .iter()
            .any(|(k, _)| *k == "political-geocoding-converted")
    );
    let brandenburg = import("brandenburg-catalog-original-input.ttl");
    let counts: std::collections::BTreeMap<_, _> =
        brandenburg.problem_counts().into_iter().collect();
    assert!(
        counts.get("licence-not-an-iri").copied().unwrap_or(0) > 0,
        "{brandenburg}"
    );
    assert!(
        counts.get("theme-not-eu").copied().unwrap_or(0) > 0,
        "{brandenburg}"
    );
    let bremen = import("bremen-catalog-original-input.rdf");
    let counts: std::collections::BTreeMap<_, _> = bremen.problem_counts().into_iter().collect();
    assert!(
        counts.get("licence-not-in-list").copied().unwrap_or(0) > 0,
        "{bremen}"
    );
    // Bremen names the city in a dct:Location (locn:adminUnitL2 <…/regionalKey/040110000000>)
    assert!(
        bremen
            .imported()
            .any(|d| d.spatial.iter().any(|a| a.as_str() == "04011000")),
        "{bremen}"
    );
}

#[test]
fn broken_inputs_are_reported_not_fatal() {
    let ttl = br#"
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
<https://k.example/d-nolicence> a dcat:Dataset ; dct:title "A" ; dct:description "a" ;
  dct:publisher <https://k.example/org> ;
  dcat:distribution <https://k.example/d-nolicence/x> .
<https://k.example/d-nolicence/x> a dcat:Distribution ; dcat:accessURL <https://k.example/x> .
<https://k.example/org> a foaf:Organization ; foaf:name "Amt K" .
<https://k.example/d-messy> a dcat:Dataset ; dct:title "B"@de, "B"@en ; dct:description "b" ;
  dct:publisher <https://k.example/org> ; dct:issued "soon" ;
  dcat:theme <https://k.example/theme/own> ;
  dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/regionalKey/091620000000> ;
  dct:spatial [ a dct:Location ] ;
  dcat:distribution <https://k.example/d-messy/1>, <https://k.example/d-messy/2> .
<https://k.example/d-messy/1> a dcat:Distribution ; dcat:downloadURL <https://k.example/1.csv> ;
  dct:format "csv" ; dct:license <http://dcat-ap.de/def/licenses/cc-by/4.0> .
<https://k.example/d-messy/2> a dcat:Distribution ; dcat:accessURL <https://k.example/2> ;
  dct:license <http://dcat-ap.de/def/licenses/dl-zero-de/2.0> .
"#;
    let report = import_catalog(ttl, Syntax::Turtle, None).unwrap();
    let by_node = |n: &str| {
        report
            .datasets
            .iter()
            .find(|d| d.node == format!("<{n}>"))
            .unwrap()
    };
    let nolicence = by_node("https://k.example/d-nolicence");
    assert!(nolicence.dataset.is_none());
    let kinds: Vec<_> = nolicence.problems.iter().map(|p| p.kind).collect();
    assert!(
        kinds.contains(&"licence-missing") && kinds.contains(&"no-usable-distribution"),
        "{kinds:?}"
    );

    let messy = by_node("https://k.example/d-messy");
    let d = messy.dataset.as_ref().expect("imported");
    let kinds: Vec<_> = messy.problems.iter().map(|p| p.kind).collect();
    for k in [
        "date-invalid",
        "theme-not-eu",
        "political-geocoding-converted",
        "spatial-not-ags",
        "access-url-missing",
        "format-as-text",
        "licence-differs",
    ] {
        assert!(kinds.contains(&k), "{k} missing in {kinds:?}");
    }
    assert_eq!(d.spatial[0].as_str(), "09162000");
    assert_eq!(d.distributions.len(), 1);
    assert_eq!(d.distributions[0].access_url, "https://k.example/1.csv");
    assert_eq!(d.distributions[0].format.as_ref().unwrap().code(), "CSV");
    assert_eq!(d.license.id(), "cc-by/4.0");
    assert_eq!(d.title.en.as_deref(), Some("B"));
    assert!(d.issued.is_none());

    let err = import_catalog(b"<a> <b> <c", Syntax::Turtle, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Turtle"), "{err}");
}
