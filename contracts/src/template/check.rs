//! Checking a template: structure (placeholders, parameters, rules, clauses, bounds), the
//! Charta (every MUSS principle implemented by a clause and met by the rules), and versions.

use std::collections::BTreeSet;

use super::Template;
use super::diagnostic::Diagnostic;
use super::params::{ParamType, ParamValue, duration_exceeds};
use super::parse::parse_semver;
use crate::charta::{Charta, DatasetContext, Level, Severity};
use crate::odrl::{Operator, RightOperand, terms};
use crate::text::line_col;

/// The value side of a rule's constraint expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprValue {
    Param(String),
    Literal(RightOperand),
}

/// Reads `left operator value` (e.g. `purpose isAnyOf {{zwecke}}`, `count lteq 10`).
pub(crate) fn parse_expr(text: &str) -> Result<(String, Operator, ExprValue), String> {
    let mut parts = text.trim().splitn(3, char::is_whitespace);
    let (Some(left), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(
            "expected “leftOperand operator value”, e.g. “purpose isAnyOf {{zwecke}}”".into(),
        );
    };
    let operator = Operator::from_term(op).ok_or_else(|| {
        format!(
            "“{op}” is not an ODRL operator; use one of: {}",
            Operator::ALL.map(|o| o.term()).join(", ")
        )
    })?;
    let value = value.trim();
    let v = if let Some(name) = value.strip_prefix("{{").and_then(|v| v.strip_suffix("}}")) {
        ExprValue::Param(name.trim().to_owned())
    } else if let Some(list) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        ExprValue::Literal(RightOperand::List(
            list.split(',').map(|s| literal(s.trim())).collect(),
        ))
    } else {
        ExprValue::Literal(literal(value))
    };
    Ok((terms::expand_vocab(left), operator, v))
}

fn literal(text: &str) -> RightOperand {
    let t = text.trim_matches('"');
    if t.parse::<i64>().is_ok() {
        RightOperand::typed(t, "integer")
    } else if t == "true" || t == "false" {
        RightOperand::typed(t, "boolean")
    } else if crate::eval::XsdDuration::parse(t).is_some() {
        RightOperand::typed(t, "duration")
    } else if crate::eval::parse_date(t).is_some() {
        RightOperand::typed(t, "date")
    } else if t.contains('T') && crate::eval::parse_date_time(t).is_some() {
        RightOperand::typed(t, "dateTime")
    } else if t.contains(':') {
        RightOperand::iri(terms::expand_prefixed(t))
    } else {
        RightOperand::string(t)
    }
}

fn cmp_values(a: &ParamValue, b: &ParamValue) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (ParamValue::Number(x), ParamValue::Number(y)) => Some(x.cmp(y)),
        (ParamValue::Date(x), ParamValue::Date(y)) => Some(x.cmp(y)),
        (ParamValue::Duration(x), ParamValue::Duration(y)) => Some(if duration_exceeds(x, y) {
            std::cmp::Ordering::Greater
        } else if duration_exceeds(y, x) {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Equal
        }),
        _ => None,
    }
}

impl Template {
    /// Checks a value against the parameter's bounds; `Err` says what is allowed (en, de).
    pub(crate) fn check_bounds(
        &self,
        name: &str,
        value: &ParamValue,
    ) -> Result<(), (String, String)> {
        let Some(decl) = self.parameters.get(name) else {
            return Ok(());
        };
        if let Some(min) = &decl.min
            && cmp_values(value, min) == Some(std::cmp::Ordering::Less)
        {
            return Err((
                format!(
                    "value {} of “{name}” is below the minimum {}",
                    value.canonical(),
                    min.canonical()
                ),
                format!(
                    "Wert {} von „{name}“ liegt unter dem Minimum {}",
                    value.canonical(),
                    min.canonical()
                ),
            ));
        }
        if let Some(max) = &decl.max
            && cmp_values(value, max) == Some(std::cmp::Ordering::Greater)
        {
            return Err((
                format!(
                    "value {} of “{name}” exceeds the maximum {}",
                    value.canonical(),
                    max.canonical()
                ),
                format!(
                    "Wert {} von „{name}“ überschreitet das Maximum {}",
                    value.canonical(),
                    max.canonical()
                ),
            ));
        }
        if let (Some(within), ParamValue::Region(r)) = (&decl.within, value)
            && !within.contains(r)
        {
            return Err((
                format!(
                    "region {} of “{name}” does not lie within {}",
                    r.code(),
                    within.code()
                ),
                format!(
                    "Gebiet {} von „{name}“ liegt nicht in {}",
                    r.code(),
                    within.code()
                ),
            ));
        }
        Ok(())
    }

    /// Structural checks done while parsing.
    pub(crate) fn check_structure(&self, diags: &mut Vec<Diagnostic>) {
        let file = &self.source;
        for p in self.body_placeholders.iter().chain(&self.rule_placeholders) {
            if !self.parameters.contains_key(&p.name) {
                let known: Vec<&str> = self.parameters.keys().map(String::as_str).collect();
                diags.push(Diagnostic::error(
                    "unknown-placeholder",
                    line_col(file, p.offset),
                    format!("unknown placeholder {{{{{}}}}}; declare [parameters.{}] in the front matter or use one of: {}", p.name, p.name, known.join(", ")),
                    format!("unbekannter Platzhalter {{{{{}}}}}; deklarieren Sie [parameters.{}] im Vorspann oder verwenden Sie einen von: {}", p.name, p.name, known.join(", ")),
                ));
            }
        }
        let used: BTreeSet<&str> = self
            .body_placeholders
            .iter()
            .chain(&self.rule_placeholders)
            .map(|p| p.name.as_str())
            .collect();
        for (name, decl) in &self.parameters {
            if !used.contains(name.as_str()) {
                diags.push(Diagnostic::error(
                    "unused-parameter",
                    decl.pos,
                    format!("parameter “{name}” is declared but used neither in the text nor in a rule; use {{{{{name}}}}} or remove it"),
                    format!("Parameter „{name}“ ist deklariert, wird aber weder im Text noch in einer Regel verwendet; verwenden Sie {{{{{name}}}}} oder entfernen Sie ihn"),
                ));
            }
            if let (Some(default), Some(pos)) = (&decl.default, decl.default_pos)
                && let Err((en, de)) = self.check_bounds(name, default)
            {
                diags.push(Diagnostic::error(
                    "default-out-of-bounds",
                    pos,
                    format!("default: {en}"),
                    format!("Standardwert: {de}"),
                ));
            }
            if let (Some(min), Some(max)) = (&decl.min, &decl.max)
                && cmp_values(min, max) == Some(std::cmp::Ordering::Greater)
            {
                diags.push(Diagnostic::error(
                    "invalid-bound",
                    decl.pos,
                    format!(
                        "parameter “{name}”: min {} is greater than max {}",
                        min.canonical(),
                        max.canonical()
                    ),
                    format!(
                        "Parameter „{name}“: min {} ist größer als max {}",
                        min.canonical(),
                        max.canonical()
                    ),
                ));
            }
        }
        let headings: BTreeSet<&str> = self.headings.iter().map(|h| h.id.as_str()).collect();
        for h in &self.headings {
            if !self.clauses.contains_key(&h.id) {
                diags.push(Diagnostic::error(
                    "undeclared-clause",
                    line_col(file, h.offset),
                    format!("clause {{#{}}} is not declared; add [clauses.{}] with the principles it implements to the front matter", h.id, h.id),
                    format!("Klausel {{#{}}} ist nicht deklariert; ergänzen Sie im Vorspann [clauses.{}] mit den Grundsätzen, die sie umsetzt", h.id, h.id),
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for h in &self.headings {
            if !seen.insert(h.id.as_str()) {
                diags.push(Diagnostic::error(
                    "duplicate-clause",
                    line_col(file, h.offset),
                    format!("clause {{#{}}} appears twice; give each clause its own id", h.id),
                    format!("Klausel {{#{}}} kommt zweimal vor; geben Sie jeder Klausel eine eigene Kennung", h.id),
                ));
            }
        }
        for (id, clause) in &self.clauses {
            if !headings.contains(id.as_str()) {
                diags.push(Diagnostic::error(
                    "missing-clause",
                    clause.pos,
                    format!("clause “{id}” is declared but not in the text; add a heading such as “## § 1 … {{#{id}}}”"),
                    format!("Klausel „{id}“ ist deklariert, steht aber nicht im Text; ergänzen Sie eine Überschrift wie „## § 1 … {{#{id}}}“"),
                ));
            }
        }
        for rule in &self.rules {
            if !matches!(
                rule.kind.as_str(),
                "permission" | "prohibition" | "obligation"
            ) {
                diags.push(Diagnostic::error(
                    "invalid-rule",
                    rule.kind_pos,
                    format!(
                        "rule kind “{}” is not one of permission, prohibition, obligation",
                        rule.kind
                    ),
                    format!(
                        "Regelart „{}“ ist keine von permission, prohibition, obligation",
                        rule.kind
                    ),
                ));
            }
            if rule.action.trim().is_empty() || rule.action.contains(char::is_whitespace) {
                diags.push(Diagnostic::error(
                    "invalid-rule",
                    rule.action_pos,
                    format!("action “{}” must be one ODRL action such as use, distribute or gwd:reidentify", rule.action),
                    format!("Aktion „{}“ muss eine ODRL-Aktion sein, z. B. use, distribute oder gwd:reidentify", rule.action),
                ));
            }
            for (text, offset) in &rule.constraints {
                match parse_expr(text) {
                    Err(e) => diags.push(Diagnostic::error(
                        "invalid-constraint",
                        line_col(file, *offset),
                        format!("constraint “{text}”: {e}"),
                        format!("Bedingung „{text}“: {e}"),
                    )),
                    Ok((left, op, value)) => {
                        if let ExprValue::Param(name) = &value {
                            if let Some(decl) = self.parameters.get(name) {
                                let kind = crate::eval::OperandKind::of(&left);
                                let sample = decl
                                    .default
                                    .clone()
                                    .unwrap_or_else(|| ParamValue::sample(decl.ty));
                                let policy_check =
                                    crate::eval::check_operand(kind, op, &sample.operand());
                                if let Err(e) = policy_check {
                                    diags.push(Diagnostic::error(
                                        "invalid-constraint",
                                        line_col(file, *offset),
                                        format!("constraint “{text}”: parameter “{name}” ({}) does not fit: {e}", decl.ty.name()),
                                        format!("Bedingung „{text}“: Parameter „{name}“ ({}) passt nicht: {e}", decl.ty.name()),
                                    ));
                                }
                            }
                        } else if let ExprValue::Literal(lit) = &value
                            && let Err(e) = crate::eval::check_operand(
                                crate::eval::OperandKind::of(&left),
                                op,
                                lit,
                            )
                        {
                            diags.push(Diagnostic::error(
                                "invalid-constraint",
                                line_col(file, *offset),
                                format!("constraint “{text}”: {e}"),
                                format!("Bedingung „{text}“: {e}"),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Checks the template against a Charta: its version, that every principle named exists,
    /// that every applicable MUSS principle is implemented by a clause (SOLL: warning), that a
    /// personal-adjacent template grants sandbox access only, and that the rules (rendered
    /// with the defaults) meet the principles. Returns all findings; none is an error when
    /// the template may be published.
    pub fn check(&self, charta: &Charta) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        if self.charta_version != charta.version() {
            diags.push(Diagnostic::error(
                "charta-version-mismatch",
                self.charta_pos,
                format!("the template is written for Charta {}, but Charta {} is checked against; update “charta” and review the clauses", self.charta_version, charta.version()),
                format!("die Vorlage ist für Charta {} geschrieben, geprüft wird gegen Charta {}; passen Sie „charta“ an und prüfen Sie die Klauseln", self.charta_version, charta.version()),
            ));
        }
        let mut covered = BTreeSet::new();
        for clause in self.clauses.values() {
            for (p, pos) in &clause.principles {
                if charta.principle(p).is_none() {
                    diags.push(Diagnostic::error(
                        "unknown-principle",
                        *pos,
                        format!(
                            "“{p}” is not a principle of Charta {}; use GW-1 … GW-{}",
                            charta.version(),
                            charta.principles().len()
                        ),
                        format!(
                            "„{p}“ ist kein Grundsatz der Charta {}; verwenden Sie GW-1 … GW-{}",
                            charta.version(),
                            charta.principles().len()
                        ),
                    ));
                }
                covered.insert(p.as_str());
            }
        }
        let clauses_pos = self.clauses.values().map(|c| c.pos).min().unwrap_or((1, 1));
        for principle in charta.applicable(self.personal_adjacent) {
            if covered.contains(principle.id.as_str()) {
                continue;
            }
            let (en, de) = (
                format!(
                    "no clause implements {} {} ({}); add a clause with principles = [\"{}\"] stating: {}",
                    principle.id,
                    principle.title,
                    principle.level.as_str(),
                    principle.id,
                    principle.wording
                ),
                format!(
                    "keine Klausel setzt {} {} ({}) um; ergänzen Sie eine Klausel mit principles = [\"{}\"] und dem Wortlaut: {}",
                    principle.id,
                    principle.title,
                    principle.level.as_str(),
                    principle.id,
                    principle.wording
                ),
            );
            diags.push(match principle.level {
                Level::Muss => Diagnostic::error("missing-principle", clauses_pos, en, de),
                Level::Soll => Diagnostic::warning("recommended-principle", clauses_pos, en, de),
            });
        }
        if self.personal_adjacent && self.access != super::Access::Sandbox {
            diags.push(Diagnostic::error(
                "sandbox-required",
                self.access_pos,
                "a template for personal-adjacent data may only grant sandbox access (GW-6); set access = \"sandbox\" and a minimum group size k",
                "eine Vorlage für personennahe Daten darf nur Sandbox-Zugriff gewähren (GW-6); setzen Sie access = \"sandbox\" und eine Mindestgruppengröße k",
            ));
        }
        match self.offer_with(&Default::default(), true) {
            Ok(offer) => {
                let ctx = DatasetContext {
                    personal_adjacent: self.personal_adjacent,
                    sandbox: self.access == super::Access::Sandbox,
                };
                let rules_pos = self.rules.first().map(|r| r.kind_pos).unwrap_or((2, 1));
                for f in charta.check_offer(&offer, &ctx).findings {
                    let (en, de) = (
                        format!("the rules do not meet {}: {}", f.principle, f.message_en),
                        format!(
                            "die Regeln erfüllen {} nicht: {}",
                            f.principle, f.message_de
                        ),
                    );
                    diags.push(match f.severity {
                        Severity::Error => {
                            Diagnostic::error("rules-not-compliant", rules_pos, en, de)
                        }
                        _ => Diagnostic::warning("rules-not-compliant", rules_pos, en, de),
                    });
                }
            }
            Err(errs) => diags.extend(errs),
        }
        diags
    }

    /// Compares with the previously published version of the same template: a changed text
    /// needs a higher version.
    pub fn check_version(&self, previous: &Template) -> Option<Diagnostic> {
        if previous.id != self.id {
            return Some(Diagnostic::error(
                "version-id-mismatch",
                self.id_pos,
                format!(
                    "the previous version has id “{}”, this one “{}”; compare versions of the same template",
                    previous.id, self.id
                ),
                format!(
                    "die vorige Version hat die id „{}“, diese „{}“; vergleichen Sie Versionen derselben Vorlage",
                    previous.id, self.id
                ),
            ));
        }
        self.check_published(&previous.version_string(), &previous.sha256())
    }

    /// Compares with a published version given by its version and SHA-256.
    pub fn check_published(&self, version: &str, sha256: &str) -> Option<Diagnostic> {
        let Some(prev) = parse_semver(version) else {
            return Some(Diagnostic::error(
                "invalid-version",
                self.version_pos,
                format!("the previous version “{version}” is not MAJOR.MINOR.PATCH"),
                format!("die vorige Version „{version}“ ist nicht MAJOR.MINOR.PATCH"),
            ));
        };
        let changed = !self.sha256().eq_ignore_ascii_case(sha256.trim());
        let v = self.version_string();
        if self.version < prev {
            return Some(Diagnostic::error(
                "version-decreased",
                self.version_pos,
                format!(
                    "version {v} is lower than the published {version}; versions only increase"
                ),
                format!(
                    "Version {v} ist kleiner als die veröffentlichte {version}; Versionen steigen nur"
                ),
            ));
        }
        if changed && self.version == prev {
            return Some(Diagnostic::error(
                "version-not-increased",
                self.version_pos,
                format!(
                    "the text changed since version {version} was published, but the version is still {v}; raise it (e.g. to {}.{}.{} for a wording fix, {}.{}.0 for changed terms)",
                    prev.0,
                    prev.1,
                    prev.2 + 1,
                    prev.0,
                    prev.1 + 1
                ),
                format!(
                    "der Text hat sich seit der veröffentlichten Version {version} geändert, die Version ist aber noch {v}; erhöhen Sie sie (z. B. auf {}.{}.{} für eine Formulierung, {}.{}.0 für geänderte Bedingungen)",
                    prev.0,
                    prev.1,
                    prev.2 + 1,
                    prev.0,
                    prev.1 + 1
                ),
            ));
        }
        None
    }

    /// Resolves parameter values: given ones (checked) over defaults; with `for_check`, a
    /// parameter without default gets a sample value of its type.
    pub(crate) fn resolve(
        &self,
        given: &std::collections::BTreeMap<String, String>,
        for_check: bool,
    ) -> Result<std::collections::BTreeMap<String, ParamValue>, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        for name in given.keys() {
            if !self.parameters.contains_key(name) {
                let known: Vec<&str> = self.parameters.keys().map(String::as_str).collect();
                diags.push(Diagnostic::error(
                    "unknown-parameter",
                    (1, 1),
                    format!(
                        "the template has no parameter “{name}”; known: {}",
                        known.join(", ")
                    ),
                    format!(
                        "die Vorlage hat keinen Parameter „{name}“; bekannt sind: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        let mut values = std::collections::BTreeMap::new();
        for (name, decl) in &self.parameters {
            let value = match given.get(name) {
                Some(text) => match ParamValue::parse(decl.ty, text) {
                    Ok(v) => v,
                    Err(e) => {
                        diags.push(Diagnostic::error(
                            "invalid-value",
                            decl.pos,
                            format!(
                                "parameter “{name}” ({}): {e}; example: {}",
                                decl.ty.name(),
                                decl.ty.example()
                            ),
                            format!(
                                "Parameter „{name}“ ({}): {e}; Beispiel: {}",
                                decl.ty.name(),
                                decl.ty.example()
                            ),
                        ));
                        continue;
                    }
                },
                None => match &decl.default {
                    Some(d) => d.clone(),
                    None if for_check => ParamValue::sample(decl.ty),
                    None => {
                        diags.push(Diagnostic::error(
                            "missing-value",
                            decl.pos,
                            format!("parameter “{name}” has no default; give a value with --param {name}=… (e.g. {})", decl.ty.example()),
                            format!("Parameter „{name}“ hat keinen Standardwert; geben Sie einen Wert mit --param {name}=… an (z. B. {})", decl.ty.example()),
                        ));
                        continue;
                    }
                },
            };
            if let Err((en, de)) = self.check_bounds(name, &value) {
                diags.push(Diagnostic::error("value-out-of-bounds", decl.pos, en, de));
                continue;
            }
            if decl.ty == ParamType::K && matches!(value, ParamValue::Number(k) if k < 2) {
                diags.push(Diagnostic::error(
                    "value-out-of-bounds",
                    decl.pos,
                    format!("a minimum group size k of {} protects nobody; use at least 2", value.canonical()),
                    format!("eine Mindestgruppengröße k von {} schützt niemanden; verwenden Sie mindestens 2", value.canonical()),
                ));
                continue;
            }
            values.insert(name.clone(), value);
        }
        if diags.is_empty() {
            Ok(values)
        } else {
            Err(diags)
        }
    }
}
