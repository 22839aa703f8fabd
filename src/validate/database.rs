//! Rules on a service's database: PostgreSQL identifiers, seed rows, the timezone, search
//! paths and the roles' session timeouts.

use crate::diagnostics::{self, Diagnostic};
use crate::duration::{TIMEOUT_FORMS, parse_timeout_ms};
use crate::names::{
    MAX_IDENTIFIER_BYTES, identifier_problem, printable, reads_as_connection_string,
};
use crate::path;
use crate::validate::Design;
use crate::yaml::Seg;

/// A timezone is a name (`Asia/Seoul`, `UTC`, `Etc/GMT-9`) or a POSIX rule (`KST-9`): never
/// empty, never with spaces or control characters. postgresql.conf takes the value on one
/// line (a line break in it reached the template's filter before, as a bug in gen).
pub(super) fn timezones_are_names(design: &Design, out: &mut Vec<Diagnostic>) {
    const EXPECTED: &str = "an IANA name such as `Asia/Seoul` or `UTC`";
    let project = &design.project;
    if let Some(found) = unusable_timezone(project.value.defaults.database.timezone.as_deref()) {
        let at = path!["defaults", "database", "timezone"];
        out.push(
            project
                .at(at, "not a timezone name")
                .expected(EXPECTED)
                .found(found),
        );
    }
    for service in &design.services {
        if let Some(found) = unusable_timezone(service.value.database.timezone.as_deref()) {
            let at = path!["database", "timezone"];
            out.push(
                service
                    .at(at, "not a timezone name")
                    .expected(EXPECTED)
                    .found(found),
            );
        }
    }
}

/// The timezone as reported, when it is set and cannot be a timezone.
fn unusable_timezone(timezone: Option<&str>) -> Option<String> {
    let timezone = timezone?;
    let unusable = timezone.is_empty()
        || timezone
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    unusable.then(|| format!("`{}`", timezone.escape_debug()))
}

/// A seed row is matched by its key, so every row needs every key column.
pub(super) fn seed_rows_have_their_keys(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        for (i, seed) in service.value.database.seed_data.iter().enumerate() {
            if seed.key.is_empty() {
                out.push(
                    service
                        .at(
                            path!["database", "seedData", i, "key"],
                            "a seed table needs at least one key column",
                        )
                        .hint("the key decides whether a row is already there"),
                );
            }
            for (j, row) in seed.rows.iter().enumerate() {
                for key in seed.key.iter().filter(|k| !row.contains_key(*k)) {
                    out.push(
                        service
                            .at(
                                path!["database", "seedData", i, "rows", j],
                                format!("the row has no value for key column `{key}`"),
                            )
                            .expected(format!(
                                "every key column: {}",
                                diagnostics::list(&seed.key)
                            ))
                            .found(diagnostics::list(row.keys())),
                    );
                }
            }
        }
    }
}

/// Role names PostgreSQL refuses outright.
const RESERVED_ROLE_NAMES: &[&str] = &[
    "public",
    "none",
    "current_user",
    "session_user",
    "current_role",
];

/// Database, role, schema, seed table and column names: at most 63 bytes, no control
/// characters (a line break in a name would end a psql meta-command such as `\connect`),
/// and not reserved.
pub(super) fn postgres_identifiers_are_usable(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let db = &service.value.database;
        let mut names: Vec<(String, Vec<Seg>, &str)> = vec![(
            db.name.clone(),
            path!["database", "name"].to_vec(),
            "database",
        )];
        for (i, role) in db.roles.iter().enumerate() {
            names.push((
                role.name.clone(),
                path!["database", "roles", i, "name"].to_vec(),
                "role",
            ));
            if RESERVED_ROLE_NAMES.contains(&role.name.to_lowercase().as_str()) {
                out.push(
                    service
                        .at(
                            path!["database", "roles", i, "name"],
                            format!("`{}` cannot be a role name", role.name),
                        )
                        .hint("PostgreSQL reserves it"),
                );
            }
        }
        for (i, schema) in db.schemas.iter().enumerate() {
            names.push((
                schema.clone(),
                path!["database", "schemas", i].to_vec(),
                "schema",
            ));
            if schema == "public" || schema == "information_schema" {
                out.push(
                    service
                        .at(
                            path!["database", "schemas", i],
                            format!("schema `{schema}` always exists"),
                        )
                        .hint("list only the schemas to create besides `public`"),
                );
            }
        }
        for (i, seed) in db.seed_data.iter().enumerate() {
            for part in seed.table.split('.') {
                names.push((
                    part.to_owned(),
                    path!["database", "seedData", i, "table"].to_vec(),
                    "table",
                ));
            }
            if seed.table.split('.').count() > 2 {
                out.push(
                    service
                        .at(
                            path!["database", "seedData", i, "table"],
                            "a table is `name` or `schema.name`",
                        )
                        .found(format!("`{}`", seed.table)),
                );
            }
            for (j, key) in seed.key.iter().enumerate() {
                names.push((
                    key.clone(),
                    path!["database", "seedData", i, "key", j].to_vec(),
                    "column",
                ));
            }
            for (j, row) in seed.rows.iter().enumerate() {
                for column in row.keys() {
                    if let Some(problem) = identifier_problem(column) {
                        out.push(
                            service
                                .at_key(
                                    path!["database", "seedData", i, "rows", j],
                                    column,
                                    format!(
                                        "column `{}` is not a usable PostgreSQL name",
                                        printable(column)
                                    ),
                                )
                                .found(problem),
                        );
                    }
                }
            }
        }
        for (name, at, what) in names {
            if let Some(problem) = identifier_problem(&name) {
                out.push(
                    service
                        .at(&at, format!("{what} `{}` is not a usable PostgreSQL name", printable(&name)))
                        .expected(format!("at most {MAX_IDENTIFIER_BYTES} bytes on one line, no control characters, not `postgres`, `pg_*` or `azure_*`"))
                        .found(problem),
                );
            }
        }
    }
}

/// The scripts pass the database's name to psql's `\connect`, which reads an argument
/// with `=` or a `postgres://` prefix as a connection string: such a name could send the
/// administrator's session, password included, to another host.
pub(super) fn database_names_are_not_connection_strings(
    design: &Design,
    out: &mut Vec<Diagnostic>,
) {
    for service in &design.services {
        let name = &service.value.database.name;
        if reads_as_connection_string(name) {
            out.push(
                service
                    .at(
                        path!["database", "name"],
                        format!("database `{}` would be a connection string to psql", printable(name)),
                    )
                    .hint("psql's \\connect reads a name with `=` or a `postgres://` prefix as connection settings; choose a name without them"),
            );
        }
    }
}

/// The database's owner role (`ownerRole`, or `<name>_owner`) is a usable name, and not
/// one of the design's login roles: it owns everything and nobody logs in as it.
pub(super) fn owner_role_is_usable(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let db = &service.value.database;
        // A database name that is unusable is reported once, as itself.
        if db.owner_role.is_none() && identifier_problem(&db.name).is_some() {
            continue;
        }
        let owner = crate::model::database::owner_role(db);
        let at = if db.owner_role.is_some() {
            path!["database", "ownerRole"].to_vec()
        } else {
            path!["database", "name"].to_vec()
        };
        if let Some(problem) = identifier_problem(&owner) {
            let hint = if db.owner_role.is_none() {
                "the owner role is named `<database>_owner`: set `database.ownerRole` to another name"
            } else {
                "choose another name"
            };
            out.push(
                service
                    .at(
                        &at,
                        format!(
                            "owner role `{}` is not a usable PostgreSQL name",
                            printable(&owner)
                        ),
                    )
                    .found(problem)
                    .hint(hint),
            );
        }
        if let Some(i) = db.roles.iter().position(|r| r.name == owner) {
            out.push(
                service
                    .at(path!["database", "roles", i, "name"], format!("`{owner}` is the database's owner role"))
                    .hint("the owner role cannot log in; name the login role differently, or set `database.ownerRole`"),
            );
        }
    }
}

/// The scripts' lock timeout is written as gen reads timeouts, and not `0`: a run must
/// never wait without end behind the application.
pub(super) fn script_lock_timeout_is_a_duration(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let Some(text) = &service.value.database.script_lock_timeout else {
            continue;
        };
        if !matches!(parse_timeout_ms(text), Some(ms) if ms > 0) {
            out.push(
                service
                    .at(path!["database", "scriptLockTimeout"], "not a lock timeout")
                    .expected("a duration such as `500ms`, `5s` or `1m`, not `0`")
                    .found(format!("`{}`", text.escape_debug())),
            );
        }
    }
}

/// A search path names schemas the scripts create (`public` or one of `schemas`), each
/// once: a schema that does not exist is skipped by PostgreSQL, so a typo would quietly
/// send unqualified names elsewhere.
pub(super) fn search_paths_name_the_design_schemas(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let db = &service.value.database;
        let mut paths = vec![(path!["database", "searchPath"].to_vec(), &db.search_path)];
        for (i, role) in db.roles.iter().enumerate() {
            paths.push((
                path!["database", "roles", i, "searchPath"].to_vec(),
                &role.search_path,
            ));
        }
        for (at, search_path) in paths {
            let Some(search_path) = search_path else {
                continue;
            };
            if search_path.is_empty() {
                out.push(
                    service
                        .at(&at, "an empty search path")
                        .hint("list at least one schema, or leave the field out for the default"),
                );
            }
            for (j, schema) in search_path.iter().enumerate() {
                let mut element = at.clone();
                element.push(Seg::Index(j));
                let known = schema == "public" || db.schemas.contains(schema);
                if !known {
                    out.push(
                        service
                            .at(
                                &element,
                                format!(
                                    "schema `{}` is not one of the database's",
                                    printable(schema)
                                ),
                            )
                            .expected("`public` or a schema listed in `database.schemas`"),
                    );
                } else if search_path[..j].contains(schema) {
                    out.push(service.at(&element, format!("schema `{schema}` is listed twice")));
                }
            }
        }
    }
}

/// A role's session timeouts are written as gen reads them (`30s`, `5m`, `0`) and fit
/// PostgreSQL's `int` milliseconds.
pub(super) fn role_timeouts_are_durations(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        for (i, role) in service.value.database.roles.iter().enumerate() {
            let timeouts = [
                ("statementTimeout", &role.statement_timeout),
                ("lockTimeout", &role.lock_timeout),
                (
                    "idleInTransactionSessionTimeout",
                    &role.idle_in_transaction_session_timeout,
                ),
            ];
            for (field, value) in timeouts {
                let Some(text) = value else { continue };
                if parse_timeout_ms(text).is_none() {
                    out.push(
                        service
                            .at(path!["database", "roles", i, field], "not a timeout")
                            .expected(format!("{TIMEOUT_FORMS}, at most 596h"))
                            .found(format!("`{}`", text.escape_debug())),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{assert_one, validate_example_with};

    #[test]
    fn a_timezone_is_a_name_on_one_line() {
        let found = validate_example_with(
            "project.yaml",
            "timezone: Asia/Seoul",
            "timezone: \"Asia/Seoul\\nfsync = off\"",
        );
        assert_one(&found, "project.yaml:10:15", "not a timezone name");
        let found = validate_example_with(
            "services/auth.yaml",
            "  locale: ko_KR.UTF-8",
            "  timezone: \"\"\n  locale: ko_KR.UTF-8",
        );
        assert_one(&found, "services/auth.yaml:5:13", "not a timezone name");
        let found = validate_example_with(
            "services/auth.yaml",
            "  locale: ko_KR.UTF-8",
            "  timezone: Etc/GMT-9\n  locale: ko_KR.UTF-8",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn identifiers_must_fit_and_not_be_reserved() {
        assert!(identifier_problem("pg_app").is_some());
        assert!(identifier_problem("Azure_x").is_some());
        assert!(identifier_problem(&"a".repeat(64)).is_some());
        assert!(identifier_problem(&"a".repeat(63)).is_none());
        let found = validate_example_with(
            "services/auth.yaml",
            "  name: phonebill_auth\n",
            "  name: pg_auth\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:4:9",
            "database `pg_auth` is not a usable PostgreSQL name",
        );
        let long = format!("  name: {}\n", "한".repeat(22));
        let found = validate_example_with("services/auth.yaml", "  name: phonebill_auth\n", &long);
        assert_one(
            &found,
            "services/auth.yaml:4:9",
            "not a usable PostgreSQL name",
        );
    }

    #[test]
    fn seed_rows_need_their_key_columns() {
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "{ config_key: kos.retry.max.attempts, ",
            "{ ",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:24:11",
            "no value for key column `config_key`",
        );
    }

    #[test]
    fn search_paths_name_schemas_of_the_design() {
        let found = validate_example_with(
            "services/auth.yaml",
            "  schemaFile:",
            "  searchPath: [public, audit]\n  schemaFile:",
        );
        assert_one(
            &found,
            "services/auth.yaml:7:24",
            "schema `audit` is not one of the database's",
        );
        let found = validate_example_with(
            "services/auth.yaml",
            "      connectionLimit: 50\n",
            "      connectionLimit: 50\n      searchPath: [public, public]\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:12:28",
            "schema `public` is listed twice",
        );
        let found = validate_example_with(
            "services/auth.yaml",
            "  schemaFile:",
            "  searchPath: []\n  schemaFile:",
        );
        assert_one(&found, "services/auth.yaml:7:15", "an empty search path");
    }

    #[test]
    fn role_timeouts_must_parse() {
        let found = validate_example_with(
            "services/auth.yaml",
            "      connectionLimit: 50\n",
            "      connectionLimit: 50\n      lockTimeout: 10 seconds\n",
        );
        assert_one(&found, "services/auth.yaml:12:20", "not a timeout");
        let found = validate_example_with(
            "services/auth.yaml",
            "      connectionLimit: 50\n",
            "      connectionLimit: 50\n      statementTimeout: 30s\n      idleInTransactionSessionTimeout: \"0\"\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_database_name_is_never_a_connection_string() {
        let found = validate_example_with(
            "services/auth.yaml",
            "  name: phonebill_auth\n",
            "  name: \"auth host=evil.example\"\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:4:9",
            "would be a connection string to psql",
        );
    }

    #[test]
    fn the_owner_role_fits_and_is_not_a_login_role() {
        let long = format!("  name: {}\n", "d".repeat(60));
        let found = validate_example_with("services/auth.yaml", "  name: phonebill_auth\n", &long);
        assert_one(&found, "services/auth.yaml:4:9", "owner role");
        let found = validate_example_with(
            "services/auth.yaml",
            "    - name: phonebill_auth_user\n",
            "    - name: phonebill_auth_owner\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:9:13",
            "`phonebill_auth_owner` is the database's owner role",
        );
    }

    #[test]
    fn the_script_lock_timeout_is_a_positive_duration() {
        let found = validate_example_with(
            "services/auth.yaml",
            "  schemaFile:",
            "  scriptLockTimeout: \"0\"\n  schemaFile:",
        );
        assert_one(&found, "services/auth.yaml:7:22", "not a lock timeout");
    }
}
