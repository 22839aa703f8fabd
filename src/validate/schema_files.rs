//! Rules on the schema files services refer to: inside the inputs folder, readable, and
//! plain SQL.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::load;
use crate::path;
use crate::validate::Design;

/// Loads every referenced file, which must exist, be UTF-8 and stay inside the inputs
/// folder, both by path (`..`) and by symlink.
pub(super) fn referenced_files_are_inside(
    design: &Design,
    dir: &Path,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut referenced = BTreeMap::new();
    for service in &design.services {
        let Some(schema_file) = &service.value.database.schema_file else {
            continue;
        };
        let at = path!["database", "schemaFile"];
        let rel = match load::resolve_beside(&service.file.rel, schema_file) {
            Ok(rel) => rel,
            Err(problem) => {
                out.push(
                    service
                        .at(at, problem.message)
                        .found(format!("`{schema_file}`"))
                        .maybe_hint(problem.hint),
                );
                continue;
            }
        };
        match load::read_input_file(dir, &rel) {
            Ok(text) => {
                referenced.insert(rel, text);
            }
            Err(problem) if problem.pos.line > 1 || problem.pos.column > 1 => {
                // Bad bytes inside the referenced file: point into that file.
                out.push(problem.into_diagnostic(load::display(dir, &rel)));
            }
            Err(problem) => {
                out.push(
                    service
                        .at(at, problem.message)
                        .found(format!("`{schema_file}`"))
                        .maybe_hint(problem.hint),
                );
            }
        }
    }
    referenced
}

/// Schema files are applied by psql: a line starting with `\` would be a psql meta-command
/// (`\connect` elsewhere, `\!` runs a shell), so they are refused.
pub(super) fn schema_files_are_plain_sql(design: &Design, dir: &Path, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let Some(schema_file) = &service.value.database.schema_file else {
            continue;
        };
        let Ok(rel) = load::resolve_beside(&service.file.rel, schema_file) else {
            continue;
        };
        let Some(text) = design.referenced.get(&rel) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('\\') {
                let column = line.chars().count() - trimmed.chars().count() + 1;
                out.push(
                    Diagnostic::new(
                        load::display(dir, &rel),
                        crate::yaml::Pos { line: i + 1, column },
                        "a psql meta-command in a schema file",
                    )
                    .expected("plain SQL statements")
                    .found(format!("`{}`", trimmed.split_whitespace().next().unwrap_or("\\")))
                    .hint("gen connects to the right database itself; move other steps out of the schema file"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{assert_one, validate_example_with};

    #[test]
    fn a_missing_schema_file_is_reported_at_the_reference() {
        let found = validate_example_with(
            "services/auth.yaml",
            "../sql/auth.psql",
            "../sql/missing.psql",
        );
        assert_one(&found, "services/auth.yaml:7:15", "does not exist");
    }

    #[test]
    fn a_schema_file_may_not_leave_the_inputs_folder() {
        let found =
            validate_example_with("services/auth.yaml", "../sql/auth.psql", "../../etc/passwd");
        assert_one(
            &found,
            "services/auth.yaml:7:15",
            "leaves the inputs folder",
        );
    }

    #[test]
    fn a_schema_file_may_not_hold_psql_meta_commands() {
        let found = validate_example_with(
            "sql/auth.psql",
            "CREATE TABLE IF NOT EXISTS auth_services",
            "  \\! touch /tmp/x\nCREATE TABLE IF NOT EXISTS auth_services",
        );
        assert_one(&found, "sql/auth.psql:34:3", "psql meta-command");
    }
}
