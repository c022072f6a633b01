//! The federation's authority: its ES256 key and DID document, the membership credentials it
//! issues at approval, and the revocation status list it signs (cached until something changes
//! or it nears expiry).

use std::path::Path;
use std::sync::Mutex;

use contracts::charta::Charta;
use contracts::membership::{
    ChartaAcceptance, MembershipClaims, StatusEntry, StatusList, Validity, issue,
    verify_charta_acceptance,
};
use vocab::did::DidDocument;
use vocab::jose::{PublicKey, SigningKey};

use crate::error::BrokerError;
use crate::store::Participant;

/// The fragment of the authority's key id.
pub const KEY_FRAGMENT: &str = "authority-key";
/// Path of the status list on the public listener.
pub const STATUS_LIST_PATH: &str = "/api/v1/status-list";

#[derive(Debug, Clone)]
struct CachedList {
    revoked: Vec<u64>,
    jwt: String,
    expires_at: i64,
}

/// The authority.
#[derive(Debug)]
pub struct Authority {
    key: SigningKey,
    did: String,
    status_list_url: String,
    charta: Charta,
    credential_validity_secs: i64,
    status_list_validity_secs: i64,
    cached: Mutex<Option<CachedList>>,
}

/// Creates a new authority key file (private JWK, mode 0600). Refuses to overwrite.
pub fn create_key_file(path: &Path, did: &str) -> Result<SigningKey, BrokerError> {
    if path.exists() {
        return Err(BrokerError::Config(format!(
            "{} exists already; refusing to replace the authority key",
            path.display()
        )));
    }
    let key = SigningKey::generate(&format!("{did}#{KEY_FRAGMENT}"))
        .map_err(|e| BrokerError::Authority(e.to_string()))?;
    crate::secret::write_secret(path, key.to_private_jwk_json().as_bytes())?;
    Ok(key)
}

impl Authority {
    /// Builds the authority from its key; `public_url` names the status list.
    pub fn new(
        key: SigningKey,
        public_url: &str,
        credential_validity_days: u32,
        status_list_validity_secs: u32,
    ) -> Result<Self, BrokerError> {
        let did = vocab::did::did_web_from_url(public_url)
            .map_err(|e| BrokerError::Config(format!("public_url: {e}")))?;
        let expected_kid = format!("{did}#{KEY_FRAGMENT}");
        if key.kid() != expected_kid {
            return Err(BrokerError::Config(format!(
                "the authority key's kid is {:?}, but public_url gives {expected_kid:?}; the key belongs to another broker URL",
                key.kid()
            )));
        }
        Ok(Self {
            key,
            did,
            status_list_url: format!("{}{STATUS_LIST_PATH}", public_url.trim_end_matches('/')),
            charta: Charta::default_1_0(),
            credential_validity_secs: i64::from(credential_validity_days) * 86_400,
            status_list_validity_secs: i64::from(status_list_validity_secs.max(60)),
            cached: Mutex::new(None),
        })
    }

    /// Loads the key file written by `broker init`.
    pub fn load(
        key_file: &Path,
        public_url: &str,
        credential_validity_days: u32,
        status_list_validity_secs: u32,
    ) -> Result<Self, BrokerError> {
        let json = std::fs::read_to_string(key_file).map_err(|e| {
            BrokerError::Config(format!(
                "authority key {}: {e} (create it with `broker init`)",
                key_file.display()
            ))
        })?;
        let key = SigningKey::from_jwk_json(&json, None).map_err(|e| {
            BrokerError::Config(format!("authority key {}: {e}", key_file.display()))
        })?;
        Self::new(
            key,
            public_url,
            credential_validity_days,
            status_list_validity_secs,
        )
    }

    /// The authority's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The authority's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The Charta the federation publishes.
    pub fn charta(&self) -> &Charta {
        &self.charta
    }

    /// The URL of the status list.
    pub fn status_list_url(&self) -> &str {
        &self.status_list_url
    }

    /// The DID document served at `/.well-known/did.json`.
    pub fn did_document(&self) -> Result<DidDocument, BrokerError> {
        DidDocument::new(&self.did)
            .and_then(|d| d.with_key(&self.key.public_key()))
            .map_err(|e| BrokerError::Authority(e.to_string()))
    }

    /// Verifies a Charta acceptance JWS against the participant's key and this Charta.
    pub fn verify_acceptance(
        &self,
        jws: &str,
        key: &PublicKey,
    ) -> Result<ChartaAcceptance, BrokerError> {
        use contracts::membership::MembershipError as M;
        verify_charta_acceptance(jws, key, Some(&self.charta)).map_err(|e| match e {
            M::UnknownCharta { .. } => BrokerError::ChartaMismatch(format!(
                "{e}; this federation publishes Charta {} with SHA-256 {}",
                self.charta.version(),
                self.charta.sha256()
            )),
            M::BadSignature | M::WrongIssuer { .. } => {
                BrokerError::InvalidSignature(format!("chartaAcceptance: {e}"))
            }
            other => BrokerError::InvalidRequest {
                field: "chartaAcceptance".into(),
                reason: other.to_string(),
            },
        })
    }

    /// Issues the membership credential of an approved participant (its status index must be
    /// assigned).
    pub fn issue_credential(
        &self,
        participant: &Participant,
        now: i64,
    ) -> Result<String, BrokerError> {
        let index = participant.status_index.ok_or_else(|| {
            BrokerError::Authority(format!("{} has no status-list index", participant.did))
        })?;
        let key = PublicKey::from_jwk_value(&participant.public_key).map_err(|e| {
            BrokerError::Authority(format!("stored key of {}: {e}", participant.did))
        })?;
        let claims = MembershipClaims {
            participant: participant.did.clone(),
            legal_name: participant.legal_name.clone(),
            participant_type: participant.participant_type.iri().to_owned(),
            ags: participant.ags.iter().cloned().collect(),
            charta_version: self.charta.version().to_owned(),
            charta_hash: self.charta.sha256().to_owned(),
            participant_key: key,
            status: StatusEntry {
                list_url: self.status_list_url.clone(),
                index,
            },
        };
        issue(
            &self.key,
            &claims,
            Validity {
                not_before: now,
                not_after: now + self.credential_validity_secs,
            },
        )
        .map_err(|e| BrokerError::Authority(e.to_string()))
    }

    /// The signed status list for the given revoked indexes; re-signed only when the set
    /// changed or less than a quarter of its validity remains.
    pub fn status_list(&self, mut revoked: Vec<u64>, now: i64) -> Result<String, BrokerError> {
        revoked.sort_unstable();
        revoked.dedup();
        let mut cache = self
            .cached
            .lock()
            .map_err(|_| BrokerError::Authority("status list cache lock poisoned".into()))?;
        if let Some(c) = cache.as_ref()
            && c.revoked == revoked
            && c.expires_at - now > self.status_list_validity_secs / 4
        {
            return Ok(c.jwt.clone());
        }
        let entries = revoked.last().map(|m| *m as usize + 1).unwrap_or(0);
        let mut list = StatusList::new(self.status_list_url.clone(), entries);
        for index in &revoked {
            list.revoke(*index)
                .map_err(|e| BrokerError::Authority(e.to_string()))?;
        }
        let expires_at = now + self.status_list_validity_secs;
        let jwt = list
            .issue(
                &self.key,
                Validity {
                    not_before: now,
                    not_after: expires_at,
                },
            )
            .map_err(|e| BrokerError::Authority(e.to_string()))?;
        *cache = Some(CachedList {
            revoked,
            jwt: jwt.clone(),
            expires_at,
        });
        Ok(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ParticipantStatus, ParticipantType};
    use contracts::membership::{AcceptedCharta, ChartaAcceptance, sign_charta_acceptance, verify};

    fn authority() -> Authority {
        let key =
            SigningKey::generate(&format!("did:web:broker.example#{KEY_FRAGMENT}")).expect("key");
        Authority::new(key, "https://broker.example", 365, 3600).expect("authority")
    }

    fn participant(key: &SigningKey, index: u64) -> Participant {
        Participant {
            did: "did:web:m.example".into(),
            legal_name: "Stadt Musterstadt".into(),
            participant_type: ParticipantType::Municipality,
            ags: Some("09162000".into()),
            connector_endpoint: "https://m.example/dsp".into(),
            public_key: key.public_key().to_jwk_value(),
            charta_acceptance: String::new(),
            charta_version: "1.0".into(),
            status: ParticipantStatus::Active,
            status_index: Some(index),
            requested_at: chrono::Utc::now(),
            decided_at: None,
            reason: None,
            credential: None,
        }
    }

    #[test]
    fn issued_credentials_verify_and_revocation_shows_in_the_list() {
        let a = authority();
        let member = SigningKey::generate("did:web:m.example#key-1").expect("key");
        let now = 1_750_000_000;
        let jwt = a
            .issue_credential(&participant(&member, 3), now)
            .expect("issue");
        let accepted = [AcceptedCharta::of(a.charta())];
        let m = verify(&jwt, &a.public_key(), now + 10, &accepted, None).expect("verifies");
        assert_eq!(m.claims.participant, "did:web:m.example");
        assert_eq!(m.claims.status.index, 3);
        assert_eq!(
            m.claims.status.list_url,
            "https://broker.example/api/v1/status-list"
        );

        let empty = a.status_list(vec![], now).expect("list");
        assert_eq!(
            a.status_list(vec![], now + 1).expect("cached"),
            empty,
            "cached"
        );
        let list = StatusList::verify(&empty, &a.public_key(), now).expect("verify");
        assert!(!list.is_revoked(3).expect("bit"));
        let revoked = a.status_list(vec![3], now + 2).expect("list");
        assert_ne!(revoked, empty);
        let list = StatusList::verify(&revoked, &a.public_key(), now + 2).expect("verify");
        assert!(list.is_revoked(3).expect("bit"));
        assert!(verify(&jwt, &a.public_key(), now + 10, &accepted, Some(&list)).is_err());
    }

    #[test]
    fn acceptance_must_name_this_charta_and_be_signed_by_the_key() {
        let a = authority();
        let member = SigningKey::generate("did:web:m.example#key-1").expect("key");
        let ok = ChartaAcceptance::new(a.charta(), "did:web:m.example", 1);
        let jws = sign_charta_acceptance(&member, &ok).expect("sign");
        a.verify_acceptance(&jws, &member.public_key())
            .expect("valid");
        let other = SigningKey::generate("did:web:m.example#key-1").expect("key");
        assert!(matches!(
            a.verify_acceptance(&jws, &other.public_key()),
            Err(BrokerError::InvalidSignature(_))
        ));
        let mut wrong = ok.clone();
        wrong.charta_hash = "00".repeat(32);
        let jws = sign_charta_acceptance(&member, &wrong).expect("sign");
        assert!(matches!(
            a.verify_acceptance(&jws, &member.public_key()),
            Err(BrokerError::ChartaMismatch(_))
        ));
    }

    #[test]
    fn a_key_of_another_broker_is_refused() {
        let key = SigningKey::generate("did:web:other.example#authority-key").expect("key");
        let err = Authority::new(key, "https://broker.example", 1, 60).expect_err("mismatch");
        assert!(err.to_string().contains("another broker URL"), "{err}");
    }
}
