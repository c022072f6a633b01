//! The commands of the `broker` binary.

pub(crate) mod init;
pub(crate) mod participants;
pub(crate) mod serve;
