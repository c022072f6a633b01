//! The compact JSON-LD form of ODRL policies that DSP 2025-1 uses.
//!
//! Reading is strict: every property must be one the DSP/ODRL context defines (misspelt
//! properties are errors naming the JSON path), values must have the right JSON type, and
//! operators must be ODRL operators. Properties written as full or prefixed IRIs
//! (`https://w3id.org/gemeinwohl-datenraum/ns#contractSha256`) are extensions: they are
//! allowed and ignored here (agreements use them to carry signatures).
//!
//! Writing produces what the DSP 2025-1 JSON schema accepts: actions, left operands and
//! operators as compact terms, right operands as strings, `{"@id": …}` for resources,
//! `{"@value": …, "@type": "xsd:…"}` for typed values and arrays for lists.

use serde_json::{Map, Value, json};

use super::OdrlError;
use super::model::*;
use super::terms;

/// The DSP 2025-1 JSON-LD context IRI.
pub const DSP_CONTEXT: &str = "https://w3id.org/dspace/2025/1/context.jsonld";
/// The ODRL 2.2 JSON-LD context IRI.
pub const ODRL_CONTEXT: &str = "http://www.w3.org/ns/odrl.jsonld";

/// Prefixes in scope while reading (from the contexts and inline context objects).
struct Reader {
    extra_prefixes: Vec<(String, String)>,
}

impl Reader {
    fn expand(&self, value: &str, vocab: bool) -> String {
        if let Some((prefix, local)) = value.split_once(':')
            && !local.starts_with("//")
            && let Some((_, ns)) = self.extra_prefixes.iter().find(|(p, _)| p == prefix)
        {
            return format!("{ns}{local}");
        }
        if vocab {
            terms::expand_vocab(value)
        } else {
            terms::expand_prefixed(value)
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_extension(key: &str) -> bool {
    key.contains(':')
}

/// Suggests the closest known property for a misspelt one.
fn suggestion(key: &str, allowed: &[&str]) -> String {
    let lower = key.to_ascii_lowercase();
    allowed
        .iter()
        .find(|a| {
            let a = a.to_ascii_lowercase();
            a.starts_with(&lower[..lower.len().min(4)]) || lower.starts_with(&a[..a.len().min(4)])
        })
        .map(|a| format!(" (did you mean \"{a}\"?)"))
        .unwrap_or_default()
}

fn check_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), OdrlError> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) && !is_extension(key) {
            return Err(OdrlError::json(
                &format!("{path}.{key}"),
                format!(
                    "unknown property \"{key}\"{}; allowed here: {}",
                    suggestion(key, allowed),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn get_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, OdrlError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(Value::String(_)) => Err(OdrlError::json(
            &format!("{path}.{key}"),
            "must not be empty",
        )),
        Some(other) => Err(OdrlError::json(
            &format!("{path}.{key}"),
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

/// A reference: a string or `{"@id": …}` (with at most an `@type` beside it).
fn get_ref(
    r: &Reader,
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, OdrlError> {
    let p = format!("{path}.{key}");
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(r.expand(s, false))),
        Some(Value::Object(o)) => {
            check_keys(o, &p, &["@id", "@type", "uid"])?;
            let id = get_str(o, "@id", &p)?
                .or(get_str(o, "uid", &p)?)
                .ok_or_else(|| OdrlError::json(&p, "a reference object needs an \"@id\""))?;
            Ok(Some(r.expand(id, false)))
        }
        Some(other) => Err(OdrlError::json(
            &p,
            format!(
                "expected an identifier (string), found {}",
                type_name(other)
            ),
        )),
    }
}

/// Objects found under a property, each with its JSON path.
type PathedObjects<'a> = Vec<(String, &'a Map<String, Value>)>;

/// A property that holds one object or an array of objects.
fn objects<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<PathedObjects<'a>, OdrlError> {
    let p = format!("{path}.{key}");
    let items: Vec<(String, &Value)> = match obj.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{p}[{i}]"), v))
            .collect(),
        Some(Value::Object(o)) if o.contains_key("@list") => match o.get("@list") {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{p}[{i}]"), v))
                .collect(),
            _ => return Err(OdrlError::json(&p, "\"@list\" must be an array")),
        },
        Some(v @ Value::Object(_)) => vec![(p.clone(), v)],
        Some(other) => {
            return Err(OdrlError::json(
                &p,
                format!("expected an array of objects, found {}", type_name(other)),
            ));
        }
    };
    items
        .into_iter()
        .map(|(p, v)| match v {
            Value::Object(o) => Ok((p, o)),
            other => Err(OdrlError::json(
                &p,
                format!("expected an object, found {}", type_name(other)),
            )),
        })
        .collect()
}

fn read_context(value: Option<&Value>) -> Result<Reader, OdrlError> {
    let mut reader = Reader {
        extra_prefixes: Vec::new(),
    };
    let Some(value) = value else {
        return Ok(reader);
    };
    let entries: Vec<(String, &Value)> = match value {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("$.@context[{i}]"), v))
            .collect(),
        other => vec![("$.@context".to_owned(), other)],
    };
    for (path, entry) in entries {
        match entry {
            Value::String(s) if s == DSP_CONTEXT || s == ODRL_CONTEXT => {}
            Value::String(s) => {
                return Err(OdrlError::json(
                    &path,
                    format!(
                        "unsupported context \"{s}\": use \"{DSP_CONTEXT}\" (remote contexts are never fetched)"
                    ),
                ));
            }
            Value::Object(o) => {
                for (prefix, ns) in o {
                    match ns {
                        Value::String(ns) => {
                            reader.extra_prefixes.push((prefix.clone(), ns.clone()))
                        }
                        other => {
                            return Err(OdrlError::json(
                                &format!("{path}.{prefix}"),
                                format!(
                                    "only prefix definitions (strings) are supported in an inline context, found {}",
                                    type_name(other)
                                ),
                            ));
                        }
                    }
                }
            }
            other => {
                return Err(OdrlError::json(
                    &path,
                    format!(
                        "expected a context IRI or object, found {}",
                        type_name(other)
                    ),
                ));
            }
        }
    }
    Ok(reader)
}

const POLICY_KEYS: &[&str] = &[
    "@context",
    "@id",
    "uid",
    "@type",
    "profile",
    "assigner",
    "assignee",
    "target",
    "timestamp",
    "permission",
    "prohibition",
    "obligation",
];

const RULE_KEYS: &[&str] = &[
    "@id",
    "uid",
    "@type",
    "action",
    "target",
    "assigner",
    "assignee",
    "constraint",
    "duty",
    "consequence",
    "remedy",
];

const CONSTRAINT_KEYS: &[&str] = &[
    "@id",
    "uid",
    "@type",
    "leftOperand",
    "operator",
    "rightOperand",
    "dataType",
    "unit",
];

impl Policy {
    /// Reads a policy in the compact JSON-LD form DSP 2025-1 uses (an `Offer` or `Agreement`
    /// inside a DSP message, or a standalone document with `@context`). The general ODRL 2.2
    /// JSON-LD form (`uid`, action objects with `rdf:value` and `refinement`) is read too.
    ///
    /// ```
    /// let offer = serde_json::json!({
    ///     "@type": "Offer", "@id": "urn:uuid:1",
    ///     "permission": [{"action": "use", "constraint": [
    ///         {"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2026-12-31T00:00:00Z"}]}]
    /// });
    /// let policy = contracts::odrl::Policy::from_dsp_json(&offer).unwrap();
    /// assert_eq!(policy.permissions.len(), 1);
    /// let bad = serde_json::json!({"@type": "Offer", "@id": "x", "permission": [{"action": "use",
    ///     "constraint": [{"leftOperand": "dateTime", "operator": "before", "rightOperand": "x"}]}]});
    /// let err = contracts::odrl::Policy::from_dsp_json(&bad).unwrap_err().to_string();
    /// assert!(err.starts_with("$.permission[0].constraint[0].operator"));
    /// ```
    pub fn from_dsp_json(value: &Value) -> Result<Policy, OdrlError> {
        let obj = value.as_object().ok_or_else(|| {
            OdrlError::json(
                "$",
                format!("a policy must be a JSON object, found {}", type_name(value)),
            )
        })?;
        let reader = read_context(obj.get("@context"))?;
        check_keys(obj, "$", POLICY_KEYS)?;
        let uid = get_str(obj, "@id", "$")?
            .or(get_str(obj, "uid", "$")?)
            .ok_or_else(|| OdrlError::json("$.@id", "missing: every policy needs an \"@id\""))?;
        let kind_term = get_str(obj, "@type", "$")?.ok_or_else(|| {
            OdrlError::json(
                "$.@type",
                "missing: expected \"Offer\", \"Agreement\" or \"Set\"",
            )
        })?;
        let kind = PolicyKind::from_term(kind_term).ok_or_else(|| {
            OdrlError::json(
                "$.@type",
                format!("\"{kind_term}\" is not a policy type: expected \"Offer\", \"Agreement\" or \"Set\""),
            )
        })?;
        let profiles = match obj.get("profile") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        OdrlError::json(&format!("$.profile[{i}]"), "expected a string")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(OdrlError::json(
                    "$.profile",
                    format!(
                        "expected a string or an array of strings, found {}",
                        type_name(other)
                    ),
                ));
            }
        };
        let mut policy = Policy::new(kind, reader.expand(uid, false));
        policy.profiles = profiles;
        policy.assigner = get_ref(&reader, obj, "assigner", "$")?;
        policy.assignee = get_ref(&reader, obj, "assignee", "$")?;
        policy.target = get_ref(&reader, obj, "target", "$")?;
        policy.timestamp = get_str(obj, "timestamp", "$")?.map(str::to_owned);
        if let Some(ts) = &policy.timestamp
            && chrono::DateTime::parse_from_rfc3339(ts).is_err()
        {
            return Err(OdrlError::json(
                "$.timestamp",
                format!("\"{ts}\" is not an xsd:dateTime such as 2025-01-31T12:00:00Z"),
            ));
        }
        for (p, o) in objects(obj, "permission", "$")? {
            policy
                .permissions
                .push(read_rule(&reader, o, &p, RuleKind::Permission)?);
        }
        for (p, o) in objects(obj, "prohibition", "$")? {
            policy
                .prohibitions
                .push(read_rule(&reader, o, &p, RuleKind::Prohibition)?);
        }
        for (p, o) in objects(obj, "obligation", "$")? {
            policy
                .obligations
                .push(read_rule(&reader, o, &p, RuleKind::Obligation)?);
        }
        if policy.permissions.is_empty()
            && policy.prohibitions.is_empty()
            && policy.obligations.is_empty()
        {
            return Err(OdrlError::json(
                "$",
                "the policy has no rule: add at least one \"permission\" or \"prohibition\"",
            ));
        }
        crate::eval::check_values(&policy)?;
        Ok(policy)
    }

    /// Writes the compact DSP form, without `@context` (as embedded in DSP messages).
    pub fn to_dsp_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("@id".into(), Value::String(self.uid.clone()));
        obj.insert("@type".into(), Value::String(self.kind.term().to_owned()));
        match self.profiles.as_slice() {
            [] => {}
            [one] => {
                obj.insert("profile".into(), Value::String(one.clone()));
            }
            many => {
                obj.insert("profile".into(), json!(many));
            }
        }
        for (key, value) in [
            ("assigner", &self.assigner),
            ("assignee", &self.assignee),
            ("target", &self.target),
            ("timestamp", &self.timestamp),
        ] {
            if let Some(v) = value {
                obj.insert(key.into(), Value::String(v.clone()));
            }
        }
        for (key, rules, kind) in [
            ("permission", &self.permissions, RuleKind::Permission),
            ("prohibition", &self.prohibitions, RuleKind::Prohibition),
            ("obligation", &self.obligations, RuleKind::Obligation),
        ] {
            if !rules.is_empty() {
                obj.insert(
                    key.into(),
                    Value::Array(rules.iter().map(|r| write_rule(r, kind)).collect()),
                );
            }
        }
        Value::Object(obj)
    }

    /// Writes a standalone JSON-LD document: the DSP form with `"@context"`.
    pub fn to_dsp_document(&self) -> Value {
        let mut value = self.to_dsp_json();
        if let Value::Object(obj) = &mut value {
            let mut with_context = Map::new();
            with_context.insert("@context".into(), Value::String(DSP_CONTEXT.into()));
            with_context.extend(std::mem::take(obj));
            *obj = with_context;
        }
        value
    }
}

/// The property that holds a rule's nested duties, by the rule's kind.
fn nested_duty_key(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Permission => "duty",
        RuleKind::Prohibition => "remedy",
        RuleKind::Obligation | RuleKind::Duty => "consequence",
    }
}

fn read_rule(
    r: &Reader,
    obj: &Map<String, Value>,
    path: &str,
    kind: RuleKind,
) -> Result<Rule, OdrlError> {
    check_keys(obj, path, RULE_KEYS)?;
    let allowed_nested = nested_duty_key(kind);
    for key in ["duty", "consequence", "remedy"] {
        if key != allowed_nested && obj.contains_key(key) {
            return Err(OdrlError::json(
                &format!("{path}.{key}"),
                format!("a {kind} cannot have \"{key}\"; use \"{allowed_nested}\""),
            ));
        }
    }
    let uid = get_str(obj, "@id", path)?
        .or(get_str(obj, "uid", path)?)
        .map(|s| r.expand(s, false));
    let action = match obj.get("action") {
        None => {
            return Err(OdrlError::json(
                &format!("{path}.action"),
                "missing: every rule needs an \"action\" (e.g. \"use\")",
            ));
        }
        Some(v) => read_action(r, v, &format!("{path}.action"))?,
    };
    let mut rule = Rule {
        uid,
        action: Some(action),
        target: get_ref(r, obj, "target", path)?,
        assigner: get_ref(r, obj, "assigner", path)?,
        assignee: get_ref(r, obj, "assignee", path)?,
        constraints: Vec::new(),
        duties: Vec::new(),
    };
    for (p, o) in objects(obj, "constraint", path)? {
        rule.constraints.push(read_constraint(r, o, &p)?);
    }
    for (p, o) in objects(obj, allowed_nested, path)? {
        rule.duties.push(read_rule(r, o, &p, RuleKind::Duty)?);
    }
    Ok(rule)
}

fn read_action(r: &Reader, value: &Value, path: &str) -> Result<Action, OdrlError> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(Action {
            name: r.expand(s, true),
            refinements: Vec::new(),
        }),
        Value::Array(a) if a.len() == 1 => read_action(r, &a[0], &format!("{path}[0]")),
        Value::Object(o) => {
            check_keys(o, path, &["@id", "rdf:value", "value", "refinement"])?;
            let name = match o.get("rdf:value").or(o.get("value")) {
                Some(Value::String(s)) => r.expand(s, true),
                Some(Value::Object(v)) => match v.get("@id") {
                    Some(Value::String(s)) => r.expand(s, true),
                    _ => {
                        return Err(OdrlError::json(
                            &format!("{path}.rdf:value"),
                            "expected {\"@id\": \"<action>\"}",
                        ));
                    }
                },
                _ => {
                    return Err(OdrlError::json(
                        path,
                        "an action object needs \"rdf:value\" naming the action",
                    ));
                }
            };
            let mut refinements = Vec::new();
            for (p, c) in objects(o, "refinement", path)? {
                refinements.push(read_constraint(r, c, &p)?);
            }
            Ok(Action { name, refinements })
        }
        other => Err(OdrlError::json(
            path,
            format!(
                "expected an action name such as \"use\", found {}",
                type_name(other)
            ),
        )),
    }
}

/// How deeply logical constraints may nest.
const MAX_NESTING: usize = 16;

fn read_constraint(
    r: &Reader,
    obj: &Map<String, Value>,
    path: &str,
) -> Result<Constraint, OdrlError> {
    if path.matches(".and").count() + path.matches(".or").count() + path.matches(".xone").count()
        > MAX_NESTING
    {
        return Err(OdrlError::json(
            path,
            format!("logical constraints nest deeper than {MAX_NESTING} levels"),
        ));
    }
    let logical: Vec<LogicalOperator> = LogicalOperator::ALL
        .into_iter()
        .filter(|op| obj.contains_key(op.term()))
        .collect();
    let uid = get_str(obj, "@id", path)?
        .or(get_str(obj, "uid", path)?)
        .map(|s| r.expand(s, false));
    match logical.as_slice() {
        [] => {}
        [op] => {
            check_keys(obj, path, &["@id", "uid", "@type", op.term()])?;
            let mut operands = Vec::new();
            for (p, o) in objects(obj, op.term(), path)? {
                operands.push(read_constraint(r, o, &p)?);
            }
            if operands.is_empty() {
                return Err(OdrlError::json(
                    &format!("{path}.{}", op.term()),
                    "a logical constraint needs at least one constraint",
                ));
            }
            return Ok(Constraint::Logical(LogicalConstraint {
                uid,
                operator: *op,
                operands,
            }));
        }
        _ => {
            return Err(OdrlError::json(
                path,
                "a logical constraint has exactly one of \"and\", \"or\", \"xone\", \"andSequence\"",
            ));
        }
    }
    check_keys(obj, path, CONSTRAINT_KEYS)?;
    let left = get_str(obj, "leftOperand", path)?.ok_or_else(|| {
        OdrlError::json(
            &format!("{path}.leftOperand"),
            "missing: a constraint needs \"leftOperand\", \"operator\" and \"rightOperand\"",
        )
    })?;
    let op_term = get_str(obj, "operator", path)?.ok_or_else(|| {
        OdrlError::json(
            &format!("{path}.operator"),
            "missing: e.g. \"eq\", \"lteq\", \"isAnyOf\"",
        )
    })?;
    let operator = Operator::from_term(op_term).ok_or_else(|| {
        OdrlError::json(
            &format!("{path}.operator"),
            format!(
                "\"{op_term}\" is not an ODRL operator; use one of: {}",
                Operator::ALL.map(|o| o.term()).join(", ")
            ),
        )
    })?;
    let right = obj.get("rightOperand").ok_or_else(|| {
        OdrlError::json(
            &format!("{path}.rightOperand"),
            "missing: the value to compare with",
        )
    })?;
    let right_operand = read_right_operand(r, right, &format!("{path}.rightOperand"))?;
    Ok(Constraint::Atomic(AtomicConstraint {
        uid,
        left_operand: r.expand(left, true),
        operator,
        right_operand,
        data_type: get_str(obj, "dataType", path)?.map(|s| r.expand(s, false)),
        unit: get_ref(r, obj, "unit", path)?,
    }))
}

fn read_right_operand(r: &Reader, value: &Value, path: &str) -> Result<RightOperand, OdrlError> {
    match value {
        Value::String(s) => Ok(RightOperand::Literal(Literal::plain(s.clone()))),
        Value::Number(n) => {
            let datatype = if n.is_i64() || n.is_u64() {
                "integer"
            } else {
                "decimal"
            };
            Ok(RightOperand::typed(n.to_string(), datatype))
        }
        Value::Bool(b) => Ok(RightOperand::typed(b.to_string(), "boolean")),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(OdrlError::json(path, "an empty list compares with nothing"));
            }
            let values = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let p = format!("{path}[{i}]");
                    match v {
                        Value::Array(_) => Err(OdrlError::json(&p, "lists cannot be nested")),
                        v => read_right_operand(r, v, &p),
                    }
                })
                .collect::<Result<_, _>>()?;
            Ok(RightOperand::List(values))
        }
        Value::Object(o) => {
            if let Some(id) = o.get("@id") {
                check_keys(o, path, &["@id", "@type"])?;
                return match id {
                    Value::String(s) if !s.is_empty() => Ok(RightOperand::Iri(r.expand(s, false))),
                    _ => Err(OdrlError::json(
                        &format!("{path}.@id"),
                        "expected a non-empty string",
                    )),
                };
            }
            if let Some(list) = o.get("@list") {
                check_keys(o, path, &["@list"])?;
                return read_right_operand(r, list, path);
            }
            check_keys(o, path, &["@value", "@type", "@language"])?;
            let lexical = match o.get("@value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => {
                    return Err(OdrlError::json(
                        path,
                        "expected {\"@value\": …, \"@type\": …} or {\"@id\": …}",
                    ));
                }
            };
            let datatype = get_str(o, "@type", path)?.map(|t| r.expand(t, false));
            let language = get_str(o, "@language", path)?.map(str::to_owned);
            if datatype.is_some() && language.is_some() {
                return Err(OdrlError::json(
                    path,
                    "a value has either \"@type\" or \"@language\"",
                ));
            }
            let mut literal = match &datatype {
                Some(dt) => Literal::typed(lexical, dt),
                None => Literal::plain(lexical),
            };
            literal.language = language;
            Ok(RightOperand::Literal(literal))
        }
        Value::Null => Err(OdrlError::json(path, "must not be null")),
    }
}

/// The DSP JSON of one rule (for messages).
pub(crate) fn rule_json(rule: &Rule, kind: RuleKind) -> Value {
    write_rule(rule, kind)
}

fn write_rule(rule: &Rule, kind: RuleKind) -> Value {
    let mut obj = Map::new();
    if let Some(uid) = &rule.uid {
        obj.insert("@id".into(), Value::String(uid.clone()));
    }
    if let Some(action) = &rule.action {
        obj.insert("action".into(), write_action(action));
    }
    for (key, value) in [
        ("target", &rule.target),
        ("assigner", &rule.assigner),
        ("assignee", &rule.assignee),
    ] {
        if let Some(v) = value {
            obj.insert(key.into(), Value::String(v.clone()));
        }
    }
    if !rule.constraints.is_empty() {
        obj.insert(
            "constraint".into(),
            Value::Array(rule.constraints.iter().map(write_constraint).collect()),
        );
    }
    if !rule.duties.is_empty() {
        obj.insert(
            nested_duty_key(kind).into(),
            Value::Array(
                rule.duties
                    .iter()
                    .map(|d| write_rule(d, RuleKind::Duty))
                    .collect(),
            ),
        );
    }
    Value::Object(obj)
}

fn write_action(action: &Action) -> Value {
    let name = terms::compact_vocab(&action.name);
    if action.refinements.is_empty() {
        Value::String(name)
    } else {
        json!({
            "rdf:value": {"@id": if name.contains(':') { name } else { format!("odrl:{name}") }},
            "refinement": action.refinements.iter().map(write_constraint).collect::<Vec<_>>(),
        })
    }
}

fn write_constraint(constraint: &Constraint) -> Value {
    let mut obj = Map::new();
    match constraint {
        Constraint::Atomic(c) => {
            if let Some(uid) = &c.uid {
                obj.insert("@id".into(), Value::String(uid.clone()));
            }
            obj.insert(
                "leftOperand".into(),
                Value::String(terms::compact_vocab(&c.left_operand)),
            );
            obj.insert("operator".into(), Value::String(c.operator.term().into()));
            obj.insert("rightOperand".into(), write_right_operand(&c.right_operand));
            if let Some(dt) = &c.data_type {
                obj.insert("dataType".into(), Value::String(compact_xsd(dt)));
            }
            if let Some(unit) = &c.unit {
                obj.insert("unit".into(), Value::String(unit.clone()));
            }
        }
        Constraint::Logical(l) => {
            if let Some(uid) = &l.uid {
                obj.insert("@id".into(), Value::String(uid.clone()));
            }
            obj.insert(
                l.operator.term().into(),
                Value::Array(l.operands.iter().map(write_constraint).collect()),
            );
        }
    }
    Value::Object(obj)
}

fn compact_xsd(iri: &str) -> String {
    match iri.strip_prefix(terms::XSD) {
        Some(local) => format!("xsd:{local}"),
        None => iri.to_owned(),
    }
}

fn write_right_operand(value: &RightOperand) -> Value {
    match value {
        RightOperand::Iri(iri) => json!({"@id": iri}),
        RightOperand::Literal(l) => match (&l.datatype, &l.language) {
            (Some(dt), _) => json!({"@value": l.lexical, "@type": compact_xsd(dt)}),
            (None, Some(lang)) => json!({"@value": l.lexical, "@language": lang}),
            (None, None) => Value::String(l.lexical.clone()),
        },
        RightOperand::List(items) => Value::Array(items.iter().map(write_right_operand).collect()),
    }
}
