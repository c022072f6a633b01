//! Agreements: built from offer and request, canonical (RFC 8785), signed by both parties;
//! verification fails on any change, a wrong signer or a missing signature; the ODRL part
//! stays a valid DSP `Agreement`.

use contracts::agreement::{
    Agreement, AgreementError, AgreementTerms, ContractReference, Role, SignedAgreement,
};
use contracts::charta::Charta;
use contracts::odrl::{Policy, PolicyKind};
use contracts::template::Template;
use serde_json::Value;
use vocab::jose::SigningKey;

const PROVIDER: &str = "did:web:stadtwerke-musterstadt.example";
const CONSUMER: &str = "did:web:musterstadt.example";

struct Fixture {
    offer: Policy,
    terms: AgreementTerms,
    charta: Charta,
    provider: SigningKey,
    consumer: SigningKey,
}

fn fixture() -> Fixture {
    let charta = Charta::default_1_0();
    let template = Template::parse(include_str!(
        "../templates/kommunale-planung-aggregiert-12-monate.md"
    ))
    .expect("template");
    let contract = template
        .render(&Default::default(), &charta)
        .expect("render");
    Fixture {
        offer: contract.offer.clone(),
        terms: AgreementTerms {
            agreement_id: "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44".into(),
            provider: PROVIDER.into(),
            consumer: CONSUMER.into(),
            target: "urn:dataset:stromverbrauch-baublock-2024".into(),
            signed_at: "2025-03-01T10:00:00Z".parse().expect("t"),
            start: "2025-03-01T10:00:00Z".parse().expect("t"),
            end: Some("2026-03-01T10:00:00Z".parse().expect("t")),
            contract: contract.reference(),
        },
        charta,
        provider: SigningKey::generate(&format!("{PROVIDER}#key-1")).expect("key"),
        consumer: SigningKey::generate(&format!("{CONSUMER}#key-1")).expect("key"),
    }
}

fn signed(f: &Fixture) -> SignedAgreement {
    let agreement = Agreement::build(&f.offer, &f.offer, &f.terms, &f.charta).expect("build");
    let mut s = SignedAgreement::new(agreement);
    s.sign(Role::Provider, &f.provider).expect("provider signs");
    s.sign(Role::Consumer, &f.consumer).expect("consumer signs");
    s
}

#[test]
fn round_trip_and_verify() {
    let f = fixture();
    let s = signed(&f);
    s.verify(&f.provider.public_key(), &f.consumer.public_key())
        .expect("verifies");
    let wire = s.to_dsp_json();
    assert_eq!(wire["@type"], "Agreement");
    assert_eq!(wire["assigner"], PROVIDER);
    assert_eq!(wire["assignee"], CONSUMER);
    assert_eq!(wire["target"], "urn:dataset:stromverbrauch-baublock-2024");
    assert_eq!(wire["timestamp"], "2025-03-01T10:00:00Z");
    let gwd = "https://w3id.org/gemeinwohl-datenraum/ns#";
    assert_eq!(wire[format!("{gwd}chartaHash")], f.charta.sha256());
    assert_eq!(
        wire[format!("{gwd}contractSha256")],
        f.terms.contract.contract_sha256
    );
    let text = serde_json::to_string(&wire).expect("json");
    let back =
        SignedAgreement::from_dsp_json(&serde_json::from_str(&text).expect("parse")).expect("read");
    back.verify(&f.provider.public_key(), &f.consumer.public_key())
        .expect("verifies after transport");
    assert_eq!(back.agreement, s.agreement);
    assert_eq!(
        back.fingerprint().expect("fp"),
        s.fingerprint().expect("fp")
    );
    // The canonical form is RFC 8785: sorted keys, no whitespace.
    let canonical = String::from_utf8(s.canonical_bytes().expect("bytes")).expect("utf8");
    assert!(
        canonical.starts_with("{\"@id\":\"urn:uuid:e8dc8655"),
        "{canonical}"
    );
    assert!(!canonical.contains(": "));
}

/// Every value in the signed document, changed, breaks verification.
#[test]
fn any_change_breaks_verification() {
    let f = fixture();
    let wire = signed(&f).to_dsp_json();
    let sigs = contracts::agreement::signatures_property();
    let mut paths = Vec::new();
    fn collect(v: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| collect(v, [path.clone(), vec![k.clone()]].concat(), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| collect(v, [path.clone(), vec![i.to_string()]].concat(), out)),
            _ => out.push(path),
        }
    }
    collect(&wire, Vec::new(), &mut paths);
    let paths: Vec<_> = paths.into_iter().filter(|p| p[0] != sigs).collect();
    assert!(paths.len() > 20, "{} leaves", paths.len());
    for path in paths {
        let mut tampered = wire.clone();
        let mut v = &mut tampered;
        for k in &path {
            v = match v {
                Value::Object(m) => m.get_mut(k).expect("key"),
                Value::Array(a) => a.get_mut(k.parse::<usize>().expect("index")).expect("item"),
                _ => unreachable!(),
            };
        }
        let changed = match &*v {
            Value::String(s) => Value::String(format!("{s}x")),
            other => Value::String(format!("{other}x")),
        };
        *v = changed;
        match SignedAgreement::from_dsp_json(&tampered) {
            Err(_) => {} // no longer even a valid agreement
            Ok(s) => assert!(
                s.verify(&f.provider.public_key(), &f.consumer.public_key())
                    .is_err(),
                "changing {path:?} went unnoticed"
            ),
        }
    }
}

#[test]
fn wrong_signer_and_missing_signature() {
    let f = fixture();
    let agreement = Agreement::build(&f.offer, &f.offer, &f.terms, &f.charta).expect("build");
    let mut s = SignedAgreement::new(agreement.clone());
    // A key of someone else cannot sign as provider.
    let mallory = SigningKey::generate("did:web:mallory.example#key-1").expect("key");
    assert!(matches!(
        s.sign(Role::Provider, &mallory),
        Err(AgreementError::WrongSigner { .. })
    ));
    s.sign(Role::Provider, &f.provider).expect("sign");
    assert!(matches!(
        s.sign(Role::Provider, &f.provider),
        Err(AgreementError::DuplicateSignature(_))
    ));
    assert!(matches!(
        s.verify(&f.provider.public_key(), &f.consumer.public_key()),
        Err(AgreementError::MissingSignature("consumer"))
    ));
    s.sign(Role::Consumer, &f.consumer).expect("sign");
    // Verifying with another key of the same DID (a forged or rotated key) fails.
    let other = SigningKey::generate(&format!("{CONSUMER}#key-1")).expect("key");
    assert!(matches!(
        s.verify(&f.provider.public_key(), &other.public_key()),
        Err(AgreementError::BadSignature {
            role: "consumer",
            ..
        })
    ));
    // Swapping the roles' keys fails.
    assert!(
        s.verify(&f.consumer.public_key(), &f.provider.public_key())
            .is_err()
    );
    // A signature moved from another agreement fails.
    let mut terms2 = f.terms.clone();
    terms2.agreement_id = "urn:uuid:00000000-0000-4000-8000-000000000000".into();
    let mut s2 = SignedAgreement::new(
        Agreement::build(&f.offer, &f.offer, &terms2, &f.charta).expect("build"),
    );
    s2.sign(Role::Provider, &f.provider).expect("sign");
    s2.signatures.push(s.signatures[1].clone());
    assert!(matches!(
        s2.verify(&f.provider.public_key(), &f.consumer.public_key()),
        Err(AgreementError::BadSignature {
            role: "consumer",
            ..
        })
    ));
}

#[test]
fn request_must_carry_the_offered_terms() {
    let f = fixture();
    let mut request = f.offer.clone();
    request.uid = "urn:consumer-copy".into();
    request.kind = PolicyKind::Offer;
    Agreement::build(&f.offer, &request, &f.terms, &f.charta).expect("same terms, other id");
    request.prohibitions.clear();
    let err =
        Agreement::build(&f.offer, &request, &f.terms, &f.charta).expect_err("dropped prohibition");
    assert!(err.to_string().contains("prohibition"), "{err}");
    let mut terms = f.terms.clone();
    terms.end = Some("2025-01-01T00:00:00Z".parse().expect("t"));
    assert!(
        Agreement::build(&f.offer, &f.offer, &terms, &f.charta).is_err(),
        "end before start"
    );
}

#[test]
fn agreement_has_the_dsp_shape() {
    let f = fixture();
    let wire = signed(&f).to_dsp_json();
    // What the DSP 2025-1 schema requires of an Agreement (contract-schema.json).
    for key in ["@id", "@type", "target", "assigner", "assignee"] {
        assert!(wire[key].is_string(), "{key}");
    }
    for rule in wire["permission"]
        .as_array()
        .expect("permissions")
        .iter()
        .chain(wire["prohibition"].as_array().expect("prohibitions"))
    {
        assert!(rule["action"].is_string(), "actions are strings in DSP");
        for c in rule["constraint"].as_array().into_iter().flatten() {
            assert!(c["leftOperand"].is_string() && c["operator"].is_string());
            assert!(
                c["rightOperand"].is_string()
                    || c["rightOperand"].is_object()
                    || c["rightOperand"].is_array()
            );
        }
    }
    let _ = ContractReference::default();
}
