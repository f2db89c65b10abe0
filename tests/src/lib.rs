//! Shared helpers for the workspace scenario tests live in `tests/`.
