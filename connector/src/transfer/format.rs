//! Transfer types (the `format` of a `TransferRequestMessage`, as the catalog's distributions
//! list them) and what each one means for the two sides.
//!
//! Each type answers the same few questions, so the process logic never matches on the type
//! itself:
//! - who moves the data ([`Direction`]): the consumer fetches (`pull`) or the provider sends
//!   (`push`);
//! - whether the consumer's request must name a data address (push: where to send to);
//! - whether the provider's start message carries a data address (pull: where to fetch, with
//!   a short-lived token).
//!
//! A third type, e.g. `Sandbox-QUERY` (the consumer sends aggregation requests through the
//! agreement; answers come back from the provider), fits this shape: direction
//! [`Direction::Query`], no consumer address, a start message with the provider's query
//! endpoint and token; its requests pass the same access check ([`crate::dataplane::access`])
//! as pulls, and only the data plane handler behind the check is new.

use serde::{Deserialize, Serialize};

/// Who moves the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The consumer fetches from the provider's endpoint.
    Pull,
    /// The provider sends to the consumer's endpoint.
    Push,
    /// The consumer asks questions, the provider answers (reserved for sandbox access).
    Query,
}

/// A transfer type this connector speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[non_exhaustive]
pub enum TransferFormat {
    /// `HttpData-PULL`: the start message carries an HTTPS endpoint and a short-lived token
    /// bound to the agreement, the consumer and the transfer; the consumer fetches (with HTTP
    /// Range to resume) and checks the SHA-256 digest.
    #[serde(rename = "HttpData-PULL")]
    HttpDataPull,
    /// `HttpData-PUSH`: the consumer's request names an HTTPS endpoint and a token; the
    /// provider sends the data there with the digest.
    #[serde(rename = "HttpData-PUSH")]
    HttpDataPush,
    /// `Sandbox-QUERY` (cargo feature `sandbox`): the start message carries the provider's
    /// query endpoint and a token; the consumer sends aggregation requests, the provider
    /// answers with aggregates only (see [`crate::transfer::sandbox`]).
    #[cfg(feature = "sandbox")]
    #[serde(rename = "Sandbox-QUERY")]
    SandboxQuery,
}

impl TransferFormat {
    /// Every format, in the order the catalog lists them.
    #[cfg(not(feature = "sandbox"))]
    pub const ALL: [TransferFormat; 2] = [Self::HttpDataPull, Self::HttpDataPush];
    /// Every format, in the order the catalog lists them.
    #[cfg(feature = "sandbox")]
    pub const ALL: [TransferFormat; 3] =
        [Self::HttpDataPull, Self::HttpDataPush, Self::SandboxQuery];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HttpDataPull => "HttpData-PULL",
            Self::HttpDataPush => "HttpData-PUSH",
            #[cfg(feature = "sandbox")]
            Self::SandboxQuery => "Sandbox-QUERY",
        }
    }

    /// Reads the name on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Who moves the data.
    pub fn direction(self) -> Direction {
        match self {
            Self::HttpDataPull => Direction::Pull,
            Self::HttpDataPush => Direction::Push,
            #[cfg(feature = "sandbox")]
            Self::SandboxQuery => Direction::Query,
        }
    }

    /// The consumer's request must name where the data goes.
    pub fn consumer_names_address(self) -> bool {
        self.direction() == Direction::Push
    }

    /// The provider's start message names where the consumer goes.
    pub fn provider_names_address(self) -> bool {
        matches!(self.direction(), Direction::Pull | Direction::Query)
    }

    /// The ODRL action a transfer of this type exercises.
    pub fn action(self) -> &'static str {
        match self.direction() {
            Direction::Pull | Direction::Push => "use",
            Direction::Query => "aggregate",
        }
    }
}

impl std::fmt::Display for TransferFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `endpointType` of the data addresses this connector writes and accepts.
pub const HTTP_ENDPOINT_TYPE: &str = "https://w3id.org/idsa/v4.1/HTTP";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_catalog() {
        for f in TransferFormat::ALL {
            assert_eq!(TransferFormat::parse(f.as_str()), Some(f));
            assert_eq!(
                serde_json::to_value(f).expect("json"),
                serde_json::Value::String(f.as_str().into())
            );
        }
        // The catalog advertises only what is served.
        assert_eq!(
            crate::assets::FORMATS,
            [
                TransferFormat::HttpDataPull.as_str(),
                TransferFormat::HttpDataPush.as_str()
            ]
        );
        assert_eq!(TransferFormat::parse("example:HTTP_PUSH"), None);
        assert!(TransferFormat::HttpDataPush.consumer_names_address());
        assert!(TransferFormat::HttpDataPull.provider_names_address());
    }
}
