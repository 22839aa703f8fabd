//! The Azure plan (`_azure.md.j2`): the server and its replicas under the names the Bicep
//! gives them, the network, and the parameters and variables `main.bicep` uses.

use serde::Serialize;

use crate::model::{Azure, CustomerKey, Replica, ReplicaSubnet, Server};
use crate::model::{azure_facts, azure_parameters};

#[derive(Debug, Serialize)]
pub(super) struct AzureView {
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
    /// The `privatelink.` zone of the private endpoints, and its resource group.
    endpoint_dns_zone: Option<&'static str>,
    endpoint_dns_zone_resource_group: Option<String>,
    administrators: Vec<String>,
    key_vault: String,
    key_vault_subscription: Option<String>,
    workspace: String,
    workspace_resource_group: String,
    replicas: Vec<ReplicaView>,
    /// The variables `main.bicepparam` reads the replicas' lifecycle from, when there are
    /// replicas.
    replica_lifecycle: Option<ReplicaLifecycleView>,
    parameters: Vec<(String, String)>,
    subnet_env_vars: Vec<(String, String)>,
    reads_subscription: bool,
    /// `max_connections` minus the 15 slots the service reserves, when the design sets it.
    user_connections: Option<(i64, i64)>,
    /// The deployed parameters that are static on the server's major (the model's table,
    /// `src/model/azure_parameters.rs`): they wait for a restart.
    static_parameters: Vec<String>,
    /// The parameters a replica must keep at least as high as its primary.
    replica_at_least_primary: Vec<&'static str>,
    /// The production settings of the design (maintenance, lock, roles, Defender, keys, logs).
    production: ProductionView,
}

/// How the README describes the design's production settings, one line of text each.
#[derive(Debug, Serialize)]
struct ProductionView {
    maintenance: Option<String>,
    lock: Option<&'static str>,
    /// Every server the lock is on: the primary, then each replica.
    locked_servers: Vec<String>,
    role_assignments: Vec<String>,
    threat_protection: Option<bool>,
    /// The customer-managed keys, one line per server (and the geo-backup key).
    encryption: Vec<String>,
    /// Each identity and key the deployment expects to exist, as `(identity, vault, key)`.
    customer_keys: Vec<(String, String, String)>,
    diagnostics: String,
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
struct ReplicaLifecycleView {
    existing_env: String,
    create_env: String,
    /// `az postgres flexible-server list --query` of the design's replicas that exist, as
    /// the comma-separated list the variable holds (server names are lowercase letters,
    /// digits and hyphens, so they need no escaping in JMESPath).
    existing_query: String,
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

/// The Azure settings of `target` as the README shows them.
pub(super) fn view(azure: &Azure, server: &Server) -> AzureView {
    let network = &azure.network;
    let user_connections = server
        .deployed_parameters
        .iter()
        .find(|(name, _)| name == "max_connections")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .map(|max| (max, max - 15));
    AzureView {
        resource_group: azure.resource_group.clone(),
        location: azure.location.clone(),
        server: server_view(server),
        private: network.private,
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
        // The primary's endpoints, then each replica's.
        private_endpoints: server
            .private_endpoints
            .iter()
            .chain(server.replicas.iter().flat_map(|r| &r.private_endpoints))
            .map(|p| format!("{} (subnet {})", p.name, p.subnet))
            .collect(),
        endpoint_dns_zone: network.private_endpoint_dns_zone.as_ref().map(|z| z.name),
        endpoint_dns_zone_resource_group: network
            .private_endpoint_dns_zone
            .as_ref()
            .map(|z| z.resource_group.clone()),
        administrators: server
            .administrators
            .iter()
            .map(|a| format!("{} ({})", a.principal_name, a.principal_type))
            .collect(),
        key_vault: azure.key_vault.name.clone(),
        key_vault_subscription: azure.key_vault.subscription_id.clone(),
        workspace: azure.log_analytics_workspace.name.clone(),
        workspace_resource_group: azure.log_analytics_workspace.resource_group.clone(),
        replicas: server
            .replicas
            .iter()
            .enumerate()
            .map(|(i, replica)| replica_view(i, replica, server))
            .collect(),
        replica_lifecycle: server.replica_lifecycle.as_ref().map(|l| {
            let names: Vec<String> = server
                .replicas
                .iter()
                .map(|r| format!("'{}'", r.name))
                .collect();
            ReplicaLifecycleView {
                existing_env: l.existing_env.clone(),
                create_env: l.create_env.clone(),
                existing_query: format!(
                    "[?contains([{}], name)].name | join(',', @)",
                    names.join(", ")
                ),
            }
        }),
        parameters: server.deployed_parameters.clone(),
        subnet_env_vars: subnet_env_vars(server),
        reads_subscription: server.password && azure.key_vault.subscription_id.is_none(),
        user_connections,
        static_parameters: static_parameters(server),
        replica_at_least_primary: azure_parameters::replica_at_least_primary().collect(),
        production: production_view(azure, server),
    }
}

fn key_text(key: &CustomerKey) -> String {
    format!(
        "key {} of Key Vault {} (resource group {}), read by identity {}",
        key.key, key.key_vault.name, key.key_vault.resource_group, key.identity.name
    )
}

/// The day ARM numbers `day_of_week`, capitalised (`Sunday`), from the facts table the model
/// numbered it with.
fn day_name(day_of_week: u32) -> String {
    let name = azure_facts::MAINTENANCE_DAYS
        .iter()
        .find(|(_, n)| *n == day_of_week)
        .map_or("?", |(name, _)| name);
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn production_view(azure: &Azure, server: &Server) -> ProductionView {
    let mut encryption = Vec::new();
    let mut customer_keys: Vec<(String, String, String)> = Vec::new();
    let mut remember = |key: &CustomerKey| {
        let row = (
            key.identity.name.clone(),
            key.key_vault.name.clone(),
            key.key.clone(),
        );
        if !customer_keys.contains(&row) {
            customer_keys.push(row);
        }
    };
    if let Some(d) = &server.data_encryption {
        encryption.push(format!("{}: {}", server.name, key_text(&d.primary)));
        remember(&d.primary);
        if let Some(geo) = &d.geo_backup {
            encryption.push(format!("geo-redundant backups: {}", key_text(geo)));
            remember(geo);
        }
        for r in &server.replicas {
            if let Some(k) = &r.data_encryption {
                encryption.push(format!("{}: {}", r.name, key_text(k)));
                remember(k);
            }
        }
    }
    let logs: Vec<&str> = azure.diagnostics.logs.iter().map(|c| c.name).collect();
    ProductionView {
        maintenance: server.maintenance_window.map(|w| {
            format!(
                "{} {:02}:{:02} UTC",
                day_name(w.day_of_week),
                w.start_hour,
                w.start_minute
            )
        }),
        lock: server.lock,
        locked_servers: server
            .lock
            .map(|_| {
                std::iter::once(server.name.clone())
                    .chain(server.replicas.iter().map(|r| r.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        role_assignments: server
            .role_assignments
            .iter()
            .map(|a| format!("{} for {} {}", a.role, a.principal_type, a.principal_id))
            .collect(),
        threat_protection: server.threat_protection,
        encryption,
        customer_keys,
        diagnostics: format!(
            "logs {}, metrics {},",
            if logs.is_empty() {
                "none".to_owned()
            } else {
                logs.join(", ")
            },
            if azure.diagnostics.metrics {
                "on"
            } else {
                "off"
            }
        ),
    }
}

/// The names of the parameters the deployment writes that are static on the server's major.
fn static_parameters(server: &Server) -> Vec<String> {
    let Some(major) = azure_parameters::major_of(&server.version) else {
        return Vec::new();
    };
    server
        .deployed_parameters
        .iter()
        .filter(|(name, _)| azure_parameters::is_static(name, major))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The environment variables `main.bicepparam` reads replica subnet IDs from, with their
/// region: one per region, in the order of the replicas.
fn subnet_env_vars(server: &Server) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for replica in &server.replicas {
        if let ReplicaSubnet::DeployTime { env_var, .. } = &replica.subnet
            && !vars.iter().any(|(_, region)| *region == replica.location)
        {
            vars.push((env_var.clone(), replica.location.clone()));
        }
    }
    vars
}

fn server_view(server: &Server) -> ServerView {
    let ha = server.high_availability.as_ref();
    let storage = &server.storage;
    ServerView {
        name: server.name.clone(),
        fqdn: server.fqdn.clone(),
        version: server.version.clone(),
        sku: server.sku.clone(),
        tier: server.tier,
        zone: server.zone.clone(),
        ha_mode: ha.map(|ha| ha.mode),
        standby_zone: ha.and_then(|ha| ha.standby_zone.clone()),
        storage_gb: storage.size_gb,
        storage_type: storage.storage_type,
        performance_tier: storage.performance_tier.clone(),
        iops: storage.iops,
        throughput: storage.throughput,
        auto_grow: storage.auto_grow,
        retention_days: server.backup_retention_days,
        geo_redundant: server.geo_redundant_backup,
        entra: server.entra,
        password: server.password,
        admin_login: server.administrator_login.clone(),
        admin_secret: server.administrator_password_secret.clone(),
        admin_env: server.administrator_password_env.clone(),
    }
}

/// The `index`th replica (from 0); its Mermaid id counts from 1.
fn replica_view(index: usize, replica: &Replica, primary: &Server) -> ReplicaView {
    let subnet = match &replica.subnet {
        ReplicaSubnet::Public => "public access".to_owned(),
        ReplicaSubnet::Named { vnet, subnet, .. } => {
            format!("subnet {subnet} of VNet {}", vnet.name)
        }
        ReplicaSubnet::Primary => "the primary's subnet".to_owned(),
        ReplicaSubnet::DeployTime { .. } => "a delegated subnet given at deploy time".to_owned(),
    };
    ReplicaView {
        id: format!("replica{}", index + 1),
        name: replica.name.clone(),
        location: replica.location.clone(),
        same_compute: replica.sku == primary.sku && replica.tier == primary.tier,
        sku: replica.sku.clone(),
        tier: replica.tier,
        storage_gb: replica.storage_size_gb,
        other_region: replica.other_region,
        in_primary_subnet: matches!(replica.subnet, ReplicaSubnet::Primary),
        subnet,
    }
}
