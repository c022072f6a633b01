//! `connector import`: a municipality's CSV inventory and a real DCAT-AP.de catalogue
//! become assets, with a report per row; rows with problems are named and skipped, the rest
//! is stored.

use serde_json::Value;
use tests::harness::{ConnectorOptions, TestConnector, TestEnv, spec_path};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_import_of_a_csv_inventory_reports_every_row() {
    let env = TestEnv::new("connector_import_csv");
    let c = TestConnector::start(&env, ConnectorOptions::municipality("musterstadt")).await;
    let csv = "\u{feff}kennung;titel;beschreibung;schlagworte;kategorie;ags;lizenz;herausgeber;personenbezug;quelle\n\
        spielplaetze;Spielplätze;Lage aller Spielplätze;Freizeit|Kinder;SOCI;09162000;dl-by-de/2.0;Stadt Musterstadt;nein;/srv/spielplaetze.csv\n\
        baumkataster;Baumkataster;Alle Straßenbäume;Bäume;ENVI;09162000;cc-by/4.0;Gartenamt;nein;https://daten.musterstadt.example/baeume.csv\n\
        falsch-ags;Falsche Gemeinde;;;;99999999;;;nein;\n\
        falsch-thema;Falsches Thema;;;SPORT;;;;;\n\
        ;Ohne Kennung;;;;;;;;\n";
    let file = c.dir.join("inventar.csv");
    std::fs::write(&file, csv).expect("write CSV");

    // A dry run reports and stores nothing.
    let (ok, out, err) = c.cli(&["import", "--dry-run", file.to_str().expect("path")]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("5 rows read: 4 valid, 1 with problems (dry run"),
        "{out}"
    );
    let (_, assets) = c.get("/api/v1/assets").await;
    assert_eq!(assets, Value::Array(Vec::new()));

    let (ok, out, err) = c.cli(&["import", file.to_str().expect("path")]);
    assert!(!ok, "rows with problems make the exit code non-zero");
    assert!(
        out.contains("line 6: skipped — kennung: empty"),
        "{out}{err}"
    );
    assert!(
        out.contains("refused — ags: ") && out.contains("99999999"),
        "{out}"
    );
    assert!(out.contains("refused — themes[0]: \"SPORT\""), "{out}");
    assert!(
        out.contains("5 rows read: 2 assets stored, 3 with problems"),
        "{out}"
    );
    let (_, assets) = c.get("/api/v1/assets").await;
    let ids: Vec<&str> = assets
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["baumkataster", "spielplaetze"]);
    let (_, tree) = c.get("/api/v1/assets/baumkataster").await;
    assert_eq!(tree["license"], "http://dcat-ap.de/def/licenses/cc-by/4.0");
    assert_eq!(tree["source"]["kind"], "url");

    // A typo in a column name stops the import before anything is stored.
    std::fs::write(&file, "kennung;titl\na;b\n").expect("write");
    let (ok, _, err) = c.cli(&["import", file.to_str().expect("path")]);
    assert!(!ok && err.contains("unknown column \"titl\""), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_import_of_a_real_dcat_catalogue() {
    let env = TestEnv::new("connector_import_dcat");
    let c = TestConnector::start(&env, ConnectorOptions::municipality("rostock")).await;
    let file = spec_path("dcat-ap-de/catalogs/destatis-catalog-original-input.rdf");
    let (_, out, err) = c.cli(&["import", file.to_str().expect("path")]);
    let summary = out.lines().last().unwrap_or_default().to_owned();
    let numbers: Vec<usize> = summary
        .split(|ch: char| !ch.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(numbers.len() >= 3, "summary line: {summary}\n{err}");
    let (read, stored, problems) = (numbers[0], numbers[1], numbers[2]);
    assert!(read > 10 && stored > 0, "{summary}");
    assert_eq!(read, stored + problems, "{summary}");
    let (_, assets) = c.get("/api/v1/assets").await;
    assert_eq!(assets.as_array().map(Vec::len), Some(stored));
    assert!(
        assets
            .as_array()
            .expect("list")
            .iter()
            .all(|a| a["title"].as_str().is_some_and(|t| !t.is_empty()))
    );
}
