//! The plan: what applying a render over the previous one does to the running system, one
//! item per changed field of a rendered object, with its effect (in place, after a restart,
//! by replacing the object, by hand) and what to do.
//!
//! It reads only rendered files, the previous render's and the new one's, never a cluster
//! or a subscription: the objects are parsed back from the manifests (Kubernetes), the
//! Bicep (Azure) and the SQL-state record (the SQL target). The effect of a change comes
//! from one table per platform ([`kubernetes::RULES`], [`azure::RULES`]), each row with
//! its source; a change no row covers is `unknown`, never `in-place` by default.

pub mod azure;
pub mod bicep_objects;
pub mod kubernetes;
pub mod sql;
pub mod tree;

use std::collections::BTreeSet;

use serde_json::Value;
use tree::Seg;

use crate::render::Files;

/// What applying a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// Applied by `kubectl apply` / `az deployment group create` / the SQL target with no
    /// further step (a pod template change rolls the pod as part of it: the action says so).
    InPlace,
    /// Takes effect only after a restart, which the action names.
    Restart,
    /// The platform replaces the object or refuses the update.
    Replace,
    /// The scripts or the deployment do not converge on their own: a person acts.
    Manual,
    /// No table row says what the platform does with this change.
    Unknown,
}

impl Effect {
    /// The name in the plan's lines and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::InPlace => "in-place",
            Effect::Restart => "restart",
            Effect::Replace => "replace",
            Effect::Manual => "manual",
            Effect::Unknown => "unknown",
        }
    }

    /// Every effect, in the order a plan reports them.
    pub const ALL: [Effect; 5] = [
        Effect::InPlace,
        Effect::Restart,
        Effect::Replace,
        Effect::Manual,
        Effect::Unknown,
    ];

    /// Whether `--check` refuses this effect unless `--allow` names it: the change cannot
    /// be applied as rendered, or nobody knows whether it can.
    pub fn needs_acknowledgement(self) -> bool {
        matches!(self, Effect::Replace | Effect::Manual | Effect::Unknown)
    }
}

/// One changed field of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `<env>/<service>`.
    pub target: String,
    /// The file, relative to the output folder.
    pub file: String,
    /// `<kind>/<name>`: a Kubernetes kind, an Azure resource type's last segment, or a SQL
    /// object (`role/app`).
    pub object: String,
    /// Dotted path of the field (empty: the object itself was added or removed).
    pub field: String,
    /// The value in the previous render (`null`: absent).
    pub from: Value,
    /// The value in this render (`null`: absent).
    pub to: Value,
    /// What applying it does.
    pub effect: Effect,
    /// What to do, or what happens.
    pub action: String,
}

impl Item {
    /// The item as the JSON object of `--format json`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "target": self.target,
            "file": self.file,
            "object": self.object,
            "field": self.field,
            "from": self.from,
            "to": self.to,
            "effect": self.effect.as_str(),
            "action": self.action,
        })
    }

    /// The item's line in the human plan (without the target, which heads its group).
    pub fn human_line(&self) -> String {
        let change = match (&self.from, &self.to) {
            (Value::Null, Value::Null) => String::new(),
            (Value::Null, _) if self.field.is_empty() => ": added".to_owned(),
            (_, Value::Null) if self.field.is_empty() => ": removed".to_owned(),
            (from, to) => format!(": {} → {}", short(from), short(to)),
        };
        let field = if self.field.is_empty() {
            String::new()
        } else {
            format!(" {}", self.field)
        };
        format!(
            "{:<9} {}{field}{change}  ({})\n          {}",
            self.effect.as_str(),
            self.object,
            self.file,
            self.action
        )
    }
}

/// A value as one short line of a human plan: long values are cut (the JSON has them
/// whole), line breaks are escaped, so a value cannot start a line of its own.
fn short(value: &Value) -> String {
    const MAX: usize = 80;
    let text = match value {
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// The previous render, as far as the plan needs it.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    /// Its files that differ from the new render's (all of them will do); a path of
    /// `paths` missing here is unchanged.
    pub files: Files,
    /// Every file it rendered, changed or not.
    pub paths: BTreeSet<String>,
}

impl Previous {
    /// A previous render of which every file is known.
    pub fn whole(files: Files) -> Previous {
        let paths = files.keys().cloned().collect();
        Previous { files, paths }
    }

    /// Every target it rendered (`<env>/<service>`).
    fn targets(&self) -> BTreeSet<String> {
        targets_of(self.paths.iter())
    }
}

/// The plan from the previous render to `after` (this render's files), grouped by target,
/// in path order and, within a file, in the order of its objects and fields. A target new
/// or gone as a whole is one item.
pub fn plan(previous: &Previous, after: &Files) -> Vec<Item> {
    let before = &previous.files;
    let previous_targets = previous.targets();
    let after_targets = targets_of(after.keys());
    let new_targets: BTreeSet<&String> = after_targets.difference(&previous_targets).collect();
    let gone_targets: BTreeSet<&String> = previous_targets.difference(&after_targets).collect();
    let mut items: Vec<Item> = new_targets.iter().copied().map(new_target).collect();
    items.extend(gone_targets.iter().copied().map(gone_target));
    let mut record_items = Vec::new();
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for path in paths {
        let Some(file) = FileRef::of(path) else {
            continue;
        };
        if new_targets.contains(&file.target)
            || gone_targets.contains(&file.target)
            || (previous.paths.contains(path) && !before.contains_key(path))
        {
            // A new or gone target is one item; a previous file not read is unchanged.
            continue;
        }
        let old = before
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let new = after
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned());
        if old == new {
            continue;
        }
        let found = match file.kind {
            FileKind::Manifest => kubernetes::items(&file, old.as_deref(), new.as_deref()),
            FileKind::Bicep => azure::items(&file, old.as_deref(), new.as_deref()),
            FileKind::Workbook => azure::workbook_items(&file, old.as_deref(), new.as_deref()),
            FileKind::SqlState => {
                let found = sql::items(&file, old.as_deref(), new.as_deref());
                record_items.extend(found.iter().cloned());
                found
            }
            FileKind::SqlScript | FileKind::Other => Vec::new(),
        };
        items.extend(found);
    }
    items.extend(sql::script_items(before, after, &record_items));
    // Grouped by target, each target's items in file order (a stable sort).
    items.sort_by(|a, b| a.target.cmp(&b.target));
    items
}

/// The targets (`<env>/<service>`) of some paths under the output folder.
fn targets_of<'p>(paths: impl Iterator<Item = &'p String>) -> BTreeSet<String> {
    paths
        .filter_map(|path| FileRef::of(path))
        .map(|file| file.target)
        .collect()
}

fn new_target(target: &String) -> Item {
    Item {
        target: target.clone(),
        file: format!("{target}/README.md"),
        object: format!("target/{target}"),
        field: String::new(),
        from: Value::Null,
        to: Value::from(target.as_str()),
        effect: Effect::InPlace,
        action: "a new target: its README's install plan creates everything".to_owned(),
    }
}

fn gone_target(target: &String) -> Item {
    Item {
        target: target.clone(),
        file: format!("{target}/README.md"),
        object: format!("target/{target}"),
        field: String::new(),
        from: Value::from(target.as_str()),
        to: Value::Null,
        effect: Effect::Manual,
        action: "gen no longer renders this target, and removes its files; what they created stays on the platform until removed by hand (its last README says what it created)".to_owned(),
    }
}

/// What a rendered file is, for the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A manifest under `kubernetes/`.
    Manifest,
    /// A Bicep file or its parameters (`bicep/`, `alerts/`).
    Bicep,
    /// The SQL script that carries the SQL-state record.
    SqlState,
    /// Another SQL script.
    SqlScript,
    /// A workbook's content, which `alerts.bicep` loads (`alerts/dashboard.workbook.json`).
    Workbook,
    /// The README and anything else with no effect of its own.
    Other,
}

/// A rendered file's place: its target and kind.
#[derive(Debug, Clone)]
pub struct FileRef {
    /// `<env>/<service>`.
    pub target: String,
    /// The path relative to the output folder.
    pub path: String,
    /// What the file is.
    pub kind: FileKind,
}

impl FileRef {
    /// The file at `path` (`env/service/folder/name`); `None` outside a target.
    pub fn of(path: &str) -> Option<FileRef> {
        let mut parts = path.splitn(3, '/');
        let (env, service, rest) = (parts.next()?, parts.next()?, parts.next()?);
        let kind = match rest.split_once('/') {
            Some(("kubernetes", name)) if name.ends_with(".yaml") => FileKind::Manifest,
            Some(("bicep" | "alerts", name))
                if name.ends_with(".bicep") || name.ends_with(".bicepparam") =>
            {
                FileKind::Bicep
            }
            Some(("alerts", name)) if name.ends_with(".workbook.json") => FileKind::Workbook,
            Some(("sql", name)) if name == crate::day_two::STATE_SCRIPT => FileKind::SqlState,
            Some(("sql", name)) if name.ends_with(".psql") => FileKind::SqlScript,
            _ => FileKind::Other,
        };
        Some(FileRef {
            target: format!("{env}/{service}"),
            path: path.to_owned(),
            kind,
        })
    }

    /// An item of this file.
    pub fn item(
        &self,
        object: String,
        field: String,
        (from, to): (Value, Value),
        (effect, action): (Effect, String),
    ) -> Item {
        Item {
            target: self.target.clone(),
            file: self.path.clone(),
            object,
            field,
            from,
            to,
            effect,
            action,
        }
    }
}

/// A value as an action's text: a string without its quotes.
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Fills `{name}`-style placeholders of a table's action text.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// How a rule judges a change: always the same effect, or by the values.
#[derive(Debug, Clone, Copy)]
pub enum Judge {
    /// Always this effect.
    Fixed(Effect),
    /// A quantity: `grow` when it grows (or stays), `shrink` when it shrinks; `unknown`
    /// when either side is not a quantity.
    Size {
        /// Effect of a growth.
        grow: Effect,
        /// Effect of a shrink.
        shrink: Effect,
    },
    /// A section that may appear or go: `added` when it appears, `removed` when it goes,
    /// `changed` otherwise.
    Presence {
        /// Effect of the section appearing.
        added: Effect,
        /// Effect of the section going.
        removed: Effect,
        /// Effect of a change inside it.
        changed: Effect,
    },
    /// A PostgreSQL image reference, by the major its tag names: `same` within a major,
    /// `up` to a higher one, `down` to a lower one; `unknown` when a tag names none.
    ImageMajor {
        /// Effect of a new minor (or the same tag, a new digest).
        same: Effect,
        /// Effect of a higher major.
        up: Effect,
        /// Effect of a lower major.
        down: Effect,
        /// Effect of another flavour or OS (same or another major).
        rebase: Effect,
    },
}

/// One row of a platform's table: what changing a field of one kind of object does.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The Kubernetes kind or Azure resource type; `*` for every kind.
    pub kind: &'static str,
    /// The field, as a dotted path where `[]` stands for any list item; a longer match wins.
    /// Empty: the object itself (added or removed).
    pub field: &'static str,
    /// The effect.
    pub judge: Judge,
    /// What to do, with `{placeholders}` the platform fills in.
    pub action: &'static str,
    /// Where the platform documents this.
    pub source: &'static str,
}

/// The rule of `table` for a change of `field` (as path segments) of an object of `kind`:
/// the longest pattern that matches, a kind's own row before a `*` row.
pub fn rule_for<'t>(table: &'t [Rule], kind: &str, field: &[tree::Seg]) -> Option<&'t Rule> {
    table
        .iter()
        .filter(|rule| rule.kind == kind || rule.kind == "*")
        .filter_map(|rule| {
            let pattern = tree::pattern(rule.field);
            tree::matches_prefix(&pattern, field).then_some((pattern.len(), rule.kind != "*", rule))
        })
        .max_by_key(|(len, own, _)| (*len, *own))
        .map(|(_, _, rule)| rule)
}

/// The effect `rule` gives a change from `from` to `to`, comparing sizes with `size`.
pub fn judge(rule: &Rule, from: &Value, to: &Value, size: fn(&Value) -> Option<f64>) -> Effect {
    match rule.judge {
        Judge::Fixed(effect) => effect,
        Judge::Size { grow, shrink } => match (size(from), size(to)) {
            (Some(old), Some(new)) if new >= old => grow,
            (Some(_), Some(_)) => shrink,
            // Added or removed: the object's own rule decides; here, nobody knows.
            _ => Effect::Unknown,
        },
        Judge::Presence {
            added,
            removed,
            changed,
        } => match (from.is_null(), to.is_null()) {
            (true, false) => added,
            (false, true) => removed,
            _ => changed,
        },
        Judge::ImageMajor {
            same,
            up,
            down,
            rebase,
        } => {
            let parts = |v: &Value| {
                v.as_str()
                    .and_then(crate::model::cnpg_facts::reference_parts)
            };
            match (parts(from), parts(to)) {
                (Some((_, old_rest)), Some((_, new_rest))) if old_rest != new_rest => rebase,
                (Some((old, _)), Some((new, _))) if new == old => same,
                (Some((old, _)), Some((new, _))) if new > old => up,
                (Some(_), Some(_)) => down,
                _ => Effect::Unknown,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_pattern_wins() {
        const TABLE: &[Rule] = &[
            Rule {
                kind: "*",
                field: "metadata",
                judge: Judge::Fixed(Effect::InPlace),
                action: "a",
                source: "s",
            },
            Rule {
                kind: "StatefulSet",
                field: "spec",
                judge: Judge::Fixed(Effect::Replace),
                action: "b",
                source: "s",
            },
            Rule {
                kind: "StatefulSet",
                field: "spec.template",
                judge: Judge::Fixed(Effect::InPlace),
                action: "c",
                source: "s",
            },
        ];
        let path = tree::parse_path("spec.template.spec.containers[postgresql].image");
        assert_eq!(rule_for(TABLE, "StatefulSet", &path).unwrap().action, "c");
        let path = tree::parse_path("spec.serviceName");
        assert_eq!(rule_for(TABLE, "StatefulSet", &path).unwrap().action, "b");
        let path = tree::parse_path("metadata.labels.owner");
        assert_eq!(rule_for(TABLE, "Service", &path).unwrap().action, "a");
        assert!(rule_for(TABLE, "Service", &tree::parse_path("spec.ports")).is_none());
    }

    #[test]
    fn a_human_line_keeps_a_hostile_value_on_its_line() {
        let file = FileRef::of("dev/svc/kubernetes/30-configmap-x.yaml").unwrap();
        let item = file.item(
            "ConfigMap/x".to_owned(),
            "data.a".to_owned(),
            (Value::from("one\nEVIL"), Value::from("two")),
            (Effect::InPlace, "apply".to_owned()),
        );
        let line = item.human_line();
        assert_eq!(line.lines().count(), 2, "{line}");
        assert!(line.contains(r#""one\nEVIL""#), "{line}");
    }

    #[test]
    fn only_replace_manual_and_unknown_need_acknowledgement() {
        let needing: Vec<&str> = Effect::ALL
            .iter()
            .filter(|e| e.needs_acknowledgement())
            .map(|e| e.as_str())
            .collect();
        assert_eq!(needing, ["replace", "manual", "unknown"]);
    }
}

/// The fields of one rendered file that no row of its platform's table covers, as
/// `<kind> <field>`: a change of one would be `unknown` for lack of a row. The tests run it
/// over every file the example and its variants render.
pub fn fields_without_a_rule(path: &str, text: &str) -> Vec<String> {
    match FileRef::of(path).map(|f| f.kind) {
        Some(FileKind::Manifest) => {
            let Ok(node) = crate::yaml::Node::parse(text) else {
                return vec![format!("{path}: not YAML")];
            };
            let tree = node.to_json();
            let kind = tree["kind"].as_str().unwrap_or_default().to_owned();
            // apiVersion and kind identify the object; its name is a row of its own.
            uncovered(&kind, &tree, kubernetes::RULES, &["apiVersion", "kind"])
        }
        Some(FileKind::Bicep) => bicep_objects::parse(text)
            .iter()
            .filter(|resource| resource.kind != "param")
            .flat_map(|resource| {
                uncovered(&resource.kind, &resource.tree, azure::RULES, &["parent"])
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The leaf fields of `tree` (but those under `identity`) that no row of `table` covers.
fn uncovered(kind: &str, tree: &Value, table: &[Rule], identity: &[&str]) -> Vec<String> {
    let mut paths = Vec::new();
    leaves(tree, &mut Vec::new(), &mut paths);
    paths
        .into_iter()
        .filter(|path| !matches!(path.first(), Some(Seg::Key(k)) if identity.contains(&k.as_str())))
        .filter(|path| rule_for(table, kind, path).is_none())
        .map(|path| format!("{kind} {}", tree::display(&path)))
        .collect()
}

fn leaves(value: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                path.push(Seg::Key(key.clone()));
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, child) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

#[cfg(test)]
mod coverage {
    //! Every field of every object the example renders has a row (the variants are checked by
    //! tests/plan.rs).

    #[test]
    fn every_rendered_field_has_a_rule() {
        let files = crate::app::render_folder(std::path::Path::new("inputs")).unwrap();
        let missing: std::collections::BTreeSet<String> = files
            .iter()
            .flat_map(|(path, bytes)| {
                super::fields_without_a_rule(path, &String::from_utf8_lossy(bytes))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "no rule for:\n{}",
            missing.into_iter().collect::<Vec<_>>().join("\n")
        );
    }

    #[test]
    fn a_field_without_a_row_is_reported() {
        let manifest =
            "apiVersion: v1\nkind: Widget\nmetadata:\n  name: pg\nspec:\n  madeUpField: 1\n";
        assert_eq!(
            super::fields_without_a_rule("dev/svc/kubernetes/10-service.yaml", manifest),
            ["Widget spec.madeUpField"]
        );
    }
}
