//! Signed envelopes: how a participant publishes (and withdraws) its self-description.
//!
//! A self-description travels as a compact JWS (ES256, [`crate::jose`]) whose payload is the
//! exact Turtle bytes as published; the broker keeps those bytes. The protected header carries
//! `kid` (the signer's DID URL), `typ` [`SELF_DESCRIPTION_TYP`], `cty` `text/turtle`, `iss`
//! (the signer's DID) and `iat` (seconds since 1970). A deletion is a JWS of the same form with
//! `typ` [`DELETION_TYP`] and a small JSON payload naming the DID.
//!
//! [`verify`] returns the parsed graph and the raw bytes only when the signature verifies
//! with the given key, the key id is that key's and belongs to the expected DID, the header's
//! signer is the expected DID, and the catalogue in the payload is published by it.
//!
//! ```
//! use vocab::{envelope, jose::SigningKey, showcase};
//! let sd = showcase::stadtwerke("https://stadtwerke.example").unwrap();
//! let key = SigningKey::generate("did:web:stadtwerke.example#key-1").unwrap();
//! let (jws, turtle) = envelope::seal_self_description(&sd, &key, 1_760_000_000).unwrap();
//! let opened = envelope::verify(&jws, "did:web:stadtwerke.example", &key.public_key()).unwrap();
//! assert_eq!(opened.bytes, turtle.as_bytes());
//! assert!(envelope::verify(&jws, "did:web:musterstadt.example", &key.public_key()).is_err());
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxigraph::model::{Graph, NamedNodeRef, TermRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::did::{check_did_web, did_of_did_url};
use crate::error::{Error, Result};
use crate::jose::{PublicKey, SigningKey, peek_header_map};
use crate::model::SelfDescription;
use crate::ns::{dcat, dct, rdf};
use crate::rdf::{MAX_RDF_BYTES, Syntax, parse, to_turtle};

/// `typ` of a self-description envelope.
pub const SELF_DESCRIPTION_TYP: &str = "application/vnd.gwd.self-description+jws";
/// `typ` of a deletion envelope.
pub const DELETION_TYP: &str = "application/vnd.gwd.self-description-deletion+jws";
/// `cty` of a self-description envelope: the payload is Turtle.
pub const TURTLE: &str = "text/turtle";
/// The largest envelope accepted (the base64url form of [`MAX_RDF_BYTES`] plus header and
/// signature).
pub const MAX_ENVELOPE_BYTES: usize = MAX_RDF_BYTES / 3 * 4 + 8 * 1024;

/// A verified self-description.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The payload parsed as Turtle.
    pub graph: Graph,
    /// The payload exactly as signed.
    pub bytes: Vec<u8>,
    /// The signer's DID.
    pub signer: String,
    /// The key id used.
    pub kid: String,
    /// When it was signed (seconds since 1970).
    pub issued_at: i64,
}

/// The payload of a deletion envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    /// The participant whose self-description is withdrawn.
    pub did: String,
    /// When the deletion was signed (seconds since 1970).
    pub iat: i64,
}

/// Who signed an envelope, read without verifying (to find the key to verify with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The DID named in the header (`iss`).
    pub did: String,
    /// The key id (`kid`).
    pub kid: String,
    /// The envelope type (`typ`).
    pub typ: String,
}

fn header_fields(extra_did: &str, issued_at: i64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("iss".into(), Value::String(extra_did.to_owned()));
    m.insert("iat".into(), Value::from(issued_at));
    m
}

/// The DID of the signing key, checked to be a `did:web`.
fn signer_did(key: &SigningKey) -> Result<String> {
    let did = did_of_did_url(key.kid()).to_owned();
    check_did_web(&did)?;
    if !key.kid().starts_with(&format!("{did}#")) {
        return Err(Error::Envelope(format!(
            "the signing key's id {:?} is not a DID URL (<did>#<name>)",
            key.kid()
        )));
    }
    Ok(did)
}

/// Checks that `graph` holds exactly one catalogue, published by `did`.
fn check_publisher(graph: &Graph, did: &str) -> Result<()> {
    let catalogs: Vec<_> = graph
        .subjects_for_predicate_object(rdf::TYPE, dcat::CATALOG)
        .collect();
    let [catalog] = catalogs.as_slice() else {
        return Err(Error::Envelope(format!(
            "the payload must describe exactly one dcat:Catalog, found {}",
            catalogs.len()
        )));
    };
    let publisher = graph.object_for_subject_predicate(*catalog, dct::PUBLISHER);
    let expected = NamedNodeRef::new(did).map_err(|e| Error::Envelope(e.to_string()))?;
    if publisher != Some(TermRef::NamedNode(expected)) {
        return Err(Error::Envelope(format!(
            "the catalogue {catalog} is published by {}, not by the signer {did}",
            publisher.map_or_else(|| "nobody".to_owned(), |p| p.to_string())
        )));
    }
    Ok(())
}

/// Signs the exact Turtle bytes of a self-description. The bytes must parse, and their
/// catalogue must be published by the key's DID.
pub fn seal(turtle: &[u8], key: &SigningKey, issued_at: i64) -> Result<String> {
    let did = signer_did(key)?;
    let graph = parse(turtle, Syntax::Turtle, None)?;
    check_publisher(&graph, &did)?;
    Ok(key.sign_compact_with_header(
        turtle,
        Some(SELF_DESCRIPTION_TYP),
        Some(TURTLE),
        &header_fields(&did, issued_at),
    )?)
}

/// Serializes a self-description as Turtle and signs it; returns the envelope and the Turtle.
pub fn seal_self_description(
    sd: &SelfDescription,
    key: &SigningKey,
    issued_at: i64,
) -> Result<(String, String)> {
    let turtle = to_turtle(&sd.to_graph()?)?;
    let jws = seal(turtle.as_bytes(), key, issued_at)?;
    Ok((jws, turtle))
}

/// Signs the withdrawal of the key owner's self-description.
pub fn seal_deletion(key: &SigningKey, issued_at: i64) -> Result<String> {
    let did = signer_did(key)?;
    let payload = serde_json::to_vec(&Deletion {
        did: did.clone(),
        iat: issued_at,
    })
    .map_err(|e| Error::Envelope(e.to_string()))?;
    Ok(key.sign_compact_with_header(
        &payload,
        Some(DELETION_TYP),
        Some("application/json"),
        &header_fields(&did, issued_at),
    )?)
}

/// Reads who signed an envelope, without verifying anything.
pub fn signer(envelope: &str) -> Result<Signer> {
    check_size(envelope)?;
    let header = peek_header_map(envelope)?;
    let get = |name: &str| {
        header
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Envelope(format!("the protected header has no {name:?}")))
    };
    Ok(Signer {
        did: get("iss")?,
        kid: get("kid")?,
        typ: get("typ")?,
    })
}

fn check_size(envelope: &str) -> Result<()> {
    if envelope.len() > MAX_ENVELOPE_BYTES {
        return Err(Error::TooLarge {
            what: "envelope",
            size: envelope.len(),
            limit: MAX_ENVELOPE_BYTES,
        });
    }
    Ok(())
}

/// Verifies the signature and the header (typ, cty, kid, iss, iat) of an envelope of type
/// `typ`, and returns the payload, the kid and iat.
fn open(
    envelope: &str,
    typ: &str,
    cty: &str,
    expected_did: &str,
    key: &PublicKey,
) -> Result<(Vec<u8>, String, i64)> {
    check_size(envelope)?;
    let envelope = envelope.trim();
    if envelope.split('.').count() != 3 {
        return Err(Error::Envelope(
            "not a compact JWS (header.payload.signature)".into(),
        ));
    }
    let header = peek_header_map(envelope)?;
    let text = |name: &str| header.get(name).and_then(Value::as_str);
    if text("typ") != Some(typ) {
        return Err(Error::Envelope(format!(
            "typ is {:?}, expected {typ:?}",
            text("typ")
        )));
    }
    if text("cty") != Some(cty) {
        return Err(Error::Envelope(format!(
            "cty is {:?}, expected {cty:?}",
            text("cty")
        )));
    }
    let kid = text("kid")
        .ok_or_else(|| Error::Envelope("the header has no kid".into()))?
        .to_owned();
    if did_of_did_url(&kid) != expected_did {
        return Err(Error::Envelope(format!(
            "key id {kid:?} does not belong to {expected_did}"
        )));
    }
    if text("iss") != Some(expected_did) {
        return Err(Error::Envelope(format!(
            "signer (iss) is {:?}, expected {expected_did}",
            text("iss")
        )));
    }
    let iat = header
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::Envelope("the header has no integer iat".into()))?;
    if key.kid() != Some(kid.as_str()) {
        return Err(Error::Envelope(format!(
            "the envelope names key {kid:?}, but the key given is {:?}",
            key.kid()
        )));
    }
    let (_, payload) = key.verify_compact(envelope)?;
    Ok((payload, kid, iat))
}

/// Verifies a self-description envelope (see the module docs) and returns its graph and
/// bytes.
pub fn verify(envelope: &str, expected_did: &str, key: &PublicKey) -> Result<Opened> {
    let (bytes, kid, issued_at) = open(envelope, SELF_DESCRIPTION_TYP, TURTLE, expected_did, key)?;
    let graph = parse(&bytes, Syntax::Turtle, None)?;
    check_publisher(&graph, expected_did)?;
    Ok(Opened {
        graph,
        bytes,
        signer: expected_did.to_owned(),
        kid,
        issued_at,
    })
}

/// Verifies a deletion envelope and returns what it withdraws.
pub fn verify_deletion(envelope: &str, expected_did: &str, key: &PublicKey) -> Result<Deletion> {
    let (bytes, _, iat) = open(
        envelope,
        DELETION_TYP,
        "application/json",
        expected_did,
        key,
    )?;
    let deletion: Deletion = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Envelope(format!("deletion payload is not valid: {e}")))?;
    if deletion.did != expected_did || deletion.iat != iat {
        return Err(Error::Envelope(format!(
            "deletion payload names {} at {}, header names {expected_did} at {iat}",
            deletion.did, deletion.iat
        )));
    }
    Ok(deletion)
}

/// The payload of an envelope, decoded but not verified (for diagnostics only).
pub fn peek_payload(envelope: &str) -> Result<Vec<u8>> {
    check_size(envelope)?;
    let payload = envelope
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::Envelope("not a compact JWS".into()))?;
    URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|e| Error::Envelope(format!("payload is not base64url: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::showcase;

    const DID: &str = "did:web:stadtwerke.example";
    const T: i64 = 1_760_000_000;

    fn setup() -> (SigningKey, String, String) {
        let sd = showcase::stadtwerke("https://stadtwerke.example").unwrap();
        let key = SigningKey::generate(&format!("{DID}#key-1")).unwrap();
        let (jws, turtle) = seal_self_description(&sd, &key, T).unwrap();
        (key, jws, turtle)
    }

    fn parts(jws: &str) -> Vec<String> {
        jws.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn round_trip_keeps_exact_bytes_and_header() {
        let (key, jws, turtle) = setup();
        let opened = verify(&jws, DID, &key.public_key()).unwrap();
        assert_eq!(opened.bytes, turtle.as_bytes());
        assert_eq!(opened.kid, format!("{DID}#key-1"));
        assert_eq!(opened.issued_at, T);
        assert!(crate::rdf::isomorphic(
            &opened.graph,
            &parse(turtle.as_bytes(), Syntax::Turtle, None).unwrap()
        ));
        let s = signer(&jws).unwrap();
        assert_eq!(
            (s.did.as_str(), s.typ.as_str()),
            (DID, SELF_DESCRIPTION_TYP)
        );
        let header = peek_header_map(&jws).unwrap();
        assert_eq!(header["cty"], "text/turtle");
        assert_eq!(header["alg"], "ES256");
    }

    #[test]
    fn changed_payload_is_refused() {
        let (key, jws, turtle) = setup();
        let p = parts(&jws);
        let changed = turtle.replace(
            "Stromverbrauch je Baublock 2024",
            "Stromverbrauch je Baublock 2023",
        );
        let forged = format!("{}.{}.{}", p[0], URL_SAFE_NO_PAD.encode(changed), p[2]);
        let err = verify(&forged, DID, &key.public_key()).unwrap_err();
        assert!(
            matches!(err, Error::Jose(crate::jose::JoseError::BadSignature)),
            "{err}"
        );
    }

    #[test]
    fn wrong_key_kid_did_are_refused() {
        let (key, jws, _) = setup();
        // another key with the same kid
        let other = SigningKey::generate(&format!("{DID}#key-1")).unwrap();
        assert!(matches!(
            verify(&jws, DID, &other.public_key()),
            Err(Error::Jose(crate::jose::JoseError::BadSignature))
        ));
        // the right key material, but presented under another kid
        let renamed = PublicKey::from_jwk_value(&{
            let mut v = key.public_key().to_jwk_value();
            v["kid"] = format!("{DID}#key-2").into();
            v
        })
        .unwrap();
        let err = verify(&jws, DID, &renamed).unwrap_err().to_string();
        assert!(err.contains("key-2"), "{err}");
        // another DID expected
        let err = verify(&jws, "did:web:musterstadt.example", &key.public_key())
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not belong"), "{err}");
        // a key of another DID signing a self-description of stadtwerke: refused at sealing
        let sd = showcase::stadtwerke("https://stadtwerke.example").unwrap();
        let intruder = SigningKey::generate("did:web:musterstadt.example#key-1").unwrap();
        assert!(seal_self_description(&sd, &intruder, T).is_err());
        // and a forged header naming another signer fails the signature
        let p = parts(&jws);
        let mut header = peek_header_map(&jws).unwrap();
        header.insert("iss".into(), "did:web:musterstadt.example".into());
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
            p[1],
            p[2]
        );
        assert!(verify(&forged, DID, &key.public_key()).is_err());
    }

    #[test]
    fn malformed_inputs_are_refused() {
        let (key, jws, turtle) = setup();
        let pk = key.public_key();
        assert!(
            verify(&jws[..jws.len() - 12], DID, &pk).is_err(),
            "truncated signature"
        );
        assert!(
            verify(&parts(&jws)[..2].join("."), DID, &pk).is_err(),
            "two parts"
        );
        assert!(verify(&turtle, DID, &pk).is_err(), "not a JWS");
        assert!(verify("", DID, &pk).is_err(), "empty");
        assert!(verify("a.b.c", DID, &pk).is_err(), "garbage");
        let huge = "a".repeat(MAX_ENVELOPE_BYTES + 1);
        assert!(matches!(
            verify(&huge, DID, &pk),
            Err(Error::TooLarge { .. })
        ));
        // a deletion is not a self-description, and the reverse
        let deletion = seal_deletion(&key, T + 5).unwrap();
        assert!(verify(&deletion, DID, &pk).is_err());
        assert!(verify_deletion(&jws, DID, &pk).is_err());
        // signing bytes that are not a self-description of the signer is refused
        assert!(seal(b"not turtle", &key, T).is_err());
    }

    #[test]
    fn deletion_round_trip() {
        let (key, _, _) = setup();
        let env = seal_deletion(&key, T + 60).unwrap();
        let d = verify_deletion(&env, DID, &key.public_key()).unwrap();
        assert_eq!(
            d,
            Deletion {
                did: DID.into(),
                iat: T + 60
            }
        );
        assert!(verify_deletion(&env, "did:web:musterstadt.example", &key.public_key()).is_err());
        let other = SigningKey::generate(&format!("{DID}#key-1")).unwrap();
        assert!(verify_deletion(&env, DID, &other.public_key()).is_err());
    }
}
