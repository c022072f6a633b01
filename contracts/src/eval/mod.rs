//! Evaluation of ODRL policies in the closed world, with a report that explains itself.
//!
//! The semantics follow the ODRL formal-semantics draft: a request (action, party, target,
//! declared purpose) and a state of the world (time, counters, party attributes, duty states)
//! give, for every rule, whether it is *active* (its target, party, action and constraints
//! match) and, for every constraint, whether it is satisfied with the values compared.
//! Closed world: a value the world does not state is missing, and a constraint on a missing
//! value is unsatisfied.
//!
//! The request is **permitted** when a permission is active (its action refinements hold and
//! its applicable duties are fulfilled or pending) and no prohibition is active. Otherwise it
//! is **denied**, and [`Report::denial_reasons`] names each failing constraint in words a
//! municipal clerk understands, in German and English.
//!
//! Policies are compiled once ([`CompiledPolicy::compile`]): operands are resolved to typed
//! values, purpose lists are expanded along the Charta's `isA` hierarchy and regions are
//! read, so one evaluation only compares.
//!
//! ```
//! use contracts::charta::Charta;
//! use contracts::eval::{CompiledPolicy, EvaluationRequest, WorldState, Lang};
//! use contracts::odrl::{Constraint, Operator, Policy, PolicyKind, RightOperand, Rule};
//!
//! let charta = Charta::default_1_0();
//! let policy = Policy::new(PolicyKind::Agreement, "urn:agreement:1").with_permission(
//!     Rule::new("use").with_constraint(Constraint::atomic(
//!         "purpose", Operator::IsAnyOf,
//!         RightOperand::iri_list(["https://w3id.org/dpv#CombatClimateChange"]))));
//! let compiled = CompiledPolicy::compile(&policy, &charta).unwrap();
//!
//! let heat = EvaluationRequest::new("use")
//!     .with_purpose("https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung");
//! assert!(compiled.evaluate(&heat, &WorldState::default()).is_permitted());
//!
//! let ads = EvaluationRequest::new("use").with_purpose("https://w3id.org/dpv#Advertising");
//! let report = compiled.evaluate(&ads, &WorldState::default());
//! assert!(!report.is_permitted());
//! assert_eq!(report.denial_reasons(Lang::De)[0],
//!     "Der Zweck „Werbung“ ist nicht erlaubt; erlaubt sind: Klimaschutz.");
//! ```

mod compile;
mod explain;
mod operand;
mod region;
mod report;
mod value;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use compile::CompiledPolicy;
pub(crate) use compile::check_values;
pub use operand::OperandKind;
pub use region::Region;
pub use report::{
    Activation, ConstraintReport, Decision, DeonticState, DutyReport, PremiseKind, PremiseReport,
    Report, RuleReport, Satisfaction,
};
pub use value::{Value, XsdDuration, parse_date, parse_date_time};

use crate::charta::Charta;
use crate::odrl::{OdrlError, Policy, terms};

/// The language of explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// German (the default for municipal staff).
    De,
    /// English.
    En,
}

/// What is asked: an action on a target by a party, for a declared purpose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvaluationRequest {
    /// The requested action's IRI.
    pub action: String,
    /// The requesting party (a DID), if known.
    pub party: Option<String>,
    /// The asset (dataset id), if named.
    pub target: Option<String>,
    /// The declared purpose's IRI, if declared.
    pub purpose: Option<String>,
}

impl EvaluationRequest {
    /// A request for an action (compact ODRL term such as `use`, prefixed name or IRI).
    pub fn new(action: &str) -> Self {
        EvaluationRequest {
            action: terms::expand_vocab(action),
            ..EvaluationRequest::default()
        }
    }

    /// Sets the requesting party.
    #[must_use]
    pub fn with_party(mut self, party: impl Into<String>) -> Self {
        self.party = Some(party.into());
        self
    }

    /// Sets the target asset.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the declared purpose (prefixed names such as `dpv:Marketing` are expanded).
    #[must_use]
    pub fn with_purpose(mut self, purpose: &str) -> Self {
        self.purpose = Some(terms::expand_prefixed(purpose));
        self
    }
}

/// The recorded state of a duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DutyState {
    /// It has been performed.
    Fulfilled,
    /// It is not due yet (e.g. delete at the end of the agreement): not violated.
    Pending,
    /// It was due and was not performed.
    Violated,
}

/// Facts about the requesting party (the recipient).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecipientAttributes {
    /// Its participant type IRI (`gwd:Municipality`, `gwd:Company`, …).
    pub participant_type: Option<String>,
    /// Its municipality keys (AGS), for municipalities and associations of them.
    pub ags: Vec<String>,
    /// Whether it holds a valid, unrevoked membership credential.
    pub charta_member: bool,
    /// The Charta version its membership names.
    pub charta_version: Option<String>,
}

/// The state of the world the request is evaluated in (closed world: what is not stated is
/// not known, and constraints on unknown values are unsatisfied).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorldState {
    /// The current time (`dateTime`).
    pub now: Option<DateTime<Utc>>,
    /// When the agreement started (`elapsedTime` is measured from here).
    pub agreement_start: Option<DateTime<Utc>>,
    /// How often the action was exercised before this request (`count` compares this + 1:
    /// the request would be the n-th use).
    pub use_count: Option<u64>,
    /// The requesting party's attributes.
    pub recipient: RecipientAttributes,
    /// The area the data will be used for (`gwd:spatialScope`, `odrl:spatial`), an AGS.
    pub spatial_scope: Option<String>,
    /// The minimum group size of the requested aggregation (`gwd:aggregationThreshold`).
    pub aggregation_k: Option<u64>,
    /// Collection membership (`odrl:partOf`): (member, collection) pairs for parties and assets.
    pub part_of: Vec<(String, String)>,
    /// Recorded duty states, keyed by the duty's `@id` or, for duties without one, its action IRI.
    pub duties: BTreeMap<String, DutyState>,
    /// Values of any other left operand, keyed by the operand's IRI.
    pub values: BTreeMap<String, Value>,
}

impl WorldState {
    /// A world at time `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        WorldState {
            now: Some(now),
            ..WorldState::default()
        }
    }

    pub(crate) fn is_part_of(&self, member: &str, collection: &str) -> bool {
        member == collection
            || self
                .part_of
                .iter()
                .any(|(m, c)| m == member && c == collection)
    }
}

/// Checks that a right operand can be read for a left operand kind with this operator
/// (used by the template check); `Err` says why not.
pub fn check_operand(
    kind: OperandKind,
    operator: crate::odrl::Operator,
    right: &crate::odrl::RightOperand,
) -> Result<(), String> {
    operand::compile_right(
        kind,
        operator,
        right,
        &crate::charta::PurposeTree::default(),
        "$",
    )
    .map(|_| ())
    .map_err(|e| match e {
        OdrlError::Value { message, .. } | OdrlError::Json { message, .. } => message,
        other => other.to_string(),
    })
}

/// Compiles and evaluates in one step (compile once with [`CompiledPolicy`] when evaluating
/// the same policy often).
pub fn evaluate(
    policy: &Policy,
    charta: &Charta,
    request: &EvaluationRequest,
    world: &WorldState,
) -> Result<Report, OdrlError> {
    Ok(CompiledPolicy::compile(policy, charta)?.evaluate(request, world))
}
