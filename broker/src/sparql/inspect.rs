//! Looks at a parsed query before it runs: refuses `SERVICE` anywhere in it (including inside
//! `EXISTS`, sub-queries and aggregates), and tells updates apart from syntax errors.

use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::{Query, SparqlParser};

use crate::error::BrokerError;

/// Parses a query; an update gets [`BrokerError::UpdateRefused`], a query containing `SERVICE`
/// gets [`BrokerError::ServiceRefused`], anything unparsable [`BrokerError::QuerySyntax`].
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
    if pattern_has_service(pattern) {
        return Err(BrokerError::ServiceRefused);
    }
    Ok(query)
}

fn pattern_has_service(p: &GraphPattern) -> bool {
    match p {
        GraphPattern::Service { .. } => true,
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => false,
        GraphPattern::Join { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right }
        | GraphPattern::Lateral { left, right } => {
            pattern_has_service(left) || pattern_has_service(right)
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => {
            pattern_has_service(left)
                || pattern_has_service(right)
                || expression.as_ref().is_some_and(expression_has_service)
        }
        GraphPattern::Filter { expr, inner } => {
            expression_has_service(expr) || pattern_has_service(inner)
        }
        GraphPattern::Extend {
            inner, expression, ..
        } => expression_has_service(expression) || pattern_has_service(inner),
        GraphPattern::OrderBy { inner, expression } => {
            pattern_has_service(inner)
                || expression.iter().any(|o| match o {
                    OrderExpression::Asc(e) | OrderExpression::Desc(e) => expression_has_service(e),
                })
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => pattern_has_service(inner),
        GraphPattern::Group {
            inner, aggregates, ..
        } => {
            pattern_has_service(inner)
                || aggregates.iter().any(|(_, a)| match a {
                    AggregateExpression::CountSolutions { .. } => false,
                    AggregateExpression::FunctionCall { expr, .. } => expression_has_service(expr),
                })
        }
    }
}

fn expression_has_service(e: &Expression) -> bool {
    match e {
        Expression::Exists(p) => pattern_has_service(p),
        Expression::NamedNode(_)
        | Expression::Literal(_)
        | Expression::Variable(_)
        | Expression::Bound(_) => false,
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
        | Expression::Divide(a, b) => expression_has_service(a) || expression_has_service(b),
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
            expression_has_service(a)
        }
        Expression::In(a, list) => {
            expression_has_service(a) || list.iter().any(expression_has_service)
        }
        Expression::If(a, b, c) => {
            expression_has_service(a) || expression_has_service(b) || expression_has_service(c)
        }
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().any(expression_has_service)
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
            "ASK { OPTIONAL { SERVICE <http://e.example/> { ?s ?p ?o } } }",
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
