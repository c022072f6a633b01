//! The steps of the showcase and the one line the demo prints for each.
//!
//! A line reads `[ 9/13] Verhandlung / negotiation: ✓ …` when the step succeeded and
//! `✗ FEHLER / FAILED: …` when it failed (the demo stops there).

use std::fmt;
use std::io::Write as _;

/// One step of the showcase, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Folder, CA and certificates.
    Prepare,
    /// The broker starts.
    Broker,
    /// Both connectors are created and start (not members yet).
    Connectors,
    /// Both connectors join: Charta acceptance, membership credential.
    Onboarding,
    /// Stadtwerke registers the dataset and offers it under a German template.
    Registration,
    /// Stadtwerke's connector publishes its signed self-description to the broker.
    Publication,
    /// The planner searches the broker.
    Search,
    /// The planner reads the contract terms in German.
    Terms,
    /// The connectors negotiate over DSP.
    Negotiation,
    /// Both hold the agreement, signed by both.
    Agreement,
    /// The broker's public register records the cooperation.
    Register,
    /// The data flow from Stadtwerke to Musterstadt, checked by its digest.
    Transfer,
    /// Both audit logs verify.
    Audit,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 13] = [
        Step::Prepare,
        Step::Broker,
        Step::Connectors,
        Step::Onboarding,
        Step::Registration,
        Step::Publication,
        Step::Search,
        Step::Terms,
        Step::Negotiation,
        Step::Agreement,
        Step::Register,
        Step::Transfer,
        Step::Audit,
    ];

    /// The step's short English name (as in error messages).
    pub fn id(self) -> &'static str {
        match self {
            Step::Prepare => "set-up",
            Step::Broker => "broker",
            Step::Onboarding => "onboarding",
            Step::Connectors => "connectors",
            Step::Registration => "registration",
            Step::Publication => "publication",
            Step::Search => "search",
            Step::Terms => "terms",
            Step::Negotiation => "negotiation",
            Step::Agreement => "agreement",
            Step::Register => "register",
            Step::Transfer => "transfer",
            Step::Audit => "audit",
        }
    }

    /// The step's German name.
    pub fn de(self) -> &'static str {
        match self {
            Step::Prepare => "Vorbereitung",
            Step::Broker => "Broker",
            Step::Onboarding => "Beitritt",
            Step::Connectors => "Konnektoren",
            Step::Registration => "Datensatz",
            Step::Publication => "Veröffentlichung",
            Step::Search => "Suche",
            Step::Terms => "Bedingungen",
            Step::Negotiation => "Verhandlung",
            Step::Agreement => "Vereinbarung",
            Step::Register => "Register",
            Step::Transfer => "Übertragung",
            Step::Audit => "Protokoll",
        }
    }

    fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    fn prefix(self) -> String {
        format!(
            "[{:>2}/{}] {} / {}:",
            self.number(),
            Step::ALL.len(),
            self.de(),
            self.id()
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.id(), self.de())
    }
}

fn line(text: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Prints a step that succeeded.
pub fn done(step: Step, detail: &str) {
    line(format!("{} ✓ {detail}", step.prefix()));
}

/// Prints a step that failed.
pub fn failed(step: Step, message: &str) {
    line(format!("{} ✗ FEHLER / FAILED: {message}", step.prefix()));
}

/// Prints a plain line (headers, URLs).
pub fn note(text: &str) {
    line(text.to_owned());
}
