//! The command line as a person and CI see it, locked with snapshots: help, `--check`
//! drift, `--format json`, schema-file diagnostics, completions and scaffolding. Runs
//! happen in a temporary folder with relative paths so the output is stable.

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

/// Issue 20: a manifest gen did not write, in a folder gen owns, would be applied with gen's
/// (`kubectl apply -f kubernetes/`); `--check` refuses it, and says that `gen render` keeps it.
#[test]
fn check_refuses_a_file_gen_did_not_write_in_its_folders() {
    let dir = workspace();
    assert_eq!(run_gen_in(dir.path(), &["render"]).code, 0);
    let stray = dir
        .path()
        .join("out/dev/bill-inquiry/kubernetes/99-stray.yaml");
    std::fs::write(&stray, "kind: ConfigMap\n").unwrap();
    let run = run_gen_in(dir.path(), &["render", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "foreign: out/dev/bill-inquiry/kubernetes/99-stray.yaml: gen did not write it"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("to fix it run"), "{}", run.stderr);
    let json = run_gen_in(dir.path(), &["render", "--check", "--format", "json"]);
    assert_eq!(
        json.stdout.trim(),
        r#"{"file":"out/dev/bill-inquiry/kubernetes/99-stray.yaml","status":"foreign"}"#
    );
    // A render keeps it, so the check still fails.
    assert_eq!(run_gen_in(dir.path(), &["render"]).code, 0);
    assert!(stray.exists());
    assert_eq!(run_gen_in(dir.path(), &["render", "--check"]).code, 1);
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

/// Replaces `CREATE TABLE IF NOT EXISTS system_config` in the example's bill-inquiry schema
/// file by `sql` followed by it.
fn insert_into_schema_file(dir: &Path, sql: &str) {
    let path = dir.join("inputs/sql/bill-inquiry.psql");
    let anchor = "CREATE TABLE IF NOT EXISTS system_config";
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(anchor));
    std::fs::write(&path, text.replacen(anchor, &format!("{sql}{anchor}"), 1)).unwrap();
}

#[test]
fn validate_shows_where_psql_would_read_a_schema_file_as_more_than_sql() {
    let dir = workspace();
    insert_into_schema_file(
        dir.path(),
        "SELECT 1; \\! id\nSELECT E'\\\\'; \\! id '\nSELECT :'password';\n",
    );
    let run = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    settings().bind(|| insta::assert_snapshot!("validate-schema-file-psql", transcript(&run)));
}

#[test]
fn validate_reports_migration_problems_with_their_hints() {
    let dir = workspace();
    let inputs = dir.path().join("inputs");
    for (name, sql) in [
        ("R__views.psql", "SELECT 1;\n"),
        ("V2__ok.psql", "SELECT 1;\n"),
        ("V1.5__late.psql", "SELECT 1;\n"),
        ("V3__tx.psql", "SELECT 1;\nCOMMIT;\n"),
        (
            "V4__open.psql",
            "CREATE INDEX ON system_config (config_type)\n",
        ),
    ] {
        std::fs::write(inputs.join("sql/bill-inquiry").join(name), sql).unwrap();
    }
    let service = inputs.join("services/bill-inquiry.yaml");
    let text = std::fs::read_to_string(&service).unwrap().replace(
        "V1__add_inquiry_error_code.psql]",
        "V1__add_inquiry_error_code.psql, ../sql/bill-inquiry/R__views.psql, \
         ../sql/bill-inquiry/V2__ok.psql, ../sql/bill-inquiry/V1.5__late.psql, \
         ../sql/bill-inquiry/V3__tx.psql, ../sql/bill-inquiry/V4__open.psql]",
    );
    std::fs::write(&service, text).unwrap();
    let run = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    settings().bind(|| insta::assert_snapshot!("validate-migrations", transcript(&run)));
}

#[test]
fn validate_accepts_a_backslash_inside_a_dollar_quote_and_a_comment() {
    let dir = workspace();
    insert_into_schema_file(
        dir.path(),
        "-- psql reads \\! id in a comment as text\n\
         /* and /* nested */ \\! id here too */\n\
         CREATE OR REPLACE FUNCTION audit.no_shell() RETURNS text LANGUAGE plpgsql AS $body$\n\
         BEGIN\n\
         -- \\! id\n\
         RETURN '\\! id' || E'\\\\! ' || 'x::int, arr[1:2]';\n\
         END\n\
         $body$;\n",
    );
    let run = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn validate_and_render_warn_about_changes_the_scripts_refuse_before_out_moves_on() {
    let dir = workspace();
    assert_eq!(run_gen_in(dir.path(), &["render"]).code, 0);
    let service = dir.path().join("inputs/services/bill-inquiry.yaml");
    let text = std::fs::read_to_string(&service).unwrap();
    let edited = text
        .replace("schemas: [cache, audit]", "schemas: [cache]")
        .replace("name: bill_inquiry_app", "name: bill_inquiry_service");
    assert_ne!(edited, text, "the example changed: update this test");
    std::fs::write(&service, edited).unwrap();
    let migration = dir
        .path()
        .join("inputs/sql/bill-inquiry/V1__add_inquiry_error_code.psql");
    let mut sql = std::fs::read_to_string(&migration).unwrap();
    sql.push_str("-- edited after it ran\n");
    std::fs::write(&migration, sql).unwrap();

    let validate = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(validate.code, 0, "a warning is not an error");
    settings().bind(|| insta::assert_snapshot!("validate-day-two-warnings", transcript(&validate)));
    let json = run_gen_in(dir.path(), &["validate", "--format", "json"]);
    let severities: Vec<String> = json
        .stdout
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["severity"].to_string()
        })
        .collect();
    // Three changes of the service, each warned about in dev (aks) and in staging (cnpg).
    assert_eq!(severities, ["\"warning\""; 6], "{}", json.stdout);

    // The render warns too, before it replaces the state it compared with; after it, the
    // design is the previous render and nothing is left to warn about.
    let render = run_gen_in(dir.path(), &["render"]);
    assert_eq!(render.code, 0);
    assert_eq!(
        render.stderr.matches(": warning: ").count(),
        6,
        "{}",
        render.stderr
    );
    let again = run_gen_in(dir.path(), &["validate"]);
    assert!(!again.stderr.contains("warning"), "{}", again.stderr);
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
                "uat",
                "--platform",
                "azure-flexible-server",
            ],
        ),
        run_gen_in(
            dir.path(),
            &["new", "environment", "qa", "--platform", "aks"],
        ),
        run_gen_in(
            dir.path(),
            &["new", "environment", "perf", "--platform", "cnpg"],
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
            "environments/uat.yaml",
            "environments/qa.yaml",
            "environments/perf.yaml",
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

#[test]
fn schema_check_tells_a_missing_file_from_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run_gen_in(dir.path(), &["schema", "--out", "schema"]).code,
        0
    );
    std::fs::remove_file(dir.path().join("schema/service.schema.json")).unwrap();
    std::fs::write(dir.path().join("schema/project.schema.json"), "{}\n").unwrap();
    let run = run_gen_in(dir.path(), &["schema", "--check", "--out", "schema"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("missing: schema/service.schema.json\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("stale: schema/project.schema.json\n"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("environment.schema.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_empty_folder_is_pointed_to_gen_new_project_which_writes_a_valid_one() {
    let dir = tempfile::tempdir().unwrap();
    let without_inputs = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(without_inputs.code, 2);
    assert!(
        without_inputs
            .stderr
            .contains("start one with `gen new project`"),
        "{}",
        without_inputs.stderr
    );
    std::fs::create_dir(dir.path().join("inputs")).unwrap();
    let empty = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(empty.code, 1);
    assert!(
        empty.stderr.contains(
            "inputs/project.yaml:1:1: error: `project.yaml` does not exist\n  \
             hint: every inputs folder starts with one; `gen new project` writes it"
        ),
        "{}",
        empty.stderr
    );
    let new = run_gen_in(dir.path(), &["new", "project", "--name", "shop"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    let validate = run_gen_in(dir.path(), &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    let text = std::fs::read_to_string(dir.path().join("inputs/project.yaml")).unwrap();
    settings().bind(|| insta::assert_snapshot!("new-project.yaml", text));
    let again = run_gen_in(dir.path(), &["new", "project", "--name", "shop"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn gen_new_project_takes_its_name_from_the_repository_folder() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("Phone_Bill");
    std::fs::create_dir(&repo).unwrap();
    let new = run_gen_in(&repo, &["new", "project"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    let text = std::fs::read_to_string(repo.join("inputs/project.yaml")).unwrap();
    assert!(text.contains("\nname: \"phone-bill\"\n"), "{text}");
    let other = run_gen_in(
        &repo,
        &["new", "project", "--inputs", "design", "--name", "Bad_Name"],
    );
    assert_eq!(other.code, 2);
    assert!(!repo.join("design").exists());
}

#[test]
fn render_refuses_an_output_folder_that_is_not_its_own() {
    let dir = workspace();
    std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
    let before = harness::snapshot_tree(dir.path());
    for (out, relation) in [
        (".", "holds the inputs folder"),
        ("inputs", "is the inputs folder"),
        ("inputs/generated", "is inside the inputs folder"),
        ("repo", "is a repository root (it holds `.git`)"),
    ] {
        for check in [false, true] {
            let mut args = vec!["render", "--out", out];
            if check {
                args.push("--check");
            }
            let run = run_gen_in(dir.path(), &args);
            assert_eq!(run.code, 2, "--out {out}: {}", run.stderr);
            assert!(
                run.stderr
                    .starts_with(&format!("gen: error: the output folder {out} {relation}; ")),
                "--out {out}: {}",
                run.stderr
            );
            assert!(run.stderr.contains("such as `--out out`"), "{}", run.stderr);
        }
    }
    assert_eq!(
        harness::snapshot_tree(dir.path()),
        before,
        "something was written"
    );
    assert!(!dir.path().join("inputs/generated").exists());
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let here = run_gen_in(
        &elsewhere,
        &["render", "--inputs", "../inputs", "--out", "."],
    );
    assert_eq!(here.code, 2, "{}", here.stderr);
    assert!(
        here.stderr
            .starts_with("gen: error: the output folder . is the current directory; "),
        "{}",
        here.stderr
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    let beside = run_gen_in(dir.path(), &["render", "--out", "repo/out"]);
    assert_eq!(beside.code, 0, "{}", beside.stderr);
}

/// The modeline of each scaffold names, relative to the file (as yaml-language-server reads
/// it), the schema `gen schema` writes beside the inputs folder.
#[test]
fn scaffold_modelines_point_at_the_written_schemas() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["new", "project", "--name", "shop"][..],
        &["new", "environment", "dev", "--platform", "aks"],
        &[
            "new",
            "environment",
            "prod",
            "--platform",
            "azure-flexible-server",
        ],
        &["new", "service", "orders"],
        &["schema", "--out", "schema"],
    ] {
        let run = run_gen_in(dir.path(), args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    for (file, schema) in [
        ("inputs/project.yaml", "schema/project.schema.json"),
        (
            "inputs/environments/dev.yaml",
            "schema/environment.schema.json",
        ),
        (
            "inputs/environments/prod.yaml",
            "schema/environment.schema.json",
        ),
        ("inputs/services/orders.yaml", "schema/service.schema.json"),
    ] {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let relative = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# yaml-language-server: $schema="))
            .unwrap_or_else(|| panic!("{file} has no modeline"));
        let resolved = path.parent().unwrap().join(relative).canonicalize();
        assert_eq!(
            resolved.ok(),
            dir.path().join(schema).canonicalize().ok(),
            "{file}: {relative}"
        );
    }
}
