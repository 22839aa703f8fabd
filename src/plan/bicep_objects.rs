//! The resources of a rendered Bicep file (and the parameters of a `.bicepparam`), read
//! back as trees for the plan. It reads the Bicep gen writes, one property per line, not
//! Bicep in general: a line it does not understand is skipped, never guessed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A declared resource (not an `existing` one) or a parameter value.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    /// The Bicep symbol (the plan pairs the two renders' resources by it).
    pub symbol: String,
    /// The resource type without its API version (`Microsoft.DBforPostgreSQL/flexibleServers`);
    /// `param` for a parameter.
    pub kind: String,
    /// The body as a tree: string literals as strings, numbers, booleans; any other
    /// expression as its text. A deployment condition is the key `condition`.
    pub tree: Value,
}

impl Declared {
    /// The resource's `name` property, as text.
    pub fn name(&self) -> String {
        match self.tree.get("name") {
            Some(Value::String(name)) => name.clone(),
            Some(other) => other.to_string(),
            None => self.symbol.clone(),
        }
    }

    /// The last segment of the type (`flexibleServers`).
    pub fn short_kind(&self) -> &str {
        self.kind.rsplit('/').next().unwrap_or(&self.kind)
    }
}

/// Every resource and parameter value of `text`, in order.
pub fn parse(text: &str) -> Vec<Declared> {
    let lines: Vec<&str> = text.lines().collect();
    let mut vars = BTreeMap::new();
    let mut declared = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some(rest) = line.strip_prefix("var ") {
            let Some((name, value)) = rest.split_once(" = ") else {
                continue;
            };
            let value = value_at(&lines, &mut i, value, &vars);
            vars.insert(name.trim().to_owned(), value);
        } else if let Some(rest) = line.strip_prefix("param ")
            && let Some((name, value)) = rest.split_once(" = ")
            // A value of a `.bicepparam`, not a declaration (`param name type = default`).
            && !name.trim().contains(' ')
        {
            declared.push(Declared {
                symbol: name.trim().to_owned(),
                kind: "param".to_owned(),
                tree: value_at(&lines, &mut i, value, &vars),
            });
        } else if let Some(rest) = line.strip_prefix("resource ")
            && let Some(resource) = resource_head(rest)
        {
            let mut tree = match value_at(&lines, &mut i, "{", &vars) {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            if resource.existing {
                continue;
            }
            if let Some(condition) = resource.condition {
                tree.insert("condition".to_owned(), Value::from(condition));
            }
            declared.push(Declared {
                symbol: resource.symbol,
                kind: resource.kind,
                tree: Value::Object(tree),
            });
        }
    }
    declared
}

/// What a `resource` line declares.
struct ResourceHead {
    symbol: String,
    kind: String,
    existing: bool,
    condition: Option<String>,
}

/// Reads `sym 'Type@version' [existing] = [if (cond)] {`.
fn resource_head(rest: &str) -> Option<ResourceHead> {
    let (symbol, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix('\'')?;
    let (type_version, rest) = rest.split_once('\'')?;
    let kind = type_version.split('@').next()?.to_owned();
    let rest = rest.trim().strip_suffix('{')?.trim_end();
    let existing = rest.starts_with("existing");
    let condition = rest
        .strip_prefix("= if (")
        .and_then(|c| c.strip_suffix(')'))
        .map(str::to_owned);
    Some(ResourceHead {
        symbol: symbol.to_owned(),
        kind,
        existing,
        condition,
    })
}

/// The value that starts with `first` (the text after `key:` or `=`): an object or array
/// read from the next lines when `first` opens one, else a scalar.
fn value_at(lines: &[&str], i: &mut usize, first: &str, vars: &BTreeMap<String, Value>) -> Value {
    match first.trim() {
        "{" => {
            let mut map = Map::new();
            while let Some(line) = next_line(lines, i) {
                if line == "}" {
                    break;
                }
                let Some((key, value)) = split_key(line) else {
                    continue;
                };
                let value = value_at(lines, i, value, vars);
                map.insert(key, value);
            }
            Value::Object(map)
        }
        "[" => {
            let mut items = Vec::new();
            while let Some(line) = next_line(lines, i) {
                if line == "]" {
                    break;
                }
                items.push(value_at(lines, i, line, vars));
            }
            Value::Array(items)
        }
        scalar => scalar_value(scalar, vars),
    }
}

/// The next line that is not blank or a comment, trimmed.
fn next_line<'a>(lines: &[&'a str], i: &mut usize) -> Option<&'a str> {
    while *i < lines.len() {
        let line = lines[*i].trim();
        *i += 1;
        if !line.is_empty() && !line.starts_with("//") {
            return Some(line);
        }
    }
    None
}

/// `key: value` or `'quoted key': value`.
fn split_key(line: &str) -> Option<(String, &str)> {
    if let Some(rest) = line.strip_prefix('\'') {
        let end = closing_quote(rest)?;
        let value = rest[end + 1..].strip_prefix(':')?;
        return Some((unescape(&rest[..end]), value.trim()));
    }
    let (key, value) = line.split_once(':')?;
    Some((key.trim().to_owned(), value.trim()))
}

/// The index of the quote that closes a string literal whose text starts `text`.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => return Some(index),
            _ => {}
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A scalar: a plain string literal, a number, a boolean, a variable's value, or any other
/// expression as its text.
fn scalar_value(text: &str, vars: &BTreeMap<String, Value>) -> Value {
    if let Some(body) = text.strip_prefix('\'')
        && closing_quote(body) == Some(body.len() - 1)
        && !body.contains("${")
    {
        return Value::from(unescape(&body[..body.len() - 1]));
    }
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if let Some(value) = vars.get(text) {
        return value.clone();
    }
    Value::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_are_read_with_variables_and_conditions_and_existing_ones_are_skipped() {
        let text = "var location = 'koreacentral'\nvar tags = {\n  'a.b': 'c'\n}\n\nresource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {\n  name: 'v'\n}\n\n// comment\nresource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = if (create) {\n  name: 'srv'\n  location: location\n  tags: tags\n  sku: {\n    name: 'Standard_D4s_v3'\n  }\n  properties: {\n    // a comment\n    storage: {\n      storageSizeGB: 256\n    }\n    network: {\n      delegatedSubnetResourceId: vnet.id\n    }\n    note: 'it\\'s: {x}'\n  }\n  dependsOn: [\n    vnet\n  ]\n}\n";
        let declared = parse(text);
        assert_eq!(declared.len(), 1);
        let server = &declared[0];
        assert_eq!(server.kind, "Microsoft.DBforPostgreSQL/flexibleServers");
        assert_eq!(server.name(), "srv");
        assert_eq!(
            server.tree,
            json!({
                "name": "srv",
                "location": "koreacentral",
                "tags": {"a.b": "c"},
                "sku": {"name": "Standard_D4s_v3"},
                "properties": {
                    "storage": {"storageSizeGB": 256},
                    "network": {"delegatedSubnetResourceId": "vnet.id"},
                    "note": "it's: {x}"
                },
                "dependsOn": ["vnet"],
                "condition": "create"
            })
        );
    }

    #[test]
    fn parameter_values_are_read_from_a_bicepparam() {
        let text = "using './main.bicep'\n\nparam createReplicas = bool(readEnvironmentVariable('X', 'false'))\n";
        let declared = parse(text);
        assert_eq!(declared[0].kind, "param");
        assert_eq!(declared[0].symbol, "createReplicas");
        assert_eq!(
            declared[0].tree,
            json!("bool(readEnvironmentVariable('X', 'false'))")
        );
    }

    #[test]
    fn every_rendered_bicep_file_reads_back_with_its_resources() {
        let files = crate::app::render_folder(std::path::Path::new("inputs")).unwrap();
        let mut resources = 0;
        for (path, bytes) in &files {
            if path.ends_with(".bicep") {
                let text = std::str::from_utf8(bytes).unwrap();
                let declared = parse(text);
                let expected = text
                    .lines()
                    .filter(|l| l.starts_with("resource ") && !l.contains(" existing = "))
                    .count();
                assert_eq!(declared.len(), expected, "{path}");
                for resource in &declared {
                    assert!(resource.tree.get("name").is_some(), "{path}: {resource:?}");
                }
                resources += declared.len();
            }
        }
        assert!(resources > 20, "{resources}");
    }
}
