//! Day two: what a target's SQL scripts converge a database to, recorded in the output
//! folder, and the warnings `gen validate` and `gen render` give when the design moves away
//! from it in a way the scripts refuse or only half follow (the convergence contract of
//! docs/sql-scripts.md). The record is one comment line of `sql/01-database.psql`, written
//! by the render like every other byte, rather than a file of its own: a JSON file would
//! be read by `kubectl apply -R` or by a loop over `sql/*`. It is read back only from the
//! previous render, never from a server.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::load::SourceFile;
use crate::migration_name::Version;
use crate::model::{Model, Scalar, Target};
use crate::render::collation;
use crate::validate::Design;
use crate::yaml::Seg;

/// The script that carries the record, inside a target's `sql/` folder.
pub const STATE_SCRIPT: &str = "01-database.psql";

/// What starts the record's line; the JSON follows on the same line.
const STATE_PREFIX: &str = "-- gen-state: ";

/// Bumped when a field changes meaning; a state of another format is not compared.
const FORMAT: u32 = 1;

/// What the scripts of one target converge its database to, in the terms of the
/// convergence contract's refusals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// [`FORMAT`].
    pub format: u32,
    /// Database name.
    pub database: String,
    /// Server-side encoding.
    pub encoding: String,
    /// Locale, when the design sets one.
    pub locale: Option<String>,
    /// The NOLOGIN owner role.
    pub owner_role: String,
    /// Login roles.
    pub roles: Vec<String>,
    /// Schemas besides `public`.
    pub schemas: Vec<String>,
    /// Extensions.
    pub extensions: Vec<String>,
    /// Migrations in run order.
    pub migrations: Vec<MigrationState>,
    /// The keys of the seed rows, by table.
    #[serde(default)]
    pub seed_keys: Vec<SeedKeys>,
    /// Each login role's settings, in the order of `roles` (empty in an older gen's record:
    /// the plan then compares none).
    #[serde(default)]
    pub role_settings: Vec<RoleSettings>,
    /// The seed rows with every column, in the order of `seed_keys` (empty in an older
    /// gen's record).
    #[serde(default)]
    pub seed_rows: Vec<SeedRows>,
}

/// What 02-roles.psql and 05-privileges.psql set for one login role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleSettings {
    /// Role name.
    pub name: String,
    /// Access level as the design writes it.
    pub access: String,
    /// Connection limit.
    pub connection_limit: u32,
    /// Schemas the role's sessions search.
    pub search_path: Vec<String>,
    /// `statement_timeout`, in milliseconds.
    pub statement_timeout_ms: u32,
    /// `lock_timeout`, in milliseconds.
    pub lock_timeout_ms: u32,
    /// `idle_in_transaction_session_timeout`, in milliseconds.
    pub idle_in_transaction_timeout_ms: u32,
}

/// The rows 08-seed-data.psql writes into one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedRows {
    /// Table as the design names it.
    pub table: String,
    /// Whether a run sets an existing row's other columns to the design's values.
    pub update_existing: bool,
    /// Each row, column → value as text, in the order of the table's `seed_keys` rows.
    pub rows: Vec<std::collections::BTreeMap<String, String>>,
}

/// The rows one seed table holds for the design, by key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedKeys {
    /// Table as the design names it.
    pub table: String,
    /// Each row's key values, as text, in the order of the key's columns.
    pub rows: Vec<Vec<String>>,
}

/// One migration as a run records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationState {
    /// Version as recorded in the history.
    pub version: String,
    /// Path relative to the inputs folder.
    pub path: String,
    /// sha256 of the file, as recorded in the history.
    pub checksum: String,
}

impl State {
    /// The state the scripts of `target` converge to.
    pub fn of(target: &Target) -> State {
        let db = &target.service.database;
        State {
            format: FORMAT,
            database: db.name.clone(),
            encoding: db.encoding.clone(),
            locale: db.locale.clone(),
            owner_role: db.owner_role.clone(),
            roles: db.roles.iter().map(|r| r.name.clone()).collect(),
            schemas: db.schemas.clone(),
            extensions: db.extensions.clone(),
            migrations: db
                .migrations
                .iter()
                .map(|m| MigrationState {
                    version: m.version.clone(),
                    path: m.path.clone(),
                    checksum: m.checksum.clone(),
                })
                .collect(),
            seed_keys: db
                .seed_data
                .iter()
                .map(|seed| SeedKeys {
                    table: seed.table.clone(),
                    rows: seed
                        .rows
                        .iter()
                        .map(|row| {
                            seed.key
                                .iter()
                                .map(|column| {
                                    row.get(column).map(Scalar::to_text).unwrap_or_default()
                                })
                                .collect()
                        })
                        .collect(),
                })
                .collect(),
            role_settings: db
                .roles
                .iter()
                .map(|role| RoleSettings {
                    name: role.name.clone(),
                    access: role.access.as_str().to_owned(),
                    connection_limit: role.connection_limit,
                    search_path: role.search_path.clone(),
                    statement_timeout_ms: role.statement_timeout_ms,
                    lock_timeout_ms: role.lock_timeout_ms,
                    idle_in_transaction_timeout_ms: role.idle_in_transaction_timeout_ms,
                })
                .collect(),
            seed_rows: db
                .seed_data
                .iter()
                .map(|seed| SeedRows {
                    table: seed.table.clone(),
                    update_existing: seed.update_existing,
                    rows: seed
                        .rows
                        .iter()
                        .map(|row| {
                            row.iter()
                                .map(|(column, value)| (column.clone(), value.to_text()))
                                .collect()
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The record as the script carries it: compact JSON on one line, which serde_json
    /// guarantees (it writes every control character as an escape), after the prefix.
    pub fn to_comment_line(&self) -> String {
        let json = serde_json::to_string(self).expect("a state always serializes");
        format!("{STATE_PREFIX}{json}")
    }

    /// The record in a script's text, if the script carries one this gen can read.
    pub fn from_script(text: &str) -> Option<State> {
        text.lines()
            .find_map(|line| line.strip_prefix(STATE_PREFIX))
            .and_then(|json| serde_json::from_str::<State>(json).ok())
            .filter(|state| state.format == FORMAT)
    }

    /// The state a previous render left for `target` under `out`, if it left one that this
    /// gen can read (an older gen wrote none; an unreadable one is not compared).
    pub fn previous(out: &Path, target: &Target) -> Option<State> {
        let path = out.join(target.dir()).join("sql").join(STATE_SCRIPT);
        State::from_script(&std::fs::read_to_string(path).ok()?)
    }
}

/// Warnings for every target whose previous render under `out` converged to something the
/// new design cannot reach by running the scripts alone.
pub fn warnings(out: &Path, design: &Design, model: &Model) -> Vec<Diagnostic> {
    model
        .targets
        .iter()
        .filter_map(|target| {
            let before = State::previous(out, target)?;
            let service = design
                .services
                .iter()
                .find(|s| s.file.rel == target.service.source)?;
            let at = At {
                service: &service.file,
                target: target.dir(),
            };
            Some(
                changes(&before, &State::of(target))
                    .into_iter()
                    .map(move |refusal| at.warn(refusal)),
            )
        })
        .flatten()
        .collect()
}

/// Where a warning about one target points: the service file, at the field that moved.
struct At<'a> {
    service: &'a SourceFile,
    target: String,
}

impl At<'_> {
    /// The refusal as a warning at the key `field` of the service's `database` (at
    /// `database` when the design takes the value from a default).
    fn warn(&self, refusal: Refusal) -> Diagnostic {
        let Refusal {
            field,
            message,
            hint,
        } = refusal;
        let database = [Seg::Key("database".to_owned())];
        let root = &self.service.root;
        let pos = root
            .key_pos(&database, field)
            .unwrap_or_else(|| root.pos_of(&database));
        Diagnostic::new(
            self.service.display.clone(),
            pos,
            format!("{}: {message}", self.target),
        )
        .hint(hint)
        .warning()
    }
}

/// A move the scripts refuse or only half follow: the `database` field that moved, what
/// happens, and what to do. `gen validate` and `gen render` warn with it; the plan lists it as
/// a manual step.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The key under the service's `database`.
    pub field: &'static str,
    /// What the scripts do with the move.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl Refusal {
    fn new(field: &'static str, message: String, hint: String) -> Refusal {
        Refusal {
            field,
            message,
            hint,
        }
    }
}

/// The refusals for a move from `before` to `after`, in the order the scripts meet them.
pub fn changes(before: &State, after: &State) -> Vec<Refusal> {
    if before.database != after.database {
        // Every other comparison is about another database.
        return vec![database_renamed(before, after)];
    }
    [
        encoding_changed(before, after),
        locale_changed(before, after),
        owner_role_renamed(before, after),
        roles_removed(before, after),
        schemas_removed(before, after),
        extensions_removed(before, after),
        migrations_rewritten(before, after),
        seed_rows_removed(before, after),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn database_renamed(before: &State, after: &State) -> Refusal {
    Refusal::new(
        "name",
        format!(
            "database `{}` was `{}` in the previous render: the scripts create `{}` empty and leave `{}`, its data and its roles as they are",
            after.database, before.database, after.database, before.database
        ),
        format!(
            "to keep the data, move it with pg_dump/pg_restore; or keep `name: {}`",
            before.database
        ),
    )
}

fn encoding_changed(before: &State, after: &State) -> Option<Refusal> {
    (encoding_name(&before.encoding) != encoding_name(&after.encoding)).then(|| {
        Refusal::new(
            "encoding",
            format!(
                "encoding `{}` was `{}` in the previous render: a database's encoding cannot change, so 01-database.psql will stop",
                after.encoding, before.encoding
            ),
            "create a new database with the new encoding and move the data with pg_dump/pg_restore, or keep the old encoding".to_owned(),
        )
    })
}

/// An encoding name as the server reads it (`pg_char_to_encoding`): letters and digits
/// only, case ignored, so `UTF-8`, `utf8` and `UTF8` are one.
fn encoding_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn locale_changed(before: &State, after: &State) -> Option<Refusal> {
    let new = after.locale.as_deref()?;
    match before.locale.as_deref() {
        // Step 1 accepts the design's spelling and the server's (`ko_KR.utf8`).
        Some(old) if old == new || collation(old) == collation(new) => None,
        Some(old) => Some(Refusal::new(
            "locale",
            format!(
                "locale `{new}` was `{old}` in the previous render: a database's collation cannot change, so 01-database.psql will stop"
            ),
            "create a new database with the new locale and move the data with pg_dump/pg_restore, or keep the old locale".to_owned(),
        )),
        None => Some(Refusal::new(
            "locale",
            format!(
                "locale `{new}` is new: the database has the collation it was created with (the server's default), and 01-database.psql will stop unless that is `{new}`"
            ),
            "check the database's collation (psql: \\l); if it differs, create a new database with the new locale and move the data with pg_dump/pg_restore, or leave the locale out".to_owned(),
        )),
    }
}

fn owner_role_renamed(before: &State, after: &State) -> Option<Refusal> {
    (before.owner_role != after.owner_role).then(|| {
        Refusal::new(
            "ownerRole",
            format!(
                "owner role `{}` was `{}` in the previous render: step 1 creates `{}` and gives it the database, then 03-schemas.psql stops while the schemas and their objects belong to `{}`",
                after.owner_role, before.owner_role, after.owner_role, before.owner_role
            ),
            format!(
                "before the run, rename the role (ALTER ROLE {} RENAME TO {}), which keeps what it owns and its grants; or keep `ownerRole: {}`",
                before.owner_role, after.owner_role, before.owner_role
            ),
        )
    })
}

/// Names in `before` that `after` no longer lists.
fn removed<'a>(before: &'a [String], after: &[String]) -> Vec<&'a str> {
    before
        .iter()
        .filter(|name| !after.contains(name))
        .map(String::as_str)
        .collect()
}

fn roles_removed(before: &State, after: &State) -> Option<Refusal> {
    let gone = removed(&before.roles, &after.roles);
    (!gone.is_empty()).then(|| {
        Refusal::new(
            "roles",
            format!(
                "login role(s) {} left the design: 02-roles.psql will stop while they exist (roles are never dropped by the scripts)",
                crate::diagnostics::list(&gone)
            ),
            format!(
                "before the run, in database `{}`: DROP OWNED BY each role, then DROP ROLE it, as a superuser or the administrator that created it (from PostgreSQL 16 on, after GRANT <role> TO CURRENT_USER WITH INHERIT TRUE); or list it again",
                after.database
            ),
        )
    })
}

fn schemas_removed(before: &State, after: &State) -> Option<Refusal> {
    let gone = removed(&before.schemas, &after.schemas);
    (!gone.is_empty()).then(|| {
        Refusal::new(
            "schemas",
            format!(
                "schema(s) {} left the design: 03-schemas.psql drops each one that is empty and stops at one that still holds objects",
                crate::diagnostics::list(&gone)
            ),
            "move or drop what must go first (DROP SCHEMA ... CASCADE by hand), or list the schema again".to_owned(),
        )
    })
}

fn extensions_removed(before: &State, after: &State) -> Option<Refusal> {
    let gone = removed(&before.extensions, &after.extensions);
    (!gone.is_empty()).then(|| {
        Refusal::new(
            "extensions",
            format!(
                "extension(s) {} left the design: 04-extensions.psql drops each one, and stops at one that other objects (an index, a column type) depend on",
                crate::diagnostics::list(&gone)
            ),
            "drop or change the dependent objects in a migration first, or list the extension again".to_owned(),
        )
    })
}

/// Migrations that ran in the previous design and are now changed, removed or moved: the
/// history refuses all three.
fn migrations_rewritten(before: &State, after: &State) -> Option<Refusal> {
    let problems: Vec<String> = before
        .migrations
        .iter()
        .filter_map(
            |old| match after.migrations.iter().find(|m| m.version == old.version) {
                None => Some(format!("version {} ({}) is gone", old.version, old.path)),
                Some(new) if new.checksum != old.checksum => {
                    Some(format!("version {} ({}) changed", old.version, new.path))
                }
                Some(_) => None,
            },
        )
        .chain(highest(&before.migrations).into_iter().flat_map(|top| {
            after
                .migrations
                .iter()
                .filter(|m| {
                    !before.migrations.iter().any(|old| old.version == m.version)
                        && version_key(&m.version).is_some_and(|v| v < top)
                })
                .map(|m| {
                    format!(
                        "version {} ({}) is new but below a version that may have run",
                        m.version, m.path
                    )
                })
                .collect::<Vec<_>>()
        }))
        .collect();
    (!problems.is_empty()).then(|| {
        Refusal::new(
            "migrations",
            format!(
                "{}: where the previous migrations ran, 07-migrations.psql will stop",
                problems.join("; ")
            ),
            "put every migration back as it was and make the change in a new migration with a version above all others".to_owned(),
        )
    })
}

/// Seed rows the design no longer lists: the scripts leave them in the table, where a
/// fresh install would not have them (the application may have changed or referenced them
/// since, so removing them is a person's call).
fn seed_rows_removed(before: &State, after: &State) -> Option<Refusal> {
    let gone: Vec<String> = before
        .seed_keys
        .iter()
        .flat_map(|old| {
            let kept = after.seed_keys.iter().find(|new| new.table == old.table);
            old.rows
                .iter()
                .filter(move |key| kept.is_none_or(|new| !new.rows.contains(key)))
                .map(move |key| format!("{} ({})", old.table, key.join(", ")))
        })
        .collect();
    (!gone.is_empty()).then(|| {
        Refusal::new(
            "seedData",
            format!(
                "seed row(s) left the design and stay in the database: {}",
                gone.join("; ")
            ),
            "delete them by hand or in a migration if they must go".to_owned(),
        )
    })
}

/// A recorded version, ordered as the history orders it (`2.10` after `2.9`, parts of any
/// length); one that does not read as a version sorts first.
fn version_key(version: &str) -> Option<Version> {
    Version::parse(version)
}

fn highest(migrations: &[MigrationState]) -> Option<Version> {
    migrations
        .iter()
        .filter_map(|m| version_key(&m.version))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            format: FORMAT,
            database: "orders_db".to_owned(),
            encoding: "UTF8".to_owned(),
            locale: Some("C".to_owned()),
            owner_role: "orders_db_owner".to_owned(),
            roles: vec!["orders_app".to_owned(), "orders_reader".to_owned()],
            schemas: vec!["audit".to_owned()],
            extensions: vec!["pgcrypto".to_owned()],
            migrations: vec![MigrationState {
                version: "2".to_owned(),
                path: "sql/V2__init.psql".to_owned(),
                checksum: "aa".to_owned(),
            }],
            seed_keys: vec![SeedKeys {
                table: "settings".to_owned(),
                rows: vec![vec!["a".to_owned()], vec!["b".to_owned()]],
            }],
            role_settings: Vec::new(),
            seed_rows: Vec::new(),
        }
    }

    fn service() -> SourceFile {
        let text = "name: orders\ndatabase:\n  name: orders_db\n  roles: []\n";
        SourceFile {
            rel: "services/orders.yaml".to_owned(),
            display: "inputs/services/orders.yaml".to_owned(),
            kind: crate::load::FileKind::Service,
            root: crate::yaml::Node::parse(text).unwrap(),
        }
    }

    fn messages(after: &State) -> Vec<String> {
        let service = service();
        let at = At {
            service: &service,
            target: "dev/orders".to_owned(),
        };
        changes(&state(), after)
            .into_iter()
            .map(|refusal| at.warn(refusal).to_string())
            .collect()
    }

    #[test]
    fn an_unchanged_or_growing_design_gives_no_warning() {
        let mut after = state();
        assert!(messages(&after).is_empty());
        after.roles.push("orders_monitor".to_owned());
        after.schemas.push("reports".to_owned());
        after.migrations.push(MigrationState {
            version: "3".to_owned(),
            path: "sql/V3__more.psql".to_owned(),
            checksum: "bb".to_owned(),
        });
        assert!(messages(&after).is_empty());
    }

    #[test]
    fn a_removed_role_warns_at_the_roles_list() {
        let mut after = state();
        after.roles.pop();
        let warnings = messages(&after);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("inputs/services/orders.yaml:4:3: warning: dev/orders: login role(s) `orders_reader`"),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains("DROP ROLE"), "{}", warnings[0]);
    }

    #[test]
    fn removed_schemas_and_extensions_warn() {
        let mut after = state();
        after.schemas.clear();
        after.extensions.clear();
        let warnings = messages(&after).join("\n");
        assert!(warnings.contains("schema(s) `audit` left"), "{warnings}");
        assert!(
            warnings.contains("extension(s) `pgcrypto` left"),
            "{warnings}"
        );
    }

    #[test]
    fn encoding_and_locale_changes_warn_that_step_one_stops() {
        let mut after = state();
        after.encoding = "LATIN1".to_owned();
        after.locale = Some("POSIX".to_owned());
        let warnings = messages(&after).join("\n");
        assert!(
            warnings.contains("encoding `LATIN1` was `UTF8`"),
            "{warnings}"
        );
        assert!(warnings.contains("locale `POSIX` was `C`"), "{warnings}");
        assert!(
            warnings.contains("01-database.psql will stop"),
            "{warnings}"
        );
    }

    #[test]
    fn a_renamed_database_warns_once() {
        let mut after = state();
        after.database = "orders".to_owned();
        after.roles.clear();
        let warnings = messages(&after);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("leave `orders_db`"), "{}", warnings[0]);
    }

    #[test]
    fn a_renamed_owner_role_warns_with_the_rename() {
        let mut after = state();
        after.owner_role = "orders_owner".to_owned();
        let warnings = messages(&after).join("\n");
        assert!(
            warnings.contains("ALTER ROLE orders_db_owner RENAME TO orders_owner"),
            "{warnings}"
        );
    }

    #[test]
    fn a_changed_removed_or_lower_migration_warns() {
        let mut changed = state();
        changed.migrations[0].checksum = "cc".to_owned();
        assert!(
            messages(&changed)
                .join("\n")
                .contains("version 2 (sql/V2__init.psql) changed")
        );

        let mut gone = state();
        gone.migrations.clear();
        assert!(
            messages(&gone)
                .join("\n")
                .contains("version 2 (sql/V2__init.psql) is gone")
        );

        let mut lower = state();
        lower.migrations.insert(
            0,
            MigrationState {
                version: "1.5".to_owned(),
                path: "sql/V1_5__late.psql".to_owned(),
                checksum: "dd".to_owned(),
            },
        );
        assert!(
            messages(&lower)
                .join("\n")
                .contains("version 1.5 (sql/V1_5__late.psql) is new but below")
        );
    }

    #[test]
    fn the_record_survives_a_line_break_in_a_value_on_one_line() {
        let mut hostile = state();
        hostile.roles.push("a\nDROP ROLE x;\r\u{2028}".to_owned());
        let line = hostile.to_comment_line();
        assert_eq!(line.lines().count(), 1, "{line}");
        let script = format!("-- header\n{line}\nSELECT 1;\n");
        assert_eq!(State::from_script(&script), Some(hostile));
        assert_eq!(State::from_script("-- gen-state: {\"format\": 99}"), None);
    }

    #[test]
    fn a_removed_seed_row_warns_that_it_stays() {
        let mut after = state();
        after.seed_keys[0].rows.remove(0);
        let warnings = messages(&after).join("\n");
        assert!(
            warnings.contains("stay in the database: settings (a)"),
            "{warnings}"
        );
        after.seed_keys.clear();
        let warnings = messages(&after).join("\n");
        assert!(
            warnings.contains("settings (a); settings (b)"),
            "{warnings}"
        );
    }

    #[test]
    fn versions_order_as_numbers() {
        assert!(version_key("2.10") > version_key("2.9"));
        assert!(version_key("10") > version_key("9"));
        assert!(version_key("100000000000000000000000") > version_key("99999999999999999999999"));
    }

    #[test]
    fn spellings_the_server_reads_as_one_do_not_warn() {
        let mut after = state();
        after.encoding = "utf-8".to_owned();
        after.locale = Some("C".to_owned());
        assert!(messages(&after).is_empty());
        let mut before = state();
        before.locale = Some("ko_KR.UTF-8".to_owned());
        let mut after = before.clone();
        after.locale = Some("ko_KR.utf8".to_owned());
        assert!(changes(&before, &after).is_empty());
    }

    #[test]
    fn a_locale_set_for_the_first_time_warns_to_check_the_collation() {
        let mut before = state();
        before.locale = None;
        let service = service();
        let at = At {
            service: &service,
            target: "dev/orders".to_owned(),
        };
        let warnings: Vec<String> = changes(&before, &state())
            .into_iter()
            .map(|refusal| at.warn(refusal).to_string())
            .collect();
        assert!(
            warnings.join("\n").contains("locale `C` is new"),
            "{warnings:?}"
        );
    }
}
