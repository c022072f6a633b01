//! The harness for tests and benchmarks that start the real `broker` binary: a broker
//! directory made by `broker init` with a certificate from the test CA, free loopback ports,
//! the process (stopped on drop), an HTTPS client, the operator CLI, and members that join and
//! publish signed self-descriptions.

pub mod member;
pub mod offer;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use member::{BrokerMember, graph_with_offer};

use crate::harness::binaries::{binary, target_dir};
use crate::harness::env::client_tls;
use crate::harness::pki::TestCa;
use crate::harness::ports::free_port;

/// Options for a test broker.
#[derive(Debug, Clone)]
pub struct BrokerOptions {
    /// Approve join requests at once.
    pub dev: bool,
    /// Silence after which descriptions expire (seconds).
    pub expire_after_secs: u64,
}

impl Default for BrokerOptions {
    fn default() -> Self {
        Self {
            dev: true,
            expire_after_secs: 30 * 86_400,
        }
    }
}

/// A running (or stopped) broker process with its directory.
pub struct TestBroker {
    /// `target/test-brokers/<name>`.
    pub dir: PathBuf,
    /// The public base URL (`https://127.0.0.1:<port>`).
    pub url: String,
    /// The admin base URL.
    pub admin_url: String,
    /// HTTPS client trusting the test CA.
    pub http: reqwest::Client,
    /// The CA certificate (PEM).
    pub ca_pem: String,
    child: Option<Child>,
}

/// The `broker` binary (built first, same profile).
pub fn broker_binary() -> PathBuf {
    binary("broker", "broker")
}

impl TestBroker {
    /// Creates a broker with `broker init` and starts it; returns once it is ready.
    pub async fn start(name: &str, options: BrokerOptions) -> Self {
        let dir = target_dir().join("test-brokers").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test folder");
        let ca = TestCa::new();
        ca.write(&dir.join("ca.pem"));
        let cert = ca.server(&["127.0.0.1", "localhost"]);
        std::fs::write(dir.join("cert.pem"), &cert.cert_pem).expect("cert");
        std::fs::write(dir.join("key.pem"), &cert.key_pem).expect("key");
        let (public, admin) = (free_port(), free_port());
        let url = format!("https://127.0.0.1:{public}");
        let home = dir.join("broker");
        let mut init = Command::new(broker_binary());
        init.args(["init", "--dir"])
            .arg(&home)
            .args(["--public-url", &url])
            .args(["--public-listen", &format!("127.0.0.1:{public}")])
            .args(["--admin-listen", &format!("127.0.0.1:{admin}")])
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("key.pem"))
            .arg("--tls-ca")
            .arg(dir.join("ca.pem"))
            .args([
                "--expire-after-secs",
                &options.expire_after_secs.to_string(),
            ]);
        if options.dev {
            init.arg("--dev");
        }
        let out = init.output().expect("run broker init");
        assert!(
            out.status.success(),
            "broker init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(client_tls(ca.pem()))
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let mut broker = Self {
            dir,
            url,
            admin_url: format!("https://127.0.0.1:{admin}"),
            http,
            ca_pem: ca.pem().to_owned(),
            child: None,
        };
        broker.spawn().await;
        broker
    }

    /// The configuration file.
    pub fn config(&self) -> PathBuf {
        self.dir.join("broker").join("broker.toml")
    }

    /// The authority's DID.
    pub fn authority_did(&self) -> String {
        vocab::did::did_web_from_url(&self.url).expect("did")
    }

    /// What a connector needs to join this broker's federation.
    pub fn link(&self) -> crate::harness::BrokerLink {
        crate::harness::BrokerLink {
            url: self.url.clone(),
            authority_did: self.authority_did(),
            ca_file: self.dir.join("ca.pem"),
        }
    }

    /// Starts the process and waits for `/readyz`; returns the time from spawn to ready.
    pub async fn spawn(&mut self) -> Duration {
        let started = Instant::now();
        let log = std::fs::File::create(self.dir.join("broker.log")).expect("log file");
        let mut child = Command::new(broker_binary())
            .arg("--config")
            .arg(self.config())
            .arg("serve")
            .env("BROKER_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn broker");
        // The broker prints one line once its listeners are bound.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("broker listening") {
                    let _ = tx.send(line);
                }
            }
        });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if rx.try_recv().is_ok() || Instant::now() > deadline {
                break;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("broker exited with {status}:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        loop {
            if let Ok(r) = self.http.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return started.elapsed();
            }
            assert!(
                Instant::now() < deadline,
                "broker not ready:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The end of the broker's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("broker.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops with SIGTERM (graceful) and waits; returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Kills the process at once (`kill -9`).
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Runs `broker --config … <args>` (the operator CLI); returns success, stdout, stderr.
    pub fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(broker_binary())
            .arg("--config")
            .arg(self.config())
            .args(args)
            .output()
            .expect("run broker CLI");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A URL on the public listener.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// GET, returning status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(self.at(path)).send().await.expect("GET");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// GET as JSON.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, text) = self.get(path).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A DID as one path segment.
pub fn did_path(did: &str) -> String {
    let mut url = reqwest::Url::parse("https://x.invalid/").expect("url");
    url.path_segments_mut().expect("segments").push(did);
    url.path().trim_start_matches('/').to_owned()
}

/// Whether a path exists (small helper for tests).
pub fn exists(path: &Path) -> bool {
    path.exists()
}
