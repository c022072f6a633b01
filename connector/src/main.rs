//! `connector`: the command-line program of the municipal data space connector.
//!
//! `connector init` creates a participant, `connector serve` runs it; every other command
//! talks to the running connector through its management API. The commands live in
//! [`connector::cli`].

fn main() {
    connector::cli::main()
}
