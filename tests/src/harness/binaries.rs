//! Locating the workspace's binaries next to the test executable, building them first
//! (a nested `cargo build` with the same profile) so a test never runs a stale binary.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The profile directory the running executable belongs to (`target/debug`,
/// `target/release`, …): tests live in `target/<profile>/deps`, binaries (benchmarks) in
/// `target/<profile>`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("executable path");
    let dir = exe.parent().map(PathBuf::from).expect("executable folder");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().map(PathBuf::from).expect("profile folder")
    } else {
        dir
    }
}

/// The workspace's `target` directory.
pub fn target_dir() -> PathBuf {
    profile_dir()
        .parent()
        .map(PathBuf::from)
        .expect("target directory")
}

/// Builds the binary; returns the executable's own path when the build was asked to report
/// it (see below).
fn build(package: &str, bin: &str) -> Option<PathBuf> {
    let profile = profile_dir();
    let profile_name = profile
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", package, "--bin", bin]);
    let sandbox = cfg!(feature = "sandbox") && package == "connector";
    if sandbox {
        // The sandbox tests need the connector that serves Sandbox-QUERY. Its executable is
        // taken from cargo's report (`target/<profile>/deps/connector-<hash>`, unique to the
        // feature set): `target/<profile>/connector` may be relinked meanwhile by a build
        // without the feature.
        cmd.args([
            "--features",
            "sandbox",
            "--message-format=json-render-diagnostics",
        ]);
        cmd.stdout(std::process::Stdio::piped());
    }
    match profile_name.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    cmd.env("CARGO_TARGET_DIR", target_dir());
    if sandbox {
        let out = cmd.output().expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build -p {package} --bin {bin} --features sandbox failed"
        );
        return String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).ok()?;
                (v["reason"] == "compiler-artifact" && v["target"]["name"] == bin)
                    .then(|| v["executable"].as_str().map(PathBuf::from))
                    .flatten()
            });
    }
    let status = cmd.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build -p {package} --bin {bin} failed"
    );
    None
}

/// The path of a workspace binary, built (or confirmed up to date) once per test process.
pub fn binary(package: &'static str, bin: &'static str) -> PathBuf {
    // Every binary once per process: a test that runs the broker's CLI many times must not
    // wait for a `cargo build` (and the build lock) each time.
    static BUILT: OnceLock<std::sync::Mutex<std::collections::HashMap<(&str, &str), PathBuf>>> =
        OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut map = built
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry((package, bin))
        .or_insert_with(|| {
            let path = build(package, bin).unwrap_or_else(|| profile_dir().join(bin));
            assert!(path.exists(), "{} missing after the build", path.display());
            path
        })
        .clone()
}

/// The `connector` binary.
pub fn connector_binary() -> PathBuf {
    binary("connector", "connector")
}
