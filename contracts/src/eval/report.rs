//! The evaluation report: per rule, per premise, per constraint, per duty.
//!
//! The report's vocabulary follows the compliance report of the ODRL test suite
//! (`https://w3id.org/force/compliance-report#`): rules are Active/Inactive, premises
//! (target, party, action, constraints) Satisfied/Unsatisfied, duties have a deontic state.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::Lang;
use super::compile::CompiledAtom;
use super::explain;
use super::value::Value;
use crate::charta::PurposeTree;
use crate::odrl::{LogicalOperator, RuleKind, terms};

/// Whether a rule applies to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Activation {
    /// Every premise holds.
    Active,
    /// At least one premise fails.
    Inactive,
}

/// Whether a premise or constraint holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Satisfaction {
    /// It holds.
    Satisfied,
    /// It does not hold (including: the value it needs is not known).
    Unsatisfied,
}

impl Satisfaction {
    pub(crate) fn from_bool(b: bool) -> Self {
        if b {
            Satisfaction::Satisfied
        } else {
            Satisfaction::Unsatisfied
        }
    }

    /// Whether it holds.
    pub fn holds(self) -> bool {
        self == Satisfaction::Satisfied
    }
}

/// The deontic state of a duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeonticState {
    /// Performed.
    Fulfilled,
    /// Due and not performed.
    Violated,
    /// Not (yet) performed; recorded as not due yet when `pending` in the [`DutyReport`].
    NotSet,
}

/// Which premise of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PremiseKind {
    /// The requested target is the rule's target or part of it.
    Target,
    /// The requesting party is the rule's assignee or part of it.
    Party,
    /// The requested action is the rule's action or included in it.
    Action,
}

/// The outcome for one premise (target, party, action).
#[derive(Debug, Clone, PartialEq)]
pub struct PremiseReport {
    /// Which premise.
    pub kind: PremiseKind,
    /// Whether it holds.
    pub satisfaction: Satisfaction,
    /// What the rule names (IRI).
    pub expected: String,
    /// What the request names, if anything.
    pub actual: Option<String>,
}

/// The outcome for one constraint, with the values compared.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintReport {
    /// The constraint's identifier, if it has one.
    pub uid: Option<String>,
    /// For an atomic constraint: what was compared.
    pub(crate) atom: Option<Arc<CompiledAtom>>,
    /// The left operand's value found in the request or world (`None`: not known).
    pub left_value: Option<Value>,
    /// For a logical constraint: its operator.
    pub logical: Option<LogicalOperator>,
    /// For a logical constraint: its members' reports.
    pub children: Vec<ConstraintReport>,
    /// Whether it holds.
    pub satisfaction: Satisfaction,
}

impl ConstraintReport {
    /// The left operand's IRI (atomic constraints).
    pub fn left_operand(&self) -> Option<&str> {
        self.atom.as_ref().map(|a| a.left_operand.as_str())
    }

    /// The operator (atomic constraints).
    pub fn operator(&self) -> Option<crate::odrl::Operator> {
        self.atom.as_ref().map(|a| a.operator)
    }

    /// The right operand as written in the policy (atomic constraints).
    pub fn right_operand(&self) -> Option<&crate::odrl::RightOperand> {
        self.atom.as_ref().map(|a| &a.right_operand)
    }

    /// Every unsatisfied atomic constraint below (and including) this one.
    pub fn failing_atoms(&self) -> Vec<&ConstraintReport> {
        let mut out = Vec::new();
        fn walk<'a>(c: &'a ConstraintReport, out: &mut Vec<&'a ConstraintReport>) {
            if c.satisfaction.holds() {
                return;
            }
            if c.atom.is_some() {
                out.push(c);
            } else {
                c.children.iter().for_each(|ch| walk(ch, out));
            }
        }
        walk(self, &mut out);
        out
    }

    /// A sentence saying whether and why the constraint holds.
    pub fn explain(&self, lang: Lang, purposes: &PurposeTree) -> String {
        explain::constraint(self, lang, purposes)
    }
}

/// The outcome for one duty of a permission (a pre-condition) or a policy obligation.
#[derive(Debug, Clone, PartialEq)]
pub struct DutyReport {
    /// The duty's identifier, if any.
    pub uid: Option<String>,
    /// The action to perform.
    pub action: String,
    /// Whether the duty applies (its own constraints hold).
    pub activation: Activation,
    /// Its constraints.
    pub constraints: Vec<ConstraintReport>,
    /// Performed, violated or not (yet) set.
    pub deontic: DeonticState,
    /// The world records it as not due yet.
    pub pending: bool,
}

impl DutyReport {
    /// Whether this duty stands in the way of its permission: it applies and is neither
    /// fulfilled nor pending.
    pub fn blocks(&self) -> bool {
        self.activation == Activation::Active
            && !(self.deontic == DeonticState::Fulfilled || self.pending)
    }
}

/// The outcome for one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    /// Permission, prohibition or obligation.
    pub kind: RuleKind,
    /// Position among the rules of its kind (0-based).
    pub index: usize,
    /// The rule's identifier, if it has one.
    pub uid: Option<String>,
    /// The rule's action IRI, if any.
    pub action: Option<String>,
    /// Active or inactive.
    pub activation: Activation,
    /// Target, party and action premises (only those the rule names).
    pub premises: Vec<PremiseReport>,
    /// The rule's constraints.
    pub constraints: Vec<ConstraintReport>,
    /// The action's refinements (permissions: failing ones deny without deactivating).
    pub refinements: Vec<ConstraintReport>,
    /// Duties (pre-conditions of a permission).
    pub duties: Vec<DutyReport>,
}

impl RuleReport {
    /// For a permission: whether it grants the request (active, refinements hold).
    pub fn permits(&self) -> bool {
        self.kind == RuleKind::Permission
            && self.activation == Activation::Active
            && self.refinements.iter().all(|r| r.satisfaction.holds())
    }

    /// How many premises, constraints, refinements and duties fail.
    pub fn failures(&self) -> usize {
        self.premises
            .iter()
            .filter(|p| !p.satisfaction.holds())
            .count()
            + self
                .constraints
                .iter()
                .filter(|c| !c.satisfaction.holds())
                .count()
            + self
                .refinements
                .iter()
                .filter(|c| !c.satisfaction.holds())
                .count()
            + self.duties.iter().filter(|d| d.blocks()).count()
    }
}

/// The overall decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decision {
    /// A permission grants the request and no prohibition forbids it.
    Permitted,
    /// No permission grants it, or a prohibition forbids it.
    Denied,
}

/// The full evaluation report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The evaluated policy's identifier.
    pub policy_uid: String,
    /// Permitted or denied.
    pub decision: Decision,
    /// One report per rule: permissions, prohibitions, obligations.
    pub rules: Vec<RuleReport>,
    pub(crate) purposes: Arc<PurposeTree>,
    pub(crate) request_action: String,
}

impl Report {
    /// Whether the request is permitted.
    pub fn is_permitted(&self) -> bool {
        self.decision == Decision::Permitted
    }

    /// Reports of one kind of rule.
    pub fn rules_of(&self, kind: RuleKind) -> impl Iterator<Item = &RuleReport> {
        self.rules.iter().filter(move |r| r.kind == kind)
    }

    /// Why the request is denied, one sentence per cause (empty when permitted): the active
    /// prohibitions, and the failing premises, constraints and duties of the permission that
    /// came closest to granting it.
    pub fn denial_reasons(&self, lang: Lang) -> Vec<String> {
        explain::denial_reasons(self, lang)
    }

    /// The full report as text, one line per rule, premise, constraint and duty.
    pub fn explain(&self, lang: Lang) -> String {
        explain::full(self, lang)
    }

    /// The report as JSON (states, values compared, and the explanations in both languages).
    pub fn to_json(&self) -> Json {
        let rules: Vec<Json> = self
            .rules
            .iter()
            .map(|r| rule_json(r, &self.purposes))
            .collect();
        json!({
            "policy": self.policy_uid,
            "action": terms::compact_vocab(&self.request_action),
            "decision": match self.decision { Decision::Permitted => "permitted", Decision::Denied => "denied" },
            "reasons": {"de": self.denial_reasons(Lang::De), "en": self.denial_reasons(Lang::En)},
            "rules": rules,
        })
    }
}

fn sat(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::Unsatisfied => "unsatisfied",
    }
}

fn constraint_json(c: &ConstraintReport, purposes: &PurposeTree) -> Json {
    match &c.atom {
        Some(a) => json!({
            "id": c.uid,
            "leftOperand": terms::compact_vocab(&a.left_operand),
            "operator": a.operator.term(),
            "rightOperand": a.right_operand.to_string(),
            "leftValue": c.left_value.as_ref().map(|v| v.to_string()),
            "state": sat(c.satisfaction),
            "de": c.explain(Lang::De, purposes),
            "en": c.explain(Lang::En, purposes),
        }),
        None => json!({
            "id": c.uid,
            "logical": c.logical.map(|l| l.term()),
            "state": sat(c.satisfaction),
            "members": c.children.iter().map(|ch| constraint_json(ch, purposes)).collect::<Vec<_>>(),
        }),
    }
}

fn rule_json(r: &RuleReport, purposes: &PurposeTree) -> Json {
    json!({
        "kind": r.kind.property(),
        "index": r.index,
        "id": r.uid,
        "action": r.action.as_deref().map(terms::compact_vocab),
        "activation": match r.activation { Activation::Active => "active", Activation::Inactive => "inactive" },
        "premises": r.premises.iter().map(|p| json!({
            "premise": match p.kind { PremiseKind::Target => "target", PremiseKind::Party => "party", PremiseKind::Action => "action" },
            "expected": p.expected, "actual": p.actual, "state": sat(p.satisfaction),
        })).collect::<Vec<_>>(),
        "constraints": r.constraints.iter().map(|c| constraint_json(c, purposes)).collect::<Vec<_>>(),
        "refinements": r.refinements.iter().map(|c| constraint_json(c, purposes)).collect::<Vec<_>>(),
        "duties": r.duties.iter().map(|d| json!({
            "id": d.uid,
            "action": terms::compact_vocab(&d.action),
            "activation": match d.activation { Activation::Active => "active", Activation::Inactive => "inactive" },
            "state": match (d.deontic, d.pending) {
                (DeonticState::Fulfilled, _) => "fulfilled",
                (DeonticState::Violated, _) => "violated",
                (DeonticState::NotSet, true) => "pending",
                (DeonticState::NotSet, false) => "not fulfilled",
            },
            "constraints": d.constraints.iter().map(|c| constraint_json(c, purposes)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
