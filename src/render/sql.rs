//! The SQL target: `sql/NN-*.psql`, run in name order by an administrator with
//! `psql -X -v ON_ERROR_STOP=1 -d postgres -f FILE`. The same scripts serve both platforms;
//! docs/sql-scripts.md says what they defend against and how.

use serde::Serialize;

use crate::model::{Access, Target};
use crate::render::{CommentStyle, RenderError, Templates, header};

/// What the SQL templates read. THESE FIELDS ARE USED BY `templates/sql/*`.
#[derive(Debug, Serialize)]
struct SqlView<'a> {
    database: &'a str,
    encoding: &'a str,
    locale: Option<&'a str>,
    timezone: &'a str,
    schemas: Vec<String>,
    search_path: &'a [String],
    owner: &'a str,
    lock_key: i64,
    script_lock_timeout_ms: u32,
    /// The comment that marks a login role as gen's for this database.
    role_marker: String,
    /// The comment that marks a schema as one of the design's.
    schema_marker: String,
    /// The comment that marks an extension as one of the design's.
    extension_marker: String,
    /// The spellings of the design's locale a database may have: as written, and as the
    /// Bicep deployment creates it (`ko_KR.utf8`).
    locale_spellings: Vec<String>,
    extensions: &'a [String],
    roles: Vec<RoleView<'a>>,
    schema_file: Option<SchemaFileView<'a>>,
    seed_rows: Vec<SeedRowView>,
    seed_tables: Vec<SeedTableView>,
    migrations: Vec<MigrationView<'a>>,
    history_schema: &'static str,
    history_table: &'static str,
    /// What the scripts converge to, as the line the next render reads (see `day_two`).
    design_state: String,
}

/// A seeded table: its conflict key, and every column a row sets (for the sequences of
/// serial and identity columns).
#[derive(Debug, Serialize)]
struct SeedTableView {
    schema: String,
    table: String,
    /// `"schema"."table"`, for functions that take a name as text (`to_regclass`).
    quoted: String,
    key: Vec<String>,
    /// The key columns in name order, as the check on its unique index lists them.
    sorted_key: Vec<String>,
    columns: Vec<String>,
}

/// One migration, for `07-migrations.psql`.
#[derive(Debug, Serialize)]
struct MigrationView<'a> {
    path: &'a str,
    version: &'a str,
    description: &'a str,
    checksum: &'a str,
    sql: &'a str,
}

#[derive(Debug, Serialize)]
struct RoleView<'a> {
    name: &'a str,
    access: &'static str,
    writes: bool,
    monitors: bool,
    connection_limit: u32,
    password_secret: &'a str,
    search_path: &'a [String],
    statement_timeout_ms: u32,
    lock_timeout_ms: u32,
    idle_in_transaction_timeout_ms: u32,
}

#[derive(Debug, Serialize)]
struct SchemaFileView<'a> {
    path: &'a str,
    sql: &'a str,
}

/// One seed row: columns in name order, and the key columns with their values. The
/// table is always schema-qualified: the seed script searches `pg_catalog` only.
#[derive(Debug, Serialize)]
struct SeedRowView {
    schema: String,
    table: String,
    columns: Vec<(String, serde_json::Value)>,
    key: Vec<(String, serde_json::Value)>,
    /// The columns, with the design's values, that an existing row gets (empty: keep the
    /// row as it is).
    updates: Vec<(String, serde_json::Value)>,
}

fn view(target: &Target) -> SqlView<'_> {
    let db = &target.service.database;
    SqlView {
        database: &db.name,
        encoding: &db.encoding,
        locale: db.locale.as_deref(),
        timezone: &db.timezone,
        schemas: db.all_schemas(),
        search_path: &db.search_path,
        owner: &db.owner_role,
        lock_key: db.advisory_lock_key,
        script_lock_timeout_ms: db.script_lock_timeout_ms,
        role_marker: format!("gen: a login role of database {}", db.name),
        schema_marker: format!("gen: a schema of the design of database {}", db.name),
        extension_marker: format!("gen: an extension of the design of database {}", db.name),
        locale_spellings: db
            .locale
            .iter()
            .flat_map(|l| {
                let glibc = super::bicep::collation(l);
                if glibc == *l {
                    vec![l.clone()]
                } else {
                    vec![l.clone(), glibc]
                }
            })
            .collect(),
        extensions: &db.extensions,
        roles: db
            .roles
            .iter()
            .map(|r| RoleView {
                name: &r.name,
                access: r.access.as_str(),
                writes: r.access == Access::ReadWrite,
                monitors: r.access == Access::Monitor,
                connection_limit: r.connection_limit,
                password_secret: &r.password_secret,
                search_path: &r.search_path,
                statement_timeout_ms: r.statement_timeout_ms,
                lock_timeout_ms: r.lock_timeout_ms,
                idle_in_transaction_timeout_ms: r.idle_in_transaction_timeout_ms,
            })
            .collect(),
        schema_file: db
            .schema_file
            .as_ref()
            .map(|(path, sql)| SchemaFileView { path, sql }),
        seed_rows: db
            .seed_data
            .iter()
            .flat_map(|seed| {
                let (schema, table) = qualified(&seed.table, &db.search_path);
                let update_existing = seed.update_existing;
                seed.rows.iter().map(move |row| SeedRowView {
                    schema: schema.clone(),
                    table: table.clone(),
                    columns: row.iter().map(|(c, v)| (c.clone(), v.to_json())).collect(),
                    key: seed
                        .key
                        .iter()
                        .filter_map(|k| row.get(k).map(|v| (k.clone(), v.to_json())))
                        .collect(),
                    updates: row
                        .iter()
                        .filter(|(c, _)| update_existing && !seed.key.contains(c))
                        .map(|(c, v)| (c.clone(), v.to_json()))
                        .collect(),
                })
            })
            .collect(),
        seed_tables: db
            .seed_data
            .iter()
            .filter(|seed| !seed.rows.is_empty())
            .map(|seed| {
                let (schema, table) = qualified(&seed.table, &db.search_path);
                let mut columns: Vec<String> = seed
                    .rows
                    .iter()
                    .flat_map(|row| row.keys().cloned())
                    .collect();
                columns.sort();
                columns.dedup();
                SeedTableView {
                    // Validation refuses the names these would fail on (empty, NUL).
                    quoted: format!(
                        "{}.{}",
                        super::filters::sql_ident_str(&schema).unwrap_or_default(),
                        super::filters::sql_ident_str(&table).unwrap_or_default()
                    ),
                    schema,
                    table,
                    sorted_key: {
                        let mut key = seed.key.clone();
                        key.sort();
                        key
                    },
                    key: seed.key.clone(),
                    columns,
                }
            })
            .collect(),
        migrations: db
            .migrations
            .iter()
            .map(|m| MigrationView {
                path: &m.path,
                version: &m.version,
                description: &m.description,
                checksum: &m.checksum,
                sql: &m.sql,
            })
            .collect(),
        history_schema: crate::migration_name::HISTORY_SCHEMA,
        history_table: crate::migration_name::HISTORY_TABLE,
        design_state: crate::day_two::State::of(target).to_comment_line(),
    }
}

/// A seed table as (schema, table): an unqualified one is where the schema file created
/// it, in the first schema of the database's search path.
fn qualified(table: &str, search_path: &[String]) -> (String, String) {
    match table.split_once('.') {
        Some((schema, table)) => (schema.to_owned(), table.to_owned()),
        None => (
            search_path
                .first()
                .cloned()
                .unwrap_or_else(|| "public".to_owned()),
            table.to_owned(),
        ),
    }
}

/// The scripts, in run order; a step with nothing to do is left out.
pub fn render(
    target: &Target,
    templates: &Templates,
) -> Result<Vec<(String, String)>, RenderError> {
    let view = view(target);
    let context = super::context(&view);
    let head = header(CommentStyle::Sql, &target.sources());
    script_names(target)
        .into_iter()
        .map(|name| {
            let body = templates.render_context(&format!("sql/{name}.j2"), &context)?;
            Ok((name, format!("{head}{body}")))
        })
        .collect()
}

/// The names of the scripts, in run order; a step with nothing to do is left out.
pub fn script_names(target: &Target) -> Vec<String> {
    let db = &target.service.database;
    let mut steps = vec![
        "01-database",
        "02-roles",
        "03-schemas",
        "04-extensions",
        "05-privileges",
    ];
    if db.schema_file.is_some() {
        steps.push("06-schema");
    }
    // The service's migrations, applied after the schema file.
    if !db.migrations.is_empty() {
        steps.push("07-migrations");
    }
    if db.seed_data.iter().any(|seed| !seed.rows.is_empty()) {
        steps.push("08-seed-data");
    }
    steps
        .into_iter()
        .map(|step| format!("{step}.psql"))
        .collect()
}
