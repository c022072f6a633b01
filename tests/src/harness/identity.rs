//! The federation's test authority and participant identities: membership credentials are
//! issued through `contracts::membership`, the same code path the broker's authority uses.

use contracts::charta::Charta;
use contracts::membership::{self, MembershipClaims, StatusEntry, Validity};
use vocab::jose::{PublicKey, SigningKey};

/// The test authority.
pub struct Authority {
    /// Its DID.
    pub did: String,
    /// Its key.
    pub key: SigningKey,
}

/// Participant types (IRIs).
pub const MUNICIPALITY: &str = "https://w3id.org/gemeinwohl-datenraum/ns#Municipality";
/// A company.
pub const COMPANY: &str = "https://w3id.org/gemeinwohl-datenraum/ns#Company";

/// What a credential says.
#[derive(Clone, Debug)]
pub struct Member {
    /// Legal name.
    pub legal_name: String,
    /// Participant type IRI.
    pub participant_type: String,
    /// Municipality keys.
    pub ags: Vec<String>,
}

impl Member {
    /// A municipality.
    pub fn municipality(name: &str, ags: &str) -> Self {
        Self {
            legal_name: name.into(),
            participant_type: MUNICIPALITY.into(),
            ags: vec![ags.into()],
        }
    }

    /// A company.
    pub fn company(name: &str) -> Self {
        Self {
            legal_name: name.into(),
            participant_type: COMPANY.into(),
            ags: Vec::new(),
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Authority {
    /// A fresh authority.
    pub fn new() -> Self {
        let did = "did:web:authority.test".to_owned();
        let key = SigningKey::generate(&format!("{did}#authority-key")).expect("authority key");
        Self { did, key }
    }

    /// The public key as JWK JSON (with kid), as a connector pins it.
    pub fn public_jwk(&self) -> String {
        self.key.public_key().to_jwk_value().to_string()
    }

    /// A membership credential for `did` bound to `key`, valid for a day, with the default
    /// Charta.
    pub fn credential(&self, did: &str, key: &PublicKey, member: &Member) -> String {
        let charta = Charta::default_1_0();
        self.credential_with(
            did,
            key,
            member,
            charta.version(),
            charta.sha256(),
            now() - 60,
            now() + 86_400,
        )
    }

    /// A membership credential whose revocation bit is `index` in the list at `list_url`.
    pub fn credential_indexed(
        &self,
        did: &str,
        key: &PublicKey,
        member: &Member,
        list_url: &str,
        index: u64,
    ) -> String {
        let charta = Charta::default_1_0();
        let claims = MembershipClaims {
            participant: did.into(),
            legal_name: member.legal_name.clone(),
            participant_type: member.participant_type.clone(),
            ags: member.ags.clone(),
            charta_version: charta.version().into(),
            charta_hash: charta.sha256().into(),
            participant_key: key.clone(),
            status: StatusEntry {
                list_url: list_url.into(),
                index,
            },
        };
        membership::issue(
            &self.key,
            &claims,
            Validity {
                not_before: now() - 60,
                not_after: now() + 86_400,
            },
        )
        .expect("issue credential")
    }

    /// A membership credential with explicit Charta and validity.
    #[allow(clippy::too_many_arguments)]
    pub fn credential_with(
        &self,
        did: &str,
        key: &PublicKey,
        member: &Member,
        charta_version: &str,
        charta_hash: &str,
        not_before: i64,
        not_after: i64,
    ) -> String {
        let claims = MembershipClaims {
            participant: did.into(),
            legal_name: member.legal_name.clone(),
            participant_type: member.participant_type.clone(),
            ags: member.ags.clone(),
            charta_version: charta_version.into(),
            charta_hash: charta_hash.into(),
            participant_key: key.clone(),
            status: StatusEntry {
                list_url: "https://authority.test/status/1".into(),
                index: 1,
            },
        };
        membership::issue(
            &self.key,
            &claims,
            Validity {
                not_before,
                not_after,
            },
        )
        .expect("issue credential")
    }
}

impl Default for Authority {
    fn default() -> Self {
        Self::new()
    }
}

/// A participant played by a test.
#[derive(Clone, Debug)]
pub struct Participant {
    /// Its DID.
    pub did: String,
    /// Its key.
    pub key: SigningKey,
    /// Its membership credential.
    pub credential: String,
}

impl Participant {
    /// A participant for `did` with a credential from `authority`.
    pub fn new(authority: &Authority, did: &str, member: &Member) -> Self {
        let key = SigningKey::generate(&format!("{did}#key-1")).expect("key");
        let credential = authority.credential(did, &key.public_key(), member);
        Self {
            did: did.into(),
            key,
            credential,
        }
    }

    /// A request token for a call to `audience` (fresh `jti`, two minutes).
    pub fn token(&self, audience: &str) -> String {
        connector::trust::TokenIssuer::new(
            &self.did,
            self.key.clone(),
            Some(self.credential.clone()),
            120,
        )
        .issue(audience)
        .expect("sign token")
    }

    /// A token with explicit claims (for negative tests), signed with this participant's key.
    pub fn token_with(&self, claims: serde_json::Map<String, serde_json::Value>) -> String {
        self.key.sign_jwt(&claims, None).expect("sign token")
    }
}
