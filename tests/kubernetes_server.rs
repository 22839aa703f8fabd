//! What the AKS target hands the database container, tried on a real PostgreSQL 15: the
//! rendered `pg_hba.conf` (a SCRAM login on the Unix socket, a TLS login, a refused
//! plaintext one, a base backup over TLS) and the startup and readiness probes, which wait
//! for the flag the Bitnami image's entrypoint writes once its first-boot setup is over.

use crate::support::{manifests, postgres, tools};

use std::path::Path;
use std::process::{Command, Output};

/// A password made up for this run only.
fn made_up_password() -> String {
    format!(
        "pw-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A libpq client (`psql`, `pg_basebackup`) with only the connection settings given.
fn client(program: &str, settings: &[(&str, &str)]) -> Command {
    let mut command = Command::new(tools::system_bin(program));
    command.env_clear().env("PATH", "/usr/bin:/bin");
    for (name, value) in settings {
        command.env(name, value);
    }
    command
}

fn shown(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The rendered pg_hba.conf in force on a real server: the Unix socket and TLS take the
/// superuser's SCRAM password, plaintext TCP is refused, and `pg_basebackup` streams a base
/// backup over TLS (the `replication` lines), while an ordinary role may not.
#[test]
fn the_rendered_pg_hba_admits_the_socket_tls_and_a_base_backup_only() {
    let hba = manifests::example_object("ConfigMap", "-hba");
    let hba = hba["data"]["pg_hba.conf"].as_str().unwrap();
    let server = postgres::TestServer::start();
    let password = made_up_password();
    server.admin_query(&format!("ALTER ROLE postgres PASSWORD '{password}'"));
    server.admin_query(&format!(
        "CREATE ROLE app LOGIN PASSWORD '{password}'; GRANT pg_read_all_data TO app"
    ));
    // The server reads the file on disk in pg_hba_file_rules: no line of ours is an error.
    std::fs::write(server.data_dir().join("pg_hba.conf"), hba).unwrap();
    let errors = server.admin_query(
        "SELECT count(*) FILTER (WHERE error IS NOT NULL) || ' ' || count(*) FROM pg_hba_file_rules",
    );
    assert_eq!(errors.trim(), "0 6", "pg_hba_file_rules: {errors}");
    server.admin_query("SELECT pg_reload_conf()");
    let port = server.port().to_string();
    let socket = server.socket_dir();
    let socket = socket.to_str().unwrap();
    let login = |host: &str, sslmode: &str, user: &str, password: Option<&str>| {
        let mut settings = vec![
            ("PGHOST", host),
            ("PGPORT", port.as_str()),
            ("PGUSER", user),
            ("PGSSLMODE", sslmode),
            ("PGCONNECT_TIMEOUT", "10"),
        ];
        settings.extend(password.map(|p| ("PGPASSWORD", p)));
        client("psql", &settings)
            .args(["-X", "-w", "-At", "-d", "postgres", "-c"])
            .arg("SELECT current_user || ' ' || coalesce((SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()), '-')")
            .output()
            .unwrap()
    };
    // kubectl exec … psql: the Unix socket, with the password; without one, refused (the
    // reload took effect: the test server trusted the superuser there).
    let local = login(socket, "disable", "postgres", Some(&password));
    assert!(local.status.success(), "{}", shown(&local));
    assert_eq!(
        String::from_utf8_lossy(&local.stdout).trim(),
        "postgres false"
    );
    let no_password = login(socket, "disable", "postgres", None);
    assert!(!no_password.status.success(), "{}", shown(&no_password));
    // A client over TCP with TLS.
    let tls = login("127.0.0.1", "require", "app", Some(&password));
    assert!(tls.status.success(), "{}", shown(&tls));
    assert_eq!(String::from_utf8_lossy(&tls.stdout).trim(), "app true");
    // Plaintext TCP: no line matches.
    let plain = login("127.0.0.1", "disable", "app", Some(&password));
    assert!(!plain.status.success(), "{}", shown(&plain));
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("no pg_hba.conf entry"),
        "{}",
        shown(&plain)
    );
    // pg_basebackup over TLS as the superuser; another role gets no replication line.
    let work = tempfile::tempdir().unwrap();
    let backup = |user: &str, target: &Path| {
        client(
            "pg_basebackup",
            &[
                ("PGHOST", "127.0.0.1"),
                ("PGPORT", port.as_str()),
                ("PGUSER", user),
                ("PGPASSWORD", password.as_str()),
                ("PGSSLMODE", "require"),
            ],
        )
        .args(["-w", "-X", "stream", "-c", "fast", "-D"])
        .arg(target)
        .output()
        .unwrap()
    };
    let target = work.path().join("backup");
    let taken = backup("postgres", &target);
    assert!(taken.status.success(), "{}", shown(&taken));
    assert!(target.join("PG_VERSION").is_file());
    assert!(target.join("backup_label").is_file());
    let refused = backup("app", &work.path().join("refused"));
    assert!(!refused.status.success(), "{}", shown(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no pg_hba.conf entry for replication"),
        "{}",
        shown(&refused)
    );
}

/// The startup and readiness probes fail while the image's first-boot setup runs (its
/// temporary server already answers pg_isready on 127.0.0.1) and pass once the entrypoint
/// has written its `.initialized` flag; liveness needs no flag.
#[test]
fn the_probes_wait_for_the_images_initialized_flag() {
    let set = manifests::example_object("StatefulSet", "statefulset");
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "postgresql");
    let server = postgres::TestServer::start();
    let port = server.port().to_string();
    let work = tempfile::tempdir().unwrap();
    let tmp_flag = work.path().join("tmp/.initialized");
    let volume_flag = work.path().join("volume/.initialized");
    for flag in [&tmp_flag, &volume_flag] {
        std::fs::create_dir_all(flag.parent().unwrap()).unwrap();
    }
    // The probe's command with the image's paths and port moved to this machine's.
    let probe = |name: &str| -> Vec<String> {
        container[name]["exec"]["command"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} runs no command"))
            .iter()
            .map(|part| {
                part.as_str()
                    .unwrap()
                    .replace(
                        "/opt/bitnami/postgresql/tmp/.initialized",
                        tmp_flag.to_str().unwrap(),
                    )
                    .replace(
                        "/bitnami/postgresql/.initialized",
                        volume_flag.to_str().unwrap(),
                    )
                    .replace(
                        "/opt/bitnami/postgresql/bin/pg_isready",
                        tools::system_bin("pg_isready").to_str().unwrap(),
                    )
                    .replace("5432", &port)
            })
            .collect()
    };
    let passes = |name: &str| {
        let command = probe(name);
        let output = Command::new(&command[0])
            .args(&command[1..])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        output.status.success()
    };
    for name in ["startupProbe", "readinessProbe"] {
        assert!(
            !passes(name),
            "{name} passed before the image's setup was over"
        );
    }
    assert!(passes("livenessProbe"), "the server answers");
    for flag in [&tmp_flag, &volume_flag] {
        std::fs::write(flag, "").unwrap();
        for name in ["startupProbe", "readinessProbe"] {
            assert!(passes(name), "{name} failed with {}", flag.display());
        }
        std::fs::remove_file(flag).unwrap();
    }
    // The flag alone is not enough: the server must answer too.
    std::fs::write(&tmp_flag, "").unwrap();
    drop(server);
    for name in ["startupProbe", "readinessProbe", "livenessProbe"] {
        assert!(!passes(name), "{name} passed without a server");
    }
}

/// The database container's `POSTGRESQL_INITDB_ARGS`, split on whitespace as the image's
/// `postgresql_master_init_db` does (`read -r -a`, bitnami/containers
/// bitnami/postgresql/14/debian-12/rootfs/opt/bitnami/scripts/libpostgresql.sh), makes initdb
/// write a cluster with data page checksums; without them a cluster has none.
#[test]
fn the_rendered_initdb_args_turn_data_checksums_on() {
    let set = manifests::example_object("StatefulSet", "statefulset");
    let env = set["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let args = env
        .iter()
        .find(|e| e["name"] == "POSTGRESQL_INITDB_ARGS")
        .and_then(|e| e["value"].as_str())
        .expect("the database container sets POSTGRESQL_INITDB_ARGS");
    let args: Vec<&str> = args.split_whitespace().collect();
    let checksum_version = |control: &str| {
        control
            .lines()
            .find_map(|l| l.strip_prefix("Data page checksum version:"))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no checksum version in:\n{control}"))
    };
    assert_eq!(
        checksum_version(&postgres::control_data_of_new_cluster(&args)),
        "1"
    );
    assert_eq!(
        checksum_version(&postgres::control_data_of_new_cluster(&[])),
        "0",
        "PostgreSQL 15's initdb turns checksums on only when asked"
    );
}
