//! broker (skeleton)
