//! The revocation list: a W3C Bitstring Status List, issued as a JWT by the authority.
//!
//! Bit `i` is the `i`-th bit from the left (the most significant bit of byte `i / 8` comes
//! first). The list is GZIP-compressed and encoded as multibase base64url without padding
//! (`u…`), the `encodedList` of a `BitstringStatusListCredential`. The minimum size is
//! 131,072 bits (16 KiB), as the specification recommends for group privacy.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};
use vocab::jose::{PublicKey, SigningKey};

use super::{LEEWAY_SECS, MembershipError, VC_CONTEXT, Validity, did_of};

/// A bitstring status list for revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    url: String,
    bits: Vec<u8>,
}

/// Largest accepted decoded list (bytes): 16 MiB, i.e. 134 million entries.
const MAX_BYTES: usize = 16 * 1024 * 1024;

fn err(m: impl Into<String>) -> MembershipError {
    MembershipError::StatusList(m.into())
}

impl StatusList {
    /// The smallest list size, in entries (bits).
    pub const MIN_ENTRIES: usize = 131_072;

    /// An empty list of at least [`StatusList::MIN_ENTRIES`] entries, served at `url`.
    pub fn new(url: impl Into<String>, entries: usize) -> StatusList {
        let entries = entries.max(Self::MIN_ENTRIES);
        StatusList {
            url: url.into(),
            bits: vec![0; entries.div_ceil(8)],
        }
    }

    /// Where the list is served (the `statusListCredential` URL).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many entries the list holds.
    pub fn len(&self) -> usize {
        self.bits.len() * 8
    }

    /// Whether the list has no entries (never true for a list made by [`StatusList::new`]).
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    fn position(&self, index: u64) -> Result<(usize, u8), MembershipError> {
        let i = usize::try_from(index).map_err(|_| err("index too large"))?;
        if i >= self.len() {
            return Err(err(format!(
                "index {index} is outside the list of {} entries",
                self.len()
            )));
        }
        Ok((i / 8, 0x80 >> (i % 8)))
    }

    /// Marks entry `index` as revoked.
    pub fn revoke(&mut self, index: u64) -> Result<(), MembershipError> {
        let (byte, mask) = self.position(index)?;
        self.bits[byte] |= mask;
        Ok(())
    }

    /// Whether entry `index` is revoked.
    pub fn is_revoked(&self, index: u64) -> Result<bool, MembershipError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bits[byte] & mask != 0)
    }

    /// The `encodedList`: `u` + base64url(gzip(bits)).
    pub fn encode(&self) -> Result<String, MembershipError> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&self.bits).map_err(|e| err(e.to_string()))?;
        let compressed = gz.finish().map_err(|e| err(e.to_string()))?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
    }

    /// Reads an `encodedList` (with or without the multibase `u` prefix).
    pub fn decode(url: impl Into<String>, encoded: &str) -> Result<StatusList, MembershipError> {
        let b64 = encoded.strip_prefix('u').unwrap_or(encoded);
        let compressed = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|e| err(format!("encodedList is not base64url: {e}")))?;
        let mut bits = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_BYTES as u64 + 1)
            .read_to_end(&mut bits)
            .map_err(|e| err(format!("encodedList is not GZIP: {e}")))?;
        if bits.len() > MAX_BYTES {
            return Err(err(format!("the decoded list exceeds {MAX_BYTES} bytes")));
        }
        if bits.is_empty() {
            return Err(err("the decoded list is empty"));
        }
        Ok(StatusList {
            url: url.into(),
            bits,
        })
    }

    /// Issues the list as a `BitstringStatusListCredential` JWT signed by the authority.
    pub fn issue(
        &self,
        authority: &SigningKey,
        validity: Validity,
    ) -> Result<String, MembershipError> {
        let issuer = did_of(authority.kid()).to_owned();
        let mut map = Map::new();
        map.insert("iss".into(), Value::String(issuer.clone()));
        map.insert("sub".into(), Value::String(self.url.clone()));
        map.insert("iat".into(), validity.not_before.into());
        map.insert("nbf".into(), validity.not_before.into());
        map.insert("exp".into(), validity.not_after.into());
        map.insert(
            "vc".into(),
            json!({
                "@context": [VC_CONTEXT],
                "id": self.url,
                "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                "issuer": issuer,
                "credentialSubject": {
                    "id": format!("{}#list", self.url),
                    "type": "BitstringStatusList",
                    "statusPurpose": "revocation",
                    "encodedList": self.encode()?,
                },
            }),
        );
        authority
            .sign_jwt(&map, Some("JWT"))
            .map_err(MembershipError::Signing)
    }

    /// Verifies a status list JWT from the authority and reads the list.
    pub fn verify(
        jwt: &str,
        authority_key: &PublicKey,
        now: i64,
    ) -> Result<StatusList, MembershipError> {
        let authority = did_of(authority_key.kid().unwrap_or_default()).to_owned();
        let claims = authority_key
            .verify_jwt(jwt, now, LEEWAY_SECS)
            .map_err(|e| match e {
                vocab::jose::JoseError::BadSignature => MembershipError::BadSignature,
                vocab::jose::JoseError::KeyId { found, .. } => MembershipError::WrongIssuer {
                    expected: authority.clone(),
                    found: found.unwrap_or_default(),
                },
                vocab::jose::JoseError::Claim {
                    claim: "exp",
                    reason,
                } => MembershipError::Claim {
                    claim: "exp".into(),
                    message: reason,
                },
                other => MembershipError::Malformed(other.to_string()),
            })?;
        let iss = claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if iss != authority {
            return Err(MembershipError::WrongIssuer {
                expected: authority,
                found: iss.to_owned(),
            });
        }
        let url =
            claims
                .get("sub")
                .and_then(Value::as_str)
                .ok_or_else(|| MembershipError::Claim {
                    claim: "sub".into(),
                    message: "missing: the status list URL".into(),
                })?;
        let subject = claims
            .get("vc")
            .and_then(|vc| vc.get("credentialSubject"))
            .ok_or_else(|| MembershipError::Claim {
                claim: "vc.credentialSubject".into(),
                message: "missing".into(),
            })?;
        if subject.get("statusPurpose").and_then(Value::as_str) != Some("revocation") {
            return Err(MembershipError::Claim {
                claim: "vc.credentialSubject.statusPurpose".into(),
                message: "expected revocation".into(),
            });
        }
        let encoded = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or_else(|| MembershipError::Claim {
                claim: "vc.credentialSubject.encodedList".into(),
                message: "missing or not a string".into(),
            })?;
        StatusList::decode(url, encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_encoding() {
        let mut list = StatusList::new("https://broker.example/status/1", 10);
        assert_eq!(list.len(), StatusList::MIN_ENTRIES);
        list.revoke(0).expect("0");
        list.revoke(9).expect("9");
        list.revoke(131_071).expect("last");
        assert!(list.revoke(131_072).is_err());
        assert_eq!(list.bits[0], 0x80, "index 0 is the left-most bit");
        assert_eq!(list.bits[1], 0x40);
        let encoded = list.encode().expect("encode");
        assert!(encoded.starts_with('u'));
        assert!(encoded.len() < 1000, "an almost empty list compresses well");
        let back = StatusList::decode(list.url(), &encoded).expect("decode");
        assert_eq!(back, list);
        assert!(back.is_revoked(9).expect("9"));
        assert!(!back.is_revoked(10).expect("10"));
        assert!(StatusList::decode("x", "u!!!").is_err());
        assert!(
            StatusList::decode("x", &format!("u{}", URL_SAFE_NO_PAD.encode(b"not gzip"))).is_err()
        );
    }

    #[test]
    fn oversized_lists_are_refused() {
        let big = vec![0u8; MAX_BYTES + 1];
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&big).expect("write");
        let encoded = format!("u{}", URL_SAFE_NO_PAD.encode(gz.finish().expect("gz")));
        assert!(
            matches!(StatusList::decode("x", &encoded), Err(MembershipError::StatusList(m)) if m.contains("exceeds"))
        );
    }
}
