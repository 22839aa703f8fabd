//! Property tests of the escaping filters: arbitrary text (quotes, backslashes, newlines,
//! `${`, `--`, `;`, NUL, non-ASCII...) rendered into a YAML scalar, a Bicep string, an SQL
//! literal and an SQL identifier is read back as exactly the same value by a real parser of
//! that language (saphyr and PyYAML; tree-sitter-bicep; PostgreSQL 15), and never changes
//! the structure around it.

use crate::support::{postgres, tools};

use std::process::Command;

use gen_lib::render::filters::{bicep_str, sql_ident_str, sql_literal_str, yaml_str};
use gen_lib::yaml::{Node, NodeKind};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Text made to hurt: every character is possible, the dangerous ones are likely.
fn hostile_text() -> impl Strategy<Value = String> {
    let dangerous = prop::sample::select(vec![
        '\'', '"', '\\', '\n', '\r', '\t', '$', '{', '}', '-', ';', ':', '#', '`', '\0', '%', '*',
        '&', '!', '|', '>', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{feff}', '한', 'é', '😀',
    ]);
    prop::collection::vec(prop_oneof![3 => any::<char>(), 4 => dangerous], 0..40)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Fixed cases that must always be in the sample, then generated ones.
fn samples(count: usize) -> Vec<String> {
    let mut texts: Vec<String> = [
        "",
        "${x}",
        "'; DROP TABLE t; --",
        "a\0b",
        "\\'",
        "\u{feff}",
        "line\nbreak",
        "--",
        "한글 ;",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut runner = TestRunner::new(Config::default());
    let strategy = hostile_text();
    while texts.len() < count {
        texts.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    texts
}

/// Every scalar of a YAML document in order, as saphyr's parser reads it (no rule of gen's).
fn saphyr_scalars(document: &str) -> Vec<String> {
    let mut parser = saphyr_parser::Parser::new_from_str(document);
    let mut scalars = Vec::new();
    while let Some(event) = parser.next_event() {
        if let saphyr_parser::Event::Scalar(text, ..) = event.expect("valid YAML").0 {
            scalars.push(text.into_owned());
        }
    }
    scalars
}

proptest! {
    #![proptest_config(Config::with_cases(2000))]

    #[test]
    fn yaml_scalars_read_back_with_saphyr(text in hostile_text()) {
        let document = format!("a: {}\nb: end\n", yaml_str(&text));
        prop_assert_eq!(saphyr_scalars(&document), vec!["a", &text, "b", "end"]);
        // gen's own reader is saphyr plus the inputs' rules, one of which refuses NUL.
        match Node::parse(&document) {
            Ok(node) => {
                let entries = node.entries();
                prop_assert!(!text.contains('\0'));
                prop_assert_eq!(entries.len(), 2);
                prop_assert_eq!(&entries[0].1.kind, &NodeKind::Str(text));
                prop_assert_eq!(&entries[1].1.kind, &NodeKind::Str("end".to_owned()));
            }
            Err(e) => {
                prop_assert!(text.contains('\0'), "{}", e.message);
                prop_assert_eq!((e.pos.line, e.pos.column), (1, 4));
            }
        }
    }
}

#[test]
fn yaml_scalars_read_back_with_pyyaml() {
    let texts = samples(600);
    let document: String = texts
        .iter()
        .map(|t| format!("- {}\n", yaml_str(t)))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("doc.yaml");
    std::fs::write(&file, document).unwrap();
    let output = Command::new(tools::venv_bin("python"))
        .args(["-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout)"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read, texts);
}

#[test]
fn bicep_strings_read_back_with_tree_sitter_bicep() {
    let texts = samples(600);
    let source: String = texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("var v{i} = {}\n", bicep_str(t)))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("strings.bicep");
    std::fs::write(&file, source).unwrap();
    // tree-sitter-bicep is pinned in scripts/test-requirements.txt, like the checker that uses it.
    let output = Command::new(tools::venv_bin("python"))
        .arg(tools::repo().join("tests/support/bicep_strings.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        parsed["errors"], false,
        "the file has syntax errors: {}",
        parsed["broken"]
    );
    let variables = parsed["variables"].as_array().unwrap();
    assert_eq!(variables.len(), texts.len(), "one declaration per string");
    for (i, (variable, text)) in variables.iter().zip(&texts).enumerate() {
        assert_eq!(variable["name"], format!("v{i}"));
        assert_eq!(
            variable["interpolations"], 0,
            "{text:?} became an interpolation"
        );
        assert_eq!(variable["value"].as_str().unwrap(), text, "v{i}");
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sql_literals_and_identifiers_read_back_in_postgresql() {
    let server = postgres::TestServer::start();
    let texts = samples(400);
    let mut script = String::new();
    let mut expected = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        match sql_literal_str(text) {
            Ok(literal) => {
                script.push_str(&format!(
                    "SELECT 'L{i}', encode(convert_to({literal}, 'UTF8'), 'hex');\n"
                ));
                expected.push(format!("L{i}|{}", hex(text)));
            }
            Err(_) => assert!(text.contains('\0'), "only NUL is refused: {text:?}"),
        }
        match sql_ident_str(text) {
            Ok(ident) if text.len() <= 63 => {
                script.push_str(&format!("CREATE TEMP TABLE t{i} ({ident} int);\n"));
                script.push_str(&format!(
                    "SELECT 'I{i}', encode(convert_to(attname::text, 'UTF8'), 'hex') FROM pg_attribute WHERE attrelid = 't{i}'::regclass AND attnum = 1;\n"
                ));
                expected.push(format!("I{i}|{}", hex(text)));
            }
            Ok(_) => {}
            Err(_) => assert!(text.contains('\0') || text.is_empty(), "refused: {text:?}"),
        }
    }
    // A statement after all of them proves none swallowed the rest of the script.
    script.push_str("SELECT 'END', 'end';\n");
    expected.push("END|end".to_owned());
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("escaping.psql");
    std::fs::write(&file, script).unwrap();
    let output = server
        .admin_psql()
        .args(["-At", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains('|'))
        .map(str::to_owned)
        .collect();
    assert_eq!(lines, expected);
}
