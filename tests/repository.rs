//! Rules about the repository itself: every test file runs, and nothing reaches outside
//! the repository except through the one resolver of the reference data folder.

use std::path::Path;
use std::process::Command;

use crate::support::tools::repo;

/// The files git tracks (the committed tree plus staged files), relative to the root.
fn tracked_files() -> Vec<String> {
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo())
        .output()
        .expect("run git ls-files");
    assert!(
        output.status.success(),
        "git ls-files: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn only_the_resolver_names_the_folder_beside_the_repository() {
    // Split so that this file does not name it.
    let needle = concat!("..", "/shared").as_bytes();
    let resolver = "scripts/reference-dir";
    let mut offenders = Vec::new();
    let mut resolver_names_it = false;
    for name in tracked_files() {
        let path = repo().join(&name);
        // A tracked file deleted in the work tree, or a symlink to a folder, has no text.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if bytes.windows(needle.len()).any(|w| w == needle) {
            if name == resolver {
                resolver_names_it = true;
            } else {
                offenders.push(name);
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "only {resolver} may name the reference data default (use it, or GEN_REFERENCE_DIR): {offenders:?}"
    );
    assert!(resolver_names_it, "{resolver} no longer holds the default");
}

#[test]
fn every_test_file_is_a_module_of_the_test_binary() {
    let all = std::fs::read_to_string(repo().join("tests/all.rs")).unwrap();
    let declared: Vec<&str> = all
        .lines()
        .filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if stem != "all" && !declared.contains(&stem.as_str()) {
                missing.push(stem);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "tests/all.rs lacks `mod NAME;` for {missing:?}: those tests never run"
    );
    assert!(Path::new(&repo().join("tests/support/mod.rs")).exists());
}

/// `(name, version)` of every package in a Cargo.lock.
fn locked_packages(lock: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join(lock)).unwrap();
    text.split("[[package]]")
        .skip(1)
        .map(|block| {
            let field = |key: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(key)?.strip_prefix(" = \""))
                    .and_then(|rest| rest.strip_suffix('"'))
                    .unwrap_or_else(|| panic!("{lock}: a package without {key}"))
                    .to_owned()
            };
            (field("name"), field("version"))
        })
        .collect()
}

#[test]
fn the_fuzzer_builds_the_dependency_versions_that_ship() {
    let shipped = locked_packages("Cargo.lock");
    let fuzzed = locked_packages("fuzz/Cargo.lock");
    let drifted: Vec<String> = fuzzed
        .iter()
        .filter(|(name, _)| shipped.iter().any(|(n, _)| n == name))
        .filter(|package| !shipped.contains(package))
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    assert!(
        drifted.is_empty(),
        "fuzz/Cargo.lock has versions Cargo.lock does not ship: {drifted:?} \
         (cp Cargo.lock fuzz/Cargo.lock, then cargo metadata in fuzz/ to add the fuzzer's own)"
    );
    assert!(fuzzed.iter().any(|(name, _)| name == "libfuzzer-sys"));
}
