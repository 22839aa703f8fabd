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

/// Runs the built `gen` with `args` in `dir`, as a user who installed it: its folder
/// first on the PATH (so the fix it names is `gen render`), no `GEN_ALLOW`, not under
/// pre-commit.
pub fn run_gen_in(dir: &Path, args: &[&str]) -> Run {
    let bin = Path::new(env!("CARGO_BIN_EXE_gen")).parent().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("GEN_ALLOW")
        .env_remove("PRE_COMMIT")
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
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

/// Edits of the example that use every optional knob of the aks StatefulSet: no CPU limit,
/// a disruption budget of 0, a PriorityClass, a node selector and tolerations. Tests that
/// run the real validators render it beside the example, so every knob is checked by them.
pub const EVERY_STATEFUL_SET_KNOB: &[(&str, &str, &str)] = &[
    (
        "services/bill-inquiry.yaml",
        "limits: { cpu: 1000m, memory: 2Gi }",
        "limits: { memory: 2Gi }",
    ),
    (
        "services/bill-inquiry.yaml",
        "        size: 20Gi\n",
        "        size: 20Gi
      disruptionBudget: { maxUnavailable: 0 }
      priorityClassName: database-critical
      nodeSelector: { kubernetes.azure.com/agentpool: pgpool, example.com/ssd: \"true\" }
      tolerations:
        - { key: dedicated, value: postgresql, effect: NoSchedule }
        - { key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60 }
        - { operator: Exists, effect: PreferNoSchedule }
",
    ),
];

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

/// `git` in `dir` with a fixed author, for tests that commit.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid");
    command
}
