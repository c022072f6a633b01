//! Membership credentials (VC-JWT), the status list and the Charta acceptance.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use contracts::charta::Charta;
use contracts::membership::*;
use vocab::jose::SigningKey;

const NOW: i64 = 1_750_000_000;
const LIST: &str = "https://broker.example/status/1";

struct Setup {
    authority: SigningKey,
    participant: SigningKey,
    charta: Charta,
    claims: MembershipClaims,
}

fn setup() -> Setup {
    let authority = SigningKey::generate("did:web:broker.example#key-1").expect("key");
    let participant = SigningKey::generate("did:web:musterstadt.example#key-1").expect("key");
    let charta = Charta::default_1_0();
    let claims = MembershipClaims {
        participant: "did:web:musterstadt.example".into(),
        legal_name: "Stadt Musterstadt".into(),
        participant_type: "https://w3id.org/gemeinwohl-datenraum/ns#Municipality".into(),
        ags: vec!["09162000".into()],
        charta_version: charta.version().into(),
        charta_hash: charta.sha256().into(),
        participant_key: participant.public_key(),
        status: StatusEntry {
            list_url: LIST.into(),
            index: 42,
        },
    };
    Setup {
        authority,
        participant,
        charta,
        claims,
    }
}

fn issue_now(s: &Setup) -> String {
    issue(
        &s.authority,
        &s.claims,
        Validity {
            not_before: NOW,
            not_after: NOW + 365 * 86_400,
        },
    )
    .expect("issue")
}

fn accepted(s: &Setup) -> Vec<AcceptedCharta> {
    vec![AcceptedCharta::of(&s.charta)]
}

#[test]
fn issue_and_verify_with_the_vc_jwt_layout() {
    let s = setup();
    let jwt = issue_now(&s);
    let header = vocab::jose::peek_header(&jwt).expect("header");
    assert_eq!(
        (
            header.alg.as_str(),
            header.kid.as_deref(),
            header.typ.as_deref()
        ),
        ("ES256", Some("did:web:broker.example#key-1"), Some("JWT"))
    );
    let claims: serde_json::Value =
        serde_json::from_slice(&vocab::jose::peek_payload(&jwt).expect("payload")).expect("json");
    assert_eq!(claims["iss"], "did:web:broker.example");
    assert_eq!(claims["sub"], "did:web:musterstadt.example");
    assert!(
        claims["jti"]
            .as_str()
            .expect("jti")
            .starts_with("urn:uuid:")
    );
    assert_eq!(
        claims["cnf"]["jwk"]["x"],
        s.participant.public_key().to_jwk_value()["x"]
    );
    assert_eq!(
        claims["vc"]["type"],
        serde_json::json!(["VerifiableCredential", "DataSpaceMembershipCredential"])
    );
    assert_eq!(
        claims["vc"]["credentialStatus"]["type"],
        "BitstringStatusListEntry"
    );
    assert_eq!(
        claims["vc"]["credentialStatus"]["statusPurpose"],
        "revocation"
    );
    assert_eq!(
        claims["vc"]["credentialSubject"]["chartaHash"],
        s.charta.sha256()
    );
    let m = verify(
        &jwt,
        &s.authority.public_key(),
        NOW + 10,
        &accepted(&s),
        None,
    )
    .expect("verify");
    assert_eq!(m.claims, s.claims);
    assert_eq!(m.issuer, "did:web:broker.example");
    assert_eq!(m.expires_at, NOW + 365 * 86_400);
}

#[test]
fn precise_errors() {
    let s = setup();
    let jwt = issue_now(&s);
    let key = s.authority.public_key();
    let acc = accepted(&s);
    assert!(matches!(
        verify(&jwt, &key, NOW + 366 * 86_400, &acc, None),
        Err(MembershipError::Expired { .. })
    ));
    assert!(matches!(
        verify(&jwt, &key, NOW - 3600, &acc, None),
        Err(MembershipError::NotYetValid { .. })
    ));
    // Signed by another authority key (same kid): bad signature.
    let impostor = SigningKey::generate("did:web:broker.example#key-1").expect("key");
    let forged = issue(
        &impostor,
        &s.claims,
        Validity {
            not_before: NOW,
            not_after: NOW + 100,
        },
    )
    .expect("issue");
    assert!(matches!(
        verify(&forged, &key, NOW, &acc, None),
        Err(MembershipError::BadSignature)
    ));
    // Issued by someone else entirely: wrong issuer.
    let other = SigningKey::generate("did:web:other-broker.example#key-1").expect("key");
    let foreign = issue(
        &other,
        &s.claims,
        Validity {
            not_before: NOW,
            not_after: NOW + 100,
        },
    )
    .expect("issue");
    assert!(matches!(
        verify(&foreign, &key, NOW, &acc, None),
        Err(MembershipError::WrongIssuer { .. })
    ));
    // A changed claim: bad signature.
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    payload["vc"]["credentialSubject"]["legalName"] = "Stadt Anderswo".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert!(matches!(
        verify(&tampered, &key, NOW, &acc, None),
        Err(MembershipError::BadSignature)
    ));
    // Another Charta version is not accepted.
    let other_charta = vec![AcceptedCharta {
        version: "2.0".into(),
        sha256: "00".repeat(32),
    }];
    assert!(matches!(
        verify(&jwt, &key, NOW, &other_charta, None),
        Err(MembershipError::UnknownCharta { .. })
    ));
    // Garbage.
    assert!(matches!(
        verify("not.a.jwt", &key, NOW, &acc, None),
        Err(MembershipError::Malformed(_))
    ));
    assert!(verify("", &key, NOW, &acc, None).is_err());
    // Validity must make sense.
    assert!(
        issue(
            &s.authority,
            &s.claims,
            Validity {
                not_before: NOW,
                not_after: NOW
            }
        )
        .is_err()
    );
}

#[test]
fn revocation_through_the_status_list() {
    let s = setup();
    let jwt = issue_now(&s);
    let key = s.authority.public_key();
    let mut list = StatusList::new(LIST, 0);
    let list_jwt = list
        .issue(
            &s.authority,
            Validity {
                not_before: NOW,
                not_after: NOW + 86_400,
            },
        )
        .expect("issue list");
    let served = StatusList::verify(&list_jwt, &key, NOW).expect("verify list");
    verify(&jwt, &key, NOW, &accepted(&s), Some(&served)).expect("not revoked");
    list.revoke(42).expect("revoke");
    let list_jwt = list
        .issue(
            &s.authority,
            Validity {
                not_before: NOW,
                not_after: NOW + 86_400,
            },
        )
        .expect("issue list");
    let served = StatusList::verify(&list_jwt, &key, NOW).expect("verify list");
    assert!(served.is_revoked(42).expect("42"));
    assert!(!served.is_revoked(41).expect("41"));
    assert!(matches!(
        verify(&jwt, &key, NOW, &accepted(&s), Some(&served)),
        Err(MembershipError::Revoked { index: 42, .. })
    ));
    // A list for another URL is not taken as this credential's list.
    let other = StatusList::new("https://broker.example/status/2", 0);
    assert!(matches!(
        verify(&jwt, &key, NOW, &accepted(&s), Some(&other)),
        Err(MembershipError::StatusListMismatch { .. })
    ));
    // A status list signed by someone else is refused.
    let impostor = SigningKey::generate("did:web:broker.example#key-1").expect("key");
    let forged = list
        .issue(
            &impostor,
            Validity {
                not_before: NOW,
                not_after: NOW + 86_400,
            },
        )
        .expect("issue");
    assert!(matches!(
        StatusList::verify(&forged, &key, NOW),
        Err(MembershipError::BadSignature)
    ));
}

#[test]
fn charta_acceptance() {
    let s = setup();
    let acceptance = ChartaAcceptance::new(&s.charta, "did:web:musterstadt.example", NOW);
    let jws = sign_charta_acceptance(&s.participant, &acceptance).expect("sign");
    let back = verify_charta_acceptance(&jws, &s.participant.public_key(), Some(&s.charta))
        .expect("verify");
    assert_eq!(back, acceptance);
    // Someone else cannot sign for the participant.
    let other = SigningKey::generate("did:web:anderswo.example#key-1").expect("key");
    assert!(sign_charta_acceptance(&other, &acceptance).is_err());
    assert!(verify_charta_acceptance(&jws, &other.public_key(), None).is_err());
    // Accepting another Charta text is not accepting this one.
    let changed = Charta::parse(&contracts::charta::DEFAULT_CHARTA_1_0.replacen("MUSS", "SOLL", 1))
        .expect("parse");
    assert!(matches!(
        verify_charta_acceptance(&jws, &s.participant.public_key(), Some(&changed)),
        Err(MembershipError::UnknownCharta { .. })
    ));
}
