//! The offered ODRL policies of a dataset, read from the same graph: the purposes they allow,
//! their key terms in German, the longest use, and the contract template they came from.

use std::collections::{BTreeSet, HashSet};

use oxigraph::model::{Graph, NamedOrBlankNodeRef, TermRef};
use vocab::ns::{dct, gwd, odrl, rdf, rdfs};

use super::summary::{TemplateRef, best_literal, nodes, reachable};

/// The IRIs a constraint's right operand names (a single IRI or an `rdf:List` of them).
fn operand_iris(graph: &Graph, constraint: NamedOrBlankNodeRef<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for object in graph.objects_for_subject_predicate(constraint, odrl::RIGHT_OPERAND) {
        match object {
            TermRef::NamedNode(n) => out.push(n.as_str().to_owned()),
            TermRef::BlankNode(b) => {
                let mut cell = NamedOrBlankNodeRef::BlankNode(b);
                for _ in 0..64 {
                    if let Some(TermRef::NamedNode(n)) =
                        graph.object_for_subject_predicate(cell, rdf::FIRST)
                    {
                        out.push(n.as_str().to_owned());
                    }
                    match graph.object_for_subject_predicate(cell, rdf::REST) {
                        Some(TermRef::BlankNode(next)) => cell = next.into(),
                        _ => break,
                    }
                }
            }
            TermRef::Literal(l) => out.push(l.value().to_owned()),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    out
}

pub(super) fn template_ref(graph: &Graph, dataset: NamedOrBlankNodeRef<'_>) -> Option<TemplateRef> {
    let policies: Vec<_> = nodes(graph, dataset, odrl::HAS_POLICY).collect();
    for subject in std::iter::once(dataset).chain(policies) {
        if let Some(object) = graph.object_for_subject_predicate(subject, gwd::TEMPLATE) {
            let (iri, title) = match object {
                TermRef::NamedNode(n) => {
                    let s: NamedOrBlankNodeRef<'_> = n.into();
                    let title = best_literal(graph, s, dct::TITLE)
                        .or_else(|| best_literal(graph, s, rdfs::LABEL));
                    (n.as_str().to_owned(), title)
                }
                TermRef::BlankNode(b) => {
                    let s: NamedOrBlankNodeRef<'_> = b.into();
                    let id = best_literal(graph, s, dct::IDENTIFIER).unwrap_or_default();
                    (id, best_literal(graph, s, dct::TITLE))
                }
                // The policy's own title names the template it was rendered from.
                TermRef::Literal(l) => (
                    l.value().to_owned(),
                    (subject != dataset)
                        .then(|| best_literal(graph, subject, dct::TITLE))
                        .flatten(),
                ),
                #[allow(unreachable_patterns)]
                _ => continue,
            };
            let version = best_literal(graph, subject, gwd::TEMPLATE_VERSION);
            return Some(TemplateRef {
                iri,
                title,
                version,
            });
        }
    }
    None
}

/// The purposes the offered policies allow and the policies' key terms in German.
pub(super) fn policy_terms<'a>(
    graph: &'a Graph,
    dataset: NamedOrBlankNodeRef<'a>,
    stop: &HashSet<NamedOrBlankNodeRef<'a>>,
) -> PolicyTerms {
    let mut purposes = BTreeSet::new();
    let mut max_duration = None;
    let mut terms = crate::index::terms::KeyTerms::default();
    for policy in nodes(graph, dataset, odrl::HAS_POLICY) {
        for n in reachable(graph, policy, stop) {
            if let Some(TermRef::NamedNode(left)) =
                graph.object_for_subject_predicate(n, odrl::LEFT_OPERAND)
            {
                let values = operand_iris(graph, n);
                if left == odrl::PURPOSE {
                    purposes.extend(values.iter().cloned());
                }
                if left == odrl::ELAPSED_TIME && max_duration.is_none() {
                    max_duration = values.first().cloned();
                }
                terms.add_constraint(left.as_str(), &values);
            }
            for action in graph.objects_for_subject_predicate(n, odrl::ACTION_PROP) {
                if let TermRef::NamedNode(a) = action {
                    let is_prohibition = graph
                        .triples_for_object(n)
                        .any(|t| t.predicate == odrl::PROHIBITION_PROP);
                    let is_duty = graph
                        .triples_for_object(n)
                        .any(|t| t.predicate == odrl::DUTY_PROP || t.predicate == odrl::OBLIGATION);
                    terms.add_action(a.as_str(), is_prohibition, is_duty);
                }
            }
        }
    }
    PolicyTerms {
        purposes: purposes.into_iter().collect(),
        key_terms: terms.into_lines(),
        max_duration,
    }
}

/// What the offered policies say, in short.
pub(super) struct PolicyTerms {
    pub(super) purposes: Vec<String>,
    pub(super) key_terms: Vec<String>,
    pub(super) max_duration: Option<String>,
}
