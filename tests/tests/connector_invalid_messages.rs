//! The 122 labelled schema test messages of DSP 2025-1 (`test-cases/index.json`):
//!
//! 1. every one is judged by the connector's own strict parser exactly as the official
//!    schema judges it (valid parses, invalid is refused with the offending member named);
//! 2. each of the 96 invalid ones, sent to the matching endpoint of a running connector with
//!    a valid token, gets a 400 with the DSP error body of that endpoint — never 5xx, never
//!    accepted.
//!
//! Matching endpoints: a message type goes to the endpoint that receives it; an ODRL policy
//! (`contract-schema`) is sent inside an otherwise valid message — an offer in a
//! `ContractRequestMessage`, an agreement in a `ContractAgreementMessage`; documents that are
//! never request bodies (`ContractNegotiation`, the error types, `Dataset`, version documents,
//! `CatalogError`) go to the endpoint of their protocol area (negotiation events, transfer
//! termination, catalog request).

use std::path::PathBuf;

use connector::dsp::DspMessage;
use connector::dsp::catalog::{Catalog, CatalogError, Dataset};
use connector::dsp::negotiation::*;
use connector::dsp::policy::{Agreement, CatalogOffer, MessageOffer};
use connector::dsp::transfer::*;
use connector::dsp::version::VersionResponse;
use serde_json::{Value, json};
use tests::harness::messages::ctx;
use tests::harness::{ConnectorOptions, Member, Peer, PeerAuth, TestConnector, TestEnv, spec_path};

struct Case {
    file: String,
    schema: String,
    valid: bool,
    json: Value,
}

fn cases() -> Vec<Case> {
    let root = spec_path("dsp-2025-1/test-cases");
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("index.json")).expect("index"))
            .expect("JSON");
    index
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            let file = e["file"].as_str().expect("file").to_owned();
            let path: PathBuf = root.join(&file);
            Case {
                json: serde_json::from_str(&std::fs::read_to_string(&path).expect("case file"))
                    .expect("case JSON"),
                schema: e["schema"].as_str().expect("schema").to_owned(),
                valid: e["expect"] == "valid",
                file,
            }
        })
        .collect()
}

fn parse_policy(v: &Value) -> Result<(), String> {
    let errors = [
        MessageOffer::parse(v, "").map(|_| ()),
        CatalogOffer::parse(v, "").map(|_| ()),
        Agreement::parse(v, "").map(|_| ()),
    ];
    if errors.iter().any(Result::is_ok) {
        Ok(())
    } else {
        Err(errors
            .iter()
            .filter_map(|e| e.as_ref().err())
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" | "))
    }
}

fn parse(schema: &str, v: &Value) -> Result<(), String> {
    fn p<T>(r: Result<T, connector::dsp::DspParseError>) -> Result<(), String> {
        r.map(|_| ()).map_err(|e| e.to_string())
    }
    match schema {
        "catalog/catalog-error-schema.json" => p(CatalogError::from_json(v)),
        "catalog/catalog-schema.json" => p(Catalog::from_json(v)),
        "catalog/dataset-schema.json" => p(Dataset::from_json(v)),
        "common/protocol-version-schema.json" => p(VersionResponse::from_json(v)),
        "negotiation/contract-agreement-message-schema.json" => {
            p(ContractAgreementMessage::from_json(v))
        }
        "negotiation/contract-agreement-verification-message-schema.json" => {
            p(ContractAgreementVerificationMessage::from_json(v))
        }
        "negotiation/contract-negotiation-error-schema.json" => {
            p(ContractNegotiationError::from_json(v))
        }
        "negotiation/contract-negotiation-event-message-schema.json" => {
            p(ContractNegotiationEventMessage::from_json(v))
        }
        "negotiation/contract-negotiation-schema.json" => p(ContractNegotiation::from_json(v)),
        "negotiation/contract-negotiation-termination-message-schema.json" => {
            p(ContractNegotiationTerminationMessage::from_json(v))
        }
        "negotiation/contract-offer-message-schema.json" => p(ContractOfferMessage::from_json(v)),
        "negotiation/contract-request-message-schema.json" => {
            p(ContractRequestMessage::from_json(v))
        }
        "negotiation/contract-schema.json" => parse_policy(v),
        "transfer/data-address-schema.json" => p(DataAddress::parse(v, "")),
        "transfer/transfer-completion-message-schema.json" => {
            p(TransferCompletionMessage::from_json(v))
        }
        "transfer/transfer-error-schema.json" => p(TransferError::from_json(v)),
        "transfer/transfer-process-schema.json" => p(TransferProcess::from_json(v)),
        "transfer/transfer-request-message-schema.json" => p(TransferRequestMessage::from_json(v)),
        // The abstract code message (the base of suspension, termination and error).
        "transfer/transfer-schema.json" => p(TransferTerminationMessage::from_json(v)),
        "transfer/transfer-start-message-schema.json" => p(TransferStartMessage::from_json(v)),
        "transfer/transfer-suspension-message-schema.json" => {
            match v.get("@type").and_then(Value::as_str) {
                Some("TransferTerminationMessage") => p(TransferTerminationMessage::from_json(v)),
                _ => p(TransferSuspensionMessage::from_json(v)),
            }
        }
        "transfer/transfer-termination-message-schema.json" => {
            p(TransferTerminationMessage::from_json(v))
        }
        other => panic!("no parser mapped for {other}"),
    }
}

#[test]
fn connector_parser_judges_all_122_schema_test_messages_like_the_schemas() {
    let all = cases();
    assert_eq!(all.len(), 122);
    let mut wrong = Vec::new();
    for c in &all {
        match (c.valid, parse(&c.schema, &c.json)) {
            (true, Err(e)) => wrong.push(format!("{} is valid but was refused: {e}", c.file)),
            (false, Ok(())) => wrong.push(format!("{} is invalid but was accepted", c.file)),
            (false, Err(e)) => assert!(!e.trim().is_empty(), "{}: empty error", c.file),
            (true, Ok(())) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    println!(
        "dsp-schema-test-messages: {}/122 judged like the schemas",
        all.len()
    );
}

/// The endpoint (relative to `/dsp`) and the body to send for an invalid case, and the
/// error type expected.
fn route(c: &Case) -> (String, Value, &'static str) {
    let folder = c.file.split('/').nth(1).unwrap_or_default();
    let pid = "urn:uuid:00000000-0000-4000-8000-000000000000";
    let v = c.json.clone();
    let has = |k: &str| v.get(k).is_some();
    match folder {
        "CatalogErrorSchemaTest" | "InvalidDatasetSchemaTest" | "InvalidVersionSchemaTest" => {
            ("catalog/request".into(), v, "CatalogError")
        }
        "InvalidContractAgreementMessageSchemaTest" => (
            format!("negotiations/{pid}/agreement"),
            v,
            "ContractNegotiationError",
        ),
        "InvalidContractAgreementVerificationMessageSchemaTest" => (
            format!("negotiations/{pid}/agreement/verification"),
            v,
            "ContractNegotiationError",
        ),
        "InvalidContractNegotiationErrorSchemaTest"
        | "InvalidContractNegotiationEventMessageSchemaTest"
        | "InvalidContractNegotiationSchemaTest" => (
            format!("negotiations/{pid}/events"),
            v,
            "ContractNegotiationError",
        ),
        "InvalidContractNegotiationTerminationMessageSchemaTest" => (
            format!("negotiations/{pid}/termination"),
            v,
            "ContractNegotiationError",
        ),
        "InvalidContractOfferMessageSchemaTest" => {
            if has("consumerPid") {
                (
                    format!("negotiations/{pid}/offers"),
                    v,
                    "ContractNegotiationError",
                )
            } else {
                ("negotiations/offers".into(), v, "ContractNegotiationError")
            }
        }
        "InvalidContractRequestMessageSchemaTest" => {
            if has("providerPid") {
                (
                    format!("negotiations/{pid}/request"),
                    v,
                    "ContractNegotiationError",
                )
            } else {
                ("negotiations/request".into(), v, "ContractNegotiationError")
            }
        }
        "InvalidPolicySchemaTest" => (
            "negotiations/request".into(),
            json!({"@context": ctx(), "@type": "ContractRequestMessage", "consumerPid": pid,
                   "offer": v, "callbackAddress": "https://localhost:1/dsp"}),
            "ContractNegotiationError",
        ),
        "AgreementSchemaTest" => (
            format!("negotiations/{pid}/agreement"),
            json!({"@context": ctx(), "@type": "ContractAgreementMessage", "providerPid": pid,
                   "consumerPid": pid, "agreement": v}),
            "ContractNegotiationError",
        ),
        "InvalidTransferCompletionMessageSchemaTest" => {
            (format!("transfers/{pid}/completion"), v, "TransferError")
        }
        "InvalidTransferStartMessageSchemaTest" => {
            (format!("transfers/{pid}/start"), v, "TransferError")
        }
        "InvalidTransferSuspensionMessageSchemaTest" => {
            (format!("transfers/{pid}/suspension"), v, "TransferError")
        }
        "InvalidTransferRequestMessageSchemaTest" => {
            ("transfers/request".into(), v, "TransferError")
        }
        "InvalidTransferTerminationMessageSchemaTest"
        | "InvalidTransferErrorSchemaTest"
        | "InvalidTransferProcessSchemaTest"
        | "InvalidTransferSchemaTest" => {
            (format!("transfers/{pid}/termination"), v, "TransferError")
        }
        other => panic!("no endpoint mapped for {other} ({})", c.file),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_answers_each_of_the_96_invalid_messages_with_400_and_a_dsp_error() {
    let env = TestEnv::new("connector_invalid_messages");
    let c = TestConnector::start(&env, ConnectorOptions::company("provider")).await;
    let peer = Peer::start(
        &env,
        Member::municipality("Stadt Musterstadt", "09162000"),
        PeerAuth::Token,
    )
    .await;
    let invalid: Vec<Case> = cases().into_iter().filter(|c| !c.valid).collect();
    assert_eq!(invalid.len(), 96);
    let mut wrong = Vec::new();
    for case in &invalid {
        let (path, body, error_type) = route(case);
        let (status, answer) = peer.send_unchecked(&c, &path, &body).await;
        if status != 400 {
            wrong.push(format!(
                "{} → /dsp/{path}: HTTP {status} {answer}",
                case.file
            ));
        } else if answer["@type"] != error_type
            || answer["reason"][0].as_str().is_none_or(str::is_empty)
        {
            wrong.push(format!(
                "{} → /dsp/{path}: error body is not a {error_type} with a reason: {answer}",
                case.file
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing was stored.
    let (_, negotiations) = c.get("/api/v1/negotiations").await;
    assert_eq!(negotiations, json!([]));
    println!("dsp-invalid-messages: 96/96 answered with 400 and a DSP error body");
}
