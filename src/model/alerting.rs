//! Alert routing and rules, with the Azure names of the action groups.

use crate::input;

/// An environment's alert routing and rules.
#[derive(Debug, Clone, Default)]
pub struct Alerting {
    /// Azure Monitor workspace (managed Prometheus) scraping the cluster (aks).
    pub azure_monitor_workspace: Option<String>,
    /// Who is notified.
    pub action_groups: Vec<ActionGroup>,
    /// What is watched.
    pub rules: Vec<AlertRule>,
}

/// An Azure Monitor action group.
#[derive(Debug, Clone)]
pub struct ActionGroup {
    /// Name rules refer to in `notify`.
    pub name: String,
    /// Name of the Azure resource: unique in the resource group, and the same for every
    /// target of the environment, so that each deployment updates one group.
    pub resource_name: String,
    /// Short name shown in SMS and email.
    pub short_name: String,
    /// Email addresses.
    pub email: Vec<String>,
    /// SMS receivers.
    pub sms: Vec<SmsReceiver>,
    /// Webhook receivers.
    pub webhooks: Vec<WebhookReceiver>,
}

/// An SMS receiver.
#[derive(Debug, Clone)]
pub struct SmsReceiver {
    /// Country calling code.
    pub country_code: String,
    /// Phone number without the country code.
    pub phone_number: String,
}

/// A webhook receiver whose URL is read from the Key Vault at deploy time.
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    /// Receiver name.
    pub name: String,
    /// Key Vault secret holding the webhook URL.
    pub uri_secret: String,
}

/// One alert rule on a platform-neutral signal.
#[derive(Debug, Clone)]
pub struct AlertRule {
    /// Rule name.
    pub name: String,
    /// What is measured.
    pub signal: Signal,
    /// Fire when the signal is above this value.
    pub above: Option<f64>,
    /// How long the condition must hold, e.g. `5m`.
    pub duration: String,
    /// How bad it is.
    pub severity: Severity,
    /// Action groups notified, by name.
    pub notify: Vec<String>,
}

/// A platform-neutral alert signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Replication lag of the most lagging replica, bytes.
    ReplicationLagBytes,
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
        }
    }
}

impl From<input::Signal> for Signal {
    fn from(signal: input::Signal) -> Signal {
        match signal {
            input::Signal::DatabaseDown => Signal::DatabaseDown,
            input::Signal::CpuPercent => Signal::CpuPercent,
            input::Signal::MemoryPercent => Signal::MemoryPercent,
            input::Signal::StoragePercent => Signal::StoragePercent,
            input::Signal::Connections => Signal::Connections,
            input::Signal::ReplicationLagSeconds => Signal::ReplicationLagSeconds,
            input::Signal::ReplicationLagBytes => Signal::ReplicationLagBytes,
        }
    }
}

/// Alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Severity {
    /// Azure Monitor severity number.
    pub fn azure_level(self) -> u8 {
        match self {
            Severity::Critical => 0,
            Severity::Error => 1,
            Severity::Warning => 2,
            Severity::Info => 3,
        }
    }

    /// The name as written in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl From<input::Severity> for Severity {
    fn from(severity: input::Severity) -> Severity {
        match severity {
            input::Severity::Critical => Severity::Critical,
            input::Severity::Error => Severity::Error,
            input::Severity::Warning => Severity::Warning,
            input::Severity::Info => Severity::Info,
        }
    }
}

/// Which servers of an Azure Flexible Server deployment emit the metric of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzureScope {
    /// The primary only.
    Primary,
    /// The primary and every read replica (a replica is a server of its own, with its own
    /// availability and its own disk).
    PrimaryAndReplicas,
    /// The read replicas only.
    Replicas,
}

/// Azure Monitor metric, aggregation and scope of each signal on
/// `Microsoft.DBforPostgreSQL/flexibleServers`.
///
/// Sources: Microsoft Learn, "Supported metrics for Microsoft.DBforPostgreSQL/flexibleServers"
/// (MicrosoftDocs/azure-monitor-docs `reference/supported-metrics/microsoft-dbforpostgresql-flexibleservers-metrics.md`)
/// and "Read replicas in Azure Database for PostgreSQL" (`concepts-read-replicas.md`,
/// section "Monitor replication"): **Max Physical Replication Lag**
/// (`physical_replication_delay_in_bytes`) is "the lag in bytes between the primary and the
/// most-lagging replica ... available on the primary server only"; **Read Replica Lag**
/// (`physical_replication_delay_in_seconds`) is "the time since the last replayed
/// transaction ... available on replicas only", so it grows while the primary is idle.
/// `is_db_alive` and `storage_percent` are emitted by every server, replicas included.
pub const AZURE_METRICS: &[(Signal, &str, &str, AzureScope)] = &[
    (
        Signal::DatabaseDown,
        "is_db_alive",
        "Minimum",
        AzureScope::PrimaryAndReplicas,
    ),
    (
        Signal::CpuPercent,
        "cpu_percent",
        "Average",
        AzureScope::Primary,
    ),
    (
        Signal::MemoryPercent,
        "memory_percent",
        "Average",
        AzureScope::Primary,
    ),
    (
        Signal::StoragePercent,
        "storage_percent",
        "Average",
        AzureScope::PrimaryAndReplicas,
    ),
    (
        Signal::Connections,
        "active_connections",
        "Average",
        AzureScope::Primary,
    ),
    (
        Signal::ReplicationLagSeconds,
        "physical_replication_delay_in_seconds",
        "Maximum",
        AzureScope::Replicas,
    ),
    (
        Signal::ReplicationLagBytes,
        "physical_replication_delay_in_bytes",
        "Maximum",
        AzureScope::Primary,
    ),
];

/// The row of [`AZURE_METRICS`] for `signal`: metric, aggregation and scope.
pub fn azure_metric(signal: Signal) -> (&'static str, &'static str, AzureScope) {
    AZURE_METRICS
        .iter()
        .find(|row| row.0 == signal)
        .map(|&(_, metric, aggregation, scope)| (metric, aggregation, scope))
        .expect("every signal has a row")
}

/// The names of the servers an alert on `signal` is rendered on, from the primary's name
/// and the replicas' names.
pub fn azure_alert_scopes<'a>(
    signal: Signal,
    server: &'a str,
    replicas: &[&'a str],
) -> Vec<&'a str> {
    match azure_metric(signal).2 {
        AzureScope::Primary => vec![server],
        AzureScope::Replicas => replicas.to_vec(),
        AzureScope::PrimaryAndReplicas => std::iter::once(server)
            .chain(replicas.iter().copied())
            .collect(),
    }
}

/// Whether `signal` is measured on read replicas only, so that a deployment without any
/// observes nothing (replication lag).
pub fn needs_replicas(signal: Signal) -> bool {
    matches!(
        signal,
        Signal::ReplicationLagSeconds | Signal::ReplicationLagBytes
    )
}

/// The name of the Resource Health alert a `database_down` rule named `rule` renders on
/// the server `scope`.
pub fn resource_health_alert_name(scope: &str, rule: &str) -> String {
    format!("{scope}-{rule}-health")
}

/// The name of the alert `rule` renders on one server, replica or StatefulSet: the scope
/// first, so that the alerts of one database list together.
pub fn alert_name(scope: &str, rule: &AlertRule) -> String {
    rule_alert_name(scope, &rule.name)
}

/// [`alert_name`] from the rule's name alone (validation reads names before the model).
pub fn rule_alert_name(scope: &str, rule: &str) -> String {
    format!("{scope}-{rule}")
}

/// The Azure name of action group `group` of environment `env`: the same for every target
/// of the environment.
pub fn action_group_resource_name(project: &str, env: &str, group: &str) -> String {
    format!("ag-{project}-{env}-{group}")
}

/// The alerting of environment `env` of project `project`; an environment without
/// `alerting` routes nothing.
pub fn build(alerting: Option<&input::Alerting>, project: &str, env: &str) -> Alerting {
    let Some(alerting) = alerting else {
        return Alerting::default();
    };
    Alerting {
        azure_monitor_workspace: alerting.azure_monitor_workspace.clone(),
        action_groups: alerting
            .action_groups
            .iter()
            .map(|group| action_group(group, project, env))
            .collect(),
        rules: rules(&alerting.rules),
    }
}

/// Model rules from input rules, in their order.
pub fn rules(rules: &[input::AlertRule]) -> Vec<AlertRule> {
    rules.iter().map(rule).collect()
}

fn action_group(group: &input::ActionGroup, project: &str, env: &str) -> ActionGroup {
    ActionGroup {
        name: group.name.clone(),
        resource_name: action_group_resource_name(project, env, &group.name),
        short_name: group.short_name.clone(),
        email: group.email.clone(),
        sms: group
            .sms
            .iter()
            .map(|s| SmsReceiver {
                country_code: s.country_code.clone(),
                phone_number: s.phone_number.clone(),
            })
            .collect(),
        webhooks: group
            .webhooks
            .iter()
            .map(|w| WebhookReceiver {
                name: w.name.clone(),
                uri_secret: w.uri_secret.clone(),
            })
            .collect(),
    }
}

fn rule(rule: &input::AlertRule) -> AlertRule {
    AlertRule {
        name: rule.name.clone(),
        signal: rule.signal.into(),
        above: rule.above,
        duration: rule.duration.clone(),
        severity: rule.severity.into(),
        notify: rule.notify.clone(),
    }
}
