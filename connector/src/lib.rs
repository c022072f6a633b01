//! connector (skeleton)
