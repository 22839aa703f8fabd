//! The rendered Bicep of the example passes the real validators: the shared type checker
//! (every resource body against Azure's own type data, strict about unknown types) and
//! pycep-parser 0.5.1, the parser checkov reads Bicep with.

#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every folder named `bicep` below `root`.
fn bicep_folders(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "bicep") {
                found.push(path);
            } else {
                found.extend(bicep_folders(&path));
            }
        }
    }
    found.sort();
    found
}

fn bicep_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = bicep_folders(root)
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "bicep"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_example_renders_bicep_for_every_flexible_server_target() {
    let out = tools::render_example();
    let folders = bicep_folders(out.path());
    assert_eq!(folders, vec![out.path().join("prod/auth/bicep")]);
    for name in ["main.bicep", "main.bicepparam"] {
        assert!(folders[0].join(name).is_file(), "{name} is missing");
    }
}

#[test]
fn every_bicep_folder_type_checks_against_azure_type_data() {
    let out = tools::render_example();
    let folders = bicep_folders(out.path());
    assert!(!folders.is_empty());
    for folder in folders {
        let run = Command::new(tools::bicep_typecheck())
            .arg("--strict-types")
            .arg(&folder)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        let report = format!("{}:\n{stdout}{stderr}", folder.display());
        assert_eq!(run.status.code(), Some(0), "{report}");
        let summary = stdout
            .lines()
            .chain(stderr.lines())
            .find(|l| l.starts_with("bicep-typecheck:"))
            .unwrap_or_else(|| panic!("no summary line in {report}"));
        assert!(summary.contains(" 0 unchecked"), "{report}");
        assert!(summary.contains(" 0 errors"), "{report}");
        assert!(!summary.contains(" 0 resources checked"), "{report}");
    }
}

#[test]
fn every_bicep_file_parses_with_checkovs_pycep() {
    let out = tools::render_example();
    let files = bicep_files(out.path());
    assert!(!files.is_empty());
    let script = "import sys\nfrom pathlib import Path\nfrom pycep import BicepParser\nfor f in sys.argv[1:]:\n    BicepParser().parse(file_path=Path(f))\n    print('parsed', f)\n";
    let run = Command::new(tools::venv_bin("python"))
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "pycep-parser refused a file:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("parsed ")).count(),
        files.len(),
        "{stdout}"
    );
}

#[test]
fn the_pycep_in_the_test_venv_is_checkovs_version() {
    let run = Command::new(tools::venv_bin("python"))
        .args([
            "-c",
            "from importlib.metadata import version; print(version('pycep-parser'))",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "0.5.1");
}
