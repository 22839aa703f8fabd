//! Step 7, the service's migrations (`database.migrations`), on real PostgreSQL 15 and 14:
//! each migration runs once, in order, recorded with its checksum; a re-run applies
//! nothing; a changed, removed or skipped migration stops the run before anything is
//! applied; a failing migration leaves no row and no change; two runs at once apply a
//! migration once; and the schema Job and the Azure install plan run step 7 between the
//! schema file and the seed rows (docs/sql-scripts.md, "Migrations").

use crate::support::{harness, postgres, sql};

use std::path::PathBuf;
use std::process::Output;

use postgres::TestServer;
use sha2::{Digest, Sha256};

const TARGET: &str = "dev/bill-inquiry";
const SERVICE: &str = "services/bill-inquiry.yaml";
/// The example's `migrations` line, replaced by each design of the test.
const EXAMPLE_LINE: &str = "  migrations: [../sql/bill-inquiry/V1__add_inquiry_error_code.psql]   # each runs once, in order\n";
const V1: &str = "V1__add_inquiry_error_code.psql";
const V2: (&str, &str) = (
    "V2__create_probe.psql",
    "CREATE TABLE audit.probe (id int PRIMARY KEY, note text);\nINSERT INTO audit.probe VALUES (1, 'v2');\n",
);
const V3: (&str, &str) = (
    "V3__add_probe_flag.psql",
    "ALTER TABLE audit.probe ADD COLUMN flag boolean NOT NULL DEFAULT false;\n",
);

/// A copy of the example inputs whose `bill-inquiry` lists the migrations set last.
struct Design {
    _work: tempfile::TempDir,
    inputs: PathBuf,
    line: String,
}

impl Design {
    fn new() -> Design {
        let work = tempfile::tempdir().unwrap();
        let inputs = harness::edited_example(work.path(), &[]);
        Design {
            _work: work,
            inputs,
            line: EXAMPLE_LINE.to_owned(),
        }
    }

    /// Lists `migrations` (file name, text), in this order; the example's V1 is listed by
    /// its name alone (text `None`) and keeps its text.
    fn set(&mut self, migrations: &[(&str, Option<&str>)]) {
        let folder = self.inputs.join("sql/bill-inquiry");
        for (name, text) in migrations {
            if let Some(text) = text {
                std::fs::write(folder.join(name), text).unwrap();
            }
        }
        let list: Vec<String> = migrations
            .iter()
            .map(|(name, _)| format!("../sql/bill-inquiry/{name}"))
            .collect();
        let line = format!("  migrations: [{}]\n", list.join(", "));
        harness::edit_input(&self.inputs, SERVICE, &self.line, &line);
        self.line = line;
    }

    fn scripts(&self) -> sql::Scripts {
        sql::render_scripts(&self.inputs, TARGET)
    }

    fn checksum(&self, name: &str) -> String {
        let bytes = std::fs::read(self.inputs.join("sql/bill-inquiry").join(name)).unwrap();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn v(file: (&'static str, &'static str)) -> (&'static str, Option<&'static str>) {
    (file.0, Some(file.1))
}

/// Runs `07-migrations.psql` of `scripts` alone.
fn run_step_7(server: &TestServer, scripts: &sql::Scripts) -> Output {
    sql::run_script(
        &server.admin_psql(),
        scripts.file("07-migrations.psql"),
        &[],
    )
}

fn query(server: &TestServer, sql: &str) -> String {
    sql::query_in(server, "bill_inquiry_db", sql)
        .trim()
        .to_owned()
}

/// The history, one line per migration: version, file, checksum, when and by whom.
fn history(server: &TestServer) -> String {
    query(
        server,
        "SELECT string_agg(concat_ws(' ', version, description, file, checksum, applied_at, applied_by), E'\\n' ORDER BY version) FROM gen_history.migrations",
    )
}

fn versions(server: &TestServer) -> String {
    query(
        server,
        "SELECT string_agg(version, ',' ORDER BY version) FROM gen_history.migrations",
    )
}

fn exists(server: &TestServer, relation: &str) -> bool {
    query(
        server,
        &format!("SELECT to_regclass('{relation}') IS NOT NULL"),
    ) == "t"
}

/// The step failed, and its output holds each of `texts`.
fn assert_stopped(output: &Output, texts: &[&str]) {
    let text = sql::output_text(output);
    assert!(!output.status.success(), "the step ran:\n{text}");
    for expected in texts {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
}

fn assert_ran(output: &Output) -> String {
    let text = sql::output_text(output);
    assert!(output.status.success(), "the step failed:\n{text}");
    text
}

fn migrations_apply_once_in_order(server: &TestServer) {
    let password = format!("pw-{}-{:?}", std::process::id(), std::time::Instant::now());
    let monitor = sql::made_up_password("monitor");
    // The app role's, then the monitor role's.
    let passwords = [password.as_str(), monitor.as_str()];
    let admin = server.admin_psql();
    let mut design = Design::new();

    // V1 and V2 on an empty server: both run and are recorded.
    design.set(&[(V1, None), v(V2)]);
    let log = sql::run_all(&admin, &design.scripts(), &passwords);
    assert!(
        log.contains(&format!("applying migration 1: sql/bill-inquiry/{V1}")),
        "{log}"
    );
    assert!(
        log.contains("applying migration 2: sql/bill-inquiry/V2__create_probe.psql"),
        "{log}"
    );
    assert_eq!(versions(server), "1,2");
    let recorded = history(server);
    assert!(
        recorded.starts_with(&format!(
            "1 add inquiry error code sql/bill-inquiry/{V1} {} ",
            design.checksum(V1)
        )),
        "{recorded}"
    );
    assert!(recorded.ends_with(" postgres"), "{recorded}");
    assert_eq!(
        query(
            server,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'bill_inquiry_history' AND column_name = 'error_code'"
        ),
        "1"
    );
    assert_eq!(query(server, "SELECT note FROM audit.probe"), "v2");
    // The history is the administrator's alone: no role of the design may use its schema.
    assert_eq!(
        query(
            server,
            "SELECT has_schema_privilege('bill_inquiry_app', 'gen_history', 'USAGE')"
        ),
        "f"
    );

    // Again: nothing runs, the history is as it was (applied_at included).
    let log = sql::run_all(&admin, &design.scripts(), &passwords);
    assert!(!log.contains("applying migration"), "{log}");
    assert_eq!(history(server), recorded);

    // V3 added: only V3 runs.
    design.set(&[(V1, None), v(V2), v(V3)]);
    let scripts = design.scripts();
    let log = assert_ran(&run_step_7(server, &scripts));
    assert_eq!(log.matches("applying migration").count(), 1, "{log}");
    assert!(log.contains("applying migration 3: "), "{log}");
    let recorded = history(server);
    assert_eq!(versions(server), "1,2,3");
    assert_eq!(query(server, "SELECT flag FROM audit.probe"), "f");

    // V2 changed after it ran (and a new V4 listed): the run stops naming the file and
    // both checksums, and applies nothing.
    let v2_changed = "CREATE TABLE audit.probe (id int PRIMARY KEY, note text);\nINSERT INTO audit.probe VALUES (1, 'changed');\n";
    let v4 = (
        "V4__create_probe4.psql",
        "CREATE TABLE audit.probe4 (id int);\n",
    );
    let v2_checksum = design.checksum(V2.0);
    design.set(&[(V1, None), (V2.0, Some(v2_changed)), v(V3), v(v4)]);
    assert_stopped(
        &run_step_7(server, &design.scripts()),
        &[
            &format!(
                "sql/bill-inquiry/V2__create_probe.psql (version 2) ran with checksum {v2_checksum}; the file now has checksum {}",
                design.checksum(V2.0)
            ),
            "a migration that ran must never change",
            "make the change in a new migration",
        ],
    );
    assert_eq!(history(server), recorded);
    assert!(!exists(server, "audit.probe4"));

    // A failing V4: no row, and nothing of what it did before it failed.
    let v4_failing = (
        "V4__create_probe4.psql",
        "CREATE TABLE audit.probe4 (id int);\nINSERT INTO audit.probe4 VALUES (1 / 0);\n",
    );
    design.set(&[(V1, None), (V2.0, Some(V2.1)), v(V3), v(v4_failing)]);
    assert_stopped(
        &run_step_7(server, &design.scripts()),
        &["applying migration 4: ", "division by zero"],
    );
    assert_eq!(history(server), recorded);
    assert!(!exists(server, "audit.probe4"));

    // V1 no longer listed: the run stops naming it.
    design.set(&[v(V2), v(V3)]);
    assert_stopped(
        &run_step_7(server, &design.scripts()),
        &[
            &format!("sql/bill-inquiry/{V1} (version 1) ran at "),
            "but is no longer listed",
        ],
    );
    assert_eq!(history(server), recorded);

    // A migration listed below one that ran never runs (no out-of-order migrations).
    let late = ("V2.5__late.psql", "CREATE TABLE audit.late (id int);\n");
    design.set(&[(V1, None), v(V2), v(late), v(V3)]);
    assert_stopped(
        &run_step_7(server, &design.scripts()),
        &[
            "sql/bill-inquiry/V2.5__late.psql (version 2.5) has not run, but sql/bill-inquiry/V3__add_probe_flag.psql (version 3), listed after it, has",
        ],
    );
    assert!(!exists(server, "audit.late"));

    // Two runs at once: one applies V5 while the other waits, then finds it recorded.
    let v5 = (
        "V5__slow.psql",
        "SELECT pg_sleep(1);\nCREATE TABLE audit.probe5 (id int);\n",
    );
    design.set(&[(V1, None), v(V2), v(V3), v(v5)]);
    let scripts = design.scripts();
    let spawn = || {
        sql::detached(&server.admin_psql())
            .arg("-f")
            .arg(scripts.file("07-migrations.psql"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let logs: Vec<String> = [first, second]
        .into_iter()
        .map(|child| assert_ran(&child.wait_with_output().unwrap()))
        .collect();
    assert_eq!(
        logs.concat().matches("applying migration 5").count(),
        1,
        "{logs:#?}"
    );
    assert_eq!(versions(server), "1,2,3,5");

    // A transaction statement that got past validation (here written into the rendered
    // script): the migration is not recorded.
    let v6 = (
        "V6__create_probe6.psql",
        "CREATE TABLE audit.probe6 (id int);\n",
    );
    design.set(&[(V1, None), v(V2), v(V3), v(v5), v(v6)]);
    let scripts = design.scripts();
    let step_7 = scripts.file("07-migrations.psql");
    let text = std::fs::read_to_string(step_7).unwrap();
    std::fs::write(
        step_7,
        text.replace(v6.1, "CREATE TABLE audit.probe6 (id int);\nCOMMIT;\n"),
    )
    .unwrap();
    assert_stopped(
        &run_step_7(server, &scripts),
        &["migration sql/bill-inquiry/V6__create_probe6.psql ended the transaction gen runs it in"],
    );
    assert_eq!(versions(server), "1,2,3,5");

    // A history another role may write to stops the run before it is read.
    sql::query_in(
        server,
        "bill_inquiry_db",
        "GRANT INSERT ON gen_history.migrations TO bill_inquiry_app",
    );
    assert_stopped(
        &run_step_7(server, &design.scripts()),
        &[
            "bill_inquiry_app holds INSERT on relation gen_history.migrations",
            "belongs to, or is open to, roles other than the administrator",
        ],
    );
}

#[test]
fn migrations_apply_once_in_order_on_postgresql_15() {
    migrations_apply_once_in_order(&TestServer::start());
}

#[test]
fn migrations_apply_once_in_order_on_postgresql_14() {
    migrations_apply_once_in_order(&TestServer::start_major(14));
}

/// The rendered files of the example with `edits` and the new input files `written`
/// (path, text).
fn rendered(
    edits: &[(&str, &str, &str)],
    written: &[(&str, &str)],
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), edits);
    for (path, text) in written {
        std::fs::write(inputs.join(path), text).unwrap();
    }
    gen_lib::app::render_folder(&inputs)
        .unwrap()
        .into_iter()
        .collect()
}

fn text<'a>(files: &'a std::collections::BTreeMap<String, Vec<u8>>, path: &str) -> &'a str {
    std::str::from_utf8(&files[path]).unwrap_or_else(|_| panic!("{path}"))
}

/// Where each of `needles` first appears in `haystack`, which must hold them in this order.
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let at: Vec<usize> = needles
        .iter()
        .map(|n| {
            haystack
                .find(n)
                .unwrap_or_else(|| panic!("no `{n}` in:\n{haystack}"))
        })
        .collect();
    assert!(at.is_sorted(), "not in order {needles:?}:\n{haystack}");
}

#[test]
fn the_schema_job_and_the_install_plans_run_step_7_between_the_schema_file_and_the_seed_rows() {
    // aks: the Job runs every script of its ConfigMap, in name order (`/sql/*.psql` under
    // LC_ALL=C); the ConfigMap carries step 7 between 06 and 08.
    let files = rendered(&[], &[]);
    let dir = "dev/bill-inquiry";
    let config_map = text(
        &files,
        &format!("{dir}/kubernetes/32-configmap-postgresql-bill-inquiry-schema.yaml"),
    );
    assert_in_order(
        config_map,
        &[
            "\"06-schema.psql\":",
            "\"07-migrations.psql\":",
            "\"08-seed-data.psql\":",
        ],
    );
    let job = text(
        &files,
        &format!("{dir}/kubernetes/60-job-postgresql-bill-inquiry-schema.yaml"),
    );
    assert!(
        job.contains("LC_ALL=C") && job.contains("for f in /sql/*.psql; do"),
        "{job}"
    );
    assert!(files.contains_key(&format!("{dir}/sql/07-migrations.psql")));
    assert_in_order(
        text(&files, &format!("{dir}/README.md")),
        &[
            "`06-schema.psql`",
            "`07-migrations.psql`",
            "`08-seed-data.psql`",
        ],
    );

    // azure-flexible-server: the install plan lists step 7 and runs it after step 6.
    let files = rendered(
        &[(
            "services/auth.yaml",
            "  schemaFile: ../sql/auth.psql",
            "  migrations: [../sql/V1__auth_probe.psql]\n  schemaFile: ../sql/auth.psql",
        )],
        &[("sql/V1__auth_probe.psql", "CREATE TABLE probe (id int);\n")],
    );
    assert!(files.contains_key("prod/auth/sql/07-migrations.psql"));
    let readme = text(&files, "prod/auth/README.md");
    assert_in_order(
        readme,
        &["-f sql/06-schema.psql", "-f sql/07-migrations.psql"],
    );
}
