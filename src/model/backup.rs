//! The backups of an aks target, defaults applied, with the name of every object they make.
//! Platform facts are data tables here with their sources.

use serde::Serialize;

use crate::input;
use crate::model::aks::{Aks, DATA_VOLUME, Image};

/// The snapshot CronJob's kubectl when the environment names none: the Kubernetes project's
/// own image (its Dockerfile, `build/server-image/kubectl/Dockerfile`, adds bash, jq and
/// coreutils to `/bin/kubectl` from 1.29 on; `registry.k8s.io/kubectl:v1.35.0` is listed under
/// "Container Images" of kubernetes/kubernetes `CHANGELOG/CHANGELOG-1.35.md`). kubectl works
/// with API servers one minor older or newer.
pub const DEFAULT_KUBECTL: (&str, &str) = ("registry.k8s.io/kubectl", "v1.35.0");

/// The VolumeSnapshotClass of the Azure Disk CSI driver (`disk.csi.azure.com`) under the
/// name Microsoft's AKS documentation gives it (MicrosoftDocs/azure-aks-docs,
/// `articles/aks/create-volume-azure-disk.md`, "Create a volume snapshot": the driver's
/// `deploy/example/snapshot/storageclass-azuredisk-snapshot.yaml`, deletionPolicy `Delete`,
/// incremental snapshots).
pub const DEFAULT_SNAPSHOT_CLASS: &str = "csi-azuredisk-vsc";

/// The CSI driver that class names; the README's command that creates it uses it.
pub const AZURE_DISK_DRIVER: &str = "disk.csi.azure.com";

/// Azure keeps at most 500 incremental snapshots of one disk (MicrosoftDocs/azure-docs,
/// `includes/virtual-machines-disks-incremental-snapshots-restrictions.md`: "A total of 500
/// incremental snapshots can be created for a single disk").
pub const MAX_SNAPSHOTS_PER_DISK: u32 = 500;

/// Snapshots or dumps kept when the design says nothing.
pub const DEFAULT_KEEP: u32 = 7;

/// Daily at 03:00, and the dumps half an hour later.
pub const DEFAULT_SNAPSHOT_SCHEDULE: &str = "0 3 * * *";
/// Daily at 03:30.
pub const DEFAULT_DUMP_SCHEDULE: &str = "30 3 * * *";

/// [`crate::model::COMPONENT_LABEL`] of the snapshot CronJob's pods.
pub const SNAPSHOT_COMPONENT: &str = "snapshot";
/// [`crate::model::COMPONENT_LABEL`] of the dump CronJob's pods (and the dump helper pod).
pub const DUMP_COMPONENT: &str = "dump";
/// [`crate::model::COMPONENT_LABEL`] of the VolumeSnapshots the CronJob makes: the script
/// finds the old ones by it.
pub const VOLUME_SNAPSHOT_COMPONENT: &str = "volume-snapshot";
/// [`crate::model::COMPONENT_LABEL`] of the scratch pod and claim of a restore.
pub const RESTORE_COMPONENT: &str = "restore";

/// The backups of one aks target.
#[derive(Debug, Clone)]
pub struct Backup {
    /// IANA time zone of the schedules (the controller's when none).
    pub time_zone: Option<String>,
    /// Volume snapshots, when asked for.
    pub snapshots: Option<Snapshots>,
    /// Logical dumps, when asked for.
    pub dumps: Option<Dumps>,
    /// Names of every object the backups make.
    pub names: BackupNames,
}

/// Scheduled VolumeSnapshots of the data volume.
#[derive(Debug, Clone)]
pub struct Snapshots {
    /// Cron schedule.
    pub schedule: String,
    /// Ready snapshots kept.
    pub keep: u32,
    /// VolumeSnapshotClass.
    pub class: String,
    /// The kubectl image that runs the script.
    pub image: Image,
}

/// Scheduled `pg_dump` archives.
#[derive(Debug, Clone)]
pub struct Dumps {
    /// Cron schedule.
    pub schedule: String,
    /// Dump sets kept.
    pub keep: u32,
    /// Size of the dumps' volume.
    pub size: String,
    /// StorageClass of the dumps' volume.
    pub storage_class: String,
}

/// The names of the backups' objects, all derived from the StatefulSet's.
#[derive(Debug, Clone, Serialize)]
pub struct BackupNames {
    /// ConfigMap with the backup and restore scripts.
    pub config_map: String,
    /// Snapshot CronJob, its ServiceAccount, Role, RoleBinding and NetworkPolicy (a CronJob
    /// name has at most 52 characters: `<name>-snap` fits for every StatefulSet name).
    pub snapshot: String,
    /// The Job `kubectl create job --from` makes to snapshot now.
    pub snapshot_now: String,
    /// Prefix of the VolumeSnapshots' names, which end in their UTC time.
    pub snapshot_prefix: String,
    /// The data claim the snapshots are taken of.
    pub claim: String,
    /// Dump CronJob and the NetworkPolicy of its pods.
    pub dump: String,
    /// The Job `kubectl create job --from` makes to dump now.
    pub dump_now: String,
    /// NetworkPolicy admitting the dump pods to the database pods.
    pub dump_access: String,
    /// The dumps' volume claim.
    pub dump_claim: String,
    /// Helper pod that mounts the dumps to restore one.
    pub dump_restore_pod: String,
    /// Claim restored from a snapshot, and the scratch pod running PostgreSQL on it.
    pub restore: String,
}

impl BackupNames {
    fn of(name: &str) -> BackupNames {
        BackupNames {
            config_map: format!("{name}-backup"),
            snapshot: format!("{name}-snap"),
            snapshot_now: format!("{name}-snap-now"),
            snapshot_prefix: format!("{name}-"),
            claim: format!("{DATA_VOLUME}-{name}-0"),
            dump: format!("{name}-dump"),
            dump_now: format!("{name}-dump-now"),
            dump_access: format!("{name}-dump-access"),
            dump_claim: format!("{name}-dumps"),
            dump_restore_pod: format!("{name}-dump-restore"),
            restore: format!("{name}-restore"),
        }
    }
}

/// The backups of StatefulSet `name` in the cluster `aks`, when the design asks for any.
pub fn build(backup: Option<&input::StatefulSetBackup>, name: &str, aks: &Aks) -> Option<Backup> {
    let backup = backup?;
    if backup.snapshots.is_none() && backup.dumps.is_none() {
        return None;
    }
    Some(Backup {
        time_zone: backup.time_zone.clone(),
        snapshots: backup.snapshots.as_ref().map(|s| Snapshots {
            schedule: s
                .schedule
                .clone()
                .unwrap_or_else(|| DEFAULT_SNAPSHOT_SCHEDULE.to_owned()),
            keep: s.keep.unwrap_or(DEFAULT_KEEP),
            class: s
                .snapshot_class
                .clone()
                .unwrap_or_else(|| DEFAULT_SNAPSHOT_CLASS.to_owned()),
            image: aks.kubectl_image.clone(),
        }),
        dumps: backup.dumps.as_ref().map(|d| Dumps {
            schedule: d
                .schedule
                .clone()
                .unwrap_or_else(|| DEFAULT_DUMP_SCHEDULE.to_owned()),
            keep: d.keep.unwrap_or(DEFAULT_KEEP),
            size: d.storage.size.clone(),
            storage_class: d
                .storage
                .storage_class
                .clone()
                .unwrap_or_else(|| aks.storage_class.clone()),
        }),
        names: BackupNames::of(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest StatefulSet name gen accepts still makes CronJob names of at most 52
    /// characters (the Job controller appends 11) and Job names of at most 63.
    #[test]
    fn the_longest_stateful_set_name_fits_every_backup_name() {
        // src/validate/aks.rs: the schema Job `<name>-schema-<8 hex>` fits in 63.
        let longest = "a".repeat(63 - "-schema-".len() - 8);
        let names = BackupNames::of(&longest);
        for cron_job in [&names.snapshot, &names.dump] {
            assert!(cron_job.len() <= 52, "{cron_job}");
        }
        for other in [
            &names.snapshot_now,
            &names.dump_now,
            &names.dump_access,
            &names.dump_claim,
            &names.dump_restore_pod,
            &names.restore,
            &names.claim,
        ] {
            assert!(other.len() <= 63, "{other}");
        }
        // A snapshot's name: the prefix and `YYYYMMDD-HHMMSS`.
        assert!(names.snapshot_prefix.len() + 15 <= 63);
    }
}
