//! Trust between connectors: the request tokens this connector issues, and the checks on the
//! tokens of callers.

mod issuer;
pub mod revocation;
mod verifier;

pub use issuer::{MAX_TOKEN_LIFETIME_SECS, MEMBERSHIP_CLAIM, NOT_A_MEMBER, TokenIssuer};
pub use verifier::{AuthError, Caller, CallerVerifier, TckIdentity};
