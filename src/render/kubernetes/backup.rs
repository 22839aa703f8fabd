//! The backups of an aks target (`statefulSet.backup`): a CronJob that takes a
//! VolumeSnapshot of the data volume through a namespaced ServiceAccount that may only
//! create, get, list and delete VolumeSnapshots, and a CronJob that writes `pg_dump`
//! archives to a claim of their own; the NetworkPolicies of their pods, and one ConfigMap
//! with the scripts they run and the README's restore steps run.

use serde::Serialize;

use super::{DataEntry, ImageView, Labels, Skip, image, labels, object_labels, selector, skip};
use crate::model::backup::{
    DUMP_COMPONENT, RESTORE_COMPONENT, SNAPSHOT_COMPONENT, VOLUME_SNAPSHOT_COMPONENT,
};
use crate::model::{Aks, BackupNames, DATABASE_COMPONENT, INSTANCE_LABEL, StatefulSet, Target};
use crate::render::{RenderError, Templates};

/// How long the snapshot script waits for the snapshot to be ready to use; the Job's
/// `activeDeadlineSeconds` is longer.
const READY_TIMEOUT_SECONDS: u32 = 1500;

/// The API group and resource the snapshot ServiceAccount may use, and its verbs: what the
/// script runs (`create`, `get` while it waits, `list` of the old ones, `delete`).
pub const SNAPSHOT_RBAC: (&str, &str, &[&str]) = (
    "snapshot.storage.k8s.io",
    "volumesnapshots",
    &["create", "get", "list", "delete"],
);

/// What the backup templates read. THESE FIELDS ARE USED BY `templates/kubernetes/*backup*`
/// and the `7x`/`1x`/`2x`/`33`/`42` templates of the backups.
#[derive(Debug, Serialize)]
struct BackupView<'a> {
    namespace: &'a str,
    name: &'a str,
    names: &'a BackupNames,
    env_source: &'a str,
    service_source: &'a str,
    time_zone: Option<&'a str>,
    snapshots: Option<SnapshotView>,
    dumps: Option<DumpView>,
    backup_labels: Labels,
    snapshot_labels: Labels,
    snapshot_selector: Labels,
    dump_labels: Labels,
    dump_selector: Labels,
    database_selector: Labels,
    database: &'a str,
    service_host: &'a str,
    credentials_secret: &'a str,
    tls_secret: &'a str,
    rbac_group: &'static str,
    rbac_resource: &'static str,
    rbac_verbs: &'static [&'static str],
    scripts: Vec<DataEntry>,
}

#[derive(Debug, Serialize)]
struct SnapshotView {
    schedule: String,
    keep: String,
    class: String,
    claim: String,
    kubectl: ImageView,
    /// Labels of each VolumeSnapshot, as the JSON object the script hands to jq.
    volume_snapshot_labels: String,
    /// The label selector that finds them.
    volume_snapshot_selector: String,
    ready_timeout: String,
    skips: Vec<Skip>,
}

#[derive(Debug, Serialize)]
struct DumpView {
    schedule: String,
    keep: String,
    size: String,
    storage_class: String,
    postgres: ImageView,
    skips: Vec<Skip>,
}

/// What the backup scripts read.
#[derive(Debug, Serialize)]
struct ScriptView<'a> {
    credentials_secret: &'a str,
    tls_secret: &'a str,
}

/// `k=v,k=v`, as kubectl's `-l` reads a selector.
fn selector_text(selector: &Labels) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn scripts(
    set: &StatefulSet,
    snapshots: bool,
    dumps: bool,
    templates: &Templates,
) -> Result<Vec<DataEntry>, RenderError> {
    let view = ScriptView {
        credentials_secret: &set.credentials_secret,
        tls_secret: &set.tls_secret,
    };
    let mut names = Vec::new();
    if dumps {
        names.extend(["dump.sh", "restore-dump.sh"]);
    }
    if snapshots {
        names.extend(["restore-postgres.sh", "snapshot.sh"]);
    }
    names
        .into_iter()
        .map(|key| {
            Ok(DataEntry {
                key: key.to_owned(),
                text: templates.render(&format!("kubernetes/backup-{key}.j2"), &view)?,
            })
        })
        .collect()
}

/// The backup templates in install order, each with the file name of its object.
fn files(name: &str, snapshots: bool, dumps: bool) -> Vec<(&'static str, String)> {
    let mut files = Vec::new();
    if snapshots {
        files.push((
            "12-networkpolicy-snapshot",
            format!("12-networkpolicy-{name}-snap.yaml"),
        ));
    }
    if dumps {
        files.extend([
            (
                "13-networkpolicy-dump",
                format!("13-networkpolicy-{name}-dump.yaml"),
            ),
            (
                "14-networkpolicy-dump-access",
                format!("14-networkpolicy-{name}-dump-access.yaml"),
            ),
        ]);
    }
    if snapshots {
        files.extend([
            (
                "21-serviceaccount-snapshot",
                format!("21-serviceaccount-{name}-snap.yaml"),
            ),
            ("22-role-snapshot", format!("22-role-{name}-snap.yaml")),
            (
                "23-rolebinding-snapshot",
                format!("23-rolebinding-{name}-snap.yaml"),
            ),
        ]);
    }
    files.push((
        "33-configmap-backup",
        format!("33-configmap-{name}-backup.yaml"),
    ));
    if dumps {
        files.push((
            "42-persistentvolumeclaim-dump",
            format!("42-persistentvolumeclaim-{name}-dumps.yaml"),
        ));
    }
    if snapshots {
        files.push((
            "70-cronjob-snapshot",
            format!("70-cronjob-{name}-snap.yaml"),
        ));
    }
    if dumps {
        files.push(("71-cronjob-dump", format!("71-cronjob-{name}-dump.yaml")));
    }
    files
}

/// The image has no digest: checkov's CKV_K8S_43 is skipped with the field that drops it.
fn digest_skips(image: &ImageView, field: &str, env_source: &str) -> Vec<Skip> {
    if image.pinned {
        return Vec::new();
    }
    vec![skip(
        "CKV_K8S_43",
        format!("The image has no digest; set {field} in {env_source} to drop this skip"),
    )]
}

/// The backup manifests of an aks target, file name → text (each after `head`); nothing
/// when the design asks for no backup.
pub(super) fn render(
    target: &Target,
    aks: &Aks,
    set: &StatefulSet,
    head: &str,
    templates: &Templates,
) -> Result<Vec<(String, String)>, RenderError> {
    let Some(backup) = &set.backup else {
        return Ok(Vec::new());
    };
    let name = set.name.as_str();
    let component = |c: &str| object_labels(target, &selector(name, c), None);
    let volume_snapshot_labels = component(VOLUME_SNAPSHOT_COMPONENT);
    let snapshots = backup.snapshots.as_ref().map(|s| {
        let kubectl = image(&s.image);
        SnapshotView {
            schedule: s.schedule.clone(),
            keep: s.keep.to_string(),
            class: s.class.clone(),
            claim: backup.names.claim.clone(),
            skips: digest_skips(&kubectl, "aks.kubectlImage.digest", &target.env.source),
            kubectl,
            volume_snapshot_labels: serde_json::to_string(
                &volume_snapshot_labels
                    .iter()
                    .cloned()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
            .expect("labels are JSON"),
            volume_snapshot_selector: selector_text(&selector(name, VOLUME_SNAPSHOT_COMPONENT)),
            ready_timeout: READY_TIMEOUT_SECONDS.to_string(),
        }
    });
    let dumps = backup.dumps.as_ref().map(|d| {
        let postgres = image(&aks.image);
        DumpView {
            schedule: d.schedule.clone(),
            keep: d.keep.to_string(),
            size: d.size.clone(),
            storage_class: d.storage_class.clone(),
            skips: digest_skips(&postgres, "aks.image.digest", &target.env.source),
            postgres,
        }
    });
    let view = BackupView {
        namespace: &aks.namespace,
        name,
        names: &backup.names,
        env_source: &target.env.source,
        service_source: &target.service.source,
        time_zone: backup.time_zone.as_deref(),
        backup_labels: component("backup"),
        snapshot_labels: component(SNAPSHOT_COMPONENT),
        snapshot_selector: selector(name, SNAPSHOT_COMPONENT),
        dump_labels: component(DUMP_COMPONENT),
        dump_selector: selector(name, DUMP_COMPONENT),
        database_selector: selector(name, DATABASE_COMPONENT),
        database: &target.service.database.name,
        service_host: &set.names.service_host,
        credentials_secret: &set.credentials_secret,
        tls_secret: &set.tls_secret,
        rbac_group: SNAPSHOT_RBAC.0,
        rbac_resource: SNAPSHOT_RBAC.1,
        rbac_verbs: SNAPSHOT_RBAC.2,
        scripts: scripts(set, snapshots.is_some(), dumps.is_some(), templates)?,
        snapshots,
        dumps,
    };
    let context = crate::render::context(&view);
    files(name, view.snapshots.is_some(), view.dumps.is_some())
        .into_iter()
        .map(|(template, file)| {
            let body =
                templates.render_context(&format!("kubernetes/{template}.yaml.j2"), &context)?;
            Ok((file, format!("{head}{body}")))
        })
        .collect()
}

/// The labels of a restore's claim and scratch pod (the README's), and the selector of the
/// VolumeSnapshots it lists.
pub fn restore_labels(target: &Target, name: &str) -> (Labels, Labels, String) {
    let claim = object_labels(
        target,
        &labels([
            ("app.kubernetes.io/name", "postgresql"),
            (INSTANCE_LABEL, name),
        ]),
        None,
    );
    let pod = object_labels(target, &selector(name, RESTORE_COMPONENT), None);
    let snapshots = selector_text(&selector(name, VOLUME_SNAPSHOT_COMPONENT));
    (claim, pod, snapshots)
}

/// The labels of the dump helper pod: those of the dump CronJob's pods, so that their
/// NetworkPolicies apply to it.
pub fn dump_pod_labels(target: &Target, name: &str) -> Labels {
    object_labels(target, &selector(name, DUMP_COMPONENT), None)
}
