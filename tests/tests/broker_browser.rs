//! The catalogue pages in a real headless Chromium: the page loads, search works, a dataset
//! page shows its contract terms; the dataset page's screenshot goes to
//! `broker/docs/dataset-page.png` (linked from the broker's README).

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::broker::{BrokerMember, BrokerOptions, TestBroker};

fn chromium() -> String {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name.to_owned();
        }
    }
    panic!("Chromium is not installed (apt-get install -y chromium)");
}

/// Runs headless Chromium with a fresh profile; returns stdout.
fn browse(profile: &Path, args: &[&str]) -> String {
    let _ = std::fs::remove_dir_all(profile);
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // the test CA is not in Chromium's store
            "--ignore-certificate-errors",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn dom(profile: &Path, url: &str) -> String {
    browse(profile, &["--dump-dom", url])
}

#[tokio::test]
async fn pages_load_search_works_and_the_dataset_page_shows_its_terms() {
    let broker = TestBroker::start("browser", BrokerOptions::default()).await;
    for m in [BrokerMember::stadtwerke(), BrokerMember::musterstadt()] {
        assert_eq!(m.join(&broker).await.0, 201);
        assert_eq!(m.publish(&broker).await.0, 200);
    }
    let profile = broker.dir.join("chromium-profile");

    // the page loads: German, the search form, both datasets
    let home = dom(&profile, &broker.at("/"));
    assert!(home.contains("lang=\"de\""), "{home}");
    assert!(
        home.contains("<form class=\"search\" method=\"get\" action=\"/\""),
        "{home}"
    );
    assert!(home.contains("name=\"q\""));
    assert!(home.contains("2 Datensätze gefunden"), "{home}");

    // search works: what the form submits
    let found = dom(&profile, &broker.at("/?q=W%C3%A4rmeplanung"));
    assert!(found.contains("1 Datensatz gefunden"), "{found}");
    assert!(found.contains("Stromverbrauch je Baublock 2024"));
    // a facet link filters
    let filtered = dom(&profile, &broker.at("/?q=&participantType=municipality"));
    assert!(
        filtered.contains("1 Datensatz gefunden") && filtered.contains("Baublöcke Musterstadt"),
        "{filtered}"
    );

    // the dataset page shows its terms
    let (_, search) = broker.get_json("/api/v1/search?q=Stromverbrauch").await;
    let page = search["results"][0]["page"]
        .as_str()
        .expect("page")
        .to_owned();
    let dataset = dom(&profile, &broker.at(&page));
    for expected in [
        "Vertragsbedingungen",
        "Zweck:",
        "Nutzungsdauer: höchstens 12 Monate",
        "Mindestgruppengröße k = 5",
        "So fordern Sie die Daten an",
    ] {
        assert!(
            dataset.contains(expected),
            "missing {expected:?} in\n{dataset}"
        );
    }

    // the screenshot the README links
    let docs = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../broker/docs"));
    std::fs::create_dir_all(&docs).expect("docs folder");
    let shot = docs.join("dataset-page.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1800",
            "--hide-scrollbars",
            &broker.at(&page),
        ],
    );
    let bytes = std::fs::read(&shot).expect("screenshot written");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a real PNG"
    );
}
