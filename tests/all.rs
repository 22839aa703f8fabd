//! Every integration test, in one test binary: one link and one process instead of one per
//! file. Cargo.toml has `autotests = false` and names this file as the only `[[test]]`, so
//! a file `tests/NAME.rs` runs only once it has its `mod NAME;` line below; the test
//! `repository::every_test_file_is_a_module_of_the_test_binary` fails until it has.
//! Helpers live in `tests/support/` (`use crate::support::{harness, postgres, tools};`).

mod support;

mod alerts;
mod az_cli;
mod bicep;
mod cli;
mod cnpg;
mod corpus;
mod dashboard;
mod escaping;
mod fuzz_seeds;
mod inputs_doc;
mod kubectl_cli;
mod kubernetes;
mod kubernetes_backup;
mod kubernetes_exporter;
mod kubernetes_job;
mod kubernetes_namespace;
mod kubernetes_objects;
mod kubernetes_server;
mod kubernetes_tls_reload;
mod limits;
mod mermaid;
mod plan;
mod postgres_majors;
mod postgres_smoke;
mod precommit;
mod readme_day_two;
mod readme_names;
mod render;
mod repository;
mod robustness;
mod sql_convergence;
mod sql_migrations;
mod sql_postgres;
mod sql_security;
