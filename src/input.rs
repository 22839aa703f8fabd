//! Input types: the three kinds of design file, exactly as a user writes them.
//!
//! These types are the input contract (`docs/inputs.md` describes every field). They derive
//! `JsonSchema` so that `gen schema` can publish the schema editors and the first
//! validation stage use, and `Deserialize` so that a validated file becomes a value.
//! They are deliberately dumb: defaults, cross-references and platform rules live in
//! `validate` and `model`, never here. No field can hold a secret value: inputs only
//! name where a secret lives (`*Secret` fields).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

mod backup;
mod cnpg;
pub use backup::{DumpBackup, DumpStorage, SnapshotBackup, StatefulSetBackup};
pub use cnpg::{
    Affinity, BackupCredentials, BackupStore, ClusterBackup, ClusterDeployment, ClusterStorage,
    ClusterTls, CnpgEnvironment, DataDurability, PoolMode, PoolerDeployment, Synchronous,
};

/// `project.yaml`: the system every other file belongs to.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectFile {
    /// Name of the system, e.g. `phonebill`.
    pub name: String,
    /// Labels put on every Kubernetes object and (as tags) on every Azure resource.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Defaults a service may override.
    #[serde(default)]
    pub defaults: ProjectDefaults,
}

/// Defaults shared by every service of the project.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectDefaults {
    /// Database defaults.
    #[serde(default)]
    pub database: DatabaseDefaults,
}

/// Encoding, locale and timezone used where a service does not set its own.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseDefaults {
    /// Server-side encoding, e.g. `UTF8`.
    pub encoding: Option<String>,
    /// Collation and character classification, e.g. `en_US.UTF-8`.
    pub locale: Option<String>,
    /// IANA timezone name, e.g. `Asia/Seoul`.
    pub timezone: Option<String>,
}

/// `environments/<env>.yaml`: one environment and the infrastructure its services share.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentFile {
    /// Environment name; must equal the file name without `.yaml`.
    pub name: String,
    /// Where the databases of this environment run.
    pub platform: Platform,
    /// Required when `platform` is `aks`.
    pub aks: Option<AksEnvironment>,
    /// Required when `platform` is `azure-flexible-server`.
    pub azure: Option<AzureEnvironment>,
    /// Required when `platform` is `cnpg`.
    pub cnpg: Option<CnpgEnvironment>,
    /// Alert routing and rules for every target in this environment.
    pub alerting: Option<Alerting>,
}

/// The platform databases run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// A StatefulSet of the Bitnami PostgreSQL image in an AKS cluster.
    Aks,
    /// Azure Database for PostgreSQL Flexible Server.
    AzureFlexibleServer,
    /// A CloudNativePG `Cluster` in an AKS cluster: replicated instances, automated
    /// failover, continuous backup to Azure Blob.
    Cnpg,
}

impl Platform {
    /// The name as written in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Aks => "aks",
            Platform::AzureFlexibleServer => "azure-flexible-server",
            Platform::Cnpg => "cnpg",
        }
    }

    /// Whether the databases run in an AKS cluster, watched by Azure Monitor managed
    /// Prometheus (alerts are Prometheus rule groups, charts PromQL).
    pub fn in_kubernetes(self) -> bool {
        matches!(self, Platform::Aks | Platform::Cnpg)
    }
}

/// The AKS cluster and namespace an environment's databases run in.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AksEnvironment {
    /// AKS cluster name.
    pub cluster: String,
    /// Resource group of the cluster.
    pub resource_group: String,
    /// Namespace every database of this environment runs in.
    pub namespace: String,
    /// Whether gen owns the namespace (default `false`): when `true` it renders the Namespace,
    /// enforcing Pod Security `restricted`; when `false` the namespace must exist and the
    /// install plan checks it first.
    pub manage_namespace: Option<bool>,
    /// Storage class of the data volume claims.
    pub storage_class: String,
    /// PostgreSQL container image.
    pub image: ContainerImage,
    /// postgres_exporter sidecar image; default
    /// `quay.io/prometheuscommunity/postgres-exporter:v0.17.1`. Give a digest to pin it.
    pub exporter_image: Option<ContainerImage>,
    /// Pods allowed to connect to the databases.
    pub clients: PodSelector,
    /// Namespace of the Prometheus scraper allowed to reach the exporter (default `kube-system`,
    /// where Azure Monitor's ama-metrics runs).
    pub monitoring_namespace: Option<String>,
    /// kubectl image of the snapshot CronJob; default `registry.k8s.io/kubectl:v1.35.0`.
    pub kubectl_image: Option<ContainerImage>,
    /// How Azure Monitor managed Prometheus finds the exporters (default `podMonitor`).
    pub metrics_scrape: Option<MetricsScrape>,
}

/// How Azure Monitor managed Prometheus (ama-metrics) finds a database's exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum MetricsScrape {
    /// A namespaced `azmonitoring.coreos.com/v1` PodMonitor rendered beside the StatefulSet.
    PodMonitor,
    /// The pod's `prometheus.io/*` annotations, which ama-metrics reads only in namespaces
    /// that the cluster-wide `ama-metrics-settings-configmap` lists.
    PodAnnotations,
}

/// A container image reference.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerImage {
    /// Repository, e.g. `docker.io/bitnamilegacy/postgresql`.
    pub repository: String,
    /// Tag, e.g. `"14"`.
    pub tag: String,
    /// Optional digest (`sha256:...`) pinning the exact image.
    pub digest: Option<String>,
}

/// A label selector for pods.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSelector {
    /// Labels the client pods carry.
    pub match_labels: BTreeMap<String, String>,
}

/// Shared Azure infrastructure of an environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureEnvironment {
    /// Resource group the servers are deployed to.
    pub resource_group: String,
    /// Azure region of the primary servers, e.g. `koreacentral`.
    pub location: String,
    /// Network access of the servers.
    pub network: AzureNetwork,
    /// Log Analytics workspace receiving diagnostics.
    pub log_analytics_workspace: AzureResourceRef,
    /// Microsoft Entra ID administrators of every server.
    #[serde(default)]
    pub administrators: Vec<EntraAdministrator>,
    /// Key Vault holding deploy-time secrets.
    pub key_vault: KeyVaultRef,
    /// What the diagnostic settings of every server send to the Log Analytics workspace.
    pub diagnostics: Option<Diagnostics>,
}

/// The diagnostic settings of the servers: log categories (or category groups), metrics,
/// and the workspace table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Diagnostics {
    /// Log categories or category groups sent; default `[allLogs]`, `[]` for none.
    pub logs: Option<Vec<String>>,
    /// Whether the platform metrics (`AllMetrics`) are sent; default `true`.
    pub metrics: Option<bool>,
    /// The workspace table the logs land in; default `AzureDiagnostics`.
    pub destination_table: Option<DestinationTable>,
}

/// The Log Analytics table of resource logs (`logAnalyticsDestinationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum DestinationTable {
    /// The shared `AzureDiagnostics` table.
    AzureDiagnostics,
    /// Resource-specific tables.
    Dedicated,
}

/// The Key Vault deploy-time secrets are read from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyVaultRef {
    /// Vault name.
    pub name: String,
    /// Resource group of the vault.
    pub resource_group: String,
    /// Subscription of the vault; when absent, `main.bicepparam` reads it from the
    /// `AZURE_SUBSCRIPTION_ID` environment variable at deploy time.
    pub subscription_id: Option<String>,
}

/// A reference to an existing Azure resource.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureResourceRef {
    /// Resource name.
    pub name: String,
    /// Resource group of the resource.
    pub resource_group: String,
}

/// How clients reach the servers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureNetwork {
    /// `private` (VNet integration) or `public` (firewall rules).
    pub access: NetworkAccess,
    /// Existing virtual network (private access).
    pub virtual_network: Option<AzureResourceRef>,
    /// Subnet delegated to `Microsoft.DBforPostgreSQL/flexibleServers` (private access).
    pub delegated_subnet: Option<Subnet>,
    /// Private DNS zone, ending in `.postgres.database.azure.com` (private access).
    pub private_dns_zone: Option<String>,
    /// Subnets whose traffic is admitted on 5432.
    #[serde(default)]
    pub clients: Vec<Subnet>,
    /// Firewall rules (public access only).
    #[serde(default)]
    pub firewall_rules: Vec<FirewallRule>,
    /// Private endpoints (public access only; VNet-integrated servers cannot have them). With
    /// them, public network access is turned off and firewall rules are refused.
    #[serde(default)]
    pub private_endpoints: Vec<PrivateEndpoint>,
    /// The existing `privatelink.postgres.database.azure.com` zone the private endpoints'
    /// DNS zone groups write to (required with `privateEndpoints`).
    pub private_endpoint_dns_zone: Option<PrivateEndpointDnsZone>,
}

/// Where the existing `privatelink.postgres.database.azure.com` zone lives.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivateEndpointDnsZone {
    /// Resource group of the zone.
    pub resource_group: String,
    /// Subscription of the zone, when it is not the deployment's.
    pub subscription_id: Option<String>,
}

/// Network access mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkAccess {
    /// VNet integration.
    Private,
    /// Public endpoint with firewall rules.
    Public,
}

/// A subnet.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subnet {
    /// Subnet name.
    pub name: String,
    /// CIDR, e.g. `10.0.2.0/24`.
    pub address_prefix: String,
}

/// A server firewall rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirewallRule {
    /// Rule name.
    pub name: String,
    /// First address admitted.
    pub start_ip_address: String,
    /// Last address admitted.
    pub end_ip_address: String,
}

/// A private endpoint for a server.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivateEndpoint {
    /// Endpoint name.
    pub name: String,
    /// Subnet the endpoint's interface lives in.
    pub subnet: String,
}

/// A Microsoft Entra ID administrator.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntraAdministrator {
    /// User principal name, group or application name.
    pub principal_name: String,
    /// Kind of principal.
    pub principal_type: PrincipalType,
    /// Object ID of the principal.
    pub object_id: String,
}

/// Kind of Entra principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PrincipalType {
    /// A user.
    User,
    /// A group.
    Group,
    /// A service principal.
    ServicePrincipal,
}

impl PrincipalType {
    /// The name as written in inputs and in ARM.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "User",
            PrincipalType::Group => "Group",
            PrincipalType::ServicePrincipal => "ServicePrincipal",
        }
    }
}

/// Alert routing and rules.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Alerting {
    /// Azure Monitor workspace (managed Prometheus) scraping the cluster (aks).
    pub azure_monitor_workspace: Option<String>,
    /// Who is notified.
    #[serde(default)]
    pub action_groups: Vec<ActionGroup>,
    /// What is watched.
    #[serde(default)]
    pub rules: Vec<AlertRule>,
}

/// An Azure Monitor action group.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionGroup {
    /// Name rules refer to in `notify`.
    pub name: String,
    /// Short name shown in SMS and email (at most 12 characters).
    pub short_name: String,
    /// Email addresses.
    #[serde(default)]
    pub email: Vec<String>,
    /// SMS receivers.
    #[serde(default)]
    pub sms: Vec<SmsReceiver>,
    /// Webhook receivers (e.g. Microsoft Teams); the URL is a secret.
    #[serde(default)]
    pub webhooks: Vec<WebhookReceiver>,
}

/// An SMS receiver.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmsReceiver {
    /// Country calling code, e.g. `"82"`.
    pub country_code: String,
    /// Phone number without the country code.
    pub phone_number: String,
}

/// A webhook receiver whose URL is read from the Key Vault at deploy time.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookReceiver {
    /// Receiver name.
    pub name: String,
    /// Key Vault secret holding the webhook URL.
    pub uri_secret: String,
}

/// One alert rule on a platform-neutral signal.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertRule {
    /// Rule name, unique within the environment and service.
    pub name: String,
    /// What is measured.
    pub signal: Signal,
    /// Fire when the signal is above this value.
    pub above: Option<f64>,
    /// How long the condition must hold, e.g. `5m`.
    #[serde(rename = "for")]
    pub duration: String,
    /// How bad it is.
    pub severity: Severity,
    /// Action groups notified.
    pub notify: Vec<String>,
}

/// A platform-neutral alert signal (see the signal table in `docs/inputs.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The server does not answer.
    DatabaseDown,
    /// CPU use, percent.
    CpuPercent,
    /// Memory use, percent.
    MemoryPercent,
    /// Storage use, percent.
    StoragePercent,
    /// Active connections.
    Connections,
    /// Replication lag of each replica, seconds.
    ReplicationLagSeconds,
    /// Replication lag of the most lagging replica, bytes of WAL not yet replayed.
    ReplicationLagBytes,
    /// Hours since the last base backup that completed (cnpg, with `cluster.backup`).
    BackupAgeHours,
}

impl Signal {
    /// The name as written in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::DatabaseDown => "database_down",
            Signal::CpuPercent => "cpu_percent",
            Signal::MemoryPercent => "memory_percent",
            Signal::StoragePercent => "storage_percent",
            Signal::Connections => "connections",
            Signal::ReplicationLagSeconds => "replication_lag_seconds",
            Signal::ReplicationLagBytes => "replication_lag_bytes",
            Signal::BackupAgeHours => "backup_age_hours",
        }
    }
}

/// Alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Azure Sev 0.
    Critical,
    /// Azure Sev 1.
    Error,
    /// Azure Sev 2.
    Warning,
    /// Azure Sev 3.
    Info,
}

/// `services/<service>.yaml`: one service's database and where it is deployed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceFile {
    /// Service name; must equal the file name without `.yaml`.
    pub name: String,
    /// The database, the same in every environment.
    pub database: Database,
    /// Sizing per environment; each key names an environment.
    pub deployments: BTreeMap<String, Deployment>,
    /// Alert rules for this service only, added to the environment's rules.
    pub alerting: Option<ServiceAlerting>,
}

/// Per-service alert rules.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAlerting {
    /// Rules added to every environment's rules for this service.
    #[serde(default)]
    pub rules: Vec<AlertRule>,
}

/// A service's database.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Database {
    /// Database name (a PostgreSQL identifier).
    pub name: String,
    /// Encoding; defaults to the project's.
    pub encoding: Option<String>,
    /// Collation and character classification; defaults to the project's, then the server's default.
    pub locale: Option<String>,
    /// Timezone; defaults to the project's, then `UTC`.
    pub timezone: Option<String>,
    /// Extensions created in the database.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Schemas created besides `public`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Schemas searched for unqualified names, in order: by the schema file, the seed rows
    /// and every role that sets no `searchPath` of its own; defaults to `public`, then
    /// `schemas`.
    pub search_path: Option<Vec<String>>,
    /// The role that owns the database, its schemas and what the schema file and the seed
    /// rows create (NOLOGIN; the administrator is a member); defaults to `<name>_owner`.
    pub owner_role: Option<String>,
    /// How long the scripts' own statements wait for a lock held by the application
    /// before they stop (`lock_timeout` of their sessions), e.g. `5s`; default `5s`.
    pub script_lock_timeout: Option<String>,
    /// The service's schema file, relative to this file; must stay inside the inputs folder.
    pub schema_file: Option<String>,
    /// Login roles of the service.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Rows upserted by key after the schema file.
    #[serde(default)]
    pub seed_data: Vec<SeedTable>,
    /// Ordered migration files, each applied once after the schema file and recorded
    /// with its checksum: `V<version>__<description>.psql`, relative to this file and inside
    /// the inputs folder, versions increasing.
    #[serde(default)]
    pub migrations: Vec<String>,
}

/// A login role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Role {
    /// Role name (a PostgreSQL identifier).
    pub name: String,
    /// What the role may do.
    pub access: Access,
    /// Maximum concurrent connections of the role.
    pub connection_limit: u32,
    /// Secret holding the role's password (Kubernetes Secret key or Key Vault secret name).
    pub password_secret: String,
    /// Schemas the role's sessions search for unqualified names; defaults to the
    /// database's `searchPath`.
    pub search_path: Option<Vec<String>>,
    /// Longest a statement of the role may run (`statement_timeout`), e.g. `30s`; `0`
    /// turns the limit off. Default `1m`.
    pub statement_timeout: Option<String>,
    /// Longest a statement of the role waits for a lock (`lock_timeout`); default `10s`.
    pub lock_timeout: Option<String>,
    /// Longest a session of the role may stay idle inside a transaction
    /// (`idle_in_transaction_session_timeout`); default `1m`.
    pub idle_in_transaction_session_timeout: Option<String>,
}

/// Access level of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// CRUD on all tables and sequences of the database's schemas, now and later; no DDL.
    ReadWrite,
    /// SELECT on all tables of the database's schemas, now and later.
    ReadOnly,
    /// `pg_monitor` and CONNECT: statistics, never table contents.
    Monitor,
}

/// Seed rows of one table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedTable {
    /// Table, optionally schema-qualified (`audit.settings`).
    pub table: String,
    /// Columns identifying a row: the table's primary key or a unique constraint.
    pub key: Vec<String>,
    /// What a run does to a row whose key exists: `update` its other columns to the
    /// design's values (the default), or `keep` it as the application left it.
    pub existing_rows: Option<ExistingRows>,
    /// Rows: column → value.
    pub rows: Vec<BTreeMap<String, ScalarValue>>,
}

/// What a run does to a seed row whose key exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExistingRows {
    /// Set its other columns to the design's values.
    Update,
    /// Leave it as it is: the application owns the row after seeding.
    Keep,
}

/// A scalar value in inputs.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum ScalarValue {
    /// true or false.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text.
    Text(String),
}

// Written out instead of derived with `#[serde(untagged)]`, which tries the variants in turn
// and formats an error message for each one that does not fit (three for every text).
impl<'de> Deserialize<'de> for ScalarValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl serde::de::Visitor<'_> for ScalarVisitor {
    type Value = ScalarValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("true, false, a number or text")
    }

    fn visit_bool<E>(self, b: bool) -> Result<ScalarValue, E> {
        Ok(ScalarValue::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<ScalarValue, E> {
        Ok(ScalarValue::Integer(i))
    }

    /// Beyond `i64`, a whole number is kept as a float, as the derived untagged enum did.
    fn visit_u64<E>(self, u: u64) -> Result<ScalarValue, E> {
        Ok(i64::try_from(u).map_or(ScalarValue::Float(u as f64), ScalarValue::Integer))
    }

    fn visit_f64<E>(self, f: f64) -> Result<ScalarValue, E> {
        Ok(ScalarValue::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<ScalarValue, E> {
        Ok(ScalarValue::Text(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<ScalarValue, E> {
        Ok(ScalarValue::Text(s))
    }
}

impl ScalarValue {
    /// The value as PostgreSQL configuration and SQL text would spell it, for messages
    /// about it; the outputs spell it through the model's `Scalar`.
    pub fn to_text(&self) -> String {
        match self {
            ScalarValue::Bool(true) => "on".to_owned(),
            ScalarValue::Bool(false) => "off".to_owned(),
            ScalarValue::Integer(i) => i.to_string(),
            ScalarValue::Float(f) => f.to_string(),
            ScalarValue::Text(s) => s.clone(),
        }
    }
}

/// How a service runs in one environment: exactly one of the shapes, matching the platform.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    /// For `aks` environments.
    pub stateful_set: Option<StatefulSetDeployment>,
    /// For `azure-flexible-server` environments.
    pub server: Option<ServerDeployment>,
    /// For `cnpg` environments.
    pub cluster: Option<ClusterDeployment>,
    /// The target's dashboard (an Azure Workbook); by default every panel the platform can
    /// show.
    pub dashboard: Option<Dashboard>,
}

/// The Azure Workbook of one target: its name and panels.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dashboard {
    /// `false` renders no workbook; default `true`.
    pub enabled: Option<bool>,
    /// Name shown in the Azure portal; default `<project> <service> (<env>) PostgreSQL`.
    pub name: Option<String>,
    /// Panels in the order shown; default every panel the platform can show.
    pub panels: Option<Vec<Panel>>,
}

/// A chart of the dashboard: a signal of the alert vocabulary, or one of the figures the
/// seed's operators watch that no alert offers yet (IOPS, deadlocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    /// Availability of each server or pod (the `database_down` signal).
    DatabaseDown,
    /// CPU use, percent.
    CpuPercent,
    /// Memory use, percent.
    MemoryPercent,
    /// Storage use, percent.
    StoragePercent,
    /// Disk IOPS consumed, percent of what the disk allows.
    IopsPercent,
    /// Connections.
    Connections,
    /// Deadlocks.
    Deadlocks,
    /// Age of the oldest open transaction, seconds (the seed's "slow queries").
    LongestTransactionSeconds,
    /// Replication lag of each replica, seconds.
    ReplicationLagSeconds,
    /// Replication lag of the most lagging replica, bytes.
    ReplicationLagBytes,
}

/// An in-cluster PostgreSQL.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatefulSetDeployment {
    /// StatefulSet and client Service name (DNS-1123 label).
    pub name: String,
    /// CPU and memory.
    pub resources: Resources,
    /// Data volume.
    pub storage: VolumeStorage,
    /// Existing Secret holding `postgres-password` and one key per role password secret.
    pub credentials_secret: String,
    /// TLS for client connections.
    pub tls: Tls,
    /// `postgresql.conf` parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, ScalarValue>,
    /// Scheduled backups: volume snapshots and logical dumps; none by default.
    pub backup: Option<StatefulSetBackup>,
    /// The PodDisruptionBudget of the pod; default `maxUnavailable: 1`, the Bitnami chart's.
    pub disruption_budget: Option<DisruptionBudget>,
    /// PriorityClass of the pod (DNS-1123 subdomain); default the cluster's default priority.
    pub priority_class_name: Option<String>,
    /// Node labels the pod's node must carry, e.g. a dedicated node pool's.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Taints of the nodes the pod may run on.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
}

/// How many database pods voluntary evictions (drains, upgrades) may take down at once.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisruptionBudget {
    /// `0` (no eviction: drains wait) or `1` (the default: a drain restarts the pod elsewhere).
    pub max_unavailable: Option<u32>,
}

/// A Kubernetes toleration of a node taint.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    /// Taint key (label key syntax); absent with `operator: Exists` tolerates every taint.
    pub key: Option<String>,
    /// How the value is compared; default `Equal`.
    pub operator: Option<TolerationOperator>,
    /// Taint value (label value syntax); absent with `operator: Exists`.
    pub value: Option<String>,
    /// Taint effect tolerated; absent tolerates every effect.
    pub effect: Option<TaintEffect>,
    /// With `effect: NoExecute`: seconds the pod stays after the taint appears; default forever.
    pub toleration_seconds: Option<i64>,
}

/// How a toleration compares a taint's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    /// Any value (the value must be absent).
    Exists,
    /// The same value.
    Equal,
}

/// The effect of a node taint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum TaintEffect {
    /// New pods are not scheduled on the node.
    NoSchedule,
    /// The scheduler avoids the node.
    PreferNoSchedule,
    /// Running pods are evicted from the node.
    NoExecute,
}

impl TolerationOperator {
    /// The name as written in inputs and in Kubernetes.
    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Exists => "Exists",
            TolerationOperator::Equal => "Equal",
        }
    }
}

impl TaintEffect {
    /// The name as written in inputs and in Kubernetes.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// Container resources.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// Guaranteed resources.
    pub requests: ResourceQuantities,
    /// Upper bounds.
    pub limits: ResourceLimits,
}

/// Limits: memory always, CPU only when the design wants a throttling limit.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceLimits {
    /// CPU limit, e.g. `1000m`; default none: the container may burst beyond its request.
    pub cpu: Option<String>,
    /// Memory, e.g. `2Gi`.
    pub memory: String,
}

/// CPU and memory quantities in Kubernetes notation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceQuantities {
    /// CPU, e.g. `500m`.
    pub cpu: String,
    /// Memory, e.g. `1Gi`.
    pub memory: String,
}

/// A persistent volume.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeStorage {
    /// Size, e.g. `20Gi`.
    pub size: String,
}

/// TLS settings of an in-cluster server.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    /// Existing `kubernetes.io/tls` Secret with the server certificate.
    pub certificate_secret: String,
}

/// An Azure Database for PostgreSQL Flexible Server.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerDeployment {
    /// Server name: 3–63 lowercase letters, digits and hyphens.
    pub name: String,
    /// PostgreSQL major version, e.g. `"15"`.
    pub version: String,
    /// Compute SKU, e.g. `Standard_D4s_v3`, of a series Flexible Server offers.
    pub sku: String,
    /// Compute tier: the SKU's (B-series `Burstable`, D-series `GeneralPurpose`, E-series
    /// `MemoryOptimized`).
    pub tier: Tier,
    /// Administrator login name.
    pub administrator_login: String,
    /// Key Vault secret holding the administrator password.
    pub administrator_password_secret: String,
    /// Storage.
    pub storage: ServerStorage,
    /// Availability zone of the primary when high availability is off.
    pub zone: Option<String>,
    /// High availability.
    pub high_availability: Option<HighAvailability>,
    /// Backups.
    pub backup: Backup,
    /// Read replicas.
    #[serde(default)]
    pub replicas: Vec<Replica>,
    /// Which authentication methods the server accepts.
    pub authentication: Authentication,
    /// Server parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, ScalarValue>,
    /// Custom maintenance window (UTC) of the server and its replicas; Azure's own schedule
    /// when absent.
    pub maintenance_window: Option<MaintenanceWindow>,
    /// Management lock on the server and each replica.
    pub lock: Option<LockLevel>,
    /// Azure role assignments on the server.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Microsoft Defender for open-source relational databases on the server.
    pub threat_protection: Option<bool>,
    /// Encryption with a customer-managed key (set when the server is created, never after).
    pub data_encryption: Option<DataEncryption>,
}

/// A weekly maintenance window, in UTC.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// Day of the week.
    pub day: Weekday,
    /// Hour the window starts, 0–23 (UTC).
    pub start_hour: u32,
    /// Minute the window starts, 0–59; default 0.
    pub start_minute: Option<u32>,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Sunday.
    Sunday,
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
}

impl Weekday {
    /// The name as written in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Sunday => "sunday",
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
        }
    }
}

/// A management lock level (`Microsoft.Authorization/locks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum LockLevel {
    /// Nobody can delete the server; it can still be changed.
    CanNotDelete,
    /// Nobody can change or delete the server (refused: see docs/inputs.md).
    ReadOnly,
}

/// An Azure role assignment on the server.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignment {
    /// Object ID of the principal.
    pub principal_id: String,
    /// Kind of principal.
    pub principal_type: PrincipalType,
    /// A built-in role by name (e.g. `Reader`) or a role definition's GUID.
    pub role: String,
}

/// Encryption with a customer-managed key: the key and the user-assigned identity that
/// reads it, and for geo-redundant backups another pair in the paired region.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataEncryption {
    /// Existing user-assigned managed identity with access to the key.
    pub identity: AzureResourceRef,
    /// Existing Key Vault holding the key, in the server's region.
    pub key_vault: AzureResourceRef,
    /// Key name; the versionless key is used, so a rotated version is picked up.
    pub key: String,
    /// The key of the geo-redundant backups: required with `backup.geoRedundant`.
    pub geo_backup: Option<CustomerKey>,
}

/// A customer-managed key and the user-assigned identity that reads it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerKey {
    /// Existing user-assigned managed identity with access to the key.
    pub identity: AzureResourceRef,
    /// Existing Key Vault holding the key.
    pub key_vault: AzureResourceRef,
    /// Key name.
    pub key: String,
}

/// Compute tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Tier {
    /// Burstable (B-series); no high availability.
    Burstable,
    /// General purpose (D-series).
    GeneralPurpose,
    /// Memory optimised (E-series).
    MemoryOptimized,
}

impl Tier {
    /// The name as written in inputs and in ARM.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Burstable => "Burstable",
            Tier::GeneralPurpose => "GeneralPurpose",
            Tier::MemoryOptimized => "MemoryOptimized",
        }
    }
}

/// Server storage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerStorage {
    /// Size in GB: a Premium SSD size (32, 64, 128 … 32768), or 32–32768 on Premium SSD v2.
    #[serde(rename = "sizeGB")]
    pub size_gb: u32,
    /// Grow automatically when nearly full (Premium_LRS only).
    #[serde(default)]
    pub auto_grow: bool,
    /// Disk type; default `Premium_LRS`.
    #[serde(rename = "type")]
    pub storage_type: Option<StorageType>,
    /// Performance tier of a Premium_LRS disk, e.g. `P30`.
    pub performance_tier: Option<String>,
    /// Provisioned IOPS (PremiumV2_LRS only, and required there).
    pub iops: Option<u32>,
    /// Provisioned throughput in MB/s (PremiumV2_LRS only, and required there).
    pub throughput: Option<u32>,
}

/// Disk type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StorageType {
    /// Premium SSD.
    #[serde(rename = "Premium_LRS")]
    PremiumLrs,
    /// Premium SSD v2.
    #[serde(rename = "PremiumV2_LRS")]
    PremiumV2Lrs,
}

impl StorageType {
    /// The name as written in inputs and in ARM.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::PremiumLrs => "Premium_LRS",
            StorageType::PremiumV2Lrs => "PremiumV2_LRS",
        }
    }
}

/// High availability.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HighAvailability {
    /// HA mode.
    pub mode: HaMode,
    /// Zone of the primary.
    pub zone: Option<String>,
    /// Zone of the standby.
    pub standby_zone: Option<String>,
}

/// High availability mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum HaMode {
    /// No standby.
    Disabled,
    /// Standby in the same zone.
    SameZone,
    /// Standby in another zone.
    ZoneRedundant,
}

impl HaMode {
    /// The name as written in inputs and in ARM.
    pub fn as_str(self) -> &'static str {
        match self {
            HaMode::Disabled => "Disabled",
            HaMode::SameZone => "SameZone",
            HaMode::ZoneRedundant => "ZoneRedundant",
        }
    }
}

/// Backups.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Backup {
    /// Days kept (7–35).
    pub retention_days: u32,
    /// Copy backups to the paired region.
    #[serde(default)]
    pub geo_redundant: bool,
}

/// A read replica.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Replica {
    /// Replica server name.
    pub name: String,
    /// Azure region.
    pub location: String,
    /// Compute SKU; defaults to the primary's.
    pub sku: Option<String>,
    /// Compute tier; its SKU's, which gen derives (given, it must match).
    pub tier: Option<Tier>,
    /// Storage in GB; defaults to the primary's and may not be less.
    #[serde(rename = "storageSizeGB")]
    pub storage_size_gb: Option<u32>,
    /// High availability: replicas support none (present only to be rejected clearly).
    pub high_availability: Option<HighAvailability>,
    /// Geo-redundant backup: replicas support none (present only to be rejected clearly).
    pub geo_redundant_backup: Option<bool>,
    /// Delegated subnet of a replica on private access. A replica in the primary's region
    /// defaults to the primary's subnet; one in another region, to a subnet resource ID
    /// read from an environment variable at deploy time.
    pub delegated_subnet: Option<ReplicaSubnet>,
    /// The key and identity of a replica of a server with a customer-managed key: the
    /// primary's by default; required in another region (the key's vault and the identity
    /// must be in the replica's region).
    pub data_encryption: Option<CustomerKey>,
}

/// An existing subnet, delegated to `Microsoft.DBforPostgreSQL/flexibleServers`, in a VNet
/// of the replica's region.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaSubnet {
    /// The VNet holding the subnet.
    pub virtual_network: AzureResourceRef,
    /// Subnet name.
    pub name: String,
}

/// Authentication methods.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authentication {
    /// Microsoft Entra ID authentication.
    pub entra: bool,
    /// Password authentication.
    pub password: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_values_keep_their_type_and_other_values_are_refused() {
        let read =
            |json: &str| serde_json::from_str::<ScalarValue>(json).map_err(|e| e.to_string());
        assert_eq!(read("true"), Ok(ScalarValue::Bool(true)));
        assert_eq!(read("-3"), Ok(ScalarValue::Integer(-3)));
        assert_eq!(
            read("9223372036854775807"),
            Ok(ScalarValue::Integer(i64::MAX))
        );
        assert_eq!(
            read("18446744073709551615"),
            Ok(ScalarValue::Float(u64::MAX as f64))
        );
        assert_eq!(read("1.5"), Ok(ScalarValue::Float(1.5)));
        assert_eq!(read("2.0"), Ok(ScalarValue::Float(2.0)));
        assert_eq!(read("\"on\""), Ok(ScalarValue::Text("on".into())));
        for refused in ["null", "[1]", "{}"] {
            let e = read(refused).unwrap_err();
            assert!(e.contains("expected true, false, a number or text"), "{e}");
        }
    }
}
