//! The server parameters a Flexible Server is deployed with: the design's, and the ones its
//! extensions need, written so that nothing the server preloads by default is lost.

use std::collections::BTreeMap;

use crate::model::database::Scalar;

/// Extensions that only work when their library is preloaded, and that library.
const PRELOADED_EXTENSIONS: &[(&str, &str)] = &[
    ("pg_stat_statements", "pg_stat_statements"),
    ("pg_cron", "pg_cron"),
    ("pgaudit", "pgaudit"),
    ("pg_hint_plan", "pg_hint_plan"),
    ("pg_partman", "pg_partman_bgw"),
    ("pg_squeeze", "pg_squeeze"),
    ("timescaledb", "timescaledb"),
    ("pglogical", "pglogical"),
    ("anon", "anon"),
    ("azure_storage", "azure_storage"),
];

/// The server's default `shared_preload_libraries` (PostgreSQL 15 and later on Flexible
/// Server); a value we write starts from it so that nothing preloaded by default is lost.
const DEFAULT_PRELOAD: &[&str] = &["pg_cron", "pg_stat_statements"];

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn push_missing(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// `azure.extensions`: the design's own value, if any, plus every extension the SQL creates
/// (lowercase, as Azure's allow-list spells them).
fn allowed_extensions(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
) -> Option<String> {
    let mut list = parameters
        .get("azure.extensions")
        .map(|v| split_list(&v.to_text()))
        .unwrap_or_default();
    push_missing(&mut list, extensions.iter().map(|e| e.to_lowercase()));
    (!list.is_empty()).then(|| list.join(","))
}

/// `shared_preload_libraries`, written whenever an extension needs a preloaded library:
/// the design's value or the server default, plus every library the extensions need, so
/// that `pg_stat_statements` stays when that extension is used.
fn preload_libraries(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
) -> Option<String> {
    let needed: Vec<String> = extensions
        .iter()
        .filter_map(|e| {
            PRELOADED_EXTENSIONS
                .iter()
                .find(|(ext, _)| e.eq_ignore_ascii_case(ext))
        })
        .map(|(_, library)| (*library).to_owned())
        .collect();
    let set = parameters
        .get("shared_preload_libraries")
        .map(|v| split_list(&v.to_text()));
    if needed.is_empty() && set.is_none() {
        return None;
    }
    let mut list = set.unwrap_or_else(|| DEFAULT_PRELOAD.iter().map(|s| (*s).to_owned()).collect());
    push_missing(&mut list, needed);
    Some(list.join(","))
}

/// `pg_stat_statements.track_utility` off when pg_stat_statements is used: the SQL
/// target's `CREATE ROLE ... PASSWORD` would otherwise be kept, password and all, in
/// pg_stat_statements. The administrator is not a superuser and cannot turn it off for its
/// own session, so the server does. A design that sets it keeps its value.
fn untracked_utility(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
) -> Option<String> {
    let used = extensions
        .iter()
        .any(|e| e.eq_ignore_ascii_case("pg_stat_statements"));
    let set = parameters.contains_key("pg_stat_statements.track_utility");
    (used && !set).then(|| "off".to_owned())
}

/// The parameters `main.bicep` sets, name and value: the design's in name order, then
/// `azure.extensions`, `shared_preload_libraries` and `pg_stat_statements.track_utility`
/// where the extensions need them (a design that sets one of those gets the merged value).
pub fn deployed(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
) -> Vec<(String, String)> {
    let derived = [
        (
            "azure.extensions",
            allowed_extensions(parameters, extensions),
        ),
        (
            "shared_preload_libraries",
            preload_libraries(parameters, extensions),
        ),
        (
            "pg_stat_statements.track_utility",
            untracked_utility(parameters, extensions),
        ),
    ];
    let design: Vec<(String, String)> = parameters
        .iter()
        .filter(|(name, _)| !derived.iter().any(|(d, _)| d == name))
        .map(|(name, value)| (name.clone(), value.to_text()))
        .collect();
    let derived = derived
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)));
    design.into_iter().chain(derived).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preload_keeps_the_default_and_adds_what_extensions_need() {
        let parameters = BTreeMap::new();
        assert_eq!(
            preload_libraries(&parameters, &["uuid-ossp".to_owned()]),
            None
        );
        let used = ["pg_stat_statements".to_owned(), "pgaudit".to_owned()];
        assert_eq!(
            preload_libraries(&parameters, &used).as_deref(),
            Some("pg_cron,pg_stat_statements,pgaudit")
        );
        assert_eq!(
            allowed_extensions(&parameters, &["UUID-OSSP".to_owned()]).as_deref(),
            Some("uuid-ossp")
        );
    }
}
