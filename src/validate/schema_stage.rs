//! The JSON Schema pass: jsonschema errors turned into positioned, readable diagnostics.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::diagnostics::{self, Diagnostic};
use crate::load::{FileKind, SourceFile};
use crate::schema::{schema_at, schema_for};
use crate::yaml::{Node, NodeKind, Seg};

/// The validators of the three kinds of file, generated from the committed schemas when
/// gen is compiled: compiling them at every start was a fifth of a render's instructions
/// (and half of `gen validate`'s), and the schemas cannot change after the build.
#[jsonschema::validator(path = "schema/project.schema.json")]
struct ProjectSchema;
#[jsonschema::validator(path = "schema/environment.schema.json")]
struct EnvironmentSchema;
#[jsonschema::validator(path = "schema/service.schema.json")]
struct ServiceSchema;

/// Every violation of `kind`'s schema in `instance`.
fn schema_errors(kind: FileKind, instance: &Value) -> jsonschema::ErrorIterator<'_> {
    match kind {
        FileKind::Project => ProjectSchema::iter_errors(instance),
        FileKind::Environment => EnvironmentSchema::iter_errors(instance),
        FileKind::Service => ServiceSchema::iter_errors(instance),
    }
}

/// Every schema violation in `file` (whose tree as JSON is `instance`), except unknown-field
/// errors on keys the secret scan already reported (one problem, one message).
pub fn schema_problems(
    file: &SourceFile,
    instance: &serde_json::Value,
    secrets: &[Diagnostic],
) -> Vec<Diagnostic> {
    let mut problems: Vec<Diagnostic> = schema_errors(file.kind, instance)
        .flat_map(|error| describe(file, &error))
        .filter(|d| !secrets.iter().any(|s| s.pos == d.pos))
        .collect();
    problems.dedup();
    problems
}

/// `instance` without the fields its schema does not know, when those are its only
/// violations: the rest of the file is then valid and takes part in the cross-file rules,
/// so a misspelt optional key does not hide the file's other problems. `None` when any
/// other violation remains.
pub fn without_unknown_fields(kind: FileKind, instance: &Value) -> Option<Value> {
    let mut unknown = Vec::new();
    for error in schema_errors(kind, instance) {
        let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() else {
            return None;
        };
        let path = instance_path(&error);
        unknown.extend(unexpected.iter().map(|name| (path.clone(), name.clone())));
    }
    let mut pruned = instance.clone();
    for (path, name) in unknown {
        if let Some(Value::Object(mapping)) = json_at_mut(&mut pruned, &path) {
            mapping.remove(&name);
        }
    }
    let valid = schema_errors(kind, &pruned).next().is_none();
    valid.then_some(pruned)
}

/// The value at `path` inside `value`.
fn json_at_mut<'a>(value: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |value, seg| match seg {
        Seg::Key(key) => value.get_mut(key.as_str()),
        Seg::Index(i) => value.get_mut(*i),
    })
}

fn instance_path(error: &ValidationError<'_>) -> Vec<Seg> {
    error
        .instance_path()
        .iter()
        .map(|segment| match segment {
            LocationSegment::Property(p) => Seg::Key(p.into_owned()),
            LocationSegment::Index(i) => Seg::Index(i),
        })
        .collect()
}

/// The text of a scalar node, as it was written.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Str(s) => Some(s.clone()),
        NodeKind::Int(i) => Some(i.to_string()),
        NodeKind::Float(f) => Some(f.to_string()),
        NodeKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn found(node: Option<&Node>) -> String {
    match node {
        None => "nothing".to_owned(),
        Some(node) => {
            scalar_text(node).map_or_else(|| node.type_name().to_owned(), |t| format!("`{t}`"))
        }
    }
}

fn type_names(kind: &TypeKind) -> String {
    let name = |t: &str| match t {
        "object" => "a mapping".to_owned(),
        "array" => "a sequence".to_owned(),
        "integer" => "a whole number".to_owned(),
        "null" => "nothing".to_owned(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => name(t.as_str()),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(t.as_str()))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn describe(file: &SourceFile, error: &ValidationError<'_>) -> Vec<Diagnostic> {
    let path = instance_path(error);
    let node = file.root.get(&path);
    let at =
        |message: String| Diagnostic::new(file.display.clone(), file.root.pos_of(&path), message);
    // A field that names a secret may hold the pasted secret itself: never echo it.
    let names_a_secret = matches!(path.last(), Some(Seg::Key(k)) if k.ends_with("Secret"));
    let found = |node: Option<&Node>| match node.and_then(scalar_text) {
        Some(text) if names_a_secret => crate::names::masked(&text),
        _ => found(node),
    };
    let field = match path.last() {
        Some(Seg::Key(k)) => format!("`{k}`"),
        Some(Seg::Index(i)) => format!("item {i}"),
        None => "the file".to_owned(),
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                let known = crate::schema::known_fields(file.kind, &path);
                let pos = file
                    .root
                    .key_pos(&path, name)
                    .unwrap_or_else(|| file.root.pos_of(&path));
                Diagnostic::new(file.display.clone(), pos, format!("unknown field `{name}`"))
                    .expected(format!("one of {}", diagnostics::list(&known)))
                    .found(format!("`{name}`"))
                    .maybe_hint(
                        diagnostics::nearest(name, known.iter().copied())
                            .map(|k| format!("did you mean `{k}`?")),
                    )
            })
            .collect(),
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![
                at(format!("missing field `{name}`"))
                    .expected(format!("`{name}` in this mapping"))
                    .found(format!(
                        "only {}",
                        diagnostics::list(
                            node.map_or(&[][..], Node::entries)
                                .iter()
                                .map(|(k, _)| &k.name)
                        )
                    ))
                    .maybe_hint(field_description(file.kind, &path, name)),
            ]
        }
        ValidationErrorKind::Type { kind } => vec![
            at(format!("{field} has the wrong type"))
                .expected(type_names(kind))
                .found(node.map_or("nothing", Node::type_name))
                .maybe_hint(quote_hint(kind, node)),
        ],
        ValidationErrorKind::Enum { options } => {
            let accepted: Vec<String> = options
                .as_array()
                .map(|values| {
                    values
                        .iter()
                        .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let nearest = node
                .and_then(Node::as_str)
                .and_then(|s| diagnostics::nearest(s, accepted.iter().map(String::as_str)))
                .map(|k| format!("did you mean `{k}`?"));
            vec![
                at(format!("{field} is not an accepted value"))
                    .expected(format!("one of {}", diagnostics::list(&accepted)))
                    .found(found(node))
                    .maybe_hint(nearest),
            ]
        }
        ValidationErrorKind::Minimum { limit } => {
            vec![
                at(format!("{field} is too small"))
                    .expected(format!("at least {limit}"))
                    .found(found(node)),
            ]
        }
        ValidationErrorKind::Maximum { limit } => {
            vec![
                at(format!("{field} is too large"))
                    .expected(format!("at most {limit}"))
                    .found(found(node)),
            ]
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let schema = schema_at(schema_for(file.kind), &path);
            let accepted = schema
                .map(|s| accepted_values(schema_for(file.kind), s))
                .unwrap_or_default();
            if !accepted.is_empty() {
                let nearest = node
                    .and_then(Node::as_str)
                    .and_then(|s| diagnostics::nearest(s, accepted.iter().map(String::as_str)))
                    .map(|k| format!("did you mean `{k}`?"));
                return vec![
                    at(format!("{field} is not an accepted value"))
                        .expected(format!("one of {}", diagnostics::list(&accepted)))
                        .found(found(node))
                        .maybe_hint(nearest),
                ];
            }
            if let Some(branch) = deepest_branch(context, path.len()) {
                return branch.iter().flat_map(|e| describe(file, e)).collect();
            }
            vec![
                at(format!("{field} has an unexpected shape"))
                    .expected(expected_shape(file.kind, &path))
                    .found(node.map_or("nothing", Node::type_name)),
            ]
        }
        _ => vec![at(format!("{field}: {}", error.masked())).found(found(node))],
    }
}

/// The constant values a schema accepts, from `enum` or from `oneOf`/`anyOf` of `const`s
/// (how schemars spells a documented enum).
fn accepted_values(root: &Value, schema: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or(v.to_string(), str::to_owned);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.iter().map(text).collect();
    }
    let alternatives = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array);
    let mut accepted = Vec::new();
    for alternative in alternatives.into_iter().flatten() {
        let alternative = crate::schema::resolve(root, alternative);
        if let Some(value) = alternative.get("const") {
            accepted.push(text(value));
        } else if let Some(values) = alternative.get("enum").and_then(Value::as_array) {
            accepted.extend(values.iter().map(text));
        } else {
            return Vec::new();
        }
    }
    accepted
}

/// Of the alternatives of an `anyOf`, the one whose errors reach deepest into the value:
/// for `Option<T>` that is `T`'s errors, not "expected null". None when no alternative
/// gets past the value itself.
fn deepest_branch<'a>(
    context: &'a [Vec<ValidationError<'static>>],
    depth: usize,
) -> Option<&'a Vec<ValidationError<'static>>> {
    let reach = |branch: &Vec<ValidationError<'static>>| {
        branch
            .iter()
            .map(|e| e.instance_path().iter().count())
            .max()
            .unwrap_or(0)
    };
    context
        .iter()
        .filter(|branch| !branch.is_empty())
        .max_by_key(|branch| reach(branch))
        .filter(|branch| {
            reach(branch) > depth
                || branch
                    .iter()
                    .all(|e| !matches!(e.kind(), ValidationErrorKind::Type { .. }))
        })
}

/// A hint for a number or boolean where text was expected: YAML reads `on` and `14` as
/// text and numbers differently than people do.
fn quote_hint(kind: &TypeKind, node: Option<&Node>) -> Option<String> {
    let wants_string = match kind {
        TypeKind::Single(t) => t.as_str() == "string",
        TypeKind::Multiple(set) => set.iter().any(|t| t.as_str() == "string"),
    };
    match node.map(|n| &n.kind) {
        Some(NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_)) if wants_string => {
            Some("quote the value to make it text, e.g. \"14\"".to_owned())
        }
        _ => None,
    }
}

fn field_description(kind: FileKind, path: &[Seg], name: &str) -> Option<String> {
    let schema = schema_at(schema_for(kind), path)?;
    let property = crate::schema::resolve(schema_for(kind), schema.get("properties")?.get(name)?);
    property
        .get("description")
        .and_then(Value::as_str)
        .map(|d| format!("`{name}`: {d}"))
}

fn expected_shape(kind: FileKind, path: &[Seg]) -> String {
    let Some(schema) = schema_at(schema_for(kind), path) else {
        return "a different value".to_owned();
    };
    let alternatives = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array);
    match alternatives {
        Some(alternatives) => alternatives
            .iter()
            .filter_map(|a| a.get("type").and_then(Value::as_str))
            .map(|t| match t {
                "object" => "a mapping",
                "array" => "a sequence",
                "integer" => "a whole number",
                "number" => "a number",
                "boolean" => "a boolean",
                "string" => "text",
                _ => "a value",
            })
            .collect::<Vec<_>>()
            .join(" or "),
        None => "a different value".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{assert_one, validate_example_with};

    #[test]
    fn an_unknown_field_points_at_its_key_and_suggests_the_name() {
        let found = validate_example_with(
            "services/auth.yaml",
            "      connectionLimit: 50",
            "      conectionLimit: 50",
        );
        // Unknown `conectionLimit`, and the missing `connectionLimit` at the role.
        assert_eq!(found.len(), 2, "{found:#?}");
        let typo = found
            .iter()
            .find(|d| d.message.contains("unknown field"))
            .unwrap();
        assert_eq!(typo.location(), "services/auth.yaml:11:7");
        assert_eq!(
            typo.hint.as_deref(),
            Some("did you mean `connectionLimit`?")
        );
        let missing = found
            .iter()
            .find(|d| d.message.contains("missing field"))
            .unwrap();
        assert_eq!(missing.location(), "services/auth.yaml:9:7");
    }

    #[test]
    fn a_wrong_enum_value_lists_the_accepted_ones() {
        let found =
            validate_example_with("environments/dev.yaml", "platform: aks", "platform: akss");
        assert_one(
            &found,
            "environments/dev.yaml:4:11",
            "not an accepted value",
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `aks`?"));
        assert!(
            found[0]
                .expected
                .as_deref()
                .unwrap()
                .contains("`azure-flexible-server`")
        );
    }

    #[test]
    fn a_wrong_type_says_what_was_expected() {
        let found = validate_example_with(
            "services/auth.yaml",
            "connectionLimit: 50",
            "connectionLimit: fifty",
        );
        assert_one(&found, "services/auth.yaml:11:24", "wrong type");
    }

    #[test]
    fn a_number_where_text_is_expected_suggests_quotes() {
        let found = validate_example_with("services/auth.yaml", "version: \"15\"", "version: 15");
        assert_one(&found, "services/auth.yaml:21:16", "wrong type");
        assert!(found[0].hint.as_deref().unwrap().contains("quote"));
    }

    #[test]
    fn malformed_yaml_is_reported_at_its_position() {
        let found = validate_example_with(
            "services/auth.yaml",
            "extensions: [uuid-ossp, pg_stat_statements]",
            "extensions: [uuid-ossp, pg_stat_statements",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.starts_with("invalid YAML"), "{}", found[0]);
        assert_eq!(found[0].file, "services/auth.yaml");
    }
}
