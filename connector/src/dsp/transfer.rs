//! Transfer process messages (DSP 2025-1, `transfer/*-schema.json`).
//!
//! Parsing and serialisation only; the transfer process itself lives in [`crate::transfer`].

use serde_json::{Map, Value};

use super::reader::{Obj, message_root};
use super::{DspMessage, DspParseError, context};

/// The states of a transfer process.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransferState {
    /// Requested by the consumer.
    Requested,
    /// Started by the provider (or resumed).
    Started,
    /// Terminated by either party.
    Terminated,
    /// Completed.
    Completed,
    /// Suspended by either party.
    Suspended,
}

impl TransferState {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "REQUESTED",
            Self::Started => "STARTED",
            Self::Terminated => "TERMINATED",
            Self::Completed => "COMPLETED",
            Self::Suspended => "SUSPENDED",
        }
    }

    /// Parses the name on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "REQUESTED" => Self::Requested,
            "STARTED" => Self::Started,
            "TERMINATED" => Self::Terminated,
            "COMPLETED" => Self::Completed,
            "SUSPENDED" => Self::Suspended,
            _ => return None,
        })
    }
}

impl std::fmt::Display for TransferState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `EndpointProperty` of a data address.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointProperty {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A `DataAddress`: where and how data is fetched or pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct DataAddress {
    /// `endpointType`.
    pub endpoint_type: String,
    /// `endpoint`, when given.
    pub endpoint: Option<String>,
    /// `endpointProperties`.
    pub endpoint_properties: Vec<EndpointProperty>,
}

impl DataAddress {
    /// Parses a data address at `path`.
    pub fn parse(value: &Value, path: &str) -> Result<Self, DspParseError> {
        let o = Obj::new(value, path)?;
        o.require_type("DataAddress")?;
        let endpoint_type = o.req_str("endpointType")?.to_owned();
        let endpoint = o.opt_str("endpoint")?.map(str::to_owned);
        let mut endpoint_properties = Vec::new();
        if let Some(items) = o.opt_nonempty_array("endpointProperties")? {
            let ppath = o.path_of("endpointProperties");
            for (i, item) in items.iter().enumerate() {
                let ip = format!("{ppath}[{i}]");
                let p = Obj::new(item, &ip)?;
                p.require_type("EndpointProperty")?;
                endpoint_properties.push(EndpointProperty {
                    name: p.req_str("name")?.to_owned(),
                    value: p.req_str("value")?.to_owned(),
                });
            }
        }
        Ok(Self {
            endpoint_type,
            endpoint,
            endpoint_properties,
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("@type".into(), "DataAddress".into());
        m.insert("endpointType".into(), self.endpoint_type.clone().into());
        if let Some(e) = &self.endpoint {
            m.insert("endpoint".into(), e.clone().into());
        }
        if !self.endpoint_properties.is_empty() {
            m.insert(
                "endpointProperties".into(),
                Value::Array(
                    self.endpoint_properties
                        .iter()
                        .map(|p| {
                            serde_json::json!({"@type": "EndpointProperty", "name": p.name,
                                               "value": p.value})
                        })
                        .collect(),
                ),
            );
        }
        Value::Object(m)
    }
}

fn base(type_: &str, provider_pid: Option<&str>, consumer_pid: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("@context".into(), context());
    m.insert("@type".into(), type_.into());
    if let Some(p) = provider_pid {
        m.insert("providerPid".into(), p.into());
    }
    m.insert("consumerPid".into(), consumer_pid.into());
    m
}

/// `TransferRequestMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferRequestMessage {
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The agreement the transfer is based on.
    pub agreement_id: String,
    /// The transfer format, e.g. `HttpData-PULL`.
    pub format: String,
    /// Where to push data (push transfers).
    pub data_address: Option<DataAddress>,
    /// Where the provider sends callbacks.
    pub callback_address: String,
}

impl DspMessage for TransferRequestMessage {
    const TYPE: &'static str = "TransferRequestMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let consumer_pid = o.req_id("consumerPid")?.to_owned();
        let agreement_id = o.req_id("agreementId")?.to_owned();
        let format = o.req_id("format")?.to_owned();
        let data_address = match o.get("dataAddress") {
            Some(v) => Some(DataAddress::parse(v, "dataAddress")?),
            None => None,
        };
        let callback_address = o.req_id("callbackAddress")?.to_owned();
        Ok(Self {
            consumer_pid,
            agreement_id,
            format,
            data_address,
            callback_address,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE, None, &self.consumer_pid);
        m.insert("agreementId".into(), self.agreement_id.clone().into());
        m.insert("format".into(), self.format.clone().into());
        if let Some(d) = &self.data_address {
            m.insert("dataAddress".into(), d.to_json());
        }
        m.insert(
            "callbackAddress".into(),
            self.callback_address.clone().into(),
        );
        Value::Object(m)
    }
}

/// `TransferStartMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferStartMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// Where to pull data (pull transfers).
    pub data_address: Option<DataAddress>,
}

impl DspMessage for TransferStartMessage {
    const TYPE: &'static str = "TransferStartMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            provider_pid: o.req_id("providerPid")?.to_owned(),
            consumer_pid: o.req_id("consumerPid")?.to_owned(),
            data_address: match o.get("dataAddress") {
                Some(v) => Some(DataAddress::parse(v, "dataAddress")?),
                None => None,
            },
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE, Some(&self.provider_pid), &self.consumer_pid);
        if let Some(d) = &self.data_address {
            m.insert("dataAddress".into(), d.to_json());
        }
        Value::Object(m)
    }
}

/// `TransferCompletionMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferCompletionMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
}

impl DspMessage for TransferCompletionMessage {
    const TYPE: &'static str = "TransferCompletionMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            provider_pid: o.req_id("providerPid")?.to_owned(),
            consumer_pid: o.req_id("consumerPid")?.to_owned(),
        })
    }

    fn to_json(&self) -> Value {
        Value::Object(base(
            Self::TYPE,
            Some(&self.provider_pid),
            &self.consumer_pid,
        ))
    }
}

/// The shape shared by suspension, termination and error: pids, optional code and reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferCodeMessage {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// An optional code.
    pub code: Option<String>,
    /// Reasons.
    pub reason: Vec<Value>,
}

impl TransferCodeMessage {
    fn parse(value: &Value, type_: &str) -> Result<Self, DspParseError> {
        let o = message_root(value, type_)?;
        Ok(Self {
            provider_pid: o.req_id("providerPid")?.to_owned(),
            consumer_pid: o.req_id("consumerPid")?.to_owned(),
            code: o.opt_str("code")?.map(str::to_owned),
            reason: o.opt_reason()?,
        })
    }

    fn write(&self, type_: &str) -> Value {
        let mut m = base(type_, Some(&self.provider_pid), &self.consumer_pid);
        if let Some(c) = &self.code {
            m.insert("code".into(), c.clone().into());
        }
        if !self.reason.is_empty() {
            m.insert("reason".into(), Value::Array(self.reason.clone()));
        }
        Value::Object(m)
    }
}

macro_rules! code_message {
    ($(#[$doc:meta])* $name:ident, $type_:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub TransferCodeMessage);

        impl DspMessage for $name {
            const TYPE: &'static str = $type_;
            fn from_json(value: &Value) -> Result<Self, DspParseError> {
                TransferCodeMessage::parse(value, Self::TYPE).map(Self)
            }
            fn to_json(&self) -> Value {
                self.0.write(Self::TYPE)
            }
        }
    };
}

code_message!(
    /// `TransferSuspensionMessage`.
    TransferSuspensionMessage,
    "TransferSuspensionMessage"
);
code_message!(
    /// `TransferTerminationMessage`.
    TransferTerminationMessage,
    "TransferTerminationMessage"
);
code_message!(
    /// `TransferError`: the body of every 4xx answer on the transfer endpoints.
    TransferError,
    "TransferError"
);

/// `TransferProcess`: the acknowledgement and state of a transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferProcess {
    /// The provider's process id.
    pub provider_pid: String,
    /// The consumer's process id.
    pub consumer_pid: String,
    /// The state.
    pub state: TransferState,
}

impl DspMessage for TransferProcess {
    const TYPE: &'static str = "TransferProcess";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        let provider_pid = o.req_id("providerPid")?.to_owned();
        let consumer_pid = o.req_id("consumerPid")?.to_owned();
        let s = o.req_str("state")?;
        let state = TransferState::parse(s).ok_or_else(|| {
            DspParseError::new("state", format!("{s:?} is not a transfer process state"))
        })?;
        Ok(Self {
            provider_pid,
            consumer_pid,
            state,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = base(Self::TYPE, Some(&self.provider_pid), &self.consumer_pid);
        m.insert("state".into(), self.state.as_str().into());
        Value::Object(m)
    }
}
