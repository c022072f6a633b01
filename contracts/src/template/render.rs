//! Rendering a template: the filled contract as Markdown and HTML, and the ODRL offer.
//!
//! Rendering is deterministic: the same template, parameters and Charta give the same bytes.
//! The Markdown text ends with a line naming the template, its version and the Charta
//! version and hash; its SHA-256 is the contract hash that goes into agreements.

use std::collections::BTreeMap;

use pulldown_cmark::{Event, Options, Parser, html};
use sha2::{Digest, Sha256};

use super::check::{ExprValue, parse_expr};
use super::diagnostic::{Diagnostic, TemplateErrors};
use super::params::ParamValue;
use super::{Access, Template};
use crate::charta::Charta;
use crate::odrl::{AtomicConstraint, Constraint, Policy, PolicyKind, Rule};
use crate::text::line_col;

/// A rendered contract.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedContract {
    /// The template's id.
    pub template_id: String,
    /// The template's version.
    pub template_version: String,
    /// The parameter values used, in canonical text form.
    pub parameters: BTreeMap<String, String>,
    /// The filled contract text (Markdown).
    pub markdown: String,
    /// The same as an HTML document (escaped; raw HTML in the template is shown as text).
    pub html: String,
    /// The ODRL offer the rules give (DSP shape).
    pub offer: Policy,
    /// SHA-256 (hex) of `markdown`'s bytes: the contract hash recorded in agreements.
    pub sha256: String,
}

impl RenderedContract {
    /// The reference an agreement records.
    pub fn reference(&self) -> crate::agreement::ContractReference {
        crate::agreement::ContractReference {
            template_id: self.template_id.clone(),
            template_version: self.template_version.clone(),
            contract_sha256: self.sha256.clone(),
            parameters: self.parameters.clone(),
        }
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown to an HTML fragment; raw HTML is escaped, heading anchors become ids.
fn markdown_to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_TABLES,
    )
    .map(|event| match event {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

impl Template {
    /// Builds the ODRL offer from the rules with the given values (defaults otherwise).
    pub(crate) fn offer_with(
        &self,
        given: &BTreeMap<String, String>,
        for_check: bool,
    ) -> Result<Policy, Vec<Diagnostic>> {
        let values = self.resolve(given, for_check)?;
        self.offer_from(&values)
    }

    fn offer_uid(&self, values: &BTreeMap<String, ParamValue>) -> String {
        let mut h = Sha256::new();
        for (k, v) in values {
            h.update(k.as_bytes());
            h.update([0]);
            h.update(v.canonical().as_bytes());
            h.update([0]);
        }
        let digest = hex::encode(h.finalize());
        format!(
            "urn:gwd:offer:{}:{}:{}",
            self.id,
            self.version_string(),
            &digest[..16]
        )
    }

    fn offer_from(&self, values: &BTreeMap<String, ParamValue>) -> Result<Policy, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut offer = Policy::new(PolicyKind::Offer, self.offer_uid(values));
        for rule in &self.rules {
            let mut r = Rule::new(&rule.action);
            for (text, offset) in &rule.constraints {
                let Ok((left, operator, value)) = parse_expr(text) else {
                    diags.push(Diagnostic::error(
                        "invalid-constraint",
                        line_col(&self.source, *offset),
                        format!("constraint “{text}” cannot be read"),
                        format!("Bedingung „{text}“ ist nicht lesbar"),
                    ));
                    continue;
                };
                let right_operand = match value {
                    ExprValue::Literal(l) => l,
                    ExprValue::Param(name) => match values.get(&name) {
                        Some(v) => v.operand(),
                        None => continue,
                    },
                };
                r.constraints.push(Constraint::Atomic(AtomicConstraint {
                    uid: None,
                    left_operand: left,
                    operator,
                    right_operand,
                    data_type: None,
                    unit: None,
                }));
            }
            for (duty, _) in &rule.duties {
                r.duties.push(Rule::new(duty));
            }
            match rule.kind.as_str() {
                "permission" => offer.permissions.push(r),
                "prohibition" => {
                    r.duties.clear();
                    offer.prohibitions.push(r)
                }
                _ => offer.obligations.push(r),
            }
        }
        if offer.permissions.is_empty() && offer.prohibitions.is_empty() {
            diags.push(Diagnostic::error(
                "no-rules",
                (2, 1),
                "the template declares no [[rules]]; add at least one permission",
                "die Vorlage deklariert keine [[rules]]; ergänzen Sie mindestens eine Erlaubnis (permission)",
            ));
        }
        if let Err(e) =
            crate::eval::CompiledPolicy::compile_with_purposes(&offer, Default::default())
        {
            diags.push(Diagnostic::error(
                "invalid-constraint",
                self.rules.first().map(|r| r.kind_pos).unwrap_or((2, 1)),
                format!("the rules do not give a valid ODRL policy: {e}"),
                format!("die Regeln ergeben keine gültige ODRL-Richtlinie: {e}"),
            ));
        }
        if diags.is_empty() {
            Ok(offer)
        } else {
            Err(diags)
        }
    }

    /// Renders the contract with the given parameter values (defaults for the others).
    /// Refuses when the template has errors against the Charta or a value is invalid or out
    /// of bounds.
    pub fn render(
        &self,
        params: &BTreeMap<String, String>,
        charta: &Charta,
    ) -> Result<RenderedContract, TemplateErrors> {
        let errors: Vec<Diagnostic> = self
            .check(charta)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        if !errors.is_empty() {
            return Err(TemplateErrors(errors));
        }
        let values = self.resolve(params, false).map_err(TemplateErrors)?;
        let offer = self.offer_from(&values).map_err(TemplateErrors)?;
        // The values given may break a principle the defaults meet (e.g. a purpose outside
        // the Charta): the rendered offer is checked again.
        let ctx = crate::charta::DatasetContext {
            personal_adjacent: self.personal_adjacent,
            sandbox: self.access == Access::Sandbox,
        };
        let findings: Vec<Diagnostic> = charta
            .check_offer(&offer, &ctx)
            .errors()
            .map(|f| {
                Diagnostic::error(
                    "value-breaks-charta",
                    (1, 1),
                    format!(
                        "with these values the offer does not meet {}: {}",
                        f.principle, f.message_en
                    ),
                    format!(
                        "mit diesen Werten erfüllt das Angebot {} nicht: {}",
                        f.principle, f.message_de
                    ),
                )
            })
            .collect();
        if !findings.is_empty() {
            return Err(TemplateErrors(findings));
        }
        let purposes = charta.purposes();
        let body = self.body();
        let mut markdown = String::with_capacity(body.len() + 256);
        let mut rest = body;
        while let Some(i) = rest.find("{{") {
            markdown.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(j) = after.find("}}") else {
                markdown.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = after[..j].trim();
            match values.get(name) {
                Some(v) => markdown.push_str(&v.prose(purposes)),
                None => markdown.push_str(&rest[i..i + 2 + j + 2]),
            }
            rest = &after[j + 2..];
        }
        markdown.push_str(rest);
        let filled = markdown;
        // Anchors are for the check; the contract text shows clean headings.
        let mut clean = String::with_capacity(filled.len());
        for line in filled.split_inclusive('\n') {
            let trimmed = line.trim_end();
            match (trimmed.starts_with('#'), trimmed.rfind(" {#")) {
                (true, Some(pos)) if trimmed.ends_with('}') => {
                    clean.push_str(&trimmed[..pos]);
                    clean.push('\n');
                }
                _ => clean.push_str(line),
            }
        }
        let footer = format!(
            "\n\n---\n\nVorlage „{}“ ({}), Version {}; Data-Sharing Charta {} (SHA-256 {}); Zugang: {}; Freigabe: {}.\n",
            self.title,
            self.id,
            self.version_string(),
            charta.version(),
            charta.sha256(),
            match self.access {
                Access::Sandbox => "Sandbox (nur Aggregate)",
                Access::Transfer => "Übertragung",
            },
            match self.approval {
                super::Approval::Automatic => "automatisch",
                super::Approval::Manual => "manuell",
            },
        );
        let markdown = format!("{}{footer}", clean.trim_end());
        let sha256 = hex::encode(Sha256::digest(markdown.as_bytes()));
        let fragment = markdown_to_html(&format!("{}{footer}", filled.trim_end()));
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<meta name=\"contract-sha256\" content=\"{sha256}\">\n</head>\n<body>\n{fragment}</body>\n</html>\n",
            escape_html(&self.language),
            escape_html(&self.title),
        );
        Ok(RenderedContract {
            template_id: self.id.clone(),
            template_version: self.version_string(),
            parameters: values
                .iter()
                .map(|(k, v)| (k.clone(), v.canonical()))
                .collect(),
            markdown,
            html,
            offer,
            sha256,
        })
    }
}
