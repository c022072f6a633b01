//! "Same terms": does a consumer's request carry exactly the rules of an offer?
//!
//! A provider must only agree to what it offered. Two policies have the same terms when their
//! permissions, prohibitions and obligations are equal as sets (order of rules, of
//! constraints and of the values in `isAnyOf`/`isAllOf`/`isNoneOf` lists does not matter;
//! the order inside `andSequence` does), their profiles are equal, and a target or assigner
//! that both name is the same. Identifiers, kind (Offer vs. Agreement) and timestamps are
//! not terms.

use std::fmt;

use serde_json::Value;

use super::model::*;

/// Where two policies differ, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermsDifference {
    /// What differs, e.g. "permission (action use) with constraints [...] is in the request
    /// but not in the offer".
    pub description: String,
}

impl fmt::Display for TermsDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl std::error::Error for TermsDifference {}

fn normalize_operand(op: Operator, value: &RightOperand) -> RightOperand {
    match value {
        RightOperand::List(items)
            if matches!(
                op,
                Operator::IsAnyOf | Operator::IsAllOf | Operator::IsNoneOf
            ) =>
        {
            let mut items = items.clone();
            items.sort();
            items.dedup();
            RightOperand::List(items)
        }
        other => other.clone(),
    }
}

fn normalize_constraints(constraints: &[Constraint], keep_order: bool) -> Vec<Constraint> {
    let mut out: Vec<Constraint> = constraints.iter().map(normalize_constraint).collect();
    if !keep_order {
        out.sort_by_key(canonical_constraint);
    }
    out
}

fn normalize_constraint(c: &Constraint) -> Constraint {
    match c {
        Constraint::Atomic(a) => Constraint::Atomic(AtomicConstraint {
            uid: None,
            right_operand: normalize_operand(a.operator, &a.right_operand),
            ..a.clone()
        }),
        Constraint::Logical(l) => Constraint::Logical(LogicalConstraint {
            uid: None,
            operator: l.operator,
            operands: normalize_constraints(
                &l.operands,
                l.operator == LogicalOperator::AndSequence,
            ),
        }),
    }
}

fn canonical_constraint(c: &Constraint) -> String {
    format!("{c:?}")
}

fn normalize_rule(rule: &Rule) -> Rule {
    let mut duties: Vec<Rule> = rule.duties.iter().map(normalize_rule).collect();
    duties.sort_by_key(|d| format!("{d:?}"));
    Rule {
        uid: None,
        action: rule.action.as_ref().map(|a| Action {
            name: a.name.clone(),
            refinements: normalize_constraints(&a.refinements, false),
        }),
        target: rule.target.clone(),
        assigner: rule.assigner.clone(),
        assignee: rule.assignee.clone(),
        constraints: normalize_constraints(&rule.constraints, false),
        duties,
    }
}

fn describe(rule: &Rule, kind: RuleKind) -> String {
    let action = rule
        .action_iri()
        .map(super::terms::compact_vocab)
        .unwrap_or_else(|| "(none)".into());
    let json = rule_summary(&super::json::rule_json(rule, kind));
    format!("{kind} (action {action}) {json}")
}

fn compare_rules(kind: RuleKind, ours: &[Rule], theirs: &[Rule]) -> Result<(), TermsDifference> {
    let mut a: Vec<Rule> = ours.iter().map(normalize_rule).collect();
    let mut b: Vec<Rule> = theirs.iter().map(normalize_rule).collect();
    a.sort_by_key(|r| format!("{r:?}"));
    b.sort_by_key(|r| format!("{r:?}"));
    for rule in &a {
        if !b.contains(rule) {
            return Err(TermsDifference {
                description: format!(
                    "{} is in the request but not in the offer",
                    describe(rule, kind)
                ),
            });
        }
    }
    for rule in &b {
        if !a.contains(rule) {
            return Err(TermsDifference {
                description: format!(
                    "{} is in the offer but not in the request",
                    describe(rule, kind)
                ),
            });
        }
    }
    if a.len() != b.len() {
        return Err(TermsDifference {
            description: format!(
                "the request has {} {kind} rules, the offer {}",
                a.len(),
                b.len()
            ),
        });
    }
    Ok(())
}

impl Policy {
    /// Checks that `self` (e.g. the offer inside a consumer's request) has the same terms as
    /// `other` (the offer the provider made). `Err` says what differs.
    ///
    /// ```
    /// use contracts::odrl::{Policy, PolicyKind, Rule, Constraint, Operator, RightOperand};
    /// let offer = Policy::new(PolicyKind::Offer, "urn:o").with_permission(Rule::new("use")
    ///     .with_constraint(Constraint::atomic("count", Operator::Lteq, RightOperand::typed("10", "integer"))));
    /// let mut request = offer.clone();
    /// request.uid = "urn:other-id".into();
    /// assert!(request.same_terms(&offer).is_ok());
    /// request.permissions[0].constraints.clear();
    /// assert!(request.same_terms(&offer).is_err());
    /// ```
    pub fn same_terms(&self, other: &Policy) -> Result<(), TermsDifference> {
        compare_rules(RuleKind::Permission, &self.permissions, &other.permissions)?;
        compare_rules(
            RuleKind::Prohibition,
            &self.prohibitions,
            &other.prohibitions,
        )?;
        compare_rules(RuleKind::Obligation, &self.obligations, &other.obligations)?;
        let mut p1 = self.profiles.clone();
        let mut p2 = other.profiles.clone();
        p1.sort();
        p2.sort();
        if p1 != p2 {
            return Err(TermsDifference {
                description: format!("profiles differ: {p1:?} vs. {p2:?}"),
            });
        }
        for (name, a, b) in [
            ("target", &self.target, &other.target),
            ("assigner", &self.assigner, &other.assigner),
        ] {
            if let (Some(a), Some(b)) = (a, b)
                && a != b
            {
                return Err(TermsDifference {
                    description: format!("{name} differs: {a} vs. {b}"),
                });
            }
        }
        Ok(())
    }
}

/// A compact JSON text of a rule, for messages.
pub(crate) fn rule_summary(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 300 {
        let mut cut = 300;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &text[..cut])
    } else {
        text
    }
}
