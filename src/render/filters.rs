//! Escaping filters, one per output format. Templates print nothing else: the
//! environment's formatter refuses any value that did not come out of one of these (see
//! [`super::Templates`]), so a raw interpolation is a render error, not an injection.

use std::borrow::Cow;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use crate::names::{fits_conf_line, is_conf_name};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn safe(text: String) -> Value {
    Value::from_safe_string(text)
}

/// A value as text for the filters that take any value: text as it is, anything else as
/// minijinja displays it.
fn text_of(value: &Value) -> Cow<'_, str> {
    match value.as_str() {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(value.to_string()),
    }
}

/// The text of a value that must exist: strict undefined refuses printing a missing value,
/// not passing one to a filter, which would print it as nothing.
fn defined_text(value: &Value) -> Result<Cow<'_, str>, Error> {
    if value.is_undefined() {
        return Err(invalid(
            "an undefined value reached an escaping filter (a misspelt field?)",
        ));
    }
    Ok(text_of(value))
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

/// A name as an argument of a psql meta-command (`\password "role"`, `\connect "db"`):
/// double-quoted, `"` doubled. Inside double quotes psql's argument lexer keeps
/// backslashes, backquotes and `:` as they are; only a line break would end the command,
/// so control characters are refused (validation refuses them first, at their position).
pub fn psql_arg_ident_str(text: &str) -> Result<String, Error> {
    if let Some((at, c)) = crate::names::first_control_character(text) {
        return Err(invalid(format!(
            "a control character (U+{:04X}) at character {} cannot be a psql argument",
            u32::from(c),
            at + 1
        )));
    }
    sql_ident_str(text)
}

/// The database argument of psql's `\connect`: as [`psql_arg_ident_str`], and never
/// anything psql would read as a connection string instead of a name (`=` anywhere, or a
/// `postgres://` URI), which could point the administrator's session at another host.
pub fn psql_connect_db_str(text: &str) -> Result<String, Error> {
    if crate::names::reads_as_connection_string(text) {
        return Err(invalid(
            "a database name with `=` or a URI prefix is a connection string to psql's \\connect",
        ));
    }
    psql_arg_ident_str(text)
}

/// `psql_arg` filter.
pub fn psql_arg(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("psql_arg takes text"))?;
    Ok(safe(psql_arg_ident_str(text)?))
}

/// `psql_connect_db` filter.
pub fn psql_connect_db(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("psql_connect_db takes text"))?;
    Ok(safe(psql_connect_db_str(text)?))
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

/// A text as one dollar-quoted SQL literal, `$gen$…$gen$`, with a tag chosen so that
/// `$tag` appears nowhere in the text (so the text cannot end the quote). psql reads
/// nothing inside a dollar quote but its end: this is how a file reaches the server
/// without psql ever interpreting it (`SELECT <literal> \gexec`).
pub fn sql_dollar_str(text: &str) -> Result<String, Error> {
    refuse_nul(text)?;
    let tag = (0..)
        .map(|n| {
            if n == 0 {
                "gen".to_owned()
            } else {
                format!("gen{n}")
            }
        })
        .find(|tag| !text.contains(&format!("${tag}")))
        .unwrap_or_default();
    Ok(format!("${tag}${text}${tag}$"))
}

/// `sql_dollar` filter.
pub fn sql_dollar(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("sql_dollar takes text"))?;
    Ok(safe(sql_dollar_str(text)?))
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
    Ok(safe(
        defined_text(value)?
            .chars()
            .map(|c| if crate::names::is_control(c) { ' ' } else { c })
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
            // `//` and `/*` are plain characters in a Bicep string, but tree-sitter-bicep
            // (which checkov's and our checkers' parsers resemble) reads them as comments;
            // escaping the second character keeps every parser in step. Inside a string the
            // template opened, a final `/` is escaped too: the template text after it is
            // not known.
            '/' if matches!(chars.peek(), Some('/' | '*')) => {
                out.push('/');
                let next = chars.next().expect("peeked");
                out.push_str(&format!("\\u{{{:X}}}", next as u32));
            }
            '/' if every_dollar && chars.peek().is_none() => out.push_str("\\u{2F}"),
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

/// `[a-zA-Z_][a-zA-Z0-9_]*`: a Bicep identifier and a Prometheus label name alike.
fn is_plain_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `promql_label` filter: a label name in a PromQL selector, `[a-zA-Z_][a-zA-Z0-9_]*`
/// (Prometheus data model), which needs no quoting in PromQL nor in a Bicep string.
pub fn promql_label(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("promql_label takes text"))?;
    if is_plain_identifier(text) {
        Ok(safe(text.to_owned()))
    } else {
        Err(invalid(format!("`{text}` is not a Prometheus label name")))
    }
}

/// `bicep_ident` filter: a Bicep identifier (symbolic or parameter name), checked.
pub fn bicep_ident(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("bicep_ident takes text"))?;
    if is_plain_identifier(text) {
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
    Ok(safe(md_text(&defined_text(value)?)))
}

/// Markdown text that shows as written: every character Markdown gives a meaning to is
/// escaped, and control characters (line breaks included) become spaces.
pub fn md_text(text: &str) -> String {
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
    out
}

/// Whether `text` may be written as a YAML plain scalar that every YAML 1.1 and 1.2
/// reader takes back as the same string: starts with a letter, only letters, digits and
/// `._/-`, and not a word that YAML 1.1 reads as a boolean or null.
fn is_plain_yaml_word(text: &str) -> bool {
    const SPECIAL: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
        && !SPECIAL.contains(&text.to_ascii_lowercase().as_str())
}

/// `yaml_word` filter: text as a plain YAML scalar when that is unambiguous (label keys,
/// names), otherwise double-quoted like `yaml`.
pub fn yaml_word(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("yaml_word takes text"))?;
    Ok(safe(if is_plain_yaml_word(text) {
        text.to_owned()
    } else {
        yaml_str(text)
    }))
}

/// Whether every reader keeps `text` byte for byte in a literal block scalar: only
/// printable characters, tabs and `\n` (no `\r`, no Unicode line separators), no
/// whitespace at a line end, and a first line that does not start with whitespace (which
/// would need an indentation indicator).
fn fits_literal_block(text: &str) -> bool {
    let printable = |c: char| {
        c == '\t'
            || c == '\n'
            || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
    };
    !text.is_empty()
        && text.chars().all(printable)
        && !text.starts_with([' ', '\t', '\n'])
        && text.lines().all(|l| !l.ends_with([' ', '\t']))
}

/// A YAML literal block scalar (`|`, `|-` or `|+` by the number of final newlines) with
/// its lines indented by `indent` spaces, for a value after `key: `; text that a block
/// cannot carry exactly is double-quoted instead.
pub fn yaml_block_str(text: &str, indent: usize) -> String {
    if !fits_literal_block(text) {
        return yaml_str(text);
    }
    let body = text.strip_suffix('\n');
    let chomp = match body {
        None => "-",
        Some(b) if b.ends_with('\n') => "+",
        Some(_) => "",
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{chomp}");
    for line in body.unwrap_or(text).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

/// `yaml_block(indent)` filter.
pub fn yaml_block(value: &Value, indent: usize) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("yaml_block takes text"))?;
    refuse_nul(text)?;
    if !(1..=64).contains(&indent) {
        return Err(invalid("yaml_block takes an indent of 1 to 64 spaces"));
    }
    Ok(safe(yaml_block_str(text, indent)))
}

/// `conf_name` filter: a postgresql.conf parameter name, checked.
pub fn conf_name(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("conf_name takes text"))?;
    if is_conf_name(text) {
        Ok(safe(text.to_owned()))
    } else {
        Err(invalid(format!("`{text}` is not a parameter name")))
    }
}

/// A postgresql.conf value: numbers and booleans bare, text single-quoted with `'` doubled
/// and `\` escaped (the file's string syntax reads backslash escapes).
pub fn conf_value_str(text: &str) -> Result<String, Error> {
    refuse_nul(text)?;
    if !fits_conf_line(text) {
        return Err(invalid("a postgresql.conf value cannot span lines"));
    }
    Ok(format!(
        "'{}'",
        text.replace('\\', "\\\\").replace('\'', "''")
    ))
}

/// `conf_value` filter.
pub fn conf_value(value: &Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => conf_value_str(value.as_str().unwrap_or_default()).map(safe),
        ValueKind::Number => Ok(safe(value.to_string())),
        ValueKind::Bool => Ok(safe(if value.is_true() { "on" } else { "off" }.to_owned())),
        _ => Err(invalid(format!(
            "conf_value cannot render {}",
            value.kind()
        ))),
    }
}

/// Markdown inline code: the text in a code span whose backtick fence is longer than any run
/// of backticks inside it (CommonMark), padded with spaces when the text starts or ends with
/// a backtick. Line breaks and other control characters become spaces, so the span cannot
/// end a paragraph, a table row or a code block.
pub fn md_code_str(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // Control characters count as the spaces they become.
    let pad = if text.starts_with('`')
        || text.ends_with('`')
        || text.chars().all(|c| c.is_control() || c.is_whitespace())
    {
        " "
    } else {
        ""
    };
    let mut out = String::with_capacity(text.len() + 2 * (fence.len() + pad.len()) + 8);
    out.push_str(&fence);
    out.push_str(pad);
    for c in text.chars() {
        match c {
            // A `|` ends a table cell even inside a code span (GFM); the escape is removed
            // there.
            '|' => out.push_str("\\|"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push_str(pad);
    out.push_str(&fence);
    out
}

/// `md_code` filter: a value as Markdown inline code (delimiters included).
pub fn md_code(value: &Value) -> Result<Value, Error> {
    Ok(safe(md_code_str(&defined_text(value)?)))
}

/// One shell word (bash): bare when it holds only characters no shell treats specially,
/// single-quoted otherwise, and ANSI-C quoted (`$'...'`) when it holds control characters,
/// so that the word never spans two lines and cannot end the code block it is printed in.
pub fn sh_str(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_owned();
    }
    if !text.chars().any(char::is_control) {
        // Double quotes read better around single quotes, and are safe when nothing inside
        // them expands (`$`, backtick, `\`, and `!` for interactive history expansion).
        if text.contains('\'') && !text.contains(['"', '$', '`', '\\', '!']) {
            return format!("\"{text}\"");
        }
        return format!("'{}'", text.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `sh` filter: a value as one shell word, for commands inside fenced code blocks.
pub fn sh(value: &Value) -> Result<Value, Error> {
    let text = match value.as_str() {
        Some(text) => text.to_owned(),
        None if value.kind() == ValueKind::Number => value.to_string(),
        None => return Err(invalid(format!("sh cannot render {}", value.kind()))),
    };
    refuse_nul(&text)?;
    Ok(safe(sh_str(&text)))
}

/// A Mermaid label, quotes included: `"` `#` `<` `>` `&` and backticks become Mermaid entity
/// codes (`#quot;` ...), so that a value can neither end the label nor start markup, and line
/// breaks become spaces, so that it cannot end the diagram's code block.
pub fn mermaid_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `join(separator)` filter: the items of a list as one text, `separator` between them. Its
/// result is not escaped: another filter must follow it, as after any other value. (This is
/// minijinja's builtin `join`, the only builtin the templates use; the builtins stay out.)
pub fn join(value: &Value, separator: Option<&str>) -> Result<Value, Error> {
    let items = value
        .try_iter()
        .map_err(|_| invalid(format!("join cannot join {}", value.kind())))?;
    let mut joined = String::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            joined.push_str(separator.unwrap_or_default());
        }
        joined.push_str(&text_of(&item));
    }
    Ok(Value::from(joined))
}

/// `mermaid` filter: a node or edge label, quotes included. A sequence becomes one line per
/// item (joined with `<br/>`).
pub fn mermaid(value: &Value) -> Result<Value, Error> {
    let lines: Vec<String> = match value.kind() {
        ValueKind::Seq => value
            .try_iter()?
            .map(|item| text_of(&item).into_owned())
            .collect(),
        _ => vec![defined_text(value)?.into_owned()],
    };
    let body: Vec<String> = lines.iter().map(|l| mermaid_str(l)).collect();
    Ok(safe(format!("\"{}\"", body.join("<br/>"))))
}

/// `mermaid_id` filter: a Mermaid node or subgraph ID (`[A-Za-z][A-Za-z0-9_]*`), printed bare.
pub fn mermaid_id(value: &Value) -> Result<Value, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("mermaid_id takes text"))?;
    let ok = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(safe(text.to_owned()))
    } else {
        Err(invalid(format!("`{text}` is not a Mermaid node ID")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undefined_value_is_refused_not_printed_as_nothing() {
        for filter in [md, md_code, comment, mermaid] {
            assert!(filter(&Value::UNDEFINED).is_err());
        }
        assert!(md_code(&Value::from("x")).is_ok());
    }

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

    #[test]
    fn shell_words_expand_nothing() {
        assert_eq!(sh_str("it's $HOME"), "'it'\\''s $HOME'");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", sh_str("x'$(id)`y`\"\\ *")))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "x'$(id)`y`\"\\ *");
    }

    #[test]
    fn yaml_words_are_plain_only_when_unambiguous() {
        let word = |t: &str| yaml_word(&Value::from(t)).unwrap().to_string();
        assert_eq!(word("app.kubernetes.io/name"), "app.kubernetes.io/name");
        assert_eq!(word("on"), "\"on\"");
        assert_eq!(word("No"), "\"No\"");
        assert_eq!(word("14"), "\"14\"");
        assert_eq!(word("1e3"), "\"1e3\"");
        assert_eq!(word("a: b"), "\"a: b\"");
        assert_eq!(word(""), "\"\"");
    }

    /// Parses `key: <block>` with gen's own YAML reader and returns the value.
    fn read_back(block: &str) -> String {
        let doc = format!("data:\n  key: {block}\nnext: 1\n");
        let node = crate::yaml::Node::parse(&doc).unwrap();
        node.get(&[
            crate::yaml::Seg::from("data"),
            crate::yaml::Seg::from("key"),
        ])
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
    }

    #[test]
    fn yaml_blocks_read_back_exactly() {
        for text in [
            "a\nb\n",
            "a\n\n  b\n",
            "no final newline",
            "two final\n\n",
            "three\n\n\n",
            "\ttab first\n",
            " space first\n",
            "trailing space \nx\n",
            "crlf\r\n",
            "한글 -- 'quoted' \"x\"\n#not a comment\n---\n",
            "",
        ] {
            assert_eq!(read_back(&yaml_block_str(text, 4)), text, "{text:?}");
        }
        assert_eq!(yaml_block_str("a\n", 4), "|\n    a");
        assert_eq!(yaml_block_str("a", 4), "|-\n    a");
        assert_eq!(yaml_block_str("a\n\nb\n\n", 2), "|+\n  a\n\n  b\n");
        assert!(yaml_block(&Value::from("a"), 0).is_err());
    }

    #[test]
    fn conf_values_are_quoted() {
        assert_eq!(conf_value_str("it's").unwrap(), "'it''s'");
        assert_eq!(conf_value_str("a\\b").unwrap(), "'a\\\\b'");
        assert!(conf_value_str("a\nb").is_err());
        assert_eq!(conf_value(&Value::from(100)).unwrap().to_string(), "100");
        assert_eq!(conf_value(&Value::from(true)).unwrap().to_string(), "on");
    }

    #[test]
    fn conf_names_are_checked() {
        assert!(is_conf_name("work_mem"));
        assert!(is_conf_name("pg_stat_statements.track"));
        assert!(!is_conf_name("a = 1\nssl"));
        assert!(!is_conf_name("a.b.c"));
        assert!(!is_conf_name("1a"));
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

    #[test]
    fn markdown_code_spans_cannot_be_broken_out_of() {
        assert_eq!(md_code_str("a"), "`a`");
        assert_eq!(md_code_str("a`b"), "``a`b``");
        assert_eq!(md_code_str("`x``"), "``` `x`` ```");
        assert_eq!(md_code_str("a\n```\nb"), "````a ``` b````");
        assert_eq!(md_code_str("a|b"), "`a\\|b`");
        // Control characters become spaces; text of spaces only is padded.
        assert_eq!(md_code_str("\n"), "`   `");
    }

    #[test]
    fn shell_words_are_quoted_and_stay_on_one_line() {
        assert_eq!(sh_str("rg-phonebill_prod.1"), "rg-phonebill_prod.1");
        assert_eq!(sh_str("a b"), "'a b'");
        assert_eq!(sh_str("it's $(rm -rf /)"), "'it'\\''s $(rm -rf /)'");
        assert_eq!(sh_str(""), "''");
        assert_eq!(sh_str("x = 'a b'"), r#""x = 'a b'""#);
        assert_eq!(sh_str(r#""a" = 'b'"#), r#"'"a" = '\''b'\'''"#);
        assert_eq!(sh_str("'!'"), r#"''\''!'\'''"#);
        assert_eq!(sh_str("a\n```\nb'"), "$'a\\n```\\nb\\''");
        assert!(!sh_str("x\r\ny").contains(['\n', '\r']));
        assert!(sh(&Value::from("a\0")).is_err());
    }

    #[test]
    fn mermaid_ids_are_checked() {
        assert!(mermaid_id(&Value::from("rule1")).is_ok());
        assert!(mermaid_id(&Value::from("a-b")).is_err());
        assert!(mermaid_id(&Value::from("a[x]")).is_err());
    }

    #[test]
    fn mermaid_labels_cannot_be_broken_out_of() {
        assert_eq!(mermaid_str("a\"] --> x[\"b"), "a#quot;] --#gt; x[#quot;b");
        assert_eq!(mermaid_str("<b>#1&`x`"), "#lt;b#gt;#35;1#amp;#96;x#96;");
        assert_eq!(mermaid_str("a\n```\nb"), "a #96;#96;#96; b");
        let v = mermaid(&Value::from(vec!["a", "b\"c"])).unwrap();
        assert_eq!(v.as_str().unwrap(), "\"a<br/>b#quot;c\"");
    }

    #[test]
    fn join_joins_items_and_leaves_escaping_to_the_next_filter() {
        let list = Value::from(vec!["a", "b'c"]);
        let joined = join(&list, Some(", ")).unwrap();
        assert_eq!(joined.as_str(), Some("a, b'c"));
        assert!(!joined.is_safe(), "printed raw, it would be refused");
        assert_eq!(
            join(&Value::from(vec![1, 2]), None).unwrap().as_str(),
            Some("12")
        );
        assert!(join(&Value::from(3), Some(",")).is_err());
    }

    #[test]
    fn psql_arguments_are_quoted_names_on_one_line() {
        assert_eq!(
            psql_arg_ident_str("a\"b\\c`:x").unwrap(),
            "\"a\"\"b\\c`:x\""
        );
        assert!(psql_arg_ident_str("a\nb").is_err());
        assert!(psql_arg_ident_str("a\u{2028}b").is_err());
        assert!(psql_connect_db_str("app_db").is_ok());
        assert!(psql_connect_db_str("app host=evil.example").is_err());
        assert!(psql_connect_db_str("postgresql://evil.example/app").is_err());
        assert!(psql_connect_db_str("POSTGRES://evil.example/app").is_err());
    }

    #[test]
    fn dollar_quotes_pick_a_tag_the_text_cannot_end() {
        assert_eq!(sql_dollar_str("a $$ b").unwrap(), "$gen$a $$ b$gen$");
        assert_eq!(
            sql_dollar_str("x $gen$ y").unwrap(),
            "$gen1$x $gen$ y$gen1$"
        );
        assert_eq!(
            sql_dollar_str("$gen $gen1").unwrap(),
            "$gen2$$gen $gen1$gen2$"
        );
        assert!(sql_dollar_str("a\0b").is_err());
    }
}
