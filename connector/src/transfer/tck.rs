//! Scripted behaviour for the transfer scenarios of the Eclipse DSP TCK (TCK mode only).
//!
//! The TCK drives a connector under test by the agreement ids of its properties file: for
//! agreement `ATP0104` (scenario TP:01-04) the provider must start the transfer, suspend it,
//! start it again and complete it; for `ATPC0203` (TP_C:02-03) the consumer must suspend the
//! started transfer and then terminate it. In TCK mode those agreements are seeded (with the
//! TCK as the other party and a small seeded dataset) and the transfers on them carry their
//! scenario's script, which replaces the normal decisions (evaluation, fetching the data).
//! Parsing, the state machine and the outbox are the same code as in production.
//!
//! A script is a list of steps; the first runs after the triggering event (the request on the
//! provider; the acknowledgement or the start message on the consumer), each further one
//! after the previous message was delivered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::assets::{Asset, AssetSource, Assets};
use crate::negotiation::AgreementRecord;
use crate::negotiation::tck::TckSeed;
use crate::process::{Role, now_ms};
use crate::store::{Store, StoreError, WriteBatch, keys};

/// One scripted step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TckStep {
    /// Send a start message (provider: start; either: restart after a suspension).
    Start,
    /// Send a suspension.
    Suspend,
    /// Send a completion.
    Complete,
    /// Send a termination.
    Terminate,
}

/// A scenario's script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferScript {
    /// The connector plays the provider: steps after the request.
    Provider(Vec<TckStep>),
    /// The connector plays the consumer.
    Consumer {
        /// Steps after the provider acknowledged the request.
        on_ack: Vec<TckStep>,
        /// Steps after the provider's start message.
        on_start: Vec<TckStep>,
    },
}

/// The provider script of a scenario key such as `TP_01_04`.
pub fn provider_script(scenario: &str) -> Option<Vec<TckStep>> {
    use TckStep::*;
    Some(match scenario {
        "TP_01_01" => vec![Start, Terminate],
        "TP_01_02" => vec![Start, Complete],
        "TP_01_03" => vec![Start, Suspend, Terminate],
        "TP_01_04" => vec![Start, Suspend, Start, Complete],
        "TP_01_05" => vec![Terminate],
        "TP_02_01" | "TP_02_02" | "TP_02_03" | "TP_02_04" => vec![Start],
        "TP_02_05" | "TP_03_01" | "TP_03_02" => vec![],
        "TP_03_03" | "TP_03_04" | "TP_03_05" | "TP_03_06" => vec![Start],
        _ => return None,
    })
}

/// The consumer script of a scenario key such as `TP_C_02_03`.
pub fn consumer_script(scenario: &str) -> Option<(Vec<TckStep>, Vec<TckStep>)> {
    use TckStep::*;
    Some(match scenario {
        "TP_C_01_01" | "TP_C_01_02" | "TP_C_01_03" | "TP_C_01_04" | "TP_C_01_05" => {
            (vec![], vec![])
        }
        "TP_C_02_01" => (vec![], vec![Terminate]),
        "TP_C_02_02" => (vec![], vec![Complete]),
        "TP_C_02_03" => (vec![], vec![Suspend, Terminate]),
        "TP_C_02_04" => (vec![], vec![Suspend, Start, Complete]),
        "TP_C_02_05" => (vec![Terminate], vec![]),
        "TP_C_03_01" | "TP_C_03_02" | "TP_C_03_03" | "TP_C_03_04" | "TP_C_03_05" | "TP_C_03_06" => {
            (vec![], vec![])
        }
        _ => return None,
    })
}

/// The scripts of the seeded agreements.
#[derive(Debug, Clone, Default)]
pub struct TckTransfers {
    /// Provider scripts by agreement id.
    pub provider: BTreeMap<String, Vec<TckStep>>,
    /// Consumer scripts by agreement id.
    pub consumer: BTreeMap<String, TransferScript>,
}

/// The dataset the seeded provider agreements are about.
pub const TCK_DATASET: &str = "tck-transfer-data";

/// Seeds the TCK's transfer agreements (idempotent): the provider ones (`TP_…`) with the TCK
/// as consumer and a small file as data, the consumer ones (`TP_C_…`) with the TCK as
/// provider.
pub fn seed(
    seed: &TckSeed,
    data_dir: &std::path::Path,
    store: &dyn Store,
    assets: &Assets,
    own_did: &str,
    tck_participant: &str,
) -> Result<TckTransfers, StoreError> {
    let dir = data_dir.join("tck");
    let file = dir.join(format!("{TCK_DATASET}.txt"));
    std::fs::create_dir_all(&dir)
        .and_then(|_| {
            std::fs::write(
                &file,
                "Testdaten des Eclipse DSP TCK für Übertragungsprozesse.\n",
            )
        })
        .map_err(|e| StoreError::Backend(format!("{}: {e}", file.display())))?;
    let now = now_ms();
    assets.put(
        &[Asset {
            id: TCK_DATASET.into(),
            title: "TCK-Übertragungsdaten".into(),
            description: "Vom Eclipse DSP TCK vorgegebener Testdatensatz für Übertragungen.".into(),
            keywords: vec!["tck".into()],
            themes: Vec::new(),
            ags: None,
            license: None,
            publisher: None,
            personal_adjacent: false,
            source: AssetSource::File {
                path: file.display().to_string(),
            },
            origin: Some("tck".into()),
            created_ms: now,
            updated_ms: now,
        }],
        &[],
    )?;
    let mut scripts = TckTransfers::default();
    let mut batch = WriteBatch::new();
    for (scenario, agreement_id, _format) in &seed.transfer {
        let (role, provider, consumer) = if let Some(steps) = provider_script(scenario) {
            scripts.provider.insert(agreement_id.clone(), steps);
            (Role::Provider, own_did, tck_participant)
        } else if let Some((on_ack, on_start)) = consumer_script(scenario) {
            scripts.consumer.insert(
                agreement_id.clone(),
                TransferScript::Consumer { on_ack, on_start },
            );
            (Role::Consumer, tck_participant, own_did)
        } else {
            tracing::warn!(%scenario, "no script for this TCK transfer scenario; not seeded");
            continue;
        };
        let agreement = json!({"@id": agreement_id, "@type": "Agreement", "target": TCK_DATASET,
            "assigner": provider, "assignee": consumer,
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "permission": [{"action": "use"}]});
        let record = AgreementRecord {
            id: agreement_id.clone(),
            negotiation_id: format!("tck:{scenario}"),
            role,
            provider: provider.to_owned(),
            consumer: consumer.to_owned(),
            counterparty_name: Some("Eclipse DSP TCK".into()),
            dataset_id: TCK_DATASET.into(),
            agreement,
            fully_signed: false,
            contract_markdown: None,
            contract_sha256: None,
            finalized_ms: now,
        };
        batch.put(keys::agreement(agreement_id), &record);
    }
    store.apply(batch)?;
    Ok(scripts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transfer_scenario_of_the_sample_properties_has_a_script() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/specs/dsp-2025-1/tck-sample.properties"
        ))
        .expect("tck-sample.properties");
        let seed = crate::negotiation::tck::parse_properties(&text);
        assert_eq!(seed.transfer.len(), 32);
        for (scenario, _, format) in &seed.transfer {
            assert!(
                provider_script(scenario).is_some() || consumer_script(scenario).is_some(),
                "{scenario}"
            );
            assert_eq!(format, "HttpData-PULL");
        }
    }
}
