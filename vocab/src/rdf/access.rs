//! Reading a node's properties from a graph, with errors that name the node and property.

use chrono::NaiveDate;
use oxigraph::model::{Graph, LiteralRef, NamedNodeRef, NamedOrBlankNodeRef, TermRef};

use crate::error::{Error, Result};
use crate::model::Text;
use crate::ns::{rdf, xsd};

/// One node of a graph, to read its properties.
///
/// ```
/// use oxigraph::model::NamedNodeRef;
/// use vocab::ns::dct;
/// use vocab::rdf::{self, NodeView, Syntax};
/// let g = rdf::parse(br#"<https://a.example/d> <http://purl.org/dc/terms/title> "Baeume"@de ."#,
///     Syntax::Turtle, None).unwrap();
/// let node = NodeView::new(&g, NamedNodeRef::new("https://a.example/d").unwrap().into());
/// assert_eq!(node.text(dct::TITLE).unwrap().de, "Baeume");
/// let err = node.text(dct::DESCRIPTION).unwrap_err().to_string();
/// assert!(err.contains("<https://a.example/d>") && err.contains("description"));
/// ```
#[derive(Clone, Copy)]
pub struct NodeView<'a> {
    graph: &'a Graph,
    node: NamedOrBlankNodeRef<'a>,
}

impl<'a> NodeView<'a> {
    /// A view of `node` in `graph`.
    pub fn new(graph: &'a Graph, node: NamedOrBlankNodeRef<'a>) -> Self {
        Self { graph, node }
    }

    /// The graph the node is read from.
    pub fn graph(&self) -> &'a Graph {
        self.graph
    }

    /// The node.
    pub fn node(&self) -> NamedOrBlankNodeRef<'a> {
        self.node
    }

    /// The node's IRI, or its blank node label (`_:b1`).
    pub fn id(&self) -> String {
        match self.node {
            NamedOrBlankNodeRef::NamedNode(n) => n.as_str().to_owned(),
            NamedOrBlankNodeRef::BlankNode(b) => b.to_string(),
        }
    }

    /// The node's IRI, if it is not a blank node.
    pub fn iri(&self) -> Option<&'a str> {
        match self.node {
            NamedOrBlankNodeRef::NamedNode(n) => Some(n.as_str()),
            NamedOrBlankNodeRef::BlankNode(_) => None,
        }
    }

    /// An error about `property` of this node.
    pub fn error(&self, property: NamedNodeRef<'_>, reason: impl Into<String>) -> Error {
        Error::graph(self.node, property, reason)
    }

    /// All values of `property`.
    pub fn objects(&self, property: NamedNodeRef<'a>) -> impl Iterator<Item = TermRef<'a>> + 'a {
        self.graph
            .objects_for_subject_predicate(self.node, property)
    }

    /// Every (property, value) of the node.
    pub fn properties(&self) -> impl Iterator<Item = (NamedNodeRef<'a>, TermRef<'a>)> + 'a {
        self.graph
            .triples_for_subject(self.node)
            .map(|t| (t.predicate, t.object))
    }

    /// Whether the node has `rdf:type` `class`.
    pub fn has_type(&self, class: NamedNodeRef<'_>) -> bool {
        self.graph
            .contains(oxigraph::model::TripleRef::new(self.node, rdf::TYPE, class))
    }

    /// The IRI values of `property` (literals and blank nodes are skipped).
    pub fn iris(&self, property: NamedNodeRef<'a>) -> Vec<&'a str> {
        self.objects(property)
            .filter_map(|o| match o {
                TermRef::NamedNode(n) => Some(n.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The single IRI value of `property`: missing, repeated or non-IRI values are errors.
    pub fn one_iri(&self, property: NamedNodeRef<'a>) -> Result<&'a str> {
        self.opt_iri(property)?
            .ok_or_else(|| self.error(property, "is missing"))
    }

    /// The IRI value of `property`, if any; repeated or non-IRI values are errors.
    pub fn opt_iri(&self, property: NamedNodeRef<'a>) -> Result<Option<&'a str>> {
        let mut values = self.objects(property);
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(self.error(property, "has more than one value; one is allowed"));
        }
        match first {
            TermRef::NamedNode(n) => Ok(Some(n.as_str())),
            other => Err(self.error(property, format!("must be an IRI, found {other}"))),
        }
    }

    /// The nodes (IRIs or blank nodes) `property` points to.
    pub fn nodes(&self, property: NamedNodeRef<'a>) -> Vec<NodeView<'a>> {
        self.objects(property)
            .filter_map(|o| match o {
                TermRef::NamedNode(n) => Some(NodeView::new(self.graph, n.into())),
                TermRef::BlankNode(b) => Some(NodeView::new(self.graph, b.into())),
                _ => None,
            })
            .collect()
    }

    /// The single node `property` points to, if any; more than one, or a literal, is an error.
    pub fn opt_node(&self, property: NamedNodeRef<'a>) -> Result<Option<NodeView<'a>>> {
        let mut values = self.objects(property);
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(self.error(property, "has more than one value; one is allowed"));
        }
        match first {
            TermRef::NamedNode(n) => Ok(Some(NodeView::new(self.graph, n.into()))),
            TermRef::BlankNode(b) => Ok(Some(NodeView::new(self.graph, b.into()))),
            other => Err(self.error(
                property,
                format!("must be a node, found the literal {other}"),
            )),
        }
    }

    /// The literal values of `property`.
    pub fn literals(&self, property: NamedNodeRef<'a>) -> Vec<LiteralRef<'a>> {
        self.objects(property)
            .filter_map(|o| match o {
                TermRef::Literal(l) => Some(l),
                _ => None,
            })
            .collect()
    }

    /// The single literal value of `property`, if any.
    pub fn opt_literal(&self, property: NamedNodeRef<'a>) -> Result<Option<LiteralRef<'a>>> {
        let mut values = self.objects(property);
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(self.error(property, "has more than one value; one is allowed"));
        }
        match first {
            TermRef::Literal(l) => Ok(Some(l)),
            other => Err(self.error(property, format!("must be a literal, found {other}"))),
        }
    }

    /// The single string value of `property` (any literal's lexical form), if any.
    pub fn opt_string(&self, property: NamedNodeRef<'a>) -> Result<Option<&'a str>> {
        Ok(self.opt_literal(property)?.map(|l| l.value()))
    }

    /// The single string value of `property`; missing is an error.
    pub fn one_string(&self, property: NamedNodeRef<'a>) -> Result<&'a str> {
        self.opt_string(property)?
            .ok_or_else(|| self.error(property, "is missing"))
    }

    /// Reads a text: German from `@de` (or an untagged literal when no `@de` exists), English
    /// from `@en`. More than one German or English value is an error; so is no German value.
    pub fn text(&self, property: NamedNodeRef<'a>) -> Result<Text> {
        self.opt_text(property)?
            .ok_or_else(|| self.error(property, "is missing (a German text is required)"))
    }

    /// Like [`NodeView::text`], but absent is `None`.
    pub fn opt_text(&self, property: NamedNodeRef<'a>) -> Result<Option<Text>> {
        let split = split_languages(&self.literals(property));
        if split.de.len() > 1 {
            return Err(self.error(property, "has more than one German value"));
        }
        if split.en.len() > 1 {
            return Err(self.error(property, "has more than one English value"));
        }
        if split.de.is_empty() && split.untagged.len() > 1 {
            return Err(self.error(property, "has more than one untagged value"));
        }
        let de = split.de.first().or(split.untagged.first()).copied();
        match (de, split.en.first()) {
            (Some(de), en) => Ok(Some(Text {
                de: de.to_owned(),
                en: en.map(|s| (*s).to_owned()),
            })),
            (None, Some(_)) => Err(self.error(property, "has an English value but no German one")),
            (None, None) => {
                if self.objects(property).next().is_some() {
                    Err(self.error(property, "must be a literal text"))
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Reads a date from an `xsd:date` or `xsd:dateTime` literal (the time is dropped).
    pub fn opt_date(&self, property: NamedNodeRef<'a>) -> Result<Option<NaiveDate>> {
        let Some(l) = self.opt_literal(property)? else {
            return Ok(None);
        };
        parse_date(l).map(Some).ok_or_else(|| {
            self.error(
                property,
                format!("{l} is not a date (xsd:date or xsd:dateTime)"),
            )
        })
    }

    /// Reads an `xsd:boolean`.
    pub fn opt_bool(&self, property: NamedNodeRef<'a>) -> Result<Option<bool>> {
        let Some(l) = self.opt_literal(property)? else {
            return Ok(None);
        };
        match l.value() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(self.error(property, format!("{l} is not a boolean"))),
        }
    }
}

/// Literals split by language.
pub(crate) struct Languages<'a> {
    pub(crate) de: Vec<&'a str>,
    pub(crate) en: Vec<&'a str>,
    pub(crate) untagged: Vec<&'a str>,
}

/// Splits literals into German (`de`, `de-*`), English (`en`, `en-*`) and untagged ones;
/// other languages are dropped.
pub(crate) fn split_languages<'a>(literals: &[LiteralRef<'a>]) -> Languages<'a> {
    let mut out = Languages {
        de: Vec::new(),
        en: Vec::new(),
        untagged: Vec::new(),
    };
    for l in literals {
        match l.language() {
            Some(lang) if lang == "de" || lang.starts_with("de-") => out.de.push(l.value()),
            Some(lang) if lang == "en" || lang.starts_with("en-") => out.en.push(l.value()),
            Some(_) => {}
            None => out.untagged.push(l.value()),
        }
    }
    out
}

/// A date from an `xsd:date`, `xsd:dateTime` or plain literal (`2024-01-31`, `2024-01-31T…`).
pub(crate) fn parse_date(l: LiteralRef<'_>) -> Option<NaiveDate> {
    let v = l.value().trim();
    let dt = l.datatype();
    if dt != xsd::DATE && dt != xsd::DATE_TIME && dt != xsd::STRING && dt != xsd::DATE_TIME_STAMP {
        return None;
    }
    let date_part = v.get(..10)?;
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()
}
