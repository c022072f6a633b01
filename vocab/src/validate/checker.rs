//! The checker's machinery: targets by class, cardinalities, classes of values, controlled
//! vocabularies, dates. The rules themselves are in `rules.rs`.

use oxigraph::model::{
    Graph, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, TermRef, TripleRef,
};
use std::collections::BTreeSet;

use super::Violation;
use crate::ns::{rdf, skos, xsd};

pub(super) struct Checker<'a> {
    graph: &'a Graph,
    out: Vec<Violation>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(graph: &'a Graph) -> Self {
        Self {
            graph,
            out: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Vec<Violation> {
        self.out
    }

    pub(super) fn report(
        &mut self,
        rule: &'static str,
        node: NamedOrBlankNodeRef<'_>,
        property: NamedNodeRef<'_>,
        message: impl Into<String>,
    ) {
        self.out.push(Violation {
            rule,
            node: node.to_string(),
            property: property.to_string(),
            message: message.into(),
        });
    }

    pub(super) fn of_class(&self, classes: &[NamedNodeRef<'_>]) -> Vec<NamedOrBlankNode> {
        let mut seen = BTreeSet::new();
        classes
            .iter()
            .flat_map(|c| self.graph.subjects_for_predicate_object(rdf::TYPE, *c))
            .filter(|n| seen.insert(n.to_string()))
            .map(|n| n.into_owned())
            .collect()
    }

    pub(super) fn values(
        &self,
        node: NamedOrBlankNodeRef<'_>,
        p: NamedNodeRef<'_>,
    ) -> Vec<TermRef<'a>> {
        self.graph.objects_for_subject_predicate(node, p).collect()
    }

    pub(super) fn has_type(&self, node: TermRef<'_>, classes: &[NamedNodeRef<'_>]) -> bool {
        let subject = match node {
            TermRef::NamedNode(n) => NamedOrBlankNodeRef::from(n),
            TermRef::BlankNode(b) => NamedOrBlankNodeRef::from(b),
            _ => return false,
        };
        classes
            .iter()
            .any(|c| self.graph.contains(TripleRef::new(subject, rdf::TYPE, *c)))
    }

    pub(super) fn in_scheme(&self, concept: &str, scheme: &str) -> bool {
        match (NamedNodeRef::new(concept), NamedNodeRef::new(scheme)) {
            (Ok(c), Ok(s)) => self.graph.contains(TripleRef::new(c, skos::IN_SCHEME, s)),
            _ => false,
        }
    }

    /// At least `min` values (0 for none), at most `max` (None for unbounded); with `literal`
    /// the values must be literals, otherwise IRIs or blank nodes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn cardinality(
        &mut self,
        rule: &'static str,
        node: NamedOrBlankNodeRef<'_>,
        p: NamedNodeRef<'_>,
        what: &str,
        min: usize,
        max: Option<usize>,
        literal: bool,
    ) -> Vec<TermRef<'a>> {
        let values = self.values(node, p);
        if values.len() < min {
            self.report(rule, node, p, format!("{what} is missing; it is mandatory"));
        }
        if let Some(max) = max
            && values.len() > max
        {
            self.report(
                rule,
                node,
                p,
                format!(
                    "{what} occurs {} times; at most {max} allowed",
                    values.len()
                ),
            );
        }
        for v in &values {
            let is_literal = matches!(v, TermRef::Literal(_));
            if literal && !is_literal {
                self.report(
                    rule,
                    node,
                    p,
                    format!("{what} must be a text (literal), found {v}"),
                );
            } else if !literal && is_literal {
                self.report(
                    rule,
                    node,
                    p,
                    format!("{what} must be an IRI, found the text {v}"),
                );
            }
        }
        values
    }

    pub(super) fn class_of_values(
        &mut self,
        rule: &'static str,
        node: NamedOrBlankNodeRef<'_>,
        p: NamedNodeRef<'_>,
        values: &[TermRef<'a>],
        classes: &[NamedNodeRef<'_>],
        class_name: &str,
    ) {
        for v in values {
            if !matches!(v, TermRef::Literal(_)) && !self.has_type(*v, classes) {
                self.report(
                    rule,
                    node,
                    p,
                    format!("{v} must be described in the graph as a {class_name}"),
                );
            }
        }
    }

    /// Each IRI value must be in a controlled list (`known`) and carry `skos:inScheme scheme`.
    pub(super) fn vocabulary(
        &mut self,
        rule: &'static str,
        node: NamedOrBlankNodeRef<'_>,
        p: NamedNodeRef<'_>,
        values: &[TermRef<'a>],
        (scheme, list): (&str, &str),
        known: impl Fn(&str) -> bool,
    ) {
        for v in values {
            let TermRef::NamedNode(n) = v else { continue };
            if !known(n.as_str()) {
                self.report(
                    rule,
                    node,
                    p,
                    format!("{v} is not in the {list} ({scheme})"),
                );
            } else if !self.in_scheme(n.as_str(), scheme) {
                self.report(rule, node, p, format!("{v} lacks `skos:inScheme <{scheme}>`: validators cannot see it belongs to the {list}"));
            }
        }
    }

    pub(super) fn dates(
        &mut self,
        rule: &'static str,
        node: NamedOrBlankNodeRef<'_>,
        p: NamedNodeRef<'_>,
        values: &[TermRef<'a>],
    ) {
        for v in values {
            if let TermRef::Literal(l) = v {
                let ok = if l.datatype() == xsd::G_YEAR {
                    l.value().len() == 4 && l.value().chars().all(|c| c.is_ascii_digit())
                } else {
                    [xsd::DATE, xsd::DATE_TIME, xsd::DATE_TIME_STAMP].contains(&l.datatype())
                        && crate::rdf::access::parse_date(*l).is_some()
                };
                if !ok {
                    self.report(
                        rule,
                        node,
                        p,
                        format!("{v} is not a date (xsd:date, xsd:dateTime or xsd:gYear)"),
                    );
                }
            }
        }
    }
}
