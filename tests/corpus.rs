//! The bad-input corpus: every case under `tests/corpus/` edits a copy of the example
//! inputs, runs `gen render`, and asserts exit code 1, exactly the expected
//! `path:line:column` locations, and an output folder byte-identical to before.
//!
//! A case is a YAML file:
//!
//! ```yaml
//! why: what the case proves
//! edits:
//!   - { file: services/auth.yaml, replace: "a", with: "b" }   # text edit (must match)
//!   - { file: sql/x.psql, content: "..." }                      # write a file
//!   - { file: sql/x.psql, content_hex: "ff00" }                 # write bytes
//!   - { file: sql/x.psql, symlink: /etc/hostname }              # make a symlink
//!   - { file: sql/x.psql, fifo: true }                          # make a FIFO
//!   - { file: sql/x.psql, directory: true }                     # make a folder
//!   - { file: services/auth.yaml, remove: true }                # delete a file
//! expect:
//!   - "services/auth.yaml:12:7: literal secret"                 # location: message part
//! ```

use crate::support::harness;

use std::path::Path;

use harness::{copy_dir, run_gen, snapshot_tree};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    why: String,
    edits: Vec<Edit>,
    expect: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    replace: Option<String>,
    with: Option<String>,
    content: Option<String>,
    content_hex: Option<String>,
    symlink: Option<String>,
    #[serde(default)]
    fifo: bool,
    #[serde(default)]
    directory: bool,
    #[serde(default)]
    remove: bool,
}

fn apply(inputs: &Path, edit: &Edit) {
    let path = inputs.join(&edit.file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    if let (Some(from), Some(to)) = (&edit.replace, &edit.with) {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from.as_str()), "{}: no `{from}`", edit.file);
        std::fs::write(&path, text.replacen(from.as_str(), to, 1)).unwrap();
    } else if let Some(content) = &edit.content {
        std::fs::write(&path, content).unwrap();
    } else if let Some(hex) = &edit.content_hex {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        std::fs::write(&path, bytes).unwrap();
    } else if let Some(target) = &edit.symlink {
        let _ = std::fs::remove_file(&path);
        std::os::unix::fs::symlink(target, &path).unwrap();
    } else if edit.fifo {
        let _ = std::fs::remove_file(&path);
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
    } else if edit.directory {
        let _ = std::fs::remove_file(&path);
        std::fs::create_dir_all(&path).unwrap();
    } else if edit.remove {
        std::fs::remove_file(&path).unwrap();
    } else {
        panic!("edit of {} does nothing", edit.file);
    }
}

fn read_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let node =
        gen_lib::yaml::Node::parse(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    serde_json::from_value(node.to_json()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run_case(path: &Path) -> Result<(), String> {
    let case = read_case(path);
    let work = tempfile::tempdir().unwrap();
    let inputs = work.path().join("inputs");
    let out = work.path().join("out");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"),
        &inputs,
    );
    // A good render first, so there is an output folder to protect.
    let first = run_gen(&[
        "render",
        "--inputs",
        inputs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = snapshot_tree(&out);
    for edit in &case.edits {
        apply(&inputs, edit);
    }
    let run = run_gen(&[
        "render",
        "--inputs",
        inputs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let name = path.file_name().unwrap().to_string_lossy();
    if run.code != 1 {
        return Err(format!(
            "{name} ({}): exit code {}\n{}",
            case.why, run.code, run.stderr
        ));
    }
    let prefix = format!("{}/", inputs.display());
    let reported: Vec<String> = run
        .stderr
        .lines()
        .filter(|l| l.contains(": error: ") && !l.starts_with("gen:"))
        .map(|l| l.trim_start_matches(&prefix).to_owned())
        .collect();
    for expected in &case.expect {
        let (location, message) = expected.split_once(": ").unwrap_or((expected, ""));
        if !reported
            .iter()
            .any(|r| r.starts_with(&format!("{location}: error: ")) && r.contains(message))
        {
            return Err(format!(
                "{name} ({}): expected `{expected}`, got:\n{}",
                case.why, run.stderr
            ));
        }
    }
    if reported.len() != case.expect.len() {
        return Err(format!(
            "{name} ({}): {} problems reported, {} expected:\n{}",
            case.why,
            reported.len(),
            case.expect.len(),
            run.stderr
        ));
    }
    if snapshot_tree(&out) != before {
        return Err(format!("{name}: the output folder changed"));
    }
    Ok(())
}

#[test]
fn every_corpus_case_fails_at_its_location_and_writes_nothing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run_case(case).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} corpus case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
