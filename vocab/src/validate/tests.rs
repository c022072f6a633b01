//! One broken input per rule, and the showcase and generated self-descriptions passing.

use oxigraph::model::{Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};

use super::*;
use crate::model::SelfDescription;
use crate::ns::{dcat, dct, foaf, gwd, skos, vcard};
use crate::showcase;

struct Fixture {
    graph: Graph,
    sd: SelfDescription,
}

impl Fixture {
    fn new() -> Self {
        let sd = showcase::stadtwerke("https://stadtwerke.example").unwrap();
        Self {
            graph: sd.to_graph().unwrap(),
            sd,
        }
    }
    fn catalog(&self) -> NamedOrBlankNode {
        NamedNode::new(&self.sd.catalog_id).unwrap().into()
    }
    fn dataset(&self) -> NamedOrBlankNode {
        NamedNode::new(&self.sd.datasets[0].id).unwrap().into()
    }
    fn distribution(&self) -> NamedOrBlankNode {
        NamedNode::new(&self.sd.datasets[0].distributions[0].id)
            .unwrap()
            .into()
    }
    fn service(&self) -> NamedOrBlankNode {
        NamedNode::new(&self.sd.service.id).unwrap().into()
    }
    fn participant(&self) -> NamedOrBlankNode {
        NamedNode::new(&self.sd.participant.did).unwrap().into()
    }
    fn object(&self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>) -> NamedOrBlankNode {
        match self
            .graph
            .object_for_subject_predicate(s, p)
            .unwrap()
            .into_owned()
        {
            Term::NamedNode(n) => n.into(),
            Term::BlankNode(b) => b.into(),
            other => panic!("literal {other}"),
        }
    }
    fn remove(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>) {
        let gone: Vec<Triple> = self
            .graph
            .triples_for_subject(s)
            .filter(|t| t.predicate == p)
            .map(|t| t.into_owned())
            .collect();
        assert!(!gone.is_empty(), "nothing to remove: {s} {p}");
        for t in gone {
            self.graph.remove(&t);
        }
    }
    fn add(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.graph.insert(&Triple::new(s.clone(), p, o));
    }
}

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap()
}

/// Applies `mutate` to the valid showcase graph and expects exactly the rule `rule` to fire,
/// on `node`.
fn expect(rule: &str, mutate: impl FnOnce(&mut Fixture) -> NamedOrBlankNode) {
    let mut f = Fixture::new();
    let node = mutate(&mut f);
    let report = check(&f.graph);
    assert!(!report.is_valid(), "{rule}: nothing reported");
    let rules: Vec<&str> = report.violations.iter().map(|v| v.rule).collect();
    assert!(
        rules.iter().all(|r| *r == rule),
        "{rule}: other rules fired too: {report}"
    );
    let v = &report.violations[0];
    assert_eq!(v.node, node.to_string(), "{rule}: {report}");
    assert!(
        !v.message.is_empty() && v.property.starts_with('<'),
        "{rule}: {v}"
    );
}

#[test]
fn showcase_and_generated_self_descriptions_are_valid() {
    for sd in [
        showcase::musterstadt("https://musterstadt.example").unwrap(),
        showcase::stadtwerke("https://stadtwerke.example").unwrap(),
    ]
    .into_iter()
    .chain(showcase::generate_self_descriptions(300, 9))
    {
        let report = check(&sd.to_graph().unwrap());
        assert!(report.is_valid(), "{}: {report}", sd.catalog_id);
    }
}

#[test]
fn catalog_rules() {
    expect("catalog-title", |f| {
        let c = f.catalog();
        f.remove(&c, dct::TITLE);
        c
    });
    expect("catalog-description", |f| {
        let c = f.catalog();
        f.remove(&c, dct::DESCRIPTION);
        c
    });
    expect("catalog-publisher", |f| {
        let c = f.catalog();
        f.remove(&c, dct::PUBLISHER);
        c
    });
    expect("catalog-dataset", |f| {
        let c = f.catalog();
        f.add(&c, dcat::DATASET_PROP, iri("https://x.example/untyped"));
        c
    });
    expect("catalog-service", |f| {
        let c = f.catalog();
        f.add(&c, dcat::SERVICE, iri("https://x.example/untyped"));
        c
    });
    expect("catalog-language", |f| {
        let c = f.catalog();
        f.add(
            &c,
            dct::LANGUAGE,
            iri("http://publications.europa.eu/resource/authority/language/FRA"),
        );
        c
    });
    expect("catalog-dates", |f| {
        let c = f.catalog();
        f.add(&c, dct::MODIFIED, Literal::new_simple_literal("2020-01-01"));
        c
    });
}

#[test]
fn dataset_rules() {
    expect("dataset-title", |f| {
        let d = f.dataset();
        f.remove(&d, dct::TITLE);
        d
    });
    expect("dataset-description", |f| {
        let d = f.dataset();
        f.remove(&d, dct::DESCRIPTION);
        d
    });
    expect("dataset-publisher", |f| {
        let d = f.dataset();
        let m = iri(&showcase::musterstadt("https://m.example")
            .unwrap()
            .participant
            .did);
        f.add(&d, dct::PUBLISHER, m);
        d
    });
    expect("dataset-distribution", |f| {
        let d = f.dataset();
        f.add(
            &d,
            dcat::DISTRIBUTION_PROP,
            Literal::new_simple_literal("CSV-Datei"),
        );
        d
    });
    expect("dataset-contact-point", |f| {
        let d = f.dataset();
        f.remove(&d, dcat::CONTACT_POINT);
        f.add(&d, dcat::CONTACT_POINT, iri("https://x.example/nobody"));
        d
    });
    expect("dataset-keyword", |f| {
        let d = f.dataset();
        f.add(&d, dcat::KEYWORD, iri("https://x.example/keyword"));
        d
    });
    expect("dataset-theme", |f| {
        let d = f.dataset();
        f.add(
            &d,
            dcat::THEME,
            iri("http://publications.europa.eu/resource/authority/data-theme/XXXX"),
        );
        d
    });
    expect("dataset-frequency", |f| {
        let d = f.dataset();
        let freq = iri("http://publications.europa.eu/resource/authority/frequency/ANNUAL");
        f.remove(&freq.clone().into(), skos::IN_SCHEME);
        d
    });
    expect("dataset-spatial", |f| {
        let d = f.dataset();
        f.add(
            &d,
            dct::SPATIAL,
            iri("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/99999999"),
        );
        d
    });
    expect("dataset-spatial", |f| {
        let d = f.dataset();
        f.add(
            &d,
            crate::ns::dcatde::POLITICAL_GEOCODING_URI,
            iri("http://dcat-ap.de/def/politicalGeocoding/stateKey/09"),
        );
        d
    });
    expect("dataset-temporal", |f| {
        let d = f.dataset();
        f.remove(&d, dct::TEMPORAL);
        f.add(&d, dct::TEMPORAL, iri("https://x.example/when"));
        d
    });
    expect("dataset-dates", |f| {
        let d = f.dataset();
        f.remove(&d, dct::ISSUED);
        f.add(&d, dct::ISSUED, Literal::new_simple_literal("gestern"));
        d
    });
    expect("dataset-contributor-id", |f| {
        let d = f.dataset();
        f.remove(&d, crate::ns::dcatde::CONTRIBUTOR_ID);
        f.add(
            &d,
            crate::ns::dcatde::CONTRIBUTOR_ID,
            Literal::new_simple_literal("stadtwerke"),
        );
        d
    });
    expect("dataset-language", |f| {
        let d = f.dataset();
        f.add(
            &d,
            dct::LANGUAGE,
            iri("http://id.loc.gov/vocabulary/iso639-1/de"),
        );
        d
    });
    expect("dataset-identifier", |f| {
        let d = f.dataset();
        f.add(&d, dct::IDENTIFIER, iri("https://x.example/id"));
        d
    });
}

#[test]
fn distribution_rules() {
    expect("distribution-access-url", |f| {
        let x = f.distribution();
        f.remove(&x, dcat::ACCESS_URL);
        x
    });
    expect("distribution-license", |f| {
        let x = f.distribution();
        f.remove(&x, dct::LICENSE);
        x
    });
    expect("distribution-license", |f| {
        let x = f.distribution();
        f.remove(&x, dct::LICENSE);
        f.add(
            &x,
            dct::LICENSE,
            iri("https://creativecommons.org/licenses/by/4.0/"),
        );
        x
    });
    expect("distribution-format", |f| {
        let x = f.distribution();
        f.remove(&x, dct::FORMAT);
        f.add(
            &x,
            dct::FORMAT,
            iri("http://publications.europa.eu/resource/authority/file-type/csv"),
        );
        x
    });
    expect("distribution-media-type", |f| {
        let x = f.distribution();
        f.remove(&x, dcat::MEDIA_TYPE);
        f.add(&x, dcat::MEDIA_TYPE, iri("https://example.org/csv"));
        x
    });
    expect("distribution-byte-size", |f| {
        let x = f.distribution();
        f.remove(&x, dcat::BYTE_SIZE);
        f.add(&x, dcat::BYTE_SIZE, Literal::new_simple_literal("12 kB"));
        x
    });
    expect("distribution-language", |f| {
        let x = f.distribution();
        f.add(
            &x,
            dct::LANGUAGE,
            iri("http://publications.europa.eu/resource/authority/language/GER"),
        );
        x
    });
    expect("distribution-dates", |f| {
        let x = f.distribution();
        f.add(&x, dct::MODIFIED, Literal::new_simple_literal("März 2024"));
        x
    });
}

#[test]
fn service_agent_contact_period_rules() {
    expect("service-title", |f| {
        let s = f.service();
        f.remove(&s, dct::TITLE);
        s
    });
    expect("service-endpoint-url", |f| {
        let s = f.service();
        f.remove(&s, dcat::ENDPOINT_URL);
        s
    });
    expect("service-publisher", |f| {
        let s = f.service();
        f.remove(&s, dct::PUBLISHER);
        s
    });
    expect("service-serves-dataset", |f| {
        let s = f.service();
        f.add(&s, dcat::SERVES_DATASET, iri("https://x.example/untyped"));
        s
    });
    expect("agent-name", |f| {
        let p = f.participant();
        f.remove(&p, foaf::NAME);
        p
    });
    expect("agent-type", |f| {
        let p = f.participant();
        f.remove(&p, dct::TYPE);
        f.add(&p, dct::TYPE, iri("http://example.org/type"));
        p
    });
    expect("contact-name", |f| {
        let p = f.participant();
        let c = f.object(&p, gwd::CONTACT_POINT);
        f.add(&c, vcard::FN, Literal::new_simple_literal("Zweiter Name"));
        c
    });
    expect("contact-reachable", |f| {
        let p = f.participant();
        let c = f.object(&p, gwd::CONTACT_POINT);
        f.remove(&c, vcard::HAS_EMAIL);
        f.remove(&c, vcard::HAS_TELEPHONE);
        c
    });
    expect("contact-reachable", |f| {
        let p = f.participant();
        let c = f.object(&p, gwd::CONTACT_POINT);
        f.remove(&c, vcard::HAS_EMAIL);
        f.remove(&c, vcard::HAS_TELEPHONE);
        f.add(
            &c,
            vcard::HAS_EMAIL,
            Literal::new_simple_literal("a@b.example"),
        );
        c
    });
    expect("period-bounds", |f| {
        let d = f.dataset();
        let p = f.object(&d, dct::TEMPORAL);
        f.remove(&p, dcat::START_DATE);
        f.remove(&p, dcat::END_DATE);
        p
    });
}

#[test]
fn real_catalogues_have_violations() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/specs/dcat-ap-de/testcases/rewritten-example-simple.ttl"
    );
    let g = crate::rdf::parse(
        &std::fs::read(path).unwrap(),
        crate::rdf::Syntax::Turtle,
        None,
    )
    .unwrap();
    let report = check(&g);
    // The official validator reports exactly these two for this file (see the README of
    // ../shared/specs): the dataset has no publisher; vcard:hasTelephone is a literal.
    let rules: std::collections::BTreeSet<&str> =
        report.violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains("dataset-publisher"), "{report}");
    assert!(rules.contains("contact-reachable"), "{report}");
    assert_eq!(report.violations.len(), 2, "{report}");
}
