//! The database part of the README (`_database.md.j2`), the same on both platforms: the
//! database, its roles and seed rows, and the query that counts the seeded rows.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Scalar, Target};
use crate::render::filters::{sql_ident_str, sql_literal_str};

#[derive(Debug, Serialize)]
pub(super) struct DatabaseView {
    name: String,
    owner_role: String,
    encoding: String,
    locale: Option<String>,
    timezone: String,
    extensions: Vec<String>,
    schemas: Vec<String>,
    /// psql's `\dt` for each schema, its name quoted as psql reads a meta-command argument.
    list_tables: Vec<String>,
    schema_file: Option<String>,
    /// Migration files, in run order.
    migrations: Vec<String>,
    /// The table that records them.
    history: String,
    roles: Vec<RoleView>,
    seeds: Vec<SeedView>,
}

#[derive(Debug, Serialize)]
struct RoleView {
    name: String,
    access: &'static str,
    connection_limit: u32,
    secret: String,
    env: String,
    search_path: Vec<String>,
    timeouts: String,
    read_only: bool,
}

/// One seeded table and the query that counts its seeded rows.
#[derive(Debug, Serialize)]
struct SeedView {
    table: String,
    key: Vec<String>,
    rows: usize,
    count_sql: String,
}

fn sql_value(value: &Scalar) -> String {
    match value {
        Scalar::Bool(true) => "TRUE".to_owned(),
        Scalar::Bool(false) => "FALSE".to_owned(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Text(t) => sql_literal_str(t).unwrap_or_else(|_| "NULL".to_owned()),
    }
}

/// PostgreSQL keywords that cannot name a table or column unquoted (reserved, and reserved
/// except as function or type names).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier as a person would type it: bare when PostgreSQL reads it bare as the same
/// name (lower case, not a keyword), quoted otherwise.
fn ident(name: &str) -> String {
    let bare = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !RESERVED.contains(&name);
    if bare {
        name.to_owned()
    } else {
        sql_ident_str(name).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

/// `SELECT count(*) FROM t WHERE (k1, k2) IN ((...), (...))`: how many of the seeded rows exist.
fn count_sql(table: &str, key: &[String], rows: &[BTreeMap<String, Scalar>]) -> String {
    let table = table.split_once('.').map_or_else(
        || ident(table),
        |(s, t)| format!("{}.{}", ident(s), ident(t)),
    );
    let columns: Vec<String> = key.iter().map(|k| ident(k)).collect();
    let one = columns.len() == 1;
    let tuples: Vec<String> = rows
        .iter()
        .map(|row| {
            let values: Vec<String> = key
                .iter()
                .map(|k| row.get(k).map_or_else(|| "NULL".to_owned(), sql_value))
                .collect();
            if one {
                values.join(", ")
            } else {
                format!("({})", values.join(", "))
            }
        })
        .collect();
    let columns = if one {
        columns.join(", ")
    } else {
        format!("({})", columns.join(", "))
    };
    format!(
        "SELECT count(*) FROM {table} WHERE {columns} IN ({})",
        tuples.join(", ")
    )
}

/// The database as the README shows it.
pub(super) fn view(target: &Target) -> DatabaseView {
    let db = &target.service.database;
    DatabaseView {
        name: db.name.clone(),
        owner_role: db.owner_role.clone(),
        encoding: db.encoding.clone(),
        locale: db.locale.clone(),
        timezone: db.timezone.clone(),
        extensions: db.extensions.clone(),
        schemas: db.all_schemas(),
        // Validation refuses the control characters that alone make a name unquotable.
        list_tables: db
            .all_schemas()
            .iter()
            .filter_map(|s| crate::render::filters::psql_arg_ident_str(s).ok())
            .map(|quoted| format!("\\dt {quoted}.*"))
            .collect(),
        schema_file: db.schema_file.as_ref().map(|(rel, _)| rel.clone()),
        migrations: db.migrations.iter().map(|m| m.path.clone()).collect(),
        history: format!(
            "{}.{}",
            crate::migration_name::HISTORY_SCHEMA,
            crate::migration_name::HISTORY_TABLE
        ),
        roles: db
            .roles
            .iter()
            .map(|r| RoleView {
                name: r.name.clone(),
                access: r.access.as_str(),
                connection_limit: r.connection_limit,
                secret: r.password_secret.clone(),
                env: r.password_env.clone(),
                search_path: r.search_path.clone(),
                timeouts: format!(
                    "statements {}, lock waits {}, idle in a transaction {}",
                    human_ms(r.statement_timeout_ms),
                    human_ms(r.lock_timeout_ms),
                    human_ms(r.idle_in_transaction_timeout_ms)
                ),
                read_only: r.access != crate::model::Access::ReadWrite,
            })
            .collect(),
        seeds: db
            .seed_data
            .iter()
            .filter(|seed| !seed.rows.is_empty())
            .map(|seed| SeedView {
                table: seed.table.clone(),
                key: seed.key.clone(),
                rows: seed.rows.len(),
                count_sql: count_sql(&seed.table, &seed.key, &seed.rows),
            })
            .collect(),
    }
}

/// A timeout in milliseconds as people read it: `no limit`, `500 ms`, `30 s`, `5 min`, `2 h`.
fn human_ms(ms: u32) -> String {
    match ms {
        0 => "no limit".to_owned(),
        ms if ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        ms if ms % 1_000 == 0 => format!("{} s", ms / 1_000),
        ms => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_counts_quote_names_and_values() {
        let row = |k: &str, v: Scalar| std::iter::once((k.to_owned(), v)).collect();
        let sql = count_sql(
            "audit.set\"tings",
            &["key".to_owned()],
            &[
                row("key", Scalar::Text("it's".to_owned())),
                row("key", Scalar::Integer(3)),
            ],
        );
        assert_eq!(
            sql,
            "SELECT count(*) FROM audit.\"set\"\"tings\" WHERE key IN ('it''s', 3)"
        );
        let two: BTreeMap<String, Scalar> = [
            ("Order".to_owned(), Scalar::Bool(true)),
            ("user".to_owned(), Scalar::Text("a".to_owned())),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            count_sql("t", &["Order".to_owned(), "user".to_owned()], &[two]),
            "SELECT count(*) FROM t WHERE (\"Order\", \"user\") IN ((TRUE, 'a'))"
        );
    }
}
