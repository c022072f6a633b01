//! Reading ODRL policies from RDF (Turtle), as the ODRL test suite writes them.
//!
//! The graph is read with oxigraph's parser into an in-memory [`Graph`]; a policy node is
//! then walked: `odrl:permission`, `odrl:prohibition`, `odrl:obligation`, their actions
//! (an IRI, or a node with `rdf:value` and `odrl:refinement`), constraints (atomic or
//! logical, `odrl:andSequence` as an RDF list) and right operands (IRIs, literals, several
//! values or an RDF list).

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};

use super::OdrlError;
use super::model::*;
use super::terms::{ODRL, RDF};

fn odrl(local: &str) -> String {
    format!("{ODRL}{local}")
}

/// Parses Turtle text into an in-memory graph.
pub fn parse_turtle(text: &str) -> Result<Graph, OdrlError> {
    let mut graph = Graph::new();
    for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(text.as_bytes()) {
        let quad = quad.map_err(|e| OdrlError::TurtleSyntax(e.to_string()))?;
        graph.insert(quad.as_ref());
    }
    Ok(graph)
}

fn node_name(node: NamedOrBlankNodeRef<'_>) -> String {
    node.to_string()
}

fn objects<'g>(
    graph: &'g Graph,
    subject: NamedOrBlankNodeRef<'_>,
    predicate: &str,
) -> Vec<TermRef<'g>> {
    let p = NamedNodeRef::new_unchecked(predicate);
    let mut out: Vec<TermRef<'g>> = graph.objects_for_subject_predicate(subject, p).collect();
    // Graph iteration order is not the file order; sort for a deterministic model.
    out.sort_by_key(|t| t.to_string());
    out
}

fn single<'g>(
    graph: &'g Graph,
    subject: NamedOrBlankNodeRef<'_>,
    predicate: &str,
) -> Result<Option<TermRef<'g>>, OdrlError> {
    let mut all = objects(graph, subject, predicate);
    match all.len() {
        0 => Ok(None),
        1 => Ok(all.pop()),
        n => Err(OdrlError::Graph {
            node: node_name(subject),
            message: format!("has {n} values for <{predicate}>; expected one"),
        }),
    }
}

fn as_node<'g>(term: TermRef<'g>, context: &str) -> Result<NamedOrBlankNodeRef<'g>, OdrlError> {
    match term {
        TermRef::NamedNode(n) => Ok(n.into()),
        TermRef::BlankNode(b) => Ok(b.into()),
        other => Err(OdrlError::Graph {
            node: other.to_string(),
            message: format!("{context} must be a resource, not a literal"),
        }),
    }
}

fn iri_of(
    term: TermRef<'_>,
    node: NamedOrBlankNodeRef<'_>,
    what: &str,
) -> Result<String, OdrlError> {
    match term {
        TermRef::NamedNode(n) => Ok(n.as_str().to_owned()),
        other => Err(OdrlError::Graph {
            node: node_name(node),
            message: format!("{what} must be an IRI, found {other}"),
        }),
    }
}

fn opt_iri(
    graph: &Graph,
    node: NamedOrBlankNodeRef<'_>,
    predicate: &str,
    what: &str,
) -> Result<Option<String>, OdrlError> {
    single(graph, node, predicate)?
        .map(|t| iri_of(t, node, what))
        .transpose()
}

impl Policy {
    /// Reads the policy `policy_iri` from Turtle text; without an IRI, the graph must contain
    /// exactly one node typed as an ODRL policy (`odrl:Set`, `odrl:Offer`, `odrl:Agreement`,
    /// `odrl:Request` or `odrl:Policy`).
    pub fn from_turtle(text: &str, policy_iri: Option<&str>) -> Result<Policy, OdrlError> {
        let graph = parse_turtle(text)?;
        match policy_iri {
            Some(iri) => Policy::from_graph(&graph, NamedNodeRef::new_unchecked(iri).into()),
            None => {
                let rdf_type =
                    NamedNodeRef::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
                let mut found: Vec<NamedOrBlankNodeRef<'_>> = Vec::new();
                for kind in ["Set", "Offer", "Agreement", "Request", "Policy"] {
                    let class = odrl(kind);
                    found.extend(graph.subjects_for_predicate_object(
                        rdf_type,
                        NamedNodeRef::new_unchecked(&class),
                    ));
                }
                match found.as_slice() {
                    [one] => Policy::from_graph(&graph, *one),
                    [] => Err(OdrlError::Graph {
                        node: "(graph)".into(),
                        message:
                            "no node typed odrl:Set, odrl:Offer, odrl:Agreement or odrl:Request"
                                .into(),
                    }),
                    _ => Err(OdrlError::Graph {
                        node: "(graph)".into(),
                        message: format!("{} policies found; name the one to read", found.len()),
                    }),
                }
            }
        }
    }

    /// Reads the policy at `node` of an RDF graph.
    pub fn from_graph(graph: &Graph, node: NamedOrBlankNodeRef<'_>) -> Result<Policy, OdrlError> {
        let types = objects(graph, node, &format!("{RDF}type"));
        let kind = types
            .iter()
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => PolicyKind::from_term(n.as_str()),
                _ => None,
            })
            .next()
            .ok_or_else(|| OdrlError::Graph {
                node: node_name(node),
                message: "is not typed as an ODRL policy (odrl:Set, odrl:Offer, odrl:Agreement, odrl:Request)".into(),
            })?;
        let uid = match single(graph, node, &odrl("uid"))? {
            Some(t) => iri_of(t, node, "odrl:uid")?,
            None => match node {
                NamedOrBlankNodeRef::NamedNode(n) => n.as_str().to_owned(),
                NamedOrBlankNodeRef::BlankNode(_) => {
                    return Err(OdrlError::Graph {
                        node: node_name(node),
                        message: "a policy needs an IRI or odrl:uid".into(),
                    });
                }
            },
        };
        let mut policy = Policy::new(kind, uid);
        for p in objects(graph, node, &odrl("profile")) {
            policy.profiles.push(iri_of(p, node, "odrl:profile")?);
        }
        policy.assigner = opt_iri(graph, node, &odrl("assigner"), "odrl:assigner")?;
        policy.assignee = opt_iri(graph, node, &odrl("assignee"), "odrl:assignee")?;
        policy.target = opt_iri(graph, node, &odrl("target"), "odrl:target")?;
        for (prop, kind) in [
            ("permission", RuleKind::Permission),
            ("prohibition", RuleKind::Prohibition),
            ("obligation", RuleKind::Obligation),
        ] {
            for t in objects(graph, node, &odrl(prop)) {
                let rule = read_rule(graph, as_node(t, prop)?, kind, 0)?;
                match kind {
                    RuleKind::Permission => policy.permissions.push(rule),
                    RuleKind::Prohibition => policy.prohibitions.push(rule),
                    _ => policy.obligations.push(rule),
                }
            }
        }
        Ok(policy)
    }
}

const MAX_DEPTH: usize = 32;

fn depth_guard(node: NamedOrBlankNodeRef<'_>, depth: usize) -> Result<(), OdrlError> {
    if depth > MAX_DEPTH {
        return Err(OdrlError::Graph {
            node: node_name(node),
            message: format!("nesting deeper than {MAX_DEPTH} levels (a cycle?)"),
        });
    }
    Ok(())
}

fn read_rule(
    graph: &Graph,
    node: NamedOrBlankNodeRef<'_>,
    kind: RuleKind,
    depth: usize,
) -> Result<Rule, OdrlError> {
    depth_guard(node, depth)?;
    let uid = match node {
        NamedOrBlankNodeRef::NamedNode(n) => Some(n.as_str().to_owned()),
        NamedOrBlankNodeRef::BlankNode(_) => None,
    };
    let action = match single(graph, node, &odrl("action"))? {
        None => None,
        Some(TermRef::NamedNode(n)) => Some(Action {
            name: n.as_str().to_owned(),
            refinements: Vec::new(),
        }),
        Some(t) => {
            let a = as_node(t, "odrl:action")?;
            let name = opt_iri(graph, a, &format!("{RDF}value"), "rdf:value of an action")?
                .ok_or_else(|| OdrlError::Graph {
                    node: node_name(a),
                    message: "an action node needs rdf:value naming the action".into(),
                })?;
            let mut refinements = Vec::new();
            for r in objects(graph, a, &odrl("refinement")) {
                refinements.push(read_constraint(
                    graph,
                    as_node(r, "odrl:refinement")?,
                    depth + 1,
                )?);
            }
            Some(Action { name, refinements })
        }
    };
    let mut rule = Rule {
        uid,
        action,
        target: opt_iri(graph, node, &odrl("target"), "odrl:target")?,
        assigner: opt_iri(graph, node, &odrl("assigner"), "odrl:assigner")?,
        assignee: opt_iri(graph, node, &odrl("assignee"), "odrl:assignee")?,
        constraints: Vec::new(),
        duties: Vec::new(),
    };
    for c in objects(graph, node, &odrl("constraint")) {
        rule.constraints.push(read_constraint(
            graph,
            as_node(c, "odrl:constraint")?,
            depth + 1,
        )?);
    }
    let nested = match kind {
        RuleKind::Permission => "duty",
        RuleKind::Prohibition => "remedy",
        _ => "consequence",
    };
    for d in objects(graph, node, &odrl(nested)) {
        rule.duties.push(read_rule(
            graph,
            as_node(d, nested)?,
            RuleKind::Duty,
            depth + 1,
        )?);
    }
    Ok(rule)
}

/// The members of an RDF list starting at `head`.
fn rdf_list<'g>(graph: &'g Graph, head: TermRef<'g>) -> Result<Vec<TermRef<'g>>, OdrlError> {
    let mut out = Vec::new();
    let mut current = head;
    let nil = format!("{RDF}nil");
    for _ in 0..10_000 {
        if let TermRef::NamedNode(n) = current
            && n.as_str() == nil
        {
            return Ok(out);
        }
        let node = as_node(current, "an RDF list")?;
        let first =
            single(graph, node, &format!("{RDF}first"))?.ok_or_else(|| OdrlError::Graph {
                node: node_name(node),
                message: "RDF list node without rdf:first".into(),
            })?;
        out.push(first);
        current = single(graph, node, &format!("{RDF}rest"))?.ok_or_else(|| OdrlError::Graph {
            node: node_name(node),
            message: "RDF list node without rdf:rest".into(),
        })?;
    }
    Err(OdrlError::Graph {
        node: head.to_string(),
        message: "RDF list too long or cyclic".into(),
    })
}

fn is_list(graph: &Graph, term: TermRef<'_>) -> bool {
    match term {
        TermRef::NamedNode(n) => n.as_str() == format!("{RDF}nil"),
        TermRef::BlankNode(b) => graph
            .object_for_subject_predicate(b, NamedNodeRef::new_unchecked(&format!("{RDF}first")))
            .is_some(),
        _ => false,
    }
}

fn read_constraint(
    graph: &Graph,
    node: NamedOrBlankNodeRef<'_>,
    depth: usize,
) -> Result<Constraint, OdrlError> {
    depth_guard(node, depth)?;
    let uid = match node {
        NamedOrBlankNodeRef::NamedNode(n) => Some(n.as_str().to_owned()),
        NamedOrBlankNodeRef::BlankNode(_) => None,
    };
    for op in LogicalOperator::ALL {
        let members = objects(graph, node, &odrl(op.term()));
        if members.is_empty() {
            continue;
        }
        let mut terms = Vec::new();
        for m in members {
            if is_list(graph, m) {
                terms.extend(rdf_list(graph, m)?);
            } else {
                terms.push(m);
            }
        }
        let mut operands = Vec::new();
        for t in terms {
            operands.push(read_constraint(graph, as_node(t, op.term())?, depth + 1)?);
        }
        return Ok(Constraint::Logical(LogicalConstraint {
            uid,
            operator: op,
            operands,
        }));
    }
    let left =
        opt_iri(graph, node, &odrl("leftOperand"), "odrl:leftOperand")?.ok_or_else(|| {
            OdrlError::Graph {
                node: node_name(node),
                message: "a constraint needs odrl:leftOperand (or odrl:and/or/xone/andSequence)"
                    .into(),
            }
        })?;
    let op_iri = opt_iri(graph, node, &odrl("operator"), "odrl:operator")?.ok_or_else(|| {
        OdrlError::Graph {
            node: node_name(node),
            message: "a constraint needs odrl:operator".into(),
        }
    })?;
    let operator = Operator::from_term(&op_iri).ok_or_else(|| OdrlError::Graph {
        node: node_name(node),
        message: format!("<{op_iri}> is not an ODRL operator"),
    })?;
    let rights = objects(graph, node, &odrl("rightOperand"));
    let right_operand = match rights.as_slice() {
        [] => {
            return Err(OdrlError::Graph {
                node: node_name(node),
                message: "a constraint needs odrl:rightOperand".into(),
            });
        }
        [one] if is_list(graph, *one) => RightOperand::List(
            rdf_list(graph, *one)?
                .into_iter()
                .map(|t| term_to_operand(t, node))
                .collect::<Result<_, _>>()?,
        ),
        [one] => term_to_operand(*one, node)?,
        many => RightOperand::List(
            many.iter()
                .map(|t| term_to_operand(*t, node))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Constraint::Atomic(AtomicConstraint {
        uid,
        left_operand: left,
        operator,
        right_operand,
        data_type: opt_iri(graph, node, &odrl("dataType"), "odrl:dataType")?,
        unit: opt_iri(graph, node, &odrl("unit"), "odrl:unit")?,
    }))
}

fn term_to_operand(
    term: TermRef<'_>,
    node: NamedOrBlankNodeRef<'_>,
) -> Result<RightOperand, OdrlError> {
    match term {
        TermRef::NamedNode(n) => Ok(RightOperand::Iri(n.as_str().to_owned())),
        TermRef::Literal(l) => {
            let mut literal = Literal::typed(l.value(), l.datatype().as_str());
            if let Some(lang) = l.language() {
                literal.language = Some(lang.to_owned());
                literal.datatype = None;
            }
            Ok(RightOperand::Literal(literal))
        }
        other => Err(OdrlError::Graph {
            node: node_name(node),
            message: format!("unsupported right operand {other}"),
        }),
    }
}
