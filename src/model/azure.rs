//! The azure-flexible-server platform: the shared infrastructure of an environment and the
//! server of each target, every default resolved (zones, replica sizing, disk type) and
//! every derived name made (host name, DNS zone links, deploy-time variables).

use std::collections::BTreeMap;

use crate::input::{self, NetworkAccess, StorageType};
use crate::model::azure_facts;
use crate::model::azure_parameters;
use crate::model::database::{Scalar, scalars, secret_env_var};
use crate::model::parameters;

/// The disk type when the design names none.
const DEFAULT_STORAGE_TYPE: StorageType = StorageType::PremiumLrs;

/// Shared Azure infrastructure of an environment.
#[derive(Debug, Clone)]
pub struct Azure {
    /// Resource group the servers are deployed to.
    pub resource_group: String,
    /// Azure region of the primary servers.
    pub location: String,
    /// Network access of the servers.
    pub network: Network,
    /// Log Analytics workspace receiving diagnostics.
    pub log_analytics_workspace: ResourceRef,
    /// Microsoft Entra ID administrators of every server.
    pub administrators: Vec<Administrator>,
    /// Key Vault holding deploy-time secrets.
    pub key_vault: KeyVault,
    /// What every server's diagnostic settings send to the workspace.
    pub diagnostics: Diagnostics,
}

/// The diagnostic settings of the servers.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// Log categories (`group: false`) and category groups sent.
    pub logs: Vec<azure_facts::LogCategory>,
    /// Whether `AllMetrics` is sent.
    pub metrics: bool,
}

/// A weekly maintenance window, as ARM numbers it (UTC).
#[derive(Debug, Clone, Copy)]
pub struct MaintenanceWindow {
    /// 0 (Sunday) to 6 (Saturday).
    pub day_of_week: u32,
    /// Start hour.
    pub start_hour: u32,
    /// Start minute.
    pub start_minute: u32,
}

/// An Azure role assignment on a server.
#[derive(Debug, Clone)]
pub struct RoleAssignment {
    /// Object ID of the principal.
    pub principal_id: String,
    /// Kind of principal, as ARM spells it.
    pub principal_type: &'static str,
    /// The role definition GUID.
    pub role_definition_id: String,
    /// The role as the design names it.
    pub role: String,
}

/// A customer-managed key and the user-assigned identity that reads it.
#[derive(Debug, Clone)]
pub struct CustomerKey {
    /// The user-assigned identity.
    pub identity: ResourceRef,
    /// The vault holding the key.
    pub key_vault: ResourceRef,
    /// Key name.
    pub key: String,
}

impl From<&input::CustomerKey> for CustomerKey {
    fn from(k: &input::CustomerKey) -> CustomerKey {
        CustomerKey {
            identity: (&k.identity).into(),
            key_vault: (&k.key_vault).into(),
            key: k.key.clone(),
        }
    }
}

/// The server's own key of a design's `dataEncryption`.
impl From<&input::DataEncryption> for CustomerKey {
    fn from(d: &input::DataEncryption) -> CustomerKey {
        CustomerKey {
            identity: (&d.identity).into(),
            key_vault: (&d.key_vault).into(),
            key: d.key.clone(),
        }
    }
}

/// Encryption with customer-managed keys.
#[derive(Debug, Clone)]
pub struct DataEncryption {
    /// The key of the server's storage.
    pub primary: CustomerKey,
    /// The key of its geo-redundant backups.
    pub geo_backup: Option<CustomerKey>,
}

/// An existing Azure resource.
#[derive(Debug, Clone)]
pub struct ResourceRef {
    /// Resource name.
    pub name: String,
    /// Resource group of the resource.
    pub resource_group: String,
}

impl From<&input::AzureResourceRef> for ResourceRef {
    fn from(r: &input::AzureResourceRef) -> ResourceRef {
        ResourceRef {
            name: r.name.clone(),
            resource_group: r.resource_group.clone(),
        }
    }
}

/// The Key Vault deploy-time secrets are read from.
#[derive(Debug, Clone)]
pub struct KeyVault {
    /// Vault name.
    pub name: String,
    /// Resource group of the vault.
    pub resource_group: String,
    /// Subscription of the vault, when the design names it.
    pub subscription_id: Option<String>,
}

/// How clients reach the servers.
#[derive(Debug, Clone)]
pub struct Network {
    /// VNet integration (`private`) rather than a public endpoint.
    pub private: bool,
    /// Existing virtual network.
    pub virtual_network: Option<ResourceRef>,
    /// Delegated subnet of the primary.
    pub delegated_subnet: Option<Subnet>,
    /// Private DNS zone.
    pub private_dns_zone: Option<String>,
    /// Subnets whose traffic is admitted on 5432.
    pub clients: Vec<Subnet>,
    /// Firewall rules; none on private access, where they cannot exist.
    pub firewall_rules: Vec<FirewallRule>,
    /// Private endpoints; none on private access, where they cannot exist. With them the
    /// server's public network access is off.
    pub private_endpoints: Vec<PrivateEndpoint>,
    /// The existing `privatelink.` zone of the private endpoints' DNS zone groups.
    pub private_endpoint_dns_zone: Option<DnsZoneRef>,
}

/// An existing private DNS zone, possibly in another subscription.
#[derive(Debug, Clone)]
pub struct DnsZoneRef {
    /// Zone name.
    pub name: &'static str,
    /// Resource group of the zone.
    pub resource_group: String,
    /// Subscription of the zone, when it is not the deployment's.
    pub subscription_id: Option<String>,
}

impl Network {
    /// Private-endpoint-only: public access with private endpoints, which turns public
    /// network access off.
    pub fn private_endpoints_only(&self) -> bool {
        !self.private && !self.private_endpoints.is_empty()
    }
}

/// A subnet.
#[derive(Debug, Clone)]
pub struct Subnet {
    /// Subnet name.
    pub name: String,
    /// CIDR.
    pub address_prefix: String,
}

/// A server firewall rule.
#[derive(Debug, Clone)]
pub struct FirewallRule {
    /// Rule name.
    pub name: String,
    /// First address admitted.
    pub start_ip_address: String,
    /// Last address admitted.
    pub end_ip_address: String,
}

/// A private endpoint: in the environment, the design's (a name and a subnet); on a server,
/// that endpoint of the server, named by [`private_endpoint_name`].
#[derive(Debug, Clone)]
pub struct PrivateEndpoint {
    /// Endpoint name.
    pub name: String,
    /// Subnet the endpoint's interface lives in.
    pub subnet: String,
}

/// A Microsoft Entra ID administrator.
#[derive(Debug, Clone)]
pub struct Administrator {
    /// User principal name, group or application name.
    pub principal_name: String,
    /// Kind of principal, as ARM spells it.
    pub principal_type: &'static str,
    /// Object ID of the principal.
    pub object_id: String,
}

/// An Azure Database for PostgreSQL Flexible Server and its read replicas.
#[derive(Debug, Clone)]
pub struct Server {
    /// Server name.
    pub name: String,
    /// Host name clients connect to: the name under [`azure_facts::SERVER_DOMAIN`]. The
    /// Bicep outputs it from here rather than reading `properties.fullyQualifiedDomainName`,
    /// which Azure intermittently leaves out right after creation.
    pub fqdn: String,
    /// PostgreSQL major version.
    pub version: String,
    /// Compute SKU.
    pub sku: String,
    /// Compute tier, as ARM spells it.
    pub tier: &'static str,
    /// Administrator login name.
    pub administrator_login: String,
    /// Key Vault secret holding the administrator password.
    pub administrator_password_secret: String,
    /// Shell variable the install plan reads that password into.
    pub administrator_password_env: String,
    /// Storage.
    pub storage: Storage,
    /// Availability zone of the primary: the high-availability zone, else the server's.
    pub zone: Option<String>,
    /// High availability, when the design sets it.
    pub high_availability: Option<HighAvailability>,
    /// Days backups are kept.
    pub backup_retention_days: u32,
    /// Whether backups are copied to the paired region.
    pub geo_redundant_backup: bool,
    /// The server's private endpoints, one per endpoint of the environment, in
    /// private-endpoint-only mode; none otherwise.
    pub private_endpoints: Vec<PrivateEndpoint>,
    /// Read replicas.
    pub replicas: Vec<Replica>,
    /// The deploy-time inputs of the replicas' lifecycle, when there are replicas.
    pub replica_lifecycle: Option<ReplicaLifecycle>,
    /// Whether Microsoft Entra ID authentication is on.
    pub entra: bool,
    /// Whether password authentication is on.
    pub password: bool,
    /// The environment's Entra administrators when Entra authentication is on, else none.
    pub administrators: Vec<Administrator>,
    /// Server parameters as the design writes them.
    pub parameters: BTreeMap<String, Scalar>,
    /// Server parameters as deployed: the design's and those the extensions need.
    pub deployed_parameters: Vec<(String, String)>,
    /// Custom maintenance window of the server and its replicas.
    pub maintenance_window: Option<MaintenanceWindow>,
    /// Management lock level on the server and each replica.
    pub lock: Option<&'static str>,
    /// Role assignments on the server.
    pub role_assignments: Vec<RoleAssignment>,
    /// Defender for open-source relational databases: `Some(state)` when the design sets it.
    pub threat_protection: Option<bool>,
    /// Customer-managed key encryption.
    pub data_encryption: Option<DataEncryption>,
}

/// Server storage.
#[derive(Debug, Clone)]
pub struct Storage {
    /// Size in GB.
    pub size_gb: u32,
    /// Grow automatically when nearly full.
    pub auto_grow: bool,
    /// Disk type, as ARM spells it.
    pub storage_type: &'static str,
    /// Premium SSD v2, which takes IOPS and throughput instead of a performance tier.
    pub premium_v2: bool,
    /// Performance tier; never on Premium SSD v2.
    pub performance_tier: Option<String>,
    /// Provisioned IOPS; only on Premium SSD v2.
    pub iops: Option<u32>,
    /// Provisioned throughput in MB/s; only on Premium SSD v2.
    pub throughput: Option<u32>,
}

/// High availability.
#[derive(Debug, Clone)]
pub struct HighAvailability {
    /// HA mode, as ARM spells it.
    pub mode: &'static str,
    /// Zone of the standby.
    pub standby_zone: Option<String>,
}

/// A read replica, sized like the primary where the design leaves it out.
#[derive(Debug, Clone)]
pub struct Replica {
    /// Replica server name.
    pub name: String,
    /// Host name of the replica, made like the primary's.
    pub fqdn: String,
    /// Azure region.
    pub location: String,
    /// Whether the region differs from the primary's.
    pub other_region: bool,
    /// Compute SKU.
    pub sku: String,
    /// Compute tier, as ARM spells it.
    pub tier: &'static str,
    /// Storage in GB.
    pub storage_size_gb: u32,
    /// Where the replica's network interface lives.
    pub subnet: ReplicaSubnet,
    /// The replica's own private endpoints, as the primary's (private-endpoint-only mode).
    pub private_endpoints: Vec<PrivateEndpoint>,
    /// Its customer-managed key: its own, or the primary's.
    pub data_encryption: Option<CustomerKey>,
}

/// What a deployment needs to know about the replicas at deploy time, as environment
/// variables that `main.bicepparam` reads (named after the server, so that targets never
/// share one): which replicas exist already (Azure refuses `createMode: Replica` for a server
/// that exists, and a replica written without it would be a new standalone server), and
/// whether to create the missing ones (not before the primary's static parameters are live:
/// a new replica copies the primary's parameters, and one created with a `max_connections`
/// the primary does not run yet cannot replay its WAL).
#[derive(Debug, Clone)]
pub struct ReplicaLifecycle {
    /// Variable with the names of the replicas that exist, comma-separated.
    pub existing_env: String,
    /// Variable that is `true` when the deployment may create the missing replicas.
    pub create_env: String,
}

/// Where a replica sits on the network.
#[derive(Debug, Clone)]
pub enum ReplicaSubnet {
    /// Public access: no subnet.
    Public,
    /// Private access in the primary's region: the primary's delegated subnet.
    Primary,
    /// Private access in a subnet the design names.
    Named {
        /// The VNet holding the subnet.
        vnet: ResourceRef,
        /// Subnet name.
        subnet: String,
        /// Name of the private DNS zone's link to that VNet.
        dns_link: String,
    },
    /// Private access in another region without a named subnet: its ID is read from an
    /// environment variable at deploy time.
    DeployTime {
        /// The environment variable, one per region.
        env_var: String,
        /// Name of the private DNS zone's link to the region's VNet.
        dns_link: String,
    },
}

/// The shared infrastructure of an azure-flexible-server environment.
pub fn environment(azure: &input::AzureEnvironment) -> Azure {
    Azure {
        resource_group: azure.resource_group.clone(),
        location: azure.location.clone(),
        network: network(&azure.network),
        log_analytics_workspace: (&azure.log_analytics_workspace).into(),
        administrators: azure
            .administrators
            .iter()
            .map(|a| Administrator {
                principal_name: a.principal_name.clone(),
                principal_type: a.principal_type.as_str(),
                object_id: a.object_id.clone(),
            })
            .collect(),
        key_vault: KeyVault {
            name: azure.key_vault.name.clone(),
            resource_group: azure.key_vault.resource_group.clone(),
            subscription_id: azure.key_vault.subscription_id.clone(),
        },
        diagnostics: diagnostics(azure.diagnostics.as_ref()),
    }
}

/// The diagnostic settings: the design's categories that the facts table knows (validation
/// refuses others), by default every log and the metrics.
fn diagnostics(design: Option<&input::Diagnostics>) -> Diagnostics {
    let logs = design
        .and_then(|d| d.logs.clone())
        .unwrap_or_else(|| vec!["allLogs".to_owned()]);
    Diagnostics {
        logs: logs
            .iter()
            .filter_map(|name| {
                azure_facts::LOG_CATEGORIES
                    .iter()
                    .find(|c| c.name == name)
                    .copied()
            })
            .collect(),
        metrics: design.and_then(|d| d.metrics).unwrap_or(true),
    }
}

/// The maintenance window as ARM numbers it.
fn maintenance_window(window: &input::MaintenanceWindow) -> MaintenanceWindow {
    MaintenanceWindow {
        day_of_week: azure_facts::MAINTENANCE_DAYS
            .iter()
            .find(|(name, _)| *name == window.day.as_str())
            .map_or(0, |(_, n)| *n),
        start_hour: window.start_hour,
        start_minute: window.start_minute.unwrap_or(0),
    }
}

/// The role assignments whose role the facts table resolves (validation refuses others).
fn role_assignments(assignments: &[input::RoleAssignment]) -> Vec<RoleAssignment> {
    assignments
        .iter()
        .filter_map(|a| {
            Some(RoleAssignment {
                principal_id: a.principal_id.to_ascii_lowercase(),
                principal_type: a.principal_type.as_str(),
                role_definition_id: azure_facts::role_definition_id(&a.role)?,
                role: a.role.clone(),
            })
        })
        .collect()
}

fn network(network: &input::AzureNetwork) -> Network {
    let private = network.access == NetworkAccess::Private;
    let subnet = |s: &input::Subnet| Subnet {
        name: s.name.clone(),
        address_prefix: s.address_prefix.clone(),
    };
    Network {
        private,
        virtual_network: network.virtual_network.as_ref().map(ResourceRef::from),
        delegated_subnet: network.delegated_subnet.as_ref().map(subnet),
        private_dns_zone: network.private_dns_zone.clone(),
        clients: network.clients.iter().map(subnet).collect(),
        firewall_rules: network
            .firewall_rules
            .iter()
            .filter(|_| !private)
            .map(|r| FirewallRule {
                name: r.name.clone(),
                start_ip_address: r.start_ip_address.clone(),
                end_ip_address: r.end_ip_address.clone(),
            })
            .collect(),
        private_endpoints: network
            .private_endpoints
            .iter()
            .filter(|_| !private)
            .map(|p| PrivateEndpoint {
                name: p.name.clone(),
                subnet: p.subnet.clone(),
            })
            .collect(),
        private_endpoint_dns_zone: network
            .private_endpoint_dns_zone
            .as_ref()
            .filter(|_| !private)
            .map(|z| DnsZoneRef {
                name: azure_facts::PRIVATE_ENDPOINT_DNS_ZONE,
                resource_group: z.resource_group.clone(),
                subscription_id: z.subscription_id.clone(),
            }),
    }
}

/// What names in a server's target depend on besides the server itself.
pub struct Scope<'a> {
    /// The project's name.
    pub project: &'a str,
    /// The environment's name.
    pub env: &'a str,
    /// The environment's infrastructure.
    pub azure: &'a Azure,
    /// Extensions the service's database creates.
    pub extensions: &'a [String],
}

/// The server of one azure-flexible-server target.
pub fn server(server: &input::ServerDeployment, scope: &Scope) -> Server {
    let ha = server.high_availability.as_ref();
    let parameters = scalars(&server.parameters);
    Server {
        name: server.name.clone(),
        fqdn: host_name(&server.name),
        version: server.version.clone(),
        sku: server.sku.clone(),
        tier: server.tier.as_str(),
        administrator_login: server.administrator_login.clone(),
        administrator_password_secret: server.administrator_password_secret.clone(),
        administrator_password_env: secret_env_var(&server.administrator_password_secret),
        storage: storage(&server.storage),
        zone: ha
            .and_then(|ha| ha.zone.clone())
            .or_else(|| server.zone.clone()),
        high_availability: ha.map(|ha| HighAvailability {
            mode: ha.mode.as_str(),
            standby_zone: ha.standby_zone.clone(),
        }),
        backup_retention_days: server.backup.retention_days,
        geo_redundant_backup: server.backup.geo_redundant,
        private_endpoints: server_endpoints(&server.name, &scope.azure.network),
        replicas: server
            .replicas
            .iter()
            .map(|r| replica(r, server, scope))
            .collect(),
        replica_lifecycle: (!server.replicas.is_empty()).then(|| ReplicaLifecycle {
            existing_env: secret_env_var(&format!("{}-existing-replicas", server.name)),
            create_env: secret_env_var(&format!("{}-create-replicas", server.name)),
        }),
        entra: server.authentication.entra,
        password: server.authentication.password,
        administrators: if server.authentication.entra {
            scope.azure.administrators.clone()
        } else {
            Vec::new()
        },
        maintenance_window: server.maintenance_window.as_ref().map(maintenance_window),
        lock: server.lock.map(|l| match l {
            input::LockLevel::CanNotDelete => "CanNotDelete",
            input::LockLevel::ReadOnly => "ReadOnly",
        }),
        role_assignments: role_assignments(&server.role_assignments),
        threat_protection: server.threat_protection,
        data_encryption: server.data_encryption.as_ref().map(|d| DataEncryption {
            primary: d.into(),
            geo_backup: d.geo_backup.as_ref().map(CustomerKey::from),
        }),
        deployed_parameters: parameters::deployed(
            &parameters,
            scope.extensions,
            azure_parameters::major_of(&server.version),
        ),
        parameters,
    }
}

/// The longest server name Azure takes (3 to 63 lowercase letters, digits and `-`).
pub const SERVER_NAME_MAX: usize = 63;

/// The name of the scratch server the install plan's point-in-time restore drill creates
/// from `server`: `<server>-drill`, the server name cut so that the whole fits
/// [`SERVER_NAME_MAX`] (and never ending in `-`).
pub fn drill_server_name(server: &str) -> String {
    const SUFFIX: &str = "-drill";
    let stem: String = server
        .chars()
        .take(SERVER_NAME_MAX - SUFFIX.len())
        .collect();
    format!("{}{SUFFIX}", stem.trim_end_matches('-'))
}

/// The name of server `server`'s endpoint for the environment's endpoint `endpoint`. Every
/// server of the environment (each service's primary and its replicas) gets one endpoint per
/// entry, all in the environment's resource group, so the server name makes them distinct.
pub fn private_endpoint_name(server: &str, endpoint: &str) -> String {
    format!("{server}-{endpoint}")
}

/// Server `server`'s private endpoints: one per endpoint of the environment when it is
/// private-endpoint-only.
fn server_endpoints(server: &str, network: &Network) -> Vec<PrivateEndpoint> {
    if !network.private_endpoints_only() {
        return Vec::new();
    }
    network
        .private_endpoints
        .iter()
        .map(|pe| PrivateEndpoint {
            name: private_endpoint_name(server, &pe.name),
            subnet: pe.subnet.clone(),
        })
        .collect()
}

/// The host name of server `name`. ARM's `environment().suffixes` has no PostgreSQL entry
/// (MicrosoftDocs/azure-docs `articles/azure-resource-manager/bicep/bicep-functions-deployment.md`,
/// `environment()`), so the domain comes from the facts table.
fn host_name(name: &str) -> String {
    format!("{name}.{}", azure_facts::SERVER_DOMAIN)
}

fn storage(storage: &input::ServerStorage) -> Storage {
    let storage_type = storage.storage_type.unwrap_or(DEFAULT_STORAGE_TYPE);
    let premium_v2 = storage_type == StorageType::PremiumV2Lrs;
    Storage {
        size_gb: storage.size_gb,
        auto_grow: storage.auto_grow,
        storage_type: storage_type.as_str(),
        premium_v2,
        performance_tier: storage.performance_tier.clone().filter(|_| !premium_v2),
        iops: storage.iops.filter(|_| premium_v2),
        throughput: storage.throughput.filter(|_| premium_v2),
    }
}

fn replica(replica: &input::Replica, primary: &input::ServerDeployment, scope: &Scope) -> Replica {
    let other_region = replica.location != scope.azure.location;
    Replica {
        name: replica.name.clone(),
        fqdn: host_name(&replica.name),
        location: replica.location.clone(),
        other_region,
        tier: replica_tier(replica, primary).as_str(),
        sku: replica.sku.clone().unwrap_or_else(|| primary.sku.clone()),
        storage_size_gb: replica.storage_size_gb.unwrap_or(primary.storage.size_gb),
        subnet: replica_subnet(replica, other_region, scope),
        private_endpoints: server_endpoints(&replica.name, &scope.azure.network),
        data_encryption: replica
            .data_encryption
            .as_ref()
            .map(CustomerKey::from)
            .or_else(|| primary.data_encryption.as_ref().map(CustomerKey::from)),
    }
}

/// A replica's tier is its own SKU's (`src/model/azure_facts.rs`), not the primary's: a
/// `Standard_E2ds_v5` replica of a GeneralPurpose primary is MemoryOptimized. A SKU the
/// table does not know (which validation refuses) keeps the design's tier.
fn replica_tier(replica: &input::Replica, primary: &input::ServerDeployment) -> azure_facts::Tier {
    let sku = replica.sku.as_deref().unwrap_or(&primary.sku);
    azure_facts::sku_tier(sku)
        .or(replica.tier.map(Into::into))
        .unwrap_or(primary.tier.into())
}

impl From<input::Tier> for azure_facts::Tier {
    fn from(tier: input::Tier) -> Self {
        match tier {
            input::Tier::Burstable => azure_facts::Tier::Burstable,
            input::Tier::GeneralPurpose => azure_facts::Tier::GeneralPurpose,
            input::Tier::MemoryOptimized => azure_facts::Tier::MemoryOptimized,
        }
    }
}

fn replica_subnet(replica: &input::Replica, other_region: bool, scope: &Scope) -> ReplicaSubnet {
    match (
        &replica.delegated_subnet,
        scope.azure.network.private,
        other_region,
    ) {
        (_, false, _) => ReplicaSubnet::Public,
        (Some(subnet), true, _) => {
            let vnet = ResourceRef::from(&subnet.virtual_network);
            ReplicaSubnet::Named {
                dns_link: format!("{}-{}", vnet.resource_group, vnet.name),
                vnet,
                subnet: subnet.name.clone(),
            }
        }
        (None, true, false) => ReplicaSubnet::Primary,
        (None, true, true) => {
            let region = &replica.location;
            ReplicaSubnet::DeployTime {
                env_var: secret_env_var(&format!(
                    "{}-{}-{region}-delegated-subnet-id",
                    scope.project, scope.env
                )),
                dns_link: format!("replicas-{region}"),
            }
        }
    }
}

#[cfg(test)]
mod drill_tests {
    use super::*;

    #[test]
    fn a_drill_server_name_fits_azure() {
        assert_eq!(drill_server_name("pg-prod"), "pg-prod-drill");
        let long = format!("{}-x", "a".repeat(60));
        let name = drill_server_name(&long);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("a-drill"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary(replica_sku: &str) -> input::ServerDeployment {
        serde_json::from_value(serde_json::json!({
            "name": "p", "version": "16", "sku": "Standard_E4ds_v5", "tier": "MemoryOptimized",
            "administratorLogin": "a", "administratorPasswordSecret": "s",
            "storage": { "sizeGB": 32 }, "backup": { "retentionDays": 7 },
            "authentication": { "entra": false, "password": true },
            "replicas": [
                { "name": "r1", "location": "x", "sku": replica_sku },
                { "name": "r2", "location": "x" },
            ],
        }))
        .unwrap()
    }

    #[test]
    fn a_replica_takes_the_tier_of_its_own_sku() {
        // Issue 19: a D-series replica of a MemoryOptimized primary was rendered MemoryOptimized.
        let server = primary("Standard_D2ds_v5");
        let tier = |i: usize| replica_tier(&server.replicas[i], &server).as_str();
        assert_eq!(tier(0), "GeneralPurpose");
        assert_eq!(tier(1), "MemoryOptimized");
    }
}
