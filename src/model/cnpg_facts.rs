//! Facts of the CloudNativePG operator and its Barman Cloud plugin that the `cnpg` platform
//! renders for and validates against, each with its source. Versions: operator v1.30.0
//! (tag `4b5e244a7d03`, 2026-06-29), plugin-barman-cloud v0.14.0 (`1e13020fe5f0`,
//! 2026-07-29); `docs/cnpg.md` tells how to move to another version.

/// The operator version the manifests target (`apiVersion: postgresql.cnpg.io/v1`).
pub const OPERATOR_VERSION: &str = "1.30.0";

/// The operator's release manifest, applied once per AKS cluster with `--server-side`
/// (docs/src/installation_upgrade.md, "Directly using the operator manifest").
pub const OPERATOR_MANIFEST: &str = "https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/release-1.30/releases/cnpg-1.30.0.yaml";

/// The Kubernetes versions operator 1.30 supports, and those it was tested on without
/// support (docs/src/supported_releases.md, "Support status").
pub const KUBERNETES_SUPPORTED: &str = "1.34, 1.35 and 1.36";

/// Kubernetes versions 1.30 is tested on but not supported on (same table).
pub const KUBERNETES_TESTED_ONLY: &str = "1.30 to 1.33";

/// The Barman Cloud plugin version, installed in the operator's namespace after cert-manager
/// (plugin-barman-cloud web/docs/installation.mdx).
pub const PLUGIN_VERSION: &str = "0.14.0";

/// The plugin's release manifest (the same page).
pub const PLUGIN_MANIFEST: &str =
    "https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml";

/// The plugin's name in `Cluster.spec.plugins` and `ScheduledBackup.spec.pluginConfiguration`
/// (plugin-barman-cloud internal/cnpgi/metadata/constants.go `PluginName`).
pub const PLUGIN_NAME: &str = "barman-cloud.cloudnative-pg.io";

/// The metric the plugin exports with the time of the last available base backup
/// (plugin-barman-cloud web/docs/observability.md; the prefix is the plugin name with `.`
/// and `-` turned into `_`, internal/cnpgi/instance/metrics.go).
pub const BACKUP_TIMESTAMP_METRIC: &str =
    "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";

/// PostgreSQL majors operator 1.30 runs (docs/src/supported_releases.md).
pub const POSTGRES_MAJORS: std::ops::RangeInclusive<u32> = 14..=18;

/// The lowest major an in-place major upgrade may go to (internal/webhook/v1/cluster_webhook.go
/// `validateImageChange`: "major upgrades are only supported to version 16 or higher").
pub const LOWEST_UPGRADE_TARGET: u32 = 16;

/// Image flavours of `ghcr.io/cloudnative-pg/postgresql` gen accepts: `system` is deprecated
/// and cannot be switched away from on a running cluster (cloudnative-pg/postgres-containers
/// README.md, "System Images (deprecated)").
pub const IMAGE_FLAVOURS: &[&str] = &["minimal", "standard"];

/// The flavour that carries every locale; `minimal` has `C` and `C.UTF-8` only (the same
/// README, "Standard Images": "All Locales").
pub const ALL_LOCALES_FLAVOUR: &str = "standard";

/// Locales every image flavour has.
pub const MINIMAL_LOCALES: &[&str] = &["C", "POSIX", "C.UTF-8", "C.utf8"];

/// Longest Cluster name (internal/webhook/v1/cluster_webhook.go `validateName`: a DNS-1035
/// label of at most 50 characters, so that `<name>-<n>` and the job names fit).
pub const MAX_CLUSTER_NAME: usize = 50;

/// Parameters the operator owns: a different value is refused by its webhook ("Can't set
/// fixed configuration parameter"), `allow_alter_system` is overwritten from
/// `enableAlterSystem`. Source: pkg/postgres/configuration.go `FixedConfigurationParameters`
/// at v1.30.0 and docs/src/postgresql_conf.md "Fixed parameters"; the union of both.
/// Parameters that gen itself renders elsewhere (the timezone) are in [`GEN_PARAMETERS`].
pub const FIXED_PARAMETERS: &[&str] = &[
    "allow_alter_system",
    "allow_system_table_mods",
    "archive_cleanup_command",
    "archive_command",
    "archive_mode",
    "bonjour",
    "bonjour_name",
    "cluster_name",
    "config_file",
    "data_directory",
    "data_sync_retry",
    "event_source",
    "external_pid_file",
    "hba_file",
    "hot_standby",
    "ident_file",
    "jit_provider",
    "listen_addresses",
    "log_destination",
    "log_directory",
    "log_file_mode",
    "log_filename",
    "log_rotation_age",
    "log_rotation_size",
    "log_truncate_on_rotation",
    "logging_collector",
    "pg_failover_slots.primary_dsn",
    "pg_failover_slots.standby_slot_names",
    "port",
    "primary_conninfo",
    "primary_slot_name",
    "promote_trigger_file",
    "recovery_end_command",
    "recovery_min_apply_delay",
    "recovery_target",
    "recovery_target_action",
    "recovery_target_inclusive",
    "recovery_target_lsn",
    "recovery_target_name",
    "recovery_target_time",
    "recovery_target_timeline",
    "recovery_target_xid",
    "restart_after_crash",
    "restore_command",
    "shared_preload_libraries",
    "ssl",
    "ssl_ca_file",
    "ssl_cert_file",
    "ssl_crl_file",
    "ssl_dh_params_file",
    "ssl_ecdh_curve",
    "ssl_key_file",
    "ssl_passphrase_command",
    "ssl_passphrase_command_supports_reload",
    "ssl_prefer_server_ciphers",
    "stats_temp_directory",
    "synchronized_standby_slots",
    "synchronous_standby_names",
    "syslog_facility",
    "syslog_ident",
    "syslog_sequence_numbers",
    "syslog_split_messages",
    "temp_tablespaces",
    "unix_socket_directories",
    "unix_socket_group",
    "unix_socket_permissions",
];

/// Parameters gen renders itself on cnpg: the design's timezone, and the SCRAM method the
/// operator's `pg_hba.conf` and managed roles rely on.
pub const GEN_PARAMETERS: &[&str] = &["timezone", "password_encryption"];

/// Role names the operator refuses in `managed.roles` (pkg/postgres/roles.go
/// `IsRoleReserved`): `postgres`, `streaming_replica`, and the prefixes `cnpg_` and `pg_`.
pub const RESERVED_ROLES: &[&str] = &["postgres", "streaming_replica"];

/// Role name prefixes the operator reserves (the same function).
pub const RESERVED_ROLE_PREFIXES: &[&str] = &["cnpg_", "pg_"];

/// PgBouncer settings a Pooler may set (pkg/specs/pgbouncer/... via
/// internal/webhook/v1/pooler_webhook.go and `AllowedPgbouncerGenericConfigurationParameters`;
/// docs/src/connection_pooling.md, "PgBouncer configuration options").
pub const POOLER_PARAMETERS: &[&str] = &[
    "application_name_add_host",
    "auth_type",
    "autodb_idle_timeout",
    "cancel_wait_timeout",
    "client_idle_timeout",
    "client_login_timeout",
    "client_tls13_ciphers",
    "client_tls_ciphers",
    "client_tls_sslmode",
    "default_pool_size",
    "disable_pqexec",
    "dns_max_ttl",
    "dns_nxdomain_ttl",
    "idle_transaction_timeout",
    "ignore_startup_parameters",
    "listen_backlog",
    "log_connections",
    "log_disconnections",
    "log_pooler_errors",
    "log_stats",
    "max_client_conn",
    "max_db_connections",
    "max_packet_size",
    "max_prepared_statements",
    "max_user_connections",
    "min_pool_size",
    "pkt_buf",
    "query_timeout",
    "query_wait_timeout",
    "reserve_pool_size",
    "reserve_pool_timeout",
    "sbuf_loopcnt",
    "server_check_delay",
    "server_check_query",
    "server_connect_timeout",
    "server_fast_close",
    "server_idle_timeout",
    "server_lifetime",
    "server_login_retry",
    "server_reset_query",
    "server_reset_query_always",
    "server_round_robin",
    "server_tls13_ciphers",
    "server_tls_ciphers",
    "server_tls_protocols",
    "server_tls_sslmode",
    "stats_period",
    "suspend_timeout",
    "tcp_defer_accept",
    "tcp_keepalive",
    "tcp_keepcnt",
    "tcp_keepidle",
    "tcp_keepintvl",
    "tcp_socket_buffer",
    "tcp_user_timeout",
    "track_extra_parameters",
    "verbose",
];

/// Suffixes of the Secrets the operator makes for a cluster `<name>` (api/v1/cluster_types.go
/// `*SecretSuffix`): a role's Secret of such a name would overwrite it, or be overwritten.
pub const OPERATOR_SECRET_SUFFIXES: &[&str] = &[
    "-superuser",
    "-app",
    "-ca",
    "-server",
    "-replication",
    "-pull-secret",
    "-pooler",
];

/// PgBouncer `auth_type` values that let a client in without checking its password
/// (PgBouncer's configuration reference, `auth_type`: `trust`, `any`, and `plain`, which
/// sends it in clear).
pub const PASSWORDLESS_AUTH: &[&str] = &["trust", "any", "plain"];

/// `client_tls_sslmode` values under which PgBouncer refuses clients without TLS (PgBouncer's
/// configuration reference; `disable`, `allow` and `prefer` admit them).
pub const POOLER_CLIENT_TLS_MODES: &[&str] = &["require", "verify-ca", "verify-full"];

/// Ports of the instance pods: PostgreSQL, the exporter (`metrics`) and the instance
/// manager's status endpoint the operator calls (pkg/specs/pods.go; docs/src/networking.md).
pub const POSTGRES_PORT: u16 = 5432;
/// See [`POSTGRES_PORT`].
pub const METRICS_PORT: u16 = 9187;
/// See [`POSTGRES_PORT`].
pub const STATUS_PORT: u16 = 8000;
/// The Pooler's exporter port (docs/src/connection_pooling.md, "Monitoring").
pub const POOLER_METRICS_PORT: u16 = 9127;

/// The label of the operator's pods, which the instances' NetworkPolicy admits
/// (docs/src/samples/networkpolicy-example.yaml).
pub const OPERATOR_POD_LABEL: (&str, &str) = ("app.kubernetes.io/name", "cloudnative-pg");

/// The operator's and plugin's namespace unless the environment names another.
pub const DEFAULT_OPERATOR_NAMESPACE: &str = "cnpg-system";

/// The pattern of `ObjectStore.spec.retentionPolicy` (plugin CRD, `^[1-9][0-9]*[dwm]$`).
pub fn is_retention(text: &str) -> bool {
    let Some(count) = text.strip_suffix(['d', 'w', 'm']) else {
        return false;
    };
    count.starts_with(|c: char| ('1'..='9').contains(&c))
        && count.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `name` is a role the operator refuses to manage.
pub fn is_reserved_role(name: &str) -> bool {
    RESERVED_ROLES.contains(&name) || RESERVED_ROLE_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The parts of an operand image tag `<major>[.<minor>][-<timestamp>]-<flavour>-<os>`:
/// (major, flavour, os); `None` for a tag of another form.
pub fn image_tag_parts(tag: &str) -> Option<(u32, &str, &str)> {
    let mut parts: Vec<&str> = tag.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return None;
    }
    let os = parts.pop()?;
    let flavour = parts.pop()?;
    let version = parts[0];
    if parts.len() == 2 && !(parts[1].len() == 12 && parts[1].bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut numbers = version.split('.');
    let major: u32 = numbers.next()?.parse().ok()?;
    if numbers.any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    (!os.is_empty() && !flavour.is_empty()).then_some((major, flavour, os))
}

/// The major of an image reference `<repository>:<tag>[@<digest>]` whose tag is an operand
/// tag ([`image_tag_parts`]).
pub fn reference_major(reference: &str) -> Option<u32> {
    reference_parts(reference).map(|(major, _)| major)
}

/// The major of an image reference and the rest of what its tag fixes (flavour and OS).
pub fn reference_parts(reference: &str) -> Option<(u32, String)> {
    let without_digest = reference.split('@').next()?;
    let (_, tag) = without_digest.rsplit_once(':')?;
    image_tag_parts(tag).map(|(major, flavour, os)| (major, format!("{flavour}-{os}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_follows_the_plugin_pattern() {
        for good in ["30d", "4w", "6m", "1d", "100d"] {
            assert!(is_retention(good), "{good}");
        }
        for bad in ["0d", "30", "d", "30 d", "30D", "1y", "-1d", "01d", ""] {
            assert!(!is_retention(bad), "{bad}");
        }
    }

    #[test]
    fn reserved_roles_are_the_operators() {
        assert!(
            is_reserved_role("postgres") && is_reserved_role("cnpg_x") && is_reserved_role("pg_x")
        );
        assert!(!is_reserved_role("app") && !is_reserved_role("pgx"));
    }

    #[test]
    fn references_name_their_major() {
        assert_eq!(
            reference_major("ghcr.io/cloudnative-pg/postgresql:16.14-standard-trixie"),
            Some(16)
        );
        assert_eq!(reference_major("r:17-minimal-trixie@sha256:00"), Some(17));
        assert_eq!(reference_major("r:latest"), None);
    }

    #[test]
    fn image_tags_split_into_major_flavour_and_os() {
        assert_eq!(
            image_tag_parts("16.14-standard-trixie"),
            Some((16, "standard", "trixie"))
        );
        assert_eq!(
            image_tag_parts("17-minimal-bookworm"),
            Some((17, "minimal", "bookworm"))
        );
        assert_eq!(
            image_tag_parts("16.10-202509090953-minimal-trixie"),
            Some((16, "minimal", "trixie"))
        );
        for bad in [
            "16",
            "latest",
            "16.14",
            "x-standard-trixie",
            "16.-standard-trixie",
            "16-1-standard-trixie",
        ] {
            assert_eq!(image_tag_parts(bad), None, "{bad}");
        }
    }
}
