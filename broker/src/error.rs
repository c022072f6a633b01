//! The broker's one error type. Every variant says what was wrong in words an operator or a
//! connector developer can act on; `http::error` maps each to an HTTP status in one place.

/// Anything that can go wrong in the broker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The configuration file or a secret file is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The embedded database failed (internal).
    #[error("storage: {0}")]
    Storage(String),
    /// The SPARQL store or the search index failed (internal).
    #[error("index: {0}")]
    Index(String),
    /// Signing with the authority key failed (internal).
    #[error("authority: {0}")]
    Authority(String),
    /// A request field is missing or has an unacceptable value.
    #[error("{field}: {reason}")]
    InvalidRequest {
        /// The field (JSON member, query parameter or header).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body exceeds the limit for this endpoint.
    #[error("the body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No such participant, description, dataset or entry.
    #[error("{0}")]
    NotFound(String),
    /// The thing already exists (a pending or active participant, a registered agreement).
    #[error("{0}")]
    Conflict(String),
    /// The admin bearer token is missing or wrong.
    #[error("missing or wrong admin token")]
    Unauthorized,
    /// The participant exists but may not publish (pending, rejected).
    #[error("participant {did} is {status}, not active")]
    NotActive {
        /// The participant.
        did: String,
        /// Its current status.
        status: String,
    },
    /// The participant's membership was revoked.
    #[error("participant {0} is revoked")]
    Revoked(String),
    /// An operator action that the participant's status does not allow.
    #[error("cannot {action} participant {did}: it is {status}")]
    InvalidTransition {
        /// The participant.
        did: String,
        /// Its current status.
        status: String,
        /// The refused action.
        action: &'static str,
    },
    /// The envelope was signed by someone other than the participant named in the path.
    #[error("signed by {signer}, but the request is for {did}")]
    WrongParticipant {
        /// The participant named in the request path.
        did: String,
        /// Who signed (the `kid` of the JWS).
        signer: String,
    },
    /// The envelope or JWS is not well formed.
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(String),
    /// The signature does not verify with the participant's registered key.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// The envelope's `iat` is not newer than the last accepted one.
    #[error(
        "replayed or out-of-order envelope: iat {iat} is not greater than the last accepted iat {last}"
    )]
    Replay {
        /// The envelope's `iat`.
        iat: i64,
        /// The last accepted `iat` of this participant.
        last: i64,
    },
    /// The self-description is not parseable RDF.
    #[error("malformed RDF: {0}")]
    MalformedRdf(String),
    /// The self-description violates DCAT-AP.de rules; one line per violation.
    #[error("{} DCAT-AP.de violation(s)", .0.len())]
    InvalidDcat(Vec<String>),
    /// The Charta acceptance names another Charta version or hash than the broker publishes.
    #[error("charta: {0}")]
    ChartaMismatch(String),
    /// A SPARQL update was sent to the read-only endpoint.
    #[error("SPARQL updates are refused: this endpoint is read-only")]
    UpdateRefused,
    /// A SPARQL query uses `SERVICE`.
    #[error(
        "SERVICE (federated query) is refused: the endpoint queries only the broker's own graphs"
    )]
    ServiceRefused,
    /// The SPARQL query is refused by the endpoint's rules (a cartesian product).
    #[error("query refused: {0}")]
    QueryRefused(String),
    /// The SPARQL query does not parse.
    #[error("SPARQL syntax: {0}")]
    QuerySyntax(String),
    /// The SPARQL query ran longer than the time limit.
    #[error("the query exceeded the time limit of {0} ms and was cancelled")]
    QueryTimeout(u64),
    /// The SPARQL query needed more memory than allowed.
    #[error(
        "the query needed more than {0} MiB of memory and was cancelled; narrow it (fewer joins, LIMIT)"
    )]
    QueryMemory(u64),
    /// The SPARQL query returns more than the result limit.
    #[error("the query returns more than {0} results; add LIMIT (and OFFSET to page)")]
    ResultLimit(usize),
    /// Too many SPARQL queries run at once.
    #[error("too many queries are running; retry in a few seconds")]
    Busy,
    /// The broker is starting and has not rebuilt its indexes yet.
    #[error("the broker is starting")]
    NotReady,
}

impl From<sled::Error> for BrokerError {
    fn from(e: sled::Error) -> Self {
        BrokerError::Storage(e.to_string())
    }
}

impl From<sled::transaction::TransactionError<BrokerError>> for BrokerError {
    fn from(e: sled::transaction::TransactionError<BrokerError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(inner) => inner,
            sled::transaction::TransactionError::Storage(e) => BrokerError::Storage(e.to_string()),
        }
    }
}

impl From<oxigraph::store::StorageError> for BrokerError {
    fn from(e: oxigraph::store::StorageError) -> Self {
        BrokerError::Index(e.to_string())
    }
}

impl From<tantivy::TantivyError> for BrokerError {
    fn from(e: tantivy::TantivyError) -> Self {
        BrokerError::Index(e.to_string())
    }
}

impl From<vocab::jose::JoseError> for BrokerError {
    fn from(e: vocab::jose::JoseError) -> Self {
        use vocab::jose::JoseError as J;
        match e {
            J::BadSignature | J::KeyId { .. } | J::Algorithm(_) | J::Claim { .. } => {
                BrokerError::InvalidSignature(e.to_string())
            }
            J::Malformed(m) => BrokerError::MalformedEnvelope(m),
            other => BrokerError::InvalidSignature(other.to_string()),
        }
    }
}

/// Shorthand for a missing or invalid request field.
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> BrokerError {
    BrokerError::InvalidRequest {
        field: field.to_owned(),
        reason: reason.into(),
    }
}
