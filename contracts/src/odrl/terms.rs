//! ODRL terms: namespace prefixes, compact ↔ full IRIs, and the action hierarchy.
//!
//! The action hierarchy (`includedIn`) is the one of the ODRL 2.2 Common Vocabulary: `read`
//! is included in `use`, `sell` in `transfer`, and so on. A permission to `use` therefore
//! covers a request to `read`, while a request to `sell` is not covered.

/// ODRL namespace.
pub const ODRL: &str = "http://www.w3.org/ns/odrl/2/";
/// XML Schema datatypes namespace.
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
/// The project's namespace (`gwd:`).
pub const GWD: &str = "https://w3id.org/gemeinwohl-datenraum/ns#";
/// W3C Data Privacy Vocabulary namespace (`dpv:`).
pub const DPV: &str = "https://w3id.org/dpv#";
/// RDF namespace.
pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
/// DSP namespace.
pub const DSPACE: &str = "https://w3id.org/dspace/2025/1/";

/// Prefixes understood in compact names (`gwd:reidentify`, `dpv:Marketing`, `xsd:dateTime`).
const PREFIXES: [(&str, &str); 7] = [
    ("odrl", ODRL),
    ("gwd", GWD),
    ("dpv", DPV),
    ("xsd", XSD),
    ("rdf", RDF),
    ("dspace", DSPACE),
    ("dct", "http://purl.org/dc/terms/"),
];

/// ODRL actions and the action each is included in (ODRL 2.2 Common Vocabulary, plus the
/// ODRL 2.1 actions the test suite still uses, mapped as the 2.2 vocabulary maps them).
const ACTION_PARENTS: &[(&str, &str)] = &[
    ("acceptTracking", "use"),
    ("aggregate", "use"),
    ("annotate", "use"),
    ("anonymize", "use"),
    ("archive", "use"),
    ("attribute", "use"),
    ("compensate", "use"),
    ("concurrentUse", "use"),
    ("delete", "use"),
    ("derive", "use"),
    ("digitize", "use"),
    ("display", "play"),
    ("distribute", "use"),
    ("ensureExclusivity", "use"),
    ("execute", "use"),
    ("extract", "reproduce"),
    ("give", "transfer"),
    ("grantUse", "use"),
    ("include", "use"),
    ("index", "use"),
    ("inform", "use"),
    ("install", "use"),
    ("modify", "use"),
    ("move", "use"),
    ("nextPolicy", "use"),
    ("obtainConsent", "use"),
    ("play", "use"),
    ("present", "use"),
    ("print", "use"),
    ("read", "use"),
    ("reproduce", "use"),
    ("reviewPolicy", "use"),
    ("sell", "transfer"),
    ("stream", "play"),
    ("synchronize", "use"),
    ("textToSpeech", "read"),
    ("transform", "use"),
    ("translate", "use"),
    ("uninstall", "use"),
    ("watermark", "use"),
    // ODRL 2.1 actions, deprecated in 2.2 and mapped to their replacements.
    ("write", "modify"),
    ("append", "modify"),
    ("appendTo", "modify"),
    ("copy", "reproduce"),
    ("duplicate", "reproduce"),
    ("preview", "use"),
    ("secondaryUse", "use"),
    ("share", "distribute"),
    ("pay", "compensate"),
    ("lease", "transfer"),
    ("lend", "transfer"),
    ("export", "transform"),
    ("adHocShare", "distribute"),
];

/// The project's own actions (`gwd:`) and the ODRL action each is included in.
const GWD_ACTION_PARENTS: &[(&str, &str)] = &[
    ("reidentify", "use"),
    ("sandboxAccess", "aggregate"),
    ("shareResults", "inform"),
    ("logAccess", "use"),
    ("publishToRegister", "inform"),
];

/// Terms that the compact DSP/ODRL JSON-LD form writes without a prefix: the ODRL vocabulary.
fn is_odrl_local_name(term: &str) -> bool {
    !term.is_empty()
        && !term.contains(':')
        && !term.contains('/')
        && !term.contains('#')
        && term
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Expands a vocabulary term: a bare name is an ODRL term (`use` →
/// `http://www.w3.org/ns/odrl/2/use`), a known prefix is expanded (`gwd:reidentify`), and
/// anything else (a full IRI, `urn:…`, `did:…`) is returned unchanged.
pub fn expand_vocab(term: &str) -> String {
    if is_odrl_local_name(term) {
        return format!("{ODRL}{term}");
    }
    expand_prefixed(term)
}

/// Expands a known prefix (`dpv:Marketing`); other values are returned unchanged.
pub fn expand_prefixed(value: &str) -> String {
    if let Some((prefix, local)) = value.split_once(':')
        && !local.starts_with("//")
        && let Some((_, ns)) = PREFIXES.iter().find(|(p, _)| *p == prefix)
    {
        return format!("{ns}{local}");
    }
    value.to_owned()
}

/// The compact form used in DSP JSON for `action`, `leftOperand` and `operator` values: an ODRL
/// term loses its namespace (`use`); anything else stays a full IRI (the DSP context defines no
/// other prefix).
pub fn compact_vocab(iri: &str) -> String {
    match iri.strip_prefix(ODRL) {
        Some(local) if is_odrl_local_name(local) => local.to_owned(),
        _ => iri.to_owned(),
    }
}

/// A short human-readable name: the local part after the last `/` or `#`.
pub fn local_name(iri: &str) -> &str {
    iri.rsplit(['/', '#', ':']).next().unwrap_or(iri)
}

/// The parent of an ODRL action in the `includedIn` hierarchy, if any.
pub fn action_parent(action_iri: &str) -> Option<String> {
    let (table, local) = match action_iri.strip_prefix(ODRL) {
        Some(local) => (ACTION_PARENTS, local),
        None => (GWD_ACTION_PARENTS, action_iri.strip_prefix(GWD)?),
    };
    table
        .iter()
        .find(|(a, _)| *a == local)
        .map(|(_, p)| format!("{ODRL}{p}"))
}

/// Whether `requested` is `granted` or included in it (transitively): a permission to `use`
/// covers `read`; a permission to `read` does not cover `use`.
pub fn action_included_in(requested: &str, granted: &str) -> bool {
    let mut current = requested.to_owned();
    // The hierarchy is at most four levels deep; the bound guards against a cycle.
    for _ in 0..16 {
        if current == granted {
            return true;
        }
        match action_parent(&current) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_and_compact() {
        assert_eq!(expand_vocab("use"), format!("{ODRL}use"));
        assert_eq!(expand_vocab("odrl:use"), format!("{ODRL}use"));
        assert_eq!(expand_vocab("gwd:reidentify"), format!("{GWD}reidentify"));
        assert_eq!(
            expand_vocab("https://w3id.org/dpv#Marketing"),
            "https://w3id.org/dpv#Marketing"
        );
        assert_eq!(expand_vocab("did:web:a.example"), "did:web:a.example");
        assert_eq!(compact_vocab(&format!("{ODRL}dateTime")), "dateTime");
        assert_eq!(
            compact_vocab(&format!("{GWD}recipientType")),
            format!("{GWD}recipientType")
        );
    }

    #[test]
    fn action_hierarchy() {
        let i = |s: &str| format!("{ODRL}{s}");
        assert!(action_included_in(&i("read"), &i("use")));
        assert!(action_included_in(&i("write"), &i("use")));
        assert!(action_included_in(&i("textToSpeech"), &i("use")));
        assert!(action_included_in(&i("use"), &i("use")));
        assert!(!action_included_in(&i("sell"), &i("use")));
        assert!(action_included_in(&i("sell"), &i("transfer")));
        assert!(!action_included_in(&i("use"), &i("read")));
        assert!(action_included_in(&format!("{GWD}reidentify"), &i("use")));
        assert!(!action_included_in(&format!("{GWD}reidentify"), &i("read")));
    }
}
