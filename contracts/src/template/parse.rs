//! Reading a template file: the TOML front matter between `+++` lines, the Markdown body,
//! its `{{placeholders}}` and its clause headings (`## § 1 Zweck {#zweck}`).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::params::{ParamType, ParamValue};
use super::{Access, Approval, ClauseDecl, ParamDecl, RuleDecl, Template};
use crate::text::line_col;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    id: Spanned<String>,
    version: Spanned<String>,
    title: Spanned<String>,
    language: Spanned<String>,
    charta: Spanned<String>,
    approval: Spanned<Approval>,
    #[serde(default)]
    access: Option<Spanned<Access>>,
    #[serde(default)]
    personal_adjacent: bool,
    #[serde(default)]
    parameters: BTreeMap<Spanned<String>, RawParam>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    clauses: BTreeMap<Spanned<String>, RawClause>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    #[serde(rename = "type")]
    ty: Spanned<ParamType>,
    label: String,
    #[serde(default)]
    default: Option<Spanned<toml::Value>>,
    #[serde(default)]
    min: Option<Spanned<toml::Value>>,
    #[serde(default)]
    max: Option<Spanned<toml::Value>>,
    #[serde(default)]
    within: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    kind: Spanned<String>,
    action: Spanned<String>,
    #[serde(default)]
    constraints: Vec<Spanned<String>>,
    #[serde(default)]
    duties: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    principles: Vec<Spanned<String>>,
}

/// A `{{name}}` found in the body or in a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    pub(crate) name: String,
    /// Byte offset of `{{` in the file.
    pub(crate) offset: usize,
}

/// A clause heading with its anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClauseHeading {
    pub(crate) id: String,
    pub(crate) offset: usize,
}

fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(a) => a.iter().map(toml_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Finds `{{name}}` in `text` (which starts at byte `base` of the file).
pub(crate) fn scan_placeholders(
    file: &str,
    text: &str,
    base: usize,
    out: &mut Vec<Placeholder>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let start = from + i;
        let Some(j) = text[start + 2..].find("}}") else {
            diags.push(Diagnostic::error(
                "unclosed-placeholder",
                line_col(file, base + start),
                "“{{” opens a placeholder that is never closed; write {{name}}",
                "„{{“ öffnet einen Platzhalter, der nicht geschlossen wird; schreiben Sie {{name}}",
            ));
            return;
        };
        let inner = &text[start + 2..start + 2 + j];
        let name = inner.trim();
        if inner.contains('\n') || !valid_name(name) {
            diags.push(Diagnostic::error(
                "invalid-placeholder",
                line_col(file, base + start),
                format!("“{{{{{inner}}}}}” is not a valid placeholder; names use letters, digits, _ and - (e.g. {{{{dauer}}}})"),
                format!("„{{{{{inner}}}}}“ ist kein gültiger Platzhalter; Namen bestehen aus Buchstaben, Ziffern, _ und - (z. B. {{{{dauer}}}})"),
            ));
        } else {
            out.push(Placeholder {
                name: name.to_owned(),
                offset: base + start,
            });
        }
        from = start + 2 + j + 2;
    }
}

/// Finds headings with an anchor `{#id}`.
fn scan_clauses(
    file: &str,
    body: &str,
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ClauseHeading> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with('#')
            && let Some(open) = trimmed.rfind("{#")
            && trimmed.ends_with('}')
        {
            let id = &trimmed[open + 2..trimmed.len() - 1];
            if valid_name(id) {
                out.push(ClauseHeading {
                    id: id.to_owned(),
                    offset: base + offset + open,
                });
            } else {
                diags.push(Diagnostic::error(
                            "invalid-clause-id",
                            line_col(file, base + offset + open),
                            format!("“{{#{id}}}” is not a valid clause id; use letters, digits, _ and -"),
                            format!("„{{#{id}}}“ ist keine gültige Klausel-Kennung; verwenden Sie Buchstaben, Ziffern, _ und -"),
                        ));
            }
        }
        offset += line.len();
    }
    out
}

pub(crate) fn parse_semver(s: &str) -> Option<(u64, u64, u64)> {
    let mut parts = s.split('.');
    let a = parts.next()?.parse().ok()?;
    let b = parts.next()?.parse().ok()?;
    let c = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

/// Parses a template file; structural problems are returned as diagnostics.
/// Largest template accepted (bytes).
pub(crate) const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

pub(crate) fn parse(file: &str) -> Result<Template, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if file.len() > MAX_TEMPLATE_BYTES {
        return Err(vec![Diagnostic::error(
            "too-large",
            (1, 1),
            format!(
                "the template has {} bytes; at most {MAX_TEMPLATE_BYTES} are accepted",
                file.len()
            ),
            format!(
                "die Vorlage hat {} Bytes; höchstens {MAX_TEMPLATE_BYTES} werden angenommen",
                file.len()
            ),
        )]);
    }
    let first_line_end = file.find('\n').unwrap_or(file.len());
    if file[..first_line_end].trim_end() != "+++" {
        return Err(vec![Diagnostic::error(
            "front-matter-missing",
            (1, 1),
            "a template starts with a front matter between two lines “+++” (id, version, title, language, charta, approval, parameters, rules, clauses)",
            "eine Vorlage beginnt mit einem Vorspann zwischen zwei Zeilen „+++“ (id, version, title, language, charta, approval, parameters, rules, clauses)",
        )]);
    }
    let fm_start = (first_line_end + 1).min(file.len());
    let mut fm_end = None;
    let mut pos = fm_start;
    for line in file[fm_start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            fm_end = Some((pos, pos + line.len()));
            break;
        }
        pos += line.len();
    }
    let Some((fm_end, body_start)) = fm_end else {
        return Err(vec![Diagnostic::error(
            "front-matter-unclosed",
            (1, 1),
            "the front matter is not closed; add a line “+++” after it",
            "der Vorspann ist nicht geschlossen; fügen Sie danach eine Zeile „+++“ ein",
        )]);
    };
    let front_text = &file[fm_start..fm_end];
    let at = |span: std::ops::Range<usize>| line_col(file, fm_start + span.start);
    let raw: RawFront = match toml::from_str(front_text) {
        Ok(r) => r,
        Err(e) => {
            let pos = e.span().map(&at).unwrap_or((2, 1));
            let msg = e.message().trim().to_owned();
            return Err(vec![Diagnostic::error(
                "front-matter-syntax",
                pos,
                format!("front matter: {msg}"),
                format!("Vorspann: {msg}"),
            )]);
        }
    };
    let id = raw.id.get_ref().trim().to_owned();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        diags.push(Diagnostic::error(
            "invalid-id",
            at(raw.id.span()),
            format!("id “{id}” must be lowercase letters, digits and hyphens (e.g. kommunale-planung-aggregiert)"),
            format!("id „{id}“ muss aus Kleinbuchstaben, Ziffern und Bindestrichen bestehen (z. B. kommunale-planung-aggregiert)"),
        ));
    }
    let version = parse_semver(raw.version.get_ref()).unwrap_or_else(|| {
        diags.push(Diagnostic::error(
            "invalid-version",
            at(raw.version.span()),
            format!(
                "version “{}” is not a semantic version MAJOR.MINOR.PATCH such as 1.0.0",
                raw.version.get_ref()
            ),
            format!(
                "Version „{}“ ist keine semantische Version MAJOR.MINOR.PATCH wie 1.0.0",
                raw.version.get_ref()
            ),
        ));
        (0, 0, 0)
    });
    if !matches!(raw.language.get_ref().as_str(), "de" | "en") {
        diags.push(Diagnostic::error(
            "unsupported-language",
            at(raw.language.span()),
            format!(
                "language “{}” is not supported; use “de” (or “en”)",
                raw.language.get_ref()
            ),
            format!(
                "Sprache „{}“ wird nicht unterstützt; verwenden Sie „de“ (oder „en“)",
                raw.language.get_ref()
            ),
        ));
    }
    let body = &file[body_start..];
    if body.trim().is_empty() {
        diags.push(Diagnostic::error(
            "empty-body",
            line_col(file, body_start),
            "the template has no contract text after the front matter",
            "die Vorlage enthält nach dem Vorspann keinen Vertragstext",
        ));
    }

    let mut parameters = BTreeMap::new();
    for (name, p) in raw.parameters {
        let pos = at(name.span());
        let ty = *p.ty.get_ref();
        let mut read_bound = |v: &Option<Spanned<toml::Value>>, what: &str| -> Option<ParamValue> {
            let v = v.as_ref()?;
            match ParamValue::parse(ty, &toml_text(v.get_ref())) {
                Ok(val) => Some(val),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        if what == "default" {
                            "invalid-default"
                        } else {
                            "invalid-bound"
                        },
                        at(v.span()),
                        format!(
                            "parameter “{}”: {what}: {e}; example: {}",
                            name.get_ref(),
                            ty.example()
                        ),
                        format!(
                            "Parameter „{}“: {what}: {e}; Beispiel: {}",
                            name.get_ref(),
                            ty.example()
                        ),
                    ));
                    None
                }
            }
        };
        let min = read_bound(&p.min, "min");
        let max = read_bound(&p.max, "max");
        let default = read_bound(&p.default, "default");
        let within =
            p.within
                .as_ref()
                .and_then(|w| match crate::eval::Region::parse(w.get_ref()) {
                    Some(r) => Some(r),
                    None => {
                        diags.push(Diagnostic::error(
                            "invalid-bound",
                            at(w.span()),
                            format!(
                                "parameter “{}”: within: “{}” is not an AGS region key",
                                name.get_ref(),
                                w.get_ref()
                            ),
                            format!(
                                "Parameter „{}“: within: „{}“ ist kein Gebietsschlüssel",
                                name.get_ref(),
                                w.get_ref()
                            ),
                        ));
                        None
                    }
                });
        if !valid_name(name.get_ref()) {
            diags.push(Diagnostic::error(
                "invalid-parameter-name",
                pos,
                format!(
                    "parameter name “{}” must use letters, digits, _ and -",
                    name.get_ref()
                ),
                format!(
                    "Parametername „{}“ darf nur Buchstaben, Ziffern, _ und - enthalten",
                    name.get_ref()
                ),
            ));
        }
        parameters.insert(
            name.get_ref().clone(),
            ParamDecl {
                ty,
                label: p.label,
                default,
                default_pos: p.default.as_ref().map(|d| at(d.span())),
                min,
                max,
                within,
                pos,
            },
        );
    }

    let mut rules = Vec::new();
    let mut rule_placeholders = Vec::new();
    for r in &raw.rules {
        let constraints: Vec<(String, usize)> = r
            .constraints
            .iter()
            .map(|c| (c.get_ref().clone(), fm_start + c.span().start + 1))
            .collect();
        for (text, offset) in &constraints {
            scan_placeholders(file, text, *offset, &mut rule_placeholders, &mut diags);
        }
        rules.push(RuleDecl {
            kind: r.kind.get_ref().clone(),
            kind_pos: at(r.kind.span()),
            action: r.action.get_ref().clone(),
            action_pos: at(r.action.span()),
            constraints,
            duties: r
                .duties
                .iter()
                .map(|d| (d.get_ref().clone(), at(d.span())))
                .collect(),
        });
    }

    let mut clauses = BTreeMap::new();
    for (name, c) in raw.clauses {
        clauses.insert(
            name.get_ref().clone(),
            ClauseDecl {
                principles: c
                    .principles
                    .iter()
                    .map(|p| (p.get_ref().clone(), at(p.span())))
                    .collect(),
                pos: at(name.span()),
            },
        );
    }

    let mut body_placeholders = Vec::new();
    scan_placeholders(file, body, body_start, &mut body_placeholders, &mut diags);
    let headings = scan_clauses(file, body, body_start, &mut diags);

    let template = Template {
        source: file.to_owned(),
        id,
        id_pos: at(raw.id.span()),
        version,
        version_pos: at(raw.version.span()),
        title: raw.title.get_ref().clone(),
        language: raw.language.get_ref().clone(),
        charta_version: raw.charta.get_ref().clone(),
        charta_pos: at(raw.charta.span()),
        approval: *raw.approval.get_ref(),
        access: raw
            .access
            .as_ref()
            .map(|a| *a.get_ref())
            .unwrap_or(Access::Transfer),
        access_pos: raw.access.as_ref().map(|a| at(a.span())).unwrap_or((2, 1)),
        personal_adjacent: raw.personal_adjacent,
        parameters,
        rules,
        clauses,
        body_start,
        body_placeholders,
        rule_placeholders,
        headings,
    };
    template.check_structure(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(template)
    }
}
