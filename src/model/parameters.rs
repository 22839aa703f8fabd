//! The server parameters a Flexible Server is deployed with: the design's, and the ones its
//! extensions need, written so that nothing the server preloads by default is lost.

use std::collections::BTreeMap;

use crate::model::azure_parameters;
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
/// the design's value or the server default of `major`
/// ([`azure_parameters::DEFAULT_PRELOAD`]), plus every library the extensions need, so that
/// nothing the server preloads by default is dropped (`pg_stat_statements`, and `pg_cron`
/// on every major but 17). Setting it replaces the list and is static, so a guessed default
/// would drop a library and cost a restart: on a major the table has no row for (none that
/// gen accepts today), the parameter is written only when the design sets it, and an
/// extension whose library is missing then fails at `CREATE EXTENSION`.
fn preload_libraries(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
    major: Option<u32>,
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
    let mut list = match set {
        Some(list) => list,
        None => major
            .and_then(azure_parameters::default_preload)?
            .map(str::to_owned)
            .collect(),
    };
    push_missing(&mut list, needed);
    Some(list.join(","))
}

/// Whether the server preloads pg_stat_statements: the written `shared_preload_libraries`
/// lists it, or none is written and the server default of `major` (which preloads it on
/// every major of the table) stays.
fn preloads_statements(preload: Option<&str>, major: Option<u32>) -> bool {
    let is_statements = |l: &str| l.eq_ignore_ascii_case("pg_stat_statements");
    match preload {
        Some(list) => split_list(list).iter().any(|l| is_statements(l)),
        None => major
            .and_then(azure_parameters::default_preload)
            .is_some_and(|mut d| d.any(is_statements)),
    }
}

/// The pg_stat_statements settings written whenever the module is preloaded (it records
/// statements once loaded, whether or not the SQL creates the extension), unless the design
/// sets them:
/// - `track = top`: Flexible Server's default is `none` on every major gen runs
///   ([`azure_parameters::DEFAULT_STATEMENTS_TRACK`]; `concepts-extensions.md` says `top`,
///   facts-azure.md §8), so the module might collect nothing;
/// - `track_utility = off`: the SQL target's `CREATE ROLE ... PASSWORD` would otherwise be
///   kept, password and all, in pg_stat_statements. The administrator is not a superuser
///   and cannot turn it off for its own session, so the server does.
fn statements_setting(
    parameters: &BTreeMap<String, Scalar>,
    preload: Option<&str>,
    major: Option<u32>,
    name: &str,
    value: &str,
) -> Option<String> {
    (preloads_statements(preload, major) && !parameters.contains_key(name))
        .then(|| value.to_owned())
}

/// The parameters `main.bicep` sets, name and value: the design's in name order, then
/// `azure.extensions`, `shared_preload_libraries`, `pg_stat_statements.track_utility` and
/// `pg_stat_statements.track` where the extensions need them (a design that sets one of those gets the merged value).
/// `major` is the server's (`None` if its version is not a number).
pub fn deployed(
    parameters: &BTreeMap<String, Scalar>,
    extensions: &[String],
    major: Option<u32>,
) -> Vec<(String, String)> {
    let preload = preload_libraries(parameters, extensions, major);
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
                major,
                "pg_stat_statements.track_utility",
                "off",
            ),
        ),
        (
            "pg_stat_statements.track",
            statements_setting(
                parameters,
                preload.as_deref(),
                major,
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
            preload_libraries(&parameters, &["uuid-ossp".to_owned()], Some(17)),
            None
        );
        let used = ["pg_stat_statements".to_owned(), "pgaudit".to_owned()];
        assert_eq!(
            preload_libraries(&parameters, &used, Some(17)).as_deref(),
            Some("pg_stat_statements,pgaudit")
        );
        // Every other major preloads pg_cron by default too.
        assert_eq!(
            preload_libraries(&parameters, &used, Some(16)).as_deref(),
            Some("pg_cron,pg_stat_statements,pgaudit")
        );
        // No default is guessed for a major the table lacks: the design must set it.
        assert_eq!(preload_libraries(&parameters, &used, Some(10)), None);
        assert_eq!(preload_libraries(&parameters, &used, None), None);
        let mut set = BTreeMap::new();
        set.insert(
            "shared_preload_libraries".to_owned(),
            Scalar::Text("pg_stat_statements".to_owned()),
        );
        assert_eq!(
            preload_libraries(&set, &used, Some(10)).as_deref(),
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
            deployed(p, e, Some(16))
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
        // Nor does a major whose default the table lacks, unless the design preloads it.
        assert_eq!(deployed(&none, &[], Some(10)), vec![]);
        // A design's own value is kept.
        let mut all = BTreeMap::new();
        all.insert(
            "pg_stat_statements.track".to_owned(),
            Scalar::Text("all".to_owned()),
        );
        let got = deployed(&all, &[], Some(17));
        assert!(got.contains(&("pg_stat_statements.track".to_owned(), "all".to_owned())));
        assert_eq!(
            got.iter()
                .filter(|(n, _)| n == "pg_stat_statements.track")
                .count(),
            1
        );
    }
}
