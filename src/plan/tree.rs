//! Field-by-field differences of two object trees (a manifest or a Bicep resource as JSON).

use serde_json::Value;

/// One step of a field's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list item that has a `name` (containers, volumes, ports): found by it, not by its
    /// place, so inserting one does not show every later one as changed.
    Name(String),
    /// A list item by position.
    Index(usize),
}

/// A changed field: its path and both values (`null` where absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where.
    pub path: Vec<Seg>,
    /// The previous value.
    pub from: Value,
    /// The new value.
    pub to: Value,
}

/// Every leaf that differs between `old` and `new`. A list whose items cannot be matched
/// (different lengths, no names) is one change of the whole list.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    walk(&mut Vec::new(), old, new, &mut changes);
    changes
}

fn walk(path: &mut Vec<Seg>, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            // Object keys in the new tree's order first, then the removed ones.
            let mut ordered: Vec<&String> = b.keys().collect();
            ordered.extend(keys.into_iter().filter(|k| !b.contains_key(*k)));
            for key in ordered {
                path.push(Seg::Key(key.clone()));
                walk(
                    path,
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    changes,
                );
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) => match (named(a), named(b)) {
            (Some(a_names), Some(b_names)) => {
                let mut names: Vec<&str> = b_names.clone();
                names.extend(a_names.iter().filter(|n| !b_names.contains(n)));
                for name in names {
                    let find = |items: &[Value], names: &[&str]| {
                        names
                            .iter()
                            .position(|n| *n == name)
                            .map_or(Value::Null, |i| items[i].clone())
                    };
                    path.push(Seg::Name(name.to_owned()));
                    walk(path, &find(a, &a_names), &find(b, &b_names), changes);
                    path.pop();
                }
            }
            _ if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    path.push(Seg::Index(i));
                    walk(path, x, y, changes);
                    path.pop();
                }
            }
            _ => changes.push(change(path, old, new)),
        },
        _ => changes.push(change(path, old, new)),
    }
}

fn change(path: &[Seg], old: &Value, new: &Value) -> Change {
    Change {
        path: path.to_vec(),
        from: old.clone(),
        to: new.clone(),
    }
}

/// The name of every item (its `name`, or its `metadata.name` for an object such as a
/// volume claim template), when every item has a distinct one.
fn named(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|item| {
            item.get("name")
                .or_else(|| item.pointer("/metadata/name"))
                .and_then(Value::as_str)
        })
        .collect::<Option<_>>()?;
    let distinct: std::collections::BTreeSet<&&str> = names.iter().collect();
    (!names.is_empty() && distinct.len() == names.len()).then_some(names)
}

/// A path as the plan prints it: `spec.template.spec.containers[postgresql].image`; a key
/// that is not a plain word is quoted (`metadata.labels["app.kubernetes.io/name"]`).
pub fn display(path: &[Seg]) -> String {
    let mut text = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) if is_word(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Seg::Key(key) => text.push_str(&format!("[{}]", Value::from(key.as_str()))),
            Seg::Name(name) if is_word(name) => text.push_str(&format!("[{name}]")),
            Seg::Name(name) => text.push_str(&format!("[{}]", Value::from(name.as_str()))),
            Seg::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

fn is_word(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A pattern of a rule: keys, and `[]` for any list item.
pub fn pattern(text: &str) -> Vec<Option<&str>> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split('.')
        .flat_map(|part| match part.strip_suffix("[]") {
            Some(key) => vec![Some(key), None],
            None => vec![Some(part)],
        })
        .collect()
}

/// Whether `pattern` matches the start of `path`.
pub fn matches_prefix(pattern: &[Option<&str>], path: &[Seg]) -> bool {
    pattern.len() <= path.len()
        && pattern.iter().zip(path).all(|(p, seg)| match (p, seg) {
            (Some(key), Seg::Key(k)) => key == k,
            (None, Seg::Name(_) | Seg::Index(_)) => true,
            _ => false,
        })
}

/// Parses a displayed path of plain keys and `[name]`/`[0]` items back (for tests and
/// tables).
pub fn parse_path(text: &str) -> Vec<Seg> {
    let mut path = Vec::new();
    for part in text.split('.') {
        let (key, items) = part
            .split_once('[')
            .map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            path.push(Seg::Key(key.to_owned()));
        }
        for item in items.split('[').filter(|s| !s.is_empty()) {
            let item = item.trim_end_matches(']');
            path.push(match item.parse() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Name(item.to_owned()),
            });
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_items_are_matched_by_name_and_others_by_place() {
        let old = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]}});
        let new = json!({"spec": {"containers": [{"name": "c", "image": "z"}, {"name": "a", "image": "x:2"}, {"name": "b", "image": "y"}]}});
        let changes: Vec<(String, Value, Value)> = diff(&old, &new)
            .into_iter()
            .map(|c| (display(&c.path), c.from, c.to))
            .collect();
        assert_eq!(
            changes,
            [
                (
                    "spec.containers[c]".to_owned(),
                    Value::Null,
                    json!({"name": "c", "image": "z"})
                ),
                (
                    "spec.containers[a].image".to_owned(),
                    json!("x:1"),
                    json!("x:2")
                ),
            ]
        );
        let lists = diff(&json!({"a": [1, 2]}), &json!({"a": [1, 2, 3]}));
        assert_eq!(display(&lists[0].path), "a");
        let same_length = diff(&json!({"a": [1, 2]}), &json!({"a": [1, 3]}));
        assert_eq!(display(&same_length[0].path), "a[1]");
    }

    #[test]
    fn keys_that_are_not_words_are_quoted() {
        let path = vec![
            Seg::Key("metadata".to_owned()),
            Seg::Key("labels".to_owned()),
            Seg::Key("app.kubernetes.io/name".to_owned()),
        ];
        assert_eq!(
            display(&path),
            r#"metadata.labels["app.kubernetes.io/name"]"#
        );
    }

    #[test]
    fn patterns_match_keys_and_any_item() {
        let pattern = pattern("spec.volumeClaimTemplates[].spec");
        assert!(matches_prefix(
            &pattern,
            &parse_path("spec.volumeClaimTemplates[data].spec.resources")
        ));
        assert!(!matches_prefix(
            &pattern,
            &parse_path("spec.volumeClaimTemplates")
        ));
        assert!(!matches_prefix(&pattern, &parse_path("spec.template")));
    }
}
