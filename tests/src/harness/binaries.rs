//! Locating the workspace's binaries next to the test executable, building them first
//! (a nested `cargo build` with the same profile) so a test never runs a stale binary.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The profile directory the running executable belongs to (`target/debug`,
/// `target/release`, …): tests live in `target/<profile>/deps`, binaries (benchmarks) in
/// `target/<profile>`.
pub fn profile_dir() -> PathBuf {
    let dir = exe_dir();
    if is_test_executable() {
        dir.parent().map(PathBuf::from).expect("profile folder")
    } else {
        dir
    }
}

fn exe_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("executable path");
    exe.parent().map(PathBuf::from).expect("executable folder")
}

/// Whether the running executable is a test (in `target/<profile>/deps`) rather than a
/// binary started with `cargo run`.
fn is_test_executable() -> bool {
    exe_dir().file_name().is_some_and(|n| n == "deps")
}

/// The workspace's `target` directory.
pub fn target_dir() -> PathBuf {
    profile_dir()
        .parent()
        .map(PathBuf::from)
        .expect("target directory")
}

/// Builds the binary (`cargo build -p <package> --bin <bin>` with the running executable's
/// profile).
fn build(package: &str, bin: &str, features: Option<&str>) {
    let profile = profile_dir();
    let profile_name = profile
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", package, "--bin", bin]);
    if let Some(features) = features {
        cmd.args(["--features", features]);
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
    let status = cmd.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build -p {package} --bin {bin} failed"
    );
}

/// Where the binary is, built or confirmed up to date first.
fn locate(package: &str, bin: &str) -> PathBuf {
    if cfg!(feature = "sandbox") && package == "connector" {
        // The sandbox tests need the connector that serves Sandbox-QUERY: the same program
        // built as this package's `sandbox-connector`. `cargo test -p tests --features
        // sandbox` builds it before the test executables run, with their dependency
        // features (a nested build would resolve them without the dev-dependencies and
        // compile DataFusion a second time). A benchmark binary started with `cargo run`
        // has no such companion and builds it.
        let path = profile_dir().join("sandbox-connector");
        if !is_test_executable() {
            build("tests", "sandbox-connector", Some("sandbox"));
        }
        assert!(
            path.exists(),
            "{} missing: run the sandbox tests with `cargo test -p tests --features sandbox`",
            path.display()
        );
        return path;
    }
    build(package, bin, None);
    profile_dir().join(bin)
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
            let path = locate(package, bin);
            assert!(path.exists(), "{} missing after the build", path.display());
            path
        })
        .clone()
}

/// The `connector` binary.
pub fn connector_binary() -> PathBuf {
    binary("connector", "connector")
}
