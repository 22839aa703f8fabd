//! Helpers shared by the integration tests (one module of the single test binary, `tests/all.rs`).

pub mod harness;
pub mod manifests;
pub mod postgres;
pub mod sql;
pub mod tools;
