//! The fuzz target's checks on every fuzz seed, as an ordinary test: the example inputs and
//! each bad-input corpus case (`tests/corpus/`), encoded by `scripts/fuzz_seeds.py` exactly
//! as `scripts/fuzz` seeds the fuzzer. The fuzzer itself runs briefly in the test command
//! (longer runs: CONTRIBUTING.md); this keeps every seed checked on every run regardless.

#[path = "../fuzz/render_inputs_check.rs"]
mod render_inputs_check;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::tools::{repo, venv_bin};

#[test]
fn every_fuzz_seed_passes_the_fuzz_targets_checks() {
    let seeds = tempfile::tempdir().unwrap();
    let output = Command::new(venv_bin("python"))
        .arg(repo().join("scripts/fuzz_seeds.py"))
        .arg(repo().join("inputs"))
        .arg(repo().join("tests/corpus"))
        .arg(seeds.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fuzz_seeds.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut paths: Vec<_> = std::fs::read_dir(seeds.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let cases = std::fs::read_dir(repo().join("tests/corpus"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert_eq!(
        paths.len(),
        cases + 1,
        "the example and one seed per corpus case"
    );

    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for path in &paths {
        let data = std::fs::read(path).unwrap();
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            render_inputs_check::check(work.path(), &data);
        }));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match result {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{name}: {message}"));
            }
            // scripts/fuzz gives the fuzzer -timeout=5 per input.
            Ok(()) if started.elapsed() > Duration::from_secs(5) => {
                failures.push(format!("{name}: took {:?}", started.elapsed()));
            }
            Ok(()) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
