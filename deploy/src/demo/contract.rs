//! The contract steps through the connectors' management API: Stadtwerke registers the dataset
//! under the German template, Musterstadt reads the terms in Stadtwerke's catalog (DSP),
//! negotiates (DSP 2025-1), and both hold the agreement with both signatures, verified here
//! with the parties' keys.

use std::time::{Duration, Instant};

use connector::cli::ManagementClient;
use connector::config::Config;
use serde_json::json;
use sha2::Digest as _;

use super::data;
use super::http;
use super::layout::{ConnectorLayout, STADTWERKE};

/// How long the negotiation may take.
const NEGOTIATION_LIMIT: Duration = Duration::from_secs(30);
/// Building blocks in the demo table (before small blocks are left out).
const BLOCKS: usize = 240;

/// The public key of connector `c`'s participant.
pub fn public_key(c: &ConnectorLayout) -> Result<vocab::jose::PublicKey, String> {
    let config = Config::load(&c.config).map_err(|e| http::chain(&e))?;
    let kid = config.key_id().map_err(|e| e.to_string())?;
    let key =
        connector::identity::read_private_key(&config.path(&config.participant.key_file), &kid)
            .map_err(|e| e.to_string())?;
    Ok(key.public_key())
}

/// What Stadtwerke offers.
pub struct Offered {
    /// Rows of the table.
    pub rows: usize,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The file.
    pub file: std::path::PathBuf,
    /// The template's title.
    pub template_title: String,
}

/// Stadtwerke: the template, the data file, the asset and the offer.
pub async fn register_dataset(
    provider: &ManagementClient,
    stadtwerke: &ConnectorLayout,
) -> Result<Offered, String> {
    let template = provider
        .post_text(
            "/api/v1/templates",
            data::TEMPLATE.to_owned(),
            "text/markdown; charset=utf-8",
        )
        .await
        .map_err(|e| format!("adding the template: {e}"))?;
    let table = data::heat_demand_csv(BLOCKS);
    let folder = stadtwerke.dir.join("daten");
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let file = folder.join(format!("{}.csv", data::DATASET_ID));
    std::fs::write(&file, &table).map_err(|e| format!("{}: {e}", file.display()))?;
    let asset = json!({
        "id": data::DATASET_ID,
        "title": data::DATASET_TITLE,
        "description": data::DATASET_DESCRIPTION,
        "keywords": data::DATASET_KEYWORDS,
        "themes": ["ENER", "REGI"],
        "ags": vocab::showcase::MUSTERSTADT_AGS,
        "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "publisher": STADTWERKE.legal_name,
        "personal_adjacent": false,
        "source": {"file": file.display().to_string()},
    });
    provider
        .post("/api/v1/assets", &asset)
        .await
        .map_err(|e| format!("adding the asset: {e}"))?;
    provider
        .post(
            "/api/v1/offers",
            &json!({
                "asset_id": data::DATASET_ID,
                "template_id": template["id"],
                "template_version": template["version"],
                "parameters": {"quelle": stadtwerke.did, "gebiet": vocab::showcase::MUSTERSTADT_AGS},
            }),
        )
        .await
        .map_err(|e| format!("adding the offer: {e}"))?;
    Ok(Offered {
        file,
        rows: table.lines().count().saturating_sub(1),
        sha256: hex::encode(sha2::Sha256::digest(table.as_bytes())),
        template_title: template["title"].as_str().unwrap_or_default().to_owned(),
    })
}

/// The contract terms as the planner reads them.
pub struct Terms {
    /// The contract's title.
    pub title: String,
    /// Its § sections.
    pub sections: usize,
}

/// Musterstadt reads the offer and its German contract text from Stadtwerke's catalog.
pub async fn read_terms(
    consumer: &ManagementClient,
    endpoint: &str,
    provider_name: &str,
) -> Result<Terms, String> {
    let catalog = consumer
        .post("/api/v1/catalog/request", &json!({"connector": endpoint}))
        .await
        .map_err(|e| format!("catalog request to {endpoint}: {e}"))?;
    let dataset = catalog["dataset"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["@id"] == data::DATASET_ID))
        .ok_or_else(|| {
            format!(
                "the catalog of {} does not list {}",
                provider_name,
                data::DATASET_ID
            )
        })?;
    let text = dataset["hasPolicy"][0]["https://w3id.org/gemeinwohl-datenraum/ns#contractText"]
        .as_str()
        .ok_or_else(|| format!("the offer of {} carries no contract text", data::DATASET_ID))?;
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .ok_or("the contract text has no title")?
        .trim()
        .to_owned();
    let sections = text.lines().filter(|l| l.starts_with("## §")).count();
    if sections == 0 {
        return Err("the contract text has no § sections".into());
    }
    Ok(Terms { title, sections })
}

/// A finalized negotiation.
pub struct Negotiated {
    /// The consumer's negotiation id.
    pub id: String,
    /// From the request to FINALIZED.
    pub took: Duration,
}

/// Musterstadt negotiates with Stadtwerke and waits for FINALIZED.
pub async fn negotiate(consumer: &ManagementClient, endpoint: &str) -> Result<Negotiated, String> {
    let started = Instant::now();
    let n = consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": endpoint, "dataset_id": data::DATASET_ID, "purpose": data::PURPOSE}),
        )
        .await
        .map_err(|e| format!("starting the negotiation: {e}"))?;
    let id = n["id"]
        .as_str()
        .ok_or("the negotiation has no id")?
        .to_owned();
    let path = format!("/api/v1/negotiations/{id}");
    loop {
        let current = consumer.get(&path).await.map_err(|e| e.to_string())?;
        match current["state"].as_str() {
            Some("FINALIZED") => {
                return Ok(Negotiated {
                    id,
                    took: started.elapsed(),
                });
            }
            Some("TERMINATED") => {
                return Err(format!(
                    "negotiation {id} was terminated: {}",
                    current["termination"]
                ));
            }
            state => {
                if started.elapsed() > NEGOTIATION_LIMIT {
                    return Err(format!(
                        "negotiation {id} still {} after {} s",
                        state.unwrap_or("?"),
                        NEGOTIATION_LIMIT.as_secs()
                    ));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The agreement both hold.
pub struct Agreed {
    /// Its id.
    pub id: String,
    /// SHA-256 of the German contract text.
    pub contract_sha256: String,
}

/// Both connectors hold the agreement; both signatures verify with the parties' keys.
pub async fn check_agreement(
    consumer: &ManagementClient,
    provider: &ManagementClient,
    musterstadt: &ConnectorLayout,
    stadtwerke: &ConnectorLayout,
    negotiation: &str,
) -> Result<Agreed, String> {
    let list = consumer
        .get("/api/v1/agreements")
        .await
        .map_err(|e| e.to_string())?;
    let mine = list
        .as_array()
        .and_then(|l| l.iter().find(|a| a["negotiation_id"] == negotiation))
        .ok_or_else(|| format!("Musterstadt holds no agreement for negotiation {negotiation}"))?
        .clone();
    let id = mine["id"]
        .as_str()
        .ok_or("the agreement has no id")?
        .to_owned();
    let theirs = provider
        .get(&format!("/api/v1/agreements/{id}"))
        .await
        .map_err(|e| format!("Stadtwerke's copy of {id}: {e}"))?;
    for (who, record) in [("Musterstadt", &mine), ("Stadtwerke", &theirs)] {
        if record["fully_signed"] != true {
            return Err(format!("{who}'s copy of {id} is not signed by both"));
        }
        let signed = contracts::agreement::SignedAgreement::from_dsp_json(&record["agreement"])
            .map_err(|e| format!("{who}'s copy of {id}: {e}"))?;
        signed
            .verify(&public_key(stadtwerke)?, &public_key(musterstadt)?)
            .map_err(|e| format!("{who}'s copy of {id}: {e}"))?;
    }
    if mine["contract_markdown"] != theirs["contract_markdown"] {
        return Err(format!(
            "the two copies of {id} differ in their contract text"
        ));
    }
    let text = mine["contract_markdown"].as_str().unwrap_or_default();
    Ok(Agreed {
        id,
        contract_sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
    })
}
