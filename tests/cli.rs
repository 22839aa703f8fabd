//! The command line as a person and CI see it, locked with snapshots: help, `--check`
//! drift, `--format json`, completions and scaffolding. Runs happen in a temporary folder
//! with relative paths so the output is stable.

use crate::support::harness;

use std::path::Path;

use harness::{Run, copy_dir, run_gen, run_gen_in};

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/cli"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

fn transcript(run: &Run) -> String {
    format!(
        "exit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// A temporary folder holding a copy of the example inputs.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"),
        &dir.path().join("inputs"),
    );
    dir
}

#[test]
fn help_texts() {
    settings().bind(|| {
        insta::assert_snapshot!("help", transcript(&run_gen(&["--help"])));
        insta::assert_snapshot!("render-help", transcript(&run_gen(&["render", "--help"])));
        insta::assert_snapshot!("new-help", transcript(&run_gen(&["new", "--help"])));
    });
}

#[test]
fn check_shows_the_diff_lists_drift_and_names_the_fix() {
    let dir = workspace();
    assert_eq!(run_gen_in(dir.path(), &["render"]).code, 0);
    let roles = dir.path().join("out/prod/auth/sql/02-roles.psql");
    let edited = std::fs::read_to_string(&roles)
        .unwrap()
        .replace("CONNECTION LIMIT 50", "CONNECTION LIMIT 500");
    std::fs::write(&roles, edited).unwrap();
    std::fs::remove_file(dir.path().join("out/dev/bill-inquiry/sql/01-database.psql")).unwrap();
    let run = run_gen_in(dir.path(), &["render", "--check"]);
    assert_eq!(run.code, 1);
    settings().bind(|| insta::assert_snapshot!("check-drift", transcript(&run)));
    let json = run_gen_in(dir.path(), &["render", "--check", "--format", "json"]);
    assert_eq!(json.code, 1);
    for line in json.stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            value["file"].is_string() && value["status"].is_string(),
            "{line}"
        );
    }
    settings().bind(|| insta::assert_snapshot!("check-drift-json", transcript(&json)));
}

#[test]
fn validate_reports_json_lines_for_ci() {
    let dir = workspace();
    let service = dir.path().join("inputs/services/auth.yaml");
    let text = std::fs::read_to_string(&service)
        .unwrap()
        .replace("connectionLimit: 50", "connectionLimit: fifty")
        .replace("access: monitor", "access: monitoring");
    std::fs::write(&service, text).unwrap();
    let run = run_gen_in(dir.path(), &["validate", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout.lines().count(), 2);
    for line in run.stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["file"], "inputs/services/auth.yaml");
        assert!(value["line"].as_u64().unwrap() > 0);
    }
    settings().bind(|| insta::assert_snapshot!("validate-json", transcript(&run)));
    let human = run_gen_in(dir.path(), &["validate"]);
    settings().bind(|| insta::assert_snapshot!("validate-human", transcript(&human)));
}

#[test]
fn completions_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = run_gen(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("render"), "{shell}");
    }
    settings().bind(|| {
        insta::assert_snapshot!(
            "completions-bash",
            transcript(&run_gen(&["completions", "bash"]))
        )
    });
}

#[test]
fn new_files_validate_immediately_and_are_never_overwritten() {
    let dir = workspace();
    let runs = [
        run_gen_in(
            dir.path(),
            &[
                "new",
                "environment",
                "staging",
                "--platform",
                "azure-flexible-server",
            ],
        ),
        run_gen_in(
            dir.path(),
            &["new", "environment", "qa", "--platform", "aks"],
        ),
        run_gen_in(dir.path(), &["new", "service", "orders"]),
    ];
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let validate = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    settings().bind(|| {
        for file in [
            "environments/staging.yaml",
            "environments/qa.yaml",
            "services/orders.yaml",
        ] {
            let text = std::fs::read_to_string(dir.path().join("inputs").join(file)).unwrap();
            insta::assert_snapshot!(format!("new-{}", file.replace('/', "-")), text);
        }
    });
    let again = run_gen_in(dir.path(), &["new", "service", "orders"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"));
    assert_eq!(
        run_gen_in(dir.path(), &["new", "service", "Bad_Name"]).code,
        2
    );
}
