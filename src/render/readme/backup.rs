//! The backups part of the aks plan (`_backup.md.j2`, and its rows of the object table in
//! `_backup_rows.md.j2`): what the CronJobs do, and the restore steps: a snapshot into a new
//! claim and a scratch pod, a snapshot back as the database's volume, a dump into a scratch
//! database, each with a restore test.

use serde::Serialize;

use crate::model::backup::AZURE_DISK_DRIVER;
use crate::model::{Aks, BackupNames, COMPONENT_LABEL, INSTANCE_LABEL, StatefulSet, Target};
use crate::render::kubernetes::backup::{SNAPSHOT_RBAC, dump_pod_labels, restore_labels};

/// A label set, sorted by key.
type Labels = Vec<(String, String)>;

#[derive(Debug, Serialize)]
pub(super) struct BackupView {
    namespace: String,
    statefulset: String,
    pod: String,
    /// The StatefulSet's service account, which the scratch pods use (no token).
    service_account: String,
    names: BackupNames,
    time_zone: Option<String>,
    snapshots: Option<SnapshotsView>,
    dumps: Option<DumpsView>,
    /// `instance=<name>`: what every object of the target carries.
    instance_selector: String,
    postgres_image: String,
    postgres_pull_policy: &'static str,
    credentials_secret: String,
    tls_secret: String,
    service_host: String,
    database: String,
}

#[derive(Debug, Serialize)]
struct SnapshotsView {
    schedule: String,
    keep: u32,
    class: String,
    driver: &'static str,
    claim: String,
    storage_class: String,
    storage_size: String,
    /// `-l` of the VolumeSnapshots the CronJob makes.
    selector: String,
    /// `-l` of the CronJob's Jobs.
    job_selector: String,
    verbs: String,
    restore_claim_labels: Labels,
    restore_pod_labels: Labels,
}

#[derive(Debug, Serialize)]
struct DumpsView {
    schedule: String,
    keep: u32,
    size: String,
    storage_class: String,
    job_selector: String,
    pod_labels: Labels,
}

/// The backups of `target` as the README shows them; none when the design asks for none.
pub(super) fn view(target: &Target, aks: &Aks, set: &StatefulSet) -> Option<BackupView> {
    let backup = set.backup.as_ref()?;
    let instance = format!("{INSTANCE_LABEL}={}", set.name);
    let jobs = |component: &str| format!("{instance},{COMPONENT_LABEL}={component}");
    let (claim_labels, pod_labels, selector) = restore_labels(target, &set.name);
    let pull_policy = if aks.image.pinned() {
        "IfNotPresent"
    } else {
        "Always"
    };
    Some(BackupView {
        namespace: aks.namespace.clone(),
        statefulset: set.name.clone(),
        pod: set.names.pod.clone(),
        service_account: set.name.clone(),
        names: backup.names.clone(),
        time_zone: backup.time_zone.clone(),
        snapshots: backup.snapshots.as_ref().map(|s| SnapshotsView {
            schedule: s.schedule.clone(),
            keep: s.keep,
            class: s.class.clone(),
            driver: AZURE_DISK_DRIVER,
            claim: backup.names.claim.clone(),
            storage_class: aks.storage_class.clone(),
            storage_size: set.storage_size.clone(),
            selector,
            job_selector: jobs(crate::model::backup::SNAPSHOT_COMPONENT),
            verbs: SNAPSHOT_RBAC.2.join(", "),
            restore_claim_labels: claim_labels,
            restore_pod_labels: pod_labels,
        }),
        dumps: backup.dumps.as_ref().map(|d| DumpsView {
            schedule: d.schedule.clone(),
            keep: d.keep,
            size: d.size.clone(),
            storage_class: d.storage_class.clone(),
            job_selector: jobs(crate::model::backup::DUMP_COMPONENT),
            pod_labels: dump_pod_labels(target, &set.name),
        }),
        instance_selector: instance,
        postgres_image: aks.image.reference.clone(),
        postgres_pull_policy: pull_policy,
        credentials_secret: set.credentials_secret.clone(),
        tls_secret: set.tls_secret.clone(),
        service_host: set.names.service_host.clone(),
        database: target.service.database.name.clone(),
    })
}
