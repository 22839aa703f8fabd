//! The Azure Flexible Server target: `bicep/main.bicep` and `bicep/main.bicepparam`,
//! deployed with `az deployment group create -g <resourceGroup> -n <service>-<env>-main -f main.bicep -p main.bicepparam`.
//!
//! Classic Bicep only (no nullable or typed-array types, no imports, no `resourceInput<>`),
//! because checkov reads Bicep with pycep-parser 0.5.1, which knows nothing newer.

use serde::Serialize;

use crate::model::azure_parameters;
use crate::model::{
    Azure, CustomerKey, Deployment, Network, PrivateEndpoint, ReplicaSubnet, ResourceRef, Server,
    Storage, Target,
};
use crate::render::{CommentStyle, RenderError, Templates, header};

/// What the Bicep templates read. THESE FIELDS ARE USED BY `templates/bicep/*`.
#[derive(Debug, Serialize)]
struct BicepView {
    target: String,
    resource_group: String,
    /// Name of the ARM deployment (`-n`).
    deployment_name: String,
    location: String,
    tags: Vec<(String, String)>,
    key_vault: KeyVaultView,
    workspace: ResourceRefView,
    private_network: Option<PrivateNetworkView>,
    firewall_rules: Vec<FirewallRuleView>,
    private_endpoints: Vec<PrivateEndpointView>,
    endpoint_vnet: Option<ResourceRefView>,
    /// The existing `privatelink.` zone of the private endpoints' DNS zone groups.
    endpoint_dns_zone: Option<DnsZoneView>,
    server: ServerView,
    administrators: Vec<AdministratorView>,
    configurations: Vec<ConfigurationView>,
    replicas: Vec<ReplicaView>,
    /// The environment variables of the replicas' lifecycle, when there are replicas.
    replica_lifecycle: Option<ReplicaLifecycleView>,
    replica_vnets: Vec<VnetView>,
    subnet_params: Vec<SubnetParamView>,
    /// What the diagnostic settings send.
    diagnostics: DiagnosticsView,
    /// The existing identities, vaults and keys of customer-managed keys, each once.
    cmk_identities: Vec<ExistingView>,
    cmk_vaults: Vec<ExistingView>,
    cmk_keys: Vec<KeyView>,
    role_assignments: Vec<RoleAssignmentView>,
    /// Defender for open-source relational databases, when the design sets it.
    threat_protection: Option<ThreatProtectionView>,
}

#[derive(Debug, Serialize)]
struct DiagnosticsView {
    logs: Vec<LogView>,
    metrics: bool,
}

#[derive(Debug, Serialize)]
struct LogView {
    name: &'static str,
    group: bool,
}

#[derive(Debug, Serialize)]
struct MaintenanceWindowView {
    day_of_week: u32,
    start_hour: u32,
    start_minute: u32,
}

/// An existing resource of another resource group (an identity, a Key Vault), by symbol.
#[derive(Debug, Serialize)]
struct ExistingView {
    symbol: String,
    name: String,
    resource_group: String,
}

/// An existing Key Vault key, child of the vault `vault_symbol`.
#[derive(Debug, Serialize)]
struct KeyView {
    symbol: String,
    vault_symbol: String,
    name: String,
}

/// A server's `dataEncryption`: the symbols of its key's (and geo-backup key's) resources.
#[derive(Debug, Serialize)]
struct EncryptionView {
    identity_symbol: String,
    key_symbol: String,
    geo_identity_symbol: Option<String>,
    geo_key_symbol: Option<String>,
}

#[derive(Debug, Serialize)]
struct RoleAssignmentView {
    symbol: String,
    principal_id: String,
    principal_type: String,
    role_definition_id: String,
    role: String,
}

#[derive(Debug, Serialize)]
struct ThreatProtectionView {
    state: &'static str,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct ResourceRefView {
    name: String,
    resource_group: String,
}

#[derive(Debug, Serialize)]
struct KeyVaultView {
    name: String,
    resource_group: String,
    subscription_id: Option<String>,
}

/// The primary's VNet integration: existing VNet and subnet, a private DNS zone and its link.
#[derive(Debug, Serialize)]
struct PrivateNetworkView {
    vnet: ResourceRefView,
    subnet: String,
    dns_zone: String,
}

/// An existing VNet (and delegated subnet) a replica in another region sits in, with the
/// DNS zone's link to it.
#[derive(Debug, Serialize)]
struct VnetView {
    symbol: String,
    subnet_symbol: String,
    link_symbol: String,
    link_name: String,
    name: String,
    resource_group: String,
    subnet: String,
}

/// A replica subnet ID given at deploy time, one per region the inputs name no subnet for.
#[derive(Debug, Serialize)]
struct SubnetParamView {
    param: String,
    env_var: String,
    region: String,
    link_symbol: String,
    link_name: String,
}

#[derive(Debug, Serialize)]
struct FirewallRuleView {
    symbol: String,
    name: String,
    start: String,
    end: String,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct DnsZoneView {
    name: String,
    resource_group: String,
    subscription_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct PrivateEndpointView {
    /// The server (`server` or a replica's symbol) the endpoint connects to.
    target: String,
    /// That server's name.
    server_name: String,
    /// Bicep booleans of which one must hold for the endpoint to be deployed (a replica's);
    /// empty for always.
    condition: Vec<String>,
    symbol: String,
    subnet_symbol: String,
    zone_group_symbol: String,
    name: String,
    subnet: String,
}

#[derive(Debug, Serialize)]
struct StorageView {
    size_gb: u32,
    auto_grow: bool,
    tier: Option<String>,
    premium_v2: bool,
    iops: Option<u32>,
    throughput: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ServerView {
    name: String,
    fqdn: String,
    sku: String,
    tier: String,
    version: String,
    entra: bool,
    password: bool,
    administrator_login: String,
    password_secret: String,
    storage: StorageView,
    zone: Option<String>,
    ha_mode: Option<String>,
    standby_zone: Option<String>,
    retention_days: u32,
    geo_redundant: bool,
    maintenance_window: Option<MaintenanceWindowView>,
    /// Management lock level.
    lock: Option<String>,
    data_encryption: Option<EncryptionView>,
}

#[derive(Debug, Serialize)]
struct AdministratorView {
    symbol: String,
    object_id: String,
    principal_name: String,
    principal_type: String,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct ReplicaLifecycleView {
    existing_env: String,
    create_env: String,
}

#[derive(Debug, Serialize)]
struct ConfigurationView {
    symbol: String,
    name: String,
    value: String,
    notes: Vec<String>,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct ReplicaView {
    symbol: String,
    name: String,
    fqdn: String,
    location: String,
    sku: String,
    tier: String,
    storage: StorageView,
    private: bool,
    /// Existing subnet resource of the replica's own VNet, when the inputs name one.
    subnet_symbol: Option<String>,
    /// Subnet ID parameter, for a replica in another region without a named subnet.
    subnet_param: Option<String>,
    /// The DNS zone link the replica waits for, when it is not the primary's.
    link_symbol: Option<String>,
    /// The Bicep variable that is true when the replica exists already.
    exists_symbol: String,
    /// Private-endpoint-only mode: public access off, as on the primary.
    public_access_disabled: bool,
    /// The primary's firewall rules, on a replica with public access: Azure copies them when
    /// it creates the replica, but not the primary's later changes.
    firewall_rules: Vec<FirewallRuleView>,
    /// The design's server parameters on the replica: Azure copies the primary's when it
    /// creates a replica, but not the primary's later changes.
    configurations: Vec<ConfigurationView>,
    data_encryption: Option<EncryptionView>,
    after: Option<String>,
}

/// A Bicep identifier made from any name: every character other than a letter, digit or
/// `_` becomes `_`, with a prefix so that it never starts with a digit or clashes with a
/// keyword.
fn symbol(prefix: &str, name: &str) -> String {
    let tail: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{tail}")
}

/// The server's glibc spelling of a locale: `ko_KR.UTF-8` → `ko_KR.utf8`. The API refuses
/// the `-` of `UTF-8` in a collation name.
pub fn collation(locale: &str) -> String {
    match locale.rsplit_once('.') {
        Some((base, encoding))
            if encoding.eq_ignore_ascii_case("utf-8") || encoding.eq_ignore_ascii_case("utf8") =>
        {
            format!("{base}.utf8")
        }
        _ => locale.to_owned(),
    }
}

/// Why a parameter needs a word in the rendered file, one comment line each: every parameter
/// that is static on the server's `major` ([`azure_parameters::STATIC_PARAMETERS`]) says so,
/// then what gen adds to it says why.
fn parameter_note(name: &str, major: Option<u32>) -> Vec<String> {
    let mut lines = Vec::new();
    if major.is_some_and(|m| azure_parameters::is_static(name, m)) {
        lines.push(format!(
            "{name} is static: it takes effect after the next server restart."
        ));
    }
    let why: &[&str] = match name {
        "shared_preload_libraries" => &[
            "It is written as the server default plus what the extensions need, so that nothing",
            "preloaded by default is dropped.",
        ],
        "azure.extensions" => &["The extensions the SQL creates must be allow-listed first."],
        "pg_stat_statements.track_utility" => &[
            "Off so that CREATE ROLE ... PASSWORD statements (and their passwords) are not kept in",
            "pg_stat_statements.",
        ],
        "pg_stat_statements.track"
            if major.and_then(azure_parameters::default_statements_track) == Some("none") =>
        {
            &["Azure's default is none: pg_stat_statements is preloaded but would collect nothing."]
        }
        "pg_stat_statements.track" => {
            &["Set whenever pg_stat_statements is preloaded, whatever the server's default."]
        }
        _ => &[],
    };
    lines.extend(why.iter().map(|l| (*l).to_owned()));
    lines
}

/// The server parameters of `server_symbol` (the primary or a replica), one after another
/// from `first_after`.
fn configurations(
    server: &Server,
    server_symbol: &str,
    first_after: Option<&str>,
) -> Vec<ConfigurationView> {
    let major = azure_parameters::major_of(&server.version);
    let mut after = first_after.map(str::to_owned);
    let primary = server_symbol == "server";
    server
        .deployed_parameters
        .iter()
        .map(|(name, value)| {
            let view = ConfigurationView {
                symbol: if primary {
                    symbol("configuration", name)
                } else {
                    symbol(&format!("{server_symbol}_configuration"), name)
                },
                // Said once, on the primary's.
                notes: if primary {
                    parameter_note(name, major)
                } else {
                    Vec::new()
                },
                name: name.clone(),
                value: value.clone(),
                after: after.clone(),
            };
            after = Some(view.symbol.clone());
            view
        })
        .collect()
}

/// The existing resources of the customer-managed keys, each declared once (an identity may
/// read several keys, a vault hold several), in order of first use.
#[derive(Default)]
struct CustomerKeys {
    identities: Vec<ExistingView>,
    vaults: Vec<ExistingView>,
    keys: Vec<KeyView>,
}

/// The symbol of the existing resource `reference` in `list`, adding it on first use.
fn existing(list: &mut Vec<ExistingView>, prefix: &str, reference: &ResourceRef) -> String {
    let wanted = symbol(
        prefix,
        &format!("{}_{}", reference.resource_group, reference.name),
    );
    if !list.iter().any(|v| v.symbol == wanted) {
        list.push(ExistingView {
            symbol: wanted.clone(),
            name: reference.name.clone(),
            resource_group: reference.resource_group.clone(),
        });
    }
    wanted
}

impl CustomerKeys {
    /// The symbols of `key`'s identity and key, declaring them on first use.
    fn use_key(&mut self, key: &CustomerKey) -> (String, String) {
        let identity = existing(&mut self.identities, "cmkIdentity", &key.identity);
        let vault_symbol = existing(&mut self.vaults, "cmkVault", &key.key_vault);
        let key_symbol = symbol("cmkKey", &format!("{vault_symbol}_{}", key.key));
        if !self.keys.iter().any(|k| k.symbol == key_symbol) {
            self.keys.push(KeyView {
                symbol: key_symbol.clone(),
                vault_symbol,
                name: key.key.clone(),
            });
        }
        (identity, key_symbol)
    }

    fn encryption(&mut self, key: &CustomerKey, geo: Option<&CustomerKey>) -> EncryptionView {
        let (identity_symbol, key_symbol) = self.use_key(key);
        let geo = geo.map(|g| self.use_key(g));
        EncryptionView {
            identity_symbol,
            key_symbol,
            geo_identity_symbol: geo.as_ref().map(|g| g.0.clone()),
            geo_key_symbol: geo.map(|g| g.1),
        }
    }
}

/// The firewall rules of the server `server_symbol` (the primary or a replica), one after
/// another.
fn firewall_rules(network: &Network, server_symbol: &str) -> Vec<FirewallRuleView> {
    let prefix = if server_symbol == "server" {
        "firewallRule".to_owned()
    } else {
        format!("{server_symbol}_firewallRule")
    };
    let mut last: Option<String> = None;
    network
        .firewall_rules
        .iter()
        .map(|rule| {
            let view = FirewallRuleView {
                symbol: symbol(&prefix, &rule.name),
                name: rule.name.clone(),
                start: rule.start_ip_address.clone(),
                end: rule.end_ip_address.clone(),
                after: last.clone(),
            };
            last = Some(view.symbol.clone());
            view
        })
        .collect()
}

/// The private endpoints of the server `target`, deployed when one of `condition` holds.
fn endpoints(
    endpoints: &[PrivateEndpoint],
    (target, server_name): (&str, &str),
    condition: &[String],
) -> Vec<PrivateEndpointView> {
    endpoints
        .iter()
        .map(|pe| PrivateEndpointView {
            target: target.to_owned(),
            server_name: server_name.to_owned(),
            condition: condition.to_vec(),
            symbol: symbol("privateEndpoint", &pe.name),
            subnet_symbol: symbol("privateEndpointSubnet", &pe.name),
            zone_group_symbol: symbol("privateEndpointDnsZoneGroup", &pe.name),
            name: pe.name.clone(),
            subnet: pe.subnet.clone(),
        })
        .collect()
}

/// The storage of the primary, or of a replica of `size_gb`: a bigger replica disk gets
/// the performance tier Azure picks for its size.
fn storage(storage: &Storage, size_gb: u32) -> StorageView {
    let same_size = size_gb == storage.size_gb;
    StorageView {
        size_gb,
        auto_grow: storage.auto_grow,
        tier: storage.performance_tier.clone().filter(|_| same_size),
        premium_v2: storage.premium_v2,
        iops: storage.iops,
        throughput: storage.throughput,
    }
}

fn server_view(server: &Server, keys: &mut CustomerKeys) -> ServerView {
    ServerView {
        maintenance_window: server.maintenance_window.map(|w| MaintenanceWindowView {
            day_of_week: w.day_of_week,
            start_hour: w.start_hour,
            start_minute: w.start_minute,
        }),
        lock: server.lock.map(str::to_owned),
        data_encryption: server
            .data_encryption
            .as_ref()
            .map(|d| keys.encryption(&d.primary, d.geo_backup.as_ref())),
        name: server.name.clone(),
        fqdn: server.fqdn.clone(),
        sku: server.sku.clone(),
        tier: server.tier.to_owned(),
        version: server.version.clone(),
        entra: server.entra,
        password: server.password,
        administrator_login: server.administrator_login.clone(),
        password_secret: server.administrator_password_secret.clone(),
        storage: storage(&server.storage, server.storage.size_gb),
        zone: server.zone.clone(),
        ha_mode: server
            .high_availability
            .as_ref()
            .map(|ha| ha.mode.to_owned()),
        standby_zone: server
            .high_availability
            .as_ref()
            .and_then(|ha| ha.standby_zone.clone()),
        retention_days: server.backup_retention_days,
        geo_redundant: server.geo_redundant_backup,
    }
}

/// Where each replica's delegated subnet comes from on private access, and what must exist
/// for it: a VNet named in the inputs, or a subnet ID read at deploy time per region.
struct ReplicaNetworks {
    vnets: Vec<VnetView>,
    params: Vec<SubnetParamView>,
}

impl ReplicaNetworks {
    fn named_in_inputs(&mut self, vnet: &ResourceRef, subnet: &str, dns_link: &str) -> &VnetView {
        let key = format!("{}_{}_{subnet}", vnet.resource_group, vnet.name);
        let wanted = symbol("replicaVnet", &key);
        if let Some(i) = self.vnets.iter().position(|v| v.symbol == wanted) {
            return &self.vnets[i];
        }
        self.vnets.push(VnetView {
            symbol: wanted,
            subnet_symbol: symbol("replicaSubnet", &key),
            link_symbol: symbol("replicaVnetLink", &key),
            link_name: dns_link.to_owned(),
            name: vnet.name.clone(),
            resource_group: vnet.resource_group.clone(),
            subnet: subnet.to_owned(),
        });
        self.vnets.last().expect("just pushed")
    }

    fn read_at_deploy_time(
        &mut self,
        region: &str,
        env_var: &str,
        dns_link: &str,
    ) -> &SubnetParamView {
        let param = symbol("delegatedSubnetId", region);
        if let Some(i) = self.params.iter().position(|p| p.param == param) {
            return &self.params[i];
        }
        self.params.push(SubnetParamView {
            link_symbol: symbol("replicaVnetLink", region),
            link_name: dns_link.to_owned(),
            param,
            env_var: env_var.to_owned(),
            region: region.to_owned(),
        });
        self.params.last().expect("just pushed")
    }
}

/// The replicas, created one after another from `first_after` (in-region ones first); the
/// parameters of each follow it while the next one is created (the updating state Azure puts a server in while a replica
/// is created is the primary's).
fn replicas(
    server: &Server,
    network: &Network,
    first_after: Option<&str>,
    networks: &mut ReplicaNetworks,
    keys: &mut CustomerKeys,
) -> Vec<ReplicaView> {
    let mut after = first_after.map(str::to_owned);
    let mut views: Vec<ReplicaView> = server
        .replicas
        .iter()
        .map(|replica| {
            let (mut subnet_symbol, mut subnet_param, mut link_symbol) = (None, None, None);
            match &replica.subnet {
                ReplicaSubnet::Public | ReplicaSubnet::Primary => {}
                ReplicaSubnet::Named {
                    vnet,
                    subnet,
                    dns_link,
                } => {
                    let vnet = networks.named_in_inputs(vnet, subnet, dns_link);
                    subnet_symbol = Some(vnet.subnet_symbol.clone());
                    link_symbol = Some(vnet.link_symbol.clone());
                }
                ReplicaSubnet::DeployTime { env_var, dns_link } => {
                    let param = networks.read_at_deploy_time(&replica.location, env_var, dns_link);
                    subnet_param = Some(param.param.clone());
                    link_symbol = Some(param.link_symbol.clone());
                }
            }
            let replica_symbol = symbol("replica", &replica.name);
            let rules = firewall_rules(network, &replica_symbol);
            ReplicaView {
                exists_symbol: format!("{replica_symbol}_exists"),
                data_encryption: replica
                    .data_encryption
                    .as_ref()
                    .map(|k| keys.encryption(k, None)),
                public_access_disabled: network.private_endpoints_only(),
                configurations: configurations(
                    server,
                    &replica_symbol,
                    rules.last().map(|r| r.symbol.as_str()),
                ),
                firewall_rules: rules,
                symbol: replica_symbol,
                name: replica.name.clone(),
                fqdn: replica.fqdn.clone(),
                location: replica.location.clone(),
                sku: replica.sku.clone(),
                tier: replica.tier.to_owned(),
                storage: storage(&server.storage, replica.storage_size_gb),
                private: !matches!(replica.subnet, ReplicaSubnet::Public),
                subnet_symbol,
                subnet_param,
                link_symbol,
                after: None,
            }
        })
        .collect();
    // One at a time, those in the primary's region first: a replica in another region starts
    // from a base backup and can take hours (Microsoft's "Read replicas" page).
    let mut order: Vec<usize> = (0..views.len()).collect();
    order.sort_by_key(|&i| server.replicas[i].other_region);
    for i in order {
        views[i].after = after.clone();
        after = Some(views[i].symbol.clone());
    }
    views
}

fn view(target: &Target, azure: &Azure, server: &Server) -> BicepView {
    let network = &azure.network;
    let private_network = match (
        network.private,
        &network.virtual_network,
        &network.delegated_subnet,
        &network.private_dns_zone,
    ) {
        (true, Some(vnet), Some(subnet), Some(zone)) => Some(PrivateNetworkView {
            vnet: ResourceRefView {
                name: vnet.name.clone(),
                resource_group: vnet.resource_group.clone(),
            },
            subnet: subnet.name.clone(),
            dns_zone: zone.clone(),
        }),
        _ => None,
    };
    let public = !network.private;
    // One write to the server at a time, in the order of Azure Verified Modules: firewall
    // rules, server parameters, then the Entra administrators, which Azure intermittently
    // refuses while the server is not yet accessible after its creation
    // (AadAuthOperationCannotBePerformedWhenServerIsNotAccessible: Azure/azure-postgresql#127;
    // AVM made them wait for the configurations, Azure/bicep-registry-modules#3257, #3355).
    // No database: the administrator who runs the SQL target creates it, so that it can give
    // it to its owner role (one Azure creates may belong to azuresu or an Entra
    // administrator: AVM #3596, and docs/sql-scripts.md).
    let firewall_rules = firewall_rules(network, "server");
    let last = firewall_rules.last().map(|r| r.symbol.clone());
    let configurations = configurations(server, "server", last.as_deref());
    let mut chain = configurations.last().map(|c| c.symbol.clone()).or(last);
    let administrators: Vec<AdministratorView> = server
        .administrators
        .iter()
        .map(|a| {
            let view = AdministratorView {
                symbol: symbol("administrator", &a.object_id),
                object_id: a.object_id.clone(),
                principal_name: a.principal_name.clone(),
                principal_type: a.principal_type.to_owned(),
                after: chain.clone(),
            };
            chain = Some(view.symbol.clone());
            view
        })
        .collect();
    // Defender after the administrators, as AVM orders it.
    let threat_protection = server.threat_protection.map(|on| {
        let view = ThreatProtectionView {
            state: if on { "Enabled" } else { "Disabled" },
            after: chain.clone(),
        };
        chain = Some("threatProtection".to_owned());
        view
    });
    let mut networks = ReplicaNetworks {
        vnets: Vec::new(),
        params: Vec::new(),
    };
    let mut keys = CustomerKeys::default();
    let server_view = server_view(server, &mut keys);
    let replicas = replicas(server, network, chain.as_deref(), &mut networks, &mut keys);
    let mut private_endpoints = endpoints(&server.private_endpoints, ("server", &server.name), &[]);
    for (replica, view) in server.replicas.iter().zip(&replicas) {
        let condition = ["createReplicas".to_owned(), view.exists_symbol.clone()];
        private_endpoints.extend(endpoints(
            &replica.private_endpoints,
            (&view.symbol, &replica.name),
            &condition,
        ));
    }
    let endpoint_vnet = network
        .virtual_network
        .as_ref()
        .filter(|_| public && !network.private_endpoints.is_empty())
        .map(|v| ResourceRefView {
            name: v.name.clone(),
            resource_group: v.resource_group.clone(),
        });
    BicepView {
        target: format!("{}/{}", target.service.name, target.env.name),
        resource_group: azure.resource_group.clone(),
        deployment_name: target.arm_deployments.main.clone().unwrap_or_default(),
        location: azure.location.clone(),
        tags: target.project.azure_tags(),
        key_vault: KeyVaultView {
            name: azure.key_vault.name.clone(),
            resource_group: azure.key_vault.resource_group.clone(),
            subscription_id: azure.key_vault.subscription_id.clone(),
        },
        workspace: ResourceRefView {
            name: azure.log_analytics_workspace.name.clone(),
            resource_group: azure.log_analytics_workspace.resource_group.clone(),
        },
        private_network,
        firewall_rules,
        private_endpoints,
        endpoint_vnet,
        endpoint_dns_zone: network
            .private_endpoint_dns_zone
            .as_ref()
            .filter(|_| network.private_endpoints_only())
            .map(|z| DnsZoneView {
                name: z.name.to_owned(),
                resource_group: z.resource_group.clone(),
                subscription_id: z.subscription_id.clone(),
            }),
        server: server_view,
        administrators,
        configurations,
        replicas,
        replica_lifecycle: server
            .replica_lifecycle
            .as_ref()
            .map(|l| ReplicaLifecycleView {
                existing_env: l.existing_env.clone(),
                create_env: l.create_env.clone(),
            }),
        replica_vnets: networks.vnets,
        subnet_params: networks.params,
        diagnostics: DiagnosticsView {
            logs: azure
                .diagnostics
                .logs
                .iter()
                .map(|c| LogView {
                    name: c.name,
                    group: c.group,
                })
                .collect(),
            metrics: azure.diagnostics.metrics,
        },
        cmk_identities: keys.identities,
        cmk_vaults: keys.vaults,
        cmk_keys: keys.keys,
        role_assignments: server
            .role_assignments
            .iter()
            .map(|a| RoleAssignmentView {
                symbol: symbol(
                    "roleAssignment",
                    &format!("{}_{}", a.principal_id, a.role_definition_id),
                ),
                principal_id: a.principal_id.clone(),
                principal_type: a.principal_type.to_owned(),
                role_definition_id: a.role_definition_id.clone(),
                role: a.role.clone(),
            })
            .collect(),
        threat_protection,
    }
}

/// `main.bicep` and `main.bicepparam` of a Flexible Server target; nothing for others.
pub fn render(
    target: &Target,
    templates: &Templates,
) -> Result<Vec<(String, String)>, RenderError> {
    let (Deployment::FlexibleServer(server), Some(azure)) = (&target.deployment, &target.env.azure)
    else {
        return Ok(Vec::new());
    };
    let view = view(target, azure, server);
    let context = super::context(&view);
    let head = header(CommentStyle::Slash, &target.sources());
    ["main.bicep", "main.bicepparam"]
        .into_iter()
        .map(|name| {
            let body = templates.render_context(&format!("bicep/{name}.j2"), &context)?;
            Ok((name.to_owned(), format!("{head}{body}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_identifiers() {
        assert_eq!(symbol("replica", "pg-prod-krs"), "replica_pg_prod_krs");
        assert_eq!(
            symbol("administrator", "7d3f-1c2a"),
            "administrator_7d3f_1c2a"
        );
    }

    #[test]
    fn every_static_parameter_gets_a_note() {
        let restart = |name: &str, major| {
            parameter_note(name, Some(major))
                .first()
                .is_some_and(|l| l.ends_with("takes effect after the next server restart."))
        };
        assert!(restart("max_connections", 16));
        assert!(restart("wal_level", 15));
        assert!(restart("cron.max_running_jobs", 18));
        assert!(restart("autovacuum_max_workers", 17));
        assert!(!restart("autovacuum_max_workers", 18));
        assert!(!restart("log_min_duration_statement", 16));
        assert_eq!(
            parameter_note("shared_preload_libraries", Some(17)).len(),
            3
        );
        assert!(parameter_note("shared_preload_libraries", None).len() == 2);
    }

    #[test]
    fn utf8_locales_become_glibc_collations() {
        assert_eq!(collation("ko_KR.UTF-8"), "ko_KR.utf8");
        assert_eq!(collation("en_US.utf8"), "en_US.utf8");
        assert_eq!(collation("C"), "C");
    }
}
