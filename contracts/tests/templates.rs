//! The shipped templates: they pass the check, render deterministically to Markdown, HTML and
//! an ODRL offer that satisfies the Charta, and refuse values out of bounds.

use std::collections::BTreeMap;

use contracts::charta::{Charta, DatasetContext};
use contracts::eval::{CompiledPolicy, EvaluationRequest, Lang, WorldState};
use contracts::odrl::Policy;
use contracts::template::{Access, Approval, Template};

const TEMPLATES: [(&str, &str); 3] = [
    (
        "kommunale-planung-aggregiert-12-monate",
        include_str!("../templates/kommunale-planung-aggregiert-12-monate.md"),
    ),
    (
        "mobilitaetsdaten-verkehrsplanung",
        include_str!("../templates/mobilitaetsdaten-verkehrsplanung.md"),
    ),
    (
        "sandbox-schul-und-gesundheitsdaten",
        include_str!("../templates/sandbox-schul-und-gesundheitsdaten.md"),
    ),
];

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn shipped_templates_are_clean_and_charta_compliant() {
    let charta = Charta::default_1_0();
    for (id, text) in TEMPLATES {
        let t = Template::parse(text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(t.id, id);
        assert_eq!(t.language, "de");
        let diags = t.check(&charta);
        assert!(diags.is_empty(), "{id}: {diags:?}");
        let c = t.render(&BTreeMap::new(), &charta).expect("render");
        let report = charta.check_offer(
            &c.offer,
            &DatasetContext {
                personal_adjacent: t.personal_adjacent,
                sandbox: t.access == Access::Sandbox,
            },
        );
        assert!(report.findings.is_empty(), "{id}: {:?}", report.findings);
        // The offer is DSP JSON-LD that reads back to the same terms.
        let back = Policy::from_dsp_json(&c.offer.to_dsp_document()).expect("offer reads back");
        back.same_terms(&c.offer).expect("same terms");
        assert!(!c.markdown.contains("{{"), "{id}: unfilled placeholder");
        assert!(
            !c.markdown.contains("{#"),
            "{id}: clause anchors are not shown"
        );
    }
}

#[test]
fn heat_planning_template_says_what_the_showcase_needs() {
    let charta = Charta::default_1_0();
    let t = Template::parse(TEMPLATES[0].1).expect("parse");
    assert_eq!(t.title, "Kommunale Planung – aggregiert, 12 Monate");
    assert_eq!(t.approval, Approval::Automatic);
    let c = t.render(&BTreeMap::new(), &charta).expect("render");
    assert!(
        c.markdown.contains("spätestens nach 12 Monaten"),
        "duration in words"
    );
    assert!(
        c.markdown
            .contains("Kommunale Wärmeplanung und Kommunale Energieleitplanung")
    );
    assert!(c.markdown.contains("mindestens 5 Haushalte"));
    assert!(c.markdown.contains("Land Bayern (09)"));
    assert!(
        c.html.contains("<h2 id=\"zweck\">§ 2 Zweckbindung</h2>"),
        "{}",
        c.html
    );
    assert_eq!(c.parameters.get("dauer").map(String::as_str), Some("P12M"));
    // The offer permits heat planning by a member municipality in Bayern and refuses advertising.
    let compiled = CompiledPolicy::compile(&c.offer, &charta).expect("compile");
    let mut w = WorldState::at("2025-06-01T00:00:00Z".parse().expect("t"));
    w.agreement_start = Some("2025-05-01T00:00:00Z".parse().expect("t"));
    w.recipient.ags = vec!["09162000".into()];
    w.recipient.charta_member = true;
    w.aggregation_k = Some(5);
    for d in ["delete", "gwd:logAccess", "gwd:shareResults"] {
        w.duties.insert(
            contracts::odrl::terms::expand_vocab(d),
            contracts::eval::DutyState::Pending,
        );
    }
    let ok = compiled.evaluate(
        &EvaluationRequest::new("aggregate").with_purpose("gwd:Waermeplanung"),
        &w,
    );
    assert!(ok.is_permitted(), "{}", ok.explain(Lang::De));
    let no = compiled.evaluate(
        &EvaluationRequest::new("aggregate").with_purpose("dpv:Marketing"),
        &w,
    );
    assert!(!no.is_permitted());
    let raw = compiled.evaluate(
        &EvaluationRequest::new("distribute").with_purpose("gwd:Waermeplanung"),
        &w,
    );
    assert!(!raw.is_permitted());
}

#[test]
fn rendering_is_deterministic_and_hash_covers_the_text() {
    let charta = Charta::default_1_0();
    let t = Template::parse(TEMPLATES[1].1).expect("parse");
    let a = t
        .render(&params(&[("dauer", "P6M")]), &charta)
        .expect("render");
    let b = t
        .render(&params(&[("dauer", "P6M")]), &charta)
        .expect("render");
    assert_eq!(a, b);
    let c = t
        .render(&params(&[("dauer", "P7M")]), &charta)
        .expect("render");
    assert_ne!(a.sha256, c.sha256);
    assert_ne!(
        a.offer.uid, c.offer.uid,
        "the offer id depends on the parameters"
    );
    assert!(a.markdown.contains("nach 6 Monaten"));
    use sha2::Digest;
    assert_eq!(
        a.sha256,
        hex::encode(sha2::Sha256::digest(a.markdown.as_bytes()))
    );
    assert!(
        a.markdown.contains(charta.sha256()),
        "the text names the Charta hash"
    );
}

#[test]
fn values_are_checked_against_types_and_bounds() {
    let charta = Charta::default_1_0();
    let t = Template::parse(TEMPLATES[1].1).expect("parse");
    for (name, value, code) in [
        ("dauer", "P36M", "value-out-of-bounds"),
        ("dauer", "drei Jahre", "invalid-value"),
        ("abrufe", "0", "value-out-of-bounds"),
        ("abrufe", "-3", "invalid-value"),
        ("gebiet", "09162999", "invalid-value"),
        ("quelle", "Stadtwerke", "invalid-value"),
        ("unbekannt", "1", "unknown-parameter"),
    ] {
        let err = t
            .render(&params(&[(name, value)]), &charta)
            .expect_err(&format!("{name}={value}"));
        assert!(
            err.0.iter().any(|d| d.code == code),
            "{name}={value}: {err}"
        );
    }
    let s = Template::parse(TEMPLATES[2].1).expect("parse");
    let err = s
        .render(&params(&[("k", "3")]), &charta)
        .expect_err("k below min");
    assert!(err.to_string().contains("below the minimum 5"), "{err}");
    let err = s
        .render(&params(&[("ende", "2024-12-31")]), &charta)
        .expect_err("date below min");
    assert_eq!(err.0[0].code, "value-out-of-bounds");
    // A purpose outside the Charta cannot be put into a contract.
    let err = t
        .render(&params(&[("zwecke", "dpv:Marketing")]), &charta)
        .expect_err("marketing");
    assert!(err.to_string().contains("GW-1"), "{err}");
}

#[test]
fn raw_html_in_a_template_is_shown_as_text() {
    let charta = Charta::default_1_0();
    let text = TEMPLATES[1].1.replace(
        "Entgelte werden nicht erhoben.",
        "Entgelte werden nicht erhoben. <script>alert('x')</script> & <b>fett</b>",
    );
    let t = Template::parse(&text).expect("parse");
    let c = t.render(&BTreeMap::new(), &charta).expect("render");
    assert!(!c.html.contains("<script>"), "{}", c.html);
    assert!(c.html.contains("&lt;script&gt;"));
    assert!(c.html.contains("&amp;"));
    assert!(c.html.starts_with("<!DOCTYPE html>\n<html lang=\"de\">"));
}

#[test]
fn version_must_increase_when_the_text_changes() {
    let t1 = Template::parse(TEMPLATES[1].1).expect("parse");
    assert!(
        t1.check_version(&t1).is_none(),
        "unchanged text, same version: fine"
    );
    let changed = TEMPLATES[1]
        .1
        .replace("Beauftragte Planungsbüros", "Beauftragte Ingenieurbüros");
    let t2 = Template::parse(&changed).expect("parse");
    assert_eq!(
        t2.check_version(&t1).map(|d| d.code),
        Some("version-not-increased")
    );
    let bumped = Template::parse(&changed.replace("version = \"1.0.0\"", "version = \"1.0.1\""))
        .expect("parse");
    assert!(bumped.check_version(&t1).is_none());
    assert!(bumped.check_published("1.0.0", &t1.sha256()).is_none());
    assert_eq!(
        t1.check_published("1.1.0", &t1.sha256()).map(|d| d.code),
        Some("version-decreased")
    );
}

#[test]
fn oversized_templates_are_refused() {
    let big = format!("{}\n{}", TEMPLATES[1].1, "x".repeat(1024 * 1024));
    let err = Template::parse(&big).expect_err("too large");
    assert_eq!(err.0[0].code, "too-large");
}
