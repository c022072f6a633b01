//! The compliance check of offers against the Charta: each MUSS principle not met is an error
//! naming it and what is missing; SOLL principles give warnings.

use contracts::charta::{Charta, ComplianceReport, DatasetContext, Severity};
use contracts::odrl::{Constraint, Operator, Policy, PolicyKind, RightOperand, Rule};

const GWD: &str = "https://w3id.org/gemeinwohl-datenraum/ns#";

fn compliant_rule() -> Rule {
    Rule::new("use")
        .with_constraint(Constraint::atomic(
            "purpose",
            Operator::IsAnyOf,
            RightOperand::iri_list([format!("{GWD}Verkehrsplanung")]),
        ))
        .with_constraint(Constraint::atomic(
            "elapsedTime",
            Operator::Lteq,
            RightOperand::typed("P12M", "duration"),
        ))
        .with_duty(Rule::new("delete"))
        .with_duty(Rule::new("gwd:logAccess"))
        .with_duty(Rule::new("gwd:shareResults"))
}

fn offer(rule: Rule) -> Policy {
    Policy::new(PolicyKind::Offer, "urn:o")
        .with_permission(rule)
        .with_prohibition(Rule::new("distribute"))
}

fn check(p: &Policy, personal_adjacent: bool, sandbox: bool) -> ComplianceReport {
    Charta::default_1_0().check_offer(
        p,
        &DatasetContext {
            personal_adjacent,
            sandbox,
        },
    )
}

fn only(report: &ComplianceReport) -> (String, Severity, String) {
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = &report.findings[0];
    (f.principle.clone(), f.severity, f.message_de.clone())
}

#[test]
fn compliant_offer_has_no_findings() {
    let r = check(&offer(compliant_rule()), false, false);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(r.is_compliant());
    assert_eq!(r.charta_version, "1.0");
}

#[test]
fn each_muss_principle_is_named_when_missing() {
    let mut no_purpose = compliant_rule();
    no_purpose.constraints.remove(0);
    let r = check(&offer(no_purpose), false, false);
    assert!(!r.is_compliant());
    let ids: Vec<&str> = r.errors().map(|f| f.principle.as_str()).collect();
    assert_eq!(ids, ["GW-1", "GW-2"]);
    assert!(r.findings[0].message_de.contains("keine Zweck-Bedingung"));

    let mut marketing = compliant_rule();
    marketing.constraints[0] = Constraint::atomic(
        "purpose",
        Operator::IsAnyOf,
        RightOperand::iri_list(["https://w3id.org/dpv#Marketing"]),
    );
    let (id, sev, msg) = only(&check(&offer(marketing), false, false));
    assert_eq!((id.as_str(), sev), ("GW-1", Severity::Error));
    assert!(msg.contains("„Marketing“"), "{msg}");

    let mut unlimited = compliant_rule();
    unlimited.constraints.remove(1);
    let (id, _, msg) = only(&check(&offer(unlimited), false, false));
    assert_eq!(id, "GW-3");
    assert!(msg.contains("nicht befristet"), "{msg}");

    let mut too_long = compliant_rule();
    too_long.constraints[1] = Constraint::atomic(
        "elapsedTime",
        Operator::Lteq,
        RightOperand::typed("P25M", "duration"),
    );
    let (id, _, msg) = only(&check(&offer(too_long), false, false));
    assert_eq!(id, "GW-3");
    assert!(
        msg.contains("25 Monate") && msg.contains("24 Monaten"),
        "{msg}"
    );

    let mut no_delete = compliant_rule();
    no_delete.duties.remove(0);
    let (id, _, msg) = only(&check(&offer(no_delete), false, false));
    assert_eq!(id, "GW-3");
    assert!(msg.contains("Löschpflicht"), "{msg}");

    let no_prohibition = Policy::new(PolicyKind::Offer, "urn:o").with_permission(compliant_rule());
    let (id, _, _) = only(&check(&no_prohibition, false, false));
    assert_eq!(id, "GW-4");
    // Distribution permitted with nextPolicy satisfies GW-4.
    let conditioned = no_prohibition.clone().with_permission(
        Rule::new("distribute")
            .with_duty(Rule::new("nextPolicy"))
            .with_constraint(compliant_rule().constraints[0].clone())
            .with_constraint(compliant_rule().constraints[1].clone())
            .with_duty(Rule::new("delete"))
            .with_duty(Rule::new("gwd:logAccess"))
            .with_duty(Rule::new("gwd:shareResults")),
    );
    assert!(
        check(&conditioned, false, false).findings.is_empty(),
        "{:#?}",
        check(&conditioned, false, false).findings
    );

    let mut no_log = compliant_rule();
    no_log.duties.remove(1);
    let (id, _, _) = only(&check(&offer(no_log), false, false));
    assert_eq!(id, "GW-5");
}

#[test]
fn personal_adjacent_data_needs_sandbox_k_and_no_reidentification() {
    let r = check(&offer(compliant_rule()), true, false);
    let ids: Vec<&str> = r.errors().map(|f| f.principle.as_str()).collect();
    assert_eq!(ids, ["GW-6", "GW-7"]);
    let with_k = |k: &str| {
        offer(compliant_rule().with_constraint(Constraint::atomic(
            &format!("{GWD}aggregationThreshold"),
            Operator::Gteq,
            RightOperand::typed(k, "integer"),
        )))
        .with_prohibition(Rule::new("gwd:reidentify"))
    };
    assert!(check(&with_k("5"), true, true).findings.is_empty());
    let (id, _, msg) = only(&check(&with_k("3"), true, true));
    assert_eq!(id, "GW-6");
    assert!(msg.contains("kleiner als 5"), "{msg}");
    // The same offer for data that is not personal-adjacent needs none of this.
    assert!(
        check(&offer(compliant_rule()), false, false)
            .findings
            .is_empty()
    );
}

#[test]
fn soll_principles_warn() {
    let mut no_results = compliant_rule();
    no_results.duties.remove(2);
    let r = check(&offer(no_results), false, false);
    let (id, sev, _) = only(&r);
    assert_eq!((id.as_str(), sev), ("GW-10", Severity::Warning));
    assert!(r.is_compliant(), "a SOLL principle does not block");
    let exclusive = offer(compliant_rule().with_duty(Rule::new("ensureExclusivity")));
    let (id, sev, _) = only(&check(&exclusive, false, false));
    assert_eq!((id.as_str(), sev), ("GW-11", Severity::Warning));
}
