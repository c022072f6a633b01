//! The data plane: data moves point-to-point between the two connectors, streamed in blocks
//! (resident memory stays flat whatever the size), checked against the agreement at every
//! access, with HTTP Range to resume and a SHA-256 digest the receiver verifies.
//!
//! - [`config`]: the `[dataplane]` section;
//! - [`blocks`]: the buffers of a stream, used again once every reader let go of them;
//! - [`source`]: where an asset's data comes from (file, folder, internal HTTP endpoint);
//! - [`digest`]: SHA-256 of files, remembered per file version; `Repr-Digest` headers;
//! - [`range`]: `Range` requests with one byte range;
//! - [`token`]: the short-lived access tokens of pull transfers;
//! - [`registry`]: the running transfers, each with a cancellation token for its streams;
//! - [`serve`]: the provider's data endpoint (`GET /data/{transfer}`), every request checked;
//! - [`pull`]: the consumer's download (resume, digest check, atomic rename);
//! - [`push`]: the provider's upload to a consumer's endpoint (`HttpData-PUSH`: a file, or a
//!   folder's manifest and files; continuing a broken file), endpoint checks;
//! - [`receive`]: the consumer's receiving end of a push (folder manifests, continuation,
//!   digest check, atomic rename);
//! - `query` (feature `sandbox`): the provider's sandbox query endpoint
//!   (`POST /data/{transfer}/query`), behind the same checks.
//!
//! A data request carries two credentials: `Authorization: Bearer <access token>` from the
//! start message (bound to one transfer, one agreement, one consumer) and the consumer's own
//! request token in [`CALLER_HEADER`] (its membership credential, single use), so a stolen
//! access token alone opens nothing and a revoked member is refused.

pub(crate) mod blocks;
pub mod config;
pub mod digest;
pub mod pull;
pub mod push;
#[cfg(feature = "sandbox")]
pub mod query;
pub mod range;
pub mod receive;
pub mod refresh;
pub mod registry;
pub mod serve;
pub mod source;
pub mod token;

pub use config::DataPlaneConfig;
pub use digest::{file_digest, parse_repr_digest, repr_digest};
pub use pull::{PullError, PullOutcome, pull_to_file};
pub use registry::{LiveProgress, Registry};
pub use source::{
    Source, SourceError, describe_http, file_name_for, list_folder, resolve, safe_relative_path,
};
pub use token::CALLER_HEADER;
