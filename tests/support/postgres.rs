//! A private, throwaway PostgreSQL 15 server for integration tests.
//!
//! Use it as `crate::support::postgres`. Each [`TestServer`] has its own
//! temporary directory (data, Unix socket, log) and its own loopback port, so any number of test
//! binaries may run servers at once. The binaries come from `/usr/lib/postgresql/15/bin`
//! (scripts/install-test-deps.sh installs them).
//!
//! PostgreSQL refuses to run as root: when the tests run as root (as CI does), `initdb` and `pg_ctl`
//! run as the Debian `postgres` system user through `runuser`, and the temporary directory is
//! theirs. Otherwise they run as the current user.
//!
//! Authentication: the superuser `postgres` over the Unix socket is trusted ([`TestServer::admin_psql`]);
//! any role over TCP on 127.0.0.1 uses a SCRAM-SHA-256 password ([`TestServer::role_psql`]).
//!
//! The server stops when the `TestServer` is dropped. A watchdog process also stops it (and removes
//! the directory) when the test process ends without dropping it: a server kept in a `static`, a
//! `std::process::exit`, or a killed test binary.

#![allow(dead_code)]

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;

/// Where Debian's PostgreSQL 15 binaries are.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// How many fresh ports to try when the server cannot start (another process took the port).
const START_ATTEMPTS: usize = 5;

/// A running PostgreSQL server in a temporary directory.
pub struct TestServer {
    /// Removed on drop (after the server has stopped).
    dir: Option<tempfile::TempDir>,
    port: u16,
    /// Run PostgreSQL's own programs as the `postgres` system user (the tests run as root).
    as_postgres: bool,
    /// Its stdin is our end of a pipe: a line means "stopped normally, exit"; end of file (this
    /// process is gone) means "stop the server and remove the directory".
    watchdog: Option<(Child, ChildStdin)>,
}

impl TestServer {
    /// Creates a cluster (a copy of the template `initdb` made once) and starts it on a free loopback port. Panics with the server
    /// log when that fails.
    pub fn start() -> TestServer {
        let as_postgres = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("gen-pg-")
            .tempdir_in(std::env::temp_dir())
            .expect("create a temporary directory for PostgreSQL");
        let root = dir.path().to_path_buf();
        let socket_dir = root.join("socket");
        std::fs::create_dir(&socket_dir).expect("create the socket directory");
        if as_postgres {
            let (uid, gid) = postgres_user();
            for path in [&root, &socket_dir] {
                chown(path, Some(uid), Some(gid))
                    .unwrap_or_else(|e| panic!("chown {} to postgres: {e}", path.display()));
            }
        }
        let mut server = TestServer {
            dir: Some(dir),
            port: 0,
            as_postgres,
            watchdog: None,
        };

        // A copy of a cluster made once (initdb takes a second or more; a copy, a few ms).
        let data = server.data_dir();
        let copied = Command::new("cp")
            .arg("-a")
            .arg(template_cluster(as_postgres))
            .arg(&data)
            .output()
            .expect("run cp");
        assert_success("copying the template cluster", &copied);

        // TLS with a self-signed certificate, so clients can use sslmode=require or, with
        // `tls_certificate()` as their root, verify-ca (as the schema Job does).
        let openssl = server
            .pg_command("/usr/bin/openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(data.join("server.key"))
            .arg("-out")
            .arg(data.join("server.crt"))
            .output()
            .expect("run openssl");
        assert_success("openssl", &openssl);

        // The superuser is trusted on the Unix socket only; every other login uses a password.
        std::fs::write(
            data.join("pg_hba.conf"),
            "# TYPE  DATABASE  USER      ADDRESS       METHOD\n\
             local   all       postgres                trust\n\
             local   all       all                     scram-sha-256\n\
             host    all       all       127.0.0.1/32  scram-sha-256\n",
        )
        .expect("write pg_hba.conf");
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("open postgresql.conf");
        write!(
            conf,
            "\n# gen tests\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\n\
             password_encryption = 'scram-sha-256'\n\
             shared_preload_libraries = 'pg_stat_statements'\n\
             max_connections = 200\n\
             shared_buffers = '32MB'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             logging_collector = off\n\
             ssl = on\n",
            socket_dir.display()
        )
        .expect("write postgresql.conf");
        drop(conf);

        let mut last_output = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let started = server
                .pg_command("pg_ctl")
                .arg("start")
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(server.log_path())
                .args(["--wait", "--timeout=60", "--silent"])
                .arg(format!("--options=-p {port}"))
                .output()
                .expect("run pg_ctl start");
            if started.status.success() {
                server.port = port;
                server.watchdog = Some(server.spawn_watchdog());
                return server;
            }
            // A port taken between free_port() and the bind: try another one.
            last_output = Some(started);
        }
        let output = last_output.expect("at least one start attempt");
        panic!(
            "PostgreSQL did not start after {START_ATTEMPTS} attempts\n\
             pg_ctl: {}\n{}{}\n--- server log ({}) ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            server.log_path().display(),
            server.log()
        );
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the Unix socket (use it as `PGHOST`).
    pub fn socket_dir(&self) -> PathBuf {
        self.root().join("socket")
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    /// The server's self-signed certificate (PEM), usable as a client's root certificate.
    pub fn tls_certificate(&self) -> PathBuf {
        self.data_dir().join("server.crt")
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// `psql` as the superuser `postgres` over the Unix socket, to database `postgres`, with
    /// `-X -v ON_ERROR_STOP=1`. Add `-c SQL`, `-f FILE` or a stdin.
    pub fn admin_psql(&self) -> Command {
        let mut cmd = psql_command();
        cmd.env("PGHOST", self.socket_dir())
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", "postgres")
            .args(["-X", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]);
        cmd
    }

    /// `psql` as `role` with `password` (SCRAM-SHA-256) over TCP on 127.0.0.1, to `database`, with
    /// `-X -v ON_ERROR_STOP=1`.
    pub fn role_psql(&self, role: &str, password: &str, database: &str) -> Command {
        let mut cmd = psql_command();
        cmd.env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", role)
            .env("PGPASSWORD", password)
            .args(["-X", "-v", "ON_ERROR_STOP=1", "-d", database]);
        cmd
    }

    /// Runs `sql` through [`admin_psql`](Self::admin_psql) (unaligned, tuples only) and returns
    /// its standard output; panics with psql's output and the server log when it fails.
    pub fn admin_query(&self, sql: &str) -> String {
        let output = self
            .admin_psql()
            .args(["-At", "-c", sql])
            .output()
            .expect("run psql");
        if !output.status.success() {
            panic!(
                "psql failed ({}) on:\n{sql}\n--- stdout ---\n{}--- stderr ---\n{}--- server log ---\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                self.log()
            );
        }
        String::from_utf8(output.stdout).expect("psql output is UTF-8")
    }

    fn root(&self) -> &Path {
        self.dir.as_ref().expect("server directory").path()
    }

    fn log_path(&self) -> PathBuf {
        self.root().join("server.log")
    }

    /// A PostgreSQL program, as the `postgres` user when we are root, working in the server
    /// directory (the `postgres` user may not be allowed into the current one).
    fn pg_command(&self, program: &str) -> Command {
        pg_command_in(self.as_postgres, self.root(), program)
    }

    /// Starts the process that cleans up if this process ends without dropping the server.
    fn spawn_watchdog(&self) -> (Child, ChildStdin) {
        const SCRIPT: &str = r#"
            if read -r _; then exit 0; fi
            alive() { s=$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }
            pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null) || pid=
            if [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; then
                i=0
                while alive "$pid" && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
                kill -KILL "$pid" 2>/dev/null
            fi
            rm -rf "$1"
        "#;
        let mut child = Command::new("sh")
            .args(["-c", SCRIPT, "gen-pg-watchdog"])
            .arg(self.root())
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the PostgreSQL watchdog");
        let stdin = child.stdin.take().expect("watchdog stdin");
        (child, stdin)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.dir.is_none() {
            return;
        }
        let stopped = self
            .pg_command("pg_ctl")
            .arg("stop")
            .arg("--pgdata")
            .arg(self.data_dir())
            .args(["--mode=fast", "--wait", "--timeout=60", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if let Some((mut child, mut stdin)) = self.watchdog.take() {
            // Stopped: the watchdog just exits. Not stopped: end of file makes it kill the server
            // and remove the directory.
            if stopped {
                let _ = stdin.write_all(b"stopped\n");
            }
            drop(stdin);
            let _ = child.wait();
        }
        // TempDir's drop removes the directory (root may remove the postgres user's files).
        self.dir.take();
    }
}

fn psql_command() -> Command {
    let mut cmd = Command::new(Path::new(PG_BIN).join("psql"));
    for var in [
        "PGDATABASE",
        "PGSERVICE",
        "PGSERVICEFILE",
        "PGPASSFILE",
        "PGOPTIONS",
        "PGPASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PGCONNECT_TIMEOUT", "10")
        .env("PGSSLMODE", "disable")
        .env("PGAPPNAME", "gen-tests")
        .stdin(Stdio::null());
    cmd
}

/// A PostgreSQL program (or, with an absolute path, another one), as the `postgres` user when
/// `as_postgres`, working in `dir`.
fn pg_command_in(as_postgres: bool, dir: &Path, program: &str) -> Command {
    let path = Path::new(PG_BIN).join(program);
    let mut cmd = if as_postgres {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(path);
        cmd
    } else {
        Command::new(path)
    };
    cmd.current_dir(dir)
        .env_remove("PGDATA")
        .env_remove("PGPORT")
        .env_remove("PGHOST")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null());
    cmd
}

/// How every test cluster is made.
const INITDB_OPTIONS: [&str; 6] = [
    "--username=postgres",
    "--encoding=UTF8",
    "--locale=C.UTF-8",
    "--auth=trust",
    "--no-sync",
    "--no-instructions",
];

/// The data directory of a freshly initialised cluster that servers start from a copy of.
/// It is made once per PostgreSQL build, owner and initdb options, in the temporary
/// directory (`gen-pg-template-KEY`), and published by a rename, so concurrent test
/// processes never see half of one; later runs reuse it.
fn template_cluster(as_postgres: bool) -> PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let version = Command::new(Path::new(PG_BIN).join("postgres"))
                .arg("--version")
                .output()
                .expect("run postgres --version (scripts/install-test-deps.sh installs it)");
            assert_success("postgres --version", &version);
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            (&version.stdout, as_postgres, INITDB_OPTIONS).hash(&mut hasher);
            let published =
                std::env::temp_dir().join(format!("gen-pg-template-{:016x}", hasher.finish()));
            let data = published.join("data");
            if data.join("PG_VERSION").exists() {
                return data;
            }
            let work = tempfile::Builder::new()
                .prefix("gen-pg-template-new-")
                .tempdir_in(std::env::temp_dir())
                .expect("create a directory for the template cluster");
            if as_postgres {
                let (uid, gid) = postgres_user();
                chown(work.path(), Some(uid), Some(gid)).expect("chown the template directory");
            }
            let initdb = pg_command_in(as_postgres, work.path(), "initdb")
                .arg("--pgdata")
                .arg(work.path().join("data"))
                .args(INITDB_OPTIONS)
                .output()
                .expect("run initdb");
            assert_success("initdb", &initdb);
            // Another process may have published one meanwhile: then ours is dropped.
            let work = work.keep();
            if std::fs::rename(&work, &published).is_err() {
                assert!(
                    data.join("PG_VERSION").exists(),
                    "cannot publish {}",
                    published.display()
                );
                let _ = std::fs::remove_dir_all(&work);
            }
            data
        })
        .clone()
}

/// A port that was free on 127.0.0.1 a moment ago (the start retries if it is taken meanwhile).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Whether the effective user is root (from /proc, so that no libc binding is needed).
fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0")
}

/// The uid and gid of the `postgres` system user (created by Debian's postgresql-common).
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && fields[0] == "postgres")
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
        .expect("the postgres system user is missing: run scripts/install-test-deps.sh")
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({})\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
