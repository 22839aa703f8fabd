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

/// The JSON Schema of one kind of input file, as committed under `schema/`: the
/// validators are generated from these files when gen is compiled, and the messages about
/// a violation read field descriptions and accepted values here, so both see the same
/// schema. A test keeps the committed files equal to what the input types generate.
pub fn schema_for(kind: FileKind) -> &'static Value {
    static SCHEMAS: [OnceLock<Value>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (slot, text) = match kind {
        FileKind::Project => (&SCHEMAS[0], include_str!("../schema/project.schema.json")),
        FileKind::Environment => (
            &SCHEMAS[1],
            include_str!("../schema/environment.schema.json"),
        ),
        FileKind::Service => (&SCHEMAS[2], include_str!("../schema/service.schema.json")),
    };
    slot.get_or_init(|| serde_json::from_str(text).expect("committed schemas are JSON"))
}

/// The JSON Schema the input types generate (what `gen schema` writes).
///
/// Draft-07: editors' YAML language servers support it best.
pub fn generated_schema(kind: FileKind) -> Value {
    let generator = || schemars::generate::SchemaSettings::draft07().into_generator();
    match kind {
        FileKind::Project => generator().into_root_schema_for::<ProjectFile>().to_value(),
        FileKind::Environment => generator()
            .into_root_schema_for::<EnvironmentFile>()
            .to_value(),
        FileKind::Service => generator().into_root_schema_for::<ServiceFile>().to_value(),
    }
}

/// The committed text of a schema: pretty JSON with a final newline.
pub fn schema_text(kind: FileKind) -> String {
    let mut text =
        serde_json::to_string_pretty(&generated_schema(kind)).expect("schemas serialize");
    text.push('\n');
    text
}

/// Resolves a local `$ref` (`#/definitions/Name`), also when draft-07 wraps it in a
/// one-element `allOf` (so that a description may stand beside it).
pub fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    // A bounded loop: schemars never chains references, but a loop must not hang us.
    for _ in 0..8 {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match root.pointer(reference.trim_start_matches('#')) {
                Some(target) => schema = target,
                None => return schema,
            }
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            return schema;
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
    fn the_embedded_schemas_are_the_generated_ones() {
        for (_, kind) in SCHEMA_FILES {
            assert_eq!(
                schema_for(kind),
                &generated_schema(kind),
                "run `gen schema`"
            );
        }
    }

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
