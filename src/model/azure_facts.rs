//! Azure Database for PostgreSQL Flexible Server's value domains, as data: the compute SKUs
//! and the tier each belongs to, the Premium SSD disk sizes and the performance tiers each
//! allows, the majors Azure offers, the extensions each major allow-lists, and the
//! administrator logins Azure reserves. Each table says where its rows come from; the rules
//! in `src/validate/azure.rs` and the model read these tables, never a literal of their own.
//!
//! Extending a table: add the row from the cited page (or a newer version of it), update
//! the table's source line with the commit or date you read, and run `cargo test --lib`
//! (the tests below check each table's shape). A value that no Microsoft page or ARM type
//! states is left out, not guessed.

/// A compute tier of Flexible Server (`sku.tier` in ARM). The model's own: the design's
/// tier (`input::Tier`) converts into it in `src/model/azure.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Burstable (B-series); no high availability, no read replicas.
    Burstable,
    /// General Purpose (D-series).
    GeneralPurpose,
    /// Memory Optimized (E-series).
    MemoryOptimized,
}

impl Tier {
    /// The name as ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Burstable => "Burstable",
            Tier::GeneralPurpose => "GeneralPurpose",
            Tier::MemoryOptimized => "MemoryOptimized",
        }
    }
}

/// A VM series Flexible Server offers: its SKUs are named `Standard_<letter><vCores><suffix>`
/// (`Standard_D4ds_v5`: letter `D`, 4 vCores, suffix `ds_v5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkuSeries {
    /// The series as Microsoft names it, e.g. `Ddsv5`.
    pub series: &'static str,
    /// The letter after `Standard_`: `B`, `D` or `E`.
    pub letter: char,
    /// What follows the vCore count, e.g. `ds_v5`.
    pub suffix: &'static str,
    /// The compute tier the series belongs to (`sku.tier` in ARM).
    pub tier: Tier,
    /// The vCore counts offered, lowest first.
    pub vcores: &'static [u32],
}

/// Every series Flexible Server offers, by tier.
///
/// Source: Microsoft Learn, "Compute options in Azure Database for PostgreSQL flexible
/// server" (<https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-compute>;
/// read in MicrosoftDocs/azure-databases-docs
/// `articles/postgresql/flexible-server/concepts-compute.md` @ 02732bed): the tier table (Burstable: B-series; General Purpose: Ddsv5, Dadsv5, Ddsv4,
/// Dsv3; Memory Optimized: Edsv5, Eadsv5, Edsv4, Esv3; 20 vCores on "v4/v5" E-series only)
/// and the "SKU name | vCores" table. That table has typos (`D16ds_v5 / D16ds_v5`,
/// `E32ds_v5 / D32ads_v5`, `E64ds_v5 / E64ads_v4`), read here as the `ads_v5` SKU of the same
/// row, which the tier table's vCore list confirms.
pub const SKU_SERIES: &[SkuSeries] = &[
    SkuSeries {
        series: "B-series (Bms)",
        letter: 'B',
        suffix: "ms",
        tier: Tier::Burstable,
        // B1ms, B2ms, B4ms, B8ms, B12ms, B16ms, B20ms.
        vcores: &[1, 2, 4, 8, 12, 16, 20],
    },
    SkuSeries {
        series: "B-series (Bs)",
        letter: 'B',
        suffix: "s",
        tier: Tier::Burstable,
        // B2s.
        vcores: &[2],
    },
    SkuSeries {
        series: "Dsv3",
        letter: 'D',
        suffix: "s_v3",
        tier: Tier::GeneralPurpose,
        vcores: &[2, 4, 8, 16, 32, 48, 64],
    },
    SkuSeries {
        series: "Ddsv4",
        letter: 'D',
        suffix: "ds_v4",
        tier: Tier::GeneralPurpose,
        vcores: &[2, 4, 8, 16, 32, 48, 64],
    },
    SkuSeries {
        series: "Ddsv5",
        letter: 'D',
        suffix: "ds_v5",
        tier: Tier::GeneralPurpose,
        vcores: &[2, 4, 8, 16, 32, 48, 64, 96],
    },
    SkuSeries {
        series: "Dadsv5",
        letter: 'D',
        suffix: "ads_v5",
        tier: Tier::GeneralPurpose,
        vcores: &[2, 4, 8, 16, 32, 48, 64, 96],
    },
    SkuSeries {
        series: "Esv3",
        letter: 'E',
        suffix: "s_v3",
        tier: Tier::MemoryOptimized,
        vcores: &[2, 4, 8, 16, 32, 48, 64],
    },
    SkuSeries {
        series: "Edsv4",
        letter: 'E',
        suffix: "ds_v4",
        tier: Tier::MemoryOptimized,
        vcores: &[2, 4, 8, 16, 20, 32, 48, 64],
    },
    SkuSeries {
        series: "Edsv5",
        letter: 'E',
        suffix: "ds_v5",
        tier: Tier::MemoryOptimized,
        vcores: &[2, 4, 8, 16, 20, 32, 48, 64, 96],
    },
    SkuSeries {
        series: "Eadsv5",
        letter: 'E',
        suffix: "ads_v5",
        tier: Tier::MemoryOptimized,
        vcores: &[2, 4, 8, 16, 20, 32, 48, 64, 96],
    },
];

/// What a SKU name says, read against [`SKU_SERIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkuName {
    /// A SKU of the table: its series and vCores.
    Known(&'static SkuSeries, u32),
    /// The name of a series of the table with a vCore count the series does not offer.
    OtherVcores(&'static SkuSeries, u32),
    /// No series of the table.
    Unknown,
}

/// Reads `Standard_<letter><vCores><suffix>` against [`SKU_SERIES`].
pub fn sku_name(name: &str) -> SkuName {
    let Some(rest) = name.strip_prefix("Standard_") else {
        return SkuName::Unknown;
    };
    let mut chars = rest.chars();
    let Some(letter) = chars.next() else {
        return SkuName::Unknown;
    };
    let tail = chars.as_str();
    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    let (count, suffix) = tail.split_at(digits);
    if count.is_empty() || count.starts_with('0') {
        return SkuName::Unknown;
    }
    let Ok(vcores) = count.parse::<u32>() else {
        return SkuName::Unknown;
    };
    match SKU_SERIES
        .iter()
        .find(|s| s.letter == letter && s.suffix == suffix)
    {
        Some(series) if series.vcores.contains(&vcores) => SkuName::Known(series, vcores),
        Some(series) => SkuName::OtherVcores(series, vcores),
        None => SkuName::Unknown,
    }
}

/// The tier of a SKU of the table; `None` for any other name.
pub fn sku_tier(name: &str) -> Option<Tier> {
    match sku_name(name) {
        SkuName::Known(series, _) => Some(series.tier),
        _ => None,
    }
}

/// The SKU name patterns of the table, as diagnostics list them: `Standard_B<n>ms`
/// (Burstable), … .
pub fn sku_patterns() -> String {
    crate::diagnostics::list(
        SKU_SERIES
            .iter()
            .map(|s| format!("Standard_{}<n>{} ({})", s.letter, s.suffix, s.tier.as_str())),
    )
}

/// The PostgreSQL majors Flexible Server offers (`properties.version`), lowest first.
///
/// Source: the ARM schema `Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01`,
/// `ServerProperties.version` enum `"11"` … `"18"` (in the reference data folder,
/// `$GEN_REFERENCE_DIR`: `azure-schemas/azure-resource-manager-schemas/schemas/2025-08-01/`
/// `Microsoft.DBforPostgreSQL.json`), and
/// Microsoft Learn, "Supported versions of PostgreSQL in Azure Database for PostgreSQL"
/// (<https://learn.microsoft.com/azure/postgresql/configure-maintain/concepts-supported-versions>,
/// read @ 0641e57b: 18 to 14, and 13 to 11 under extended support; "We don't support
/// PostgreSQL version 10 and older"). gen itself runs only the majors of
/// `src/validate/majors.rs`, a subset.
pub const AZURE_MAJORS: &[u32] = &[11, 12, 13, 14, 15, 16, 17, 18];

/// Extensions the server parameter `azure.extensions` accepts on a range of majors: those
/// that may be created (`CREATE EXTENSION` of any other fails, and ARM refuses the
/// parameter value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionAllowList {
    /// The first major of the range.
    pub from: u32,
    /// The last major of the range.
    pub to: u32,
    /// The extension names, lowercase, sorted.
    pub extensions: &'static [&'static str],
}

/// The allow-lists of the majors gen runs, grouped by the majors that share them.
///
/// Source: the "Allowed values" of `azure.extensions` in Microsoft Learn's server parameter
/// reference, "Customized options" (read in MicrosoftDocs/azure-databases-docs
/// `articles/postgresql/flexible-server/includes/param-<major>-customized-options.md`
/// @ 0762f958, one file per major: 14, 15 and 16 list the same 69 names, 17 drops `age`, 18
/// also drops `azure_ai`, `pg_diskann` and `timescaledb`); the extensions themselves are
/// described on "Extensions and modules by engine version"
/// (<https://learn.microsoft.com/azure/postgresql/extensions/concepts-extensions-by-engine>),
/// which also lists modules that are not extensions (`auto_explain`, `wal2json`).
///
/// Majors 11 to 13 have no row: gen refuses them before extensions are looked at, and a
/// major no row covers is not checked. To extend: read the major's "Allowed values" line,
/// widen the rows whose names it keeps (`to`), and add a row for the names it adds.
pub const EXTENSION_ALLOW_LISTS: &[ExtensionAllowList] = &[
    ExtensionAllowList {
        from: 14,
        to: 18,
        extensions: ON_14_TO_18,
    },
    ExtensionAllowList {
        from: 14,
        to: 17,
        extensions: ON_14_TO_17,
    },
    ExtensionAllowList {
        from: 14,
        to: 16,
        extensions: ON_14_TO_16,
    },
];

const ON_14_TO_18: &[&str] = &[
    "address_standardizer",
    "address_standardizer_data_us",
    "amcheck",
    "anon",
    "azure_storage",
    "bloom",
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dblink",
    "dict_int",
    "dict_xsyn",
    "earthdistance",
    "fuzzystrmatch",
    "hll",
    "hstore",
    "hypopg",
    "intagg",
    "intarray",
    "isn",
    "lo",
    "login_hook",
    "ltree",
    "oracle_fdw",
    "orafce",
    "pageinspect",
    "pg_buffercache",
    "pg_cron",
    "pg_freespacemap",
    "pg_hint_plan",
    "pg_partman",
    "pg_prewarm",
    "pg_repack",
    "pg_squeeze",
    "pg_stat_statements",
    "pg_trgm",
    "pg_visibility",
    "pgaudit",
    "pgcrypto",
    "pglogical",
    "pgrouting",
    "pgrowlocks",
    "pgstattuple",
    "plpgsql",
    "plv8",
    "postgis",
    "postgis_raster",
    "postgis_sfcgal",
    "postgis_tiger_geocoder",
    "postgis_topology",
    "postgres_fdw",
    "postgres_protobuf",
    "semver",
    "session_variable",
    "sslinfo",
    "tablefunc",
    "tdigest",
    "tds_fdw",
    "topn",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
    "vector",
];

const ON_14_TO_17: &[&str] = &["azure_ai", "pg_diskann", "timescaledb"];

const ON_14_TO_16: &[&str] = &["age"];

/// The extensions `azure.extensions` accepts on `major`, sorted, when a row covers the
/// major.
pub fn allowed_extensions(major: u32) -> Option<Vec<&'static str>> {
    let rows: Vec<&ExtensionAllowList> = EXTENSION_ALLOW_LISTS
        .iter()
        .filter(|row| (row.from..=row.to).contains(&major))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut names: Vec<&'static str> = rows
        .iter()
        .flat_map(|row| row.extensions.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    Some(names)
}

/// Premium SSD performance tiers, lowest first.
///
/// Source: the ARM schema `Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01`,
/// `Storage.tier` enum (in the reference data folder, `$GEN_REFERENCE_DIR`:
/// `azure-schemas/azure-resource-manager-schemas/schemas/2025-08-01/`
/// `Microsoft.DBforPostgreSQL.json`).
pub const PERFORMANCE_TIERS: &[&str] = &[
    "P1", "P2", "P3", "P4", "P6", "P10", "P15", "P20", "P30", "P40", "P50", "P60", "P70", "P80",
];

/// A Premium SSD (`Premium_LRS`) disk size Flexible Server offers, and the performance tiers
/// that size allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PremiumSsdSize {
    /// The size in GiB (`storage.storageSizeGB`).
    pub size_gb: u32,
    /// The tier Azure gives the size (its baseline).
    pub base_tier: &'static str,
    /// The higher tiers the disk may be set to, lowest first; none below the baseline.
    pub upgrades: &'static [&'static str],
}

/// Every Premium SSD size, smallest first.
///
/// Sources:
/// - the sizes: Microsoft Learn, "Storage options in Azure Database for PostgreSQL flexible
///   server" (MicrosoftDocs/azure-databases-docs
///   `articles/postgresql/flexible-server/concepts-storage.md` @ 04186f4e), the
///   "Disk size | Premium SSD IOPS" table: 32 GiB, 64 GiB, 128 GiB, 256 GiB, 512 GiB, 1 TiB,
///   2 TiB, 4 TiB, 8 TiB, 16 TiB, 32 TiB. The same page gives Premium SSD's
///   "Max disk size" as 32,767 GiB, and "Premium SSD" (`concepts-storage-premium-ssd.md`
///   @ 17de3cbc) calls 32,768 GiB autogrow's "maximum growing capacity" and 4,095 GiB the
///   portal's 4 TiB ("a P50 premium disk provisioned at 4,095 GiB"): both spellings of 4 TiB
///   and of 32 TiB are rows.
/// - the tiers of each size: Microsoft Learn, "Performance tiers for managed disks"
///   (<https://learn.microsoft.com/azure/virtual-machines/disks-change-performance>, read in
///   MicrosoftDocs/azure-compute-docs `articles/virtual-machines/disks-change-performance.md`
///   @ 8e3e43e2), "Disk size | Baseline performance tier | Can be upgraded to"; P60 to P80
///   only from 4,096 GiB. 4,095 GiB is a P50 disk (above) and gets the 4 TiB row.
pub const PREMIUM_SSD_SIZES: &[PremiumSsdSize] = &[
    PremiumSsdSize {
        size_gb: 32,
        base_tier: "P4",
        upgrades: &["P6", "P10", "P15", "P20", "P30", "P40", "P50"],
    },
    PremiumSsdSize {
        size_gb: 64,
        base_tier: "P6",
        upgrades: &["P10", "P15", "P20", "P30", "P40", "P50"],
    },
    PremiumSsdSize {
        size_gb: 128,
        base_tier: "P10",
        upgrades: &["P15", "P20", "P30", "P40", "P50"],
    },
    PremiumSsdSize {
        size_gb: 256,
        base_tier: "P15",
        upgrades: &["P20", "P30", "P40", "P50"],
    },
    PremiumSsdSize {
        size_gb: 512,
        base_tier: "P20",
        upgrades: &["P30", "P40", "P50"],
    },
    PremiumSsdSize {
        size_gb: 1024,
        base_tier: "P30",
        upgrades: &["P40", "P50"],
    },
    PremiumSsdSize {
        size_gb: 2048,
        base_tier: "P40",
        upgrades: &["P50"],
    },
    PremiumSsdSize {
        size_gb: 4095,
        base_tier: "P50",
        upgrades: &[],
    },
    PremiumSsdSize {
        size_gb: 4096,
        base_tier: "P50",
        upgrades: &[],
    },
    PremiumSsdSize {
        size_gb: 8192,
        base_tier: "P60",
        upgrades: &["P70", "P80"],
    },
    PremiumSsdSize {
        size_gb: 16384,
        base_tier: "P70",
        upgrades: &["P80"],
    },
    PremiumSsdSize {
        size_gb: 32767,
        base_tier: "P80",
        upgrades: &[],
    },
    PremiumSsdSize {
        size_gb: 32768,
        base_tier: "P80",
        upgrades: &[],
    },
];

/// The Premium SSD row of `size_gb`, when it is a size Azure offers.
pub fn premium_ssd_size(size_gb: u32) -> Option<&'static PremiumSsdSize> {
    PREMIUM_SSD_SIZES.iter().find(|row| row.size_gb == size_gb)
}

impl PremiumSsdSize {
    /// Every tier the size allows, its baseline first.
    pub fn allowed_tiers(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.base_tier).chain(self.upgrades.iter().copied())
    }
}

/// Administrator logins Azure refuses, and the prefixes it refuses.
///
/// Source: Microsoft Learn, "Quickstart: Create an Azure Database for PostgreSQL flexible
/// server" (Azure portal), `Admin username`: "The admin login name can't be
/// **azure_superuser**, **azure_pg_admin**, **admin**, **administrator**, **root**,
/// **guest**, or **public**. It can't start with **pg_**." (read in MicrosoftDocs/azure-docs
/// `articles/postgresql/flexible-server/quickstart-create-server-portal.md`).
/// `facts-azure.md` of the reference data folder has no such list, and the ARM type of
/// `administratorLogin` states no pattern.
pub const RESERVED_ADMIN_LOGINS: &[&str] = &[
    "azure_superuser",
    "azure_pg_admin",
    "admin",
    "administrator",
    "root",
    "guest",
    "public",
];

/// Prefixes of administrator logins Azure refuses (same source as [`RESERVED_ADMIN_LOGINS`]).
pub const RESERVED_ADMIN_PREFIXES: &[&str] = &["pg_"];

/// Whether Azure refuses `login` as the administrator login. Compared in lower case:
/// PostgreSQL folds unquoted role names to lower case, so `Admin` logs in as `admin`.
pub fn is_reserved_admin_login(login: &str) -> bool {
    let lower = login.to_ascii_lowercase();
    RESERVED_ADMIN_LOGINS.contains(&lower.as_str())
        || RESERVED_ADMIN_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// The domain every Flexible Server host name and every VNet-integration private DNS zone
/// ends in.
///
/// Source: Microsoft Learn, "Networking with private access (VNet integration)"
/// (`concepts-networking-private.md`, summarised in §3 of `facts-azure.md` in the reference
/// data folder):
/// the zone "must end in `.postgres.database.azure.com` (`[name].postgres.database.azure.com`
/// or `[n1].[n2].postgres.database.azure.com`); `[name]` must not equal a server name".
pub const SERVER_DOMAIN: &str = "postgres.database.azure.com";

/// The private DNS zone of Flexible Server private endpoints, and their group ID.
///
/// Source: Microsoft Learn, "Private Link for Azure Database for PostgreSQL flexible server"
/// (`concepts-networking-private-link.md`, summarised in §3 of `facts-azure.md` in the
/// reference data folder): sub-resource `postgresqlServer`, zone
/// `privatelink.postgres.database.azure.com`, the only name DNS auto-configuration works with;
/// Azure Verified Modules' private endpoint module writes it through a DNS zone group named
/// `default` whose config is named after the zone
/// (Azure/bicep-registry-modules `avm/res/network/private-endpoint/private-dns-zone-group/main.bicep`).
pub const PRIVATE_ENDPOINT_DNS_ZONE: &str = "privatelink.postgres.database.azure.com";

/// Maintenance window days as ARM numbers them (`maintenanceWindow.dayOfWeek`), by the
/// lowercase English day name the design uses, and the ranges of the start hour and minute.
///
/// Source: azure-cli 2.91.0, `azure/cli/command_modules/postgresql/utils/_flexible_server_util.py`
/// `_map_maintenance_window` (`sun` 0, `mon` 1 … `sat` 6), and `utils/validators.py`
/// `maintenance_window_validator` ("The hour must be between 0 and 23", "The minute must be
/// between 0 and 59"); the ARM type (`MaintenanceWindow` of
/// `Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01`) states no range.
pub const MAINTENANCE_DAYS: &[(&str, u32)] = &[
    ("sunday", 0),
    ("monday", 1),
    ("tuesday", 2),
    ("wednesday", 3),
    ("thursday", 4),
    ("friday", 5),
    ("saturday", 6),
];

/// The highest maintenance window start hour and minute (same source as [`MAINTENANCE_DAYS`]).
pub const MAINTENANCE_MAX_HOUR: u32 = 23;
/// See [`MAINTENANCE_MAX_HOUR`].
pub const MAINTENANCE_MAX_MINUTE: u32 = 59;

/// A built-in Azure role a design may name in `roleAssignments`, with its role definition ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltInRole {
    /// The role's name, as Azure spells it.
    pub name: &'static str,
    /// Its role definition GUID (the same in every tenant).
    pub id: &'static str,
}

/// The built-in roles Azure Verified Modules let a server's `roleAssignments` name.
///
/// Source: Azure/bicep-registry-modules, the `builtInRoleNames` variable of the AVM resource
/// modules (e.g. `avm/res/operational-insights/workspace/main.bicep`, and the PostgreSQL
/// flexible server module, which lists the same roles), and Microsoft Learn, "Azure built-in
/// roles" (<https://learn.microsoft.com/azure/role-based-access-control/built-in-roles>),
/// which gives each role's ID. Any other role is named by its GUID.
pub const BUILT_IN_ROLES: &[BuiltInRole] = &[
    BuiltInRole {
        name: "Contributor",
        id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    },
    BuiltInRole {
        name: "Monitoring Contributor",
        id: "749f88d5-cbae-40b8-bcfc-e573ddc772fa",
    },
    BuiltInRole {
        name: "Monitoring Reader",
        id: "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    },
    BuiltInRole {
        name: "Owner",
        id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    },
    BuiltInRole {
        name: "Reader",
        id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    },
    BuiltInRole {
        name: "Role Based Access Control Administrator",
        id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    },
    BuiltInRole {
        name: "User Access Administrator",
        id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    },
];

/// The role definition GUID a design's `role` means: a built-in role's by its name, or the
/// value itself when it is a GUID; `None` otherwise.
pub fn role_definition_id(role: &str) -> Option<String> {
    if let Some(known) = BUILT_IN_ROLES.iter().find(|r| r.name == role) {
        return Some(known.id.to_owned());
    }
    is_guid(role).then(|| role.to_ascii_lowercase())
}

/// Whether `text` is a GUID `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A resource log category of Flexible Server, or a category group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCategory {
    /// The category (or group) name.
    pub name: &'static str,
    /// Whether it is a category group (`categoryGroup`) rather than a category.
    pub group: bool,
}

/// The resource log categories of `Microsoft.DBforPostgreSQL/flexibleServers` and the category
/// groups Azure Monitor defines for every resource type.
///
/// Source: Microsoft Learn, "Supported logs for Microsoft.DBforPostgreSQL/flexibleServers"
/// (<https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-dbforpostgresql-flexibleservers-logs>):
/// PostgreSQLFlexDatabaseXacts, PostgreSQLFlexQueryStoreRuntime, PostgreSQLFlexQueryStoreWaitStats,
/// PostgreSQLFlexSessions, PostgreSQLFlexTableStats, PostgreSQLLogs, each with the log table
/// "AzureDiagnostics"; category groups `allLogs` and `audit` from Microsoft Learn, "Diagnostic
/// settings in Azure Monitor" (category groups).
pub const LOG_CATEGORIES: &[LogCategory] = &[
    LogCategory {
        name: "allLogs",
        group: true,
    },
    LogCategory {
        name: "audit",
        group: true,
    },
    LogCategory {
        name: "PostgreSQLFlexDatabaseXacts",
        group: false,
    },
    LogCategory {
        name: "PostgreSQLFlexQueryStoreRuntime",
        group: false,
    },
    LogCategory {
        name: "PostgreSQLFlexQueryStoreWaitStats",
        group: false,
    },
    LogCategory {
        name: "PostgreSQLFlexSessions",
        group: false,
    },
    LogCategory {
        name: "PostgreSQLFlexTableStats",
        group: false,
    },
    LogCategory {
        name: "PostgreSQLLogs",
        group: false,
    },
];

/// Whether Flexible Server's resource logs can go to resource-specific (`Dedicated`) tables:
/// no, every category's log table is `AzureDiagnostics` (same source as [`LOG_CATEGORIES`]).
pub const RESOURCE_SPECIFIC_LOG_TABLES: bool = false;

/// The name rule of a private endpoint (`Microsoft.Network/privateEndpoints`): 2 to 64
/// characters, letters, digits, `_`, `.` and `-`, starting with a letter or digit and ending
/// with one or `_`.
///
/// Source: Microsoft Learn, "Naming rules and restrictions for Azure resources"
/// (MicrosoftDocs/azure-docs `articles/azure-resource-manager/management/resource-name-rules.md`,
/// Microsoft.Network: "privateEndpoints | resource group | 2-64 | Alphanumerics, underscores,
/// periods, and hyphens. Start with alphanumeric. End alphanumeric or underscore."). The
/// Bicep type data gives no constraint.
pub const PRIVATE_ENDPOINT_NAME_MAX: usize = 64;

/// Whether `name` follows the rule of [`PRIVATE_ENDPOINT_NAME_MAX`].
pub fn is_private_endpoint_name(name: &str) -> bool {
    let (Some(first), Some(last)) = (name.chars().next(), name.chars().last()) else {
        return false;
    };
    (2..=PRIVATE_ENDPOINT_NAME_MAX).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && first.is_ascii_alphanumeric()
        && (last.is_ascii_alphanumeric() || last == '_')
}

/// The longest name of an ARM deployment (`az deployment group create -n`).
///
/// Source: Azure/bicep-types-az `generated/resources/microsoft.resources/2024-07-01/types.md`,
/// `Microsoft.Resources/deployments@2024-07-01`: `name: string {minLength: 1, maxLength: 64,
/// pattern: "^[-\w\._\(\)]+$"}` (letters, digits, `_`, `-`, `.`, `(` and `)`).
pub const DEPLOYMENT_NAME_MAX: usize = 64;

/// Whether `c` may appear in an ARM deployment name (same source as [`DEPLOYMENT_NAME_MAX`]).
pub fn is_deployment_name_char(c: char) -> bool {
    c.is_alphanumeric() || "-_.()".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_names_are_read_against_the_series() {
        assert_eq!(sku_tier("Standard_D2ds_v5"), Some(Tier::GeneralPurpose));
        assert_eq!(sku_tier("Standard_E2ds_v5"), Some(Tier::MemoryOptimized));
        assert_eq!(sku_tier("Standard_B1ms"), Some(Tier::Burstable));
        assert_eq!(sku_tier("Standard_B2s"), Some(Tier::Burstable));
        assert_eq!(sku_tier("Standard_D4s_v3"), Some(Tier::GeneralPurpose));
        assert_eq!(sku_tier("Standard_E20ds_v4"), Some(Tier::MemoryOptimized));
        assert!(matches!(
            sku_name("Standard_D20ds_v4"),
            SkuName::OtherVcores(s, 20) if s.series == "Ddsv4"
        ));
        for unknown in [
            "",
            "Standard_",
            "Standard_F4s_v2",
            "Standard_D4",
            "Standard_D04s_v3",
            "D4s_v3",
            "GP_Standard_D4s_v3",
            "Standard_D99999999999s_v3",
        ] {
            assert_eq!(sku_name(unknown), SkuName::Unknown, "{unknown:?}");
        }
    }

    #[test]
    fn the_tables_are_ordered_and_consistent() {
        for s in SKU_SERIES {
            assert!(s.vcores.windows(2).all(|w| w[0] < w[1]), "{s:?}");
        }
        assert!(AZURE_MAJORS.windows(2).all(|w| w[0] < w[1]));
        for m in crate::validate::majors::TESTED_MAJORS {
            assert!(AZURE_MAJORS.contains(&m.major), "{m:?}");
            assert!(allowed_extensions(m.major).is_some(), "{m:?}");
        }
        for row in EXTENSION_ALLOW_LISTS {
            assert!(row.extensions.windows(2).all(|w| w[0] < w[1]), "{row:?}");
            assert!(row.extensions.iter().all(|e| *e == e.to_lowercase()));
        }
        let count = |major| allowed_extensions(major).map(|names| names.len());
        assert_eq!(
            [14, 15, 16, 17, 18].map(count),
            [Some(69), Some(69), Some(69), Some(68), Some(65)]
        );
        assert_eq!(count(13), None);
        assert!(
            PREMIUM_SSD_SIZES
                .windows(2)
                .all(|w| w[0].size_gb < w[1].size_gb)
        );
        let rank = |t: &str| PERFORMANCE_TIERS.iter().position(|p| *p == t).unwrap();
        for row in PREMIUM_SSD_SIZES {
            let tiers: Vec<usize> = row.allowed_tiers().map(rank).collect();
            assert!(tiers.windows(2).all(|w| w[0] < w[1]), "{row:?}");
        }
    }

    #[test]
    fn reserved_logins_are_refused() {
        for login in [
            "admin",
            "Admin",
            "azure_pg_admin",
            "pg_admin",
            "PG_X",
            "public",
        ] {
            assert!(is_reserved_admin_login(login), "{login}");
        }
        for login in ["phonebill_admin", "administrator1", "postgres_admin"] {
            assert!(!is_reserved_admin_login(login), "{login}");
        }
    }
}
