//! The SQL target applied to a real PostgreSQL 15 (started here on a private port): the
//! whole sequence runs twice without error and changes nothing the second time, and each
//! role can do exactly what its access level allows.

use crate::support::postgres;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use postgres::TestServer;

/// The rendered `sql/` folder of one target, written to a temporary folder.
struct Scripts {
    _dir: tempfile::TempDir,
    files: Vec<PathBuf>,
}

fn scripts(target: &str) -> Scripts {
    let files =
        gen_lib::app::render_folder(&Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("{target}/sql/");
    let mut paths = Vec::new();
    for (path, bytes) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        let file = dir.path().join(path.trim_start_matches(&prefix));
        std::fs::write(&file, bytes).unwrap();
        paths.push(file);
    }
    paths.sort();
    assert!(paths.len() >= 5, "{target} has its scripts");
    Scripts {
        _dir: dir,
        files: paths,
    }
}

/// Passwords made up for this run only; never committed, never printed.
fn passwords() -> BTreeMap<&'static str, String> {
    let nonce = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
    [
        "PHONEBILL_AUTH_USER_PASSWORD",
        "PHONEBILL_MONITOR_PASSWORD",
        "BILL_INQUIRY_APP_PASSWORD",
    ]
    .into_iter()
    .map(|var| (var, format!("pw'{var}\"{nonce}")))
    .collect()
}

fn run_all(server: &TestServer, scripts: &Scripts, env: &BTreeMap<&'static str, String>) {
    for file in &scripts.files {
        let output = server
            .admin_psql()
            .arg("-f")
            .arg(file)
            .envs(env.iter().map(|(k, v)| (*k, v)))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{} failed:\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Runs `sql` as `role`; Ok(stdout) or Err(stderr).
fn as_role(
    server: &TestServer,
    role: &str,
    password: &str,
    db: &str,
    sql: &str,
) -> Result<String, String> {
    let output = server
        .role_psql(role, password, db)
        .args(["-tA", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .unwrap();
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn admin(server: &TestServer, db: &str, sql: &str) -> String {
    let output = server
        .admin_psql()
        .args(["-tA", "-d", db, "-c", sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// What a second run must leave unchanged: the schema, roles, grants and seed rows.
fn state(server: &TestServer, db: &str) -> String {
    let dump = Command::new("/usr/lib/postgresql/15/bin/pg_dump")
        .args(["--schema-only", "--no-owner"])
        .env("PGHOST", server.socket_dir())
        .env("PGPORT", server.port().to_string())
        .env("PGUSER", "postgres")
        .arg(db)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let roles = admin(
        server,
        "postgres",
        "SELECT string_agg(rolname || ':' || rolconnlimit || ':' || rolcanlogin, ',' ORDER BY rolname) FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%'",
    );
    let db_settings = admin(
        server,
        "postgres",
        "SELECT string_agg(array_to_string(setconfig, ';'), ',') FROM pg_db_role_setting",
    );
    // pg_dump protects its output with a random `\restrict` key on every run; drop it.
    let dump: String = String::from_utf8_lossy(&dump.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{dump}\n{roles}\n{db_settings}")
}

#[test]
fn sql_target_builds_both_example_databases_idempotently_with_the_designed_access() {
    let server = TestServer::start();
    let env = passwords();
    let auth = scripts("prod/auth");
    let bill = scripts("dev/bill-inquiry");

    run_all(&server, &auth, &env);
    run_all(&server, &bill, &env);
    let first = (
        state(&server, "phonebill_auth"),
        state(&server, "bill_inquiry_db"),
    );
    run_all(&server, &auth, &env);
    run_all(&server, &bill, &env);
    let second = (
        state(&server, "phonebill_auth"),
        state(&server, "bill_inquiry_db"),
    );
    for (a, b) in [(&first.0, &second.0), (&first.1, &second.1)] {
        let changed: Vec<_> = a
            .lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .take(5)
            .collect();
        assert!(a == b, "a second run changed the database: {changed:?}");
    }

    check_database_settings(&server);
    check_read_write_role(&server, &env);
    check_monitor_role(&server, &env);
    check_seed_rows(&server);
}

fn check_database_settings(server: &TestServer) {
    assert_eq!(
        admin(
            server,
            "postgres",
            "SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype FROM pg_database WHERE datname = 'phonebill_auth'"
        ),
        "UTF8 ko_KR.UTF-8 ko_KR.UTF-8"
    );
    assert_eq!(
        admin(
            server,
            "postgres",
            "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'bill_inquiry_db'"
        ),
        "UTF8"
    );
    assert_eq!(
        admin(
            server,
            "postgres",
            "SELECT rolname || '=' || rolconnlimit FROM pg_roles WHERE rolname IN ('phonebill_auth_user', 'phonebill_monitor', 'bill_inquiry_app') ORDER BY 1"
        ),
        "bill_inquiry_app=80\nphonebill_auth_user=50\nphonebill_monitor=5"
    );
}

fn check_read_write_role(server: &TestServer, env: &BTreeMap<&'static str, String>) {
    let pw = &env["PHONEBILL_AUTH_USER_PASSWORD"];
    let rw = |sql: &str| as_role(server, "phonebill_auth_user", pw, "phonebill_auth", sql);
    assert_eq!(rw("SHOW timezone").unwrap(), "Asia/Seoul");
    rw("INSERT INTO auth_services (service_code, service_name) VALUES ('T1', 't')").unwrap();
    rw("UPDATE auth_services SET service_name = 'u' WHERE service_code = 'T1'").unwrap();
    rw("DELETE FROM auth_services WHERE service_code = 'T1'").unwrap();
    // Sequences: a SERIAL column takes its next value.
    rw("INSERT INTO auth_permissions (service_code, permission_code) VALUES ('BILL_INQUIRY', 'READ')").unwrap();
    assert!(
        rw("CREATE TABLE rogue (id int)")
            .unwrap_err()
            .contains("permission denied")
    );
    assert!(
        rw("DROP TABLE auth_login_history")
            .unwrap_err()
            .contains("must be owner")
    );
    assert!(rw("TRUNCATE auth_services CASCADE").is_err());
    // A table the administrator creates later is covered by the default privileges.
    admin(
        server,
        "phonebill_auth",
        "CREATE TABLE IF NOT EXISTS later_table (id serial PRIMARY KEY, v text)",
    );
    rw("INSERT INTO later_table (v) VALUES ('x')").unwrap();
    assert_eq!(
        rw("SELECT count(*) FROM later_table WHERE v = 'x'").unwrap(),
        "1"
    );
    rw("DELETE FROM later_table").unwrap();
    // The other service's database is closed to it.
    assert!(
        as_role(
            server,
            "phonebill_auth_user",
            pw,
            "bill_inquiry_db",
            "SELECT 1"
        )
        .is_err()
    );
    // The bill-inquiry role reaches every schema of its database.
    let app = |sql: &str| {
        as_role(
            server,
            "bill_inquiry_app",
            &env["BILL_INQUIRY_APP_PASSWORD"],
            "bill_inquiry_db",
            sql,
        )
    };
    app("INSERT INTO audit.access_log (actor, action) VALUES ('t', 'test')").unwrap();
    assert!(
        app("CREATE TABLE cache.rogue (id int)")
            .unwrap_err()
            .contains("permission denied")
    );
    assert_eq!(app("SHOW timezone").unwrap(), "Asia/Seoul");
    assert!(
        as_role(
            server,
            "bill_inquiry_app",
            "wrong password",
            "bill_inquiry_db",
            "SELECT 1"
        )
        .is_err()
    );
}

fn check_monitor_role(server: &TestServer, env: &BTreeMap<&'static str, String>) {
    let pw = &env["PHONEBILL_MONITOR_PASSWORD"];
    let monitor = |sql: &str| as_role(server, "phonebill_monitor", pw, "phonebill_auth", sql);
    assert_eq!(monitor("SELECT count(*) FROM auth_services").unwrap(), "2");
    assert_eq!(
        monitor("SELECT pg_has_role('pg_monitor', 'MEMBER')").unwrap(),
        "t"
    );
    assert!(
        monitor("INSERT INTO auth_services (service_code, service_name) VALUES ('T2', 't')")
            .unwrap_err()
            .contains("permission denied")
    );
    assert!(
        monitor("DELETE FROM auth_services")
            .unwrap_err()
            .contains("permission denied")
    );
    assert_eq!(monitor("SELECT count(*) FROM later_table").unwrap(), "0");
}

fn check_seed_rows(server: &TestServer) {
    assert_eq!(
        admin(
            server,
            "bill_inquiry_db",
            "SELECT string_agg(config_key || '=' || config_value, ',' ORDER BY config_key) FROM system_config"
        ),
        "bill.cache.ttl.hours=4,kos.connection.timeout.ms=30000,kos.retry.max.attempts=3"
    );
    assert_eq!(
        admin(
            server,
            "bill_inquiry_db",
            "SELECT description FROM system_config WHERE config_key = 'kos.retry.max.attempts'"
        ),
        "KOS 최대 재시도 횟수"
    );
}

#[test]
fn a_missing_password_variable_stops_the_roles_script_with_its_name() {
    let server = TestServer::start();
    let auth = scripts("prod/auth");
    let roles = auth
        .files
        .iter()
        .find(|f| f.ends_with("02-roles.psql"))
        .unwrap();
    let database = auth
        .files
        .iter()
        .find(|f| f.ends_with("01-database.psql"))
        .unwrap();
    assert!(
        server
            .admin_psql()
            .arg("-f")
            .arg(database)
            .status()
            .unwrap()
            .success()
    );
    let output = server
        .admin_psql()
        .arg("-f")
        .arg(roles)
        .env_remove("PHONEBILL_AUTH_USER_PASSWORD")
        .env_remove("PHONEBILL_MONITOR_PASSWORD")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("environment variable PHONEBILL_AUTH_USER_PASSWORD is not set"),
        "{stderr}"
    );
    assert_eq!(
        admin(
            &server,
            "postgres",
            "SELECT count(*) FROM pg_roles WHERE rolname = 'phonebill_auth_user'"
        ),
        "0"
    );
}
