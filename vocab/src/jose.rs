//! Keys and signatures: ES256 (P-256) key pairs as JWK, compact and detached JWS, JWTs.
//!
//! Everything that signs or verifies in the workspace goes through this module, so the
//! algorithm checks (ES256 only, `kid` must match, `exp`/`aud` present) live in one place.
//!
//! ```
//! use vocab::jose::SigningKey;
//! let key = SigningKey::generate("did:web:example.org#key-1").unwrap();
//! let jws = key.sign_compact(b"hello", Some("text/plain")).unwrap();
//! let (header, payload) = key.public_key().verify_compact(&jws).unwrap();
//! assert_eq!(payload, b"hello");
//! assert_eq!(header.kid.as_deref(), Some("did:web:example.org#key-1"));
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{ES256, JwsHeader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Failure to create, parse, sign or verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The key material could not be read or is not an ES256 (P-256) key.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The token or JWS is not well formed (wrong number of parts, bad base64, bad JSON).
    #[error("malformed JWS: {0}")]
    Malformed(String),
    /// The header names an algorithm other than ES256.
    #[error("unsupported algorithm {0:?}: only ES256 is accepted")]
    Algorithm(String),
    /// The header's `kid` is not the key that was expected.
    #[error("key id mismatch: expected {expected:?}, found {found:?}")]
    KeyId {
        /// The key id of the verifying key.
        expected: String,
        /// The key id in the header, if any.
        found: Option<String>,
    },
    /// The signature does not verify with the given key.
    #[error("signature verification failed")]
    BadSignature,
    /// A JWT claim is missing or has an unacceptable value.
    #[error("invalid claim {claim}: {reason}")]
    Claim {
        /// The claim's name (`exp`, `aud`, …).
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An error from the underlying JOSE library.
    #[error("JOSE library: {0}")]
    Library(String),
}

impl From<josekit::JoseError> for JoseError {
    fn from(e: josekit::JoseError) -> Self {
        JoseError::Library(e.to_string())
    }
}

/// The protected header fields the workspace reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Algorithm (always `ES256` once verified).
    pub alg: String,
    /// Key id, a DID URL such as `did:web:example.org#key-1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Media type of the complete JWS (`JWT`, `vc+jwt`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Media type of the payload (`text/turtle`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
}

/// An ES256 private key with its key id.
#[derive(Clone)]
pub struct SigningKey {
    jwk: Jwk,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh P-256 key pair.
    pub fn generate(kid: &str) -> Result<Self, JoseError> {
        let pair = ES256.generate_key_pair()?;
        let mut jwk = pair.to_jwk_key_pair();
        jwk.set_key_id(kid);
        jwk.set_algorithm("ES256");
        Ok(Self {
            jwk,
            kid: kid.to_owned(),
        })
    }

    /// Reads a private key from its JWK JSON. The JWK's `kid` is replaced by `kid` when given.
    pub fn from_jwk_json(json: &str, kid: Option<&str>) -> Result<Self, JoseError> {
        let mut jwk =
            Jwk::from_bytes(json.as_bytes()).map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        if jwk.key_type() != "EC"
            || jwk.curve() != Some("P-256")
            || ["d", "x", "y"].iter().any(|m| jwk.parameter(m).is_none())
        {
            return Err(JoseError::InvalidKey("expected a private EC key pair on curve P-256 (kty EC, crv P-256, d, x and y present)".into()));
        }
        let kid = match kid
            .map(str::to_owned)
            .or_else(|| jwk.key_id().map(str::to_owned))
        {
            Some(kid) => kid,
            None => return Err(JoseError::InvalidKey("the key has no kid".into())),
        };
        jwk.set_key_id(&kid);
        jwk.set_algorithm("ES256");
        ES256
            .signer_from_jwk(&jwk)
            .map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        Ok(Self { jwk, kid })
    }

    /// The private JWK as JSON (keep it secret: it contains `d`).
    pub fn to_private_jwk_json(&self) -> String {
        self.jwk.to_string()
    }

    /// The key id (a DID URL).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let mut map = serde_json::Map::new();
        for name in ["kty", "crv", "x", "y"] {
            if let Some(v) = self.jwk.parameter(name) {
                map.insert(name.to_owned(), v.clone());
            }
        }
        map.insert("kid".into(), self.kid.clone().into());
        map.insert("alg".into(), "ES256".into());
        // The members were copied from a valid private EC JWK, so they form a valid public one.
        PublicKey::from_jwk_map(map).unwrap_or_else(|_| PublicKey {
            jwk: Jwk::new("EC"),
        })
    }

    fn header(&self, typ: Option<&str>, cty: Option<&str>) -> JwsHeader {
        let mut header = JwsHeader::new();
        header.set_key_id(&self.kid);
        if let Some(typ) = typ {
            header.set_token_type(typ);
        }
        if let Some(cty) = cty {
            header.set_content_type(cty);
        }
        header
    }

    /// Signs `payload` as a compact JWS (`header.payload.signature`); `cty` names the payload's
    /// media type.
    pub fn sign_compact(&self, payload: &[u8], cty: Option<&str>) -> Result<String, JoseError> {
        let signer = ES256.signer_from_jwk(&self.jwk)?;
        Ok(josekit::jws::serialize_compact(
            payload,
            &self.header(None, cty),
            &signer,
        )?)
    }

    /// Signs `payload` as a compact JWS with a `typ` header (e.g. `vc+jwt`).
    pub fn sign_compact_typed(
        &self,
        payload: &[u8],
        typ: &str,
        cty: Option<&str>,
    ) -> Result<String, JoseError> {
        let signer = ES256.signer_from_jwk(&self.jwk)?;
        Ok(josekit::jws::serialize_compact(
            payload,
            &self.header(Some(typ), cty),
            &signer,
        )?)
    }

    /// Signs `payload` as a compact JWS whose protected header also carries `extra`
    /// parameters (e.g. `iss`, `iat` replicated into the header, RFC 7519 §5.3). `alg` and
    /// `kid` cannot be overridden.
    pub fn sign_compact_with_header(
        &self,
        payload: &[u8],
        typ: Option<&str>,
        cty: Option<&str>,
        extra: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, JoseError> {
        let signer = ES256.signer_from_jwk(&self.jwk)?;
        let mut header = self.header(typ, cty);
        for (name, value) in extra {
            if matches!(
                name.as_str(),
                "alg" | "kid" | "typ" | "cty" | "jwk" | "crit" | "b64"
            ) {
                return Err(JoseError::Malformed(format!(
                    "header parameter {name:?} cannot be set as an extra parameter"
                )));
            }
            header.set_claim(name, Some(value.clone()))?;
        }
        Ok(josekit::jws::serialize_compact(payload, &header, &signer)?)
    }

    /// Signs `payload` as a detached compact JWS (`header..signature`, RFC 7515 appendix F):
    /// the payload travels separately and is needed to verify.
    pub fn sign_detached(&self, payload: &[u8]) -> Result<String, JoseError> {
        let compact = self.sign_compact(payload, None)?;
        let mut parts = compact.split('.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(_), Some(s)) => Ok(format!("{h}..{s}")),
            _ => Err(JoseError::Malformed(
                "signer produced a JWS without three parts".into(),
            )),
        }
    }

    /// Signs a JWT with the given claims (`typ` = `JWT` unless given).
    pub fn sign_jwt(
        &self,
        claims: &serde_json::Map<String, serde_json::Value>,
        typ: Option<&str>,
    ) -> Result<String, JoseError> {
        let payload =
            serde_json::to_vec(claims).map_err(|e| JoseError::Malformed(e.to_string()))?;
        self.sign_compact_typed(&payload, typ.unwrap_or("JWT"), None)
    }
}

/// An ES256 public key (JWK without `d`).
#[derive(Clone, Debug, PartialEq)]
pub struct PublicKey {
    jwk: Jwk,
}

impl PublicKey {
    /// Reads a public JWK (any private member is dropped).
    pub fn from_jwk_value(value: &serde_json::Value) -> Result<Self, JoseError> {
        let obj = value
            .as_object()
            .ok_or_else(|| JoseError::InvalidKey("a JWK must be a JSON object".into()))?;
        let get = |k: &str| obj.get(k).and_then(|v| v.as_str());
        if get("kty") != Some("EC") || get("crv") != Some("P-256") {
            return Err(JoseError::InvalidKey(
                "expected kty EC and crv P-256".into(),
            ));
        }
        let mut map = serde_json::Map::new();
        map.insert("kty".into(), "EC".into());
        for name in ["crv", "x", "y"] {
            let v = get(name)
                .ok_or_else(|| JoseError::InvalidKey(format!("JWK member {name} is missing")))?;
            map.insert(name.to_owned(), v.into());
        }
        if let Some(kid) = get("kid") {
            map.insert("kid".into(), kid.into());
        }
        map.insert("alg".into(), "ES256".into());
        Self::from_jwk_map(map)
    }

    fn from_jwk_map(map: serde_json::Map<String, serde_json::Value>) -> Result<Self, JoseError> {
        let jwk = Jwk::from_map(map).map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        ES256
            .verifier_from_jwk(&jwk)
            .map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        Ok(Self { jwk })
    }

    /// Reads a public JWK from JSON text.
    pub fn from_jwk_json(json: &str) -> Result<Self, JoseError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        Self::from_jwk_value(&value)
    }

    /// The JWK as a JSON value (`kty`, `crv`, `x`, `y`, `kid`, `alg`).
    pub fn to_jwk_value(&self) -> serde_json::Value {
        serde_json::Value::Object(self.jwk.as_ref().clone())
    }

    /// The key id, if the JWK has one.
    pub fn kid(&self) -> Option<&str> {
        self.jwk.key_id()
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn thumbprint(&self) -> String {
        let s = |k: &str| {
            self.jwk
                .parameter(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let canonical = format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv"),
            s("x"),
            s("y")
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Verifies a compact JWS and returns its header and payload. The algorithm must be ES256
    /// and, when this key has a `kid`, the header's `kid` must equal it.
    pub fn verify_compact(&self, jws: &str) -> Result<(Header, Vec<u8>), JoseError> {
        let header = peek_header(jws)?;
        if header.alg != "ES256" {
            return Err(JoseError::Algorithm(header.alg));
        }
        if let Some(expected) = self.kid()
            && header.kid.as_deref() != Some(expected)
        {
            return Err(JoseError::KeyId {
                expected: expected.to_owned(),
                found: header.kid,
            });
        }
        let verifier = ES256
            .verifier_from_jwk(&self.jwk)
            .map_err(|e| JoseError::InvalidKey(e.to_string()))?;
        match josekit::jws::deserialize_compact(jws, &verifier) {
            Ok((payload, _)) => Ok((header, payload)),
            Err(josekit::JoseError::InvalidSignature(_)) => Err(JoseError::BadSignature),
            Err(e) => Err(JoseError::Malformed(e.to_string())),
        }
    }

    /// Verifies a detached JWS (`header..signature`) over `payload`.
    pub fn verify_detached(&self, jws: &str, payload: &[u8]) -> Result<Header, JoseError> {
        let parts: Vec<&str> = jws.split('.').collect();
        if parts.len() != 3 || !parts[1].is_empty() {
            return Err(JoseError::Malformed(
                "a detached JWS has the form header..signature".into(),
            ));
        }
        let attached = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload),
            parts[2]
        );
        self.verify_compact(&attached).map(|(h, _)| h)
    }

    /// Verifies a JWT's signature and the time claims: `exp` must be present and in the future
    /// (with `leeway_secs` of clock skew), `nbf`/`iat` if present must not be in the future.
    /// Returns the claims; audience and issuer checks are the caller's (see [`require_claim`]).
    pub fn verify_jwt(
        &self,
        jwt: &str,
        now_unix: i64,
        leeway_secs: i64,
    ) -> Result<serde_json::Map<String, serde_json::Value>, JoseError> {
        let (_, payload) = self.verify_compact(jwt)?;
        let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&payload)
            .map_err(|e| {
            JoseError::Malformed(format!("JWT claims are not a JSON object: {e}"))
        })?;
        let exp = claims
            .get("exp")
            .and_then(|v| v.as_i64())
            .ok_or(JoseError::Claim {
                claim: "exp",
                reason: "missing or not an integer".into(),
            })?;
        if exp + leeway_secs < now_unix {
            return Err(JoseError::Claim {
                claim: "exp",
                reason: format!("expired at {exp}, now is {now_unix}"),
            });
        }
        for claim in ["nbf", "iat"] {
            if let Some(v) = claims.get(claim) {
                let t = v.as_i64().ok_or(JoseError::Claim {
                    claim: if claim == "nbf" { "nbf" } else { "iat" },
                    reason: "not an integer".into(),
                })?;
                if t - leeway_secs > now_unix {
                    return Err(JoseError::Claim {
                        claim: if claim == "nbf" { "nbf" } else { "iat" },
                        reason: format!("{t} lies in the future (now {now_unix})"),
                    });
                }
            }
        }
        Ok(claims)
    }
}

/// Checks that a string claim is present and equal to `expected` (for `aud`, also accepts an
/// array containing it).
pub fn require_claim(
    claims: &serde_json::Map<String, serde_json::Value>,
    claim: &'static str,
    expected: &str,
) -> Result<(), JoseError> {
    match claims.get(claim) {
        Some(serde_json::Value::String(s)) if s == expected => Ok(()),
        Some(serde_json::Value::Array(a))
            if claim == "aud" && a.iter().any(|v| v.as_str() == Some(expected)) =>
        {
            Ok(())
        }
        Some(other) => Err(JoseError::Claim {
            claim,
            reason: format!("expected {expected:?}, found {other}"),
        }),
        None => Err(JoseError::Claim {
            claim,
            reason: "missing".into(),
        }),
    }
}

/// Reads the protected header of a compact JWS without verifying anything (to find the signer).
pub fn peek_header(jws: &str) -> Result<Header, JoseError> {
    let first = jws.split('.').next().unwrap_or_default();
    if jws.split('.').count() != 3 {
        return Err(JoseError::Malformed(format!(
            "expected 3 dot-separated parts, found {}",
            jws.split('.').count()
        )));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(first)
        .map_err(|e| JoseError::Malformed(format!("header is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| JoseError::Malformed(format!("header is not valid JSON: {e}")))
}

/// Reads the whole protected header of a compact JWS as JSON, without verifying anything.
pub fn peek_header_map(jws: &str) -> Result<serde_json::Map<String, serde_json::Value>, JoseError> {
    let mut parts = jws.split('.');
    let (Some(first), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed(
            "expected 3 dot-separated parts".into(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(first)
        .map_err(|e| JoseError::Malformed(format!("header is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| JoseError::Malformed(format!("header is not a JSON object: {e}")))
}

/// Reads the payload of a compact JWS without verifying it (to find the claimed issuer).
pub fn peek_payload(jws: &str) -> Result<Vec<u8>, JoseError> {
    let mut parts = jws.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(p), Some(_), None) => URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|e| JoseError::Malformed(format!("payload is not base64url: {e}"))),
        _ => Err(JoseError::Malformed(
            "expected 3 dot-separated parts".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::generate("did:web:a.example#key-1").expect("keygen")
    }

    #[test]
    fn compact_round_trip_and_tamper() {
        let k = key();
        let jws = k
            .sign_compact(b"payload", Some("text/turtle"))
            .expect("sign");
        let (h, p) = k.public_key().verify_compact(&jws).expect("verify");
        assert_eq!(p, b"payload");
        assert_eq!(h.cty.as_deref(), Some("text/turtle"));
        // changed payload
        let parts: Vec<&str> = jws.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(b"payloaX"),
            parts[2]
        );
        assert!(matches!(
            k.public_key().verify_compact(&forged),
            Err(JoseError::BadSignature)
        ));
        // wrong key with the same kid
        let other = SigningKey::generate("did:web:a.example#key-1").expect("keygen");
        assert!(matches!(
            other.public_key().verify_compact(&jws),
            Err(JoseError::BadSignature)
        ));
        // wrong kid
        let third = SigningKey::generate("did:web:b.example#key-1").expect("keygen");
        assert!(matches!(
            third.public_key().verify_compact(&jws),
            Err(JoseError::KeyId { .. })
        ));
        // truncated
        assert!(
            k.public_key()
                .verify_compact(&jws[..jws.len() - 10])
                .is_err()
        );
        assert!(
            k.public_key()
                .verify_compact(&parts[..2].join("."))
                .is_err()
        );
    }

    #[test]
    fn detached_round_trip() {
        let k = key();
        let sig = k.sign_detached(b"{\"a\":1}").expect("sign");
        assert!(sig.contains(".."));
        k.public_key()
            .verify_detached(&sig, b"{\"a\":1}")
            .expect("verify");
        assert!(k.public_key().verify_detached(&sig, b"{\"a\":2}").is_err());
    }

    #[test]
    fn jwt_time_claims() {
        let k = key();
        let mut claims = serde_json::Map::new();
        claims.insert("aud".into(), "did:web:b".into());
        claims.insert("exp".into(), 1_000.into());
        let jwt = k.sign_jwt(&claims, None).expect("sign");
        let pk = k.public_key();
        assert!(pk.verify_jwt(&jwt, 900, 0).is_ok());
        assert!(matches!(
            pk.verify_jwt(&jwt, 1_100, 0),
            Err(JoseError::Claim { claim: "exp", .. })
        ));
        let c = pk.verify_jwt(&jwt, 900, 0).expect("claims");
        assert!(require_claim(&c, "aud", "did:web:b").is_ok());
        assert!(require_claim(&c, "aud", "did:web:c").is_err());
        claims.remove("exp");
        let no_exp = k.sign_jwt(&claims, None).expect("sign");
        assert!(pk.verify_jwt(&no_exp, 900, 0).is_err());
    }

    #[test]
    fn private_jwk_round_trip() {
        let k = key();
        let again = SigningKey::from_jwk_json(&k.to_private_jwk_json(), None).expect("parse");
        assert_eq!(again.kid(), k.kid());
        let jws = again.sign_compact(b"x", None).expect("sign");
        k.public_key().verify_compact(&jws).expect("same key");
        let public_json = k.public_key().to_jwk_value().to_string();
        assert!(
            SigningKey::from_jwk_json(&public_json, None).is_err(),
            "a public key cannot sign"
        );
        assert_eq!(
            PublicKey::from_jwk_json(&public_json)
                .expect("public")
                .thumbprint(),
            k.public_key().thumbprint()
        );
    }
}
