//! The `contracts` command-line tool.
fn main() {}
