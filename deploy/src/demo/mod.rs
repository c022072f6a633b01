//! `dataspace demo`: a local data space on one command. A throw-away CA, the broker and the
//! connectors of Stadt Musterstadt and Stadtwerke Musterstadt as real processes, then the
//! showcase of `DESIGN.md` ("The flow, end to end") through the services' real interfaces,
//! one line per step.
//!
//! - [`pki`]: the demo CA; [`layout`]: the folders and configurations;
//! - [`processes`]: the services as child processes (stopped on every exit);
//! - [`http`]: HTTPS calls trusting only the demo CA; [`data`]: the dataset and template;
//! - [`steps`]: the showcase in order; its steps call [`federation`] (onboarding, publication,
//!   search), [`contract`] (dataset, terms, negotiation, agreement) and [`exchange`] (transfer,
//!   audit); [`report`]: the printed lines.

pub mod contract;
pub mod data;
pub mod exchange;
pub mod federation;
pub mod http;
pub mod layout;
pub mod pki;
pub mod processes;
pub mod report;
pub mod steps;

use std::path::PathBuf;

pub use report::Step;

/// What `dataspace demo` was asked to do.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The folder to create everything in (must be empty or absent); a new temporary folder
    /// when `None`.
    pub dir: Option<PathBuf>,
    /// Keep the services running after the showcase until Ctrl-C or SIGTERM.
    pub keep_running: bool,
    /// The broker's public port (a free one when `None`).
    pub broker_port: Option<u16>,
}

/// Why the demo did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Preparing folders, certificates or configurations failed.
    #[error("{0}")]
    Setup(String),
    /// A step of the showcase failed.
    #[error("step {step} failed: {message}")]
    Step {
        /// The step.
        step: Step,
        /// What went wrong, with the underlying error.
        message: String,
    },
    /// Ctrl-C or SIGTERM stopped the demo before it finished.
    #[error("interrupted")]
    Interrupted,
}

impl DemoError {
    /// The process exit code: 1 for a failed step (or set-up), 130 after Ctrl-C or SIGTERM.
    pub fn exit_code(&self) -> i32 {
        match self {
            DemoError::Interrupted => 130,
            _ => 1,
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Runs the demo: prepares, starts the services, runs the showcase, and stops every service
/// before it returns (after Ctrl-C with `keep_running`).
pub async fn run(options: DemoOptions) -> Result<(), DemoError> {
    let mut demo = steps::Demo::new(&options)?;
    let outcome = {
        let flow = demo.run_showcase();
        tokio::select! {
            outcome = flow => outcome,
            _ = stop_signal() => Err(DemoError::Interrupted),
        }
    };
    if options.keep_running && !matches!(outcome, Err(DemoError::Interrupted)) {
        demo.print_running();
        stop_signal().await;
    }
    demo.stop();
    outcome
}
