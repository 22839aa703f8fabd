//! Stage 2: validation, in two passes that both always run.
//!
//! 1. Per file: the literal-secret scan and the JSON Schema generated from the input
//!    types. A file that passes becomes a typed value; so does one whose only problems are
//!    unknown fields, read without them.
//! 2. Across files: the rules of each concern (names, references, database, schema files,
//!    connections) and of each platform (aks, azure, alerts), over every file the first
//!    pass typed, also when project.yaml is missing or failed. Each rule is a named
//!    function with a bad-input test beside it.
//!
//! Every problem is collected; nothing stops at the first one, and a file's schema
//! problems do not hide what the rules find in the others.

mod aks;
mod alerts;
mod azure;
mod backup;
mod cnpg;
mod connections;
mod dashboard;
mod database;
pub mod majors;
mod migrations;
mod naming;
mod psql_lexer;
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
    /// Referenced files (schema files, migrations), by path relative to the inputs folder.
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
    // Without a usable project.yaml (its problem is already reported) the rules still run
    // over the other files, so one run shows every problem.
    let has_project = partial.project.is_some();
    let mut design = Design {
        project: partial
            .project
            .unwrap_or_else(|| placeholder_project(&inputs.dir)),
        environments: partial.environments,
        services: partial.services,
        referenced: BTreeMap::new(),
        environment_files: inputs.environment_names,
    };
    check_all(&mut design, &inputs.dir, &mut diagnostics);
    diagnostics::sort_and_dedup(&mut diagnostics);
    if diagnostics.is_empty() && has_project {
        Ok(design)
    } else {
        Err(diagnostics)
    }
}

/// Stands in for a project.yaml that is missing or failed the first pass. It sets no
/// defaults, so the rules that read the project's (a default locale or timezone) find
/// nothing to check and report nothing about a file that has its own problems.
fn placeholder_project(dir: &Path) -> Typed<ProjectFile> {
    let empty = crate::yaml::Node {
        pos: Pos { line: 1, column: 1 },
        kind: crate::yaml::NodeKind::Null,
    };
    Typed {
        file: SourceFile {
            rel: "project.yaml".to_owned(),
            display: crate::load::display(dir, "project.yaml"),
            kind: crate::load::FileKind::Project,
            root: empty,
        },
        value: ProjectFile {
            name: String::new(),
            labels: BTreeMap::new(),
            defaults: crate::input::ProjectDefaults::default(),
        },
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
    migrations::migration_names_are_versioned(design, out);
    migrations::migration_versions_increase(design, out);
    migrations::migrations_are_plain_sql(design, dir, out);
    migrations::history_schema_is_not_a_design_schema(design, out);
    connections::connection_limits_fit(design, out);
    database::seed_rows_have_their_keys(design, out);
    database::database_names_are_not_connection_strings(design, out);
    database::search_paths_name_the_design_schemas(design, out);
    database::role_timeouts_are_durations(design, out);
    database::owner_role_is_usable(design, out);
    database::script_lock_timeout_is_a_duration(design, out);
    database::timezones_are_names(design, out);
    azure::check_all(design, out);
    aks::check_all(design, out);
    cnpg::check_all(design, out);
    backup::check_all(design, out);
    alerts::check_all(design, out);
    dashboard::check_all(design, out);
}

/// First pass over one file: secrets, schema, then the typed value. A file whose only
/// schema problems are unknown fields still yields its value without them (the problems
/// are reported all the same, so the design cannot pass).
fn typed<T: DeserializeOwned>(
    file: SourceFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Typed<T>> {
    let secrets = secrets::literal_secrets(&file);
    // Converted once: the schema checks it, then serde reads the typed value from it.
    let instance = file.root.to_json();
    let schema = schema_stage::schema_problems(&file, &instance, &secrets);
    let instance = if secrets.is_empty() && schema.is_empty() {
        Some(instance)
    } else if secrets.is_empty() {
        schema_stage::without_unknown_fields(file.kind, &instance)
    } else {
        None
    };
    diagnostics.extend(secrets);
    diagnostics.extend(schema);
    match serde_json::from_value(instance?) {
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
        validate_example_with_edits(&[(file, from, to)])
    }

    /// [`validate_example_with`] with several edits, each `(file, from, to)`.
    /// The edit that leaves the example's auth service without roles (an Entra-only server
    /// admits no password roles).
    pub const AUTH_WITHOUT_ROLES: (&str, &str, &str) = (
        "services/auth.yaml",
        "  roles:\n    - name: phonebill_auth_user\n      access: read-write                 # CRUD on tables and sequences, now and later\n      connectionLimit: 50\n      passwordSecret: phonebill-auth-user-password\n    - name: phonebill_monitor\n      access: monitor                    # pg_monitor: statistics, never table contents\n      connectionLimit: 5\n      passwordSecret: phonebill-monitor-password\n",
        "  roles: []\n",
    );

    pub fn validate_example_with_edits(edits: &[(&str, &str, &str)]) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("inputs")
                .as_path(),
            dir.path(),
        );
        for (file, from, to) in edits {
            edit(&dir.path().join(file), from, to);
        }
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

    /// Replaces the first `from` by `to` in the file at `path`, or writes `to` there when
    /// the file does not exist.
    fn edit(path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            text.contains(from) || text.is_empty(),
            "{} has no `{from}`",
            path.display()
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            if text.is_empty() {
                to.to_owned()
            } else {
                text.replacen(from, to, 1)
            },
        )
        .unwrap();
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
    use crate::validate::testing::{validate_example_with, validate_example_with_edits};

    #[test]
    fn the_example_is_valid() {
        assert!(validate_example_with("services/auth.yaml", "name: auth", "name: auth").is_empty());
    }

    /// A file that fails the schema drops out of the cross-file rules; what is left must
    /// not make any rule report a problem elsewhere (a service deployed to an environment
    /// whose file failed is not "deployed nowhere", a missing project sets no defaults).
    #[test]
    fn a_file_that_fails_the_schema_causes_no_problem_in_the_others() {
        for file in [
            "project.yaml",
            "environments/dev.yaml",
            "environments/prod.yaml",
            "services/auth.yaml",
            "services/bill-inquiry.yaml",
        ] {
            let found = validate_example_with(file, "\nname:", "\nbogus: 1\nname:");
            assert!(!found.is_empty(), "{file}");
            assert!(found.iter().all(|d| d.file == file), "{file}: {found:#?}");
        }
    }

    #[test]
    fn the_rules_run_when_project_yaml_fails_the_schema() {
        let found = validate_example_with_edits(&[
            ("project.yaml", "\nname: phonebill", "\nnam: phonebill"),
            ("services/auth.yaml", "  prod:", "  prd:"),
        ]);
        let locations: Vec<String> = found.iter().map(|d| d.location()).collect();
        assert_eq!(
            locations,
            [
                "project.yaml:3:1",
                "project.yaml:3:1",
                "services/auth.yaml:18:3"
            ],
            "{found:#?}"
        );
        assert!(found[2].message.contains("no environment `prd`"));
    }

    #[test]
    fn a_misspelt_optional_field_does_not_hide_the_files_other_problems() {
        let found = validate_example_with_edits(&[(
            "services/auth.yaml",
            "  prod:",
            "  prd:\n    bogus: 1",
        )]);
        let messages: Vec<String> = found
            .iter()
            .map(|d| format!("{}: {}", d.location(), d.message))
            .collect();
        assert_eq!(
            messages,
            [
                "services/auth.yaml:18:3: no environment `prd`",
                "services/auth.yaml:19:5: unknown field `bogus`",
            ],
            "{found:#?}"
        );
    }
}
