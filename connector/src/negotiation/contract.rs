//! The contract text that goes with an offer in a negotiation.
//!
//! A catalog offer carries its rendered German contract text and that text's SHA-256. A
//! provider's offer inside the negotiation (the automatic re-offer of the published terms, or
//! an operator's counter-offer made from another template) carries the same members, plus the
//! template's id, version and parameter values — the fields the agreement will name. The
//! consumer recomputes the hash from the text it received and refuses an offer whose hash does
//! not match; when the agreement arrives it must name exactly the contract of the offer the
//! consumer accepted (or, for an agreed request, the published one), so both signatures cover
//! the text both parties saw.

use std::collections::BTreeMap;

use contracts::agreement::ContractReference;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Digest;

use crate::assets::{CONTRACT_SHA256_MEMBER, CONTRACT_TEXT_MEMBER, Offer};

/// The extension member naming the template an offer was rendered from.
pub const TEMPLATE_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#template";
/// The extension member naming the template's version.
pub const TEMPLATE_VERSION_MEMBER: &str =
    "https://w3id.org/gemeinwohl-datenraum/ns#templateVersion";
/// The extension member with the parameter values the template was rendered with.
pub const PARAMETERS_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#parameters";

/// The longest contract text accepted inside an offer message (bytes).
pub const MAX_CONTRACT_TEXT: usize = 256 * 1024;

/// A rendered contract text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractText {
    /// The template's id, when the offer states it.
    pub template_id: Option<String>,
    /// The template's version, when the offer states it.
    pub template_version: Option<String>,
    /// The parameter values, when the offer states them.
    pub parameters: Option<BTreeMap<String, String>>,
    /// The German contract text (Markdown).
    pub markdown: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
}

/// SHA-256 (hex) of a contract text.
pub fn text_sha256(markdown: &str) -> String {
    hex::encode(sha2::Sha256::digest(markdown.as_bytes()))
}

impl ContractText {
    /// The contract of a stored catalog offer (with its template, when it has one).
    pub fn of_offer(offer: &Offer) -> Self {
        Self {
            template_id: offer.template.as_ref().map(|t| t.id.clone()),
            template_version: offer.template.as_ref().map(|t| t.version.clone()),
            parameters: Some(offer.parameters.clone()),
            markdown: offer.contract_markdown.clone(),
            sha256: offer.contract_sha256.clone(),
        }
    }

    /// A text with its hash, as published in a catalog (no template named there).
    pub fn published(markdown: String, sha256: String) -> Self {
        Self {
            template_id: None,
            template_version: None,
            parameters: None,
            markdown,
            sha256,
        }
    }

    /// What the agreement names: template, version, parameters and the text's hash.
    pub fn reference(&self) -> ContractReference {
        ContractReference {
            template_id: self.template_id.clone().unwrap_or_default(),
            template_version: self.template_version.clone().unwrap_or_default(),
            contract_sha256: self.sha256.clone(),
            parameters: self.parameters.clone().unwrap_or_default(),
        }
    }

    /// Adds the contract members to an offer (DSP JSON).
    pub fn attach(&self, policy: &mut Value) {
        let Value::Object(m) = policy else {
            return;
        };
        m.insert(CONTRACT_TEXT_MEMBER.into(), self.markdown.clone().into());
        m.insert(CONTRACT_SHA256_MEMBER.into(), self.sha256.clone().into());
        if let Some(id) = &self.template_id {
            m.insert(TEMPLATE_MEMBER.into(), id.clone().into());
        }
        if let Some(v) = &self.template_version {
            m.insert(TEMPLATE_VERSION_MEMBER.into(), v.clone().into());
        }
        if let Some(p) = &self.parameters {
            let params: Map<String, Value> = p
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            m.insert(PARAMETERS_MEMBER.into(), Value::Object(params));
        }
    }

    /// Removes the contract members from an offer (DSP JSON).
    pub fn detach(policy: &mut Value) {
        if let Value::Object(m) = policy {
            for member in [
                CONTRACT_TEXT_MEMBER,
                CONTRACT_SHA256_MEMBER,
                TEMPLATE_MEMBER,
                TEMPLATE_VERSION_MEMBER,
                PARAMETERS_MEMBER,
            ] {
                m.remove(member);
            }
        }
    }

    /// Reads the contract members of an offer received in a message: `None` when it carries
    /// no text. The hash is recomputed from the text; a mismatch, a hash without text (or the
    /// reverse) or a member of the wrong type is an error naming the member.
    pub fn read(policy: &Value) -> Result<Option<Self>, String> {
        let Some(m) = policy.as_object() else {
            return Ok(None);
        };
        let string = |member: &str| -> Result<Option<String>, String> {
            match m.get(member) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("offer.{member}: expected a string")),
            }
        };
        let (markdown, sha256) = match (
            string(CONTRACT_TEXT_MEMBER)?,
            string(CONTRACT_SHA256_MEMBER)?,
        ) {
            (None, None) => return Ok(None),
            (Some(text), Some(sha)) => (text, sha),
            (Some(_), None) => {
                return Err(format!(
                    "offer.{CONTRACT_SHA256_MEMBER}: missing (the offer carries a contract text without its hash)"
                ));
            }
            (None, Some(_)) => {
                return Err(format!(
                    "offer.{CONTRACT_TEXT_MEMBER}: missing (the offer names a contract hash without the text)"
                ));
            }
        };
        if markdown.len() > MAX_CONTRACT_TEXT {
            return Err(format!(
                "offer.{CONTRACT_TEXT_MEMBER}: {} bytes, at most {MAX_CONTRACT_TEXT}",
                markdown.len()
            ));
        }
        let actual = text_sha256(&markdown);
        if !actual.eq_ignore_ascii_case(&sha256) {
            return Err(format!(
                "offer.{CONTRACT_SHA256_MEMBER}: {sha256} is not the SHA-256 of the contract text sent with it ({actual})"
            ));
        }
        let parameters = match m.get(PARAMETERS_MEMBER) {
            None => None,
            Some(Value::Object(p)) => {
                let mut out = BTreeMap::new();
                for (k, v) in p {
                    let Value::String(v) = v else {
                        return Err(format!("offer.{PARAMETERS_MEMBER}.{k}: expected a string"));
                    };
                    out.insert(k.clone(), v.clone());
                }
                Some(out)
            }
            Some(_) => {
                return Err(format!("offer.{PARAMETERS_MEMBER}: expected an object"));
            }
        };
        Ok(Some(Self {
            template_id: string(TEMPLATE_MEMBER)?,
            template_version: string(TEMPLATE_VERSION_MEMBER)?,
            parameters,
            markdown,
            sha256: actual,
        }))
    }

    /// Checks that an agreement's contract reference names this text (and the template,
    /// version and parameters, where this text states them). The error says what differs.
    pub fn check_named_by(&self, named: &ContractReference) -> Result<(), String> {
        if !named.contract_sha256.eq_ignore_ascii_case(&self.sha256) {
            return Err(format!(
                "the agreement names contract text {} but the accepted offer's text has SHA-256 {}",
                named.contract_sha256, self.sha256
            ));
        }
        if let Some(id) = &self.template_id
            && &named.template_id != id
        {
            return Err(format!(
                "the agreement names template {:?} but the accepted offer was made from {id:?}",
                named.template_id
            ));
        }
        if let Some(v) = &self.template_version
            && &named.template_version != v
        {
            return Err(format!(
                "the agreement names template version {:?} but the accepted offer has {v:?}",
                named.template_version
            ));
        }
        if let Some(p) = &self.parameters
            && &named.parameters != p
        {
            return Err(
                "the agreement's template parameters differ from the accepted offer's".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> ContractText {
        let markdown = "# Vertrag\n\n§ 1 Gegenstand\n".to_owned();
        ContractText {
            template_id: Some("kommunale-planung".into()),
            template_version: Some("1.0.0".into()),
            parameters: Some(BTreeMap::from([("k".into(), "10".into())])),
            sha256: text_sha256(&markdown),
            markdown,
        }
    }

    #[test]
    fn attached_members_read_back() {
        let mut policy = serde_json::json!({"@id": "urn:o", "@type": "Offer"});
        text().attach(&mut policy);
        assert_eq!(ContractText::read(&policy), Ok(Some(text())));
        ContractText::detach(&mut policy);
        assert_eq!(
            policy,
            serde_json::json!({"@id": "urn:o", "@type": "Offer"})
        );
        assert_eq!(ContractText::read(&policy), Ok(None));
    }

    #[test]
    fn a_text_that_does_not_match_its_hash_is_refused() {
        let mut policy = serde_json::json!({"@id": "urn:o"});
        text().attach(&mut policy);
        policy[CONTRACT_TEXT_MEMBER] = "# Anderer Vertrag\n".into();
        let e = ContractText::read(&policy).unwrap_err();
        assert!(e.contains("is not the SHA-256"), "{e}");
        policy.as_object_mut().unwrap().remove(CONTRACT_TEXT_MEMBER);
        let e = ContractText::read(&policy).unwrap_err();
        assert!(e.contains("without the text"), "{e}");
    }

    #[test]
    fn an_agreement_must_name_the_accepted_text_and_template() {
        let t = text();
        assert_eq!(t.check_named_by(&t.reference()), Ok(()));
        let mut other = t.reference();
        other.template_id = "mobilitaetsdaten".into();
        assert!(t.check_named_by(&other).unwrap_err().contains("template"));
        let mut other = t.reference();
        other.contract_sha256 = "00".repeat(32);
        assert!(t.check_named_by(&other).unwrap_err().contains("SHA-256"));
        // A published text states no template: only the hash is compared.
        let published = ContractText::published(t.markdown.clone(), t.sha256.clone());
        let mut other = t.reference();
        other.template_id = "whatever".into();
        assert_eq!(published.check_named_by(&other), Ok(()));
    }
}
