//! The protocol version document served at `/.well-known/dspace-version`
//! (`common/protocol-version-schema.json`).

use serde_json::{Map, Value};

use super::DspParseError;
use super::reader::{Obj, kind};

/// How a version entry says requests are authorized.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionAuth {
    /// The protocol, e.g. `OAuth` or a profile name.
    pub protocol: String,
    /// Its version.
    pub version: String,
    /// Profiles.
    pub profile: Vec<String>,
}

/// One supported protocol version.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolVersion {
    /// The version tag, e.g. `2025-1`.
    pub version: String,
    /// The path of this version's endpoints, relative to the host.
    pub path: String,
    /// The binding (`HTTPS`).
    pub binding: String,
    /// The identifier type, e.g. `did:web`.
    pub identifier_type: Option<String>,
    /// A service id.
    pub service_id: Option<String>,
    /// Authorization profile.
    pub auth: Option<VersionAuth>,
}

/// The whole version document.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionResponse {
    /// At least one entry.
    pub protocol_versions: Vec<ProtocolVersion>,
}

impl VersionResponse {
    /// Parses strictly.
    pub fn from_json(value: &Value) -> Result<Self, DspParseError> {
        let o = Obj::new(value, "")?;
        let items = o
            .opt_nonempty_array("protocolVersions")?
            .ok_or_else(|| DspParseError::new("protocolVersions", "is required"))?;
        let mut protocol_versions = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("protocolVersions[{i}]");
            let v = Obj::new(item, &path)?;
            let version = v.req_str("version")?.to_owned();
            let vpath = v.req_str("path")?.to_owned();
            let binding = v.req_str("binding")?.to_owned();
            if binding != "HTTPS" {
                return Err(DspParseError::new(
                    v.path_of("binding"),
                    format!("must be \"HTTPS\", found {binding:?}"),
                ));
            }
            let identifier_type = v.opt_str("identifierType")?.map(str::to_owned);
            let service_id = v.opt_str("serviceId")?.map(str::to_owned);
            let auth = match v.get("auth") {
                None => None,
                Some(a) => {
                    let apath = v.path_of("auth");
                    let ao = Obj::new(a, &apath)?;
                    let protocol = ao.req_str("protocol")?.to_owned();
                    let version = ao.req_str("version")?.to_owned();
                    let mut profile = Vec::new();
                    if let Some(items) = ao.opt_array("profile")? {
                        for (j, p) in items.iter().enumerate() {
                            match p {
                                Value::String(s) => profile.push(s.clone()),
                                other => {
                                    return Err(DspParseError::new(
                                        format!("{}[{j}]", ao.path_of("profile")),
                                        format!("must be a string, found {}", kind(other)),
                                    ));
                                }
                            }
                        }
                    }
                    Some(VersionAuth {
                        protocol,
                        version,
                        profile,
                    })
                }
            };
            protocol_versions.push(ProtocolVersion {
                version,
                path: vpath,
                binding,
                identifier_type,
                service_id,
                auth,
            });
        }
        Ok(Self { protocol_versions })
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let versions: Vec<Value> = self
            .protocol_versions
            .iter()
            .map(|v| {
                let mut m = Map::new();
                m.insert("version".into(), v.version.clone().into());
                m.insert("path".into(), v.path.clone().into());
                m.insert("binding".into(), v.binding.clone().into());
                if let Some(t) = &v.identifier_type {
                    m.insert("identifierType".into(), t.clone().into());
                }
                if let Some(s) = &v.service_id {
                    m.insert("serviceId".into(), s.clone().into());
                }
                if let Some(a) = &v.auth {
                    m.insert(
                        "auth".into(),
                        serde_json::json!({"protocol": a.protocol, "version": a.version,
                                           "profile": a.profile}),
                    );
                }
                Value::Object(m)
            })
            .collect();
        serde_json::json!({ "protocolVersions": versions })
    }

    /// The entry for DSP 2025-1 over HTTPS, if offered.
    pub fn dsp_2025_1(&self) -> Option<&ProtocolVersion> {
        self.protocol_versions
            .iter()
            .find(|v| v.version == super::PROTOCOL_VERSION && v.binding == "HTTPS")
    }
}
