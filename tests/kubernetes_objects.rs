//! The AKS target's objects read as the API server reads them (gen's own YAML reader, no
//! cluster): what a second `kubectl apply` may change, and which pods each NetworkPolicy
//! admits.

use crate::support::harness;

use std::collections::BTreeMap;
use std::path::Path;

use gen_lib::model::STATEFUL_SET_IMMUTABLE_FIELDS;
use gen_lib::yaml::Node;
use serde_json::Value;

/// Every rendered Kubernetes object of an inputs folder, by output path.
fn objects(inputs: &Path) -> BTreeMap<String, Value> {
    let files = gen_lib::app::render_folder(inputs).unwrap_or_else(|e| panic!("{e}"));
    files
        .into_iter()
        .filter(|(path, _)| path.contains("/kubernetes/"))
        .map(|(path, bytes)| {
            let text = String::from_utf8(bytes).unwrap();
            let value = Node::parse(&text)
                .unwrap_or_else(|e| panic!("{path}: {e:?}"))
                .to_json();
            (path, value)
        })
        .collect()
}

/// The objects of one kind.
fn of_kind<'a>(objects: &'a BTreeMap<String, Value>, kind: &str) -> Vec<(&'a str, &'a Value)> {
    objects
        .iter()
        .filter(|(_, o)| o["kind"] == kind)
        .map(|(path, o)| (path.as_str(), o))
        .collect()
}

/// The example rendered from a copy with `edits` applied.
fn edited(edits: &[(&str, &str, &str)]) -> BTreeMap<String, Value> {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), edits);
    objects(&inputs)
}

/// A new image tag, a changed project label and a new one must apply in place: the
/// StatefulSet's immutable fields (the table in `src/model/aks.rs`) stay byte for byte
/// the same, so `kubectl apply` is not refused with `spec: Forbidden`.
#[test]
fn a_new_image_tag_or_project_label_leaves_the_immutable_fields_alone() {
    let before = edited(&[]);
    let after = edited(&[
        (
            "environments/dev.yaml",
            "tag: \"14\"",
            "tag: \"14.13.0-debian-12-r3\"",
        ),
        (
            "project.yaml",
            "  owner: phonebill-platform\n",
            "  owner: phonebill-billing\n  cost-center: cc-4711\n",
        ),
    ]);
    let sets = |objects: &BTreeMap<String, Value>| -> Vec<(String, Value)> {
        of_kind(objects, "StatefulSet")
            .into_iter()
            .map(|(p, o)| (p.to_owned(), o.clone()))
            .collect()
    };
    let (before, after) = (sets(&before), sets(&after));
    assert!(!before.is_empty(), "the example renders no StatefulSet");
    assert_eq!(before.len(), after.len());
    for ((path, old), (_, new)) in before.iter().zip(&after) {
        // The edit did reach the StatefulSet: its mutable parts changed.
        assert_ne!(
            old["spec"]["template"], new["spec"]["template"],
            "{path}: the edits changed nothing"
        );
        for field in STATEFUL_SET_IMMUTABLE_FIELDS {
            let (old, new) = (&old["spec"][field.field], &new["spec"][field.field]);
            assert!(!old.is_null(), "{path}: no spec.{}", field.field);
            assert_eq!(
                old, new,
                "{path}: spec.{} changed; it may depend only on {}",
                field.field, field.depends_on
            );
        }
    }
}

/// The table names every field the API server refuses to update that the rendered
/// StatefulSet sets, and only those.
#[test]
fn the_immutable_field_table_covers_the_rendered_spec() {
    const MUTABLE: &[&str] = &[
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    ];
    let objects = edited(&[]);
    for (path, set) in of_kind(&objects, "StatefulSet") {
        let rendered: Vec<&str> = set["spec"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| !MUTABLE.contains(k))
            .collect();
        let mut listed: Vec<&str> = STATEFUL_SET_IMMUTABLE_FIELDS
            .iter()
            .map(|f| f.field)
            .collect();
        listed.sort_unstable();
        let mut rendered = rendered;
        rendered.sort_unstable();
        assert_eq!(rendered, listed, "{path}");
    }
}

/// Whether a pod with `labels` is selected by the label selector `selector`.
fn selects(selector: &Value, labels: &Value) -> bool {
    assert!(
        selector.get("matchExpressions").is_none(),
        "gen renders matchLabels only: {selector}"
    );
    selector["matchLabels"]
        .as_object()
        .unwrap_or_else(|| panic!("a selector without matchLabels: {selector}"))
        .iter()
        .all(|(key, value)| labels.get(key) == Some(value))
}

/// Every pod template gen renders (the StatefulSets' and the Jobs'), with its labels and
/// the `app.kubernetes.io/instance` it belongs to.
fn pod_templates(objects: &BTreeMap<String, Value>) -> Vec<(String, &Value)> {
    let mut pods = Vec::new();
    for kind in ["StatefulSet", "Job", "CronJob"] {
        for (path, object) in of_kind(objects, kind) {
            let template = if kind == "CronJob" {
                &object["spec"]["jobTemplate"]["spec"]["template"]
            } else {
                &object["spec"]["template"]
            };
            let labels = &template["metadata"]["labels"];
            assert!(labels.is_object(), "{path}: no pod labels");
            pods.push((format!("{kind} {path}"), labels));
        }
    }
    pods
}

/// Two databases in one namespace (the example's bill-inquiry and a copy of it), so that a
/// selector one database's pods would match is seen from the other's NetworkPolicy too.
fn two_databases_in_dev() -> BTreeMap<String, Value> {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), &[]);
    let original = std::fs::read_to_string(inputs.join("services/bill-inquiry.yaml")).unwrap();
    let copy = original
        .replacen("name: bill-inquiry", "name: bill-archive", 1)
        .replace("postgresql-bill-inquiry", "postgresql-bill-archive")
        .replacen("name: bill_inquiry_db", "name: bill_archive_db", 1)
        .replace("bill_inquiry_app", "bill_archive_app")
        .replace("bill-inquiry-app-password", "bill-archive-app-password")
        .replace("bill-inquiry-db", "bill-archive-db");
    std::fs::write(inputs.join("services/bill-archive.yaml"), copy).unwrap();
    // dev's objects only: the CloudNativePG clusters of staging have their own selectors.
    let mut objects = objects(&inputs);
    objects.retain(|path, _| path.starts_with("dev/"));
    objects
}

/// A database admits on 5432 the pods of its client selector, its own schema Job and its own
/// dump CronJob: no other pod gen renders (another database, another database's Job or
/// CronJob, or itself) is one of its clients.
#[test]
fn no_pod_gen_renders_matches_a_client_selector() {
    let objects = two_databases_in_dev();
    let pods = pod_templates(&objects);
    assert_eq!(
        pods.len(),
        8,
        "two StatefulSets, two schema Jobs, two snapshot and two dump CronJobs: {pods:#?}"
    );
    let policies = of_kind(&objects, "NetworkPolicy");
    let mut client_selectors = 0;
    for (path, policy) in &policies {
        let instance = &policy["metadata"]["labels"]["app.kubernetes.io/instance"];
        for rule in policy["spec"]["ingress"].as_array().unwrap() {
            for peer in rule["from"].as_array().unwrap() {
                let Some(selector) = peer.get("podSelector") else {
                    continue;
                };
                assert!(
                    !selector["matchLabels"]
                        .as_object()
                        .is_none_or(serde_json::Map::is_empty),
                    "{path}: a podSelector that admits every pod: {selector}"
                );
                let matched: Vec<&String> = pods
                    .iter()
                    .filter(|(_, labels)| selects(selector, labels))
                    .map(|(pod, _)| pod)
                    .collect();
                // The only gen pods a database admits are its own schema Job's and backup
                // CronJob's.
                let own_job = |pod: &String| {
                    (pod.starts_with("Job ") || pod.starts_with("CronJob "))
                        && pods.iter().any(|(p, labels)| {
                            p == pod && &labels["app.kubernetes.io/instance"] == instance
                        })
                };
                match matched.as_slice() {
                    [] => client_selectors += 1,
                    [pod] if own_job(pod) => {}
                    _ => panic!("{path} admits gen's own pods {matched:?} with {selector}"),
                }
            }
        }
    }
    assert_eq!(client_selectors, 2, "one client selector per database");
}

/// The schema Job resolves the database's Service by its fully qualified name, and its
/// NetworkPolicy lets DNS (UDP and TCP 53) go to any address: on AKS node pools with
/// LocalDNS the resolver is a node-local proxy at a link-local address, which a rule naming
/// the kube-dns pods would block.
#[test]
fn the_schema_job_resolves_the_services_full_name_through_any_dns_server() {
    let objects = two_databases_in_dev();
    let jobs = of_kind(&objects, "Job");
    assert_eq!(jobs.len(), 2);
    for (path, job) in jobs {
        let namespace = job["metadata"]["namespace"].as_str().unwrap();
        let instance = job["metadata"]["labels"]["app.kubernetes.io/instance"]
            .as_str()
            .unwrap();
        let env = job["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap();
        let host = env
            .iter()
            .find(|e| e["name"] == "PGHOST")
            .map(|e| e["value"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{path}: no PGHOST"));
        assert_eq!(
            host,
            format!("{instance}.{namespace}.svc.cluster.local"),
            "{path}"
        );
        // The Service it names exists, in the Job's namespace.
        assert!(
            of_kind(&objects, "Service").iter().any(|(_, s)| {
                s["metadata"]["name"] == instance && s["metadata"]["namespace"] == namespace
            }),
            "{path}: no Service {instance}"
        );
    }
    for (path, policy) in of_kind(&objects, "NetworkPolicy") {
        if policy["metadata"]["labels"]["app.kubernetes.io/component"] != "schema" {
            continue;
        }
        let egress = policy["spec"]["egress"].as_array().unwrap();
        let dns: Vec<&Value> = egress
            .iter()
            .filter(|rule| {
                rule["ports"]
                    .as_array()
                    .is_some_and(|ports| ports.iter().any(|p| p["port"] == 53))
            })
            .collect();
        assert_eq!(dns.len(), 1, "{path}: {egress:?}");
        let protocols: Vec<&Value> = dns[0]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["protocol"])
            .collect();
        assert_eq!(protocols, ["UDP", "TCP"], "{path}");
        // No `to`: any destination, the node-local LocalDNS address included.
        assert!(
            dns[0].get("to").is_none(),
            "{path}: DNS limited to {}",
            dns[0]["to"]
        );
    }
}

/// A storage class AKS does not build in is accepted (a cluster may define it), and
/// `gen render` notes that the claim stays Pending without it; the example's
/// `managed-csi` is built in and draws no note.
#[test]
fn a_storage_class_aks_lacks_is_noted_not_refused() {
    let render = |edits: &[(&str, &str, &str)]| {
        let work = tempfile::tempdir().unwrap();
        let inputs = harness::edited_example(work.path(), edits);
        let out = work.path().join("out");
        harness::run_gen(&[
            "render",
            "--inputs",
            inputs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let example = render(&[]);
    assert_eq!(example.code, 0, "{}", example.stderr);
    assert!(
        !example.stderr.contains("storage class"),
        "{}",
        example.stderr
    );
    let custom = render(&[(
        "environments/dev.yaml",
        "storageClass: managed-csi",
        "storageClass: managed-standard",
    )]);
    assert_eq!(custom.code, 0, "{}", custom.stderr);
    assert!(
        custom.stderr.contains(
            "gen: note: dev/bill-inquiry: storage class `managed-standard` is not built into AKS (default, managed-csi, managed-csi-premium)"
        ),
        "{}",
        custom.stderr
    );
}

/// The pods of `pods` that `selector` selects, by description.
fn selected<'a>(selector: &Value, pods: &'a [(String, &Value)]) -> Vec<&'a str> {
    pods.iter()
        .filter(|(_, labels)| selects(selector, labels))
        .map(|(pod, _)| pod.as_str())
        .collect()
}

/// Each database's PodDisruptionBudget selects with the StatefulSet's own selector, and so
/// exactly its pod: neither the other database's pod nor any Job's or CronJob's.
#[test]
fn each_disruption_budget_covers_exactly_its_databases_pod() {
    let objects = two_databases_in_dev();
    let pods = pod_templates(&objects);
    let budgets = of_kind(&objects, "PodDisruptionBudget");
    let sets = of_kind(&objects, "StatefulSet");
    assert_eq!(budgets.len(), 2, "one budget per database: {budgets:#?}");
    for (path, budget) in budgets {
        assert_eq!(budget["apiVersion"], "policy/v1", "{path}");
        assert_eq!(
            budget["spec"]["maxUnavailable"], 1,
            "{path}: the chart's default"
        );
        let name = &budget["metadata"]["name"];
        let (set_path, set) = sets
            .iter()
            .find(|(_, s)| &s["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{path}: no StatefulSet named {name}"));
        assert_eq!(
            budget["spec"]["selector"], set["spec"]["selector"],
            "{path} and {set_path}"
        );
        assert_eq!(
            selected(&budget["spec"]["selector"], &pods),
            [format!("StatefulSet {set_path}")],
            "{path}"
        );
    }
}

/// Each database pod prefers (never requires) a node without another database pod gen
/// renders: its anti-affinity term selects both databases' pods and no Job's or CronJob's.
#[test]
fn database_pods_prefer_a_node_without_another_database() {
    let objects = two_databases_in_dev();
    let pods = pod_templates(&objects);
    let databases: Vec<&str> = pods
        .iter()
        .map(|(pod, _)| pod.as_str())
        .filter(|pod| pod.starts_with("StatefulSet "))
        .collect();
    assert_eq!(databases.len(), 2, "{pods:#?}");
    for (path, set) in of_kind(&objects, "StatefulSet") {
        let anti = &set["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
        assert!(
            anti.get("requiredDuringSchedulingIgnoredDuringExecution")
                .is_none(),
            "{path}: a hard anti-affinity leaves the pod Pending on a small node pool"
        );
        let terms = anti["preferredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no preferred anti-affinity"));
        assert_eq!(terms.len(), 1, "{path}");
        let term = &terms[0]["podAffinityTerm"];
        assert_eq!(term["topologyKey"], "kubernetes.io/hostname", "{path}");
        assert_eq!(selected(&term["labelSelector"], &pods), databases, "{path}");
    }
}

/// The example with every knob: each reaches the pod spec as designed, the budget allows no
/// eviction, and the container has a CPU request without a CPU limit, with checkov's
/// CPU-limit check skipped for that reason. Data checksums are on in both renders.
#[test]
fn every_stateful_set_knob_reaches_the_manifests() {
    let knobs = edited(harness::EVERY_STATEFUL_SET_KNOB);
    let example = objects(&harness::edited_example(
        tempfile::tempdir().unwrap().path(),
        &[],
    ));
    let (_, set) = of_kind(&knobs, "StatefulSet")[0];
    let pod = &set["spec"]["template"]["spec"];
    assert_eq!(pod["priorityClassName"], "database-critical");
    assert_eq!(
        pod["nodeSelector"],
        serde_json::json!({"kubernetes.azure.com/agentpool": "pgpool", "example.com/ssd": "true"})
    );
    assert_eq!(
        pod["tolerations"],
        serde_json::json!([
            {"operator": "Equal", "key": "dedicated", "value": "postgresql", "effect": "NoSchedule"},
            {"operator": "Exists", "key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "tolerationSeconds": 60},
            {"operator": "Exists", "effect": "PreferNoSchedule"}
        ])
    );
    let (_, budget) = of_kind(&knobs, "PodDisruptionBudget")[0];
    assert_eq!(budget["spec"]["maxUnavailable"], 0);
    let database = |set: &Value| set["spec"]["template"]["spec"]["containers"][0].clone();
    let resources = &database(set)["resources"];
    assert_eq!(resources["requests"]["cpu"], "500m");
    assert_eq!(resources["limits"], serde_json::json!({"memory": "2Gi"}));
    let skips = |set: &Value| -> Vec<String> {
        set["metadata"]["annotations"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        skips(set)
            .iter()
            .any(|s| s.starts_with("CKV_K8S_11=No CPU limit")),
        "{:?}",
        skips(set)
    );
    let (_, example_set) = of_kind(&example, "StatefulSet")[0];
    assert_eq!(database(example_set)["resources"]["limits"]["cpu"], "1000m");
    assert!(
        !skips(example_set)
            .iter()
            .any(|s| s.starts_with("CKV_K8S_11")),
        "a CPU limit needs no skip"
    );
    let example_pod = &example_set["spec"]["template"]["spec"];
    for absent in ["priorityClassName", "nodeSelector", "tolerations"] {
        assert!(
            example_pod.get(absent).is_none(),
            "{absent} without a design value"
        );
    }
    for set in [set, example_set] {
        let env = database(set)["env"].as_array().unwrap().clone();
        assert!(
            env.contains(
                &serde_json::json!({"name": "POSTGRESQL_INITDB_ARGS", "value": "--data-checksums"})
            ),
            "{env:#?}"
        );
    }
}
