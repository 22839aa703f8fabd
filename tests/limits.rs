//! Hostile inputs are refused quickly, in bounded memory, with a clear error at a
//! position, and the output folder is left untouched.

use crate::support::{harness, tools};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::{Run, copy_dir, run_gen, snapshot_tree};

/// Runs the built `gen` with `args` from the repository root, like `run_gen`, and also
/// returns the peak resident memory of that one process, in bytes, as GNU time reports it.
/// gen is not waited for by this test binary itself: Linux carries the high-water mark of
/// the memory a process replaces at `exec` into its `ru_maxrss`, so a child forked or
/// spawned straight from this large binary would report the binary's own size. GNU time
/// is a small process of its own, so what it reports is gen's peak.
fn run_gen_measured(args: &[&str]) -> (Run, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new(tools::system_bin("time"))
        .args(["--format=%M", "--output"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("gen runs under GNU time");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let report = std::fs::read_to_string(report.path()).unwrap();
    // The last line is the figure; a line before it says when the command exited non-zero.
    let kib: u64 = report
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("GNU time reported no peak: {report:?}"));
    (run, kib * 1024)
}

/// Copies the example, renders it, applies `edit`, renders again: the second render must
/// fail with exit 1 and a message containing `expected`, within a second and 64 MiB, and
/// leave the output folder as it was.
fn refused(edit: impl FnOnce(&Path), expected: &str) {
    let work = tempfile::tempdir().unwrap();
    let inputs = work.path().join("inputs");
    let out = work.path().join("out");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"),
        &inputs,
    );
    let (i, o) = (inputs.to_str().unwrap(), out.to_str().unwrap());
    assert_eq!(run_gen(&["render", "--inputs", i, "--out", o]).code, 0);
    let before = snapshot_tree(&out);
    edit(&inputs);
    let started = Instant::now();
    let (run, peak) = run_gen_measured(&["render", "--inputs", i, "--out", o]);
    let elapsed = started.elapsed();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(expected),
        "expected `{expected}` in:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains(": error: "), "{}", run.stderr);
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert!(peak < 64 << 20, "gen peaked at {} MiB", peak >> 20);
    assert_eq!(snapshot_tree(&out), before, "the output folder changed");
}

#[test]
fn a_file_over_the_size_cap() {
    refused(
        |inputs| {
            let mut text = std::fs::read_to_string(inputs.join("sql/auth.psql")).unwrap();
            text.push_str(&"-- padding\n".repeat(800_000));
            std::fs::write(inputs.join("sql/auth.psql"), text).unwrap();
        },
        "over the 8388608 byte limit",
    );
}

#[test]
fn a_billion_laughs() {
    refused(
        |inputs| {
            let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
            for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
                .windows(2)
                .map(|w| (w[0], w[1]))
            {
                text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            }
            std::fs::write(inputs.join("project.yaml"), text).unwrap();
        },
        "aliases",
    );
}

#[test]
fn deep_nesting() {
    refused(
        |inputs| {
            // Block sequences nest on one line: `- - - - x`.
            let text = format!("name:\n  {}x\n", "- ".repeat(100_000));
            std::fs::write(inputs.join("project.yaml"), text).unwrap();
        },
        "nesting deeper than 64 levels",
    );
}

#[test]
fn deep_flow_nesting() {
    refused(
        |inputs| {
            let text = format!("name: {}x{}\n", "[".repeat(100_000), "]".repeat(100_000));
            std::fs::write(inputs.join("project.yaml"), text).unwrap();
        },
        // The parser's own guard trips first for flow collections.
        "recursion limit exceeded",
    );
}

#[test]
fn a_very_long_line() {
    refused(
        |inputs| {
            let text = format!(
                "name: phonebill\nlabels: {{ owner: {} }}\nbogus: 1\n",
                "x".repeat(4 << 20)
            );
            std::fs::write(inputs.join("project.yaml"), text).unwrap();
        },
        "unknown field `bogus`",
    );
}

#[test]
fn a_schema_file_full_of_psql_variables() {
    refused(
        |inputs| {
            let text = "SELECT :a, :'b', \\! c\n".repeat(350_000);
            std::fs::write(inputs.join("sql/auth.psql"), text).unwrap();
        },
        "a psql variable reference (`:a`)",
    );
}

#[test]
fn a_file_that_is_not_utf8() {
    refused(
        |inputs| {
            std::fs::write(inputs.join("services/auth.yaml"), b"name: auth\n\xff\xfe\n").unwrap()
        },
        "not valid UTF-8",
    );
}

#[test]
fn a_schema_file_that_is_a_fifo() {
    refused(
        |inputs| {
            std::fs::remove_file(inputs.join("sql/auth.psql")).unwrap();
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(inputs.join("sql/auth.psql"))
                    .status()
                    .unwrap()
                    .success()
            );
        },
        "not a regular file",
    );
}

#[test]
fn a_schema_file_that_is_a_directory() {
    refused(
        |inputs| {
            std::fs::remove_file(inputs.join("sql/auth.psql")).unwrap();
            std::fs::create_dir(inputs.join("sql/auth.psql")).unwrap();
        },
        "not a regular file",
    );
}

#[test]
fn a_symlink_out_of_the_inputs_folder() {
    refused(
        |inputs| {
            let outside = inputs.parent().unwrap().join("outside.psql");
            std::fs::write(&outside, "SELECT 1;\n").unwrap();
            std::fs::remove_file(inputs.join("sql/auth.psql")).unwrap();
            std::os::unix::fs::symlink(&outside, inputs.join("sql/auth.psql")).unwrap();
        },
        "symlink that leads out of the inputs folder",
    );
}

#[test]
fn a_design_file_that_is_a_symlink_out() {
    refused(
        |inputs| {
            let outside = inputs.parent().unwrap().join("outside.yaml");
            std::fs::copy(inputs.join("services/auth.yaml"), &outside).unwrap();
            std::fs::remove_file(inputs.join("services/auth.yaml")).unwrap();
            std::os::unix::fs::symlink(&outside, inputs.join("services/auth.yaml")).unwrap();
        },
        "symlink that leads out of the inputs folder",
    );
}
