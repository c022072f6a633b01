//! The federation's membership credential, its revocation list, and the Charta acceptance.
//!
//! The broker's authority issues a **membership credential** to each admitted participant: a
//! VC-JWT (VCDM 1.1 JWT encoding) signed with ES256. Header: `alg` ES256, `kid` the
//! authority's DID URL, `typ` JWT. Claims: `iss` (authority DID), `sub` (participant DID),
//! `iat`, `nbf`, `exp`, `jti` (`urn:uuid:…`), `cnf.jwk` (the participant's public key, so a
//! connector can check a caller's self-issued token without fetching its DID document), and
//! `vc` with the subject's legal name, participant type, AGS, Charta version and hash, and a
//! `BitstringStatusListEntry` for revocation.
//!
//! ```
//! use contracts::membership::*;
//! use vocab::jose::SigningKey;
//!
//! let authority = SigningKey::generate("did:web:broker.example#key-1").unwrap();
//! let participant = SigningKey::generate("did:web:musterstadt.example#key-1").unwrap();
//! let charta = contracts::charta::Charta::default_1_0();
//! let claims = MembershipClaims {
//!     participant: "did:web:musterstadt.example".into(),
//!     legal_name: "Stadt Musterstadt".into(),
//!     participant_type: "https://w3id.org/gemeinwohl-datenraum/ns#Municipality".into(),
//!     ags: vec!["09162000".into()],
//!     charta_version: charta.version().into(),
//!     charta_hash: charta.sha256().into(),
//!     participant_key: participant.public_key(),
//!     status: StatusEntry { list_url: "https://broker.example/status/1".into(), index: 7 },
//! };
//! let now = 1_750_000_000;
//! let jwt = issue(&authority, &claims, Validity { not_before: now, not_after: now + 86_400 }).unwrap();
//! let accepted = [AcceptedCharta::of(&charta)];
//! let member = verify(&jwt, &authority.public_key(), now + 60, &accepted, None).unwrap();
//! assert_eq!(member.claims.legal_name, "Stadt Musterstadt");
//! assert!(matches!(verify(&jwt, &authority.public_key(), now + 90_000, &accepted, None),
//!     Err(MembershipError::Expired { .. })));
//! ```

mod acceptance;
mod status_list;

use serde_json::{Map, Value, json};
use vocab::jose::{JoseError, PublicKey, SigningKey};

pub use acceptance::{ChartaAcceptance, sign_charta_acceptance, verify_charta_acceptance};
pub use status_list::StatusList;

use crate::charta::Charta;

/// The credential type.
pub const CREDENTIAL_TYPE: &str = "DataSpaceMembershipCredential";
/// Clock skew tolerated when checking `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 60;
/// The VCDM 1.1 base context.
pub const VC_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// The project's namespace, used as the credential subject's context.
pub const GWD_CONTEXT: &str = "https://w3id.org/gemeinwohl-datenraum/ns#";

/// Issuing or verifying a credential, status list or acceptance failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipError {
    /// The credential's `exp` lies in the past.
    #[error("the credential expired at {expired_at} (now {now})")]
    Expired {
        /// Its `exp`.
        expired_at: i64,
        /// The time checked against.
        now: i64,
    },
    /// The credential's `nbf` (or `iat`) lies in the future.
    #[error("the credential is not valid before {not_before} (now {now})")]
    NotYetValid {
        /// Its `nbf`.
        not_before: i64,
        /// The time checked against.
        now: i64,
    },
    /// Issued by someone other than the pinned authority.
    #[error("wrong issuer: expected {expected}, found {found}")]
    WrongIssuer {
        /// The authority's DID.
        expected: String,
        /// The issuer (or key id) found.
        found: String,
    },
    /// The signature does not verify with the authority's key.
    #[error("bad signature: the credential was changed or not signed by the authority")]
    BadSignature,
    /// The credential names a Charta version/hash this connector does not accept.
    #[error("unknown Charta version {version} (hash {hash}); accepted: {accepted}")]
    UnknownCharta {
        /// The version named.
        version: String,
        /// The hash named.
        hash: String,
        /// What is accepted.
        accepted: String,
    },
    /// The credential is revoked in the status list.
    #[error("the credential is revoked (status list {list_url}, index {index})")]
    Revoked {
        /// The status list.
        list_url: String,
        /// The index.
        index: u64,
    },
    /// The status list given is not the one the credential refers to.
    #[error("status list mismatch: the credential refers to {expected}, the list given is {found}")]
    StatusListMismatch {
        /// The list the credential names.
        expected: String,
        /// The list given.
        found: String,
    },
    /// A claim is missing or malformed.
    #[error("claim {claim}: {message}")]
    Claim {
        /// The claim's path (`vc.credentialSubject.chartaHash`).
        claim: String,
        /// What is wrong.
        message: String,
    },
    /// The token is not a well-formed JWS/JWT.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// A status list operation failed (index out of range, bad encoding, too large).
    #[error("status list: {0}")]
    StatusList(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(JoseError),
}

/// Where the credential's revocation bit lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// URL of the status list credential.
    pub list_url: String,
    /// Index of the credential's bit.
    pub index: u64,
}

/// What the credential states about its subject.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipClaims {
    /// The participant's DID (`sub`).
    pub participant: String,
    /// Its legal name.
    pub legal_name: String,
    /// Its participant type IRI (`gwd:Municipality`, `gwd:Company`, …).
    pub participant_type: String,
    /// Its municipality keys (for municipalities).
    pub ags: Vec<String>,
    /// The Charta version it accepted.
    pub charta_version: String,
    /// That Charta's SHA-256.
    pub charta_hash: String,
    /// Its public key (`cnf.jwk`).
    pub participant_key: PublicKey,
    /// Its revocation entry.
    pub status: StatusEntry,
}

/// When a credential is valid (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// `nbf` (and `iat`).
    pub not_before: i64,
    /// `exp`.
    pub not_after: i64,
}

/// A Charta version a verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedCharta {
    /// The version (`1.0`).
    pub version: String,
    /// Its SHA-256.
    pub sha256: String,
}

impl AcceptedCharta {
    /// Accept this Charta.
    pub fn of(charta: &Charta) -> AcceptedCharta {
        AcceptedCharta {
            version: charta.version().to_owned(),
            sha256: charta.sha256().to_owned(),
        }
    }
}

/// A verified membership.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The verified claims.
    pub claims: MembershipClaims,
    /// The issuing authority's DID.
    pub issuer: String,
    /// `jti`.
    pub id: String,
    /// `nbf`.
    pub not_before: i64,
    /// `exp`.
    pub expires_at: i64,
}

pub(crate) fn did_of(kid: &str) -> &str {
    kid.split('#').next().unwrap_or(kid)
}

/// Issues a membership credential signed by the authority's key (its `kid` is the
/// authority's DID URL; `iss` is that DID).
pub fn issue(
    authority: &SigningKey,
    claims: &MembershipClaims,
    validity: Validity,
) -> Result<String, MembershipError> {
    if validity.not_after <= validity.not_before {
        return Err(MembershipError::Claim {
            claim: "exp".into(),
            message: "the credential would expire before it becomes valid".into(),
        });
    }
    let issuer = did_of(authority.kid()).to_owned();
    let jti = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let subject = json!({
        "id": claims.participant,
        "legalName": claims.legal_name,
        "participantType": claims.participant_type,
        "ags": claims.ags,
        "chartaVersion": claims.charta_version,
        "chartaHash": claims.charta_hash,
    });
    let vc = json!({
        "@context": [VC_CONTEXT, {"@vocab": GWD_CONTEXT}],
        "id": jti,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer,
        "credentialSubject": subject,
        "credentialStatus": {
            "id": format!("{}#{}", claims.status.list_url, claims.status.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": claims.status.index.to_string(),
            "statusListCredential": claims.status.list_url,
        },
    });
    let mut map = Map::new();
    map.insert("iss".into(), Value::String(issuer));
    map.insert("sub".into(), Value::String(claims.participant.clone()));
    map.insert("iat".into(), validity.not_before.into());
    map.insert("nbf".into(), validity.not_before.into());
    map.insert("exp".into(), validity.not_after.into());
    map.insert("jti".into(), Value::String(jti));
    map.insert(
        "cnf".into(),
        json!({"jwk": claims.participant_key.to_jwk_value()}),
    );
    map.insert("vc".into(), vc);
    authority
        .sign_jwt(&map, Some("JWT"))
        .map_err(MembershipError::Signing)
}

fn claim_str<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<&'a str, MembershipError> {
    obj.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| MembershipError::Claim {
            claim: format!("{path}{name}"),
            message: "missing or not a string".into(),
        })
}

fn map_jose(
    e: JoseError,
    now: i64,
    claims_hint: Option<&Map<String, Value>>,
    authority: &str,
) -> MembershipError {
    let num = |c: &str| {
        claims_hint
            .and_then(|m| m.get(c))
            .and_then(Value::as_i64)
            .unwrap_or_default()
    };
    match e {
        JoseError::BadSignature => MembershipError::BadSignature,
        JoseError::KeyId { found, .. } => MembershipError::WrongIssuer {
            expected: authority.to_owned(),
            found: found.unwrap_or_else(|| "(no kid)".into()),
        },
        JoseError::Claim {
            claim: "exp",
            reason,
        } if reason.starts_with("expired") => MembershipError::Expired {
            expired_at: num("exp"),
            now,
        },
        JoseError::Claim {
            claim: "nbf" | "iat",
            ..
        } => MembershipError::NotYetValid {
            not_before: num("nbf").max(num("iat")),
            now,
        },
        JoseError::Claim { claim, reason } => MembershipError::Claim {
            claim: claim.into(),
            message: reason,
        },
        other => MembershipError::Malformed(other.to_string()),
    }
}

/// Verifies a membership credential against the pinned authority key at time `now` (Unix
/// seconds): signature, issuer, validity period, credential type, subject, the Charta
/// version/hash (must be one of `accepted`) and, when the status list is given, revocation.
pub fn verify(
    jwt: &str,
    authority_key: &PublicKey,
    now: i64,
    accepted: &[AcceptedCharta],
    status: Option<&StatusList>,
) -> Result<Membership, MembershipError> {
    let authority = did_of(authority_key.kid().unwrap_or_default()).to_owned();
    let hint: Option<Map<String, Value>> = vocab::jose::peek_payload(jwt)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok());
    let claims = authority_key
        .verify_jwt(jwt, now, LEEWAY_SECS)
        .map_err(|e| map_jose(e, now, hint.as_ref(), &authority))?;
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf.as_i64().ok_or_else(|| MembershipError::Claim {
            claim: "nbf".into(),
            message: "not an integer".into(),
        })?;
        if nbf - LEEWAY_SECS > now {
            return Err(MembershipError::NotYetValid {
                not_before: nbf,
                now,
            });
        }
    }
    let iss = claim_str(&claims, "", "iss")?;
    if iss != authority {
        return Err(MembershipError::WrongIssuer {
            expected: authority,
            found: iss.to_owned(),
        });
    }
    let sub = claim_str(&claims, "", "sub")?.to_owned();
    let jti = claim_str(&claims, "", "jti")?.to_owned();
    let vc = claims
        .get("vc")
        .and_then(Value::as_object)
        .ok_or_else(|| MembershipError::Claim {
            claim: "vc".into(),
            message: "missing or not an object".into(),
        })?;
    let types: Vec<&str> = vc
        .get("type")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !types.contains(&"VerifiableCredential") || !types.contains(&CREDENTIAL_TYPE) {
        return Err(MembershipError::Claim {
            claim: "vc.type".into(),
            message: format!(
                "expected [\"VerifiableCredential\", \"{CREDENTIAL_TYPE}\"], found {types:?}"
            ),
        });
    }
    let subject = vc
        .get("credentialSubject")
        .and_then(Value::as_object)
        .ok_or_else(|| MembershipError::Claim {
            claim: "vc.credentialSubject".into(),
            message: "missing or not an object".into(),
        })?;
    let p = "vc.credentialSubject.";
    if claim_str(subject, p, "id")? != sub {
        return Err(MembershipError::Claim {
            claim: format!("{p}id"),
            message: format!("differs from sub {sub}"),
        });
    }
    let version = claim_str(subject, p, "chartaVersion")?.to_owned();
    let hash = claim_str(subject, p, "chartaHash")?.to_owned();
    if !accepted
        .iter()
        .any(|a| a.version == version && a.sha256 == hash)
    {
        return Err(MembershipError::UnknownCharta {
            version,
            hash,
            accepted: accepted
                .iter()
                .map(|a| a.version.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let ags = match subject.get("ags") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| MembershipError::Claim {
                        claim: format!("{p}ags"),
                        message: "expected strings".into(),
                    })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(MembershipError::Claim {
                claim: format!("{p}ags"),
                message: "expected an array".into(),
            });
        }
    };
    let jwk = claims
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .ok_or_else(|| MembershipError::Claim {
            claim: "cnf.jwk".into(),
            message: "missing: the participant's public key".into(),
        })?;
    let participant_key = PublicKey::from_jwk_value(jwk).map_err(|e| MembershipError::Claim {
        claim: "cnf.jwk".into(),
        message: e.to_string(),
    })?;
    let cs = vc
        .get("credentialStatus")
        .and_then(Value::as_object)
        .ok_or_else(|| MembershipError::Claim {
            claim: "vc.credentialStatus".into(),
            message: "missing or not an object".into(),
        })?;
    let sp = "vc.credentialStatus.";
    if claim_str(cs, sp, "type")? != "BitstringStatusListEntry"
        || claim_str(cs, sp, "statusPurpose")? != "revocation"
    {
        return Err(MembershipError::Claim {
            claim: format!("{sp}type"),
            message: "expected a BitstringStatusListEntry for revocation".into(),
        });
    }
    let index: u64 =
        claim_str(cs, sp, "statusListIndex")?
            .parse()
            .map_err(|_| MembershipError::Claim {
                claim: format!("{sp}statusListIndex"),
                message: "not a non-negative integer".into(),
            })?;
    let list_url = claim_str(cs, sp, "statusListCredential")?.to_owned();
    if let Some(list) = status {
        if list.url() != list_url {
            return Err(MembershipError::StatusListMismatch {
                expected: list_url,
                found: list.url().to_owned(),
            });
        }
        if list.is_revoked(index)? {
            return Err(MembershipError::Revoked { list_url, index });
        }
    }
    let num = |c: &str| claims.get(c).and_then(Value::as_i64).unwrap_or_default();
    Ok(Membership {
        claims: MembershipClaims {
            participant: sub,
            legal_name: claim_str(subject, p, "legalName")?.to_owned(),
            participant_type: claim_str(subject, p, "participantType")?.to_owned(),
            ags,
            charta_version: version,
            charta_hash: hash,
            participant_key,
            status: StatusEntry { list_url, index },
        },
        issuer: iss.to_owned(),
        id: jti,
        not_before: num("nbf"),
        expires_at: num("exp"),
    })
}
