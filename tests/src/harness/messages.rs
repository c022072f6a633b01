//! DSP 2025-1 messages as the tests send them (the same shapes the TCK sends).

use serde_json::{Value, json};

/// The DSP context.
pub fn ctx() -> Value {
    json!(["https://w3id.org/dspace/2025/1/context.jsonld"])
}

/// A fresh message id (the TCK gives every message one; a repeated message is then a new
/// message, not a redelivery).
fn msg_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// A minimal offer (`use`, no constraints) for dataset `target`.
pub fn offer(id: &str, target: &str) -> Value {
    json!({"@id": id, "@type": "Offer", "target": target, "permission": [{"action": "use", "constraint": []}]})
}

/// An initial `ContractRequestMessage`.
pub fn contract_request(consumer_pid: &str, offer: Value, callback: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractRequestMessage", "consumerPid": consumer_pid,
           "offer": offer, "callbackAddress": callback})
}

/// A counter `ContractRequestMessage`.
pub fn counter_request(provider_pid: &str, consumer_pid: &str, offer: Value) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractRequestMessage", "providerPid": provider_pid,
           "consumerPid": consumer_pid, "offer": offer})
}

/// A `ContractOfferMessage` in a running negotiation.
pub fn contract_offer(provider_pid: &str, consumer_pid: &str, offer: Value) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractOfferMessage", "providerPid": provider_pid,
           "consumerPid": consumer_pid, "offer": offer})
}

/// A `ContractAgreementMessage` with an unsigned agreement (as the TCK sends it).
pub fn contract_agreement(
    provider_pid: &str,
    consumer_pid: &str,
    target: &str,
    assigner: &str,
    assignee: &str,
) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractAgreementMessage", "providerPid": provider_pid,
           "consumerPid": consumer_pid,
           "agreement": {"@id": format!("urn:uuid:{}", uuid::Uuid::new_v4()), "@type": "Agreement",
                         "target": target, "assigner": assigner, "assignee": assignee,
                         "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                         "permission": [{"action": "use", "constraint": []}]}})
}

/// A `ContractNegotiationEventMessage` (`ACCEPTED` or `FINALIZED`).
pub fn event(provider_pid: &str, consumer_pid: &str, event_type: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractNegotiationEventMessage", "providerPid": provider_pid,
           "consumerPid": consumer_pid, "eventType": event_type})
}

/// A `ContractAgreementVerificationMessage`.
pub fn verification(provider_pid: &str, consumer_pid: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractAgreementVerificationMessage",
           "providerPid": provider_pid, "consumerPid": consumer_pid})
}

/// A `ContractNegotiationTerminationMessage`.
pub fn termination(provider_pid: &str, consumer_pid: &str, reason: &str) -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "ContractNegotiationTerminationMessage",
           "providerPid": provider_pid, "consumerPid": consumer_pid, "code": "1",
           "reason": [reason]})
}

/// A `CatalogRequestMessage`.
pub fn catalog_request() -> Value {
    json!({"@context": ctx(), "@id": msg_id(), "@type": "CatalogRequestMessage", "filter": []})
}
