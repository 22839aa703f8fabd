//! The SQL target against the people who would turn it on its users (issue 16), on real
//! PostgreSQL 14, 15 and 18 servers: hostile names and values either run as data or are refused, a function
//! planted in `public` is never called (CVE-2018-1058), no password reaches the server's
//! log, `pg_stat_statements` or psql's output, a role that exists with more than the
//! design grants stops the run, and a REVOKE that cannot take effect fails it.

use crate::support::{harness, postgres::TestServer, sql};

use std::path::Path;
use std::process::Command;

/// The majors the security checks run on: the dev image's 14 (PUBLIC may create in
/// `public`), Debian's 15, and the newest.
const SECURITY_MAJORS: [u32; 3] = [14, 15, 18];

fn on_security_majors(check: fn(u32)) {
    for major in SECURITY_MAJORS {
        eprintln!("PostgreSQL {major}");
        check(major);
    }
}

/// A value as a YAML double-quoted scalar (JSON's string syntax is YAML's).
fn yaml_quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// `psql` as in `cmd`, without its `-X`: the caller's psqlrc applies.
fn with_psqlrc(cmd: &Command, psqlrc: &Path) -> Command {
    let mut out = Command::new(cmd.get_program());
    out.args(cmd.get_args().filter(|a| *a != "-X"));
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => out.env(key, value),
            None => out.env_remove(key),
        };
    }
    out.env("PSQLRC", psqlrc);
    out
}

#[test]
fn hostile_names_and_values_run_as_data_and_never_as_psql_or_shell_commands() {
    on_security_majors(hostile_names_and_values_run_as_data_and_never_as_psql_or_shell_commands_on);
}

fn hostile_names_and_values_run_as_data_and_never_as_psql_or_shell_commands_on(major: u32) {
    let work = tempfile::tempdir().unwrap();
    // Each would run `touch pwned` in psql's working folder if it escaped its context.
    // `요"`: in a client-only encoding such as UHC, the last byte of 요 and the quote read
    // as one character; the scripts switch psql to UTF-8 before their `\connect` line.
    let database = "요\"db \\! touch pwned :'x' `touch pwned`";
    let role = "app'\\gexec \\! touch pwned";
    let schema = "s\"; \\! touch pwned; --";
    let values = [
        "line\n\\! touch pwned\n",
        ":'password' :\"x\" `touch pwned`",
        "E'\\\\' \\! touch pwned",
        "$$ $gen$ \u{2028} '' \"",
    ];
    let rows: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "        - {{ config_key: hostile.{i}, config_value: {}, config_type: STRING }}\n",
                yaml_quoted(v)
            )
        })
        .collect();
    let inputs = harness::edited_example(
        work.path(),
        &[
            (
                "services/bill-inquiry.yaml",
                "  name: bill_inquiry_db",
                &format!("  name: {}", yaml_quoted(database)),
            ),
            (
                "services/bill-inquiry.yaml",
                "    - name: bill_inquiry_app",
                &format!("    - name: {}", yaml_quoted(role)),
            ),
            (
                "services/bill-inquiry.yaml",
                "schemas: [cache, audit]",
                &format!("schemas: [cache, audit, {}]", yaml_quoted(schema)),
            ),
            (
                "services/bill-inquiry.yaml",
                "      rows:\n",
                &format!("      rows:\n{rows}"),
            ),
            (
                "sql/bill-inquiry.psql",
                "CREATE TABLE IF NOT EXISTS customer_info (",
                "-- a comment is no command: \\! touch pwned\n\
                 CREATE OR REPLACE FUNCTION public.gen_probe() RETURNS text LANGUAGE sql\n\
                 AS $body$ SELECT '\\! touch pwned'::text $body$;\n\
                 CREATE TABLE IF NOT EXISTS customer_info (",
            ),
        ],
    );
    // A migration whose file name is code to psql, a shell and SQL: data everywhere too.
    let migration = "V2__x'\"\\! touch pwned :'x' `touch pwned` $$.psql";
    std::fs::write(
        inputs.join("sql/bill-inquiry").join(migration),
        "SELECT '\\! touch pwned';\n",
    )
    .unwrap();
    harness::edit_input(
        &inputs,
        "services/bill-inquiry.yaml",
        "V1__add_inquiry_error_code.psql]",
        &format!(
            "V1__add_inquiry_error_code.psql, {}]",
            yaml_quoted(&format!("../sql/bill-inquiry/{migration}"))
        ),
    );
    let check = harness::run_gen_in(work.path(), &["validate", "--inputs", "inputs"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let scripts = sql::render_scripts(&inputs, "dev/bill-inquiry");

    let server = TestServer::start_major(major);
    let cwd = tempfile::tempdir().unwrap();
    let mut admin = server.admin_psql();
    admin.current_dir(cwd.path()).env("PGCLIENTENCODING", "UHC");
    let password = sql::made_up_password("hostile");
    let monitor = sql::made_up_password("monitor");
    for _ in 0..2 {
        sql::run_all(&admin, &scripts, &[&password, &monitor]);
    }
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "a shell command ran: {:?}",
        std::fs::read_dir(cwd.path()).unwrap().collect::<Vec<_>>()
    );

    let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
    assert_eq!(
        server.admin_query(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = {}",
            literal(database)
        )),
        "1\n"
    );
    let in_db = |query: &str| sql::query_in(&server, database, query);
    assert_eq!(
        in_db(&format!(
            "SELECT count(*) FROM pg_namespace WHERE nspname = {}",
            literal(schema)
        )),
        "1\n"
    );
    for (i, value) in values.iter().enumerate() {
        let stored = in_db(&format!(
            "SELECT config_value FROM system_config WHERE config_key = 'hostile.{i}'"
        ));
        assert_eq!(stored.strip_suffix('\n').unwrap(), *value, "seed row {i}");
    }
    assert_eq!(
        in_db("SELECT file FROM gen_history.migrations WHERE version = '2'"),
        format!("sql/bill-inquiry/{migration}\n")
    );
    // The hostile role got its password: it logs in over TCP with SCRAM.
    let output = server
        .role_psql(role, &password, database)
        .args(["-At", "-c", "SELECT current_user"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", sql::output_text(&output));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{role}\n")
    );
}

/// SQL a role (`PLANTER`) runs to plant look-alikes of what the scripts call, in `public`
/// of the database it is connected to. Each records its call and tries to make the planter
/// a superuser, which succeeds if the administrator ever runs it.
const PLANT: &str = r#"
CREATE TABLE public.planted_calls (fn text);
GRANT INSERT ON public.planted_calls TO PUBLIC;
CREATE FUNCTION public.gen_trap(fn text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.planted_calls VALUES (fn);
  BEGIN
    EXECUTE 'ALTER ROLE PLANTER SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
END $$;
CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('format/3'); RETURN pg_catalog.format($1, $2, $3); END $$;
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('format/2'); RETURN pg_catalog.format($1, $2); END $$;
CREATE FUNCTION public.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('quote_ident'); RETURN pg_catalog.quote_ident($1); END $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('now'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION public.has_schema_privilege(text, text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('has_schema_privilege'); RETURN pg_catalog.has_schema_privilege($1, $2, $3); END $$;
CREATE FUNCTION public.has_database_privilege(text, text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('has_database_privilege'); RETURN pg_catalog.has_database_privilege($1, $2, $3); END $$;
CREATE FUNCTION public.name_eq_text(name, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.gen_trap('= (name, text)'); RETURN $1::text OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = text, FUNCTION = public.name_eq_text);
"#;

#[test]
fn functions_planted_in_public_are_never_called_cve_2018_1058() {
    on_security_majors(functions_planted_in_public_are_never_called_cve_2018_1058_on);
}

fn functions_planted_in_public_are_never_called_cve_2018_1058_on(major: u32) {
    let server = TestServer::start_major(major);
    let password = sql::made_up_password("app");
    let bill = sql::example_scripts("dev/bill-inquiry");
    // PostgreSQL 14 and clusters upgraded from it let every role create in `public`.
    server.admin_query("GRANT CREATE ON SCHEMA public TO PUBLIC");
    let monitor = sql::made_up_password("monitor");
    sql::run_all(&server.admin_psql(), &bill, &[&password, &monitor]);
    let intruder_password = sql::made_up_password("intruder");
    server.admin_query(&format!(
        "CREATE ROLE intruder LOGIN PASSWORD '{intruder_password}'"
    ));
    let plant = |role: &str, password: &str, database: &str| {
        let output = server
            .role_psql(role, password, database)
            .args(["-c", &PLANT.replace("PLANTER", role)])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", sql::output_text(&output));
    };
    let nothing_ran = |when: &str| {
        for database in ["postgres", "bill_inquiry_db"] {
            let planted = sql::query_in(
                &server,
                database,
                "SELECT count(*) FROM pg_class WHERE relname = 'planted_calls'",
            );
            if planted == "1\n" {
                assert_eq!(
                    sql::query_in(
                        &server,
                        database,
                        "SELECT count(*) FROM public.planted_calls"
                    ),
                    "0\n",
                    "{when}: a planted function ran in {database}"
                );
            }
        }
        assert_eq!(
            server.admin_query(
                "SELECT count(*) FROM pg_roles WHERE rolsuper AND rolname <> 'postgres'"
            ),
            "0\n",
            "{when}: a role became a superuser"
        );
    };

    // 1. A role outside the design plants its look-alikes in database postgres.
    plant("intruder", &intruder_password, "postgres");
    // The trap works: an unqualified call under the default search path springs it.
    server.admin_query("SELECT format('%s %s', 'a', 'b')");
    assert_eq!(
        server.admin_query("SELECT count(*) FROM planted_calls"),
        "1\n"
    );
    server.admin_query("TRUNCATE planted_calls; ALTER ROLE intruder NOSUPERUSER");
    // The next run creates a new role, checks privileges, seeds rows: nothing planted runs.
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "services/bill-inquiry.yaml",
            "  seedData:",
            "    - name: bill_inquiry_reader\n      access: read-only\n      connectionLimit: 5\n      passwordSecret: bill-inquiry-reader-password\n  seedData:",
        )],
    );
    let next = sql::render_scripts(&inputs, "dev/bill-inquiry");
    let reader = sql::made_up_password("reader");
    sql::run_all(&server.admin_psql(), &next, &[&password, &monitor, &reader]);
    nothing_ran("a run beside objects planted in database postgres");
    assert_eq!(
        server.admin_query("SELECT count(*) FROM pg_roles WHERE rolname = 'bill_inquiry_reader'"),
        "1\n"
    );

    // 2. After a mistaken GRANT, it plants in the service's database: the schema file would
    // bind its operators, so step 3 stops, naming them.
    let reopen = "GRANT CREATE ON SCHEMA public TO PUBLIC";
    server.admin_query("GRANT CONNECT ON DATABASE bill_inquiry_db TO intruder");
    sql::query_in(&server, "bill_inquiry_db", reopen);
    plant("intruder", &intruder_password, "bill_inquiry_db");
    let stopped = sql::try_run_all(&server.admin_psql(), &next, &[&password, &monitor, &reader])
        .expect_err("every script succeeded");
    assert!(
        stopped.contains("function public.format is owned by intruder"),
        "{stopped}"
    );
    assert!(stopped.contains("03-schemas.psql"), "{stopped}");
    nothing_ran("a run beside objects planted in the service's database");

    // 3. A role of the design that owns objects holds more than the design grants: step 2
    // stops before anything else runs.
    sql::query_in(&server, "bill_inquiry_db", "DROP OWNED BY intruder");
    sql::query_in(&server, "bill_inquiry_db", reopen);
    plant("bill_inquiry_app", &password, "bill_inquiry_db");
    let stopped = sql::try_run_all(&server.admin_psql(), &next, &[&password, &monitor, &reader])
        .expect_err("every script succeeded");
    assert!(stopped.contains("role bill_inquiry_app owns"), "{stopped}");
    assert!(stopped.contains("02-roles.psql"), "{stopped}");
    nothing_ran("a run after the app role planted objects");
}

#[test]
fn no_password_reaches_the_server_log_pg_stat_statements_or_psql_output() {
    on_security_majors(no_password_reaches_the_server_log_pg_stat_statements_or_psql_output_on);
}

fn no_password_reaches_the_server_log_pg_stat_statements_or_psql_output_on(major: u32) {
    let auth = sql::example_scripts("prod/auth");
    let bill = sql::example_scripts("dev/bill-inquiry");
    let passwords = [
        sql::made_up_password("auth-user"),
        sql::made_up_password("monitor"),
        sql::made_up_password("bill-app"),
        sql::made_up_password("bill-monitor"),
    ];
    let (auth_pw, bill_pw) = (
        [passwords[0].as_str(), passwords[1].as_str()],
        [passwords[2].as_str(), passwords[3].as_str()],
    );
    let psqlrc = tempfile::NamedTempFile::new().unwrap();
    // A caller's psqlrc that would echo every query and change what the scripts do.
    std::fs::write(
        psqlrc.path(),
        "\\set ECHO all\n\\set ECHO_HIDDEN on\n\\set AUTOCOMMIT off\n\\set ON_ERROR_ROLLBACK on\n\\encoding LATIN1\n",
    )
    .unwrap();

    // The superuser path, twice, the second time with that psqlrc and a LATIN1 client.
    let server = TestServer::start_major(major);
    sql::make_loud(&server);
    let mut output = String::new();
    for admin in [
        server.admin_psql(),
        with_psqlrc(&server.admin_psql(), psqlrc.path()),
    ] {
        let mut admin = admin;
        admin.env("PGCLIENTENCODING", "LATIN1");
        output.push_str(&sql::run_all(&admin, &auth, &auth_pw));
        output.push_str(&sql::run_all(&admin, &bill, &bill_pw));
    }
    assert_no_password(&sql::kept_text(&server, &output), &passwords);
    assert_logins(&server, &passwords);
    // Whatever the caller's encoding and psqlrc, the rows arrived intact and committed.
    assert_eq!(
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "SELECT description FROM system_config WHERE config_key = 'kos.retry.max.attempts'"
        ),
        "KOS 최대 재시도 횟수\n"
    );

    // A non-superuser administrator with CREATEROLE and CREATEDB, as on Azure.
    let server = TestServer::start_major(major);
    sql::make_loud(&server);
    let admin_password = sql::made_up_password("azure-admin");
    server.admin_query(&format!(
        "CREATE ROLE azure_admin LOGIN CREATEDB CREATEROLE PASSWORD '{admin_password}'; \
         GRANT pg_monitor TO azure_admin WITH ADMIN OPTION"
    ));
    // pg_stat_statements is not a trusted extension: on Azure the allow-list lets the
    // administrator create it; here a superuser creates it in databases the
    // administrator owns. Before 15 the bootstrap superuser owns `public`; from 15 on the
    // database's owner does, and the administrator is given the same there.
    for (database, locale) in [
        ("phonebill_auth", " LOCALE 'ko_KR.UTF-8'"),
        ("bill_inquiry_db", ""),
    ] {
        server.admin_query(&format!(
            "CREATE DATABASE {database} OWNER azure_admin ENCODING 'UTF8'{locale} TEMPLATE template0"
        ));
        let created = server
            .admin_psql()
            .args([
                "-d",
                database,
                "-c",
                if major < 15 {
                    "CREATE EXTENSION pg_stat_statements; ALTER SCHEMA public OWNER TO azure_admin"
                } else {
                    "CREATE EXTENSION pg_stat_statements"
                },
            ])
            .output()
            .unwrap();
        assert!(created.status.success(), "{}", sql::output_text(&created));
    }
    let admin = server.role_psql("azure_admin", &admin_password, "postgres");
    let mut output = String::new();
    for _ in 0..2 {
        output.push_str(&sql::run_all(&admin, &auth, &auth_pw));
        output.push_str(&sql::run_all(&admin, &bill, &bill_pw));
    }
    // The administrator's own password was set above in SQL on purpose: finding it proves
    // that the log and pg_stat_statements keep what they are sent.
    let kept = sql::kept_text(&server, &output);
    assert!(
        kept.contains(&admin_password),
        "the server kept no statement text"
    );
    assert_no_password(&kept, &passwords);
    assert_logins(&server, &passwords);
}

fn assert_no_password(kept: &str, passwords: &[String]) {
    for (i, password) in passwords.iter().enumerate() {
        assert!(
            !kept.contains(password.as_str()),
            "password {i} was kept in the server log, pg_stat_statements or psql's output"
        );
    }
}

fn assert_logins(server: &TestServer, passwords: &[String]) {
    for (role, password, database) in [
        ("phonebill_auth_user", &passwords[0], "phonebill_auth"),
        ("phonebill_monitor", &passwords[1], "phonebill_auth"),
        ("bill_inquiry_app", &passwords[2], "bill_inquiry_db"),
        ("bill_inquiry_monitor", &passwords[3], "bill_inquiry_db"),
    ] {
        let output = server
            .role_psql(role, password, database)
            .args(["-At", "-c", "SELECT current_user"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{role} cannot log in: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_design_role_that_holds_more_than_the_design_grants_stops_the_run() {
    on_security_majors(a_design_role_that_holds_more_than_the_design_grants_stops_the_run_on);
}

fn a_design_role_that_holds_more_than_the_design_grants_stops_the_run_on(major: u32) {
    let server = TestServer::start_major(major);
    let bill = sql::example_scripts("dev/bill-inquiry");
    let admin = server.admin_psql();
    let created = sql::run_script(&admin, bill.file("01-database.psql"), &[]);
    assert!(created.status.success(), "{}", sql::output_text(&created));
    let password = sql::made_up_password("app");
    for (setup, expected) in [
        (
            "CREATE ROLE bill_inquiry_app LOGIN SUPERUSER",
            "role bill_inquiry_app is SUPERUSER",
        ),
        (
            "CREATE ROLE bill_inquiry_app LOGIN CREATEDB",
            "role bill_inquiry_app is CREATEDB",
        ),
        (
            "CREATE ROLE bill_inquiry_app LOGIN CREATEROLE",
            "role bill_inquiry_app is CREATEROLE",
        ),
        (
            "CREATE ROLE bill_inquiry_app LOGIN REPLICATION",
            "role bill_inquiry_app is REPLICATION",
        ),
        (
            "CREATE ROLE bill_inquiry_app LOGIN BYPASSRLS",
            "role bill_inquiry_app is BYPASSRLS",
        ),
        (
            "CREATE ROLE bill_inquiry_app LOGIN VALID UNTIL '2001-02-03'",
            "role bill_inquiry_app expired on 2001-02-03",
        ),
        (
            "CREATE ROLE bill_inquiry_app LOGIN IN ROLE pg_read_all_data",
            "role bill_inquiry_app is a member of pg_read_all_data",
        ),
    ] {
        server.admin_query(setup);
        let monitor = sql::made_up_password("monitor");
        let output = sql::run_script(&admin, bill.file("02-roles.psql"), &[&password, &monitor]);
        let text = sql::output_text(&output);
        assert!(
            !output.status.success(),
            "{setup}: the run went on:\n{text}"
        );
        assert!(text.contains(expected), "{setup}:\n{text}");
        assert!(text.contains("more than it grants"), "{text}");
        server.admin_query("DROP ROLE bill_inquiry_app");
    }
}

#[test]
fn a_revoke_that_cannot_take_effect_fails_the_run() {
    on_security_majors(a_revoke_that_cannot_take_effect_fails_the_run_on);
}

fn a_revoke_that_cannot_take_effect_fails_the_run_on(major: u32) {
    let server = TestServer::start_major(major);
    let bill = sql::example_scripts("dev/bill-inquiry");
    let admin = server.admin_psql();
    let passwords = [
        sql::made_up_password("app"),
        sql::made_up_password("monitor"),
    ];
    sql::run_all(&admin, &bill, &[&passwords[0], &passwords[1]]);
    // Another role, holding the privileges with GRANT OPTION, gave them to PUBLIC: the
    // owner's REVOKE does not remove its grants.
    server.admin_query(
        "CREATE ROLE grantor; \
         GRANT CONNECT, TEMPORARY ON DATABASE bill_inquiry_db TO grantor WITH GRANT OPTION; \
         SET ROLE grantor; GRANT CONNECT ON DATABASE bill_inquiry_db TO PUBLIC; RESET ROLE",
    );
    let output = sql::run_script(&admin, bill.file("01-database.psql"), &[]);
    let text = sql::output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("PUBLIC can still connect to database bill_inquiry_db"),
        "{text}"
    );
    server.admin_query(
        "SET ROLE grantor; REVOKE ALL ON DATABASE bill_inquiry_db FROM PUBLIC; RESET ROLE",
    );

    let mut grant = server.admin_psql();
    grant.args([
        "-d",
        "bill_inquiry_db",
        "-c",
        "GRANT USAGE, CREATE ON SCHEMA public TO grantor WITH GRANT OPTION; \
         SET ROLE grantor; GRANT CREATE ON SCHEMA public TO PUBLIC; RESET ROLE",
    ]);
    let granted = grant.output().unwrap();
    assert!(granted.status.success(), "{}", sql::output_text(&granted));
    let output = sql::run_script(&admin, bill.file("03-schemas.psql"), &[]);
    let text = sql::output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("PUBLIC may create objects in schema public"),
        "{text}"
    );
}

#[test]
fn a_misspelt_option_stops_the_roles_script_before_it_reads_a_password() {
    let server = TestServer::start();
    let auth = sql::example_scripts("prod/auth");
    let admin = server.admin_psql();
    let created = sql::run_script(&admin, auth.file("01-database.psql"), &[]);
    assert!(created.status.success(), "{}", sql::output_text(&created));
    let mut misspelt = server.admin_psql();
    misspelt.args(["-v", "rotate_passwords=ture"]);
    let output = sql::run_script(&misspelt, auth.file("02-roles.psql"), &["a", "b"]);
    let text = sql::output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("invalid input syntax for type boolean"),
        "{text}"
    );
    assert_eq!(
        server.admin_query(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'phonebill%' AND rolcanlogin"
        ),
        "0\n"
    );
}

/// A statement of a schema file or migration can turn `standard_conforming_strings` off,
/// and psql reads the lines after it with `'...'` as `E'...'`. This file read as plain SQL
/// to gen (each `\` inside a string) until the rule against a backslash before a quote in
/// `'...'`: psql runs its `\!`. gen now refuses it where the readings part.
#[test]
fn a_string_that_ends_elsewhere_once_standard_conforming_strings_is_off_is_refused() {
    let payload = "SET standard_conforming_strings = off;\nSELECT '\\' , ' \\! touch pwned\n';\n";
    let server = TestServer::start();
    let cwd = tempfile::tempdir().unwrap();
    let file = cwd.path().join("payload.psql");
    std::fs::write(&file, payload).unwrap();
    let mut psql = server.admin_psql();
    psql.current_dir(cwd.path());
    let _ = sql::run_script(&psql, &file, &[]);
    assert!(
        cwd.path().join("pwned").exists(),
        "psql did not run the command: the test proves nothing"
    );

    let work = tempfile::tempdir().unwrap();
    harness::edited_example(
        work.path(),
        &[(
            "sql/bill-inquiry.psql",
            "CREATE TABLE IF NOT EXISTS system_config",
            &format!("{payload}CREATE TABLE IF NOT EXISTS system_config"),
        )],
    );
    let check = harness::run_gen_in(work.path(), &["validate", "--inputs", "inputs"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check.stderr.contains(
            "inputs/sql/bill-inquiry.psql:52:9: error: a backslash before a quote in a `'...'` string in a schema file"
        ),
        "{}",
        check.stderr
    );
}

#[test]
fn a_schema_file_that_changes_the_session_cannot_change_how_psql_reads_it() {
    on_security_majors(a_schema_file_that_changes_the_session_cannot_change_how_psql_reads_it_on);
}

fn a_schema_file_that_changes_the_session_cannot_change_how_psql_reads_it_on(major: u32) {
    // In SJIS the last byte of 요 and the quote after it read as one character: psql,
    // reading the file after the SET, would end the string early and run `\!`.
    let payload = "SET client_encoding = 'SJIS';\nSELECT '요', ' \\! touch pwned ';\n";
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "sql/bill-inquiry.psql",
            "CREATE TABLE IF NOT EXISTS customer_info (",
            &format!("{payload}CREATE TABLE IF NOT EXISTS customer_info ("),
        )],
    );
    let check = harness::run_gen_in(work.path(), &["validate", "--inputs", "inputs"]);
    assert_eq!(
        check.code, 0,
        "the lexer alone cannot see this: {}",
        check.stderr
    );
    let scripts = sql::render_scripts(&inputs, "dev/bill-inquiry");
    let server = TestServer::start_major(major);
    let cwd = tempfile::tempdir().unwrap();
    let mut admin = server.admin_psql();
    admin.current_dir(cwd.path());
    let password = sql::made_up_password("app");
    let monitor = sql::made_up_password("monitor");
    let failed = sql::try_run_all(&admin, &scripts, &[&password, &monitor]).err();
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "a shell command ran"
    );
    // The server refuses to send 요 in SJIS: the step stops, and says so.
    let failed = failed.expect("the schema step stopped");
    assert!(failed.contains("has no equivalent in encoding"), "{failed}");
}

#[test]
fn a_database_another_role_owns_stops_step_1_with_what_to_do() {
    let server = TestServer::start();
    let admin_password = sql::made_up_password("azure-admin");
    server.admin_query(&format!(
        "CREATE ROLE azure_admin LOGIN CREATEDB CREATEROLE PASSWORD '{admin_password}'"
    ));
    // As when the platform's superuser created the database before the administrator.
    server.admin_query("CREATE DATABASE bill_inquiry_db");
    let bill = sql::example_scripts("dev/bill-inquiry");
    let admin = server.role_psql("azure_admin", &admin_password, "postgres");
    let output = sql::run_script(&admin, bill.file("01-database.psql"), &[]);
    let text = sql::output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("postgres"), "{text}");
    assert!(
        text.contains("cannot give the database to bill_inquiry_db_owner"),
        "{text}"
    );
}
