//! A strict reader for JSON objects that remembers the path it is at, so every error names
//! the member it is about.

use serde_json::{Map, Value};

use super::DSP_CONTEXT;

/// A message that violates its DSP schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct DspParseError {
    /// The JSON path of the offending member (`<root>` for the message itself).
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl DspParseError {
    /// A new error at `field`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// The JSON type of a value, for error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON object being read, with its path.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// Joins a path and a member name.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    /// Reads `value` as an object at `path` (empty for the root).
    pub(crate) fn new(value: &'a Value, path: &'a str) -> Result<Self, DspParseError> {
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            other => Err(DspParseError::new(
                if path.is_empty() { "<root>" } else { path },
                format!("must be a JSON object, found {}", kind(other)),
            )),
        }
    }

    pub(crate) fn path_of(&self, key: &str) -> String {
        join(self.path, key)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// A required string member.
    pub(crate) fn req_str(&self, key: &str) -> Result<&'a str, DspParseError> {
        match self.map.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(DspParseError::new(
                self.path_of(key),
                format!("must be a string, found {}", kind(other)),
            )),
            None => Err(DspParseError::new(self.path_of(key), "is required")),
        }
    }

    /// A required, non-empty string member (identifiers).
    pub(crate) fn req_id(&self, key: &str) -> Result<&'a str, DspParseError> {
        let s = self.req_str(key)?;
        if s.trim().is_empty() {
            return Err(DspParseError::new(self.path_of(key), "must not be empty"));
        }
        if s.len() > 1024 {
            return Err(DspParseError::new(
                self.path_of(key),
                "is longer than 1024 characters",
            ));
        }
        Ok(s)
    }

    /// An optional string member (present but not a string is an error).
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, DspParseError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(_) => self.req_str(key).map(Some),
        }
    }

    /// An optional non-empty identifier.
    pub(crate) fn opt_id(&self, key: &str) -> Result<Option<&'a str>, DspParseError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(_) => self.req_id(key).map(Some),
        }
    }

    /// An optional array member.
    pub(crate) fn opt_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, DspParseError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(DspParseError::new(
                self.path_of(key),
                format!("must be an array, found {}", kind(other)),
            )),
        }
    }

    /// An optional array that, when present, has at least one item.
    pub(crate) fn opt_nonempty_array(
        &self,
        key: &str,
    ) -> Result<Option<&'a Vec<Value>>, DspParseError> {
        match self.opt_array(key)? {
            Some(a) if a.is_empty() => Err(DspParseError::new(
                self.path_of(key),
                "must have at least one item when present",
            )),
            other => Ok(other),
        }
    }

    /// The `@context` member: an array of strings containing the DSP 2025-1 context.
    pub(crate) fn require_context(&self) -> Result<(), DspParseError> {
        let field = self.path_of("@context");
        let items = match self.map.get("@context") {
            None => return Err(DspParseError::new(field, "is required")),
            Some(Value::Array(a)) => a,
            Some(other) => {
                return Err(DspParseError::new(
                    field,
                    format!("must be an array of context IRIs, found {}", kind(other)),
                ));
            }
        };
        if let Some((i, v)) = items.iter().enumerate().find(|(_, v)| !v.is_string()) {
            return Err(DspParseError::new(
                format!("{field}[{i}]"),
                format!("must be a string, found {}", kind(v)),
            ));
        }
        if !items.iter().any(|v| v.as_str() == Some(DSP_CONTEXT)) {
            return Err(DspParseError::new(
                field,
                format!("must contain {DSP_CONTEXT}"),
            ));
        }
        Ok(())
    }

    /// The `@type` member must equal `expected`.
    pub(crate) fn require_type(&self, expected: &str) -> Result<(), DspParseError> {
        let found = self.req_str("@type")?;
        if found != expected {
            return Err(DspParseError::new(
                self.path_of("@type"),
                format!("must be {expected:?}, found {found:?}"),
            ));
        }
        Ok(())
    }

    /// An optional `reason` array (at least one item, items of any JSON type).
    pub(crate) fn opt_reason(&self) -> Result<Vec<Value>, DspParseError> {
        Ok(self
            .opt_nonempty_array("reason")?
            .cloned()
            .unwrap_or_default())
    }

    /// Exactly one of two members must be present (a schema `oneOf` of two `required`s).
    pub(crate) fn exactly_one_of(&self, a: &str, b: &str) -> Result<(), DspParseError> {
        match (self.has(a), self.has(b)) {
            (true, false) | (false, true) => Ok(()),
            (false, false) => Err(DspParseError::new(
                self.path_of(a),
                format!("either {a} or {b} is required"),
            )),
            (true, true) => Err(DspParseError::new(
                self.path_of(a),
                format!("{a} and {b} must not both be present"),
            )),
        }
    }
}

/// Reads a message root: an object with the DSP context and the given `@type`.
pub(crate) fn message_root<'a>(
    value: &'a Value,
    expected_type: &str,
) -> Result<Obj<'a>, DspParseError> {
    let obj = Obj::new(value, "")?;
    obj.require_context()?;
    obj.require_type(expected_type)?;
    Ok(obj)
}
