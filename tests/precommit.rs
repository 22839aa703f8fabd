//! The pre-commit hook through the real `pre-commit` (PyPI), installed as the README says
//! (`language: rust`: pre-commit clones this repository and builds gen with `cargo
//! install`): it checks what the commit holds, not the work tree. Untracked and unstaged
//! outputs fail with the exact `git add`, a stray manifest in gen's folder fails, a
//! replacement in the plan fails until acknowledged, and a clean commit passes.

use crate::support::{harness, tools};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git repository holding this checkout's files (committed or not), for pre-commit to
/// clone as the hook repository; returns its path and commit.
fn hook_repository(dir: &Path) -> (PathBuf, String) {
    let source = tools::repo();
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(source)
        .output()
        .unwrap();
    assert!(listed.status.success());
    let hooks = dir.join("gen-hooks");
    for path in listed.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = std::str::from_utf8(path).unwrap();
        let from = source.join(path);
        if !from.is_file() {
            continue; // listed but deleted in the work tree
        }
        let to = hooks.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    assert!(git(&hooks, &["init", "-q", "-b", "main"]).status.success());
    assert!(git(&hooks, &["add", "-A"]).status.success());
    let commit = git(&hooks, &["commit", "-qm", "gen under test"]);
    assert!(commit.status.success(), "{}", text(&commit));
    let rev = git(&hooks, &["rev-parse", "HEAD"]);
    (
        hooks,
        String::from_utf8(rev.stdout).unwrap().trim().to_owned(),
    )
}

fn git(dir: &Path, args: &[&str]) -> Output {
    command(dir, "git", args)
}

/// `program` in `dir` with the test environment: pre-commit from the test venv, its cache
/// in the work folder, and one cargo target folder for its `cargo install` that survives
/// test runs (the build is the slow part).
fn command(dir: &Path, program: &str, args: &[&str]) -> Output {
    let command = harness::git_command(dir);
    // The same environment, for another program.
    let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> = command
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(envs)
        .env("PRE_COMMIT_HOME", pre_commit_home(dir))
        .env(
            "CARGO_TARGET_DIR",
            tools::repo().join("target/pre-commit-install"),
        )
        .env_remove("GEN_ALLOW")
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

/// pre-commit's cache, beside the repositories of the test (`dir` is one of them).
fn pre_commit_home(dir: &Path) -> PathBuf {
    dir.parent().unwrap().join(".pre-commit-home")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The command after `to fix it run: ` in a refusal.
fn fix_of(output: &str) -> String {
    output
        .lines()
        .find_map(|line| {
            line.split_once("to fix it run: ")
                .map(|(_, fix)| fix.to_owned())
        })
        .unwrap_or_else(|| panic!("no fix in:\n{output}"))
}

#[test]
fn the_hook_checks_what_the_commit_holds() {
    let work = tempfile::tempdir().unwrap();
    let (hooks, rev) = hook_repository(work.path());
    let repo = work.path().join("project");
    harness::copy_dir(&tools::repo().join("inputs"), &repo.join("inputs"));
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: gen-check\n",
            hooks.display()
        ),
    )
    .unwrap();
    assert!(git(&repo, &["init", "-q", "-b", "main"]).status.success());
    let install = command(
        &repo,
        tools::venv_bin("pre-commit").to_str().unwrap(),
        &["install"],
    );
    assert!(install.status.success(), "{}", text(&install));

    // 1. Outputs rendered but left untracked: refused with the exact `git add`, which the
    //    work tree's render satisfies.
    assert_eq!(harness::run_gen_in(&repo, &["render"]).code, 0);
    git(&repo, &["add", "inputs", ".pre-commit-config.yaml"]);
    let refused = git(&repo, &["commit", "-qm", "inputs, render untracked"]);
    let output = text(&refused);
    assert!(!refused.status.success(), "{output}");
    assert!(
        output.contains("missing: out/prod/auth/sql/01-database.psql"),
        "{output}"
    );
    let fix = fix_of(&output);
    assert!(
        fix.starts_with("git add --all -- out/.gen-manifest out/dev/bill-inquiry/README.md "),
        "{fix}"
    );
    let staged = command(&repo, "sh", &["-c", &fix]);
    assert!(staged.status.success(), "{}", text(&staged));

    // 2. The clean commit: accepted.
    let accepted = git(&repo, &["commit", "-qm", "inputs and render"]);
    assert!(accepted.status.success(), "{}", text(&accepted));

    // 3. An input staged, its new render rendered but not staged: pre-commit stashes the
    //    unstaged render away, so the hint renders first, with the binary pre-commit built
    //    (no `gen` on the user's PATH), then adds exactly the changed files.
    let service = repo.join("inputs/services/auth.yaml");
    let changed = std::fs::read_to_string(&service)
        .unwrap()
        .replace("connectionLimit: 50", "connectionLimit: 40");
    std::fs::write(&service, changed).unwrap();
    assert_eq!(harness::run_gen_in(&repo, &["render"]).code, 0);
    git(&repo, &["add", "inputs"]);
    let refused = git(&repo, &["commit", "-qm", "limit, render unstaged"]);
    let output = text(&refused);
    assert!(!refused.status.success(), "{output}");
    assert!(
        output.contains("+   AND NOT (r.rolcanlogin AND r.rolconnlimit = 40)"),
        "{output}"
    );
    let fix = fix_of(&output);
    let (render, add) = fix.split_once(" && ").unwrap_or_else(|| panic!("{fix}"));
    let program = render
        .strip_suffix(" render")
        .unwrap_or_else(|| panic!("{fix}"));
    assert!(program.ends_with("/bin/gen"), "{fix}");
    assert!(
        Path::new(program).starts_with(pre_commit_home(&repo)),
        "{fix}"
    );
    assert_eq!(
        add,
        "git add --all -- out/prod/auth/README.md out/prod/auth/sql/01-database.psql out/prod/auth/sql/02-roles.psql"
    );
    let fixed = command(&repo, "sh", &["-c", &fix]);
    assert!(fixed.status.success(), "{}", text(&fixed));
    let accepted = git(&repo, &["commit", "-qm", "limit and render"]);
    assert!(accepted.status.success(), "{}", text(&accepted));

    // 4. A hand-written manifest in gen's folder: refused although gen render keeps it.
    let stray = repo.join("out/dev/bill-inquiry/kubernetes/99-stray.yaml");
    std::fs::write(
        &stray,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n",
    )
    .unwrap();
    git(&repo, &["add", "out"]);
    let refused = git(&repo, &["commit", "-qm", "stray manifest"]);
    let output = text(&refused);
    assert!(!refused.status.success(), "{output}");
    assert!(
        output.contains("foreign: out/dev/bill-inquiry/kubernetes/99-stray.yaml"),
        "{output}"
    );
    assert!(
        output.contains("git rm --cached --quiet -- out/dev/bill-inquiry/kubernetes/99-stray.yaml"),
        "{output}"
    );
    git(
        &repo,
        &[
            "rm",
            "--cached",
            "--quiet",
            "--",
            "out/dev/bill-inquiry/kubernetes/99-stray.yaml",
        ],
    );
    std::fs::remove_file(&stray).unwrap();

    // 5. A change the platform refuses (a new volume size for the StatefulSet): the plan
    //    from HEAD fails the commit until GEN_ALLOW acknowledges it.
    let service = repo.join("inputs/services/bill-inquiry.yaml");
    let changed = std::fs::read_to_string(&service)
        .unwrap()
        .replace("size: 20Gi", "size: 30Gi");
    std::fs::write(&service, changed).unwrap();
    assert_eq!(harness::run_gen_in(&repo, &["render"]).code, 0);
    git(&repo, &["add", "-A"]);
    let refused = git(&repo, &["commit", "-qm", "bigger volume"]);
    let output = text(&refused);
    assert!(!refused.status.success(), "{output}");
    assert!(
        output.contains("replace   StatefulSet/postgresql-bill-inquiry spec.volumeClaimTemplates[data].spec.resources.requests.storage: \"20Gi\" → \"30Gi\""),
        "{output}"
    );
    assert!(output.contains("GEN_ALLOW=replace"), "{output}");
    let acknowledged = command(
        &repo,
        "sh",
        &["-c", "GEN_ALLOW=replace git commit -qm 'bigger volume'"],
    );
    assert!(acknowledged.status.success(), "{}", text(&acknowledged));
}
