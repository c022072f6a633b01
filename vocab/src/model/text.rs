//! Texts in German with an optional English version.

use serde::{Deserialize, Serialize};

/// A text in German (`de`, required) and optionally English (`en`), as DCAT-AP.de titles and
/// descriptions are written (`"…"@de`, `"…"@en`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    /// The German text.
    pub de: String,
    /// The English text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// A German-only text.
    pub fn de(text: impl Into<String>) -> Self {
        Self {
            de: text.into(),
            en: None,
        }
    }

    /// Adds the English version.
    #[must_use]
    pub fn with_en(mut self, text: impl Into<String>) -> Self {
        self.en = Some(text.into());
        self
    }

    /// Checks that the German text (and the English one, if present) is not empty.
    pub(crate) fn check(&self, field: &str) -> crate::Result<()> {
        super::check_text(&format!("{field}.de"), &self.de)?;
        if let Some(en) = &self.en {
            super::check_text(&format!("{field}.en"), en)?;
        }
        Ok(())
    }
}
