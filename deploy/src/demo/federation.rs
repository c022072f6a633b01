//! The federation steps: joining with the connector's own `join` (authority key pinned after
//! the thumbprint check, Charta accepted and signed), publication of the signed
//! self-description through the management API, the planner's search on the broker, and the
//! cooperation's entry in the broker's public register.

use std::time::{Duration, Instant};

use connector::cli::ManagementClient;
use connector::config::Config;
use connector::federation::join::{JoinOptions, join};
use serde_json::{Value, json};

use super::data;
use super::http;
use super::layout::{BrokerLayout, ConnectorLayout};

/// How long the register entry may take to appear.
const REGISTER_LIMIT: Duration = Duration::from_secs(20);
/// How long the automatic publication may take.
const PUBLICATION_LIMIT: Duration = Duration::from_secs(20);
/// How long a connector may take to install its credential.
const MEMBERSHIP_LIMIT: Duration = Duration::from_secs(20);

/// Joins the federation for connector `c` as `connector join --broker … --authority-thumbprint
/// …` does, then tells the running connector to look again and waits until it is a member.
/// Returns the credential's end of validity.
pub async fn onboard(
    broker: &BrokerLayout,
    c: &ConnectorLayout,
    api: &ManagementClient,
) -> Result<String, String> {
    let config = Config::load(&c.config)
        .map_err(|e| format!("{}: {}", c.config.display(), http::chain(&e)))?;
    let report = join(
        &config,
        &JoinOptions {
            broker_url: broker.url.clone(),
            authority_thumbprint: Some(broker.authority_thumbprint.clone()),
            participant_type: c.party.participant_type.to_owned(),
            ags: c.party.ags.map(str::to_owned),
        },
    )
    .await
    .map_err(|e| format!("{} joining: {}", c.party.legal_name, http::chain(&e)))?;
    if report.credential_file.is_none() {
        return Err(format!(
            "{}: the broker did not issue a credential (join request {})",
            c.party.legal_name,
            report.record.status.as_str()
        ));
    }
    api.post("/api/v1/federation/check", &json!({}))
        .await
        .map_err(|e| format!("{}: federation check: {e}", c.party.legal_name))?;
    let started = Instant::now();
    loop {
        let view = api
            .get("/api/v1/federation")
            .await
            .map_err(|e| e.to_string())?;
        if view["membership"]["state"] == "member" {
            break;
        }
        if started.elapsed() > MEMBERSHIP_LIMIT {
            return Err(format!(
                "{} is not a member {} s after joining: {}",
                c.party.legal_name,
                MEMBERSHIP_LIMIT.as_secs(),
                view["membership"]["message"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let until = report.valid_until.unwrap_or_default();
    Ok(chrono::DateTime::parse_from_rfc3339(&until)
        .map(|t| t.format("%d.%m.%Y").to_string())
        .unwrap_or(until))
}

/// What the broker accepted.
pub struct Published {
    /// Datasets in the self-description.
    pub datasets: u64,
    /// Offers in it.
    pub offers: u64,
    /// Bytes of the signed envelope the broker holds.
    pub envelope_bytes: usize,
}

/// Stadtwerke's connector publishes on its own once it is a member and its offers change
/// (`federation.publish`, the default); this waits for the broker to accept a description
/// with the offer, asks for it at once if it does not come (which reports the reason), and
/// checks that the broker's copy of the envelope verifies with Stadtwerke's key.
pub async fn publish(
    client: &reqwest::Client,
    broker: &BrokerLayout,
    stadtwerke: &ConnectorLayout,
    api: &ManagementClient,
    key: &vocab::jose::PublicKey,
) -> Result<Published, String> {
    let started = Instant::now();
    let view = loop {
        let view = api
            .get("/api/v1/federation")
            .await
            .map_err(|e| format!("publication state: {e}"))?;
        let p = &view["publication"];
        if !p["last_accepted_ms"].is_null() && p["offers"].as_u64().unwrap_or(0) >= 1 {
            break view;
        }
        if started.elapsed() > PUBLICATION_LIMIT {
            // Ask explicitly: the answer names what stands in the way.
            let asked = api
                .post("/api/v1/federation/publish", &json!({}))
                .await
                .map_err(|e| format!("publishing: {e}"))?;
            let p = &asked["publication"];
            if p["last_accepted_ms"].is_null() || p["offers"].as_u64().unwrap_or(0) == 0 {
                return Err(format!(
                    "the self-description with the offer was not published within {} s: {} {}",
                    PUBLICATION_LIMIT.as_secs(),
                    asked["outcome"],
                    p["last_error"]
                ));
            }
            break asked;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut url = reqwest::Url::parse(&broker.url).map_err(|e| e.to_string())?;
    url.path_segments_mut()
        .map_err(|_| "broker URL cannot have a path".to_owned())?
        .extend(["api", "v1", "self-descriptions", stadtwerke.did.as_str()]);
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("{url}: {}", http::chain(&e)))?;
    if !response.status().is_success() {
        return Err(format!(
            "the broker holds no self-description of {} (HTTP {})",
            stadtwerke.did,
            response.status().as_u16()
        ));
    }
    let envelope = response.text().await.map_err(|e| e.to_string())?;
    key.verify_compact(envelope.trim())
        .map_err(|e| format!("the envelope the broker holds does not verify: {e}"))?;
    Ok(Published {
        datasets: view["publication"]["datasets"].as_u64().unwrap_or(0),
        offers: view["publication"]["offers"].as_u64().unwrap_or(0),
        envelope_bytes: envelope.len(),
    })
}

/// The planner's find.
pub struct Found {
    /// Results in total.
    pub total: u64,
    /// The dataset's page on the broker.
    pub page: String,
    /// The template's title as the broker shows it.
    pub template: String,
    /// The key terms in German.
    pub key_terms: Vec<String>,
    /// The provider's DSP endpoint from its participant record.
    pub endpoint: String,
}

/// Searches the broker for "Wärmeplanung" in Musterstadt and reads the provider's endpoint
/// from its participant record.
pub async fn search(client: &reqwest::Client, broker: &BrokerLayout) -> Result<Found, String> {
    let answer = http::json(
        client.get(format!("{}/api/v1/search", broker.url)).query(&[
            ("q", "Wärmeplanung"),
            ("region", vocab::showcase::MUSTERSTADT_AGS),
        ]),
        "search",
    )
    .await?;
    let hit = answer["results"]
        .as_array()
        .and_then(|r| r.iter().find(|d| d["title"] == data::DATASET_TITLE))
        .ok_or_else(|| {
            format!(
                "searching \"Wärmeplanung\" in {} does not find „{}“ ({} results)",
                vocab::showcase::MUSTERSTADT_AGS,
                data::DATASET_TITLE,
                answer["total"]
            )
        })?;
    let participant = hit["participant"]
        .as_str()
        .ok_or("the result names no participant")?;
    let mut url = reqwest::Url::parse(&broker.url).map_err(|e| e.to_string())?;
    url.path_segments_mut()
        .map_err(|_| "broker URL cannot have a path".to_owned())?
        .extend(["api", "v1", "participants", participant]);
    let record = http::json(client.get(url), "participant record").await?;
    let endpoint = record["connectorEndpoint"]
        .as_str()
        .ok_or("the participant record has no connectorEndpoint")?
        .to_owned();
    let page = hit["page"].as_str().unwrap_or_default();
    Ok(Found {
        total: answer["total"].as_u64().unwrap_or(0),
        page: if page.starts_with("http") {
            page.to_owned()
        } else {
            format!("{}{page}", broker.url)
        },
        template: hit["template"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        key_terms: hit["keyTerms"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        endpoint,
    })
}

/// The cooperation as the public register shows it.
pub struct Registered {
    /// The purposes recorded.
    pub purposes: Vec<String>,
    /// Until when the cooperation runs.
    pub end: String,
}

/// Waits until the broker's public register lists `agreement` (the connectors submit it once
/// it is finalized), then checks that it names both parties and that both signatures over the
/// canonical (RFC 8785) summary verify with the parties' keys.
pub async fn registered(
    client: &reqwest::Client,
    broker: &BrokerLayout,
    agreement: &str,
    provider: (&str, &vocab::jose::PublicKey),
    consumer: (&str, &vocab::jose::PublicKey),
) -> Result<Registered, String> {
    let started = Instant::now();
    let entry = loop {
        let list = http::json(
            client.get(format!("{}/api/v1/register", broker.url)),
            "the register",
        )
        .await?;
        if let Some(e) = list
            .as_array()
            .and_then(|l| l.iter().find(|e| e["summary"]["agreementId"] == agreement))
        {
            break e.clone();
        }
        if started.elapsed() > REGISTER_LIMIT {
            return Err(format!(
                "the register does not list agreement {agreement} {} s after it was finalized",
                REGISTER_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let summary = &entry["summary"];
    let signatures = &entry["signatures"];
    let canonical = serde_jcs::to_vec(summary).map_err(|e| format!("register entry: {e}"))?;
    for (role, (did, key)) in [("provider", provider), ("consumer", consumer)] {
        if summary[role] != did {
            return Err(format!(
                "the register names {} as {role}, not {did}",
                summary[role]
            ));
        }
        let jws = signatures[role]
            .as_str()
            .ok_or_else(|| format!("the register entry has no {role} signature"))?;
        key.verify_detached(jws, &canonical)
            .map_err(|e| format!("the {role}'s signature in the register does not verify: {e}"))?;
    }
    Ok(Registered {
        purposes: summary["purposes"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(Value::as_str)
                    .map(|p| p.rsplit(['#', '/']).next().unwrap_or(p).to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        end: summary["end"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.format("%d.%m.%Y").to_string())
            .unwrap_or_default(),
    })
}
