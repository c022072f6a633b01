//! Looks at a parsed query before it runs. Refused: updates, `SERVICE` anywhere (including
//! inside `EXISTS`, sub-queries and aggregates), and cartesian products — groups of patterns
//! that share no variable. Oxigraph evaluates a cartesian product by repeating a materialised
//! side for every row of the other, without looking at its cancellation token in between, so
//! neither the time limit nor the memory guard could stop one; they are refused up front with
//! an explanation.

use std::collections::HashSet;

use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};
use spargebra::{Query, SparqlParser};

use crate::error::BrokerError;

/// Parses a query and checks it (see the module documentation).
pub(crate) fn parse_read_only(text: &str) -> Result<Query, BrokerError> {
    let query = match SparqlParser::new().parse_query(text) {
        Ok(q) => q,
        Err(e) => {
            if SparqlParser::new().parse_update(text).is_ok() {
                return Err(BrokerError::UpdateRefused);
            }
            return Err(BrokerError::QuerySyntax(e.to_string()));
        }
    };
    let pattern = match &query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    let mut problem = None;
    visit_pattern(pattern, &mut |p| {
        if problem.is_none() {
            problem = check(p).err();
        }
    });
    match problem {
        Some(e) => Err(e),
        None => Ok(query),
    }
}

/// The checks of one algebra node.
fn check(p: &GraphPattern) -> Result<(), BrokerError> {
    match p {
        GraphPattern::Service { .. } => Err(BrokerError::ServiceRefused),
        GraphPattern::Bgp { patterns } => check_connected(patterns),
        GraphPattern::Join { left, right } | GraphPattern::LeftJoin { left, right, .. } => {
            if is_bounded(left) || is_bounded(right) {
                return Ok(());
            }
            let l = in_scope(left);
            let r = in_scope(right);
            if !l.is_empty() && !r.is_empty() && l.is_disjoint(&r) {
                return Err(cartesian(&format!("{left}"), &format!("{right}")));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// VALUES blocks are bounded by the query's size; joining them with anything is harmless.
fn is_bounded(p: &GraphPattern) -> bool {
    matches!(p, GraphPattern::Values { .. })
}

fn in_scope(p: &GraphPattern) -> HashSet<String> {
    let mut vars = HashSet::new();
    p.on_in_scope_variable(|v| {
        vars.insert(v.as_str().to_owned());
    });
    vars
}

fn cartesian(a: &str, b: &str) -> BrokerError {
    let short = |s: &str| {
        let s = s.trim();
        if s.chars().count() > 120 {
            format!("{}…", s.chars().take(120).collect::<String>())
        } else {
            s.to_owned()
        }
    };
    BrokerError::QueryRefused(format!(
        "the patterns {{ {} }} and {{ {} }} share no variable: that is a cartesian product, \
         which this endpoint does not evaluate; connect them through a variable or send two queries",
        short(a),
        short(b)
    ))
}

/// Variables and blank nodes of a triple pattern (blank nodes join like variables in a BGP).
fn pattern_terms(t: &TriplePattern) -> Vec<String> {
    let mut out = Vec::new();
    let mut term = |x: &TermPattern| match x {
        TermPattern::Variable(v) => out.push(format!("?{}", v.as_str())),
        TermPattern::BlankNode(b) => out.push(format!("_:{}", b.as_str())),
        _ => {}
    };
    term(&t.subject);
    term(&t.object);
    if let NamedNodePattern::Variable(v) = &t.predicate {
        out.push(format!("?{}", v.as_str()));
    }
    out
}

/// Refuses a basic graph pattern whose patterns fall into two or more groups without a
/// shared variable (patterns without any variable only filter and are ignored).
fn check_connected(patterns: &[TriplePattern]) -> Result<(), BrokerError> {
    let terms: Vec<Vec<String>> = patterns.iter().map(pattern_terms).collect();
    let with_vars: Vec<usize> = (0..patterns.len())
        .filter(|i| !terms[*i].is_empty())
        .collect();
    let Some(&first) = with_vars.first() else {
        return Ok(());
    };
    let mut reached: HashSet<usize> = HashSet::from([first]);
    let mut known: HashSet<&str> = terms[first].iter().map(String::as_str).collect();
    let mut grew = true;
    while grew {
        grew = false;
        for &i in &with_vars {
            if !reached.contains(&i) && terms[i].iter().any(|t| known.contains(t.as_str())) {
                reached.insert(i);
                known.extend(terms[i].iter().map(String::as_str));
                grew = true;
            }
        }
    }
    match with_vars.iter().find(|i| !reached.contains(i)) {
        Some(&other) => Err(cartesian(
            &format!("{}", patterns[first]),
            &format!("{}", patterns[other]),
        )),
        None => Ok(()),
    }
}

/// Calls `f` on every graph pattern node, including those inside expressions.
fn visit_pattern<'a>(p: &'a GraphPattern, f: &mut impl FnMut(&'a GraphPattern)) {
    f(p);
    match p {
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => {}
        GraphPattern::Join { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right }
        | GraphPattern::Lateral { left, right } => {
            visit_pattern(left, f);
            visit_pattern(right, f);
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => {
            visit_pattern(left, f);
            visit_pattern(right, f);
            if let Some(e) = expression {
                visit_expression(e, f);
            }
        }
        GraphPattern::Filter { expr, inner } => {
            visit_expression(expr, f);
            visit_pattern(inner, f);
        }
        GraphPattern::Extend {
            inner, expression, ..
        } => {
            visit_expression(expression, f);
            visit_pattern(inner, f);
        }
        GraphPattern::OrderBy { inner, expression } => {
            visit_pattern(inner, f);
            for o in expression {
                match o {
                    OrderExpression::Asc(e) | OrderExpression::Desc(e) => visit_expression(e, f),
                }
            }
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Service { inner, .. } => visit_pattern(inner, f),
        GraphPattern::Group {
            inner, aggregates, ..
        } => {
            visit_pattern(inner, f);
            for (_, a) in aggregates {
                if let AggregateExpression::FunctionCall { expr, .. } = a {
                    visit_expression(expr, f);
                }
            }
        }
    }
}

fn visit_expression<'a>(e: &'a Expression, f: &mut impl FnMut(&'a GraphPattern)) {
    match e {
        Expression::Exists(p) => visit_pattern(p, f),
        Expression::NamedNode(_)
        | Expression::Literal(_)
        | Expression::Variable(_)
        | Expression::Bound(_) => {}
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => {
            visit_expression(a, f);
            visit_expression(b, f);
        }
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
            visit_expression(a, f)
        }
        Expression::In(a, list) => {
            visit_expression(a, f);
            list.iter().for_each(|x| visit_expression(x, f));
        }
        Expression::If(a, b, c) => {
            visit_expression(a, f);
            visit_expression(b, f);
            visit_expression(c, f);
        }
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().for_each(|x| visit_expression(x, f))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_is_found_wherever_it_hides() {
        for q in [
            "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
            "SELECT * WHERE { ?s ?p ?o SERVICE SILENT <http://e.example/> { ?s ?q ?r } }",
            "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://e.example/> { ?s ?p ?o } } }",
            "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://e.example/> { ?s ?p ?o } } } }",
            "ASK { ?s ?p ?o OPTIONAL { SERVICE <http://e.example/> { ?s ?p ?o } } }",
        ] {
            assert!(
                matches!(parse_read_only(q), Err(BrokerError::ServiceRefused)),
                "{q}"
            );
        }
    }

    #[test]
    fn the_word_service_in_data_is_fine() {
        let q = r#"SELECT * WHERE { ?s <http://e.example/SERVICE> "SERVICE <x> { }" }"#;
        assert!(parse_read_only(q).is_ok());
    }

    #[test]
    fn cartesian_products_are_refused_connected_patterns_are_not() {
        for q in [
            "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",
            "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?c",
            "SELECT * WHERE { ?a ?b ?c { SELECT ?d WHERE { ?d ?e ?f } } }",
            "SELECT * WHERE { ?a ?b ?c OPTIONAL { ?d ?e ?f } }",
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), 'x')) }",
            "ASK { ?s ?p ?o FILTER EXISTS { ?a ?b ?c . ?d ?e ?f } }",
        ] {
            match parse_read_only(q) {
                Err(BrokerError::QueryRefused(m)) => assert!(m.contains("cartesian"), "{m}"),
                other => panic!("{q}: {other:?}"),
            }
        }
        for q in [
            "SELECT * WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t }",
            "SELECT * WHERE { ?d <http://p> ?x . ?x <http://q> ?y . ?y <http://r> ?z }",
            "SELECT * WHERE { ?d <http://p> ?x OPTIONAL { ?d <http://q> ?y } }",
            "SELECT * WHERE { VALUES ?k { 1 2 } ?d <http://p> ?x }",
            "SELECT * WHERE { ?d <http://p> [ <http://q> ?y ] }",
            "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
            "SELECT * WHERE { <http://a> <http://b> <http://c> . ?s ?p ?o }",
        ] {
            assert!(parse_read_only(q).is_ok(), "{q}: {:?}", parse_read_only(q));
        }
    }

    #[test]
    fn updates_and_syntax_errors_are_told_apart() {
        assert!(matches!(
            parse_read_only("INSERT DATA { <http://a> <http://b> <http://c> }"),
            Err(BrokerError::UpdateRefused)
        ));
        assert!(matches!(
            parse_read_only("DROP ALL"),
            Err(BrokerError::UpdateRefused)
        ));
        match parse_read_only("SELECT * WHERE { ?s ?p }") {
            Err(BrokerError::QuerySyntax(m)) => assert!(!m.is_empty()),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }
}
