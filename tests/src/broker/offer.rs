//! (Same as `broker/tests/common/offer.rs`.) Writes an ODRL offer (`contracts::odrl::Policy`) as standard ODRL 2.2 triples into a
//! self-description graph, the shape the broker reads purposes and key terms from.
//! (`contracts` has no RDF writer for policies yet; the DSP JSON-LD form does not expand to RDF
//! outside a DSP message.)

use contracts::odrl::{Constraint, Policy, RightOperand, Rule};
use oxigraph::model::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use vocab::ns::{dct, gwd, odrl, rdf};

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap_or_else(|e| panic!("{s:?} is not an IRI: {e}"))
}

fn operand(o: &RightOperand) -> Vec<Term> {
    match o {
        RightOperand::Iri(i) => vec![iri(i).into()],
        RightOperand::Literal(l) => vec![
            match (&l.datatype, &l.language) {
                (_, Some(lang)) => Literal::new_language_tagged_literal_unchecked(&l.lexical, lang),
                (Some(dt), None) => Literal::new_typed_literal(&l.lexical, iri(dt)),
                (None, None) => Literal::new_simple_literal(&l.lexical),
            }
            .into(),
        ],
        RightOperand::List(items) => items.iter().flat_map(operand).collect(),
    }
}

fn constraint(g: &mut Graph, c: &Constraint) -> NamedOrBlankNode {
    let node: NamedOrBlankNode = BlankNode::default().into();
    match c {
        Constraint::Atomic(a) => {
            g.insert(&Triple::new(
                node.clone(),
                odrl::LEFT_OPERAND,
                iri(&a.left_operand),
            ));
            g.insert(&Triple::new(
                node.clone(),
                odrl::OPERATOR,
                iri(&a.operator.iri()),
            ));
            for o in operand(&a.right_operand) {
                g.insert(&Triple::new(node.clone(), odrl::RIGHT_OPERAND, o));
            }
        }
        Constraint::Logical(l) => {
            let op = iri(&format!("{}{}", odrl::NAMESPACE, l.operator.term()));
            for inner in &l.operands {
                let o = constraint(g, inner);
                g.insert(&Triple::new(node.clone(), op.clone(), o));
            }
        }
    }
    node
}

fn rule(g: &mut Graph, r: &Rule) -> NamedOrBlankNode {
    let node: NamedOrBlankNode = BlankNode::default().into();
    if let Some(a) = &r.action {
        g.insert(&Triple::new(node.clone(), odrl::ACTION_PROP, iri(&a.name)));
    }
    for c in &r.constraints {
        let o = constraint(g, c);
        g.insert(&Triple::new(node.clone(), odrl::CONSTRAINT_PROP, o));
    }
    for d in &r.duties {
        let o = rule(g, d);
        g.insert(&Triple::new(node.clone(), odrl::DUTY_PROP, o));
    }
    node
}

/// Adds the offer to `g` and links it from each dataset IRI; names the template.
pub fn add_offer(
    g: &mut Graph,
    policy: &Policy,
    datasets: &[String],
    template: (&str, &str, &str),
) {
    let p = iri(&policy.uid);
    g.insert(&Triple::new(p.clone(), rdf::TYPE, iri(&policy.kind.iri())));
    for (prop, rules) in [
        (odrl::PERMISSION_PROP, &policy.permissions),
        (odrl::PROHIBITION_PROP, &policy.prohibitions),
        (odrl::OBLIGATION, &policy.obligations),
    ] {
        for r in rules {
            let o = rule(g, r);
            g.insert(&Triple::new(p.clone(), prop, o));
        }
    }
    let (id, version, title) = template;
    g.insert(&Triple::new(
        p.clone(),
        gwd::TEMPLATE,
        Literal::new_simple_literal(id),
    ));
    g.insert(&Triple::new(
        p.clone(),
        gwd::TEMPLATE_VERSION,
        Literal::new_simple_literal(version),
    ));
    g.insert(&Triple::new(
        p.clone(),
        dct::TITLE,
        Literal::new_language_tagged_literal_unchecked(title, "de"),
    ));
    for d in datasets {
        g.insert(&Triple::new(iri(d), odrl::HAS_POLICY, p.clone()));
    }
}
