//! gen renders, from a folder of YAML design inputs, everything needed to stand up each
//! service's PostgreSQL database: psql scripts, Kubernetes manifests, Bicep, alert rules
//! and an install-plan README per target.
//!
//! The pipeline, one module per stage: [`load`] (files → trees with positions) →
//! [`validate`] (schema, then rules) → [`model`] → [`render`] (pure: path → bytes) →
//! [`write`] (the one writer of the output folder).

pub mod app;
pub mod cli;
pub mod day_two;
pub mod diagnostics;
pub mod duration;
pub mod git;
pub mod input;
pub mod jobs;
pub mod load;
pub mod migration_name;
pub mod model;
pub mod names;
pub mod plan;
pub mod quantity;
pub mod render;
pub mod schema;
pub mod staged;
pub mod validate;
pub mod write;
pub mod yaml;
