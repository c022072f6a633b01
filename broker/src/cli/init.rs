//! `broker init`: a new broker directory with key, token and configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use broker::authority::create_key_file;
use broker::secret::{random_token, write_secret};

/// Arguments of `broker init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Directory to create the broker in (created if missing; must not hold a broker yet).
    #[arg(long)]
    dir: PathBuf,
    /// The broker's public base URL; the authority's did:web is derived from it.
    #[arg(long)]
    public_url: String,
    /// Address of the public listener.
    #[arg(long, default_value = "0.0.0.0:8443")]
    public_listen: SocketAddr,
    /// Address of the admin listener (keep it on localhost).
    #[arg(long, default_value = "127.0.0.1:8444")]
    admin_listen: SocketAddr,
    /// Approve every join request automatically (development and demos only).
    #[arg(long)]
    dev: bool,
    /// Create a self-signed TLS certificate for the public host, localhost and 127.0.0.1
    /// (local use; production uses certificates from its CA or a TLS-terminating proxy).
    #[arg(long)]
    self_signed_tls: bool,
    /// Use these PEM files instead (certificate chain and private key).
    #[arg(long, requires = "tls_key", conflicts_with = "self_signed_tls")]
    tls_cert: Option<PathBuf>,
    /// Private key PEM for `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// CA certificate (PEM) that issued `--tls-cert`; `broker participants …` trusts it when it
    /// calls the admin listener.
    #[arg(long, requires = "tls_cert")]
    tls_ca: Option<PathBuf>,
    /// Silence after which a description disappears, in seconds.
    #[arg(long, default_value_t = 30 * 86_400)]
    expire_after_secs: u64,
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

pub(crate) fn run(args: InitArgs) -> anyhow::Result<()> {
    let config_path = args.dir.join("broker.toml");
    if config_path.exists() {
        bail!(
            "{} exists already; refusing to overwrite a broker",
            config_path.display()
        );
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let did = vocab::did::did_web_from_url(&args.public_url)
        .with_context(|| format!("--public-url {:?}", args.public_url))?;
    let host = url::Url::parse(&args.public_url)?
        .host_str()
        .unwrap_or("localhost")
        .to_owned();
    create_key_file(&args.dir.join("authority-key.jwk"), &did)?;
    write_secret(
        &args.dir.join("admin-token"),
        format!("{}\n", random_token()).as_bytes(),
    )?;
    let (cert, key) = if args.self_signed_tls {
        let mut names = vec![host, "localhost".to_owned(), "127.0.0.1".to_owned()];
        names.dedup();
        let certified = rcgen::generate_simple_self_signed(names)
            .context("cannot create the self-signed certificate")?;
        std::fs::create_dir_all(args.dir.join("tls"))?;
        std::fs::write(args.dir.join("tls/cert.pem"), certified.cert.pem())?;
        write_secret(
            &args.dir.join("tls/key.pem"),
            certified.signing_key.serialize_pem().as_bytes(),
        )?;
        (
            Some(PathBuf::from("tls/cert.pem")),
            Some(PathBuf::from("tls/key.pem")),
        )
    } else {
        (args.tls_cert, args.tls_key)
    };
    let ca = args
        .tls_ca
        .as_ref()
        .map(|c| format!("ca_file = {}\n", toml_string(&c.display().to_string())))
        .unwrap_or_default();
    let tls = match (&cert, &key) {
        (Some(c), Some(k)) => format!(
            "cert_file = {}\nkey_file = {}\n{ca}",
            toml_string(&c.display().to_string()),
            toml_string(&k.display().to_string())
        ),
        _ => "# cert_file = \"tls/cert.pem\"\n# key_file = \"tls/key.pem\"\n# Only when a proxy terminates TLS:\nbehind_proxy = true\n".to_owned(),
    };
    let text = format!(
        "# Broker configuration (see broker/README.md). Relative paths are relative to this file.\n\
         public_url = {url}\n\
         data_dir = \"data\"\n\
         # Approve join requests automatically (development only).\n\
         dev_auto_approve = {dev}\n\n\
         [listen]\npublic = {public}\nadmin = {admin}\n\n\
         [tls]\n{tls}\n\
         [admin]\n# Or set BROKER_ADMIN_TOKEN.\ntoken_file = \"admin-token\"\n\n\
         [authority]\nkey_file = \"authority-key.jwk\"\ncredential_validity_days = 365\n\n\
         [publication]\nmax_envelope_bytes = 16777216\nexpire_after_secs = {expire}\nsweep_interval_secs = 300\n\n\
         [sparql]\ntime_limit_ms = 5000\nresult_limit = 10000\nmax_concurrent = 2\nmemory_limit_mb = 512\n",
        url = toml_string(&args.public_url),
        dev = args.dev,
        public = toml_string(&args.public_listen.to_string()),
        admin = toml_string(&args.admin_listen.to_string()),
        expire = args.expire_after_secs,
    );
    broker::BrokerConfig::from_toml(&text, &args.dir)
        .context("the written configuration does not parse (a bug)")?;
    std::fs::write(&config_path, text)?;
    println!("created broker {did} in {}", args.dir.display());
    println!("  configuration: {}", config_path.display());
    println!(
        "  start it with: broker --config {} serve",
        config_path.display()
    );
    Ok(())
}
