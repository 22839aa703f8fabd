//! The exporter sidecar of the AKS target, run for real: Debian's `prometheus-postgres-exporter`
//! with the environment the rendered StatefulSet gives the `metrics` container, against a real
//! PostgreSQL 15 on which the example's scripts have run. It logs in as the service's monitor
//! role over TLS to the service database, collects that database's per-table statistics, and
//! never sees the superuser's password.
//!
//! Debian packages exporter 0.11.1 while the manifests run v0.17.1: the connection settings
//! (`DATA_SOURCE_URI`, `DATA_SOURCE_USER`, `DATA_SOURCE_PASS_FILE`) are read the same way by
//! both. 0.17 collects per-table statistics with its default `stat_user_tables` collector, which
//! 0.11 lacks: here a query file of the same view (`pg_stat_user_tables`, over the exporter's
//! own connection and privileges) stands in for it.

use crate::support::postgres::{TestServer, free_port};
use crate::support::{manifests, sql};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const EXPORTER: &str = "/usr/bin/prometheus-postgres-exporter";

/// The live rows of each table, as 0.17's `stat_user_tables` collector reads them.
const USER_TABLES_QUERY: &str = "pg_stat_user_tables:
  query: SELECT current_database() AS datname, schemaname, relname, n_live_tup FROM pg_stat_user_tables
  metrics:
    - datname: {usage: LABEL, description: database}
    - schemaname: {usage: LABEL, description: schema}
    - relname: {usage: LABEL, description: table}
    - n_live_tup: {usage: GAUGE, description: live rows}
";

/// The pod spec of the example's rendered StatefulSet.
fn pod_spec() -> Value {
    manifests::example_object("StatefulSet", "statefulset")["spec"]["template"]["spec"].clone()
}

fn value<'a>(env: &'a [(String, String)], name: &str) -> &'a str {
    &env.iter().find(|(n, _)| n == name).unwrap().1
}

/// The `secret` of a volume of the pod spec.
fn secret_volume<'a>(pod: &'a Value, volume: &str) -> &'a Value {
    &manifests::named(&pod["volumes"], volume)["secret"]
}

/// The Secret keys a volume of the pod spec projects.
fn projected_keys(pod: &Value, volume: &str) -> Vec<String> {
    secret_volume(pod, volume)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET /metrics`, the body once the exporter answers (it starts within a second).
fn scrape(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream
                .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            if let Some((_, body)) = response.split_once("\r\n\r\n") {
                return body.to_owned();
            }
        }
        assert!(Instant::now() < deadline, "the exporter never answered");
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the exporter with the `metrics` container's environment, its host and port moved to
/// `server`, and its password file moved to `password_file`.
fn start_exporter(
    env: &[(String, String)],
    server: &TestServer,
    password_file: &Path,
    queries: &Path,
    port: u16,
) -> Exporter {
    assert!(
        Path::new(EXPORTER).exists(),
        "{EXPORTER} is missing: run scripts/install-test-deps.sh (the test command does)"
    );
    let mut command = Command::new(EXPORTER);
    command
        .env_clear()
        .args([
            &format!("--web.listen-address=127.0.0.1:{port}"),
            &format!("--extend.query-path={}", queries.display()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        let value = match name.as_str() {
            "DATA_SOURCE_URI" => {
                value.replace("127.0.0.1:5432/", &format!("127.0.0.1:{}/", server.port()))
            }
            "DATA_SOURCE_PASS_FILE" => password_file.display().to_string(),
            _ => value.clone(),
        };
        command.env(name, value);
    }
    Exporter(command.spawn().unwrap())
}

#[test]
fn the_exporter_logs_in_as_the_monitor_role_to_the_service_database() {
    let pod = pod_spec();
    let env = manifests::env_of(manifests::named(&pod["containers"], "metrics"));
    assert_eq!(value(&env, "DATA_SOURCE_USER"), "bill_inquiry_monitor");
    assert_eq!(
        value(&env, "DATA_SOURCE_URI"),
        "127.0.0.1:5432/bill_inquiry_db?sslmode=require"
    );
    assert!(
        env.iter().all(|(_, v)| !v.contains("postgres-password")),
        "the exporter must not read the superuser's password: {env:?}"
    );
    assert_eq!(
        projected_keys(&pod, "exporter-credentials"),
        ["bill-inquiry-monitor-password"],
        "the exporter's volume holds its own role's password only"
    );
    // Required: postgres_exporter exits without its password file, and a crash-looping
    // sidecar would make the database's pod unready.
    assert_ne!(
        secret_volume(&pod, "exporter-credentials")["optional"],
        true
    );

    let server = TestServer::start();
    let app = sql::made_up_password("app");
    let monitor = sql::made_up_password("monitor");
    sql::run_all(
        &server.admin_psql(),
        &sql::example_scripts("dev/bill-inquiry"),
        &[&app, &monitor],
    );
    let work = tempfile::tempdir().unwrap();
    let password_file = work.path().join("password");
    std::fs::write(&password_file, &monitor).unwrap();
    let queries = work.path().join("queries.yaml");
    std::fs::write(&queries, USER_TABLES_QUERY).unwrap();

    let port = free_port();
    let exporter = start_exporter(&env, &server, &password_file, &queries, port);
    let metrics = scrape(port);
    let sessions = server.admin_query(
        "SELECT DISTINCT usename || ' ' || datname || ' ' || ssl \
           FROM pg_stat_activity JOIN pg_stat_ssl USING (pid) \
          WHERE usename = 'bill_inquiry_monitor'",
    );
    drop(exporter);

    assert!(
        metrics.lines().any(|l| l == "pg_up 1"),
        "the exporter could not log in:\n{}",
        metrics
            .lines()
            .filter(|l| l.starts_with("pg_up") || l.contains("error"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(sessions.trim(), "bill_inquiry_monitor bill_inquiry_db true");
    // The alert rules' series, for the service database.
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("pg_stat_activity_count{")
                && l.contains("datname=\"bill_inquiry_db\"")),
        "no pg_stat_activity_count of bill_inquiry_db"
    );
    // Per-table statistics of the service database, which a login to `postgres` never sees.
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("pg_stat_user_tables_n_live_tup{")
                && l.contains("datname=\"bill_inquiry_db\"")
                && l.contains("relname=\"system_config\"")),
        "no per-table statistics of bill_inquiry_db:\n{}",
        metrics
            .lines()
            .filter(|l| l.starts_with("pg_stat_user_tables"))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !metrics.contains(&monitor) && !metrics.contains(&app),
        "a password reached the metrics"
    );
}
