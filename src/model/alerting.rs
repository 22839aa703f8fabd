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
    /// Disk IOPS consumed, percent of the disk's allowance (dashboards only).
    IopsPercent,
    /// Deadlocks detected (dashboards only).
    Deadlocks,
    /// Age of the oldest open transaction, seconds (dashboards only).
    LongestTransactionSeconds,
    /// Hours since the last base backup that completed (cnpg's Barman Cloud plugin only).
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
            Signal::IopsPercent => "iops_percent",
            Signal::Deadlocks => "deadlocks",
            Signal::LongestTransactionSeconds => "longest_transaction_seconds",
            Signal::BackupAgeHours => "backup_age_hours",
        }
    }
}

impl From<input::Panel> for Signal {
    fn from(panel: input::Panel) -> Signal {
        match panel {
            input::Panel::DatabaseDown => Signal::DatabaseDown,
            input::Panel::CpuPercent => Signal::CpuPercent,
            input::Panel::MemoryPercent => Signal::MemoryPercent,
            input::Panel::StoragePercent => Signal::StoragePercent,
            input::Panel::IopsPercent => Signal::IopsPercent,
            input::Panel::Connections => Signal::Connections,
            input::Panel::Deadlocks => Signal::Deadlocks,
            input::Panel::LongestTransactionSeconds => Signal::LongestTransactionSeconds,
            input::Panel::ReplicationLagSeconds => Signal::ReplicationLagSeconds,
            input::Panel::ReplicationLagBytes => Signal::ReplicationLagBytes,
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
            input::Signal::BackupAgeHours => Signal::BackupAgeHours,
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

/// One row of [`AZURE_METRICS`]: how a signal is measured on
/// `Microsoft.DBforPostgreSQL/flexibleServers`.
#[derive(Debug, Clone, Copy)]
pub struct AzureMetric {
    /// The signal (alert rules) and panel (dashboards) it measures.
    pub signal: Signal,
    /// Azure Monitor metric name (REST name).
    pub metric: &'static str,
    /// Aggregation alerts and charts use.
    pub aggregation: Aggregation,
    /// The servers an alert on it watches.
    pub alert_scope: AzureScope,
    /// The servers that emit it: the dashboard charts every one of them.
    pub emitted_by: AzureScope,
    /// The metric's category in the portal's metric id `<namespace>-<category>-<metric>`,
    /// the form workbooks store.
    pub portal_category: &'static str,
    /// The server parameter that must be `on` before the server emits it.
    pub needs_parameter: Option<&'static str>,
}

/// An Azure Monitor aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// `Average`.
    Average,
    /// `Minimum`.
    Minimum,
    /// `Maximum`.
    Maximum,
    /// `Total` (a sum over the interval).
    Total,
}

impl Aggregation {
    /// The name metric alerts take (`timeAggregation`).
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Average => "Average",
            Aggregation::Minimum => "Minimum",
            Aggregation::Maximum => "Maximum",
            Aggregation::Total => "Total",
        }
    }

    /// The number a workbook's metric item stores (`aggregation`): Sum 1, Minimum 2,
    /// Maximum 3, Average 4, as in Microsoft's own workbooks
    /// (microsoft/Application-Insights-Workbooks, e.g. `Workbooks/PostgreSQL Flexible
    /// Server/Overview/Overview.workbook`: `is_db_alive` 3 with "Max", `memory_percent` 4;
    /// storage `Transactions` 1, VM `Percentage CPU` 4, "vm memory minimum" 2).
    pub fn workbook_code(self) -> u8 {
        match self {
            Aggregation::Total => 1,
            Aggregation::Minimum => 2,
            Aggregation::Maximum => 3,
            Aggregation::Average => 4,
        }
    }
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
/// Every other metric here is emitted by every server, replicas included (a replica is a
/// server of its own); alerts on CPU, memory and connections watch the primary only.
/// `deadlocks` and `longest_transaction_time_sec` are enhanced metrics, emitted only while the server parameter
/// `metrics.collector_database_activity` is `on` ("Enhanced metrics", `concepts-monitoring.md`).
/// Portal categories are those of Microsoft's PostgreSQL Flexible Server workbooks
/// (microsoft/Application-Insights-Workbooks `Workbooks/PostgreSQL Flexible Server/`:
/// Overview, Enhanced Metrics, High IOPS Usage; the same metric appears there under
/// `Activity` and `Activity (Preview)`).
pub const AZURE_METRICS: &[AzureMetric] = &[
    AzureMetric {
        signal: Signal::DatabaseDown,
        metric: "is_db_alive",
        aggregation: Aggregation::Minimum,
        alert_scope: AzureScope::PrimaryAndReplicas,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Availability (Preview)",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::CpuPercent,
        metric: "cpu_percent",
        aggregation: Aggregation::Average,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Saturation",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::MemoryPercent,
        metric: "memory_percent",
        aggregation: Aggregation::Average,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Saturation",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::StoragePercent,
        metric: "storage_percent",
        aggregation: Aggregation::Average,
        alert_scope: AzureScope::PrimaryAndReplicas,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Saturation",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::IopsPercent,
        metric: "disk_iops_consumed_percentage",
        aggregation: Aggregation::Average,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Saturation",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::Connections,
        metric: "active_connections",
        aggregation: Aggregation::Average,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Traffic",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::Deadlocks,
        metric: "deadlocks",
        aggregation: Aggregation::Total,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Database (Preview)",
        needs_parameter: Some("metrics.collector_database_activity"),
    },
    AzureMetric {
        signal: Signal::LongestTransactionSeconds,
        metric: "longest_transaction_time_sec",
        aggregation: Aggregation::Maximum,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::PrimaryAndReplicas,
        portal_category: "Activity (Preview)",
        needs_parameter: Some("metrics.collector_database_activity"),
    },
    AzureMetric {
        signal: Signal::ReplicationLagSeconds,
        metric: "physical_replication_delay_in_seconds",
        aggregation: Aggregation::Maximum,
        alert_scope: AzureScope::Replicas,
        emitted_by: AzureScope::Replicas,
        portal_category: "Replication (Preview)",
        needs_parameter: None,
    },
    AzureMetric {
        signal: Signal::ReplicationLagBytes,
        metric: "physical_replication_delay_in_bytes",
        aggregation: Aggregation::Maximum,
        alert_scope: AzureScope::Primary,
        emitted_by: AzureScope::Primary,
        portal_category: "Replication (Preview)",
        needs_parameter: None,
    },
];

/// The row of [`AZURE_METRICS`] for `signal`.
pub fn azure_metric_row(signal: Signal) -> &'static AzureMetric {
    AZURE_METRICS
        .iter()
        .find(|row| row.signal == signal)
        .expect("every signal has a row")
}

/// The row of [`AZURE_METRICS`] for `signal`: metric, aggregation and alert scope.
pub fn azure_metric(signal: Signal) -> (&'static str, &'static str, AzureScope) {
    let row = azure_metric_row(signal);
    (row.metric, row.aggregation.as_str(), row.alert_scope)
}

/// The servers of `scope`, from the primary's name and the replicas' names.
pub fn servers_of<'a>(scope: AzureScope, server: &'a str, replicas: &[&'a str]) -> Vec<&'a str> {
    match scope {
        AzureScope::Primary => vec![server],
        AzureScope::Replicas => replicas.to_vec(),
        AzureScope::PrimaryAndReplicas => std::iter::once(server)
            .chain(replicas.iter().copied())
            .collect(),
    }
}

/// The names of the servers an alert on `signal` is rendered on, from the primary's name
/// and the replicas' names.
pub fn azure_alert_scopes<'a>(
    signal: Signal,
    server: &'a str,
    replicas: &[&'a str],
) -> Vec<&'a str> {
    servers_of(azure_metric(signal).2, server, replicas)
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
