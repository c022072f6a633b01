//! ODRL 2.2 policies: the model, the compact JSON-LD of DSP 2025-1, Turtle, and comparison.
//!
//! ```
//! use contracts::odrl::{Policy, PolicyKind, Rule, Constraint, Operator, RightOperand};
//! let offer = Policy::new(PolicyKind::Offer, "urn:uuid:6bcea82e-c509-443d-ba8c-8eef25984c07")
//!     .with_permission(Rule::new("use").with_constraint(Constraint::atomic(
//!         "purpose",
//!         Operator::IsAnyOf,
//!         RightOperand::iri_list(["https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung"]),
//!     )));
//! let json = offer.to_dsp_json();
//! assert_eq!(json["permission"][0]["constraint"][0]["leftOperand"], "purpose");
//! assert_eq!(Policy::from_dsp_json(&json).unwrap(), offer);
//! ```

mod compare;
mod error;
mod json;
mod model;
pub mod terms;
mod turtle;

pub use compare::TermsDifference;
pub use error::OdrlError;
pub use json::{DSP_CONTEXT, ODRL_CONTEXT};
pub use model::{
    Action, AtomicConstraint, Constraint, Literal, LogicalConstraint, LogicalOperator, Operator,
    Policy, PolicyKind, RightOperand, Rule, RuleKind,
};
pub use turtle::parse_turtle;
