//! Contract negotiation messages (DSP 2025-1, `negotiation/*-schema.json`).

use serde_json::{Map, Value, json};

use super::policy::{Agreement, MessageOffer};
use super::reader::message_root;
use super::{DspMessage, DspParseError, context};

/// The IRI of the extension member carrying a party's detached JWS over an agreement. DSP does
/// not define agreement signatures; a full IRI keeps the member unambiguous for JSON-LD
/// processors and the message valid against the DSP schemas.
pub const SIGNATURE_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#agreementSignature";

/// The states of a contract negotiation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NegotiationState {
    /// The consumer requested (and the provider acknowledged).
    Requested,
    /// The provider offered (and the consumer acknowledged).
    Offered,
    /// The consumer accepted the provider's latest offer.
    Accepted,
    /// The provider sent an agreement.
    Agreed,
    /// The consumer verified the agreement.
    Verified,
    /// The provider finalized: the agreement is in force.
    Finalized,
    /// Either party terminated.
    Terminated,
}

impl NegotiationState {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "REQUESTED",
            Self::Offered => "OFFERED",
            Self::Accepted => "ACCEPTED",
            Self::Agreed => "AGREED",
            Self::Verified => "VERIFIED",
            Self::Finalized => "FINALIZED",
            Self::Terminated => "TERMINATED",
        }
    }

    /// Parses the name on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "REQUESTED" => Self::Requested,
            "OFFERED" => Self::Offered,
            "ACCEPTED" => Self::Accepted,
            "AGREED" => Self::Agreed,
            "VERIFIED" => Self::Verified,
            "FINALIZED" => Self::Finalized,
            "TERMINATED" => Self::Terminated,
            _ => return None,
        })
    }

    /// True for FINALIZED and TERMINATED.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Finalized | Self::Terminated)
    }
}

impl std::fmt::Display for NegotiationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn base(type_: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("@context".into(), context());
    m.insert("@type".into(), type_.into());
    m
}

fn opt_insert(m: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(key.into(), v.clone().into());
    }
}

/// `ContractRequestMessage`: the consumer requests (or counter-offers).
#[derive(Debug, Clone, PartialEq)]
pub struct ContractRequestMessage {
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The provider's process id (absent in the initial request).
    pub provider_pid: Option<String>,
    /// The offer requested.
    pub offer: MessageOffer,
    /// Where the provider sends callbacks (initial request only).
    pub callback_address: Option<String>,
}

impl DspMessage for ContractRequestMessage {
    const TYPE: &'static str = "ContractRequestMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let consumer_pid = o.req_id("consumerPid")?.to_owned();
        let provider_pid = o.opt_id("providerPid")?.map(str::to_owned);
        let offer_value = o
            .get("offer")
            .ok_or_else(|| DspParseError::new("offer", "is required"))?;
        let offer = MessageOffer::parse(offer_value, "offer")?;
        let callback_address = o.opt_id("callbackAddress")?.map(str::to_owned);
        o.exactly_one_of("callbackAddress", "providerPid")?;
        Ok(Self {
            consumer_pid,
            provider_pid,
            offer,
            callback_address,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        opt_insert(&mut m, "providerPid", &self.provider_pid);
        m.insert("consumerPid".into(), self.consumer_pid.clone().into());
        m.insert("offer".into(), self.offer.json.clone());
        opt_insert(&mut m, "callbackAddress", &self.callback_address);
        Value::Object(m)
    }
}

/// `ContractOfferMessage`: the provider offers (initially or as a counter-offer).
#[derive(Debug, Clone, PartialEq)]
pub struct ContractOfferMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id (absent when the provider initiates).
    pub consumer_pid: Option<String>,
    /// The offer, with `@id` and `target`.
    pub offer: MessageOffer,
    /// Where the consumer sends messages (provider-initiated negotiations only).
    pub callback_address: Option<String>,
}

impl DspMessage for ContractOfferMessage {
    const TYPE: &'static str = "ContractOfferMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let provider_pid = o.req_id("providerPid")?.to_owned();
        let consumer_pid = o.opt_id("consumerPid")?.map(str::to_owned);
        let offer_value = o
            .get("offer")
            .ok_or_else(|| DspParseError::new("offer", "is required"))?;
        let offer = MessageOffer::parse_with_target(offer_value, "offer")?;
        let callback_address = o.opt_id("callbackAddress")?.map(str::to_owned);
        o.exactly_one_of("callbackAddress", "consumerPid")?;
        Ok(Self {
            provider_pid,
            consumer_pid,
            offer,
            callback_address,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        m.insert("providerPid".into(), self.provider_pid.clone().into());
        opt_insert(&mut m, "consumerPid", &self.consumer_pid);
        m.insert("offer".into(), self.offer.json.clone());
        opt_insert(&mut m, "callbackAddress", &self.callback_address);
        Value::Object(m)
    }
}

/// `ContractAgreementMessage`: the provider sends the agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractAgreementMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The agreement (it may carry the provider's signature as an extension member).
    pub agreement: Agreement,
    /// The summary the provider proposes for the public register
    /// ([`crate::federation::register::SUMMARY_MEMBER`]), when it proposes one.
    pub register_summary: Option<Value>,
}

impl DspMessage for ContractAgreementMessage {
    const TYPE: &'static str = "ContractAgreementMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let provider_pid = o.req_id("providerPid")?.to_owned();
        let consumer_pid = o.req_id("consumerPid")?.to_owned();
        let agreement_value = o
            .get("agreement")
            .ok_or_else(|| DspParseError::new("agreement", "is required"))?;
        let agreement = Agreement::parse(agreement_value, "agreement")?;
        let register_summary = match o.get(crate::federation::register::SUMMARY_MEMBER) {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(_) => {
                return Err(DspParseError::new(
                    crate::federation::register::SUMMARY_MEMBER,
                    "must be an object",
                ));
            }
        };
        Ok(Self {
            provider_pid,
            consumer_pid,
            agreement,
            register_summary,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        m.insert("providerPid".into(), self.provider_pid.clone().into());
        m.insert("consumerPid".into(), self.consumer_pid.clone().into());
        m.insert("agreement".into(), self.agreement.json.clone());
        if let Some(s) = &self.register_summary {
            m.insert(
                crate::federation::register::SUMMARY_MEMBER.into(),
                s.clone(),
            );
        }
        Value::Object(m)
    }
}

/// `ContractAgreementVerificationMessage`: the consumer verifies the agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractAgreementVerificationMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The consumer's detached JWS over the agreement ([`SIGNATURE_MEMBER`]), when it signs.
    pub signature: Option<String>,
    /// The consumer's detached JWS over the register summary
    /// ([`crate::federation::register::SIGNATURE_MEMBER`]), when it signs one.
    pub register_signature: Option<String>,
}

impl DspMessage for ContractAgreementVerificationMessage {
    const TYPE: &'static str = "ContractAgreementVerificationMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            provider_pid: o.req_id("providerPid")?.to_owned(),
            consumer_pid: o.req_id("consumerPid")?.to_owned(),
            signature: o.opt_id(SIGNATURE_MEMBER)?.map(str::to_owned),
            register_signature: o
                .opt_id(crate::federation::register::SIGNATURE_MEMBER)?
                .map(str::to_owned),
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        m.insert("providerPid".into(), self.provider_pid.clone().into());
        m.insert("consumerPid".into(), self.consumer_pid.clone().into());
        opt_insert(&mut m, SIGNATURE_MEMBER, &self.signature);
        opt_insert(
            &mut m,
            crate::federation::register::SIGNATURE_MEMBER,
            &self.register_signature,
        );
        Value::Object(m)
    }
}

/// The event types of a `ContractNegotiationEventMessage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegotiationEvent {
    /// The consumer accepts the provider's latest offer.
    Accepted,
    /// The provider finalizes the agreement.
    Finalized,
}

/// `ContractNegotiationEventMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractNegotiationEventMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The event.
    pub event_type: NegotiationEvent,
}

impl DspMessage for ContractNegotiationEventMessage {
    const TYPE: &'static str = "ContractNegotiationEventMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let provider_pid = o.req_id("providerPid")?.to_owned();
        let consumer_pid = o.req_id("consumerPid")?.to_owned();
        let event_type = match o.req_str("eventType")? {
            "ACCEPTED" => NegotiationEvent::Accepted,
            "FINALIZED" => NegotiationEvent::Finalized,
            other => {
                return Err(DspParseError::new(
                    "eventType",
                    format!("must be ACCEPTED or FINALIZED, found {other:?}"),
                ));
            }
        };
        Ok(Self {
            provider_pid,
            consumer_pid,
            event_type,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        m.insert("providerPid".into(), self.provider_pid.clone().into());
        m.insert("consumerPid".into(), self.consumer_pid.clone().into());
        m.insert(
            "eventType".into(),
            match self.event_type {
                NegotiationEvent::Accepted => "ACCEPTED",
                NegotiationEvent::Finalized => "FINALIZED",
            }
            .into(),
        );
        Value::Object(m)
    }
}

/// `ContractNegotiationTerminationMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractNegotiationTerminationMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// An optional code.
    pub code: Option<String>,
    /// Reasons (any JSON; this connector sends strings, German first, then English).
    pub reason: Vec<Value>,
}

impl DspMessage for ContractNegotiationTerminationMessage {
    const TYPE: &'static str = "ContractNegotiationTerminationMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            provider_pid: o.req_id("providerPid")?.to_owned(),
            consumer_pid: o.req_id("consumerPid")?.to_owned(),
            code: o.opt_str("code")?.map(str::to_owned),
            reason: o.opt_reason()?,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        m.insert("providerPid".into(), self.provider_pid.clone().into());
        m.insert("consumerPid".into(), self.consumer_pid.clone().into());
        opt_insert(&mut m, "code", &self.code);
        if !self.reason.is_empty() {
            m.insert("reason".into(), Value::Array(self.reason.clone()));
        }
        Value::Object(m)
    }
}

/// `ContractNegotiation`: the acknowledgement and the state of a negotiation.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractNegotiation {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The state.
    pub state: NegotiationState,
}

impl DspMessage for ContractNegotiation {
    const TYPE: &'static str = "ContractNegotiation";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let provider_pid = o.req_id("providerPid")?.to_owned();
        let consumer_pid = o.req_id("consumerPid")?.to_owned();
        let state_str = o.req_str("state")?;
        let state = NegotiationState::parse(state_str).ok_or_else(|| {
            DspParseError::new(
                "state",
                format!("{state_str:?} is not a contract negotiation state"),
            )
        })?;
        Ok(Self {
            provider_pid,
            consumer_pid,
            state,
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "@context": context(),
            "@type": Self::TYPE,
            "providerPid": self.provider_pid,
            "consumerPid": self.consumer_pid,
            "state": self.state.as_str(),
        })
    }
}

/// `ContractNegotiationError`: the body of every 4xx answer on the negotiation endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractNegotiationError {
    /// The provider's process id as far as known (empty when the request named none).
    pub provider_pid: String,
    /// The consumer's process id as far as known (empty when the request named none).
    pub consumer_pid: String,
    /// The HTTP status or a finer code.
    pub code: Option<String>,
    /// Human-readable reasons.
    pub reason: Vec<Value>,
}

impl DspMessage for ContractNegotiationError {
    const TYPE: &'static str = "ContractNegotiationError";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            provider_pid: o.req_str("providerPid")?.to_owned(),
            consumer_pid: o.req_str("consumerPid")?.to_owned(),
            code: o.opt_str("code")?.map(str::to_owned),
            reason: o.opt_reason()?,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE);
        m.insert("providerPid".into(), self.provider_pid.clone().into());
        m.insert("consumerPid".into(), self.consumer_pid.clone().into());
        opt_insert(&mut m, "code", &self.code);
        if !self.reason.is_empty() {
            m.insert("reason".into(), Value::Array(self.reason.clone()));
        }
        Value::Object(m)
    }
}

/// Reads reasons as text: strings as they are, objects by their `message`/`@value` member,
/// anything else as JSON.
pub fn reason_texts(reason: &[Value]) -> Vec<String> {
    reason
        .iter()
        .map(|r| match r {
            Value::String(s) => s.clone(),
            Value::Object(o) => o
                .get("message")
                .or_else(|| o.get("@value"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| r.to_string()),
            other => other.to_string(),
        })
        .collect()
}

/// Checks the process ids of a message against those of the negotiation it was posted to.
pub fn check_pids(
    message_provider_pid: &str,
    message_consumer_pid: &str,
    expected_provider_pid: Option<&str>,
    expected_consumer_pid: &str,
) -> Result<(), DspParseError> {
    if message_consumer_pid != expected_consumer_pid {
        return Err(DspParseError::new(
            "consumerPid",
            "does not match the negotiation this message was sent to",
        ));
    }
    if let Some(expected) = expected_provider_pid
        && message_provider_pid != expected
    {
        return Err(DspParseError::new(
            "providerPid",
            "does not match the negotiation this message was sent to",
        ));
    }
    Ok(())
}
