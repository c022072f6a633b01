//! Router tests of the DCAT-AP.de harvest: formats, paging, `modified_since`, restricted
//! datasets without data, and 0 violations under the official validator
//! (`../shared/tools/validate-dcat-ap-de`).

mod common;

use std::path::PathBuf;

use axum::http::StatusCode;
use common::*;

const VALIDATOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/tools/validate-dcat-ap-de"
);

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/broker-harvest"
    ));
    std::fs::create_dir_all(&dir).expect("output directory");
    std::fs::canonicalize(&dir).expect("canonical path")
}

async fn showcase_broker() -> TestBroker {
    let tb = test_broker(true);
    let sw = stadtwerke();
    assert_eq!(
        join_and_publish(&tb, &sw, &stadtwerke_sd(&sw)).await.status,
        StatusCode::OK
    );
    let ms = musterstadt();
    assert_eq!(
        join_and_publish(&tb, &ms, &musterstadt_sd(&ms))
            .await
            .status,
        StatusCode::OK
    );
    tb
}

#[tokio::test]
async fn harvest_output_validates_with_zero_violations() {
    let tb = showcase_broker().await;
    // plus generated datasets from the shapes of the real catalogues
    for sd in vocab::showcase::generate_self_descriptions(60, 7) {
        let m = member(&base_of(&sd.participant.did));
        let answer = join_and_publish(&tb, &m, &sd).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let dir = out_dir();
    let mut files = Vec::new();
    for (format, ext) in [("turtle", "ttl"), ("rdfxml", "rdf"), ("jsonld", "jsonld")] {
        let a = get(
            &tb.app,
            &format!("/harvest/catalog?format={format}&pageSize=40"),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let path = dir.join(format!("catalog-page1.{ext}"));
        std::fs::write(&path, &a.body).expect("write");
        files.push(path);
    }
    // One file at a time: merged, the three copies' blank nodes would count thrice.
    for file in &files {
        let status = std::process::Command::new(VALIDATOR)
            .arg("--quiet")
            .arg(file)
            .status()
            .expect("the validator runs (pip install -r ../shared/tools/requirements.txt)");
        assert!(
            status.success(),
            "{} violates DCAT-AP.de 3.0",
            file.display()
        );
    }
}

fn base_of(did: &str) -> String {
    vocab::did::base_url_of(did).expect("did:web")
}
