//! The showcase, one function per step, each calling a real interface: the services' own
//! set-up functions, the broker's public API, the connectors' management API (through the
//! client the `connector` CLI uses) and the DSP between the connectors.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connector::cli::ManagementClient;
use connector::config::Config;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::layout::{self, BrokerLayout, ConnectorLayout, MUSTERSTADT, STADTWERKE};
use super::pki::DemoCa;
use super::processes::ServiceProcess;
use super::report::{self, Step};
use super::{DemoError, DemoOptions, data, http};

/// How long a service may take to become ready.
const READY_LIMIT: Duration = Duration::from_secs(60);
/// How long the negotiation may take.
const NEGOTIATION_LIMIT: Duration = Duration::from_secs(30);
/// Building blocks in the demo table (before small blocks are left out).
const BLOCKS: usize = 240;

/// The running demo: its folder and the service processes it started.
pub struct Demo {
    root: PathBuf,
    broker_port: Option<u16>,
    processes: Vec<ServiceProcess>,
    urls: Vec<String>,
}

/// A service to start and the URL that answers once it is ready.
struct Launch<'a> {
    name: &'a str,
    kind: &'a str,
    config: &'a Path,
    log: PathBuf,
    ready_url: String,
}

fn fail(step: Step, message: impl Into<String>) -> DemoError {
    let message = message.into();
    report::failed(step, &message);
    DemoError::Step { step, message }
}

fn at<T>(step: Step, result: Result<T, String>) -> Result<T, DemoError> {
    result.map_err(|m| fail(step, m))
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// A management client for a connector, as its CLI builds it.
fn management(c: &ConnectorLayout) -> Result<ManagementClient, String> {
    let config = Config::load(&c.config)
        .map_err(|e| format!("{}: {}", c.config.display(), http::chain(&e)))?;
    ManagementClient::from_config(&config).map_err(|e| e.to_string())
}

fn public_key(c: &ConnectorLayout) -> Result<vocab::jose::PublicKey, String> {
    let config = Config::load(&c.config).map_err(|e| http::chain(&e))?;
    let kid = config.key_id().map_err(|e| e.to_string())?;
    let key =
        connector::identity::read_private_key(&config.path(&config.participant.key_file), &kid)
            .map_err(|e| e.to_string())?;
    Ok(key.public_key())
}

impl Demo {
    /// Creates the demo's folder (a new temporary one unless `options.dir` names an empty or
    /// absent folder).
    pub fn new(options: &DemoOptions) -> Result<Self, DemoError> {
        let root = match &options.dir {
            Some(dir) => {
                if dir.exists()
                    && std::fs::read_dir(dir)
                        .map_err(|e| DemoError::Setup(format!("--dir {}: {e}", dir.display())))?
                        .next()
                        .is_some()
                {
                    return Err(DemoError::Setup(format!(
                        "--dir {} is not empty; the demo creates a new data space and never reuses one",
                        dir.display()
                    )));
                }
                dir.clone()
            }
            None => std::env::temp_dir().join(format!(
                "dataspace-demo-{}-{}",
                chrono::Utc::now().format("%Y%m%d-%H%M%S"),
                std::process::id()
            )),
        };
        std::fs::create_dir_all(&root)
            .map_err(|e| DemoError::Setup(format!("cannot create {}: {e}", root.display())))?;
        let root = root.canonicalize().unwrap_or(root);
        Ok(Self {
            root,
            broker_port: options.broker_port,
            processes: Vec::new(),
            urls: Vec::new(),
        })
    }

    /// Stops every service (graceful, then forced after 10 s), newest first.
    pub fn stop(&mut self) {
        while let Some(mut p) = self.processes.pop() {
            p.stop(Duration::from_secs(10));
        }
    }

    /// Prints where to look while the services keep running.
    pub fn print_running(&self) {
        report::note("");
        report::note("Alles läuft weiter / everything keeps running (Strg-C / Ctrl-C beendet):");
        for url in &self.urls {
            report::note(&format!("  {url}"));
        }
        report::note(&format!(
            "  Demo-CA (im Browser importieren / import into the browser): {}",
            self.root.join("ca.pem").display()
        ));
    }

    async fn start(
        &mut self,
        step: Step,
        launch: Launch<'_>,
        client: &reqwest::Client,
    ) -> Result<(), DemoError> {
        let process = ServiceProcess::spawn(launch.name, launch.kind, launch.config, &launch.log)
            .map_err(|e| fail(step, e.to_string()))?;
        self.processes.push(process);
        let process = self
            .processes
            .last_mut()
            .ok_or_else(|| fail(step, "no process"))?;
        let result = process
            .wait_ready(READY_LIMIT, || http::is_ready(client, &launch.ready_url))
            .await;
        at(step, result)
    }

    /// Runs every step; stops at the first failure. Steps this build lacks are reported and
    /// skipped, together with the steps that need them.
    pub async fn run_showcase(&mut self) -> Result<(), DemoError> {
        let started = Instant::now();
        report::note(&format!(
            "Kommunaler Datenraum – lokale Demo / local demo in {}",
            self.root.display()
        ));
        let mut unavailable: Vec<Step> = Vec::new();

        // 1. Folder, CA, certificates.
        let ca = DemoCa::new().map_err(|e| fail(Step::Prepare, e.to_string()))?;
        let ca_file = self.root.join("ca.pem");
        at(
            Step::Prepare,
            std::fs::write(&ca_file, ca.pem()).map_err(|e| format!("{}: {e}", ca_file.display())),
        )?;
        let client = http::client(&ca_file).map_err(|e| fail(Step::Prepare, e.to_string()))?;
        report::done(
            Step::Prepare,
            &format!(
                "Demo-CA {} (nur lokal / local only), TLS für localhost und 127.0.0.1",
                ca_file.display()
            ),
        );

        // 2. The broker.
        let port = match self.broker_port {
            Some(p) => p,
            None => layout::free_port().map_err(|e| fail(Step::Broker, e.to_string()))?,
        };
        let broker = layout::broker(&self.root, &ca, &ca_file, port)
            .map_err(|e| fail(Step::Broker, e.to_string()))?;
        let broker_log = self.root.join("broker.log");
        let launch = Launch {
            name: "Broker",
            kind: "broker",
            config: &broker.config,
            log: broker_log,
            ready_url: format!("{}/readyz", broker.url),
        };
        self.start(Step::Broker, launch, &client).await?;
        self.urls
            .push(format!("Katalog / catalogue:  {}/", broker.url));
        self.urls
            .push(format!("Register:             {}/register", broker.url));
        report::done(
            Step::Broker,
            &format!(
                "Katalog / catalogue {}/ · Register {}/register · Charta {}/charta",
                broker.url, broker.url, broker.url
            ),
        );

        // 3. Onboarding.
        let musterstadt = layout::connector(&self.root, MUSTERSTADT, &ca, &ca_file, &broker)
            .map_err(|e| fail(Step::Onboarding, e.to_string()))?;
        let stadtwerke = layout::connector(&self.root, STADTWERKE, &ca, &ca_file, &broker)
            .map_err(|e| fail(Step::Onboarding, e.to_string()))?;
        let mut valid_until = String::new();
        for c in [&musterstadt, &stadtwerke] {
            valid_until = at(Step::Onboarding, join(&client, &broker, c).await)?;
        }
        let charta = contracts::charta::Charta::default_1_0();
        report::done(
            Step::Onboarding,
            &format!(
                "{} (AGS {}) und {} haben die Charta {} (SHA-256 {}…) signiert angenommen; Mitgliedsnachweise bis {valid_until}",
                MUSTERSTADT.legal_name,
                vocab::showcase::MUSTERSTADT_AGS,
                STADTWERKE.legal_name,
                charta.version(),
                short(charta.sha256()),
            ),
        );

        // 4. Both connectors run.
        for c in [&musterstadt, &stadtwerke] {
            let log = self.root.join(format!("{}.log", c.party.slug));
            let name = format!("Konnektor {}", c.party.legal_name);
            let launch = Launch {
                name: &name,
                kind: "connector",
                config: &c.config,
                log,
                ready_url: format!("{}/ready", c.management_url),
            };
            self.start(Step::Connectors, launch, &client).await?;
            self.urls.push(format!(
                "{:<21} {} (Token: {})",
                format!("{}:", c.party.legal_name),
                c.management_url,
                c.dir.join("keys/management.token").display()
            ));
        }
        report::done(
            Step::Connectors,
            &format!(
                "Musterstadt {} · Stadtwerke {} (Verwaltung / management)",
                musterstadt.management_url, stadtwerke.management_url
            ),
        );
        let consumer = at(Step::Connectors, management(&musterstadt))?;
        let provider = at(Step::Connectors, management(&stadtwerke))?;

        // 5. Registration.
        let offered = at(
            Step::Registration,
            register_dataset(&provider, &stadtwerke).await,
        )?;
        report::done(
            Step::Registration,
            &format!(
                "Stadtwerke bieten „{}“ an ({} Baublöcke, CSV, SHA-256 {}…) mit der Vorlage „{}“",
                data::DATASET_TITLE,
                offered.rows,
                short(&offered.sha256),
                offered.template_title
            ),
        );

        // 6. Publication, 7. search.
        report::unavailable(
            Step::Publication,
            "the connector's signed publication to the broker (`connector publish`) has not landed",
        );
        unavailable.push(Step::Publication);
        report::unavailable(Step::Search, "needs the publication (step 6)");
        unavailable.push(Step::Search);

        // 8. Terms.
        let terms = at(Step::Terms, read_terms(&consumer, &stadtwerke).await)?;
        report::done(
            Step::Terms,
            &format!(
                "Musterstadt liest im Katalog der Stadtwerke das Angebot mit deutschem Vertragstext: „{}“ ({} Paragraphen)",
                terms.title, terms.sections
            ),
        );

        // 9. Negotiation.
        let negotiation = at(Step::Negotiation, negotiate(&consumer, &stadtwerke).await)?;
        report::done(
            Step::Negotiation,
            &format!(
                "DSP 2025-1: Anfrage → Vereinbarung → Bestätigung → FINALIZED in {:.1} s (Zweck {})",
                negotiation.took.as_secs_f64(),
                data::PURPOSE
            ),
        );

        // 10. Agreement.
        let agreement = at(
            Step::Agreement,
            check_agreement(
                &consumer,
                &provider,
                &musterstadt,
                &stadtwerke,
                &negotiation.id,
            )
            .await,
        )?;
        report::done(
            Step::Agreement,
            &format!(
                "{} liegt bei beiden, von beiden signiert (Signaturen geprüft), Vertragstext SHA-256 {}…",
                agreement.id,
                short(&agreement.contract_sha256)
            ),
        );

        // 11. Register, 12. transfer, 13. audit.
        report::unavailable(
            Step::Register,
            "the connector's submission of agreements to the broker's register has not landed",
        );
        unavailable.push(Step::Register);
        report::unavailable(
            Step::Transfer,
            "the connector's transfer process and data plane have not landed",
        );
        unavailable.push(Step::Transfer);
        report::unavailable(Step::Audit, "the connector's audit log has not landed");
        unavailable.push(Step::Audit);

        report::note(&format!(
            "Fertig nach / done after {:.1} s; Protokolle / logs: {}/*.log",
            started.elapsed().as_secs_f64(),
            self.root.display()
        ));
        if unavailable.is_empty() {
            Ok(())
        } else {
            Err(DemoError::NotAvailable(unavailable))
        }
    }
}

/// Joins the federation for connector `c`: signs the Charta acceptance with the participant's
/// key, sends the join request to the broker, stores the membership credential. Returns the
/// credential's expiry date.
async fn join(
    client: &reqwest::Client,
    broker: &BrokerLayout,
    c: &ConnectorLayout,
) -> Result<String, String> {
    let config = Config::load(&c.config).map_err(|e| http::chain(&e))?;
    let kid = config.key_id().map_err(|e| e.to_string())?;
    let key =
        connector::identity::read_private_key(&config.path(&config.participant.key_file), &kid)
            .map_err(|e| e.to_string())?;
    let charta = contracts::charta::Charta::default_1_0();
    let acceptance = contracts::membership::ChartaAcceptance::new(
        &charta,
        c.did.clone(),
        chrono::Utc::now().timestamp(),
    );
    let signed = contracts::membership::sign_charta_acceptance(&key, &acceptance)
        .map_err(|e| format!("signing the Charta acceptance: {e}"))?;
    let body = json!({
        "did": c.did,
        "legalName": c.party.legal_name,
        "participantType": c.party.participant_type,
        "ags": c.party.ags,
        "connectorEndpoint": c.dsp_url(),
        "publicKey": key.public_key().to_jwk_value(),
        "chartaAcceptance": signed,
    });
    let answer = http::json(
        client
            .post(format!("{}/api/v1/participants", broker.url))
            .json(&body),
        &format!("join request of {}", c.party.legal_name),
    )
    .await?;
    let credential = answer["credential"].as_str().ok_or_else(|| {
        format!(
            "the broker did not issue a credential to {} (status {})",
            c.party.legal_name, answer["status"]
        )
    })?;
    let target = config.path(
        config
            .participant
            .membership_credential_file
            .as_deref()
            .unwrap_or(Path::new("membership.jwt")),
    );
    std::fs::write(&target, credential).map_err(|e| format!("{}: {e}", target.display()))?;
    let payload = vocab::jose::peek_payload(credential)
        .ok()
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .unwrap_or(Value::Null);
    Ok(payload["exp"]
        .as_i64()
        .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
        .map(|t| t.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|| "?".into()))
}

struct Offered {
    rows: usize,
    sha256: String,
    template_title: String,
}

/// Stadtwerke: the template, the data file, the asset and the offer.
async fn register_dataset(
    provider: &ManagementClient,
    stadtwerke: &ConnectorLayout,
) -> Result<Offered, String> {
    let template = provider
        .post_text(
            "/api/v1/templates",
            data::TEMPLATE.to_owned(),
            "text/markdown; charset=utf-8",
        )
        .await
        .map_err(|e| format!("adding the template: {e}"))?;
    let table = data::heat_demand_csv(BLOCKS);
    let folder = stadtwerke.dir.join("daten");
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let file = folder.join(format!("{}.csv", data::DATASET_ID));
    std::fs::write(&file, &table).map_err(|e| format!("{}: {e}", file.display()))?;
    let asset = json!({
        "id": data::DATASET_ID,
        "title": data::DATASET_TITLE,
        "description": data::DATASET_DESCRIPTION,
        "keywords": data::DATASET_KEYWORDS,
        "themes": ["ENER", "REGI"],
        "ags": vocab::showcase::MUSTERSTADT_AGS,
        "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "publisher": STADTWERKE.legal_name,
        "personal_adjacent": false,
        "source": {"file": file.display().to_string()},
    });
    provider
        .post("/api/v1/assets", &asset)
        .await
        .map_err(|e| format!("adding the asset: {e}"))?;
    provider
        .post(
            "/api/v1/offers",
            &json!({
                "asset_id": data::DATASET_ID,
                "template_id": template["id"],
                "template_version": template["version"],
                "parameters": {"quelle": stadtwerke.did, "gebiet": vocab::showcase::MUSTERSTADT_AGS},
            }),
        )
        .await
        .map_err(|e| format!("adding the offer: {e}"))?;
    Ok(Offered {
        rows: table.lines().count().saturating_sub(1),
        sha256: hex::encode(sha2::Sha256::digest(table.as_bytes())),
        template_title: template["title"].as_str().unwrap_or_default().to_owned(),
    })
}

struct Terms {
    title: String,
    sections: usize,
}

/// Musterstadt reads the offer and its German contract text from Stadtwerke's catalog.
async fn read_terms(
    consumer: &ManagementClient,
    stadtwerke: &ConnectorLayout,
) -> Result<Terms, String> {
    let catalog = consumer
        .post(
            "/api/v1/catalog/request",
            &json!({"connector": stadtwerke.dsp_url()}),
        )
        .await
        .map_err(|e| format!("catalog request to {}: {e}", stadtwerke.dsp_url()))?;
    let dataset = catalog["dataset"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["@id"] == data::DATASET_ID))
        .ok_or_else(|| {
            format!(
                "the catalog of {} does not list {}",
                stadtwerke.party.legal_name,
                data::DATASET_ID
            )
        })?;
    let text = dataset["hasPolicy"][0]["https://w3id.org/gemeinwohl-datenraum/ns#contractText"]
        .as_str()
        .ok_or_else(|| format!("the offer of {} carries no contract text", data::DATASET_ID))?;
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .ok_or("the contract text has no title")?
        .trim()
        .to_owned();
    let sections = text.lines().filter(|l| l.starts_with("## §")).count();
    if sections == 0 {
        return Err("the contract text has no § sections".into());
    }
    Ok(Terms { title, sections })
}

struct Negotiated {
    id: String,
    took: Duration,
}

/// Musterstadt negotiates with Stadtwerke and waits for FINALIZED.
async fn negotiate(
    consumer: &ManagementClient,
    stadtwerke: &ConnectorLayout,
) -> Result<Negotiated, String> {
    let started = Instant::now();
    let n = consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": stadtwerke.dsp_url(), "dataset_id": data::DATASET_ID, "purpose": data::PURPOSE}),
        )
        .await
        .map_err(|e| format!("starting the negotiation: {e}"))?;
    let id = n["id"]
        .as_str()
        .ok_or("the negotiation has no id")?
        .to_owned();
    let path = format!("/api/v1/negotiations/{id}");
    loop {
        let current = consumer.get(&path).await.map_err(|e| e.to_string())?;
        match current["state"].as_str() {
            Some("FINALIZED") => {
                return Ok(Negotiated {
                    id,
                    took: started.elapsed(),
                });
            }
            Some("TERMINATED") => {
                return Err(format!(
                    "negotiation {id} was terminated: {}",
                    current["termination"]
                ));
            }
            state => {
                if started.elapsed() > NEGOTIATION_LIMIT {
                    return Err(format!(
                        "negotiation {id} still {} after {} s",
                        state.unwrap_or("?"),
                        NEGOTIATION_LIMIT.as_secs()
                    ));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Agreed {
    id: String,
    contract_sha256: String,
}

/// Both connectors hold the agreement; both signatures verify with the parties' keys.
async fn check_agreement(
    consumer: &ManagementClient,
    provider: &ManagementClient,
    musterstadt: &ConnectorLayout,
    stadtwerke: &ConnectorLayout,
    negotiation: &str,
) -> Result<Agreed, String> {
    let list = consumer
        .get("/api/v1/agreements")
        .await
        .map_err(|e| e.to_string())?;
    let mine = list
        .as_array()
        .and_then(|l| l.iter().find(|a| a["negotiation_id"] == negotiation))
        .ok_or_else(|| format!("Musterstadt holds no agreement for negotiation {negotiation}"))?
        .clone();
    let id = mine["id"]
        .as_str()
        .ok_or("the agreement has no id")?
        .to_owned();
    let theirs = provider
        .get(&format!("/api/v1/agreements/{id}"))
        .await
        .map_err(|e| format!("Stadtwerke's copy of {id}: {e}"))?;
    for (who, record) in [("Musterstadt", &mine), ("Stadtwerke", &theirs)] {
        if record["fully_signed"] != true {
            return Err(format!("{who}'s copy of {id} is not signed by both"));
        }
        let signed = contracts::agreement::SignedAgreement::from_dsp_json(&record["agreement"])
            .map_err(|e| format!("{who}'s copy of {id}: {e}"))?;
        signed
            .verify(&public_key(stadtwerke)?, &public_key(musterstadt)?)
            .map_err(|e| format!("{who}'s copy of {id}: {e}"))?;
    }
    if mine["contract_markdown"] != theirs["contract_markdown"] {
        return Err(format!(
            "the two copies of {id} differ in their contract text"
        ));
    }
    let text = mine["contract_markdown"].as_str().unwrap_or_default();
    Ok(Agreed {
        id,
        contract_sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
    })
}
