//! What an operator can do with a negotiation through the management API: approve or reject
//! a request waiting for approval, counter-offer, accept an offer, terminate.

use std::collections::BTreeMap;

use serde_json::Value;

use super::consumer::ConsumerAction;
use super::contract::ContractText;
use super::decision::ProviderAction;
use super::record::{Negotiation, Waiting};
use super::service::{DspFailure, Negotiations};
use crate::process::Role;
use crate::store::WriteBatch;

/// An operator's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorDecision {
    /// Provider: agree to the request waiting for approval.
    Approve,
    /// Provider: refuse it (terminate with the reasons given).
    Reject(Vec<String>),
    /// Consumer: propose other terms (an ODRL policy; `@id`, `@type` and `target` are filled
    /// in). A provider counters with [`OperatorDecision::CounterWithTemplate`].
    Counter(Value),
    /// Provider: counter-offer the terms of a stored template rendered with these parameter
    /// values; the offer carries the rendered German text, which the agreement then names.
    CounterWithTemplate(TemplateCounter),
    /// Consumer: accept the provider's offer.
    Accept,
    /// Either side: terminate with the reasons given.
    Terminate(Vec<String>),
}

/// A provider's counter-offer made from a stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCounter {
    /// The template's id.
    pub template_id: String,
    /// Its version.
    pub template_version: String,
    /// Parameter values (canonical text form); absent ones take the template's defaults.
    pub parameters: BTreeMap<String, String>,
}

/// Why an operator's decision cannot be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// No such negotiation.
    #[error("no negotiation {0}")]
    NotFound(String),
    /// Not possible in the negotiation's current state or for this side.
    #[error("{0}")]
    NotNow(String),
    /// The input is not acceptable (names the field).
    #[error("{0}")]
    Invalid(String),
    /// Storage failed.
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl From<DspFailure> for DecisionError {
    fn from(f: DspFailure) -> Self {
        match f {
            DspFailure::Transition(t) => {
                DecisionError::NotNow(format!("not allowed now: {t} (DSP 2025-1 state machine)"))
            }
            DspFailure::Invalid(e) => DecisionError::Invalid(e.to_string()),
            DspFailure::Rejected { reason, .. } => DecisionError::Invalid(reason),
            DspFailure::NotFound => DecisionError::NotFound(String::new()),
            DspFailure::Store(e) => DecisionError::Store(e),
        }
    }
}

fn reasons_or_default(reasons: Vec<String>, de: &str, en: &str) -> Vec<String> {
    let reasons: Vec<String> = reasons
        .into_iter()
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    if reasons.is_empty() {
        vec![de.to_owned(), en.to_owned()]
    } else {
        reasons
    }
}

impl Negotiations {
    /// Carries out an operator's decision on negotiation `id`.
    pub async fn decide_locally(
        &self,
        id: &str,
        decision: OperatorDecision,
    ) -> Result<Negotiation, DecisionError> {
        let _guard = self.locks.lock(id).await;
        let mut n = self
            .get(id)?
            .ok_or_else(|| DecisionError::NotFound(id.to_owned()))?;
        if n.state.is_terminal() {
            return Err(DecisionError::NotNow(format!(
                "the negotiation is {} already",
                n.state
            )));
        }
        let mut batch = WriteBatch::new();
        match (n.role, decision) {
            (Role::Provider, OperatorDecision::Approve) => {
                if n.waiting != Some(Waiting::Approval) {
                    return Err(DecisionError::NotNow(
                        "no request is waiting for approval in this negotiation".into(),
                    ));
                }
                let offer = self.offer_of(&n)?;
                self.act_as_provider(&mut batch, &mut n, &offer, ProviderAction::Agree)?;
            }
            (Role::Provider, OperatorDecision::Reject(reasons)) => {
                let reasons = reasons_or_default(
                    reasons,
                    "Die Anfrage wurde vom Datengeber abgelehnt.",
                    "The request was rejected by the data provider.",
                );
                self.send_termination(&mut batch, &mut n, "rejected".into(), reasons)?;
            }
            (Role::Provider, OperatorDecision::Counter(_)) => {
                return Err(DecisionError::Invalid(
                    "offer: a provider's counter-offer is made from a stored template, so that it carries its German contract text and the agreement names it: give template_id, template_version and parameters instead".into(),
                ));
            }
            (Role::Provider, OperatorDecision::CounterWithTemplate(choice)) => {
                let (policy, contract) = self.render_counter(&n, &choice)?;
                n.waiting = None;
                self.send_offer(&mut batch, &mut n, policy, Some(contract))?;
                if let Some(step) = n.offers.last_mut() {
                    step.by_operator = true;
                }
            }
            (Role::Consumer, OperatorDecision::Accept) => {
                self.act_as_consumer(&mut batch, &mut n, ConsumerAction::Accept)?;
            }
            (Role::Consumer, OperatorDecision::Counter(policy)) => {
                let offer_id = policy
                    .get("@id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(crate::process::new_urn);
                let policy = crate::assets::message_offer(&policy, &offer_id, &n.dataset_id);
                self.terms
                    .policy(&policy)
                    .map_err(|e| DecisionError::Invalid(format!("offer: {e}")))?;
                self.act_as_consumer(&mut batch, &mut n, ConsumerAction::Counter(policy))?;
            }
            (role, OperatorDecision::Terminate(reasons)) => {
                let reasons = reasons_or_default(
                    reasons,
                    "Die Verhandlung wurde beendet.",
                    "The negotiation was terminated.",
                );
                match role {
                    Role::Consumer => self.act_as_consumer(
                        &mut batch,
                        &mut n,
                        ConsumerAction::Terminate("terminated_by_consumer".into(), reasons),
                    )?,
                    Role::Provider => self.send_termination(
                        &mut batch,
                        &mut n,
                        "terminated_by_provider".into(),
                        reasons,
                    )?,
                }
            }
            (role, other) => {
                return Err(DecisionError::NotNow(format!(
                    "{} is not something the {} decides",
                    match other {
                        OperatorDecision::Approve => "approve",
                        OperatorDecision::Reject(_) => "reject",
                        OperatorDecision::Accept => "accept",
                        OperatorDecision::Counter(_) => "counter",
                        OperatorDecision::CounterWithTemplate(_) =>
                            "a counter-offer from a template",
                        OperatorDecision::Terminate(_) => "terminate",
                    },
                    role.as_str()
                )));
            }
        }
        self.commit(batch, &n)?;
        Ok(n)
    }
}

impl Negotiations {
    /// Renders a provider's counter-offer from a stored template: the ODRL offer for the
    /// negotiation's dataset and the contract text that goes with it.
    fn render_counter(
        &self,
        n: &Negotiation,
        choice: &TemplateCounter,
    ) -> Result<(Value, ContractText), DecisionError> {
        let record = self
            .assets
            .template(&choice.template_id, &choice.template_version)?
            .ok_or_else(|| {
                DecisionError::Invalid(format!(
                    "template_id: no template {} version {} is stored",
                    choice.template_id, choice.template_version
                ))
            })?;
        let template = contracts::template::Template::parse(&record.source).map_err(|e| {
            DecisionError::Invalid(format!(
                "template_id: the stored template {} does not read: {e}",
                record.id
            ))
        })?;
        if let Some(asset) = self.assets.asset(&n.dataset_id)?
            && asset.personal_adjacent
            && !template.personal_adjacent
        {
            return Err(DecisionError::Invalid(
                "template_id: the dataset is personal-adjacent: use a template for personal-adjacent data (sandbox access, Charta GW-6/7)".into(),
            ));
        }
        let rendered = template
            .render(&choice.parameters, self.terms.charta())
            .map_err(|e| DecisionError::Invalid(format!("parameters: {e}")))?;
        let policy = crate::assets::message_offer(
            &rendered.offer.to_dsp_json(),
            &crate::process::new_urn(),
            &n.dataset_id,
        );
        self.terms
            .policy(&policy)
            .map_err(|e| DecisionError::Invalid(format!("template_id: the rendered offer: {e}")))?;
        let contract = ContractText {
            template_id: Some(record.id),
            template_version: Some(record.version),
            parameters: Some(rendered.parameters),
            markdown: rendered.markdown,
            sha256: rendered.sha256,
        };
        Ok((policy, contract))
    }
}
