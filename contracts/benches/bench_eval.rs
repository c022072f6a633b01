//! Evaluations per second of a realistic agreement, single thread.
//!
//! The agreement has one permission with six constraints — purpose (with the Charta's `isA`
//! hierarchy: the request declares Wärmeplanung, the agreement allows Klimaschutz and
//! Verbesserung öffentlicher Dienstleistungen), elapsed time since the agreement (P12M),
//! recipient AGS within Bayern, count of uses, Charta membership and recipient type — three
//! duties (pending) and two prohibitions. Each evaluation builds the full report (every rule,
//! premise, constraint and duty, with the values compared).
//!
//! Run: `cargo bench -p contracts --bench bench_eval` (prints one line per scenario).

use std::hint::black_box;
use std::time::Instant;

use contracts::charta::Charta;
use contracts::eval::{CompiledPolicy, DutyState, EvaluationRequest, WorldState};
use contracts::odrl::Policy;

const AGREEMENT: &str = r#"{
  "@context": "https://w3id.org/dspace/2025/1/context.jsonld",
  "@id": "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
  "@type": "Agreement",
  "target": "urn:dataset:stromverbrauch-baublock-2024",
  "assigner": "did:web:stadtwerke-musterstadt.example",
  "assignee": "did:web:musterstadt.example",
  "timestamp": "2025-03-01T10:00:00Z",
  "permission": [{
    "action": "use",
    "constraint": [
      {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": [
        {"@id": "https://w3id.org/dpv#CombatClimateChange"},
        {"@id": "https://w3id.org/dpv#ImprovePublicServices"}]},
      {"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": {"@value": "P12M", "@type": "xsd:duration"}},
      {"leftOperand": "https://w3id.org/gemeinwohl-datenraum/ns#recipientAgs", "operator": "isPartOf", "rightOperand": "09"},
      {"leftOperand": "count", "operator": "lteq", "rightOperand": {"@value": "1000", "@type": "xsd:integer"}},
      {"leftOperand": "https://w3id.org/gemeinwohl-datenraum/ns#chartaMembership", "operator": "eq", "rightOperand": {"@value": "true", "@type": "xsd:boolean"}},
      {"leftOperand": "https://w3id.org/gemeinwohl-datenraum/ns#recipientType", "operator": "isAnyOf", "rightOperand": [
        {"@id": "https://w3id.org/gemeinwohl-datenraum/ns#Municipality"},
        {"@id": "https://w3id.org/gemeinwohl-datenraum/ns#PublicBody"}]}
    ],
    "duty": [{"action": "delete"}, {"action": "https://w3id.org/gemeinwohl-datenraum/ns#logAccess"},
             {"action": "https://w3id.org/gemeinwohl-datenraum/ns#shareResults"}]
  }],
  "prohibition": [{"action": "distribute"}, {"action": "https://w3id.org/gemeinwohl-datenraum/ns#reidentify"}]
}"#;

fn world() -> WorldState {
    let mut w = WorldState::at("2025-09-15T08:30:00Z".parse().expect("now"));
    w.agreement_start = Some("2025-03-01T10:00:00Z".parse().expect("start"));
    w.use_count = Some(41);
    w.recipient.participant_type =
        Some("https://w3id.org/gemeinwohl-datenraum/ns#Municipality".into());
    w.recipient.ags = vec!["09162000".into()];
    w.recipient.charta_member = true;
    w.recipient.charta_version = Some("1.0".into());
    for duty in [
        "http://www.w3.org/ns/odrl/2/delete",
        "https://w3id.org/gemeinwohl-datenraum/ns#logAccess",
        "https://w3id.org/gemeinwohl-datenraum/ns#shareResults",
    ] {
        w.duties.insert(duty.into(), DutyState::Pending);
    }
    w
}

fn measure(
    name: &str,
    compiled: &CompiledPolicy,
    request: &EvaluationRequest,
    world: &WorldState,
    expect_permitted: bool,
) {
    // Warm up, and check the scenario does what its name says.
    for _ in 0..10_000 {
        black_box(compiled.evaluate(black_box(request), black_box(world)));
    }
    assert_eq!(
        compiled.evaluate(request, world).is_permitted(),
        expect_permitted,
        "{name}"
    );
    let n = 300_000u32;
    let start = Instant::now();
    for _ in 0..n {
        let report = compiled.evaluate(black_box(request), black_box(world));
        black_box(report.is_permitted());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bench_eval {name}: {:.0} evaluations/s ({:.2} µs each, {n} evaluations, single thread)",
        f64::from(n) / secs,
        secs * 1e6 / f64::from(n)
    );
}

fn main() {
    let charta = Charta::default_1_0();
    let value: serde_json::Value = serde_json::from_str(AGREEMENT).expect("agreement JSON");
    let policy = Policy::from_dsp_json(&value).expect("agreement");
    let compiled = CompiledPolicy::compile(&policy, &charta).expect("compile");
    let world = world();
    let permitted = EvaluationRequest::new("use")
        .with_party("did:web:musterstadt.example")
        .with_target("urn:dataset:stromverbrauch-baublock-2024")
        .with_purpose("https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung");
    measure(
        "permitted (6 constraints, purpose via isA, AGS)",
        &compiled,
        &permitted,
        &world,
        true,
    );
    let refused = EvaluationRequest::new("use")
        .with_party("did:web:musterstadt.example")
        .with_target("urn:dataset:stromverbrauch-baublock-2024")
        .with_purpose("https://w3id.org/dpv#Advertising");
    measure(
        "refused (wrong purpose)",
        &compiled,
        &refused,
        &world,
        false,
    );
    let start = Instant::now();
    let n = 20_000;
    for _ in 0..n {
        black_box(
            compiled
                .evaluate(&refused, &world)
                .denial_reasons(contracts::eval::Lang::De),
        );
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bench_eval refused + German explanation: {:.0} evaluations/s",
        f64::from(n) / secs
    );
}
