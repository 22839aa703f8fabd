//! The install plan of every target: `README.md`, rendered from the model (never from the
//! other rendered files). What is deployed, a Mermaid diagram of it, the secrets to create,
//! the commands to apply it in order, how to verify and roll it back, and what the platform
//! cannot do that such plans tend to ask for.

use serde::Serialize;

use crate::input::{
    AksEnvironment, AlertRule, AzureEnvironment, NetworkAccess, ScalarValue, ServerDeployment,
    Signal, StatefulSetDeployment, StorageType,
};
use crate::model::{Deployment, Target, secret_env_var};
use crate::render::filters::{sql_ident_str, sql_literal_str};
use crate::render::{CommentStyle, RenderError, Templates, bicep, header, sql};

/// What `templates/readme/*` read. THESE FIELDS ARE USED BY THE TEMPLATES.
#[derive(Debug, Serialize)]
struct ReadmeView {
    project: String,
    env: String,
    service: String,
    dir: String,
    platform: &'static str,
    sql_files: Vec<String>,
    database: DatabaseView,
    alerts: AlertsView,
    aks: Option<AksView>,
    azure: Option<AzureView>,
}

#[derive(Debug, Serialize)]
struct DatabaseView {
    name: String,
    encoding: String,
    locale: Option<String>,
    timezone: String,
    extensions: Vec<String>,
    schemas: Vec<String>,
    schema_file: Option<String>,
    roles: Vec<RoleView>,
    seeds: Vec<SeedView>,
}

#[derive(Debug, Serialize)]
struct RoleView {
    name: String,
    access: &'static str,
    connection_limit: u32,
    secret: String,
    env: String,
}

/// One seeded table and the query that counts its seeded rows.
#[derive(Debug, Serialize)]
struct SeedView {
    table: String,
    key: Vec<String>,
    rows: usize,
    count_sql: String,
}

#[derive(Debug, Serialize)]
struct AlertsView {
    groups: Vec<ActionGroupView>,
    rules: Vec<RuleView>,
    /// Key Vault secrets holding webhook URLs, each once.
    webhook_secrets: Vec<String>,
    /// Alerts rendered for this target (rules minus skipped, replica rules once per replica).
    alert_count: usize,
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
    /// Watches each replica rather than the primary.
    on_replicas: bool,
}

#[derive(Debug, Serialize)]
struct AksView {
    cluster: String,
    resource_group: String,
    namespace: String,
    statefulset: String,
    headless: String,
    pod: String,
    pvc: String,
    image: String,
    requests_cpu: String,
    requests_memory: String,
    limits_cpu: String,
    limits_memory: String,
    storage_size: String,
    storage_class: String,
    builtin_storage_class: bool,
    credentials_secret: String,
    tls_secret: String,
    clients: Vec<String>,
    monitoring_namespace: String,
    database_selector: String,
    job_selector: String,
    instance_selector: String,
    parameters: Vec<(String, String)>,
    /// `podannotationnamespaceregex` value that admits exactly this namespace.
    namespace_regex: String,
    workspace: Option<String>,
    rule_group: String,
    legacy_image: bool,
}

#[derive(Debug, Serialize)]
struct AzureView {
    resource_group: String,
    location: String,
    server: ServerView,
    private: bool,
    vnet: Option<String>,
    vnet_resource_group: Option<String>,
    subnet: Option<String>,
    subnet_prefix: Option<String>,
    dns_zone: Option<String>,
    clients: Vec<String>,
    firewall_rules: Vec<String>,
    private_endpoints: Vec<String>,
    administrators: Vec<String>,
    key_vault: String,
    key_vault_subscription: Option<String>,
    workspace: String,
    workspace_resource_group: String,
    replicas: Vec<ReplicaView>,
    parameters: Vec<(String, String)>,
    subnet_env_vars: Vec<(String, String)>,
    reads_subscription: bool,
    /// `max_connections` minus the 15 slots the service reserves, when the design sets it.
    user_connections: Option<(i64, i64)>,
}

#[derive(Debug, Serialize)]
struct ServerView {
    name: String,
    fqdn: String,
    version: String,
    sku: String,
    tier: &'static str,
    zone: Option<String>,
    ha_mode: Option<&'static str>,
    standby_zone: Option<String>,
    storage_gb: u32,
    storage_type: &'static str,
    performance_tier: Option<String>,
    iops: Option<u32>,
    throughput: Option<u32>,
    auto_grow: bool,
    retention_days: u32,
    geo_redundant: bool,
    entra: bool,
    password: bool,
    admin_login: String,
    admin_secret: String,
    admin_env: String,
}

#[derive(Debug, Serialize)]
struct ReplicaView {
    id: String,
    name: String,
    location: String,
    sku: String,
    tier: &'static str,
    storage_gb: u32,
    other_region: bool,
    /// Sits in the primary's delegated subnet (private access, same region, no subnet named).
    in_primary_subnet: bool,
    same_compute: bool,
    subnet: String,
}

/// Storage classes every AKS cluster has (Azure Disk CSI).
const AKS_STORAGE_CLASSES: &[&str] = &["default", "managed-csi", "managed-csi-premium"];

/// A regular expression matching exactly `text`.
fn regex_escape(text: &str) -> String {
    let mut out = String::from("^");
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}

fn text(value: &ScalarValue) -> String {
    value.to_text()
}

fn sql_value(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Bool(true) => "TRUE".to_owned(),
        ScalarValue::Bool(false) => "FALSE".to_owned(),
        ScalarValue::Integer(i) => i.to_string(),
        ScalarValue::Float(f) => f.to_string(),
        ScalarValue::Text(t) => sql_literal_str(t).unwrap_or_else(|_| "NULL".to_owned()),
    }
}

/// PostgreSQL keywords that cannot name a table or column unquoted (reserved, and reserved
/// except as function or type names).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier as a person would type it: bare when PostgreSQL reads it bare as the same
/// name (lower case, not a keyword), quoted otherwise.
fn ident(name: &str) -> String {
    let bare = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !RESERVED.contains(&name);
    if bare {
        name.to_owned()
    } else {
        sql_ident_str(name).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

/// `SELECT count(*) FROM t WHERE (k1, k2) IN ((...), (...))`: how many of the seeded rows exist.
fn count_sql(
    table: &str,
    key: &[String],
    rows: &[std::collections::BTreeMap<String, ScalarValue>],
) -> String {
    let table = table.split_once('.').map_or_else(
        || ident(table),
        |(s, t)| format!("{}.{}", ident(s), ident(t)),
    );
    let columns: Vec<String> = key.iter().map(|k| ident(k)).collect();
    let one = columns.len() == 1;
    let tuples: Vec<String> = rows
        .iter()
        .map(|row| {
            let values: Vec<String> = key
                .iter()
                .map(|k| row.get(k).map_or_else(|| "NULL".to_owned(), sql_value))
                .collect();
            if one {
                values.join(", ")
            } else {
                format!("({})", values.join(", "))
            }
        })
        .collect();
    let columns = if one {
        columns.join(", ")
    } else {
        format!("({})", columns.join(", "))
    };
    format!(
        "SELECT count(*) FROM {table} WHERE {columns} IN ({})",
        tuples.join(", ")
    )
}

fn database(target: &Target) -> DatabaseView {
    let db = &target.service.database;
    DatabaseView {
        name: db.name.clone(),
        encoding: db.encoding.clone(),
        locale: db.locale.clone(),
        timezone: db.timezone.clone(),
        extensions: db.extensions.clone(),
        schemas: db.all_schemas(),
        schema_file: db.schema_file.as_ref().map(|(rel, _)| rel.clone()),
        roles: db
            .roles
            .iter()
            .map(|r| RoleView {
                name: r.name.clone(),
                access: r.access.as_str(),
                connection_limit: r.connection_limit,
                secret: r.password_secret.clone(),
                env: r.password_env.clone(),
            })
            .collect(),
        seeds: db
            .seed_data
            .iter()
            .filter(|seed| !seed.rows.is_empty())
            .map(|seed| SeedView {
                table: seed.table.clone(),
                key: seed.key.clone(),
                rows: seed.rows.len(),
                count_sql: count_sql(&seed.table, &seed.key, &seed.rows),
            })
            .collect(),
    }
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
    }
}

fn alerts(target: &Target, replicas: usize) -> AlertsView {
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
                resource: format!("ag-{}-{}-{}", target.project.name, target.env.name, g.name),
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
    let aks = matches!(target.deployment, Deployment::Aks(_));
    let rules: Vec<RuleView> = target
        .alert_rules()
        .enumerate()
        .map(|(i, rule)| {
            let lag = rule.signal == Signal::ReplicationLagSeconds;
            let skipped = match (lag, aks, replicas) {
                (true, true, _) => Some("no replicas on aks"),
                (true, false, 0) => Some("this server has no replicas"),
                _ => None,
            };
            RuleView {
                id: format!("rule{}", i + 1),
                name: rule.name.clone(),
                signal: rule.signal.as_str(),
                condition: condition(rule),
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
                on_replicas: lag && !aks,
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
        .map(|r| if r.on_replicas { replicas } else { 1 })
        .sum();
    AlertsView {
        groups,
        rules,
        webhook_secrets,
        alert_count,
    }
}

fn aks_view(target: &Target, aks: &AksEnvironment, set: &StatefulSetDeployment) -> AksView {
    let image = &aks.image;
    let mut image_ref = format!("{}:{}", image.repository, image.tag);
    if let Some(digest) = &image.digest {
        image_ref = format!("{image_ref}@{digest}");
    }
    let instance = format!("app.kubernetes.io/instance={}", set.name);
    AksView {
        cluster: aks.cluster.clone(),
        resource_group: aks.resource_group.clone(),
        namespace: aks.namespace.clone(),
        statefulset: set.name.clone(),
        headless: format!("{}-hl", set.name),
        pod: format!("{}-0", set.name),
        pvc: format!("data-{}-0", set.name),
        image: image_ref,
        requests_cpu: set.resources.requests.cpu.clone(),
        requests_memory: set.resources.requests.memory.clone(),
        limits_cpu: set.resources.limits.cpu.clone(),
        limits_memory: set.resources.limits.memory.clone(),
        storage_size: set.storage.size.clone(),
        storage_class: aks.storage_class.clone(),
        builtin_storage_class: AKS_STORAGE_CLASSES.contains(&aks.storage_class.as_str()),
        credentials_secret: set.credentials_secret.clone(),
        tls_secret: set.tls.certificate_secret.clone(),
        clients: aks
            .clients
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        monitoring_namespace: aks
            .monitoring_namespace
            .clone()
            .unwrap_or_else(|| "kube-system".to_owned()),
        database_selector: format!("{instance},app.kubernetes.io/component=database"),
        job_selector: format!("{instance},app.kubernetes.io/component=schema"),
        instance_selector: instance,
        parameters: set
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect(),
        namespace_regex: regex_escape(&aks.namespace),
        workspace: target.env.alerting.azure_monitor_workspace.clone(),
        rule_group: format!("{}-alerts", set.name),
        legacy_image: image.repository.contains("bitnamilegacy/"),
    }
}

fn azure_view(target: &Target, azure: &AzureEnvironment, server: &ServerDeployment) -> AzureView {
    let facts = bicep::deploy_facts(target).expect("a Flexible Server target");
    let network = &azure.network;
    let private = network.access == NetworkAccess::Private;
    let ha = server.high_availability.as_ref();
    let storage = &server.storage;
    let premium_v2 = storage.storage_type == Some(StorageType::PremiumV2Lrs);
    let user_connections = facts
        .parameters
        .iter()
        .find(|(name, _)| name == "max_connections")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .map(|max| (max, max - 15));
    AzureView {
        resource_group: azure.resource_group.clone(),
        location: azure.location.clone(),
        server: ServerView {
            name: server.name.clone(),
            fqdn: format!("{}.postgres.database.azure.com", server.name),
            version: server.version.clone(),
            sku: server.sku.clone(),
            tier: server.tier.as_str(),
            zone: ha
                .and_then(|ha| ha.zone.clone())
                .or_else(|| server.zone.clone()),
            ha_mode: ha.map(|ha| ha.mode.as_str()),
            standby_zone: ha.and_then(|ha| ha.standby_zone.clone()),
            storage_gb: storage.size_gb,
            storage_type: storage.storage_type.map_or("Premium_LRS", |t| t.as_str()),
            performance_tier: if premium_v2 {
                None
            } else {
                storage.performance_tier.clone()
            },
            iops: storage.iops.filter(|_| premium_v2),
            throughput: storage.throughput.filter(|_| premium_v2),
            auto_grow: storage.auto_grow,
            retention_days: server.backup.retention_days,
            geo_redundant: server.backup.geo_redundant,
            entra: server.authentication.entra,
            password: server.authentication.password,
            admin_login: server.administrator_login.clone(),
            admin_secret: server.administrator_password_secret.clone(),
            admin_env: secret_env_var(&server.administrator_password_secret),
        },
        private,
        vnet: network.virtual_network.as_ref().map(|v| v.name.clone()),
        vnet_resource_group: network
            .virtual_network
            .as_ref()
            .map(|v| v.resource_group.clone()),
        subnet: network.delegated_subnet.as_ref().map(|s| s.name.clone()),
        subnet_prefix: network
            .delegated_subnet
            .as_ref()
            .map(|s| s.address_prefix.clone()),
        dns_zone: network.private_dns_zone.clone(),
        clients: network
            .clients
            .iter()
            .map(|c| format!("{} {}", c.name, c.address_prefix))
            .collect(),
        firewall_rules: network
            .firewall_rules
            .iter()
            .map(|r| format!("{} {}–{}", r.name, r.start_ip_address, r.end_ip_address))
            .collect(),
        private_endpoints: network
            .private_endpoints
            .iter()
            .map(|p| format!("{} (subnet {})", p.name, p.subnet))
            .collect(),
        administrators: if server.authentication.entra {
            azure
                .administrators
                .iter()
                .map(|a| format!("{} ({})", a.principal_name, a.principal_type.as_str()))
                .collect()
        } else {
            Vec::new()
        },
        key_vault: azure.key_vault.name.clone(),
        key_vault_subscription: azure.key_vault.subscription_id.clone(),
        workspace: azure.log_analytics_workspace.name.clone(),
        workspace_resource_group: azure.log_analytics_workspace.resource_group.clone(),
        replicas: server
            .replicas
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let other_region = r.location != azure.location;
                let subnet = match (&r.delegated_subnet, private, other_region) {
                    (_, false, _) => "public access".to_owned(),
                    (Some(s), true, _) => {
                        format!("subnet {} of VNet {}", s.name, s.virtual_network.name)
                    }
                    (None, true, false) => "the primary's subnet".to_owned(),
                    (None, true, true) => "a delegated subnet given at deploy time".to_owned(),
                };
                let sku = r.sku.clone().unwrap_or_else(|| server.sku.clone());
                let tier = r.tier.unwrap_or(server.tier);
                ReplicaView {
                    id: format!("replica{}", i + 1),
                    name: r.name.clone(),
                    location: r.location.clone(),
                    same_compute: sku == server.sku && tier == server.tier,
                    sku,
                    tier: tier.as_str(),
                    storage_gb: r.storage_size_gb.unwrap_or(storage.size_gb),
                    other_region,
                    in_primary_subnet: private && !other_region && r.delegated_subnet.is_none(),
                    subnet,
                }
            })
            .collect(),
        parameters: facts.parameters,
        subnet_env_vars: facts.subnet_env_vars,
        reads_subscription: facts.reads_subscription,
        user_connections,
    }
}

fn view(target: &Target) -> ReadmeView {
    let (aks, azure, replicas) = match (&target.deployment, &target.env.aks, &target.env.azure) {
        (Deployment::Aks(set), Some(aks), _) => (Some(aks_view(target, aks, set)), None, 0),
        (Deployment::FlexibleServer(server), _, Some(azure)) => (
            None,
            Some(azure_view(target, azure, server)),
            server.replicas.len(),
        ),
        _ => unreachable!("validation checks the deployment fits the platform"),
    };
    ReadmeView {
        project: target.project.name.clone(),
        env: target.env.name.clone(),
        service: target.service.name.clone(),
        dir: target.dir(),
        platform: target.env.platform.as_str(),
        sql_files: sql::script_names(target),
        database: database(target),
        alerts: alerts(target, replicas),
        aks,
        azure,
    }
}

/// `README.md` of a target.
pub fn render(target: &Target, templates: &Templates) -> Result<String, RenderError> {
    let head = header(CommentStyle::Html, &target.sources());
    let body = templates.render("readme/README.md.j2", &view(target))?;
    Ok(format!("{head}{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_counts_quote_names_and_values() {
        let row = |k: &str, v: ScalarValue| std::iter::once((k.to_owned(), v)).collect();
        let sql = count_sql(
            "audit.set\"tings",
            &["key".to_owned()],
            &[
                row("key", ScalarValue::Text("it's".to_owned())),
                row("key", ScalarValue::Integer(3)),
            ],
        );
        assert_eq!(
            sql,
            "SELECT count(*) FROM audit.\"set\"\"tings\" WHERE key IN ('it''s', 3)"
        );
        let two: std::collections::BTreeMap<String, ScalarValue> = [
            ("Order".to_owned(), ScalarValue::Bool(true)),
            ("user".to_owned(), ScalarValue::Text("a".to_owned())),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            count_sql("t", &["Order".to_owned(), "user".to_owned()], &[two]),
            "SELECT count(*) FROM t WHERE (\"Order\", \"user\") IN ((TRUE, 'a'))"
        );
    }
}
