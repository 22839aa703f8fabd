//! Rules of the `azure-flexible-server` platform: combinations the plan may ask for but
//! Azure refuses, caught before anything is rendered. Each rule is a named function with
//! a bad-input test beside it; `check_all` runs them.

use crate::diagnostics::{self, Diagnostic};
use crate::input::{
    AzureEnvironment, EnvironmentFile, HaMode, NetworkAccess, Platform, ScalarValue,
    ServerDeployment, ServiceFile, StorageType, Tier,
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
    }
    for server in azure_servers(design) {
        server_names_are_valid(&server, out);
        server_version_is_tested(&server, out);
        no_high_availability_on_burstable(&server, out);
        standby_zone_fits_the_mode(&server, out);
        backup_retention_in_range(&server, out);
        replicas_fit_the_primary(&server, out);
        iops_and_throughput_only_on_premium_v2(&server, out);
        storage_size_in_range(&server, out);
        performance_tier_covers_the_size(&server, out);
        max_connections_in_range(&server, out);
        tls_version_is_accepted(&server, out);
        password_encryption_is_not_md5(&server, out);
        someone_can_log_in(&server, out);
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
struct AzureServer<'a> {
    service: &'a Typed<ServiceFile>,
    env_name: &'a str,
    azure: &'a AzureEnvironment,
    server: &'a ServerDeployment,
}

impl AzureServer<'_> {
    /// A diagnostic at `rel`, a path below `deployments.<env>.server`.
    fn at(&self, rel: &[Seg], message: impl Into<String>) -> Diagnostic {
        self.service.at(&self.path(rel), message)
    }

    fn path(&self, rel: &[Seg]) -> Vec<Seg> {
        let mut path = path!["deployments", self.env_name, "server"].to_vec();
        path.extend_from_slice(rel);
        path
    }
}

fn azure_servers(design: &Design) -> Vec<AzureServer<'_>> {
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
    let suffix_ok = zone_lower.ends_with(".postgres.database.azure.com");
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

/// The major is one gen's scripts were run on (src/validate/majors.rs): Azure offers majors
/// (11 to 13, and any it adds later) whose behaviour gen has never seen.
fn server_version_is_tested(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let version = s.server.version.as_str();
    if version_major(version).is_some_and(is_tested) {
        return;
    }
    let shown = printable(version);
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

/// Premium SSD storage is 32 GB to 32 TB.
fn storage_size_in_range(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let size = s.server.storage.size_gb;
    if !(32..=32768).contains(&size) {
        out.push(
            s.at(path!["storage", "sizeGB"], "storage size is out of range")
                .expected("32 to 32768 GB")
                .found(format!("{size} GB")),
        );
    }
}

/// Premium SSD performance tiers, lowest first.
const PERFORMANCE_TIERS: &[&str] = &[
    "P1", "P2", "P3", "P4", "P6", "P10", "P15", "P20", "P30", "P40", "P50", "P60", "P70", "P80",
];

/// The tier Azure gives a Premium SSD disk of `size_gb` (the smallest disk size that holds
/// it); a tier may be raised above it, never lowered below it.
pub fn base_performance_tier(size_gb: u32) -> &'static str {
    const BY_SIZE: &[(u32, &str)] = &[
        (32, "P4"),
        (64, "P6"),
        (128, "P10"),
        (256, "P15"),
        (512, "P20"),
        (1024, "P30"),
        (2048, "P40"),
        (4096, "P50"),
        (8192, "P60"),
        (16384, "P70"),
    ];
    BY_SIZE
        .iter()
        .find(|(max, _)| size_gb <= *max)
        .map_or("P80", |(_, tier)| tier)
}

fn tier_rank(tier: &str) -> Option<usize> {
    PERFORMANCE_TIERS.iter().position(|t| *t == tier)
}

/// The performance tier is a known one, at least the base tier of the size.
fn performance_tier_covers_the_size(s: &AzureServer, out: &mut Vec<Diagnostic>) {
    let storage = &s.server.storage;
    let Some(tier) = &storage.performance_tier else {
        return;
    };
    if !(32..=32768).contains(&storage.size_gb) {
        return; // the size itself is wrong and reported; its base tier means nothing
    }
    let at = path!["storage", "performanceTier"];
    let base = base_performance_tier(storage.size_gb);
    match tier_rank(tier) {
        None => out.push(
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
        ),
        Some(rank) if rank < tier_rank(base).unwrap_or(0) => out.push(
            s.at(
                at,
                format!(
                    "performance tier `{tier}` is below the base tier of {} GB",
                    storage.size_gb
                ),
            )
            .expected(format!("`{base}` or higher"))
            .found(format!("`{tier}`"))
            .hint(format!(
                "a {} GB disk starts at `{base}`; raise the tier or remove it",
                storage.size_gb
            )),
        ),
        Some(_) => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{assert_one, validate_example_with};

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
        let public = "    access: public\n    privateEndpoints:\n      - { name: pe-auth, subnet: endpoints }\n  logAnalyticsWorkspace:";
        let network = &PROD_TEXT[PROD_TEXT.find("    access: private").unwrap()
            ..PROD_TEXT.find("  logAnalyticsWorkspace:").unwrap() + 24];
        let found = validate_example_with(PROD, network, public);
        assert_one(
            &found,
            "environments/prod.yaml:10:5",
            "private endpoints need the VNet",
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
        for bad in ["13", "19", "16.4", "016", "latest"] {
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
        let found = validate_example_with(AUTH, "tier: GeneralPurpose", "tier: Burstable");
        assert_one(
            &found,
            "services/auth.yaml:31:15",
            "not offered on the Burstable tier",
        );
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
        let krc = "          sku: Standard_D2s_v3\n      authentication:";
        let found = validate_example_with(
            AUTH,
            krc,
            "          sku: Standard_D2s_v3\n          highAvailability: { mode: SameZone }\n      authentication:",
        );
        assert_one(
            &found,
            "services/auth.yaml:44:37",
            "cannot have high availability",
        );
        let found = validate_example_with(
            AUTH,
            krc,
            "          sku: Standard_D2s_v3\n          geoRedundantBackup: true\n      authentication:",
        );
        assert_one(
            &found,
            "services/auth.yaml:44:31",
            "no geo-redundant backup",
        );
        let found = validate_example_with(
            AUTH,
            krc,
            "          sku: Standard_D2s_v3\n          storageSizeGB: 128\n      authentication:",
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
    fn storage_size_is_32_to_32768() {
        let found = validate_example_with(AUTH, "sizeGB: 256", "sizeGB: 16");
        assert_one(
            &found,
            "services/auth.yaml:27:17",
            "storage size is out of range",
        );
    }

    #[test]
    fn performance_tier_is_at_least_the_base_tier() {
        assert_eq!(base_performance_tier(32), "P4");
        assert_eq!(base_performance_tier(256), "P15");
        assert_eq!(base_performance_tier(1000), "P30");
        assert_eq!(base_performance_tier(32768), "P80");
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
        assert_one(
            &found,
            "services/auth.yaml:45:9",
            "no authentication method",
        );
    }
}
