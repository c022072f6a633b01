//! The local launcher of the municipal data space, behind the `dataspace` binary.
//!
//! - [`demo`]: `dataspace demo` — a throw-away CA, the broker and the connectors of Stadt
//!   Musterstadt and Stadtwerke Musterstadt as real processes, and the showcase of `DESIGN.md`
//!   ("The flow, end to end") through their real interfaces, one line per step;
//! - [`service`]: the hidden `dataspace service broker|connector` subcommand through which the
//!   launcher runs each service from this same binary (the services' own entry points).
//!
//! The deployment material (container image, compose, Helm, systemd, sample configurations)
//! lives beside this source folder; see `deploy/README.md`.

pub mod demo;
pub mod service;
