//! The `contracts` command-line tool, run as a user would.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_contracts");
const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(DIR)
        .env_remove("CONTRACTS_LANG")
        .output()
        .expect("run contracts");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_passes_shipped_templates_and_fails_broken_ones() {
    let (code, out, _) = run(&[
        "check",
        "templates/kommunale-planung-aggregiert-12-monate.md",
        "templates/mobilitaetsdaten-verkehrsplanung.md",
        "templates/sandbox-schul-und-gesundheitsdaten.md",
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("in Ordnung").count(), 3, "{out}");
    let (code, out, _) = run(&[
        "--lang",
        "en",
        "check",
        "tests/broken-templates/06-unknown-placeholder.md",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("06-unknown-placeholder.md:41:26: error[unknown-placeholder]"),
        "{out}"
    );
    let (code, out, _) = run(&["check", "tests/broken-templates/13-missing-principle.md"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Fehler[missing-principle]: keine Klausel setzt GW-4"),
        "{out}"
    );
    let (code, out, _) = run(&[
        "check",
        "tests/broken-templates/25-version-not-increased.md",
        "--previous",
        "tests/broken-templates/25-version-not-increased.previous.md",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("version-not-increased"), "{out}");
    let (code, _, err) = run(&["check", "does-not-exist.md"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read does-not-exist.md"), "{err}");
}

#[test]
fn render_formats_and_hash() {
    let t = "templates/mobilitaetsdaten-verkehrsplanung.md";
    let (code, md, err) = run(&["render", t, "--param", "dauer=P6M"]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("nach 6 Monaten"));
    let hash = err.trim().rsplit(' ').next().expect("hash").to_owned();
    use sha2::Digest;
    assert_eq!(
        hash,
        hex::encode(sha2::Sha256::digest(md.as_bytes())),
        "the printed hash is the text's SHA-256"
    );
    let (code, html, _) = run(&["render", t, "--format", "html", "--param", "dauer=P6M"]);
    assert_eq!(code, 0);
    assert!(html.contains(&format!("content=\"{hash}\"")));
    let (code, odrl, _) = run(&["render", t, "--format", "odrl"]);
    assert_eq!(code, 0);
    let offer: serde_json::Value = serde_json::from_str(&odrl).expect("json");
    assert_eq!(
        offer["@context"],
        "https://w3id.org/dspace/2025/1/context.jsonld"
    );
    assert_eq!(offer["@type"], "Offer");
    let (code, _, err) = run(&["--lang", "en", "render", t, "--param", "dauer=P30M"]);
    assert_eq!(code, 1);
    assert!(err.contains("value-out-of-bounds"), "{err}");
    let (code, _, err) = run(&["render", t, "--param", "dauer"]);
    assert_eq!(code, 2);
    assert!(err.contains("NAME=VALUE"), "{err}");
}

#[test]
fn principles_lists_the_charta() {
    let (code, out, _) = run(&["principles"]);
    assert_eq!(code, 0);
    for id in [
        "GW-1 Gemeinwohlbindung [MUSS]",
        "GW-6 Datenschutz und Datenminimierung [MUSS – für personennahe Datensätze]",
        "GW-10 Rückfluss der Ergebnisse [SOLL]",
    ] {
        assert!(out.contains(id), "{id}\n{out}");
    }
    assert!(out.contains("Kommunale Wärmeplanung ⊂ Klimaschutz"));
}

#[test]
fn explain_prints_the_full_report() {
    let t = "templates/kommunale-planung-aggregiert-12-monate.md";
    let base = [
        "explain",
        t,
        "--action",
        "aggregate",
        "--now",
        "2025-06-01T00:00:00Z",
        "--start",
        "2025-05-01T00:00:00Z",
        "--ags",
        "09162000",
        "--member",
        "--k",
        "5",
    ];
    let (code, out, _) = run(&[&base[..], &["--purpose", "gwd:Waermeplanung"]].concat());
    // The duties (delete, logAccess, shareResults) have no recorded state: closed world.
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Die Pflicht „löschen“ ist nicht erfüllt."),
        "{out}"
    );
    let dir = std::env::temp_dir().join(format!("contracts-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let req = dir.join("request.json");
    std::fs::write(&req, r#"{"duties": {"delete": "pending", "gwd:logAccess": "pending", "gwd:shareResults": "pending"}}"#).expect("write");
    let req = req.to_string_lossy().into_owned();
    let (code, out, _) = run(&[
        &base[..],
        &["--purpose", "gwd:Waermeplanung", "--request", &req],
    ]
    .concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("– erlaubt"), "{out}");
    assert!(
        out.contains("✓ Der Zweck „Kommunale Wärmeplanung“ ist erlaubt"),
        "{out}"
    );
    let (code, out, _) = run(&[
        &base[..],
        &[
            "--purpose",
            "dpv:Advertising",
            "--request",
            &req,
            "--lang",
            "en",
        ],
    ]
    .concat());
    assert_eq!(code, 1);
    assert!(
        out.contains("→ The purpose “Advertising” is not allowed"),
        "{out}"
    );
    let (code, out, _) = run(&[
        &base[..],
        &["--purpose", "dpv:Advertising", "--request", &req, "--json"],
    ]
    .concat());
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["decision"], "denied");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_reads_like_a_manual() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit status"), "{out}");
    let (_, out, _) = run(&["check", "--help"]);
    assert!(out.contains("FILE:LINE:COLUMN"), "{out}");
}
