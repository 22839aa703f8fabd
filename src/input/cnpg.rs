//! Input types of the `cnpg` platform: the CloudNativePG operator's environment
//! (`cnpg:` in an environment file) and one service's `Cluster`
//! (`deployments.<env>.cluster`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ContainerImage, PodSelector, Resources, ScalarValue};

/// The AKS cluster, namespace and operator an environment's CloudNativePG clusters use.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CnpgEnvironment {
    /// AKS cluster name.
    pub cluster: String,
    /// Resource group of the AKS cluster.
    pub resource_group: String,
    /// Namespace every database of this environment runs in.
    pub namespace: String,
    /// Whether gen owns the namespace (default `false`), as on `aks`.
    pub manage_namespace: Option<bool>,
    /// Storage class of the data and WAL volume claims.
    pub storage_class: String,
    /// PostgreSQL operand image: a `minimal` or `standard` image of
    /// `ghcr.io/cloudnative-pg/postgresql`, tag `<major>.<minor>-<flavour>-<os>`.
    pub image: ContainerImage,
    /// Pods allowed to connect to the databases.
    pub clients: PodSelector,
    /// Namespace of the Prometheus scraper allowed to reach the exporters (default
    /// `kube-system`, where Azure Monitor's ama-metrics runs).
    pub monitoring_namespace: Option<String>,
    /// Namespace of the operator and of the Barman Cloud plugin (default `cnpg-system`).
    pub operator_namespace: Option<String>,
    /// Azure Blob container the clusters archive WAL and base backups to; required when a
    /// deployment asks for backups.
    pub backup_store: Option<BackupStore>,
}

/// An Azure Blob Storage container for Barman Cloud.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupStore {
    /// `https://<account>.blob.core.windows.net/<container>`; each environment writes under
    /// `/<env>` and each cluster under its own name there.
    pub destination: String,
    /// How the instances' Barman Cloud sidecar signs in to the storage account.
    pub credentials: BackupCredentials,
}

/// Exactly one way of signing in to the storage account.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupCredentials {
    /// AKS Workload Identity: the client ID of a user-assigned managed identity with
    /// `Storage Blob Data Contributor` on the container, federated with each cluster's
    /// ServiceAccount.
    pub workload_identity_client_id: Option<String>,
    /// An existing Secret with the keys `AZURE_STORAGE_ACCOUNT` and `AZURE_STORAGE_KEY`.
    pub account_key_secret: Option<String>,
}

/// A CloudNativePG `Cluster`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterDeployment {
    /// Cluster name (DNS-1035 label, at most 50 characters); pods are `<name>-<n>`, the
    /// primary's Service `<name>-rw`.
    pub name: String,
    /// PostgreSQL instances: one primary and `instances - 1` streaming replicas.
    pub instances: u32,
    /// CPU and memory of each instance's `postgres` container.
    pub resources: Resources,
    /// Data volume of each instance.
    pub storage: ClusterStorage,
    /// A separate WAL volume of each instance; can be added later, never removed.
    pub wal_storage: Option<ClusterStorage>,
    /// `postgresql.conf` parameters; the ones the operator fixes are refused.
    #[serde(default)]
    pub parameters: BTreeMap<String, ScalarValue>,
    /// Synchronous replication (quorum, `ANY n`); none by default.
    pub synchronous: Option<Synchronous>,
    /// Where instances may run.
    pub affinity: Option<Affinity>,
    /// Server certificates from cert-manager; default the operator's own CA.
    pub tls: Option<ClusterTls>,
    /// Continuous backup (WAL archive and base backups) to the environment's backup store.
    pub backup: Option<ClusterBackup>,
    /// A PgBouncer pooler in front of the primary.
    pub pooler: Option<PoolerDeployment>,
}

/// A volume of each instance.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterStorage {
    /// Size, e.g. `20Gi`; it may grow, never shrink.
    pub size: String,
    /// StorageClass; default the environment's `cnpg.storageClass`.
    pub storage_class: Option<String>,
}

/// Synchronous replication.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Synchronous {
    /// Standbys that must confirm each commit; less than `instances`.
    pub number: u32,
    /// `required` (writes wait while too few standbys are up) or `preferred` (default: the
    /// count shrinks to the healthy standbys).
    pub data_durability: Option<DataDurability>,
}

/// What happens when fewer standbys than `number` are up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DataDurability {
    /// Writes wait (no committed transaction is ever lost).
    Required,
    /// Writes go on with the standbys that are up.
    Preferred,
}

/// Pod placement.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Affinity {
    /// Node label the instances spread over, e.g. `topology.kubernetes.io/zone`; default
    /// `kubernetes.io/hostname`.
    pub topology_key: Option<String>,
    /// `true`: an instance stays Pending rather than share a topology domain; default `false`.
    pub required: Option<bool>,
    /// Node labels the instances' nodes must carry.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
}

/// Server certificates issued by cert-manager (or any issuer writing `kubernetes.io/tls`
/// Secrets with `ca.crt`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterTls {
    /// Existing `kubernetes.io/tls` Secret with the server certificate and `ca.crt`; its
    /// names must cover `<name>-rw.<namespace>.svc.cluster.local`.
    pub server_secret: String,
}

/// Continuous backup.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterBackup {
    /// Base backups, five cron fields read in UTC (the operator's time zone); default
    /// `"0 3 * * *"`.
    pub schedule: Option<String>,
    /// Recovery window kept: `<n>d`, `<n>w` or `<n>m`, e.g. `30d` (the default).
    pub retention: Option<String>,
}

/// A PgBouncer pooler.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolerDeployment {
    /// PgBouncer pods; default 2.
    pub instances: Option<u32>,
    /// `session` or `transaction` (default).
    pub pool_mode: Option<PoolMode>,
    /// PgBouncer settings the operator lets users set, e.g. `max_client_conn`.
    #[serde(default)]
    pub parameters: BTreeMap<String, ScalarValue>,
}

/// PgBouncer's pool mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PoolMode {
    /// A server connection per client connection.
    Session,
    /// A server connection per transaction.
    Transaction,
}
