//! The compact DSP 2025-1 JSON-LD form: every offer and agreement in the specification's
//! examples reads, writes back the same terms, and bad input names its JSON path.

use contracts::odrl::{Policy, PolicyKind};
use serde_json::{Value, json};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/specs/dsp-2025-1/negotiation/example"
);

#[test]
fn specification_examples_round_trip() {
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(EXAMPLES)
        .expect("examples")
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let msg: Value =
            serde_json::from_str(&std::fs::read_to_string(e.path()).expect("read")).expect("json");
        for key in ["offer", "agreement"] {
            let Some(p) = msg.get(key) else { continue };
            let policy = Policy::from_dsp_json(p)
                .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
            let again = Policy::from_dsp_json(&policy.to_dsp_json()).expect("written form reads");
            assert_eq!(again, policy, "{}", e.path().display());
            policy.same_terms(&again).expect("same terms");
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} policies in the examples");
}

#[test]
fn agreement_example_is_read_faithfully() {
    let msg: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{EXAMPLES}/contract-agreement-message-full.json"))
            .expect("read"),
    )
    .expect("json");
    let p = Policy::from_dsp_json(&msg["agreement"]).expect("agreement");
    assert_eq!(p.kind, PolicyKind::Agreement);
    assert_eq!(p.assignee.as_deref(), Some("http://example.com/Consumer"));
    assert_eq!(p.permissions.len(), 7);
    assert_eq!(p.timestamp.as_deref(), Some("2023-01-01T01:00:00Z"));
    let written = p.to_dsp_json();
    assert_eq!(
        written["permission"][4]["constraint"][0]["andSequence"][1]["rightOperand"],
        "silver"
    );
    assert_eq!(written["profile"], "https://test.com/profile");
}

#[test]
fn errors_name_the_json_path() {
    let base = json!({"@type": "Offer", "@id": "urn:o", "permission": [{"action": "use", "constraint": [
        {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "5", "@type": "xsd:integer"}}]}]});
    let cases: Vec<(Value, &str)> = vec![
        (json!([]), "$: a policy must be a JSON object"),
        (
            json!({"@type": "Offer", "permission": [{"action": "use"}]}),
            "$.@id: missing",
        ),
        (
            json!({"@type": "Contract", "@id": "x", "permission": [{"action": "use"}]}),
            "$.@type: \"Contract\" is not a policy type",
        ),
        (
            json!({"@type": "Offer", "@id": "x"}),
            "$: the policy has no rule",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permision": [{"action": "use"}]}),
            "$.permision: unknown property \"permision\" (did you mean \"permission\"?)",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": [{}]}),
            "$.permission[0].action: missing",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": [{"action": 5}]}),
            "$.permission[0].action: expected an action name",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": {"action": "use", "remedy": []}}),
            "$.permission.remedy: a permission cannot have \"remedy\"",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "lteq"}]}]}),
            "$.permission[0].constraint[0].rightOperand: missing",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": [{"action": "use", "constraint": [{"and": [], "or": []}]}]}),
            "$.permission[0].constraint[0]: a logical constraint has exactly one of",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": [{"action": "use", "constraint": [{"leftOperand": "dateTime", "operator": "lt", "rightOperand": "soon"}]}]}),
            "$.permission[0].constraint[0].rightOperand: \"soon\" is not an xsd:dateTime",
        ),
        (
            json!({"@type": "Offer", "@id": "x", "permission": [{"action": "use", "constraint": [{"leftOperand": "count", "operator": "lt", "rightOperand": [[1]]}]}]}),
            "$.permission[0].constraint[0].rightOperand[0]: lists cannot be nested",
        ),
        (
            json!({"@context": "https://example.org/ctx", "@type": "Offer", "@id": "x", "permission": [{"action": "use"}]}),
            "$.@context: unsupported context",
        ),
        (
            json!({"@type": "Agreement", "@id": "x", "timestamp": "gestern", "permission": [{"action": "use"}]}),
            "$.timestamp: \"gestern\" is not an xsd:dateTime",
        ),
    ];
    Policy::from_dsp_json(&base).expect("base is valid");
    for (value, prefix) in cases {
        let err = Policy::from_dsp_json(&value).expect_err(prefix).to_string();
        assert!(err.starts_with(prefix), "expected “{prefix}…”, got “{err}”");
    }
}

#[test]
fn extension_properties_are_allowed_and_order_does_not_matter_for_terms() {
    let a = json!({"@type": "Offer", "@id": "urn:a", "https://w3id.org/gemeinwohl-datenraum/ns#note": "x",
        "permission": [{"action": "use", "constraint": [
            {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "5", "@type": "xsd:integer"}},
            {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": [{"@id": "https://w3id.org/dpv#A"}, {"@id": "https://w3id.org/dpv#B"}]}]}],
        "prohibition": [{"action": "distribute"}]});
    let b = json!({"@type": "Offer", "@id": "urn:b", "prohibition": [{"action": "distribute"}],
        "permission": [{"action": "use", "constraint": [
            {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": [{"@id": "https://w3id.org/dpv#B"}, {"@id": "https://w3id.org/dpv#A"}]},
            {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "5", "@type": "xsd:integer"}}]}]});
    let (pa, pb) = (
        Policy::from_dsp_json(&a).expect("a"),
        Policy::from_dsp_json(&b).expect("b"),
    );
    pa.same_terms(&pb).expect("same terms");
    let c = json!({"@type": "Offer", "@id": "urn:c", "prohibition": [{"action": "distribute"}],
        "permission": [{"action": "use", "constraint": [
            {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "6", "@type": "xsd:integer"}}]}]});
    let diff = pa
        .same_terms(&Policy::from_dsp_json(&c).expect("c"))
        .expect_err("differs");
    assert!(
        diff.to_string().contains("permission (action use)"),
        "{diff}"
    );
}

#[test]
fn turtle_policies_read() {
    let ttl = r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
        <urn:p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
            odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ;
                odrl:rightOperand <https://w3id.org/dpv#A>, <https://w3id.org/dpv#B> ] ] ."#;
    let p = Policy::from_turtle(ttl, None).expect("turtle");
    assert_eq!(p.kind, PolicyKind::Offer);
    assert_eq!(
        p.permissions[0].constraints[0].atoms()[0]
            .right_operand
            .values()
            .len(),
        2
    );
    assert!(Policy::from_turtle("<urn:p> a <urn:x> .", None).is_err());
    assert!(Policy::from_turtle("not turtle at all", None).is_err());
}

#[test]
fn deep_nesting_is_refused_with_its_path() {
    let mut c = json!({"leftOperand": "count", "operator": "lteq", "rightOperand": "1"});
    for _ in 0..20 {
        c = json!({"and": [c]});
    }
    let p =
        json!({"@type": "Offer", "@id": "x", "permission": [{"action": "use", "constraint": [c]}]});
    let err = Policy::from_dsp_json(&p).expect_err("too deep").to_string();
    assert!(err.contains("nest deeper than 16"), "{err}");
}
