//! The demo's throw-away certificate authority (rcgen with ring) and the TLS server
//! certificates it issues for `localhost` and `127.0.0.1`. Nothing of it outlives the demo's
//! folder; browsers will warn about it unless `ca.pem` is imported.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use super::DemoError;

/// A CA that exists for one demo run.
pub struct DemoCa {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

/// A server certificate and its private key, PEM-encoded.
pub struct ServerCert {
    /// The certificate.
    pub cert_pem: String,
    /// The private key (PKCS#8).
    pub key_pem: String,
}

fn pki(e: rcgen::Error) -> DemoError {
    DemoError::Setup(format!("cannot create the demo certificates: {e}"))
}

impl DemoCa {
    /// A new CA with a fresh P-256 key.
    pub fn new() -> Result<Self, DemoError> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(
            DnType::CommonName,
            "Kommunaler Datenraum – Demo-CA (nur lokal)",
        );
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().map_err(pki)?;
        let pem = params.self_signed(&key).map_err(pki)?.pem();
        Ok(Self { params, key, pem })
    }

    /// The CA certificate (PEM).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A server certificate for `localhost` and `127.0.0.1`, named `common_name`.
    pub fn server(&self, common_name: &str) -> Result<ServerCert, DemoError> {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(pki)?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let key = KeyPair::generate().map_err(pki)?;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).map_err(pki)?;
        Ok(ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}
