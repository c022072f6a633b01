//! The demo's folder: the CA, the broker's folder (authority key, admin token, certificate,
//! `broker.toml`) and each connector's folder (made by the connector's own `init`, then given a
//! certificate from the demo CA and settings for a local federation). Every configuration is
//! read back with the service's own loader before anything is started.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use super::DemoError;
use super::pki::DemoCa;

/// Where the broker lives.
pub struct BrokerLayout {
    /// Its folder.
    pub dir: PathBuf,
    /// `broker.toml`.
    pub config: PathBuf,
    /// The public base URL (`https://127.0.0.1:<port>`).
    pub url: String,
    /// The admin base URL.
    pub admin_url: String,
    /// The authority's DID.
    pub did: String,
    /// The JWK thumbprint of the authority's key, as its operator tells members out of band
    /// (`connector join --authority-thumbprint`).
    pub authority_thumbprint: String,
}

/// Who a connector belongs to.
#[derive(Clone, Copy)]
pub struct Party {
    /// The folder name.
    pub slug: &'static str,
    /// The legal name.
    pub legal_name: &'static str,
    /// The participant type as the broker names it.
    pub participant_type: &'static str,
    /// The municipality key, for a municipality.
    pub ags: Option<&'static str>,
    /// The contact point its self-description names.
    pub contact: &'static str,
    /// The contact's e-mail address.
    pub email: &'static str,
}

/// Stadt Musterstadt, the municipality.
pub const MUSTERSTADT: Party = Party {
    slug: "musterstadt",
    legal_name: "Stadt Musterstadt",
    participant_type: "municipality",
    ags: Some(vocab::showcase::MUSTERSTADT_AGS),
    contact: "Stabsstelle Digitalisierung und Daten",
    email: "daten@musterstadt.example",
};

/// Stadtwerke Musterstadt, the municipal utility.
pub const STADTWERKE: Party = Party {
    slug: "stadtwerke",
    legal_name: "Stadtwerke Musterstadt GmbH",
    participant_type: "company",
    ags: None,
    contact: "Datenmanagement Netze",
    email: "datenraum@stadtwerke-musterstadt.example",
};

/// Where a connector lives.
pub struct ConnectorLayout {
    /// Whose it is.
    pub party: Party,
    /// Its folder.
    pub dir: PathBuf,
    /// `connector.toml`.
    pub config: PathBuf,
    /// The public base URL (`https://localhost:<port>`).
    pub public_url: String,
    /// The management base URL.
    pub management_url: String,
    /// Its DID.
    pub did: String,
}

impl ConnectorLayout {
    /// The DSP endpoint.
    pub fn dsp_url(&self) -> String {
        vocab::showcase::dsp_endpoint(&self.public_url)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |e| DemoError::Setup(format!("{}: {e}", path.display()))
}

/// The lowest port [`free_port`] hands out.
const FIRST_PORT: u16 = 10_000;

/// A loopback port free at this moment (the service binds it a moment later), not handed out
/// before by this process.
///
/// Taken from below the kernel's ephemeral range (`net.ipv4.ip_local_port_range`) when there
/// is room: the kernel never gives those to an outgoing connection as its source port, so the
/// demo's own readiness probes and the services' calls to each other cannot occupy a port
/// picked for a service that starts later (a connection left in TIME_WAIT on it would make the
/// service's bind fail).
pub fn free_port() -> Result<u16, DemoError> {
    use std::sync::Mutex;
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut handed = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let ephemeral: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768);
    if ephemeral > FIRST_PORT + 1_000 {
        let span = u32::from(ephemeral - FIRST_PORT);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let start = (std::process::id().wrapping_mul(7_919) ^ nanos) % span;
        for i in 0..span {
            let port = FIRST_PORT + ((start + i) % span) as u16;
            if !handed.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
                handed.push(port);
                return Ok(port);
            }
        }
    }
    loop {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| DemoError::Setup(format!("no free port on 127.0.0.1: {e}")))?;
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .map_err(|e| DemoError::Setup(format!("no free port on 127.0.0.1: {e}")))?;
        if !handed.contains(&port) {
            handed.push(port);
            return Ok(port);
        }
    }
}

/// Writes the CA certificate and a server certificate pair into `dir`.
fn write_tls(ca: &DemoCa, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), DemoError> {
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).map_err(io(&tls))?;
    let server = ca.server(name)?;
    let cert = tls.join("cert.pem");
    let key = tls.join("key.pem");
    std::fs::write(&cert, &server.cert_pem).map_err(io(&cert))?;
    // `connector init` wrote a self-signed pair; the secret writer never overwrites.
    if key.exists() {
        std::fs::remove_file(&key).map_err(io(&key))?;
    }
    broker::secret::write_secret(&key, server.key_pem.as_bytes())
        .map_err(|e| DemoError::Setup(e.to_string()))?;
    Ok((cert, key))
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Creates the broker's folder under `root` with its public listener on `public_port`.
pub fn broker(
    root: &Path,
    ca: &DemoCa,
    ca_file: &Path,
    public_port: u16,
) -> Result<BrokerLayout, DemoError> {
    let dir = root.join("broker");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let admin_port = free_port()?;
    let url = format!("https://127.0.0.1:{public_port}");
    let did = vocab::did::did_web_from_url(&url)
        .map_err(|e| DemoError::Setup(format!("broker URL {url}: {e}")))?;
    let setup = |e: broker::BrokerError| DemoError::Setup(e.to_string());
    let key =
        broker::authority::create_key_file(&dir.join("authority-key.jwk"), &did).map_err(setup)?;
    broker::secret::write_secret(
        &dir.join("admin-token"),
        format!("{}\n", broker::secret::random_token()).as_bytes(),
    )
    .map_err(setup)?;
    write_tls(ca, &dir, "Broker (Demo)")?;
    let text = format!(
        "# Broker of the local demo federation (written by `dataspace demo`).\n\
         public_url = {url}\n\
         data_dir = \"data\"\n\
         # Join requests are approved at once: a demo, not a federation.\n\
         dev_auto_approve = true\n\n\
         [listen]\npublic = {public}\nadmin = {admin}\n\n\
         [tls]\ncert_file = \"tls/cert.pem\"\nkey_file = \"tls/key.pem\"\nca_file = {ca}\n\n\
         [admin]\ntoken_file = \"admin-token\"\n\n\
         [authority]\nkey_file = \"authority-key.jwk\"\ncredential_validity_days = 365\n",
        url = toml_string(&url),
        public = toml_string(&format!("127.0.0.1:{public_port}")),
        admin = toml_string(&format!("127.0.0.1:{admin_port}")),
        ca = toml_string(&ca_file.display().to_string()),
    );
    broker::BrokerConfig::from_toml(&text, &dir)
        .map_err(|e| DemoError::Setup(format!("the demo's broker.toml: {e}")))?;
    let config = dir.join("broker.toml");
    std::fs::write(&config, text).map_err(io(&config))?;
    Ok(BrokerLayout {
        dir,
        config,
        url,
        admin_url: format!("https://127.0.0.1:{admin_port}"),
        did,
        authority_thumbprint: key.public_key().thumbprint(),
    })
}

fn table<'a>(doc: &'a mut toml::Table, name: &str) -> &'a mut toml::Table {
    let entry = doc
        .entry(name)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    match entry {
        toml::Value::Table(t) => t,
        _ => unreachable!("replaced by a table above"),
    }
}

/// Creates a connector's folder with the connector's own `init`, then gives it a certificate
/// of the demo CA, trusts only that CA, shortens the outbox back-off, names the broker (its
/// revocation list, the federation with the contact point published) and lets the connector
/// look at its membership every second.
pub fn connector(
    root: &Path,
    party: Party,
    ca: &DemoCa,
    ca_file: &Path,
    broker: &BrokerLayout,
) -> Result<ConnectorLayout, DemoError> {
    let dir = root.join(party.slug);
    let dsp_port = free_port()?;
    let management_port = free_port()?;
    let public_url = format!("https://localhost:{dsp_port}");
    let done = connector::init::init(&connector::init::InitOptions {
        dir: dir.clone(),
        public_url: public_url.clone(),
        legal_name: party.legal_name.to_owned(),
        dsp_listen: format!("127.0.0.1:{dsp_port}"),
        management_listen: format!("127.0.0.1:{management_port}"),
        authority_did: broker.did.clone(),
        // `connector join` pins the authority key after checking its thumbprint.
        authority_key: None,
    })
    .map_err(|e| {
        DemoError::Setup(format!(
            "connector init for {}: {}",
            party.legal_name,
            super::http::chain(&e)
        ))
    })?;
    write_tls(ca, &dir, party.legal_name)?;
    let config = done.config_file;
    let text = std::fs::read_to_string(&config).map_err(io(&config))?;
    let mut doc: toml::Table = text
        .parse()
        .map_err(|e| DemoError::Setup(format!("{}: {e}", config.display())))?;
    let tls = table(&mut doc, "tls");
    tls.insert(
        "extra_ca_files".into(),
        toml::Value::Array(vec![toml::Value::String(ca_file.display().to_string())]),
    );
    tls.insert("use_system_roots".into(), toml::Value::Boolean(false));
    let outbox = table(&mut doc, "outbox");
    outbox.insert("initial_backoff_ms".into(), toml::Value::Integer(50));
    outbox.insert("max_backoff_secs".into(), toml::Value::Integer(2));
    outbox.insert("request_timeout_secs".into(), toml::Value::Integer(10));
    let trust = table(&mut doc, "trust");
    trust.insert(
        "status_list_url".into(),
        toml::Value::String(format!("{}/api/v1/status-list", broker.url)),
    );
    let federation = table(&mut doc, "federation");
    federation.insert("broker_url".into(), toml::Value::String(broker.url.clone()));
    federation.insert("check_secs".into(), toml::Value::Integer(1));
    federation.insert("retry_initial_secs".into(), toml::Value::Integer(1));
    federation.insert("retry_max_secs".into(), toml::Value::Integer(2));
    let mut contact = toml::Table::new();
    contact.insert("name".into(), toml::Value::String(party.contact.into()));
    contact.insert("email".into(), toml::Value::String(party.email.into()));
    federation.insert("contact".into(), toml::Value::Table(contact));
    let text = toml::to_string(&doc)
        .map_err(|e| DemoError::Setup(format!("{}: {e}", config.display())))?;
    connector::config::Config::from_toml(&text, &dir)
        .map_err(|e| DemoError::Setup(format!("the demo's {}: {e}", config.display())))?;
    std::fs::write(&config, text).map_err(io(&config))?;
    Ok(ConnectorLayout {
        party,
        dir,
        config,
        public_url,
        management_url: format!("https://localhost:{management_port}"),
        did: done.did,
    })
}
