//! This connector's own membership: its credential checked the way its counterparties check
//! it, and the state operators see (`connector status`, `/ready`, the management API).
//!
//! The state follows from three things: the pinned authority key, the credential (file or
//! environment) and the join request recorded in the data folder. A connector without a valid
//! credential runs, says why, refuses DSP calls from others (503, "not a member yet") and does
//! not call others.

use contracts::membership::{self, AcceptedCharta, Membership, MembershipError, StatusList};
use serde::Serialize;
use vocab::jose::PublicKey;

use super::local::{JoinRecord, JoinStatus};

/// Where this connector stands in the federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipState {
    /// No join request sent, no credential.
    NotJoined,
    /// A join request waits for the federation operator's decision.
    Pending,
    /// The join request was rejected.
    Rejected,
    /// A valid credential is installed: other connectors accept this connector's calls.
    Member,
    /// The credential's validity period has ended.
    Expired,
    /// The authority revoked the membership.
    Revoked,
    /// A credential is present but not acceptable (wrong authority, participant or Charta).
    Invalid,
}

impl MembershipState {
    /// The state's name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotJoined => "not_joined",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
            Self::Member => "member",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Invalid => "invalid",
        }
    }
}

/// What the installed credential says.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CredentialSummary {
    /// The credential's id (`urn:uuid:…`).
    pub id: String,
    /// The issuing authority.
    pub issuer: String,
    /// The participant type IRI it certifies.
    pub participant_type: String,
    /// The municipality keys it certifies.
    pub ags: Vec<String>,
    /// The legal name it certifies.
    pub legal_name: String,
    /// The Charta version accepted.
    pub charta_version: String,
    /// Valid from (RFC 3339).
    pub valid_from: String,
    /// Valid until (RFC 3339).
    pub valid_until: String,
    /// The revocation list it is entered in.
    pub status_list_url: String,
    /// Where it was read from (file or environment variable).
    pub source: String,
}

impl CredentialSummary {
    /// The summary of a verified credential.
    pub fn of(m: &Membership, source: &str) -> Self {
        let time = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        Self {
            id: m.id.clone(),
            issuer: m.issuer.clone(),
            participant_type: m.claims.participant_type.clone(),
            ags: m.claims.ags.clone(),
            legal_name: m.claims.legal_name.clone(),
            charta_version: m.claims.charta_version.clone(),
            valid_from: time(m.not_before),
            valid_until: time(m.expires_at),
            status_list_url: m.claims.status.list_url.clone(),
            source: source.to_owned(),
        }
    }
}

/// This connector's membership as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MembershipStatus {
    /// The state.
    pub state: MembershipState,
    /// What it means and what to do next, in one sentence.
    pub message: String,
    /// The broker this connector joined (or is joining).
    pub broker_url: Option<String>,
    /// The federation authority's DID (`trust.authority_did`).
    pub authority_did: String,
    /// The pinned authority key's JWK thumbprint, once pinned.
    pub authority_thumbprint: Option<String>,
    /// The installed credential, when valid.
    pub credential: Option<CredentialSummary>,
    /// The join request, if one was sent.
    pub join_request: Option<JoinRecord>,
    /// When this was last checked (ms since 1970).
    pub checked_ms: i64,
}

impl MembershipStatus {
    /// Whether other connectors accept this connector's calls.
    pub fn is_member(&self) -> bool {
        self.state == MembershipState::Member
    }
}

/// Why the own credential is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProblem {
    /// The state it leads to.
    pub state: MembershipState,
    /// What is wrong.
    pub message: String,
}

fn problem(state: MembershipState, message: impl Into<String>) -> CredentialProblem {
    CredentialProblem {
        state,
        message: message.into(),
    }
}

/// The facts an own credential is checked against.
#[derive(Debug, Clone)]
pub struct OwnIdentity<'a> {
    /// This connector's DID.
    pub did: &'a str,
    /// Its public key (the credential must bind it).
    pub key: &'a PublicKey,
    /// The Charta versions it honours.
    pub accepted: &'a [AcceptedCharta],
}

/// Checks this connector's own credential exactly as a counterparty would (authority
/// signature, validity, Charta), and that it names this connector and binds its key. The
/// revocation list is applied when it is the list the credential names.
pub fn check_own_credential(
    jwt: &str,
    authority: &PublicKey,
    own: &OwnIdentity<'_>,
    status_list: Option<&StatusList>,
    now: i64,
) -> Result<Membership, CredentialProblem> {
    let m = membership::verify(jwt, authority, now, own.accepted, None).map_err(|e| match e {
        MembershipError::Expired { .. } => problem(
            MembershipState::Expired,
            format!(
                "the membership credential has expired ({e}); ask the federation for a new one"
            ),
        ),
        MembershipError::NotYetValid { .. } => problem(
            MembershipState::Invalid,
            format!("the membership credential is not valid yet ({e}); check the clock"),
        ),
        other => problem(
            MembershipState::Invalid,
            format!("the membership credential is not acceptable: {other}"),
        ),
    })?;
    if m.claims.participant != own.did {
        return Err(problem(
            MembershipState::Invalid,
            format!(
                "the membership credential is for {}, not for this connector ({})",
                m.claims.participant, own.did
            ),
        ));
    }
    if m.claims.participant_key.thumbprint() != own.key.thumbprint() {
        return Err(problem(
            MembershipState::Invalid,
            "the membership credential binds another key than this connector's (keys/participant.jwk); join again with this key",
        ));
    }
    if let Some(list) = status_list
        && list.url() == m.claims.status.list_url
        && list.is_revoked(m.claims.status.index).unwrap_or(false)
    {
        return Err(problem(
            MembershipState::Revoked,
            format!(
                "the federation's authority revoked this connector's membership (revocation list {}, index {})",
                m.claims.status.list_url, m.claims.status.index
            ),
        ));
    }
    Ok(m)
}

/// The message for a connector without a usable credential, by what the join record says.
pub fn without_credential(record: Option<&JoinRecord>) -> (MembershipState, String) {
    match record {
        None => (
            MembershipState::NotJoined,
            "not a member yet — run `connector join --broker <URL>`".to_owned(),
        ),
        Some(r) => match r.status {
            JoinStatus::Pending | JoinStatus::Active => (
                MembershipState::Pending,
                format!(
                    "not a member yet — the join request at {} waits for the federation operator's approval (check with `connector join --status`)",
                    r.broker_url
                ),
            ),
            JoinStatus::Rejected => (
                MembershipState::Rejected,
                format!(
                    "not a member — the federation operator at {} rejected the join request{}; run `connector join` again once the reason is resolved",
                    r.broker_url,
                    r.reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                ),
            ),
            JoinStatus::Revoked => (
                MembershipState::Revoked,
                format!(
                    "not a member — the federation at {} revoked this membership{}",
                    r.broker_url,
                    r.reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::charta::Charta;
    use contracts::membership::{MembershipClaims, StatusEntry, Validity};
    use vocab::jose::SigningKey;

    struct Fixture {
        authority: SigningKey,
        me: SigningKey,
        accepted: Vec<AcceptedCharta>,
    }

    fn fixture() -> Fixture {
        Fixture {
            authority: SigningKey::generate("did:web:broker.example#authority-key").expect("key"),
            me: SigningKey::generate("did:web:me.example#key-1").expect("key"),
            accepted: vec![AcceptedCharta::of(&Charta::default_1_0())],
        }
    }

    fn credential(f: &Fixture, subject: &str, key: &PublicKey, from: i64, to: i64) -> String {
        let charta = Charta::default_1_0();
        membership::issue(
            &f.authority,
            &MembershipClaims {
                participant: subject.into(),
                legal_name: "Stadt Musterstadt".into(),
                participant_type: "https://w3id.org/gemeinwohl-datenraum/ns#Municipality".into(),
                ags: vec!["09162000".into()],
                charta_version: charta.version().into(),
                charta_hash: charta.sha256().into(),
                participant_key: key.clone(),
                status: StatusEntry {
                    list_url: "https://broker.example/api/v1/status-list".into(),
                    index: 3,
                },
            },
            Validity {
                not_before: from,
                not_after: to,
            },
        )
        .expect("issue")
    }

    #[test]
    fn own_credentials_are_checked_like_a_counterparty_would() {
        let f = fixture();
        let me = f.me.public_key();
        let own = OwnIdentity {
            did: "did:web:me.example",
            key: &me,
            accepted: &f.accepted,
        };
        let now = 1_800_000_000;
        let authority = f.authority.public_key();
        let good = credential(&f, "did:web:me.example", &me, now - 10, now + 1000);
        let m = check_own_credential(&good, &authority, &own, None, now).expect("valid");
        assert_eq!(m.claims.ags, vec!["09162000".to_owned()]);

        let expired = credential(&f, "did:web:me.example", &me, now - 9000, now - 5000);
        let p = check_own_credential(&expired, &authority, &own, None, now).expect_err("expired");
        assert_eq!(p.state, MembershipState::Expired);

        let other = credential(&f, "did:web:other.example", &me, now - 10, now + 1000);
        let p = check_own_credential(&other, &authority, &own, None, now).expect_err("other DID");
        assert!(p.message.contains("did:web:other.example"), "{}", p.message);

        let stranger = SigningKey::generate("did:web:me.example#key-2").expect("key");
        let wrong_key = credential(
            &f,
            "did:web:me.example",
            &stranger.public_key(),
            now - 10,
            now + 1000,
        );
        let p = check_own_credential(&wrong_key, &authority, &own, None, now).expect_err("key");
        assert!(p.message.contains("another key"), "{}", p.message);

        let rogue = SigningKey::generate("did:web:broker.example#authority-key").expect("key");
        let p = check_own_credential(&good, &rogue.public_key(), &own, None, now)
            .expect_err("another authority");
        assert_eq!(p.state, MembershipState::Invalid);

        let mut list = StatusList::new("https://broker.example/api/v1/status-list", 131_072);
        list.revoke(3).expect("revoke");
        let p =
            check_own_credential(&good, &authority, &own, Some(&list), now).expect_err("revoked");
        assert_eq!(p.state, MembershipState::Revoked);
        // Another authority's list says nothing about this credential.
        let mut elsewhere = StatusList::new("https://other.example/status", 131_072);
        elsewhere.revoke(3).expect("revoke");
        check_own_credential(&good, &authority, &own, Some(&elsewhere), now)
            .expect("not this list");
    }

    #[test]
    fn messages_without_a_credential_say_what_to_do() {
        let (state, message) = without_credential(None);
        assert_eq!(state, MembershipState::NotJoined);
        assert!(message.contains("connector join"), "{message}");
        let record = JoinRecord {
            v: JoinRecord::VERSION,
            broker_url: "https://broker.example".into(),
            did: "did:web:me.example".into(),
            authority_did: "did:web:broker.example".into(),
            authority_thumbprint: "t".into(),
            participant_type: "municipality".into(),
            ags: Some("09162000".into()),
            charta_version: "1.0".into(),
            status: JoinStatus::Rejected,
            reason: Some("unbekannt".into()),
            requested_ms: 0,
            checked_ms: 0,
        };
        let (state, message) = without_credential(Some(&record));
        assert_eq!(state, MembershipState::Rejected);
        assert!(message.contains("unbekannt"), "{message}");
    }
}
