//! The alerts part of the README (`_alerts.md.j2`, `_routing.mermaid.j2`): the action
//! groups under the names the alerts Bicep gives them, and each rule with what it watches or
//! why this target cannot render it.

use serde::Serialize;

use crate::model::{AlertRule, AzureScope, Deployment, Signal, Target, Unobservable, azure_metric};

#[derive(Debug, Serialize)]
pub(super) struct AlertsView {
    groups: Vec<ActionGroupView>,
    rules: Vec<RuleView>,
    /// Key Vault secrets holding webhook URLs, each once.
    webhook_secrets: Vec<String>,
    /// Alerts rendered for this target (rules minus skipped, replica rules once per replica).
    alert_count: usize,
    /// Resource Health alerts rendered for this target: one per server and `database_down`
    /// rule, on Azure only.
    health_alert_count: usize,
}

#[derive(Debug, Serialize)]
struct ActionGroupView {
    id: String,
    name: String,
    resource: String,
    short_name: String,
    emails: usize,
    sms: usize,
    webhooks: usize,
    receivers: String,
}

#[derive(Debug, Serialize)]
struct RuleView {
    id: String,
    name: String,
    signal: &'static str,
    condition: String,
    duration: String,
    severity: &'static str,
    azure_severity: u8,
    notify: Vec<String>,
    notify_ids: Vec<String>,
    /// Why nothing is rendered for this rule on this target, if so.
    skipped: Option<&'static str>,
    /// Which servers it watches on Azure (empty on aks): `on the primary`, `on each
    /// replica`, `on the primary and each replica`.
    scope: &'static str,
    /// Metric alerts it renders on this target (a `database_down` rule also renders as
    /// many Resource Health alerts, not counted here).
    alerts: usize,
}

fn condition(rule: &AlertRule) -> String {
    let above = rule.above.map(|v| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            v.to_string()
        }
    });
    let above = above.unwrap_or_else(|| "?".to_owned());
    match rule.signal {
        Signal::DatabaseDown => "database not answering".to_owned(),
        Signal::CpuPercent => format!("CPU above {above} %"),
        Signal::MemoryPercent => format!("memory above {above} %"),
        Signal::StoragePercent => format!("storage above {above} %"),
        Signal::Connections => format!("more than {above} connections"),
        Signal::ReplicationLagSeconds => format!("replica lag above {above} s"),
        Signal::ReplicationLagBytes => format!("replica lag above {above} bytes"),
        Signal::IopsPercent => format!("IOPS above {above} % of the disk's"),
        Signal::Deadlocks => format!("more than {above} deadlocks"),
        Signal::LongestTransactionSeconds => format!("a transaction open for more than {above} s"),
        Signal::BackupAgeHours => format!("the last base backup older than {above} h"),
    }
}

/// The alerts of `target`, a server with `replicas` read replicas on Azure.
pub(super) fn view(target: &Target, replicas: usize) -> AlertsView {
    let alerting = &target.env.alerting;
    let groups: Vec<ActionGroupView> = alerting
        .action_groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut receivers = Vec::new();
            for (n, what) in [
                (g.email.len(), "email"),
                (g.sms.len(), "SMS"),
                (g.webhooks.len(), "webhook"),
            ] {
                if n > 0 {
                    receivers.push(format!("{n} {what}"));
                }
            }
            ActionGroupView {
                id: format!("ag{}", i + 1),
                name: g.name.clone(),
                resource: g.resource_name.clone(),
                short_name: g.short_name.clone(),
                emails: g.email.len(),
                sms: g.sms.len(),
                webhooks: g.webhooks.len(),
                receivers: if receivers.is_empty() {
                    "no receivers".to_owned()
                } else {
                    receivers.join(", ")
                },
            }
        })
        .collect();
    // In Kubernetes (aks, cnpg) a rule is one Prometheus rule over every pod.
    let aks = matches!(target.deployment, Deployment::Aks(_) | Deployment::Cnpg(_));
    let rules: Vec<RuleView> = target
        .alert_rules()
        .enumerate()
        .map(|(i, rule)| {
            // In Kubernetes no Azure metric is read (and backup age has none).
            let scope_of = |signal| {
                if aks {
                    None
                } else {
                    Some(azure_metric(signal).2)
                }
            };
            let (scope, servers) = match scope_of(rule.signal) {
                None => ("", 1),
                Some(AzureScope::Primary) => ("on the primary", 1),
                Some(AzureScope::Replicas) => ("on each replica", replicas),
                Some(AzureScope::PrimaryAndReplicas) => {
                    ("on the primary and each replica", 1 + replicas)
                }
            };
            let mut condition = condition(rule);
            if rule.signal == Signal::DatabaseDown
                && matches!(target.deployment, Deployment::Cnpg(_))
            {
                // Each instance's exporter: a replica that stops answering fires it too.
                condition = "an instance (the primary or a replica) not answering".to_owned();
            }
            if !aks && rule.signal == Signal::DatabaseDown {
                condition.push_str(", or Resource Health Unavailable, Degraded or Unknown");
            }
            let skipped = target.unobservable(rule).map(|why| match why {
                Unobservable::NoReplicasOnAks => "no replicas on aks",
                Unobservable::ServerWithoutReplicas => "this server has no replicas",
                Unobservable::SingleInstance => "a single instance, no replica",
                Unobservable::NoBackup => "no backup to age",
            });
            RuleView {
                id: format!("rule{}", i + 1),
                name: rule.name.clone(),
                signal: rule.signal.as_str(),
                condition,
                duration: rule.duration.clone(),
                severity: rule.severity.as_str(),
                azure_severity: rule.severity.azure_level(),
                notify_ids: rule
                    .notify
                    .iter()
                    .filter_map(|n| groups.iter().find(|g| &g.name == n).map(|g| g.id.clone()))
                    .collect(),
                notify: rule.notify.clone(),
                skipped,
                scope,
                alerts: servers,
            }
        })
        .collect();
    let mut webhook_secrets: Vec<String> = Vec::new();
    for g in &alerting.action_groups {
        for w in &g.webhooks {
            if !webhook_secrets.contains(&w.uri_secret) {
                webhook_secrets.push(w.uri_secret.clone());
            }
        }
    }
    let alert_count = rules
        .iter()
        .filter(|r| r.skipped.is_none())
        .map(|r| r.alerts)
        .sum();
    let health_alert_count = rules
        .iter()
        .filter(|r| !aks && r.skipped.is_none() && r.signal == Signal::DatabaseDown.as_str())
        .map(|r| r.alerts)
        .sum();
    AlertsView {
        groups,
        rules,
        webhook_secrets,
        alert_count,
        health_alert_count,
    }
}
