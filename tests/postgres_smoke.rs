//! The test PostgreSQL server works as the SQL tests need it: password logins over TCP, the
//! ko_KR.UTF-8 collation, and the contrib extensions the rendered SQL creates.

use crate::support::postgres;

use postgres::TestServer;

fn stdout_of(cmd: &mut std::process::Command, server: &TestServer) -> String {
    let output = cmd.output().expect("run psql");
    assert!(
        output.status.success(),
        "psql failed ({})\n--- stdout ---\n{}--- stderr ---\n{}--- server log ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn roles_log_in_with_a_scram_password_over_tcp() {
    let server = TestServer::start();
    assert_ne!(server.port(), 0);
    stdout_of(
        server
            .admin_psql()
            .args(["-c", "CREATE ROLE app_user LOGIN PASSWORD 's3cret-pw'"]),
        &server,
    );
    let stored = server.admin_query("SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'");
    assert!(
        stored.starts_with("SCRAM-SHA-256$"),
        "password stored as {stored}"
    );

    let one = stdout_of(
        server
            .role_psql("app_user", "s3cret-pw", "postgres")
            .args(["-At", "-c", "SELECT 1"]),
        &server,
    );
    assert_eq!(one.trim(), "1");
    let who = stdout_of(
        server.role_psql("app_user", "s3cret-pw", "postgres").args([
            "-At",
            "-c",
            "SELECT current_user, inet_server_addr()",
        ]),
        &server,
    );
    assert_eq!(who.trim(), "app_user|127.0.0.1");

    let wrong = server
        .role_psql("app_user", "wrong", "postgres")
        .args(["-c", "SELECT 1"])
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "a wrong password must be refused");
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
}

#[test]
fn korean_collation_and_contrib_extensions_are_available() {
    let server = TestServer::start();
    server.admin_query("CREATE DATABASE x LOCALE 'ko_KR.UTF-8' TEMPLATE template0");
    assert_eq!(
        server
            .admin_query("SELECT datcollate FROM pg_database WHERE datname = 'x'")
            .trim(),
        "ko_KR.UTF-8"
    );

    let sql = "CREATE EXTENSION pg_stat_statements; \
               CREATE EXTENSION \"uuid-ossp\"; \
               SELECT count(*) >= 0 FROM pg_stat_statements; \
               SELECT length(uuid_generate_v4()::text); \
               SELECT string_agg(w, ',' ORDER BY w) FROM (VALUES ('나'), ('가'), ('b'), ('A')) v(w);";
    let out = stdout_of(
        server.admin_psql().args(["-At", "-d", "x", "-c", sql]),
        &server,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "CREATE EXTENSION",
            "CREATE EXTENSION",
            "t",
            "36",
            "A,b,가,나"
        ],
        "{out}"
    );
}

#[test]
fn servers_are_private_and_stop_on_drop() {
    let a = TestServer::start();
    let b = TestServer::start();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.socket_dir(), b.socket_dir());
    a.admin_query("CREATE DATABASE only_in_a");
    assert_eq!(
        b.admin_query("SELECT count(*) FROM pg_database WHERE datname = 'only_in_a'")
            .trim(),
        "0"
    );

    let data = a.data_dir();
    let pid: u32 = std::fs::read_to_string(data.join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(running(pid));
    drop(a);
    assert!(!running(pid), "postmaster {pid} still runs");
    assert!(!data.exists(), "{} was not removed", data.display());
    assert_eq!(b.admin_query("SELECT 1").trim(), "1");
}

/// Whether a process runs (a zombie waiting for its parent does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}
