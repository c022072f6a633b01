//! The connector's use of `contracts`: reading policies, evaluating requests and visibility,
//! comparing terms, and building, signing and checking agreements. One place, so the rest of
//! the connector deals in plain JSON and this module's small types.

use chrono::{DateTime, Utc};
use contracts::agreement::{AgreementError, AgreementTerms, ContractReference, SignedAgreement};
use contracts::charta::Charta;
use contracts::eval::{CompiledPolicy, EvaluationRequest, Lang, RecipientAttributes, WorldState};
use contracts::odrl::Policy;
use serde_json::Value;
use vocab::jose::{PublicKey, SigningKey};

use crate::negotiation::record::Evaluation;
use crate::trust::Caller;

/// A policy or agreement that `contracts` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TermsError(pub String);

/// The facts a provider evaluates a request with.
#[derive(Debug, Clone)]
pub struct RequestFacts<'a> {
    /// The requesting party.
    pub caller: &'a Caller,
    /// The dataset.
    pub dataset_id: &'a str,
    /// The declared purpose (IRI or prefixed name).
    pub purpose: Option<&'a str>,
    /// The time of the decision.
    pub now: DateTime<Utc>,
}

/// The policy engine.
#[derive(Debug)]
pub struct Terms {
    charta: Charta,
    /// Compiled admission and visibility policies by the digest of their JSON (offers are
    /// evaluated again and again; compiling expands purpose lists and reads regions).
    compiled: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<CompiledPolicy>>>,
}

const MAX_COMPILED: usize = 1024;

impl Default for Terms {
    fn default() -> Self {
        Self::new(Charta::default_1_0())
    }
}

fn recipient(caller: &Caller) -> RecipientAttributes {
    RecipientAttributes {
        participant_type: caller.participant_type.clone(),
        ags: caller.ags.clone(),
        charta_member: !caller.tck && caller.charta_version.is_some(),
        charta_version: caller.charta_version.clone(),
    }
}

impl Terms {
    /// An engine bound to a Charta.
    pub fn new(charta: Charta) -> Self {
        Self {
            charta,
            compiled: std::sync::Mutex::default(),
        }
    }

    /// The compiled form of `json` (`admission`: only what is known at conclusion).
    fn compiled(
        &self,
        json: &Value,
        admission: bool,
    ) -> Result<std::sync::Arc<CompiledPolicy>, TermsError> {
        use sha2::Digest;
        let key = format!(
            "{}{}",
            if admission { "a:" } else { "v:" },
            hex::encode(sha2::Sha256::digest(json.to_string().as_bytes()))
        );
        if let Some(c) = self.compiled.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let policy = self.policy(json)?;
        let policy = if admission {
            admission_policy(&policy)
        } else {
            policy
        };
        let compiled = std::sync::Arc::new(
            CompiledPolicy::compile(&policy, &self.charta)
                .map_err(|e| TermsError(e.to_string()))?,
        );
        if let Ok(mut m) = self.compiled.lock() {
            if m.len() >= MAX_COMPILED {
                m.clear();
            }
            m.insert(key, compiled.clone());
        }
        Ok(compiled)
    }

    /// The Charta agreements are bound to.
    pub fn charta(&self) -> &Charta {
        &self.charta
    }

    /// Reads a DSP JSON policy.
    pub fn policy(&self, json: &Value) -> Result<Policy, TermsError> {
        Policy::from_dsp_json(json).map_err(|e| TermsError(e.to_string()))
    }

    /// Evaluates whether an agreement on `policy` may be concluded with `facts.caller`: the
    /// offer's permissions restricted to what is known when concluding (purpose, the
    /// recipient's type, region, Charta membership and version, the date), so that conditions
    /// of use (elapsed time, number of uses, aggregation threshold, area of use) and duties are
    /// left to every later access, where they are checked again.
    pub fn evaluate(
        &self,
        policy: &Value,
        facts: &RequestFacts<'_>,
    ) -> Result<Evaluation, TermsError> {
        let admission = admission_policy(&self.policy(policy)?);
        let compiled = self.compiled(policy, true)?;
        let mut world = WorldState::at(facts.now);
        world.recipient = recipient(facts.caller);
        let mut actions: Vec<String> = admission
            .permissions
            .iter()
            .filter_map(|r| r.action_iri().map(str::to_owned))
            .collect();
        actions.dedup();
        if actions.is_empty() {
            actions.push("use".into());
        }
        let mut first_denial = None;
        for action in actions {
            let mut request = EvaluationRequest::new(&action)
                .with_party(facts.caller.id.clone())
                .with_target(facts.dataset_id.to_owned());
            if let Some(p) = facts.purpose {
                request = request.with_purpose(p);
            }
            let report = compiled.evaluate(&request, &world);
            if report.is_permitted() {
                return Ok(Evaluation {
                    permitted: true,
                    reasons_de: Vec::new(),
                    reasons_en: Vec::new(),
                });
            }
            first_denial.get_or_insert(Evaluation {
                permitted: false,
                reasons_de: report.denial_reasons(Lang::De),
                reasons_en: report.denial_reasons(Lang::En),
            });
        }
        Ok(first_denial.unwrap_or(Evaluation {
            permitted: false,
            reasons_de: Vec::new(),
            reasons_en: Vec::new(),
        }))
    }

    /// Whether `caller` may see an offer with this visibility policy (`None`: everyone
    /// admitted). An unreadable policy hides the offer.
    pub fn visible(&self, visibility: Option<&Value>, caller: &Caller, now: DateTime<Utc>) -> bool {
        let Some(policy) = visibility else {
            return true;
        };
        let Ok(compiled) = self.compiled(policy, false) else {
            return false;
        };
        let request = EvaluationRequest::new("use").with_party(caller.id.clone());
        let mut world = WorldState::at(now);
        world.recipient = recipient(caller);
        compiled.evaluate(&request, &world).is_permitted()
    }

    /// Checks that `request` carries the terms of `offer`; the error describes the difference.
    pub fn same_terms(&self, offer: &Value, request: &Value) -> Result<(), TermsError> {
        let offer = self.policy(offer)?;
        let request = self.policy(request)?;
        request
            .same_terms(&offer)
            .map_err(|d| TermsError(d.description))
    }

    /// Builds the agreement for an accepted offer and signs it as provider.
    pub fn conclude(
        &self,
        offer: &Value,
        request: &Value,
        terms: AgreementTerms,
        provider_key: &SigningKey,
    ) -> Result<SignedAgreement, TermsError> {
        let offer = self.policy(offer)?;
        let request = self.policy(request)?;
        let agreement =
            contracts::agreement::Agreement::build(&offer, &request, &terms, &self.charta)
                .map_err(|e| TermsError(e.to_string()))?;
        let mut signed = SignedAgreement::new(agreement);
        signed
            .sign(contracts::agreement::Role::Provider, provider_key)
            .map_err(|e| TermsError(e.to_string()))?;
        Ok(signed)
    }

    /// Reads an agreement with its signatures.
    pub fn read_agreement(&self, json: &Value) -> Result<SignedAgreement, TermsError> {
        SignedAgreement::from_dsp_json(json).map_err(|e| TermsError(e.to_string()))
    }

    /// Checks one party's signature on an agreement (the other may still be missing).
    pub fn verify_party(
        &self,
        signed: &SignedAgreement,
        role: contracts::agreement::Role,
        key: &PublicKey,
    ) -> Result<(), TermsError> {
        signed
            .verify_party(role, key)
            .map_err(|e| TermsError(e.to_string()))
    }

    /// Adds this party's signature.
    pub fn countersign(
        &self,
        signed: &mut SignedAgreement,
        role: contracts::agreement::Role,
        key: &SigningKey,
    ) -> Result<(), TermsError> {
        signed
            .sign(role, key)
            .map_err(|e: AgreementError| TermsError(e.to_string()))
    }

    /// Checks both signatures.
    pub fn verify_both(
        &self,
        signed: &SignedAgreement,
        provider: &PublicKey,
        consumer: &PublicKey,
    ) -> Result<(), TermsError> {
        signed
            .verify(provider, consumer)
            .map_err(|e| TermsError(e.to_string()))
    }
}

/// Left operands whose value is known when an agreement is concluded.
fn known_at_conclusion(left_operand: &str) -> bool {
    use contracts::eval::OperandKind as K;
    matches!(
        K::of(left_operand),
        K::Purpose
            | K::RecipientType
            | K::RecipientAgs
            | K::ChartaMembership
            | K::ChartaVersion
            | K::DateTime
    )
}

/// The part of an offer that decides whether an agreement may be concluded: its permissions
/// with only the constraints (and action refinements) on values known at conclusion, without
/// duties; prohibitions and obligations concern the use and are enforced at every access.
pub fn admission_policy(offer: &Policy) -> Policy {
    let mut p = Policy::new(contracts::odrl::PolicyKind::Set, offer.uid.clone());
    p.profiles = offer.profiles.clone();
    for rule in &offer.permissions {
        let mut r = rule.clone();
        r.duties.clear();
        r.constraints.retain(|c| {
            c.atoms()
                .iter()
                .all(|a| known_at_conclusion(&a.left_operand))
        });
        if let Some(action) = &mut r.action {
            action.refinements.retain(|c| {
                c.atoms()
                    .iter()
                    .all(|a| known_at_conclusion(&a.left_operand))
            });
        }
        p.permissions.push(r);
    }
    p
}

/// The contract reference of an offer.
pub fn contract_reference(offer: &crate::assets::Offer) -> ContractReference {
    ContractReference {
        template_id: offer
            .template
            .as_ref()
            .map(|t| t.id.clone())
            .unwrap_or_default(),
        template_version: offer
            .template
            .as_ref()
            .map(|t| t.version.clone())
            .unwrap_or_default(),
        contract_sha256: offer.contract_sha256.clone(),
        parameters: offer.parameters.clone(),
    }
}
