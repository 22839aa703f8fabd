//! The schema Job's own script, taken from the rendered Job, run against a real
//! PostgreSQL 15 (with TLS) the way the Job runs it: the scripts of the Job's ConfigMap in
//! its /sql, the credentials Secret's keys as files in its /secrets, the TLS Secret's CA in
//! its /tls. It succeeds twice, and the second run changes nothing.

use crate::support::{postgres, tools};

use std::path::Path;
use std::process::Command;

use gen_lib::yaml::Node;

fn parse(path: &Path) -> serde_json::Value {
    Node::parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .to_json()
}

fn find(dir: &Path, kind: &str, name_part: &str) -> serde_json::Value {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| parse(&e.unwrap().path()))
        .find(|o| o["kind"] == kind && o["metadata"]["name"].as_str().unwrap().contains(name_part))
        .unwrap_or_else(|| panic!("no {kind} named *{name_part}*"))
}

#[test]
fn the_schema_job_applies_its_configmap_twice_on_a_real_server() {
    let out = tools::render_example();
    let manifests = out.path().join("dev/bill-inquiry/kubernetes");
    let job = find(&manifests, "Job", "-schema-");
    let config_map = find(&manifests, "ConfigMap", "-schema");
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let script = container["args"][0].as_str().unwrap();

    let server = postgres::TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let (sql, secrets, tls) = (
        work.path().join("sql"),
        work.path().join("secrets"),
        work.path().join("tls"),
    );
    for dir in [&sql, &secrets, &tls] {
        std::fs::create_dir(dir).unwrap();
    }
    let scripts = config_map["data"].as_object().unwrap();
    assert!(scripts.len() >= 5);
    for (name, text) in scripts {
        std::fs::write(sql.join(name), text.as_str().unwrap()).unwrap();
    }
    // The Secret keys the Job reads; the values exist only for this run.
    let admin_password = format!("admin-{}", std::process::id());
    server.admin_query(&format!("ALTER ROLE postgres PASSWORD '{admin_password}'"));
    std::fs::write(secrets.join("postgres-password"), &admin_password).unwrap();
    std::fs::write(
        secrets.join("bill-inquiry-app-password"),
        format!("app-{}", std::process::id()),
    )
    .unwrap();
    std::fs::copy(server.tls_certificate(), tls.join("ca.crt")).unwrap();

    // The Job's mounts, moved under the temporary folder.
    let script = script
        .replace("/sql/", &format!("{}/", sql.display()))
        .replace("/secrets/", &format!("{}/", secrets.display()))
        .replace("/tls/", &format!("{}/", tls.display()));
    let mut env: Vec<(String, String)> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (name, value) in &mut env {
        match name.as_str() {
            "PGHOST" => *value = "localhost".to_owned(),
            "PGPORT" => *value = server.port().to_string(),
            _ => {}
        }
    }
    let run = || {
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().cloned())
            .output()
            .unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "the Job's script failed:\n{log}");
        assert!(log.contains("schema applied"), "{log}");
        assert!(!log.contains("warning: Secret"), "the CA was used: {log}");
        log
    };
    run();
    let rows =
        || server.admin_query("SELECT count(*) FROM pg_database WHERE datname = 'bill_inquiry_db'");
    assert_eq!(rows().trim(), "1");
    let seed = || {
        let output = server
            .admin_psql()
            .args([
                "-At",
                "-d",
                "bill_inquiry_db",
                "-c",
                "SELECT count(*) FROM system_config",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    assert_eq!(seed(), "3");
    run();
    assert_eq!(seed(), "3", "the second run changes nothing");
}
