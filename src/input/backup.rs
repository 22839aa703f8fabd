//! Input types of an aks target's backups (`deployments.<env>.statefulSet.backup`): Azure
//! Disk snapshots of the data volume and logical dumps, each optional.

use schemars::JsonSchema;
use serde::Deserialize;

/// Backups of an in-cluster PostgreSQL; each kind is made only when its section is present.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatefulSetBackup {
    /// IANA time zone the schedules are read in, e.g. `Asia/Seoul`; default the
    /// CronJob controller's (UTC on AKS).
    pub time_zone: Option<String>,
    /// VolumeSnapshots of the data volume through the CSI snapshot class.
    pub snapshots: Option<SnapshotBackup>,
    /// `pg_dump` archives of the service database on a volume of their own.
    pub dumps: Option<DumpBackup>,
}

/// Scheduled VolumeSnapshots of the data volume.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnapshotBackup {
    /// Cron schedule (five fields), e.g. `"0 3 * * *"` (the default: daily at 03:00).
    pub schedule: Option<String>,
    /// Snapshots kept: the oldest ready ones beyond this number are deleted (default 7).
    pub keep: Option<u32>,
    /// VolumeSnapshotClass; default `csi-azuredisk-vsc`.
    pub snapshot_class: Option<String>,
}

/// Scheduled logical dumps.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DumpBackup {
    /// Cron schedule (five fields); default `"30 3 * * *"` (daily at 03:30).
    pub schedule: Option<String>,
    /// Dumps kept: the oldest beyond this number are deleted (default 7).
    pub keep: Option<u32>,
    /// The volume the dumps are written to.
    pub storage: DumpStorage,
}

/// The dumps' volume.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DumpStorage {
    /// Size, e.g. `10Gi`.
    pub size: String,
    /// StorageClass; default the environment's `aks.storageClass`.
    pub storage_class: Option<String>,
}
