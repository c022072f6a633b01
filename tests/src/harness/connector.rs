//! A real `connector` process: created with `connector init`, given CA-signed certificates,
//! a membership credential from the test authority and a test configuration, started with
//! `connector serve`, waited for until ready, and killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use vocab::jose::{PublicKey, SigningKey};

use super::binaries::connector_binary;
use super::env::TestEnv;
use super::identity::Member;
use super::ports::free_port;

/// The path of a file in `../shared/specs`.
pub fn spec_path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs/")).join(rel)
}

/// How a test connector is set up.
#[derive(Clone, Debug)]
pub struct ConnectorOptions {
    /// A short name (folder, log).
    pub name: String,
    /// What its credential says.
    pub member: Member,
    /// Issue a membership credential (false: start without one).
    pub credential: bool,
    /// Run in TCK mode with the spec's `tck-sample.properties`.
    pub tck: bool,
    /// Outbox attempts before giving up.
    pub max_attempts: u32,
    /// The revocation list to poll (`trust.status_list_url`).
    pub status_list_url: Option<String>,
    /// Join this broker's federation with `connector join` instead of using the test
    /// authority: no authority key pinned, no credential at start.
    pub broker: Option<BrokerLink>,
}

/// The federation a connector is to join: the broker's authority and its CA.
#[derive(Clone, Debug)]
pub struct BrokerLink {
    /// The broker's base URL.
    pub url: String,
    /// The authority's DID (the broker's).
    pub authority_did: String,
    /// The CA file the broker's certificate chains to.
    pub ca_file: PathBuf,
}

impl ConnectorOptions {
    /// A municipality connector with a valid credential.
    pub fn municipality(name: &str) -> Self {
        Self {
            name: name.into(),
            member: Member::municipality("Stadt Musterstadt", "09162000"),
            credential: true,
            tck: false,
            max_attempts: 8,
            status_list_url: None,
            broker: None,
        }
    }

    /// A company connector with a valid credential.
    pub fn company(name: &str) -> Self {
        Self {
            name: name.into(),
            member: Member::company("Stadtwerke Musterstadt GmbH"),
            credential: true,
            tck: false,
            max_attempts: 8,
            status_list_url: None,
            broker: None,
        }
    }

    /// A member-to-be of `broker`'s federation (see [`ConnectorOptions::broker`]).
    #[must_use]
    pub fn with_broker(mut self, broker: BrokerLink) -> Self {
        self.credential = false;
        self.broker = Some(broker);
        self
    }

    /// TCK mode.
    #[must_use]
    pub fn with_tck(mut self) -> Self {
        self.tck = true;
        self
    }
}

/// The TCK's fixed Authorization header (its sample properties).
pub const TCK_AUTHORIZATION: &str =
    "{\"region\": \"any\", \"audience\": \"any\", \"clientId\":\"any\"}";

/// A running connector.
pub struct TestConnector {
    /// Its name.
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// The DSP port.
    pub dsp_port: u16,
    /// The management port.
    pub management_port: u16,
    /// Its DID.
    pub did: String,
    /// The management token.
    pub token: String,
    http: reqwest::Client,
    child: Option<Child>,
}

fn edit_config(path: &Path, env: &TestEnv, options: &ConnectorOptions, capture: &Path) {
    let text = std::fs::read_to_string(path).expect("read connector.toml");
    let mut doc: toml::Table = text.parse().expect("connector.toml is TOML");
    let tls = doc
        .get_mut("tls")
        .and_then(|t| t.as_table_mut())
        .expect("[tls]");
    let mut cas = vec![toml::Value::String(env.ca_file.display().to_string())];
    if let Some(b) = &options.broker {
        cas.push(toml::Value::String(b.ca_file.display().to_string()));
    }
    tls.insert("extra_ca_files".into(), toml::Value::Array(cas));
    tls.insert("use_system_roots".into(), toml::Value::Boolean(false));
    let outbox = doc
        .get_mut("outbox")
        .and_then(|t| t.as_table_mut())
        .expect("[outbox]");
    outbox.insert("initial_backoff_ms".into(), toml::Value::Integer(50));
    outbox.insert("max_backoff_secs".into(), toml::Value::Integer(1));
    outbox.insert(
        "max_attempts".into(),
        toml::Value::Integer(options.max_attempts as i64),
    );
    outbox.insert("request_timeout_secs".into(), toml::Value::Integer(10));
    let diagnostics = doc
        .entry("diagnostics")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .expect("[diagnostics]");
    diagnostics.insert(
        "capture_dsp_dir".into(),
        toml::Value::String(capture.display().to_string()),
    );
    if let Some(url) = &options.status_list_url {
        let trust = doc
            .get_mut("trust")
            .and_then(|t| t.as_table_mut())
            .expect("[trust]");
        trust.insert("status_list_url".into(), toml::Value::String(url.clone()));
        trust.insert("status_list_refresh_secs".into(), toml::Value::Integer(5));
    }
    if options.broker.is_some() {
        let mut federation = toml::Table::new();
        federation.insert("check_secs".into(), toml::Value::Integer(1));
        federation.insert("retry_initial_secs".into(), toml::Value::Integer(1));
        federation.insert("retry_max_secs".into(), toml::Value::Integer(2));
        let mut contact = toml::Table::new();
        contact.insert("name".into(), toml::Value::String("Datenstelle".into()));
        contact.insert(
            "email".into(),
            toml::Value::String(format!("daten@{}.example", options.name)),
        );
        federation.insert("contact".into(), toml::Value::Table(contact));
        doc.insert("federation".into(), toml::Value::Table(federation));
        let trust = doc
            .get_mut("trust")
            .and_then(|t| t.as_table_mut())
            .expect("[trust]");
        trust.insert("status_list_refresh_secs".into(), toml::Value::Integer(5));
    }
    if options.tck {
        let tck = doc
            .entry("tck")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("[tck]");
        tck.insert("enabled".into(), toml::Value::Boolean(true));
        tck.insert(
            "authorization".into(),
            toml::Value::String(TCK_AUTHORIZATION.into()),
        );
        tck.insert(
            "properties_file".into(),
            toml::Value::String(
                spec_path("dsp-2025-1/tck-sample.properties")
                    .display()
                    .to_string(),
            ),
        );
    }
    std::fs::write(path, toml::to_string(&doc).expect("serialise config"))
        .expect("write connector.toml");
}

impl TestConnector {
    /// Creates and starts a connector; returns when it is ready.
    pub async fn start(env: &TestEnv, options: ConnectorOptions) -> Self {
        let dir = env.dir.join(&options.name);
        let dsp_port = free_port();
        let management_port = free_port();
        let public_url = format!("https://localhost:{dsp_port}");
        let mut init = Command::new(connector_binary());
        init.args(["init", "--dir"])
            .arg(&dir)
            .args(["--public-url", &public_url])
            .args(["--legal-name", &options.member.legal_name])
            .args(["--dsp-listen", &format!("127.0.0.1:{dsp_port}")])
            .args([
                "--management-listen",
                &format!("127.0.0.1:{management_port}"),
            ]);
        match &options.broker {
            // `connector join` pins the broker's authority key.
            Some(b) => {
                init.args(["--authority-did", &b.authority_did]);
            }
            None => {
                init.args(["--authority-did", &env.authority.did])
                    .arg("--authority-key")
                    .arg(&env.authority_file);
            }
        }
        let out = init.output().expect("run connector init");
        assert!(
            out.status.success(),
            "connector init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cert = env.ca.server(&["localhost", "127.0.0.1"]);
        std::fs::write(dir.join("tls/cert.pem"), &cert.cert_pem).expect("write cert");
        std::fs::write(dir.join("tls/key.pem"), &cert.key_pem).expect("write key");
        let did = vocab::did::did_web_from_url(&public_url).expect("did");
        let key_json = std::fs::read_to_string(dir.join("keys/participant.jwk")).expect("key file");
        let key = SigningKey::from_jwk_json(&key_json, None).expect("participant key");
        if options.credential {
            let vc = env
                .authority
                .credential(&did, &key.public_key(), &options.member);
            std::fs::write(dir.join("membership.jwt"), vc).expect("write credential");
        }
        let capture = env
            .capture
            .dir()
            .join(format!("connector-{}", options.name));
        edit_config(&dir.join("connector.toml"), env, &options, &capture);
        let token = std::fs::read_to_string(dir.join("keys/management.token"))
            .expect("token")
            .trim()
            .to_owned();
        let mut connector = Self {
            name: options.name.clone(),
            dir,
            dsp_port,
            management_port,
            did,
            token,
            http: env.http.clone(),
            child: None,
        };
        connector.spawn().await;
        connector
    }

    /// Starts the process (again) and waits until it is ready.
    pub async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("connector.log"))
            .expect("log file");
        let started = Instant::now();
        let child = Command::new(connector_binary())
            .arg("serve")
            .arg("--config")
            .arg(self.dir.join("connector.toml"))
            .env(
                "CONNECTOR_LOG",
                std::env::var("CONNECTOR_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start connector serve");
        self.child = Some(child);
        self.wait_ready(started).await;
    }

    async fn wait_ready(&mut self, started: Instant) {
        let url = format!("https://localhost:{}/ready", self.management_port);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "{} exited during start ({status}):\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if let Ok(r) = self.http.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} not ready after 60 s:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The last lines of the connector's log.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("connector.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The DSP base URL (`https://localhost:<port>/dsp`).
    pub fn dsp_base(&self) -> String {
        format!("https://localhost:{}/dsp", self.dsp_port)
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sets `[table] key = value` in the (stopped) connector's `connector.toml`.
    pub fn set_config(&self, table: &str, key: &str, value: toml::Value) {
        let path = self.dir.join("connector.toml");
        let text = std::fs::read_to_string(&path).expect("config");
        let mut doc: toml::Table = text.parse().expect("TOML");
        doc.entry(table)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap_or_else(|| panic!("[{table}] is a table"))
            .insert(key.into(), value);
        std::fs::write(&path, toml::to_string(&doc).expect("TOML")).expect("write config");
    }

    /// The connector's public key.
    pub fn public_key(&self) -> PublicKey {
        let key_json =
            std::fs::read_to_string(self.dir.join("keys/participant.jwk")).expect("key file");
        SigningKey::from_jwk_json(&key_json, None)
            .expect("participant key")
            .public_key()
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns whether it exited successfully within 20 s.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn mgmt(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.management_port)
    }

    async fn read(r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A management GET.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.mgmt(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("management GET");
        Self::read(r).await
    }

    /// A management POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.mgmt(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("management POST");
        Self::read(r).await
    }

    /// A management POST with a text body.
    pub async fn post_text(&self, path: &str, body: &str, content_type: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.mgmt(path))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("management POST");
        Self::read(r).await
    }

    /// A management call without token checks (probes, TCK triggers).
    pub async fn post_unauthenticated(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.mgmt(path))
            .json(body)
            .send()
            .await
            .expect("POST");
        Self::read(r).await
    }

    /// Waits until the negotiation `id` is in `state` (or panics after `secs`).
    pub async fn wait_state(&self, id: &str, state: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let (status, n) = self.get(&format!("/api/v1/negotiations/{id}")).await;
            if status == 200 && n["state"] == state {
                return n;
            }
            assert!(
                Instant::now() < deadline,
                "{}: negotiation {id} not {state} after {secs} s (now {}):\n{}",
                self.name,
                n["state"],
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a CLI command against this connector and returns (success, stdout, stderr).
    pub fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(connector_binary())
            .arg("--config")
            .arg(self.dir.join("connector.toml"))
            .args(args)
            .output()
            .expect("run connector CLI");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// A cloneable handle on a connector's management API (for concurrent workers).
#[derive(Clone, Debug)]
pub struct ManagementHandle {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl ManagementHandle {
    /// A management GET.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        TestConnector::read(r).await
    }

    /// A management POST.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("POST");
        TestConnector::read(r).await
    }
}

impl TestConnector {
    /// A handle on the management API that can move into tasks.
    pub fn handle(&self) -> ManagementHandle {
        ManagementHandle {
            http: self.http.clone(),
            base: format!("https://localhost:{}", self.management_port),
            token: self.token.clone(),
        }
    }
}

impl Drop for TestConnector {
    fn drop(&mut self) {
        self.kill9();
    }
}
