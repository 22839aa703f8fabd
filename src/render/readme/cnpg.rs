//! The cnpg plan (`_cnpg.md.j2`): the operator's prerequisites, the objects of the Cluster
//! under the names the manifests and the operator give them, and the commands of each step.

use serde::Serialize;

use crate::model::cnpg::{Cluster, Cnpg};
use crate::model::cnpg_facts::{
    KUBERNETES_SUPPORTED, KUBERNETES_TESTED_ONLY, LOWEST_UPGRADE_TARGET, OPERATOR_MANIFEST,
    OPERATOR_VERSION, PLUGIN_MANIFEST, PLUGIN_NAME, PLUGIN_VERSION,
};
use crate::model::{AKS_STORAGE_CLASSES, Target};

/// What `_cnpg.md.j2` reads. THESE FIELDS ARE USED BY THE TEMPLATE.
#[derive(Debug, Serialize)]
pub(super) struct CnpgView {
    cluster: String,
    resource_group: String,
    namespace: String,
    manage_namespace: bool,
    operator_namespace: String,
    monitoring_namespace: String,
    name: String,
    instances: u32,
    pods: Vec<String>,
    primary_pod: String,
    rw_service: String,
    ro_service: String,
    rw_host: String,
    superuser_secret: String,
    ca_secret: String,
    tls_secret: Option<String>,
    image: String,
    image_tag: String,
    major: u32,
    requests_cpu: String,
    requests_memory: String,
    limits_cpu: Option<String>,
    limits_memory: String,
    storage_size: String,
    storage_class: String,
    builtin_storage_class: bool,
    wal_size: Option<String>,
    wal_storage_class: Option<String>,
    synchronous: Option<String>,
    topology_key: String,
    anti_affinity: &'static str,
    parameters: Vec<(String, String)>,
    clients: Vec<String>,
    client_labels: Vec<(String, String)>,
    job_prefix: String,
    job_selector: String,
    instance_selector: String,
    object_selector: String,
    schema_config_map: String,
    pooler: Option<PoolerView>,
    backup: Option<BackupView>,
    workspace: Option<String>,
    rule_group: String,
    apply_rights: Vec<(&'static str, String)>,
    removed_kinds: String,
    operator_version: &'static str,
    operator_manifest: &'static str,
    plugin_version: &'static str,
    plugin_manifest: &'static str,
    plugin_name: &'static str,
    kubernetes_supported: &'static str,
    kubernetes_tested_only: &'static str,
    lowest_upgrade_target: u32,
    restore_name: String,
}

#[derive(Debug, Serialize)]
struct PoolerView {
    name: String,
    instances: u32,
    pool_mode: &'static str,
    host: String,
}

#[derive(Debug, Serialize)]
struct BackupView {
    object_store: String,
    scheduled_backup: String,
    schedule: String,
    retention: String,
    destination_path: String,
    server_name: String,
    workload_identity_client_id: Option<String>,
    credentials_secret: Option<String>,
    storage_account: String,
    container: String,
}

/// The kinds `kubectl apply -f kubernetes/` creates, fully qualified where a short name may
/// name another group's kind.
fn rendered_resources(cluster: &Cluster) -> Vec<&'static str> {
    let mut resources = vec![
        "networkpolicies.networking.k8s.io",
        "serviceaccounts",
        "configmaps",
        "clusters.postgresql.cnpg.io",
        "podmonitors.azmonitoring.coreos.com",
        "jobs.batch",
    ];
    if cluster.backup.is_some() {
        resources.extend([
            "objectstores.barmancloud.cnpg.io",
            "scheduledbackups.postgresql.cnpg.io",
        ]);
    }
    if cluster.pooler.is_some() {
        resources.push("poolers.postgresql.cnpg.io");
    }
    resources
}

/// `https://<account>.blob.core.windows.net/<container>/<env>` → (account, container).
fn account_and_container(destination: &str) -> (String, String) {
    let rest = destination.strip_prefix("https://").unwrap_or(destination);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let account = host.split('.').next().unwrap_or_default();
    let container = path.split('/').next().unwrap_or_default();
    (account.to_owned(), container.to_owned())
}

pub(super) fn view(target: &Target, cnpg: &Cnpg, cluster: &Cluster) -> CnpgView {
    let names = &cluster.names;
    let instance = format!("app.kubernetes.io/instance={}", cluster.name);
    let resources = rendered_resources(cluster);
    CnpgView {
        cluster: cnpg.cluster.clone(),
        resource_group: cnpg.resource_group.clone(),
        namespace: cnpg.namespace.clone(),
        manage_namespace: cnpg.manage_namespace,
        operator_namespace: cnpg.operator_namespace.clone(),
        monitoring_namespace: cnpg.monitoring_namespace.clone(),
        name: cluster.name.clone(),
        instances: cluster.instances,
        pods: names.pods.clone(),
        primary_pod: names.pods[0].clone(),
        rw_service: names.rw_service.clone(),
        ro_service: names.ro_service.clone(),
        rw_host: names.rw_host.clone(),
        superuser_secret: names.superuser_secret.clone(),
        ca_secret: cluster
            .tls_secret
            .clone()
            .unwrap_or_else(|| names.ca_secret.clone()),
        tls_secret: cluster.tls_secret.clone(),
        image: cnpg.image.reference.clone(),
        image_tag: cnpg.image.tag.clone(),
        major: cnpg.major,
        requests_cpu: cluster.resources.requests.cpu.clone(),
        requests_memory: cluster.resources.requests.memory.clone(),
        limits_cpu: cluster.resources.limits.cpu.clone(),
        limits_memory: cluster.resources.limits.memory.clone(),
        storage_size: cluster.storage.size.clone(),
        storage_class: cluster.storage.storage_class.clone(),
        builtin_storage_class: AKS_STORAGE_CLASSES
            .contains(&cluster.storage.storage_class.as_str()),
        wal_size: cluster.wal_storage.as_ref().map(|w| w.size.clone()),
        wal_storage_class: cluster
            .wal_storage
            .as_ref()
            .map(|w| w.storage_class.clone()),
        synchronous: cluster
            .synchronous
            .map(|(number, durability)| format!("ANY {number}, dataDurability {durability}")),
        topology_key: cluster.affinity.topology_key.clone(),
        anti_affinity: cluster.affinity.anti_affinity,
        parameters: cluster
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.to_text()))
            .collect(),
        clients: cnpg
            .clients
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain([format!("{}=true", names.client_label)])
            .collect(),
        client_labels: cnpg
            .clients
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain([(names.client_label.clone(), "true".to_owned())])
            .collect(),
        job_prefix: names.job_prefix.clone(),
        job_selector: format!("{instance},app.kubernetes.io/component=schema"),
        instance_selector: format!("cnpg.io/cluster={},cnpg.io/podRole=instance", cluster.name),
        object_selector: instance,
        schema_config_map: names.schema_config_map.clone(),
        pooler: cluster.pooler.as_ref().map(|p| PoolerView {
            name: p.name.clone(),
            instances: p.instances,
            pool_mode: p.pool_mode,
            host: format!("{}.{}.svc.cluster.local", p.name, cnpg.namespace),
        }),
        backup: cluster.backup.as_ref().map(|b| {
            let (storage_account, container) = account_and_container(&b.destination_path);
            BackupView {
                object_store: names.object_store.clone(),
                scheduled_backup: names.scheduled_backup.clone(),
                schedule: b.schedule.clone(),
                retention: b.retention.clone(),
                destination_path: b.destination_path.clone(),
                server_name: b.server_name.clone(),
                workload_identity_client_id: b
                    .credentials
                    .workload_identity_client_id()
                    .map(str::to_owned),
                credentials_secret: b.credentials.secret().map(str::to_owned),
                storage_account,
                container,
            }
        }),
        workspace: target.env.alerting.azure_monitor_workspace.clone(),
        rule_group: names.rule_group.clone(),
        apply_rights: resources
            .iter()
            .map(|r| ("create", (*r).to_owned()))
            .collect(),
        removed_kinds: resources
            .iter()
            .filter(|r| !["clusters.postgresql.cnpg.io", "jobs.batch"].contains(r))
            .copied()
            .collect::<Vec<_>>()
            .join(","),
        operator_version: OPERATOR_VERSION,
        operator_manifest: OPERATOR_MANIFEST,
        plugin_version: PLUGIN_VERSION,
        plugin_manifest: PLUGIN_MANIFEST,
        plugin_name: PLUGIN_NAME,
        kubernetes_supported: KUBERNETES_SUPPORTED,
        kubernetes_tested_only: KUBERNETES_TESTED_ONLY,
        lowest_upgrade_target: LOWEST_UPGRADE_TARGET,
        restore_name: format!("{}-restore", cluster.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_and_container_come_from_the_destination() {
        assert_eq!(
            account_and_container("https://acct.blob.core.windows.net/pg/staging"),
            ("acct".to_owned(), "pg".to_owned())
        );
    }
}
