//! Scripted behaviour for the scenarios of the Eclipse DSP Technology Compatibility Kit.
//!
//! The TCK drives a connector under test by the dataset ids it is seeded with: for dataset
//! `ACN0101` (scenario CN:01-01) the provider must answer a request with an offer, for
//! `ACNC0306` (CN_C:03-06) the consumer must accept an offer but not verify the agreement, and
//! so on. In TCK mode (off by default, loudly logged) the seeded offers and the consumer
//! negotiations the TCK triggers carry the script of their scenario, which replaces the
//! normal decisions (evaluation, approval, automatic verification). Everything else — parsing,
//! the state machine, the outbox — is the same code as in production.

use serde::{Deserialize, Serialize};

/// What the provider does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStep {
    /// Nothing; the TCK acts next.
    Wait,
    /// Send the offer (a counter-offer with the catalog terms).
    Offer,
    /// Send the agreement.
    Agree,
    /// Send the FINALIZED event.
    Finalize,
    /// Terminate.
    Terminate,
    /// Send the offer, then terminate.
    OfferThenTerminate,
}

/// What the consumer does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerStep {
    /// Nothing; the TCK acts next.
    Wait,
    /// Accept the provider's offer.
    Accept,
    /// Counter-offer (request again with the same terms).
    Counter,
    /// Verify the agreement.
    Verify,
    /// Terminate.
    Terminate,
}

/// The provider's reactions in one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProviderScript {
    /// After the initial request.
    pub on_request: ProviderStep,
    /// After a counter-request.
    pub on_counter_request: ProviderStep,
    /// After the consumer accepted.
    pub on_accepted: ProviderStep,
    /// After the consumer verified.
    pub on_verified: ProviderStep,
}

/// The consumer's reactions in one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsumerScript {
    /// After the provider acknowledged the request.
    pub on_acknowledged: ConsumerStep,
    /// After an offer.
    pub on_offer: ConsumerStep,
    /// After an agreement.
    pub on_agreement: ConsumerStep,
}

/// A scenario's script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TckScript {
    /// The connector plays the provider.
    Provider(ProviderScript),
    /// The connector plays the consumer.
    Consumer(ConsumerScript),
}

const fn p(
    on_request: ProviderStep,
    on_counter_request: ProviderStep,
    on_accepted: ProviderStep,
    on_verified: ProviderStep,
) -> ProviderScript {
    ProviderScript {
        on_request,
        on_counter_request,
        on_accepted,
        on_verified,
    }
}

const fn c(
    on_acknowledged: ConsumerStep,
    on_offer: ConsumerStep,
    on_agreement: ConsumerStep,
) -> ConsumerScript {
    ConsumerScript {
        on_acknowledged,
        on_offer,
        on_agreement,
    }
}

/// The provider script of a scenario key such as `CN_01_03` (the prefix of the TCK property
/// `CN_01_03_DATASETID`).
pub fn provider_script(scenario: &str) -> Option<ProviderScript> {
    use ProviderStep::*;
    Some(match scenario {
        "CN_01_01" => p(Offer, Wait, Wait, Wait),
        "CN_01_02" => p(Offer, Terminate, Wait, Wait),
        "CN_01_03" => p(Offer, Wait, Agree, Finalize),
        "CN_01_04" => p(Agree, Wait, Wait, Finalize),
        "CN_02_01" => p(Terminate, Wait, Wait, Wait),
        "CN_02_02" => p(Wait, Wait, Wait, Wait),
        "CN_02_03" => p(Agree, Wait, Wait, Wait),
        "CN_02_04" => p(Offer, Wait, Wait, Wait),
        "CN_02_05" => p(OfferThenTerminate, Wait, Wait, Wait),
        "CN_02_06" => p(Offer, Wait, Terminate, Wait),
        "CN_02_07" => p(Agree, Wait, Wait, Terminate),
        "CN_03_01" => p(Agree, Wait, Wait, Finalize),
        "CN_03_02" => p(Offer, Wait, Wait, Wait),
        "CN_03_03" => p(Offer, Wait, Wait, Wait),
        "CN_03_04" => p(Offer, Wait, Wait, Wait),
        _ => return None,
    })
}

/// The consumer script of a scenario key such as `CN_C_01_01`.
pub fn consumer_script(scenario: &str) -> Option<ConsumerScript> {
    use ConsumerStep::*;
    Some(match scenario {
        "CN_C_01_01" => c(Wait, Accept, Verify),
        "CN_C_01_02" => c(Wait, Counter, Wait),
        "CN_C_01_03" => c(Wait, Terminate, Wait),
        "CN_C_01_04" => c(Wait, Wait, Verify),
        "CN_C_02_01" => c(Wait, Wait, Wait),
        "CN_C_02_02" => c(Terminate, Wait, Wait),
        "CN_C_02_03" => c(Wait, Wait, Terminate),
        "CN_C_02_04" => c(Wait, Wait, Wait),
        "CN_C_02_05" => c(Wait, Accept, Wait),
        "CN_C_02_06" => c(Wait, Wait, Verify),
        "CN_C_03_01" => c(Wait, Wait, Wait),
        "CN_C_03_02" => c(Wait, Wait, Wait),
        "CN_C_03_03" => c(Wait, Wait, Wait),
        "CN_C_03_04" => c(Wait, Accept, Wait),
        "CN_C_03_05" => c(Wait, Accept, Wait),
        "CN_C_03_06" => c(Wait, Accept, Wait),
        _ => return None,
    })
}

/// The ids a TCK properties file seeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TckSeed {
    /// Provider scenarios: (scenario, dataset id, offer id).
    pub provider: Vec<(String, String, String)>,
    /// Consumer scenarios: (scenario, dataset id).
    pub consumer: Vec<(String, String)>,
    /// Catalog datasets to seed (`CAT_01_01`, `CAT_01_02`; `CAT_01_03` must stay unknown).
    pub catalog: Vec<String>,
    /// Transfer scenarios: (scenario, agreement id, format), for the transfer process.
    pub transfer: Vec<(String, String, String)>,
}

/// Reads a TCK properties file (`KEY=VALUE` lines, `#` comments).
pub fn parse_properties(text: &str) -> TckSeed {
    let mut props = std::collections::BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            props.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    let mut seed = TckSeed::default();
    for (key, value) in &props {
        let Some(scenario) = key.strip_suffix("_DATASETID") else {
            if let Some(scenario) = key.strip_suffix("_AGREEMENTID") {
                let format = props
                    .get(&format!("{scenario}_FORMAT"))
                    .cloned()
                    .unwrap_or_else(|| "HttpData-PULL".into());
                seed.transfer
                    .push((scenario.to_owned(), value.clone(), format));
            }
            continue;
        };
        if scenario.starts_with("CN_C_") {
            seed.consumer.push((scenario.to_owned(), value.clone()));
        } else if scenario.starts_with("CN_") {
            let offer = props
                .get(&format!("{scenario}_OFFERID"))
                .cloned()
                .unwrap_or_else(|| format!("{value}-offer"));
            seed.provider
                .push((scenario.to_owned(), value.clone(), offer));
        } else if scenario.starts_with("CAT_") && scenario != "CAT_01_03" {
            // CAT:01-03 asks for a dataset that must not exist.
            seed.catalog.push(value.clone());
        }
    }
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_negotiation_scenario_has_a_script() {
        for s in [
            "CN_01_01", "CN_01_02", "CN_01_03", "CN_01_04", "CN_02_01", "CN_02_02", "CN_02_03",
            "CN_02_04", "CN_02_05", "CN_02_06", "CN_02_07", "CN_03_01", "CN_03_02", "CN_03_03",
            "CN_03_04",
        ] {
            assert!(provider_script(s).is_some(), "{s}");
        }
        for i in [
            "01_01", "01_02", "01_03", "01_04", "02_01", "02_02", "02_03", "02_04", "02_05",
            "02_06", "03_01", "03_02", "03_03", "03_04", "03_05", "03_06",
        ] {
            assert!(consumer_script(&format!("CN_C_{i}")).is_some(), "{i}");
        }
    }

    #[test]
    fn properties_are_read() {
        let seed = parse_properties(
            "# c\nCN_01_01_DATASETID=ACN0101\nCN_01_01_OFFERID=CD123:ACN0101:456\nCN_C_01_01_DATASETID=ACNC0101\nCAT_01_01_DATASETID=CAT0101\nCAT_01_03_DATASETID=CAT0103\nTP_01_01_AGREEMENTID=ATP0101\nTP_01_01_FORMAT=HttpData-PULL\n",
        );
        assert_eq!(
            seed.provider,
            vec![(
                "CN_01_01".into(),
                "ACN0101".into(),
                "CD123:ACN0101:456".into()
            )]
        );
        assert_eq!(
            seed.consumer,
            vec![("CN_C_01_01".into(), "ACNC0101".into())]
        );
        assert_eq!(seed.catalog, vec!["CAT0101".to_owned()]);
        assert_eq!(seed.transfer.len(), 1);
    }
}
