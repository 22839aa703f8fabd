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

/// Public access with a firewall rule, Premium SSD v2 storage and a Key Vault in a named
/// subscription.
fn public_variant() -> tempfile::TempDir {
    render_variant(&[
        (
            "environments/prod.yaml",
            PRIVATE_NETWORK,
            "    access: public\n    firewallRules:\n      - { name: AllowAKSSubnet, startIpAddress: 10.0.1.0, endIpAddress: 10.0.1.255 }\n",
        ),
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

/// Private-endpoint-only: public access with two private endpoints and their DNS zone in
/// another subscription.
fn private_endpoint_variant() -> tempfile::TempDir {
    render_variant(&[(
        "environments/prod.yaml",
        PRIVATE_NETWORK,
        "    access: public\n    virtualNetwork: { name: phonebill-vnet-prod, resourceGroup: rg-phonebill-prod }\n    privateEndpoints:\n      - { name: pe-phonebill-auth, subnet: endpoint-subnet }\n      - { name: pe-phonebill-auth-hub, subnet: hub-subnet }\n    privateEndpointDnsZone: { resourceGroup: rg-dns, subscriptionId: 00000000-0000-0000-0000-000000000002 }\n",
    )])
}

/// Private access with the cross-region replica in a subnet named in the inputs, Entra only,
/// and on a MemoryOptimized SKU under the GeneralPurpose primary.
fn named_replica_subnet_variant() -> tempfile::TempDir {
    render_variant(&[
        (
            "services/auth.yaml",
            "sku: Standard_D2s_v3",
            "sku: Standard_E2ds_v5",
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
    ])
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
        "'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {\n  parent: privateEndpoint_pe_phonebill_auth\n  name: 'default'",
        "'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {\n  parent: privateEndpoint_pe_phonebill_auth_hub\n  name: 'default'",
        "privateDnsZoneId: privateEndpointDnsZone.id",
    ] {
        assert!(main.contains(wanted), "no {wanted} in\n{main}");
    }
    for unwanted in ["publicNetworkAccess: 'Enabled'", "firewallRules@"] {
        assert!(!main.contains(unwanted), "{unwanted} in\n{main}");
    }
    let readme = std::fs::read_to_string(endpoints.path().join("prod/auth/README.md")).unwrap();
    assert!(readme.contains("public access off"), "{readme}");
    assert!(
        readme.contains("the read replicas get\n  no private endpoint of their own"),
        "{readme}"
    );

    let named = named_replica_subnet_variant();
    let main = std::fs::read_to_string(named.path().join("prod/auth/bicep/main.bicep")).unwrap();
    assert!(main.contains("name: 'phonebill-vnet-dr'"), "{main}");
    // A replica's tier is its own SKU's, not the primary's (issue 19).
    assert!(
        main.contains("name: 'Standard_E2ds_v5'\n    tier: 'MemoryOptimized'"),
        "{main}"
    );
    assert_eq!(main.matches("tier: 'GeneralPurpose'").count(), 2, "{main}");
    assert!(!main.contains("administratorLoginPassword"), "{main}");
    assert!(main.contains("passwordAuth: 'Disabled'"), "{main}");
    let param =
        std::fs::read_to_string(named.path().join("prod/auth/bicep/main.bicepparam")).unwrap();
    assert!(
        !param.contains("readEnvironmentVariable") && !param.contains("getSecret"),
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
    let last_configuration = main.rfind("flexibleServers/configurations@").unwrap();
    assert!(last_configuration < admin, "{main}");
    assert!(admin < at("flexibleServers/databases@"), "{main}");
    let admin_body = &main[admin..];
    let admin_body = &admin_body[..admin_body.find("\n}\n").unwrap()];
    assert!(
        admin_body.contains("dependsOn: [\n    configuration_"),
        "{admin_body}"
    );
    let readme = std::fs::read_to_string(out.path().join("prod/auth/README.md")).unwrap();
    assert!(
        readme.contains("AadAuthOperationCannotBePerformedWhenServerIsNotAccessible")
            && readme.contains("run the same command again"),
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
        private_endpoint_variant(),
        named_replica_subnet_variant(),
    ];
    let folders: Vec<PathBuf> = outs
        .iter()
        .flat_map(|out| bicep_folders(out.path()))
        .collect();
    assert_eq!(folders.len(), 4);
    for folder in folders {
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
        private_endpoint_variant(),
        named_replica_subnet_variant(),
    ];
    let files: Vec<PathBuf> = outs
        .iter()
        .flat_map(|out| bicep_files(out.path()))
        .collect();
    assert_eq!(files.len(), 4);
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
