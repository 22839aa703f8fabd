//! Name predicates that several stages share. A leaf module: it depends on nothing in the
//! crate, so validation, the model and the renderers can all ask the same question
//! without depending on each other.

/// Longest PostgreSQL identifier, in bytes (NAMEDATALEN - 1).
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// Whether `name` is an RFC 1123 label: 1–63 lowercase letters, digits and `-`, starting
/// and ending with a letter or digit.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Why `name` cannot be a PostgreSQL identifier of ours, if it cannot.
pub fn identifier_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("an empty name".to_owned());
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Some(format!(
            "{} bytes; PostgreSQL truncates names over {MAX_IDENTIFIER_BYTES}",
            name.len()
        ));
    }
    if let Some((at, c)) = first_control_character(name) {
        return Some(format!(
            "a control character (U+{:04X}) at character {}: psql and shells read it as the end of a line or a command",
            u32::from(c),
            at + 1
        ));
    }
    let lower = name.to_lowercase();
    if lower == "postgres" || lower.starts_with("pg_") || lower.starts_with("azure_") {
        return Some("reserved for the server (`postgres`, `pg_*`, `azure_*`)".to_owned());
    }
    None
}

/// Whether psql's `\connect` would read `name` as a connection string rather than a
/// database name: it does for any argument holding `=` and for `postgres://` or
/// `postgresql://` URIs (psql's `recognized_connection_string`).
pub fn reads_as_connection_string(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.contains('=') || lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// The first C0 or C1 control character, DEL, or Unicode line or paragraph separator in
/// `text`, with its position in characters. None of them belongs in a name: each can end a
/// line for psql, a shell, YAML or Markdown.
pub fn first_control_character(text: &str) -> Option<(usize, char)> {
    text.chars().enumerate().find(|(_, c)| is_control(*c))
}

/// A C0 or C1 control character, DEL, or a Unicode line or paragraph separator.
/// A control character or a Unicode line or paragraph separator, which YAML readers (and
/// some terminals) take as a line break.
pub fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` as a diagnostic can print it on its one line: control characters and line
/// separators escaped (`\n`, `\u{2028}`).
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_control(c) {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `name` is a PostgreSQL configuration parameter name (`work_mem`,
/// `pg_stat_statements.track`).
pub fn is_conf_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').count() <= 2
        && name.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// Whether `text` fits on its postgresql.conf line, one per parameter. Validation refuses
/// what does not fit before anything is rendered; the template filter asks again.
pub fn fits_conf_line(text: &str) -> bool {
    !text.contains(['\n', '\r'])
}

/// Key Vault secret names are 1–127 letters, digits and `-`.
pub fn is_key_vault_secret_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `name` is a Kubernetes label name, or a label value other than the empty one:
/// at most 63 characters, letters, digits, `-`, `_` and `.`, starting and ending with a
/// letter or digit (the API server's `IsQualifiedName` and `IsValidLabelValue`).
pub fn is_label_name(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Whether `value` can be a Kubernetes label value: empty, or as [`is_label_name`].
pub fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_label_name(value)
}

/// Whether `key` can be a Kubernetes label key: a name ([`is_label_name`]), optionally
/// after a prefix and `/`; the prefix is a DNS subdomain of at most 253 characters.
pub fn is_label_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty()
                && prefix.len() <= 253
                && prefix.split('.').all(is_dns_label)
                && is_label_name(name)
        }
        None => is_label_name(key),
    }
}

/// What a diagnostic expects of a label key.
pub const LABEL_KEY_FORM: &str = "a name of 1–63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, optionally after a DNS subdomain prefix of at most 253 characters and `/` (`app.kubernetes.io/name`)";

/// What a diagnostic expects of a label value.
pub const LABEL_VALUE_FORM: &str =
    "empty, or 1–63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit";

/// At most this many `*` stand for a masked value.
const MASK_WIDTH: usize = 16;

/// How a diagnostic shows a value refused where the *name* of a secret belongs: people paste
/// the secret itself there (a password, a webhook URL with its signature), and diagnostics
/// end up in CI logs. Only its length and a mask are shown; the position says where it is.
pub fn masked(value: &str) -> String {
    let chars = value.chars().count();
    let mask = "*".repeat(chars.min(MASK_WIDTH));
    let more = if chars > MASK_WIDTH { "…" } else { "" };
    format!("a value of {chars} characters, not shown (`{mask}{more}`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_control_characters_are_refused_where_they_are() {
        for (name, at) in [
            ("db\nx", "U+000A) at character 3"),
            ("db\r", "U+000D) at character 3"),
            ("\u{85}db", "U+0085) at character 1"),
            ("d\u{2028}b", "U+2028) at character 2"),
            ("db\u{2029}", "U+2029) at character 3"),
            ("d\u{7f}", "U+007F) at character 2"),
            ("\0", "U+0000) at character 1"),
        ] {
            let problem = identifier_problem(name).unwrap();
            assert!(problem.contains(at), "{name:?}: {problem}");
        }
        assert_eq!(identifier_problem("요금_db"), None);
        assert_eq!(printable("a\nb\u{2028}c\td"), "a\\nb\\u{2028}c\\td");
    }

    #[test]
    fn label_keys_and_values_follow_kubernetes() {
        for key in [
            "app",
            "App_1.x-y",
            "app.kubernetes.io/part-of",
            "a/b",
            &"n".repeat(63),
            &format!(
                "{}/x",
                [
                    "a".repeat(63),
                    "b".repeat(63),
                    "c".repeat(63),
                    "d".repeat(61)
                ]
                .join(".")
            ),
        ] {
            assert!(is_label_key(key), "{key}");
        }
        for key in [
            "",
            "-app",
            "app-",
            "a b",
            "/name",
            "prefix/",
            "Upper.Case/name",
            "a/b/c",
            "a..b/name",
            "-a.b/name",
            &"n".repeat(64),
            &format!(
                "{}/x",
                [
                    "a".repeat(63),
                    "b".repeat(63),
                    "c".repeat(63),
                    "d".repeat(62)
                ]
                .join(".")
            ),
        ] {
            assert!(!is_label_key(key), "{key}");
        }
        for value in ["", "14", "14.15.0-debian-12-r3", "A_b", &"v".repeat(63)] {
            assert!(is_label_value(value), "{value}");
        }
        for value in ["-x", "x.", "a/b", "a b", "ä", &"v".repeat(64)] {
            assert!(!is_label_value(value), "{value}");
        }
    }

    #[test]
    fn masked_values_show_their_length_and_nothing_of_them() {
        assert_eq!(masked("ab$"), "a value of 3 characters, not shown (`***`)");
        let url = "https://hooks.example/x?sig=Zm9vYmFyYmF6cXV4cXV1eA";
        let shown = masked(url);
        assert_eq!(
            shown,
            "a value of 50 characters, not shown (`****************…`)"
        );
        assert!(!shown.contains("sig") && !shown.contains("https"));
        assert_eq!(masked("비밀"), "a value of 2 characters, not shown (`**`)");
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("bill-inquiry"));
        assert!(!is_dns_label("Bill_Inquiry"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label("a-"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }

    #[test]
    fn identifiers() {
        assert!(identifier_problem("pg_app").is_some());
        assert!(identifier_problem("Azure_x").is_some());
        assert!(identifier_problem("postgres").is_some());
        assert!(identifier_problem("").is_some());
        assert!(identifier_problem("a\0b").is_some());
        assert!(identifier_problem(&"a".repeat(64)).is_some());
        assert!(identifier_problem(&"a".repeat(63)).is_none());
    }

    #[test]
    fn conf_names_and_lines() {
        assert!(is_conf_name("work_mem"));
        assert!(is_conf_name("pg_stat_statements.track"));
        assert!(!is_conf_name("a = 1\nssl"));
        assert!(!is_conf_name("a.b.c"));
        assert!(!is_conf_name("1a"));
        assert!(fits_conf_line("'a b'"));
        assert!(!fits_conf_line("a\nfsync = off"));
        assert!(!fits_conf_line("a\r"));
    }

    #[test]
    fn key_vault_secret_names() {
        assert!(is_key_vault_secret_name("db-admin-password"));
        assert!(!is_key_vault_secret_name("db_admin"));
        assert!(!is_key_vault_secret_name(""));
        assert!(!is_key_vault_secret_name(&"a".repeat(128)));
    }
}
