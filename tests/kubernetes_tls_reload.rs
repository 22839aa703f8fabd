//! The `tls-reload` container of the AKS StatefulSet, checked by running its script as rendered
//! (`tls-reload.sh` of the `-scripts` ConfigMap) against a real PostgreSQL 15 that reads its
//! certificate from a folder laid out as kubelet lays out a mounted Secret: no reload while
//! the files stay, a failed reload retried on the next pass, and a new TLS connection that
//! gets the renewed certificate within seconds of kubelet's swap of `..data`.
//!
//! kubernetes-validate and checkov run on the manifests in `kubernetes.rs`.

use crate::support::{manifests, postgres, sql, tools};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gen_lib::yaml::Node;
use serde_json::{Value, json};

const TARGET: &str = "dev/bill-inquiry";

/// The line the script logs after each reload it asked for.
const RELOADED: &str = "changed: configuration reload requested";

/// The line the server logs for each reload of its configuration.
const SERVER_RELOAD: &str = "received SIGHUP, reloading configuration files";

/// The rendered StatefulSet and the `tls-reload.sh` of the ConfigMap its container mounts.
struct Rendered {
    stateful_set: Value,
    scripts: Value,
}

impl Rendered {
    fn new() -> Rendered {
        let out = tools::render_example();
        let dir = out.path().join(TARGET).join("kubernetes");
        let object = |prefix: &str| {
            let file = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|f| f.file_name().unwrap().to_string_lossy().starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix}* in {}", dir.display()));
            Node::parse(&std::fs::read_to_string(file).unwrap())
                .unwrap()
                .to_json()
        };
        Rendered {
            stateful_set: object("50-statefulset-"),
            scripts: object("34-configmap-"),
        }
    }

    fn pod_spec(&self) -> &Value {
        &self.stateful_set["spec"]["template"]["spec"]
    }

    fn container(&self, name: &str) -> &Value {
        manifests::named(&self.pod_spec()["containers"], name)
    }

    fn volume(&self, name: &str) -> &Value {
        manifests::named(&self.pod_spec()["volumes"], name)
    }

    fn script(&self) -> String {
        self.scripts["data"]["tls-reload.sh"]
            .as_str()
            .expect("tls-reload.sh in the scripts ConfigMap")
            .to_owned()
    }
}

/// Where `container` mounts `volume`.
fn mount_path<'a>(container: &'a Value, volume: &str) -> &'a str {
    manifests::named(&container["volumeMounts"], volume)["mountPath"]
        .as_str()
        .unwrap()
}

fn env_value<'a>(container: &'a Value, name: &str) -> &'a str {
    manifests::named(&container["env"], name)["value"]
        .as_str()
        .unwrap()
}

#[test]
fn the_tls_reload_container_runs_the_database_image_on_the_servers_own_files() {
    let rendered = Rendered::new();
    let reload = rendered.container("tls-reload");
    let database = rendered.container("postgresql");
    // No image of its own to pull, pin or skip in checkov.
    assert_eq!(reload["image"], database["image"]);
    assert_eq!(reload["imagePullPolicy"], database["imagePullPolicy"]);
    assert_eq!(
        reload["command"],
        json!(["/bin/bash", "/scripts/tls-reload.sh"])
    );
    // It watches the very files the server reads, and logs in with its password.
    assert_eq!(env_value(reload, "TLS_DIR"), mount_path(database, "tls"));
    assert_eq!(mount_path(reload, "tls"), mount_path(database, "tls"));
    assert_eq!(
        env_value(reload, "PASSWORD_FILE"),
        format!("{}/postgres-password", mount_path(reload, "credentials"))
    );
    assert_eq!(env_value(reload, "PGHOST"), "127.0.0.1");
    assert_eq!(mount_path(reload, "tls-reload"), "/scripts");
    assert_eq!(
        rendered.volume("tls-reload")["configMap"]["name"],
        rendered.scripts["metadata"]["name"]
    );
    // Hardened as the server: its user, nothing to escalate, nothing to write.
    let security = &reload["securityContext"];
    assert_eq!(
        security["runAsUser"],
        database["securityContext"]["runAsUser"]
    );
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert!(
        rendered.pod_spec().get("shareProcessNamespace").is_none(),
        "the reload goes through SQL, not a signal to another container"
    );
}

/// A folder laid out as kubelet mounts a Secret: the files are links into `..data`, a link
/// to a timestamped folder, and an update swaps `..data` with one rename.
struct MountedSecret {
    dir: PathBuf,
    updates: usize,
}

impl MountedSecret {
    fn new(dir: PathBuf, certificate: &Certificate, server: &postgres::TestServer) -> Self {
        std::fs::create_dir(&dir).unwrap();
        let mut secret = MountedSecret { dir, updates: 0 };
        secret.update(certificate, server);
        for file in ["tls.crt", "tls.key"] {
            std::os::unix::fs::symlink(format!("..data/{file}"), secret.dir.join(file)).unwrap();
        }
        server.give_to_server_user(&secret.dir);
        secret
    }

    /// Writes a new timestamped folder, then points `..data` at it atomically.
    fn update(&mut self, certificate: &Certificate, server: &postgres::TestServer) {
        self.updates += 1;
        let version = self
            .dir
            .join(format!("..2026_12_04_00_00_0{}", self.updates));
        std::fs::create_dir(&version).unwrap();
        std::fs::copy(&certificate.crt, version.join("tls.crt")).unwrap();
        std::fs::copy(&certificate.key, version.join("tls.key")).unwrap();
        server.give_to_server_user(&version);
        let link = self.dir.join("..data_tmp");
        std::os::unix::fs::symlink(version.file_name().unwrap(), &link).unwrap();
        std::fs::rename(&link, self.dir.join("..data")).unwrap();
    }
}

/// A self-signed certificate made for this run, never committed.
struct Certificate {
    crt: PathBuf,
    key: PathBuf,
    fingerprint: String,
}

impl Certificate {
    fn new(dir: &Path, name: &str) -> Certificate {
        let crt = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        let made = Command::new(tools::system_bin("openssl"))
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", &format!("/CN={name}")])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&crt)
            .output()
            .unwrap();
        assert!(made.status.success(), "{}", sql::output_text(&made));
        let fingerprint = fingerprint(&std::fs::read(&crt).unwrap());
        Certificate {
            crt,
            key,
            fingerprint,
        }
    }
}

/// The SHA-256 fingerprint of the first certificate in `pem`, as openssl prints it.
fn fingerprint(pem: &[u8]) -> String {
    let mut x509 = Command::new(tools::system_bin("openssl"))
        .args(["x509", "-noout", "-fingerprint", "-sha256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    x509.stdin.take().unwrap().write_all(pem).unwrap();
    let output = x509.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The fingerprint of the certificate a new TLS connection to the server gets.
fn served_fingerprint(server: &postgres::TestServer) -> String {
    let output = Command::new(tools::system_bin("openssl"))
        .args(["s_client", "-starttls", "postgres", "-connect"])
        .arg(format!("127.0.0.1:{}", server.port()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    fingerprint(&output.stdout)
}

/// Waits up to `limit` for the server to serve `certificate`; whether it did.
fn serves_within(
    server: &postgres::TestServer,
    certificate: &Certificate,
    limit: Duration,
) -> bool {
    let start = Instant::now();
    loop {
        if served_fingerprint(server) == certificate.fingerprint {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The script, running; stopped with SIGTERM (as kubelet stops a container) when dropped.
struct RunningScript {
    child: Child,
    log: PathBuf,
}

impl RunningScript {
    fn start(script: &Path, env: &[(&str, String)], log: PathBuf) -> RunningScript {
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new("bash")
            .arg(script)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", postgres::PG_BIN))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap();
        RunningScript { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGTERM, then its exit status within two seconds (None: it did not exit).
    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for RunningScript {
    fn drop(&mut self) {
        if self.is_running() && self.terminate().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How many times the server has reloaded its configuration.
fn server_reloads(server: &postgres::TestServer) -> usize {
    server.log().matches(SERVER_RELOAD).count()
}

/// Points the server at the mounted Secret's files (one reload, before the script runs) and
/// waits until it serves `certificate`.
fn serve_from(server: &postgres::TestServer, secret: &MountedSecret, certificate: &Certificate) {
    for (setting, file) in [("ssl_cert_file", "tls.crt"), ("ssl_key_file", "tls.key")] {
        let path = secret.dir.join(file);
        server.admin_query(&format!(
            "ALTER SYSTEM SET {setting} = '{}'",
            path.display()
        ));
    }
    server.admin_query("SELECT pg_reload_conf()");
    assert!(
        serves_within(server, certificate, Duration::from_secs(10)),
        "the server does not serve the first certificate:\n{}",
        server.log()
    );
}

#[test]
fn the_tls_reload_script_makes_postgresql_15_serve_a_renewed_certificate_within_seconds() {
    let rendered = Rendered::new();
    let server = postgres::TestServer::start_major(15);
    let password = sql::made_up_password("tls-reload-admin");
    server.admin_query(&format!("ALTER ROLE postgres PASSWORD '{password}'"));
    let work = tempfile::tempdir().unwrap();
    let first = Certificate::new(work.path(), "first");
    let renewed = Certificate::new(work.path(), "renewed");
    assert_ne!(first.fingerprint, renewed.fingerprint);
    let mut secret = MountedSecret::new(work.path().join("certs"), &first, &server);
    // The server's user must reach the folder (a temporary folder of root is closed to it).
    server.give_to_server_user(work.path());
    serve_from(&server, &secret, &first);

    let script = work.path().join("tls-reload.sh");
    std::fs::write(&script, rendered.script()).unwrap();
    let password_file = work.path().join("postgres-password");
    // A wrong password first: the reload fails, and must be retried on a later pass.
    std::fs::write(&password_file, "not-the-password").unwrap();
    let reload = rendered.container("tls-reload");
    let mut env: Vec<(&str, String)> = reload["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(name, _)| {
            !["TLS_DIR", "PASSWORD_FILE", "INTERVAL_SECONDS", "PGPORT"].contains(name)
        })
        .collect();
    env.extend([
        ("TLS_DIR", secret.dir.display().to_string()),
        ("PASSWORD_FILE", password_file.display().to_string()),
        ("INTERVAL_SECONDS", "1".to_owned()),
        ("PGPORT", server.port().to_string()),
    ]);
    let reloads_before = server_reloads(&server);
    // Not vacuous: the log shows serve_from's own reload.
    assert!(reloads_before >= 1, "{}", server.log());
    let load_time = server.admin_query("SELECT pg_conf_load_time()");
    let mut running = RunningScript::start(&script, &env, work.path().join("tls-reload.log"));

    // Unchanged files: three passes, no reload.
    std::thread::sleep(Duration::from_millis(3500));
    assert!(
        running.is_running(),
        "the script exited:\n{}",
        running.log()
    );
    assert_eq!(server_reloads(&server), reloads_before, "{}", server.log());
    assert_eq!(server.admin_query("SELECT pg_conf_load_time()"), load_time);
    assert_eq!(running.log(), "", "nothing to say while nothing changes");

    // Renewed, but the login fails: the script says so and keeps going.
    secret.update(&renewed, &server);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        running.is_running(),
        "the script exited:\n{}",
        running.log()
    );
    assert!(
        running.log().contains("the reload failed"),
        "{}",
        running.log()
    );
    assert_eq!(served_fingerprint(&server), first.fingerprint);

    // The next pass after the password is right reloads, once.
    std::fs::write(&password_file, &password).unwrap();
    assert!(
        serves_within(&server, &renewed, Duration::from_secs(10)),
        "the renewed certificate is not served\n--- script ---\n{}--- server ---\n{}",
        running.log(),
        server.log()
    );
    std::thread::sleep(Duration::from_millis(2500));
    let log = running.log();
    assert_eq!(log.matches(RELOADED).count(), 1, "{log}");
    assert_eq!(
        server_reloads(&server),
        reloads_before + 1,
        "{}",
        server.log()
    );
    assert!(!log.contains(&password), "the log holds the password");
    assert!(running.is_running(), "the script exited:\n{log}");
    assert_eq!(
        running.terminate().and_then(|s| s.code()),
        Some(0),
        "SIGTERM stops it at once"
    );
}
