//! Stage 2: validation, in two passes that both always run.
//!
//! 1. Per file: the literal-secret scan and the JSON Schema generated from the input
//!    types. A file that passes becomes a typed value.
//! 2. Across files: the rules of each concern (names, references, database, schema files,
//!    connections) and of each platform (aks, azure, alerts), over every file that passed
//!    the first pass. Each rule is a named function with a bad-input test beside it.
//!
//! Every problem is collected; nothing stops at the first one.

mod aks;
mod alerts;
mod azure;
mod connections;
mod database;
mod naming;
mod references;
mod schema_files;
mod schema_stage;
mod secrets;

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::{self, Diagnostic};
use crate::input::{EnvironmentFile, ProjectFile, ServiceFile};
use crate::load::{Inputs, SourceFile};
use crate::yaml::{Pos, Seg};

/// A design file that passed the schema, with its source for positions.
#[derive(Debug, Clone)]
pub struct Typed<T> {
    /// The file it came from.
    pub file: SourceFile,
    /// Its contents.
    pub value: T,
}

impl<T> Typed<T> {
    /// A diagnostic at the value found at `path` (or its nearest existing parent).
    pub fn at(&self, path: &[Seg], message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(
            self.file.display.clone(),
            self.file.root.pos_of(path),
            message,
        )
    }

    /// A diagnostic at the key `key` of the mapping at `path` (or at the mapping).
    pub fn at_key(&self, path: &[Seg], key: &str, message: impl Into<String>) -> Diagnostic {
        let pos = self
            .file
            .root
            .key_pos(path, key)
            .unwrap_or_else(|| self.file.root.pos_of(path));
        Diagnostic::new(self.file.display.clone(), pos, message)
    }
}

/// Every design file of a valid inputs folder, typed.
#[derive(Debug, Clone)]
pub struct Design {
    /// `project.yaml`.
    pub project: Typed<ProjectFile>,
    /// Environments by name.
    pub environments: Vec<Typed<EnvironmentFile>>,
    /// Services by name.
    pub services: Vec<Typed<ServiceFile>>,
    /// Referenced files (schema files), by path relative to the inputs folder.
    pub referenced: BTreeMap<String, String>,
    /// Names of every environment file found, valid or not.
    pub environment_files: Vec<String>,
}

impl Design {
    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Option<&Typed<EnvironmentFile>> {
        self.environments.iter().find(|e| e.value.name == name)
    }
}

/// The typed files that passed the first pass; some may be missing.
struct Partial {
    project: Option<Typed<ProjectFile>>,
    environments: Vec<Typed<EnvironmentFile>>,
    services: Vec<Typed<ServiceFile>>,
}

/// Validates everything; returns the design only when there is no problem at all.
/// Takes the inputs, whose files move into the design.
pub fn validate(
    inputs: Inputs,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Design, Vec<Diagnostic>> {
    let has_project = inputs.project.is_some();
    let partial = Partial {
        project: inputs.project.and_then(|f| typed(f, &mut diagnostics)),
        environments: inputs
            .environments
            .into_iter()
            .filter_map(|f| typed(f, &mut diagnostics))
            .collect(),
        services: inputs
            .services
            .into_iter()
            .filter_map(|f| typed(f, &mut diagnostics))
            .collect(),
    };
    if !has_project && !diagnostics.iter().any(|d| d.file.ends_with("project.yaml")) {
        diagnostics.push(
            Diagnostic::new(
                crate::load::display(&inputs.dir, "project.yaml"),
                Pos { line: 1, column: 1 },
                "the inputs folder has no `project.yaml`",
            )
            .hint("every inputs folder starts with project.yaml: `name`, `labels`, `defaults`"),
        );
    }
    let Some(project) = partial.project else {
        diagnostics::sort_and_dedup(&mut diagnostics);
        return Err(diagnostics);
    };
    let mut design = Design {
        project,
        environments: partial.environments,
        services: partial.services,
        referenced: BTreeMap::new(),
        environment_files: inputs.environment_names,
    };
    check_all(&mut design, &inputs.dir, &mut diagnostics);
    diagnostics::sort_and_dedup(&mut diagnostics);
    if diagnostics.is_empty() {
        Ok(design)
    } else {
        Err(diagnostics)
    }
}

/// Runs every cross-file rule, filling `design.referenced` with the files the design
/// points at.
fn check_all(design: &mut Design, dir: &Path, out: &mut Vec<Diagnostic>) {
    naming::names_match_file_names(design, out);
    naming::names_are_dns_labels(design, out);
    references::platform_sections_match(design, out);
    references::deployments_name_environments(design, out);
    references::notify_names_action_groups(design, out);
    naming::names_are_unique(design, out);
    database::postgres_identifiers_are_usable(design, out);
    design.referenced = schema_files::referenced_files_are_inside(design, dir, out);
    schema_files::schema_files_are_plain_sql(design, dir, out);
    connections::connection_limits_fit(design, out);
    database::seed_rows_have_their_keys(design, out);
    database::timezones_are_names(design, out);
    azure::check_all(design, out);
    aks::check_all(design, out);
    alerts::check_all(design, out);
}

/// First pass over one file: secrets, schema, then the typed value.
fn typed<T: DeserializeOwned>(
    file: SourceFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Typed<T>> {
    let secrets = secrets::literal_secrets(&file);
    // Converted once: the schema checks it, then serde reads the typed value from it.
    let instance = file.root.to_json();
    let schema = schema_stage::schema_problems(&file, &instance, &secrets);
    let clean = secrets.is_empty() && schema.is_empty();
    diagnostics.extend(secrets);
    diagnostics.extend(schema);
    if !clean {
        return None;
    }
    match serde_json::from_value(instance) {
        Ok(value) => Some(Typed { file, value }),
        Err(e) => {
            // The schema accepted what serde refuses: a gap between the two, reported
            // rather than hidden.
            diagnostics.push(Diagnostic::new(
                file.display.clone(),
                file.root.pos,
                format!("cannot read this file: {e}"),
            ));
            None
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for rule tests: the example design with one edit.

    use std::path::Path;

    use crate::diagnostics::Diagnostic;

    /// Copies `inputs/` to a temporary folder, replaces `from` by `to` in `file` (which must
    /// change it), and validates.
    pub fn validate_example_with(file: &str, from: &str, to: &str) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("inputs")
                .as_path(),
            dir.path(),
        );
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            text.contains(from) || text.is_empty(),
            "{file} has no `{from}`"
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            if text.is_empty() {
                to.to_owned()
            } else {
                text.replacen(from, to, 1)
            },
        )
        .unwrap();
        let mut diagnostics = Vec::new();
        let inputs = crate::load::load(dir.path(), &mut diagnostics).unwrap();
        let result = super::validate(inputs, diagnostics);
        let prefix = format!("{}/", dir.path().display());
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|mut d| {
                d.file = d.file.trim_start_matches(&prefix).to_owned();
                d
            })
            .collect()
    }

    /// Asserts exactly one diagnostic, at `file:line:column`, whose message contains `text`.
    pub fn assert_one(diagnostics: &[Diagnostic], location: &str, text: &str) {
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].location(), location, "{}", diagnostics[0]);
        assert!(diagnostics[0].message.contains(text), "{}", diagnostics[0]);
    }

    fn copy_dir(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::validate_example_with;

    #[test]
    fn the_example_is_valid() {
        assert!(validate_example_with("services/auth.yaml", "name: auth", "name: auth").is_empty());
    }
}
