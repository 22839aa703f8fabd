//! The aks platform: the cluster an environment uses and the StatefulSet of each target,
//! with the name of every object the target creates.

use std::collections::BTreeMap;

use crate::input;
use crate::model::backup::{self, Backup, DEFAULT_KUBECTL};
use crate::model::database::{Access, Database, Scalar, scalars};

/// The exporter sidecar when the environment names none (upstream image; the Bitnami one
/// left docker.io/bitnami).
const DEFAULT_EXPORTER: (&str, &str) = ("quay.io/prometheuscommunity/postgres-exporter", "v0.17.1");

/// Where Azure Monitor's ama-metrics runs, which scrapes the exporter unless the
/// environment names another scraper's namespace.
pub(crate) const DEFAULT_MONITORING_NAMESPACE: &str = "kube-system";

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
    /// How managed Prometheus finds the exporters (`aks.metricsScrape`, default PodMonitor).
    pub metrics_scrape: MetricsScrape,
}

/// How Azure Monitor managed Prometheus (ama-metrics) finds a database's exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MetricsScrape {
    /// An `azmonitoring.coreos.com/v1` PodMonitor in the database's namespace: nothing
    /// cluster-wide to edit.
    PodMonitor,
    /// The pod's `prometheus.io/*` annotations, scraped only in the namespaces that
    /// `podannotationnamespaceregex` of the cluster-wide `ama-metrics-settings-configmap` admits.
    PodAnnotations,
}

impl From<input::MetricsScrape> for MetricsScrape {
    fn from(scrape: input::MetricsScrape) -> MetricsScrape {
        match scrape {
            input::MetricsScrape::PodMonitor => MetricsScrape::PodMonitor,
            input::MetricsScrape::PodAnnotations => MetricsScrape::PodAnnotations,
        }
    }
}

impl Aks {
    /// Whether managed Prometheus scrapes the exporters through a PodMonitor (else through
    /// the pods' annotations).
    pub fn pod_monitor(&self) -> bool {
        self.metrics_scrape == MetricsScrape::PodMonitor
    }
}

/// The labels that tell one exporter's series apart in the Azure Monitor workspace: the alert
/// rules select by them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExporterSeries {
    /// Value of `job`.
    pub job: String,
    /// Name of the label holding the pod's namespace.
    pub namespace_label: &'static str,
    /// Name of the label holding the pod's name.
    pub pod_label: &'static str,
}

impl MetricsScrape {
    /// The exporter's series labels for the StatefulSet `name` in `namespace`.
    ///
    /// - PodMonitor: ama-metrics' target allocator builds scrape jobs with prometheus-operator's
    ///   config generator (Azure/prometheus-collector,
    ///   `otelcollector/otel-allocator/internal/watcher/promOperator.go`), which sets `job` to
    ///   `<namespace>/<PodMonitor name>` and adds `namespace`, `pod`, `container` and `endpoint`
    ///   (prometheus-operator, `pkg/prometheus/promcfg.go`, `generatePodMonitorConfig`). The
    ///   PodMonitor is named like the StatefulSet.
    /// - Pod annotations: the add-on's built-in job `kubernetes-pods`, which relabels to
    ///   `kubernetes_namespace` and `kubernetes_pod_name` (Azure/prometheus-collector,
    ///   `otelcollector/configmapparser/default-prom-configs/podannotationsDefault.yml`).
    pub fn series(self, namespace: &str, name: &str) -> ExporterSeries {
        match self {
            MetricsScrape::PodMonitor => ExporterSeries {
                job: format!("{namespace}/{name}"),
                namespace_label: "namespace",
                pod_label: "pod",
            },
            MetricsScrape::PodAnnotations => ExporterSeries {
                job: "kubernetes-pods".to_owned(),
                namespace_label: "kubernetes_namespace",
                pod_label: "kubernetes_pod_name",
            },
        }
    }
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
    /// How the exporter sidecar logs in.
    pub exporter: ExporterLogin,
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

/// How the exporter sidecar logs in: as the service's first role with `access: monitor`
/// (`pg_monitor`, never table contents), to the service database, so the per-table statistics
/// of that database are collected; its password is that role's key of the credentials Secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExporterLogin {
    /// The role (`DATA_SOURCE_USER`).
    pub role: String,
    /// Key of the credentials Secret holding the role's password.
    pub password_key: String,
    /// `DATA_SOURCE_URI`: `127.0.0.1:5432/<database>?sslmode=require`, the database name
    /// percent-encoded, as the exporter puts it after `postgresql://user:password@`.
    pub data_source_uri: String,
}

impl ExporterLogin {
    /// The login of `database`'s first monitor role; `None` when it has none, which
    /// validation refuses on aks.
    fn of(database: &Database) -> Option<ExporterLogin> {
        let role = database
            .roles
            .iter()
            .find(|r| r.access == Access::Monitor)?;
        Some(ExporterLogin {
            role: role.name.clone(),
            password_key: role.password_secret.clone(),
            data_source_uri: format!(
                "127.0.0.1:5432/{}?sslmode=require",
                percent_encode_path_segment(&database.name)
            ),
        })
    }
}

/// Escapes every byte of `text` but RFC 3986's unreserved characters, so that a database name
/// with `/`, `?`, `#`, `%` or `@` stays one path segment of the exporter's URL.
fn percent_encode_path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    /// ConfigMap with the scripts of the pod's own containers (`tls-reload.sh`).
    pub scripts_config_map: String,
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
    /// Every name a client in the cluster may use for the client Service, shortest first
    /// (`name`, `name.namespace`, `name.namespace.svc`, the full name): the server
    /// certificate covers them all, so that `sslmode=verify-full` accepts any of them.
    pub certificate_names: Vec<String>,
}

/// The Prometheus rule group of StatefulSet `name`'s alerts, an Azure resource of the
/// environment's resource group.
pub fn rule_group_name(name: &str) -> String {
    format!("{name}-alerts")
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
            scripts_config_map: format!("{name}-scripts"),
            schema_network_policy: format!("{name}-schema"),
            job_prefix: format!("{name}-schema-"),
            claim: format!("{DATA_VOLUME}-{pod}"),
            pod,
            rule_group: rule_group_name(name),
            service_host: format!("{service_host_short}.cluster.local"),
            certificate_names: vec![
                name.to_owned(),
                format!("{name}.{namespace}"),
                service_host_short.clone(),
                format!("{service_host_short}.cluster.local"),
            ],
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
        metrics_scrape: aks
            .metrics_scrape
            .map_or(MetricsScrape::PodMonitor, MetricsScrape::from),
    }
}

/// The StatefulSet of one aks target in the cluster `aks`, with the names of its objects.
pub fn stateful_set(
    set: &input::StatefulSetDeployment,
    aks: &Aks,
    database: &Database,
) -> StatefulSet {
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
        exporter: ExporterLogin::of(database)
            .expect("validation requires a role with access: monitor on aks"),
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
    fn the_exporter_url_keeps_a_hostile_database_name_in_its_path() {
        assert_eq!(percent_encode_path_segment("bill_db-1.x~"), "bill_db-1.x~");
        assert_eq!(
            percent_encode_path_segment("a/b?sslmode=disable#@%"),
            "a%2Fb%3Fsslmode%3Ddisable%23%40%25"
        );
        assert_eq!(percent_encode_path_segment("요금"), "%EC%9A%94%EA%B8%88");
    }

    #[test]
    fn exporter_series_follow_the_scrape_route() {
        let monitor = MetricsScrape::PodMonitor.series("ns", "pg");
        assert_eq!(monitor.job, "ns/pg");
        assert_eq!(
            (monitor.namespace_label, monitor.pod_label),
            ("namespace", "pod")
        );
        let annotations = MetricsScrape::PodAnnotations.series("ns", "pg");
        assert_eq!(annotations.job, "kubernetes-pods");
        assert_eq!(annotations.pod_label, "kubernetes_pod_name");
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
        assert_eq!(
            names.certificate_names,
            ["pg", "pg.ns", "pg.ns.svc", "pg.ns.svc.cluster.local"]
        );
        assert_eq!(names.client_label, "postgresql.gen/client-of-pg");
    }
}
