//! Rules on the schema files services refer to: inside the inputs folder, readable, and
//! plain SQL as psql reads it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::input::ServiceFile;
use crate::load;
use crate::names;
use crate::path;
use crate::validate::psql_lexer::{self, Opening, Problem, Refusal};
use crate::validate::{Design, Typed};
use crate::yaml::Seg;

/// Loads every referenced file (schema files and migrations), which must exist, be UTF-8
/// and stay inside the inputs folder, both by path (`..`) and by symlink.
pub(super) fn referenced_files_are_inside(
    design: &Design,
    dir: &Path,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut referenced = BTreeMap::new();
    for service in &design.services {
        let db = &service.value.database;
        let schema_file = db
            .schema_file
            .iter()
            .map(|reference| (path!["database", "schemaFile"].to_vec(), reference));
        let migrations = db
            .migrations
            .iter()
            .enumerate()
            .map(|(i, reference)| (path!["database", "migrations", i].to_vec(), reference));
        for (at, reference) in schema_file.chain(migrations) {
            if let Some((rel, text)) = load_referenced(service, &at, reference, dir, out) {
                referenced.insert(rel, text);
            }
        }
    }
    referenced
}

/// Reads the file that `reference`, at `at` in `service`, names: its path relative to the
/// inputs folder and its text, or the problem reported.
fn load_referenced(
    service: &Typed<ServiceFile>,
    at: &[Seg],
    reference: &str,
    dir: &Path,
    out: &mut Vec<Diagnostic>,
) -> Option<(String, String)> {
    let at_reference = |problem: load::FileProblem| {
        service
            .at(at, problem.message)
            .found(format!("`{reference}`"))
            .maybe_hint(problem.hint)
    };
    let rel = match load::resolve_beside(&service.file.rel, reference) {
        Ok(rel) => rel,
        Err(problem) => {
            out.push(at_reference(problem));
            return None;
        }
    };
    match load::read_input_file(dir, &rel) {
        Ok(text) => Some((rel, text)),
        Err(problem) if problem.pos.line > 1 || problem.pos.column > 1 => {
            // Bad bytes inside the referenced file: point into that file.
            out.push(problem.into_diagnostic(load::display(dir, &rel)));
            None
        }
        Err(problem) => {
            out.push(at_reference(problem));
            None
        }
    }
}

/// Schema files are applied by psql, pasted into `06-schema.psql`: psql reads them as
/// it reads any script, so a meta-command anywhere outside quotes and comments would run
/// (`\!` runs a shell) and a variable reference would be replaced. Each is refused where
/// psql would see it; see [`psql_lexer`] and docs/sql-scripts.md.
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
        for problem in psql_lexer::problems(text) {
            out.push(diagnostic(
                load::display(dir, &rel),
                problem,
                "a schema file",
            ));
        }
    }
}

/// The diagnostic for one thing psql would not read as plain SQL, in `what` (`a schema
/// file`, `a migration`).
pub(super) fn diagnostic(file: String, problem: Problem, what: &str) -> Diagnostic {
    let message = format!("{} in {what}", message(&problem.refusal));
    let diagnostic = Diagnostic::new(file, problem.pos, message).hint(hint(&problem.refusal));
    match problem.refusal {
        Refusal::MetaCommand(_) | Refusal::PsqlEscape(_) | Refusal::Variable(_) => {
            diagnostic.expected("plain SQL statements")
        }
        _ => diagnostic,
    }
}

fn message(refusal: &Refusal) -> String {
    match refusal {
        Refusal::MetaCommand(command) => {
            format!("a psql meta-command (`{}`)", shown(command))
        }
        Refusal::PsqlEscape(c) => format!("a psql escape (`\\{c}`)"),
        Refusal::Variable(reference) => {
            format!("a psql variable reference (`{}`)", shown(reference))
        }
        Refusal::LetterAfterNumber(text) => {
            format!("a number run into the next word (`{}`)", shown(text))
        }
        Refusal::ControlCharacter(c) => format!("a control character (U+{:04X})", u32::from(*c)),
        Refusal::LoneCarriageReturn => {
            "a carriage return that does not end a line (CR without LF)".to_owned()
        }
        Refusal::Unterminated(opening) => {
            let what = match opening {
                Opening::String => "a quoted string".to_owned(),
                Opening::QuotedIdentifier => "a quoted identifier".to_owned(),
                Opening::DollarQuote(tag) => format!("a dollar quote (`{}`)", shown(tag)),
                Opening::Comment => "a comment (`/*`)".to_owned(),
            };
            format!("{what} that is never closed")
        }
        Refusal::BackslashQuote => "a backslash before a quote in a `'...'` string".to_owned(),
    }
}

fn hint(refusal: &Refusal) -> String {
    let with_psql = "gen applies the file with psql, which would";
    match refusal {
        Refusal::MetaCommand(_) => format!(
            "{with_psql} run it; write plain SQL (a backslash is text only inside a quoted \
             string, a dollar quote or a comment)"
        ),
        Refusal::PsqlEscape(c) => {
            let effect = if *c == ';' {
                "does not end the statement"
            } else {
                "starts no variable"
            };
            format!("{with_psql} send a `{c}` that {effect}; write plain SQL")
        }
        Refusal::Variable(_) => format!(
            "{with_psql} put the value of a psql variable there; write plain SQL (after a `:` \
             that is not a cast, put a space, as in `arr[lo : hi]`)"
        ),
        Refusal::LetterAfterNumber(_) => "psql 14, 15 and 16 end the number at different \
             places, so they disagree on what follows (a string, a comment), and PostgreSQL \
             15 and later refuse it; put a space after the number"
            .to_owned(),
        Refusal::ControlCharacter(_) => {
            "remove it; a file of SQL holds printable text, tabs and line ends (LF or CRLF)"
                .to_owned()
        }
        Refusal::LoneCarriageReturn => "psql splits its input at LF but reads a CR inside a \
             line as a line break, so the file would not read as it shows; end lines with LF \
             or CRLF"
            .to_owned(),
        Refusal::Unterminated(_) => {
            format!(
                "{with_psql} read on into the lines gen writes after the file (its `COMMIT`); close it"
            )
        }
        Refusal::BackslashQuote => "a statement can turn standard_conforming_strings off, and \
             psql then reads `'...'` as `E'...'`, where this quote does not end the string, so \
             what follows would be read otherwise (a `\\!` in it would run); write the string \
             as `E'...'` with each backslash doubled (`E'C:\\\\dir\\\\'`)"
            .to_owned(),
    }
}

/// At most this many characters of a meta-command, reference or tag are shown.
const SHOWN_CHARS: usize = 40;

/// `text` on one line and at most [`SHOWN_CHARS`] long.
fn shown(text: &str) -> String {
    let head: String = text.chars().take(SHOWN_CHARS).collect();
    let more = if text.chars().count() > SHOWN_CHARS {
        "…"
    } else {
        ""
    };
    format!("{}{more}", names::printable(&head))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_one(&found, "sql/auth.psql:34:3", "psql meta-command (`\\!`)");
    }

    #[test]
    fn a_meta_command_after_a_statement_is_refused_where_it_starts() {
        let found = validate_example_with(
            "sql/auth.psql",
            "CREATE TABLE IF NOT EXISTS auth_services",
            "SELECT 1; \\! id\nCREATE TABLE IF NOT EXISTS auth_services",
        );
        assert_one(&found, "sql/auth.psql:34:11", "psql meta-command (`\\!`)");
        assert_eq!(found[0].expected.as_deref(), Some("plain SQL statements"));
        assert!(
            found[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("psql, which would run it")
        );
    }

    #[test]
    fn a_psql_variable_reference_is_refused_where_it_starts() {
        let found = validate_example_with(
            "sql/auth.psql",
            "CREATE TABLE IF NOT EXISTS auth_services",
            "SELECT :'password';\nCREATE TABLE IF NOT EXISTS auth_services",
        );
        assert_one(
            &found,
            "sql/auth.psql:34:8",
            "psql variable reference (`:'password'`)",
        );
    }

    #[test]
    fn every_refusal_of_the_lexer_has_a_message_and_a_hint() {
        let text = "SELECT 1e'x', 'a\u{7}', :x \\; \\q\nSELECT 'a'\r'b', 'c\\' /* open";
        let diagnostics: Vec<_> = psql_lexer::problems(text)
            .into_iter()
            .map(|p| diagnostic("a.psql".to_owned(), p, "a schema file"))
            .collect();
        assert_eq!(diagnostics.len(), 8, "{diagnostics:#?}");
        for d in &diagnostics {
            assert!(d.message.ends_with("in a schema file"), "{}", d.message);
            assert!(d.hint.is_some(), "{d}");
        }
    }
}
