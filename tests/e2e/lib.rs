//! End-to-end tests of the desktop app live in `tests/desktop.rs`; run them with `scripts/e2e`.
