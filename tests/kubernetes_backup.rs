//! The backups of the AKS target (`statefulSet.backup` of the example's dev target), checked
//! by running what can run here:
//!
//! - the snapshot CronJob's script, with a stub `kubectl`: the VolumeSnapshot it creates is
//!   validated against the published CRD (external-snapshotter v8.6.0, read through the
//!   reference-data resolver) with unknown fields refused, it waits for the snapshot to be
//!   ready, and it deletes only the oldest ready snapshots of its claim beyond `keep`, using
//!   only the verbs its Role grants;
//! - the RBAC: one namespaced Role with exactly those verbs on `volumesnapshots`, bound to the
//!   CronJob's own ServiceAccount, nothing cluster-wide;
//! - the dump CronJob's script against a real PostgreSQL 15 over TLS, its retention, and the
//!   README's restore test of a dump into a scratch database, with row counts compared;
//! - the README's snapshot restore: the scratch pod's script starts PostgreSQL 15 on a
//!   crash-consistent copy of a data directory, and the README's restore test answers what
//!   the README says it prints;
//! - the README's restore manifests: `kubernetes-validate --strict` for the claim and the pods,
//!   the CRD for the VolumeSnapshotClass.
//!
//! kubernetes-validate and checkov run on every manifest, these included, in `kubernetes.rs`.

use crate::support::{manifests, postgres, sql, tools};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gen_lib::yaml::Node;
use serde_json::{Value, json};

const TARGET: &str = "dev/bill-inquiry";

/// The example's rendered target: its folder and its manifests, parsed.
struct Rendered {
    out: tempfile::TempDir,
    manifests: Vec<Value>,
}

impl Rendered {
    fn new() -> Rendered {
        let out = tools::render_example();
        let dir = out.path().join(TARGET).join("kubernetes");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let manifests = files
            .iter()
            .map(|f| {
                Node::parse(&std::fs::read_to_string(f).unwrap())
                    .unwrap()
                    .to_json()
            })
            .collect();
        Rendered { out, manifests }
    }

    /// The one object of `kind` whose name ends with `suffix`.
    fn find(&self, kind: &str, suffix: &str) -> &Value {
        let found: Vec<&Value> = self
            .manifests
            .iter()
            .filter(|o| {
                o["kind"] == kind && o["metadata"]["name"].as_str().unwrap().ends_with(suffix)
            })
            .collect();
        assert_eq!(found.len(), 1, "{kind} *{suffix}: {found:#?}");
        found[0]
    }

    fn of_kind(&self, kind: &str) -> Vec<&Value> {
        self.manifests
            .iter()
            .filter(|o| o["kind"] == kind)
            .collect()
    }

    fn readme(&self) -> String {
        std::fs::read_to_string(self.out.path().join(TARGET).join("README.md")).unwrap()
    }

    /// A script of the backup ConfigMap.
    fn script(&self, key: &str) -> String {
        self.find("ConfigMap", "-backup")["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in the backup ConfigMap"))
            .to_owned()
    }
}

/// The pod spec of a CronJob.
fn pod_spec(cron_job: &Value) -> &Value {
    &cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
}

fn set_env(env: &mut Vec<(String, String)>, name: &str, value: &str) {
    env.retain(|(n, _)| n != name);
    env.push((name.to_owned(), value.to_owned()));
}

/// A CRD of external-snapshotter in the reference data, read by PyYAML.
fn crd(file: &str) -> Value {
    crd_in("external-snapshotter-8.6.0", file)
}

/// A CRD of the reference data's `crds/<folder>`, read by PyYAML.
pub(crate) fn crd_in(folder: &str, file: &str) -> Value {
    let path = tools::reference_dir().join("crds").join(folder).join(file);
    assert!(path.exists(), "{} is missing", path.display());
    let mut documents = manifests::documents(&path);
    assert_eq!(documents.len(), 1, "{} holds one CRD", path.display());
    documents.remove(0)
}

/// What the API server checks of `metadata` in any object (the CRD's schema says only
/// `type: object`): the fields gen's objects use, nothing unknown.
fn object_meta_schema() -> Value {
    let strings = json!({"type": "object", "additionalProperties": {"type": "string"}});
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
            "namespace": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
            "creationTimestamp": {"type": "string"},
            "labels": strings,
            "annotations": strings,
        }
    })
}

/// The CRD's `openAPIV3Schema` of `version` as a JSON Schema that refuses unknown fields as
/// the API server prunes and, with `kubectl --validate=strict` (the default), refuses them:
/// every object schema with `properties` and without `x-kubernetes-preserve-unknown-fields`
/// gets `additionalProperties: false`; `x-kubernetes-int-or-string` allows both types.
pub(crate) fn structural(crd: &Value, version: &str) -> Value {
    fn walk(schema: &mut Value) {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
            map.insert("type".into(), json!(["integer", "string"]));
        }
        let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        if map.contains_key("properties") && !preserves && !map.contains_key("additionalProperties")
        {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
        for key in ["properties"] {
            if let Some(Value::Object(properties)) = map.get_mut(key) {
                properties.values_mut().for_each(walk);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(child) = map.get_mut(key) {
                walk(child);
            }
        }
    }
    let mut schema = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == version)
        .unwrap_or_else(|| panic!("no version {version}"))["schema"]["openAPIV3Schema"]
        .clone();
    walk(&mut schema);
    schema["properties"]["metadata"] = object_meta_schema();
    schema
}

/// Every CEL rule (`x-kubernetes-validations[].rule`) of a schema.
pub(crate) fn cel_rules(schema: &Value, found: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(rules)) = map.get("x-kubernetes-validations") {
                found.extend(rules.iter().map(|r| r["rule"].as_str().unwrap().to_owned()));
            }
            map.values().for_each(|v| cel_rules(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| cel_rules(v, found)),
        _ => {}
    }
}

/// The CEL rules of the VolumeSnapshot v1 schema. Those comparing with `oldSelf` hold on
/// updates only; the two others are checked by [`volume_snapshot_problems`]. A new rule in
/// the CRD fails the test until it is added here and checked.
const VOLUME_SNAPSHOT_RULES: &[&str] = &[
    "!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)",
    "!has(oldSelf.volumeSnapshotContentName) || has(self.volumeSnapshotContentName)",
    "(has(self.volumeSnapshotContentName) && !has(self.persistentVolumeClaimName)) || (!has(self.volumeSnapshotContentName) && has(self.persistentVolumeClaimName))",
    "self == oldSelf",
    "size(self) > 0",
];

/// What the API server would refuse in a new VolumeSnapshot: its schema, unknown fields
/// refused, and the CEL rules that apply on create.
fn volume_snapshot_problems(object: &Value) -> Vec<String> {
    let crd = crd("snapshot.storage.k8s.io_volumesnapshots.yaml");
    let mut rules = BTreeSet::new();
    let v1 = &crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1")
        .unwrap()["schema"];
    cel_rules(v1, &mut rules);
    let known: BTreeSet<String> = VOLUME_SNAPSHOT_RULES
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(rules, known, "the CRD's CEL rules changed: review them");
    let validator = jsonschema::validator_for(&structural(&crd, "v1")).unwrap();
    let mut problems: Vec<String> = validator
        .iter_errors(object)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    let source = &object["spec"]["source"];
    let has = |field: &str| source.get(field).is_some();
    if has("volumeSnapshotContentName") == has("persistentVolumeClaimName") {
        problems.push(
            "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set"
                .into(),
        );
    }
    if object["spec"]["volumeSnapshotClassName"] == "" {
        problems.push("volumeSnapshotClassName must not be the empty string when set".into());
    }
    if object["apiVersion"] != "snapshot.storage.k8s.io/v1" || object["kind"] != "VolumeSnapshot" {
        problems.push("not a snapshot.storage.k8s.io/v1 VolumeSnapshot".into());
    }
    problems
}

/// A stub `kubectl` for the snapshot script's OWN logic only (its waiting, its choice of what
/// to delete, the verbs it uses): no API server runs here. It records every call, saves what
/// `create -f -` receives, answers the first `get` with "not ready" and an error message and
/// the next ones with "ready", and lists `existing.json` plus the created snapshot. What the
/// script creates is checked against the real CRD, not against this stub.
const STUB_KUBECTL: &str = r#"#!/bin/bash
set -euo pipefail
printf '%s\n' "$*" >>"$STUB_DIR/calls"
case "$*" in
  *" create -f -")
    cat >"$STUB_DIR/created.json"
    echo "volumesnapshot.snapshot.storage.k8s.io/$(jq -r .metadata.name "$STUB_DIR/created.json") created" ;;
  *" get volumesnapshot "*" -o jsonpath="*)
    if [ -e "$STUB_DIR/asked" ]; then printf 'true\t'; else : >"$STUB_DIR/asked"; printf 'false\tsnapshot not cut yet'; fi ;;
  *" get volumesnapshots -l "*" -o json")
    jq --slurpfile new "$STUB_DIR/created.json" \
      '.items += [$new[0] | .metadata.creationTimestamp = "2030-01-01T03:00:00Z" | .status = {readyToUse: true, restoreSize: "20Gi"}]' \
      "$STUB_DIR/existing.json" ;;
  *" delete volumesnapshot "*" --wait=false")
    echo "volumesnapshot.snapshot.storage.k8s.io \"${*: -2:1}\" deleted" ;;
  *) echo "stub kubectl: unexpected call: $*" >&2; exit 1 ;;
esac
"#;

/// A VolumeSnapshot as the API server lists it.
fn listed_snapshot(name: &str, claim: &str, created: &str, ready: bool, labels: &Value) -> Value {
    json!({
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshot",
        "metadata": {"name": name, "namespace": "phonebill-dev", "labels": labels, "creationTimestamp": created},
        "spec": {"volumeSnapshotClassName": "csi-azuredisk-vsc", "source": {"persistentVolumeClaimName": claim}},
        "status": {"readyToUse": ready, "restoreSize": "20Gi", "creationTime": created, "boundVolumeSnapshotContentName": format!("snapcontent-{name}")}
    })
}

#[test]
fn the_snapshot_script_creates_a_valid_volume_snapshot_and_deletes_only_the_oldest_beyond_keep() {
    let rendered = Rendered::new();
    let cron_job = rendered.find("CronJob", "-snap");
    let spec = pod_spec(cron_job);
    let container = &spec["containers"][0];
    assert_eq!(
        container["command"],
        json!(["/bin/bash", "/scripts/snapshot.sh"])
    );
    let mut env = manifests::env_of(container);
    let get = |env: &[(String, String)], name: &str| {
        env.iter().find(|(n, _)| n == name).unwrap().1.clone()
    };
    let claim = get(&env, "CLAIM");
    assert_eq!(claim, "data-postgresql-bill-inquiry-0");
    assert_eq!(get(&env, "KEEP"), "7", "the example keeps a week");
    let labels: Value = serde_json::from_str(&get(&env, "SNAPSHOT_LABELS")).unwrap();
    let prefix = get(&env, "SNAPSHOT_PREFIX");

    // Existing snapshots: nine ready ones of this claim (days 1..9), an older one that never
    // became ready, and two of another claim with the same labels.
    let keep = 3;
    let mut items = Vec::new();
    let name = |day: u32| format!("{prefix}202901{day:02}-030000");
    for day in 1..=9 {
        items.push(listed_snapshot(
            &name(day),
            &claim,
            &format!("2029-01-{day:02}T03:00:00Z"),
            true,
            &labels,
        ));
    }
    items.push(listed_snapshot(
        "pending",
        &claim,
        "2028-12-31T03:00:00Z",
        false,
        &labels,
    ));
    for other in ["other-1", "other-2"] {
        items.push(listed_snapshot(
            other,
            "data-other-0",
            "2020-01-01T00:00:00Z",
            true,
            &labels,
        ));
    }
    for item in &items {
        let problems = volume_snapshot_problems(item);
        assert!(
            problems.is_empty(),
            "the fixture is not what the API server lists: {problems:?}"
        );
    }

    let stub = tempfile::tempdir().unwrap();
    let kubectl = stub.path().join("kubectl");
    std::fs::write(&kubectl, STUB_KUBECTL).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&kubectl)
        .status()
        .unwrap();
    std::fs::write(
        stub.path().join("existing.json"),
        serde_json::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
            .unwrap(),
    )
    .unwrap();
    set_env(&mut env, "KEEP", &keep.to_string());
    set_env(&mut env, "POLL_SECONDS", "0");
    let output = Command::new("bash")
        .arg("-c")
        .arg(rendered.script("snapshot.sh"))
        .env_clear()
        .envs(env.iter().cloned())
        .env("PATH", format!("{}:/usr/bin:/bin", stub.path().display()))
        .env("STUB_DIR", stub.path())
        .output()
        .unwrap();
    let log = sql::output_text(&output);
    assert!(
        output.status.success(),
        "the snapshot script failed:\n{log}"
    );
    assert!(
        log.contains("warning: VolumeSnapshot") && log.contains("snapshot not cut yet"),
        "{log}"
    );
    assert!(
        log.contains("VolumeSnapshot pending is not ready to use; it is kept"),
        "{log}"
    );

    // What it created is a VolumeSnapshot the API server accepts, of the claim, in the class.
    let created: Value =
        serde_json::from_str(&std::fs::read_to_string(stub.path().join("created.json")).unwrap())
            .unwrap();
    let problems = volume_snapshot_problems(&created);
    assert!(problems.is_empty(), "{problems:?}\n{created:#}");
    assert_eq!(
        created["spec"]["source"]["persistentVolumeClaimName"],
        json!(claim)
    );
    assert_eq!(
        created["spec"]["volumeSnapshotClassName"],
        "csi-azuredisk-vsc"
    );
    assert_eq!(created["metadata"]["labels"], labels);
    assert_eq!(
        created["metadata"]["namespace"],
        cron_job["metadata"]["namespace"]
    );

    // Kept: the new one and the two newest before it. Deleted: days 1 to 7, nothing else.
    let calls = std::fs::read_to_string(stub.path().join("calls")).unwrap();
    let deleted: Vec<String> = calls
        .lines()
        .filter_map(|c| c.split(" delete volumesnapshot ").nth(1))
        .map(|rest| rest.trim_end_matches(" --wait=false").to_owned())
        .collect();
    let expected: Vec<String> = (1..=7).rev().map(name).collect();
    assert_eq!(deleted, expected, "{log}");
    // A negative control: a failed wait deletes nothing.
    let invalid = json!({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": "x", "namespace": "phonebill-dev"},
        "spec": {"source": {"persistentVolumeClaimName": "c"}, "snapshotClass": "typo"}});
    assert!(
        !volume_snapshot_problems(&invalid).is_empty(),
        "an unknown field must be refused"
    );

    // Every call is a verb of the Role, on volumesnapshots, in the namespace.
    let role = rendered.find("Role", "-snap");
    let granted: BTreeSet<&str> = role["rules"][0]["verbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for call in calls.lines() {
        let words: Vec<&str> = call.split(' ').collect();
        assert_eq!(&words[..2], ["-n", "phonebill-dev"], "{call}");
        let verb = match (words[2], words.get(3).copied()) {
            ("create", _) => "create",
            ("get", Some("volumesnapshot")) => "get",
            ("get", Some("volumesnapshots")) => "list",
            ("delete", Some("volumesnapshot")) => "delete",
            _ => panic!("unexpected kubectl call: {call}"),
        };
        assert!(
            granted.contains(verb),
            "{call} needs {verb}, which the Role does not grant"
        );
    }
}

#[test]
fn the_snapshot_rbac_is_namespaced_and_minimal() {
    let rendered = Rendered::new();
    for kind in ["ClusterRole", "ClusterRoleBinding"] {
        assert!(rendered.of_kind(kind).is_empty(), "gen renders no {kind}");
    }
    let roles = rendered.of_kind("Role");
    assert_eq!(roles.len(), 1, "one Role: the snapshot CronJob's");
    let role = roles[0];
    let namespace = role["metadata"]["namespace"].as_str().unwrap();
    assert_eq!(
        role["rules"],
        json!([{
            "apiGroups": ["snapshot.storage.k8s.io"],
            "resources": ["volumesnapshots"],
            "verbs": ["create", "get", "list", "delete"],
        }]),
        "only VolumeSnapshots, only these verbs, no resourceNames wildcard or subresource"
    );
    let name = role["metadata"]["name"].as_str().unwrap();
    let binding = rendered.find("RoleBinding", "-snap");
    assert_eq!(binding["metadata"]["namespace"], namespace);
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": name, "namespace": namespace}])
    );
    let account = rendered.find("ServiceAccount", "-snap");
    assert_eq!(account["automountServiceAccountToken"], false);
    // Only the snapshot CronJob runs as it, and it mounts a token that expires.
    for object in &rendered.manifests {
        let spec = match object["kind"].as_str().unwrap() {
            "CronJob" => pod_spec(object),
            "Job" | "StatefulSet" => &object["spec"]["template"]["spec"],
            _ => continue,
        };
        assert_eq!(
            spec["automountServiceAccountToken"], false,
            "{}",
            object["metadata"]["name"]
        );
        let uses_it = spec["serviceAccountName"] == name;
        assert_eq!(
            uses_it,
            object == rendered.find("CronJob", "-snap"),
            "{}",
            object["metadata"]["name"]
        );
    }
    let cron_job = rendered.find("CronJob", "-snap");
    let api = pod_spec(cron_job)["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "api")
        .unwrap();
    assert_eq!(
        api["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
        3600
    );
}

#[test]
fn the_backup_cronjobs_run_one_at_a_time_under_the_restricted_pod_security() {
    let rendered = Rendered::new();
    let cron_jobs = rendered.of_kind("CronJob");
    assert_eq!(cron_jobs.len(), 2, "the example has snapshots and dumps");
    for cron_job in cron_jobs {
        let name = cron_job["metadata"]["name"].as_str().unwrap();
        assert!(
            name.len() <= 52,
            "{name}: a CronJob name has at most 52 characters"
        );
        let spec = &cron_job["spec"];
        assert_eq!(spec["concurrencyPolicy"], "Forbid", "{name}");
        assert_eq!(spec["timeZone"], "Asia/Seoul", "{name}");
        assert!(spec["startingDeadlineSeconds"].as_u64().is_some(), "{name}");
        assert!(
            spec["jobTemplate"]["spec"]["backoffLimit"]
                .as_u64()
                .is_some(),
            "{name}"
        );
        let pod = pod_spec(cron_job);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
            "{name}"
        );
        for container in pod["containers"].as_array().unwrap() {
            let security = &container["securityContext"];
            assert_eq!(security["readOnlyRootFilesystem"], true, "{name}");
            assert_eq!(security["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(security["capabilities"]["drop"], json!(["ALL"]), "{name}");
            assert!(
                container["resources"]["limits"]["memory"].is_string(),
                "{name}"
            );
        }
        // Each backup pod is selected by a NetworkPolicy of its own.
        let labels = &spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"];
        let policies: Vec<&Value> = rendered
            .of_kind("NetworkPolicy")
            .into_iter()
            .filter(|p| {
                p["spec"]["podSelector"]["matchLabels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| &labels[k] == v)
            })
            .collect();
        assert_eq!(policies.len(), 1, "{name}: {policies:#?}");
        assert_eq!(policies[0]["spec"]["ingress"], json!([]), "{name}");
    }
}

/// Runs a backup script of the ConfigMap as the dump CronJob's pod does: bash, its env, its
/// mounts moved under `work`.
fn run_dump_script(
    script: &str,
    env: &[(String, String)],
    work: &Path,
    args: &[&str],
) -> Result<String, String> {
    let script = script
        .replace("/secrets/", &format!("{}/", work.join("secrets").display()))
        .replace("/tls/", &format!("{}/", work.join("tls").display()));
    let output = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("restore-dump.sh")
        .args(args)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", postgres::PG_BIN))
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    sql::outcome(&output)
}

/// A server with the example's database, as the schema Job leaves it, and the password of
/// its superuser (made up for this run).
pub(crate) fn server_with_the_example() -> (postgres::TestServer, String) {
    let server = postgres::TestServer::start();
    let scripts = sql::example_scripts(TARGET);
    let app = sql::made_up_password("bill-inquiry-app");
    let monitor = sql::made_up_password("bill-inquiry-monitor");
    sql::run_all(&server.admin_psql(), &scripts, &[&app, &monitor]);
    let admin = sql::made_up_password("backup-admin");
    server.admin_query(&format!("ALTER ROLE postgres PASSWORD '{admin}'"));
    (server, admin)
}

/// A `globals.sql` of `pg_dumpall --globals-only --no-role-passwords` of the example: its
/// roles, and no password or verifier of theirs.
pub(crate) fn assert_roles_without_passwords(globals_sql: &Path) {
    let globals = std::fs::read_to_string(globals_sql).unwrap();
    assert!(
        globals.contains("CREATE ROLE bill_inquiry_app"),
        "{globals}"
    );
    assert!(
        !globals.contains("PASSWORD") && !globals.contains("SCRAM-SHA-256$"),
        "no password in globals.sql"
    );
}

#[test]
fn the_dump_cronjob_dumps_keeps_its_newest_and_the_readme_restore_test_restores_them_on_postgresql_15()
 {
    let rendered = Rendered::new();
    let cron_job = rendered.find("CronJob", "-dump");
    let container = &pod_spec(cron_job)["containers"][0];
    assert_eq!(
        container["command"],
        json!(["/bin/bash", "/scripts/dump.sh"])
    );
    let (server, admin) = server_with_the_example();
    let work = tempfile::tempdir().unwrap();
    for dir in ["secrets", "tls", "backups"] {
        std::fs::create_dir(work.path().join(dir)).unwrap();
    }
    std::fs::write(work.path().join("secrets/postgres-password"), &admin).unwrap();
    std::fs::copy(server.tls_certificate(), work.path().join("tls/ca.crt")).unwrap();
    let backups = work.path().join("backups");
    let mut env = manifests::env_of(container);
    set_env(&mut env, "PGHOST", "localhost");
    set_env(&mut env, "PGPORT", &server.port().to_string());
    set_env(&mut env, "BACKUP_DIR", backups.to_str().unwrap());
    set_env(&mut env, "KEEP", "2");
    // A dump a failed run left behind is cleared.
    std::fs::create_dir(backups.join(".partial-20000101T000000Z")).unwrap();

    let dump = rendered.script("dump.sh");
    let mut logs = String::new();
    for run in 0..3 {
        if run > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        logs.push_str(
            &run_dump_script(&dump, &env, work.path(), &[])
                .unwrap_or_else(|log| panic!("dump.sh failed:\n{log}")),
        );
    }
    assert!(
        !logs.contains("warning: Secret"),
        "the CA was used (verify-full): {logs}"
    );
    let mut kept: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 2, "KEEP=2 after three runs: {kept:?}\n{logs}");
    assert!(logs.contains("removing dump"), "{logs}");
    for dump in &kept {
        for file in ["database.dump", "globals.sql", "contents.txt"] {
            assert!(backups.join(dump).join(file).is_file(), "{dump}/{file}");
        }
    }
    assert_roles_without_passwords(&backups.join(&kept[1]).join("globals.sql"));

    // The README's restore test: the newest dump into the scratch database, counts compared.
    let restore = rendered.script("restore-dump.sh");
    let log = run_dump_script(&restore, &env, work.path(), &[])
        .unwrap_or_else(|log| panic!("restore-dump.sh failed:\n{log}"));
    assert!(
        log.contains("restore test passed: ")
            && log.contains(&format!("tables restored from {}", kept[1])),
        "{log}"
    );
    let rows: Vec<(&str, &str, &str)> = log
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            (cells.len() == 3 && cells[0].contains('.')).then(|| (cells[0], cells[1], cells[2]))
        })
        .collect();
    assert!(rows.len() >= 5, "every table of the example: {log}");
    for (table, dumped, live) in &rows {
        assert_eq!(dumped, live, "{table}: nothing was written since the dump");
        let counted = sql::query_in(
            &server,
            "bill_inquiry_db",
            &format!("SELECT count(*) FROM {table}"),
        );
        assert_eq!(counted.trim(), *live, "{table}");
    }
    assert!(
        rows.contains(&("public.system_config", "3", "3")),
        "{rows:?}"
    );
    assert_eq!(
        server
            .admin_query("SELECT count(*) FROM pg_database WHERE datname = 'restore_test'")
            .trim(),
        "0",
        "the scratch database is dropped"
    );
    // A named dump that is not there stops the test.
    let missing = run_dump_script(&restore, &env, work.path(), &["19990101T000000Z"]).unwrap_err();
    assert!(missing.contains("holds no database.dump"), "{missing}");
}

/// The postgres system user's uid and gid (the tests run as root; PostgreSQL refuses root).
fn postgres_ids() -> Option<(String, String)> {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if !root {
        return None;
    }
    let uid = String::from_utf8(
        Command::new("id")
            .args(["-u", "postgres"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let gid = String::from_utf8(
        Command::new("id")
            .args(["-g", "postgres"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    Some((uid.trim().to_owned(), gid.trim().to_owned()))
}

/// `cmd` as the postgres user when we are root, else as we are (no fork: its pid is the
/// program's).
fn as_postgres(program: &str) -> Command {
    match postgres_ids() {
        Some((uid, gid)) => {
            let mut cmd = Command::new("setpriv");
            cmd.args(["--reuid", &uid, "--regid", &gid, "--init-groups", program]);
            cmd
        }
        None => Command::new(program),
    }
}

/// Kills the scratch server when the test ends, passed or not.
struct Scratch(std::process::Child);

impl Drop for Scratch {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown.
        interrupt(self.0.id());
        let _ = self.0.wait();
    }
}

fn interrupt(pid: u32) {
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
}

#[test]
fn a_snapshot_restored_into_the_scratch_pod_answers_the_readme_restore_test() {
    let rendered = Rendered::new();
    let readme = rendered.readme();
    let (server, _) = server_with_the_example();
    let pg_ctl = format!("{}/pg_ctl", postgres::PG_BIN);

    // A crash-consistent copy of the data directory, as a disk snapshot of the running pod
    // is: the server stopped in immediate mode (no shutdown checkpoint), the directory
    // copied with the lock file the running server had (a snapshot keeps it), and the test's
    // server started again.
    // The test server commits asynchronously; this commit waits for its WAL, and so for
    // the seed's before it, to reach the files a snapshot copies.
    sql::query_in(
        &server,
        "bill_inquiry_db",
        "SET synchronous_commit = on; INSERT INTO system_config (config_key, config_value, description, config_type) VALUES ('restore.test', '1', 'written just before the snapshot', 'INTEGER')",
    );
    let data = server.data_dir();
    let lock = std::fs::read(data.join("postmaster.pid")).unwrap();
    let stopped = as_postgres(&pg_ctl)
        .args(["stop", "-m", "immediate", "-w", "-D"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("data");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&data)
            .arg(&copy)
            .status()
            .unwrap()
            .success()
    );
    // The process it names runs in the database pod, not in the scratch pod: here, a pid
    // no Linux process can have.
    let lock = String::from_utf8(lock).unwrap();
    let (_, rest) = lock.split_once('\n').unwrap();
    std::fs::write(copy.join("postmaster.pid"), format!("{}\n{rest}", i32::MAX)).unwrap();
    let socket = work.path().join("socket");
    std::fs::create_dir(&socket).unwrap();
    if let Some((uid, gid)) = postgres_ids() {
        for path in [work.path(), socket.as_path()] {
            Command::new("chown")
                .arg(format!("{uid}:{gid}"))
                .arg(path)
                .status()
                .unwrap();
        }
    }
    let restarted = as_postgres(&pg_ctl)
        .args(["start", "-w", "-D"])
        .arg(&data)
        .arg("-l")
        .arg(work.path().join("restarted.log"))
        .arg("-o")
        .arg(format!("-p {}", server.port()))
        .current_dir("/")
        .output()
        .unwrap();
    assert!(
        restarted.status.success(),
        "{}",
        String::from_utf8_lossy(&restarted.stderr)
    );

    // The scratch pod's script, with the pod's env but this test's directories and a free port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let log = std::fs::File::create(work.path().join("scratch.log")).unwrap();
    let child = as_postgres("/bin/bash")
        .arg("-c")
        .arg(rendered.script("restore-postgres.sh"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", postgres::PG_BIN))
        .env("PGDATA", &copy)
        .env("PGHOST", &socket)
        .env("PGPORT", &port)
        .current_dir("/")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _scratch = Scratch(child);
    let ready = (0..120).any(|_| {
        let ok = Command::new(format!("{}/pg_isready", postgres::PG_BIN))
            .args(["-q", "-h"])
            .arg(&socket)
            .args(["-p", &port])
            .status()
            .unwrap()
            .success();
        if !ok {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        ok
    });
    let scratch_log =
        || std::fs::read_to_string(work.path().join("scratch.log")).unwrap_or_default();
    assert!(
        ready,
        "the scratch server did not start:\n{}",
        scratch_log()
    );
    assert!(
        scratch_log().contains("database system was not properly shut down"),
        "{}",
        scratch_log()
    );

    // The README's restore test, run where `kubectl exec` runs it: each command after `--`,
    // with the pod's PGHOST, PGPORT and PGUSER; it prints what the comment above it says.
    let section = &readme[readme
        .find("**Restore test.**")
        .expect("the README has the restore test")..];
    let section = &section[..section.find("```\n\n").unwrap()];
    let mut checked = 0;
    let mut expected: Option<String> = None;
    for line in section.lines() {
        if let Some(prints) = line
            .strip_prefix("# ")
            .and_then(|c| c.split(": prints ").nth(1))
        {
            expected = Some(prints.trim_end_matches('.').to_owned());
            continue;
        }
        let Some((_, command)) = line.split_once(" exec postgresql-bill-inquiry-restore -- ")
        else {
            continue;
        };
        let output = Command::new("bash")
            .arg("-c")
            .arg(command)
            .env("PATH", format!("{}:/usr/bin:/bin", postgres::PG_BIN))
            .env("PGHOST", &socket)
            .env("PGPORT", &port)
            .env("PGUSER", "postgres")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{command}:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(expected) = expected.take() {
            assert_eq!(stdout.trim(), expected, "{command}");
        } else {
            assert!(stdout.contains("system_config"), "{command}:\n{stdout}");
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "the README's restore test commands were not found:\n{section}"
    );
    // The last commit before the snapshot came back through WAL replay.
    let replayed = Command::new(format!("{}/psql", postgres::PG_BIN))
        .args([
            "-X",
            "-At",
            "-d",
            "bill_inquiry_db",
            "-c",
            "SELECT description FROM system_config WHERE config_key = 'restore.test'",
        ])
        .env("PGHOST", &socket)
        .env("PGPORT", &port)
        .env("PGUSER", "postgres")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&replayed.stdout).trim(),
        "written just before the snapshot"
    );
}

/// The YAML documents of the README's `<<'EOF'` heredocs, with the `sed` placeholders filled.
fn readme_heredocs(readme: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.ends_with("<<'EOF'") || line.contains("<<'EOF' |") => {
                current = Some(String::new())
            }
            None => {}
            Some(doc) if line == "EOF" => {
                docs.push(
                    doc.replace("@CLAIM@", "restored")
                        .replace("@SNAPSHOT@", "postgresql-bill-inquiry-20290101-030000"),
                );
                current = None;
            }
            Some(doc) => {
                doc.push_str(line);
                doc.push('\n');
            }
        }
    }
    docs
}

#[test]
fn the_readme_restore_manifests_pass_kubernetes_validate_strict_and_the_crd() {
    let rendered = Rendered::new();
    let docs = readme_heredocs(&rendered.readme());
    let work = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut kinds = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let object = Node::parse(doc).unwrap().to_json();
        let kind = object["kind"].as_str().unwrap().to_owned();
        if kind == "VolumeSnapshotClass" {
            let crd = crd("snapshot.storage.k8s.io_volumesnapshotclasses.yaml");
            let validator = jsonschema::validator_for(&structural(&crd, "v1")).unwrap();
            let problems: Vec<String> = validator
                .iter_errors(&object)
                .map(|e| e.to_string())
                .collect();
            assert!(problems.is_empty(), "{problems:?}\n{doc}");
            assert_eq!(object["driver"], "disk.csi.azure.com");
        } else {
            let file = work.path().join(format!("{i}.yaml"));
            std::fs::write(&file, doc).unwrap();
            files.push(file);
        }
        kinds.push(kind);
    }
    assert_eq!(
        kinds,
        [
            "VolumeSnapshotClass",
            "PersistentVolumeClaim",
            "Pod",
            "PersistentVolumeClaim",
            "Pod"
        ],
        "the class, the restored claim and its scratch pod, the claim put back, the dump helper pod"
    );
    let output = Command::new(tools::venv_bin("kubernetes-validate"))
        .args(["--strict", "-k", "1.30.0"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "kubernetes-validate:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The restored claim comes from a VolumeSnapshot of the snapshot API group.
    let claim = Node::parse(&docs[1]).unwrap().to_json();
    assert_eq!(
        claim["spec"]["dataSource"],
        json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "postgresql-bill-inquiry-20290101-030000"})
    );
}

/// The example with `backup` replaced by `with` (an empty text removes it): the kinds of its
/// dev manifests and its README.
fn variant(with: &str) -> (Vec<String>, String) {
    const BACKUP: &str = "      backup:\n        timeZone: Asia/Seoul\n        snapshots:\n          schedule: \"0 3 * * *\"\n          keep: 7\n          snapshotClass: csi-azuredisk-vsc\n        dumps: { schedule: \"30 3 * * *\", keep: 7, storage: { size: 10Gi } }\n";
    let work = tempfile::tempdir().unwrap();
    let inputs = crate::support::harness::edited_example(
        work.path(),
        &[("services/bill-inquiry.yaml", BACKUP, with)],
    );
    let files = gen_lib::app::render_folder(&inputs).unwrap();
    let mut kinds = Vec::new();
    let mut readme = String::new();
    for (path, bytes) in files {
        let text = String::from_utf8(bytes).unwrap();
        if path.starts_with("dev/bill-inquiry/kubernetes/") {
            kinds.push(
                Node::parse(&text).unwrap().to_json()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        } else if path == "dev/bill-inquiry/README.md" {
            readme = text;
        }
    }
    kinds.sort();
    (kinds, readme)
}

#[test]
fn each_kind_of_backup_renders_only_its_own_objects_and_none_renders_nothing() {
    let count = |kinds: &[String], kind: &str| kinds.iter().filter(|k| *k == kind).count();
    let (none, readme) = variant("");
    assert_eq!(
        count(&none, "CronJob") + count(&none, "Role") + count(&none, "PersistentVolumeClaim"),
        0
    );
    assert!(
        readme.contains("No backup is rendered") && !readme.contains("## 8. Backups"),
        "{readme}"
    );

    let (snapshots, readme) = variant("      backup:\n        snapshots: {}\n");
    assert_eq!(
        (
            count(&snapshots, "CronJob"),
            count(&snapshots, "Role"),
            count(&snapshots, "RoleBinding"),
            count(&snapshots, "PersistentVolumeClaim")
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(
        snapshots.len(),
        none.len() + 6,
        "NetworkPolicy, ServiceAccount, Role, RoleBinding, ConfigMap, CronJob"
    );
    assert!(
        readme.contains("### Snapshots of the data volume")
            && !readme.contains("### Logical dumps")
    );
    assert!(
        readme.contains("schedule `0 3 * * *` (the controller's time zone, UTC on AKS)"),
        "the defaults: {readme}"
    );
    assert!(!readme.contains("No backup is rendered"));

    let (dumps, readme) = variant(
        "      backup:\n        dumps: { storage: { size: 5Gi, storageClass: managed-csi } }\n",
    );
    assert_eq!(
        (
            count(&dumps, "CronJob"),
            count(&dumps, "Role"),
            count(&dumps, "PersistentVolumeClaim")
        ),
        (1, 0, 1)
    );
    assert_eq!(
        dumps.len(),
        none.len() + 5,
        "two NetworkPolicies, ConfigMap, PersistentVolumeClaim, CronJob"
    );
    assert!(readme.contains("### Logical dumps") && !readme.contains("### Snapshots"));
    assert!(readme.contains("| PersistentVolumeClaim (dumps) | `postgresql-bill-inquiry-dumps` | 5Gi, storage class `managed-csi`"), "{readme}");

    // An empty backup section asks for nothing.
    let (empty, _) = variant("      backup: {}\n");
    assert_eq!(empty, none);
}

/// The drills' row-count script (`ROW_COUNTS_SQL`) on the example database: one line per
/// permanent table, `schema.table|rows` with the names quoted where they need it, in byte order;
/// a partitioned table once with all its rows (its partitions not again), unlogged tables left
/// out; a count that moves when a row is added (so a `diff` of two runs shows it); and a table
/// the role cannot read stops it with an error (psql with ON_ERROR_STOP exits non-zero)
/// instead of dropping out of the list.
#[test]
fn the_drills_row_count_query_lists_every_table_with_its_rows() {
    let (server, _) = server_with_the_example();
    let run = |server: &postgres::TestServer, role: Option<&str>| {
        let mut command = server.admin_psql();
        if let Some(role) = role {
            command.env("PGOPTIONS", format!("-c role={role}"));
        }
        command
            .args(["-d", "bill_inquiry_db", "-q", "-At", "-c"])
            .arg(gen_lib::render::ROW_COUNTS_SQL)
            .output()
            .unwrap()
    };
    let counts = |server: &postgres::TestServer| -> String {
        let output = run(server, None);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let psql = |sql: &str| {
        let status = server
            .admin_psql()
            .args(["-d", "bill_inquiry_db", "-c", sql])
            .status()
            .unwrap();
        assert!(status.success(), "{sql}");
    };
    psql(
        "CREATE SCHEMA \"odd schema\"; CREATE TABLE \"odd schema\".\"x|y\" (id int); INSERT INTO \"odd schema\".\"x|y\" VALUES (1), (2)",
    );
    psql(
        "CREATE TABLE public.parted (id int) PARTITION BY RANGE (id); CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES FROM (0) TO (10); CREATE TABLE public.parted_2 PARTITION OF public.parted FOR VALUES FROM (10) TO (20); INSERT INTO public.parted SELECT g FROM generate_series(0, 19) g",
    );
    psql("CREATE UNLOGGED TABLE public.scratch (id int); INSERT INTO public.scratch VALUES (1)");
    let before = counts(&server);
    let lines: Vec<&str> = before.lines().collect();
    assert!(lines.contains(&"\"odd schema\".\"x|y\"|2"), "{before}");
    assert!(lines.contains(&"public.parted|20"), "{before}");
    assert!(
        !before.contains("parted_1") && !before.contains("public.scratch"),
        "{before}"
    );
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "not in byte order");
    assert!(
        lines
            .iter()
            .all(|l| l.rsplit('|').next().unwrap().parse::<u64>().is_ok()),
        "{before}"
    );
    psql("INSERT INTO \"odd schema\".\"x|y\" VALUES (3)");
    let after = counts(&server);
    assert!(after.contains("\"odd schema\".\"x|y\"|3"), "{after}");
    assert_eq!(before.lines().count(), after.lines().count());
    psql("CREATE ROLE drill_reader; GRANT USAGE ON SCHEMA \"odd schema\" TO drill_reader");
    let refused = run(&server, Some("drill_reader"));
    assert!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("permission denied"),
        "a table the role cannot read must stop the count: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
}
