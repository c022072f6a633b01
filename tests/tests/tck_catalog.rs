//! TCK metadata and catalog scenarios (MET:01-01, CAT:01-01 … CAT:01-03) against a
//! connector in TCK mode.

use serde_json::Value;
use tests::harness::messages::catalog_request;
use tests::harness::tck::tck_property;
use tests::harness::{ConnectorOptions, Member, Peer, PeerAuth, TestConnector, TestEnv};

async fn setup(test: &str) -> (TestEnv, TestConnector, Peer) {
    let env = TestEnv::new(test);
    let c = TestConnector::start(&env, ConnectorOptions::company("provider").with_tck()).await;
    let peer = Peer::start(&env, Member::company("TCK"), PeerAuth::Tck).await;
    (env, c, peer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_met_01_01() {
    // metadata request: /.well-known/dspace-version under the DSP base URL
    let (env, c, _peer) = setup("tck_met_01_01").await;
    let v: Value = env
        .http
        .get(format!("{}/.well-known/dspace-version", c.dsp_base()))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    env.capture.write("got", &v);
    let versions = v["protocolVersions"].as_array().expect("protocolVersions");
    assert!(
        versions
            .iter()
            .any(|e| e["version"] == "2025-1" && e["path"].is_string() && e["binding"].is_string()),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cat_01_01() {
    // catalog request: the catalog lists the seeded dataset
    let (_env, c, peer) = setup("tck_cat_01_01").await;
    let dataset = tck_property("CAT_01_01_DATASETID");
    let (status, catalog) = peer.send(&c, "catalog/request", &catalog_request()).await;
    assert_eq!(status, 200, "{catalog}");
    assert_eq!(catalog["@type"], "Catalog");
    let datasets = catalog["dataset"].as_array().expect("datasets");
    assert!(
        datasets.iter().any(|d| d["@id"] == dataset.as_str()),
        "{dataset} missing"
    );
    connector::dsp::catalog::Catalog::from_json(&catalog)
        .expect("our own parser accepts the catalog");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cat_01_02() {
    // dataset request
    let (_env, c, peer) = setup("tck_cat_01_02").await;
    let dataset = tck_property("CAT_01_02_DATASETID");
    let (status, d) = peer.get(&c, &format!("catalog/datasets/{dataset}")).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["@id"], dataset.as_str());
    assert_eq!(d["@type"], "Dataset");
    connector::dsp::catalog::Dataset::from_json(&d).expect("valid dataset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cat_01_03() {
    // dataset request not found
    let (_env, c, peer) = setup("tck_cat_01_03").await;
    let dataset = tck_property("CAT_01_03_DATASETID");
    let (status, e) = peer.get(&c, &format!("catalog/datasets/{dataset}")).await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["@type"], "CatalogError");
}
