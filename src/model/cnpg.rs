//! The cnpg platform: the operator an environment uses and the CloudNativePG `Cluster` of
//! each target, with the name of every object the operator and gen create for it.

use std::collections::BTreeMap;

use crate::input;
use crate::model::aks::{
    CLIENT_LABEL_PREFIX, DEFAULT_MONITORING_NAMESPACE, Image, Limits, Quantities, Resources,
};
use crate::model::cnpg_facts::{self, DEFAULT_OPERATOR_NAMESPACE};
use crate::model::database::{Scalar, scalars};

/// The base backup schedule when the design names none: daily at 03:00 UTC.
pub const DEFAULT_BACKUP_SCHEDULE: &str = "0 3 * * *";

/// The recovery window kept when the design names none.
pub const DEFAULT_RETENTION: &str = "30d";

/// PgBouncer pods when the design names no number: two, so a drain keeps one.
pub const DEFAULT_POOLER_INSTANCES: u32 = 2;

/// The cluster settings of a cnpg environment, defaults applied.
#[derive(Debug, Clone)]
pub struct Cnpg {
    /// AKS cluster name.
    pub cluster: String,
    /// Resource group of the AKS cluster.
    pub resource_group: String,
    /// Namespace of every database of the environment.
    pub namespace: String,
    /// Whether gen renders the Namespace.
    pub manage_namespace: bool,
    /// Default storage class of the volumes.
    pub storage_class: String,
    /// PostgreSQL operand image.
    pub image: Image,
    /// Major, flavour and OS read from the image tag (validation requires the form).
    pub major: u32,
    /// Labels of the pods allowed to connect.
    pub clients: BTreeMap<String, String>,
    /// Namespace of the Prometheus scraper.
    pub monitoring_namespace: String,
    /// Namespace of the operator and the Barman Cloud plugin.
    pub operator_namespace: String,
    /// The backup store, when the environment has one.
    pub backup_store: Option<BackupStore>,
}

/// An Azure Blob container for Barman Cloud.
#[derive(Debug, Clone)]
pub struct BackupStore {
    /// `https://<account>.blob.core.windows.net/<container>`, without a trailing `/`.
    pub destination: String,
    /// How the sidecar signs in.
    pub credentials: Credentials,
}

/// How the Barman Cloud sidecar signs in to the storage account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// AKS Workload Identity with this managed identity's client ID.
    WorkloadIdentity {
        /// Client ID of the user-assigned managed identity.
        client_id: String,
    },
    /// A Secret with `AZURE_STORAGE_ACCOUNT` and `AZURE_STORAGE_KEY`.
    Secret {
        /// The Secret's name.
        name: String,
    },
}

impl Credentials {
    /// The managed identity's client ID, with Workload Identity.
    pub fn workload_identity_client_id(&self) -> Option<&str> {
        match self {
            Credentials::WorkloadIdentity { client_id } => Some(client_id),
            Credentials::Secret { .. } => None,
        }
    }

    /// The storage-key Secret's name, without Workload Identity.
    pub fn secret(&self) -> Option<&str> {
        match self {
            Credentials::WorkloadIdentity { .. } => None,
            Credentials::Secret { name } => Some(name),
        }
    }
}

/// One CloudNativePG cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Cluster name.
    pub name: String,
    /// Names of every object of the target.
    pub names: ClusterNames,
    /// Instances.
    pub instances: u32,
    /// CPU and memory of the `postgres` container.
    pub resources: Resources,
    /// Data volume.
    pub storage: Volume,
    /// WAL volume, when separate.
    pub wal_storage: Option<Volume>,
    /// `postgresql.conf` parameters of the design.
    pub parameters: BTreeMap<String, Scalar>,
    /// Synchronous replication: number of standbys and `required`/`preferred`.
    pub synchronous: Option<(u32, &'static str)>,
    /// Pod placement.
    pub affinity: Affinity,
    /// cert-manager Secret of the server certificate, else the operator's own CA.
    pub tls_secret: Option<String>,
    /// Continuous backup.
    pub backup: Option<ClusterBackup>,
    /// PgBouncer pooler.
    pub pooler: Option<Pooler>,
}

/// A volume of each instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Size.
    pub size: String,
    /// StorageClass.
    pub storage_class: String,
}

/// Pod placement.
#[derive(Debug, Clone)]
pub struct Affinity {
    /// Node label the instances spread over.
    pub topology_key: String,
    /// `required` or `preferred` anti-affinity.
    pub anti_affinity: &'static str,
    /// Node labels the instances' nodes carry.
    pub node_selector: BTreeMap<String, String>,
}

/// Continuous backup of one cluster.
#[derive(Debug, Clone)]
pub struct ClusterBackup {
    /// The design's five cron fields (UTC).
    pub schedule: String,
    /// The operator's six fields: seconds first.
    pub operator_schedule: String,
    /// Recovery window, e.g. `30d`.
    pub retention: String,
    /// `destinationPath` of the ObjectStore: the store's container, then `/<env>`.
    pub destination_path: String,
    /// The folder under `destination_path` (the plugin's `serverName`): the cluster's name and
    /// the major, `<name>-pg<major>`, so that a major upgrade archives into a new folder, as the
    /// operator's upgrade guide asks (pg_upgrade makes a new system; docs/src/postgres_upgrades.md).
    pub server_name: String,
    /// How the sidecar signs in.
    pub credentials: Credentials,
}

/// A PgBouncer pooler in front of the primary.
#[derive(Debug, Clone)]
pub struct Pooler {
    /// Pooler name, which is also its Service's.
    pub name: String,
    /// PgBouncer pods.
    pub instances: u32,
    /// `session` or `transaction`.
    pub pool_mode: &'static str,
    /// PgBouncer settings: the design's, and `client_tls_sslmode: require` unless it sets one
    /// (PgBouncer's default, `prefer`, admits clients without TLS).
    pub parameters: BTreeMap<String, String>,
    /// Every name a client may use for the pooler's Service, shortest first: the server
    /// certificate must cover them for `sslmode=verify-full`.
    pub certificate_names: Vec<String>,
}

/// The PgBouncer setting that makes the pooler refuse clients without TLS, and its value.
pub const POOLER_CLIENT_TLS: (&str, &str) = ("client_tls_sslmode", "require");

/// `name`, `name.namespace`, `name.namespace.svc` and the full name of a Service.
fn service_names(name: &str, namespace: &str) -> Vec<String> {
    vec![
        name.to_owned(),
        format!("{name}.{namespace}"),
        format!("{name}.{namespace}.svc"),
        format!("{name}.{namespace}.svc.cluster.local"),
    ]
}

/// Names of the objects of a cnpg target: the ones the operator makes and the ones gen
/// renders. The README names them as the manifests and alerts do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterNames {
    /// The primary's Service (`<name>-rw`).
    pub rw_service: String,
    /// The replicas' Service (`<name>-ro`).
    pub ro_service: String,
    /// Full DNS name of the primary's Service.
    pub rw_host: String,
    /// The superuser's Secret the operator makes (`<name>-superuser`, basic-auth).
    pub superuser_secret: String,
    /// The operator's CA Secret (`<name>-ca`), which verifies the server certificate.
    pub ca_secret: String,
    /// ConfigMap with the psql scripts.
    pub schema_config_map: String,
    /// ServiceAccount of the schema Job (not the cluster's: that one may read its Secrets).
    pub schema_service_account: String,
    /// NetworkPolicy of the schema Job.
    pub schema_network_policy: String,
    /// The schema Job's name up to its hash.
    pub job_prefix: String,
    /// ObjectStore of the Barman Cloud plugin.
    pub object_store: String,
    /// ScheduledBackup of the base backups.
    pub scheduled_backup: String,
    /// The pods' names `<name>-1` … in the order the operator creates them.
    pub pods: Vec<String>,
    /// Managed Prometheus rule group of the target's alerts.
    pub rule_group: String,
    /// The label key a client pod carries, with value `"true"`.
    pub client_label: String,
    /// NetworkPolicy of the pooler's pods.
    pub pooler_network_policy: String,
}

impl ClusterNames {
    fn of(name: &str, namespace: &str, instances: u32) -> ClusterNames {
        let rw_service = format!("{name}-rw");
        ClusterNames {
            rw_host: format!("{rw_service}.{namespace}.svc.cluster.local"),
            rw_service,
            ro_service: format!("{name}-ro"),
            superuser_secret: format!("{name}-superuser"),
            ca_secret: format!("{name}-ca"),
            schema_config_map: format!("{name}-schema"),
            schema_service_account: format!("{name}-schema"),
            schema_network_policy: format!("{name}-schema"),
            job_prefix: format!("{name}-schema-"),
            object_store: format!("{name}-backup"),
            scheduled_backup: format!("{name}-daily"),
            pods: (1..=instances).map(|n| format!("{name}-{n}")).collect(),
            rule_group: crate::model::rule_group_name(name),
            client_label: format!("{CLIENT_LABEL_PREFIX}{name}"),
            pooler_network_policy: format!("{name}-pooler"),
        }
    }
}

/// The operator settings of a cnpg environment, defaults applied.
pub fn environment(cnpg: &input::CnpgEnvironment) -> Cnpg {
    Cnpg {
        cluster: cnpg.cluster.clone(),
        resource_group: cnpg.resource_group.clone(),
        namespace: cnpg.namespace.clone(),
        manage_namespace: cnpg.manage_namespace.unwrap_or(false),
        storage_class: cnpg.storage_class.clone(),
        image: Image::from(&cnpg.image),
        // Validation refuses a tag without its major.
        major: cnpg_facts::image_tag_parts(&cnpg.image.tag).map_or(0, |(major, ..)| major),
        clients: cnpg.clients.match_labels.clone(),
        monitoring_namespace: cnpg
            .monitoring_namespace
            .clone()
            .unwrap_or_else(|| DEFAULT_MONITORING_NAMESPACE.to_owned()),
        operator_namespace: cnpg
            .operator_namespace
            .clone()
            .unwrap_or_else(|| DEFAULT_OPERATOR_NAMESPACE.to_owned()),
        backup_store: cnpg.backup_store.as_ref().map(|store| BackupStore {
            destination: store.destination.trim_end_matches('/').to_owned(),
            credentials: match (
                &store.credentials.workload_identity_client_id,
                &store.credentials.account_key_secret,
            ) {
                (Some(client_id), _) => Credentials::WorkloadIdentity {
                    client_id: client_id.clone(),
                },
                (None, Some(name)) => Credentials::Secret { name: name.clone() },
                (None, None) => unreachable!("validation requires one kind of credentials"),
            },
        }),
    }
}

fn volume(storage: &input::ClusterStorage, cnpg: &Cnpg) -> Volume {
    Volume {
        size: storage.size.clone(),
        storage_class: storage
            .storage_class
            .clone()
            .unwrap_or_else(|| cnpg.storage_class.clone()),
    }
}

/// The Cluster of one cnpg target in environment `env` of the operator `cnpg`.
pub fn cluster(cluster: &input::ClusterDeployment, cnpg: &Cnpg, env: &str) -> Cluster {
    let name = cluster.name.clone();
    let backup = match (&cluster.backup, &cnpg.backup_store) {
        (Some(backup), Some(store)) => {
            let schedule = backup
                .schedule
                .clone()
                .unwrap_or_else(|| DEFAULT_BACKUP_SCHEDULE.to_owned());
            Some(ClusterBackup {
                operator_schedule: format!("0 {schedule}"),
                schedule,
                retention: backup
                    .retention
                    .clone()
                    .unwrap_or_else(|| DEFAULT_RETENTION.to_owned()),
                destination_path: format!("{}/{env}", store.destination),
                server_name: format!("{name}-pg{}", cnpg.major),
                credentials: store.credentials.clone(),
            })
        }
        _ => None,
    };
    let affinity = cluster.affinity.as_ref();
    Cluster {
        names: ClusterNames::of(&name, &cnpg.namespace, cluster.instances),
        instances: cluster.instances,
        resources: Resources {
            requests: Quantities::from(&cluster.resources.requests),
            limits: Limits {
                cpu: cluster.resources.limits.cpu.clone(),
                memory: cluster.resources.limits.memory.clone(),
            },
        },
        storage: volume(&cluster.storage, cnpg),
        wal_storage: cluster.wal_storage.as_ref().map(|w| volume(w, cnpg)),
        parameters: scalars(&cluster.parameters),
        synchronous: cluster.synchronous.as_ref().map(|s| {
            (
                s.number,
                match s.data_durability {
                    Some(input::DataDurability::Required) => "required",
                    _ => "preferred",
                },
            )
        }),
        affinity: Affinity {
            topology_key: affinity
                .and_then(|a| a.topology_key.clone())
                .unwrap_or_else(|| "kubernetes.io/hostname".to_owned()),
            anti_affinity: if affinity.and_then(|a| a.required) == Some(true) {
                "required"
            } else {
                "preferred"
            },
            node_selector: affinity
                .map(|a| a.node_selector.clone())
                .unwrap_or_default(),
        },
        tls_secret: cluster.tls.as_ref().map(|t| t.server_secret.clone()),
        backup,
        pooler: cluster.pooler.as_ref().map(|p| {
            let pooler_name = format!("{name}-pooler");
            let mut parameters: BTreeMap<String, String> = scalars(&p.parameters)
                .iter()
                .map(|(k, v)| (k.clone(), v.to_text()))
                .collect();
            parameters
                .entry(POOLER_CLIENT_TLS.0.to_owned())
                .or_insert_with(|| POOLER_CLIENT_TLS.1.to_owned());
            Pooler {
                certificate_names: service_names(&pooler_name, &cnpg.namespace),
                name: pooler_name,
                instances: p.instances.unwrap_or(DEFAULT_POOLER_INSTANCES),
                pool_mode: match p.pool_mode {
                    Some(input::PoolMode::Session) => "session",
                    _ => "transaction",
                },
                parameters,
            }
        }),
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_operators_conventions() {
        let names = ClusterNames::of("bill-db", "pb", 3);
        assert_eq!(names.rw_host, "bill-db-rw.pb.svc.cluster.local");
        assert_eq!(names.superuser_secret, "bill-db-superuser");
        assert_eq!(names.ca_secret, "bill-db-ca");
        assert_eq!(names.pods, ["bill-db-1", "bill-db-2", "bill-db-3"]);
    }
}
