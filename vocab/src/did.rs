//! `did:web` identifiers and DID documents.
//!
//! A participant is identified by a `did:web` derived from its public base URL (DID method
//! `did:web`: the host, a port written `%3A<port>`, then the path segments joined by `:`).
//! Its connector serves the [`DidDocument`] at the URL [`did_document_url`] gives: the public key
//! as a `JsonWebKey2020` verification method and the DSP 2025-1 service entry.
//!
//! ```
//! use vocab::did::{did_document_url, did_web_from_url};
//! let did = did_web_from_url("https://daten.musterstadt.example:8443/konnektor").unwrap();
//! assert_eq!(did, "did:web:daten.musterstadt.example%3A8443:konnektor");
//! assert_eq!(
//!     did_document_url(&did).unwrap(),
//!     "https://daten.musterstadt.example:8443/konnektor/did.json"
//! );
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jose::{PublicKey, SigningKey};

/// The W3C DID v1 JSON-LD context.
pub const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
/// The JSON-LD context for `JsonWebKey2020` verification methods.
pub const JWS_2020_CONTEXT: &str = "https://w3id.org/security/suites/jws-2020/v1";
/// The DSP 2025-1 context (the DID service entries use its terms).
pub const DSP_CONTEXT: &str = "https://w3id.org/dspace/2025/1/context.jsonld";
/// The verification method type used for every key.
pub const JSON_WEB_KEY_2020: &str = "JsonWebKey2020";

/// Derives the `did:web` identifier of a base URL (`http` or `https`; the scheme is not part
/// of the DID: `did:web` always resolves over HTTPS).
///
/// Query, fragment and user information are refused; a trailing `/` is ignored.
pub fn did_web_from_url(base_url: &str) -> Result<String> {
    let url = url::Url::parse(base_url)
        .map_err(|e| Error::Did(format!("base URL {base_url:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Error::Did(format!(
            "base URL {base_url:?} must use https (or http for local tests), not {}",
            url.scheme()
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Did(format!(
            "base URL {base_url:?} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Did(format!(
            "base URL {base_url:?} must not contain user information"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| Error::Did(format!("base URL {base_url:?} has no host")))?;
    if !matches!(
        url.host(),
        Some(url::Host::Domain(_)) | Some(url::Host::Ipv4(_))
    ) {
        return Err(Error::Did(format!(
            "base URL {base_url:?} must name its host by domain (or IPv4 address); did:web cannot express IPv6 hosts"
        )));
    }
    let mut did = format!("did:web:{host}");
    if let Some(port) = url.port() {
        did.push_str(&format!("%3A{port}"));
    }
    for segment in url.path().split('/').filter(|s| !s.is_empty()) {
        if segment.contains(':') {
            return Err(Error::Did(format!(
                "path segment {segment:?} of {base_url:?} contains ':', which did:web cannot express"
            )));
        }
        did.push(':');
        did.push_str(segment);
    }
    Ok(did)
}

/// The parts of a `did:web`: host, optional port, path segments.
fn split_did_web(did: &str) -> Result<(String, Option<u16>, Vec<&str>)> {
    let rest = did
        .strip_prefix("did:web:")
        .ok_or_else(|| Error::Did(format!("{did:?} is not a did:web identifier")))?;
    if rest.contains(['#', '?', '/']) {
        return Err(Error::Did(format!(
            "{did:?} is a DID URL, not a DID (remove the fragment, query or path)"
        )));
    }
    let mut parts = rest.split(':');
    let authority = parts.next().unwrap_or_default();
    let (host, port) = match authority
        .split_once("%3A")
        .or_else(|| authority.split_once("%3a"))
    {
        Some((host, port)) => {
            let port: u16 = port
                .parse()
                .map_err(|_| Error::Did(format!("{did:?} has an invalid port {port:?}")))?;
            (host, Some(port))
        }
        None => (authority, None),
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
    {
        return Err(Error::Did(format!("{did:?} has an invalid host {host:?}")));
    }
    let segments: Vec<&str> = parts.collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(Error::Did(format!("{did:?} has an empty path segment")));
    }
    Ok((host.to_ascii_lowercase(), port, segments))
}

/// Checks that `did` is a well-formed `did:web` (not a DID URL).
pub fn check_did_web(did: &str) -> Result<()> {
    split_did_web(did).map(|_| ())
}

/// The HTTPS base URL a `did:web` stands for (no trailing slash).
pub fn base_url_of(did: &str) -> Result<String> {
    let (host, port, segments) = split_did_web(did)?;
    let mut url = format!("https://{host}");
    if let Some(port) = port {
        url.push_str(&format!(":{port}"));
    }
    for s in segments {
        url.push('/');
        url.push_str(s);
    }
    Ok(url)
}

/// The URL of the `did.json` a `did:web` resolves to: `/.well-known/did.json` without a path,
/// `<path>/did.json` with one.
pub fn did_document_url(did: &str) -> Result<String> {
    let (_, _, segments) = split_did_web(did)?;
    let base = base_url_of(did)?;
    Ok(if segments.is_empty() {
        format!("{base}/.well-known/did.json")
    } else {
        format!("{base}/did.json")
    })
}

/// The DID part of a DID URL (`did:web:a.example#key-1` → `did:web:a.example`).
pub fn did_of_did_url(did_url: &str) -> &str {
    did_url.split(['#', '?']).next().unwrap_or(did_url)
}

/// A verification method: a public key as JWK.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// The key id, a DID URL (`did:web:…#key-1`).
    pub id: String,
    /// Always `JsonWebKey2020`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The DID that controls the key.
    pub controller: String,
    /// The public key.
    pub public_key_jwk: serde_json::Value,
}

/// The kind of a DSP DID service entry (DSP 2025-1, `common/did-service-schema.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DidServiceType {
    /// A connector's DSP endpoint.
    DataService,
    /// A catalogue service (its endpoint ends with `/catalog`).
    CatalogService,
}

/// A service entry of a DID document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidService {
    /// The entry's id (`did:web:…#dsp`).
    pub id: String,
    /// `DataService` or `CatalogService`.
    #[serde(rename = "type")]
    pub kind: DidServiceType,
    /// The endpoint URL: the connector's DSP base URL for a `DataService`.
    pub service_endpoint: String,
}

/// A DID document as a connector serves it at `/.well-known/did.json`.
///
/// ```
/// use vocab::did::DidDocument;
/// use vocab::jose::SigningKey;
/// let key = SigningKey::generate("did:web:stadtwerke.example#key-1").unwrap();
/// let doc = DidDocument::new("did:web:stadtwerke.example")
///     .unwrap()
///     .with_key(&key.public_key())
///     .unwrap()
///     .with_data_service("https://stadtwerke.example/dsp");
/// let json = serde_json::to_string(&doc).unwrap();
/// let back = DidDocument::from_json(&json, "did:web:stadtwerke.example").unwrap();
/// assert_eq!(back.key("did:web:stadtwerke.example#key-1").unwrap(), key.public_key());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocument {
    /// JSON-LD contexts: DID v1, JWS 2020, DSP 2025-1.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The DID.
    pub id: String,
    /// The public keys.
    #[serde(default)]
    pub verification_method: Vec<VerificationMethod>,
    /// Key ids usable for authentication (request tokens).
    #[serde(default)]
    pub authentication: Vec<String>,
    /// Key ids usable for assertions (signed self-descriptions, agreements, credentials).
    #[serde(default)]
    pub assertion_method: Vec<String>,
    /// Service entries (DSP endpoints).
    #[serde(default)]
    pub service: Vec<DidService>,
}

/// The largest DID document accepted by [`DidDocument::from_json`].
pub const MAX_DID_DOCUMENT_BYTES: usize = 64 * 1024;

impl DidDocument {
    /// An empty document for a `did:web`.
    pub fn new(did: &str) -> Result<Self> {
        check_did_web(did)?;
        Ok(Self {
            context: vec![
                DID_CONTEXT.into(),
                JWS_2020_CONTEXT.into(),
                DSP_CONTEXT.into(),
            ],
            id: did.to_owned(),
            verification_method: Vec::new(),
            authentication: Vec::new(),
            assertion_method: Vec::new(),
            service: Vec::new(),
        })
    }

    /// Adds a public key for authentication and assertion. Its `kid` must be a DID URL of
    /// this DID (`<did>#<fragment>`).
    pub fn with_key(mut self, key: &PublicKey) -> Result<Self> {
        let kid = key
            .kid()
            .ok_or_else(|| Error::Did("the key has no kid".into()))?
            .to_owned();
        if did_of_did_url(&kid) != self.id || !kid.contains('#') {
            return Err(Error::Did(format!(
                "key id {kid:?} is not a DID URL of {} (expected {}#<name>)",
                self.id, self.id
            )));
        }
        self.verification_method.push(VerificationMethod {
            id: kid.clone(),
            kind: JSON_WEB_KEY_2020.into(),
            controller: self.id.clone(),
            public_key_jwk: key.to_jwk_value(),
        });
        self.authentication.push(kid.clone());
        self.assertion_method.push(kid);
        Ok(self)
    }

    /// Adds the DSP `DataService` entry pointing at the connector's DSP base URL.
    #[must_use]
    pub fn with_data_service(mut self, dsp_base_url: &str) -> Self {
        self.service.push(DidService {
            id: format!("{}#dsp", self.id),
            kind: DidServiceType::DataService,
            service_endpoint: dsp_base_url.to_owned(),
        });
        self
    }

    /// Builds the document for a signing key: its public half and the DSP endpoint.
    pub fn for_key(key: &SigningKey, dsp_base_url: &str) -> Result<Self> {
        let did = did_of_did_url(key.kid()).to_owned();
        Ok(Self::new(&did)?
            .with_key(&key.public_key())?
            .with_data_service(dsp_base_url))
    }

    /// Reads a DID document and checks that it is the document of `expected_did`, and that
    /// every verification method belongs to it and holds a usable ES256 key.
    pub fn from_json(json: &str, expected_did: &str) -> Result<Self> {
        if json.len() > MAX_DID_DOCUMENT_BYTES {
            return Err(Error::TooLarge {
                what: "DID document",
                size: json.len(),
                limit: MAX_DID_DOCUMENT_BYTES,
            });
        }
        let doc: DidDocument = serde_json::from_str(json)
            .map_err(|e| Error::Did(format!("DID document is not valid: {e}")))?;
        if doc.id != expected_did {
            return Err(Error::Did(format!(
                "DID document is for {:?}, expected {expected_did:?}",
                doc.id
            )));
        }
        for vm in &doc.verification_method {
            if did_of_did_url(&vm.id) != doc.id {
                return Err(Error::Did(format!(
                    "verificationMethod {:?} does not belong to {}",
                    vm.id, doc.id
                )));
            }
            if vm.kind != JSON_WEB_KEY_2020 {
                return Err(Error::Did(format!(
                    "verificationMethod {:?} has type {:?}; only JsonWebKey2020 is supported",
                    vm.id, vm.kind
                )));
            }
            PublicKey::from_jwk_value(&vm.public_key_jwk)?;
        }
        Ok(doc)
    }

    /// The public key with id `kid` (a DID URL), if the document lists it. The returned key
    /// carries `kid`, so verifying with it checks the JWS header's `kid` too.
    pub fn key(&self, kid: &str) -> Option<PublicKey> {
        let vm = self.verification_method.iter().find(|vm| vm.id == kid)?;
        let mut jwk = vm.public_key_jwk.clone();
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("kid".into(), kid.into());
        }
        PublicKey::from_jwk_value(&jwk).ok()
    }

    /// The public key for assertions with id `kid`: like [`DidDocument::key`], but only keys
    /// listed under `assertionMethod`.
    pub fn assertion_key(&self, kid: &str) -> Option<PublicKey> {
        if self.assertion_method.iter().any(|k| k == kid) {
            self.key(kid)
        } else {
            None
        }
    }

    /// The DSP endpoint of the first `DataService` entry.
    pub fn dsp_endpoint(&self) -> Option<&str> {
        self.service
            .iter()
            .find(|s| s.kind == DidServiceType::DataService)
            .map(|s| s.service_endpoint.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_from_urls() {
        let cases = [
            ("https://musterstadt.example", "did:web:musterstadt.example"),
            (
                "https://musterstadt.example/",
                "did:web:musterstadt.example",
            ),
            (
                "https://musterstadt.example:8443",
                "did:web:musterstadt.example%3A8443",
            ),
            (
                "https://w3c-ccg.github.io/user/alice",
                "did:web:w3c-ccg.github.io:user:alice",
            ),
            ("http://localhost:9001/a/b/", "did:web:localhost%3A9001:a:b"),
        ];
        for (url, did) in cases {
            assert_eq!(did_web_from_url(url).unwrap(), did, "{url}");
        }
        for bad in [
            "https://[::1]:8443/",
            "ftp://a.example",
            "not a url",
            "https://a.example/?q=1",
            "https://u:p@a.example",
        ] {
            assert!(did_web_from_url(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn did_json_urls() {
        assert_eq!(
            did_document_url("did:web:musterstadt.example").unwrap(),
            "https://musterstadt.example/.well-known/did.json"
        );
        assert_eq!(
            did_document_url("did:web:w3c-ccg.github.io:user:alice").unwrap(),
            "https://w3c-ccg.github.io/user/alice/did.json"
        );
        assert_eq!(
            did_document_url("did:web:example.com%3A3000:user:alice").unwrap(),
            "https://example.com:3000/user/alice/did.json"
        );
        for bad in [
            "did:key:z6Mk",
            "did:web:",
            "did:web:a.example#key-1",
            "did:web:a b",
            "did:web:a.example%3Axx",
            "did:web:a.example::x",
        ] {
            assert!(did_document_url(bad).is_err(), "{bad} must be refused");
        }
        let did = did_web_from_url("https://a.example:8443/x/y").unwrap();
        assert_eq!(base_url_of(&did).unwrap(), "https://a.example:8443/x/y");
    }

    #[test]
    fn document_round_trip_and_key_lookup() {
        let key = SigningKey::generate("did:web:a.example#key-1").unwrap();
        let doc = DidDocument::for_key(&key, "https://a.example/dsp").unwrap();
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["verificationMethod"][0]["type"], "JsonWebKey2020");
        assert_eq!(
            json["verificationMethod"][0]["publicKeyJwk"]["crv"],
            "P-256"
        );
        assert!(
            json["verificationMethod"][0]["publicKeyJwk"]
                .get("d")
                .is_none()
        );
        assert_eq!(json["service"][0]["type"], "DataService");
        assert_eq!(
            json["service"][0]["serviceEndpoint"],
            "https://a.example/dsp"
        );
        assert_eq!(json["assertionMethod"][0], "did:web:a.example#key-1");

        let back = DidDocument::from_json(&json.to_string(), "did:web:a.example").unwrap();
        assert_eq!(back, doc);
        let found = back.assertion_key("did:web:a.example#key-1").unwrap();
        let jws = key.sign_compact(b"x", None).unwrap();
        found.verify_compact(&jws).unwrap();
        assert!(back.key("did:web:a.example#key-2").is_none());
        assert_eq!(back.dsp_endpoint(), Some("https://a.example/dsp"));

        assert!(DidDocument::from_json(&json.to_string(), "did:web:b.example").is_err());
        let other = SigningKey::generate("did:web:b.example#key-1").unwrap();
        assert!(
            DidDocument::new("did:web:a.example")
                .unwrap()
                .with_key(&other.public_key())
                .is_err()
        );
        assert!(matches!(
            DidDocument::from_json(&" ".repeat(MAX_DID_DOCUMENT_BYTES + 1), "did:web:a.example"),
            Err(Error::TooLarge { .. })
        ));
    }
}
