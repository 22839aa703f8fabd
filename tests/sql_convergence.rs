//! Day two for the database (issue 17): the scripts of a changed design, applied over a
//! database built from the old one, leave the same catalog state as on an empty server,
//! or stop with what to do by hand; seed rows are upserted; runs keep out of each
//! other's and the application's way. On PostgreSQL 14, 15, 16 and 17.

use crate::support::{harness, postgres::TestServer, sql};

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The majors whose role and ownership rules differ (PUBLIC's CREATE on `public` before
/// 15, role administration from 16).
const MAJORS: [u32; 4] = [14, 15, 16, 17];

const TARGET: &str = "dev/bill-inquiry";

/// Passwords for the roles of every design below, in their order in the service file.
/// The roles' passwords in the order of the design: the app, the monitor role, and the reader
/// some designs add.
fn passwords() -> [String; 3] {
    [
        sql::made_up_password("app"),
        sql::made_up_password("monitor"),
        sql::made_up_password("reader"),
    ]
}

/// The example's inputs with `edits` applied, kept alive with its folder.
struct Design {
    _work: tempfile::TempDir,
    inputs: PathBuf,
}

fn design(edits: &[(&str, &str, &str)]) -> Design {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), edits);
    Design {
        _work: work,
        inputs,
    }
}

fn apply(server: &TestServer, design: &Design) -> Result<String, String> {
    let scripts = sql::render_scripts(&design.inputs, TARGET);
    let pw = passwords();
    sql::try_run_all(&server.admin_psql(), &scripts, &[&pw[0], &pw[1], &pw[2]])
}

/// What the contract compares (a missing ACL is its default, written out): roles and
/// their attributes, memberships, per-role and
/// database settings, schemas with owners and privileges, default privileges, relations'
/// owners and privileges, extensions with their comment (gen's marker), the seed table.
fn catalog(server: &TestServer) -> String {
    let cluster = [
        "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolconnlimit, \
         pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_roles \
         WHERE rolname NOT LIKE 'pg\\_%' AND rolname <> 'postgres' ORDER BY 1",
        "SELECT m.rolname, g.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member \
         JOIN pg_roles g ON g.oid = a.roleid WHERE m.rolname <> 'postgres' ORDER BY 1, 2",
        "SELECT COALESCE(d.datname, '-'), COALESCE(r.rolname, '-'), s.setconfig FROM pg_db_role_setting s \
         LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole ORDER BY 1, 2",
        "SELECT datname, datdba::regrole, COALESCE(datacl, acldefault('d', datdba)) FROM pg_database WHERE datname = 'bill_inquiry_db'",
    ];
    let database = [
        "SELECT nspname, nspowner::regrole, COALESCE(nspacl, acldefault('n', nspowner)) FROM pg_namespace \
         WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1",
        "SELECT defaclrole::regrole, defaclnamespace::regnamespace, defaclobjtype, defaclacl \
         FROM pg_default_acl ORDER BY 1, 2, 3",
        "SELECT c.relnamespace::regnamespace, c.relname, c.relkind, c.relowner::regrole, COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1, 2",
        "SELECT extname, extnamespace::regnamespace, obj_description(oid, 'pg_extension') FROM pg_extension ORDER BY 1",
        "SELECT config_key, config_value, config_type, description FROM public.system_config ORDER BY 1",
    ];
    let mut out = String::new();
    for query in cluster {
        out.push_str(&server.admin_query(query));
        out.push_str("--\n");
    }
    for query in database {
        out.push_str(&sql::query_in(server, "bill_inquiry_db", query));
        out.push_str("--\n");
    }
    out
}

/// Two administrators as on Azure: not superusers, with CREATEDB, CREATEROLE and pg_monitor
/// WITH ADMIN OPTION; the database exists, owned by the first, with pg_stat_statements,
/// which only a superuser may create. Returns their passwords.
fn azure_like_administrators(server: &TestServer) -> [String; 2] {
    let [first, second] = [
        sql::made_up_password("admin-1"),
        sql::made_up_password("admin-2"),
    ];
    server.admin_query(&format!(
        "CREATE ROLE admin_one LOGIN CREATEDB CREATEROLE PASSWORD '{first}'; \
         CREATE ROLE admin_two LOGIN CREATEDB CREATEROLE PASSWORD '{second}'; \
         GRANT pg_monitor TO admin_one, admin_two WITH ADMIN OPTION"
    ));
    server.admin_query(
        "CREATE DATABASE bill_inquiry_db OWNER admin_one ENCODING 'UTF8' TEMPLATE template0",
    );
    sql::query_in(
        server,
        "bill_inquiry_db",
        "CREATE EXTENSION pg_stat_statements",
    );
    [first, second]
}

/// Builds `a`, applies `b` over it, and compares with `b` applied to an empty server.
fn converges(major: u32, change: &str, a: &Design, b: &Design) {
    let over = TestServer::start_major(major);
    apply(&over, a).unwrap_or_else(|e| panic!("{change} on {major}: A failed: {e}"));
    apply(&over, b).unwrap_or_else(|e| panic!("{change} on {major}: B over A failed: {e}"));
    let fresh = TestServer::start_major(major);
    apply(&fresh, b).unwrap_or_else(|e| panic!("{change} on {major}: B failed: {e}"));
    let (got, want) = (catalog(&over), catalog(&fresh));
    if got != want {
        let diff = sql::first_differences(&got, &want);
        panic!("{change} on PostgreSQL {major}: B over A differs from B alone: {diff:?}");
    }
}

const ROLE: &str = "      access: read-write\n      connectionLimit: 80\n";
const READER: &str = "    - name: bill_inquiry_reader\n      access: read-only\n      connectionLimit: 5\n      passwordSecret: bill-inquiry-reader-password\n  seedData:";

#[test]
fn a_changed_design_converges_on_every_major() {
    let access = |level: &str| {
        design(&[(
            "services/bill-inquiry.yaml",
            ROLE,
            &format!("      access: {level}\n      connectionLimit: 80\n"),
        )])
    };
    let cases: Vec<(&str, Design, Design)> = vec![
        ("read-write to read-only", design(&[]), access("read-only")),
        ("read-only to read-write", access("read-only"), design(&[])),
        ("read-write to monitor", design(&[]), access("monitor")),
        ("monitor to read-write", access("monitor"), design(&[])),
        (
            "connection limit and session settings",
            design(&[]),
            design(&[(
                "services/bill-inquiry.yaml",
                ROLE,
                "      access: read-write\n      connectionLimit: 40\n      statementTimeout: 5s\n      searchPath: [public]\n",
            )]),
        ),
        (
            "role added",
            design(&[]),
            design(&[("services/bill-inquiry.yaml", "  seedData:", READER)]),
        ),
        (
            "schema and extension added, timezone changed",
            design(&[]),
            design(&[
                (
                    "services/bill-inquiry.yaml",
                    "schemas: [cache, audit]",
                    "schemas: [cache, audit, reports]",
                ),
                (
                    "services/bill-inquiry.yaml",
                    "extensions: [uuid-ossp, pg_stat_statements]",
                    "extensions: [uuid-ossp, pg_stat_statements, pgcrypto]",
                ),
                (
                    "services/bill-inquiry.yaml",
                    "  schemaFile:",
                    "  timezone: UTC\n  schemaFile:",
                ),
            ]),
        ),
        (
            "empty schema removed",
            design(&[(
                "services/bill-inquiry.yaml",
                "schemas: [cache, audit]",
                "schemas: [cache, audit, reports]",
            )]),
            design(&[]),
        ),
        (
            "extension removed",
            design(&[(
                "services/bill-inquiry.yaml",
                "extensions: [uuid-ossp, pg_stat_statements]",
                "extensions: [uuid-ossp, pg_stat_statements, pgcrypto]",
            )]),
            design(&[]),
        ),
        (
            "seed value changed and row added",
            design(&[]),
            design(&[
                (
                    "services/bill-inquiry.yaml",
                    "config_value: \"4\"",
                    "config_value: \"6\"",
                ),
                (
                    "services/bill-inquiry.yaml",
                    "      rows:\n",
                    "      rows:\n        - { config_key: new.key, config_value: \"1\", description: 새 값, config_type: INTEGER }\n",
                ),
            ]),
        ),
    ];
    // One thread per major: the servers are independent, and most of the time is spent
    // waiting for them.
    std::thread::scope(|scope| {
        for major in MAJORS {
            let cases = &cases;
            scope.spawn(move || {
                for (change, a, b) in cases {
                    converges(major, change, a, b);
                }
            });
        }
    });
}

#[test]
fn a_change_the_scripts_cannot_make_safely_stops_with_what_to_do() {
    for major in [14, 17] {
        // A role removed from the design.
        let server = TestServer::start_major(major);
        let with_reader = design(&[("services/bill-inquiry.yaml", "  seedData:", READER)]);
        apply(&server, &with_reader).unwrap();
        let stopped = apply(&server, &design(&[])).expect_err("a removed role was accepted");
        assert!(stopped.contains("02-roles.psql"), "{stopped}");
        assert!(stopped.contains("bill_inquiry_reader"), "{stopped}");
        assert!(stopped.contains("DROP ROLE"), "{stopped}");

        // A schema removed from the design that still holds a table.
        let server = TestServer::start_major(major);
        let with_reports = design(&[(
            "services/bill-inquiry.yaml",
            "schemas: [cache, audit]",
            "schemas: [cache, audit, reports]",
        )]);
        apply(&server, &with_reports).unwrap();
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "SET ROLE bill_inquiry_db_owner; CREATE TABLE reports.monthly (id int)",
        );
        let stopped = apply(&server, &design(&[])).expect_err("a schema with data was dropped");
        assert!(stopped.contains("03-schemas.psql"), "{stopped}");
        assert!(stopped.contains("reports"), "{stopped}");
        assert_eq!(
            sql::query_in(
                &server,
                "bill_inquiry_db",
                "SELECT count(*) FROM reports.monthly"
            ),
            "0\n",
            "the table is still there"
        );

        // An extension removed from the design that an index still uses; an extension
        // created by hand (unmarked) beside it.
        let server = TestServer::start_major(major);
        let with_trgm = design(&[(
            "services/bill-inquiry.yaml",
            "extensions: [uuid-ossp, pg_stat_statements]",
            "extensions: [uuid-ossp, pg_stat_statements, pg_trgm]",
        )]);
        apply(&server, &with_trgm).unwrap();
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "CREATE EXTENSION hstore SCHEMA public; SET ROLE bill_inquiry_db_owner; \
             CREATE TABLE public.names (n text); \
             CREATE INDEX names_trgm ON public.names USING gin (n public.gin_trgm_ops)",
        );
        let extensions = || {
            sql::query_in(
                &server,
                "bill_inquiry_db",
                "SELECT extname FROM pg_extension ORDER BY 1",
            )
        };
        let before = extensions();
        let stopped = apply(&server, &design(&[])).expect_err("an extension in use was dropped");
        assert!(stopped.contains("04-extensions.psql"), "{stopped}");
        assert!(stopped.contains("extension pg_trgm:"), "{stopped}");
        assert!(stopped.contains("bill_inquiry_db"), "{stopped}");
        assert!(stopped.contains("names_trgm depends on"), "{stopped}");
        assert!(stopped.contains("drop those objects"), "{stopped}");
        assert!(stopped.contains("database.extensions"), "{stopped}");
        assert_eq!(extensions(), before, "PostgreSQL {major}: nothing dropped");
        // Once the index is gone, the extension goes; the one created by hand stays.
        sql::query_in(&server, "bill_inquiry_db", "DROP INDEX public.names_trgm");
        apply(&server, &design(&[])).unwrap();
        assert_eq!(
            extensions(),
            before.replace("pg_trgm\n", ""),
            "PostgreSQL {major}"
        );
    }
}

/// The design's encoding (`LATIN1` needs the locale `C`) and locale, as edits.
fn encoded(encoding: Option<&str>, locale: &str) -> Design {
    let settings = match encoding {
        Some(encoding) => format!("  encoding: {encoding}\n  locale: {locale}\n  schemaFile:"),
        None => format!("  locale: {locale}\n  schemaFile:"),
    };
    design(&[("services/bill-inquiry.yaml", "  schemaFile:", &settings)])
}

#[test]
fn a_changed_encoding_or_locale_stops_before_anything_changes() {
    for major in [14, 17] {
        let server = TestServer::start_major(major);
        apply(&server, &encoded(None, "C")).unwrap();
        let before = catalog(&server);

        let stopped = apply(&server, &encoded(Some("LATIN1"), "C"))
            .expect_err("a changed encoding was accepted");
        for expected in [
            "01-database.psql",
            "database bill_inquiry_db has encoding UTF8; the design asks for LATIN1",
            "cannot change",
            "pg_dump",
        ] {
            assert!(stopped.contains(expected), "PostgreSQL {major}: {stopped}");
        }
        assert!(!stopped.contains("LC_COLLATE"), "{stopped}");

        let stopped =
            apply(&server, &encoded(None, "POSIX")).expect_err("a changed locale was accepted");
        for expected in [
            "01-database.psql",
            "database bill_inquiry_db has locale (LC_COLLATE) C; the design asks for POSIX",
            "pg_restore",
        ] {
            assert!(stopped.contains(expected), "PostgreSQL {major}: {stopped}");
        }
        assert_eq!(
            catalog(&server),
            before,
            "PostgreSQL {major}: nothing changed"
        );

        // The Bicep deployment creates the database with the glibc spelling of the
        // design's locale (C.UTF-8 as C.utf8): that is the design's locale.
        let azure = TestServer::start_major(major);
        azure.admin_query(
            "CREATE DATABASE bill_inquiry_db ENCODING 'UTF8' LC_COLLATE 'C.utf8' LC_CTYPE 'C.utf8' TEMPLATE template0",
        );
        apply(&azure, &encoded(None, "C.UTF-8"))
            .unwrap_or_else(|e| panic!("PostgreSQL {major}: {e}"));
    }
}

/// Who granted `bill_inquiry_app` pg_monitor, and the rows' versions (`xmin`): a new or
/// rewritten membership shows here.
fn monitor_grants(server: &TestServer) -> String {
    server.admin_query(
        "SELECT grantor::regrole, xmin FROM pg_auth_members \
         WHERE roleid = 'pg_monitor'::regrole AND member = 'bill_inquiry_app'::regrole ORDER BY 1",
    )
}

#[test]
fn pg_monitor_follows_the_access_level_whoever_granted_it() {
    for major in [14, 16, 17] {
        let server = TestServer::start_major(major);
        let [first, second] = azure_like_administrators(&server);
        if major < 15 {
            // Before 15 `public` is the bootstrap superuser's, which only a superuser can
            // give to the owner role (step 3 stops otherwise).
            sql::query_in(
                &server,
                "bill_inquiry_db",
                "ALTER SCHEMA public OWNER TO admin_one",
            );
        }
        let monitor = design(&[(
            "services/bill-inquiry.yaml",
            ROLE,
            "      access: monitor\n      connectionLimit: 80\n",
        )]);
        let read_write = design(&[]);
        let pw = passwords();
        let run_as = |role: &str, secret: &str, design: &Design| {
            let scripts = sql::render_scripts(&design.inputs, TARGET);
            sql::try_run_all(
                &server.role_psql(role, secret, "postgres"),
                &scripts,
                &[&pw[0], &pw[1], &pw[2]],
            )
        };

        // An unchanged monitor design, run again, neither grants again nor warns.
        run_as("admin_one", &first, &monitor).unwrap();
        let granted = monitor_grants(&server);
        assert!(
            granted.starts_with("admin_one|"),
            "PostgreSQL {major}: {granted}"
        );
        let again = run_as("admin_one", &first, &monitor).unwrap();
        assert!(!again.contains("pg_monitor"), "PostgreSQL {major}: {again}");
        assert_eq!(monitor_grants(&server), granted, "PostgreSQL {major}");

        // A second administrator granted it too (a second membership from 16 on); the
        // superuser's run adds none.
        let output = server
            .role_psql("admin_two", &second, "postgres")
            .args(["-c", "GRANT pg_monitor TO bill_inquiry_app"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", sql::output_text(&output));
        let granted = monitor_grants(&server);
        apply(&server, &monitor).unwrap();
        assert_eq!(monitor_grants(&server), granted, "PostgreSQL {major}");

        if major >= 16 {
            // The first administrator cannot revoke the second's grant: the run stops,
            // naming it and the statement, and the memberships stay as they were.
            let stopped = run_as("admin_one", &first, &read_write)
                .expect_err("a pg_monitor membership was kept silently");
            for expected in [
                "02-roles.psql",
                "role bill_inquiry_app was granted pg_monitor by admin_two",
                "REVOKE pg_monitor FROM bill_inquiry_app GRANTED BY admin_two",
                "still a member of pg_monitor",
            ] {
                assert!(stopped.contains(expected), "PostgreSQL {major}: {stopped}");
            }
            assert_eq!(monitor_grants(&server), granted, "PostgreSQL {major}");
        }
        // A read-write role loses pg_monitor, whoever granted it.
        apply(&server, &read_write).unwrap_or_else(|e| panic!("PostgreSQL {major}: {e}"));
        assert_eq!(monitor_grants(&server), "", "PostgreSQL {major}");
    }
}

#[test]
fn seed_rows_are_upserted_and_sequences_move_past_seeded_ids() {
    for major in [14, 15, 16, 17] {
        let server = TestServer::start_major(major);
        let seeded = |value: &str, keep: bool| {
            design(&[
                (
                    "services/bill-inquiry.yaml",
                    "config_value: \"4\"",
                    &format!("config_value: \"{value}\""),
                ),
                (
                    "services/bill-inquiry.yaml",
                    "      key: [config_key]",
                    if keep {
                        "      key: [config_key]\n      existingRows: keep"
                    } else {
                        "      key: [config_key]"
                    },
                ),
                (
                    "services/bill-inquiry.yaml",
                    "deployments:",
                    "    - table: audit.access_log\n      key: [log_id]\n      rows:\n        - { log_id: 5, actor: gen, action: seeded }\ndeployments:",
                ),
            ])
        };
        apply(&server, &seeded("4", false)).unwrap();
        let row = |column: &str| {
            sql::query_in(
                &server,
                "bill_inquiry_db",
                &format!(
                    "SELECT {column} FROM system_config WHERE config_key = 'bill.cache.ttl.hours'"
                ),
            )
        };
        let xmin = row("xmin");
        apply(&server, &seeded("4", false)).unwrap();
        assert_eq!(
            row("xmin"),
            xmin,
            "an unchanged run wrote the row (PostgreSQL {major})"
        );
        apply(&server, &seeded("6", false)).unwrap();
        assert_eq!(
            row("config_value"),
            "6\n",
            "a changed value reached the row"
        );
        apply(&server, &seeded("8", true)).unwrap();
        assert_eq!(row("config_value"), "6\n", "a kept row changed");
        // The application's next insert into the serial table takes an id past the seed.
        let next = sql::query_in(
            &server,
            "bill_inquiry_db",
            "INSERT INTO audit.access_log (actor, action) VALUES ('app', 'next') RETURNING log_id",
        );
        assert_eq!(next.lines().next(), Some("6"), "PostgreSQL {major}");
    }
}

#[test]
fn two_runs_started_together_both_succeed() {
    let server = TestServer::start_major(15);
    let base = design(&[]);
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| apply(&server, &base)))
            .collect();
        for run in runs {
            run.join().unwrap().unwrap();
        }
    });
    assert_eq!(
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "SELECT count(*) FROM system_config"
        ),
        "3\n"
    );
}

#[test]
fn a_rerun_never_holds_the_application_up_for_longer_than_its_lock_timeout() {
    let server = TestServer::start_major(15);
    let base = design(&[]);
    apply(&server, &base).unwrap();
    // The application holds a write transaction on a seeded table.
    std::thread::scope(|scope| {
        let hold = scope.spawn(|| {
            sql::query_in(
                &server,
                "bill_inquiry_db",
                "BEGIN; UPDATE system_config SET description = description WHERE config_key = 'bill.cache.ttl.hours'; \
                 SELECT pg_sleep(12); COMMIT",
            )
        });
        std::thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        let run = apply(&server, &base);
        let took = started.elapsed();
        // The run either finished or stopped at its lock timeout (5 s) for each statement
        // that waited; never the whole 12 s of the application's transaction.
        assert!(took < Duration::from_secs(11), "the run waited {took:?}");
        if let Err(log) = &run {
            assert!(log.contains("lock timeout"), "{log}");
        }
        hold.join().unwrap();
    });
}

#[test]
fn a_second_administrator_works_on_the_same_objects() {
    for major in [15, 16] {
        let server = TestServer::start_major(major);
        let [first, second] = azure_like_administrators(&server);
        let base = design(&[]);
        let scripts = sql::render_scripts(&base.inputs, TARGET);
        let pw = passwords();
        let run_as = |role: &str, secret: &str| {
            sql::run_all(
                &server.role_psql(role, secret, "postgres"),
                &scripts,
                &[&pw[0], &pw[1], &pw[2]],
            );
        };
        run_as("admin_one", &first);
        // The first administrator lets the second work as the owner role.
        let granted = server
            .role_psql("admin_one", &first, "postgres")
            .args(["-c", "GRANT bill_inquiry_db_owner TO admin_two"])
            .output()
            .unwrap();
        assert!(granted.status.success(), "{}", sql::output_text(&granted));
        run_as("admin_two", &second);
        // A table the second administrator creates as the owner is the application's too.
        let created = server
            .role_psql("admin_two", &second, "bill_inquiry_db")
            .args([
                "-c",
                "SET ROLE bill_inquiry_db_owner; CREATE TABLE public.later (id int)",
            ])
            .output()
            .unwrap();
        assert!(created.status.success(), "{}", sql::output_text(&created));
        let app = server
            .role_psql("bill_inquiry_app", &pw[0], "bill_inquiry_db")
            .args(["-c", "INSERT INTO public.later VALUES (1)"])
            .output()
            .unwrap();
        assert!(
            app.status.success(),
            "PostgreSQL {major}: {}",
            sql::output_text(&app)
        );
        run_as("admin_one", &first);
    }
}

#[test]
fn what_the_schema_file_creates_for_itself_survives_the_next_run() {
    for major in [14, 17] {
        let server = TestServer::start_major(major);
        // A schema the design does not list, made by the schema file, and a seeded table
        // whose key is a GENERATED ALWAYS identity column.
        let own = design(&[
            (
                "sql/bill-inquiry.psql",
                "CREATE TABLE IF NOT EXISTS customer_info (",
                "CREATE SCHEMA IF NOT EXISTS reporting;\n\
                 CREATE TABLE IF NOT EXISTS reporting.daily (id int);\n\
                 CREATE TABLE IF NOT EXISTS public.codes (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label text);\n\
                 CREATE TABLE IF NOT EXISTS customer_info (",
            ),
            (
                "services/bill-inquiry.yaml",
                "deployments:",
                "    - table: codes\n      key: [id]\n      rows:\n        - { id: 7, label: seven }\ndeployments:",
            ),
        ]);
        for run in 0..2 {
            apply(&server, &own).unwrap_or_else(|e| panic!("PostgreSQL {major}, run {run}: {e}"));
        }
        assert_eq!(
            sql::query_in(
                &server,
                "bill_inquiry_db",
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'reporting'"
            ),
            "1\n"
        );
        let next = sql::query_in(
            &server,
            "bill_inquiry_db",
            "INSERT INTO public.codes (label) VALUES ('next') RETURNING id",
        );
        assert_eq!(next.lines().next(), Some("8"), "PostgreSQL {major}");
    }
}

/// The version of every catalog row the scripts manage: a row an unchanged run rewrites
/// gets a new `xmin` (and bloats the catalog, and can collide with the application's DDL).
fn catalog_row_versions(server: &TestServer) -> String {
    let cluster = server.admin_query(
        "SELECT 'database', datname, xmin::text FROM pg_database WHERE datname = 'bill_inquiry_db' \
         UNION ALL SELECT 'role', rolname, xmin::text FROM pg_authid WHERE rolname LIKE 'bill\\_inquiry%' \
         UNION ALL SELECT 'membership', roleid::regrole || ' > ' || member::regrole, xmin::text FROM pg_auth_members \
         UNION ALL SELECT 'setting', setdatabase || '/' || setrole, xmin::text FROM pg_db_role_setting \
         UNION ALL SELECT 'role comment', objoid::regrole::text, xmin::text FROM pg_shdescription \
         ORDER BY 1, 2",
    );
    let database = sql::query_in(
        server,
        "bill_inquiry_db",
        "SELECT 'relation', c.oid::regclass::text, c.xmin::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'cache', 'audit') \
         UNION ALL SELECT 'schema', nspname, xmin::text FROM pg_namespace WHERE nspname IN ('public', 'cache', 'audit') \
         UNION ALL SELECT 'default privileges', defaclrole::regrole || ' ' || defaclnamespace::regnamespace || ' ' || defaclobjtype::text, xmin::text FROM pg_default_acl \
         UNION ALL SELECT 'extension', extname, xmin::text FROM pg_extension \
         UNION ALL SELECT 'comment', classoid::regclass || ' ' || objoid, xmin::text FROM pg_description WHERE objoid >= 16384 \
         ORDER BY 1, 2",
    );
    format!("{cluster}{database}")
}

#[test]
fn an_unchanged_run_rewrites_no_catalog_row() {
    // The example, and a design with a monitor role (pg_monitor) and a read-only role.
    let with_monitor = design(&[
        ("services/bill-inquiry.yaml", "  seedData:", READER),
        (
            "services/bill-inquiry.yaml",
            ROLE,
            "      access: monitor\n      connectionLimit: 80\n",
        ),
    ]);
    for major in [14, 17] {
        for base in [&design(&[]), &with_monitor] {
            let server = TestServer::start_major(major);
            apply(&server, base).unwrap();
            let before = catalog_row_versions(&server);
            apply(&server, base).unwrap();
            let after = catalog_row_versions(&server);
            assert!(
                before == after,
                "PostgreSQL {major}: an unchanged run rewrote {:?}",
                sql::first_differences(&before, &after)
            );
        }
    }
}

#[test]
fn a_privilege_another_grantor_gave_stops_the_run_instead_of_surviving_it() {
    for major in [14, 17] {
        let server = TestServer::start_major(major);
        let base = design(&[]);
        apply(&server, &base).unwrap();
        // A role trusted with a grant option hands DELETE on a table to the application
        // role itself; the owner's REVOKE cannot take it back.
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "CREATE ROLE delegate NOLOGIN; \
             GRANT USAGE ON SCHEMA public TO delegate; \
             GRANT DELETE ON public.system_config TO delegate WITH GRANT OPTION; \
             SET ROLE delegate; GRANT DELETE ON public.system_config TO bill_inquiry_app",
        );
        let read_only = design(&[(
            "services/bill-inquiry.yaml",
            ROLE,
            "      access: read-only\n      connectionLimit: 80\n",
        )]);
        let stopped = apply(&server, &read_only).expect_err("a foreign DELETE survived");
        assert!(stopped.contains("05-privileges.psql"), "{stopped}");
        assert!(
            stopped.contains("table public.system_config: role bill_inquiry_app holds"),
            "{stopped}"
        );
        assert!(stopped.contains("DELETE from delegate"), "{stopped}");
        // Once the grantor's grant is gone, the run converges.
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "SET ROLE delegate; REVOKE DELETE ON public.system_config FROM bill_inquiry_app",
        );
        apply(&server, &read_only).unwrap();
    }
}

#[test]
fn what_an_administrator_created_itself_moves_to_the_owner_role_unless_it_runs_with_its_rights() {
    for major in [14, 17] {
        let server = TestServer::start_major(major);
        let base = design(&[]);
        apply(&server, &base).unwrap();
        // What a schema file run as the administrator (before the owner role) left behind.
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "CREATE TYPE public.mood AS ENUM ('calm'); \
             CREATE DOMAIN cache.positive AS int CHECK (VALUE > 0); \
             CREATE TYPE public.span AS RANGE (subtype = int4); \
             CREATE FUNCTION public.same(int, int) RETURNS bool LANGUAGE sql AS 'SELECT $1 = $2'; \
             CREATE OPERATOR public.=== (function = public.same, leftarg = int, rightarg = int); \
             CREATE COLLATION \"audit\".\"Plain C\" FROM \"C\"; \
             CREATE TYPE public.pair AS (a int, b int); \
             CREATE STATISTICS public.config_pairs ON config_key, config_type FROM public.system_config",
        );
        apply(&server, &base).unwrap();
        let owners = sql::query_in(
            &server,
            "bill_inquiry_db",
            "SELECT t.typname, t.typowner::regrole FROM pg_type t WHERE t.typname IN ('mood', 'positive', 'span', '_mood', 'spanmultirange') \
             UNION ALL SELECT o.oprname, o.oprowner::regrole FROM pg_operator o WHERE o.oprname = '===' \
             UNION ALL SELECT c.collname, c.collowner::regrole FROM pg_collation c WHERE c.collname = 'Plain C' \
             UNION ALL SELECT p.proname, p.proowner::regrole FROM pg_proc p WHERE p.proname = 'same' \
             UNION ALL SELECT c.relname, c.relowner::regrole FROM pg_class c WHERE c.relname = 'pair' \
             UNION ALL SELECT x.stxname, x.stxowner::regrole FROM pg_statistic_ext x WHERE x.stxname = 'config_pairs' ORDER BY 1",
        );
        assert!(
            owners
                .lines()
                .all(|line| line.ends_with("|bill_inquiry_db_owner")),
            "PostgreSQL {major}: {owners}"
        );
        assert!(owners.lines().count() >= 9, "{owners}");

        sql::query_in(
            &server,
            "bill_inquiry_db",
            "CREATE FUNCTION public.with_admin_rights() RETURNS int SECURITY DEFINER LANGUAGE sql AS 'SELECT 1'",
        );
        let stopped = apply(&server, &base).expect_err("a SECURITY DEFINER routine moved");
        assert!(stopped.contains("03-schemas.psql"), "{stopped}");
        assert!(stopped.contains("with_admin_rights()"), "{stopped}");
        assert!(stopped.contains("SECURITY DEFINER"), "{stopped}");
    }
}

#[test]
fn the_seed_key_is_checked_on_the_server_before_any_row_is_written() {
    let server = TestServer::start_major(17);
    let key = "CONSTRAINT pk_system_config PRIMARY KEY (config_key),";
    // A deferrable key cannot arbitrate ON CONFLICT.
    let deferrable = design(&[(
        "sql/bill-inquiry.psql",
        key,
        "CONSTRAINT pk_system_config PRIMARY KEY (config_key) DEFERRABLE,",
    )]);
    let stopped = apply(&server, &deferrable).expect_err("a deferrable key was accepted");
    assert!(stopped.contains("08-seed-data.psql"), "{stopped}");
    assert!(stopped.contains("not deferrable"), "{stopped}");

    // INCLUDE columns are carried by the index, not part of its key.
    let server = TestServer::start_major(17);
    let include = design(&[(
        "sql/bill-inquiry.psql",
        key,
        "CONSTRAINT pk_system_config PRIMARY KEY (config_key) INCLUDE (config_type),",
    )]);
    apply(&server, &include).unwrap();

    // A seed table nothing creates is named as missing, not as keyless.
    let server = TestServer::start_major(17);
    let missing = design(&[(
        "sql/bill-inquiry.psql",
        "CREATE TABLE IF NOT EXISTS system_config (",
        "CREATE TABLE IF NOT EXISTS system_settings (",
    )]);
    let stopped = apply(&server, &missing).expect_err("a missing seed table was accepted");
    assert!(
        stopped.contains("seed table public.system_config does not exist"),
        "{stopped}"
    );
}

#[test]
fn a_setting_only_a_superuser_can_reset_stops_an_administrator_that_is_not_one() {
    let server = TestServer::start_major(17);
    let [admin, _] = azure_like_administrators(&server);
    let base = design(&[]);
    let scripts = sql::render_scripts(&base.inputs, TARGET);
    let pw = passwords();
    let psql = server.role_psql("admin_one", &admin, "postgres");
    sql::try_run_all(&psql, &scripts, &[&pw[0], &pw[1], &pw[2]]).unwrap();
    // A superuser gives the application role a setting only a superuser may change.
    server.admin_query("ALTER ROLE bill_inquiry_app SET log_statement = 'all'");
    let psql = server.role_psql("admin_one", &admin, "postgres");
    let stopped = sql::try_run_all(&psql, &scripts, &[&pw[0], &pw[1], &pw[2]])
        .expect_err("a setting the administrator could not reset was kept silently");
    assert!(stopped.contains("02-roles.psql"), "{stopped}");
    assert!(
        stopped.contains("role bill_inquiry_app keeps session settings"),
        "{stopped}"
    );
    // As a superuser, the same step converges.
    apply(&server, &base).unwrap();
    let settings = server.admin_query(
        "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 'bill_inquiry_app'::regrole",
    );
    assert!(!settings.contains("log_statement"), "{settings}");
}

#[test]
fn a_typed_seed_value_spelled_differently_from_the_servers_output_is_not_rewritten() {
    let typed = design(&[
        (
            "sql/bill-inquiry.psql",
            "CREATE TABLE IF NOT EXISTS customer_info (",
            "CREATE TABLE IF NOT EXISTS typed_config (k varchar(20) PRIMARY KEY, amount numeric(10,2), \
             starts timestamptz, doc jsonb, raw json, enabled boolean);\n\
             CREATE TABLE IF NOT EXISTS customer_info (",
        ),
        (
            "services/bill-inquiry.yaml",
            "deployments:\n",
            "    - table: typed_config\n      key: [k]\n      rows:\n        - { k: a, amount: 4, starts: \"2024-01-01 00:00:00+00\", doc: '{\"a\":1}', raw: '{\"a\":1}', enabled: \"yes\" }\ndeployments:\n",
        ),
    ]);
    for major in [14, 17] {
        let server = TestServer::start_major(major);
        apply(&server, &typed).unwrap();
        let row = "SELECT xmin, amount, doc, raw, enabled FROM typed_config";
        let before = sql::query_in(&server, "bill_inquiry_db", row);
        assert!(before.contains("|4.00|{\"a\": 1}|{\"a\":1}|t"), "{before}");
        apply(&server, &typed).unwrap();
        let after = sql::query_in(&server, "bill_inquiry_db", row);
        assert_eq!(
            before, after,
            "PostgreSQL {major}: an unchanged row was rewritten"
        );
    }
}

/// Issue 19: the Bicep deployment creates no database, so that the administrator who runs the
/// SQL target (an Azure administrator: CREATEDB and CREATEROLE, not a superuser) creates it
/// and gives it to its owner role. A database someone else created (Azure's `azuresu`, or an
/// Entra administrator, as a database resource of a deployment could be) stops step 1 with
/// what to do, before anything changes.
#[test]
fn an_azure_administrator_creates_the_database_and_a_foreign_owner_stops_it() {
    let base = design(&[]);
    let scripts = sql::render_scripts(&base.inputs, TARGET);
    let pw = passwords();
    for major in [15, 17] {
        let server = TestServer::start_major(major);
        let admin = sql::made_up_password("admin");
        server.admin_query(&format!(
            "CREATE ROLE azure_admin LOGIN CREATEDB CREATEROLE PASSWORD '{admin}'; \
             GRANT pg_monitor TO azure_admin WITH ADMIN OPTION"
        ));
        let psql = server.role_psql("azure_admin", &admin, "postgres");
        for file in &scripts.files {
            if file.ends_with("04-extensions.psql") {
                // Azure lets its administrator create the allow-listed extensions, which
                // PostgreSQL alone keeps to superusers: created here as Azure would.
                sql::query_in(
                    &server,
                    "bill_inquiry_db",
                    "CREATE EXTENSION pg_stat_statements",
                );
            }
            let output = sql::run_script(&psql, file, &[&pw[0], &pw[1], &pw[2]]);
            let text = sql::output_text(&output);
            assert!(
                output.status.success(),
                "PostgreSQL {major}: {}: {text}",
                file.display()
            );
        }
        let owner = server.admin_query(
            "SELECT datdba::regrole FROM pg_database WHERE datname = 'bill_inquiry_db'",
        );
        assert_eq!(owner.trim(), "bill_inquiry_db_owner", "PostgreSQL {major}");

        let foreign = TestServer::start_major(major);
        foreign.admin_query(&format!(
            "CREATE ROLE azure_admin LOGIN CREATEDB CREATEROLE PASSWORD '{admin}'; \
             CREATE ROLE entra_admin LOGIN CREATEDB"
        ));
        foreign.admin_query(
            "CREATE DATABASE bill_inquiry_db OWNER entra_admin ENCODING 'UTF8' TEMPLATE template0",
        );
        let psql = foreign.role_psql("azure_admin", &admin, "postgres");
        let stopped = sql::try_run_all(&psql, &scripts, &[&pw[0], &pw[1], &pw[2]])
            .expect_err("a database of another owner was taken over silently");
        assert!(
            stopped.contains("01-database.psql")
                && stopped.contains("entra_admin")
                && stopped.contains(
                    "ALTER DATABASE bill_inquiry_db OWNER TO bill_inquiry_db_owner as that role or a superuser"
                ),
            "PostgreSQL {major}: {stopped}"
        );
        let owner = foreign.admin_query(
            "SELECT datdba::regrole FROM pg_database WHERE datname = 'bill_inquiry_db'",
        );
        assert_eq!(owner.trim(), "entra_admin", "PostgreSQL {major}");
    }
}
