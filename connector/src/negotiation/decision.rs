//! What the provider does after each consumer message: agree, wait for an operator,
//! counter-offer, finalize or terminate — from the evaluation of the request with `contracts`,
//! or from the TCK scenario's script.

use super::record::{Evaluation, Negotiation, Waiting};
use super::service::Negotiations;
use super::tck::{ProviderStep, TckScript};
use crate::assets::{ApprovalMode, Offer};
use crate::process::Role;
use crate::terms::RequestFacts;
use crate::trust::Caller;

/// A provider's next step.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderAction {
    /// Nothing now.
    Wait,
    /// Wait for an operator's approval.
    AwaitApproval,
    /// Offer the catalog terms (a counter-offer).
    Offer,
    /// Conclude and send the agreement.
    Agree,
    /// Send FINALIZED.
    Finalize,
    /// Terminate with a code and reasons (German first, then English).
    Terminate {
        /// Machine-readable code.
        code: String,
        /// Reasons.
        reasons: Vec<String>,
    },
    /// TCK: offer, then terminate.
    OfferThenTerminate,
}

/// The consumer message the provider reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The initial request.
    Request,
    /// A counter-request.
    CounterRequest,
    /// The consumer accepted the offer.
    Accepted,
    /// The consumer verified the agreement.
    Verified,
}

fn from_script(step: ProviderStep) -> ProviderAction {
    match step {
        ProviderStep::Wait => ProviderAction::Wait,
        ProviderStep::Offer => ProviderAction::Offer,
        ProviderStep::Agree => ProviderAction::Agree,
        ProviderStep::Finalize => ProviderAction::Finalize,
        ProviderStep::Terminate => ProviderAction::Terminate {
            code: "tck".into(),
            reasons: vec![
                "Vom TCK-Szenario vorgesehen.".into(),
                "Scripted by the TCK scenario.".into(),
            ],
        },
        ProviderStep::OfferThenTerminate => ProviderAction::OfferThenTerminate,
    }
}

impl Negotiations {
    /// Decides the provider's reaction to `trigger`; records the evaluation on `n`.
    pub(super) fn decide(
        &self,
        n: &mut Negotiation,
        offer: &Offer,
        caller: &Caller,
        trigger: Trigger,
    ) -> ProviderAction {
        if let Some(TckScript::Provider(script)) = n.tck {
            return from_script(match trigger {
                Trigger::Request => script.on_request,
                Trigger::CounterRequest => script.on_counter_request,
                Trigger::Accepted => script.on_accepted,
                Trigger::Verified => script.on_verified,
            });
        }
        match trigger {
            Trigger::Verified => ProviderAction::Finalize,
            Trigger::Accepted => match n.last_offer() {
                // The consumer accepted the provider's own offer: those terms are evaluated;
                // an offer an operator made is approved already.
                Some(step) if step.by == Role::Provider => {
                    let (policy, by_operator) = (step.policy.clone(), step.by_operator);
                    let approval = if by_operator {
                        ApprovalMode::Automatic
                    } else {
                        offer.approval
                    };
                    self.evaluate_and_decide(n, &policy, approval, caller)
                }
                _ => self.evaluate_and_decide(n, &offer.policy, offer.approval, caller),
            },
            Trigger::Request | Trigger::CounterRequest => {
                let Some(request) = n.last_offer().map(|s| s.policy.clone()) else {
                    return self.evaluate_and_decide(n, &offer.policy, offer.approval, caller);
                };
                match self.terms.same_terms(&offer.message_json(), &request) {
                    Ok(()) => self.evaluate_and_decide(n, &offer.policy, offer.approval, caller),
                    Err(diff) if n.provider_counter_offers == 0 => {
                        tracing::info!(negotiation = %n.id, difference = %diff, "request differs from the offer; counter-offering the published terms");
                        ProviderAction::Offer
                    }
                    Err(diff) => ProviderAction::Terminate {
                        code: "terms_differ".into(),
                        reasons: vec![
                            format!(
                                "Die angefragten Bedingungen weichen vom veröffentlichten Angebot ab: {diff}"
                            ),
                            format!("The requested terms differ from the published offer: {diff}"),
                        ],
                    },
                }
            }
        }
    }

    /// Evaluates `policy` for the caller; agrees, waits for approval (`approval` manual) or
    /// terminates with the evaluation's reasons.
    fn evaluate_and_decide(
        &self,
        n: &mut Negotiation,
        policy: &serde_json::Value,
        approval: ApprovalMode,
        caller: &Caller,
    ) -> ProviderAction {
        let facts = RequestFacts {
            caller,
            dataset_id: &n.dataset_id,
            purpose: n.purpose.as_deref(),
            now: chrono::Utc::now(),
        };
        let evaluation = match self.terms.evaluate(policy, &facts) {
            Ok(e) => e,
            Err(e) => Evaluation {
                permitted: false,
                reasons_de: vec![format!("Das Angebot kann nicht ausgewertet werden: {e}")],
                reasons_en: vec![format!("The offer cannot be evaluated: {e}")],
            },
        };
        let action = if !evaluation.permitted {
            let mut reasons = evaluation.reasons_de.clone();
            reasons.extend(evaluation.reasons_en.iter().cloned());
            if reasons.is_empty() {
                reasons = vec![
                    "Die Anfrage erfüllt die Bedingungen des Angebots nicht.".into(),
                    "The request does not meet the offer's conditions.".into(),
                ];
            }
            ProviderAction::Terminate {
                code: "policy_denied".into(),
                reasons,
            }
        } else if approval == ApprovalMode::Manual {
            ProviderAction::AwaitApproval
        } else {
            ProviderAction::Agree
        };
        n.evaluation = Some(evaluation);
        if action == ProviderAction::AwaitApproval {
            n.waiting = Some(Waiting::Approval);
        }
        action
    }
}
