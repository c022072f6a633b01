//! The transfer type `Sandbox-QUERY`: sandbox access to a personal-adjacent dataset through an
//! agreement (Charta GW-6 "nur aggregiert", GW-7 "keine Re-Identifizierung").
//!
//! What holds with and without the cargo feature `sandbox`:
//! - a personal-adjacent asset is never served raw: a `TransferRequestMessage` for it with any
//!   other format is refused ([`check_format`]), and its catalog entry lists only
//!   `Sandbox-QUERY` ([`catalog_formats`]; a build without the feature, which cannot answer
//!   queries, does not advertise it and refuses every transfer of such a dataset);
//! - the minimum group size k is read from the agreement's `gwd:aggregationThreshold`
//!   constraint ([`min_group_size`], default 5); enforcement evaluates an aggregation with
//!   that k, since the sandbox applies it to every answer.
//!
//! With the feature, the provider starts a `Sandbox-QUERY` transfer with a data address naming
//! its query endpoint (`POST /data/{transfer}/query`, see [`crate::dataplane::query`]) and a
//! token bound to agreement, consumer and transfer (`query_address`); the asset's sandbox
//! source, each agreement's query history and its query log are kept by
//! `crate::sandbox::store`.

use contracts::odrl::{Operator, Policy};

use super::format::{Direction, TransferFormat};
use crate::assets::{Asset, Assets};
use crate::negotiation::DspFailure;

/// The Charta's default minimum group size when an agreement names none.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 5;

const AGGREGATION_THRESHOLD: &str = "https://w3id.org/gemeinwohl-datenraum/ns#aggregationThreshold";

/// The minimum group size k an agreement's policy sets: the largest lower bound of a
/// `gwd:aggregationThreshold` constraint (`gteq k`, `gt k-1`, `eq k`) in its permissions;
/// [`DEFAULT_MIN_GROUP_SIZE`] when it names none.
pub fn min_group_size(policy: &Policy) -> u64 {
    policy
        .permissions
        .iter()
        .flat_map(|rule| rule.constraints.iter())
        .flat_map(|c| c.atoms())
        .filter(|a| a.left_operand == AGGREGATION_THRESHOLD)
        .filter_map(|a| {
            let k = a.right_operand.to_string().trim().parse::<u64>().ok()?;
            match a.operator {
                Operator::Gteq | Operator::Eq => Some(k),
                Operator::Gt => k.checked_add(1),
                _ => None,
            }
        })
        .max()
        .unwrap_or(DEFAULT_MIN_GROUP_SIZE)
}

/// The number the next answered query under an agreement would have (`answered + 1`): a
/// `Sandbox-QUERY` transfer is not itself a use — its queries are, and an ODRL `count` counts
/// them — so starting one is evaluated as that next query, and counts nothing.
pub(crate) fn next_query_number(
    store: &dyn crate::store::Store,
    agreement_id: &str,
) -> Result<u64, crate::store::StoreError> {
    #[cfg(feature = "sandbox")]
    {
        Ok(crate::sandbox::read_history(store, agreement_id)?.answered() + 1)
    }
    #[cfg(not(feature = "sandbox"))]
    {
        // Without the feature no query is ever answered (such transfers are refused earlier).
        let _ = (store, agreement_id);
        Ok(1)
    }
}

/// The formats the catalog lists for an asset: `Sandbox-QUERY` only for a personal-adjacent
/// one, the ordinary formats otherwise. A build without the feature cannot serve
/// `Sandbox-QUERY` and does not advertise it: it lists a personal-adjacent dataset with the
/// ordinary formats (DSP requires one), so its terms can still be negotiated, and refuses every
/// transfer request for it ([`check_format`]).
pub fn catalog_formats(asset: &Asset) -> Vec<&'static str> {
    let sandbox: Vec<&'static str> = TransferFormat::ALL
        .into_iter()
        .filter(|f| f.direction() == Direction::Query)
        .map(TransferFormat::as_str)
        .collect();
    if asset.personal_adjacent && !sandbox.is_empty() {
        sandbox
    } else {
        crate::assets::FORMATS.to_vec()
    }
}

/// Whether `format` may be used for the dataset: a personal-adjacent dataset only with
/// sandbox access, sandbox access only for a personal-adjacent dataset with a sandbox source.
pub(crate) fn check_format(
    assets: &Assets,
    dataset_id: &str,
    format: TransferFormat,
) -> Result<(), DspFailure> {
    let asset = assets
        .asset(dataset_id)?
        .ok_or_else(|| DspFailure::rejected("withdrawn", "the dataset was withdrawn"))?;
    let query = format.direction() == Direction::Query;
    if asset.personal_adjacent && !query {
        let (de, en) = if cfg!(feature = "sandbox") {
            (
                "fordern Sie das Format Sandbox-QUERY an",
                "request the format Sandbox-QUERY",
            )
        } else {
            (
                "dieser Konnektor wurde ohne Sandbox-Zugriff gebaut und überträgt ihn nicht",
                "this connector was built without sandbox access and serves no transfer of it",
            )
        };
        return Err(DspFailure::rejected(
            "sandbox_only",
            format!(
                "Der Datensatz {dataset_id} ist personennah: er wird nie als Rohdaten \
                 übertragen, nur im Sandbox-Zugriff ausgewertet (Charta GW-6, GW-7); {de}. — \
                 The dataset {dataset_id} is personal-adjacent: it is never transferred as raw \
                 data ({format} refused), only analysed through sandbox access (Charta GW-6, \
                 GW-7); {en}."
            ),
        ));
    }
    if query && !asset.personal_adjacent {
        return Err(DspFailure::rejected(
            "not_sandboxed",
            format!(
                "Der Datensatz {dataset_id} wird nicht im Sandbox-Zugriff angeboten. — The \
                 dataset {dataset_id} is not offered with sandbox access; request HttpData-PULL."
            ),
        ));
    }
    Ok(())
}

/// The data address of a `Sandbox-QUERY` start message: the provider's query endpoint on its
/// DSP port and the access token (bound to transfer, agreement and consumer).
pub(crate) fn query_address(
    data_base_url: &str,
    transfer_id: &str,
    token: &str,
    expires_ms: i64,
) -> crate::dsp::transfer::DataAddress {
    use crate::dsp::transfer::{DataAddress, EndpointProperty};
    let property = |name: &str, value: String| EndpointProperty {
        name: name.into(),
        value,
    };
    DataAddress {
        endpoint_type: super::format::HTTP_ENDPOINT_TYPE.into(),
        endpoint: Some(format!(
            "{}/{transfer_id}/query",
            data_base_url.trim_end_matches('/')
        )),
        endpoint_properties: vec![
            property("authorization", token.to_owned()),
            property("authType", "bearer".into()),
            property(
                "expiresAt",
                chrono::DateTime::from_timestamp_millis(expires_ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
            property("layout", "query".into()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(constraints: &str) -> Policy {
        let json: serde_json::Value = serde_json::from_str(&format!(
            r#"{{"@id": "urn:p", "@type": "Agreement", "permission": [{{"action": "aggregate",
                 "constraint": [{constraints}]}}]}}"#
        ))
        .expect("json");
        contracts::odrl::Policy::from_dsp_json(&json).expect("policy")
    }

    #[test]
    fn personal_adjacent_datasets_list_only_sandbox_access() {
        let mut asset = crate::assets::Asset {
            id: "a".into(),
            title: "t".into(),
            description: String::new(),
            keywords: Vec::new(),
            themes: Vec::new(),
            ags: None,
            license: None,
            publisher: None,
            personal_adjacent: false,
            source: crate::assets::AssetSource::None,
            origin: None,
            created_ms: 0,
            updated_ms: 0,
        };
        assert_eq!(catalog_formats(&asset), crate::assets::FORMATS.to_vec());
        asset.personal_adjacent = true;
        let expected: Vec<&str> = if cfg!(feature = "sandbox") {
            vec!["Sandbox-QUERY"]
        } else {
            crate::assets::FORMATS.to_vec()
        };
        assert_eq!(catalog_formats(&asset), expected);
    }

    #[test]
    fn k_is_the_largest_lower_bound_or_the_default() {
        let gteq = r#"{"leftOperand": "https://w3id.org/gemeinwohl-datenraum/ns#aggregationThreshold",
                       "operator": "gteq", "rightOperand": 10}"#;
        assert_eq!(min_group_size(&policy(gteq)), 10);
        let gt = r#"{"leftOperand": "https://w3id.org/gemeinwohl-datenraum/ns#aggregationThreshold",
                     "operator": "gt", "rightOperand": 6}"#;
        assert_eq!(min_group_size(&policy(&format!("{gteq}, {gt}"))), 10);
        assert_eq!(min_group_size(&policy(gt)), 7);
        let count = r#"{"leftOperand": "count", "operator": "lteq", "rightOperand": 3}"#;
        assert_eq!(min_group_size(&policy(count)), DEFAULT_MIN_GROUP_SIZE);
    }
}
