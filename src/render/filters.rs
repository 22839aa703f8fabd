//! Escaping filters, one per output format. Templates print nothing else: the
//! environment's formatter refuses any value that did not come out of one of these (see
//! [`super::Templates`]), so a raw interpolation is a render error, not an injection.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn safe(text: String) -> Value {
    Value::from_safe_string(text)
}

fn refuse_nul(text: &str) -> Result<(), Error> {
    if text.contains('\0') {
        Err(invalid("a NUL character cannot be rendered"))
    } else {
        Ok(())
    }
}

/// A PostgreSQL identifier, always quoted: `"name"`, with `"` doubled.
pub fn sql_ident_str(text: &str) -> Result<String, Error> {
    refuse_nul(text)?;
    if text.is_empty() {
        return Err(invalid("an empty name cannot be an SQL identifier"));
    }
    Ok(format!("\"{}\"", text.replace('"', "\"\"")))
}

/// A PostgreSQL string literal that means the same under any `standard_conforming_strings`:
/// `'text'` with `'` doubled, or `E'...'` with backslashes doubled when there are any.
pub fn sql_literal_str(text: &str) -> Result<String, Error> {
    refuse_nul(text)?;
    let quoted = text.replace('\'', "''");
    Ok(if quoted.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    })
}

/// `sql_ident` filter.
pub fn sql_ident(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("sql_ident takes text"))?;
    sql_ident_str(text).map(safe)
}

/// `sql_literal` filter: text as a string literal, numbers and booleans as themselves,
/// none as NULL.
pub fn sql_literal(value: &Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => sql_literal_str(value.as_str().unwrap_or_default()).map(safe),
        ValueKind::Number => Ok(safe(value.to_string())),
        ValueKind::Bool => Ok(safe(
            if value.is_true() { "TRUE" } else { "FALSE" }.to_owned(),
        )),
        ValueKind::None => Ok(safe("NULL".to_owned())),
        _ => Err(invalid(format!(
            "sql_literal cannot render {}",
            value.kind()
        ))),
    }
}

/// `sql_raise` filter: a statement that fails with `message`, to stop a psql script
/// (running with ON_ERROR_STOP) with a clear reason.
pub fn sql_raise(value: &Value) -> Result<Value, Error> {
    let message = value
        .as_str()
        .ok_or_else(|| invalid("sql_raise takes text"))?;
    let body = format!(
        "BEGIN RAISE EXCEPTION '%', {}; END",
        sql_literal_str(message)?
    );
    Ok(safe(format!("DO {}", sql_literal_str(&body)?)))
}

/// `sql_script` filter: a whole SQL file, included as it is. Only for the service's own
/// schema file, which validation has checked holds no psql meta-command.
pub fn sql_script(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("sql_script takes text"))?;
    refuse_nul(text)?;
    Ok(safe(text.trim_end().to_owned()))
}

/// `env_name` filter: an environment variable name, which can only be `[A-Z0-9_]`, so it
/// is safe inside shell and psql commands as it is.
pub fn env_name(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("env_name takes text"))?;
    let ok = !text.is_empty()
        && !text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(safe(text.to_owned()))
    } else {
        Err(invalid(format!(
            "`{text}` is not an environment variable name"
        )))
    }
}

/// `num` filter: a number as itself; anything else is an error.
pub fn num(value: &Value) -> Result<Value, Error> {
    if value.kind() == ValueKind::Number {
        Ok(safe(value.to_string()))
    } else {
        Err(invalid(format!("num takes a number, not {}", value.kind())))
    }
}

/// `comment` filter: text for the inside of a one-line comment (`--`, `#`, `//`): line
/// breaks and other control characters become spaces so the comment cannot end early.
pub fn comment(value: &Value) -> Result<Value, Error> {
    let text = match value.as_str() {
        Some(text) => text.to_owned(),
        None => value.to_string(),
    };
    Ok(safe(
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    ))
}

/// Characters a YAML reader refuses raw (outside YAML's printable set) or reads as line
/// breaks (NEL, LS, PS) or a byte-order mark; inside double quotes they are written `\uXXXX`.
fn yaml_needs_escape(c: char) -> bool {
    c < ' '
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// A YAML double-quoted scalar that every YAML reader (1.1 and 1.2) reads back as `text`.
pub fn yaml_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if yaml_needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `yaml` filter.
pub fn yaml(value: &Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => Ok(safe(yaml_str(value.as_str().unwrap_or_default()))),
        ValueKind::Number | ValueKind::Bool => Ok(safe(value.to_string())),
        ValueKind::None => Ok(safe("null".to_owned())),
        _ => Err(invalid(format!(
            "yaml cannot render {} as a scalar",
            value.kind()
        ))),
    }
}

/// A Bicep string literal: `'...'` with `\`, `'`, `${` and control characters escaped.
pub fn bicep_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            // `//` and `/*` are plain characters in a Bicep string, but tree-sitter-bicep
            // (which checkov's and our checkers' parsers resemble) reads them as comments;
            // escaping the second character keeps every parser in step.
            '/' if matches!(chars.peek(), Some('/' | '*')) => {
                out.push('/');
                let next = chars.next().expect("peeked");
                out.push_str(&format!("\\u{{{:X}}}", next as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `bicep` filter: text as a Bicep string, numbers and booleans as themselves.
pub fn bicep(value: &Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => Ok(safe(bicep_str(value.as_str().unwrap_or_default()))),
        ValueKind::Number | ValueKind::Bool => Ok(safe(value.to_string())),
        ValueKind::None => Ok(safe("null".to_owned())),
        _ => Err(invalid(format!(
            "bicep cannot render {} as a scalar",
            value.kind()
        ))),
    }
}

/// `bicep_ident` filter: a Bicep symbolic name (`[A-Za-z_][A-Za-z0-9_]*`), printed bare
/// because it names a parameter or resource rather than holding a value.
pub fn bicep_ident(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("bicep_ident takes text"))?;
    let ok = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(safe(text.to_owned()))
    } else {
        Err(invalid(format!("`{text}` is not a Bicep identifier")))
    }
}

/// `md` filter: text for Markdown prose and table cells; markup characters are escaped and
/// line breaks become spaces.
pub fn md(value: &Value) -> Result<Value, Error> {
    let text = match value.as_str() {
        Some(text) => text.to_owned(),
        None => value.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    Ok(safe(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_identifiers_double_quotes() {
        assert_eq!(sql_ident_str("a\"b").unwrap(), "\"a\"\"b\"");
        assert!(sql_ident_str("a\0").is_err());
    }

    #[test]
    fn sql_literals_double_quotes_and_escape_backslashes() {
        assert_eq!(sql_literal_str("it's").unwrap(), "'it''s'");
        assert_eq!(sql_literal_str("a\\b'").unwrap(), "E'a\\\\b'''");
    }

    #[test]
    fn sql_raise_nests_literals() {
        let v = sql_raise(&Value::from("x's")).unwrap();
        assert_eq!(
            v.as_str().unwrap(),
            "DO 'BEGIN RAISE EXCEPTION ''%'', ''x''''s''; END'"
        );
    }

    #[test]
    fn env_names_are_checked() {
        assert!(env_name(&Value::from("A_B1")).is_ok());
        assert!(env_name(&Value::from("a")).is_err());
        assert!(env_name(&Value::from("A;rm")).is_err());
    }

    #[test]
    fn bicep_strings_escape_interpolation() {
        assert_eq!(bicep_str("a'b${c}\\\n"), "'a\\'b\\${c}\\\\\\n'");
        assert_eq!(bicep_str("$x"), "'$x'");
        assert_eq!(bicep_str("a//b/*c*/"), "'a/\\u{2F}b/\\u{2A}c*/'");
    }

    #[test]
    fn bicep_identifiers_are_checked() {
        assert_eq!(
            bicep_ident(&Value::from("replica_a1")).unwrap().as_str(),
            Some("replica_a1")
        );
        assert!(bicep_ident(&Value::from("1a")).is_err());
        assert!(bicep_ident(&Value::from("a-b")).is_err());
        assert!(bicep_ident(&Value::from("a'}")).is_err());
    }

    #[test]
    fn yaml_strings_escape_what_readers_refuse() {
        assert_eq!(yaml_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(yaml_str("\u{85}\u{7f}\0"), "\"\\u0085\\u007F\\u0000\"");
        assert_eq!(yaml_str("한글"), "\"한글\"");
    }

    #[test]
    fn comments_cannot_be_broken_out_of() {
        assert_eq!(
            comment(&Value::from("a\nDROP")).unwrap().as_str().unwrap(),
            "a DROP"
        );
    }
}
