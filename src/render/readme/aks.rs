//! The aks plan (`_aks.md.j2`): the objects of the StatefulSet under the names the
//! manifests give them, and the selectors the commands use.

use serde::Serialize;

use crate::model::{
    Aks, COMPONENT_LABEL, DATABASE_COMPONENT, INSTANCE_LABEL, SCHEMA_COMPONENT, StatefulSet, Target,
};
use crate::render::kubernetes::backup::SNAPSHOT_RBAC;
use crate::render::promql::regex_quote;

#[derive(Debug, Serialize)]
pub(super) struct AksView {
    cluster: String,
    resource_group: String,
    namespace: String,
    statefulset: String,
    headless: String,
    config_map: String,
    service_host: String,
    service_host_short: String,
    /// Every name of the client Service the server certificate covers.
    certificate_names: Vec<String>,
    /// The schema Job's name up to its hash.
    job_prefix: String,
    pod: String,
    pvc: String,
    image: String,
    requests_cpu: String,
    requests_memory: String,
    /// None: no CPU limit.
    limits_cpu: Option<String>,
    limits_memory: String,
    /// `maxUnavailable` of the PodDisruptionBudget.
    max_unavailable: u32,
    /// The PriorityClass the pod names, which must exist in the cluster.
    priority_class_name: Option<String>,
    /// `key=value` of each node label the pod's node must carry.
    node_selector: Vec<String>,
    storage_size: String,
    storage_class: String,
    builtin_storage_class: bool,
    credentials_secret: String,
    tls_secret: String,
    /// The client selector, `key=value` each: the environment's `aks.clients` and the
    /// database's own client label.
    clients: Vec<String>,
    /// The same labels as pairs, for the YAML the README shows.
    client_labels: Vec<(String, String)>,
    monitoring_namespace: String,
    database_selector: String,
    job_selector: String,
    instance_selector: String,
    parameters: Vec<(String, String)>,
    /// `podannotationnamespaceregex` value that admits exactly this namespace.
    namespace_regex: String,
    /// Whether a PodMonitor makes managed Prometheus scrape the exporter (else annotations).
    pod_monitor: bool,
    /// The role the exporter logs in as.
    exporter_role: String,
    /// ConfigMap with the scripts of the pod's own containers.
    scripts_config_map: String,
    /// What section 6 deletes by the instance label after the StatefulSet.
    removed_kinds: String,
    /// (verb, resource): what applying `kubernetes/` needs in the namespace.
    apply_rights: Vec<(&'static str, String)>,
    /// Whether gen renders the Namespace (else it must exist, and step 3 checks it).
    manage_namespace: bool,
    workspace: Option<String>,
    rule_group: String,
    legacy_image: bool,
}

/// Every kind of object the target renders but the Namespace, as kubectl's fully qualified
/// resource (`<plural>.<group>`), which both `kubectl auth can-i` and `kubectl delete` take.
fn rendered_resources(set: &StatefulSet, pod_monitor: bool) -> Vec<&'static str> {
    let mut resources = vec![
        "services",
        "configmaps",
        "serviceaccounts",
        "networkpolicies.networking.k8s.io",
        "statefulsets.apps",
        "poddisruptionbudgets.policy",
        "jobs.batch",
    ];
    if pod_monitor {
        // Fully qualified: `podmonitors` alone may name monitoring.coreos.com's kind.
        resources.push("podmonitors.azmonitoring.coreos.com");
    }
    let backup = set.backup.as_deref();
    if backup.is_some_and(|b| b.dumps.is_some()) {
        resources.push("persistentvolumeclaims");
    }
    if backup.is_some() {
        resources.push("cronjobs.batch");
    }
    if backup.is_some_and(|b| b.snapshots.is_some()) {
        resources.extend([
            "roles.rbac.authorization.k8s.io",
            "rolebindings.rbac.authorization.k8s.io",
        ]);
    }
    resources
}

/// What the README removes by the instance label once the StatefulSet is gone, in
/// `kubectl delete`'s syntax: every rendered kind but the StatefulSet, the Jobs and CronJobs
/// (deleted before it) and the claims (the data stays). The Namespace stays too (shared).
fn removed_kinds(resources: &[&str]) -> String {
    const DELETED_BEFORE_OR_KEPT: &[&str] = &[
        "statefulsets.apps",
        "jobs.batch",
        "cronjobs.batch",
        "persistentvolumeclaims",
    ];
    resources
        .iter()
        .filter(|r| !DELETED_BEFORE_OR_KEPT.contains(r))
        .copied()
        .collect::<Vec<_>>()
        .join(",")
}

/// What `kubectl apply -f kubernetes/` needs in the namespace, as (verb, resource) for
/// `kubectl auth can-i`: `create` of every kind the target renders, and the verbs of the
/// snapshot Role, which Kubernetes lets only someone who holds them grant (RBAC's privilege
/// escalation prevention). The built-in `edit` and `admin` roles hold neither PodMonitors nor
/// VolumeSnapshots.
fn apply_rights(resources: &[&str], snapshots: bool) -> Vec<(&'static str, String)> {
    let mut rights: Vec<(&str, String)> = resources
        .iter()
        .map(|r| ("create", (*r).to_owned()))
        .collect();
    if snapshots {
        let (group, resource, verbs) = SNAPSHOT_RBAC;
        rights.extend(
            verbs
                .iter()
                .map(|verb| (*verb, format!("{resource}.{group}"))),
        );
    }
    rights
}

/// A regular expression matching exactly `text`.
fn regex_exactly(text: &str) -> String {
    format!("^{}$", regex_quote(text))
}

/// The aks settings of `target` as the README shows them.
pub(super) fn view(target: &Target, aks: &Aks, set: &StatefulSet) -> AksView {
    let names = &set.names;
    let instance = format!("{INSTANCE_LABEL}={}", set.name);
    let component = |value: &str| format!("{instance},{COMPONENT_LABEL}={value}");
    let resources = rendered_resources(set, aks.pod_monitor());
    AksView {
        cluster: aks.cluster.clone(),
        resource_group: aks.resource_group.clone(),
        namespace: aks.namespace.clone(),
        statefulset: set.name.clone(),
        headless: names.headless_service.clone(),
        config_map: names.config_map.clone(),
        service_host: names.service_host.clone(),
        service_host_short: names.service_host_short.clone(),
        certificate_names: names.certificate_names.clone(),
        job_prefix: names.job_prefix.clone(),
        pod: names.pod.clone(),
        pvc: names.claim.clone(),
        image: aks.image.reference.clone(),
        requests_cpu: set.resources.requests.cpu.clone(),
        requests_memory: set.resources.requests.memory.clone(),
        limits_cpu: set.resources.limits.cpu.clone(),
        limits_memory: set.resources.limits.memory.clone(),
        max_unavailable: set.max_unavailable,
        priority_class_name: set.priority_class_name.clone(),
        node_selector: set
            .node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        storage_size: set.storage_size.clone(),
        storage_class: aks.storage_class.clone(),
        builtin_storage_class: crate::model::AKS_STORAGE_CLASSES
            .contains(&aks.storage_class.as_str()),
        credentials_secret: set.credentials_secret.clone(),
        tls_secret: set.tls_secret.clone(),
        clients: aks
            .clients
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain([format!("{}=true", names.client_label)])
            .collect(),
        client_labels: aks
            .clients
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain([(names.client_label.clone(), "true".to_owned())])
            .collect(),
        monitoring_namespace: aks.monitoring_namespace.clone(),
        database_selector: component(DATABASE_COMPONENT),
        job_selector: component(SCHEMA_COMPONENT),
        instance_selector: instance,
        parameters: set
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.to_text()))
            .collect(),
        namespace_regex: regex_exactly(&aks.namespace),
        pod_monitor: aks.pod_monitor(),
        exporter_role: set.exporter.role.clone(),
        scripts_config_map: names.scripts_config_map.clone(),
        removed_kinds: removed_kinds(&resources),
        apply_rights: apply_rights(
            &resources,
            set.backup.as_deref().is_some_and(|b| b.snapshots.is_some()),
        ),
        manage_namespace: aks.manage_namespace,
        workspace: target.env.alerting.azure_monitor_workspace.clone(),
        rule_group: names.rule_group.clone(),
        legacy_image: aks.image.repository.contains("bitnamilegacy/"),
    }
}
