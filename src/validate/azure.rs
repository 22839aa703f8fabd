//! Rules of the `azure-flexible-server` platform: combinations the plan may ask for but
//! Azure refuses, caught before anything is rendered. Each rule is a named function with
//! a bad-input test beside it; `check_all` runs them.

use crate::diagnostics::{self, Diagnostic};
use crate::input::{
    AzureEnvironment, DestinationTable, EnvironmentFile, HaMode, LockLevel, NetworkAccess,
    Platform, ScalarValue, ServerDeployment, ServiceFile, StorageType, Tier,
};
use crate::model::azure_facts::{
    self, AZURE_MAJORS, PERFORMANCE_TIERS, PREMIUM_SSD_SIZES, PRIVATE_ENDPOINT_DNS_ZONE,
    SERVER_DOMAIN, SkuName,
};
use crate::names::{is_key_vault_secret_name, masked, printable};
use crate::path;
use crate::validate::majors::{self, is_tested, version_major};
use crate::validate::{Design, Typed};
use crate::yaml::Seg;

/// Runs every platform rule.
pub fn check_all(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in azure_environments(design) {
        private_access_names_its_network(env, out);
        private_access_has_no_firewall_or_endpoints(env, out);
        public_access_has_no_vnet_integration(env, out);
        private_dns_zone_fits_vnet_integration(env, out);
        private_endpoints_name_their_vnet(env, out);
        private_endpoints_exclude_firewall_rules(env, out);
        private_endpoints_name_their_dns_zone(env, out);
        diagnostics_are_known(env, out);
    }
    private_dns_zone_is_no_server_host_name(design, out);
    for server in azure_servers(design) {
        server_names_are_valid(&server, out);
        server_version_is_tested(&server, out);
        sku_is_offered_and_fits_the_tier(&server, out);
        no_read_replicas_on_burstable(&server, out);
        administrator_login_is_not_reserved(&server, out);
        extensions_are_allow_listed(&server, out);
        no_high_availability_on_burstable(&server, out);
        standby_zone_fits_the_mode(&server, out);
        backup_retention_in_range(&server, out);
        replicas_fit_the_primary(&server, out);
        replicas_have_the_primary_compute(&server, out);
        private_endpoint_names_fit(&server, out);
        no_read_replicas_on_premium_v2(&server, out);
        iops_and_throughput_only_on_premium_v2(&server, out);
        premium_v2_is_provisioned_without_autogrow(&server, out);
        storage_size_in_range(&server, out);
        performance_tier_covers_the_size(&server, out);
        max_connections_in_range(&server, out);
        tls_version_is_accepted(&server, out);
        password_encryption_is_not_md5(&server, out);
        someone_can_log_in(&server, out);
        password_roles_need_password_authentication(&server, out);
        maintenance_window_in_range(&server, out);
        no_read_only_lock(&server, out);
        role_assignments_name_a_role(&server, out);
        customer_keys_cover_backups_and_replicas(&server, out);
    }
    passwords_are_key_vault_secrets(design, out);
}

/// On this platform the passwords are Key Vault secrets: the administrator's, and those of
/// the roles of every service with a server here. A name Key Vault refuses would only fail
/// at deployment (and an empty one reached the templates).
fn passwords_are_key_vault_secrets(design: &Design, out: &mut Vec<Diagnostic>) {
    let servers = azure_servers(design);
    let not_a_name = |at: Diagnostic, name: &str| {
        at.expected("1–127 letters, digits and `-`")
            .found(masked(name))
            .hint("Key Vault holds the passwords on azure-flexible-server")
    };
    for s in &servers {
        let name = &s.server.administrator_password_secret;
        if !is_key_vault_secret_name(name) {
            let at = s.at(
                path!["administratorPasswordSecret"],
                "not a Key Vault secret name",
            );
            out.push(not_a_name(at, name));
        }
    }
    // A service's servers are listed together, so each service is checked once.
    let mut services: Vec<&Typed<ServiceFile>> = servers.iter().map(|s| s.service).collect();
    services.dedup_by_key(|service| &service.file.rel);
    for service in services {
        for (i, role) in service.value.database.roles.iter().enumerate() {
            if !is_key_vault_secret_name(&role.password_secret) {
                let at = service.at(
                    path!["database", "roles", i, "passwordSecret"],
                    "not a Key Vault secret name",
                );
                out.push(not_a_name(at, &role.password_secret));
            }
        }
    }
}

/// Environments on this platform that have their `azure:` section.
fn azure_environments(
    design: &Design,
) -> impl Iterator<Item = (&Typed<EnvironmentFile>, &AzureEnvironment)> {
    design
        .environments
        .iter()
        .filter(|e| e.value.platform == Platform::AzureFlexibleServer)
        .filter_map(|e| e.value.azure.as_ref().map(|azure| (e, azure)))
}

/// One `server:` deployment of a service to an environment of this platform.
pub(super) struct AzureServer<'a> {
    pub(super) service: &'a Typed<ServiceFile>,
    pub(super) env_name: &'a str,
    pub(super) azure: &'a AzureEnvironment,
    pub(super) server: &'a ServerDeployment,
}

impl AzureServer<'_> {
    /// A diagnostic at `rel`, a path below `deployments.<env>.server`.
    fn at(&self, rel: &[Seg], message: impl Into<String>) -> Diagnostic {
        self.service.at(&self.path(rel), message)
    }

    /// A diagnostic at the key `key` of the mapping at `rel` below `deployments.<env>.server`.
    fn at_key(&self, rel: &[Seg], key: &str, message: impl Into<String>) -> Diagnostic {
        self.service.at_key(&self.path(rel), key, message)
    }

    fn path(&self, rel: &[Seg]) -> Vec<Seg> {
        let mut path = path!["deployments", self.env_name, "server"].to_vec();
        path.extend_from_slice(rel);
        path
    }
}

/// Every `server:` deployment to an azure-flexible-server environment that has `azure:`.
pub(super) fn azure_servers(design: &Design) -> Vec<AzureServer<'_>> {
    let mut servers = Vec::new();
    for service in &design.services {
        for (env_name, deployment) in &service.value.deployments {
            let Some(server) = &deployment.server else {
                continue;
            };
            let Some(env) = design.environment(env_name) else {
                continue;
            };
            if env.value.platform != Platform::AzureFlexibleServer {
                continue;
            }
            let Some(azure) = &env.value.azure else {
                continue;
            };
            servers.push(AzureServer {
                service,
                env_name,
                azure,
                server,
            });
        }
    }
    servers
}

/// VNet integration needs the VNet, its delegated subnet and a private DNS zone, all set
/// when the server is created (ARM refuses a delegated subnet without a zone).
fn private_access_names_its_network(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    if network.access != NetworkAccess::Private {
        return;
    }
    let missing: Vec<&str> = [
        ("virtualNetwork", network.virtual_network.is_none()),
        ("delegatedSubnet", network.delegated_subnet.is_none()),
        ("privateDnsZone", network.private_dns_zone.is_none()),
    ]
    .into_iter()
    .filter_map(|(key, absent)| absent.then_some(key))
    .collect();
    if !missing.is_empty() {
        out.push(
            env.at(
                path!["azure", "network", "access"],
                "private access needs the VNet, its delegated subnet and a private DNS zone",
            )
            .expected("`virtualNetwork`, `delegatedSubnet` and `privateDnsZone` under `network`")
            .found(format!("no {}", diagnostics::list(&missing)))
            .hint("add them, or use `access: public` with firewall rules"),
        );
    }
}

/// A VNet-integrated server can have neither firewall rules nor private endpoints.
fn private_access_has_no_firewall_or_endpoints(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    if network.access != NetworkAccess::Private {
        return;
    }
    let stray = [
        (
            "firewallRules",
            !network.firewall_rules.is_empty(),
            "VNet-integrated servers have no firewall; the subnet's network security group admits clients",
        ),
        (
            "privateEndpoints",
            !network.private_endpoints.is_empty(),
            "private endpoints cannot be created for a VNet-integrated server; the server already has a private address in the delegated subnet",
        ),
    ];
    for (key, present, why) in stray {
        if present {
            out.push(
                env.at_key(
                    path!["azure", "network"],
                    key,
                    format!("`{key}` cannot be combined with private access"),
                )
                .hint(format!("{why}; remove `{key}`, or use `access: public`")),
            );
        }
    }
}

/// Public access has no delegated subnet or VNet DNS zone: Azure cannot combine the two.
fn public_access_has_no_vnet_integration(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    if network.access != NetworkAccess::Public {
        return;
    }
    let stray = [
        ("delegatedSubnet", network.delegated_subnet.is_some()),
        ("privateDnsZone", network.private_dns_zone.is_some()),
    ];
    for (key, present) in stray {
        if present {
            out.push(
                env.at_key(
                    path!["azure", "network"],
                    key,
                    format!("`{key}` is VNet integration, which public access excludes"),
                )
                .hint(format!("remove `{key}`, or use `access: private`")),
            );
        }
    }
}

/// A private endpoint's `subnet` is a subnet of `network.virtualNetwork`, which must be named.
fn private_endpoints_name_their_vnet(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    if network.access == NetworkAccess::Public
        && !network.private_endpoints.is_empty()
        && network.virtual_network.is_none()
    {
        out.push(
            env.at_key(
                path!["azure", "network"],
                "privateEndpoints",
                "private endpoints need the VNet their subnets belong to",
            )
            .expected("`virtualNetwork` under `network`")
            .found("none")
            .hint("add `virtualNetwork: { name, resourceGroup }`"),
        );
    }
}

/// With private endpoints the server's public network access is off (private-endpoint-only
/// mode), and Azure applies firewall rules to public access only: they would be ignored.
/// Source: Microsoft Learn, "Private Link for Azure Database for PostgreSQL flexible server"
/// (`concepts-networking-private-link.md`; §3 of `facts-azure.md` in the reference data folder).
fn private_endpoints_exclude_firewall_rules(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    if network.access == NetworkAccess::Public
        && !network.private_endpoints.is_empty()
        && !network.firewall_rules.is_empty()
    {
        out.push(
            env.at_key(
                path!["azure", "network"],
                "firewallRules",
                "firewall rules would be ignored: with private endpoints, public network access is off",
            )
            .hint("clients reach the server through its private endpoints; remove `firewallRules`, or `privateEndpoints` to keep public access"),
        );
    }
}

/// Each private endpoint gets a DNS zone group on the `privatelink.postgres.database.azure.com`
/// zone, which must be named; a zone without endpoints would be unused.
fn private_endpoints_name_their_dns_zone(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    let endpoints =
        network.access == NetworkAccess::Public && !network.private_endpoints.is_empty();
    match (endpoints, &network.private_endpoint_dns_zone) {
        (true, None) => out.push(
            env.at_key(
                path!["azure", "network"],
                "privateEndpoints",
                format!("private endpoints need the `{PRIVATE_ENDPOINT_DNS_ZONE}` zone their DNS records go to"),
            )
            .expected("`privateEndpointDnsZone` under `network`")
            .found("none")
            .hint("add `privateEndpointDnsZone: { resourceGroup }` (and `subscriptionId` when the zone is in another subscription)"),
        ),
        (false, Some(_)) => out.push(
            env.at_key(
                path!["azure", "network"],
                "privateEndpointDnsZone",
                "`privateEndpointDnsZone` serves private endpoints, and there are none",
            )
            .hint("remove it, or add `privateEndpoints` under `access: public`"),
        ),
        _ => {}
    }
}

/// The zone of a VNet-integrated server ends in `.postgres.database.azure.com` and is not
/// the `privatelink.` zone, which belongs to private endpoints.
fn private_dns_zone_fits_vnet_integration(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let network = &azure.network;
    let Some(zone) = &network.private_dns_zone else {
        return;
    };
    if network.access != NetworkAccess::Private {
        return;
    }
    let zone_lower = zone.to_ascii_lowercase();
    let hint = if zone_lower.starts_with("privatelink.") {
        "`privatelink.postgres.database.azure.com` is the zone of private endpoints; VNet integration needs a zone of its own, e.g. `<name>.private.postgres.database.azure.com`"
    } else {
        "name the zone `<name>.postgres.database.azure.com`, e.g. `<name>.private.postgres.database.azure.com`"
    };
    let suffix_ok = zone_lower.ends_with(&format!(".{SERVER_DOMAIN}"));
    if zone_lower.starts_with("privatelink.") || !suffix_ok {
        out.push(
            env.at(
                path!["azure", "network", "privateDnsZone"],
                "this private DNS zone cannot serve VNet integration",
            )
            .expected(
                "a name ending in `.postgres.database.azure.com`, not starting with `privatelink.`",
            )
            .found(format!("`{zone}`"))
            .hint(hint),
        );
    }
}

/// A VNet-integration zone `<name>.postgres.database.azure.com` may not be named after a
/// server: `<server>.postgres.database.azure.com` is that server's public host name, and
/// Azure refuses the zone (§3 of `facts-azure.md` in the reference data folder, from
/// Microsoft Learn's `concepts-networking-private.md`: "`[name]` must not equal a server
/// name").
fn private_dns_zone_is_no_server_host_name(design: &Design, out: &mut Vec<Diagnostic>) {
    let servers = azure_servers(design);
    let names: Vec<&str> = servers
        .iter()
        .flat_map(|s| {
            std::iter::once(s.server.name.as_str())
                .chain(s.server.replicas.iter().map(|r| r.name.as_str()))
        })
        .collect();
    for (env, azure) in azure_environments(design) {
        let network = &azure.network;
        let Some(zone) = &network.private_dns_zone else {
            continue;
        };
        if network.access != NetworkAccess::Private {
            continue;
        }
        let zone_lower = zone.to_ascii_lowercase();
        let Some(label) = zone_lower.strip_suffix(&format!(".{SERVER_DOMAIN}")) else {
            continue; // another rule refuses the suffix
        };
        if let Some(server) = names.iter().find(|n| n.eq_ignore_ascii_case(label)) {
            out.push(
                env.at(
                    path!["azure", "network", "privateDnsZone"],
                    format!("the private DNS zone is the host name of server `{server}`"),
                )
                .expected(format!(
                    "`<name>.{SERVER_DOMAIN}` where `<name>` is no server's name"
                ))
                .found(format!("`{zone}`"))
                .hint(format!(
                    "Azure refuses a zone named after a server; use e.g. `{}.private.{SERVER_DOMAIN}`",
                    env.value.name
                )),
            );
        }
    }
}

/// Whether `name` is a valid Flexible Server name: 3–63 lowercase letters, digits and
/// hyphens, not starting or ending with a hyphen (it becomes `<name>.postgres.database.azure.com`).
pub fn is_server_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Server and replica names become host names, so Azure allows only a narrow set.
fn server_names_are_valid(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let primary = std::iter::once((s.server.name.as_str(), path!["name"].to_vec()));
    let replicas = s
        .server
        .replicas
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), path!["replicas", i, "name"].to_vec()));
    for (name, at) in primary.chain(replicas) {
        if !is_server_name(name) {
            out.push(
                s.at(&at, format!("`{name}` cannot be a Flexible Server name"))
                    .expected(
                        "3–63 lowercase letters, digits and `-`, not starting or ending with `-`",
                    )
                    .found(format!("`{name}` ({} characters)", name.chars().count()))
                    .hint("the name becomes the host name `<name>.postgres.database.azure.com`"),
            );
        }
    }
}

/// The major is one Azure offers (`AZURE_MAJORS`, src/model/azure_facts.rs), and of those
/// one gen's scripts were run on (src/validate/majors.rs): Azure offers majors (11 to 13,
/// and any it adds later) whose behaviour gen has never seen.
fn server_version_is_tested(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let version = s.server.version.as_str();
    let major = version_major(version);
    if major.is_some_and(is_tested) {
        return;
    }
    let shown = printable(version);
    if major.is_some_and(|m| !AZURE_MAJORS.contains(&m)) {
        out.push(
            s.at(
                path!["version"],
                format!("Azure does not offer PostgreSQL `{shown}`"),
            )
            .expected(format!(
                "a major Azure offers ({}), and of those one gen is tested against ({})",
                diagnostics::list(AZURE_MAJORS.iter().map(u32::to_string)),
                majors::listed()
            ))
            .found(format!("`{shown}`"))
            .hint(
                "Flexible Server's majors are in src/model/azure_facts.rs (ARM's `version` values)",
            ),
        );
        return;
    }
    out.push(
        s.at(
            path!["version"],
            format!("PostgreSQL `{shown}` is not a major gen is tested against"),
        )
        .expected(majors::expected_text())
        .found(format!("`{shown}`"))
        .hint("give the major alone, quoted, e.g. `\"16\"`; gen's scripts differ between majors and were run only on these"),
    );
}

/// What is wrong with a SKU name by the table of series (src/model/azure_facts.rs): the
/// message, what was expected and a hint; `None` when the table has the SKU.
fn sku_problem(sku: &str) -> Option<(String, String, String)> {
    let shown = printable(sku);
    match azure_facts::sku_name(sku) {
        SkuName::Known(..) => None,
        SkuName::OtherVcores(series, vcores) => Some((
            format!("the {} series has no {vcores}-vCore SKU", series.series),
            format!(
                "`Standard_{}<n>{}` with <n> one of {}",
                series.letter,
                series.suffix,
                diagnostics::list(series.vcores.iter().map(u32::to_string))
            ),
            "Microsoft's \"Compute options\" page lists the sizes of each series".to_owned(),
        )),
        SkuName::Unknown => Some((
            format!("`{shown}` is not a Flexible Server SKU"),
            "`Standard_<letter><vCores><suffix>` of a series Flexible Server offers".to_owned(),
            format!(
                "Flexible Server SKUs are {} (the table is src/model/azure_facts.rs)",
                azure_facts::sku_patterns()
            ),
        )),
    }
}

/// The SKU is one Flexible Server offers and belongs to the server's tier; a replica's own
/// SKU is one too, and a replica's `tier`, when given, is its SKU's (Azure takes the tier
/// from `sku.tier` and refuses one of another family).
fn sku_is_offered_and_fits_the_tier(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let sku = s.server.sku.as_str();
    if let Some((message, expected, hint)) = sku_problem(sku) {
        out.push(
            s.at(path!["sku"], message)
                .expected(expected)
                .found(format!("`{}`", printable(sku)))
                .hint(hint),
        );
    } else if let Some(tier) = azure_facts::sku_tier(sku).filter(|t| *t != s.server.tier.into()) {
        out.push(
            s.at(
                path!["sku"],
                format!(
                    "`{sku}` is a {} SKU, not {}",
                    tier.as_str(),
                    s.server.tier.as_str()
                ),
            )
            .expected(format!("a {} SKU", s.server.tier.as_str()))
            .found(format!("`{sku}` ({})", tier.as_str()))
            .hint(format!(
                "set `tier: {}`, or choose a SKU of the {} tier",
                tier.as_str(),
                s.server.tier.as_str()
            )),
        );
    }
    for (i, replica) in s.server.replicas.iter().enumerate() {
        if let Some(own) = replica.sku.as_deref()
            && let Some((message, expected, hint)) = sku_problem(own)
        {
            out.push(
                s.at(path!["replicas", i, "sku"], message)
                    .expected(expected)
                    .found(format!("`{}`", printable(own)))
                    .hint(hint),
            );
        }
        let effective = replica.sku.as_deref().unwrap_or(sku);
        let (Some(given), Some(tier)) = (replica.tier, azure_facts::sku_tier(effective)) else {
            continue;
        };
        if azure_facts::Tier::from(given) != tier {
            out.push(
                s.at(
                    path!["replicas", i, "tier"],
                    format!("the replica's SKU `{effective}` is {}", tier.as_str()),
                )
                .expected(format!("`{}`, or no `tier`", tier.as_str()))
                .found(format!("`{}`", given.as_str()))
                .hint("remove `tier`: gen takes a replica's tier from its SKU"),
            );
        }
    }
}

/// Read replicas exist only on the GeneralPurpose and MemoryOptimized tiers: Microsoft
/// Learn, "Read replicas in Azure Database for PostgreSQL": "Read Replicas are currently
/// supported for the General Purpose and Memory Optimized server compute tiers. The
/// Burstable server compute tier is not supported."
fn no_read_replicas_on_burstable(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    if s.server.replicas.is_empty() {
        return;
    }
    let hint = "read replicas need a GeneralPurpose or MemoryOptimized server; choose such a SKU, or remove `replicas`";
    if s.server.tier == Tier::Burstable {
        out.push(
            s.at_key(
                &[],
                "replicas",
                "read replicas are not offered on the Burstable tier",
            )
            .expected("tier `GeneralPurpose` or `MemoryOptimized`")
            .found(format!(
                "`{}` on `Burstable` with {} replica(s)",
                s.server.sku,
                s.server.replicas.len()
            ))
            .hint(hint),
        );
    }
    for (i, replica) in s.server.replicas.iter().enumerate() {
        let Some(sku) = replica.sku.as_deref() else {
            continue;
        };
        if azure_facts::sku_tier(sku) == Some(azure_facts::Tier::Burstable) {
            out.push(
                s.at(
                    path!["replicas", i, "sku"],
                    "a read replica cannot be Burstable",
                )
                .expected("a GeneralPurpose or MemoryOptimized SKU")
                .found(format!("`{sku}` (Burstable)"))
                .hint(hint),
            );
        }
    }
}

/// Azure refuses some administrator logins (src/model/azure_facts.rs). The login exists
/// only with password authentication; without it gen does not render it.
fn administrator_login_is_not_reserved(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let login = s.server.administrator_login.as_str();
    if !s.server.authentication.password || !azure_facts::is_reserved_admin_login(login) {
        return;
    }
    out.push(
        s.at(
            path!["administratorLogin"],
            format!("Azure reserves the login `{}`", printable(login)),
        )
        .expected(format!(
            "a login other than {} and not starting with {}",
            diagnostics::list(azure_facts::RESERVED_ADMIN_LOGINS),
            diagnostics::list(azure_facts::RESERVED_ADMIN_PREFIXES)
        ))
        .found(format!("`{}`", printable(login)))
        .hint("choose a login of your own, e.g. `<project>_admin`; it cannot change once the server exists"),
    );
}

/// Every extension the database creates, and every name of an `azure.extensions` parameter,
/// is one the server's major allow-lists (src/model/azure_facts.rs): Azure refuses the
/// parameter value, and `CREATE EXTENSION` fails for any other.
fn extensions_are_allow_listed(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(major) = version_major(&s.server.version) else {
        return;
    };
    let Some(allowed) = azure_facts::allowed_extensions(major) else {
        return; // a major gen refuses anyway
    };
    let refuse = |at: Diagnostic, name: &str| {
        at.expected(format!(
            "one of the {} extensions `azure.extensions` accepts on PostgreSQL {major}",
            allowed.len()
        ))
        .found(format!("`{}`", printable(name)))
        .hint(
            diagnostics::nearest(&name.to_lowercase(), allowed.iter().copied()).map_or_else(
                || "the allow-list per major is in src/model/azure_facts.rs, from Microsoft's server parameter reference".to_owned(),
                |near| format!("did you mean `{near}`?"),
            ),
        )
    };
    let offered = |name: &str| allowed.contains(&name.to_lowercase().as_str());
    for (i, name) in s.service.value.database.extensions.iter().enumerate() {
        if !offered(name) {
            let at = s.service.at(
                path!["database", "extensions", i],
                format!(
                    "Azure offers no extension `{}` on PostgreSQL {major}",
                    printable(name)
                ),
            );
            out.push(refuse(at, name));
        }
    }
    if let Some(value) = s.server.parameters.get("azure.extensions") {
        let text = value.to_text();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !offered(name) {
                let at = s.at(
                    &parameter_path("azure.extensions"),
                    format!(
                        "Azure offers no extension `{}` on PostgreSQL {major}",
                        printable(name)
                    ),
                );
                out.push(refuse(at, name));
            }
        }
    }
}

/// The Burstable tier has no high availability.
fn no_high_availability_on_burstable(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(ha) = &s.server.high_availability else {
        return;
    };
    if s.server.tier == Tier::Burstable && ha.mode != HaMode::Disabled {
        out.push(
            s.at(
                path!["highAvailability", "mode"],
                "high availability is not offered on the Burstable tier",
            )
            .expected("`Disabled`, or tier `GeneralPurpose` or `MemoryOptimized`")
            .found(format!("`{}` on `Burstable`", ha.mode.as_str()))
            .hint("choose a GeneralPurpose or MemoryOptimized SKU, or set `mode: Disabled`"),
        );
    }
}

/// The primary's zone: the one given with high availability, else the server's own.
fn primary_zone(server: &ServerDeployment) -> Option<&str> {
    let ha_zone = server
        .high_availability
        .as_ref()
        .and_then(|ha| ha.zone.as_deref());
    ha_zone.or(server.zone.as_deref())
}

/// ZoneRedundant puts the standby in another zone than the primary, SameZone in the same.
fn standby_zone_fits_the_mode(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(ha) = &s.server.high_availability else {
        return;
    };
    let (Some(zone), Some(standby)) = (primary_zone(s.server), ha.standby_zone.as_deref()) else {
        return;
    };
    let problem = match ha.mode {
        HaMode::ZoneRedundant if standby == zone => Some((
            "another zone than the primary's",
            "use `SameZone`, or another standby zone",
        )),
        HaMode::SameZone if standby != zone => Some((
            "the primary's zone",
            "use `ZoneRedundant`, or the primary's zone",
        )),
        _ => None,
    };
    if let Some((expected, hint)) = problem {
        out.push(
            s.at(
                path!["highAvailability", "standbyZone"],
                format!("a {} standby must be in {expected}", ha.mode.as_str()),
            )
            .expected(format!("{expected} (`{zone}`)"))
            .found(format!("`{standby}`"))
            .hint(hint),
        );
    }
}

/// Flexible Server keeps backups 7 to 35 days.
fn backup_retention_in_range(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let days = s.server.backup.retention_days;
    if !(7..=35).contains(&days) {
        out.push(
            s.at(
                path!["backup", "retentionDays"],
                "backup retention is out of range",
            )
            .expected("7 to 35 days")
            .found(days.to_string()),
        );
    }
}

/// Read replicas have no high availability and no backups of their own, and at least the
/// primary's storage.
fn replicas_fit_the_primary(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let primary_size = s.server.storage.size_gb;
    for (i, replica) in s.server.replicas.iter().enumerate() {
        if let Some(ha) = replica
            .high_availability
            .as_ref()
            .filter(|ha| ha.mode != HaMode::Disabled)
        {
            out.push(
                s.at(
                    path!["replicas", i, "highAvailability", "mode"],
                    "a read replica cannot have high availability",
                )
                .expected("`Disabled`, or no `highAvailability`")
                .found(format!("`{}`", ha.mode.as_str()))
                .hint("remove it; promote the replica first if it needs a standby"),
            );
        }
        if replica.geo_redundant_backup == Some(true) {
            out.push(
                s.at(
                    path!["replicas", i, "geoRedundantBackup"],
                    "a read replica has no backups, so no geo-redundant backup",
                )
                .found("`true`")
                .hint("remove it; the primary's backups cover the data"),
            );
        }
        if let Some(size) = replica.storage_size_gb.filter(|size| *size < primary_size) {
            out.push(
                s.at(
                    path!["replicas", i, "storageSizeGB"],
                    "a read replica needs at least the primary's storage",
                )
                .expected(format!("at least {primary_size} GB"))
                .found(format!("{size} GB"))
                .hint("remove it to use the primary's size"),
            );
        }
    }
}

/// Each server of a private-endpoint-only environment gets one endpoint per entry of
/// `privateEndpoints`, named `<server>-<name>` (`model::private_endpoint_name`); that name
/// must follow Azure's rule for endpoint names, checked here at the server's name, which
/// makes it too long or ends it badly.
fn private_endpoint_names_fit(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let network = &s.azure.network;
    if network.access != NetworkAccess::Public {
        return;
    }
    let servers = std::iter::once((path!["name"].to_vec(), s.server.name.as_str())).chain(
        s.server
            .replicas
            .iter()
            .enumerate()
            .map(|(i, r)| (path!["replicas", i, "name"].to_vec(), r.name.as_str())),
    );
    for (at, server) in servers {
        let Some(name) = network
            .private_endpoints
            .iter()
            .map(|pe| crate::model::private_endpoint_name(server, &pe.name))
            .find(|name| !azure_facts::is_private_endpoint_name(name))
        else {
            continue;
        };
        out.push(
            s.at(&at, "the server's private endpoint name breaks Azure's naming rule")
                .expected(format!(
                    "`<server>-<endpoint>` of 2 to {} letters, digits, `_`, `.` or `-`, starting with a letter or digit",
                    azure_facts::PRIVATE_ENDPOINT_NAME_MAX
                ))
                .found(format!("`{}` ({} characters)", printable(&name), name.chars().count()))
                .hint("shorten the server name or the endpoint's `name` under `azure.network.privateEndpoints`"),
        );
    }
}

/// The diagnostic settings name log categories (or groups) Flexible Server has, and the
/// table it can write to: Azure refuses an unknown category when the setting is created, and
/// every category's table is `AzureDiagnostics` (facts table `LOG_CATEGORIES`).
fn diagnostics_are_known(
    (env, azure): (&Typed<EnvironmentFile>, &AzureEnvironment),
    out: &mut Vec<Diagnostic>,
) {
    let Some(diagnostics) = &azure.diagnostics else {
        return;
    };
    let known = || diagnostics::list(azure_facts::LOG_CATEGORIES.iter().map(|c| c.name));
    for (i, name) in diagnostics.logs.iter().flatten().enumerate() {
        if !azure_facts::LOG_CATEGORIES.iter().any(|c| c.name == name) {
            out.push(
                env.at(
                    path!["azure", "diagnostics", "logs", i],
                    format!("`{}` is not a log category of Flexible Server", printable(name)),
                )
                .expected(format!("one of {}", known()))
                .hint("Microsoft's \"Supported logs for Microsoft.DBforPostgreSQL/flexibleServers\" lists them (table in src/model/azure_facts.rs)"),
            );
        }
    }
    let logs = diagnostics.logs.as_deref().unwrap_or_default();
    let is_group = |name: &String| {
        azure_facts::LOG_CATEGORIES
            .iter()
            .any(|c| c.group && c.name == name)
    };
    if logs.iter().any(is_group) && !logs.iter().all(is_group) {
        out.push(
            env.at(
                path!["azure", "diagnostics", "logs"],
                "log categories and category groups cannot be mixed in one diagnostic setting",
            )
            .expected("only categories, or only groups")
            .hint("Azure refuses the mix (\"Diagnostic setting does not support mix of log category and log category group\"), and a second setting may not send a category to the same workspace again"),
        );
    }
    if diagnostics.destination_table == Some(DestinationTable::Dedicated)
        && !azure_facts::RESOURCE_SPECIFIC_LOG_TABLES
    {
        out.push(
            env.at(
                path!["azure", "diagnostics", "destinationTable"],
                "Flexible Server's logs have no resource-specific tables",
            )
            .expected("`AzureDiagnostics`, or no `destinationTable`")
            .found("`Dedicated`")
            .hint("every Flexible Server log category goes to the AzureDiagnostics table (Microsoft's \"Supported logs\" page)"),
        );
    }
}

/// A maintenance window starts at an hour 0–23 and a minute 0–59 (UTC); Azure's CLI refuses
/// anything else, and the ARM type states no range (facts table `MAINTENANCE_DAYS`).
fn maintenance_window_in_range(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(window) = &s.server.maintenance_window else {
        return;
    };
    let fields = [
        (
            "startHour",
            Some(window.start_hour),
            azure_facts::MAINTENANCE_MAX_HOUR,
        ),
        (
            "startMinute",
            window.start_minute,
            azure_facts::MAINTENANCE_MAX_MINUTE,
        ),
    ];
    for (field, value, max) in fields {
        if let Some(value) = value.filter(|v| *v > max) {
            out.push(
                s.at(
                    path!["maintenanceWindow", field],
                    format!("{field} out of range"),
                )
                .expected(format!("0 to {max} (UTC)"))
                .found(value.to_string()),
            );
        }
    }
}

/// A ReadOnly lock refuses every change to the server: the next deployment of this template
/// (parameters, firewall rules, replicas) and restarts. Microsoft Learn, "Lock your resources
/// to protect your infrastructure" (`lock-resources.md`): "ReadOnly means authorized users can
/// read a resource, but they can't delete or update it".
fn no_read_only_lock(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    if s.server.lock == Some(LockLevel::ReadOnly) {
        out.push(
            s.at(path!["lock"], "a ReadOnly lock would refuse this target's own deployments")
                .expected("`CanNotDelete`, or no `lock`")
                .found("`ReadOnly`")
                .hint("CanNotDelete keeps the server from being deleted and lets the deployment, the restarts and the replicas' creation through"),
        );
    }
}

/// A role assignment names a built-in role the facts table knows, or a role definition GUID,
/// and a principal by its object ID.
fn role_assignments_name_a_role(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    for (i, assignment) in s.server.role_assignments.iter().enumerate() {
        if azure_facts::role_definition_id(&assignment.role).is_none() {
            out.push(
                s.at(
                    path!["roleAssignments", i, "role"],
                    format!("`{}` is neither a built-in role gen knows nor a role definition GUID", printable(&assignment.role)),
                )
                .expected(format!(
                    "one of {}, or a GUID",
                    diagnostics::list(azure_facts::BUILT_IN_ROLES.iter().map(|r| r.name))
                ))
                .hint("name any other role by its ID: `az role definition list --name '<role>' --query '[].name' -o tsv`"),
            );
        }
        if !azure_facts::is_guid(&assignment.principal_id) {
            out.push(
                s.at(
                    path!["roleAssignments", i, "principalId"],
                    "not an object ID",
                )
                .expected("the principal's object ID, a GUID")
                .found(format!("`{}`", printable(&assignment.principal_id))),
            );
        }
    }
}

/// Customer-managed keys, Microsoft Learn "Data encryption" (`concepts-data-encryption.md`,
/// "Using data encryption with customer managed keys and geo-redundant business continuity
/// features"): geo-redundant backups need their own key, in the paired region, read by
/// another identity than the primary key's; a replica created with a customer-managed key
/// needs a key and identity in its own region.
fn customer_keys_cover_backups_and_replicas(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let page = "Microsoft's \"Data encryption\" page (concepts-data-encryption.md)";
    let Some(encryption) = &s.server.data_encryption else {
        for (i, replica) in s.server.replicas.iter().enumerate() {
            if replica.data_encryption.is_some() {
                out.push(
                    s.at(
                        path!["replicas", i, "dataEncryption"],
                        "a replica takes the encryption of its primary, which has no customer-managed key",
                    )
                    .hint("set `dataEncryption` on the server (only when it is created), or remove it here"),
                );
            }
        }
        return;
    };
    match (&encryption.geo_backup, s.server.backup.geo_redundant) {
        (None, true) => out.push(
            s.at_key(
                path!["dataEncryption"],
                "key",
                "geo-redundant backups of a server with a customer-managed key need a key of their own",
            )
            .expected("`geoBackup: { identity, keyVault, key }` under `dataEncryption`")
            .hint(format!("{page}: the key in a vault of the paired region, with its own identity")),
        ),
        (Some(_), false) => out.push(
            s.at_key(path!["dataEncryption"], "geoBackup", "`geoBackup` is unused: backups are not geo-redundant")
                .hint("remove it, or set `backup.geoRedundant: true`"),
        ),
        (Some(geo), true)
            if geo.identity.name == encryption.identity.name
                && geo.identity.resource_group.eq_ignore_ascii_case(&encryption.identity.resource_group) =>
        {
            out.push(
                s.at(
                    path!["dataEncryption", "geoBackup", "identity", "name"],
                    "the geo-backup key needs another identity than the server's key",
                )
                .hint(format!("{page}: \"You can't use the same user-managed identity\" for both; create one in the paired region")),
            );
        }
        _ => {}
    }
    for (i, replica) in s.server.replicas.iter().enumerate() {
        if replica.location != s.azure.location && replica.data_encryption.is_none() {
            out.push(
                s.at_key(
                    path!["replicas", i],
                    "location",
                    format!(
                        "replica `{}` in {} needs a customer-managed key of its own region",
                        replica.name, replica.location
                    ),
                )
                .expected("`dataEncryption: { identity, keyVault, key }` on the replica")
                .hint(format!("{page}: a replica's key is in a vault of its region, read by an identity of that region")),
            );
        }
    }
}

/// The source of the two rules below: Microsoft Learn, "Read replicas in Azure Database for
/// PostgreSQL" (MicrosoftDocs/azure-databases-docs
/// `articles/postgresql/flexible-server/concepts-read-replicas.md` @ 017b7aa3).
const READ_REPLICAS_PAGE: &str = "Microsoft's \"Read replicas\" page (concepts-read-replicas.md)";

/// "Compute on the primary must always be equal or smaller than the compute on the smallest
/// replica" (section "Scale"): a replica replays the primary's WAL with shared memory sized by
/// its own compute, and Azure scales replicas first for that reason.
fn replicas_have_the_primary_compute(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let SkuName::Known(_, primary) = azure_facts::sku_name(&s.server.sku) else {
        return;
    };
    for (i, replica) in s.server.replicas.iter().enumerate() {
        let Some(own) = replica.sku.as_deref() else {
            continue;
        };
        let SkuName::Known(_, vcores) = azure_facts::sku_name(own) else {
            continue;
        };
        if vcores < primary {
            out.push(
                s.at(
                    path!["replicas", i, "sku"],
                    format!(
                        "a read replica needs at least the primary's compute: {vcores} vCores, the primary {primary}"
                    ),
                )
                .expected(format!("a SKU with at least {primary} vCores, or no `sku`"))
                .found(format!("`{own}` ({vcores} vCores)"))
                .hint(format!(
                    "{READ_REPLICAS_PAGE}: the primary's compute must stay equal to or smaller than the smallest replica's; remove `sku` to use the primary's"
                )),
            );
        }
    }
}

/// "If the primary server uses Premium SSD v2 for storage, the creation of read replicas
/// isn't supported" (section "Considerations").
fn no_read_replicas_on_premium_v2(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    if s.server.storage.storage_type != Some(StorageType::PremiumV2Lrs)
        || s.server.replicas.is_empty()
    {
        return;
    }
    out.push(
        s.at(
            path!["replicas"],
            "read replicas cannot be created from a server on Premium SSD v2",
        )
        .expected("no `replicas`, or `storage.type: Premium_LRS`")
        .found(format!("{} replicas", s.server.replicas.len()))
        .hint(format!("{READ_REPLICAS_PAGE}, section \"Considerations\"")),
    );
}

/// IOPS and throughput are provisioned only on Premium SSD v2; on Premium SSD they follow
/// the performance tier.
fn iops_and_throughput_only_on_premium_v2(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let storage = &s.server.storage;
    if storage.storage_type == Some(StorageType::PremiumV2Lrs) {
        return;
    }
    for (key, present) in [
        ("iops", storage.iops.is_some()),
        ("throughput", storage.throughput.is_some()),
    ] {
        if present {
            out.push(
                s.at(path!["storage", key], format!("`{key}` cannot be set on Premium_LRS storage"))
                    .hint("on Premium SSD IOPS and throughput follow `performanceTier`; set a higher tier, or `type: PremiumV2_LRS`"),
            );
        }
    }
}

/// Premium SSD v2 has no storage autogrow, and needs its IOPS and throughput provisioned:
/// Microsoft Learn, "Premium SSD v2" ("storage autogrow features aren't supported for
/// Premium SSD v2"), and the ARM type `Storage.iops`/`throughput` ("Required when type of
/// storage is PremiumV2_LRS or UltraSSD_LRS").
fn premium_v2_is_provisioned_without_autogrow(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let storage = &s.server.storage;
    if storage.storage_type != Some(StorageType::PremiumV2Lrs) {
        return;
    }
    if storage.auto_grow {
        out.push(
            s.at(
                path!["storage", "autoGrow"],
                "storage autogrow is not supported on Premium SSD v2",
            )
            .expected("`autoGrow: false`, or `type: Premium_LRS`")
            .found("`true`")
            .hint("grow a Premium SSD v2 disk by raising `sizeGB`; remove `autoGrow`"),
        );
    }
    let missing: Vec<&str> = [
        ("iops", storage.iops.is_none()),
        ("throughput", storage.throughput.is_none()),
    ]
    .into_iter()
    .filter_map(|(key, absent)| absent.then_some(key))
    .collect();
    if !missing.is_empty() {
        out.push(
            s.at(
                path!["storage", "type"],
                "Premium SSD v2 needs its IOPS and throughput",
            )
            .expected("`iops` and `throughput` under `storage`")
            .found(format!("no {}", diagnostics::list(&missing)))
            .hint("Azure provisions them separately from the size on Premium SSD v2, e.g. `iops: 3000`, `throughput: 125` (its free baseline)"),
        );
    }
}

fn premium_ssd_sizes() -> String {
    diagnostics::list(PREMIUM_SSD_SIZES.iter().map(|row| row.size_gb.to_string()))
}

/// A Premium SSD disk has one of the sizes Azure offers (src/model/azure_facts.rs), the
/// primary's and each replica's own; Premium SSD v2 takes any size, which gen checks from
/// 32 to 32768 GB.
fn storage_size_in_range(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let size = s.server.storage.size_gb;
    if s.server.storage.storage_type == Some(StorageType::PremiumV2Lrs) {
        if !(32..=32768).contains(&size) {
            out.push(
                s.at(path!["storage", "sizeGB"], "storage size is out of range")
                    .expected("32 to 32768 GB")
                    .found(format!("{size} GB")),
            );
        }
        return;
    }
    let sizes = std::iter::once((path!["storage", "sizeGB"].to_vec(), size)).chain(
        s.server.replicas.iter().enumerate().filter_map(|(i, r)| {
            r.storage_size_gb
                .map(|size| (path!["replicas", i, "storageSizeGB"].to_vec(), size))
        }),
    );
    for (at, size) in sizes {
        if azure_facts::premium_ssd_size(size).is_none() {
            let next = PREMIUM_SSD_SIZES.iter().find(|row| row.size_gb > size);
            out.push(
                s.at(&at, format!("{size} GB is not a Premium SSD disk size"))
                    .expected(format!("one of {} GB", premium_ssd_sizes()))
                    .found(format!("{size} GB"))
                    .hint(next.map_or_else(
                        || "Premium SSD v2 (`type: PremiumV2_LRS`) is not limited to these sizes".to_owned(),
                        |row| format!("the next size up is {} GB; Premium SSD v2 (`type: PremiumV2_LRS`) takes any size", row.size_gb),
                    )),
            );
        }
    }
}

fn tier_rank(tier: &str) -> Option<usize> {
    PERFORMANCE_TIERS.iter().position(|t| *t == tier)
}

/// The performance tier of a Premium SSD disk is a known one, and one its size allows: at
/// least the size's baseline, at most the highest it can be raised to
/// (src/model/azure_facts.rs).
fn performance_tier_covers_the_size(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let storage = &s.server.storage;
    let Some(tier) = &storage.performance_tier else {
        return;
    };
    if storage.storage_type == Some(StorageType::PremiumV2Lrs) {
        return; // not rendered: Premium SSD v2 has no performance tiers
    }
    let at = path!["storage", "performanceTier"];
    let Some(rank) = tier_rank(tier) else {
        out.push(
            s.at(
                at,
                format!("`{tier}` is not a Premium SSD performance tier"),
            )
            .expected(format!("one of {}", diagnostics::list(PERFORMANCE_TIERS)))
            .found(format!("`{tier}`"))
            .maybe_hint(
                diagnostics::nearest(tier, PERFORMANCE_TIERS.iter().copied())
                    .map(|t| format!("did you mean `{t}`?")),
            ),
        );
        return;
    };
    let Some(row) = azure_facts::premium_ssd_size(storage.size_gb) else {
        return; // the size itself is wrong and reported; its tiers mean nothing
    };
    let size = storage.size_gb;
    let base = row.base_tier;
    let top = row.allowed_tiers().last().unwrap_or(base);
    let allowed = if base == top {
        format!("`{base}`")
    } else {
        format!("`{base}` to `{top}`")
    };
    if rank < tier_rank(base).unwrap_or(0) {
        out.push(
            s.at(
                at,
                format!("performance tier `{tier}` is below the base tier of {size} GB"),
            )
            .expected(allowed)
            .found(format!("`{tier}`"))
            .hint(format!(
                "a {size} GB disk starts at `{base}`; raise the tier or remove it"
            )),
        );
    } else if !row.allowed_tiers().any(|t| t == tier) {
        out.push(
            s.at(
                at,
                format!("performance tier `{tier}` is above what a {size} GB disk allows"),
            )
            .expected(allowed)
            .found(format!("`{tier}`"))
            .hint(if rank >= tier_rank("P60").unwrap_or(usize::MAX) {
                "P60 to P80 need a disk of at least 4096 GB; raise `sizeGB` or lower the tier"
                    .to_owned()
            } else {
                format!("a {size} GB disk goes up to `{top}`; raise `sizeGB` or lower the tier")
            }),
        );
    }
}

fn parameter_path(name: &str) -> Vec<Seg> {
    path!["parameters", name].to_vec()
}

/// Flexible Server accepts `max_connections` from 25 to 5000.
fn max_connections_in_range(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(value) = s.server.parameters.get("max_connections") else {
        return;
    };
    let number = super::connections::int_parameter(&s.server.parameters, "max_connections");
    if !number.is_some_and(|n| (25..=5000).contains(&n)) {
        out.push(
            s.at(
                &parameter_path("max_connections"),
                "max_connections is out of range",
            )
            .expected("a whole number from 25 to 5000")
            .found(value.to_text())
            .hint("15 connections are reserved for Azure and administrators"),
        );
    }
}

/// Flexible Server accepts only TLS 1.2 and 1.3, spelled as the parameter's values.
fn tls_version_is_accepted(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(value) = s.server.parameters.get("ssl_min_protocol_version") else {
        return;
    };
    let accepted = ["TLSv1.2", "TLSv1.3"];
    if !matches!(value, ScalarValue::Text(t) if accepted.contains(&t.as_str())) {
        out.push(
            s.at(
                &parameter_path("ssl_min_protocol_version"),
                "ssl_min_protocol_version is not accepted",
            )
            .expected("`TLSv1.2` or `TLSv1.3`")
            .found(format!("`{}`", value.to_text())),
        );
    }
}

/// md5 password hashes are weak and deprecated; the server default is scram-sha-256.
fn password_encryption_is_not_md5(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let Some(value) = s.server.parameters.get("password_encryption") else {
        return;
    };
    if value.to_text().eq_ignore_ascii_case("md5") {
        out.push(
            s.at(&parameter_path("password_encryption"), "password_encryption md5 is not allowed")
                .expected("`scram-sha-256`")
                .found("`md5`")
                .hint("md5 hashes are weak and deprecated in PostgreSQL; remove the parameter to keep the default"),
        );
    }
}

/// A server with neither method, or Entra without an administrator, cannot be logged into.
fn someone_can_log_in(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let auth = &s.server.authentication;
    if !auth.entra && !auth.password {
        out.push(
            s.at(
                path!["authentication"],
                "no authentication method is enabled",
            )
            .expected("`entra: true`, `password: true` or both")
            .hint("nobody could log in to the server"),
        );
    } else if auth.entra && !auth.password && s.azure.administrators.is_empty() {
        out.push(
            s.at(
                path!["authentication", "entra"],
                "Entra-only authentication needs an administrator",
            )
            .expected("at least one entry in the environment's `azure.administrators`")
            .hint("add an Entra administrator, or enable password authentication"),
        );
    }
}

/// The design's roles log in with passwords (`passwordSecret`), which a server with password
/// authentication off refuses: Microsoft Learn, "Microsoft Entra authentication"
/// (azure-databases-docs `security-entra-concepts.md`: with Entra-only authentication, only
/// Entra principals can sign in). The roles would exist and never connect.
fn password_roles_need_password_authentication(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let roles = &s.service.value.database.roles;
    if s.server.authentication.password || roles.is_empty() {
        return;
    }
    let names = diagnostics::list(roles.iter().map(|r| printable(&r.name)));
    out.push(
        s.at(
            path!["authentication", "password"],
            format!("roles {names} log in with passwords, which this server would refuse"),
        )
        .expected("`password: true` while `database.roles` has roles")
        .found("`false`")
        .hint("an Entra-only server admits only Entra principals; enable password authentication, or remove the roles"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{
        assert_one, validate_example_with, validate_example_with_edits,
    };

    const PROD: &str = "environments/prod.yaml";
    const AUTH: &str = "services/auth.yaml";
    const PROD_TEXT: &str = include_str!("../../inputs/environments/prod.yaml");

    #[test]
    fn passwords_are_key_vault_secret_names() {
        let found = validate_example_with(
            AUTH,
            "passwordSecret: phonebill-auth-user-password",
            "passwordSecret: \"\"",
        );
        assert_one(
            &found,
            "services/auth.yaml:12:23",
            "not a Key Vault secret name",
        );
        let found = validate_example_with(
            AUTH,
            "administratorPasswordSecret: phonebill-auth-admin-password",
            "administratorPasswordSecret: admin_password",
        );
        assert_one(
            &found,
            "services/auth.yaml:25:36",
            "not a Key Vault secret name",
        );
    }

    #[test]
    fn private_access_needs_its_network() {
        let found = validate_example_with(
            PROD,
            "    privateDnsZone: phonebill-prod.private.postgres.database.azure.com\n",
            "",
        );
        assert_one(
            &found,
            "environments/prod.yaml:9:13",
            "private access needs",
        );
    }

    #[test]
    fn firewall_rules_are_refused_with_private_access() {
        let found = validate_example_with(
            PROD,
            "    clients:",
            "    firewallRules:\n      - { name: aks, startIpAddress: 10.0.1.0, endIpAddress: 10.0.1.255 }\n    clients:",
        );
        assert_one(
            &found,
            "environments/prod.yaml:17:5",
            "`firewallRules` cannot be combined with private access",
        );
    }

    #[test]
    fn private_endpoints_are_refused_with_private_access() {
        let found = validate_example_with(
            PROD,
            "    clients:",
            "    privateEndpoints:\n      - { name: pe, subnet: database-subnet }\n    clients:",
        );
        assert_one(
            &found,
            "environments/prod.yaml:17:5",
            "`privateEndpoints` cannot be combined",
        );
    }

    #[test]
    fn public_access_excludes_a_delegated_subnet() {
        let found = validate_example_with(PROD, "access: private ", "access: public  ");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "environments/prod.yaml:13:5");
        assert_eq!(found[1].location(), "environments/prod.yaml:16:5");
    }

    #[test]
    fn private_endpoints_need_a_vnet() {
        let public = "    access: public\n    privateEndpoints:\n      - { name: pe-auth, subnet: endpoints }\n    privateEndpointDnsZone: { resourceGroup: rg-dns }\n  logAnalyticsWorkspace:";
        let network = &PROD_TEXT[PROD_TEXT.find("    access: private").unwrap()
            ..PROD_TEXT.find("  logAnalyticsWorkspace:").unwrap() + 24];
        let found = validate_example_with(PROD, network, public);
        assert_one(
            &found,
            "environments/prod.yaml:10:5",
            "private endpoints need the VNet",
        );
    }

    /// The example's network made public with `rest`, a text under `network:` after `access`.
    fn public_network(rest: &str) -> Vec<Diagnostic> {
        let network = &PROD_TEXT[PROD_TEXT.find("    access: private").unwrap()
            ..PROD_TEXT.find("  logAnalyticsWorkspace:").unwrap() + 24];
        let public = format!(
            "    access: public\n    virtualNetwork: {{ name: v, resourceGroup: rg }}\n{rest}  logAnalyticsWorkspace:"
        );
        validate_example_with(PROD, network, &public)
    }

    #[test]
    fn firewall_rules_are_refused_beside_private_endpoints() {
        let found = public_network(
            "    privateEndpoints:\n      - { name: pe-auth, subnet: endpoints }\n    privateEndpointDnsZone: { resourceGroup: rg-dns }\n    firewallRules:\n      - { name: aks, startIpAddress: 10.0.1.0, endIpAddress: 10.0.1.255 }\n",
        );
        assert_one(
            &found,
            "environments/prod.yaml:14:5",
            "firewall rules would be ignored",
        );
        // Without endpoints the rules stand.
        let found = public_network(
            "    firewallRules:\n      - { name: aks, startIpAddress: 10.0.1.0, endIpAddress: 10.0.1.255 }\n",
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    /// The example's auth server with `fields` (two-space indented under `server:`) added.
    fn auth_server_with(fields: &str) -> Vec<Diagnostic> {
        validate_example_with(
            AUTH,
            "        log_connections: \"on\"\n",
            &format!("        log_connections: \"on\"\n{fields}"),
        )
    }

    #[test]
    fn a_maintenance_window_starts_within_a_day() {
        assert!(
            auth_server_with(
                "      maintenanceWindow: { day: sunday, startHour: 23, startMinute: 59 }\n"
            )
            .is_empty()
        );
        let found = auth_server_with(
            "      maintenanceWindow: { day: sunday, startHour: 24, startMinute: 60 }\n",
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:53:52");
        assert!(found[0].message.contains("startHour out of range"));
        assert_eq!(found[1].location(), "services/auth.yaml:53:69");
    }

    #[test]
    fn a_read_only_lock_is_refused() {
        assert!(auth_server_with("      lock: CanNotDelete\n").is_empty());
        let found = auth_server_with("      lock: ReadOnly\n");
        assert_one(
            &found,
            "services/auth.yaml:53:13",
            "a ReadOnly lock would refuse this target's own deployments",
        );
    }

    #[test]
    fn a_role_assignment_names_a_known_role_and_an_object_id() {
        let ok = "      roleAssignments:\n        - { principalId: 7d3f1c2a-4b5e-4f60-9a1b-2c3d4e5f6a7b, principalType: Group, role: Reader }\n        - { principalId: 7d3f1c2a-4b5e-4f60-9a1b-2c3d4e5f6a7b, principalType: Group, role: 17d1049b-9a84-46fb-8f53-869881c3d3ab }\n";
        assert!(auth_server_with(ok).is_empty());
        let found = auth_server_with(
            "      roleAssignments:\n        - { principalId: db-admins, principalType: Group, role: Readers }\n",
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:54:26");
        assert!(found[0].message.contains("not an object ID"));
        assert_eq!(found[1].location(), "services/auth.yaml:54:65");
        assert!(
            found[1]
                .message
                .contains("`Readers` is neither a built-in role")
        );
    }

    const CMK: &str = "      dataEncryption:\n        identity: { name: id-pg, resourceGroup: rg-keys }\n        keyVault: { name: kv-pg, resourceGroup: rg-keys }\n        key: pg\n";
    const KRS_KEY: &str = "          location: koreasouth\n          dataEncryption: { identity: { name: id-krs, resourceGroup: rg-krs }, keyVault: { name: kv-krs, resourceGroup: rg-krs }, key: pg }\n";

    #[test]
    fn customer_keys_cover_geo_backups_and_replicas_in_other_regions() {
        let krs = "          location: koreasouth\n";
        let geo = |identity: &str| {
            format!(
                "{CMK}        geoBackup:\n          identity: {{ name: {identity}, resourceGroup: rg-keys }}\n          keyVault: {{ name: kv-pg-krs, resourceGroup: rg-keys }}\n          key: pg-backup\n"
            )
        };
        let with = |fields: &str, replica: &str| {
            validate_example_with_edits(&[
                (
                    AUTH,
                    "        log_connections: \"on\"\n",
                    &format!("        log_connections: \"on\"\n{fields}"),
                ),
                (AUTH, krs, replica),
            ])
        };
        assert!(with(&geo("id-pg-backup"), KRS_KEY).is_empty());
        // The example's backups are geo-redundant, and its krs replica is in koreasouth.
        let found = with(CMK, krs);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:39:11");
        assert!(found[0].message.contains("replica `phonebill-auth-postgresql-prod-krs` in koreasouth needs a customer-managed key of its own region"));
        assert_eq!(found[1].location(), "services/auth.yaml:56:9");
        assert!(found[1].message.contains(
            "geo-redundant backups of a server with a customer-managed key need a key of their own"
        ));
        let found = with(&geo("id-pg"), KRS_KEY);
        assert_one(
            &found,
            "services/auth.yaml:59:29",
            "the geo-backup key needs another identity",
        );
        // A replica's key without the primary's.
        let found = with("", KRS_KEY);
        assert_one(
            &found,
            "services/auth.yaml:40:27",
            "a replica takes the encryption of its primary",
        );
    }

    #[test]
    fn diagnostics_name_known_categories_and_the_azure_diagnostics_table() {
        let with = |diagnostics: &str| {
            validate_example_with(
                PROD,
                "    resourceGroup: rg-phonebill-prod\nalerting:",
                &format!(
                    "    resourceGroup: rg-phonebill-prod\n  diagnostics: {diagnostics}\nalerting:"
                ),
            )
        };
        assert!(
            with("{ logs: [PostgreSQLLogs, PostgreSQLFlexSessions], metrics: false }").is_empty()
        );
        assert!(with("{ logs: [allLogs, audit] }").is_empty());
        let found = with("{ logs: [PostgreSQLLogs, audit] }");
        assert_one(
            &found,
            "environments/prod.yaml:30:24",
            "log categories and category groups cannot be mixed",
        );
        let found = with("{ logs: [PostgreSQLLog], destinationTable: Dedicated }");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "environments/prod.yaml:30:25");
        assert!(
            found[0]
                .message
                .contains("`PostgreSQLLog` is not a log category of Flexible Server")
        );
        assert_eq!(found[1].location(), "environments/prod.yaml:30:59");
        assert!(found[1].message.contains("no resource-specific tables"));
    }

    #[test]
    fn each_servers_private_endpoint_name_follows_azures_rule() {
        let endpoints = |name: &str| {
            public_network(&format!(
                "    privateEndpoints:\n      - {{ name: {name}, subnet: endpoints }}\n    privateEndpointDnsZone: {{ resourceGroup: rg-dns }}\n"
            ))
        };
        assert!(endpoints("pe").is_empty());
        // `phonebill-auth-postgresql-prod-krs-` is 35 characters: 30 more make 65.
        let found = endpoints(&"e".repeat(30));
        assert_eq!(found.len(), 2, "the two replicas: {found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:38:17");
        assert!(
            found[0]
                .message
                .contains("private endpoint name breaks Azure's naming rule")
        );
        assert_eq!(
            found[0].found.as_deref(),
            Some(
                format!(
                    "`phonebill-auth-postgresql-prod-krs-{}` (65 characters)",
                    "e".repeat(30)
                )
                .as_str()
            )
        );
        // The primary's name is shorter: 31 + 33 = 64 fits.
        assert_eq!(found[1].location(), "services/auth.yaml:41:17");
        let found = endpoints("pe-");
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:20:13");
    }

    #[test]
    fn private_endpoints_need_their_dns_zone_and_it_needs_them() {
        let found =
            public_network("    privateEndpoints:\n      - { name: pe-auth, subnet: endpoints }\n");
        assert_one(
            &found,
            "environments/prod.yaml:11:5",
            "need the `privatelink.postgres.database.azure.com` zone",
        );
        let found = public_network("    privateEndpointDnsZone: { resourceGroup: rg-dns }\n");
        assert_one(
            &found,
            "environments/prod.yaml:11:5",
            "`privateEndpointDnsZone` serves private endpoints, and there are none",
        );
    }

    #[test]
    fn a_privatelink_zone_is_refused() {
        let found = validate_example_with(
            PROD,
            "privateDnsZone: phonebill-prod.private.postgres",
            "privateDnsZone: privatelink.postgres",
        );
        assert_one(
            &found,
            "environments/prod.yaml:16:21",
            "cannot serve VNet integration",
        );
        let found = validate_example_with(
            PROD,
            "phonebill-prod.private.postgres.database.azure.com",
            "phonebill.internal",
        );
        assert_one(
            &found,
            "environments/prod.yaml:16:21",
            "cannot serve VNet integration",
        );
    }

    #[test]
    fn an_untested_server_version_is_refused() {
        for bad in ["13", "16.4", "016", "latest"] {
            let found =
                validate_example_with(AUTH, "version: \"15\"", &format!("version: \"{bad}\""));
            assert_one(
                &found,
                "services/auth.yaml:21:16",
                &format!("PostgreSQL `{bad}` is not a major gen is tested against"),
            );
            let expected = found[0].expected.as_deref().unwrap_or_default();
            assert!(
                expected.contains("`14`, `15`, `16`, `17`, `18`"),
                "{expected}"
            );
        }
        for not_offered in ["10", "19"] {
            let found = validate_example_with(
                AUTH,
                "version: \"15\"",
                &format!("version: \"{not_offered}\""),
            );
            assert_one(
                &found,
                "services/auth.yaml:21:16",
                &format!("Azure does not offer PostgreSQL `{not_offered}`"),
            );
        }
        for good in ["14", "16", "18"] {
            let found =
                validate_example_with(AUTH, "version: \"15\"", &format!("version: \"{good}\""));
            assert!(found.is_empty(), "{good}: {found:#?}");
        }
    }

    #[test]
    fn server_names_are_checked() {
        assert!(is_server_name("phonebill-auth-postgresql-prod"));
        assert!(!is_server_name("ab"));
        assert!(!is_server_name("Phonebill"));
        assert!(!is_server_name("a_b_c"));
        assert!(!is_server_name(&"a".repeat(64)));
        let found = validate_example_with(
            AUTH,
            "name: phonebill-auth-postgresql-prod-krc",
            "name: phonebill_auth_krc",
        );
        assert_one(
            &found,
            "services/auth.yaml:41:17",
            "cannot be a Flexible Server name",
        );
    }

    #[test]
    fn burstable_has_no_high_availability() {
        let found = validate_example_with_edits(&[
            (AUTH, "sku: Standard_D4s_v3", "sku: Standard_B2ms"),
            (AUTH, "tier: GeneralPurpose", "tier: Burstable"),
        ]);
        // The example's replicas are refused on Burstable too (37:7).
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:31:15");
        assert!(
            found[0]
                .message
                .contains("high availability is not offered on the Burstable tier")
        );
        assert_eq!(found[1].location(), "services/auth.yaml:37:7");
    }

    #[test]
    fn zone_redundant_standby_is_elsewhere() {
        let found = validate_example_with(AUTH, "standbyZone: \"2\"", "standbyZone: \"1\"");
        assert_one(
            &found,
            "services/auth.yaml:33:22",
            "ZoneRedundant standby must be in another zone",
        );
        let found = validate_example_with(AUTH, "mode: ZoneRedundant", "mode: SameZone");
        assert_one(
            &found,
            "services/auth.yaml:33:22",
            "SameZone standby must be in the primary's zone",
        );
    }

    #[test]
    fn retention_is_7_to_35_days() {
        let found = validate_example_with(AUTH, "retentionDays: 35", "retentionDays: 90");
        assert_one(
            &found,
            "services/auth.yaml:35:24",
            "retention is out of range",
        );
    }

    #[test]
    fn replicas_have_no_ha_no_geo_backup_and_enough_storage() {
        let krc = "          sku: Standard_D4s_v3\n      authentication:";
        let found = validate_example_with(
            AUTH,
            krc,
            "          sku: Standard_D4s_v3\n          highAvailability: { mode: SameZone }\n      authentication:",
        );
        assert_one(
            &found,
            "services/auth.yaml:44:37",
            "cannot have high availability",
        );
        let found = validate_example_with(
            AUTH,
            krc,
            "          sku: Standard_D4s_v3\n          geoRedundantBackup: true\n      authentication:",
        );
        assert_one(
            &found,
            "services/auth.yaml:44:31",
            "no geo-redundant backup",
        );
        let found = validate_example_with(
            AUTH,
            krc,
            "          sku: Standard_D4s_v3\n          storageSizeGB: 128\n      authentication:",
        );
        assert_one(
            &found,
            "services/auth.yaml:44:26",
            "at least the primary's storage",
        );
    }

    #[test]
    fn iops_need_premium_v2() {
        let found = validate_example_with(
            AUTH,
            "        autoGrow: true\n",
            "        autoGrow: true\n        iops: 3000\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:29:15",
            "`iops` cannot be set on Premium_LRS",
        );
    }

    #[test]
    fn premium_ssd_sizes_are_azures() {
        for bad in ["16", "100", "65536"] {
            let found = validate_example_with(AUTH, "sizeGB: 256", &format!("sizeGB: {bad}"));
            assert_one(
                &found,
                "services/auth.yaml:27:17",
                &format!("{bad} GB is not a Premium SSD disk size"),
            );
        }
        let found = validate_example_with(
            AUTH,
            "          location: koreasouth\n",
            "          location: koreasouth\n          storageSizeGB: 300\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:40:26",
            "300 GB is not a Premium SSD disk size",
        );
    }

    #[test]
    fn performance_tier_is_one_the_size_allows() {
        let found = validate_example_with(AUTH, "performanceTier: P30", "performanceTier: P10");
        assert_one(
            &found,
            "services/auth.yaml:29:26",
            "below the base tier of 256 GB",
        );
        let found = validate_example_with(AUTH, "performanceTier: P30", "performanceTier: P31");
        assert_one(
            &found,
            "services/auth.yaml:29:26",
            "not a Premium SSD performance tier",
        );
        let found = validate_example_with(AUTH, "performanceTier: P30", "performanceTier: P60");
        assert_one(
            &found,
            "services/auth.yaml:29:26",
            "above what a 256 GB disk allows",
        );
        for good in ["P15", "P50"] {
            let found = validate_example_with(
                AUTH,
                "performanceTier: P30",
                &format!("performanceTier: {good}"),
            );
            assert!(found.is_empty(), "{good}: {found:#?}");
        }
    }

    #[test]
    fn the_sku_belongs_to_the_tier() {
        let found = validate_example_with(AUTH, "sku: Standard_D4s_v3", "sku: Standard_E4ds_v5");
        assert_one(
            &found,
            "services/auth.yaml:22:12",
            "`Standard_E4ds_v5` is a MemoryOptimized SKU, not GeneralPurpose",
        );
        let found = validate_example_with(AUTH, "sku: Standard_D4s_v3", "sku: Standard_F4s_v2");
        assert_one(
            &found,
            "services/auth.yaml:22:12",
            "`Standard_F4s_v2` is not a Flexible Server SKU",
        );
        assert!(
            found[0]
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains("Standard_E<n>ds_v5")
        );
        let found = validate_example_with(AUTH, "sku: Standard_D4s_v3", "sku: Standard_D6s_v3");
        assert_one(
            &found,
            "services/auth.yaml:22:12",
            "the Dsv3 series has no 6-vCore SKU",
        );
    }

    #[test]
    fn a_replica_tier_is_its_skus() {
        let krs = "          location: koreasouth\n          sku: Standard_D4s_v3\n";
        let found = validate_example_with(
            AUTH,
            krs,
            "          location: koreasouth\n          sku: Standard_D4s_v3\n          tier: MemoryOptimized\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:41:17",
            "the replica's SKU `Standard_D4s_v3` is GeneralPurpose",
        );
        let found = validate_example_with(
            AUTH,
            krs,
            "          location: koreasouth\n          sku: Standard_E4ds_v5\n",
        );
        assert!(found.is_empty(), "{found:#?}");
        let found = validate_example_with(
            AUTH,
            krs,
            "          location: koreasouth\n          sku: Standard_X2\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:40:16",
            "is not a Flexible Server SKU",
        );
    }

    #[test]
    fn a_replica_has_at_least_the_primary_compute() {
        let krs = "          location: koreasouth\n          sku: Standard_D4s_v3\n";
        let found = validate_example_with(
            AUTH,
            krs,
            "          location: koreasouth\n          sku: Standard_D2s_v3\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:40:16",
            "a read replica needs at least the primary's compute: 2 vCores, the primary 4",
        );
        // More compute, or another family with as many vCores, is fine.
        for sku in ["Standard_D8s_v3", "Standard_E4ds_v5"] {
            let edited = format!("          location: koreasouth\n          sku: {sku}\n");
            let found = validate_example_with(AUTH, krs, &edited);
            assert!(found.is_empty(), "{sku}: {found:#?}");
        }
    }

    #[test]
    fn premium_v2_has_no_read_replicas() {
        let found = validate_example_with_edits(&[(
            AUTH,
            "        autoGrow: true\n        performanceTier: P30             # 5000 IOPS; the plan asks for at least 3000\n",
            "        type: PremiumV2_LRS\n        iops: 3000\n        throughput: 125\n",
        )]);
        assert_one(
            &found,
            "services/auth.yaml:39:9",
            "read replicas cannot be created from a server on Premium SSD v2",
        );
    }

    #[test]
    fn burstable_has_no_read_replicas() {
        let found = validate_example_with_edits(&[
            (AUTH, "sku: Standard_D4s_v3", "sku: Standard_B2ms"),
            (AUTH, "tier: GeneralPurpose", "tier: Burstable"),
            (AUTH, "mode: ZoneRedundant", "mode: Disabled"),
        ]);
        assert_one(
            &found,
            "services/auth.yaml:37:7",
            "read replicas are not offered on the Burstable tier",
        );
        let found = validate_example_with(
            AUTH,
            "          location: koreasouth\n          sku: Standard_D4s_v3\n",
            "          location: koreasouth\n          sku: Standard_B4ms\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:40:16",
            "a read replica cannot be Burstable",
        );
    }

    #[test]
    fn premium_v2_has_no_autogrow_and_needs_iops() {
        // Without the replicas, which Premium SSD v2 does not allow.
        let no_replicas = (
            AUTH,
            "      replicas:\n        - name: phonebill-auth-postgresql-prod-krs    # disaster recovery and read load\n          location: koreasouth\n          sku: Standard_D4s_v3\n        - name: phonebill-auth-postgresql-prod-krc    # read load in the same region\n          location: koreacentral\n          sku: Standard_D4s_v3\n",
            "",
        );
        let found = validate_example_with_edits(&[
            (
                AUTH,
                "        performanceTier: P30             # 5000 IOPS; the plan asks for at least 3000\n",
                "        type: PremiumV2_LRS\n        iops: 3000\n        throughput: 125\n",
            ),
            no_replicas,
        ]);
        assert_one(
            &found,
            "services/auth.yaml:28:19",
            "storage autogrow is not supported on Premium SSD v2",
        );
        let found = validate_example_with_edits(&[
            (
                AUTH,
                "        autoGrow: true\n        performanceTier: P30             # 5000 IOPS; the plan asks for at least 3000\n",
                "        type: PremiumV2_LRS\n        iops: 3000\n",
            ),
            no_replicas,
        ]);
        assert_one(
            &found,
            "services/auth.yaml:28:15",
            "Premium SSD v2 needs its IOPS and throughput",
        );
        assert_eq!(found[0].found.as_deref(), Some("no `throughput`"));
    }

    #[test]
    fn reserved_administrator_logins_are_refused() {
        for bad in ["admin", "azure_pg_admin", "pg_owner"] {
            let found = validate_example_with(
                AUTH,
                "administratorLogin: phonebill_admin",
                &format!("administratorLogin: {bad}"),
            );
            assert_one(
                &found,
                "services/auth.yaml:24:27",
                &format!("Azure reserves the login `{bad}`"),
            );
        }
        // Without password authentication the login is not rendered.
        let found = validate_example_with_edits(&[
            (
                AUTH,
                "administratorLogin: phonebill_admin",
                "administratorLogin: admin",
            ),
            (AUTH, "password: true", "password: false"),
            crate::validate::testing::AUTH_WITHOUT_ROLES,
        ]);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn extensions_are_on_the_majors_allow_list() {
        let found = validate_example_with(
            AUTH,
            "extensions: [uuid-ossp, pg_stat_statements]",
            "extensions: [uuid-ossp, pg_stat_statement]",
        );
        assert_one(
            &found,
            "services/auth.yaml:6:27",
            "Azure offers no extension `pg_stat_statement` on PostgreSQL 15",
        );
        assert_eq!(
            found[0].hint.as_deref(),
            Some("did you mean `pg_stat_statements`?")
        );
        // timescaledb is offered on 17, not on 18.
        let edits = |version: &str| {
            validate_example_with_edits(&[
                (AUTH, "version: \"15\"", version),
                (
                    AUTH,
                    "log_connections: \"on\"",
                    "log_connections: \"on\"\n        azure.extensions: timescaledb,pgcrypto",
                ),
            ])
        };
        assert!(edits("version: \"17\"").is_empty());
        let found = edits("version: \"18\"");
        assert_one(
            &found,
            "services/auth.yaml:53:27",
            "Azure offers no extension `timescaledb` on PostgreSQL 18",
        );
    }

    #[test]
    fn a_zone_named_after_a_server_is_refused() {
        let found = validate_example_with(
            PROD,
            "privateDnsZone: phonebill-prod.private.postgres.database.azure.com",
            "privateDnsZone: phonebill-auth-postgresql-prod.postgres.database.azure.com",
        );
        assert_one(
            &found,
            "environments/prod.yaml:16:21",
            "the private DNS zone is the host name of server `phonebill-auth-postgresql-prod`",
        );
        let found = validate_example_with(
            PROD,
            "privateDnsZone: phonebill-prod.private.postgres.database.azure.com",
            "privateDnsZone: phonebill-prod.postgres.database.azure.com",
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn max_connections_is_25_to_5000() {
        let found = validate_example_with(AUTH, "max_connections: 100", "max_connections: 6000");
        assert_one(
            &found,
            "services/auth.yaml:48:26",
            "max_connections is out of range",
        );
    }

    #[test]
    fn tls_is_1_2_or_1_3() {
        let found = validate_example_with(
            AUTH,
            "ssl_min_protocol_version: TLSv1.2",
            "ssl_min_protocol_version: TLSv1.1",
        );
        assert_one(
            &found,
            "services/auth.yaml:49:35",
            "ssl_min_protocol_version is not accepted",
        );
    }

    #[test]
    fn md5_is_refused() {
        let found = validate_example_with(
            AUTH,
            "password_encryption: scram-sha-256",
            "password_encryption: md5",
        );
        assert_one(&found, "services/auth.yaml:50:30", "md5 is not allowed");
    }

    #[test]
    fn someone_must_be_able_to_log_in() {
        let found = validate_example_with(
            AUTH,
            "        entra: true\n        password: true",
            "        entra: false\n        password: false",
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "services/auth.yaml:45:9");
        assert!(found[0].message.contains("no authentication method"));
    }

    #[test]
    fn an_entra_only_server_has_no_password_roles() {
        let found =
            validate_example_with(AUTH, "        password: true", "        password: false");
        assert_one(
            &found,
            "services/auth.yaml:46:19",
            "roles `phonebill_auth_user`, `phonebill_monitor` log in with passwords, which this server would refuse",
        );
        let found = validate_example_with_edits(&[
            (AUTH, "        password: true", "        password: false"),
            crate::validate::testing::AUTH_WITHOUT_ROLES,
        ]);
        assert!(found.is_empty(), "{found:#?}");
    }
}
