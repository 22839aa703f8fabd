//! A service's database as every platform creates it: defaults applied, each role's
//! password variable named.

use std::collections::BTreeMap;

use sha2::Digest;

use crate::input;

/// One service's database, with defaults applied.
#[derive(Debug, Clone)]
pub struct Database {
    /// Database name.
    pub name: String,
    /// Encoding.
    pub encoding: String,
    /// Locale (collation and ctype), when the design sets one.
    pub locale: Option<String>,
    /// Timezone.
    pub timezone: String,
    /// Extensions.
    pub extensions: Vec<String>,
    /// Schemas besides `public`.
    pub schemas: Vec<String>,
    /// Schemas searched for unqualified names by the schema file and the seed rows, and
    /// by every role that sets none of its own.
    pub search_path: Vec<String>,
    /// The NOLOGIN role that owns the database, its schemas and their objects.
    pub owner_role: String,
    /// `lock_timeout` of the scripts' own sessions, in milliseconds.
    pub script_lock_timeout_ms: u32,
    /// Key of the advisory lock that keeps two runs of the scripts for this database
    /// apart: derived from the database's name, the same on every run and platform.
    pub advisory_lock_key: i64,
    /// The schema file: path relative to the inputs folder and contents.
    pub schema_file: Option<(String, String)>,
    /// Login roles.
    pub roles: Vec<Role>,
    /// Seed rows.
    pub seed_data: Vec<SeedTable>,
    /// Migrations, in the order they run.
    pub migrations: Vec<Migration>,
}

impl Database {
    /// `public` and the design's schemas: every schema the roles get access to.
    pub fn all_schemas(&self) -> Vec<String> {
        std::iter::once("public".to_owned())
            .chain(self.schemas.iter().cloned())
            .collect()
    }
}

/// A login role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Role name.
    pub name: String,
    /// Access level.
    pub access: Access,
    /// Connection limit.
    pub connection_limit: u32,
    /// Secret holding the password.
    pub password_secret: String,
    /// Environment variable holding the password where a shell needs it (the schema
    /// Job, the README's checks).
    pub password_env: String,
    /// Schemas the role's sessions search.
    pub search_path: Vec<String>,
    /// `statement_timeout` of the role's sessions, in milliseconds (0: no limit).
    pub statement_timeout_ms: u32,
    /// `lock_timeout`, in milliseconds.
    pub lock_timeout_ms: u32,
    /// `idle_in_transaction_session_timeout`, in milliseconds.
    pub idle_in_transaction_timeout_ms: u32,
}

/// Session timeouts of a role that sets none (milliseconds): long enough for an
/// application's queries, short enough that a stuck session or a lock queue clears
/// itself. Written in docs/inputs.md.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u32 = 60_000;
/// See [`DEFAULT_STATEMENT_TIMEOUT_MS`].
pub const DEFAULT_LOCK_TIMEOUT_MS: u32 = 10_000;
/// See [`DEFAULT_STATEMENT_TIMEOUT_MS`].
pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS: u32 = 60_000;

/// Access level of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// CRUD on all tables and sequences, no DDL.
    ReadWrite,
    /// SELECT on all tables.
    ReadOnly,
    /// `pg_monitor` and CONNECT: statistics, never table contents.
    Monitor,
}

impl Access {
    /// The name as written in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadWrite => "read-write",
            Access::ReadOnly => "read-only",
            Access::Monitor => "monitor",
        }
    }
}

impl From<input::Access> for Access {
    fn from(access: input::Access) -> Access {
        match access {
            input::Access::ReadWrite => Access::ReadWrite,
            input::Access::ReadOnly => Access::ReadOnly,
            input::Access::Monitor => Access::Monitor,
        }
    }
}

/// Seed rows of one table.
#[derive(Debug, Clone)]
pub struct SeedTable {
    /// Table, optionally schema-qualified (`audit.settings`).
    pub table: String,
    /// Columns identifying a row.
    pub key: Vec<String>,
    /// Whether a run sets an existing row's other columns to the design's values.
    pub update_existing: bool,
    /// Rows: column → value.
    pub rows: Vec<BTreeMap<String, Scalar>>,
}

impl From<&input::SeedTable> for SeedTable {
    fn from(seed: &input::SeedTable) -> SeedTable {
        SeedTable {
            table: seed.table.clone(),
            key: seed.key.clone(),
            update_existing: seed.existing_rows != Some(input::ExistingRows::Keep),
            rows: seed.rows.iter().map(scalars).collect(),
        }
    }
}

/// A scalar value of a seed row or a server parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// true or false.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text.
    Text(String),
}

impl From<&input::ScalarValue> for Scalar {
    fn from(value: &input::ScalarValue) -> Scalar {
        match value {
            input::ScalarValue::Bool(b) => Scalar::Bool(*b),
            input::ScalarValue::Integer(i) => Scalar::Integer(*i),
            input::ScalarValue::Float(f) => Scalar::Float(*f),
            input::ScalarValue::Text(t) => Scalar::Text(t.clone()),
        }
    }
}

impl Scalar {
    /// The value as JSON, for template views.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar::Bool(b) => (*b).into(),
            Scalar::Integer(i) => (*i).into(),
            Scalar::Float(f) => (*f).into(),
            Scalar::Text(t) => t.clone().into(),
        }
    }

    /// The value as PostgreSQL configuration and SQL text would spell it.
    pub fn to_text(&self) -> String {
        match self {
            Scalar::Bool(true) => "on".to_owned(),
            Scalar::Bool(false) => "off".to_owned(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// A map of input scalars as model scalars, keys unchanged.
pub fn scalars(map: &BTreeMap<String, input::ScalarValue>) -> BTreeMap<String, Scalar> {
    map.iter()
        .map(|(key, value)| (key.clone(), Scalar::from(value)))
        .collect()
}

/// The environment variable holding a secret: upper case, every character other than a
/// letter or digit turned into `_` (`phonebill-auth-user-password` →
/// `PHONEBILL_AUTH_USER_PASSWORD`), and `_` first when the name starts with a digit, which
/// no shell variable can (both Kubernetes Secret keys and Key Vault names may).
pub fn secret_env_var(secret: &str) -> String {
    let digit_first = secret.starts_with(|c: char| c.is_ascii_digit());
    digit_first
        .then_some('_')
        .into_iter()
        .chain(secret.chars())
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The database of `service`, each setting the service leaves out taken from the
/// project's defaults, then from PostgreSQL's usual ones.
pub fn build(
    db: &input::Database,
    defaults: &input::DatabaseDefaults,
    schema_file: Option<(String, String)>,
    migrations: Vec<Migration>,
) -> Database {
    let search_path = db.search_path.clone().unwrap_or_else(|| {
        std::iter::once("public".to_owned())
            .chain(db.schemas.iter().cloned())
            .collect()
    });
    Database {
        name: db.name.clone(),
        encoding: db
            .encoding
            .clone()
            .or_else(|| defaults.encoding.clone())
            .unwrap_or_else(|| "UTF8".to_owned()),
        locale: db.locale.clone().or_else(|| defaults.locale.clone()),
        timezone: db
            .timezone
            .clone()
            .or_else(|| defaults.timezone.clone())
            .unwrap_or_else(|| "UTC".to_owned()),
        extensions: db.extensions.clone(),
        schemas: db.schemas.clone(),
        search_path: search_path.clone(),
        owner_role: owner_role(db),
        script_lock_timeout_ms: db
            .script_lock_timeout
            .as_deref()
            .and_then(crate::duration::parse_timeout_ms)
            .unwrap_or(DEFAULT_SCRIPT_LOCK_TIMEOUT_MS),
        advisory_lock_key: advisory_lock_key(&db.name),
        schema_file,
        roles: db.roles.iter().map(|r| role(r, &search_path)).collect(),
        seed_data: db.seed_data.iter().map(SeedTable::from).collect(),
        migrations,
    }
}

/// A migration file of the service: applied once, in list order, and recorded in the
/// history table with its checksum (docs/sql-scripts.md, "Migrations").
#[derive(Debug, Clone)]
pub struct Migration {
    /// Path relative to the inputs folder (`sql/orders/V2__add_status.psql`).
    pub path: String,
    /// The version as recorded: its parts as numbers joined by `.` (`V002_1__…` → `2.1`).
    pub version: String,
    /// The description, `_` read as spaces (`add status`).
    pub description: String,
    /// The file's text.
    pub sql: String,
    /// sha256 of the file's bytes, lowercase hex: what a run compares with the history.
    pub checksum: String,
}

impl Migration {
    /// The migration in the file `path` with text `sql`; `None` when its name is not a
    /// versioned migration's, which validation has refused.
    pub fn new(path: String, sql: String) -> Option<Migration> {
        let name = crate::migration_name::parse(crate::migration_name::file_name(&path)).ok()?;
        let checksum = sha2::Sha256::digest(sql.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some(Migration {
            version: name.version.canonical(),
            description: name.description_words(),
            path,
            sql,
            checksum,
        })
    }
}

/// How long the scripts wait for a lock the application holds, when the design says
/// nothing (milliseconds): a few seconds of queueing behind a long transaction at most.
pub const DEFAULT_SCRIPT_LOCK_TIMEOUT_MS: u32 = 5_000;

/// The database's owner role: the design's, or `<database>_owner`.
pub fn owner_role(db: &input::Database) -> String {
    db.owner_role
        .clone()
        .unwrap_or_else(|| format!("{}_owner", db.name))
}

/// A stable 64-bit key for `pg_advisory_lock`, from the database's name (FNV-1a): the
/// same for every run, every machine and both platforms.
fn advisory_lock_key(database: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "gen sql scripts: ".bytes().chain(database.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

fn role(role: &input::Role, database_search_path: &[String]) -> Role {
    // Validation has refused timeouts that do not parse.
    let timeout = |text: &Option<String>, default| {
        text.as_deref()
            .and_then(crate::duration::parse_timeout_ms)
            .unwrap_or(default)
    };
    Role {
        name: role.name.clone(),
        access: role.access.into(),
        connection_limit: role.connection_limit,
        password_secret: role.password_secret.clone(),
        password_env: secret_env_var(&role.password_secret),
        search_path: role
            .search_path
            .clone()
            .unwrap_or_else(|| database_search_path.to_vec()),
        statement_timeout_ms: timeout(&role.statement_timeout, DEFAULT_STATEMENT_TIMEOUT_MS),
        lock_timeout_ms: timeout(&role.lock_timeout, DEFAULT_LOCK_TIMEOUT_MS),
        idle_in_transaction_timeout_ms: timeout(
            &role.idle_in_transaction_session_timeout,
            DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_has_its_version_description_and_checksum() {
        let m =
            Migration::new("sql/o/V002_1__add_status.psql".to_owned(), "abc".to_owned()).unwrap();
        assert_eq!(m.version, "2.1");
        assert_eq!(m.description, "add status");
        // sha256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            m.checksum,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secret_names_become_variable_names() {
        assert_eq!(
            secret_env_var("phonebill-auth-user-password"),
            "PHONEBILL_AUTH_USER_PASSWORD"
        );
        assert_eq!(secret_env_var("a.b/c"), "A_B_C");
        assert_eq!(secret_env_var("1st-password"), "_1ST_PASSWORD");
    }
}
