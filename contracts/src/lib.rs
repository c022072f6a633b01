//! # contracts
//!
//! The legal and policy heart of the data space, with no I/O and no async:
//!
//! - [`odrl`]: ODRL 2.2 policies, read and written as the compact JSON-LD of DSP 2025-1 and
//!   read from Turtle; "same terms" comparison of a request with an offer.
//! - [`eval`]: closed-world evaluation following the ODRL formal-semantics draft, with a
//!   report per rule and constraint that explains a refusal in German and English.
//! - [`charta`]: the Data-Sharing Charta as versioned data (principles GW-1…GW-11, purposes)
//!   and the compliance check of an offer.
//! - [`template`]: contract templates for legal teams (Markdown with a TOML front matter),
//!   their strict check and their deterministic rendering to Markdown, HTML and an ODRL offer.
//! - [`agreement`]: agreements in RFC 8785 canonical JSON, signed by both parties (detached JWS).
//! - [`membership`]: the federation's membership credential (VC-JWT), its status list, and the
//!   Charta acceptance a participant signs at onboarding.
//!
//! The `contracts` command-line tool beside this library checks and renders templates, lists
//! the Charta's principles and explains evaluations.

pub mod agreement;
pub mod charta;
pub mod eval;
pub mod membership;
pub mod odrl;
pub mod template;
mod text;
