//! Dataspace Protocol 2025-1 messages: strict parsing and serialisation.
//!
//! Every message type has a `from_json` that checks exactly the rules of its official JSON
//! Schema (required members, `@context` containing the DSP context, the `@type` constant,
//! enumerations, `oneOf` alternatives, the ODRL policy shapes) and fails with a
//! [`DspParseError`] naming the offending member by its JSON path (e.g.
//! `offer.permission[0].constraint[1].operator`). Unknown members are allowed, as the schemas
//! allow them. `to_json` writes the compact JSON-LD form with the bundled context; no remote
//! context is ever fetched.
//!
//! ```
//! use connector::dsp::{DspMessage, negotiation::ContractNegotiationEventMessage};
//! let json = serde_json::json!({
//!     "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
//!     "@type": "ContractNegotiationEventMessage",
//!     "providerPid": "urn:uuid:p", "consumerPid": "urn:uuid:c", "eventType": "FINALIZED"
//! });
//! let msg = ContractNegotiationEventMessage::from_json(&json).unwrap();
//! assert_eq!(msg.to_json(), json);
//! let bad = serde_json::json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
//!     "@type": "ContractNegotiationEventMessage", "providerPid": "p", "consumerPid": "c",
//!     "eventType": "INVALID"});
//! let err = ContractNegotiationEventMessage::from_json(&bad).unwrap_err();
//! assert_eq!(err.field, "eventType");
//! ```

pub mod catalog;
pub mod negotiation;
pub mod policy;
mod reader;
pub mod transfer;
pub mod version;

pub use reader::DspParseError;

/// The DSP 2025-1 JSON-LD context IRI every message carries.
pub const DSP_CONTEXT: &str = "https://w3id.org/dspace/2025/1/context.jsonld";

/// The protocol version this connector speaks.
pub const PROTOCOL_VERSION: &str = "2025-1";

/// A DSP message with a fixed `@type`.
pub trait DspMessage: Sized {
    /// The message's `@type`.
    const TYPE: &'static str;
    /// Parses strictly; the error names the member that violates the schema.
    fn from_json(value: &serde_json::Value) -> Result<Self, DspParseError>;
    /// The compact JSON-LD form.
    fn to_json(&self) -> serde_json::Value;
}

/// The `@context` value written into every message.
pub fn context() -> serde_json::Value {
    serde_json::json!([DSP_CONTEXT])
}

/// Reads the `@type` of a JSON object without validating anything else (for dispatching and
/// diagnostics).
pub fn peek_type(value: &serde_json::Value) -> Option<&str> {
    match value.get("@type")? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Array(a) => a.first()?.as_str(),
        _ => None,
    }
}
