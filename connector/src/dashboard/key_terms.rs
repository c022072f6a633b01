//! The key terms of an ODRL policy as short German lines for operators ("Zweck:
//! Wärmeplanung", "Nutzungsdauer: höchstens 12 Monate", "Keine Weitergabe an Dritte"), read
//! with `contracts` so what is shown is what the policy engine understands.

use contracts::charta::Charta;
use contracts::eval::{OperandKind, Region, XsdDuration};
use contracts::odrl::terms::{GWD, ODRL, local_name};
use contracts::odrl::{Constraint, Operator, Policy, RightOperand, Rule, RuleKind};

fn value_texts(right: &RightOperand) -> Vec<String> {
    right
        .values()
        .into_iter()
        .map(|v| match v {
            RightOperand::Iri(iri) => iri.clone(),
            RightOperand::Literal(l) => l.lexical.clone(),
            RightOperand::List(_) => v.to_string(),
        })
        .collect()
}

fn operator_de(op: Operator) -> &'static str {
    match op {
        Operator::Lt => "weniger als ",
        Operator::Lteq | Operator::TermLteq => "höchstens ",
        Operator::Gt => "mehr als ",
        Operator::Gteq => "mindestens ",
        Operator::Neq | Operator::IsNoneOf => "nicht ",
        _ => "",
    }
}

fn recipient_type(iri: &str) -> String {
    match local_name(iri) {
        "Municipality" => "Kommunen".to_owned(),
        "PublicBody" => "öffentliche Stellen".to_owned(),
        "Company" => "Unternehmen".to_owned(),
        "Research" => "Forschungseinrichtungen".to_owned(),
        other => other.to_owned(),
    }
}

/// A participant type IRI in words (singular).
pub fn participant_type_de(iri: &str) -> String {
    match local_name(iri) {
        "Municipality" => "Kommune".to_owned(),
        "PublicBody" => "öffentliche Stelle".to_owned(),
        "Company" => "Unternehmen".to_owned(),
        "Research" => "Forschungseinrichtung".to_owned(),
        other => other.to_owned(),
    }
}

fn region(text: &str) -> String {
    Region::parse(text)
        .map(|r| r.label(true))
        .unwrap_or_else(|| local_name(text).to_owned())
}

/// A date (`2027-12-31` or a date-time) as `31.12.2027`.
fn date_de(text: &str) -> String {
    contracts::eval::parse_date(text)
        .map(|d| d.format("%d.%m.%Y").to_string())
        .or_else(|| {
            contracts::eval::parse_date_time(text)
                .map(|t| t.format("%d.%m.%Y %H:%M UTC").to_string())
        })
        .unwrap_or_else(|| text.to_owned())
}

fn constraint_line(c: &Constraint, charta: &Charta) -> Vec<String> {
    c.atoms()
        .into_iter()
        .map(|a| {
            let values = value_texts(&a.right_operand);
            let op = operator_de(a.operator);
            let join = |f: &dyn Fn(&str) -> String| {
                values.iter().map(|v| f(v)).collect::<Vec<_>>().join(", ")
            };
            match OperandKind::of(&a.left_operand) {
                OperandKind::Purpose => {
                    format!("Zweck: {op}{}", join(&|v| charta.purposes().label(v, true)))
                }
                OperandKind::ElapsedTime => format!(
                    "Nutzungsdauer: {op}{}",
                    join(&|v| XsdDuration::parse(v)
                        .map(|d| d.in_words(true))
                        .unwrap_or_else(|| v.to_owned()))
                ),
                OperandKind::DateTime => format!(
                    "Nutzung {}{}",
                    match a.operator {
                        Operator::Lt | Operator::Lteq | Operator::TermLteq => "bis ",
                        Operator::Gt | Operator::Gteq => "ab ",
                        _ => "am ",
                    },
                    join(&date_de)
                ),
                OperandKind::Count => {
                    format!("Anzahl der Nutzungen: {op}{}", join(&|v| v.to_owned()))
                }
                OperandKind::AggregationThreshold => format!(
                    "Nur Aggregate, Mindestgruppengröße k: {op}{}",
                    join(&|v| v.to_owned())
                ),
                OperandKind::RecipientType => {
                    format!("Empfänger: {op}{}", join(&|v| recipient_type(v)))
                }
                OperandKind::RecipientAgs => {
                    format!("Empfänger liegt in: {}", join(&|v| region(v)))
                }
                OperandKind::SpatialScope => {
                    format!("Räumlicher Geltungsbereich: {}", join(&|v| region(v)))
                }
                OperandKind::ChartaMembership => "Nur für Mitglieder der Charta".to_owned(),
                OperandKind::ChartaVersion => {
                    format!("Charta-Version: {op}{}", join(&|v| v.to_owned()))
                }
                _ => format!(
                    "{} {} {}",
                    local_name(&a.left_operand),
                    a.operator.term(),
                    values.join(", ")
                ),
            }
        })
        .collect()
}

fn action_de(iri: &str) -> String {
    let name = if iri.starts_with(ODRL) || iri.starts_with(GWD) {
        local_name(iri)
    } else {
        iri
    };
    match name {
        "use" => "Nutzung".to_owned(),
        "read" => "Lesen".to_owned(),
        "aggregate" => "Auswertung nur über Aggregate".to_owned(),
        "sandboxAccess" => "Zugriff nur in der Sandbox".to_owned(),
        "distribute" => "Weitergabe an Dritte".to_owned(),
        "reidentify" => "Re-Identifizierung".to_owned(),
        "delete" => "Löschung nach Ende der Nutzung".to_owned(),
        "logAccess" => "Protokollierung jedes Zugriffs".to_owned(),
        "publishRegister" => "Eintrag im öffentlichen Register der Datenkooperationen".to_owned(),
        "shareResults" => "Ergebnisse gehen an den Datengeber zurück".to_owned(),
        "attribute" => "Namensnennung".to_owned(),
        "commercialize" => "kommerzielle Verwertung".to_owned(),
        other => other.to_owned(),
    }
}

/// One rule: its head ("Erlaubt: Nutzung") and its conditions and duties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermGroup {
    /// What the rule permits, prohibits or requires.
    pub head: String,
    /// Its conditions and duties, one per line.
    pub items: Vec<String>,
}

fn rule_group(kind: RuleKind, rule: &Rule, charta: &Charta) -> TermGroup {
    let action = rule.action_iri().map(action_de).unwrap_or_default();
    let head = match kind {
        RuleKind::Permission => format!("Erlaubt: {action}"),
        RuleKind::Prohibition => format!("Verboten: {action}"),
        _ => format!("Pflicht: {action}"),
    };
    let mut items: Vec<String> = rule
        .constraints
        .iter()
        .chain(rule.action.iter().flat_map(|a| a.refinements.iter()))
        .flat_map(|c| constraint_line(c, charta))
        .collect();
    for duty in &rule.duties {
        let mut line = format!(
            "Pflicht: {}",
            duty.action_iri().map(action_de).unwrap_or_default()
        );
        let conditions: Vec<String> = duty
            .constraints
            .iter()
            .flat_map(|c| constraint_line(c, charta))
            .collect();
        if !conditions.is_empty() {
            line.push_str(&format!(" ({})", conditions.join("; ")));
        }
        items.push(line);
    }
    TermGroup { head, items }
}

/// The key terms of `policy`, one group per rule, permissions first.
pub fn of_policy(policy: &Policy, charta: &Charta) -> Vec<TermGroup> {
    policy
        .rules()
        .map(|(kind, rule)| rule_group(kind, rule, charta))
        .collect()
}

/// The key terms of a DSP JSON policy, or one group saying why it cannot be read.
pub fn of_json(json: &serde_json::Value, charta: &Charta) -> Vec<TermGroup> {
    match Policy::from_dsp_json(json) {
        Ok(p) => of_policy(&p, charta),
        Err(e) => vec![TermGroup {
            head: format!("Die Bedingungen sind nicht lesbar: {e}"),
            items: Vec::new(),
        }],
    }
}

/// Only the conditions of a policy's rules (for a visibility policy: who may see an offer).
pub fn conditions_of_json(json: &serde_json::Value, charta: &Charta) -> Vec<String> {
    of_json(json, charta)
        .into_iter()
        .flat_map(|g| {
            if g.items.is_empty() {
                vec![g.head]
            } else {
                g.items
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_offer_reads_in_plain_german() {
        let charta = Charta::default_1_0();
        let policy = serde_json::json!({
            "@id": "urn:offer:1", "@type": "Offer", "target": "ds",
            "permission": [{"action": "use", "constraint": [
                {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": [{"@id": "https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung"}]},
                {"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": "P12M"}
            ]}],
            "prohibition": [{"action": "distribute"}]
        });
        let groups = of_json(&policy, &charta);
        assert_eq!(groups[0].head, "Erlaubt: Nutzung", "{groups:?}");
        let lines = &groups[0].items;
        assert!(lines.iter().any(|l| l.starts_with("Zweck: ")), "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l == "Nutzungsdauer: höchstens 12 Monate"),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("Kommunale Wärmeplanung")),
            "{lines:?}"
        );
        assert_eq!(
            groups[1].head, "Verboten: Weitergabe an Dritte",
            "{groups:?}"
        );
    }

    #[test]
    fn an_unreadable_policy_says_so() {
        let lines = of_json(
            &serde_json::json!({"permission": 3}),
            &Charta::default_1_0(),
        );
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .head
                .starts_with("Die Bedingungen sind nicht lesbar")
        );
    }
}
