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

/// The server's default `shared_preload_libraries` on Flexible Server; a value we write starts
/// from it so that nothing preloaded by default is lost, and adds what the extensions need.
/// Source: Microsoft's generated server-parameter tables for PostgreSQL 17
/// (MicrosoftDocs `includes/param-17-*.md`, in the reference data's facts-azure.md §4):
/// default `pg_stat_statements`. It used to read `pg_cron, pg_stat_statements`, which wrote a
/// preload of pg_cron that no design asked for (a static change, so a restart). A major whose
/// default differs needs a row of its own here, from its `param-<major>-*` table.
const DEFAULT_PRELOAD: &[&str] = &["pg_stat_statements"];

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

/// Whether the server preloads pg_stat_statements: the written `shared_preload_libraries`
/// lists it, or none is written and the server default (which preloads it) stays.
fn preloads_statements(preload: Option<&str>) -> bool {
    preload.is_none_or(|list| {
        split_list(list)
            .iter()
            .any(|l| l.eq_ignore_ascii_case("pg_stat_statements"))
    })
}

/// The pg_stat_statements settings written whenever the module is preloaded (it records
/// statements once loaded, whether or not the SQL creates the extension), unless the design
/// sets them:
/// - `track = top`: Flexible Server's default is `none` (facts-azure.md §4, the v17
///   parameter table), so the module would collect nothing;
/// - `track_utility = off`: the SQL target's `CREATE ROLE ... PASSWORD` would otherwise be
///   kept, password and all, in pg_stat_statements. The administrator is not a superuser
///   and cannot turn it off for its own session, so the server does.
fn statements_setting(
    parameters: &BTreeMap<String, Scalar>,
    preload: Option<&str>,
    name: &str,
    value: &str,
) -> Option<String> {
    (preloads_statements(preload) && !parameters.contains_key(name)).then(|| value.to_owned())
}

/// The parameters `main.bicep` sets, name and value: the design's in name order, then
/// `azure.extensions`, `shared_preload_libraries`, `pg_stat_statements.track_utility` and
/// `pg_stat_statements.track` where the extensions need them (a design that sets one of those gets the merged value).
pub fn deployed(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
) -> Vec<(String, String)> {
    let preload = preload_libraries(parameters, extensions);
    let derived = [
        (
            "azure.extensions",
            allowed_extensions(parameters, extensions),
        ),
        ("shared_preload_libraries", preload.clone()),
        (
            "pg_stat_statements.track_utility",
            statements_setting(
                parameters,
                preload.as_deref(),
                "pg_stat_statements.track_utility",
                "off",
            ),
        ),
        (
            "pg_stat_statements.track",
            statements_setting(
                parameters,
                preload.as_deref(),
                "pg_stat_statements.track",
                "top",
            ),
        ),
    ];
    let design: Vec<(String, String)> = parameters
        .iter()
        .filter(|(name, _)| !derived.iter().any(|(d, v)| d == name && v.is_some()))
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
            Some("pg_stat_statements,pgaudit")
        );
        assert_eq!(
            allowed_extensions(&parameters, &["UUID-OSSP".to_owned()]).as_deref(),
            Some("uuid-ossp")
        );
    }

    #[test]
    fn statements_are_tracked_whenever_preloaded() {
        let none = BTreeMap::new();
        let names = |p: &BTreeMap<String, Scalar>, e: &[String]| -> Vec<(String, String)> {
            deployed(p, e)
                .into_iter()
                .filter(|(n, _)| n.starts_with("pg_stat_statements."))
                .collect()
        };
        // The server default preloads it even when the design lists no extension.
        let expected = vec![
            (
                "pg_stat_statements.track_utility".to_owned(),
                "off".to_owned(),
            ),
            ("pg_stat_statements.track".to_owned(), "top".to_owned()),
        ];
        assert_eq!(names(&none, &[]), expected);
        assert_eq!(names(&none, &["pgaudit".to_owned()]), expected);
        // A design that drops it from the preload list gets neither.
        let mut dropped = BTreeMap::new();
        dropped.insert(
            "shared_preload_libraries".to_owned(),
            Scalar::Text("pg_cron".to_owned()),
        );
        assert_eq!(names(&dropped, &[]), vec![]);
        // A design's own value is kept.
        let mut all = BTreeMap::new();
        all.insert(
            "pg_stat_statements.track".to_owned(),
            Scalar::Text("all".to_owned()),
        );
        let got = deployed(&all, &[]);
        assert!(got.contains(&("pg_stat_statements.track".to_owned(), "all".to_owned())));
        assert_eq!(
            got.iter()
                .filter(|(n, _)| n == "pg_stat_statements.track")
                .count(),
            1
        );
    }
}
