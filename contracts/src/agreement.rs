//! Agreements: built from an offer and the consumer's accepted request, signed by both
//! parties, verifiable by anyone holding their public keys.
//!
//! The agreement travels as a DSP 2025-1 `Agreement` (it validates against the DSP schema,
//! which allows extra properties). The extra properties are full IRIs in the project's
//! namespace: the Charta version and hash, the SHA-256 of the rendered contract text, the
//! template id, version and parameters, the start and end, and the signatures.
//!
//! Each party signs the RFC 8785 (JCS) canonical form of the agreement object *without* the
//! signatures property, as a detached ES256 JWS (`header..signature`). Verification needs
//! both signatures, from keys whose DID is the assigner (provider) and assignee (consumer);
//! any change to the agreement after signing breaks both.
//!
//! ```
//! use contracts::agreement::*;
//! use contracts::charta::Charta;
//! use contracts::odrl::{Policy, PolicyKind, Rule};
//! use vocab::jose::SigningKey;
//!
//! let charta = Charta::default_1_0();
//! let offer = Policy::new(PolicyKind::Offer, "urn:offer:1").with_permission(Rule::new("use"));
//! let provider = SigningKey::generate("did:web:stadtwerke.example#key-1").unwrap();
//! let consumer = SigningKey::generate("did:web:musterstadt.example#key-1").unwrap();
//! let terms = AgreementTerms {
//!     agreement_id: "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44".into(),
//!     provider: "did:web:stadtwerke.example".into(),
//!     consumer: "did:web:musterstadt.example".into(),
//!     target: "urn:dataset:strom-2024".into(),
//!     signed_at: "2025-03-01T10:00:00Z".parse().unwrap(),
//!     start: "2025-03-01T10:00:00Z".parse().unwrap(),
//!     end: Some("2026-03-01T10:00:00Z".parse().unwrap()),
//!     contract: ContractReference::default(),
//! };
//! let agreement = Agreement::build(&offer, &offer, &terms, &charta).unwrap();
//! let mut signed = SignedAgreement::new(agreement);
//! signed.sign(Role::Provider, &provider).unwrap();
//! signed.sign(Role::Consumer, &consumer).unwrap();
//! let wire = signed.to_dsp_json();
//! let received = SignedAgreement::from_dsp_json(&wire).unwrap();
//! received.verify(&provider.public_key(), &consumer.public_key()).unwrap();
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use vocab::jose::{JoseError, PublicKey, SigningKey, peek_header};

use crate::charta::Charta;
use crate::odrl::{OdrlError, Policy, PolicyKind, TermsDifference, terms::GWD};

/// Which party signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The data provider (the agreement's assigner).
    Provider,
    /// The data consumer (the agreement's assignee).
    Consumer,
}

impl Role {
    /// `provider` or `consumer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Provider => "provider",
            Role::Consumer => "consumer",
        }
    }
}

/// Building, reading, signing or verifying an agreement failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgreementError {
    /// The request does not carry the terms of the offer.
    #[error("the request's terms differ from the offer: {0}")]
    TermsDiffer(#[from] TermsDifference),
    /// The ODRL part is not a valid policy.
    #[error("agreement policy: {0}")]
    Policy(#[from] OdrlError),
    /// A field is missing or malformed (the message names it).
    #[error("agreement field {field}: {message}")]
    Field {
        /// The field (`@id`, `https://w3id.org/gemeinwohl-datenraum/ns#chartaHash`, …).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A party's signature is missing.
    #[error("the {0} has not signed the agreement")]
    MissingSignature(&'static str),
    /// A party signed twice.
    #[error("the {0} signed the agreement more than once")]
    DuplicateSignature(&'static str),
    /// The signature is by someone other than the party.
    #[error("the {role}'s signature is by {found}, expected {expected}")]
    WrongSigner {
        /// provider or consumer.
        role: &'static str,
        /// The party's DID.
        expected: String,
        /// The signer found (key id or DID).
        found: String,
    },
    /// The signature does not verify over the canonical agreement (it was changed).
    #[error("the {role}'s signature does not verify: {source}")]
    BadSignature {
        /// provider or consumer.
        role: &'static str,
        /// The JOSE error.
        source: JoseError,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(JoseError),
    /// Canonicalisation (RFC 8785) failed.
    #[error("canonical JSON: {0}")]
    Canonical(String),
}

/// Which contract text (rendered template) the agreement is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContractReference {
    /// The template's id (empty when the offer was not made from a template).
    pub template_id: String,
    /// The template's semantic version.
    pub template_version: String,
    /// SHA-256 (hex) of the rendered contract text.
    pub contract_sha256: String,
    /// The parameter values the contract was rendered with.
    pub parameters: BTreeMap<String, String>,
}

/// What the connectors know when they conclude an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTerms {
    /// The agreement's identifier (`urn:uuid:…`).
    pub agreement_id: String,
    /// The provider's DID (becomes the assigner).
    pub provider: String,
    /// The consumer's DID (becomes the assignee).
    pub consumer: String,
    /// The dataset the agreement is about.
    pub target: String,
    /// When it was concluded (the DSP `timestamp`).
    pub signed_at: DateTime<Utc>,
    /// When use may begin.
    pub start: DateTime<Utc>,
    /// When use ends, if fixed.
    pub end: Option<DateTime<Utc>>,
    /// The rendered contract it is about.
    pub contract: ContractReference,
}

/// An agreement (not yet, or not necessarily, signed).
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// The ODRL part: a DSP `Agreement` with target, assigner and assignee.
    pub policy: Policy,
    /// The Charta version both parties are bound by.
    pub charta_version: String,
    /// Its SHA-256.
    pub charta_sha256: String,
    /// The contract text.
    pub contract: ContractReference,
    /// Start of use.
    pub start: DateTime<Utc>,
    /// End of use, if fixed.
    pub end: Option<DateTime<Utc>>,
}

fn key(local: &str) -> String {
    format!("{GWD}{local}")
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn did_of(kid: &str) -> &str {
    kid.split('#').next().unwrap_or(kid)
}

impl Agreement {
    /// Builds the agreement from the provider's offer and the offer in the consumer's accepted
    /// request; they must have the same terms.
    pub fn build(
        offer: &Policy,
        request: &Policy,
        terms: &AgreementTerms,
        charta: &Charta,
    ) -> Result<Agreement, AgreementError> {
        request.same_terms(offer)?;
        for (field, value) in [
            ("@id", &terms.agreement_id),
            ("assigner", &terms.provider),
            ("assignee", &terms.consumer),
            ("target", &terms.target),
        ] {
            if value.trim().is_empty() {
                return Err(AgreementError::Field {
                    field: field.into(),
                    message: "must not be empty".into(),
                });
            }
        }
        if let Some(end) = terms.end
            && end <= terms.start
        {
            return Err(AgreementError::Field {
                field: key("end"),
                message: format!(
                    "{} is not after the start {}",
                    time(&end),
                    time(&terms.start)
                ),
            });
        }
        let mut policy = Policy::new(PolicyKind::Agreement, terms.agreement_id.clone());
        policy.profiles = offer.profiles.clone();
        policy.assigner = Some(terms.provider.clone());
        policy.assignee = Some(terms.consumer.clone());
        policy.target = Some(terms.target.clone());
        policy.timestamp = Some(time(&terms.signed_at));
        policy.permissions = offer.permissions.clone();
        policy.prohibitions = offer.prohibitions.clone();
        policy.obligations = offer.obligations.clone();
        Ok(Agreement {
            policy,
            charta_version: charta.version().to_owned(),
            charta_sha256: charta.sha256().to_owned(),
            contract: terms.contract.clone(),
            start: terms.start,
            end: terms.end,
        })
    }

    /// The provider's DID (assigner).
    pub fn provider(&self) -> &str {
        self.policy.assigner.as_deref().unwrap_or_default()
    }

    /// The consumer's DID (assignee).
    pub fn consumer(&self) -> &str {
        self.policy.assignee.as_deref().unwrap_or_default()
    }

    /// The DSP `Agreement` object with the extension properties (no signatures).
    pub fn to_dsp_json(&self) -> Value {
        let mut value = self.policy.to_dsp_json();
        if let Value::Object(obj) = &mut value {
            obj.insert(
                key("chartaVersion"),
                Value::String(self.charta_version.clone()),
            );
            obj.insert(key("chartaHash"), Value::String(self.charta_sha256.clone()));
            obj.insert(
                key("contractSha256"),
                Value::String(self.contract.contract_sha256.clone()),
            );
            obj.insert(
                key("template"),
                Value::String(self.contract.template_id.clone()),
            );
            obj.insert(
                key("templateVersion"),
                Value::String(self.contract.template_version.clone()),
            );
            let params: Map<String, Value> = self
                .contract
                .parameters
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            obj.insert(key("parameters"), Value::Object(params));
            obj.insert(key("start"), Value::String(time(&self.start)));
            if let Some(end) = &self.end {
                obj.insert(key("end"), Value::String(time(end)));
            }
        }
        value
    }

    /// Reads an agreement written by [`Agreement::to_dsp_json`] (signatures, if present, are
    /// ignored here; see [`SignedAgreement::from_dsp_json`]).
    pub fn from_dsp_json(value: &Value) -> Result<Agreement, AgreementError> {
        let policy = Policy::from_dsp_json(value)?;
        if policy.kind != PolicyKind::Agreement {
            return Err(AgreementError::Field {
                field: "@type".into(),
                message: format!("expected Agreement, found {}", policy.kind),
            });
        }
        for (field, v) in [
            ("assigner", &policy.assigner),
            ("assignee", &policy.assignee),
            ("target", &policy.target),
        ] {
            if v.is_none() {
                return Err(AgreementError::Field {
                    field: field.into(),
                    message: "missing: a DSP Agreement names target, assigner and assignee".into(),
                });
            }
        }
        let obj = value.as_object().ok_or_else(|| AgreementError::Field {
            field: "$".into(),
            message: "not an object".into(),
        })?;
        let text = |local: &str, required: bool| -> Result<Option<String>, AgreementError> {
            match obj.get(&key(local)) {
                Some(Value::String(s)) => Ok(Some(s.clone())),
                None if !required => Ok(None),
                None => Err(AgreementError::Field {
                    field: key(local),
                    message: "missing".into(),
                }),
                Some(_) => Err(AgreementError::Field {
                    field: key(local),
                    message: "expected a string".into(),
                }),
            }
        };
        let date = |local: &str, required: bool| -> Result<Option<DateTime<Utc>>, AgreementError> {
            text(local, required)?
                .map(|s| {
                    DateTime::parse_from_rfc3339(&s)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|e| AgreementError::Field {
                            field: key(local),
                            message: format!("\"{s}\" is not a date-time: {e}"),
                        })
                })
                .transpose()
        };
        let parameters = match obj.get(&key("parameters")) {
            None => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(AgreementError::Field {
                        field: format!("{}.{k}", key("parameters")),
                        message: "expected a string".into(),
                    }),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(AgreementError::Field {
                    field: key("parameters"),
                    message: "expected an object".into(),
                });
            }
        };
        Ok(Agreement {
            charta_version: text("chartaVersion", true)?.unwrap_or_default(),
            charta_sha256: text("chartaHash", true)?.unwrap_or_default(),
            contract: ContractReference {
                template_id: text("template", false)?.unwrap_or_default(),
                template_version: text("templateVersion", false)?.unwrap_or_default(),
                contract_sha256: text("contractSha256", true)?.unwrap_or_default(),
                parameters,
            },
            start: date("start", true)?.unwrap_or_default(),
            end: date("end", false)?,
            policy,
        })
    }
}

/// One party's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartySignature {
    /// Provider or consumer.
    pub role: Role,
    /// The signing key's id (a DID URL of the party).
    pub kid: String,
    /// Detached compact JWS (`header..signature`) over the canonical agreement.
    pub jws: String,
}

/// An agreement with the signatures collected so far.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedAgreement {
    /// The agreement.
    pub agreement: Agreement,
    /// The JSON that is signed (the agreement object without signatures), as received.
    document: Value,
    /// The signatures.
    pub signatures: Vec<PartySignature>,
}

/// The property holding the signatures.
pub fn signatures_property() -> String {
    key("signatures")
}

fn canonical(document: &Value) -> Result<Vec<u8>, AgreementError> {
    serde_jcs::to_vec(document).map_err(|e| AgreementError::Canonical(e.to_string()))
}

impl SignedAgreement {
    /// An agreement without signatures yet.
    pub fn new(agreement: Agreement) -> SignedAgreement {
        let document = agreement.to_dsp_json();
        SignedAgreement {
            agreement,
            document,
            signatures: Vec::new(),
        }
    }

    /// The bytes both parties sign: RFC 8785 canonical JSON of the agreement object.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, AgreementError> {
        canonical(&self.document)
    }

    /// SHA-256 (hex) of the canonical bytes: the agreement's fingerprint.
    pub fn fingerprint(&self) -> Result<String, AgreementError> {
        use sha2::Digest;
        Ok(hex::encode(sha2::Sha256::digest(self.canonical_bytes()?)))
    }

    /// Adds the signature of `role` with `key`; the key's id must be a DID URL of that party.
    pub fn sign(&mut self, role: Role, key: &SigningKey) -> Result<(), AgreementError> {
        let party = match role {
            Role::Provider => self.agreement.provider(),
            Role::Consumer => self.agreement.consumer(),
        };
        if did_of(key.kid()) != party {
            return Err(AgreementError::WrongSigner {
                role: role.as_str(),
                expected: party.to_owned(),
                found: key.kid().to_owned(),
            });
        }
        if self.signatures.iter().any(|s| s.role == role) {
            return Err(AgreementError::DuplicateSignature(role.as_str()));
        }
        let jws = key
            .sign_detached(&self.canonical_bytes()?)
            .map_err(AgreementError::Signing)?;
        self.signatures.push(PartySignature {
            role,
            kid: key.kid().to_owned(),
            jws,
        });
        Ok(())
    }

    /// Verifies both signatures: present once each, by keys of the assigner (provider) and
    /// assignee (consumer), over exactly this agreement.
    pub fn verify(
        &self,
        provider_key: &PublicKey,
        consumer_key: &PublicKey,
    ) -> Result<(), AgreementError> {
        self.verify_party(Role::Provider, provider_key)?;
        self.verify_party(Role::Consumer, consumer_key)
    }

    /// Verifies one party's signature (the other may still be missing): present once, by a
    /// key of that party's DID, over exactly this agreement.
    pub fn verify_party(&self, role: Role, public: &PublicKey) -> Result<(), AgreementError> {
        let bytes = self.canonical_bytes()?;
        let party = match role {
            Role::Provider => self.agreement.provider(),
            Role::Consumer => self.agreement.consumer(),
        };
        let mut found = self.signatures.iter().filter(|s| s.role == role);
        let sig = found
            .next()
            .ok_or(AgreementError::MissingSignature(role.as_str()))?;
        if found.next().is_some() {
            return Err(AgreementError::DuplicateSignature(role.as_str()));
        }
        let header = peek_header(&sig.jws).map_err(|e| AgreementError::BadSignature {
            role: role.as_str(),
            source: e,
        })?;
        let header_kid = header.kid.unwrap_or_default();
        if did_of(&header_kid) != party || header_kid != sig.kid {
            return Err(AgreementError::WrongSigner {
                role: role.as_str(),
                expected: party.to_owned(),
                found: header_kid,
            });
        }
        if public.kid().is_some_and(|k| did_of(k) != party) {
            return Err(AgreementError::WrongSigner {
                role: role.as_str(),
                expected: party.to_owned(),
                found: public.kid().unwrap_or_default().to_owned(),
            });
        }
        public
            .verify_detached(&sig.jws, &bytes)
            .map(|_| ())
            .map_err(|e| match e {
                JoseError::KeyId { expected, found } => AgreementError::WrongSigner {
                    role: role.as_str(),
                    expected,
                    found: found.unwrap_or_default(),
                },
                other => AgreementError::BadSignature {
                    role: role.as_str(),
                    source: other,
                },
            })
    }

    /// The DSP `Agreement` object with the extension properties and the signatures.
    pub fn to_dsp_json(&self) -> Value {
        let mut value = self.document.clone();
        if let Value::Object(obj) = &mut value {
            let sigs: Vec<Value> = self
                .signatures
                .iter()
                .map(|s| serde_json::json!({"role": s.role.as_str(), "kid": s.kid, "jws": s.jws}))
                .collect();
            obj.insert(signatures_property(), Value::Array(sigs));
        }
        value
    }

    /// Reads a signed agreement as received (call [`SignedAgreement::verify`] before trusting it).
    pub fn from_dsp_json(value: &Value) -> Result<SignedAgreement, AgreementError> {
        let mut document = value.clone();
        let sigs = match &mut document {
            Value::Object(obj) => obj.remove(&signatures_property()),
            _ => None,
        };
        let agreement = Agreement::from_dsp_json(&document)?;
        let mut signatures = Vec::new();
        let field = signatures_property();
        match sigs {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let get = |k: &str| {
                        item.get(k)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| AgreementError::Field {
                                field: format!("{field}[{i}].{k}"),
                                message: "missing or not a string".into(),
                            })
                    };
                    let role = match get("role")?.as_str() {
                        "provider" => Role::Provider,
                        "consumer" => Role::Consumer,
                        other => {
                            return Err(AgreementError::Field {
                                field: format!("{field}[{i}].role"),
                                message: format!("\"{other}\" is neither provider nor consumer"),
                            });
                        }
                    };
                    signatures.push(PartySignature {
                        role,
                        kid: get("kid")?,
                        jws: get("jws")?,
                    });
                }
            }
            Some(_) => {
                return Err(AgreementError::Field {
                    field,
                    message: "expected an array".into(),
                });
            }
        }
        Ok(SignedAgreement {
            agreement,
            document,
            signatures,
        })
    }
}
