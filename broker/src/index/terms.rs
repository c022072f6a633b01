//! The key terms of an offered ODRL policy, as short German lines for search results and the
//! dataset page ("Zweck: Wärmeplanung", "Nutzungsdauer: höchstens 12 Monate", …).

use std::collections::BTreeSet;

use vocab::ns::{gwd, odrl};

/// The part of an IRI after the last `#` or `/`.
pub fn local_name(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

/// An ISO 8601 duration (`P12M`, `P1Y`, `P30D`) in German words.
pub fn duration_de(text: &str) -> String {
    let Some(rest) = text.strip_prefix('P') else {
        return text.to_owned();
    };
    let mut parts = Vec::new();
    let mut number = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().unwrap_or(0);
        number.clear();
        let (one, many) = match c {
            'Y' => ("Jahr", "Jahre"),
            'M' => ("Monat", "Monate"),
            'W' => ("Woche", "Wochen"),
            'D' => ("Tag", "Tage"),
            _ => return text.to_owned(),
        };
        parts.push(format!("{n} {}", if n == 1 { one } else { many }));
    }
    if parts.is_empty() || !number.is_empty() {
        return text.to_owned();
    }
    parts.join(" ")
}

/// Collects constraints and actions of a policy and renders them as lines.
#[derive(Debug, Default)]
pub(crate) struct KeyTerms {
    purposes: BTreeSet<String>,
    lines: BTreeSet<(u8, String)>,
}

impl KeyTerms {
    pub(crate) fn add_constraint(&mut self, left: &str, values: &[String]) {
        let joined =
            |f: &dyn Fn(&str) -> String| values.iter().map(|v| f(v)).collect::<Vec<_>>().join(", ");
        if left == odrl::PURPOSE.as_str() {
            self.purposes
                .extend(values.iter().map(|v| crate::labels::purpose(v)));
        } else if left == odrl::ELAPSED_TIME.as_str() {
            self.lines.insert((
                1,
                format!("Nutzungsdauer: höchstens {}", joined(&duration_de)),
            ));
        } else if left == odrl::DATE_TIME.as_str() {
            self.lines
                .insert((1, format!("Zeitraum: bis {}", joined(&|v| v.to_owned()))));
        } else if left == gwd::AGGREGATION_THRESHOLD.as_str() {
            self.lines.insert((
                2,
                format!(
                    "Nur aggregierter Zugriff in der Sandbox (Mindestgruppengröße k = {})",
                    joined(&|v| v.to_owned())
                ),
            ));
        } else if left == gwd::RECIPIENT_TYPE.as_str() || left == odrl::RECIPIENT.as_str() {
            self.lines
                .insert((3, format!("Empfänger: {}", joined(&|v| recipient_label(v)))));
        } else if left == gwd::RECIPIENT_AGS.as_str() {
            self.lines.insert((
                3,
                format!(
                    "Nur für Kommunen in: {}",
                    joined(&|v| crate::labels::region(v))
                ),
            ));
        } else if left == gwd::SPATIAL_SCOPE.as_str() || left == odrl::SPATIAL.as_str() {
            self.lines.insert((
                4,
                format!(
                    "Räumlicher Geltungsbereich: {}",
                    joined(&|v| local_name(v).to_owned())
                ),
            ));
        } else if left == odrl::COUNT.as_str() {
            self.lines.insert((
                5,
                format!("Höchstens {} Zugriffe", joined(&|v| v.to_owned())),
            ));
        } else if left == gwd::CHARTA_MEMBERSHIP.as_str() {
            self.lines
                .insert((6, "Nur für Mitglieder der Charta".to_owned()));
        }
    }

    pub(crate) fn add_action(&mut self, action: &str, prohibited: bool, duty: bool) {
        let line = match (action, prohibited, duty) {
            (a, true, _) if a == odrl::DISTRIBUTE.as_str() => (7, "Keine Weitergabe an Dritte"),
            (a, true, _) if a == gwd::REIDENTIFY.as_str() => (8, "Re-Identifizierung untersagt"),
            (a, _, true) if a == odrl::DELETE.as_str() => (9, "Löschung nach Ende der Nutzung"),
            (a, _, true) if a == gwd::LOG_ACCESS.as_str() => {
                (10, "Jeder Zugriff wird protokolliert")
            }
            (a, _, true) if a == gwd::PUBLISH_REGISTER.as_str() => (
                11,
                "Eintrag im öffentlichen Register der Datenkooperationen",
            ),
            (a, _, true) if a == gwd::SHARE_RESULTS.as_str() => {
                (12, "Ergebnisse gehen an den Datengeber zurück")
            }
            (a, false, false)
                if a == gwd::SANDBOX_ACCESS.as_str() || a == odrl::AGGREGATE.as_str() =>
            {
                (2, "Zugriff nur über Aggregationen in der Sandbox")
            }
            _ => return,
        };
        self.lines.insert((line.0, line.1.to_owned()));
    }

    pub(crate) fn into_lines(mut self) -> Vec<String> {
        // The threshold line says more than the bare aggregation action.
        if self
            .lines
            .iter()
            .any(|(_, l)| l.contains("Mindestgruppengröße"))
        {
            self.lines
                .retain(|(_, l)| !l.starts_with("Zugriff nur über Aggregationen"));
        }
        let mut out = Vec::new();
        if !self.purposes.is_empty() {
            out.push(format!(
                "Zweck: {}",
                self.purposes.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        out.extend(self.lines.into_iter().map(|(_, l)| l));
        out
    }
}

fn recipient_label(value: &str) -> String {
    crate::store::ParticipantType::from_iri(value)
        .or_else(|| crate::store::parse_participant_type(value))
        .map(|t| t.label_de().to_owned())
        .unwrap_or_else(|| local_name(value).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_german() {
        assert_eq!(duration_de("P12M"), "12 Monate");
        assert_eq!(duration_de("P1Y"), "1 Jahr");
        assert_eq!(duration_de("P1Y6M"), "1 Jahr 6 Monate");
        assert_eq!(duration_de("nonsense"), "nonsense");
        assert_eq!(duration_de("P12"), "P12");
    }

    #[test]
    fn lines_are_ordered_with_purpose_first() {
        let mut t = KeyTerms::default();
        t.add_action(odrl::DISTRIBUTE.as_str(), true, false);
        t.add_constraint(odrl::ELAPSED_TIME.as_str(), &["P12M".into()]);
        t.add_constraint(
            odrl::PURPOSE.as_str(),
            &[gwd::HEAT_PLANNING.as_str().into()],
        );
        assert_eq!(
            t.into_lines(),
            vec![
                format!(
                    "Zweck: {}",
                    crate::labels::purpose(gwd::HEAT_PLANNING.as_str())
                ),
                "Nutzungsdauer: höchstens 12 Monate".to_owned(),
                "Keine Weitergabe an Dritte".to_owned(),
            ]
        );
    }
}
