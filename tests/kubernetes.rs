//! The AKS target, checked by the real tools: every manifest passes
//! `kubernetes-validate --strict` against Kubernetes 1.32 and 1.37 and checkov finds nothing, with
//! exactly the skips listed here; each file is one object of a known kind; the Job's
//! ConfigMap carries the SQL target's scripts byte for byte. Each check runs on the example
//! and on the example with every optional knob of the StatefulSet
//! ([`harness::EVERY_STATEFUL_SET_KNOB`]).

use crate::support::{harness, manifests, tools};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The checkov checks a manifest may skip (with a reason in a `checkov.io/skipN`
/// annotation), by object kind. A new skip fails the test until it is reviewed here.
const ALLOWED_SKIPS: &[(&str, &str)] = &[
    // The Bitnami image runs as UID 1001.
    ("StatefulSet", "CKV_K8S_40"),
    // The example pins no image digest.
    ("StatefulSet", "CKV_K8S_43"),
    ("Job", "CKV_K8S_43"),
    // The backup CronJobs' images (kubectl, PostgreSQL) have no digest in the example.
    ("CronJob", "CKV_K8S_43"),
];

/// The skip a design without a CPU limit adds: CPU limits (CKV_K8S_11) on the StatefulSet.
const NO_CPU_LIMIT_SKIP: (&str, &str) = ("StatefulSet", "CKV_K8S_11");

/// A rendered design and the checkov skips it must have.
struct Render {
    out: tempfile::TempDir,
    skips: Vec<(&'static str, &'static str)>,
}

/// The example, and the example with every optional knob of the StatefulSet.
fn renders() -> Vec<Render> {
    let work = tempfile::tempdir().unwrap();
    let knobs = harness::edited_example(work.path(), harness::EVERY_STATEFUL_SET_KNOB);
    vec![
        Render {
            out: tools::render_example(),
            skips: ALLOWED_SKIPS.to_vec(),
        },
        Render {
            out: tools::render_inputs(&knobs),
            skips: ALLOWED_SKIPS
                .iter()
                .copied()
                .chain([NO_CPU_LIMIT_SKIP])
                .collect(),
        },
    ]
}

/// Every `kubernetes/` folder of every render, with the skips of its render.
fn all_kubernetes_dirs(renders: &[Render]) -> Vec<(PathBuf, &[(&'static str, &'static str)])> {
    renders
        .iter()
        .flat_map(|r| {
            kubernetes_dirs(r.out.path())
                .into_iter()
                .map(|d| (d, r.skips.as_slice()))
        })
        .collect()
}

const KINDS: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Service",
    "PersistentVolumeClaim",
    "ObjectStore",
    "StatefulSet",
    "Cluster",
    "ScheduledBackup",
    "Pooler",
    "PodDisruptionBudget",
    "PodMonitor",
    "Job",
    "CronJob",
];

/// Kinds defined by a CRD of the reference data rather than by Kubernetes itself, with the
/// CRD's folder, file and served version: kubernetes-validate has no schema for them, so
/// `custom_resources_match_their_published_crds` checks them against the CRD.
pub(crate) const CUSTOM_KINDS: &[(&str, &str, &str, &str)] = &[
    (
        "PodMonitor",
        "azure-monitor-podmonitor",
        "podmonitors.azmonitoring.coreos.com.yaml",
        "v1",
    ),
    (
        "Cluster",
        "cloudnative-pg-1.30.0",
        "postgresql.cnpg.io_clusters.yaml",
        "v1",
    ),
    (
        "ScheduledBackup",
        "cloudnative-pg-1.30.0",
        "postgresql.cnpg.io_scheduledbackups.yaml",
        "v1",
    ),
    (
        "Pooler",
        "cloudnative-pg-1.30.0",
        "postgresql.cnpg.io_poolers.yaml",
        "v1",
    ),
    (
        "ObjectStore",
        "plugin-barman-cloud-0.14.0",
        "barmancloud.cnpg.io_objectstores.yaml",
        "v1",
    ),
];

fn is_custom_kind(file: &Path) -> bool {
    let docs = manifests::documents(file);
    CUSTOM_KINDS
        .iter()
        .any(|(kind, ..)| docs[0]["kind"] == *kind)
}

/// Every `kubernetes/` folder of the rendered example.
fn kubernetes_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for env in std::fs::read_dir(out).unwrap() {
        for service in std::fs::read_dir(env.unwrap().path()).unwrap() {
            let dir = service.unwrap().path().join("kubernetes");
            if dir.is_dir() {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    assert!(
        !dirs.is_empty(),
        "the example renders no kubernetes/ folder"
    );
    dirs
}

fn files_of(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The Kubernetes versions the manifests are validated against: the oldest AKS still
/// supports on 2026-12-04 (1.32, with long-term support until Mar 2027; 1.31's LTS ended in
/// Nov 2026, and the oldest in standard support is 1.35) and the newest AKS offers (1.37), from
/// <https://learn.microsoft.com/azure/aks/supported-kubernetes-versions> (release calendar and
/// LTS versions). Update when a version leaves support.
pub const KUBERNETES_VERSIONS: &[&str] = &["1.32.0", "1.37.0"];

#[test]
fn every_manifest_passes_kubernetes_validate_strict() {
    let renders = renders();
    for (dir, version) in all_kubernetes_dirs(&renders)
        .into_iter()
        .flat_map(|(d, _)| KUBERNETES_VERSIONS.iter().map(move |v| (d.clone(), *v)))
    {
        let files: Vec<PathBuf> = files_of(&dir)
            .into_iter()
            .filter(|f| !is_custom_kind(f))
            .collect();
        let output = Command::new(tools::venv_bin("kubernetes-validate"))
            .args(["--strict", "-k", version])
            .args(&files)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "kubernetes-validate {version} failed on {}:\n{stdout}{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let passed = stdout.lines().filter(|l| l.starts_with("INFO")).count();
        assert_eq!(passed, files.len(), "{stdout}");
    }
}

/// Every custom resource validates against its published CRD (unknown fields refused, as the
/// API server prunes them and `kubectl --validate=strict` refuses them), under the group and
/// version the CRD serves; a CRD with CEL rules fails the test until they are checked here.
#[test]
fn custom_resources_match_their_published_crds() {
    let out = tools::render_example();
    let checked = custom_resources_checked(out.path());
    for kind in [
        "PodMonitor",
        "Cluster",
        "ObjectStore",
        "ScheduledBackup",
        "Pooler",
    ] {
        assert!(checked.contains(kind), "the example renders a {kind}");
    }
}

/// Checks every custom resource of a render against its CRD (schema, unknown fields refused,
/// and the CEL rules that hold on create, `crate::cnpg::cel_problems`); the kinds checked.
pub(crate) fn custom_resources_checked(out: &Path) -> BTreeSet<&'static str> {
    use crate::kubernetes_backup::{cel_rules, crd_in, structural};
    let mut checked = BTreeSet::new();
    for file in kubernetes_dirs(out).iter().flat_map(|d| files_of(d)) {
        let object = manifests::documents(&file).remove(0);
        let Some((kind, folder, crd_file, version)) = CUSTOM_KINDS
            .iter()
            .find(|(kind, ..)| object["kind"] == *kind)
        else {
            continue;
        };
        let crd = crd_in(folder, crd_file);
        assert_eq!(crd["spec"]["names"]["kind"], *kind);
        let api_version = format!("{}/{version}", crd["spec"]["group"].as_str().unwrap());
        assert_eq!(
            object["apiVersion"],
            api_version.as_str(),
            "{}",
            file.display()
        );
        let mut rules = BTreeSet::new();
        cel_rules(&crd, &mut rules);
        let known = crate::cnpg::known_cel_rules(kind);
        assert_eq!(
            rules,
            known.iter().map(|r| r.to_string()).collect(),
            "{crd_file}: its CEL rules changed: review them in tests/cnpg.rs"
        );
        let validator = jsonschema::validator_for(&structural(&crd, version)).unwrap();
        let mut problems: Vec<String> = validator
            .iter_errors(&object)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        problems.extend(crate::cnpg::cel_problems(kind, &object));
        assert!(problems.is_empty(), "{}: {problems:#?}", file.display());
        checked.insert(*kind);
    }
    checked
}

/// The PodMonitor selects exactly the database pods (the StatefulSet's selector) by the
/// exporter's named port, in its own namespace.
#[test]
fn the_pod_monitor_scrapes_the_exporter_port_of_the_database_pods() {
    let out = tools::render_example();
    for dir in kubernetes_dirs(out.path()) {
        let objects: Vec<serde_json::Value> = files_of(&dir)
            .iter()
            .map(|f| manifests::documents(f).remove(0))
            .collect();
        let of_kind = |kind: &str| objects.iter().find(|o| o["kind"] == kind);
        if let Some(cluster) = of_kind("Cluster") {
            crate::cnpg::pod_monitors_select_the_instances_and_the_pooler(&objects, cluster);
            continue;
        }
        let (monitor, set) = (
            of_kind("PodMonitor").unwrap(),
            of_kind("StatefulSet").unwrap(),
        );
        assert_eq!(monitor["spec"]["selector"], set["spec"]["selector"]);
        assert_eq!(
            monitor["spec"]["namespaceSelector"]["matchNames"],
            serde_json::json!([set["metadata"]["namespace"]])
        );
        let endpoint = &monitor["spec"]["podMetricsEndpoints"][0];
        let exporter_ports = set["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "metrics")
            .unwrap()["ports"]
            .clone();
        assert_eq!(exporter_ports[0]["name"], endpoint["port"]);
        let annotations = &set["spec"]["template"]["metadata"]["annotations"];
        assert!(
            annotations.get("prometheus.io/scrape").is_none(),
            "a pod scraped by a PodMonitor must not be scraped again by its annotations"
        );
    }
}

#[test]
fn checkov_fails_nothing_and_skips_only_the_allowed_checks() {
    let renders = renders();
    for (dir, skips) in all_kubernetes_dirs(&renders) {
        let output = Command::new(tools::venv_bin("checkov"))
            // Run inside the folder: checkov ignores paths with a hidden component, and
            // temporary folders are `.tmpXXXX`.
            .current_dir(&dir)
            .args([
                "--framework",
                "kubernetes",
                "--skip-download",
                "-o",
                "json",
                "-d",
                ".",
            ])
            .output()
            .unwrap();
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "checkov printed no JSON ({e}):\n{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        let results = &report["results"];
        let failed = results["failed_checks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let described: Vec<String> = failed
            .iter()
            .map(|c| format!("{} {} {}", c["check_id"], c["resource"], c["file_path"]))
            .collect();
        assert!(
            failed.is_empty(),
            "checkov failed checks in {}:\n{}",
            dir.display(),
            described.join("\n")
        );
        // Guard against a vacuous pass: checkov saw every object and ran its checks.
        let summary = &report["summary"];
        assert!(
            summary["resource_count"].as_u64().unwrap_or(0) >= files_of(&dir).len() as u64
                && summary["passed"].as_u64().unwrap_or(0) > least_passed(&dir),
            "checkov checked too little in {}: {summary}",
            dir.display()
        );
        let skipped: BTreeSet<(String, String)> = results["skipped_checks"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| {
                let kind = c["resource"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap()
                    .to_owned();
                (kind, c["check_id"].as_str().unwrap().to_owned())
            })
            .collect();
        // The allowed skips of the kinds this folder holds (a cnpg folder has no StatefulSet
        // and no CronJob).
        let kinds: BTreeSet<String> = files_of(&dir)
            .iter()
            .map(|f| {
                manifests::documents(f)[0]["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let allowed: BTreeSet<(String, String)> = skips
            .iter()
            .filter(|(k, _)| kinds.contains(*k))
            .map(|(k, id)| ((*k).to_owned(), (*id).to_owned()))
            .collect();
        assert_eq!(skipped, allowed, "skipped checks in {}", dir.display());
    }
}

/// The checks checkov must pass in a folder: a StatefulSet and its pods give it over a
/// hundred; on cnpg it understands the Job, the NetworkPolicies, the ServiceAccount and the
/// ConfigMap, not the operator's kinds.
fn least_passed(dir: &Path) -> u64 {
    let has_cluster = files_of(dir)
        .iter()
        .any(|f| f.to_string_lossy().contains("-cluster-"));
    if has_cluster { 60 } else { 100 }
}

#[test]
fn every_file_is_one_object_of_a_known_kind_in_install_order() {
    let renders = renders();
    for (dir, _) in all_kubernetes_dirs(&renders) {
        let mut ranks = Vec::new();
        for file in files_of(&dir) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.ends_with(".yaml"), "{name}");
            let docs = manifests::documents(&file);
            assert_eq!(docs.len(), 1, "{name} holds {} documents", docs.len());
            let kind = docs[0]["kind"].as_str().unwrap_or_default();
            let rank = KINDS.iter().position(|k| *k == kind);
            assert!(rank.is_some(), "{name}: unknown kind `{kind}`");
            assert!(
                name.contains(&format!("-{}", kind.to_lowercase())),
                "{name} does not name its kind {kind}"
            );
            assert_ne!(kind, "Secret", "{name}: gen never renders a Secret");
            ranks.push(rank.unwrap());
        }
        let mut sorted = ranks.clone();
        sorted.sort();
        assert_eq!(
            ranks,
            sorted,
            "file names of {} do not sort in install order",
            dir.display()
        );
    }
}

#[test]
fn the_jobs_configmap_carries_the_sql_target_byte_for_byte() {
    let out = tools::render_example();
    for dir in kubernetes_dirs(out.path()) {
        let sql_dir = dir.parent().unwrap().join("sql");
        let configmap = files_of(&dir)
            .into_iter()
            .find(|f| {
                f.to_string_lossy().ends_with("-schema.yaml")
                    && f.to_string_lossy().contains("configmap")
            })
            .expect("a schema ConfigMap");
        let doc = manifests::documents(&configmap).remove(0);
        let data = doc["data"].as_object().unwrap();
        let scripts: Vec<PathBuf> = files_of(&sql_dir);
        assert_eq!(data.len(), scripts.len(), "{}", configmap.display());
        for script in scripts {
            let key = script.file_name().unwrap().to_string_lossy().into_owned();
            let expected = std::fs::read_to_string(&script).unwrap();
            assert_eq!(
                data[&key].as_str(),
                Some(expected.as_str()),
                "{key} differs from sql/{key}"
            );
        }
    }
}
