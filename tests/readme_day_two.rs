//! The day-two procedures of the install plans (`README.md`, issue 18), checked by running
//! what can run here:
//!
//! - every command block names bash and parses in real bash;
//! - no password the plan reads reaches a command line (any user sees those with `ps`);
//! - the AKS plan dumps the database and the roles before any step that deletes them, and its
//!   dump commands, run against PostgreSQL 15 with the example's scripts applied, write
//!   archives that restore into a fresh database with the same rows;
//! - the certificate the AKS plan makes covers every name of the client Service (real
//!   openssl);
//! - a stuck rollout is recovered by deleting the pod after the fix;
//! - the backup section's caveats: the snapshot class check, crash consistency, and why the
//!   snapshot pods may reach port 443 of any address.

use crate::support::{postgres, tools};

use std::path::Path;
use std::process::{Command, Output, Stdio};

use std::io::Write;

const AKS: &str = "dev/bill-inquiry/README.md";
const AZURE: &str = "prod/auth/README.md";
const CNPG: &str = "staging/bill-inquiry/README.md";

/// Every install plan of a render (`<env>/<service>/README.md`): its path and text.
pub(crate) fn readmes(out: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for env in std::fs::read_dir(out).unwrap() {
        for target in std::fs::read_dir(env.unwrap().path()).unwrap() {
            let file = target.unwrap().path().join("README.md");
            if let Ok(text) = std::fs::read_to_string(&file) {
                let path = file
                    .strip_prefix(out)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.push((path, text));
            }
        }
    }
    found.sort();
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, [AKS, AZURE, CNPG], "every kind of plan");
    found
}

/// The fenced blocks of a Markdown text as (info string, body), quote markers removed.
fn code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        let line = line
            .strip_prefix("> ")
            .or_else(|| line.strip_prefix('>'))
            .unwrap_or(line);
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_owned(), String::new()));
                }
            }
            Some(_) if line == "```" => blocks.push(open.take().unwrap()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    blocks
}

/// The shell blocks of a plan: (shell, body).
pub(crate) fn shell_blocks(markdown: &str) -> Vec<(String, String)> {
    code_blocks(markdown)
        .into_iter()
        .filter(|(info, _)| ["sh", "bash", "shell", "zsh", "console"].contains(&info.as_str()))
        .collect()
}

/// The one shell block of `readme` that contains `needle`.
fn block_with(readme: &str, needle: &str) -> String {
    let found: Vec<String> = shell_blocks(readme)
        .into_iter()
        .filter(|(_, body)| body.contains(needle))
        .map(|(_, body)| body)
        .collect();
    assert_eq!(found.len(), 1, "one block with `{needle}`: {found:#?}");
    found.into_iter().next().unwrap()
}

/// Whether `shell -n` parses `script`; Err(its message) when not.
fn parses(shell: &str, script: &str) -> Result<(), String> {
    let output = Command::new(shell)
        .args(["-n", "-c", script])
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn every_shell_block_of_every_readme_names_bash_and_parses_in_it() {
    let out = tools::render_example();
    for (path, readme) in readmes(out.path()) {
        let blocks = shell_blocks(&readme);
        let bash = blocks.iter().filter(|(shell, _)| shell == "bash").count();
        assert!(bash >= 5, "{path}: the plan's blocks are bash ({bash})");
        for (shell, body) in &blocks {
            // One shell for the whole plan: a reader pastes every block into the same one.
            assert_eq!(shell, "bash", "{path}: a ```{shell} block:\n{body}");
            parses("bash", body).unwrap_or_else(|e| panic!("{path}: bash -n: {e}\n{body}"));
        }
    }
}

/// The variables a plan fills with `read -rsp`: the passwords and other secrets.
fn secret_variables(readme: &str) -> Vec<String> {
    let mut names: Vec<String> = readme
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("read -rsp "))
        .map(|rest| {
            let before_echo = rest.split(';').next().unwrap();
            before_echo.split_whitespace().last().unwrap().to_owned()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Shell builtins: their arguments never become a process's command line.
const BUILTINS: &[&str] = &["printf", "test", "export", "read", "echo", "["];

/// What remains of a simple command once its builtin use, leading environment assignments
/// (`PGPASSWORD="$X" psql …`: the environment, not the command line) and `<(printf %s "$X")`
/// pipes are taken out.
fn command_line_part(command: &str, variable: &str) -> String {
    let mut rest = command.trim();
    if BUILTINS
        .iter()
        .any(|b| rest.split_whitespace().next() == Some(*b))
    {
        return String::new();
    }
    // Leading NAME="value" or NAME=word assignments.
    while let Some(eq) = rest.find('=') {
        let name = &rest[..eq];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            break;
        }
        let value = &rest[eq + 1..];
        let end = if let Some(quoted) = value.strip_prefix('"') {
            quoted.find('"').map(|i| i + 2).unwrap_or(value.len())
        } else {
            value.find(' ').unwrap_or(value.len())
        };
        rest = value[end..].trim_start();
    }
    rest.replace(&format!("<(printf %s \"${variable}\")"), "")
}

#[test]
fn no_secret_a_readme_reads_reaches_a_command_line() {
    let out = tools::render_example();
    for (path, readme) in readmes(out.path()) {
        let variables = secret_variables(&readme);
        assert!(
            variables.len() >= 2,
            "{path}: the plan reads its secrets with read -rsp: {variables:?}"
        );
        for (_, body) in shell_blocks(&readme) {
            for line in body.lines() {
                for command in line.split(['|', ';']).flat_map(|c| c.split("&&")) {
                    for variable in &variables {
                        let rest = command_line_part(command, variable);
                        assert!(
                            !rest.contains(&format!("${variable}"))
                                && !rest.contains(&format!("${{{variable}")),
                            "{path}: ${variable} on a command line (ps shows it): {line}"
                        );
                    }
                }
            }
        }
        for flag in [
            "--value",
            "--password",
            "--admin-password",
            "--from-literal",
        ] {
            assert!(
                !readme.contains(flag),
                "{path}: {flag} carries a secret on the command line"
            );
        }
    }
}

/// The AKS plan's dump commands as they run here: without the port-forward (the server
/// listens on 127.0.0.1 itself), on the test server's port.
fn dump_script(block: &str, port: u16) -> String {
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("kubectl ") && !l.starts_with("sleep ") && *l != "kill %1")
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("PGPORT=15432"), "{script}");
    script.replace("PGPORT=15432", &format!("PGPORT={port}"))
}

/// A PostgreSQL 15 client program as the superuser over the server's Unix socket.
fn admin_client(server: &postgres::TestServer, program: &str) -> Command {
    let mut cmd = Command::new(Path::new(postgres::PG_BIN).join(program));
    cmd.env("PGHOST", server.socket_dir())
        .env("PGPORT", server.port().to_string())
        .env("PGUSER", "postgres");
    cmd
}

fn assert_ran(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}",
        crate::support::sql::output_text(output)
    );
}

/// Runs `script` in bash in `dir`, the password on standard input for `read`.
fn run_with_password(script: &str, dir: &Path, password: &str) -> Output {
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", postgres::PG_BIN))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn the_aks_readme_dumps_before_it_deletes_and_the_dump_restores_on_postgresql_15() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AKS)).unwrap();
    let block = block_with(&readme, "pg_dump --format=custom");
    for piece in [
        "port-forward svc/postgresql-bill-inquiry 15432:5432",
        "PGSSLMODE=require",
        "pg_dumpall --globals-only --no-role-passwords",
        "pg_restore --list",
    ] {
        assert!(
            block.contains(piece),
            "the dump block has `{piece}`:\n{block}"
        );
    }
    // The dump comes before every step that deletes the database's objects or volume.
    let dump_at = readme.find(&block).unwrap();
    for deleting in [
        "delete statefulset postgresql-bill-inquiry",
        "delete pvc data-postgresql-bill-inquiry-0",
        "delete namespace",
    ] {
        for (at, _) in readme.match_indices(deleting) {
            assert!(at > dump_at, "`{deleting}` comes before the dump");
        }
    }
    assert!(readme.contains("dump the database first (section 6"));

    let (server, admin) = crate::kubernetes_backup::server_with_the_example();
    let work = tempfile::tempdir().unwrap();
    let output = run_with_password(&dump_script(&block, server.port()), work.path(), &admin);
    assert_ran("the README's dump commands", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("dumped to "), "{stdout}");
    let dumps: Vec<_> = std::fs::read_dir(work.path().join("dumps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    let dir = &dumps[0];
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
        0o700,
        "the dumps are the owner's only"
    );
    let contents = std::fs::read_to_string(dir.join("contents.txt")).unwrap();
    assert!(
        contents.contains("TABLE DATA public system_config"),
        "{contents}"
    );
    crate::kubernetes_backup::assert_roles_without_passwords(&dir.join("globals.sql"));

    // The archive restores into a fresh database with the same rows.
    server.admin_query("CREATE DATABASE restored");
    let restore = admin_client(&server, "pg_restore")
        .args(["--exit-on-error", "-d", "restored"])
        .arg(dir.join("database.dump"))
        .output()
        .unwrap();
    assert_ran("pg_restore", &restore);
    let count = "SELECT count(*) FROM public.system_config";
    let live = crate::support::sql::query_in(&server, "bill_inquiry_db", count);
    let restored = crate::support::sql::query_in(&server, "restored", count);
    assert_eq!(live.trim(), "3");
    assert_eq!(restored.trim(), live.trim());
}

#[test]
fn the_azure_readme_dumps_before_it_deletes_the_servers() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AZURE)).unwrap();
    let block = block_with(&readme, "pg_dump --format=custom");
    assert!(block.contains("pg_dumpall --globals-only --no-role-passwords"));
    let dump_at = readme.find(&block).unwrap();
    let delete_at = readme
        .find("az postgres flexible-server delete -g")
        .unwrap();
    assert!(dump_at < delete_at, "the dump comes before the servers go");
}

/// The subjectAltName extension of a certificate, as openssl prints it.
fn subject_alt_names(certificate: &Path) -> Vec<String> {
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(certificate)
        .output()
        .unwrap();
    assert_ran("openssl x509", &output);
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .skip(1)
        .flat_map(|l| l.split(','))
        .map(|n| n.trim().to_owned())
        .collect()
}

#[test]
fn the_certificate_the_readme_makes_covers_every_name_of_the_client_service() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AKS)).unwrap();
    let block = block_with(&readme, "openssl req");
    let work = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .args(["-e", "-c", &block])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert_ran("the README's openssl commands", &output);
    let certificate = work.path().join("server.crt");
    let names = subject_alt_names(&certificate);
    let service = "postgresql-bill-inquiry";
    let expected: Vec<String> = [
        service.to_owned(),
        format!("{service}.phonebill-dev"),
        format!("{service}.phonebill-dev.svc"),
        format!("{service}.phonebill-dev.svc.cluster.local"),
    ]
    .iter()
    .map(|n| format!("DNS:{n}"))
    .collect();
    assert_eq!(names, expected);
    // The key in server.key is the certificate's.
    let public_key = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(work.path())
            .output()
            .unwrap();
        assert_ran("openssl", &output);
        output.stdout
    };
    assert_eq!(
        public_key(&["x509", "-noout", "-pubkey", "-in", "server.crt"]),
        public_key(&["pkey", "-pubout", "-in", "server.key"])
    );
}

/// The kinds a `kubectl … delete <kinds> …` line names, as [`kind_of_resource`] spells them
/// (`podmonitors.azmonitoring.coreos.com` is `podmonitor`, `cronjob` stays `cronjob`).
fn deleted_kinds(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(at) = words.iter().position(|w| *w == "delete") else {
        return Vec::new();
    };
    words[at + 1].split(',').map(kind_of_resource).collect()
}

/// Removing the target deletes every kind of object its `kubernetes/` holds but the claims
/// (the data) and the Namespace (shared), and deletes the alert rules and the Jobs and CronJobs
/// before the StatefulSet and what their pods use.
#[test]
fn removing_the_target_deletes_every_kind_it_rendered_in_a_safe_order() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AKS)).unwrap();
    let block = block_with(&readme, "delete statefulset");
    let lines: Vec<&str> = block.lines().collect();
    let deleted: Vec<String> = lines.iter().flat_map(|l| deleted_kinds(l)).collect();
    for (kind, name) in rendered_kinds(out.path()) {
        if kind == "persistentvolumeclaim" || kind == "namespace" {
            continue;
        }
        assert!(
            deleted.contains(&kind),
            "{name}: its {kind} is never deleted:\n{block}"
        );
    }
    let line_of = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    let stateful_set = line_of("delete statefulset");
    assert!(line_of("prometheusRuleGroups") < stateful_set, "{block}");
    assert!(line_of("delete cronjob,job") < stateful_set, "{block}");
    assert!(
        line_of("delete services,configmaps") > stateful_set,
        "{block}"
    );
}

/// `networkpolicies.networking.k8s.io` → `networkpolicy`: a resource as the file names of
/// `kubernetes/` spell its kind.
fn kind_of_resource(resource: &str) -> String {
    let plural = resource.split('.').next().unwrap();
    match plural.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => plural.strip_suffix('s').unwrap_or(plural).to_owned(),
    }
}

/// The kinds of the files under the example's AKS `kubernetes/` (`NN-<kind>-<name>.yaml`).
fn rendered_kinds(out: &Path) -> Vec<(String, String)> {
    let dir = out.join("dev/bill-inquiry/kubernetes");
    let mut kinds: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            (name.split('-').nth(1).unwrap().to_owned(), name)
        })
        .collect();
    kinds.sort();
    kinds
}

/// Before step 1 the plan checks, with `kubectl auth can-i`, the right to create every kind
/// it renders, and the snapshot Role's own rights (only their holder may grant them).
#[test]
fn the_plan_checks_the_right_to_create_every_kind_it_renders() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AKS)).unwrap();
    let block = block_with(&readme, "auth can-i");
    let rights: Vec<(&str, &str)> = block
        .lines()
        .filter_map(|l| l.strip_prefix("can "))
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    for (kind, file) in rendered_kinds(out.path()) {
        if kind == "namespace" {
            continue;
        }
        assert!(
            rights
                .iter()
                .any(|(verb, r)| *verb == "create" && kind_of_resource(r) == kind),
            "{file}: no check of the right to create a {kind}:\n{block}"
        );
    }
    for verb in ["create", "get", "list", "delete"] {
        assert!(
            rights.contains(&(verb, "volumesnapshots.snapshot.storage.k8s.io")),
            "the snapshot Role's `{verb}` is not checked:\n{block}"
        );
    }
}

/// The Azure plan counts the Resource Health alerts the alerts Bicep renders, and removing the
/// target deletes them with the metric alerts, before the servers.
#[test]
fn the_azure_plan_checks_and_removes_the_resource_health_alerts() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AZURE)).unwrap();
    let bicep = std::fs::read_to_string(out.path().join("prod/auth/alerts/alerts.bicep")).unwrap();
    let rendered = bicep
        .matches("'Microsoft.Insights/activityLogAlerts@")
        .count();
    assert!(rendered > 0, "the example renders Resource Health alerts");
    assert!(
        readme.contains(&format!("# {rendered} Resource Health alerts")),
        "the verify step does not count {rendered} Resource Health alerts"
    );
    let removal = block_with(&readme, "activity-log alert delete");
    let health = removal.find("activity-log alert delete").expect(&removal);
    let first_server = removal.find("flexible-server delete").unwrap();
    assert!(health < first_server, "{removal}");
}

#[test]
fn a_stuck_rollout_is_recovered_by_deleting_the_pod_after_the_fix() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AKS)).unwrap();
    let block = block_with(
        &readme,
        "kubectl apply -f kubernetes/\nkubectl -n phonebill-dev delete pod postgresql-bill-inquiry-0",
    );
    assert_eq!(
        block.lines().take(2).collect::<Vec<_>>(),
        [
            "kubectl apply -f kubernetes/",
            "kubectl -n phonebill-dev delete pod postgresql-bill-inquiry-0"
        ],
        "the fix first, then the pod"
    );
    assert!(readme.contains("kubernetes/kubernetes#67250"));
}

#[test]
fn the_backup_section_checks_the_snapshot_class_and_says_what_a_snapshot_holds() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AKS)).unwrap();
    let section = &readme[readme.find("## 8. Backups").expect("the backup section")..];
    assert!(section.contains("kubectl get volumesnapshotclass csi-azuredisk-vsc"));
    for caveat in [
        "crash-consistent",
        "The write-ahead log is on the same volume",
        "replays the log",
        "TCP 443 of any address",
        "its address can change",
    ] {
        assert!(
            section.contains(caveat),
            "the backup section says `{caveat}`"
        );
    }
    let policy = std::fs::read_to_string(
        out.path()
            .join("dev/bill-inquiry/kubernetes/12-networkpolicy-postgresql-bill-inquiry-snap.yaml"),
    )
    .unwrap();
    assert!(
        policy.contains("Port 443 is open to any address") && policy.contains("can change"),
        "the manifest says why 443 has no destination:\n{policy}"
    );
}

/// Static parameters (`shared_preload_libraries`, `max_connections`) take effect only after
/// a restart no deployment performs: the Azure plan, between the Bicep deployment and the
/// SQL, restarts every server (primary first, then each replica) that has a parameter
/// pending a restart, and only those. Run with a stub `az` that reports a pending parameter
/// for the primary and one replica.
#[test]
fn the_azure_readme_restarts_the_servers_with_pending_static_parameters_before_the_sql() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(AZURE)).unwrap();
    let block = block_with(&readme, "isConfigPendingRestart");
    let deploy = readme.find("az deployment group create").unwrap();
    let restart = readme.find("isConfigPendingRestart").unwrap();
    let sql = readme.find("-f sql/01-").unwrap();
    assert!(
        deploy < restart && restart < sql,
        "deploy, restart, then SQL"
    );
    assert!(readme.contains("A restart is an outage"));

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let stub = dir.path().join("az");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/bash\necho \"$*\" >> '{}'\n\
             case \"$*\" in *'parameter list'*'phonebill-auth-postgresql-prod '*|*'parameter list'*'phonebill-auth-postgresql-prod-krc '*) echo shared_preload_libraries;; esac\n\
             case \"$*\" in *'flexible-server list'*) echo phonebill-auth-postgresql-prod-krs,phonebill-auth-postgresql-prod-krc;; esac\n",
            log.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&stub).status().unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    let restarted = |lowered: &str| {
        let _ = std::fs::remove_file(&log);
        let run = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &block])
            .env("PATH", &path)
            .env("LOWERED", lowered)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let calls = std::fs::read_to_string(&log).unwrap();
        let listed = calls
            .lines()
            .filter(|l| l.contains("parameter list"))
            .count();
        assert_eq!(
            listed, 3,
            "the primary and both replicas are checked: {calls}"
        );
        calls
            .lines()
            .filter_map(|l| {
                l.strip_prefix(
                    "postgres flexible-server restart --resource-group rg-phonebill-prod --name ",
                )
            })
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // The replicas before the primary (issue 19): a replica must run with at least the
    // primary's max_connections; the other way round when the change lowered it.
    assert_eq!(
        restarted("0"),
        [
            "phonebill-auth-postgresql-prod-krc",
            "phonebill-auth-postgresql-prod"
        ]
    );
    assert_eq!(
        restarted("1"),
        [
            "phonebill-auth-postgresql-prod",
            "phonebill-auth-postgresql-prod-krc"
        ]
    );
}
