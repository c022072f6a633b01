//! Refusals explained to the consumer in German and English, with the HTTP status a query
//! endpoint answers them with.
//!
//! The English text is the error's consumer message ([`SandboxError::consumer_message`]); the
//! German one says the same for municipal staff. Faults on the provider's side are named
//! without their details in both.

use super::error::SandboxError;

/// The HTTP status (4xx for the consumer's request, 5xx for the provider's side), and the
/// German and English explanation of `error`.
pub fn explain(error: &SandboxError) -> (u16, String, String) {
    let en = error.consumer_message();
    let (status, de) = match error {
        SandboxError::RequestTooLarge { size, limit } => (
            413,
            format!("Die Anfrage ist {size} Bytes groß, erlaubt sind höchstens {limit} Bytes."),
        ),
        SandboxError::InvalidRequest { field, reason } => (
            400,
            format!("Die Anfrage ist fehlerhaft, Feld `{field}`: {reason}"),
        ),
        SandboxError::UnknownColumn { field, column } => (
            400,
            format!("Feld `{field}`: der Datensatz hat keine Spalte „{column}“."),
        ),
        SandboxError::IdentifyingColumn { field, column, .. } => (
            403,
            format!(
                "Feld `{field}`: die Spalte „{column}“ ist als identifizierend markiert und \
                 kann nie gruppiert, gefiltert, ausgewertet oder ausgegeben werden (Charta \
                 GW-6 Datenminimierung: nur aggregiert, GW-7 keine Re-Identifizierung)."
            ),
        ),
        SandboxError::ColumnNotAllowed {
            field,
            column,
            allowed,
            ..
        } => (
            403,
            format!(
                "Feld `{field}`: die Spalte „{column}“ darf unter dieser Vereinbarung so nicht \
                 verwendet werden (erlaubt: {allowed})."
            ),
        ),
        SandboxError::ColumnType {
            field,
            column,
            reason,
        } => (
            400,
            format!("Feld `{field}`: die Spalte „{column}“ passt nicht zur Anfrage ({reason})."),
        ),
        SandboxError::Differencing(r) => {
            let group = if r.group.is_empty() {
                "der gesamten Auswahl".to_owned()
            } else {
                format!("der Gruppe {}", r.group)
            };
            (
                403,
                format!(
                    "Abgelehnt zum Schutz vor Differenzbildung: zusammen mit der früheren \
                     Anfrage Nr. {} würde diese Antwort zwischen 1 und {} Datensätze in {group} \
                     eingrenzen; weniger als k = {} Datensätze dürfen nie beschrieben werden \
                     (Charta GW-7). Fragen Sie nach gröberen Gruppen oder nach Filtern, die \
                     ganze Gruppen der früheren Anfrage ein- oder ausschließen.",
                    r.earlier_query,
                    r.k.saturating_sub(1),
                    r.k
                ),
            )
        }
        SandboxError::TooManyGroups { limit } => (
            400,
            format!(
                "Die Gruppierung ergibt mehr als {limit} Gruppen; wählen Sie gröbere Gruppen \
                 oder engere Filter."
            ),
        ),
        SandboxError::Timeout { seconds } => (
            503,
            format!(
                "Die Anfrage dauerte länger als {seconds} s und wurde abgebrochen; \
                 Einzelheiten liegen beim Betreiber des Datengebers."
            ),
        ),
        other => (
            503,
            format!(
                "Der Datengeber konnte diese Anfrage nicht beantworten ({}); Einzelheiten \
                 liegen beim Betreiber des Datengebers.",
                other.code()
            ),
        ),
    };
    (status, de, en)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::error::{ColumnUse, DifferencingRefusal};

    #[test]
    fn refusals_are_explained_in_both_languages() {
        let e = SandboxError::IdentifyingColumn {
            field: "groupBy[0]".into(),
            column: "name".into(),
            usage: ColumnUse::GroupBy,
        };
        let (status, de, en) = explain(&e);
        assert_eq!(status, 403);
        assert!(de.contains("„name“") && de.contains("GW-7"), "{de}");
        assert!(en.contains("\"name\" is marked identifying"), "{en}");
        let d = SandboxError::Differencing(DifferencingRefusal {
            earlier_query: 2,
            group: "district = \"Nord\"".into(),
            relation: "nested".into(),
            k: 5,
        });
        let (status, de, en) = explain(&d);
        assert_eq!(status, 403);
        assert!(
            de.contains("Anfrage Nr. 2") && de.contains("zwischen 1 und 4"),
            "{de}"
        );
        assert!(en.contains("earlier query #2"), "{en}");
        let provider_side = SandboxError::Source {
            source_kind: "csv",
            message: "line 7: Anna Muster".into(),
        };
        let (status, de, en) = explain(&provider_side);
        assert_eq!(status, 503);
        assert!(!de.contains("Anna") && !en.contains("Anna"), "{de} {en}");
    }
}
