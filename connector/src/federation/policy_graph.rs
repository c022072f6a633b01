//! Offered ODRL policies as standard ODRL 2.2 triples in the self-description graph, the shape
//! the broker reads purposes, key terms and the template from (`broker/README.md`, "What the
//! broker reads from a self-description"): the policy node typed `odrl:Offer` with
//! `odrl:permission`/`prohibition`/`obligation` rules, their `odrl:action`, `odrl:constraint`
//! (`leftOperand`/`operator`/`rightOperand`, several right operands as several objects),
//! `odrl:duty`, and `gwd:template`, `gwd:templateVersion` and `dct:title` naming the template.
//!
//! `contracts` reads ODRL from Turtle but has no writer; the policy is read from the offer's
//! DSP JSON with `contracts` (so every IRI is expanded) and written here.

use contracts::odrl::{Action, Constraint, Policy, RightOperand, Rule};
use oxigraph::model::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use vocab::ns::{dct, gwd, odrl, rdf};

/// The template an offer was rendered from, as the broker names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateName {
    /// The template's id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its title (German).
    pub title: String,
}

fn iri(field: &str, s: &str) -> Result<NamedNode, String> {
    NamedNode::new(s).map_err(|e| format!("{field}: {s:?} is not an IRI: {e}"))
}

fn odrl_term(local: &str) -> Result<NamedNode, String> {
    iri("ODRL term", &format!("{}{local}", odrl::NAMESPACE))
}

fn operand(o: &RightOperand) -> Result<Vec<Term>, String> {
    Ok(match o {
        RightOperand::Iri(i) => vec![iri("rightOperand", i)?.into()],
        RightOperand::Literal(l) => vec![
            match (&l.datatype, &l.language) {
                (_, Some(lang)) => Literal::new_language_tagged_literal(&l.lexical, lang)
                    .map_err(|e| format!("rightOperand language tag {lang:?}: {e}"))?,
                (Some(dt), None) => Literal::new_typed_literal(&l.lexical, iri("dataType", dt)?),
                (None, None) => Literal::new_simple_literal(&l.lexical),
            }
            .into(),
        ],
        RightOperand::List(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(operand(i)?);
            }
            out
        }
    })
}

fn constraint(g: &mut Graph, c: &Constraint) -> Result<NamedOrBlankNode, String> {
    let node: NamedOrBlankNode = BlankNode::default().into();
    match c {
        Constraint::Atomic(a) => {
            g.insert(&Triple::new(
                node.clone(),
                odrl::LEFT_OPERAND,
                iri("leftOperand", &a.left_operand)?,
            ));
            g.insert(&Triple::new(
                node.clone(),
                odrl::OPERATOR,
                iri("operator", &a.operator.iri())?,
            ));
            for o in operand(&a.right_operand)? {
                g.insert(&Triple::new(node.clone(), odrl::RIGHT_OPERAND, o));
            }
            if let Some(dt) = &a.data_type {
                g.insert(&Triple::new(
                    node.clone(),
                    odrl::DATA_TYPE,
                    iri("dataType", dt)?,
                ));
            }
            if let Some(unit) = &a.unit {
                g.insert(&Triple::new(node.clone(), odrl::UNIT, iri("unit", unit)?));
            }
        }
        Constraint::Logical(l) => {
            let op = odrl_term(l.operator.term())?;
            for inner in &l.operands {
                let o = constraint(g, inner)?;
                g.insert(&Triple::new(node.clone(), op.clone(), o));
            }
        }
    }
    Ok(node)
}

/// The action: its IRI, or (with refinements) a node with `rdf:value` and `odrl:refinement`.
/// Also returns the plain IRI so the broker, which reads `odrl:action` IRIs, sees it.
fn action(g: &mut Graph, a: &Action) -> Result<Term, String> {
    let name = iri("action", &a.name)?;
    if a.refinements.is_empty() {
        return Ok(name.into());
    }
    let node: NamedOrBlankNode = BlankNode::default().into();
    g.insert(&Triple::new(node.clone(), rdf::VALUE, name));
    for r in &a.refinements {
        let c = constraint(g, r)?;
        g.insert(&Triple::new(node.clone(), odrl::REFINEMENT, c));
    }
    Ok(node.into())
}

/// Which property links a rule's nested rules.
#[derive(Clone, Copy)]
enum Nested {
    /// A permission's duties.
    Duty,
    /// A duty's consequences.
    Consequence,
    /// A prohibition's remedies.
    Remedy,
}

fn rule(g: &mut Graph, r: &Rule, nested: Nested) -> Result<NamedOrBlankNode, String> {
    let node: NamedOrBlankNode = BlankNode::default().into();
    if let Some(a) = &r.action {
        let a = action(g, a)?;
        g.insert(&Triple::new(node.clone(), odrl::ACTION_PROP, a));
    }
    for c in &r.constraints {
        let o = constraint(g, c)?;
        g.insert(&Triple::new(node.clone(), odrl::CONSTRAINT_PROP, o));
    }
    let (property, next) = match nested {
        Nested::Duty => (odrl::DUTY_PROP, Nested::Consequence),
        Nested::Consequence => (odrl::CONSEQUENCE, Nested::Consequence),
        Nested::Remedy => (odrl::REMEDY, Nested::Consequence),
    };
    for d in &r.duties {
        let o = rule(g, d, next)?;
        g.insert(&Triple::new(node.clone(), property, o));
    }
    Ok(node)
}

/// Adds the offer `policy` as the node `offer_iri` (the datasets link it with
/// `odrl:hasPolicy`) and names its template.
pub fn add_offer(
    g: &mut Graph,
    offer_iri: &str,
    policy: &Policy,
    template: Option<&TemplateName>,
) -> Result<(), String> {
    let p = iri("offer", offer_iri)?;
    g.insert(&Triple::new(p.clone(), rdf::TYPE, odrl::OFFER));
    for (property, rules, nested) in [
        (odrl::PERMISSION_PROP, &policy.permissions, Nested::Duty),
        (odrl::PROHIBITION_PROP, &policy.prohibitions, Nested::Remedy),
        (odrl::OBLIGATION, &policy.obligations, Nested::Consequence),
    ] {
        for r in rules {
            let o = rule(g, r, nested)?;
            g.insert(&Triple::new(p.clone(), property, o));
        }
    }
    if let Some(t) = template {
        g.insert(&Triple::new(
            p.clone(),
            gwd::TEMPLATE,
            Literal::new_simple_literal(&t.id),
        ));
        g.insert(&Triple::new(
            p.clone(),
            gwd::TEMPLATE_VERSION,
            Literal::new_simple_literal(&t.version),
        ));
        g.insert(&Triple::new(
            p,
            dct::TITLE,
            Literal::new_language_tagged_literal_unchecked(&t.title, "de"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::odrl::Operator;

    #[test]
    fn an_offer_reads_back_with_contracts() {
        let policy = Policy::new(
            contracts::odrl::PolicyKind::Offer,
            "https://a.example/offers/o1",
        )
        .with_permission(
            Rule::new("use")
                .with_constraint(Constraint::atomic(
                    "purpose",
                    Operator::IsAnyOf,
                    RightOperand::iri_list([
                        "https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung",
                        "https://w3id.org/dpv#ImprovePublicServices",
                    ]),
                ))
                .with_constraint(Constraint::atomic(
                    "elapsedTime",
                    Operator::Lteq,
                    RightOperand::typed("P12M", "duration"),
                ))
                .with_duty(Rule::new("delete")),
        )
        .with_prohibition(Rule::new("distribute"));
        let mut g = Graph::new();
        add_offer(
            &mut g,
            "https://a.example/offers/o1",
            &policy,
            Some(&TemplateName {
                id: "kommunale-planung".into(),
                version: "1.0.0".into(),
                title: "Kommunale Planung".into(),
            }),
        )
        .expect("written");
        let turtle = vocab::rdf::to_turtle(&g).expect("turtle");
        let back = Policy::from_turtle(&turtle, Some("https://a.example/offers/o1")).expect("read");
        assert_eq!(back.permissions.len(), 1);
        assert_eq!(back.prohibitions.len(), 1);
        assert_eq!(back.permissions[0].duties.len(), 1);
        let atoms: Vec<_> = back.permissions[0]
            .constraints
            .iter()
            .flat_map(|c| c.atoms())
            .map(|a| a.left_operand.clone())
            .collect();
        assert!(atoms.iter().any(|l| l.ends_with("purpose")), "{atoms:?}");
        assert!(
            atoms.iter().any(|l| l.ends_with("elapsedTime")),
            "{atoms:?}"
        );
        assert!(turtle.contains("kommunale-planung"), "{turtle}");
    }

    #[test]
    fn a_bad_iri_names_the_field() {
        let policy =
            Policy::new(contracts::odrl::PolicyKind::Offer, "x").with_permission(Rule::new("use"));
        let e = add_offer(&mut Graph::new(), "not an iri", &policy, None).expect_err("bad");
        assert!(e.starts_with("offer:"), "{e}");
    }
}
