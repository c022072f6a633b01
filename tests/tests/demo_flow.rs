//! `dataspace demo`, the README's first command, run as a user runs it: the real binary in a
//! fresh folder. It must run all thirteen steps, print one line per step, exit 0 when every
//! step succeeded and 1 naming the failed step otherwise, and leave no service behind — after
//! a normal end and after the launcher is killed with -9.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tests::harness::binaries::{binary, target_dir};

/// The `dataspace` binary, built once for all tests of this file.
fn dataspace() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| binary("deploy", "dataspace")).clone()
}

/// Held by a test while its demo's services run. The tests of this file run on parallel
/// threads; two demos at once would share the loopback ports the kernel hands out: one demo's
/// outgoing connections could take a port the other picked for a service and binds a moment
/// later, and a port one demo released could be picked by the other before the first test
/// checked that nothing listens on it any more.
fn services_running() -> std::sync::MutexGuard<'static, ()> {
    static DEMO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DEMO.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fresh, absent folder under `target/test-demo/`.
fn folder(name: &str) -> PathBuf {
    let dir = target_dir().join("test-demo").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().expect("parent")).expect("test-demo folder");
    dir
}

/// Every step, in order.
const ALL: [&str; 13] = [
    "set-up",
    "broker",
    "connectors",
    "onboarding",
    "registration",
    "publication",
    "search",
    "terms",
    "negotiation",
    "agreement",
    "register",
    "transfer",
    "audit",
];

/// The printed line of `step` (`[ n/13] <German> / <id>: …`).
fn step_line<'a>(stdout: &'a str, step: &str) -> Option<&'a str> {
    stdout
        .lines()
        .find(|l| l.starts_with('[') && l.contains(&format!(" / {step}: ")))
}

/// The loopback ports named in the demo's URLs.
fn ports(stdout: &str) -> Vec<u16> {
    let mut found = Vec::new();
    for host in ["https://127.0.0.1:", "https://localhost:"] {
        for (i, _) in stdout.match_indices(host) {
            let digits: String = stdout[i + host.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(p) = digits.parse::<u16>()
                && !found.contains(&p)
            {
                found.push(p);
            }
        }
    }
    found
}

/// Waits until nothing listens on any of `ports` any more.
fn assert_ports_released(ports: &[u16], within: Duration) {
    let deadline = Instant::now() + within;
    for &port in ports {
        loop {
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "port {port} is still in use: a service outlived the demo"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Checks that every step printed its line, in order, and succeeded, and that the demo
/// exited 0.
fn check_outcome(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for (i, step) in ALL.iter().enumerate() {
        let line = step_line(&stdout, step)
            .unwrap_or_else(|| panic!("no line for step {step}:\n{stdout}\n{stderr}"));
        assert!(
            line.starts_with(&format!("[{:>2}/13]", i + 1)),
            "step {step} out of order: {line}"
        );
        assert!(
            line.contains(" ✓ "),
            "step {step} did not succeed: {line}\n{stderr}"
        );
    }
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    stdout
}

/// A file under `dir` (recursively) whose name contains `part`, outside the provider's
/// `daten/` folder.
fn find_file(dir: &std::path::Path, part: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, part) {
                return Some(found);
            }
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(part))
        {
            return Some(path);
        }
    }
    None
}

#[test]
fn demo_runs_the_showcase_and_stops_every_service() {
    let _running = services_running();
    let dir = folder("flow");
    let out = Command::new(dataspace())
        .args(["demo", "--dir"])
        .arg(&dir)
        .output()
        .expect("run dataspace demo");
    let stdout = check_outcome(&out);

    // Realistic data, offered under the German template, negotiated and signed by both.
    let registration = step_line(&stdout, "registration").expect("line");
    assert!(
        registration.contains("„Wärmebedarf je Baublock 2024“"),
        "{registration}"
    );
    assert!(
        registration.contains("Wärmeplanung – Baublockdaten ohne Personenbezug"),
        "{registration}"
    );
    let table =
        std::fs::read_to_string(dir.join("stadtwerke/daten/waermebedarf-baublock-2024.csv"))
            .expect("the data file");
    assert!(
        table.starts_with("baublock_id,stadtteil,gebaeude,"),
        "{table}"
    );
    assert!(table.lines().count() > 150);
    let onboarding = step_line(&stdout, "onboarding").expect("line");
    assert!(onboarding.contains("AGS 09162000"), "{onboarding}");
    assert!(onboarding.contains("Charta 1.0"), "{onboarding}");
    assert!(
        step_line(&stdout, "terms")
            .expect("line")
            .contains("Paragraphen"),
        "{stdout}"
    );
    assert!(
        step_line(&stdout, "negotiation")
            .expect("line")
            .contains("FINALIZED"),
        "{stdout}"
    );
    assert!(
        step_line(&stdout, "agreement")
            .expect("line")
            .contains("von beiden signiert"),
        "{stdout}"
    );
    let search = step_line(&stdout, "search").expect("line");
    assert!(
        search.contains("„Wärmebedarf je Baublock 2024“"),
        "{search}"
    );
    assert!(
        step_line(&stdout, "publication")
            .expect("line")
            .contains("Signatur geprüft"),
        "{stdout}"
    );
    let register = step_line(&stdout, "register").expect("line");
    assert!(
        register.contains("Stadtwerke → Musterstadt")
            && register.contains("beide Signaturen geprüft"),
        "{register}"
    );
    // The table arrived at Musterstadt's connector, byte for byte.
    let transfer = step_line(&stdout, "transfer").expect("line");
    assert!(
        transfer.contains("stimmt mit der Quelle überein"),
        "{transfer}"
    );
    let received = find_file(&dir.join("musterstadt"), "waermebedarf")
        .unwrap_or_else(|| panic!("no received copy under musterstadt/: {transfer}"));
    assert_eq!(
        std::fs::read_to_string(&received).expect("received copy"),
        table,
        "{}",
        received.display()
    );
    assert!(
        step_line(&stdout, "audit")
            .expect("line")
            .contains("Hash-Ketten geprüft"),
        "{stdout}"
    );
    // Each service ran as its own process with its own folder, credential and log.
    for party in ["musterstadt", "stadtwerke"] {
        assert!(dir.join(party).join("connector.toml").is_file());
        assert!(dir.join(party).join("membership.jwt").is_file());
        let log = std::fs::read_to_string(dir.join(format!("{party}.log"))).expect("log");
        assert!(log.contains("Connector ready"), "{party}: {log}");
        assert!(
            log.contains("Stopped"),
            "{party} was stopped gracefully: {log}"
        );
    }
    let log = std::fs::read_to_string(dir.join("broker.log")).expect("broker log");
    assert!(
        log.contains("stopped"),
        "the broker was stopped gracefully: {log}"
    );
    let ports = ports(&stdout);
    assert_eq!(ports.len(), 3, "broker and two management ports: {ports:?}");
    assert_ports_released(&ports, Duration::from_secs(5));
}

#[test]
fn demo_names_the_failed_step_when_the_broker_port_is_taken() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port();
    let dir = folder("port-taken");
    let out = Command::new(dataspace())
        .args(["demo", "--broker-port", &port.to_string(), "--dir"])
        .arg(&dir)
        .output()
        .expect("run dataspace demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        step_line(&stdout, "set-up").expect("line").contains(" ✓ "),
        "{stdout}"
    );
    let line = step_line(&stdout, "broker").expect("a line for the broker step");
    assert!(line.contains("FAILED"), "{line}");
    assert!(
        line.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{line}"
    );
    assert!(
        stderr.contains("demo failed at step broker"),
        "the exit message names the step: {stderr}"
    );
    assert!(
        step_line(&stdout, "onboarding").is_none(),
        "nothing after the failure: {stdout}"
    );
    drop(taken);
}

#[test]
fn demo_given_a_folder_in_use_refuses_before_starting_anything() {
    let dir = folder("in-use");
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(dir.join("notiz.txt"), "bleibt").expect("file");
    let out = Command::new(dataspace())
        .args(["demo", "--dir"])
        .arg(&dir)
        .output()
        .expect("run dataspace demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notiz.txt")).expect("kept"),
        "bleibt"
    );
}

#[test]
fn demo_kept_running_leaves_no_service_behind_when_the_launcher_is_killed() {
    let _running = services_running();
    let dir = folder("killed");
    let mut child = Command::new(dataspace())
        .args(["demo", "--keep-running", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dataspace demo");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("Strg-C") {
                let _ = tx.send(seen.clone());
            }
        }
    });
    let seen = match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(s) => s,
        Err(_) => {
            let _ = child.kill();
            panic!("the demo never reached the keep-running state");
        }
    };
    let ports = ports(&seen);
    assert_eq!(ports.len(), 3, "{seen}");
    for &port in &ports {
        assert!(
            TcpListener::bind(("127.0.0.1", port)).is_err(),
            "port {port} should be served while the demo keeps running"
        );
    }
    // kill -9: the launcher cannot clean up; the services notice and stop themselves.
    child.kill().expect("kill -9 the launcher");
    let _ = child.wait();
    assert_ports_released(&ports, Duration::from_secs(20));
}
