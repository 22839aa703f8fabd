//! Helpers shared by the integration tests: running the built binary, copying and
//! comparing folders.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the built `gen` with `args` from the repository root.
pub fn run_gen(args: &[&str]) -> Run {
    run_gen_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs the built `gen` with `args` in `dir`.
pub fn run_gen_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("gen runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Copies a folder recursively (files and folders only).
/// Replaces the first `from` with `to` in the input file `file` (relative to `inputs`);
/// fails when `from` is not there, so an edit never silently does nothing.
pub fn edit_input(inputs: &Path, file: &str, from: &str, to: &str) {
    let path = inputs.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// A copy of the example inputs in `work/inputs` with each `(file, from, to)` edit applied.
pub fn edited_example(work: &Path, edits: &[(&str, &str, &str)]) -> PathBuf {
    let inputs = work.join("inputs");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"),
        &inputs,
    );
    for (file, from, to) in edits {
        edit_input(&inputs, file, from, to);
    }
    inputs
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` (relative path → bytes); an absent folder is empty.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    if dir.exists() {
        collect(dir, dir, &mut files);
    }
    files
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            files.insert(
                path.strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(&path).unwrap(),
            );
        }
    }
}
