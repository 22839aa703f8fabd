//! The plan of a target's manifests: what `kubectl apply -f kubernetes/` does with each
//! changed field, from the table [`RULES`].

use serde_json::Value;

use super::tree::{self, Seg};
use super::{Effect, FileRef, Item, Judge, Rule, fill, judge, plain, rule_for};

const STATEFULSET_SOURCE: &str = "kubernetes/kubernetes pkg/apis/apps/validation/validation.go ValidateStatefulSetUpdate: \"updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden\"; https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates";

const STATEFULSET_REFUSED: &str = "Kubernetes refuses this change to an existing StatefulSet. Delete it without its pod (kubectl delete statefulset {name} -n {namespace} --cascade=orphan), then kubectl apply -f kubernetes/ re-creates it over the same pod and volume";

const PVC_SOURCE: &str = "https://kubernetes.io/docs/concepts/storage/persistent-volumes/#expanding-persistent-volumes-claims; kubernetes/kubernetes pkg/apis/core/validation/validation.go ValidatePersistentVolumeClaimUpdate (\"spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\")";

const OBJECT_META_SOURCE: &str =
    "https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta-v1/";

/// What `kubectl apply` does with a change of each field of the kinds gen renders. A
/// field no row covers is `unknown`.
pub const RULES: &[Rule] = &[
    Rule {
        kind: "*",
        field: "metadata.labels",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the labels",
        source: OBJECT_META_SOURCE,
    },
    Rule {
        kind: "*",
        field: "metadata.annotations",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the annotations",
        source: OBJECT_META_SOURCE,
    },
    Rule {
        kind: "*",
        field: "metadata.name",
        judge: Judge::Fixed(Effect::Replace),
        action: "a name cannot change: kubectl apply creates {kind} {to} and leaves {from}; delete it once the new one serves (kubectl delete {resource} {from} -n {namespace})",
        source: OBJECT_META_SOURCE,
    },
    Rule {
        kind: "*",
        field: "metadata.namespace",
        judge: Judge::Fixed(Effect::Replace),
        action: "an object cannot move to another namespace: kubectl apply creates it in {to} and leaves the one in {from}; delete that one once the new one serves (kubectl delete {resource} {name} -n {from})",
        source: OBJECT_META_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec",
        judge: Judge::Fixed(Effect::Replace),
        action: STATEFULSET_REFUSED,
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.volumeClaimTemplates[].spec.resources.requests.storage",
        judge: Judge::Fixed(Effect::Replace),
        action: "Kubernetes refuses a new size in volumeClaimTemplates, and the existing claim keeps its own. To grow: kubectl patch pvc data-{name}-0 -n {namespace} -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"{to}\"}}}}' (the storage class must allow expansion; AKS managed-csi does), then kubectl delete statefulset {name} -n {namespace} --cascade=orphan and kubectl apply -f kubernetes/. A volume never shrinks: a smaller one means a new StatefulSet and pg_dump/pg_restore",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.volumeClaimTemplates[].spec.storageClassName",
        judge: Judge::Fixed(Effect::Replace),
        action: "Kubernetes refuses it, and a volume cannot change its storage class: create the new StatefulSet under another name (or after deleting this one and its claim), then move the data with pg_dump/pg_restore from a backup",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.replicas",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply scales the StatefulSet",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.template",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply rolls the pod (updateStrategy RollingUpdate): the database is down while its one pod restarts; follow it with kubectl rollout status statefulset/{name} -n {namespace}",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.updateStrategy",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.persistentVolumeClaimRetentionPolicy",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.minReadySeconds",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "StatefulSet",
        field: "spec.revisionHistoryLimit",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it",
        source: STATEFULSET_SOURCE,
    },
    Rule {
        kind: "Job",
        field: "spec",
        judge: Judge::Fixed(Effect::Replace),
        action: "a Job's pod template cannot change: kubectl delete job {name} -n {namespace}, then kubectl apply -f kubernetes/ runs it again",
        source: "https://kubernetes.io/docs/concepts/workloads/controllers/job/ (\"the pod template ... is immutable\"); kubernetes/kubernetes pkg/apis/batch/validation/validation.go ValidateJobSpecUpdate",
    },
    Rule {
        kind: "StatefulSet",
        field: "metadata.name",
        judge: Judge::Fixed(Effect::Manual),
        action: "a new StatefulSet name gets a new, empty volume (claim data-{to}-0): kubectl apply starts an empty database beside {from}. Dump {from} first and restore into {to} (README, Backups and restore), switch the clients, then delete {from} and its claim data-{from}-0",
        source: "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention (claims are named <template>-<StatefulSet>-<ordinal>)",
    },
    Rule {
        kind: "PersistentVolumeClaim",
        field: "metadata.name",
        judge: Judge::Fixed(Effect::Manual),
        action: "a new claim name is a new, empty volume: kubectl apply creates {to} and leaves {from}; copy what {from} holds before deleting it (deleting a claim deletes its data)",
        source: OBJECT_META_SOURCE,
    },
    Rule {
        kind: "Job",
        field: "metadata.name",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the Job's name follows its scripts: kubectl apply creates Job {to}, which runs the SQL scripts again (they are idempotent); the finished Job {from} is removed a day after it finished (ttlSecondsAfterFinished)",
        source: "https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/",
    },
    Rule {
        kind: "Job",
        field: "spec.ttlSecondsAfterFinished",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates when the finished Job is removed",
        source: "https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/ (\"you can modify the TTL period ... after the job is created or has finished\")",
    },
    Rule {
        kind: "CronJob",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it; the next scheduled Job uses it, a running one keeps the old spec",
        source: "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#modifying-a-cronjob",
    },
    Rule {
        kind: "Service",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the Service",
        source: "https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/",
    },
    Rule {
        kind: "Service",
        field: "spec.clusterIP",
        judge: Judge::Fixed(Effect::Replace),
        action: "a Service's clusterIP cannot change: kubectl delete service {name} -n {namespace}, then kubectl apply -f kubernetes/ (clients cannot connect in between)",
        source: "https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/ (clusterIP: \"This field may not be changed through updates unless the type field is also being changed to ExternalName\")",
    },
    Rule {
        kind: "Service",
        field: "spec.clusterIPs",
        judge: Judge::Fixed(Effect::Replace),
        action: "a Service's clusterIPs cannot change: kubectl delete service {name} -n {namespace}, then kubectl apply -f kubernetes/ (clients cannot connect in between)",
        source: "https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/",
    },
    Rule {
        kind: "PersistentVolumeClaim",
        field: "spec",
        judge: Judge::Fixed(Effect::Replace),
        action: "a bound claim's spec cannot change except its size: create a new claim and move the data",
        source: PVC_SOURCE,
    },
    Rule {
        kind: "PersistentVolumeClaim",
        field: "spec.resources.requests.storage",
        judge: Judge::Size {
            grow: Effect::InPlace,
            shrink: Effect::Replace,
        },
        action: "a claim grows in place when its storage class allows expansion (AKS managed-csi does); Kubernetes refuses a smaller request: a new claim, and the data moved to it",
        source: PVC_SOURCE,
    },
    Rule {
        kind: "ConfigMap",
        field: "data",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it; its users take it up as their own items say (the StatefulSet's checksum annotations roll the pod for its config, hba and scripts; the schema Job and the CronJobs read theirs on their next run)",
        source: "https://kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically",
    },
    Rule {
        kind: "NetworkPolicy",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the policy; the network plugin enforces it on new connections (what happens to open ones is up to the plugin)",
        source: "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
    },
    Rule {
        kind: "PodDisruptionBudget",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the budget",
        source: "https://kubernetes.io/docs/tasks/run-application/configure-pdb/ (policy/v1: a budget can be updated)",
    },
    Rule {
        kind: "ServiceAccount",
        field: "automountServiceAccountToken",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it (gen's pods set automountServiceAccountToken themselves, which wins)",
        source: "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/service-account-v1/",
    },
    Rule {
        kind: "Role",
        field: "rules",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the Role",
        source: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
    },
    Rule {
        kind: "RoleBinding",
        field: "subjects",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates the binding",
        source: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
    },
    Rule {
        kind: "RoleBinding",
        field: "roleRef",
        judge: Judge::Fixed(Effect::Replace),
        action: "a binding's roleRef cannot change: kubectl delete rolebinding {name} -n {namespace}, then kubectl apply -f kubernetes/",
        source: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#clusterrolebinding-example (\"After you create a binding, you cannot change the Role or ClusterRole that it refers to\")",
    },
    Rule {
        kind: "PodMonitor",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "kubectl apply updates it; the managed Prometheus agent (ama-metrics) reloads it within minutes",
        source: "https://learn.microsoft.com/azure/azure-monitor/containers/prometheus-metrics-scrape-crd",
    },
    // CloudNativePG (cnpg): the operator's kinds.
    Rule {
        kind: "Cluster",
        field: "metadata.name",
        judge: Judge::Fixed(Effect::Manual),
        action: "a Cluster of another name is a new, empty cluster (bootstrap initdb): restore the old one's data into it (README, point-in-time restore) before clients move, then delete the old one (kubectl delete cluster {from} -n {namespace}, which deletes its volumes)",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the operator applies it to the running cluster",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.instances",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the operator adds replicas (cloned from the primary) or removes the highest-numbered ones",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.imageName",
        judge: Judge::ImageMajor {
            same: Effect::Restart,
            up: Effect::Manual,
            down: Effect::Replace,
            rebase: Effect::Manual,
        },
        action: "a new minor: the operator updates the replicas one at a time, then the primary (switchover with replicas, a restart without). A higher major: an offline in-place upgrade (pg_upgrade in a Job, every instance down, replicas re-cloned): take a backup first (README, Upgrades), then apply; the target must be 16 or later and on the same OS, and the archive moves to a folder of the new major (serverName). A lower major: the operator refuses it; restore a backup into a new cluster instead. Another flavour or OS: not an upgrade the operator makes safely (another OS has other locale data, so text indexes need REINDEX; minimal lacks standard's locales and extensions): dump and restore into a new cluster, or REINDEX after checking the extensions",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.postgresql.parameters",
        judge: Judge::Fixed(Effect::Restart),
        action: "the operator reloads the configuration, and restarts the instances one at a time (primary last) for a parameter that needs it; with primaryUpdateMethod switchover it refuses an image and a parameter change in one apply: apply them one after the other",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.bootstrap",
        judge: Judge::Fixed(Effect::Manual),
        action: "bootstrap runs once, when the cluster is created: the running cluster keeps its database, owner, encoding and locale (the sql/ scripts stop on a difference they cannot make). To change them, create a new cluster and move the data with pg_dump/pg_restore",
        source: "CloudNativePG v1.30.0 docs/src/bootstrap.md",
    },
    Rule {
        kind: "Cluster",
        field: "spec.storage.size",
        judge: Judge::Size {
            grow: Effect::InPlace,
            shrink: Effect::Replace,
        },
        action: "a bigger volume: the operator resizes every instance's claim (the storage class must allow expansion; AKS managed-csi does); a smaller one is refused (can't shrink existing storage): a new cluster, and the data restored into it",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.walStorage.size",
        judge: Judge::Size {
            grow: Effect::InPlace,
            shrink: Effect::Replace,
        },
        action: "a bigger WAL volume: the operator resizes the claims; a smaller one is refused: a new cluster, and the data restored into it",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.storage.storageClass",
        judge: Judge::Fixed(Effect::Manual),
        action: "existing claims keep their class; only new instances get the new one. To move an instance: delete its claim and pod, one instance at a time, replicas first (kubectl cnpg destroy {name} <instance> -n {namespace}); the operator re-clones it",
        source: "CloudNativePG v1.30.0 docs/src/storage.md (Re-creating storage)",
    },
    Rule {
        kind: "Cluster",
        field: "spec.walStorage.storageClass",
        judge: Judge::Fixed(Effect::Manual),
        action: "existing WAL claims keep their class; re-create instances one at a time to move them (kubectl cnpg destroy {name} <instance> -n {namespace})",
        source: "CloudNativePG v1.30.0 docs/src/storage.md (Re-creating storage)",
    },
    Rule {
        kind: "Cluster",
        field: "spec.walStorage",
        judge: Judge::Presence {
            added: Effect::Restart,
            removed: Effect::Replace,
            changed: Effect::InPlace,
        },
        action: "a WAL volume added: the operator rolls the instances to attach one each; removed: refused (walStorage cannot be disabled once configured): a new cluster, and the data restored into it",
        source: CNPG_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.resources",
        judge: Judge::Fixed(Effect::Restart),
        action: "the operator rolls the instances one at a time, replicas first, then the primary (switchover with replicas)",
        source: "CloudNativePG v1.30.0 docs/src/rolling_update.md",
    },
    Rule {
        kind: "Cluster",
        field: "spec.affinity",
        judge: Judge::Fixed(Effect::Restart),
        action: "the operator rolls the instances one at a time with the new placement",
        source: "CloudNativePG v1.30.0 docs/src/rolling_update.md",
    },
    Rule {
        kind: "Cluster",
        field: "spec.plugins",
        judge: Judge::Fixed(Effect::Restart),
        action: "the operator adds or removes the Barman Cloud sidecar, rolling the instances; WAL archiving starts or stops",
        source: BARMAN_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.plugins[].parameters.serverName",
        judge: Judge::Fixed(Effect::Manual),
        action: "archiving goes on in a new folder: backups in the old one stay but are no longer managed, and a point-in-time restore from before the change must name the old folder; take a base backup right after (kubectl cnpg backup {name} -n {namespace} --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io)",
        source: "CloudNativePG v1.30.0 docs/src/postgres_upgrades.md (archive path separation)",
    },
    Rule {
        kind: "Cluster",
        field: "spec.plugins[].parameters.barmanObjectName",
        judge: Judge::Fixed(Effect::Manual),
        action: "archiving moves to another ObjectStore: the old store's backups are no longer managed; take a base backup right after (kubectl cnpg backup {name} -n {namespace} --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io)",
        source: BARMAN_SOURCE,
    },
    Rule {
        kind: "Cluster",
        field: "spec.inheritedMetadata",
        judge: Judge::Fixed(Effect::Restart),
        action: "new pods get the labels; Workload Identity reads them when a pod is created: restart the instances (kubectl cnpg restart {name} -n {namespace})",
        source: "CloudNativePG v1.30.0 internal/controller/cluster_create.go (inherited labels at pod creation)",
    },
    Rule {
        kind: "Cluster",
        field: "spec.serviceAccountTemplate",
        judge: Judge::Fixed(Effect::Restart),
        action: "the operator updates the ServiceAccount's annotations; pods get the new identity when created: restart the instances (kubectl cnpg restart {name} -n {namespace})",
        source: "CloudNativePG v1.30.0 internal/controller/cluster_create.go (ServiceAccountTemplate.MergeMetadata)",
    },
    Rule {
        kind: "ObjectStore",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the sidecars take the new configuration at the operator's next reconciliation, which may roll the instances",
        source: BARMAN_SOURCE,
    },
    Rule {
        kind: "ObjectStore",
        field: "spec.configuration.destinationPath",
        judge: Judge::Fixed(Effect::Manual),
        action: "WAL and backups go to the new place from now on; the old one keeps what it has, unmanaged (its retention no longer runs). The plugin refuses to archive into a folder that already has WAL. Take a base backup right after (kubectl cnpg backup {cluster} -n {namespace} --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io)",
        source: BARMAN_SOURCE,
    },
    Rule {
        kind: "ObjectStore",
        field: "spec.instanceSidecarConfiguration",
        judge: Judge::Fixed(Effect::Restart),
        action: "the sidecar's resources are part of the instances' pod spec: the operator rolls the instances one at a time",
        source: "plugin-barman-cloud v0.14.0 web/docs/usage.md (changes could generate a rollout); CloudNativePG v1.30.0 internal/controller/cluster_upgrade.go checkPodSpecIsOutdated",
    },
    Rule {
        kind: "Cluster",
        field: "spec.imagePullPolicy",
        judge: Judge::Fixed(Effect::Restart),
        action: "part of the instances' pod spec: the operator rolls them one at a time",
        source: "CloudNativePG v1.30.0 internal/controller/cluster_upgrade.go checkPodSpecIsOutdated",
    },
    Rule {
        kind: "ObjectStore",
        field: "spec.retentionPolicy",
        judge: Judge::Fixed(Effect::InPlace),
        action: "backups outside the new window are deleted after the next backup completes",
        source: "plugin-barman-cloud v0.14.0 web/docs/retention.md",
    },
    Rule {
        kind: "ScheduledBackup",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the operator schedules the next backup anew",
        source: "CloudNativePG v1.30.0 docs/src/backup.md",
    },
    Rule {
        kind: "ScheduledBackup",
        field: "spec.cluster",
        judge: Judge::Fixed(Effect::Replace),
        action: "the cluster reference cannot change: kubectl delete scheduledbackup {name} -n {namespace}, then kubectl apply -f kubernetes/",
        source: "CloudNativePG v1.30.0 CRD postgresql.cnpg.io_scheduledbackups.yaml (spec.cluster: self == oldSelf)",
    },
    Rule {
        kind: "Pooler",
        field: "spec",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the operator reconfigures PgBouncer (settings are reloaded without dropping connections) or rolls its pods",
        source: "CloudNativePG v1.30.0 docs/src/connection_pooling.md",
    },
    Rule {
        kind: "Pooler",
        field: "spec.cluster",
        judge: Judge::Fixed(Effect::Replace),
        action: "the cluster reference cannot change: kubectl delete pooler {name} -n {namespace}, then kubectl apply -f kubernetes/",
        source: "CloudNativePG v1.30.0 CRD postgresql.cnpg.io_poolers.yaml (spec.cluster: self == oldSelf)",
    },
];

const CNPG_SOURCE: &str = "CloudNativePG v1.30.0: docs/src/rolling_update.md, docs/src/storage.md, docs/src/postgres_upgrades.md; internal/webhook/v1/cluster_webhook.go validateClusterChanges";

const BARMAN_SOURCE: &str = "plugin-barman-cloud v0.14.0: web/docs/usage.md, web/docs/retention.md; CRD barmancloud.cnpg.io_objectstores.yaml";

/// One object of a manifest, as the plan identifies it.
struct Object {
    kind: String,
    name: String,
    namespace: String,
    tree: Value,
}

impl Object {
    fn parse(text: &str) -> Option<Object> {
        let tree = crate::yaml::Node::parse(text).ok()?.to_json();
        let text_at = |pointer: &str| {
            tree.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(Object {
            kind: text_at("/kind"),
            name: text_at("/metadata/name"),
            namespace: text_at("/metadata/namespace"),
            tree,
        })
    }

    fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// `kubectl`'s resource name for the kind (`statefulset`).
    fn resource(&self) -> String {
        self.kind.to_ascii_lowercase()
    }
}

/// The items of one changed manifest file (`old`/`new`: its previous and new text).
pub fn items(file: &FileRef, old: Option<&str>, new: Option<&str>) -> Vec<Item> {
    let old = old.and_then(Object::parse);
    let new = new.and_then(Object::parse);
    match (old, new) {
        (None, Some(new)) => vec![added(file, &new)],
        (Some(old), None) => vec![removed(file, &old)],
        (Some(old), Some(new)) if old.kind != new.kind => {
            vec![removed(file, &old), added(file, &new)]
        }
        (Some(old), Some(new)) if old.name != new.name || old.namespace != new.namespace => {
            // Another object in the same file: one item for the new identity (the fields
            // of a new object are not changes of the old one).
            let field = if old.name != new.name {
                "metadata.name"
            } else {
                "metadata.namespace"
            };
            let (from, to) = if old.name != new.name {
                (old.name.clone(), new.name.clone())
            } else {
                (old.namespace.clone(), new.namespace.clone())
            };
            vec![change_item(
                file,
                &new,
                &tree::parse_path(field),
                Value::from(from),
                Value::from(to),
            )]
        }
        (Some(old), Some(new)) => tree::diff(&old.tree, &new.tree)
            .into_iter()
            .map(|change| change_item(file, &new, &change.path, change.from, change.to))
            .collect(),
        (None, None) => Vec::new(),
    }
}

fn change_item(file: &FileRef, object: &Object, path: &[Seg], from: Value, to: Value) -> Item {
    let (effect, action) = match rule_for(RULES, &object.kind, path) {
        Some(rule) => (
            judge(rule, &from, &to, quantity),
            fill(
                rule.action,
                &[
                    ("kind", &object.kind),
                    ("name", &object.name),
                    ("namespace", &object.namespace),
                    ("resource", &object.resource()),
                    ("from", &plain(&from)),
                    ("to", &plain(&to)),
                ],
            ),
        ),
        None => (
            Effect::Unknown,
            format!(
                "gen has no rule for this field of a {}: check the Kubernetes API reference before applying (kubectl apply --dry-run=server -f {} shows whether the API server accepts it)",
                object.kind,
                file.path.rsplit_once('/').map_or("", |(_, name)| name)
            ),
        ),
    };
    file.item(
        object.id(),
        tree::display(path),
        (from, to),
        (effect, action),
    )
}

fn added(file: &FileRef, object: &Object) -> Item {
    file.item(
        object.id(),
        String::new(),
        (Value::Null, Value::from(object.id())),
        (
            Effect::InPlace,
            "kubectl apply -f kubernetes/ creates it".to_owned(),
        ),
    )
}

fn removed(file: &FileRef, object: &Object) -> Item {
    let keeps_data = if object.kind == "PersistentVolumeClaim" {
        " (deleting a claim deletes its volume unless the volume's reclaim policy is Retain: take a backup first)"
    } else {
        ""
    };
    file.item(
        object.id(),
        String::new(),
        (Value::from(object.id()), Value::Null),
        (
            Effect::Manual,
            format!(
                "kubectl apply does not delete what a folder no longer holds: kubectl delete {} {} -n {}{keeps_data}",
                object.resource(),
                object.name,
                object.namespace
            ),
        ),
    )
}

fn quantity(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => crate::quantity::parse(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> FileRef {
        FileRef::of("dev/svc/kubernetes/50-statefulset-db.yaml").unwrap()
    }

    const STATEFULSET: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: ns\nspec:\n  serviceName: db-hl\n  template:\n    spec:\n      containers:\n        - name: postgresql\n          image: pg:14\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        storageClassName: managed-csi\n        resources:\n          requests:\n            storage: 20Gi\n";

    fn one(old: &str, new: &str) -> Item {
        let items = items(&file(), Some(old), Some(new));
        assert_eq!(items.len(), 1, "{items:#?}");
        items.into_iter().next().unwrap()
    }

    #[test]
    fn a_new_image_rolls_the_pod_in_place() {
        let item = one(STATEFULSET, &STATEFULSET.replace("pg:14", "pg:15"));
        assert_eq!(item.effect, Effect::InPlace);
        assert_eq!(
            item.field,
            "spec.template.spec.containers[postgresql].image"
        );
        assert!(item.action.contains("rollout status statefulset/db -n ns"));
    }

    #[test]
    fn a_new_service_name_is_refused_by_kubernetes() {
        let item = one(STATEFULSET, &STATEFULSET.replace("db-hl", "db-headless"));
        assert_eq!(item.effect, Effect::Replace);
        assert!(item.action.contains("--cascade=orphan"));
    }

    #[test]
    fn a_field_no_row_covers_is_unknown() {
        let with = STATEFULSET.replace(
            "spec:\n  serviceName",
            "spec:\n  newField: 1\n  serviceName",
        );
        let service = "kind: Service\nmetadata:\n  name: s\nspec: {}\n";
        let item = one(service, &format!("{service}extra: 1\n"));
        assert_eq!(item.effect, Effect::Unknown);
        // Under StatefulSet `spec`, the table's own row says Kubernetes refuses it.
        assert_eq!(one(STATEFULSET, &with).effect, Effect::Replace);
    }

    #[test]
    fn a_claim_grows_in_place_and_never_shrinks() {
        let claim = "kind: PersistentVolumeClaim\nmetadata:\n  name: dumps\n  namespace: ns\nspec:\n  resources:\n    requests:\n      storage: 10Gi\n";
        assert_eq!(
            one(claim, &claim.replace("10Gi", "20Gi")).effect,
            Effect::InPlace
        );
        assert_eq!(
            one(claim, &claim.replace("10Gi", "5Gi")).effect,
            Effect::Replace
        );
    }

    #[test]
    fn a_removed_object_is_deleted_by_hand_and_an_added_one_is_created() {
        let removed = items(&file(), Some(STATEFULSET), None);
        assert_eq!(removed[0].effect, Effect::Manual);
        assert!(
            removed[0]
                .action
                .contains("kubectl delete statefulset db -n ns")
        );
        let added = items(&file(), None, Some(STATEFULSET));
        assert_eq!(added[0].effect, Effect::InPlace);
    }
}
