//! The literal-secret scan: inputs name where secrets live, they never hold one.
//!
//! It runs on the raw tree, before the schema, so that a `password:` key anywhere (even
//! inside free-form seed rows) is reported as what it is rather than as an unknown field.

use crate::diagnostics::Diagnostic;
use crate::load::SourceFile;
use crate::yaml::{Node, NodeKind};

/// Key names that hold a secret value when their value is text.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "clientsecret",
    "connectionstring",
    "credential",
    "credentials",
    "sastoken",
];

/// Whether `key` names a secret value (`password`, `api_key`, `clientSecret`…), as opposed
/// to naming where a secret lives (`passwordSecret`, `uriSecret`).
pub fn is_secret_key(key: &str) -> bool {
    // Folded once into a buffer on the stack: this runs on every key of every input file.
    // A key longer than every secret key once folded is none of them. (A non-ASCII
    // character is never alphanumeric ASCII, in any of its bytes.)
    let mut folded = [0u8; LONGEST_SECRET_KEY];
    let mut len = 0;
    for b in key.bytes().filter(u8::is_ascii_alphanumeric) {
        if len == folded.len() {
            return false;
        }
        folded[len] = b.to_ascii_lowercase();
        len += 1;
    }
    SECRET_KEYS.iter().any(|k| k.as_bytes() == &folded[..len])
}

/// The length of the longest of `SECRET_KEYS`.
const LONGEST_SECRET_KEY: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < SECRET_KEYS.len() {
        if SECRET_KEYS[i].len() > longest {
            longest = SECRET_KEYS[i].len();
        }
        i += 1;
    }
    longest
};

/// Whether a text value carries a password inside a URL (`postgres://user:pw@host`).
fn has_url_password(text: &str) -> bool {
    text.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// Every literal secret in a file.
pub fn literal_secrets(file: &SourceFile) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    visit(&file.root, file, &mut found);
    found
}

fn visit(node: &Node, file: &SourceFile, found: &mut Vec<Diagnostic>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                let holds_text = matches!(value.kind, NodeKind::Str(_) | NodeKind::Int(_));
                if is_secret_key(&key.name) && holds_text {
                    found.push(
                        Diagnostic::new(
                            file.display.clone(),
                            key.pos,
                            format!("`{}` holds a literal secret", key.name),
                        )
                        .expected("the name of a secret (e.g. `passwordSecret: my-app-password`)")
                        .found("a value")
                        .hint(
                            "inputs never hold secrets: store the value in a Kubernetes Secret \
                             or the Key Vault and name it here; then rotate the exposed value",
                        ),
                    );
                }
                visit(value, file, found);
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|item| visit(item, file, found)),
        NodeKind::Str(text) if has_url_password(text) => found.push(
            Diagnostic::new(
                file.display.clone(),
                node.pos,
                "a URL with an embedded password",
            )
            .expected("a URL without credentials")
            .found("`scheme://user:password@host`")
            .hint(
                "keep credentials in a secret and name it instead; then rotate the exposed value",
            ),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{
        assert_one, validate_example_with, validate_example_with_edits,
    };

    #[test]
    fn secret_keys_are_told_from_secret_names() {
        assert!(is_secret_key("password"));
        assert!(is_secret_key("api_key"));
        assert!(is_secret_key("clientSecret"));
        assert!(is_secret_key("Pass-Word"));
        assert!(!is_secret_key("pässword"), "ä is dropped, not folded to a");
        assert!(!is_secret_key("passwordSecret"));
        assert!(!is_secret_key("uriSecret"));
        assert!(!is_secret_key("credentialsSecret"));
        assert!(
            is_secret_key("Connection_String"),
            "the longest secret key fits"
        );
        assert!(
            !is_secret_key("connectionstrings"),
            "one byte longer than any"
        );
        assert!(!is_secret_key(""));
    }

    #[test]
    fn url_passwords_are_found() {
        assert!(has_url_password("postgres://app:hunter2@db:5432/x"));
        assert!(!has_url_password("https://example.com/a@b"));
        assert!(!has_url_password("postgres://app@db/x"));
    }

    #[test]
    fn a_literal_password_is_an_error_at_its_key() {
        let found = validate_example_with(
            "services/auth.yaml",
            "      passwordSecret: phonebill-auth-user-password",
            "      password: not-a-real-one",
        );
        // The role also lacks its passwordSecret now: that is reported by the schema.
        assert!(
            found
                .iter()
                .any(|d| d.location() == "services/auth.yaml:12:7"
                    && d.message.contains("literal secret")),
            "{found:#?}"
        );
        assert!(
            !found
                .iter()
                .any(|d| d.message.contains("unknown field `password`"))
        );
    }

    #[test]
    fn a_boolean_password_switch_is_not_a_secret() {
        assert!(
            crate::validate::testing::validate_example_with_edits(&[
                ("services/auth.yaml", "password: true", "password: false"),
                crate::validate::testing::AUTH_WITHOUT_ROLES,
            ])
            .is_empty()
        );
    }

    #[test]
    fn a_url_with_a_password_is_an_error() {
        let found = validate_example_with(
            "project.yaml",
            "  owner: phonebill-platform",
            "  owner: postgres://a:b@c/d",
        );
        assert_one(&found, "project.yaml:6:10", "embedded password");
    }

    #[test]
    fn a_secret_pasted_where_its_name_belongs_is_never_echoed() {
        // Each field that names a secret, holding what a hurried user pastes there instead.
        let pasted = [
            (
                "services/auth.yaml",
                "passwordSecret: phonebill-auth-user-password",
                "passwordSecret: \"Au$th2025!Prod\"",
            ),
            (
                "services/auth.yaml",
                "administratorPasswordSecret: phonebill-auth-admin-password",
                "administratorPasswordSecret: \"Adm1n pass!\"",
            ),
            (
                "services/bill-inquiry.yaml",
                "passwordSecret: bill-inquiry-app-password",
                "passwordSecret: \"Bill pass#1\"",
            ),
            (
                "services/bill-inquiry.yaml",
                "credentialsSecret: postgresql-bill-inquiry-credentials",
                "credentialsSecret: \"Cred$Pass9\"",
            ),
            (
                "environments/prod.yaml",
                "uriSecret: teams-webhook-url",
                "uriSecret: \"https://hooks.example/x?sig=Zm9vYmFy\"",
            ),
        ];
        let found = validate_example_with_edits(&pasted);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(found.len() >= pasted.len(), "{shown:#?}");
        for (_, _, with) in pasted {
            let value = with.split_once(": ").unwrap().1.trim_matches('"');
            for text in &shown {
                assert!(!text.contains(value), "`{value}` echoed in:\n{text}");
            }
        }
        assert!(
            shown.iter().all(|t| t.contains("characters, not shown")),
            "{shown:#?}"
        );
        // Refused by the schema (a number where a name belongs): not echoed either.
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "certificateSecret: postgresql-bill-inquiry-tls",
            "certificateSecret: 20261204",
        );
        let shown = found[0].to_string();
        assert!(!shown.contains("20261204"), "{shown}");
    }
}
