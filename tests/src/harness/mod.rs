//! The harness for tests that start the real `connector` binary: a throw-away CA, free
//! loopback ports, the test authority and identities, the connector process, a scriptable
//! DSP peer, and the capture of every DSP message into `target/dsp-messages/<test>/`.

pub mod binaries;
pub mod capture;
pub mod connector;
pub mod env;
pub mod identity;
pub mod messages;
pub mod peer;
pub mod pki;
pub mod ports;
pub mod status_list;
pub mod tck;

pub use connector::{BrokerLink, ConnectorOptions, TCK_AUTHORIZATION, TestConnector, spec_path};
pub use env::TestEnv;
pub use identity::{Authority, Member, Participant};
pub use peer::{Peer, PeerAuth, Received};
pub use status_list::StatusListServer;

/// Percent-encodes a path segment or a form value (everything but the unreserved characters).
pub use ::connector::client::path_segment as urlencode;
