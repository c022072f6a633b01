//! Diagnostics for templates: where (line, column), what, and how to fix it, in German and
//! English.

use std::fmt;

use crate::charta::Severity;
use crate::eval::Lang;

/// One problem found in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code (`unknown-placeholder`, `missing-principle`, …).
    pub code: &'static str,
    /// 1-based line in the template file.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong and how to fix it, in English.
    pub message_en: String,
    /// The same in German.
    pub message_de: String,
}

impl Diagnostic {
    pub(crate) fn error(
        code: &'static str,
        (line, column): (usize, usize),
        en: impl Into<String>,
        de: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            line,
            column,
            message_en: en.into(),
            message_de: de.into(),
        }
    }

    pub(crate) fn warning(
        code: &'static str,
        pos: (usize, usize),
        en: impl Into<String>,
        de: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, pos, en, de)
        }
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `FILE:LINE:COL: error[code]: message` in the chosen language.
    pub fn render(&self, file: &str, lang: Lang) -> String {
        let (level, msg) = match (self.severity, lang) {
            (Severity::Error, Lang::De) => ("Fehler", &self.message_de),
            (Severity::Warning, Lang::De) => ("Warnung", &self.message_de),
            (Severity::Error, _) => ("error", &self.message_en),
            (_, _) => ("warning", &self.message_en),
        };
        format!(
            "{file}:{}:{}: {level}[{}]: {msg}",
            self.line, self.column, self.code
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("template", Lang::En))
    }
}

/// A template could not be read, checked or rendered; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct TemplateErrors(pub Vec<Diagnostic>);
