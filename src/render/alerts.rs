//! The alerts target: `alerts/alerts.bicep` and `alerts/alerts.bicepparam` for every
//! target, from the environment's `alerting` policy and the service's own rules, through
//! the signal table of the contract.
//!
//! - Action groups belong to the environment: every target of an environment renders the
//!   same groups under the same names, so deploying several targets is idempotent.
//! - azure-flexible-server: one metric alert per rule on each server that emits its
//!   metric (`crate::model::AZURE_METRICS`: down and storage on the primary and every
//!   replica, replication lag in bytes on the primary), and for each `database_down` rule
//!   a Resource Health activity log alert per server, which also fires when a server stops
//!   emitting metrics (a metric alert sees no data then, and stays silent).
//! - aks: one managed Prometheus rule group, whose PromQL `crate::render::promql` writes
//!   (the dashboard charts the same measures).
//!
//! A rule a target cannot observe is skipped and reported by [`notes`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::duration::Duration;
use crate::model::cnpg::Cluster;
use crate::model::{
    ActionGroup, AlertRule, AzureScope, DATA_VOLUME, Deployment, ExporterSeries, MetricsScrape,
    Model, Server, Signal, StatefulSet, Target, Unobservable, alert_name, azure_alert_scopes,
    azure_metric, resource_health_alert_name,
};
use crate::render::dashboard;
use crate::render::promql::{CNPG_CONTAINER, DATABASE_CONTAINER, Selectors};
use crate::render::{CommentStyle, RenderError, Templates, header};

/// What the alert templates read. THESE FIELDS ARE USED BY `templates/alerts/*`.
#[derive(Debug, Serialize)]
struct AlertsView {
    service: String,
    environment: String,
    resource_group: String,
    /// Name of the ARM deployment (`-n`).
    deployment_name: String,
    tags: Vec<(String, String)>,
    webhook_params: Vec<WebhookParamView>,
    key_vault: Option<KeyVaultView>,
    action_groups: Vec<ActionGroupView>,
    azure: Option<AzureView>,
    aks: Option<AksView>,
    dashboard: Option<DashboardView>,
}

/// The workbook resource; its content is the file beside `alerts.bicep`.
#[derive(Debug, Serialize)]
struct DashboardView {
    display_name: String,
    /// What `guid()` derives the workbook's name from, with the resource group's ID: the
    /// target's identity, so a new name or new panels update the same workbook.
    guid_parts: Vec<String>,
    file: &'static str,
    subscription_placeholder: &'static str,
}

#[derive(Debug, Serialize)]
struct WebhookParamView {
    name: String,
    secret: String,
    receivers: Vec<String>,
}

#[derive(Debug, Serialize)]
struct KeyVaultView {
    name: String,
    resource_group: String,
    /// The vault's subscription, when the design names one; else the deploying shell's
    /// `AZURE_SUBSCRIPTION_ID`.
    subscription_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct ActionGroupView {
    symbol: String,
    name: String,
    input_name: String,
    short_name: String,
    emails: Vec<(String, String)>,
    sms: Vec<SmsView>,
    webhooks: Vec<WebhookView>,
}

#[derive(Debug, Serialize)]
struct SmsView {
    name: String,
    country_code: String,
    phone_number: String,
}

#[derive(Debug, Serialize)]
struct WebhookView {
    name: String,
    param: String,
}

/// The rule as written, for comments and descriptions.
#[derive(Debug, Serialize)]
struct RuleView {
    name: String,
    signal: &'static str,
    above: Option<serde_json::Value>,
    duration: String,
    severity: u8,
    severity_name: &'static str,
    actions: Vec<String>,
}

#[derive(Debug, Serialize)]
struct AzureView {
    server: ScopeView,
    uses_server: bool,
    replicas: Vec<ScopeView>,
    alerts: Vec<MetricAlertView>,
    /// Resource Health activity log alerts, one per server for each `database_down` rule.
    health: Vec<HealthAlertView>,
}

/// A Resource Health alert: the fields every alert on a server has.
#[derive(Debug, Serialize)]
struct HealthAlertView {
    symbol: String,
    name: String,
    rule: RuleView,
    first_of_rule: bool,
    scope: String,
    scope_name: String,
    on_replica: bool,
}

/// A metric alert: an alert on a server, and its metric criterion.
#[derive(Debug, Serialize)]
struct MetricAlertView {
    #[serde(flatten)]
    alert: HealthAlertView,
    /// Which servers the rule's alerts watch: `primary`, `replicas` or `all`.
    scope_kind: &'static str,
    metric: &'static str,
    aggregation: &'static str,
    operator: &'static str,
    operator_symbol: &'static str,
    threshold: serde_json::Value,
    window: String,
    evaluation_frequency: &'static str,
}

#[derive(Debug, Serialize)]
struct ScopeView {
    symbol: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct AksView {
    /// `StatefulSet` (aks) or `Cluster` (cnpg): what the rules watch.
    kind: &'static str,
    cluster: String,
    workspace: String,
    namespace: String,
    stateful_set: String,
    container: &'static str,
    claim_pattern: String,
    /// What `cpu_percent` divides by: the CPU limit, or the request when there is none.
    cpu_basis: String,
    /// `limit` or `request`.
    cpu_basis_kind: &'static str,
    memory_limit: String,
    rule_group: String,
    /// Whether the exporter is scraped through a PodMonitor (else pod annotations).
    pod_monitor: bool,
    /// `job` of the exporter's series, and the names of its namespace and pod labels.
    exporter: ExporterSeries,
    rules: Vec<PrometheusRuleView>,
}

#[derive(Debug, Serialize)]
struct PrometheusRuleView {
    alert: String,
    /// The PromQL of the rule (`crate::render::promql`), shared with the dashboard.
    expression: String,
    rule: RuleView,
    duration_iso: String,
}

/// A number as JSON: whole numbers as integers, so they print without `.0`.
fn json_number(value: f64) -> serde_json::Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serde_json::Value::from(value as i64)
    } else {
        serde_json::Value::from(value)
    }
}

/// A Bicep identifier from a name: every character that cannot be in one becomes `_`.
pub fn symbol(prefix: &str, parts: &[&str]) -> String {
    let mut out = prefix.to_owned();
    for part in parts {
        out.push('_');
        out.extend(
            part.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    out
}

/// Hands out symbols, adding `_2`, `_3`... when two names map to the same one.
#[derive(Default)]
struct Symbols(BTreeSet<String>);

impl Symbols {
    fn take(&mut self, wanted: String) -> String {
        let mut candidate = wanted.clone();
        let mut n = 1;
        while !self.0.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{wanted}_{n}");
        }
        candidate
    }
}

/// A secure parameter name for a Key Vault secret: lowerCamelCase
/// (`teams-webhook-url` → `teamsWebhookUrl`), starting with a letter.
pub fn param_name(secret: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in secret.chars() {
        if !c.is_ascii_alphanumeric() {
            upper = !out.is_empty();
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else if out.is_empty() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "secret");
    }
    out
}

fn rule_view(rule: &AlertRule, groups: &[ActionGroupView]) -> RuleView {
    RuleView {
        name: rule.name.clone(),
        signal: rule.signal.as_str(),
        above: rule.above.map(json_number),
        duration: rule.duration.clone(),
        severity: rule.severity.azure_level(),
        severity_name: rule.severity.as_str(),
        actions: rule
            .notify
            .iter()
            .filter_map(|n| groups.iter().find(|g| &g.input_name == n))
            .map(|g| g.symbol.clone())
            .collect(),
    }
}

fn webhook_params(groups: &[ActionGroup]) -> Vec<WebhookParamView> {
    let mut names = Symbols::default();
    let mut params: Vec<WebhookParamView> = Vec::new();
    for group in groups {
        for webhook in &group.webhooks {
            let receiver = format!("{}/{}", group.name, webhook.name);
            match params.iter_mut().find(|p| p.secret == webhook.uri_secret) {
                Some(param) => param.receivers.push(receiver),
                None => params.push(WebhookParamView {
                    name: names.take(param_name(&webhook.uri_secret)),
                    secret: webhook.uri_secret.clone(),
                    receivers: vec![receiver],
                }),
            }
        }
    }
    params
}

fn action_groups(
    target: &Target,
    params: &[WebhookParamView],
    symbols: &mut Symbols,
) -> Vec<ActionGroupView> {
    target
        .env
        .alerting
        .action_groups
        .iter()
        .map(|g| ActionGroupView {
            symbol: symbols.take(symbol("actionGroup", &[&g.name])),
            name: g.resource_name.clone(),
            input_name: g.name.clone(),
            short_name: g.short_name.clone(),
            emails: g
                .email
                .iter()
                .enumerate()
                .map(|(i, e)| (format!("email-{}", i + 1), e.clone()))
                .collect(),
            sms: g
                .sms
                .iter()
                .enumerate()
                .map(|(i, s)| SmsView {
                    name: format!("sms-{}", i + 1),
                    country_code: s.country_code.clone(),
                    phone_number: s.phone_number.clone(),
                })
                .collect(),
            webhooks: g
                .webhooks
                .iter()
                .map(|w| WebhookView {
                    name: w.name.clone(),
                    param: params
                        .iter()
                        .find(|p| p.secret == w.uri_secret)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

/// Comparison of a signal on Azure: the availability metric fires below 1, every other
/// metric above the rule's threshold. Metric, aggregation and scope come from the model's
/// sourced table [`crate::model::AZURE_METRICS`].
fn azure_operator(signal: Signal) -> (&'static str, &'static str) {
    match signal {
        Signal::DatabaseDown => ("LessThan", "<"),
        _ => ("GreaterThan", ">"),
    }
}

fn azure_view(
    target: &Target,
    server: &Server,
    groups: &[ActionGroupView],
    symbols: &mut Symbols,
) -> AzureView {
    let server_scope = ScopeView {
        symbol: symbols.take("server".to_owned()),
        name: server.name.clone(),
    };
    let replica_names: Vec<&str> = server.replicas.iter().map(|r| r.name.as_str()).collect();
    let rules: Vec<&AlertRule> = target
        .alert_rules()
        .filter(|r| target.unobservable(r).is_none())
        .collect();
    let on_replicas = rules.iter().any(|r| {
        azure_alert_scopes(r.signal, &server.name, &replica_names)
            .iter()
            .any(|s| *s != server.name)
    });
    let replicas: Vec<ScopeView> = if on_replicas {
        server
            .replicas
            .iter()
            .map(|r| ScopeView {
                symbol: symbols.take(symbol("replica", &[&r.name])),
                name: r.name.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let scope_of = |name: &str| -> &ScopeView {
        if name == server.name {
            &server_scope
        } else {
            replicas
                .iter()
                .find(|r| r.name == name)
                .expect("a replica of the server")
        }
    };
    let mut alerts = Vec::new();
    let mut health = Vec::new();
    for rule in &rules {
        let duration = Duration::parse(&rule.duration).expect("validated duration");
        let (metric, aggregation, scope_kind) = azure_metric(rule.signal);
        let scope_kind = match scope_kind {
            AzureScope::Primary => "primary",
            AzureScope::Replicas => "replicas",
            AzureScope::PrimaryAndReplicas => "all",
        };
        let (operator, operator_symbol) = azure_operator(rule.signal);
        let scopes = azure_alert_scopes(rule.signal, &server.name, &replica_names);
        for (i, scope_name) in scopes.iter().enumerate() {
            let scope = scope_of(scope_name);
            let on_replica = scope.name != server.name;
            let mut parts = vec![rule.name.as_str()];
            if on_replica {
                parts.push(&scope.name);
            }
            alerts.push(MetricAlertView {
                alert: HealthAlertView {
                    symbol: symbols.take(symbol("alert", &parts)),
                    name: alert_name(&scope.name, rule),
                    rule: rule_view(rule, groups),
                    first_of_rule: i == 0,
                    scope: scope.symbol.clone(),
                    scope_name: scope.name.clone(),
                    on_replica,
                },
                scope_kind,
                metric,
                aggregation,
                operator,
                operator_symbol,
                threshold: match rule.signal {
                    Signal::DatabaseDown => serde_json::Value::from(1),
                    _ => json_number(rule.above.unwrap_or_default()),
                },
                window: duration.iso8601(),
                evaluation_frequency: duration.azure_evaluation_frequency(),
            });
        }
        if rule.signal == Signal::DatabaseDown {
            for (i, scope_name) in scopes.iter().enumerate() {
                let scope = scope_of(scope_name);
                health.push(HealthAlertView {
                    symbol: symbols.take(symbol("health", &[&rule.name, &scope.name])),
                    name: resource_health_alert_name(&scope.name, &rule.name),
                    rule: rule_view(rule, groups),
                    first_of_rule: i == 0,
                    scope: scope.symbol.clone(),
                    scope_name: scope.name.clone(),
                    on_replica: scope.name != server.name,
                });
            }
        }
    }
    AzureView {
        uses_server: alerts
            .iter()
            .map(|a| &a.alert)
            .chain(&health)
            .any(|a| !a.on_replica),
        server: server_scope,
        replicas,
        alerts,
        health,
    }
}

fn aks_view(target: &Target, set: &StatefulSet, groups: &[ActionGroupView]) -> AksView {
    let aks = target.env.aks.as_ref().expect("aks environment");
    let cpu = set.resources.cpu_basis();
    let selectors = Selectors::of(target, set);
    AksView {
        kind: "StatefulSet",
        cluster: aks.cluster.clone(),
        workspace: workspace(target),
        namespace: aks.namespace.clone(),
        stateful_set: set.name.clone(),
        container: DATABASE_CONTAINER,
        claim_pattern: format!("{DATA_VOLUME}-{}-N", set.name),
        cpu_basis: cpu.quantity.to_owned(),
        cpu_basis_kind: cpu.kind,
        memory_limit: set.resources.limits.memory.clone(),
        rule_group: set.names.rule_group.clone(),
        pod_monitor: aks.pod_monitor(),
        exporter: aks.metrics_scrape.series(&aks.namespace, &set.name),
        rules: prometheus_rules(target, &set.name, &selectors, groups),
    }
}

/// The Prometheus rules of a target in Kubernetes whose workload is `name`.
fn prometheus_rules(
    target: &Target,
    name: &str,
    selectors: &Selectors,
    groups: &[ActionGroupView],
) -> Vec<PrometheusRuleView> {
    target
        .alert_rules()
        .filter(|r| target.unobservable(r).is_none())
        .map(|r| PrometheusRuleView {
            alert: alert_name(name, r),
            expression: selectors
                .alert(
                    r.signal,
                    &json_number(r.above.unwrap_or_default()).to_string(),
                )
                .expect("validation refuses rules no series measures"),
            rule: rule_view(r, groups),
            duration_iso: Duration::parse(&r.duration)
                .expect("validated duration")
                .iso8601(),
        })
        .collect()
}

/// The Azure Monitor workspace of an environment in Kubernetes (validation requires it
/// where there are rules).
fn workspace(target: &Target) -> String {
    target
        .env
        .alerting
        .azure_monitor_workspace
        .clone()
        .unwrap_or_default()
}

/// The rule group of a cnpg target: the same shape as aks's, over the operator's exporter.
fn cnpg_view(target: &Target, cluster: &Cluster, groups: &[ActionGroupView]) -> AksView {
    let cnpg = target.env.cnpg.as_ref().expect("cnpg environment");
    let cpu = cluster.resources.cpu_basis();
    let selectors = Selectors::of_cluster(target, cluster);
    AksView {
        kind: "Cluster",
        cluster: cnpg.cluster.clone(),
        workspace: workspace(target),
        namespace: cnpg.namespace.clone(),
        stateful_set: cluster.name.clone(),
        container: CNPG_CONTAINER,
        claim_pattern: format!("{0}-N and {0}-N-wal", cluster.name),
        cpu_basis: cpu.quantity.to_owned(),
        cpu_basis_kind: cpu.kind,
        memory_limit: cluster.resources.limits.memory.clone(),
        rule_group: cluster.names.rule_group.clone(),
        pod_monitor: true,
        exporter: MetricsScrape::PodMonitor.series(&cnpg.namespace, &cluster.name),
        rules: prometheus_rules(target, &cluster.name, &selectors, groups),
    }
}

fn view(target: &Target) -> AlertsView {
    let mut symbols = Symbols::default();
    let params = webhook_params(&target.env.alerting.action_groups);
    let groups = action_groups(target, &params, &mut symbols);
    let (resource_group, azure, aks) = match &target.deployment {
        Deployment::FlexibleServer(server) => (
            target
                .env
                .azure
                .as_ref()
                .map(|a| a.resource_group.clone())
                .unwrap_or_default(),
            Some(azure_view(target, server, &groups, &mut symbols)),
            None,
        ),
        Deployment::Aks(set) => (
            target
                .env
                .aks
                .as_ref()
                .map(|a| a.resource_group.clone())
                .unwrap_or_default(),
            None,
            Some(aks_view(target, set, &groups)),
        ),
        Deployment::Cnpg(cluster) => (
            target
                .env
                .cnpg
                .as_ref()
                .map(|c| c.resource_group.clone())
                .unwrap_or_default(),
            None,
            Some(cnpg_view(target, cluster, &groups)),
        ),
    };
    AlertsView {
        service: target.service.name.clone(),
        environment: target.env.name.clone(),
        resource_group,
        deployment_name: target.arm_deployments.alerts.clone(),
        tags: target.project.azure_tags(),
        key_vault: target.env.azure.as_ref().map(|a| KeyVaultView {
            name: a.key_vault.name.clone(),
            resource_group: a.key_vault.resource_group.clone(),
            subscription_id: a.key_vault.subscription_id.clone(),
        }),
        webhook_params: params,
        action_groups: groups,
        azure,
        aks,
        dashboard: target.dashboard.as_ref().map(|d| DashboardView {
            display_name: d.display_name.clone(),
            guid_parts: vec![
                "gen-dashboard".to_owned(),
                target.project.name.clone(),
                target.env.name.clone(),
                target.service.name.clone(),
            ],
            file: dashboard::FILE_NAME,
            subscription_placeholder: dashboard::SUBSCRIPTION_PLACEHOLDER,
        }),
    }
}

/// `alerts.bicep` and `alerts.bicepparam`.
pub fn render(
    target: &Target,
    templates: &Templates,
) -> Result<Vec<(String, String)>, RenderError> {
    let view = view(target);
    let context = super::context(&view);
    let head = header(CommentStyle::Slash, &target.sources());
    let mut files = ["alerts.bicep", "alerts.bicepparam"]
        .into_iter()
        .map(|name| {
            let body = templates.render_context(&format!("alerts/{name}.j2"), &context)?;
            Ok((name.to_owned(), format!("{head}{body}")))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    if let Some(workbook) = dashboard::workbook(target) {
        files.push((
            dashboard::FILE_NAME.to_owned(),
            dashboard::render(&workbook),
        ));
    }
    Ok(files)
}

/// Why each skipped rule was skipped, one line per (target, rule), for the render summary.
pub fn notes(model: &Model) -> Vec<String> {
    let mut notes = Vec::new();
    for target in &model.targets {
        for rule in target.alert_rules() {
            let why = match target.unobservable(rule) {
                None => continue,
                Some(Unobservable::NoReplicasOnAks) => {
                    "aks runs a single StatefulSet pod with no read replicas to lag"
                }
                Some(Unobservable::ServerWithoutReplicas) => "the server has no replicas",
                Some(Unobservable::SingleInstance) => {
                    "the cluster runs a single instance, with no replica to lag"
                }
                Some(Unobservable::NoBackup) => "the cluster has no backup (`cluster.backup`)",
            };
            notes.push(format!(
                "{}: alert rule `{}` skipped: {why}",
                target.dir(),
                rule.name
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_replace_what_bicep_cannot_take() {
        assert_eq!(symbol("alert", &["cpu-high"]), "alert_cpu_high");
        assert_eq!(
            symbol("alert", &["lag", "db-prod.krs"]),
            "alert_lag_db_prod_krs"
        );
        let mut symbols = Symbols::default();
        assert_eq!(symbols.take("a_b".into()), "a_b");
        assert_eq!(symbols.take("a_b".into()), "a_b_2");
        assert_eq!(symbols.take("a_b".into()), "a_b_3");
    }

    #[test]
    fn secret_names_become_camel_case_parameters() {
        assert_eq!(param_name("teams-webhook-url"), "teamsWebhookUrl");
        assert_eq!(param_name("Teams"), "teams");
        assert_eq!(param_name("1-hook"), "secret1Hook");
    }

    #[test]
    fn whole_numbers_print_as_integers() {
        assert_eq!(json_number(80.0).to_string(), "80");
        assert_eq!(json_number(2.5).to_string(), "2.5");
    }
}
