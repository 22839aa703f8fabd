//! Running a target's rendered `sql/` scripts on a test server as the README and the schema
//! Job do: psql with `-X`, detached from any terminal (`setsid`), and `02-roles.psql` given
//! each role's password twice on standard input (`-v passwords_from_stdin=on`).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The rendered `sql/` folder of one target, written to a temporary folder.
pub struct Scripts {
    _dir: tempfile::TempDir,
    /// The scripts, in run order.
    pub files: Vec<PathBuf>,
}

impl Scripts {
    /// The script whose name ends with `suffix` (`02-roles.psql`).
    pub fn file(&self, suffix: &str) -> &Path {
        self.files
            .iter()
            .find(|f| f.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no script {suffix}"))
    }
}

/// Renders the inputs folder `inputs` and keeps the scripts of `target` (`dev/bill-inquiry`).
pub fn render_scripts(inputs: &Path, target: &str) -> Scripts {
    let files = gen_lib::app::render_folder(inputs).unwrap();
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

/// The example's scripts of `target`.
pub fn example_scripts(target: &str) -> Scripts {
    render_scripts(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"),
        target,
    )
}

/// `cmd` run under `setsid -w`: without a controlling terminal, as in a pod, so that
/// psql's `\password` reads standard input instead of opening `/dev/tty`.
pub fn detached(cmd: &Command) -> Command {
    let mut detached = Command::new("setsid");
    detached
        .arg("-w")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => detached.env(key, value),
            None => detached.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        detached.current_dir(dir);
    }
    detached
}

/// Runs `file` with `psql` (a command with its connection set, such as
/// `TestServer::admin_psql()`); `02-roles.psql` gets `passwords`, in the script's role
/// order, each twice on standard input.
pub fn run_script(psql: &Command, file: &Path, passwords: &[&str]) -> Output {
    let mut cmd = detached(psql);
    cmd.arg("-f").arg(file);
    let stdin = if file.to_string_lossy().ends_with("02-roles.psql") {
        cmd.args(["-v", "passwords_from_stdin=on"]);
        passwords
            .iter()
            .map(|p| format!("{p}\n{p}\n"))
            .collect::<String>()
    } else {
        String::new()
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run psql under setsid");
    let mut input = child.stdin.take().unwrap();
    // psql may stop before reading everything (the run failed): a broken pipe is fine.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs every script in order until one fails: Ok(every script's output), or Err(the
/// failing script's name and output).
pub fn try_run_all(
    psql: &Command,
    scripts: &Scripts,
    passwords: &[&str],
) -> Result<String, String> {
    let mut log = String::new();
    for file in &scripts.files {
        let output = run_script(psql, file, passwords);
        let text = output_text(&output);
        if !output.status.success() {
            return Err(format!("{} failed:\n{text}", file.display()));
        }
        log.push_str(&text);
    }
    Ok(log)
}

/// Runs every script in order; panics with psql's output when one fails.
pub fn run_all(psql: &Command, scripts: &Scripts, passwords: &[&str]) -> String {
    try_run_all(psql, scripts, passwords).unwrap_or_else(|failure| panic!("{failure}"))
}

/// A password made up for this test process only: never committed, never printed by a
/// passing test, and the same for the same label throughout the process.
pub fn made_up_password(label: &str) -> String {
    format!("Pw-{label}-{}", std::process::id())
}

/// The first few lines where two texts differ, for a failure message.
pub fn first_differences<'a>(got: &'a str, want: &'a str) -> Vec<(&'a str, &'a str)> {
    got.lines()
        .zip(want.lines())
        .filter(|(g, w)| g != w)
        .take(6)
        .collect()
}

/// psql's standard output and error, together.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A finished command's standard output and error together: Ok when it succeeded, Err when
/// it failed.
pub fn outcome(output: &Output) -> Result<String, String> {
    let text = output_text(output);
    if output.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// Settings that would put a password anywhere the server keeps text.
const LOUD_SERVER: &str = "ALTER SYSTEM SET log_statement = 'all';\n\
    ALTER SYSTEM SET log_min_error_statement = 'debug5';\n\
    ALTER SYSTEM SET log_min_messages = 'debug1';\n\
    ALTER SYSTEM SET pg_stat_statements.track_utility = on;\n\
    ALTER SYSTEM SET pg_stat_statements.track = 'all';";

pub fn make_loud(server: &crate::support::postgres::TestServer) {
    for statement in LOUD_SERVER.lines() {
        server.admin_query(statement);
    }
    server.admin_query("SELECT pg_reload_conf()");
    server.admin_query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
}

/// Everything the server and psql kept as text, for a search for passwords.
pub fn kept_text(server: &crate::support::postgres::TestServer, psql_output: &str) -> String {
    let statements = server.admin_query("SELECT string_agg(query, E'\\n') FROM pg_stat_statements");
    format!("{}\n{statements}\n{psql_output}", server.log())
}

/// Runs `query` as the superuser in `database` (unaligned, tuples only); its output, or a
/// panic with psql's.
pub fn query_in(
    server: &crate::support::postgres::TestServer,
    database: &str,
    query: &str,
) -> String {
    let output = server
        .admin_psql()
        .args(["-At", "-d", database, "-c", query])
        .output()
        .unwrap();
    assert!(output.status.success(), "{query}: {}", output_text(&output));
    String::from_utf8(output.stdout).unwrap()
}
