//! Problems found in inputs, each pinned to a file, line and column.

use std::fmt;

use crate::yaml::Pos;

/// One problem in the inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// File as shown to the user (the inputs folder joined with the file's relative path).
    pub file: String,
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong, in one line.
    pub message: String,
    /// What would have been accepted.
    pub expected: Option<String>,
    /// What was written.
    pub found: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// An error stops the command; a warning is printed and the command goes on.
    pub severity: Severity,
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Invalid input: nothing is written and the exit code is 1.
    Error,
    /// Valid input that will not do all the user may expect (a change the SQL scripts
    /// refuse on a live database); the command goes on.
    Warning,
}

impl Severity {
    /// The word printed before the message.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl Diagnostic {
    /// A problem with only a message; add details with the builder methods.
    pub fn new(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            pos,
            message: message.into(),
            expected: None,
            found: None,
            hint: None,
            severity: Severity::Error,
        }
    }

    /// The same diagnostic as a warning.
    pub fn warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    /// What would have been accepted.
    pub fn expected(mut self, expected: impl Into<String>) -> Diagnostic {
        self.expected = Some(expected.into());
        self
    }

    /// What was written.
    pub fn found(mut self, found: impl Into<String>) -> Diagnostic {
        self.found = Some(found.into());
        self
    }

    /// How to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// How to fix it, when there is a hint.
    pub fn maybe_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }

    /// The `path:line:column` prefix.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.pos.line, self.pos.column)
    }

    /// The diagnostic as one JSON object, for CI annotations.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file,
            "line": self.pos.line,
            "column": self.pos.column,
            "severity": self.severity.as_str(),
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.location(),
            self.severity.as_str(),
            self.message
        )?;
        if let Some(expected) = &self.expected {
            write!(f, "\n  expected: {expected}")?;
        }
        if let Some(found) = &self.found {
            write!(f, "\n  found: {found}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The diagnostic for a person at a terminal: coloured, with the source line and a caret
/// under the column. Pipes and files get the plain [`Display`](fmt::Display) form.
pub fn for_terminal(d: &Diagnostic) -> String {
    const BLUE: &str = "\x1b[1;34m";
    const RESET: &str = "\x1b[0m";
    let colour = match d.severity {
        Severity::Error => "\x1b[1;31m",
        Severity::Warning => "\x1b[1;33m",
    };
    let mut out = format!(
        "{BLUE}{}{RESET}: {colour}{}{RESET}: {}",
        d.location(),
        d.severity.as_str(),
        d.message
    );
    let line = std::fs::read_to_string(&d.file).ok().and_then(|text| {
        text.lines()
            .nth(d.pos.line.saturating_sub(1))
            .map(str::to_owned)
    });
    if let Some(line) = line {
        let number = d.pos.line.to_string();
        let pad = " ".repeat(number.len());
        let caret = " ".repeat(d.pos.column.saturating_sub(1));
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!(
            "\n{BLUE}{number} |{RESET} {line}\n{BLUE}{pad} |{RESET} {caret}{colour}^{RESET}"
        ));
    }
    for (label, value) in [
        ("expected", &d.expected),
        ("found", &d.found),
        ("hint", &d.hint),
    ] {
        if let Some(value) = value {
            out.push_str(&format!("\n  {BLUE}{label}{RESET}: {value}"));
        }
    }
    out
}

/// Sorts diagnostics by file and position and drops exact repeats, so output is stable.
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| (&a.file, a.pos, &a.message).cmp(&(&b.file, b.pos, &b.message)));
    diagnostics.dedup();
}

/// The known name closest to `found`, if any is close enough to be a likely typo.
pub fn nearest<'a>(found: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&found.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(distance, k)| *distance <= (k.len() / 3).max(2))
        .min_by_key(|(distance, k)| (*distance, *k))
        .map(|(_, k)| k)
}

/// `a`, `b`, `c` as a readable list of accepted values.
pub fn list(values: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    values
        .into_iter()
        .map(|v| format!("`{}`", v.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_only() {
        let known = ["passwordSecret", "connectionLimit", "access", "name"];
        assert_eq!(nearest("pasword_secret", known), Some("passwordSecret"));
        assert_eq!(nearest("paswordSecret", known), Some("passwordSecret"));
        assert_eq!(nearest("acess", known), Some("access"));
        assert_eq!(nearest("zzzzzz", known), None);
    }

    #[test]
    fn display_has_location_then_details() {
        let d = Diagnostic::new("inputs/a.yaml", Pos { line: 3, column: 5 }, "bad")
            .expected("x")
            .found("y")
            .hint("z");
        assert_eq!(
            d.to_string(),
            "inputs/a.yaml:3:5: error: bad\n  expected: x\n  found: y\n  hint: z"
        );
    }
}
