//! The schema Job's own script, taken from the rendered Job, run against a real
//! PostgreSQL 14 (the dev image's major, with TLS) the way the Job runs it: the scripts of the Job's ConfigMap in
//! its /sql, the credentials Secret's keys as files in its /secrets, the TLS Secret's CA in
//! its /tls. It succeeds twice, and the second run changes nothing; no password reaches
//! the server's log, `pg_stat_statements` or the Job's output; a pre-existing role with
//! more than the design grants stops it.

use crate::support::{postgres, sql, tools};

use std::path::Path;
use std::process::Command;

use gen_lib::yaml::Node;

pub(crate) fn parse(path: &Path) -> serde_json::Value {
    Node::parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .to_json()
}

pub(crate) fn find(dir: &Path, kind: &str, name_part: &str) -> serde_json::Value {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| parse(&e.unwrap().path()))
        .find(|o| o["kind"] == kind && o["metadata"]["name"].as_str().unwrap().contains(name_part))
        .unwrap_or_else(|| panic!("no {kind} named *{name_part}*"))
}

/// The Job's script with its mounts moved under a temporary folder, ready to run against
/// a test server.
pub(crate) struct JobRun {
    _work: tempfile::TempDir,
    script: String,
    env: Vec<(String, String)>,
    /// The made-up password of the example's role `bill_inquiry_app`.
    pub(crate) app_password: String,
    /// The made-up password of the example's role `bill_inquiry_monitor`.
    pub(crate) monitor_password: String,
}

impl JobRun {
    fn new(server: &postgres::TestServer) -> JobRun {
        JobRun::of(server, "dev/bill-inquiry")
    }

    /// The Job of the example's target `dir` (`<env>/<service>`), against `server`.
    pub(crate) fn of(server: &postgres::TestServer, dir: &str) -> JobRun {
        let out = tools::render_example();
        let manifests = out.path().join(dir).join("kubernetes");
        let job = find(&manifests, "Job", "-schema-");
        let config_map = find(&manifests, "ConfigMap", "-schema");
        let container = &job["spec"]["template"]["spec"]["containers"][0];
        let script = container["args"][0].as_str().unwrap();

        let work = tempfile::tempdir().unwrap();
        let (sql, secrets, tls) = (
            work.path().join("sql"),
            work.path().join("secrets"),
            work.path().join("tls"),
        );
        for dir in [&sql, &secrets, &tls] {
            std::fs::create_dir(dir).unwrap();
        }
        let scripts = config_map["data"].as_object().unwrap();
        assert!(scripts.len() >= 5);
        for (name, text) in scripts {
            std::fs::write(sql.join(name), text.as_str().unwrap()).unwrap();
        }
        // The Secret keys the Job reads; the values exist only for this run.
        let nonce = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let admin_password = format!("admin-{nonce}");
        let app_password = format!("app-{nonce}");
        server.admin_query(&format!("ALTER ROLE postgres PASSWORD '{admin_password}'"));
        std::fs::write(secrets.join("postgres-password"), &admin_password).unwrap();
        std::fs::write(secrets.join("bill-inquiry-app-password"), &app_password).unwrap();
        let monitor_password = format!("monitor-{nonce}");
        std::fs::write(
            secrets.join("bill-inquiry-monitor-password"),
            &monitor_password,
        )
        .unwrap();
        std::fs::copy(server.tls_certificate(), tls.join("ca.crt")).unwrap();

        // The Job's mounts, moved under the temporary folder.
        let script = script
            .replace("/sql/", &format!("{}/", sql.display()))
            .replace("/secrets/", &format!("{}/", secrets.display()))
            .replace("/tls/", &format!("{}/", tls.display()));
        let mut env = crate::support::manifests::env_of(container);
        for (name, value) in &mut env {
            match name.as_str() {
                "PGHOST" => *value = "localhost".to_owned(),
                "PGPORT" => *value = server.port().to_string(),
                _ => {}
            }
        }
        JobRun {
            _work: work,
            script,
            env,
            app_password,
            monitor_password,
        }
    }

    /// Runs the script as the pod does: bash, no terminal (`setsid`, so psql's
    /// `\password` reads standard input), only the pod's environment. Ok(log) or Err(log).
    pub(crate) fn run(&self) -> Result<String, String> {
        let output = Command::new("setsid")
            .args(["-w", "bash", "-c"])
            .arg(&self.script)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(self.env.iter().cloned())
            .output()
            .unwrap();
        sql::outcome(&output)
    }
}

#[test]
fn the_schema_job_applies_its_configmap_twice_on_a_real_server() {
    let server = postgres::TestServer::start_major(14);
    let job = JobRun::new(&server);
    let run = || {
        let log = job
            .run()
            .unwrap_or_else(|log| panic!("the Job's script failed:\n{log}"));
        assert!(log.contains("schema applied"), "{log}");
        assert!(!log.contains("warning: Secret"), "the CA was used: {log}");
        log
    };
    let log = run();
    // Every script of the ConfigMap, in name order: the example's migration (step 7) after
    // the schema file and before the seed rows.
    let at = |text: &str| {
        log.find(text)
            .unwrap_or_else(|| panic!("no `{text}` in:\n{log}"))
    };
    assert!(at("applying 06-schema.psql") < at("applying 07-migrations.psql"));
    assert!(at("applying 07-migrations.psql") < at("applying migration 1: "));
    assert!(at("applying migration 1: ") < at("applying 08-seed-data.psql"));
    let rows =
        || server.admin_query("SELECT count(*) FROM pg_database WHERE datname = 'bill_inquiry_db'");
    assert_eq!(rows().trim(), "1");
    let seed = || {
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "SELECT count(*) FROM system_config",
        )
        .trim()
        .to_owned()
    };
    assert_eq!(seed(), "3");
    let log = run();
    assert!(!log.contains("applying migration"), "{log}");
    assert_eq!(seed(), "3", "the second run changes nothing");
}

#[test]
fn the_schema_job_never_sends_a_password_and_the_role_logs_in_with_it() {
    let server = postgres::TestServer::start_major(14);
    sql::make_loud(&server);
    let job = JobRun::new(&server);
    let mut log = String::new();
    for _ in 0..2 {
        log.push_str(
            &job.run()
                .unwrap_or_else(|log| panic!("the Job failed:\n{log}")),
        );
    }
    let kept = sql::kept_text(&server, &log);
    assert!(
        kept.contains("CREATE ROLE"),
        "the server kept the statements"
    );
    assert!(
        !kept.contains(&job.app_password),
        "the role's password reached the server log, pg_stat_statements or the Job's output"
    );
    assert_app_role_logs_in(&server, &job);
}

/// The example's role `bill_inquiry_app` logs in to its database with the password the Job
/// read from its Secret.
pub(crate) fn assert_app_role_logs_in(server: &postgres::TestServer, job: &JobRun) {
    let output = server
        .role_psql("bill_inquiry_app", &job.app_password, "bill_inquiry_db")
        .args(["-At", "-c", "SELECT current_user"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_schema_job_stops_on_a_superuser_of_the_same_name() {
    let server = postgres::TestServer::start_major(14);
    server.admin_query("CREATE ROLE bill_inquiry_app LOGIN SUPERUSER");
    let job = JobRun::new(&server);
    let log = job.run().expect_err("the Job went on");
    assert!(log.contains("role bill_inquiry_app is SUPERUSER"), "{log}");
    assert!(!log.contains("schema applied"), "{log}");
}
