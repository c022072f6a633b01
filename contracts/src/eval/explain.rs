//! Explanations in German and English, in words a municipal clerk understands.
//!
//! Every constraint report becomes one sentence: why it holds, or why it does not and what
//! would be needed. Purposes are named by their Charta labels, times in local notation,
//! regions by kind and key.

use super::Lang;
use super::operand::{CompiledRight, OperandKind, TimeBound};
use super::region::Region;
use super::report::*;
use super::value::{Value, format_date, format_instant};
use crate::charta::PurposeTree;
use crate::odrl::{Operator, RuleKind, terms};

fn de(lang: Lang) -> bool {
    lang == Lang::De
}

/// The words for an action (`use` → „nutzen“ / “use”).
pub(crate) fn action_label(iri: &str, lang: Lang) -> String {
    let local = terms::local_name(iri);
    let (g, e) = match local {
        "use" => ("nutzen", "use"),
        "read" => ("lesen", "read"),
        "distribute" => ("an Dritte weitergeben", "distribute to third parties"),
        "reidentify" => ("Personen re-identifizieren", "re-identify persons"),
        "delete" => ("löschen", "delete"),
        "aggregate" => ("aggregieren", "aggregate"),
        "transfer" => ("übertragen", "transfer"),
        "sell" => ("verkaufen", "sell"),
        "modify" => ("verändern", "modify"),
        "write" => ("schreiben", "write"),
        "reproduce" => ("vervielfältigen", "reproduce"),
        "derive" => ("ableiten", "derive"),
        "compensate" => ("bezahlen", "compensate"),
        "attribute" => ("die Quelle nennen", "attribute the source"),
        "nextPolicy" => (
            "dieselben Bedingungen weitergeben",
            "pass on the same policy",
        ),
        "shareResults" => (
            "Ergebnisse dem Datengeber bereitstellen",
            "share results with the provider",
        ),
        "logAccess" => ("jeden Zugriff protokollieren", "log every access"),
        "publishToRegister" => (
            "im öffentlichen Register eintragen",
            "publish in the public register",
        ),
        "sandboxAccess" => ("in der Sandbox auswerten", "analyse in the sandbox"),
        "ensureExclusivity" => ("Exklusivität sichern", "ensure exclusivity"),
        "inform" => ("informieren", "inform"),
        "anonymize" => ("anonymisieren", "anonymize"),
        "archive" => ("archivieren", "archive"),
        "print" => ("drucken", "print"),
        "play" => ("abspielen", "play"),
        _ => (local, local),
    };
    if de(lang) { g.to_owned() } else { e.to_owned() }
}

fn quote(s: &str, lang: Lang) -> String {
    if de(lang) {
        format!("„{s}“")
    } else {
        format!("“{s}”")
    }
}

fn type_label(iri: &str, lang: Lang) -> String {
    let (g, e) = match iri.strip_prefix(terms::GWD).unwrap_or(iri) {
        "Municipality" => ("Kommune", "municipality"),
        "PublicBody" => ("öffentliche Stelle", "public body"),
        "Company" => ("Unternehmen", "company"),
        "Research" => ("Forschungseinrichtung", "research institution"),
        _ => (terms::local_name(iri), terms::local_name(iri)),
    };
    if de(lang) { g.to_owned() } else { e.to_owned() }
}

fn region_label(r: &Region, lang: Lang) -> String {
    r.label(de(lang))
}

fn join(items: &[String], lang: Lang) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => {
            let last = if de(lang) { " oder " } else { " or " };
            format!("{}{last}{}", items[..n - 1].join(", "), items[n - 1])
        }
    }
}

fn time_text(b: &TimeBound, lang: Lang) -> String {
    match b {
        TimeBound::Point(t) => format_instant(t, de(lang)),
        TimeBound::Day(d, _, _) => format_date(d, de(lang)),
    }
}

fn value_text(v: &Value, lang: Lang) -> String {
    match v {
        Value::DateTime(t) => format_instant(t, de(lang)),
        Value::Date(d) => format_date(d, de(lang)),
        Value::Duration(d) => d.in_words(de(lang)),
        other => other.to_string(),
    }
}

/// One sentence for a constraint report.
pub(crate) fn constraint(c: &ConstraintReport, lang: Lang, purposes: &PurposeTree) -> String {
    let Some(atom) = &c.atom else {
        let op = c.logical.map(|l| l.term()).unwrap_or("and");
        let ok = c.satisfaction.holds();
        let members: Vec<String> = c
            .children
            .iter()
            .map(|ch| constraint(ch, lang, purposes))
            .collect();
        return match (de(lang), ok) {
            (true, true) => format!("Verknüpfung „{op}“ erfüllt: {}", members.join(" | ")),
            (true, false) => format!("Verknüpfung „{op}“ nicht erfüllt: {}", members.join(" | ")),
            (false, true) => format!("Combination “{op}” holds: {}", members.join(" | ")),
            (false, false) => format!("Combination “{op}” does not hold: {}", members.join(" | ")),
        };
    };
    let ok = c.satisfaction.holds();
    let g = de(lang);
    let op = atom.operator;
    match (&atom.kind, &atom.right) {
        (OperandKind::Purpose, CompiledRight::Iris { listed, .. }) => {
            let allowed: Vec<String> = listed.iter().map(|p| purposes.label(p, g)).collect();
            let list = allowed.join(", ");
            let negative = matches!(op, Operator::IsNoneOf | Operator::Neq);
            match (&c.left_value, ok, negative) {
                (None, _, false) => {
                    if g { format!("Es wurde kein Zweck angegeben; erlaubt sind: {list}.") } else { format!("No purpose was declared; allowed are: {list}.") }
                }
                (None, _, true) => {
                    if g { format!("Es wurde kein Zweck angegeben (ausgeschlossen sind: {list}).") } else { format!("No purpose was declared (excluded are: {list}).") }
                }
                (Some(v), true, false) => {
                    let p = quote(&purposes.label(&v.to_string(), g), lang);
                    if g { format!("Der Zweck {p} ist erlaubt (erlaubt sind: {list}).") } else { format!("The purpose {p} is allowed (allowed are: {list}).") }
                }
                (Some(v), false, false) => {
                    let p = quote(&purposes.label(&v.to_string(), g), lang);
                    if g { format!("Der Zweck {p} ist nicht erlaubt; erlaubt sind: {list}.") } else { format!("The purpose {p} is not allowed; allowed are: {list}.") }
                }
                (Some(v), true, true) => {
                    let p = quote(&purposes.label(&v.to_string(), g), lang);
                    if g { format!("Der Zweck {p} ist nicht ausgeschlossen (ausgeschlossen sind: {list}).") } else { format!("The purpose {p} is not excluded (excluded are: {list}).") }
                }
                (Some(v), false, true) => {
                    let p = quote(&purposes.label(&v.to_string(), g), lang);
                    if g { format!("Der Zweck {p} ist ausgeschlossen (ausgeschlossen sind: {list}).") } else { format!("The purpose {p} is excluded (excluded are: {list}).") }
                }
            }
        }
        (OperandKind::DateTime, CompiledRight::Time(bound)) => {
            let t = time_text(bound, lang);
            let Some(now) = &c.left_value else {
                return if g { format!("Der aktuelle Zeitpunkt ist nicht bekannt (Bedingung: {} {t}).", op.term()) } else { format!("The current time is not known (condition: {} {t}).", op.term()) };
            };
            let now = value_text(now, lang);
            match (op, ok, g) {
                (Operator::Lt | Operator::Lteq | Operator::TermLteq, false, true) => format!("Die Nutzung ist nur bis {t} erlaubt; jetzt ist {now}."),
                (Operator::Lt | Operator::Lteq | Operator::TermLteq, false, false) => format!("Use is allowed only until {t}; it is now {now}."),
                (Operator::Lt | Operator::Lteq | Operator::TermLteq, true, true) => format!("Die Nutzung ist bis {t} erlaubt; jetzt ist {now}."),
                (Operator::Lt | Operator::Lteq | Operator::TermLteq, true, false) => format!("Use is allowed until {t}; it is now {now}."),
                (Operator::Gt | Operator::Gteq, false, true) => format!("Die Nutzung ist erst ab {t} erlaubt; jetzt ist {now}."),
                (Operator::Gt | Operator::Gteq, false, false) => format!("Use is allowed only from {t}; it is now {now}."),
                (Operator::Gt | Operator::Gteq, true, true) => format!("Die Nutzung ist ab {t} erlaubt; jetzt ist {now}."),
                (Operator::Gt | Operator::Gteq, true, false) => format!("Use is allowed from {t}; it is now {now}."),
                (_, true, true) => format!("Zeitbedingung „{} {t}“ erfüllt (jetzt: {now}).", op.term()),
                (_, true, false) => format!("Time condition “{} {t}” holds (now: {now}).", op.term()),
                (_, false, true) => format!("Zeitbedingung „{} {t}“ nicht erfüllt (jetzt: {now}).", op.term()),
                (_, false, false) => format!("Time condition “{} {t}” does not hold (now: {now}).", op.term()),
            }
        }
        (OperandKind::ElapsedTime, CompiledRight::Duration(limit)) => {
            let words = limit.in_words(g);
            match (&c.left_value, ok, g) {
                (None, _, true) => format!("Der Beginn der Vereinbarung ist nicht bekannt; die Nutzungsdauer ({words}) kann nicht geprüft werden."),
                (None, _, false) => format!("The start of the agreement is not known; the duration of use ({words}) cannot be checked."),
                (Some(elapsed), true, true) => format!("Die vereinbarte Nutzungsdauer ({words}) ist nicht überschritten (bisher: {}).", value_text(elapsed, lang)),
                (Some(elapsed), true, false) => format!("The agreed duration of use ({words}) is not exceeded (so far: {}).", value_text(elapsed, lang)),
                (Some(elapsed), false, true) if matches!(op, Operator::Lt | Operator::Lteq) => format!("Die vereinbarte Nutzungsdauer ({words}) ist abgelaufen (seit Beginn vergangen: {}).", value_text(elapsed, lang)),
                (Some(elapsed), false, false) if matches!(op, Operator::Lt | Operator::Lteq) => format!("The agreed duration of use ({words}) has ended (elapsed since the start: {}).", value_text(elapsed, lang)),
                (Some(elapsed), false, true) => format!("Die Bedingung „vergangene Zeit {} {words}“ ist nicht erfüllt (vergangen: {}).", op.term(), value_text(elapsed, lang)),
                (Some(elapsed), false, false) => format!("The condition “elapsed time {} {words}” does not hold (elapsed: {}).", op.term(), value_text(elapsed, lang)),
            }
        }
        (OperandKind::Count, CompiledRight::Integer(ints)) => {
            let limit = ints.first().copied().unwrap_or_default();
            let max = if op == Operator::Lt { limit - 1 } else { limit };
            match (&c.left_value, ok, g) {
                (None, _, true) => format!("Die Zahl der bisherigen Nutzungen ist nicht bekannt (erlaubt: {} {limit}).", op.term()),
                (None, _, false) => format!("The number of previous uses is not known (allowed: {} {limit}).", op.term()),
                (Some(n), _, true) if matches!(op, Operator::Lt | Operator::Lteq) => format!("Die Daten dürfen höchstens {max}-mal genutzt werden; dies {} die {n}. Nutzung.", if ok { "ist" } else { "wäre" }),
                (Some(n), _, false) if matches!(op, Operator::Lt | Operator::Lteq) => format!("The data may be used at most {max} times; this {} use number {n}.", if ok { "is" } else { "would be" }),
                (Some(n), true, true) => format!("Nutzungszahl {n} erfüllt „{} {limit}“.", op.term()),
                (Some(n), true, false) => format!("Use number {n} satisfies “{} {limit}”.", op.term()),
                (Some(n), false, true) => format!("Nutzungszahl {n} erfüllt „{} {limit}“ nicht.", op.term()),
                (Some(n), false, false) => format!("Use number {n} does not satisfy “{} {limit}”.", op.term()),
            }
        }
        (OperandKind::AggregationThreshold, CompiledRight::Integer(ints)) => {
            let k = ints.first().copied().unwrap_or_default();
            match (&c.left_value, ok, g) {
                (None, _, true) => format!("Die Mindestgruppengröße der Anfrage ist nicht angegeben (erforderlich: {} {k}).", op.term()),
                (None, _, false) => format!("The request states no minimum group size (required: {} {k}).", op.term()),
                (Some(x), true, true) => format!("Ergebnisse zeigen nur Gruppen von mindestens {x} Datensätzen (erforderlich: {} {k}).", op.term()),
                (Some(x), true, false) => format!("Results show only groups of at least {x} records (required: {} {k}).", op.term()),
                (Some(x), false, true) => format!("Ergebnisse dürfen nur Gruppen von mindestens {k} Datensätzen zeigen; angefragt war eine Mindestgröße von {x}."),
                (Some(x), false, false) => format!("Results may only show groups of at least {k} records; the request asked for a minimum of {x}."),
            }
        }
        (OperandKind::RecipientType, CompiledRight::Iris { listed, .. }) => {
            let types: Vec<String> = listed.iter().map(|t| type_label(t, lang)).collect();
            let list = join(&types, lang);
            let negative = matches!(op, Operator::IsNoneOf | Operator::Neq);
            match (&c.left_value, ok, negative, g) {
                (None, _, _, true) => format!("Die Art des Empfängers ist nicht bekannt (Bedingung: {list})."),
                (None, _, _, false) => format!("The type of the recipient is not known (condition: {list})."),
                (Some(v), false, false, true) => format!("Nur Empfänger vom Typ {list} sind zugelassen; der Empfänger ist: {}.", type_label(&v.to_string(), lang)),
                (Some(v), false, false, false) => format!("Only recipients of type {list} are admitted; the recipient is: {}.", type_label(&v.to_string(), lang)),
                (Some(v), false, true, true) => format!("Empfänger vom Typ {} sind ausgeschlossen.", type_label(&v.to_string(), lang)),
                (Some(v), false, true, false) => format!("Recipients of type {} are excluded.", type_label(&v.to_string(), lang)),
                (Some(v), true, _, true) => format!("Der Empfänger ({}) ist zugelassen.", type_label(&v.to_string(), lang)),
                (Some(v), true, _, false) => format!("The recipient ({}) is admitted.", type_label(&v.to_string(), lang)),
            }
        }
        (OperandKind::RecipientAgs | OperandKind::SpatialScope, CompiledRight::Regions(regions)) => {
            let areas: Vec<String> = regions.iter().map(|r| region_label(r, lang)).collect();
            let list = join(&areas, lang);
            let recipient = atom.kind == OperandKind::RecipientAgs;
            let negative = matches!(op, Operator::IsNoneOf | Operator::Neq);
            match (&c.left_value, ok, recipient, g) {
                (None, _, true, true) => format!("Der Gemeindeschlüssel des Empfängers ist nicht bekannt (erforderlich: {list})."),
                (None, _, true, false) => format!("The recipient's municipality key is not known (required: {list})."),
                (None, _, false, true) => format!("Es wurde kein Gebiet der Nutzung angegeben (erforderlich: {list})."),
                (None, _, false, false) => format!("No area of use was stated (required: {list})."),
                (Some(v), false, true, true) if !negative => format!("Der Empfänger muss im Gebiet {list} liegen; sein Gemeindeschlüssel ist {v}."),
                (Some(v), false, true, false) if !negative => format!("The recipient must lie within {list}; its municipality key is {v}."),
                (Some(v), false, false, true) if !negative => format!("Die Nutzung ist nur für das Gebiet {list} erlaubt; angegeben wurde {v}."),
                (Some(v), false, false, false) if !negative => format!("Use is allowed only for {list}; the request states {v}."),
                (Some(v), false, _, true) => format!("Das Gebiet {v} ist ausgeschlossen ({list})."),
                (Some(v), false, _, false) => format!("The area {v} is excluded ({list})."),
                (Some(v), true, _, true) => format!("Das Gebiet {v} erfüllt die Bedingung ({} {list}).", op.term()),
                (Some(v), true, _, false) => format!("The area {v} meets the condition ({} {list}).", op.term()),
            }
        }
        (OperandKind::ChartaMembership, CompiledRight::Bool(required)) => match (ok, *required, g) {
            (false, true, true) => "Nur Mitglieder des Datenraums, die die Charta angenommen haben, dürfen die Daten nutzen; für den Empfänger liegt keine gültige Mitgliedschaft vor.".into(),
            (false, true, false) => "Only members of the data space who accepted the Charta may use the data; the recipient holds no valid membership.".into(),
            (true, true, true) => "Der Empfänger ist Mitglied des Datenraums und hat die Charta angenommen.".into(),
            (true, true, false) => "The recipient is a member of the data space and accepted the Charta.".into(),
            (_, false, true) => format!("Bedingung zur Mitgliedschaft „{}“ {}.", op.term(), if ok { "erfüllt" } else { "nicht erfüllt" }),
            (_, false, false) => format!("Membership condition “{}” {}.", op.term(), if ok { "holds" } else { "does not hold" }),
        },
        (OperandKind::ChartaVersion, CompiledRight::Versions(versions)) => {
            let list = versions.join(", ");
            match (&c.left_value, ok, g) {
                (None, _, true) => format!("Es ist nicht bekannt, welche Charta-Version der Empfänger angenommen hat (erforderlich: {} {list}).", op.term()),
                (None, _, false) => format!("It is not known which Charta version the recipient accepted (required: {} {list}).", op.term()),
                (Some(v), true, true) => format!("Der Empfänger hat Charta-Version {v} angenommen (erforderlich: {} {list}).", op.term()),
                (Some(v), true, false) => format!("The recipient accepted Charta version {v} (required: {} {list}).", op.term()),
                (Some(v), false, true) => format!("Erforderlich ist Charta-Version {} {list}; der Empfänger hat Version {v} angenommen.", op.term()),
                (Some(v), false, false) => format!("Charta version {} {list} is required; the recipient accepted version {v}.", op.term()),
            }
        }
        _ => {
            let left = terms::local_name(&atom.left_operand).to_owned();
            let cond = format!("{left} {} {}", op.term(), atom.right_operand);
            match (&c.left_value, ok, g) {
                (None, _, true) => format!("Für {} liegt kein Wert vor (Bedingung: {cond}).", quote(&left, lang)),
                (None, _, false) => format!("No value is known for {} (condition: {cond}).", quote(&left, lang)),
                (Some(v), true, true) => format!("Die Bedingung {} ist erfüllt (Wert: {}).", quote(&cond, lang), value_text(v, lang)),
                (Some(v), true, false) => format!("The condition {} holds (value: {}).", quote(&cond, lang), value_text(v, lang)),
                (Some(v), false, true) => format!("Die Bedingung {} ist nicht erfüllt (Wert: {}).", quote(&cond, lang), value_text(v, lang)),
                (Some(v), false, false) => format!("The condition {} does not hold (value: {}).", quote(&cond, lang), value_text(v, lang)),
            }
        }
    }
}

fn premise(p: &PremiseReport, lang: Lang) -> String {
    let g = de(lang);
    let actual = p.actual.clone().unwrap_or_else(|| {
        if g {
            "(keine Angabe)".into()
        } else {
            "(not stated)".into()
        }
    });
    let ok = p.satisfaction.holds();
    match (p.kind, ok, g) {
        (PremiseKind::Action, true, true) => format!(
            "Die Aktion {} ist von {} umfasst.",
            quote(&action_label(&actual, lang), lang),
            quote(&action_label(&p.expected, lang), lang)
        ),
        (PremiseKind::Action, true, false) => format!(
            "The action {} is covered by {}.",
            quote(&action_label(&actual, lang), lang),
            quote(&action_label(&p.expected, lang), lang)
        ),
        (PremiseKind::Action, false, true) => format!(
            "Die Regel betrifft {}; angefragt war {}.",
            quote(&action_label(&p.expected, lang), lang),
            quote(&action_label(&actual, lang), lang)
        ),
        (PremiseKind::Action, false, false) => format!(
            "The rule covers {}; the request was to {}.",
            quote(&action_label(&p.expected, lang), lang),
            quote(&action_label(&actual, lang), lang)
        ),
        (PremiseKind::Party, true, true) => format!("Die Regel gilt für {actual}."),
        (PremiseKind::Party, true, false) => format!("The rule applies to {actual}."),
        (PremiseKind::Party, false, true) => format!(
            "Die Regel gilt nur für {}; angefragt hat {actual}.",
            p.expected
        ),
        (PremiseKind::Party, false, false) => format!(
            "The rule applies only to {}; the request came from {actual}.",
            p.expected
        ),
        (PremiseKind::Target, true, true) => format!("Die Regel gilt für den Datensatz {actual}."),
        (PremiseKind::Target, true, false) => format!("The rule applies to the dataset {actual}."),
        (PremiseKind::Target, false, true) => format!(
            "Die Regel gilt nur für den Datensatz {}; angefragt war {actual}.",
            p.expected
        ),
        (PremiseKind::Target, false, false) => format!(
            "The rule applies only to the dataset {}; the request was for {actual}.",
            p.expected
        ),
    }
}

fn duty(d: &DutyReport, lang: Lang) -> String {
    let a = quote(&action_label(&d.action, lang), lang);
    let g = de(lang);
    match (d.activation, d.deontic, d.pending, g) {
        (Activation::Inactive, _, _, true) => {
            format!("Die Pflicht {a} gilt hier nicht (ihre Bedingungen treffen nicht zu).")
        }
        (Activation::Inactive, _, _, false) => {
            format!("The duty {a} does not apply here (its conditions do not hold).")
        }
        (_, DeonticState::Fulfilled, _, true) => format!("Die Pflicht {a} ist erfüllt."),
        (_, DeonticState::Fulfilled, _, false) => format!("The duty {a} is fulfilled."),
        (_, DeonticState::Violated, _, true) => format!("Die Pflicht {a} wurde verletzt."),
        (_, DeonticState::Violated, _, false) => format!("The duty {a} was violated."),
        (_, DeonticState::NotSet, true, true) => format!("Die Pflicht {a} ist noch nicht fällig."),
        (_, DeonticState::NotSet, true, false) => format!("The duty {a} is not due yet."),
        (_, DeonticState::NotSet, false, true) => format!("Die Pflicht {a} ist nicht erfüllt."),
        (_, DeonticState::NotSet, false, false) => format!("The duty {a} is not fulfilled."),
    }
}

fn rule_name(r: &RuleReport, lang: Lang) -> String {
    let kind = match (r.kind, de(lang)) {
        (RuleKind::Permission, true) => "Erlaubnis",
        (RuleKind::Permission, false) => "Permission",
        (RuleKind::Prohibition, true) => "Verbot",
        (RuleKind::Prohibition, false) => "Prohibition",
        (_, true) => "Pflicht",
        (_, false) => "Obligation",
    };
    let action = r
        .action
        .as_deref()
        .map(|a| action_label(a, lang))
        .unwrap_or_default();
    format!("{kind} {} ({action})", r.index + 1)
}

/// Why a request is denied (empty when permitted).
pub(crate) fn denial_reasons(report: &Report, lang: Lang) -> Vec<String> {
    if report.is_permitted() {
        return Vec::new();
    }
    let g = de(lang);
    let purposes = &*report.purposes;
    let mut reasons = Vec::new();
    for r in report.rules_of(RuleKind::Prohibition) {
        if r.activation == Activation::Active {
            let what = action_label(r.action.as_deref().unwrap_or(&report.request_action), lang);
            reasons.push(if g {
                format!("Untersagt: {what} (Verbot {}).", r.index + 1)
            } else {
                format!("Prohibited: {what} (prohibition {}).", r.index + 1)
            });
        }
    }
    if !reasons.is_empty() {
        return reasons;
    }
    let best = report.rules_of(RuleKind::Permission).min_by_key(|r| {
        let action_fails = r
            .premises
            .iter()
            .any(|p| p.kind == PremiseKind::Action && !p.satisfaction.holds());
        (action_fails, r.failures())
    });
    let Some(best) = best else {
        return vec![if g {
            "Die Vereinbarung enthält keine Erlaubnis.".into()
        } else {
            "The agreement grants no permission.".into()
        }];
    };
    for p in best.premises.iter().filter(|p| !p.satisfaction.holds()) {
        reasons.push(premise(p, lang));
    }
    for c in &best.constraints {
        for atom in c.failing_atoms() {
            reasons.push(constraint(atom, lang, purposes));
        }
    }
    for c in &best.refinements {
        for atom in c.failing_atoms() {
            reasons.push(constraint(atom, lang, purposes));
        }
    }
    for d in best.duties.iter().filter(|d| d.blocks()) {
        reasons.push(duty(d, lang));
    }
    if reasons.is_empty() {
        reasons.push(if g {
            "Keine Erlaubnis umfasst diese Anfrage.".into()
        } else {
            "No permission covers this request.".into()
        });
    }
    reasons
}

/// The full report as text.
pub(crate) fn full(report: &Report, lang: Lang) -> String {
    let g = de(lang);
    let purposes = &*report.purposes;
    let mut out = String::new();
    let decision = match (report.is_permitted(), g) {
        (true, true) => "erlaubt",
        (true, false) => "permitted",
        (false, true) => "abgelehnt",
        (false, false) => "denied",
    };
    out.push_str(&format!(
        "{} {}: {} – {decision}\n",
        if g { "Richtlinie" } else { "Policy" },
        report.policy_uid,
        action_label(&report.request_action, lang)
    ));
    for reason in report.denial_reasons(lang) {
        out.push_str(&format!("  → {reason}\n"));
    }
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    for r in &report.rules {
        let state = match (r.activation, g) {
            (Activation::Active, true) => "aktiv",
            (Activation::Active, false) => "active",
            (Activation::Inactive, true) => "nicht aktiv",
            (Activation::Inactive, false) => "inactive",
        };
        out.push_str(&format!("{}: {state}\n", rule_name(r, lang)));
        for p in &r.premises {
            out.push_str(&format!(
                "  {} {}\n",
                mark(p.satisfaction.holds()),
                premise(p, lang)
            ));
        }
        for c in r.constraints.iter().chain(&r.refinements) {
            out.push_str(&format!(
                "  {} {}\n",
                mark(c.satisfaction.holds()),
                constraint(c, lang, purposes)
            ));
        }
        for d in &r.duties {
            out.push_str(&format!("  {} {}\n", mark(!d.blocks()), duty(d, lang)));
        }
    }
    out
}
