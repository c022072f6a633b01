//! Evaluation of a realistic agreement: the decision, the report per rule and constraint,
//! and the refusal reasons in German and English for each constraint that can fail.

use contracts::charta::Charta;
use contracts::eval::{
    Activation, CompiledPolicy, Decision, DutyState, EvaluationRequest, Lang, PremiseKind, Report,
    Satisfaction, Value, WorldState,
};
use contracts::odrl::{
    Constraint, LogicalOperator, Operator, Policy, PolicyKind, RightOperand, Rule, RuleKind,
};

const GWD: &str = "https://w3id.org/gemeinwohl-datenraum/ns#";
const HEAT: &str = "https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung";

fn agreement() -> Policy {
    let json = serde_json::json!({
        "@id": "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
        "@type": "Agreement",
        "target": "urn:dataset:strom-2024",
        "assigner": "did:web:stadtwerke.example",
        "assignee": "did:web:musterstadt.example",
        "permission": [{
            "action": "use",
            "constraint": [
                {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": [
                    {"@id": "https://w3id.org/dpv#CombatClimateChange"},
                    {"@id": "https://w3id.org/dpv#ImprovePublicServices"}]},
                {"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": {"@value": "P12M", "@type": "xsd:duration"}},
                {"leftOperand": format!("{GWD}recipientAgs"), "operator": "isPartOf", "rightOperand": "09"},
                {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "100", "@type": "xsd:integer"}},
                {"leftOperand": format!("{GWD}chartaMembership"), "operator": "eq", "rightOperand": {"@value": "true", "@type": "xsd:boolean"}},
                {"leftOperand": format!("{GWD}recipientType"), "operator": "isAnyOf", "rightOperand": [
                    {"@id": format!("{GWD}Municipality")}, {"@id": format!("{GWD}PublicBody")}]}
            ],
            "duty": [{"action": "delete"}, {"action": format!("{GWD}logAccess")}]
        }],
        "prohibition": [{"action": "distribute"}, {"action": format!("{GWD}reidentify")}]
    });
    Policy::from_dsp_json(&json).expect("agreement")
}

fn world() -> WorldState {
    let mut w = WorldState::at("2025-09-15T08:30:00Z".parse().expect("now"));
    w.agreement_start = Some("2025-03-01T10:00:00Z".parse().expect("start"));
    w.use_count = Some(41);
    w.recipient.participant_type = Some(format!("{GWD}Municipality"));
    w.recipient.ags = vec!["09162000".into()];
    w.recipient.charta_member = true;
    w.duties.insert(
        "http://www.w3.org/ns/odrl/2/delete".into(),
        DutyState::Pending,
    );
    w.duties
        .insert(format!("{GWD}logAccess"), DutyState::Fulfilled);
    w
}

fn request() -> EvaluationRequest {
    EvaluationRequest::new("use")
        .with_party("did:web:musterstadt.example")
        .with_target("urn:dataset:strom-2024")
        .with_purpose(HEAT)
}

fn eval(req: &EvaluationRequest, w: &WorldState) -> Report {
    let charta = Charta::default_1_0();
    CompiledPolicy::compile(&agreement(), &charta)
        .expect("compile")
        .evaluate(req, w)
}

fn reasons(r: &Report) -> (Vec<String>, Vec<String>) {
    (r.denial_reasons(Lang::De), r.denial_reasons(Lang::En))
}

#[test]
fn permitted_request_reports_every_constraint_with_values() {
    let report = eval(&request(), &world());
    assert_eq!(
        report.decision,
        Decision::Permitted,
        "{}",
        report.explain(Lang::En)
    );
    assert!(report.denial_reasons(Lang::De).is_empty());
    let perm = report
        .rules_of(RuleKind::Permission)
        .next()
        .expect("permission");
    assert_eq!(perm.activation, Activation::Active);
    assert_eq!(perm.constraints.len(), 6);
    assert!(
        perm.constraints
            .iter()
            .all(|c| c.satisfaction == Satisfaction::Satisfied)
    );
    assert_eq!(
        perm.premises.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [PremiseKind::Target, PremiseKind::Party, PremiseKind::Action]
    );
    // The values compared are in the report.
    assert_eq!(
        perm.constraints[0].left_value,
        Some(Value::Iri(HEAT.into()))
    );
    assert_eq!(
        perm.constraints[3].left_value,
        Some(Value::Integer(42)),
        "count is this use: 41 before + 1"
    );
    // Prohibitions of other actions are inactive.
    assert!(
        report
            .rules_of(RuleKind::Prohibition)
            .all(|r| r.activation == Activation::Inactive)
    );
    let text = report.explain(Lang::De);
    assert!(
        text.contains("Der Zweck „Kommunale Wärmeplanung“ ist erlaubt"),
        "{text}"
    );
    let json = report.to_json();
    assert_eq!(json["decision"], "permitted");
    assert_eq!(json["rules"][0]["constraints"][0]["state"], "satisfied");
}

#[test]
fn wrong_purpose_is_named_in_german_and_english() {
    let req = request().with_purpose("dpv:Advertising");
    let (de, en) = reasons(&eval(&req, &world()));
    assert_eq!(
        de,
        [
            "Der Zweck „Werbung“ ist nicht erlaubt; erlaubt sind: Klimaschutz, Verbesserung öffentlicher Dienstleistungen."
        ]
    );
    assert_eq!(
        en,
        [
            "The purpose “Advertising” is not allowed; allowed are: Combat climate change, Improve public services."
        ]
    );
}

#[test]
fn missing_purpose_is_a_refusal_in_the_closed_world() {
    let mut req = request();
    req.purpose = None;
    let (de, _) = reasons(&eval(&req, &world()));
    assert_eq!(
        de,
        [
            "Es wurde kein Zweck angegeben; erlaubt sind: Klimaschutz, Verbesserung öffentlicher Dienstleistungen."
        ]
    );
}

#[test]
fn expired_agreement_names_the_duration() {
    let mut w = world();
    w.now = Some("2026-03-02T00:00:00Z".parse().expect("now"));
    let (de, en) = reasons(&eval(&request(), &w));
    assert_eq!(de.len(), 1, "{de:?}");
    assert!(
        de[0].starts_with("Die vereinbarte Nutzungsdauer (12 Monate) ist abgelaufen"),
        "{de:?}"
    );
    assert!(
        en[0].starts_with("The agreed duration of use (12 months) has ended"),
        "{en:?}"
    );
    // One second before the end of the twelfth month it is still allowed.
    w.now = Some("2026-03-01T09:59:59Z".parse().expect("now"));
    assert!(eval(&request(), &w).is_permitted());
}

#[test]
fn recipient_outside_the_region_is_refused_with_its_key() {
    let mut w = world();
    w.recipient.ags = vec!["05315000".into()];
    let (de, en) = reasons(&eval(&request(), &w));
    assert_eq!(
        de,
        [
            "Der Empfänger muss im Gebiet Land Bayern (09) liegen; sein Gemeindeschlüssel ist 05315000."
        ]
    );
    assert_eq!(
        en,
        ["The recipient must lie within state Bayern (09); its municipality key is 05315000."]
    );
}

#[test]
fn too_many_uses_are_refused() {
    let mut w = world();
    w.use_count = Some(100);
    let (de, en) = reasons(&eval(&request(), &w));
    assert_eq!(
        de,
        ["Die Daten dürfen höchstens 100-mal genutzt werden; dies wäre die 101. Nutzung."]
    );
    assert_eq!(
        en,
        ["The data may be used at most 100 times; this would be use number 101."]
    );
    w.use_count = Some(99);
    assert!(eval(&request(), &w).is_permitted());
}

#[test]
fn missing_membership_and_wrong_type_are_both_named() {
    let mut w = world();
    w.recipient.charta_member = false;
    w.recipient.participant_type = Some(format!("{GWD}Company"));
    let (de, _) = reasons(&eval(&request(), &w));
    assert_eq!(de.len(), 2, "{de:?}");
    assert!(de[0].starts_with("Nur Mitglieder des Datenraums"), "{de:?}");
    assert_eq!(
        de[1],
        "Nur Empfänger vom Typ Kommune oder öffentliche Stelle sind zugelassen; der Empfänger ist: Unternehmen."
    );
}

#[test]
fn prohibited_action_is_denied_even_though_use_includes_it() {
    let req = EvaluationRequest::new("distribute")
        .with_party("did:web:musterstadt.example")
        .with_target("urn:dataset:strom-2024")
        .with_purpose(HEAT);
    let report = eval(&req, &world());
    assert_eq!(report.decision, Decision::Denied);
    let (de, en) = reasons(&report);
    assert_eq!(de, ["Untersagt: an Dritte weitergeben (Verbot 1)."]);
    assert_eq!(
        en,
        ["Prohibited: distribute to third parties (prohibition 1)."]
    );
}

#[test]
fn other_party_or_dataset_is_refused() {
    let req = request().with_party("did:web:elsewhere.example");
    let (de, _) = reasons(&eval(&req, &world()));
    assert_eq!(
        de,
        [
            "Die Regel gilt nur für did:web:musterstadt.example; angefragt hat did:web:elsewhere.example."
        ]
    );
    let req = request().with_target("urn:dataset:other");
    let (_, en) = reasons(&eval(&req, &world()));
    assert_eq!(
        en,
        [
            "The rule applies only to the dataset urn:dataset:strom-2024; the request was for urn:dataset:other."
        ]
    );
}

#[test]
fn violated_or_unrecorded_duty_blocks_the_permission() {
    let mut w = world();
    w.duties
        .insert(format!("{GWD}logAccess"), DutyState::Violated);
    let (de, _) = reasons(&eval(&request(), &w));
    assert_eq!(
        de,
        ["Die Pflicht „jeden Zugriff protokollieren“ wurde verletzt."]
    );
    w.duties.remove(&format!("{GWD}logAccess"));
    let (de, _) = reasons(&eval(&request(), &w));
    assert_eq!(
        de,
        ["Die Pflicht „jeden Zugriff protokollieren“ ist nicht erfüllt."]
    );
}

#[test]
fn logical_constraints_and_dates() {
    let charta = Charta::default_1_0();
    let date = |op, d: &str| Constraint::atomic("dateTime", op, RightOperand::typed(d, "date"));
    let policy = Policy::new(PolicyKind::Set, "urn:p").with_permission(
        Rule::new("read").with_constraint(Constraint::logical(
            LogicalOperator::Xone,
            vec![
                date(Operator::Lteq, "2025-12-31"),
                Constraint::logical(
                    LogicalOperator::Or,
                    vec![
                        date(Operator::Gteq, "2027-01-01"),
                        date(Operator::Eq, "2026-06-15"),
                    ],
                ),
            ],
        )),
    );
    let compiled = CompiledPolicy::compile(&policy, &charta).expect("compile");
    let at = |t: &str| {
        compiled
            .evaluate(
                &EvaluationRequest::new("read"),
                &WorldState::at(t.parse().expect("t")),
            )
            .is_permitted()
    };
    assert!(
        at("2025-12-31T23:59:59Z"),
        "a date bound includes the whole day"
    );
    assert!(!at("2026-01-01T00:00:00Z"));
    assert!(at("2026-06-15T12:00:00Z"));
    assert!(at("2027-01-01T00:00:00Z"));
    let report = compiled.evaluate(
        &EvaluationRequest::new("read"),
        &WorldState::at("2026-03-01T00:00:00Z".parse().expect("t")),
    );
    let reasons = report.denial_reasons(Lang::De);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("Die Nutzung ist nur bis 31.12.2025 erlaubt; jetzt ist 01.03.2026"),
        "{reasons:?}"
    );
    // A request to `use` is not covered by a permission to `read`.
    assert!(
        !compiled
            .evaluate(
                &EvaluationRequest::new("use"),
                &WorldState::at("2025-01-01T00:00:00Z".parse().expect("t"))
            )
            .is_permitted()
    );
}

#[test]
fn purpose_exclusion_and_aggregation_threshold() {
    let charta = Charta::default_1_0();
    let policy = Policy::new(PolicyKind::Set, "urn:p").with_permission(
        Rule::new("aggregate")
            .with_constraint(Constraint::atomic(
                "purpose",
                Operator::IsNoneOf,
                RightOperand::iri_list(["https://w3id.org/dpv#CommercialPurpose"]),
            ))
            .with_constraint(Constraint::atomic(
                &format!("{GWD}aggregationThreshold"),
                Operator::Gteq,
                RightOperand::typed("5", "integer"),
            )),
    );
    let compiled = CompiledPolicy::compile(&policy, &charta).expect("compile");
    let mut w = WorldState {
        aggregation_k: Some(5),
        ..WorldState::default()
    };
    assert!(
        compiled
            .evaluate(&EvaluationRequest::new("aggregate").with_purpose(HEAT), &w)
            .is_permitted()
    );
    // Personalised advertising is a kind of commercial purpose (isA), so it is excluded.
    let r = compiled.evaluate(
        &EvaluationRequest::new("aggregate").with_purpose("dpv:PersonalisedAdvertising"),
        &w,
    );
    assert_eq!(
        r.denial_reasons(Lang::De),
        [
            "Der Zweck „Personalisierte Werbung“ ist ausgeschlossen (ausgeschlossen sind: Kommerzielle Zwecke)."
        ]
    );
    w.aggregation_k = Some(3);
    let r = compiled.evaluate(&EvaluationRequest::new("aggregate").with_purpose(HEAT), &w);
    assert_eq!(
        r.denial_reasons(Lang::De),
        [
            "Ergebnisse dürfen nur Gruppen von mindestens 5 Datensätzen zeigen; angefragt war eine Mindestgröße von 3."
        ]
    );
}

#[test]
fn compile_errors_name_the_constraint() {
    let charta = Charta::default_1_0();
    let bad = [
        (
            Constraint::atomic("dateTime", Operator::Lteq, RightOperand::string("tomorrow")),
            "$.permission[0].constraint[0].rightOperand",
            "xsd:dateTime",
        ),
        (
            Constraint::atomic("purpose", Operator::Lt, RightOperand::iri(HEAT)),
            "$.permission[0].constraint[0].operator",
            "does not apply",
        ),
        (
            Constraint::atomic("count", Operator::Lteq, RightOperand::string("viele")),
            "$.permission[0].constraint[0].rightOperand",
            "whole number",
        ),
        (
            Constraint::atomic(
                &format!("{GWD}recipientAgs"),
                Operator::IsPartOf,
                RightOperand::string("99"),
            ),
            "$.permission[0].constraint[0].rightOperand",
            "AGS",
        ),
        (
            Constraint::atomic(
                "elapsedTime",
                Operator::Lteq,
                RightOperand::string("12 Monate"),
            ),
            "$.permission[0].constraint[0].rightOperand",
            "xsd:duration",
        ),
    ];
    for (c, path, words) in bad {
        let p = Policy::new(PolicyKind::Offer, "urn:p")
            .with_permission(Rule::new("use").with_constraint(c));
        let err = CompiledPolicy::compile(&p, &charta)
            .expect_err("must fail")
            .to_string();
        assert!(err.starts_with(path) && err.contains(words), "{err}");
    }
}
