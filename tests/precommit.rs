//! The pre-commit hook with the real `pre-commit` (PyPI): a commit with stale output is
//! refused with the diff, goes through after `gen render`, and is refused again after an
//! input changes without a new render.

use crate::support::{harness, tools};

use std::path::Path;
use std::process::{Command, Output};

/// Our hook definition, with its entry pointed at the binary under test (`language:
/// system`) instead of a `cargo install` of this repository.
fn local_hook_config() -> String {
    let hooks = std::fs::read_to_string(tools::repo().join(".pre-commit-hooks.yaml")).unwrap();
    let node = gen_lib::yaml::Node::parse(&hooks).unwrap().to_json();
    let check = node
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "gen-check")
        .unwrap();
    assert_eq!(check["pass_filenames"], false);
    assert_eq!(check["require_serial"], true);
    let entry = check["entry"]
        .as_str()
        .unwrap()
        .replacen("gen", env!("CARGO_BIN_EXE_gen"), 1);
    format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: gen-check\n        name: {name}\n        entry: {entry}\n        language: system\n        pass_filenames: false\n        require_serial: true\n        files: {files}\n",
        name = check["name"].as_str().unwrap(),
        files = serde_json::to_string(check["files"].as_str().unwrap()).unwrap(),
    )
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("PRE_COMMIT_HOME", dir.join(".cache-pre-commit"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                tools::venv().join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_hook_refuses_stale_output_and_accepts_a_fresh_render() {
    let pre_commit = tools::venv_bin("pre-commit");
    let work = tempfile::tempdir().unwrap();
    let repo = work.path();
    harness::copy_dir(&tools::repo().join("inputs"), &repo.join("inputs"));
    std::fs::write(repo.join(".pre-commit-config.yaml"), local_hook_config()).unwrap();
    std::fs::write(repo.join(".gitignore"), ".cache-pre-commit/\n").unwrap();
    assert!(git(repo, &["init", "-q", "-b", "main"]).status.success());
    let install = Command::new(&pre_commit)
        .arg("install")
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", text(&install));

    // 1. Inputs without their render: refused, naming what is missing.
    git(repo, &["add", "-A"]);
    let refused = git(repo, &["commit", "-qm", "inputs only"]);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("missing: out/prod/auth/sql/01-database.psql"),
        "{}",
        text(&refused)
    );

    // 2. After `gen render`: accepted.
    let render = harness::run_gen_in(repo, &["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    git(repo, &["add", "-A"]);
    let accepted = git(repo, &["commit", "-qm", "inputs and render"]);
    assert!(accepted.status.success(), "{}", text(&accepted));

    // 3. An input changed without a new render: refused, with the diff.
    let service = repo.join("inputs/services/auth.yaml");
    let changed = std::fs::read_to_string(&service)
        .unwrap()
        .replace("connectionLimit: 50", "connectionLimit: 40");
    std::fs::write(&service, changed).unwrap();
    git(repo, &["add", "-A"]);
    let refused = git(repo, &["commit", "-qm", "limit without render"]);
    assert!(!refused.status.success(), "{}", text(&refused));
    let output = text(&refused);
    assert!(
        output.contains("-   AND NOT (r.rolcanlogin AND r.rolconnlimit = 50)"),
        "{output}"
    );
    assert!(
        output.contains("+   AND NOT (r.rolcanlogin AND r.rolconnlimit = 40)"),
        "{output}"
    );
    assert!(output.contains("to fix it run: gen render"), "{output}");
}
