//! Why a federation step (joining, publishing, registering) did not succeed.

use crate::store::StoreError;

/// A failed federation step. Every message says what is wrong and, where the operator can do
/// something, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// Local configuration or key material is not usable.
    #[error("{0}")]
    Setup(String),
    /// The broker could not be reached (worth retrying).
    #[error("cannot reach the broker at {url}: {message}")]
    Network {
        /// The URL called.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The broker answered with an error.
    #[error("the broker refused {what} with HTTP {status} ({code}): {message}{}", details_suffix(.details))]
    Broker {
        /// What was asked (`the join request`, `the publication`).
        what: String,
        /// The HTTP status.
        status: u16,
        /// The broker's machine code (`charta_mismatch`, `invalid_dcat`, …).
        code: String,
        /// The broker's message.
        message: String,
        /// Details (one line per DCAT-AP.de violation, …).
        details: Vec<String>,
    },
    /// A check this connector makes before trusting or signing failed (authority key, Charta,
    /// credential).
    #[error("{0}")]
    Refused(String),
    /// Something the broker sent is not what the protocol promises.
    #[error("the broker's answer to {what} is not usable: {message}")]
    Invalid {
        /// What was asked.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// The self-description cannot be built or is not valid DCAT-AP.de.
    #[error("{0}")]
    Description(String),
    /// A file in the data folder could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn details_suffix(details: &[String]) -> String {
    if details.is_empty() {
        String::new()
    } else {
        format!(" — {}", details.join("; "))
    }
}

impl FederationError {
    /// Whether trying again later may succeed without anyone changing anything (network
    /// failures, 5xx, 408/429).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. } => true,
            Self::Broker { status, .. } => *status >= 500 || matches!(*status, 408 | 425 | 429),
            _ => false,
        }
    }

    /// The broker's HTTP status, if the broker answered.
    pub fn broker_status(&self) -> Option<u16> {
        match self {
            Self::Broker { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The broker's machine code, if the broker answered.
    pub fn broker_code(&self) -> Option<&str> {
        match self {
            Self::Broker { code, .. } => Some(code),
            _ => None,
        }
    }

    pub(crate) fn file(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        Self::File {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}
