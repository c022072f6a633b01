//! The corpus of broken templates: each `tests/broken-templates/NAME.md` must produce exactly
//! the errors in `NAME.expected` (one rendered diagnostic per line, in English, positions
//! included). A `NAME.previous.md` beside it is the previously published version the template
//! is compared with.

use std::path::Path;

use contracts::charta::Charta;
use contracts::eval::Lang;
use contracts::template::Template;

fn errors_for(path: &Path, charta: &Charta) -> Vec<String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let text = std::fs::read_to_string(path).expect("template");
    let diags = match Template::parse(&text) {
        Err(e) => e.0,
        Ok(t) => {
            let mut d = t.check(charta);
            let prev = path.with_extension("previous.md");
            if prev.exists() {
                let previous = Template::parse(&std::fs::read_to_string(&prev).expect("previous"))
                    .expect("previous parses");
                d.extend(t.check_version(&previous));
            }
            d
        }
    };
    diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(&name, Lang::En))
        .collect()
}

#[test]
fn every_broken_template_gives_its_exact_errors() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/broken-templates"
    ));
    let charta = Charta::default_1_0();
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && !p.to_string_lossy().ends_with(".previous.md")
        })
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 15,
        "the corpus has {} templates; at least 15 are required",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let expected_path = case.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no .expected file", case.display()));
        let expected: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
        let actual = errors_for(case, &charta);
        assert!(
            !expected.is_empty(),
            "{}: the .expected file lists no error",
            case.display()
        );
        if actual != expected {
            failures.push(format!(
                "{}\n  expected: {expected:#?}\n  actual:   {actual:#?}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_error_code_is_covered_by_the_corpus() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/broken-templates"
    ));
    let mut all = String::new();
    for e in std::fs::read_dir(dir)
        .expect("corpus")
        .filter_map(|e| e.ok())
    {
        if e.path().extension().is_some_and(|x| x == "expected") {
            all.push_str(&std::fs::read_to_string(e.path()).expect("expected"));
        }
    }
    for code in [
        "front-matter-missing",
        "front-matter-unclosed",
        "front-matter-syntax",
        "invalid-version",
        "unknown-placeholder",
        "unused-parameter",
        "unclosed-placeholder",
        "invalid-placeholder",
        "default-out-of-bounds",
        "invalid-default",
        "undeclared-clause",
        "missing-clause",
        "missing-principle",
        "unknown-principle",
        "invalid-constraint",
        "invalid-rule",
        "sandbox-required",
        "rules-not-compliant",
        "charta-version-mismatch",
        "unsupported-language",
        "version-not-increased",
        "version-decreased",
    ] {
        assert!(
            all.contains(&format!("error[{code}]")),
            "no broken template produces {code}"
        );
    }
}
