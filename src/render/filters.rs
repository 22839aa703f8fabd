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

/// A YAML scalar: numbers and booleans as themselves, text as a double-quoted string
/// (JSON string syntax, which YAML's double-quoted style reads back exactly).
pub fn yaml_str(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
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
    format!("'{}'", bicep_escape(text, false))
}

/// The inside of a Bicep string: `\`, `'` and control characters escaped, and `$` before
/// `{` (or every `$`, when the text that follows is not known).
fn bicep_escape(text: &str, every_dollar: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if every_dollar || chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
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

/// Text for the inside of a Bicep string literal the template opened: every `$` is
/// escaped, since the template text after it could start with `{`.
pub fn bicep_inner_str(text: &str) -> String {
    bicep_escape(text, true)
}

/// `bicep_text` filter: text inside a Bicep string the template opened.
pub fn bicep_text(value: &Value) -> Result<Value, Error> {
    let text = match value.as_str() {
        Some(text) => text.to_owned(),
        None if value.kind() == ValueKind::Number => value.to_string(),
        None => {
            return Err(invalid(format!(
                "bicep_text cannot render {}",
                value.kind()
            )));
        }
    };
    refuse_nul(&text)?;
    Ok(safe(bicep_inner_str(&text)))
}

/// A PromQL string literal: `"..."` with `\`, `"` and line breaks escaped.
pub fn promql_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `bicep_promql_str` filter: a PromQL string literal (a label value or regex) inside a
/// Bicep string the template opened: escaped for PromQL, then for Bicep.
pub fn bicep_promql_str(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("bicep_promql_str takes text"))?;
    refuse_nul(text)?;
    Ok(safe(bicep_inner_str(&promql_str(text))))
}

/// `bicep_ident` filter: a Bicep identifier (symbolic or parameter name), checked.
pub fn bicep_ident(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("bicep_ident takes text"))?;
    let ok = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(safe(text.to_owned()))
    } else {
        Err(invalid(format!("`{text}` is not a Bicep identifier")))
    }
}

/// `bicep_number` filter: a whole number as itself; a fraction as `json('2.5')`, because
/// the Bicep type data declares metric alert thresholds as integers while Azure takes a
/// double.
pub fn bicep_number(value: &Value) -> Result<Value, Error> {
    if value.kind() != ValueKind::Number {
        return Err(invalid(format!(
            "bicep_number takes a number, not {}",
            value.kind()
        )));
    }
    match i64::try_from(value.clone()) {
        Ok(whole) => Ok(safe(whole.to_string())),
        Err(_) => Ok(safe(format!("json('{value}')"))),
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
    }

    #[test]
    fn comments_cannot_be_broken_out_of() {
        assert_eq!(
            comment(&Value::from("a\nDROP")).unwrap().as_str().unwrap(),
            "a DROP"
        );
    }

    #[test]
    fn bicep_inner_text_escapes_every_dollar() {
        assert_eq!(bicep_inner_str("a'b$"), "a\\'b\\$");
        assert_eq!(bicep_inner_str("x\\y${z}"), "x\\\\y\\${z}");
    }

    #[test]
    fn promql_strings_inside_bicep_escape_both_layers() {
        assert_eq!(promql_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        let v = bicep_promql_str(&Value::from("it's \"x\"\\")).unwrap();
        assert_eq!(v.as_str().unwrap(), "\"it\\'s \\\\\"x\\\\\"\\\\\\\\\"");
        let v = bicep_promql_str(&Value::from("pg-[0-9]+")).unwrap();
        assert_eq!(v.as_str().unwrap(), "\"pg-[0-9]+\"");
    }

    #[test]
    fn bicep_identifiers_are_checked() {
        assert!(bicep_ident(&Value::from("alert_cpu_high")).is_ok());
        assert!(bicep_ident(&Value::from("a-b")).is_err());
        assert!(bicep_ident(&Value::from("1a")).is_err());
    }

    #[test]
    fn fractional_bicep_numbers_go_through_json() {
        assert_eq!(
            bicep_number(&Value::from(80)).unwrap().as_str().unwrap(),
            "80"
        );
        assert_eq!(
            bicep_number(&Value::from(2.5)).unwrap().as_str().unwrap(),
            "json('2.5')"
        );
        assert!(bicep_number(&Value::from("1")).is_err());
    }
}
