//! Where the test command installed the real validators (see scripts/install-test-deps.sh).
//! A missing tool fails the test with the command that installs it: checks are never
//! skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The virtual environment holding the PyPI validators.
pub fn venv() -> PathBuf {
    std::env::var_os("GEN_TEST_VENV").map_or_else(|| repo().join("target/test-venv"), PathBuf::from)
}

/// A program of the test virtual environment (`checkov`, `kubernetes-validate`, `python`...).
pub fn venv_bin(name: &str) -> PathBuf {
    let path = venv().join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/install-test-deps.sh (the test command does)",
        path.display()
    );
    path
}

/// The reference data folder (Azure's Bicep type data, CRD schemas): what
/// `scripts/reference-dir`, the project's one resolver of `GEN_REFERENCE_DIR`, prints.
pub fn reference_dir() -> PathBuf {
    let script = repo().join("scripts/reference-dir");
    let output = Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim_end())
}

/// The project's Bicep type checker (`tools/bicep-typecheck`), run by the test venv's
/// Python with the type data of the reference data folder. Add options and paths.
pub fn bicep_typecheck() -> Command {
    let mut command = Command::new(venv_bin("python"));
    command
        .arg(repo().join("tools/bicep-typecheck/bicep_typecheck.py"))
        .arg("--types-root")
        .arg(reference_dir().join("azure-schemas/bicep-types-az/generated"));
    command
}

/// A program from the system (`promtool`, `chromium`...).
pub fn system_bin(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/postgresql/15/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!("{name} is missing: run scripts/install-test-deps.sh (the test command does)");
}

/// Renders the example inputs into a fresh temporary output folder.
pub fn render_example() -> tempfile::TempDir {
    render_inputs(&repo().join("inputs"))
}

/// Renders an inputs folder into a fresh temporary output folder.
pub fn render_inputs(inputs: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = gen_lib::app::render_folder(inputs).unwrap_or_else(|e| panic!("{e}"));
    for (path, bytes) in files {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    dir
}

/// Runs a Python snippet of the test venv over `args`, returning its stdout.
pub fn python(script: &str, args: &[&Path]) -> String {
    let output = Command::new(venv_bin("python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
