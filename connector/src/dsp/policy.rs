//! ODRL policies as DSP 2025-1 carries them (`negotiation/contract-schema.json`).
//!
//! Three shapes: the offer inside a negotiation message ([`MessageOffer`], `target` allowed),
//! the offer inside a catalog dataset ([`CatalogOffer`], `target` forbidden) and the
//! [`Agreement`] (`target`, `assigner`, `assignee` required). This module checks the shape the
//! schema prescribes and keeps the policy as JSON; what the rules mean is `contracts`' business.

use serde_json::Value;

use super::DspParseError;
use super::reader::{Obj, join, kind};

/// The ODRL operators DSP 2025-1 allows.
pub const OPERATORS: [&str; 13] = [
    "eq",
    "gt",
    "gteq",
    "lteq",
    "hasPart",
    "isA",
    "isAllOf",
    "isAnyOf",
    "isNoneOf",
    "isPartOf",
    "lt",
    "term-lteq",
    "neq",
];

const LOGICAL: [&str; 4] = ["and", "andSequence", "or", "xone"];

/// An offer inside a negotiation message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageOffer {
    /// `@id`.
    pub id: String,
    /// `target` (the dataset id), when present.
    pub target: Option<String>,
    /// The whole policy as received.
    pub json: Value,
}

/// An offer inside a catalog dataset (no `target`).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogOffer {
    /// `@id`.
    pub id: String,
    /// The whole policy.
    pub json: Value,
}

/// An agreement inside a `ContractAgreementMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// `@id`.
    pub id: String,
    /// `target`, the dataset id.
    pub target: String,
    /// `assigner`, the provider party.
    pub assigner: String,
    /// `assignee`, the consumer party.
    pub assignee: String,
    /// `timestamp`, when present.
    pub timestamp: Option<String>,
    /// The whole policy as received.
    pub json: Value,
}

/// Checks the members every policy class shares: `@id`, `profile`, the rule arrays.
fn policy_class(obj: &Obj<'_>) -> Result<String, DspParseError> {
    let id = obj.req_id("@id")?.to_owned();
    if let Some(profile) = obj.get("profile") {
        match profile {
            Value::String(_) => {}
            Value::Array(items) => {
                if let Some((i, v)) = items.iter().enumerate().find(|(_, v)| !v.is_string()) {
                    return Err(DspParseError::new(
                        format!("{}[{i}]", obj.path_of("profile")),
                        format!("must be a string, found {}", kind(v)),
                    ));
                }
            }
            other => {
                return Err(DspParseError::new(
                    obj.path_of("profile"),
                    format!(
                        "must be a string or an array of strings, found {}",
                        kind(other)
                    ),
                ));
            }
        }
    }
    for key in ["permission", "prohibition", "obligation"] {
        if let Some(rules) = obj.opt_nonempty_array(key)? {
            let path = obj.path_of(key);
            for (i, rule) in rules.iter().enumerate() {
                check_rule(rule, &format!("{path}[{i}]"))?;
            }
        }
    }
    if !obj.has("permission") && !obj.has("prohibition") {
        return Err(DspParseError::new(
            obj.path_of("permission"),
            "a policy needs at least one permission or prohibition",
        ));
    }
    Ok(id)
}

fn check_type(obj: &Obj<'_>, expected: &str, required: bool) -> Result<(), DspParseError> {
    if required || obj.has("@type") {
        obj.require_type(expected)?;
    }
    Ok(())
}

fn check_rule(rule: &Value, path: &str) -> Result<(), DspParseError> {
    let obj = Obj::new(rule, path)?;
    obj.req_str("action")?;
    if let Some(constraints) = obj.opt_array("constraint")? {
        let cpath = obj.path_of("constraint");
        for (i, c) in constraints.iter().enumerate() {
            check_constraint(c, &format!("{cpath}[{i}]"), 0)?;
        }
    }
    Ok(())
}

fn check_constraint(c: &Value, path: &str, depth: usize) -> Result<(), DspParseError> {
    if depth > 16 {
        return Err(DspParseError::new(
            path,
            "logical constraints are nested too deeply",
        ));
    }
    let obj = Obj::new(c, path)?;
    let logical: Vec<&str> = LOGICAL.iter().copied().filter(|k| obj.has(k)).collect();
    let atomic_members = ["leftOperand", "operator", "rightOperand"]
        .iter()
        .filter(|k| obj.has(k))
        .count();
    match (logical.as_slice(), atomic_members) {
        ([op], 3) => Err(DspParseError::new(
            path,
            format!("is both a logical constraint ({op}) and an atomic constraint"),
        )),
        ([op], _) => {
            let Some(Value::Array(items)) = obj.get(op) else {
                return Err(DspParseError::new(
                    obj.path_of(op),
                    format!(
                        "must be an array of constraints, found {}",
                        obj.get(op).map(kind).unwrap_or("nothing")
                    ),
                ));
            };
            let ipath = obj.path_of(op);
            for (i, item) in items.iter().enumerate() {
                check_constraint(item, &format!("{ipath}[{i}]"), depth + 1)?;
            }
            Ok(())
        }
        ([], _) => {
            obj.req_str("leftOperand")?;
            let op = obj.req_str("operator")?;
            if !OPERATORS.contains(&op) {
                return Err(DspParseError::new(
                    obj.path_of("operator"),
                    format!(
                        "{op:?} is not an ODRL operator DSP allows ({})",
                        OPERATORS.join(", ")
                    ),
                ));
            }
            match obj.get("rightOperand") {
                Some(Value::String(_) | Value::Object(_) | Value::Array(_)) => Ok(()),
                Some(other) => Err(DspParseError::new(
                    obj.path_of("rightOperand"),
                    format!("must be a string, object or array, found {}", kind(other)),
                )),
                None => Err(DspParseError::new(
                    obj.path_of("rightOperand"),
                    "is required",
                )),
            }
        }
        (many, _) => Err(DspParseError::new(
            path,
            format!(
                "a logical constraint has exactly one operator, found {}",
                many.join(", ")
            ),
        )),
    }
}

impl MessageOffer {
    /// Parses the offer of a `ContractRequestMessage` (`target` optional) at `path`.
    pub fn parse(value: &Value, path: &str) -> Result<Self, DspParseError> {
        let obj = Obj::new(value, path)?;
        check_type(&obj, "Offer", true)?;
        let id = policy_class(&obj)?;
        let target = obj.opt_id("target")?.map(str::to_owned);
        Ok(Self {
            id,
            target,
            json: value.clone(),
        })
    }

    /// Parses the offer of a `ContractOfferMessage`, where `@id` and `target` are required.
    pub fn parse_with_target(value: &Value, path: &str) -> Result<Self, DspParseError> {
        let offer = Self::parse(value, path)?;
        if offer.target.is_none() {
            return Err(DspParseError::new(join(path, "target"), "is required"));
        }
        Ok(offer)
    }
}

impl CatalogOffer {
    /// Parses an offer listed in a dataset's `hasPolicy`.
    pub fn parse(value: &Value, path: &str) -> Result<Self, DspParseError> {
        let obj = Obj::new(value, path)?;
        check_type(&obj, "Offer", false)?;
        let id = policy_class(&obj)?;
        if obj.has("target") {
            return Err(DspParseError::new(
                obj.path_of("target"),
                "an offer inside a dataset must not name a target (the dataset is the target)",
            ));
        }
        Ok(Self {
            id,
            json: value.clone(),
        })
    }
}

impl Agreement {
    /// Parses an agreement at `path`.
    pub fn parse(value: &Value, path: &str) -> Result<Self, DspParseError> {
        let obj = Obj::new(value, path)?;
        check_type(&obj, "Agreement", true)?;
        let id = policy_class(&obj)?;
        let target = obj.req_id("target")?.to_owned();
        let assigner = obj.req_id("assigner")?.to_owned();
        let assignee = obj.req_id("assignee")?.to_owned();
        let timestamp = obj.opt_str("timestamp")?.map(str::to_owned);
        if let Some(ts) = &timestamp
            && chrono::DateTime::parse_from_rfc3339(ts).is_err()
            && chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S%.f").is_err()
        {
            return Err(DspParseError::new(
                obj.path_of("timestamp"),
                format!("{ts:?} is not an xsd:dateTime"),
            ));
        }
        Ok(Self {
            id,
            target,
            assigner,
            assignee,
            timestamp,
            json: value.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constraint_shapes() {
        let ok = json!({"@id": "o1", "@type": "Offer", "permission": [{"action": "use",
            "constraint": [{"or": [{"leftOperand": "a", "operator": "eq", "rightOperand": "x"},
                                   {"leftOperand": "b", "operator": "isAnyOf", "rightOperand": ["y"]}]}]}]});
        MessageOffer::parse(&ok, "offer").expect("valid");

        let bad_op = json!({"@id": "o1", "@type": "Offer", "permission": [{"action": "use",
            "constraint": [{"leftOperand": "a", "operator": "like", "rightOperand": "x"}]}]});
        let e = MessageOffer::parse(&bad_op, "offer").expect_err("operator");
        assert_eq!(e.field, "offer.permission[0].constraint[0].operator");

        let both = json!({"@id": "o1", "@type": "Offer", "permission": [{"action": "use",
            "constraint": [{"and": [], "leftOperand": "a", "operator": "eq", "rightOperand": "x"}]}]});
        assert!(MessageOffer::parse(&both, "offer").is_err());

        let number = json!({"@id": "o1", "@type": "Offer", "permission": [{"action": "use",
            "constraint": [{"leftOperand": "count", "operator": "lteq", "rightOperand": 5}]}]});
        let e = MessageOffer::parse(&number, "offer").expect_err("number operand");
        assert!(e.field.ends_with("rightOperand"));
    }

    #[test]
    fn catalog_offers_have_no_target_and_agreements_need_parties() {
        let with_target =
            json!({"@id": "o", "@type": "Offer", "target": "d", "permission": [{"action": "use"}]});
        assert!(CatalogOffer::parse(&with_target, "hasPolicy[0]").is_err());
        let agreement = json!({"@id": "a", "@type": "Agreement", "target": "d", "assigner": "p",
            "permission": [{"action": "use"}], "timestamp": "2023-01-01T01:00:00Z"});
        let e = Agreement::parse(&agreement, "agreement").expect_err("assignee");
        assert_eq!(e.field, "agreement.assignee");
    }
}
