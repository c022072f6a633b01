//! Catalog protocol messages (DSP 2025-1, `catalog/*-schema.json`).

use serde_json::{Map, Value, json};

use super::policy::CatalogOffer;
use super::reader::{Obj, message_root};
use super::{DspMessage, DspParseError, context};

/// `CatalogRequestMessage`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CatalogRequestMessage {
    /// Implementation-specific filter expressions (this connector ignores them and says so in
    /// its documentation: every visible dataset is returned).
    pub filter: Vec<Value>,
}

impl DspMessage for CatalogRequestMessage {
    const TYPE: &'static str = "CatalogRequestMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            filter: o.opt_array("filter")?.cloned().unwrap_or_default(),
        })
    }

    fn to_json(&self) -> Value {
        json!({"@context": context(), "@type": Self::TYPE, "filter": self.filter})
    }
}

/// `DatasetRequestMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRequestMessage {
    /// The dataset id.
    pub dataset: String,
}

impl DspMessage for DatasetRequestMessage {
    const TYPE: &'static str = "DatasetRequestMessage";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            dataset: o.req_id("dataset")?.to_owned(),
        })
    }

    fn to_json(&self) -> Value {
        json!({"@context": context(), "@type": Self::TYPE, "dataset": self.dataset})
    }
}

/// A distribution of a dataset: a transfer format and the service delivering it.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// The transfer format, e.g. `HttpData-PULL`.
    pub format: String,
    /// The `@id` of the data service.
    pub access_service: String,
}

/// A dataset with the offers the requester may see.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `@id`.
    pub id: String,
    /// The offers (`hasPolicy`), each an ODRL offer without target.
    pub offers: Vec<CatalogOffer>,
    /// The distributions.
    pub distributions: Vec<Distribution>,
    /// Descriptive members (`dct:title`, `dct:description`, `dcat:keyword`, `dcat:theme`,
    /// `dct:spatial`, `dct:license`, …) copied into the JSON as they are.
    pub properties: Map<String, Value>,
}

impl Dataset {
    fn to_object(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("@id".into(), self.id.clone().into());
        m.insert("@type".into(), "Dataset".into());
        for (k, v) in &self.properties {
            m.insert(k.clone(), v.clone());
        }
        m.insert(
            "hasPolicy".into(),
            Value::Array(self.offers.iter().map(|o| o.json.clone()).collect()),
        );
        m.insert(
            "distribution".into(),
            Value::Array(
                self.distributions
                    .iter()
                    .map(|d| {
                        json!({"@type": "Distribution", "format": d.format,
                               "accessService": d.access_service})
                    })
                    .collect(),
            ),
        );
        m
    }

    /// The dataset as the answer to a dataset request (with `@context`).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("@context".into(), context());
        m.extend(self.to_object());
        Value::Object(m)
    }

    /// Parses a dataset at `path` (inside a catalog, no `@context` needed).
    pub fn parse(value: &Value, path: &str) -> Result<Self, DspParseError> {
        let o = Obj::new(value, path)?;
        let id = o.req_id("@id")?.to_owned();
        if o.has("@type") {
            o.require_type("Dataset")?;
        }
        let policies = o
            .opt_nonempty_array("hasPolicy")?
            .ok_or_else(|| DspParseError::new(o.path_of("hasPolicy"), "is required"))?;
        let ppath = o.path_of("hasPolicy");
        let offers = policies
            .iter()
            .enumerate()
            .map(|(i, p)| CatalogOffer::parse(p, &format!("{ppath}[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let dists = o
            .opt_nonempty_array("distribution")?
            .ok_or_else(|| DspParseError::new(o.path_of("distribution"), "is required"))?;
        let dpath = o.path_of("distribution");
        let mut distributions = Vec::with_capacity(dists.len());
        for (i, d) in dists.iter().enumerate() {
            let dp = format!("{dpath}[{i}]");
            let dobj = Obj::new(d, &dp)?;
            let format = dobj.req_str("format")?.to_owned();
            let access_service = match dobj.get("accessService") {
                Some(Value::String(s)) => s.clone(),
                Some(service @ Value::Object(_)) => {
                    parse_data_service(service, &dobj.path_of("accessService"))?.0
                }
                Some(_) => {
                    return Err(DspParseError::new(
                        dobj.path_of("accessService"),
                        "must be a string or a DataService object",
                    ));
                }
                None => {
                    return Err(DspParseError::new(
                        dobj.path_of("accessService"),
                        "is required",
                    ));
                }
            };
            distributions.push(Distribution {
                format,
                access_service,
            });
        }
        let mut properties = Map::new();
        if let Value::Object(all) = value {
            for (k, v) in all {
                if !matches!(
                    k.as_str(),
                    "@id" | "@type" | "@context" | "hasPolicy" | "distribution"
                ) {
                    properties.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(Self {
            id,
            offers,
            distributions,
            properties,
        })
    }

    /// Parses the answer to a dataset request (with `@context`).
    pub fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = Obj::new(value, "")?;
        o.require_context()?;
        Self::parse(value, "")
    }

    /// A descriptive string member such as `dct:title`, if present as a string or
    /// `{"@value": …}`.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.properties.get(key)? {
            Value::String(s) => Some(s),
            Value::Object(o) => o.get("@value")?.as_str(),
            Value::Array(a) => a.iter().find_map(|v| match v {
                Value::String(s) => Some(s.as_str()),
                Value::Object(o) => o.get("@value").and_then(Value::as_str),
                _ => None,
            }),
            _ => None,
        }
    }
}

fn parse_data_service(value: &Value, path: &str) -> Result<(String, String), DspParseError> {
    let o = Obj::new(value, path)?;
    let id = o.req_id("@id")?.to_owned();
    o.require_type("DataService")?;
    let url = o.req_str("endpointURL")?.to_owned();
    Ok((id, url))
}

/// A data service: where the datasets' negotiations and transfers happen.
#[derive(Debug, Clone, PartialEq)]
pub struct DataService {
    /// `@id`.
    pub id: String,
    /// `endpointURL`, the DSP base URL.
    pub endpoint_url: String,
}

/// `Catalog`: the answer to a catalog request.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// `@id`.
    pub id: String,
    /// `participantId`: the provider's identifier (its DID).
    pub participant_id: String,
    /// The data services.
    pub services: Vec<DataService>,
    /// The datasets visible to the requester.
    pub datasets: Vec<Dataset>,
}

impl Catalog {
    /// The compact JSON-LD form. An empty catalog omits `dataset` (the schema requires at
    /// least one item when present).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("@context".into(), context());
        m.insert("@id".into(), self.id.clone().into());
        m.insert("@type".into(), "Catalog".into());
        m.insert("participantId".into(), self.participant_id.clone().into());
        if !self.services.is_empty() {
            m.insert(
                "service".into(),
                Value::Array(
                    self.services
                        .iter()
                        .map(|s| {
                            json!({"@id": s.id, "@type": "DataService",
                                   "endpointURL": s.endpoint_url})
                        })
                        .collect(),
                ),
            );
        }
        if !self.datasets.is_empty() {
            m.insert(
                "dataset".into(),
                Value::Array(
                    self.datasets
                        .iter()
                        .map(|d| Value::Object(d.to_object()))
                        .collect(),
                ),
            );
        }
        Value::Object(m)
    }

    /// Parses a catalog received from another connector.
    pub fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = Obj::new(value, "")?;
        o.require_context()?;
        o.require_type("Catalog")?;
        let id = o.req_id("@id")?.to_owned();
        let participant_id = o.req_id("participantId")?.to_owned();
        if o.has("hasPolicy") {
            return Err(DspParseError::new(
                "hasPolicy",
                "a catalog itself must not carry policies",
            ));
        }
        let mut services = Vec::new();
        if let Some(items) = o.opt_nonempty_array("service")? {
            for (i, s) in items.iter().enumerate() {
                let (id, endpoint_url) = parse_data_service(s, &format!("service[{i}]"))?;
                services.push(DataService { id, endpoint_url });
            }
        }
        let mut datasets = Vec::new();
        if let Some(items) = o.opt_nonempty_array("dataset")? {
            for (i, d) in items.iter().enumerate() {
                datasets.push(Dataset::parse(d, &format!("dataset[{i}]"))?);
            }
        }
        Ok(Self {
            id,
            participant_id,
            services,
            datasets,
        })
    }
}

/// `CatalogError`: the body of every 4xx answer on the catalog endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogError {
    /// The HTTP status or a finer code.
    pub code: Option<String>,
    /// Human-readable reasons.
    pub reason: Vec<Value>,
}

impl DspMessage for CatalogError {
    const TYPE: &'static str = "CatalogError";

    fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = message_root(value, Self::TYPE)?;
        Ok(Self {
            code: o.opt_str("code")?.map(str::to_owned),
            reason: o.opt_array("reason")?.cloned().unwrap_or_default(),
        })
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("@context".into(), context());
        m.insert("@type".into(), Self::TYPE.into());
        if let Some(code) = &self.code {
            m.insert("code".into(), code.clone().into());
        }
        if !self.reason.is_empty() {
            m.insert("reason".into(), Value::Array(self.reason.clone()));
        }
        Value::Object(m)
    }
}
