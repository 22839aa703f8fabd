//! `docs/inputs.md` documents every field of the three input files, and nothing else:
//! every property path of the committed JSON Schemas (`schema/*.schema.json`) must have a
//! row in the doc's section for its file, and every row must name a path some schema has.
//!
//! The notation is the one `docs/inputs.md` explains at its top: `a.b` for a nested key,
//! `a[].b` for a key of each element of the array `a`, and `a.<name>` for the value under
//! any key of the map `a` (the word between the angle brackets is free; the test reads any
//! `<…>` segment as "any key").

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// The three input files: schema file, and a string that the doc's `## ` heading of that
/// file's section contains.
const FILES: [(&str, &str); 3] = [
    ("project.schema.json", "`project.yaml`"),
    ("environment.schema.json", "`environments/<env>.yaml`"),
    ("service.schema.json", "`services/<service>.yaml`"),
];

/// The map-key segment every `<…>` in a path is read as.
const ANY_KEY: &str = "<*>";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Resolves a local `$ref` (`#/definitions/X` or `#/$defs/X`) against the schema's root.
fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local $refs are expected, found {reference}"));
    root.pointer(pointer)
        .unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
}

/// Adds to `out` every property path under `schema`, whose own path is `path` (empty at the
/// root). `refs` holds the `$ref`s being followed, so that a recursive definition stops.
fn walk(
    root: &Value,
    schema: &Value,
    path: &str,
    refs: &mut Vec<String>,
    out: &mut BTreeSet<String>,
) {
    let Some(object) = schema.as_object() else {
        return; // `true` / `false` schemas have no properties.
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str)
        && !refs.iter().any(|r| r == reference)
    {
        refs.push(reference.to_owned());
        walk(root, resolve(root, reference), path, refs, out);
        refs.pop();
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for sub in object
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(root, sub, path, refs, out);
        }
    }
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        for (name, sub) in properties {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            out.insert(child.clone());
            walk(root, sub, &child, refs, out);
        }
    }
    if let Some(sub) = object.get("additionalProperties")
        && sub.is_object()
    {
        let child = format!("{path}.{ANY_KEY}");
        out.insert(child.clone());
        walk(root, sub, &child, refs, out);
    }
    match object.get("items") {
        Some(Value::Array(tuple)) => {
            for sub in tuple {
                walk(root, sub, &format!("{path}[]"), refs, out);
            }
        }
        Some(sub) => walk(root, sub, &format!("{path}[]"), refs, out),
        None => {}
    }
}

/// Every property path of one committed schema.
fn schema_paths(file: &str) -> BTreeSet<String> {
    let path = root().join("schema").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut out = BTreeSet::new();
    walk(&schema, &schema, "", &mut Vec::new(), &mut out);
    out
}

/// Reads every `<…>` segment of a documented path as "any key".
fn normalise(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |end| start + end + 1);
        out.push_str(ANY_KEY);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A documented path: its section (index into `FILES`), its normalised path, and its line.
struct Row {
    file: usize,
    path: String,
    line: usize,
}

/// The header of every field table: its first cell.
const FIELD_HEADER: &str = "Field";

/// The rows of `docs/inputs.md`'s field tables (those whose header's first cell is
/// `Field`), inside one of the three files' sections (from a `## ` heading naming the file
/// up to the next `## ` heading), whose first cell is a path in backticks. Other tables
/// (the signal table, the notation table) are not field tables.
fn documented_rows(doc: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut section = None;
    let mut field_table = false;
    let mut in_table = false;
    for (index, line) in doc.lines().enumerate() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = FILES.iter().position(|(_, name)| heading.contains(name));
            in_table = false;
            continue;
        }
        let Some(cells) = line.trim().strip_prefix('|') else {
            in_table = false;
            continue;
        };
        let first = cells.split('|').next().unwrap_or("").trim();
        if !in_table {
            // The first row of a table is its header.
            in_table = true;
            field_table = first == FIELD_HEADER;
            continue;
        }
        let Some(file) = section else { continue };
        if !field_table {
            continue;
        }
        if let Some(path) = first
            .strip_prefix('`')
            .and_then(|cell| cell.strip_suffix('`'))
        {
            rows.push(Row {
                file,
                path: normalise(path),
                line: index + 1,
            });
        }
    }
    rows
}

#[test]
fn every_schema_field_is_documented_and_every_documented_field_exists() {
    let doc_path = root().join("docs/inputs.md");
    let doc = std::fs::read_to_string(&doc_path)
        .unwrap_or_else(|e| panic!("{}: {e}", doc_path.display()));
    let rows = documented_rows(&doc);
    let mut problems = Vec::new();
    let mut total = 0;
    for (file, (schema, heading)) in FILES.iter().enumerate() {
        let expected = schema_paths(schema);
        assert!(
            !expected.is_empty(),
            "schema/{schema} has no property paths: the walk is broken"
        );
        total += expected.len();
        let mut documented = BTreeSet::new();
        for row in rows.iter().filter(|row| row.file == file) {
            if !documented.insert(row.path.clone()) {
                problems.push(format!(
                    "docs/inputs.md:{}: `{}` is documented twice in the {heading} section",
                    row.line, row.path
                ));
            }
            if !expected.contains(&row.path) {
                problems.push(format!(
                    "docs/inputs.md:{}: `{}` (section {heading}) is not a field of schema/{schema}: stale documentation",
                    row.line, row.path
                ));
            }
        }
        for path in expected.difference(&documented) {
            problems.push(format!(
                "`{path}` of schema/{schema} has no row in the {heading} section of docs/inputs.md"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/inputs.md does not match the schemas ({} problems, {total} schema paths):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_walk_follows_refs_items_maps_and_combinators() {
    let schema = serde_json::json!({
        "definitions": {
            "Inner": { "properties": { "leaf": { "type": "string" } } },
            "Item": { "oneOf": [ { "properties": { "x": {} } } ] }
        },
        "properties": {
            "a": { "allOf": [ { "$ref": "#/definitions/Inner" } ] },
            "b": { "type": "array", "items": { "$ref": "#/definitions/Item" } },
            "c": { "additionalProperties": { "anyOf": [ { "$ref": "#/definitions/Inner" }, { "type": "null" } ] } },
            "d": { "$ref": "#/$defs/D" },
            "e": { "additionalProperties": false, "properties": {} }
        },
        "$defs": { "D": { "properties": { "y": {} } } }
    });
    let mut out = BTreeSet::new();
    walk(&schema, &schema, "", &mut Vec::new(), &mut out);
    let expected: BTreeSet<String> = [
        "a",
        "a.leaf",
        "b",
        "b[].x",
        "c",
        "c.<*>",
        "c.<*>.leaf",
        "d",
        "d.y",
        "e",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(out, expected);
    assert_eq!(
        normalise("deployments.<env>.server"),
        "deployments.<*>.server"
    );
    assert_eq!(normalise("rows[].<column>"), "rows[].<*>");
}
