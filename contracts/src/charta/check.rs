//! Compliance of an offer (or a template's rules) with a Charta version.
//!
//! Each principle names a machine check ([`PatternCheck`]); the check looks for the policy
//! pattern in the offer's rules. A MUSS principle that is not satisfied is an error naming
//! the principle and what is missing; a SOLL principle gives a warning.

use super::{Charta, Level, PatternCheck, Principle};
use crate::eval::XsdDuration;
use crate::odrl::{Constraint, Operator, Policy, RightOperand, Rule, terms};

/// What the check needs to know about the dataset the offer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DatasetContext {
    /// The dataset is marked personal-adjacent (GW-6 and GW-7 apply).
    pub personal_adjacent: bool,
    /// The offer grants sandbox access (aggregates only), not raw transfer.
    pub sandbox: bool,
}

/// Error (MUSS not met) or warning (SOLL not met).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// A MUSS principle is not satisfied: the offer cannot be published.
    Error,
    /// A SOLL principle is not satisfied.
    Warning,
}

/// One unmet principle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceFinding {
    /// The principle (`GW-3`).
    pub principle: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is missing and how to fix it, in German.
    pub message_de: String,
    /// The same in English.
    pub message_en: String,
}

impl std::fmt::Display for ComplianceFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Error => "Fehler/error",
            Severity::Warning => "Warnung/warning",
        };
        write!(
            f,
            "{level} {}: {} / {}",
            self.principle, self.message_de, self.message_en
        )
    }
}

/// The outcome of a compliance check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceReport {
    /// The Charta version checked against.
    pub charta_version: String,
    /// Unmet principles.
    pub findings: Vec<ComplianceFinding>,
}

impl ComplianceReport {
    /// No MUSS principle is unmet.
    pub fn is_compliant(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &ComplianceFinding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &ComplianceFinding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }
}

fn is(iri: &str, ns: &str, local: &str) -> bool {
    iri.strip_prefix(ns) == Some(local)
}

fn atoms(rule: &Rule) -> Vec<&crate::odrl::AtomicConstraint> {
    rule.constraints
        .iter()
        .flat_map(Constraint::atoms)
        .collect()
}

fn has_duty(policy: &Policy, rule: &Rule, ns: &str, local: &str) -> bool {
    rule.duties
        .iter()
        .any(|d| d.action_iri().is_some_and(|a| is(a, ns, local)))
        || policy
            .obligations
            .iter()
            .any(|o| o.action_iri().is_some_and(|a| is(a, ns, local)))
}

fn iris(value: &RightOperand) -> Vec<String> {
    value
        .values()
        .into_iter()
        .map(|v| match v {
            RightOperand::Iri(i) => i.clone(),
            other => terms::expand_prefixed(&other.to_string()),
        })
        .collect()
}

impl Charta {
    /// Checks an offer (or agreement, or a template's rendered rules) against this Charta.
    pub fn check_offer(&self, offer: &Policy, dataset: &DatasetContext) -> ComplianceReport {
        let mut findings = Vec::new();
        for principle in self.applicable(dataset.personal_adjacent) {
            if let Some((de, en)) = self.unmet(principle, offer, dataset) {
                findings.push(ComplianceFinding {
                    principle: principle.id.clone(),
                    severity: match principle.level {
                        Level::Muss => Severity::Error,
                        Level::Soll => Severity::Warning,
                    },
                    message_de: format!("{} ({}): {de}", principle.title, principle.level.as_str()),
                    message_en: format!("{} ({}): {en}", principle.title, principle.level.as_str()),
                });
            }
        }
        ComplianceReport {
            charta_version: self.version.clone(),
            findings,
        }
    }

    /// `None` when the principle is met; otherwise what is missing (German, English).
    fn unmet(
        &self,
        principle: &Principle,
        offer: &Policy,
        ds: &DatasetContext,
    ) -> Option<(String, String)> {
        let perms: Vec<(usize, &Rule)> = offer.permissions.iter().enumerate().collect();
        let purposes = self.purposes();
        match principle.check {
            PatternCheck::PublicBenefitPurpose | PatternCheck::PurposeBound => {
                if perms.is_empty() {
                    return Some(("Das Angebot enthält keine Erlaubnis.".into(), "The offer grants no permission.".into()));
                }
                for (i, rule) in &perms {
                    let purpose: Vec<_> = atoms(rule)
                        .into_iter()
                        .filter(|a| is(&a.left_operand, terms::ODRL, "purpose"))
                        .filter(|a| matches!(a.operator, Operator::IsAnyOf | Operator::IsA | Operator::Eq))
                        .collect();
                    if purpose.is_empty() {
                        return Some((
                            format!("Erlaubnis {} hat keine Zweck-Bedingung; ergänzen Sie „purpose isAnyOf …“ mit Zwecken aus der Zweckliste der Charta.", i + 1),
                            format!("permission {} has no purpose constraint; add “purpose isAnyOf …” with purposes from the Charta's purpose list.", i + 1),
                        ));
                    }
                    if principle.check == PatternCheck::PublicBenefitPurpose {
                        for a in purpose {
                            for p in iris(&a.right_operand) {
                                if !purposes.is_allowed(&p) {
                                    return Some((
                                        format!("Erlaubnis {} erlaubt den Zweck „{}“ ({p}), der nicht in der Zweckliste der Charta steht.", i + 1, purposes.label(&p, true)),
                                        format!("permission {} allows the purpose “{}” ({p}), which is not in the Charta's purpose list.", i + 1, purposes.label(&p, false)),
                                    ));
                                }
                            }
                        }
                    }
                }
                None
            }
            PatternCheck::TimeLimitAndDelete => {
                for (i, rule) in &perms {
                    let mut limited = false;
                    for a in atoms(rule) {
                        let upper = matches!(a.operator, Operator::Lt | Operator::Lteq);
                        if is(&a.left_operand, terms::ODRL, "dateTime") && upper {
                            limited = true;
                        }
                        if is(&a.left_operand, terms::ODRL, "elapsedTime") && upper {
                            let d = XsdDuration::parse(&a.right_operand.to_string());
                            match d {
                                Some(d) if !d.negative && d.months <= i64::from(self.max_duration_months) && (d.months < i64::from(self.max_duration_months) || d.seconds == 0) => limited = true,
                                Some(d) => {
                                    return Some((
                                        format!("Erlaubnis {}: die Nutzungsdauer {} überschreitet das Höchstmaß von {} Monaten.", i + 1, d.in_words(true), self.max_duration_months),
                                        format!("permission {}: the duration of use {} exceeds the maximum of {} months.", i + 1, d.in_words(false), self.max_duration_months),
                                    ));
                                }
                                None => {}
                            }
                        }
                    }
                    if !limited {
                        return Some((
                            format!("Erlaubnis {} ist nicht befristet; ergänzen Sie „elapsedTime lteq P12M“ (höchstens {} Monate) oder ein Enddatum „dateTime lteq …“.", i + 1, self.max_duration_months),
                            format!("permission {} has no time limit; add “elapsedTime lteq P12M” (at most {} months) or an end date “dateTime lteq …”.", i + 1, self.max_duration_months),
                        ));
                    }
                    if !has_duty(offer, rule, terms::ODRL, "delete") {
                        return Some((
                            format!("Erlaubnis {} hat keine Löschpflicht; ergänzen Sie die Pflicht „delete“ zum Ende der Nutzung.", i + 1),
                            format!("permission {} has no deletion duty; add the duty “delete” at the end of use.", i + 1),
                        ));
                    }
                }
                None
            }
            PatternCheck::NoOnwardTransfer => {
                let prohibited = offer.prohibitions.iter().any(|p| {
                    p.action_iri().is_some_and(|a| {
                        is(a, terms::ODRL, "distribute") || is(a, terms::ODRL, "transfer")
                    })
                });
                let conditioned = offer.permissions.iter().filter(|p| p.action_iri().is_some_and(|a| is(a, terms::ODRL, "distribute"))).all(|p| has_duty(offer, p, terms::ODRL, "nextPolicy"));
                let any_distribute_permission = offer.permissions.iter().any(|p| p.action_iri().is_some_and(|a| is(a, terms::ODRL, "distribute")));
                if prohibited || (any_distribute_permission && conditioned) {
                    None
                } else {
                    Some((
                        "Eine Weitergabe an Dritte ist nicht ausgeschlossen; ergänzen Sie ein Verbot von „distribute“ (oder erlauben Sie „distribute“ nur mit der Pflicht „nextPolicy“).".into(),
                        "Onward transfer is not excluded; add a prohibition of “distribute” (or permit “distribute” only with the duty “nextPolicy”).".into(),
                    ))
                }
            }
            PatternCheck::AccessLogged => perms
                .iter()
                .find(|(_, r)| !has_duty(offer, r, terms::GWD, "logAccess"))
                .map(|(i, _)| {
                    (
                        format!("Erlaubnis {} hat keine Protokollierungspflicht; ergänzen Sie die Pflicht „gwd:logAccess“.", i + 1),
                        format!("permission {} has no logging duty; add the duty “gwd:logAccess”.", i + 1),
                    )
                }),
            PatternCheck::SandboxWithK => {
                if !ds.sandbox {
                    return Some((
                        "Der Datensatz ist als personennah markiert und darf nur als Sandbox-Zugriff (nur Aggregate) angeboten werden, nie als Rohdatenübertragung.".into(),
                        "The dataset is marked personal-adjacent and may only be offered as sandbox access (aggregates only), never as raw transfer.".into(),
                    ));
                }
                for (i, rule) in &perms {
                    let k = atoms(rule)
                        .into_iter()
                        .filter(|a| is(&a.left_operand, terms::GWD, "aggregationThreshold"))
                        .filter(|a| matches!(a.operator, Operator::Gteq | Operator::Gt))
                        .filter_map(|a| a.right_operand.to_string().trim().parse::<i64>().ok().map(|k| if a.operator == Operator::Gt { k + 1 } else { k }))
                        .max();
                    match k {
                        None => {
                            return Some((
                                format!("Erlaubnis {} hat keine Mindestgruppengröße; ergänzen Sie „gwd:aggregationThreshold gteq {}“.", i + 1, self.default_k),
                                format!("permission {} has no minimum group size; add “gwd:aggregationThreshold gteq {}”.", i + 1, self.default_k),
                            ));
                        }
                        Some(k) if k < i64::from(self.default_k) => {
                            return Some((
                                format!("Erlaubnis {}: die Mindestgruppengröße {k} ist kleiner als {}.", i + 1, self.default_k),
                                format!("permission {}: the minimum group size {k} is below {}.", i + 1, self.default_k),
                            ));
                        }
                        Some(_) => {}
                    }
                }
                None
            }
            PatternCheck::NoReidentification => {
                let ok = offer
                    .prohibitions
                    .iter()
                    .any(|p| p.action_iri().is_some_and(|a| is(a, terms::GWD, "reidentify")));
                (!ok).then(|| {
                    (
                        "Es fehlt das Verbot der Re-Identifizierung; ergänzen Sie ein Verbot der Aktion „gwd:reidentify“.".into(),
                        "The prohibition of re-identification is missing; add a prohibition of the action “gwd:reidentify”.".into(),
                    )
                })
            }
            // Enforced by the connector itself; templates state it in a clause (checked there).
            PatternCheck::StatedInContract => None,
            PatternCheck::ResultsShared => perms
                .iter()
                .find(|(_, r)| !has_duty(offer, r, terms::GWD, "shareResults"))
                .map(|(i, _)| {
                    (
                        format!("Erlaubnis {} sieht keinen Rückfluss der Ergebnisse vor; empfohlen ist die Pflicht „gwd:shareResults“.", i + 1),
                        format!("permission {} does not share results back; the duty “gwd:shareResults” is recommended.", i + 1),
                    )
                }),
            PatternCheck::FairTerms => {
                let exclusive = offer.rules().any(|(_, r)| {
                    r.action_iri().is_some_and(|a| is(a, terms::ODRL, "ensureExclusivity"))
                        || r.duties.iter().any(|d| d.action_iri().is_some_and(|a| is(a, terms::ODRL, "ensureExclusivity")))
                });
                exclusive.then(|| {
                    (
                        "Das Angebot enthält eine Exklusivitätsklausel („ensureExclusivity“).".into(),
                        "The offer contains an exclusivity clause (“ensureExclusivity”).".into(),
                    )
                })
            }
        }
    }
}
