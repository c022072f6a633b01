//! The `connector` program built with the sandbox engine, for the sandbox tests.
//!
//! `cargo test -p tests --features sandbox` builds this binary together with the test
//! executables and with the very same dependency features, so DataFusion is compiled once;
//! a nested `cargo build -p connector --features sandbox` resolves the features without the
//! test package's dev-dependencies and compiled DataFusion (and everything under it) a
//! second time.

fn main() {
    connector::cli::main()
}
