//! What the lenient readers share: the problem collector and reading texts.

use oxigraph::model::NamedNodeRef;

use super::{Impact, Problem};
use crate::model::Text;
use crate::rdf::NodeView;
use crate::rdf::access::split_languages;

/// Collects the problems of one dataset.
pub(super) struct Problems {
    pub(super) list: Vec<Problem>,
}

impl Problems {
    pub(super) fn add(
        &mut self,
        kind: &'static str,
        impact: Impact,
        node: &NodeView<'_>,
        property: NamedNodeRef<'_>,
        message: impl Into<String>,
    ) {
        self.list.push(Problem {
            kind,
            impact,
            node: node.node().to_string(),
            property: property.to_string(),
            message: message.into(),
        });
    }
}

/// The first German (or untagged, or any) text of `property`.
pub(super) fn lenient_text(node: &NodeView<'_>, property: NamedNodeRef<'_>) -> Option<Text> {
    let literals = node.literals(property);
    let split = split_languages(&literals);
    let pick = |v: &[&str]| {
        v.iter()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let de = pick(&split.de).or_else(|| pick(&split.untagged));
    let en = pick(&split.en);
    match (de, en) {
        (Some(de), en) => Some(Text { de, en }),
        (None, Some(en)) => Some(Text::de(en)),
        (None, None) => literals
            .iter()
            .map(|l| l.value().trim())
            .find(|s| !s.is_empty())
            .map(Text::de),
    }
}
