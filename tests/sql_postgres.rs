//! The SQL target applied to a real PostgreSQL 15 (started here on a private port): the
//! whole sequence runs twice without error and changes nothing the second time, and each
//! role can do exactly what its access level allows.

use crate::support::{postgres, sql};

use std::collections::BTreeMap;
use std::process::Command;

use postgres::TestServer;

/// Passwords made up for this run only; never committed, never printed.
fn passwords() -> BTreeMap<&'static str, String> {
    let nonce = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
    [
        "PHONEBILL_AUTH_USER_PASSWORD",
        "PHONEBILL_MONITOR_PASSWORD",
        "BILL_INQUIRY_APP_PASSWORD",
        "BILL_INQUIRY_MONITOR_PASSWORD",
    ]
    .into_iter()
    .map(|var| (var, format!("pw'{var}\"{nonce}")))
    .collect()
}

/// The passwords of a target's roles, in the order of its `02-roles.psql`.
fn role_passwords<'a>(target: &str, env: &'a BTreeMap<&'static str, String>) -> Vec<&'a str> {
    let vars: &[&str] = match target {
        "prod/auth" => &["PHONEBILL_AUTH_USER_PASSWORD", "PHONEBILL_MONITOR_PASSWORD"],
        "dev/bill-inquiry" => &["BILL_INQUIRY_APP_PASSWORD", "BILL_INQUIRY_MONITOR_PASSWORD"],
        _ => panic!("no passwords for {target}"),
    };
    vars.iter().map(|v| env[v].as_str()).collect()
}

fn run_target(server: &TestServer, target: &str, env: &BTreeMap<&'static str, String>) {
    sql::run_all(
        &server.admin_psql(),
        &sql::example_scripts(target),
        &role_passwords(target, env),
    );
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
        "SELECT string_agg(array_to_string(setconfig, ';'), ',' ORDER BY setdatabase, setrole) FROM pg_db_role_setting",
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

    run_target(&server, "prod/auth", &env);
    run_target(&server, "dev/bill-inquiry", &env);
    let first = (
        state(&server, "phonebill_auth"),
        state(&server, "bill_inquiry_db"),
    );
    run_target(&server, "prod/auth", &env);
    run_target(&server, "dev/bill-inquiry", &env);
    let second = (
        state(&server, "phonebill_auth"),
        state(&server, "bill_inquiry_db"),
    );
    for (a, b) in [(&first.0, &second.0), (&first.1, &second.1)] {
        let changed = sql::first_differences(a, b);
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
    // Sequences advance but are never reset; no temporary tables; the design's session settings.
    assert!(
        rw("SELECT setval(pg_get_serial_sequence('auth_permissions', 'permission_id'), 1)")
            .unwrap_err()
            .contains("permission denied")
    );
    assert!(
        rw("CREATE TEMP TABLE scratch (id int)")
            .unwrap_err()
            .contains("permission denied")
    );
    assert_eq!(
        rw("SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout') || ' ' || current_setting('idle_in_transaction_session_timeout') || ' ' || current_setting('search_path') || ' ' || current_setting('default_transaction_read_only')").unwrap(),
        "1min 10s 1min public off"
    );
    // A table the administrator creates later, as the owner role, is covered by the
    // default privileges.
    admin(
        server,
        "phonebill_auth",
        "SET ROLE phonebill_auth_owner; CREATE TABLE IF NOT EXISTS later_table (id serial PRIMARY KEY, v text)",
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
    assert_eq!(
        monitor("SELECT pg_has_role('pg_monitor', 'MEMBER')").unwrap(),
        "t"
    );
    assert_eq!(monitor("SHOW default_transaction_read_only").unwrap(), "on");
    // Statistics, never contents: the exporter reads pg_stat_*, not the tables (which
    // hold password hashes).
    assert!(
        monitor("SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'auth_users'").unwrap()
            == "1"
    );
    assert!(
        monitor("SELECT count(*) FROM auth_users")
            .unwrap_err()
            .contains("permission denied")
    );
    assert!(
        monitor("BEGIN READ WRITE; DELETE FROM auth_services; COMMIT")
            .unwrap_err()
            .contains("permission denied")
    );
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
fn a_role_is_never_left_without_its_password() {
    let server = TestServer::start();
    let auth = sql::example_scripts("prod/auth");
    let admin = server.admin_psql();
    let created = sql::run_script(&admin, auth.file("01-database.psql"), &[]);
    assert!(created.status.success(), "{}", sql::output_text(&created));
    // No line on standard input: psql reads an empty password, which the server clears.
    let output = sql::run_script(&admin, auth.file("02-roles.psql"), &[]);
    assert!(!output.status.success());
    let text = sql::output_text(&output);
    assert!(
        text.contains("role phonebill_auth_user was given an empty password"),
        "{text}"
    );
    assert_eq!(
        admin_count(
            &server,
            "SELECT count(*) FROM pg_roles WHERE rolname = 'phonebill_auth_user'"
        ),
        "0",
        "the role was not created"
    );
}

fn admin_count(server: &TestServer, sql: &str) -> String {
    admin(server, "postgres", sql)
}
