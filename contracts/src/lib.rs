//! contracts (skeleton)
