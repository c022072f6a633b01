//! The showcase, one function per step, each calling a real interface: the services' own
//! set-up functions, the broker's public API, the connectors' management API (through the
//! client the `connector` CLI uses) and the DSP between the connectors.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connector::cli::ManagementClient;
use connector::config::Config;

use super::layout::{self, ConnectorLayout, MUSTERSTADT, STADTWERKE};
use super::pki::DemoCa;
use super::processes::ServiceProcess;
use super::report::{self, Step};
use super::{DemoError, DemoOptions, contract, data, exchange, federation, http};

/// How long a service may take to become ready.
const READY_LIMIT: Duration = Duration::from_secs(60);

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

    /// Runs every step; stops at the first failure.
    pub async fn run_showcase(&mut self) -> Result<(), DemoError> {
        let started = Instant::now();
        report::note(&format!(
            "Kommunaler Datenraum – lokale Demo / local demo in {}",
            self.root.display()
        ));

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
        let launch = Launch {
            name: "Broker",
            kind: "broker",
            config: &broker.config,
            log: self.root.join("broker.log"),
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

        // 3. Both connectors, created by their own `init`, running but not members yet.
        let musterstadt = layout::connector(&self.root, MUSTERSTADT, &ca, &ca_file, &broker)
            .map_err(|e| fail(Step::Connectors, e.to_string()))?;
        let stadtwerke = layout::connector(&self.root, STADTWERKE, &ca, &ca_file, &broker)
            .map_err(|e| fail(Step::Connectors, e.to_string()))?;
        for c in [&musterstadt, &stadtwerke] {
            let name = format!("Konnektor {}", c.party.legal_name);
            let launch = Launch {
                name: &name,
                kind: "connector",
                config: &c.config,
                log: self.root.join(format!("{}.log", c.party.slug)),
                ready_url: format!("{}/ready", c.management_url),
            };
            self.start(Step::Connectors, launch, &client).await?;
            self.urls.push(format!(
                "{:<21} {}/dashboard (Token: {})",
                format!("{}:", c.party.legal_name),
                c.management_url,
                c.dir.join("keys/management.token").display()
            ));
        }
        let consumer = at(Step::Connectors, management(&musterstadt))?;
        let provider = at(Step::Connectors, management(&stadtwerke))?;
        report::done(
            Step::Connectors,
            &format!(
                "Dashboards: Musterstadt {}/dashboard · Stadtwerke {}/dashboard",
                musterstadt.management_url, stadtwerke.management_url
            ),
        );

        // 4. Onboarding.
        let mut valid_until = String::new();
        for (c, api) in [(&musterstadt, &consumer), (&stadtwerke, &provider)] {
            valid_until = at(Step::Onboarding, federation::onboard(&broker, c, api).await)?;
        }
        let charta = contracts::charta::Charta::default_1_0();
        report::done(
            Step::Onboarding,
            &format!(
                "{} (AGS {}) und {} haben die Charta {} (SHA-256 {}…) signiert angenommen; Mitglieder bis {valid_until}",
                MUSTERSTADT.legal_name,
                vocab::showcase::MUSTERSTADT_AGS,
                STADTWERKE.legal_name,
                charta.version(),
                short(charta.sha256()),
            ),
        );

        // 5. Registration.
        let offered = at(
            Step::Registration,
            contract::register_dataset(&provider, &stadtwerke).await,
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

        // 6. Publication.
        let provider_key = at(Step::Publication, contract::public_key(&stadtwerke))?;
        let published = at(
            Step::Publication,
            federation::publish(&client, &broker, &stadtwerke, &provider, &provider_key).await,
        )?;
        report::done(
            Step::Publication,
            &format!(
                "signierte DCAT-AP.de-Selbstbeschreibung der Stadtwerke ({} Datensatz, {} Angebot, {} Bytes JWS) vom Broker angenommen; Signatur geprüft",
                published.datasets, published.offers, published.envelope_bytes
            ),
        );

        // 7. Search.
        let found = at(Step::Search, federation::search(&client, &broker).await)?;
        report::done(
            Step::Search,
            &format!(
                "„Wärmeplanung“ in {}: {} Treffer, darunter „{}“ mit der Vorlage „{}“ — {}",
                vocab::showcase::MUSTERSTADT_AGS,
                found.total,
                data::DATASET_TITLE,
                found.template,
                found.page
            ),
        );

        // 8. Terms, at the endpoint the broker names.
        let terms = at(
            Step::Terms,
            contract::read_terms(&consumer, &found.endpoint, STADTWERKE.legal_name).await,
        )?;
        let key_terms = if found.key_terms.is_empty() {
            String::new()
        } else {
            format!(
                "; {}",
                found.key_terms[..found.key_terms.len().min(3)].join("; ")
            )
        };
        report::done(
            Step::Terms,
            &format!(
                "deutscher Vertragstext „{}“ ({} Paragraphen){key_terms}",
                terms.title, terms.sections
            ),
        );

        // 9. Negotiation.
        let negotiation = at(
            Step::Negotiation,
            contract::negotiate(&consumer, &found.endpoint).await,
        )?;
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
            contract::check_agreement(
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

        // 11. Register.
        let consumer_key = at(Step::Register, contract::public_key(&musterstadt))?;
        let entry = at(
            Step::Register,
            federation::registered(
                &client,
                &broker,
                &agreement.id,
                (&stadtwerke.did, &provider_key),
                (&musterstadt.did, &consumer_key),
            )
            .await,
        )?;
        report::done(
            Step::Register,
            &format!(
                "öffentliches Register {}/register: Stadtwerke → Musterstadt, „{}“, Zweck {}, bis {}; beide Signaturen geprüft",
                broker.url,
                data::DATASET_TITLE,
                entry.purposes.join(", "),
                entry.end
            ),
        );

        // 12. Transfer.
        let moved = at(
            Step::Transfer,
            exchange::transfer(&consumer, &agreement.id, &offered).await,
        )?;
        report::done(
            Step::Transfer,
            &format!(
                "{} Bytes in {:.1} s direkt von Konnektor zu Konnektor (HTTP-Pull, nicht über den Broker); SHA-256 {}… stimmt mit der Quelle überein",
                moved.bytes,
                moved.took.as_secs_f64(),
                short(&moved.sha256)
            ),
        );

        // 13. Audit.
        let theirs = at(
            Step::Audit,
            exchange::audit(&provider, "Stadtwerke", &agreement.id, "data_access").await,
        )?;
        let mine = at(
            Step::Audit,
            exchange::audit(&consumer, "Musterstadt", &agreement.id, "data_received").await,
        )?;
        report::done(
            Step::Audit,
            &format!(
                "Hash-Ketten geprüft: Stadtwerke {} Einträge (Kopf {}), Musterstadt {} Einträge (Kopf {}); Zugriff und Empfang protokolliert",
                theirs.entries, theirs.head, mine.entries, mine.head
            ),
        );
        self.urls
            .push(format!("Empfangene Daten / received: {}", moved.stored_at));

        report::note(&format!(
            "Fertig nach / done after {:.1} s; Protokolle / logs: {}/*.log",
            started.elapsed().as_secs_f64(),
            self.root.display()
        ));
        Ok(())
    }
}
