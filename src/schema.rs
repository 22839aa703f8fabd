//! JSON Schemas of the input files, generated from the input types.
//!
//! The schemas are committed under `schema/` for editors (`# yaml-language-server:
//! $schema=...`), and the same values drive the first validation stage, so what an editor
//! underlines and what `gen validate` reports cannot drift apart. A test fails when the
//! committed files are stale; `gen schema` rewrites them.

use std::sync::OnceLock;

use serde_json::Value;

use crate::input::{EnvironmentFile, ProjectFile, ServiceFile};
use crate::load::FileKind;

/// The schema files, as (file name, kind).
pub const SCHEMA_FILES: [(&str, FileKind); 3] = [
    ("project.schema.json", FileKind::Project),
    ("environment.schema.json", FileKind::Environment),
    ("service.schema.json", FileKind::Service),
];

/// The JSON Schema of one kind of input file.
pub fn schema_for(kind: FileKind) -> &'static Value {
    static SCHEMAS: OnceLock<[Value; 3]> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        [
            schemars::schema_for!(ProjectFile).to_value(),
            schemars::schema_for!(EnvironmentFile).to_value(),
            schemars::schema_for!(ServiceFile).to_value(),
        ]
    });
    match kind {
        FileKind::Project => &schemas[0],
        FileKind::Environment => &schemas[1],
        FileKind::Service => &schemas[2],
    }
}

/// The committed text of a schema: pretty JSON with a final newline.
pub fn schema_text(kind: FileKind) -> String {
    let mut text = serde_json::to_string_pretty(schema_for(kind)).expect("schemas serialize");
    text.push('\n');
    text
}

/// Resolves a local `$ref` (`#/$defs/Name`) against the schema's root.
pub fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    // A bounded loop: schemars never chains references, but a loop must not hang us.
    for _ in 0..8 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                match root.pointer(pointer) {
                    Some(target) => schema = target,
                    None => return schema,
                }
            }
            None => return schema,
        }
    }
    schema
}

/// The object schema among `anyOf`/`oneOf` alternatives (how schemars spells `Option<T>`).
fn object_alternative<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(root, schema);
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            for alternative in alternatives {
                let alternative = resolve(root, alternative);
                if alternative.get("properties").is_some()
                    || alternative.get("additionalProperties").is_some()
                    || alternative.get("items").is_some()
                {
                    return alternative;
                }
            }
        }
    }
    schema
}

/// The sub-schema that applies at `path` of an instance.
pub fn schema_at<'a>(root: &'a Value, path: &[crate::yaml::Seg]) -> Option<&'a Value> {
    let mut schema = object_alternative(root, root);
    for seg in path {
        let next = match seg {
            crate::yaml::Seg::Key(key) => schema
                .get("properties")
                .and_then(|p| p.get(key))
                .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))?,
            crate::yaml::Seg::Index(_) => schema.get("items")?,
        };
        schema = object_alternative(root, next);
    }
    Some(schema)
}

/// The field names a mapping at `path` accepts.
pub fn known_fields(kind: FileKind, path: &[crate::yaml::Seg]) -> Vec<&'static str> {
    schema_at(schema_for(kind), path)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|props| props.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Seg;

    #[test]
    fn known_fields_follow_references_and_options() {
        let path = [
            Seg::Key("deployments".into()),
            Seg::Key("prod".into()),
            Seg::Key("server".into()),
        ];
        let fields = known_fields(FileKind::Service, &path);
        assert!(
            fields.contains(&"administratorPasswordSecret"),
            "{fields:?}"
        );
        let roles = [
            Seg::Key("database".into()),
            Seg::Key("roles".into()),
            Seg::Index(0),
        ];
        assert!(known_fields(FileKind::Service, &roles).contains(&"passwordSecret"));
    }
}
