//! A YAML reader that keeps the position of every key and value.
//!
//! We build our own small tree from `saphyr-parser` events instead of deserialising with a
//! serde YAML crate: the schema stage reports errors at JSON pointers, and only a tree
//! with positions can turn a pointer back into `line:column`. Building the tree ourselves
//! also lets us refuse the YAML features that make inputs dangerous or ambiguous: aliases
//! (the "billion laughs" expansion), custom tags, duplicate keys, several documents and
//! unbounded nesting.

use std::borrow::Cow;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A YAML value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub pos: Pos,
    /// The value.
    pub kind: NodeKind,
}

/// The shapes a YAML value can take after core-schema resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// Text.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in file order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where the key starts.
    pub pos: Pos,
}

/// A YAML problem at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
    /// How to fix it, when we know.
    pub hint: Option<String>,
}

/// One step of a path into a tree, as JSON pointers have them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl From<&str> for Seg {
    fn from(key: &str) -> Seg {
        Seg::Key(key.to_owned())
    }
}

impl From<&String> for Seg {
    fn from(key: &String) -> Seg {
        Seg::Key(key.clone())
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Seg {
        Seg::Index(index)
    }
}

/// A path into a tree: `path!["database", "roles", 0, "name"]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {
        &[$($crate::yaml::Seg::from($seg)),*][..]
    };
}

impl Node {
    /// Parses one YAML document.
    pub fn parse(text: &str) -> Result<Node, YamlError> {
        let mut builder = Builder {
            parser: Parser::new_from_str(text),
        };
        builder.document()
    }

    /// The node at `path`, if there is one.
    pub fn get(&self, path: &[Seg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.kind) {
                (Seg::Key(k), NodeKind::Map(entries)) => {
                    &entries.iter().find(|(key, _)| &key.name == k)?.1
                }
                (Seg::Index(i), NodeKind::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The position of the key `key` in the mapping at `path`.
    pub fn key_pos(&self, path: &[Seg], key: &str) -> Option<Pos> {
        match &self.get(path)?.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, _)| k.pos),
            _ => None,
        }
    }

    /// The best position for a problem at `path`: the value's own position when it exists,
    /// else its nearest existing ancestor's.
    pub fn pos_of(&self, path: &[Seg]) -> Pos {
        (0..=path.len())
            .rev()
            .find_map(|n| self.get(&path[..n]).map(|node| node.pos))
            .unwrap_or(self.pos)
    }

    /// The entries of a mapping (empty for other kinds).
    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.kind {
            NodeKind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The text of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The tree as JSON, for the schema stage and deserialisation.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::Number((*i).into()),
            NodeKind::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    /// A short description of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) | NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn err(pos: Pos, message: impl Into<String>, hint: Option<&str>) -> YamlError {
    YamlError {
        pos,
        message: message.into(),
        hint: hint.map(str::to_owned),
    }
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Pos), YamlError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, pos_of(&span))),
            Some(Err(e)) => Err(err(
                Pos {
                    line: e.marker().line(),
                    column: e.marker().col() + 1,
                },
                format!("invalid YAML: {}", e.info()),
                None,
            )),
            None => Err(err(Pos::default(), "unexpected end of YAML", None)),
        }
    }

    fn document(&mut self) -> Result<Node, YamlError> {
        let mut root = None;
        loop {
            let (event, pos) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::DocumentStart(_) => {
                    if root.is_some() {
                        return Err(err(
                            pos,
                            "a second YAML document in one file",
                            Some("put each environment or service in a file of its own"),
                        ));
                    }
                    let (event, pos) = self.next()?;
                    root = Some(self.node(event, pos, 0)?);
                }
                Event::StreamEnd => {
                    return Ok(root.unwrap_or(Node {
                        pos: Pos { line: 1, column: 1 },
                        kind: NodeKind::Null,
                    }));
                }
                _ => return Err(err(pos, "unexpected YAML event", None)),
            }
        }
    }

    fn node(&mut self, event: Event<'a>, pos: Pos, depth: usize) -> Result<Node, YamlError> {
        if depth > MAX_DEPTH {
            return Err(err(
                pos,
                format!("nesting deeper than {MAX_DEPTH} levels"),
                Some("design files are shallow; this looks like generated or hostile input"),
            ));
        }
        let kind = match event {
            Event::Alias(_) => {
                return Err(err(
                    pos,
                    "YAML aliases (`*name`) are not supported",
                    Some("write the value out in full; aliases make inputs hard to review"),
                ));
            }
            Event::Scalar(text, style, _, tag) => scalar(text, style, tag.as_deref(), pos)?,
            Event::SequenceStart(_, tag) => {
                reject_tag(tag.as_deref(), pos)?;
                let mut items = Vec::new();
                loop {
                    let (event, item_pos) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(event, item_pos, depth + 1)?);
                }
                NodeKind::Seq(items)
            }
            Event::MappingStart(_, tag) => {
                reject_tag(tag.as_deref(), pos)?;
                NodeKind::Map(self.mapping(depth)?)
            }
            _ => return Err(err(pos, "unexpected YAML event", None)),
        };
        Ok(Node { pos, kind })
    }

    fn mapping(&mut self, depth: usize) -> Result<Vec<(Key, Node)>, YamlError> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        loop {
            let (event, key_pos) = self.next()?;
            let name = match event {
                Event::MappingEnd => return Ok(entries),
                Event::Scalar(text, _, _, _) => {
                    refuse_nul(&text, key_pos)?;
                    text.into_owned()
                }
                Event::Alias(_) => {
                    return Err(err(
                        key_pos,
                        "YAML aliases (`*name`) are not supported",
                        None,
                    ));
                }
                _ => {
                    return Err(err(
                        key_pos,
                        "a mapping key must be plain text",
                        Some("complex keys (`? ...`) are not used in design files"),
                    ));
                }
            };
            if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == name) {
                return Err(err(
                    key_pos,
                    format!(
                        "duplicate key `{name}` (first written at line {})",
                        first.pos.line
                    ),
                    Some("remove one of them"),
                ));
            }
            let (event, value_pos) = self.next()?;
            let value = self.node(event, value_pos, depth + 1)?;
            entries.push((Key { name, pos: key_pos }, value));
        }
    }
}

fn reject_tag(tag: Option<&Tag>, pos: Pos) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(tag) => Err(err(
            pos,
            format!("YAML tag `{tag}` is not supported"),
            Some("remove the tag"),
        )),
    }
}

/// A double-quoted scalar can write a NUL character as `\0` (a NUL byte in the file is
/// refused when it is read); no output can carry one, so it is refused here, where it is
/// written, instead of reaching a template.
fn refuse_nul(text: &str, pos: Pos) -> Result<(), YamlError> {
    if text.contains('\0') {
        return Err(err(
            pos,
            "a NUL character (`\\0`) in text",
            Some("remove it; PostgreSQL, Kubernetes and Azure cannot store one"),
        ));
    }
    Ok(())
}

/// Resolves a scalar by the YAML 1.2 core schema; quoted scalars and `!!str` stay text.
fn scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
) -> Result<NodeKind, YamlError> {
    refuse_nul(&text, pos)?;
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() && tag.suffix == "str" {
            return Ok(NodeKind::Str(text.into_owned()));
        }
        reject_tag(Some(tag), pos)?;
    }
    if style != ScalarStyle::Plain {
        return Ok(NodeKind::Str(text.into_owned()));
    }
    Ok(resolve_plain(&text))
}

fn resolve_plain(text: &str) -> NodeKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return NodeKind::Int(i);
    }
    if looks_like_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return NodeKind::Float(f);
    }
    NodeKind::Str(text.to_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, without a regex engine.
fn looks_like_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int_part)
        && frac_part.is_none_or(all_digits)
        && (!int_part.is_empty() || frac_part.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let node = Node::parse("a: 1\nb:\n  - x\n  - { c: true }\n").unwrap();
        assert_eq!(node.key_pos(&[], "b"), Some(Pos { line: 2, column: 1 }));
        let path = [Seg::Key("b".into()), Seg::Index(1), Seg::Key("c".into())];
        assert_eq!(node.get(&path).unwrap().kind, NodeKind::Bool(true));
        assert_eq!(
            node.pos_of(&path),
            Pos {
                line: 4,
                column: 10
            }
        );
    }

    #[test]
    fn resolves_scalars_by_the_core_schema() {
        let node = Node::parse("a: on\nb: '1'\nc: 1.5\nd: 15\ne: ~\nf: 1e3\ng: .5.5\n").unwrap();
        let json = node.to_json();
        assert_eq!(json["a"], "on");
        assert_eq!(json["b"], "1");
        assert_eq!(json["c"], 1.5);
        assert_eq!(json["d"], 15);
        assert!(json["e"].is_null());
        assert_eq!(json["f"], 1000.0);
        assert_eq!(json["g"], ".5.5");
    }

    #[test]
    fn rejects_aliases() {
        let e = Node::parse("a: &x [1]\nb: *x\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, column: 4 });
        assert!(e.message.contains("aliases"));
    }

    #[test]
    fn rejects_nul_characters_written_as_escapes() {
        let e = Node::parse("a: 1\nb: \"x\\0y\"\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, column: 4 });
        assert!(e.message.contains("NUL"), "{}", e.message);
        let e = Node::parse("a:\n  \"k\\0\": 1\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, column: 3 });
        assert!(Node::parse("a: \"x\\ty\"\n").is_ok());
    }

    #[test]
    fn rejects_duplicate_keys() {
        let e = Node::parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, column: 1 });
    }

    #[test]
    fn rejects_deep_nesting() {
        let text = "[".repeat(200) + &"]".repeat(200);
        assert!(Node::parse(&text).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let e = Node::parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"));
        assert!(e.pos.line >= 1);
    }

    #[test]
    fn rejects_several_documents() {
        assert!(Node::parse("a: 1\n---\nb: 2\n").is_err());
    }
}
