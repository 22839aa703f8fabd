//! The rendered Bicep of the example passes the real validators: the project's type checker
//! (every resource body against Azure's own type data, strict about unknown types) and
//! pycep-parser 0.5.1, the parser checkov reads Bicep with.

use crate::support::{harness, tools};

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every folder named `bicep` below `root`.
fn bicep_folders(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "bicep") {
                found.push(path);
            } else {
                found.extend(bicep_folders(&path));
            }
        }
    }
    found.sort();
    found
}

fn bicep_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = bicep_folders(root)
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "bicep"))
        .collect();
    files.sort();
    files
}

/// The example with text edits `(file, from, to)`, rendered into a temporary folder.
fn render_variant(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), edits);
    let files = gen_lib::app::render_folder(&inputs)
        .unwrap_or_else(|e| panic!("the variant does not render: {e:?}"));
    let out = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let target = out.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    out
}

const PRIVATE_NETWORK: &str = "    access: private            # VNet integration; \"public\" would allow firewall rules instead\n    virtualNetwork:            # existing VNet, referenced and not created\n      name: phonebill-vnet-prod\n      resourceGroup: rg-phonebill-prod\n    delegatedSubnet:\n      name: database-subnet\n      addressPrefix: 10.0.2.0/24\n    privateDnsZone: phonebill-prod.private.postgres.database.azure.com\n";

const REPLICAS: &str = "      replicas:\n        - name: phonebill-auth-postgresql-prod-krs    # disaster recovery and read load\n          location: koreasouth\n          sku: Standard_D4s_v3\n        - name: phonebill-auth-postgresql-prod-krc    # read load in the same region\n          location: koreacentral\n          sku: Standard_D4s_v3\n";

const PUBLIC_NETWORK: &str = "    access: public\n    firewallRules:\n      - { name: AllowAKSSubnet, startIpAddress: 10.0.1.0, endIpAddress: 10.0.1.255 }\n";

/// Public access with a firewall rule, Premium SSD v2 storage (so no replicas) and a Key
/// Vault in a named subscription.
pub(crate) fn public_variant() -> tempfile::TempDir {
    render_variant(&[
        ("environments/prod.yaml", PRIVATE_NETWORK, PUBLIC_NETWORK),
        ("services/auth.yaml", REPLICAS, ""),
        (
            "environments/prod.yaml",
            "    resourceGroup: rg-phonebill-prod\nalerting:",
            "    resourceGroup: rg-phonebill-prod\n    subscriptionId: 00000000-0000-0000-0000-000000000001\nalerting:",
        ),
        (
            "services/auth.yaml",
            "        autoGrow: true\n        performanceTier: P30",
            "        type: PremiumV2_LRS\n        iops: 3000\n        throughput: 125",
        ),
    ])
}

/// Public access with a firewall rule, and the example's replicas, which get it too.
pub(crate) fn public_replicas_variant() -> tempfile::TempDir {
    render_variant(&[("environments/prod.yaml", PRIVATE_NETWORK, PUBLIC_NETWORK)])
}

/// Private-endpoint-only: public access with two private endpoints and their DNS zone in
/// another subscription.
pub(crate) fn private_endpoint_variant() -> tempfile::TempDir {
    render_variant(&[(
        "environments/prod.yaml",
        PRIVATE_NETWORK,
        "    access: public\n    virtualNetwork: { name: phonebill-vnet-prod, resourceGroup: rg-phonebill-prod }\n    privateEndpoints:\n      - { name: pe-phonebill-auth, subnet: endpoint-subnet }\n      - { name: pe-phonebill-auth-hub, subnet: hub-subnet }\n    privateEndpointDnsZone: { resourceGroup: rg-dns, subscriptionId: 00000000-0000-0000-0000-000000000002 }\n",
    )])
}

/// Private access with the cross-region replica in a subnet named in the inputs, Entra only,
/// and on a MemoryOptimized SKU under the GeneralPurpose primary.
pub(crate) fn named_replica_subnet_variant() -> tempfile::TempDir {
    render_variant(&[
        (
            "services/auth.yaml",
            "location: koreasouth\n          sku: Standard_D4s_v3",
            "location: koreasouth\n          sku: Standard_E4ds_v5",
        ),
        (
            "services/auth.yaml",
            "          location: koreasouth\n",
            "          location: koreasouth\n          delegatedSubnet: { virtualNetwork: { name: phonebill-vnet-dr, resourceGroup: rg-phonebill-dr }, name: database-subnet }\n",
        ),
        (
            "services/auth.yaml",
            "        password: true",
            "        password: false",
        ),
        NO_ROLES,
    ])
}

/// The edit that leaves the auth service without its password roles, which an Entra-only
/// server refuses.
const NO_ROLES: (&str, &str, &str) = (
    "services/auth.yaml",
    "  roles:\n    - name: phonebill_auth_user\n      access: read-write                 # CRUD on tables and sequences, now and later\n      connectionLimit: 50\n      passwordSecret: phonebill-auth-user-password\n    - name: phonebill_monitor\n      access: monitor                    # pg_monitor: statistics, never table contents\n      connectionLimit: 5\n      passwordSecret: phonebill-monitor-password\n",
    "  roles: []\n",
);

/// Every design field of issue 19's Azure Verified Module list at once: diagnostic categories,
/// Entra-only authentication, a maintenance window, a lock, role assignments, Defender, and
/// customer-managed keys (with the geo-backup key and a replica's key of its own region).
pub(crate) const EVERY_NEW_FIELD: &[(&str, &str, &str)] = &[
    (
        "environments/prod.yaml",
        "    resourceGroup: rg-phonebill-prod\nalerting:",
        "    resourceGroup: rg-phonebill-prod\n  diagnostics: { logs: [PostgreSQLLogs, PostgreSQLFlexSessions], metrics: false, destinationTable: AzureDiagnostics }\nalerting:",
    ),
    (
        "services/auth.yaml",
        "        password: true",
        "        password: false",
    ),
    NO_ROLES,
    (
        "services/auth.yaml",
        "          location: koreasouth\n",
        "          location: koreasouth\n          dataEncryption: { identity: { name: id-pg-backup-krs, resourceGroup: rg-keys-krs }, keyVault: { name: kv-pg-krs, resourceGroup: rg-keys-krs }, key: pg-krs }\n",
    ),
    (
        "services/auth.yaml",
        "        log_connections: \"on\"\n",
        "        log_connections: \"on\"\n      maintenanceWindow: { day: sunday, startHour: 2, startMinute: 30 }\n      lock: CanNotDelete\n      roleAssignments:\n        - { principalId: 7d3f1c2a-4b5e-4f60-9a1b-2c3d4e5f6a7b, principalType: Group, role: Monitoring Reader }\n        - { principalId: 0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9, principalType: ServicePrincipal, role: 17d1049b-9a84-46fb-8f53-869881c3d3ab }\n      threatProtection: true\n      dataEncryption:\n        identity: { name: id-pg-krc, resourceGroup: rg-keys }\n        keyVault: { name: kv-pg-krc, resourceGroup: rg-keys }\n        key: pg-auth\n        geoBackup:\n          identity: { name: id-pg-backup-krs, resourceGroup: rg-keys-krs }\n          keyVault: { name: kv-pg-krs, resourceGroup: rg-keys-krs }\n          key: pg-auth-backup\n",
    ),
];

/// The example with [`EVERY_NEW_FIELD`], rendered.
pub(crate) fn every_new_field_variant() -> tempfile::TempDir {
    render_variant(EVERY_NEW_FIELD)
}

#[test]
fn the_variants_render_what_their_inputs_ask_for() {
    let public = public_variant();
    let main = std::fs::read_to_string(public.path().join("prod/auth/bicep/main.bicep")).unwrap();
    for wanted in [
        "'AllowAKSSubnet'",
        "publicNetworkAccess: 'Enabled'",
        "type: 'PremiumV2_LRS'",
        "iops: 3000",
    ] {
        assert!(main.contains(wanted), "no {wanted} in\n{main}");
    }
    // Premium SSD v2 has no autogrow: the property is left out.
    for unwanted in [
        "delegatedSubnetResourceId",
        "privateDnsZone",
        "privateEndpoints@",
        "tier: 'P30'",
        "autoGrow",
    ] {
        assert!(!main.contains(unwanted), "{unwanted} in\n{main}");
    }
    let param =
        std::fs::read_to_string(public.path().join("prod/auth/bicep/main.bicepparam")).unwrap();
    assert!(
        param.contains("az.getSecret('00000000-0000-0000-0000-000000000001', "),
        "{param}"
    );
    assert!(!param.contains("readEnvironmentVariable"), "{param}");
    assert!(!main.contains("existingReplicas"), "{main}");
    // The alerts' webhook URLs come from the same vault, in the same subscription.
    let alerts =
        std::fs::read_to_string(public.path().join("prod/auth/alerts/alerts.bicepparam")).unwrap();
    assert!(
        alerts.contains("az.getSecret('00000000-0000-0000-0000-000000000001', "),
        "{alerts}"
    );
    assert!(!alerts.contains("AZURE_SUBSCRIPTION_ID"), "{alerts}");

    // Issue 19: private endpoints turn public access off, and each gets a DNS zone group on
    // the privatelink zone the design names.
    let endpoints = private_endpoint_variant();
    let main =
        std::fs::read_to_string(endpoints.path().join("prod/auth/bicep/main.bicep")).unwrap();
    for wanted in [
        "publicNetworkAccess: 'Disabled'",
        "'Microsoft.Network/privateDnsZones@2024-06-01' existing = {\n  name: 'privatelink.postgres.database.azure.com'\n  scope: resourceGroup('00000000-0000-0000-0000-000000000002', 'rg-dns')",
        "'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {\n  parent: privateEndpoint_phonebill_auth_postgresql_prod_pe_phonebill_auth\n  name: 'default'",
        "'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {\n  parent: privateEndpoint_phonebill_auth_postgresql_prod_pe_phonebill_auth_hub\n  name: 'default'",
        "privateDnsZoneId: privateEndpointDnsZone.id",
        // Each replica is private-endpoint-only too, with endpoints of its own, deployed with it.
        "resource privateEndpoint_phonebill_auth_postgresql_prod_krs_pe_phonebill_auth 'Microsoft.Network/privateEndpoints@2024-05-01' = if (createReplicas || replica_phonebill_auth_postgresql_prod_krs_exists) {\n  name: 'phonebill-auth-postgresql-prod-krs-pe-phonebill-auth'",
        "privateLinkServiceId: replica_phonebill_auth_postgresql_prod_krc.id",
    ] {
        assert!(main.contains(wanted), "no {wanted} in\n{main}");
    }
    // The primary and both replicas.
    assert_eq!(
        main.matches("publicNetworkAccess: 'Disabled'").count(),
        3,
        "{main}"
    );
    assert_eq!(
        main.matches("'Microsoft.Network/privateEndpoints@").count(),
        6,
        "{main}"
    );
    for unwanted in ["publicNetworkAccess: 'Enabled'", "firewallRules@"] {
        assert!(!main.contains(unwanted), "{unwanted} in\n{main}");
    }
    let readme = std::fs::read_to_string(endpoints.path().join("prod/auth/README.md")).unwrap();
    assert!(readme.contains("public access off"), "{readme}");
    assert!(
        readme.contains("private endpoint phonebill-auth-postgresql-prod-krc-pe-phonebill-auth-hub (subnet hub-subnet)"),
        "{readme}"
    );

    // Issue 19: a replica gets the primary's firewall rules, which Azure copies only when it
    // creates the replica.
    let public = public_replicas_variant();
    let main = std::fs::read_to_string(public.path().join("prod/auth/bicep/main.bicep")).unwrap();
    for replica in ["krs", "krc"] {
        let wanted = format!(
            "'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = if (createReplicas || replica_phonebill_auth_postgresql_prod_{replica}_exists) {{\n  parent: replica_phonebill_auth_postgresql_prod_{replica}\n  name: 'AllowAKSSubnet'"
        );
        assert!(main.contains(&wanted), "no {wanted} in\n{main}");
    }

    // Issue 19: every new field reaches the Bicep.
    let every = every_new_field_variant();
    let main = std::fs::read_to_string(every.path().join("prod/auth/bicep/main.bicep")).unwrap();
    for wanted in [
        "    maintenanceWindow: {\n      customWindow: 'Enabled'\n      dayOfWeek: 0\n      startHour: 2\n      startMinute: 30\n    }",
        "resource serverLock 'Microsoft.Authorization/locks@2020-05-01' = {\n  name: 'lock-phonebill-auth-postgresql-prod'\n  scope: server\n  properties: {\n    level: 'CanNotDelete'",
        "= if (createReplicas || replica_phonebill_auth_postgresql_prod_krs_exists) {\n  name: 'lock-phonebill-auth-postgresql-prod-krs'",
        "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '43d0d8ad-25c7-4714-9337-8ba259a9fe05')\n    principalId: '7d3f1c2a-4b5e-4f60-9a1b-2c3d4e5f6a7b'\n    principalType: 'Group'",
        "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '17d1049b-9a84-46fb-8f53-869881c3d3ab')",
        "'Microsoft.DBforPostgreSQL/flexibleServers/advancedThreatProtectionSettings@2025-08-01' = {\n  parent: server\n  name: 'Default'\n  properties: {\n    state: 'Enabled'",
        "      primaryKeyURI: cmkKey_cmkVault_rg_keys_kv_pg_krc_pg_auth.properties.keyUri\n      primaryUserAssignedIdentityId: cmkIdentity_rg_keys_id_pg_krc.id\n      geoBackupKeyURI: cmkKey_cmkVault_rg_keys_krs_kv_pg_krs_pg_auth_backup.properties.keyUri\n      geoBackupUserAssignedIdentityId: cmkIdentity_rg_keys_krs_id_pg_backup_krs.id",
        "      '${cmkIdentity_rg_keys_id_pg_krc.id}': {}\n      '${cmkIdentity_rg_keys_krs_id_pg_backup_krs.id}': {}\n",
        // The replica in koreasouth reads its own region's key; the one in koreacentral the primary's.
        "      primaryKeyURI: cmkKey_cmkVault_rg_keys_krs_kv_pg_krs_pg_krs.properties.keyUri\n      primaryUserAssignedIdentityId: cmkIdentity_rg_keys_krs_id_pg_backup_krs.id\n",
        "logs: [\n      {\n        category: 'PostgreSQLLogs'\n        enabled: true\n      }\n      {\n        category: 'PostgreSQLFlexSessions'\n        enabled: true\n      }\n    ]",
        "passwordAuth: 'Disabled'",
    ] {
        assert!(main.contains(wanted), "no {wanted} in\n{main}");
    }
    assert_eq!(main.matches("maintenanceWindow: {").count(), 3, "{main}");
    let readme = std::fs::read_to_string(every.path().join("prod/auth/README.md")).unwrap();
    let unlock = readme
        .find("az lock delete -g rg-phonebill-prod -n lock-phonebill-auth-postgresql-prod --resource phonebill-auth-postgresql-prod --resource-type Microsoft.DBforPostgreSQL/flexibleServers")
        .unwrap_or_else(|| panic!("no lock removal in\n{readme}"));
    let delete = readme
        .find("az postgres flexible-server delete -g rg-phonebill-prod -n phonebill-auth-postgresql-prod --yes")
        .unwrap();
    assert!(unlock < delete, "{readme}");
    for wanted in [
        "| Maintenance window | every server | Sunday 02:30 UTC, weekly |",
        "| Azure role assignment | on `phonebill-auth-postgresql-prod` | Monitoring Reader for Group 7d3f1c2a-4b5e-4f60-9a1b-2c3d4e5f6a7b |",
        "- identity `id-pg-backup-krs`: key `pg-krs` of vault `kv-pg-krs`.",
        "logs PostgreSQLLogs, PostgreSQLFlexSessions, metrics off,",
    ] {
        assert!(readme.contains(wanted), "no {wanted} in\n{readme}");
    }
    assert_eq!(main.matches("dataEncryption: {").count(), 3, "{main}");
    for unwanted in [
        "AllMetrics",
        "administratorLoginPassword",
        "administratorLogin:",
    ] {
        assert!(!main.contains(unwanted), "{unwanted} in\n{main}");
    }

    let named = named_replica_subnet_variant();
    let main = std::fs::read_to_string(named.path().join("prod/auth/bicep/main.bicep")).unwrap();
    assert!(main.contains("name: 'phonebill-vnet-dr'"), "{main}");
    // A replica's tier is its own SKU's, not the primary's (issue 19).
    assert!(
        main.contains("name: 'Standard_E4ds_v5'\n    tier: 'MemoryOptimized'"),
        "{main}"
    );
    assert_eq!(main.matches("tier: 'GeneralPurpose'").count(), 2, "{main}");
    assert!(!main.contains("administratorLoginPassword"), "{main}");
    assert!(main.contains("passwordAuth: 'Disabled'"), "{main}");
    let param =
        std::fs::read_to_string(named.path().join("prod/auth/bicep/main.bicepparam")).unwrap();
    assert!(
        !param.contains("getSecret") && !param.contains("AZURE_SUBSCRIPTION_ID"),
        "{param}"
    );
}

/// Issue 19: the host names are made from the server names, not read from
/// `properties.fullyQualifiedDomainName`, which Azure intermittently leaves out right after
/// creation; the Entra administrators wait for the server parameters, as AVM orders them
/// (Azure/bicep-registry-modules#3355), and come before the database.
#[test]
fn outputs_are_deterministic_and_the_entra_administrators_come_late() {
    let out = tools::render_example();
    let main = std::fs::read_to_string(out.path().join("prod/auth/bicep/main.bicep")).unwrap();
    let code = main.lines().filter(|l| !l.trim_start().starts_with("//"));
    for line in code {
        assert!(!line.contains("fullyQualifiedDomainName"), "{line}");
    }
    for host in [
        "output serverFqdn string = 'phonebill-auth-postgresql-prod.postgres.database.azure.com'",
        "  'phonebill-auth-postgresql-prod-krs.postgres.database.azure.com'\n",
        "  'phonebill-auth-postgresql-prod-krc.postgres.database.azure.com'\n",
    ] {
        assert!(main.contains(host), "no {host} in\n{main}");
    }
    let at = |what: &str| {
        main.find(what)
            .unwrap_or_else(|| panic!("no {what} in\n{main}"))
    };
    let admin = at("flexibleServers/administrators@");
    let last_configuration = main.rfind("resource configuration_").unwrap();
    assert!(last_configuration < admin, "{main}");
    // The SQL target creates the database, as the administrator who gives it to its owner.
    assert!(!main.contains("flexibleServers/databases@"), "{main}");
    let admin_body = &main[admin..];
    let admin_body = &admin_body[..admin_body.find("\n}\n").unwrap()];
    assert!(
        admin_body.contains("dependsOn: [\n    configuration_"),
        "{admin_body}"
    );
    let readme = std::fs::read_to_string(out.path().join("prod/auth/README.md")).unwrap();
    assert!(
        readme.contains("AadAuthOperationCannotBePerformedWhenServerIsNotAccessible")
            && readme.contains("run the same commands again"),
        "{readme}"
    );
}

#[test]
fn the_example_renders_bicep_for_every_flexible_server_target() {
    let out = tools::render_example();
    let folders = bicep_folders(out.path());
    assert_eq!(folders, vec![out.path().join("prod/auth/bicep")]);
    for name in ["main.bicep", "main.bicepparam"] {
        assert!(folders[0].join(name).is_file(), "{name} is missing");
    }
}

#[test]
fn every_bicep_folder_type_checks_against_azure_type_data() {
    let outs = [
        tools::render_example(),
        public_variant(),
        public_replicas_variant(),
        private_endpoint_variant(),
        named_replica_subnet_variant(),
        every_new_field_variant(),
    ];
    let folders: Vec<PathBuf> = outs
        .iter()
        .flat_map(|out| bicep_folders(out.path()))
        .collect();
    assert_eq!(folders.len(), 6);
    for folder in folders {
        // Each symbol is declared once (Bicep refuses a second declaration, BCP028, which the
        // type checker, judging bodies only, does not see).
        let main = std::fs::read_to_string(folder.join("main.bicep")).unwrap();
        let mut declared = std::collections::BTreeSet::new();
        for line in main.lines() {
            let mut words = line.split_whitespace();
            if let (Some("resource" | "var" | "param" | "output"), Some(name)) =
                (words.next(), words.next())
            {
                assert!(
                    declared.insert(name.to_owned()),
                    "{} declares {name} twice",
                    folder.display()
                );
            }
        }
        let run = tools::bicep_typecheck()
            .arg("--strict-types")
            .arg(&folder)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        let report = format!("{}:\n{stdout}{stderr}", folder.display());
        assert_eq!(run.status.code(), Some(0), "{report}");
        let summary = stdout
            .lines()
            .chain(stderr.lines())
            .find(|l| l.starts_with("bicep-typecheck:"))
            .unwrap_or_else(|| panic!("no summary line in {report}"));
        assert!(summary.contains(" 0 unchecked"), "{report}");
        assert!(summary.contains(" 0 errors"), "{report}");
        assert!(!summary.contains(" 0 resources checked"), "{report}");
    }
}

#[test]
fn every_bicep_file_parses_with_checkovs_pycep() {
    let outs = [
        tools::render_example(),
        public_variant(),
        public_replicas_variant(),
        private_endpoint_variant(),
        named_replica_subnet_variant(),
        every_new_field_variant(),
    ];
    let files: Vec<PathBuf> = outs
        .iter()
        .flat_map(|out| bicep_files(out.path()))
        .collect();
    assert_eq!(files.len(), 6);
    let script = "import sys\nfrom pathlib import Path\nfrom pycep import BicepParser\nfor f in sys.argv[1:]:\n    BicepParser().parse(file_path=Path(f))\n    print('parsed', f)\n";
    let run = Command::new(tools::venv_bin("python"))
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "pycep-parser refused a file:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("parsed ")).count(),
        files.len(),
        "{stdout}"
    );
}

#[test]
fn the_pycep_in_the_test_venv_is_checkovs_version() {
    let run = Command::new(tools::venv_bin("python"))
        .args([
            "-c",
            "from importlib.metadata import version; print(version('pycep-parser'))",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "0.5.1");
}

/// Issue 19: a replica is created only when the deployment is allowed to (after the primary's
/// restart), and never PUT as a new server once it exists; each replica's state is its own.
#[test]
fn replicas_are_created_once_and_only_after_the_primary_restart() {
    let out = tools::render_example();
    let bicep = out.path().join("prod/auth/bicep");
    let main = std::fs::read_to_string(bicep.join("main.bicep")).unwrap();
    let param = std::fs::read_to_string(bicep.join("main.bicepparam")).unwrap();
    for replica in ["krs", "krc"] {
        let exists = format!("replica_phonebill_auth_postgresql_prod_{replica}_exists");
        for wanted in [
            format!(
                "var {exists} = contains(existingReplicas, 'phonebill-auth-postgresql-prod-{replica}')"
            ),
            format!(
                "resource replica_phonebill_auth_postgresql_prod_{replica} 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = if (createReplicas || {exists}) {{"
            ),
            format!("    createMode: {exists} ? null : 'Replica'\n"),
            format!("    sourceServerResourceId: {exists} ? null : server.id\n"),
            // The design's parameters reach the replica too (Azure copies them only at creation).
            format!(
                "= if (createReplicas || {exists}) {{\n  parent: replica_phonebill_auth_postgresql_prod_{replica}\n  name: 'max_connections'"
            ),
            format!(
                "'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (createReplicas || {exists}) {{"
            ),
        ] {
            assert!(main.contains(&wanted), "no {wanted} in\n{main}");
        }
    }
    assert!(!main.contains("replicasExist"), "{main}");
    // Unset variables mean: no replica exists, none is created.
    for wanted in [
        "param existingReplicas = split(readEnvironmentVariable('PHONEBILL_AUTH_POSTGRESQL_PROD_EXISTING_REPLICAS', ''), ',')",
        "param createReplicas = bool(readEnvironmentVariable('PHONEBILL_AUTH_POSTGRESQL_PROD_CREATE_REPLICAS', 'false'))",
    ] {
        assert!(param.contains(wanted), "no {wanted} in\n{param}");
    }

    // The plan: servers without new replicas, the restart (replicas first), then the
    // replicas, then the alerts that watch them, then the SQL; each deployment reads the
    // list of existing replicas anew.
    let readme = std::fs::read_to_string(out.path().join("prod/auth/README.md")).unwrap();
    let at = |what: &str, from: usize| {
        from + readme[from..]
            .find(what)
            .unwrap_or_else(|| panic!("no {what} after byte {from} in\n{readme}"))
    };
    let list = "export PHONEBILL_AUTH_POSTGRESQL_PROD_EXISTING_REPLICAS=\"$(az postgres flexible-server list -g rg-phonebill-prod";
    let first = at(list, 0);
    let no_create = at(
        "export PHONEBILL_AUTH_POSTGRESQL_PROD_CREATE_REPLICAS=false",
        first,
    );
    let servers = at("-n auth-prod-main", no_create);
    let restart = at(
        "servers=\"${replicas//,/ } phonebill-auth-postgresql-prod\"",
        servers,
    );
    let again = at(list, restart);
    let create = at(
        "export PHONEBILL_AUTH_POSTGRESQL_PROD_CREATE_REPLICAS=true",
        again,
    );
    let replicas = at("-n auth-prod-main", create);
    let alerts = at("-n auth-prod-alerts", replicas);
    at("-f sql/01-database.psql", alerts);
    assert!(
        readme.contains("--query \"[?contains(['phonebill-auth-postgresql-prod-krs', 'phonebill-auth-postgresql-prod-krc'], name)].name | join(',', @)\" -o tsv"),
        "{readme}"
    );
    // Scale-ups reach the replicas first, with the design's compute and storage.
    let scale = at(
        "az postgres flexible-server update -g rg-phonebill-prod -n phonebill-auth-postgresql-prod-krs --sku-name Standard_D4s_v3 --tier GeneralPurpose",
        0,
    );
    assert!(scale < restart, "{readme}");
}

/// The JMESPath query of the README picks, from `az postgres flexible-server list`, the
/// replicas that exist and joins them as main.bicepparam splits them; checked with the
/// jmespath package that azure-cli uses, on a made-up listing.
#[test]
fn the_existing_replica_query_selects_what_the_bicepparam_splits() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join("prod/auth/README.md")).unwrap();
    let start = readme.find("--query \"[?contains(").unwrap() + "--query \"".len();
    let query = &readme[start..start + readme[start..].find('"').unwrap()];
    let script = "import json, sys, jmespath\nprint(jmespath.search(sys.argv[1], json.loads(sys.argv[2])))\n";
    let listing = |names: &[&str]| {
        serde_json::to_string(
            &names
                .iter()
                .map(|n| serde_json::json!({ "name": n }))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    for (servers, want) in [
        (vec![], ""),
        (vec!["phonebill-auth-postgresql-prod", "other"], ""),
        (
            vec![
                "phonebill-auth-postgresql-prod",
                "phonebill-auth-postgresql-prod-krc",
            ],
            "phonebill-auth-postgresql-prod-krc",
        ),
        (
            vec![
                "phonebill-auth-postgresql-prod-krs",
                "phonebill-auth-postgresql-prod-krc",
                "phonebill-auth-postgresql-prod-krs-old",
            ],
            "phonebill-auth-postgresql-prod-krs,phonebill-auth-postgresql-prod-krc",
        ),
    ] {
        let run = Command::new(tools::venv_bin("python"))
            .args(["-c", script, query, &listing(&servers)])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stdout).trim_end(),
            want,
            "{servers:?}"
        );
    }
}
