//! Compiling a policy for fast, repeated evaluation, and the evaluation itself.

use std::sync::Arc;

use super::operand::{self, CompiledRight, OperandKind};
use super::report::*;
use super::{DutyState, EvaluationRequest, WorldState};
use crate::charta::{Charta, PurposeTree};
use crate::odrl::{
    Constraint, LogicalOperator, OdrlError, Operator, Policy, RightOperand, Rule, RuleKind, terms,
};

/// An atomic constraint with its right operand read for its left operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledAtom {
    pub(crate) uid: Option<String>,
    pub(crate) left_operand: String,
    pub(crate) kind: OperandKind,
    pub(crate) operator: Operator,
    pub(crate) right_operand: RightOperand,
    pub(crate) right: CompiledRight,
}

#[derive(Debug, Clone)]
enum CompiledConstraint {
    Atom(Arc<CompiledAtom>),
    Logical {
        uid: Option<String>,
        operator: LogicalOperator,
        members: Vec<CompiledConstraint>,
    },
}

#[derive(Debug, Clone)]
struct CompiledDuty {
    uid: Option<String>,
    action: String,
    constraints: Vec<CompiledConstraint>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    kind: RuleKind,
    index: usize,
    uid: Option<String>,
    action: Option<String>,
    target: Option<String>,
    assignee: Option<String>,
    constraints: Vec<CompiledConstraint>,
    refinements: Vec<CompiledConstraint>,
    duties: Vec<CompiledDuty>,
}

/// A policy prepared for evaluation: operands typed, purpose lists expanded along the
/// Charta's hierarchy, regions read. Compile once, evaluate many times.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    uid: String,
    rules: Vec<CompiledRule>,
    purposes: Arc<PurposeTree>,
}

fn compile_constraint(
    c: &Constraint,
    path: &str,
    purposes: &PurposeTree,
) -> Result<CompiledConstraint, OdrlError> {
    match c {
        Constraint::Atomic(a) => {
            let kind = OperandKind::of(&a.left_operand);
            let right = operand::compile_right(kind, a.operator, &a.right_operand, purposes, path)?;
            Ok(CompiledConstraint::Atom(Arc::new(CompiledAtom {
                uid: a.uid.clone(),
                left_operand: a.left_operand.clone(),
                kind,
                operator: a.operator,
                right_operand: a.right_operand.clone(),
                right,
            })))
        }
        Constraint::Logical(l) => Ok(CompiledConstraint::Logical {
            uid: l.uid.clone(),
            operator: l.operator,
            members: l
                .operands
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    compile_constraint(m, &format!("{path}.{}[{i}]", l.operator.term()), purposes)
                })
                .collect::<Result<_, _>>()?,
        }),
    }
}

fn compile_list(
    list: &[Constraint],
    path: &str,
    key: &str,
    purposes: &PurposeTree,
) -> Result<Vec<CompiledConstraint>, OdrlError> {
    list.iter()
        .enumerate()
        .map(|(i, c)| compile_constraint(c, &format!("{path}.{key}[{i}]"), purposes))
        .collect()
}

fn compile_rule(
    policy: &Policy,
    rule: &Rule,
    kind: RuleKind,
    index: usize,
    purposes: &PurposeTree,
) -> Result<CompiledRule, OdrlError> {
    let path = format!("$.{}[{index}]", kind.property());
    let refinements = match &rule.action {
        Some(a) => compile_list(
            &a.refinements,
            &format!("{path}.action"),
            "refinement",
            purposes,
        )?,
        None => Vec::new(),
    };
    let nested = match kind {
        RuleKind::Permission => "duty",
        RuleKind::Prohibition => "remedy",
        _ => "consequence",
    };
    let duties = rule
        .duties
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let dpath = format!("{path}.{nested}[{i}]");
            Ok(CompiledDuty {
                uid: d.uid.clone(),
                action: d.action_iri().unwrap_or_default().to_owned(),
                constraints: compile_list(&d.constraints, &dpath, "constraint", purposes)?,
            })
        })
        .collect::<Result<_, OdrlError>>()?;
    Ok(CompiledRule {
        kind,
        index,
        uid: rule.uid.clone(),
        action: rule.action_iri().map(str::to_owned),
        target: rule.target.clone().or_else(|| policy.target.clone()),
        assignee: rule.assignee.clone().or_else(|| policy.assignee.clone()),
        constraints: compile_list(&rule.constraints, &path, "constraint", purposes)?,
        refinements,
        duties,
    })
}

/// Checks that every constraint's right operand can be read for its left operand (a
/// `dateTime` that is a date, a `count` that is a number, …) without a Charta.
pub(crate) fn check_values(policy: &Policy) -> Result<(), OdrlError> {
    let purposes = PurposeTree::default();
    let mut counters = [0usize; 3];
    for (kind, rule) in policy.rules() {
        let slot = match kind {
            RuleKind::Permission => 0,
            RuleKind::Prohibition => 1,
            _ => 2,
        };
        compile_rule(policy, rule, kind, counters[slot], &purposes)?;
        counters[slot] += 1;
    }
    Ok(())
}

fn evaluate_constraint(
    c: &CompiledConstraint,
    request: &EvaluationRequest,
    world: &WorldState,
    purposes: &PurposeTree,
) -> ConstraintReport {
    match c {
        CompiledConstraint::Atom(atom) => {
            let left = operand::left_value(atom.kind, &atom.left_operand, request, world);
            let ok = left.as_ref().is_some_and(|l| {
                operand::holds(atom.kind, atom.operator, l, &atom.right, purposes, world)
            });
            ConstraintReport {
                uid: atom.uid.clone(),
                atom: Some(Arc::clone(atom)),
                left_value: left,
                logical: None,
                children: Vec::new(),
                satisfaction: Satisfaction::from_bool(ok),
            }
        }
        CompiledConstraint::Logical {
            uid,
            operator,
            members,
        } => {
            let children: Vec<ConstraintReport> = members
                .iter()
                .map(|m| evaluate_constraint(m, request, world, purposes))
                .collect();
            let satisfied = children.iter().filter(|c| c.satisfaction.holds()).count();
            let ok = match operator {
                LogicalOperator::And | LogicalOperator::AndSequence => satisfied == children.len(),
                LogicalOperator::Or => satisfied >= 1,
                LogicalOperator::Xone => satisfied == 1,
            };
            ConstraintReport {
                uid: uid.clone(),
                atom: None,
                left_value: None,
                logical: Some(*operator),
                children,
                satisfaction: Satisfaction::from_bool(ok),
            }
        }
    }
}

fn duty_report(
    duty: &CompiledDuty,
    request: &EvaluationRequest,
    world: &WorldState,
    purposes: &PurposeTree,
) -> DutyReport {
    let constraints: Vec<ConstraintReport> = duty
        .constraints
        .iter()
        .map(|c| evaluate_constraint(c, request, world, purposes))
        .collect();
    let active = constraints.iter().all(|c| c.satisfaction.holds());
    let state = duty
        .uid
        .as_ref()
        .and_then(|u| world.duties.get(u))
        .or_else(|| world.duties.get(&duty.action))
        .copied();
    DutyReport {
        uid: duty.uid.clone(),
        action: duty.action.clone(),
        activation: if active {
            Activation::Active
        } else {
            Activation::Inactive
        },
        constraints,
        deontic: match state {
            Some(DutyState::Fulfilled) => DeonticState::Fulfilled,
            Some(DutyState::Violated) => DeonticState::Violated,
            Some(DutyState::Pending) | None => DeonticState::NotSet,
        },
        pending: state == Some(DutyState::Pending),
    }
}

impl CompiledPolicy {
    /// Compiles a policy; purposes are read against the Charta's purpose hierarchy.
    /// Errors name the constraint (`$.permission[0].constraint[1].rightOperand`) and what is
    /// wrong with its value.
    pub fn compile(policy: &Policy, charta: &Charta) -> Result<CompiledPolicy, OdrlError> {
        CompiledPolicy::compile_with_purposes(policy, charta.purposes().clone())
    }

    /// Compiles with an explicit purpose hierarchy (an empty one for plain ODRL).
    pub fn compile_with_purposes(
        policy: &Policy,
        purposes: PurposeTree,
    ) -> Result<CompiledPolicy, OdrlError> {
        let mut rules = Vec::new();
        for (kind, list) in [
            (RuleKind::Permission, &policy.permissions),
            (RuleKind::Prohibition, &policy.prohibitions),
            (RuleKind::Obligation, &policy.obligations),
        ] {
            for (i, rule) in list.iter().enumerate() {
                rules.push(compile_rule(policy, rule, kind, i, &purposes)?);
            }
        }
        Ok(CompiledPolicy {
            uid: policy.uid.clone(),
            rules,
            purposes: Arc::new(purposes),
        })
    }

    /// The purpose hierarchy used for labels and `isA`.
    pub fn purposes(&self) -> &PurposeTree {
        &self.purposes
    }

    /// Evaluates a request in a state of the world.
    pub fn evaluate(&self, request: &EvaluationRequest, world: &WorldState) -> Report {
        let mut reports = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            reports.push(self.evaluate_rule(rule, request, world));
        }
        let permitted = reports.iter().any(RuleReport::permits)
            && !reports
                .iter()
                .any(|r| r.kind == RuleKind::Prohibition && r.activation == Activation::Active);
        Report {
            policy_uid: self.uid.clone(),
            decision: if permitted {
                Decision::Permitted
            } else {
                Decision::Denied
            },
            rules: reports,
            purposes: Arc::clone(&self.purposes),
            request_action: request.action.clone(),
        }
    }

    fn evaluate_rule(
        &self,
        rule: &CompiledRule,
        request: &EvaluationRequest,
        world: &WorldState,
    ) -> RuleReport {
        let purposes = &*self.purposes;
        let mut premises = Vec::with_capacity(3);
        if let Some(target) = &rule.target {
            let ok = request
                .target
                .as_deref()
                .is_some_and(|t| world.is_part_of(t, target));
            premises.push(PremiseReport {
                kind: PremiseKind::Target,
                satisfaction: Satisfaction::from_bool(ok),
                expected: target.clone(),
                actual: request.target.clone(),
            });
        }
        if let Some(assignee) = &rule.assignee {
            let ok = request
                .party
                .as_deref()
                .is_some_and(|p| world.is_part_of(p, assignee));
            premises.push(PremiseReport {
                kind: PremiseKind::Party,
                satisfaction: Satisfaction::from_bool(ok),
                expected: assignee.clone(),
                actual: request.party.clone(),
            });
        }
        if let Some(action) = &rule.action {
            let ok = terms::action_included_in(&request.action, action);
            premises.push(PremiseReport {
                kind: PremiseKind::Action,
                satisfaction: Satisfaction::from_bool(ok),
                expected: action.clone(),
                actual: Some(request.action.clone()),
            });
        }
        let constraints: Vec<ConstraintReport> = rule
            .constraints
            .iter()
            .map(|c| evaluate_constraint(c, request, world, purposes))
            .collect();
        let refinements: Vec<ConstraintReport> = rule
            .refinements
            .iter()
            .map(|c| evaluate_constraint(c, request, world, purposes))
            .collect();
        let duties: Vec<DutyReport> = match rule.kind {
            RuleKind::Permission => rule
                .duties
                .iter()
                .map(|d| duty_report(d, request, world, purposes))
                .collect(),
            RuleKind::Obligation => {
                let own = CompiledDuty {
                    uid: rule.uid.clone(),
                    action: rule.action.clone().unwrap_or_default(),
                    constraints: Vec::new(),
                };
                vec![duty_report(&own, request, world, purposes)]
            }
            _ => Vec::new(),
        };
        let mut active = premises.iter().all(|p| p.satisfaction.holds())
            && constraints.iter().all(|c| c.satisfaction.holds());
        match rule.kind {
            RuleKind::Permission => active = active && !duties.iter().any(DutyReport::blocks),
            // A refinement narrows the prohibited action: a request outside it is not prohibited.
            RuleKind::Prohibition => {
                active = active && refinements.iter().all(|c| c.satisfaction.holds())
            }
            _ => {}
        }
        RuleReport {
            kind: rule.kind,
            index: rule.index,
            uid: rule.uid.clone(),
            action: rule.action.clone(),
            activation: if active {
                Activation::Active
            } else {
                Activation::Inactive
            },
            premises,
            constraints,
            refinements,
            duties,
        }
    }
}
