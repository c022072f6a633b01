//! `connector join`: applying for membership at a broker, and following the request until the
//! credential is stored.
//!
//! 1. Fetch the authority's DID document (`/.well-known/did.json`) and pin its key into
//!    `trust.authority_key_file` — after the operator compared its JWK thumbprint out of band
//!    (`--authority-thumbprint` makes that check explicit; a mismatch, or a different key
//!    already pinned, refuses).
//! 2. Fetch the Charta (`/api/v1/charta`) and check it is exactly the Charta this connector
//!    binds its agreements to and lists in `trust.accepted_charta`.
//! 3. Sign the Charta acceptance with the participant's key (`contracts::membership`) and send
//!    the join request.
//! 4. Approved at once (a broker in dev mode answers 201 with the credential): check the
//!    credential as counterparties will and store it. Otherwise the request is pending; the
//!    record in the data folder lets `connector join --status`, `--wait` and the running
//!    connector pick up the credential once the operator approves.
//!
//! These functions work on the configuration and the data folder only, so they run whether or
//! not `connector serve` runs; the CLI then asks a running connector to look again.

use contracts::charta::Charta;
use contracts::membership::{AcceptedCharta, ChartaAcceptance, sign_charta_acceptance};
use serde_json::{Value, json};
use vocab::jose::{PublicKey, SigningKey};

use super::FederationError;
use super::broker::{BrokerClient, CredentialAnswer, http_client};
use super::config::check_broker_url;
use super::local::{self, JoinRecord, JoinStatus};
use super::membership::{OwnIdentity, check_own_credential};
use crate::config::Config;
use crate::process::now_ms;

/// The participant types a broker admits, as join requests name them.
pub const PARTICIPANT_TYPES: [&str; 4] = ["municipality", "public_body", "company", "research"];

/// What to apply with.
#[derive(Debug, Clone)]
pub struct JoinOptions {
    /// The broker's base URL.
    pub broker_url: String,
    /// The authority key's JWK thumbprint the operator obtained out of band.
    pub authority_thumbprint: Option<String>,
    /// `municipality`, `public_body`, `company` or `research`.
    pub participant_type: String,
    /// The municipality key (8 digits); required for a municipality.
    pub ags: Option<String>,
}

/// What joining (or looking again) achieved.
#[derive(Debug, Clone)]
pub struct JoinReport {
    /// The join record as now stored.
    pub record: JoinRecord,
    /// True when the authority key was pinned by this call (false: it was pinned already).
    pub pinned_now: bool,
    /// Where the credential was stored, when it was.
    pub credential_file: Option<std::path::PathBuf>,
    /// Until when the stored credential is valid (RFC 3339).
    pub valid_until: Option<String>,
}

fn refused(message: impl Into<String>) -> FederationError {
    FederationError::Refused(message.into())
}

fn own_key(config: &Config) -> Result<(String, SigningKey), FederationError> {
    let did = config
        .did()
        .map_err(|e| FederationError::Setup(e.to_string()))?;
    let kid = config
        .key_id()
        .map_err(|e| FederationError::Setup(e.to_string()))?;
    let key = crate::identity::read_private_key(&config.path(&config.participant.key_file), &kid)
        .map_err(|e| FederationError::Setup(e.to_string()))?;
    Ok((did, key))
}

fn accepted(config: &Config) -> Vec<AcceptedCharta> {
    config
        .trust
        .accepted_charta
        .iter()
        .map(|c| AcceptedCharta {
            version: c.version.clone(),
            sha256: c.sha256.to_ascii_lowercase(),
        })
        .collect()
}

/// Reads the pinned authority key, if one is pinned.
pub fn pinned_authority_key(config: &Config) -> Result<Option<PublicKey>, FederationError> {
    let path = config.path(&config.trust.authority_key_file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FederationError::file(&path, e)),
    };
    let key = PublicKey::from_jwk_json(&text).map_err(|e| FederationError::file(&path, e))?;
    match key.kid() {
        Some(kid) if vocab::did::did_of_did_url(kid) == config.trust.authority_did => Ok(Some(key)),
        other => Err(FederationError::file(
            &path,
            format!(
                "the key's kid {other:?} is not a DID URL of trust.authority_did {}",
                config.trust.authority_did
            ),
        )),
    }
}

/// Finds the authority's key in its DID document and pins it (or confirms it is pinned).
async fn pin_authority(
    config: &Config,
    broker: &BrokerClient,
    expected_thumbprint: Option<&str>,
) -> Result<(PublicKey, bool), FederationError> {
    let doc = broker.did_document().await?;
    if doc.id != config.trust.authority_did {
        return Err(refused(format!(
            "the broker at {} is the authority {}, but trust.authority_did in the configuration is {}; \
             set trust.authority_did = \"{}\" if this is the federation you mean to join",
            broker.base(),
            doc.id,
            config.trust.authority_did,
            doc.id
        )));
    }
    let keys: Vec<PublicKey> = doc
        .assertion_method
        .iter()
        .filter_map(|kid| doc.assertion_key(kid))
        .collect();
    let key = match expected_thumbprint.map(str::trim) {
        Some(t) => keys.iter().find(|k| k.thumbprint() == t).cloned().ok_or_else(|| {
            refused(format!(
                "the authority key does not match: expected thumbprint {t}, the broker presents {}. \
                 Do not join; ask the federation operator which key is right",
                keys.iter().map(PublicKey::thumbprint).collect::<Vec<_>>().join(", ")
            ))
        })?,
        None => match keys.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(FederationError::Invalid {
                    what: "the authority's DID document".into(),
                    message: "it lists no assertion key".into(),
                });
            }
            several => {
                return Err(refused(format!(
                    "the authority lists {} keys ({}); name the right one with --authority-thumbprint",
                    several.len(),
                    several.iter().map(PublicKey::thumbprint).collect::<Vec<_>>().join(", ")
                )));
            }
        },
    };
    match pinned_authority_key(config)? {
        Some(pinned) if pinned.thumbprint() == key.thumbprint() => Ok((pinned, false)),
        Some(pinned) => Err(refused(format!(
            "a different authority key is pinned in {} (thumbprint {}); the broker presents {}. \
             If the federation really changed its key, check the new one out of band and remove the file first",
            config.path(&config.trust.authority_key_file).display(),
            pinned.thumbprint(),
            key.thumbprint()
        ))),
        None => {
            let path = config.path(&config.trust.authority_key_file);
            let text = serde_json::to_string_pretty(&key.to_jwk_value())
                .map_err(|e| FederationError::file(&path, e))?;
            local::write_atomically(&path, text.as_bytes(), false)?;
            Ok((key, true))
        }
    }
}

/// Fetches the broker's Charta and checks it is the one this connector binds agreements to.
async fn checked_charta(config: &Config, broker: &BrokerClient) -> Result<Charta, FederationError> {
    let published = broker.charta().await?;
    let charta = Charta::parse(&published.text).map_err(|e| FederationError::Invalid {
        what: "the Charta request".into(),
        message: e.to_string(),
    })?;
    if charta.sha256() != published.sha256 || charta.version() != published.version {
        return Err(FederationError::Invalid {
            what: "the Charta request".into(),
            message: format!(
                "it names version {} with SHA-256 {}, but its text is version {} with SHA-256 {}",
                published.version,
                published.sha256,
                charta.version(),
                charta.sha256()
            ),
        });
    }
    let ours = crate::terms::Terms::default();
    let bound = ours.charta();
    if bound.sha256() != charta.sha256() {
        return Err(refused(format!(
            "the broker publishes Charta {} (SHA-256 {}), but this connector binds its agreements to Charta {} (SHA-256 {}); \
             a connector release for that Charta is needed",
            charta.version(),
            charta.sha256(),
            bound.version(),
            bound.sha256()
        )));
    }
    if !accepted(config)
        .iter()
        .any(|a| a.version == charta.version() && a.sha256 == charta.sha256())
    {
        return Err(refused(format!(
            "trust.accepted_charta does not list Charta {} with SHA-256 {}; add it to accept it",
            charta.version(),
            charta.sha256()
        )));
    }
    Ok(charta)
}

fn check_options(options: &JoinOptions) -> Result<(), FederationError> {
    if !PARTICIPANT_TYPES.contains(&options.participant_type.as_str()) {
        return Err(FederationError::Setup(format!(
            "participant type {:?}: use one of {}",
            options.participant_type,
            PARTICIPANT_TYPES.join(", ")
        )));
    }
    match &options.ags {
        Some(a) => {
            vocab::ags::Ags::parse(a)
                .map_err(|e| FederationError::Setup(format!("--ags {a}: {e}")))?;
        }
        None if options.participant_type == "municipality" => {
            return Err(FederationError::Setup(
                "--ags is required for a municipality (its 8-digit Amtlicher Gemeindeschlüssel)"
                    .into(),
            ));
        }
        None => {}
    }
    Ok(())
}

/// The broker client for `url`, checked against the configuration.
pub fn broker_for(config: &Config, url: &str) -> Result<BrokerClient, FederationError> {
    let allow_http = config.tls.terminated_by_proxy || config.tck.enabled;
    let url = check_broker_url(url, allow_http).map_err(FederationError::Setup)?;
    if let Some(configured) = &config.federation.broker_url
        && configured.trim_end_matches('/') != url
    {
        return Err(FederationError::Setup(format!(
            "federation.broker_url in the configuration names {configured}, not {url}"
        )));
    }
    let http = http_client(config, std::time::Duration::from_secs(30))?;
    Ok(BrokerClient::new(http, &url))
}

/// Stores a credential after checking it names this connector and verifies with the pinned
/// authority key; returns the file and the end of validity.
fn store_credential(
    config: &Config,
    jwt: &str,
    authority: &PublicKey,
    did: &str,
    key: &SigningKey,
) -> Result<(std::path::PathBuf, String), FederationError> {
    let public = key.public_key();
    let accepted = accepted(config);
    let own = OwnIdentity {
        did,
        key: &public,
        accepted: &accepted,
    };
    let m = check_own_credential(jwt, authority, &own, None, now_ms() / 1000).map_err(|p| {
        FederationError::Invalid {
            what: "the credential".into(),
            message: p.message,
        }
    })?;
    let path = local::credential_target(config)?;
    local::write_atomically(&path, format!("{jwt}\n").as_bytes(), true)?;
    let until = super::membership::CredentialSummary::of(&m, "").valid_until;
    Ok((path, until))
}

/// Sends the join request (or confirms an earlier one) and stores what the broker answers.
pub async fn join(config: &Config, options: &JoinOptions) -> Result<JoinReport, FederationError> {
    check_options(options)?;
    let broker = broker_for(config, &options.broker_url)?;
    let (did, key) = own_key(config)?;
    let (authority, pinned_now) =
        pin_authority(config, &broker, options.authority_thumbprint.as_deref()).await?;
    let charta = checked_charta(config, &broker).await?;
    let now = now_ms();
    let acceptance = ChartaAcceptance::new(&charta, &did, now / 1000);
    let signed = sign_charta_acceptance(&key, &acceptance)
        .map_err(|e| FederationError::Setup(format!("cannot sign the Charta acceptance: {e}")))?;
    let mut body = json!({
        "did": did,
        "legalName": config.participant.legal_name,
        "participantType": options.participant_type,
        "connectorEndpoint": config.dsp_base_url(),
        "publicKey": key.public_key().to_jwk_value(),
        "chartaAcceptance": signed,
    });
    if let Some(a) = &options.ags {
        body["ags"] = Value::String(a.clone());
    }
    let mut record = JoinRecord {
        v: JoinRecord::VERSION,
        broker_url: broker.base().to_owned(),
        did: did.clone(),
        authority_did: config.trust.authority_did.clone(),
        authority_thumbprint: authority.thumbprint(),
        participant_type: options.participant_type.clone(),
        ags: options.ags.clone(),
        charta_version: charta.version().to_owned(),
        status: JoinStatus::Pending,
        reason: None,
        requested_ms: now,
        checked_ms: now,
    };
    let credential = match broker.join(&body).await {
        Ok(answer) => answer.credential,
        // Already pending or active at this broker: carry on with what it holds.
        Err(e) if e.broker_status() == Some(409) => match broker.credential(&did).await? {
            CredentialAnswer::Issued(jwt) => Some(jwt),
            _ => None,
        },
        Err(e) if e.broker_code() == Some("revoked") => {
            record.status = JoinStatus::Revoked;
            record.reason = Some(e.to_string());
            local::write_join_record(config, &record)?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let mut report = JoinReport {
        record: record.clone(),
        pinned_now,
        credential_file: None,
        valid_until: None,
    };
    if let Some(jwt) = credential {
        let (path, until) = store_credential(config, &jwt, &authority, &did, &key)?;
        record.status = JoinStatus::Active;
        report.credential_file = Some(path);
        report.valid_until = Some(until);
    }
    local::write_join_record(config, &record)?;
    report.record = record;
    Ok(report)
}

/// Asks the broker how the recorded join request stands; stores the credential once issued.
pub async fn check_status(config: &Config) -> Result<JoinReport, FederationError> {
    let mut record = local::read_join_record(config)?.ok_or_else(|| {
        FederationError::Setup(
            "this connector has not asked to join: run `connector join --broker <URL>`".into(),
        )
    })?;
    let broker = broker_for(config, &record.broker_url)?;
    let (did, key) = own_key(config)?;
    let authority = pinned_authority_key(config)?.ok_or_else(|| {
        FederationError::Setup(format!(
            "no authority key is pinned in {}; run `connector join --broker {}` again",
            config.path(&config.trust.authority_key_file).display(),
            record.broker_url
        ))
    })?;
    let mut report = JoinReport {
        record: record.clone(),
        pinned_now: false,
        credential_file: None,
        valid_until: None,
    };
    match broker.credential(&did).await? {
        CredentialAnswer::Issued(jwt) => {
            let (path, until) = store_credential(config, &jwt, &authority, &did, &key)?;
            record.status = JoinStatus::Active;
            record.reason = None;
            report.credential_file = Some(path);
            report.valid_until = Some(until);
        }
        CredentialAnswer::Revoked(message) => {
            record.status = JoinStatus::Revoked;
            record.reason = Some(message);
        }
        CredentialAnswer::NotIssued(message) => match broker.participant(&did).await? {
            Some(p) if p.status == "rejected" => {
                record.status = JoinStatus::Rejected;
                record.reason = p.reason.or(Some(message));
            }
            Some(p) if p.status == "revoked" => {
                record.status = JoinStatus::Revoked;
                record.reason = p.reason.or(Some(message));
            }
            Some(_) => {
                record.status = JoinStatus::Pending;
            }
            None => {
                return Err(refused(format!(
                    "the broker at {} does not know {did}; run `connector join --broker {}` again",
                    record.broker_url, record.broker_url
                )));
            }
        },
    }
    record.checked_ms = now_ms();
    local::write_join_record(config, &record)?;
    report.record = record;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(t: &str, ags: Option<&str>) -> JoinOptions {
        JoinOptions {
            broker_url: "https://broker.example".into(),
            authority_thumbprint: None,
            participant_type: t.into(),
            ags: ags.map(str::to_owned),
        }
    }

    #[test]
    fn options_are_checked_before_anything_is_sent() {
        check_options(&options("company", None)).expect("a company needs no AGS");
        check_options(&options("municipality", Some("09162000"))).expect("municipality");
        let e = check_options(&options("municipality", None)).expect_err("no AGS");
        assert!(e.to_string().contains("--ags"), "{e}");
        let e = check_options(&options("verein", None)).expect_err("type");
        assert!(e.to_string().contains("public_body"), "{e}");
        assert!(check_options(&options("company", Some("0916"))).is_err());
    }
}
