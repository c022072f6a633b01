//! Every sample configuration under `deploy/`, parsed with the services' own loaders
//! (`broker::BrokerConfig`, `connector::config::Config`): the files in `deploy/config/`, the
//! files the compose federation mounts, and the configurations the Helm chart embeds in its
//! values. A failure names the file (or the YAML key that embeds the text) and the field.
//!
//! Parsing alone would miss drift between a configuration and the deployment around it, so the
//! tests also check that every path a configuration names is mounted where compose and the
//! Helm chart put things, and that the listen ports are the ones the chart exposes.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use broker::BrokerConfig;
use connector::config::{Config as ConnectorConfig, SourceConfig};
use yaml_serde::Value;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");

/// Which service a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Broker,
    Connector,
}

impl Role {
    fn of_file_name(name: &str) -> Option<Role> {
        if name.starts_with("broker") {
            Some(Role::Broker)
        } else if name.starts_with("connector") {
            Some(Role::Connector)
        } else {
            None
        }
    }
}

/// A configuration as the service's loader returned it.
enum Loaded {
    Broker(Box<BrokerConfig>),
    Connector(Box<ConnectorConfig>),
}

impl Loaded {
    /// Parses configuration text; relative paths resolve against `base` (the directory the
    /// file lives in where the service runs).
    fn parse(role: Role, text: &str, base: &Path) -> Result<Loaded, String> {
        match role {
            Role::Broker => BrokerConfig::from_toml(text, base)
                .map(|c| Loaded::Broker(Box::new(c)))
                .map_err(|e| e.to_string()),
            Role::Connector => ConnectorConfig::from_toml(text, base)
                .map(|c| Loaded::Connector(Box::new(c)))
                .map_err(|e| e.to_string()),
        }
    }

    /// Reads a file the way `broker serve` and `connector serve` do.
    fn load(role: Role, path: &Path) -> Result<Loaded, String> {
        match role {
            Role::Broker => BrokerConfig::load(path)
                .map(|c| Loaded::Broker(Box::new(c)))
                .map_err(|e| e.to_string()),
            Role::Connector => ConnectorConfig::load(path)
                .map(|c| Loaded::Connector(Box::new(c)))
                .map_err(|e| e.to_string()),
        }
    }

    /// Every file or folder the configuration names, with its field, as absolute paths.
    fn paths(&self) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> = Vec::new();
        match self {
            Loaded::Broker(c) => {
                out.push(("data_dir".into(), c.data_dir.clone()));
                out.push(("admin.token_file".into(), c.admin.token_file.clone()));
                out.push(("authority.key_file".into(), c.authority.key_file.clone()));
                for (field, path) in [
                    ("tls.cert_file", &c.tls.cert_file),
                    ("tls.key_file", &c.tls.key_file),
                    ("tls.ca_file", &c.tls.ca_file),
                ] {
                    if let Some(p) = path {
                        out.push((field.into(), p.clone()));
                    }
                }
            }
            Loaded::Connector(c) => {
                let mut add = |field: String, p: &Path| out.push((field, c.path(p)));
                add("participant.key_file".into(), &c.participant.key_file);
                add("storage.data_dir".into(), &c.storage.data_dir);
                add(
                    "trust.authority_key_file".into(),
                    &c.trust.authority_key_file,
                );
                for (field, path) in [
                    (
                        "participant.membership_credential_file",
                        &c.participant.membership_credential_file,
                    ),
                    ("management.token_file", &c.management.token_file),
                    ("tls.cert_file", &c.tls.cert_file),
                    ("tls.key_file", &c.tls.key_file),
                    ("tck.properties_file", &c.tck.properties_file),
                    (
                        "diagnostics.capture_dsp_dir",
                        &c.diagnostics.capture_dsp_dir,
                    ),
                ] {
                    if let Some(p) = path {
                        add(field.into(), p);
                    }
                }
                for (i, p) in c.tls.extra_ca_files.iter().enumerate() {
                    add(format!("tls.extra_ca_files[{i}]"), p);
                }
                for (name, source) in &c.sources {
                    match source {
                        SourceConfig::File { path } => add(format!("sources.{name}.path"), path),
                        SourceConfig::Http {
                            authorization_file: Some(p),
                            ..
                        } => add(format!("sources.{name}.authorization_file"), p),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// The listener other machines reach (the broker's public one, the connector's DSP one).
    fn public_listen(&self) -> SocketAddr {
        match self {
            Loaded::Broker(c) => c.listen.public,
            Loaded::Connector(c) => c.dsp.listen,
        }
    }

    /// True when the service itself speaks TLS (no proxy in front).
    fn serves_tls(&self) -> bool {
        match self {
            Loaded::Broker(c) => !c.tls.behind_proxy,
            Loaded::Connector(c) => !c.tls.terminated_by_proxy,
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &Path) -> Value {
    let mut value: Value = yaml_serde::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    value
        .apply_merge()
        .unwrap_or_else(|e| panic!("{}: merge keys: {e}", path.display()));
    value
}

fn report(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} problem(s)\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The files of `deploy/config/`, each parsed with its service's loader.
fn check_config_folder(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let shown = format!("deploy/config/{name}");
        let Some(role) = Role::of_file_name(name) else {
            failures.push(format!(
                "{shown}: name it broker*.toml or connector*.toml so that it is checked with the right loader"
            ));
            continue;
        };
        match Loaded::load(role, &path) {
            Ok(_) => checked.push(shown),
            Err(e) => failures.push(format!("{shown}: {e}")),
        }
    }
    (checked, failures)
}

#[test]
fn every_sample_in_deploy_config_parses_with_its_services_loader() {
    let (checked, failures) = check_config_folder(&Path::new(DEPLOY).join("config"));
    report("deploy/config", &failures);
    for expected in [
        "deploy/config/broker.toml",
        "deploy/config/connector-musterstadt.toml",
        "deploy/config/connector-stadtwerke.toml",
    ] {
        assert!(checked.iter().any(|c| c == expected), "{expected} missing");
    }
}

/// What compose puts into one service's container.
#[derive(Debug, Default)]
struct Mounts {
    /// Files: `/run/secrets/<name>` and config targets.
    files: BTreeSet<PathBuf>,
    /// Folders: volume targets.
    dirs: BTreeSet<PathBuf>,
}

impl Mounts {
    fn provides(&self, path: &Path) -> bool {
        self.files.contains(path) || self.dirs.iter().any(|d| path.starts_with(d))
    }
}

fn str_list(value: Option<&Value>) -> Vec<&Value> {
    value
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// Adds what one compose file gives `service`: secrets, configs, volumes.
fn add_mounts(mounts: &mut Mounts, service: &Value) {
    for secret in str_list(service.get("secrets")) {
        let (name, target) = match secret {
            Value::String(s) => (s.clone(), None),
            other => (
                other["source"].as_str().unwrap_or_default().to_owned(),
                other.get("target").and_then(Value::as_str),
            ),
        };
        let target = match target {
            Some(t) if t.starts_with('/') => PathBuf::from(t),
            Some(t) => Path::new("/run/secrets").join(t),
            None => Path::new("/run/secrets").join(name),
        };
        mounts.files.insert(target);
    }
    for config in str_list(service.get("configs")) {
        if let Some(target) = config.get("target").and_then(Value::as_str) {
            mounts.files.insert(PathBuf::from(target));
        }
    }
    for volume in str_list(service.get("volumes")) {
        let target = match volume {
            Value::String(s) => s.split(':').nth(1).unwrap_or_default().to_owned(),
            other => other["target"].as_str().unwrap_or_default().to_owned(),
        };
        mounts.dirs.insert(PathBuf::from(target));
    }
}

/// The compose federation: each service's configuration parsed, and every path it names (and
/// every `*_FILE` variable, including those of the override files) mounted in its container.
fn check_compose(dir: &Path, main: &Value, overrides: &[(&str, Value)]) -> Vec<String> {
    let mut failures = Vec::new();
    let services = main["services"]
        .as_mapping()
        .expect("compose.yaml: services");
    if services.is_empty() {
        failures.push("compose.yaml: no services".into());
    }
    for (name, service) in services {
        let name = name.as_str().unwrap_or_default();
        let at = format!("compose.yaml services.{name}");
        let role = match str_list(service.get("command"))
            .first()
            .and_then(|v| v.as_str())
        {
            Some("broker") => Role::Broker,
            Some("connector") => Role::Connector,
            other => {
                failures.push(format!(
                    "{at}.command: {other:?} runs neither broker nor connector"
                ));
                continue;
            }
        };
        let variable = match role {
            Role::Broker => "BROKER_CONFIG",
            Role::Connector => "CONNECTOR_CONFIG",
        };
        let Some(target) = service["environment"].get(variable).and_then(Value::as_str) else {
            failures.push(format!("{at}.environment: {variable} is not set"));
            continue;
        };
        let source = str_list(service.get("configs"))
            .into_iter()
            .find(|c| c.get("target").and_then(Value::as_str) == Some(target))
            .and_then(|c| c.get("source").and_then(Value::as_str));
        let Some(file) = source.and_then(|s| main["configs"][s]["file"].as_str()) else {
            failures.push(format!(
                "{at}.configs: nothing is mounted at {variable}={target}"
            ));
            continue;
        };
        let shown = format!("deploy/compose/{}", file.trim_start_matches("./"));
        let base = Path::new(target).parent().unwrap_or(Path::new("/"));
        let config = match Loaded::parse(role, &read(&dir.join(file)), base) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let mut mounts = Mounts::default();
        add_mounts(&mut mounts, service);
        let mut variables: Vec<(String, String, String)> = Vec::new();
        let documents =
            std::iter::once(("compose.yaml", main)).chain(overrides.iter().map(|(n, d)| (*n, d)));
        for (file_name, doc) in documents {
            let Some(s) = doc["services"].get(name) else {
                continue;
            };
            if file_name != "compose.yaml" {
                add_mounts(&mut mounts, s);
            }
            for (key, value) in s["environment"].as_mapping().into_iter().flatten() {
                let key = key.as_str().unwrap_or_default();
                if key.ends_with("_FILE") {
                    variables.push((
                        file_name.to_owned(),
                        key.to_owned(),
                        value.as_str().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
        for (field, path) in config.paths() {
            if !mounts.provides(&path) {
                failures.push(format!(
                    "{shown}: {field} = {} is not mounted in service {name} by compose.yaml",
                    path.display()
                ));
            }
        }
        for (file_name, key, value) in variables {
            if !mounts.provides(Path::new(&value)) {
                failures.push(format!(
                    "{file_name} services.{name}.environment.{key} = {value} is not mounted"
                ));
            }
        }
    }
    failures
}

fn compose_files() -> (PathBuf, Value, Vec<(&'static str, Value)>) {
    let dir = Path::new(DEPLOY).join("compose");
    let main = yaml(&dir.join("compose.yaml"));
    let membership = yaml(&dir.join("compose.membership.yaml"));
    (dir, main, vec![("compose.membership.yaml", membership)])
}

#[test]
fn compose_configs_parse_and_everything_they_name_is_mounted() {
    let (dir, main, overrides) = compose_files();
    report("deploy/compose", &check_compose(&dir, &main, &overrides));
    let services = main["services"].as_mapping().expect("services").len();
    assert_eq!(services, 3, "the broker and two connectors");
}

/// Where the Helm chart mounts things, per component: (files, folders). The test below checks
/// that the templates still say so.
fn chart_mounts(role: Role) -> (Vec<&'static str>, Vec<&'static str>) {
    match role {
        Role::Broker => (
            vec!["/etc/dataspace/broker.toml"],
            vec!["/etc/dataspace/secrets", "/etc/dataspace/tls", "/data"],
        ),
        Role::Connector => (
            vec!["/etc/dataspace/connector.toml"],
            vec![
                "/etc/dataspace/secrets",
                "/etc/dataspace/tls",
                "/etc/dataspace/trust",
                "/data",
            ],
        ),
    }
}

/// The file names inside the chart's mounted folders the configuration may name.
fn chart_files(role: Role) -> Vec<&'static str> {
    let mut files = vec!["/etc/dataspace/tls/tls.crt", "/etc/dataspace/tls/tls.key"];
    match role {
        Role::Broker => files.extend([
            "/etc/dataspace/secrets/authority-key.jwk",
            "/etc/dataspace/secrets/admin-token",
        ]),
        Role::Connector => files.extend([
            "/etc/dataspace/secrets/participant.jwk",
            "/etc/dataspace/secrets/management.token",
            "/etc/dataspace/secrets/membership.jwt",
            "/etc/dataspace/trust/authority.jwk",
            "/etc/dataspace/trust/ca.pem",
        ]),
    }
    files
}

/// One component's embedded configuration checked against the chart's templates and values.
fn check_chart_component(chart: &Path, values: &Value, role: Role) -> Vec<String> {
    let (key, port_key) = match role {
        Role::Broker => ("broker", "public"),
        Role::Connector => ("connector", "dsp"),
    };
    let at = format!("deploy/helm/dataspace/values.yaml {key}.config");
    let mut failures = Vec::new();
    let Some(text) = values[key]["config"].as_str() else {
        return vec![format!("{at}: missing or not a string")];
    };
    let config = match Loaded::parse(role, text, Path::new("/etc/dataspace")) {
        Ok(c) => c,
        Err(e) => return vec![format!("{at}: {e}")],
    };
    let templates = chart.join("templates").join(key);
    let statefulset = read(&templates.join("statefulset.yaml"));
    let (files, dirs) = chart_mounts(role);
    for mount in files.iter().chain(dirs.iter()) {
        if !statefulset.contains(&format!("mountPath: {mount}\n")) {
            failures.push(format!(
                "templates/{key}/statefulset.yaml: no volume mounted at {mount}"
            ));
        }
    }
    let secret = read(&templates.join("secret.yaml"));
    let configmap = read(&templates.join("configmap.yaml"));
    let known = chart_files(role);
    for file in &known {
        let name = file.rsplit('/').next().unwrap_or_default();
        let written = if file.starts_with("/etc/dataspace/secrets/") {
            secret.contains(&format!("{name}: "))
        } else if file.starts_with("/etc/dataspace/trust/") {
            configmap.contains(&format!("{name}: ")) && statefulset.contains(name)
        } else {
            true
        };
        if !written {
            failures.push(format!("templates/{key}: nothing writes {file}"));
        }
    }
    for (field, path) in config.paths() {
        let is_data = path.starts_with("/data");
        if !is_data && !known.iter().any(|k| Path::new(k) == path) {
            failures.push(format!(
                "{at}: {field} = {} is not a file the chart mounts ({})",
                path.display(),
                known.join(", ")
            ));
        }
    }
    let listen = config.public_listen();
    let port = values[key]["ports"][port_key].as_u64();
    if port != Some(u64::from(listen.port())) {
        failures.push(format!(
            "{at}: the listener {listen} does not use {key}.ports.{port_key} = {port:?}"
        ));
    }
    if !listen.ip().is_unspecified() {
        failures.push(format!(
            "{at}: the listener {listen} must bind 0.0.0.0 for the Service to reach it"
        ));
    }
    let tls_secret = values[key]["tls"]["secretName"]
        .as_str()
        .unwrap_or_default();
    if config.serves_tls() == tls_secret.is_empty() {
        failures.push(format!(
            "{at}: TLS at the pod ({}) but {key}.tls.secretName is {tls_secret:?}; the probes' scheme follows tls.secretName",
            config.serves_tls()
        ));
    }
    failures
}

#[test]
fn helm_values_embed_configs_that_parse_and_fit_the_chart() {
    let chart = Path::new(DEPLOY).join("helm/dataspace");
    let values = yaml(&chart.join("values.yaml"));
    let mut failures = check_chart_component(&chart, &values, Role::Broker);
    failures.extend(check_chart_component(&chart, &values, Role::Connector));
    report("deploy/helm/dataspace", &failures);
}

#[test]
fn a_broken_sample_is_reported_with_its_file_and_field() {
    let dir = std::env::temp_dir().join(format!("deploy-configs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let connector = read(&Path::new(DEPLOY).join("config/connector-musterstadt.toml"));
    let broker = read(&Path::new(DEPLOY).join("config/broker.toml"));
    let cases = [
        (
            "connector-typo.toml",
            connector.replace("legal_name = ", "legalname = "),
            "legalname",
        ),
        (
            "connector-scheme.toml",
            connector.replace(
                "public_url = \"https://daten.musterstadt.example\"",
                "public_url = \"ftp://daten.musterstadt.example\"",
            ),
            "dsp.public_url",
        ),
        (
            "broker-type.toml",
            broker.replace("max_concurrent = 2", "max_concurrent = \"two\""),
            "max_concurrent",
        ),
        (
            "broker-tls.toml",
            broker.replace("cert_file = ", "# cert_file = ").replace(
                "key_file = \"/run/credentials/dataspace-broker.service/tls-key\"",
                "",
            ),
            "tls.cert_file",
        ),
    ];
    for (name, text, _) in &cases {
        assert_ne!(text, &connector, "{name}: the replacement found nothing");
        assert_ne!(text, &broker, "{name}: the replacement found nothing");
        std::fs::write(dir.join(name), text).expect("write");
    }
    let (_, failures) = check_config_folder(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    for (name, _, field) in &cases {
        let line = failures
            .iter()
            .find(|f| f.contains(name))
            .unwrap_or_else(|| panic!("{name} was not reported: {failures:?}"));
        assert!(
            line.contains(field),
            "{name}: the report does not name {field}: {line}"
        );
    }
    assert_eq!(failures.len(), cases.len(), "{failures:?}");

    // A secret taken away from a compose service: the field that needs it is named.
    let (compose_dir, mut main, overrides) = compose_files();
    let secrets = main["services"]["musterstadt"]["secrets"]
        .as_sequence_mut()
        .expect("secrets");
    secrets.retain(|s| s.as_str() != Some("musterstadt_participant_key"));
    let failures = check_compose(&compose_dir, &main, &overrides);
    assert!(
        failures
            .iter()
            .any(|f| f.contains("connector-musterstadt.toml")
                && f.contains("participant.key_file")
                && f.contains("service musterstadt")),
        "{failures:?}"
    );

    // A port in the chart's values that the embedded configuration does not listen on.
    let chart = Path::new(DEPLOY).join("helm/dataspace");
    let mut values = yaml(&chart.join("values.yaml"));
    values["connector"]["ports"]["dsp"] = Value::from(9443);
    let failures = check_chart_component(&chart, &values, Role::Connector);
    assert!(
        failures
            .iter()
            .any(|f| f.contains("connector.config") && f.contains("ports.dsp")),
        "{failures:?}"
    );
}
