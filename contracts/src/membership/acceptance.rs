//! The Charta acceptance a participant signs at onboarding: a compact JWS (ES256) over
//! `{"chartaVersion", "chartaHash", "participant", "iat"}`, signed with the participant's own
//! key (whose DID must be the participant).

use serde::{Deserialize, Serialize};
use vocab::jose::{JoseError, PublicKey, SigningKey};

use super::{MembershipError, did_of};
use crate::charta::Charta;

/// What a participant accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartaAcceptance {
    /// The Charta version.
    pub charta_version: String,
    /// Its SHA-256.
    pub charta_hash: String,
    /// The participant's DID.
    pub participant: String,
    /// When it was signed (Unix seconds).
    pub iat: i64,
}

impl ChartaAcceptance {
    /// The acceptance of `charta` by `participant` at `iat`.
    pub fn new(charta: &Charta, participant: impl Into<String>, iat: i64) -> Self {
        ChartaAcceptance {
            charta_version: charta.version().to_owned(),
            charta_hash: charta.sha256().to_owned(),
            participant: participant.into(),
            iat,
        }
    }
}

/// Signs the acceptance with the participant's key (its `kid` must be a DID URL of the
/// participant).
pub fn sign_charta_acceptance(
    key: &SigningKey,
    acceptance: &ChartaAcceptance,
) -> Result<String, MembershipError> {
    if did_of(key.kid()) != acceptance.participant {
        return Err(MembershipError::WrongIssuer {
            expected: acceptance.participant.clone(),
            found: key.kid().to_owned(),
        });
    }
    let payload =
        serde_json::to_vec(acceptance).map_err(|e| MembershipError::Malformed(e.to_string()))?;
    key.sign_compact_typed(&payload, "charta-acceptance+jws", Some("application/json"))
        .map_err(MembershipError::Signing)
}

/// Verifies an acceptance with the participant's public key; when `charta` is given, the
/// acceptance must name exactly its version and hash.
pub fn verify_charta_acceptance(
    jws: &str,
    participant_key: &PublicKey,
    charta: Option<&Charta>,
) -> Result<ChartaAcceptance, MembershipError> {
    let (_, payload) = participant_key.verify_compact(jws).map_err(|e| match e {
        JoseError::BadSignature => MembershipError::BadSignature,
        JoseError::KeyId { expected, found } => MembershipError::WrongIssuer {
            expected,
            found: found.unwrap_or_default(),
        },
        other => MembershipError::Malformed(other.to_string()),
    })?;
    let acceptance: ChartaAcceptance = serde_json::from_slice(&payload)
        .map_err(|e| MembershipError::Malformed(format!("acceptance payload: {e}")))?;
    if let Some(kid) = participant_key.kid()
        && did_of(kid) != acceptance.participant
    {
        return Err(MembershipError::WrongIssuer {
            expected: acceptance.participant.clone(),
            found: kid.to_owned(),
        });
    }
    if let Some(c) = charta
        && (c.version() != acceptance.charta_version || c.sha256() != acceptance.charta_hash)
    {
        return Err(MembershipError::UnknownCharta {
            version: acceptance.charta_version.clone(),
            hash: acceptance.charta_hash.clone(),
            accepted: c.version().to_owned(),
        });
    }
    Ok(acceptance)
}
