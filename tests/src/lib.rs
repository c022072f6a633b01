//! Shared helpers for cross-service tests (skeleton).
