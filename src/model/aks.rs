//! The aks platform: the cluster an environment uses and the StatefulSet of each target,
//! with the name of every object the target creates.

use std::collections::BTreeMap;

use crate::input;
use crate::model::backup::{self, Backup, DEFAULT_KUBECTL};
use crate::model::database::{Scalar, scalars};

/// The exporter sidecar when the environment names none (upstream image; the Bitnami one
/// left docker.io/bitnami).
const DEFAULT_EXPORTER: (&str, &str) = ("quay.io/prometheuscommunity/postgres-exporter", "v0.17.1");

/// Where Azure Monitor's ama-metrics runs, which scrapes the exporter unless the
/// environment names another scraper's namespace.
const DEFAULT_MONITORING_NAMESPACE: &str = "kube-system";

/// `maxUnavailable` of the PodDisruptionBudget when the design sets none: the Bitnami chart's
/// (bitnami/charts bitnami/postgresql/templates/primary/pdb.yaml: `maxUnavailable` is
/// `primary.pdb.maxUnavailable | default 1` when no `minAvailable` is given). One eviction at a
/// time lets a node drain move the single pod instead of blocking.
pub const DEFAULT_MAX_UNAVAILABLE: u32 = 1;

/// The volumeClaimTemplate of the StatefulSet: its claims are `data-<pod>`.
pub const DATA_VOLUME: &str = "data";

/// The label whose value is the StatefulSet's name on every object of a target: the
/// manifests set it and the install plan's commands select by it.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// The label telling the database pods from the schema Job's.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// [`COMPONENT_LABEL`] of the database pods.
pub const DATABASE_COMPONENT: &str = "database";

/// [`COMPONENT_LABEL`] of the schema Job's pods.
pub const SCHEMA_COMPONENT: &str = "schema";

/// The storage classes every AKS cluster has for Azure Disks (the Azure Disk CSI driver):
/// `default` and `managed-csi` (Standard SSD), `managed-csi-premium` (Premium SSD). Source:
/// "Built-in storage classes for dynamic PVs with Azure Disks",
/// <https://learn.microsoft.com/azure/aks/create-volume-azure-disk>. Other classes (Premium
/// SSD v2, Ultra Disk, a class of one's own) are accepted: the cluster must define them.
pub const AKS_STORAGE_CLASSES: &[&str] = &["default", "managed-csi", "managed-csi-premium"];

/// The key of the label, with value `"true"`, that makes a pod a client of one database:
/// `postgresql.gen/client-of-<StatefulSet name>` (at most 57 characters after the `/`, under
/// the 63 of a label name). The design's `aks.clients` labels narrow it further. gen puts it
/// on none of its own pods, so no database and no schema Job is a client of a database.
pub const CLIENT_LABEL_PREFIX: &str = "postgresql.gen/client-of-";

/// The prefix of gen's own label keys, which a project label may not use (it would put the
/// client label on gen's pods).
pub const GEN_LABEL_PREFIX: &str = "postgresql.gen";

/// A field of a StatefulSet's `spec` that the API server never lets an update change: only
/// `replicas`, `ordinals`, `template`, `updateStrategy`, `revisionHistoryLimit`,
/// `persistentVolumeClaimRetentionPolicy` and `minReadySeconds` may change, any other change
/// is refused with "spec: Forbidden: updates to statefulset spec for fields other than ...
/// are forbidden" (source: kubernetes/kubernetes, pkg/apis/apps/validation/validation.go,
/// `ValidateStatefulSetUpdate`; the StatefulSetSpec reference,
/// <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/stateful-set-v1/>).
#[derive(Debug, Clone, Copy)]
pub struct ImmutableField {
    /// The key under the StatefulSet's `spec`.
    pub field: &'static str,
    /// The only design values the rendered field may read: a change of any of them needs a
    /// new StatefulSet, so nothing else (the image tag, the project's labels) may reach it.
    pub depends_on: &'static str,
}

/// The immutable fields of [`ImmutableField`] that the StatefulSet gen renders sets. A test
/// renders the example twice, with another image tag and other project labels, and finds
/// each of them byte for byte the same.
pub const STATEFUL_SET_IMMUTABLE_FIELDS: &[ImmutableField] = &[
    ImmutableField {
        field: "selector",
        depends_on: "`statefulSet.name`",
    },
    ImmutableField {
        field: "serviceName",
        depends_on: "`statefulSet.name`",
    },
    ImmutableField {
        field: "podManagementPolicy",
        depends_on: "nothing (always `OrderedReady`)",
    },
    ImmutableField {
        field: "volumeClaimTemplates",
        depends_on: "`statefulSet.name`, `statefulSet.storage.size` and `aks.storageClass`",
    },
];

/// The AKS cluster and namespace an environment's databases run in.
#[derive(Debug, Clone)]
pub struct Aks {
    /// AKS cluster name.
    pub cluster: String,
    /// Resource group of the cluster.
    pub resource_group: String,
    /// Namespace every database of this environment runs in.
    pub namespace: String,
    /// Whether gen renders the Namespace (`aks.manageNamespace`, default `false`).
    pub manage_namespace: bool,
    /// Storage class of the data volume claims.
    pub storage_class: String,
    /// PostgreSQL container image.
    pub image: Image,
    /// postgres_exporter sidecar image, the default one when the environment names none.
    pub exporter_image: Image,
    /// Labels of the pods allowed to connect.
    pub clients: BTreeMap<String, String>,
    /// Namespace of the Prometheus scraper allowed to reach the exporter.
    pub monitoring_namespace: String,
    /// kubectl image of the snapshot CronJob, the default one when the environment names none.
    pub kubectl_image: Image,
}

/// A container image and the reference a pod spec pulls it by.
#[derive(Debug, Clone)]
pub struct Image {
    /// Repository, e.g. `docker.io/bitnamilegacy/postgresql`.
    pub repository: String,
    /// Tag.
    pub tag: String,
    /// Digest pinning the exact image, when given.
    pub digest: Option<String>,
    /// `repository:tag`, with `@digest` when pinned.
    pub reference: String,
}

impl Image {
    fn new(repository: &str, tag: &str, digest: Option<&str>) -> Image {
        let reference = match digest {
            Some(digest) => format!("{repository}:{tag}@{digest}"),
            None => format!("{repository}:{tag}"),
        };
        Image {
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            digest: digest.map(str::to_owned),
            reference,
        }
    }

    /// Whether a digest fixes the exact image.
    pub fn pinned(&self) -> bool {
        self.digest.is_some()
    }
}

impl From<&input::ContainerImage> for Image {
    fn from(image: &input::ContainerImage) -> Image {
        Image::new(&image.repository, &image.tag, image.digest.as_deref())
    }
}

/// An in-cluster PostgreSQL.
#[derive(Debug, Clone)]
pub struct StatefulSet {
    /// StatefulSet name, which the client Service, the ServiceAccount and the
    /// NetworkPolicy share.
    pub name: String,
    /// Names of every object derived from `name`.
    pub names: ObjectNames,
    /// CPU and memory.
    pub resources: Resources,
    /// Size of the data volume, e.g. `20Gi`.
    pub storage_size: String,
    /// Existing Secret holding `postgres-password` and one key per role password secret.
    pub credentials_secret: String,
    /// Existing `kubernetes.io/tls` Secret with the server certificate.
    pub tls_secret: String,
    /// `postgresql.conf` parameters.
    pub parameters: BTreeMap<String, Scalar>,
    /// Scheduled backups, when the design asks for any.
    pub backup: Option<Box<Backup>>,
    /// `maxUnavailable` of the PodDisruptionBudget ([`DEFAULT_MAX_UNAVAILABLE`] by default).
    pub max_unavailable: u32,
    /// PriorityClass of the pod, when the design names one.
    pub priority_class_name: Option<String>,
    /// Node labels the pod's node must carry.
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pod tolerates, as Kubernetes spells them.
    pub tolerations: Vec<Toleration>,
}

/// A toleration of a node taint, each field as the pod spec spells it; absent fields are
/// left out of the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Toleration {
    /// Taint key.
    pub key: Option<String>,
    /// `Exists` or `Equal` (Kubernetes' default, written out).
    pub operator: &'static str,
    /// Taint value.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: Option<&'static str>,
    /// Seconds the pod stays after a `NoExecute` taint appears.
    pub toleration_seconds: Option<i64>,
}

impl From<&input::Toleration> for Toleration {
    fn from(t: &input::Toleration) -> Toleration {
        Toleration {
            key: t.key.clone(),
            operator: t
                .operator
                .unwrap_or(input::TolerationOperator::Equal)
                .as_str(),
            value: t.value.clone(),
            effect: t.effect.map(input::TaintEffect::as_str),
            toleration_seconds: t.toleration_seconds,
        }
    }
}

/// The objects of an aks target besides the ones named like the StatefulSet. The README
/// names them as the manifests and alerts do, so they are made in one place; templates
/// read them as they are.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectNames {
    /// Headless Service giving the pod its stable DNS name.
    pub headless_service: String,
    /// ConfigMap with the `postgresql.conf` override.
    pub config_map: String,
    /// ConfigMap with `pg_hba.conf`.
    pub hba_config_map: String,
    /// ConfigMap with the psql scripts.
    pub schema_config_map: String,
    /// NetworkPolicy of the schema Job.
    pub schema_network_policy: String,
    /// The schema Job's name up to its hash: a changed script makes a new Job.
    pub job_prefix: String,
    /// The one pod of the StatefulSet.
    pub pod: String,
    /// The pod's data volume claim.
    pub claim: String,
    /// Managed Prometheus rule group of the target's alerts.
    pub rule_group: String,
    /// DNS name of the client Service inside the cluster.
    pub service_host: String,
    /// The same name without the cluster domain, which the certificate also covers.
    pub service_host_short: String,
    /// The label key ([`CLIENT_LABEL_PREFIX`]) a client pod carries, with value `"true"`.
    pub client_label: String,
}

impl ObjectNames {
    fn of(name: &str, namespace: &str) -> ObjectNames {
        let pod = format!("{name}-0");
        let service_host_short = format!("{name}.{namespace}.svc");
        ObjectNames {
            headless_service: format!("{name}-hl"),
            config_map: format!("{name}-config"),
            hba_config_map: format!("{name}-hba"),
            schema_config_map: format!("{name}-schema"),
            schema_network_policy: format!("{name}-schema"),
            job_prefix: format!("{name}-schema-"),
            claim: format!("{DATA_VOLUME}-{pod}"),
            pod,
            rule_group: format!("{name}-alerts"),
            service_host: format!("{service_host_short}.cluster.local"),
            service_host_short,
            client_label: format!("{CLIENT_LABEL_PREFIX}{name}"),
        }
    }
}

/// Container resources.
#[derive(Debug, Clone)]
pub struct Resources {
    /// Guaranteed resources.
    pub requests: Quantities,
    /// Upper bounds.
    pub limits: Limits,
}

/// The limits of the database container: memory always, CPU only when the design sets one
/// (without it the container is never throttled and may use idle CPU beyond its request).
#[derive(Debug, Clone)]
pub struct Limits {
    /// CPU, e.g. `1000m`, when limited.
    pub cpu: Option<String>,
    /// Memory, e.g. `2Gi`.
    pub memory: String,
}

/// What the `cpu_percent` signal divides the container's CPU use by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuBasis<'a> {
    /// The quantity, e.g. `1000m`.
    pub quantity: &'a str,
    /// `limit` or `request`: which one it is.
    pub kind: &'static str,
}

impl Resources {
    /// The CPU limit when there is one, else the request: the CPU the container may count
    /// on. Without a limit, use above 100 % of it means bursting beyond the request.
    pub fn cpu_basis(&self) -> CpuBasis<'_> {
        match &self.limits.cpu {
            Some(limit) => CpuBasis {
                quantity: limit,
                kind: "limit",
            },
            None => CpuBasis {
                quantity: &self.requests.cpu,
                kind: "request",
            },
        }
    }
}

/// CPU and memory in Kubernetes notation.
#[derive(Debug, Clone)]
pub struct Quantities {
    /// CPU, e.g. `500m`.
    pub cpu: String,
    /// Memory, e.g. `1Gi`.
    pub memory: String,
}

impl From<&input::ResourceQuantities> for Quantities {
    fn from(q: &input::ResourceQuantities) -> Quantities {
        Quantities {
            cpu: q.cpu.clone(),
            memory: q.memory.clone(),
        }
    }
}

/// The cluster settings of an aks environment, defaults applied.
pub fn environment(aks: &input::AksEnvironment) -> Aks {
    let exporter = aks.exporter_image.as_ref().map_or_else(
        || Image::new(DEFAULT_EXPORTER.0, DEFAULT_EXPORTER.1, None),
        Image::from,
    );
    Aks {
        cluster: aks.cluster.clone(),
        resource_group: aks.resource_group.clone(),
        namespace: aks.namespace.clone(),
        manage_namespace: aks.manage_namespace.unwrap_or(false),
        storage_class: aks.storage_class.clone(),
        image: Image::from(&aks.image),
        exporter_image: exporter,
        clients: aks.clients.match_labels.clone(),
        monitoring_namespace: aks
            .monitoring_namespace
            .clone()
            .unwrap_or_else(|| DEFAULT_MONITORING_NAMESPACE.to_owned()),
        kubectl_image: aks.kubectl_image.as_ref().map_or_else(
            || Image::new(DEFAULT_KUBECTL.0, DEFAULT_KUBECTL.1, None),
            Image::from,
        ),
    }
}

/// The StatefulSet of one aks target in the cluster `aks`, with the names of its objects.
pub fn stateful_set(set: &input::StatefulSetDeployment, aks: &Aks) -> StatefulSet {
    StatefulSet {
        name: set.name.clone(),
        names: ObjectNames::of(&set.name, &aks.namespace),
        resources: Resources {
            requests: (&set.resources.requests).into(),
            limits: Limits {
                cpu: set.resources.limits.cpu.clone(),
                memory: set.resources.limits.memory.clone(),
            },
        },
        storage_size: set.storage.size.clone(),
        credentials_secret: set.credentials_secret.clone(),
        tls_secret: set.tls.certificate_secret.clone(),
        parameters: scalars(&set.parameters),
        backup: backup::build(set.backup.as_ref(), &set.name, aks).map(Box::new),
        max_unavailable: set
            .disruption_budget
            .as_ref()
            .and_then(|b| b.max_unavailable)
            .unwrap_or(DEFAULT_MAX_UNAVAILABLE),
        priority_class_name: set.priority_class_name.clone(),
        node_selector: set.node_selector.clone(),
        tolerations: set.tolerations.iter().map(Toleration::from).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_with_a_digest_are_referenced_by_it() {
        assert_eq!(Image::new("r", "1", None).reference, "r:1");
        let pinned = Image::new("r", "1", Some("sha256:00"));
        assert_eq!(pinned.reference, "r:1@sha256:00");
        assert!(pinned.pinned());
    }

    #[test]
    fn cpu_use_is_measured_against_the_limit_or_else_the_request() {
        let resources = |limit: Option<&str>| Resources {
            requests: Quantities {
                cpu: "500m".into(),
                memory: "1Gi".into(),
            },
            limits: Limits {
                cpu: limit.map(str::to_owned),
                memory: "2Gi".into(),
            },
        };
        let limited = resources(Some("1000m"));
        assert_eq!(
            limited.cpu_basis(),
            CpuBasis {
                quantity: "1000m",
                kind: "limit"
            }
        );
        let unlimited = resources(None);
        assert_eq!(
            unlimited.cpu_basis(),
            CpuBasis {
                quantity: "500m",
                kind: "request"
            }
        );
    }

    #[test]
    fn object_names_follow_the_stateful_set() {
        let names = ObjectNames::of("pg", "ns");
        assert_eq!(names.headless_service, "pg-hl");
        assert_eq!(names.claim, "data-pg-0");
        assert_eq!(names.job_prefix, "pg-schema-");
        assert_eq!(names.rule_group, "pg-alerts");
        assert_eq!(names.service_host, "pg.ns.svc.cluster.local");
        assert_eq!(names.client_label, "postgresql.gen/client-of-pg");
    }
}
