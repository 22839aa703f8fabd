//! Flexible Server's server parameters, as data: the static ones (a new value takes effect only
//! after a server restart), the five a read replica must keep at least as high as its primary,
//! the default of `shared_preload_libraries` and of `pg_stat_statements.track`, per major.
//! The model and the renderers read these tables, never a literal list of their own.
//!
//! Source: Microsoft's generated server-parameter reference, one file per major and category
//! in MicrosoftDocs/azure-databases-docs
//! `articles/postgresql/flexible-server/includes/param-<major>-<category>.md` (the rows
//! `| Parameter type | static |`, `| Default value | … |`). [`SOURCES`] names each file read
//! and its commit; a row of [`STATIC_PARAMETERS`] is sourced by the file of its category on
//! each of its majors. The static table covers the majors gen runs (14 to 18,
//! `src/validate/majors.rs`): gen refuses the others before parameters are looked at.
//!
//! Categories read on 14 to 18: `connections-authentication-connection-settings`,
//! `resource-usage-memory`, `resource-usage-asynchronous-behavior`, `lock-management`,
//! `write-ahead-log-settings`, `replication-sending-servers`, `replication-subscribers`,
//! `autovacuum`, `statistics-cumulative-query-index-statistics`,
//! `client-connection-defaults-shared-library-preloading` and `customized-options` (on 14
//! and 15 its `age.*`/`anon.*`/`auto_explain.*` head and, on 15, its `index_tuning.*` part
//! were not read; those rows are read-only or dynamic on 16 to 18). On 17 also
//! `resource-usage-kernel-resources`, `error-handling`, `process-title`,
//! `replication-standby-servers`, `write-ahead-log-archiving`, `pgbouncer` and
//! `intelligent-tuning`, which list no static parameter (what PostgreSQL starts with there,
//! `cluster_name`, `hot_standby`, `archive_mode`, …, is read-only on Azure). The other
//! categories were not read.
//!
//! Regenerating: in a checkout of MicrosoftDocs/azure-databases-docs, run
//! `scripts/azure-static-parameters <checkout>`: it prints every static row
//! (`static <major> <category> <name>`) and the `shared_preload_libraries` and
//! `pg_stat_statements.track` defaults (`default <major> <name> <value>`). Compare with the tables, update the rows and the commits of [`SOURCES`], and run
//! `cargo test --lib` (the tests below check that every row has a source). A value no file
//! states is left out, not guessed.

/// One parameter file of Microsoft's reference that the tables were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The PostgreSQL major of the file.
    pub major: u32,
    /// The category part of the file name: `param-<major>-<category>.md`.
    pub category: &'static str,
    /// The commit of MicrosoftDocs/azure-databases-docs the file was read at.
    pub commit: &'static str,
}

const CONNECTIONS: &str = "connections-authentication-connection-settings";
const MEMORY: &str = "resource-usage-memory";
const ASYNC: &str = "resource-usage-asynchronous-behavior";
const LOCKS: &str = "lock-management";
const WAL: &str = "write-ahead-log-settings";
const SENDING: &str = "replication-sending-servers";
const SUBSCRIBERS: &str = "replication-subscribers";
const AUTOVACUUM: &str = "autovacuum";
const STATISTICS: &str = "statistics-cumulative-query-index-statistics";
const PRELOADING: &str = "client-connection-defaults-shared-library-preloading";
const CUSTOMIZED: &str = "customized-options";

const fn source(major: u32, category: &'static str, commit: &'static str) -> Source {
    Source {
        major,
        category,
        commit,
    }
}

/// The files read, with the commit of each (MicrosoftDocs/azure-databases-docs, in
/// `articles/postgresql/flexible-server/includes/`).
pub const SOURCES: &[Source] = &[
    source(11, PRELOADING, "4e46dbb8"),
    source(12, PRELOADING, "4e46dbb8"),
    source(13, PRELOADING, "4e46dbb8"),
    source(14, PRELOADING, "31cb83d9"),
    source(15, PRELOADING, "31cb83d9"),
    source(16, PRELOADING, "ea96d65d"),
    source(17, PRELOADING, "ea96d65d"),
    source(18, PRELOADING, "4e46dbb8"),
    source(14, CONNECTIONS, "4e46dbb8"),
    source(15, CONNECTIONS, "4e46dbb8"),
    source(16, CONNECTIONS, "4e46dbb8"),
    source(17, CONNECTIONS, "4e46dbb8"),
    source(18, CONNECTIONS, "0762f958"),
    source(14, MEMORY, "4e46dbb8"),
    source(15, MEMORY, "4e46dbb8"),
    source(16, MEMORY, "4e46dbb8"),
    source(17, MEMORY, "4e46dbb8"),
    source(18, MEMORY, "0762f958"),
    source(14, ASYNC, "6e19d180"),
    source(15, ASYNC, "4e46dbb8"),
    source(16, ASYNC, "4e46dbb8"),
    source(17, ASYNC, "0762f958"),
    source(18, ASYNC, "0762f958"),
    source(14, LOCKS, "4e46dbb8"),
    source(15, LOCKS, "4e46dbb8"),
    source(16, LOCKS, "4e46dbb8"),
    source(17, LOCKS, "4e46dbb8"),
    source(18, LOCKS, "4e46dbb8"),
    source(14, WAL, "4e46dbb8"),
    source(15, WAL, "4e46dbb8"),
    source(16, WAL, "4e46dbb8"),
    source(17, WAL, "4e46dbb8"),
    source(18, WAL, "0762f958"),
    source(14, SENDING, "4e46dbb8"),
    source(15, SENDING, "4e46dbb8"),
    source(16, SENDING, "4e46dbb8"),
    source(17, SENDING, "4e46dbb8"),
    source(18, SENDING, "4e46dbb8"),
    source(14, SUBSCRIBERS, "4e46dbb8"),
    source(15, SUBSCRIBERS, "4e46dbb8"),
    source(16, SUBSCRIBERS, "4e46dbb8"),
    source(17, SUBSCRIBERS, "4e46dbb8"),
    source(18, SUBSCRIBERS, "4e46dbb8"),
    source(14, AUTOVACUUM, "4e46dbb8"),
    source(15, AUTOVACUUM, "4e46dbb8"),
    source(16, AUTOVACUUM, "4e46dbb8"),
    source(17, AUTOVACUUM, "4e46dbb8"),
    source(18, AUTOVACUUM, "0762f958"),
    source(14, STATISTICS, "4e46dbb8"),
    source(15, STATISTICS, "4e46dbb8"),
    source(16, STATISTICS, "4e46dbb8"),
    source(17, STATISTICS, "4e46dbb8"),
    source(18, STATISTICS, "0762f958"),
    source(14, CUSTOMIZED, "0762f958"),
    source(15, CUSTOMIZED, "0762f958"),
    source(16, CUSTOMIZED, "0762f958"),
    source(17, CUSTOMIZED, "0762f958"),
    source(18, CUSTOMIZED, "0762f958"),
];

/// The source file of `category` on `major`, if it was read.
pub fn source_of(major: u32, category: &str) -> Option<&'static Source> {
    SOURCES
        .iter()
        .find(|s| s.major == major && s.category == category)
}

/// A server parameter that is static on some majors: a new value is saved at once but takes
/// effect after the next server restart (`isConfigPendingRestart` until then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticParameter {
    /// The parameter, as the tables spell it.
    pub name: &'static str,
    /// The majors whose table says `static`, lowest first; on any other major gen runs the
    /// parameter is dynamic, read-only or absent.
    pub majors: &'static [u32],
    /// The category of the files that say so (see [`SOURCES`]).
    pub category: &'static str,
    /// Whether a read replica must keep the parameter at least as high as its primary.
    /// Source: Microsoft Learn, "Read replicas in Azure Database for PostgreSQL"
    /// (MicrosoftDocs/azure-databases-docs
    /// `articles/postgresql/flexible-server/concepts-read-replicas.md` @ 017b7aa3, sections
    /// "Server parameters" and "Scale"): `max_connections`, `max_prepared_transactions`,
    /// `max_locks_per_transaction`, `max_wal_senders`, `max_worker_processes`, "either
    /// equivalent to or greater than those configured on the primary server", so that the
    /// replica does not run out of shared memory during recovery.
    pub replica_at_least_primary: bool,
}

const ALL: &[u32] = &[14, 15, 16, 17, 18];
const TO_16: &[u32] = &[14, 15, 16];
const TO_17: &[u32] = &[14, 15, 16, 17];
const FROM_17: &[u32] = &[17, 18];
const ONLY_18: &[u32] = &[18];

const fn row(
    name: &'static str,
    majors: &'static [u32],
    category: &'static str,
) -> StaticParameter {
    StaticParameter {
        name,
        majors,
        category,
        replica_at_least_primary: false,
    }
}

/// A [`row`] a replica must keep at least as high as its primary.
const fn replica_row(
    name: &'static str,
    majors: &'static [u32],
    category: &'static str,
) -> StaticParameter {
    StaticParameter {
        replica_at_least_primary: true,
        ..row(name, majors, category)
    }
}

/// Every parameter a design can set that is static on a major gen runs, by category. Azure
/// lists more parameters whose PostgreSQL context is "postmaster" (`port`, `archive_mode`,
/// `hot_standby`, …) as read-only: a design cannot set them, so they have no row.
pub const STATIC_PARAMETERS: &[StaticParameter] = &[
    replica_row("max_connections", ALL, CONNECTIONS),
    row("huge_pages", ALL, MEMORY),
    replica_row("max_prepared_transactions", ALL, MEMORY),
    row("shared_buffers", ALL, MEMORY),
    row("commit_timestamp_buffers", FROM_17, MEMORY),
    row("multixact_member_buffers", FROM_17, MEMORY),
    row("multixact_offset_buffers", FROM_17, MEMORY),
    row("notify_buffers", FROM_17, MEMORY),
    row("serializable_buffers", FROM_17, MEMORY),
    row("subtransaction_buffers", FROM_17, MEMORY),
    row("transaction_buffers", FROM_17, MEMORY),
    replica_row("max_worker_processes", ALL, ASYNC),
    row("old_snapshot_threshold", TO_16, ASYNC),
    replica_row("max_locks_per_transaction", ALL, LOCKS),
    row("wal_buffers", ALL, WAL),
    row("wal_level", ALL, WAL),
    row("max_replication_slots", ALL, SENDING),
    replica_row("max_wal_senders", ALL, SENDING),
    row("track_commit_timestamp", ALL, SENDING),
    row("max_logical_replication_workers", ALL, SUBSCRIBERS),
    row("autovacuum_freeze_max_age", ALL, AUTOVACUUM),
    // Dynamic on 18, which adds the static `autovacuum_worker_slots`.
    row("autovacuum_max_workers", TO_17, AUTOVACUUM),
    row("autovacuum_multixact_freeze_max_age", ALL, AUTOVACUUM),
    row("track_activity_query_size", ALL, STATISTICS),
    row("shared_preload_libraries", ALL, PRELOADING),
    row("autovacuum_worker_slots", ONLY_18, CUSTOMIZED),
    row("azure_cdc.max_fabric_mirrors", ALL, CUSTOMIZED),
    row("cron.database_name", ALL, CUSTOMIZED),
    row("cron.log_run", ALL, CUSTOMIZED),
    row("cron.log_statement", ALL, CUSTOMIZED),
    row("cron.max_running_jobs", ALL, CUSTOMIZED),
    row("duckdb.max_memory", TO_17, CUSTOMIZED),
    row("duckdb.max_workers_per_postgres_scan", TO_17, CUSTOMIZED),
    row("duckdb.memory_limit", TO_17, CUSTOMIZED),
    row("duckdb.threads", TO_17, CUSTOMIZED),
    row("duckdb.worker_threads", TO_17, CUSTOMIZED),
    row("io_max_concurrency", ONLY_18, CUSTOMIZED),
    row("io_method", ONLY_18, CUSTOMIZED),
    row("max_active_replication_origins", ONLY_18, CUSTOMIZED),
    // Dynamic on 14 to 17.
    row("pg_qs.interval_length_minutes", ONLY_18, CUSTOMIZED),
    row("pg_stat_statements.max", ALL, CUSTOMIZED),
];

/// The row of parameter `name` (compared without case, as PostgreSQL compares parameter
/// names), if it is static on any major.
pub fn static_parameter(name: &str) -> Option<&'static StaticParameter> {
    STATIC_PARAMETERS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Whether parameter `name` is static on `major`: false for a parameter or major the table
/// does not cover.
pub fn is_static(name: &str, major: u32) -> bool {
    static_parameter(name).is_some_and(|p| p.majors.contains(&major))
}

/// The parameters a read replica must keep at least as high as its primary (see
/// [`StaticParameter::replica_at_least_primary`]).
pub fn replica_at_least_primary() -> impl Iterator<Item = &'static str> {
    STATIC_PARAMETERS
        .iter()
        .filter(|p| p.replica_at_least_primary)
        .map(|p| p.name)
}

/// A default of a server parameter on one major, from its `param-<major>-<category>.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MajorDefault {
    /// The major.
    pub major: u32,
    /// The default value, as the file writes it.
    pub value: &'static str,
}

const fn default(major: u32, value: &'static str) -> MajorDefault {
    MajorDefault { major, value }
}

/// The server's default `shared_preload_libraries`, per major ([`PRELOADING`] files of
/// [`SOURCES`]). 17 alone leaves `pg_cron` out. Every major Flexible Server offers has a row
/// (a test checks it against `AZURE_MAJORS`); for a major without one the model writes the
/// parameter only when the design sets it (`src/model/parameters.rs`).
pub const DEFAULT_PRELOAD: &[MajorDefault] = &[
    default(11, "pg_cron,pg_stat_statements"),
    default(12, "pg_cron,pg_stat_statements"),
    default(13, "pg_cron,pg_stat_statements"),
    default(14, "pg_cron,pg_stat_statements"),
    default(15, "pg_cron,pg_stat_statements"),
    default(16, "pg_cron,pg_stat_statements"),
    default(17, "pg_stat_statements"),
    default(18, "pg_cron,pg_stat_statements"),
];

/// The default `shared_preload_libraries` of `major`, one library an item; `None` when the
/// table has no row for it.
pub fn default_preload(major: u32) -> Option<impl Iterator<Item = &'static str>> {
    DEFAULT_PRELOAD
        .iter()
        .find(|d| d.major == major)
        .map(|d| d.value.split(',').map(str::trim).filter(|l| !l.is_empty()))
}

/// The server's default `pg_stat_statements.track`, per major ([`CUSTOMIZED`] files of
/// [`SOURCES`]): `none` on every major gen runs. Microsoft Learn's "Extensions" page
/// (`concepts-extensions.md`) says `top` instead (the reference data's facts-azure.md §4 and
/// §8); gen follows the parameter tables and writes `top` whenever the module is preloaded,
/// so that either way the statements are counted.
pub const DEFAULT_STATEMENTS_TRACK: &[MajorDefault] = &[
    default(14, "none"),
    default(15, "none"),
    default(16, "none"),
    default(17, "none"),
    default(18, "none"),
];

/// The default `pg_stat_statements.track` of `major`, if the table has a row for it.
pub fn default_statements_track(major: u32) -> Option<&'static str> {
    DEFAULT_STATEMENTS_TRACK
        .iter()
        .find(|d| d.major == major)
        .map(|d| d.value)
}

/// The major of a server's `version` (`"16"`), if it is one.
pub fn major_of(version: &str) -> Option<u32> {
    version.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::azure_facts::AZURE_MAJORS;

    #[test]
    fn every_row_has_a_source() {
        for p in STATIC_PARAMETERS {
            assert!(!p.majors.is_empty(), "{p:?}");
            assert!(p.majors.windows(2).all(|w| w[0] < w[1]), "{p:?}");
            for major in p.majors {
                assert!(source_of(*major, p.category).is_some(), "{p:?} on {major}");
            }
        }
        for d in DEFAULT_PRELOAD {
            assert!(source_of(d.major, PRELOADING).is_some(), "{d:?}");
        }
        for d in DEFAULT_STATEMENTS_TRACK {
            assert!(source_of(d.major, CUSTOMIZED).is_some(), "{d:?}");
        }
        for s in SOURCES {
            assert_eq!(s.commit.len(), 8, "{s:?}");
            assert!(s.commit.bytes().all(|b| b.is_ascii_hexdigit()), "{s:?}");
            let same = SOURCES
                .iter()
                .filter(|o| o.major == s.major && o.category == s.category);
            assert_eq!(same.count(), 1, "{s:?}");
        }
        let mut names: Vec<&str> = STATIC_PARAMETERS.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STATIC_PARAMETERS.len());
    }

    #[test]
    fn the_tables_cover_the_majors() {
        for major in AZURE_MAJORS {
            assert!(default_preload(*major).is_some(), "{major}");
        }
        for m in crate::validate::majors::TESTED_MAJORS {
            assert!(default_statements_track(m.major).is_some(), "{m:?}");
            for category in [
                CONNECTIONS,
                MEMORY,
                ASYNC,
                LOCKS,
                WAL,
                SENDING,
                SUBSCRIBERS,
                AUTOVACUUM,
                STATISTICS,
                PRELOADING,
                CUSTOMIZED,
            ] {
                assert!(source_of(m.major, category).is_some(), "{m:?} {category}");
            }
        }
        let preload = |major| default_preload(major).map(Iterator::collect::<Vec<_>>);
        assert_eq!(preload(17), Some(vec!["pg_stat_statements"]));
        assert_eq!(preload(16), Some(vec!["pg_cron", "pg_stat_statements"]));
        assert_eq!(preload(10), None);
    }

    #[test]
    fn static_parameters_are_read_per_major() {
        assert!(is_static("max_connections", 16));
        assert!(is_static("Max_Connections", 18));
        assert!(is_static("shared_preload_libraries", 17));
        assert!(is_static("autovacuum_max_workers", 17));
        assert!(!is_static("autovacuum_max_workers", 18));
        assert!(is_static("autovacuum_worker_slots", 18));
        assert!(!is_static("old_snapshot_threshold", 17));
        assert!(!is_static("log_min_duration_statement", 16));
        assert!(!is_static("azure.extensions", 16));
        assert!(!is_static("pg_stat_statements.track", 16));
        assert!(!is_static("max_connections", 13));
        assert_eq!(
            replica_at_least_primary().collect::<Vec<_>>(),
            [
                "max_connections",
                "max_prepared_transactions",
                "max_worker_processes",
                "max_locks_per_transaction",
                "max_wal_senders",
            ]
        );
        assert!(replica_at_least_primary().all(|name| ALL.iter().all(|m| is_static(name, *m))));
        assert_eq!(major_of("16"), Some(16));
        assert_eq!(major_of("sixteen"), None);
    }
}
