//! The assembled connector: every service built from the configuration, shared by the DSP
//! and management listeners and the outbox dispatcher.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use contracts::membership::AcceptedCharta;
use vocab::jose::PublicKey;

use crate::assets::{ApprovalMode, Asset, AssetSource, Assets, Offer};
use crate::client::{Capture, DspClient};
use crate::config::{Config, ConfigError, Secret};
use crate::identity::{Identity, IdentityError};
use crate::negotiation::tck::{
    ConsumerScript, TckSeed, consumer_script, parse_properties, provider_script,
};
use crate::negotiation::{NegotiationSettings, Negotiations};
use crate::outbox::Outbox;
use crate::process::now_ms;
use crate::store::{SledStore, Store, StoreError};
use crate::terms::Terms;
use crate::trust::{CallerVerifier, TckIdentity, TokenIssuer};

/// Why the connector could not be assembled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Key or credential.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// TLS material.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Anything else, with what to do.
    #[error("{0}")]
    Other(String),
}

/// TCK mode state.
#[derive(Debug, Clone)]
pub struct TckRuntime {
    /// The seeded ids.
    pub seed: TckSeed,
    /// Consumer scripts by dataset id.
    pub consumer_scripts: BTreeMap<String, ConsumerScript>,
}

/// Everything the listeners and the dispatcher share.
pub struct App {
    /// The configuration.
    pub config: Config,
    /// Who this connector is.
    pub identity: Arc<Identity>,
    /// The database.
    pub store: Arc<dyn Store>,
    /// Assets, offers, templates.
    pub assets: Assets,
    /// Contract negotiations.
    pub negotiations: Negotiations,
    /// Transfer processes and the data plane.
    pub transfers: crate::transfer::Transfers,
    /// The audit log.
    pub audit: crate::audit::AuditLog,
    /// Checks callers' tokens.
    pub verifier: Arc<CallerVerifier>,
    /// Membership in the federation (credential, pinned authority key, publication).
    pub federation: Arc<crate::federation::Federation>,
    /// Calls other connectors.
    pub client: DspClient,
    /// Outgoing messages.
    pub outbox: Outbox,
    /// The policy engine.
    pub terms: Arc<Terms>,
    /// Captures DSP messages (diagnostics).
    pub capture: Option<Arc<Capture>>,
    /// The management bearer token.
    pub management_token: Secret,
    /// TCK mode.
    pub tck: Option<TckRuntime>,
    /// True once the listeners and the dispatcher run.
    pub ready: AtomicBool,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("did", &self.identity.did)
            .finish_non_exhaustive()
    }
}

/// Reads the pinned authority key and checks it belongs to the authority's DID; `None`
/// before `connector join` pinned it (the connector then runs as a non-member).
fn authority_key(config: &Config) -> Result<Option<PublicKey>, StartError> {
    let path = config.path(&config.trust.authority_key_file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StartError::Config(ConfigError::Invalid {
                key: "trust.authority_key_file".into(),
                message: format!("cannot read {}: {e}", path.display()),
            }));
        }
    };
    let key = PublicKey::from_jwk_json(&text).map_err(|e| {
        StartError::Config(ConfigError::Invalid {
            key: "trust.authority_key_file".into(),
            message: format!("{}: {e}", path.display()),
        })
    })?;
    match key.kid() {
        Some(kid) if vocab::did::did_of_did_url(kid) == config.trust.authority_did => Ok(Some(key)),
        other => Err(StartError::Config(ConfigError::Invalid {
            key: "trust.authority_key_file".into(),
            message: format!(
                "the key's kid {other:?} must be a DID URL of trust.authority_did {} (as in the authority's did.json)",
                config.trust.authority_did
            ),
        })),
    }
}

impl App {
    /// Builds every service from the configuration (opens the database, loads keys, seeds the
    /// TCK datasets when that mode is on).
    pub fn build(config: Config) -> Result<Arc<App>, StartError> {
        let identity = Arc::new(Identity::load(&config)?);
        let data_dir = config.data_dir();
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            StartError::Other(format!(
                "cannot create the data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&data_dir.join("db"))?);
        let terms = Arc::new(Terms::default());
        let charta = terms.charta();
        if !config
            .trust
            .accepted_charta
            .iter()
            .any(|c| c.version == charta.version() && c.sha256 == charta.sha256())
        {
            tracing::warn!(
                version = charta.version(),
                sha256 = charta.sha256(),
                "trust.accepted_charta does not list the Charta this connector binds agreements to"
            );
        }
        let accepted: Vec<AcceptedCharta> = config
            .trust
            .accepted_charta
            .iter()
            .map(|c| AcceptedCharta {
                version: c.version.clone(),
                sha256: c.sha256.to_ascii_lowercase(),
            })
            .collect();
        let tck_identity = if config.tck.enabled {
            tracing::warn!(
                "TCK MODE IS ON: the TCK's fixed Authorization header is accepted and TCK datasets are seeded. Never run this in production."
            );
            Some(TckIdentity {
                authorization: config.tck.authorization.clone().unwrap_or_default(),
                participant_id: config.tck.participant_id.clone(),
            })
        } else {
            None
        };
        let verifier = Arc::new(match authority_key(&config)? {
            Some(key) => CallerVerifier::new(
                &identity.did,
                key,
                accepted,
                config.trust.clock_leeway_secs,
                tck_identity,
            ),
            None => CallerVerifier::unpinned(
                &identity.did,
                accepted,
                config.trust.clock_leeway_secs,
                tck_identity,
            ),
        });
        let capture = match &config.diagnostics.capture_dsp_dir {
            Some(dir) => Some(Arc::new(Capture::new(config.path(dir)).map_err(|e| {
                StartError::Other(format!("diagnostics.capture_dsp_dir: {e}"))
            })?)),
            None => None,
        };
        let roots = crate::tls::root_store(
            &config
                .tls
                .extra_ca_files
                .iter()
                .map(|p| config.path(p))
                .collect::<Vec<_>>(),
            config.tls.use_system_roots,
        )?;
        let issuer = Arc::new(TokenIssuer::new(
            &identity.did,
            identity.key.clone(),
            identity.membership.clone(),
            config.trust.token_lifetime_secs,
        ));
        let federation = Arc::new(crate::federation::Federation::new(
            &config,
            &identity.did,
            identity.key.clone(),
            issuer.clone(),
            verifier.clone(),
        ));
        let data_tls = crate::tls::data_client_config(roots.clone())?;
        let data_issuer = issuer.clone();
        let client = DspClient::new(
            crate::tls::client_config(roots)?,
            issuer,
            Duration::from_secs(config.outbox.request_timeout_secs),
            config.tck.enabled,
            capture.clone(),
        )
        .map_err(|e| StartError::Other(e.to_string()))?;
        let outbox = Outbox::new(store.clone());
        let assets = Assets::new(store.clone(), terms.clone());
        let tck = if config.tck.enabled {
            Some(seed_tck(&config, &assets)?)
        } else {
            None
        };
        let negotiations = Negotiations::new(
            store.clone(),
            outbox.clone(),
            identity.clone(),
            assets.clone(),
            terms.clone(),
            NegotiationSettings {
                allow_plain_http: config.tck.enabled,
            },
        );
        let (audit, transfers) = crate::transfer::service::assemble(
            &config,
            store.clone(),
            outbox.clone(),
            identity.clone(),
            negotiations.clone(),
            assets.clone(),
            terms.clone(),
            data_tls,
            data_issuer,
            tck.as_ref().map(|t| &t.seed),
        )
        .map_err(StartError::Other)?;
        let transfers = transfers.with_verifier(verifier.clone());
        let negotiations = negotiations.with_audit(audit.clone());
        let management_token = config.management_token()?;
        Ok(Arc::new(App {
            audit,
            transfers,
            config,
            identity,
            store,
            assets,
            negotiations,
            verifier,
            federation,
            client,
            outbox,
            terms,
            capture,
            management_token,
            tck,
            ready: AtomicBool::new(false),
        }))
    }
}

/// Seeds the datasets and offers of the TCK properties file (idempotent).
fn seed_tck(config: &Config, assets: &Assets) -> Result<TckRuntime, StartError> {
    let Some(file) = &config.tck.properties_file else {
        return Err(StartError::Config(ConfigError::Invalid {
            key: "tck.properties_file".into(),
            message: "the TCK mode needs the TCK properties file whose ids it seeds".into(),
        }));
    };
    let path = config.path(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| StartError::Other(format!("tck.properties_file {}: {e}", path.display())))?;
    let seed = parse_properties(&text);
    let now = now_ms();
    let asset = |id: &str, title: String| Asset {
        id: id.to_owned(),
        title,
        description: "Vom Eclipse DSP TCK vorgegebener Testdatensatz.".into(),
        keywords: vec!["tck".into()],
        themes: Vec::new(),
        ags: None,
        license: None,
        publisher: None,
        personal_adjacent: false,
        source: AssetSource::None,
        origin: Some(format!("tck:{}", path.display())),
        created_ms: now,
        updated_ms: now,
    };
    let offer = |id: &str, asset_id: &str, script| Offer {
        id: id.to_owned(),
        asset_id: asset_id.to_owned(),
        template: None,
        parameters: BTreeMap::new(),
        policy: serde_json::json!({"@id": id, "@type": "Offer", "permission": [{"action": "use"}]}),
        contract_markdown: "# TCK-Testvertrag\n\nNutzung zu Testzwecken des Eclipse DSP TCK.\n"
            .into(),
        contract_sha256: {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(
                b"# TCK-Testvertrag\n\nNutzung zu Testzwecken des Eclipse DSP TCK.\n",
            ))
        },
        approval: ApprovalMode::Automatic,
        visibility: None,
        tck: script,
        created_ms: now,
    };
    let mut new_assets = Vec::new();
    let mut new_offers = Vec::new();
    for (scenario, dataset, offer_id) in &seed.provider {
        let Some(script) = provider_script(scenario) else {
            tracing::warn!(%scenario, "no script for this TCK scenario; not seeded");
            continue;
        };
        new_assets.push(asset(dataset, format!("TCK {scenario}")));
        new_offers.push(offer(offer_id, dataset, Some(script)));
    }
    for dataset in &seed.catalog {
        new_assets.push(asset(dataset, format!("TCK catalog {dataset}")));
        new_offers.push(offer(&format!("{dataset}:offer"), dataset, None));
    }
    assets.put(&new_assets, &new_offers)?;
    let consumer_scripts = seed
        .consumer
        .iter()
        .filter_map(|(scenario, dataset)| consumer_script(scenario).map(|s| (dataset.clone(), s)))
        .collect();
    tracing::warn!(datasets = new_assets.len(), "TCK datasets seeded");
    Ok(TckRuntime {
        seed,
        consumer_scripts,
    })
}
