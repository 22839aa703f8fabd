//! Rules on a service's migrations (`database.migrations`): Flyway's versioned names,
//! versions that increase in list order, and SQL that psql passes as written and that
//! leaves gen's transaction alone. The files are loaded and kept inside the inputs folder
//! with the schema files (`schema_files::referenced_files_are_inside`).

use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::load;
use crate::migration_name::{self, HISTORY_SCHEMA, MigrationName, NameProblem, Version};
use crate::names::printable;
use crate::path;
use crate::validate::Design;
use crate::validate::psql_lexer::{self, Statement};
use crate::validate::schema_files;

/// Each migration's file name is `V<version>__<description>.psql`.
pub(super) fn migration_names_are_versioned(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        for (i, reference) in service.value.database.migrations.iter().enumerate() {
            let name = migration_name::file_name(reference);
            let Err(problem) = migration_name::parse(name) else {
                continue;
            };
            let (message, hint) = match problem {
                NameProblem::Unsupported(kind) => (
                    format!(
                        "`{}` is a {kind} migration, which gen does not run",
                        printable(name)
                    ),
                    "gen runs versioned migrations only (`V<version>__<description>.psql`); \
                     put SQL that is applied again on every run in `database.schemaFile`"
                        .to_owned(),
                ),
                NameProblem::NotVersioned => (
                    format!(
                        "`{}` is not named as a versioned migration",
                        printable(name)
                    ),
                    "name it `V<version>__<description>.psql` as Flyway does, e.g. \
                     `V2__add_status.psql`: `V`, a version, two underscores, a description"
                        .to_owned(),
                ),
                NameProblem::Suffix => (
                    format!("`{}` does not end in `.psql`", printable(name)),
                    "migrations are psql scripts, like the schema file; rename it".to_owned(),
                ),
                NameProblem::Version(version) => (
                    format!("`{}` is not a version", printable(&version)),
                    "a version is digits, in parts separated by `.` or `_` (`2`, `2.1`, \
                     `2024_01_15`)"
                        .to_owned(),
                ),
                NameProblem::NoDescription => (
                    format!("`{}` has no description after `__`", printable(name)),
                    "say what the migration does, e.g. `V2__add_status.psql`".to_owned(),
                ),
            };
            out.push(
                service
                    .at(path!["database", "migrations", i], message)
                    .expected("`V<version>__<description>.psql`")
                    .hint(hint),
            );
        }
    }
}

/// Versions are unique and increase in list order: the list is the order in which the
/// migrations run, and a database that ran them in another order would differ.
pub(super) fn migration_versions_increase(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let mut seen: Vec<(Version, &str)> = Vec::new();
        for (i, reference) in service.value.database.migrations.iter().enumerate() {
            let name = migration_name::file_name(reference);
            let Ok(MigrationName { version, .. }) = migration_name::parse(name) else {
                continue;
            };
            let at = path!["database", "migrations", i];
            if let Some((_, other)) = seen.iter().find(|(v, _)| *v == version) {
                out.push(
                    service
                        .at(
                            at,
                            format!(
                                "version `{version}` of `{}` is also the version of `{}`",
                                printable(name),
                                printable(other)
                            ),
                        )
                        .hint(
                            "each migration has a version of its own; versions are compared \
                             as numbers part by part, so `1`, `1.0` and `001` are one version",
                        ),
                );
            } else if let Some((last, other)) = seen.last().filter(|(last, _)| *last > version) {
                out.push(
                    service
                        .at(
                            at,
                            format!(
                                "version `{version}` of `{}` comes after version `{last}` (`{}`) in the list",
                                printable(name),
                                printable(other)
                            ),
                        )
                        .hint(
                            "list migrations in the order of their versions, which is the \
                             order they run in; a new migration takes a version above every \
                             other",
                        ),
                );
            }
            if seen.last().is_none_or(|(last, _)| *last < version) {
                seen.push((version, name));
            }
        }
    }
}

/// A migration is plain SQL as psql reads it, as the schema file is (the same rule, with
/// its positions), and, since gen runs it inside a transaction of its own with the row
/// that records it, it holds no transaction statement and ends its last statement.
pub(super) fn migrations_are_plain_sql(design: &Design, dir: &Path, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        for reference in &service.value.database.migrations {
            let Ok(rel) = load::resolve_beside(&service.file.rel, reference) else {
                continue;
            };
            let Some(text) = design.referenced.get(&rel) else {
                continue;
            };
            let file = load::display(dir, &rel);
            let problems = psql_lexer::problems(text);
            if !problems.is_empty() {
                for problem in problems {
                    out.push(schema_files::diagnostic(
                        file.clone(),
                        problem,
                        "a migration",
                    ));
                }
                continue;
            }
            for statement in psql_lexer::statements(text) {
                if let Some(diagnostic) = statement_problem(&file, &statement) {
                    out.push(diagnostic);
                }
            }
        }
    }
}

/// What is wrong with `statement` of a migration, if anything.
fn statement_problem(file: &str, statement: &Statement) -> Option<Diagnostic> {
    if let Some(shown) = transaction_statement(&statement.words) {
        return Some(
            Diagnostic::new(
                file,
                statement.pos,
                format!("a transaction statement (`{shown}`) in a migration"),
            )
            .hint(
                "gen runs each migration in one transaction, with the row that records it, so \
                 that a migration that fails leaves nothing behind and is not recorded; this \
                 statement would end that transaction or start another. Remove it \
                 (`SAVEPOINT` and `ROLLBACK TO` are fine)",
            ),
        );
    }
    (!statement.complete).then(|| {
        Diagnostic::new(
            file,
            statement.pos,
            "a statement that does not end (no `;` after it) at the end of a migration",
        )
        .hint(
            "psql would join it to the lines gen writes after the file; end it with `;` (and \
             close any parenthesis or `BEGIN ATOMIC` body it opens)",
        )
    })
}

/// The statement as shown when its leading words make it a transaction statement:
/// `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK` (but not `ROLLBACK TO`),
/// `ABORT`, `PREPARE TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`.
fn transaction_statement(words: &[String]) -> Option<String> {
    let word = |i: usize| words.get(i).map(String::as_str);
    let shown = |n: usize| words[..n.min(words.len())].join(" ").to_uppercase();
    match word(0)? {
        "begin" | "commit" | "end" | "abort" if word(1) != Some("prepared") => Some(shown(1)),
        "commit" => Some(shown(2)),
        "start" => Some(shown(2)),
        "rollback" => {
            let to = word(1) == Some("to")
                || (matches!(word(1), Some("work" | "transaction")) && word(2) == Some("to"));
            match (to, word(1)) {
                (true, _) => None,
                (false, Some("prepared")) => Some(shown(2)),
                (false, _) => Some(shown(1)),
            }
        }
        "prepare" if word(1) == Some("transaction") => Some(shown(2)),
        _ => None,
    }
}

/// gen's history schema is its own: the design may not create it, or the roles would be
/// granted its table and could rewrite the history.
pub(super) fn history_schema_is_not_a_design_schema(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let db = &service.value.database;
        if db.migrations.is_empty() {
            continue;
        }
        for (i, schema) in db.schemas.iter().enumerate() {
            if schema == HISTORY_SCHEMA {
                out.push(
                    service
                        .at(
                            path!["database", "schemas", i],
                            format!(
                                "schema `{HISTORY_SCHEMA}` is where gen records the migrations"
                            ),
                        )
                        .hint("name the schema otherwise; gen creates and owns this one"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{assert_one, validate_example_with_edits};

    /// The example with `bill-inquiry` listing `migrations` (a YAML flow list, on line 8),
    /// each file written with its content.
    fn with_migrations(list: &str, files: &[(&str, &str)]) -> Vec<Diagnostic> {
        let line = format!("  migrations: {list}\n");
        let mut edits = vec![("services/bill-inquiry.yaml", EXAMPLE_LINE, line.as_str())];
        edits.extend(files.iter().map(|(file, text)| (*file, "", *text)));
        validate_example_with_edits(&edits)
    }

    const EXAMPLE_LINE: &str = "  migrations: [../sql/bill-inquiry/V1__add_inquiry_error_code.psql]   # each runs once, in order\n";
    const V1: (&str, &str) = ("sql/m/V1__init.psql", "CREATE TABLE a (x int);\n");
    const V2: (&str, &str) = ("sql/m/V2__more.psql", "ALTER TABLE a ADD y int;\n");

    #[test]
    fn valid_migrations_pass() {
        let found = with_migrations(
            "[../sql/m/V1__init.psql, ../sql/m/V2__more.psql]",
            &[V1, V2],
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_missing_migration_is_reported_at_its_element() {
        let found = with_migrations("[../sql/m/V1__init.psql, ../sql/m/V2__x.psql]", &[V1]);
        assert_one(&found, "services/bill-inquiry.yaml:8:40", "does not exist");
    }

    #[test]
    fn a_migration_may_not_leave_the_inputs_folder() {
        let found = with_migrations("[../../V1__init.psql]", &[]);
        assert_one(
            &found,
            "services/bill-inquiry.yaml:8:16",
            "leaves the inputs folder",
        );
    }

    #[test]
    fn names_that_are_not_versioned_migrations_are_refused() {
        for (name, message) in [
            ("init.psql", "not named as a versioned migration"),
            ("V1_init.psql", "not named as a versioned migration"),
            ("R__views.psql", "repeatable migration"),
            ("U1__undo.psql", "undo migration"),
            ("V1__init.sql", "does not end in `.psql`"),
            ("V1.a__init.psql", "`1.a` is not a version"),
            ("V1..2__init.psql", "`1..2` is not a version"),
            ("V1__.psql", "no description"),
        ] {
            let file = format!("sql/m/{name}");
            let found = with_migrations(&format!("[../sql/m/{name}]"), &[(&file, "SELECT 1;\n")]);
            assert_one(&found, "services/bill-inquiry.yaml:8:16", message);
        }
    }

    #[test]
    fn a_version_listed_twice_is_refused_at_the_second() {
        let found = with_migrations(
            "[../sql/m/V1__init.psql, ../sql/m/V1.0__again.psql]",
            &[V1, ("sql/m/V1.0__again.psql", "SELECT 1;\n")],
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:8:40",
            "version `1.0` of `V1.0__again.psql` is also the version of `V1__init.psql`",
        );
    }

    #[test]
    fn versions_out_of_order_are_refused_numerically() {
        let found = with_migrations(
            "[../sql/m/V1.10__b.psql, ../sql/m/V1.9__a.psql]",
            &[
                ("sql/m/V1.10__b.psql", "SELECT 1;\n"),
                ("sql/m/V1.9__a.psql", "SELECT 1;\n"),
            ],
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:8:40",
            "version `1.9` of `V1.9__a.psql` comes after version `1.10` (`V1.10__b.psql`)",
        );
        // 1.9 before 1.10 is in order, though not as text.
        let found = with_migrations(
            "[../sql/m/V1.9__a.psql, ../sql/m/V1.10__b.psql]",
            &[
                ("sql/m/V1.10__b.psql", "SELECT 1;\n"),
                ("sql/m/V1.9__a.psql", "SELECT 1;\n"),
            ],
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_meta_command_in_a_migration_is_refused_where_it_is() {
        let found = with_migrations(
            "[../sql/m/V1__init.psql]",
            &[(
                "sql/m/V1__init.psql",
                "CREATE TABLE a (x int);\nSELECT 1; \\! id\n",
            )],
        );
        assert_one(
            &found,
            "sql/m/V1__init.psql:2:11",
            "a psql meta-command (`\\!`) in a migration",
        );
    }

    #[test]
    fn transaction_statements_are_refused_where_they_start() {
        let sql = "CREATE TABLE a (x int);\nCOMMIT;\nSAVEPOINT s; ROLLBACK TO s; rollback work to s;\n  begin;\nPREPARE TRANSACTION 'x';\nPREPARE p AS SELECT 1;\nEnd;\n";
        let found = with_migrations("[../sql/m/V1__init.psql]", &[("sql/m/V1__init.psql", sql)]);
        let found: Vec<String> = found
            .iter()
            .map(|d| format!("{}: {}", d.location(), d.message))
            .collect();
        assert_eq!(
            found,
            [
                "sql/m/V1__init.psql:2:1: a transaction statement (`COMMIT`) in a migration",
                "sql/m/V1__init.psql:4:3: a transaction statement (`BEGIN`) in a migration",
                "sql/m/V1__init.psql:5:1: a transaction statement (`PREPARE TRANSACTION`) in a migration",
                "sql/m/V1__init.psql:7:1: a transaction statement (`END`) in a migration",
            ]
        );
    }

    #[test]
    fn every_transaction_statement_is_known() {
        let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_owned).collect() };
        for (statement, shown) in [
            ("begin", Some("BEGIN")),
            ("start transaction", Some("START TRANSACTION")),
            ("commit and chain", Some("COMMIT")),
            ("commit prepared", Some("COMMIT PREPARED")),
            ("end work", Some("END")),
            ("abort", Some("ABORT")),
            ("rollback", Some("ROLLBACK")),
            ("rollback prepared", Some("ROLLBACK PREPARED")),
            ("rollback transaction", Some("ROLLBACK")),
            ("rollback to savepoint s", None),
            ("rollback transaction to s", None),
            ("prepare transaction", Some("PREPARE TRANSACTION")),
            ("prepare p as", None),
            ("savepoint s", None),
            ("release s", None),
            ("create index", None),
        ] {
            assert_eq!(
                transaction_statement(&words(statement)).as_deref(),
                shown,
                "{statement}"
            );
        }
    }

    #[test]
    fn a_routine_body_is_not_a_transaction_statement() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;\nDO $$ BEGIN PERFORM 1; END $$;\n";
        let found = with_migrations("[../sql/m/V1__init.psql]", &[("sql/m/V1__init.psql", sql)]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_last_statement_without_a_semicolon_is_refused_where_it_starts() {
        let found = with_migrations(
            "[../sql/m/V1__init.psql]",
            &[(
                "sql/m/V1__init.psql",
                "CREATE TABLE a (x int);\nCREATE INDEX ON a (x)\n-- end\n",
            )],
        );
        assert_one(
            &found,
            "sql/m/V1__init.psql:2:1",
            "does not end (no `;` after it)",
        );
    }

    #[test]
    fn the_history_schema_is_not_a_design_schema() {
        let found = validate_example_with_edits(&[(
            "services/bill-inquiry.yaml",
            "  schemas: [cache, audit]",
            "  schemas: [cache, gen_history]",
        )]);
        assert_one(
            &found,
            "services/bill-inquiry.yaml:6:20",
            "schema `gen_history` is where gen records the migrations",
        );
    }
}
