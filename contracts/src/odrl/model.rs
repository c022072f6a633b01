//! The ODRL 2.2 information model: policies, rules, actions and constraints.
//!
//! Every IRI is stored fully expanded (`http://www.w3.org/ns/odrl/2/use`, not `use`), so two
//! policies read from different serialisations compare equal when they say the same thing.
//! The compact DSP JSON-LD form and Turtle are read and written by the sibling modules.

use std::fmt;

use super::terms;

/// The kind of a policy (`@type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PolicyKind {
    /// `odrl:Set`: rules without fixed parties.
    Set,
    /// `odrl:Offer`: what a provider offers (DSP catalogue and negotiation).
    Offer,
    /// `odrl:Agreement`: the rules both parties agreed to.
    Agreement,
    /// `odrl:Request`: what a party asks for (used by the ODRL test suite).
    Request,
}

impl PolicyKind {
    /// The compact term (`Offer`, `Agreement`, …).
    pub fn term(self) -> &'static str {
        match self {
            PolicyKind::Set => "Set",
            PolicyKind::Offer => "Offer",
            PolicyKind::Agreement => "Agreement",
            PolicyKind::Request => "Request",
        }
    }

    /// The full IRI (`http://www.w3.org/ns/odrl/2/Offer`, …).
    pub fn iri(self) -> String {
        format!("{}{}", terms::ODRL, self.term())
    }

    /// Reads a compact term or a full ODRL IRI.
    pub fn from_term(term: &str) -> Option<Self> {
        let local = term
            .strip_prefix(terms::ODRL)
            .or_else(|| term.strip_prefix("odrl:"))
            .unwrap_or(term);
        match local {
            "Set" | "Policy" => Some(PolicyKind::Set),
            "Offer" => Some(PolicyKind::Offer),
            "Agreement" => Some(PolicyKind::Agreement),
            "Request" => Some(PolicyKind::Request),
            _ => None,
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.term())
    }
}

/// An ODRL policy: its identity, parties, target and rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy's identifier (`@id` in DSP, `odrl:uid` in ODRL).
    pub uid: String,
    /// Set, Offer, Agreement or Request.
    pub kind: PolicyKind,
    /// ODRL profiles the policy conforms to (IRIs).
    pub profiles: Vec<String>,
    /// The party granting the rules (policy level; rules may override).
    pub assigner: Option<String>,
    /// The party receiving the rules (policy level; rules may override).
    pub assignee: Option<String>,
    /// The asset the rules apply to (policy level; rules may override).
    pub target: Option<String>,
    /// When an agreement was concluded (`timestamp`, DSP Agreement only; `xsd:dateTime` text).
    pub timestamp: Option<String>,
    /// What may be done.
    pub permissions: Vec<Rule>,
    /// What must not be done.
    pub prohibitions: Vec<Rule>,
    /// What must be done, independent of any permission (`obligation`).
    pub obligations: Vec<Rule>,
}

impl Policy {
    /// An empty policy of the given kind and identifier.
    pub fn new(kind: PolicyKind, uid: impl Into<String>) -> Self {
        Policy {
            uid: uid.into(),
            kind,
            profiles: Vec::new(),
            assigner: None,
            assignee: None,
            target: None,
            timestamp: None,
            permissions: Vec::new(),
            prohibitions: Vec::new(),
            obligations: Vec::new(),
        }
    }

    /// Adds a permission.
    #[must_use]
    pub fn with_permission(mut self, rule: Rule) -> Self {
        self.permissions.push(rule);
        self
    }

    /// Adds a prohibition.
    #[must_use]
    pub fn with_prohibition(mut self, rule: Rule) -> Self {
        self.prohibitions.push(rule);
        self
    }

    /// Adds an obligation.
    #[must_use]
    pub fn with_obligation(mut self, rule: Rule) -> Self {
        self.obligations.push(rule);
        self
    }

    /// Sets the policy-level target.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the policy-level assigner.
    #[must_use]
    pub fn with_assigner(mut self, party: impl Into<String>) -> Self {
        self.assigner = Some(party.into());
        self
    }

    /// Sets the policy-level assignee.
    #[must_use]
    pub fn with_assignee(mut self, party: impl Into<String>) -> Self {
        self.assignee = Some(party.into());
        self
    }

    /// All rules with their kind: permissions, then prohibitions, then obligations.
    pub fn rules(&self) -> impl Iterator<Item = (RuleKind, &Rule)> {
        self.permissions
            .iter()
            .map(|r| (RuleKind::Permission, r))
            .chain(self.prohibitions.iter().map(|r| (RuleKind::Prohibition, r)))
            .chain(self.obligations.iter().map(|r| (RuleKind::Obligation, r)))
    }
}

/// Which deontic kind a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RuleKind {
    /// A permission (`permission`).
    Permission,
    /// A prohibition (`prohibition`).
    Prohibition,
    /// A policy-level obligation (`obligation`).
    Obligation,
    /// A duty attached to a permission (its pre-condition), or a consequence or remedy.
    Duty,
}

impl RuleKind {
    /// The JSON-LD property that holds rules of this kind in a policy or rule.
    pub fn property(self) -> &'static str {
        match self {
            RuleKind::Permission => "permission",
            RuleKind::Prohibition => "prohibition",
            RuleKind::Obligation => "obligation",
            RuleKind::Duty => "duty",
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.property())
    }
}

/// A permission, prohibition or duty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rule {
    /// The rule's identifier, if it has one (`@id`).
    pub uid: Option<String>,
    /// The action the rule is about. DSP requires one; the ODRL test suite has rules without.
    pub action: Option<Action>,
    /// The asset (overrides the policy's target).
    pub target: Option<String>,
    /// The granting party (overrides the policy's assigner).
    pub assigner: Option<String>,
    /// The receiving party (overrides the policy's assignee).
    pub assignee: Option<String>,
    /// Constraints that must all hold for the rule to be active.
    pub constraints: Vec<Constraint>,
    /// Permission: its duties (pre-conditions). Duty: its consequences. Prohibition: remedies.
    pub duties: Vec<Rule>,
}

impl Rule {
    /// A rule about an action (a compact ODRL term such as `use`, or a full IRI).
    pub fn new(action: &str) -> Self {
        Rule {
            action: Some(Action::new(action)),
            ..Rule::default()
        }
    }

    /// Adds a constraint.
    #[must_use]
    pub fn with_constraint(mut self, constraint: Constraint) -> Self {
        self.constraints.push(constraint);
        self
    }

    /// Adds a duty (for a permission), consequence (for a duty) or remedy (for a prohibition).
    #[must_use]
    pub fn with_duty(mut self, duty: Rule) -> Self {
        self.duties.push(duty);
        self
    }

    /// Sets the rule's identifier.
    #[must_use]
    pub fn with_uid(mut self, uid: impl Into<String>) -> Self {
        self.uid = Some(uid.into());
        self
    }

    /// The action's IRI, if the rule has an action.
    pub fn action_iri(&self) -> Option<&str> {
        self.action.as_ref().map(|a| a.name.as_str())
    }
}

/// An action, optionally narrowed by refinements.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The action's IRI (`http://www.w3.org/ns/odrl/2/use`, `https://w3id.org/gemeinwohl-datenraum/ns#reidentify`).
    pub name: String,
    /// Constraints narrowing the action (`refinement`).
    pub refinements: Vec<Constraint>,
}

impl Action {
    /// An action from a compact ODRL term (`use`), a prefixed name (`odrl:use`, `gwd:reidentify`)
    /// or a full IRI.
    pub fn new(term: &str) -> Self {
        Action {
            name: terms::expand_vocab(term),
            refinements: Vec::new(),
        }
    }
}

/// A constraint: atomic (`leftOperand operator rightOperand`) or logical (`and`, `or`, …).
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// `leftOperand operator rightOperand`.
    Atomic(AtomicConstraint),
    /// A combination of constraints.
    Logical(LogicalConstraint),
}

impl Constraint {
    /// An atomic constraint from compact terms: `Constraint::atomic("purpose", Operator::IsA, iri)`.
    pub fn atomic(left_operand: &str, operator: Operator, right_operand: RightOperand) -> Self {
        Constraint::Atomic(AtomicConstraint {
            uid: None,
            left_operand: terms::expand_vocab(left_operand),
            operator,
            right_operand,
            data_type: None,
            unit: None,
        })
    }

    /// A logical constraint over `operands`.
    pub fn logical(operator: LogicalOperator, operands: Vec<Constraint>) -> Self {
        Constraint::Logical(LogicalConstraint {
            uid: None,
            operator,
            operands,
        })
    }

    /// The constraint's identifier, if any.
    pub fn uid(&self) -> Option<&str> {
        match self {
            Constraint::Atomic(c) => c.uid.as_deref(),
            Constraint::Logical(c) => c.uid.as_deref(),
        }
    }

    /// Every atomic constraint in this tree, depth first.
    pub fn atoms(&self) -> Vec<&AtomicConstraint> {
        let mut out = Vec::new();
        fn walk<'a>(c: &'a Constraint, out: &mut Vec<&'a AtomicConstraint>) {
            match c {
                Constraint::Atomic(a) => out.push(a),
                Constraint::Logical(l) => l.operands.iter().for_each(|c| walk(c, out)),
            }
        }
        walk(self, &mut out);
        out
    }
}

/// `leftOperand operator rightOperand`, with optional `dataType` and `unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomicConstraint {
    /// The constraint's identifier, if any (`@id`).
    pub uid: Option<String>,
    /// The left operand's IRI (`http://www.w3.org/ns/odrl/2/purpose`, …).
    pub left_operand: String,
    /// The comparison.
    pub operator: Operator,
    /// The value compared against.
    pub right_operand: RightOperand,
    /// The datatype the right operand is to be read as (`dataType`), if given.
    pub data_type: Option<String>,
    /// The unit of the right operand (`unit`), if given.
    pub unit: Option<String>,
}

/// The comparison of an atomic constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operator {
    /// equal
    Eq,
    /// not equal
    Neq,
    /// less than
    Lt,
    /// less than or equal
    Lteq,
    /// greater than
    Gt,
    /// greater than or equal
    Gteq,
    /// is an instance or subclass of (purpose hierarchy)
    IsA,
    /// contains the right operand (region contains)
    HasPart,
    /// is contained in (a municipality in its district or state)
    IsPartOf,
    /// the left operand's values include all of the right operand's
    IsAllOf,
    /// the left operand is one of the right operand's values
    IsAnyOf,
    /// the left operand is none of the right operand's values
    IsNoneOf,
    /// DSP's `term-lteq` (term ordering; treated like `lteq`)
    TermLteq,
}

impl Operator {
    /// Every operator, in declaration order.
    pub const ALL: [Operator; 13] = [
        Operator::Eq,
        Operator::Neq,
        Operator::Lt,
        Operator::Lteq,
        Operator::Gt,
        Operator::Gteq,
        Operator::IsA,
        Operator::HasPart,
        Operator::IsPartOf,
        Operator::IsAllOf,
        Operator::IsAnyOf,
        Operator::IsNoneOf,
        Operator::TermLteq,
    ];

    /// The compact term (`eq`, `isAnyOf`, …).
    pub fn term(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Neq => "neq",
            Operator::Lt => "lt",
            Operator::Lteq => "lteq",
            Operator::Gt => "gt",
            Operator::Gteq => "gteq",
            Operator::IsA => "isA",
            Operator::HasPart => "hasPart",
            Operator::IsPartOf => "isPartOf",
            Operator::IsAllOf => "isAllOf",
            Operator::IsAnyOf => "isAnyOf",
            Operator::IsNoneOf => "isNoneOf",
            Operator::TermLteq => "term-lteq",
        }
    }

    /// Reads a compact term, `odrl:` name or full ODRL IRI.
    pub fn from_term(term: &str) -> Option<Self> {
        let local = term
            .strip_prefix(terms::ODRL)
            .or_else(|| term.strip_prefix("odrl:"))
            .unwrap_or(term);
        Operator::ALL.into_iter().find(|o| o.term() == local)
    }

    /// The full IRI.
    pub fn iri(self) -> String {
        format!("{}{}", terms::ODRL, self.term())
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.term())
    }
}

/// A right operand: an IRI, a literal, or a list of either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RightOperand {
    /// A resource (`{"@id": "https://w3id.org/dpv#ImprovePublicServices"}`).
    Iri(String),
    /// A literal value with its datatype.
    Literal(Literal),
    /// Several values (for `isAnyOf`, `isAllOf`, `isNoneOf`).
    List(Vec<RightOperand>),
}

impl RightOperand {
    /// A resource.
    pub fn iri(iri: impl Into<String>) -> Self {
        RightOperand::Iri(iri.into())
    }

    /// A plain string literal.
    pub fn string(value: impl Into<String>) -> Self {
        RightOperand::Literal(Literal::plain(value))
    }

    /// A literal typed with an XSD datatype given by its local name (`dateTime`, `integer`, …).
    pub fn typed(value: impl Into<String>, xsd_type: &str) -> Self {
        RightOperand::Literal(Literal::typed(
            value,
            &format!("{}{}", terms::XSD, xsd_type),
        ))
    }

    /// A list of resources.
    pub fn iri_list<I: IntoIterator<Item = S>, S: Into<String>>(iris: I) -> Self {
        RightOperand::List(
            iris.into_iter()
                .map(|s| RightOperand::Iri(s.into()))
                .collect(),
        )
    }

    /// The values: the list's members, or this single value.
    pub fn values(&self) -> Vec<&RightOperand> {
        match self {
            RightOperand::List(items) => items.iter().collect(),
            other => vec![other],
        }
    }
}

impl fmt::Display for RightOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RightOperand::Iri(iri) => f.write_str(iri),
            RightOperand::Literal(l) => f.write_str(&l.lexical),
            RightOperand::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

/// A literal: its lexical form, datatype IRI (if typed) and language (if tagged).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Literal {
    /// The text as written.
    pub lexical: String,
    /// The datatype IRI, or `None` for a plain string.
    pub datatype: Option<String>,
    /// The language tag of a language-tagged string.
    pub language: Option<String>,
}

impl Literal {
    /// A plain string.
    pub fn plain(value: impl Into<String>) -> Self {
        Literal {
            lexical: value.into(),
            datatype: None,
            language: None,
        }
    }

    /// A typed literal (`datatype` is a full IRI).
    pub fn typed(value: impl Into<String>, datatype: &str) -> Self {
        let datatype = if datatype == format!("{}string", terms::XSD) {
            None
        } else {
            Some(datatype.to_owned())
        };
        Literal {
            lexical: value.into(),
            datatype,
            language: None,
        }
    }
}

/// `and`, `or`, `xone` or `andSequence` over other constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalConstraint {
    /// The constraint's identifier, if any.
    pub uid: Option<String>,
    /// How the operands combine.
    pub operator: LogicalOperator,
    /// The constraints combined.
    pub operands: Vec<Constraint>,
}

/// How a logical constraint combines its operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LogicalOperator {
    /// all hold
    And,
    /// at least one holds
    Or,
    /// exactly one holds
    Xone,
    /// all hold, evaluated in order (the first failure ends the evaluation)
    AndSequence,
}

impl LogicalOperator {
    /// Every logical operator.
    pub const ALL: [LogicalOperator; 4] = [
        LogicalOperator::And,
        LogicalOperator::Or,
        LogicalOperator::Xone,
        LogicalOperator::AndSequence,
    ];

    /// The compact term (`and`, `or`, `xone`, `andSequence`).
    pub fn term(self) -> &'static str {
        match self {
            LogicalOperator::And => "and",
            LogicalOperator::Or => "or",
            LogicalOperator::Xone => "xone",
            LogicalOperator::AndSequence => "andSequence",
        }
    }
}

impl fmt::Display for LogicalOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.term())
    }
}
