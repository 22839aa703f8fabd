//! The plan of a target's SQL scripts, from the SQL-state record each render leaves in
//! `sql/01-database.psql` (see [`crate::day_two`]): what running them again does. The
//! scripts converge in place on everything but the moves the convergence contract refuses
//! (docs/sql-scripts.md), which are the manual items here, with day_two's own words.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Effect, FileRef, Item};
use crate::day_two::{self, RoleSettings, SeedRows, State};
use crate::render::Files;

/// The items of the record's file (`old`/`new`: its previous and new text). Nothing when
/// either render carries no record this gen reads.
pub fn items(file: &FileRef, old: Option<&str>, new: Option<&str>) -> Vec<Item> {
    let (Some(before), Some(after)) = (
        old.and_then(State::from_script),
        new.and_then(State::from_script),
    ) else {
        return Vec::new();
    };
    let mut items: Vec<Item> = day_two::changes(&before, &after)
        .into_iter()
        .map(|refusal| {
            file.item(
                format!("database/{}", after.database),
                format!("database.{}", refusal.field),
                (Value::Null, Value::Null),
                (
                    Effect::Manual,
                    format!("{}; {}", refusal.message, refusal.hint),
                ),
            )
        })
        .collect();
    if before.database != after.database {
        return items;
    }
    items.extend(roles(file, &before, &after));
    items.extend(added_names(
        file,
        "schema",
        &before.schemas,
        &after.schemas,
        "03-schemas.psql creates it",
    ));
    items.extend(added_names(
        file,
        "extension",
        &before.extensions,
        &after.extensions,
        "04-extensions.psql creates it",
    ));
    items.extend(migrations(file, &before, &after));
    items.extend(seed_rows(file, &before, &after));
    items
}

/// Roles added, and settings changed of roles in both renders.
fn roles(file: &FileRef, before: &State, after: &State) -> Vec<Item> {
    let mut items = added_names(
        file,
        "role",
        &before.roles,
        &after.roles,
        "02-roles.psql creates it with the password of its Secret, 05-privileges.psql grants its access",
    );
    for new in &after.role_settings {
        let Some(old) = before.role_settings.iter().find(|r| r.name == new.name) else {
            continue;
        };
        for (field, from, to) in role_changes(old, new) {
            let action = if field == "access" {
                "05-privileges.psql revokes what the old level granted and grants the new one, in one transaction"
            } else {
                "02-roles.psql sets it; sessions opened afterwards use it"
            };
            items.push(file.item(
                format!("role/{}", new.name),
                field.to_owned(),
                (from, to),
                (Effect::InPlace, action.to_owned()),
            ));
        }
    }
    items
}

fn role_changes(old: &RoleSettings, new: &RoleSettings) -> Vec<(&'static str, Value, Value)> {
    let pairs: [(&str, Value, Value); 6] = [
        (
            "access",
            old.access.clone().into(),
            new.access.clone().into(),
        ),
        (
            "connectionLimit",
            old.connection_limit.into(),
            new.connection_limit.into(),
        ),
        (
            "searchPath",
            old.search_path.clone().into(),
            new.search_path.clone().into(),
        ),
        (
            "statementTimeoutMs",
            old.statement_timeout_ms.into(),
            new.statement_timeout_ms.into(),
        ),
        (
            "lockTimeoutMs",
            old.lock_timeout_ms.into(),
            new.lock_timeout_ms.into(),
        ),
        (
            "idleInTransactionTimeoutMs",
            old.idle_in_transaction_timeout_ms.into(),
            new.idle_in_transaction_timeout_ms.into(),
        ),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).collect()
}

/// One in-place item per name in `after` and not in `before` (the removed ones are
/// day_two's refusals).
fn added_names(
    file: &FileRef,
    kind: &str,
    before: &[String],
    after: &[String],
    action: &str,
) -> Vec<Item> {
    after
        .iter()
        .filter(|name| !before.contains(name))
        .map(|name| {
            file.item(
                format!("{kind}/{name}"),
                String::new(),
                (Value::Null, Value::from(name.as_str())),
                (Effect::InPlace, action.to_owned()),
            )
        })
        .collect()
}

/// New migrations above every recorded one (the others are day_two's refusals).
fn migrations(file: &FileRef, before: &State, after: &State) -> Vec<Item> {
    after
        .migrations
        .iter()
        .filter(|m| !before.migrations.iter().any(|old| old.version == m.version))
        .map(|m| {
            file.item(
                format!("migration/{}", m.version),
                String::new(),
                (Value::Null, Value::from(m.path.as_str())),
                (
                    Effect::InPlace,
                    "07-migrations.psql runs it once and records it in the history".to_owned(),
                ),
            )
        })
        .collect()
}

/// Seed rows added or changed (the removed ones are day_two's refusals).
fn seed_rows(file: &FileRef, before: &State, after: &State) -> Vec<Item> {
    let mut items = Vec::new();
    for (keys, new) in after.seed_keys.iter().zip(&after.seed_rows) {
        let old_keys = before.seed_keys.iter().find(|k| k.table == new.table);
        let old_rows = before.seed_rows.iter().find(|r| r.table == new.table);
        for (key, row) in keys.rows.iter().zip(&new.rows) {
            let object = format!("seed/{}[{}]", new.table, key.join(","));
            let position = old_keys.and_then(|k| k.rows.iter().position(|k| k == key));
            // An older gen's record has the keys without the values: nothing to compare.
            let previous = position.map(|i| old_rows.and_then(|rows| rows.rows.get(i)));
            match previous {
                Some(None) => {}
                None => items.push(file.item(
                    object,
                    String::new(),
                    (Value::Null, Value::from(key.join(","))),
                    (
                        Effect::InPlace,
                        "08-seed-data.psql inserts the row".to_owned(),
                    ),
                )),
                Some(Some(previous)) => {
                    items.extend(changed_columns(file, &object, new, previous, row));
                }
            }
        }
    }
    items
}

fn changed_columns(
    file: &FileRef,
    object: &str,
    table: &SeedRows,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<Item> {
    let columns: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    columns
        .into_iter()
        .filter(|c| old.get(*c) != new.get(*c))
        .map(|column| {
            let (effect, action) = if table.update_existing {
                (
                    Effect::InPlace,
                    "08-seed-data.psql sets the row's column to the design's value (updateExisting)"
                        .to_owned(),
                )
            } else {
                (
                    Effect::Manual,
                    format!(
                        "08-seed-data.psql leaves an existing row as it is (updateExisting is off): UPDATE {} by hand, or set updateExisting: true for this table",
                        table.table
                    ),
                )
            };
            file.item(
                object.to_owned(),
                column.clone(),
                (
                    old.get(column).map_or(Value::Null, |v| Value::from(v.as_str())),
                    new.get(column).map_or(Value::Null, |v| Value::from(v.as_str())),
                ),
                (effect, action),
            )
        })
        .collect()
}

/// The scripts whose change an item of the record explains; `None`: all of them.
fn explains(item: &Item) -> Option<&'static [&'static str]> {
    let kind = match item.object.split_once('/') {
        Some(("database", _)) => item.field.strip_prefix("database.").unwrap_or_default(),
        Some((kind, _)) => kind,
        None => "",
    };
    match kind {
        "role" | "roles" => Some(&["02-roles.psql", "05-privileges.psql"]),
        "schema" | "schemas" => Some(&["03-schemas.psql", "05-privileges.psql"]),
        "extension" | "extensions" => Some(&["04-extensions.psql"]),
        "migration" | "migrations" => Some(&["07-migrations.psql"]),
        "seed" | "seedData" => Some(&["08-seed-data.psql"]),
        _ => None,
    }
}

/// Each changed script that no item of the record explains (`record_items`): the scripts
/// are idempotent and converge, so running the SQL target again applies it (a change of
/// the design's schema file, or gen's own change to a script).
pub fn script_items(before: &Files, after: &Files, record_items: &[Item]) -> Vec<Item> {
    let mut explained: BTreeSet<(String, &str)> = BTreeSet::new();
    let mut whole: BTreeSet<&str> = BTreeSet::new();
    for item in record_items {
        match explains(item) {
            Some(scripts) => {
                explained.extend(scripts.iter().map(|s| (item.target.clone(), *s)));
            }
            None => {
                whole.insert(&item.target);
            }
        }
    }
    after
        .iter()
        .filter(|(path, bytes)| before.get(*path).is_some_and(|old| old != *bytes))
        .filter_map(|(path, _)| FileRef::of(path))
        .filter(|file| file.kind == super::FileKind::SqlScript)
        .map(|file| {
            let name = file.path.rsplit('/').next().unwrap_or_default().to_owned();
            (file, name)
        })
        .filter(|(file, name)| {
            !whole.contains(file.target.as_str())
                && !explained.contains(&(file.target.clone(), name.as_str()))
        })
        .map(|(file, name)| {
            file.item(
                format!("script/{name}"),
                String::new(),
                (Value::Null, Value::Null),
                (
                    Effect::InPlace,
                    "the script changed: running the SQL target again applies it (the scripts are idempotent)".to_owned(),
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: &State) -> String {
        format!("\\set ON_ERROR_STOP on\n{}\n", state.to_comment_line())
    }

    fn state() -> State {
        let files = crate::app::render_folder(std::path::Path::new("inputs")).unwrap();
        let script = &files["dev/bill-inquiry/sql/01-database.psql"];
        State::from_script(std::str::from_utf8(script).unwrap()).unwrap()
    }

    fn file() -> FileRef {
        FileRef::of("dev/bill-inquiry/sql/01-database.psql").unwrap()
    }

    #[test]
    fn a_seed_value_of_a_table_without_update_existing_is_manual() {
        let before = state();
        let mut after = before.clone();
        after.seed_rows[0].update_existing = false;
        let value = after.seed_rows[0].rows[0].get_mut("config_value").unwrap();
        *value = "99".to_owned();
        let items = items(&file(), Some(&record(&before)), Some(&record(&after)));
        assert_eq!(items.len(), 1, "{items:#?}");
        assert_eq!(items[0].effect, Effect::Manual);
        assert_eq!(items[0].field, "config_value");
    }

    #[test]
    fn an_older_record_without_values_compares_only_what_it_has() {
        let mut before = state();
        before.seed_rows.clear();
        before.role_settings.clear();
        let mut after = state();
        after.seed_rows[0].rows[0].insert("config_value".to_owned(), "99".to_owned());
        after.role_settings[0].connection_limit = 1;
        let items = items(&file(), Some(&record(&before)), Some(&record(&after)));
        assert!(items.is_empty(), "{items:#?}");
    }
}
