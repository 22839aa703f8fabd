//! The plan of a target's Bicep: what `az deployment group create` does with each changed
//! property, from the table [`RULES`] (resource type, property path, effect, source).

use serde_json::Value;

use super::bicep_objects::{self, Declared};
use super::tree::{self, Seg};
use super::{Effect, FileRef, Item, Judge, Rule, fill, judge, plain, rule_for};
use crate::model::azure_parameters;

const SERVER: &str = "Microsoft.DBforPostgreSQL/flexibleServers";

/// The resource type of a workbook.
const WORKBOOK: &str = "Microsoft.Insights/workbooks";
const CONFIGURATION: &str = "Microsoft.DBforPostgreSQL/flexibleServers/configurations";

/// Growing a Premium SSD disk to this size (GiB) or past it restarts the server: "reaching or
/// crossing the 4,096 GiB boundary ... is an offline operation", also when 4,096 GiB is given
/// explicitly (MicrosoftDocs/azure-databases-docs, concepts-storage-premium-ssd.md, the
/// primary source; azure-cli's own prompt only asks above 4,096). Never on Premium SSD v2.
const PREMIUM_SSD_ONLINE_LIMIT_GB: f64 = 4096.0;

/// What a deployment does with a change of each property of the resources gen writes.
/// A property no row covers is `unknown`.
pub const RULES: &[Rule] = &[
    Rule {
        kind: "*",
        field: "tags",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the tags",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources",
    },
    Rule {
        kind: "*",
        field: "dependsOn",
        judge: Judge::Fixed(Effect::InPlace),
        action: "only the order of the deployment changes",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/bicep/resource-dependencies",
    },
    Rule {
        kind: "*",
        field: "condition",
        judge: Judge::Fixed(Effect::InPlace),
        action: "only when the deployment writes the resource changes",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/bicep/conditional-resource-deployment",
    },
    Rule {
        kind: "*",
        field: "name",
        judge: Judge::Fixed(Effect::Replace),
        action: "a resource cannot be renamed: the deployment creates {to} and leaves {from}; delete that one by hand once nothing uses it (an incremental deployment deletes nothing)",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes",
    },
    Rule {
        kind: "*",
        field: "location",
        judge: Judge::Fixed(Effect::Replace),
        action: "a resource does not move to another region by deployment: Azure refuses it; create it in {to} and delete the one in {from}",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/management/move-region",
    },
    Rule {
        kind: "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the rule",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-firewall-rules",
    },
    Rule {
        kind: "Microsoft.DBforPostgreSQL/flexibleServers/administrators",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the administrator",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-azure-ad-users",
    },
    Rule {
        kind: "Microsoft.DBforPostgreSQL/flexibleServers/advancedThreatProtectionSettings",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment turns Defender for Cloud's protection on or off",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-security",
    },
    Rule {
        kind: "Microsoft.Insights/diagnosticSettings",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the diagnostic setting",
        source: "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    },
    Rule {
        kind: "Microsoft.Insights/metricAlerts",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the alert rule",
        source: "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-metric-create-templates",
    },
    Rule {
        kind: "Microsoft.Insights/activityLogAlerts",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the alert rule",
        source: "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-activity-log",
    },
    Rule {
        kind: "Microsoft.Insights/actionGroups",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the action group",
        source: "https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups",
    },
    Rule {
        kind: "Microsoft.Insights/scheduledQueryRules",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the alert rule",
        source: "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-log-create-templates",
    },
    Rule {
        kind: "Microsoft.AlertsManagement/prometheusRuleGroups",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the rule group",
        source: "https://learn.microsoft.com/azure/azure-monitor/essentials/prometheus-rule-groups",
    },
    Rule {
        kind: WORKBOOK,
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the workbook (its name and charts); changes made to it in the portal are overwritten",
        source: "https://learn.microsoft.com/azure/azure-monitor/visualize/workbooks-automate",
    },
    Rule {
        kind: WORKBOOK,
        field: "kind",
        judge: Judge::Fixed(Effect::Replace),
        action: "a workbook's kind is set when it is created: delete the workbook and deploy again",
        source: "https://learn.microsoft.com/azure/templates/microsoft.insights/workbooks",
    },
    Rule {
        kind: "Microsoft.Authorization/locks",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the lock",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",
    },
    Rule {
        kind: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        field: "properties.registrationEnabled",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the link",
        source: "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
    },
    Rule {
        kind: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        field: "properties.resolutionPolicy",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the link",
        source: "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
    },
    Rule {
        kind: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        field: "properties",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the DNS records of the endpoint",
        source: "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
    },
    Rule {
        kind: SERVER,
        field: "properties.authConfig",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the authentication methods",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-azure-ad-authentication",
    },
    Rule {
        kind: SERVER,
        field: "properties.backup.backupRetentionDays",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the retention",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore",
    },
    Rule {
        kind: SERVER,
        field: "properties.maintenanceWindow",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the maintenance window",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-maintenance",
    },
    Rule {
        kind: SERVER,
        field: "properties.highAvailability.mode",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment turns high availability on or off online (a new standby is built from a backup); Azure refuses a switch between SameZone and ZoneRedundant: `az postgres flexible-server update --resource-group {rg} --name {name} --zonal-resiliency Disabled` first, then deploy",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-high-availability",
    },
    Rule {
        kind: SERVER,
        field: "properties.storage.autoGrow",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates it",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-storage",
    },
    Rule {
        kind: SERVER,
        field: "properties.storage.tier",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment changes the performance tier online",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-storage",
    },
    Rule {
        kind: SERVER,
        field: "properties.storage.iops",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment changes the IOPS online",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-storage",
    },
    Rule {
        kind: SERVER,
        field: "properties.storage.throughput",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment changes the throughput online",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-storage",
    },
    Rule {
        kind: CONFIGURATION,
        field: "properties.source",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment records the parameter as set by the user",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-server-parameters",
    },
    Rule {
        kind: "*",
        field: "identity",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment updates the identities",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-identity",
    },
    Rule {
        kind: "Microsoft.Authorization/roleAssignments",
        field: "properties",
        judge: Judge::Fixed(Effect::Replace),
        action: "a role assignment cannot change: delete it (`az role assignment delete --ids <its resource ID>`), then deploy again",
        source: "https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template (\"role assignments can't be updated\")",
    },
    Rule {
        kind: "Microsoft.Network/privateEndpoints",
        field: "properties",
        judge: Judge::Fixed(Effect::Replace),
        action: "a private endpoint's subnet and connection are fixed: delete the endpoint (`az network private-endpoint delete --resource-group {rg} --name {name}`), then deploy again; clients lose the endpoint in between",
        source: "https://learn.microsoft.com/azure/private-link/private-endpoint-overview",
    },
    Rule {
        kind: SERVER,
        field: "location",
        judge: Judge::Fixed(Effect::Replace),
        action: "a server cannot move to another region: Azure refuses it. Create a server in {to} (a geo-restore, or a read replica there promoted), switch the clients, then delete the old one",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-move-regions",
    },
    Rule {
        kind: SERVER,
        field: "name",
        judge: Judge::Fixed(Effect::Replace),
        action: "a server cannot be renamed: the deployment creates an empty {to} and leaves {from} running. Move the data (pg_dump/pg_restore), switch the clients, then delete {from}",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/quickstart-create-server",
    },
    Rule {
        kind: SERVER,
        field: "sku",
        judge: Judge::Fixed(Effect::Restart),
        action: "the deployment scales the compute, which restarts the server (a short outage; with high availability, the standby is scaled first and the server fails over)",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-scaling-resources",
    },
    Rule {
        kind: SERVER,
        field: "properties.version",
        judge: Judge::Size {
            grow: Effect::Manual,
            shrink: Effect::Replace,
        },
        action: "a new major version is not applied by the deployment: run `az postgres flexible-server upgrade --resource-group {rg} --name {name} --version {to}` first (the server is offline while it upgrades). Azure refuses it while the server has read replicas: delete them first and let the deployment create them again after the upgrade; a replica itself is not upgraded but deleted and created again; a server on Premium SSD v2 cannot be upgraded in place. Azure never lowers a major version: that needs a new server and pg_dump/pg_restore",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-major-version-upgrade",
    },
    Rule {
        kind: SERVER,
        field: "properties.administratorLogin",
        judge: Judge::Fixed(Effect::Replace),
        action: "the administrator login is fixed when the server is created: keep it, or create a new server and move the data",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-server-portal",
    },
    Rule {
        kind: SERVER,
        field: "properties.storage.storageSizeGB",
        judge: Judge::Size {
            grow: Effect::InPlace,
            shrink: Effect::Replace,
        },
        action: "storage grows online (growing a Premium SSD disk to 4,096 GiB or more restarts the server); Azure refuses to shrink it: a smaller disk needs a new server and pg_dump/pg_restore",
        source: "MicrosoftDocs/azure-databases-docs articles/postgresql/flexible-server/concepts-storage-premium-ssd.md (\"reaching or crossing the 4,096 GiB boundary ... is an offline operation\"); https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-scale-compute-storage-portal (\"You can't scale down the storage\")",
    },
    Rule {
        kind: SERVER,
        field: "properties.storage.type",
        judge: Judge::Fixed(Effect::Replace),
        action: "the storage type is fixed when the server is created: a point-in-time restore into a new server with the new type (`az postgres flexible-server restore --resource-group {rg} --name <new server> --source-server {name} --storage-type {to}`), then a switch of the clients",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-storage",
    },
    Rule {
        kind: SERVER,
        field: "properties.availabilityZone",
        judge: Judge::Fixed(Effect::Replace),
        action: "a server does not move to another zone: keep the zone, or (with high availability) swap zones with a planned failover: `az postgres flexible-server restart --resource-group {rg} --name {name} --failover Planned`",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-high-availability",
    },
    Rule {
        kind: SERVER,
        field: "properties.highAvailability.standbyAvailabilityZone",
        judge: Judge::Fixed(Effect::Manual),
        action: "the standby's zone changes only by turning high availability off and on: `az postgres flexible-server update --resource-group {rg} --name {name} --zonal-resiliency Disabled`, then `az postgres flexible-server update --resource-group {rg} --name {name} --zonal-resiliency Enabled --standby-zone {to}` (no standby in between)",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-high-availability; azure-cli 2.91 postgresql/_params.py (--zonal-resiliency Enabled|Disabled, --standby-zone)",
    },
    Rule {
        kind: SERVER,
        field: "properties.backup.geoRedundantBackup",
        judge: Judge::Fixed(Effect::Replace),
        action: "geo-redundant backup is chosen when the server is created: a new server (a restore of this one with the option) and a switch of the clients",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore",
    },
    Rule {
        kind: SERVER,
        field: "properties.network",
        judge: Judge::Fixed(Effect::Replace),
        action: "the network mode (VNet integration or public access) and the delegated subnet are fixed when the server is created: from one delegated subnet to another, a point-in-time restore into the new subnet; between public access and VNet integration (no restore crosses them), a new server and pg_dump/pg_restore; then a switch of the clients",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking",
    },
    Rule {
        kind: SERVER,
        field: "properties.network.privateDnsZoneArmResourceId",
        judge: Judge::Fixed(Effect::Manual),
        action: "the deployment changes the private DNS zone, but Azure refuses it while high availability is on: `az postgres flexible-server update --resource-group {rg} --name {name} --zonal-resiliency Disabled`, deploy, then `az postgres flexible-server update --resource-group {rg} --name {name} --zonal-resiliency Enabled` (no standby in between)",
        source: "MicrosoftDocs/azure-databases-docs articles/postgresql/flexible-server/concepts-networking-private.md (changing the private DNS zone; disabled with high availability)",
    },
    Rule {
        kind: SERVER,
        field: "properties.network.publicNetworkAccess",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment turns public access on or off (private endpoints stay)",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private-link",
    },
    Rule {
        kind: SERVER,
        field: "properties.dataEncryption",
        judge: Judge::Fixed(Effect::Replace),
        action: "customer-managed keys are chosen when the server is created (Azure refuses to turn them on or off later): a new server restored with the key, and a switch of the clients",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-data-encryption",
    },
    Rule {
        kind: SERVER,
        field: "properties.dataEncryption.primaryKeyURI",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment points the server at the new key (a key rotation)",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-data-encryption",
    },
    Rule {
        kind: SERVER,
        field: "properties.dataEncryption.geoBackupKeyURI",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment points the geo-backup at the new key (a key rotation)",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-data-encryption",
    },
    Rule {
        kind: SERVER,
        field: "properties.createMode",
        judge: Judge::Fixed(Effect::Replace),
        action: "how a server is created cannot change afterwards: delete the server and deploy again (a replica is then created anew)",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-read-replicas",
    },
    Rule {
        kind: SERVER,
        field: "properties.sourceServerResourceId",
        judge: Judge::Fixed(Effect::Replace),
        action: "a replica's source cannot change: delete the replica (`az postgres flexible-server delete --resource-group {rg} --name {name}`) and deploy again to create it from the new source",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-read-replicas",
    },
    Rule {
        kind: SERVER,
        field: "properties.administratorLoginPassword",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment sets the administrator's password to the Key Vault secret's value",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-server-portal",
    },
    Rule {
        kind: "Microsoft.Insights/diagnosticSettings",
        field: "scope",
        judge: Judge::Fixed(Effect::Replace),
        action: "a diagnostic setting belongs to one resource: the deployment creates one on the new resource and leaves the old one (`az monitor diagnostic-settings delete --name {name} --resource <the old resource's ID>`)",
        source: "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    },
    Rule {
        kind: "Microsoft.Authorization/locks",
        field: "scope",
        judge: Judge::Fixed(Effect::Replace),
        action: "a lock belongs to one resource: the deployment locks the new one and leaves the lock on the old one (`az lock delete --ids <the old lock's ID>`)",
        source: "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources (a lock is an extension resource of its scope)",
    },
    Rule {
        kind: "Microsoft.Authorization/roleAssignments",
        field: "scope",
        judge: Judge::Fixed(Effect::Replace),
        action: "a role assignment belongs to one scope: the deployment creates one on the new scope and leaves the old one (`az role assignment delete --ids <the old assignment's ID>`)",
        source: "https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template (scope of a role assignment)",
    },
    Rule {
        kind: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        field: "properties.virtualNetwork",
        judge: Judge::Fixed(Effect::Replace),
        action: "a link's virtual network is fixed: delete the link (`az network private-dns link vnet delete --resource-group {rg} --zone-name {parent} --name {name}`), then deploy again",
        source: "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
    },
    Rule {
        kind: CONFIGURATION,
        field: "properties.value",
        judge: Judge::Fixed(Effect::InPlace),
        action: "the deployment sets the parameter; the server applies it without a restart",
        source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-server-parameters",
    },
];

/// The restart row, for a static server parameter (the table of
/// [`azure_parameters::STATIC_PARAMETERS`] says which are).
const STATIC_PARAMETER: Rule = Rule {
    kind: CONFIGURATION,
    field: "properties.value",
    judge: Judge::Fixed(Effect::Restart),
    action: "the deployment sets it, but the server applies it only when restarted: `az postgres flexible-server restart --resource-group {rg} --name {server}` (the README's restart step: replicas first when a value went up, the primary first when it went down)",
    source: "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-server-parameters (static parameters)",
};

/// What the rules of one Bicep file need besides the resource.
struct Context {
    resource_group: String,
    /// The arguments of the file's deployment command but the resource group, for a what-if
    /// of the same deployment.
    deployment: String,
    /// Major version of the file's servers, for static parameters.
    major: Option<u32>,
    /// Every resource of the new render, then the previous one's, to name children.
    names: Vec<(String, String)>,
}

/// The items of one changed Bicep or `.bicepparam` file.
pub fn items(file: &FileRef, old: Option<&str>, new: Option<&str>) -> Vec<Item> {
    let before = old.map(bicep_objects::parse).unwrap_or_default();
    let after = new.map(bicep_objects::parse).unwrap_or_default();
    let (resource_group, deployment) = match new.or(old).and_then(deployment_arguments) {
        Some(arguments) => split_resource_group(&arguments),
        None => (None, format!("--template-file {}", file.path)),
    };
    let context = Context {
        resource_group: resource_group.unwrap_or_else(|| "<resource group>".to_owned()),
        deployment,
        major: after
            .iter()
            .chain(&before)
            .filter(|d| d.kind == SERVER)
            .find_map(|d| {
                d.tree
                    .pointer("/properties/version")
                    .and_then(Value::as_str)
                    .and_then(azure_parameters::major_of)
            }),
        names: after
            .iter()
            .chain(&before)
            .map(|d| (d.symbol.clone(), d.name()))
            .collect(),
    };
    let mut items = Vec::new();
    for new in &after {
        match before
            .iter()
            .find(|old| old.symbol == new.symbol && old.kind == new.kind)
        {
            Some(old) => items.extend(
                tree::diff(&old.tree, &new.tree)
                    .into_iter()
                    .map(|change| change_item(file, &context, new, old, &change)),
            ),
            None => items.push(added(file, &context, new)),
        }
    }
    for old in &before {
        if !after
            .iter()
            .any(|new| new.symbol == old.symbol && new.kind == old.kind)
        {
            items.push(removed(file, &context, old));
        }
    }
    items
}

/// The arguments of the file's deployment command (the comment
/// `az deployment group create -g X -n … -f … -p …` gen writes at its top).
fn deployment_arguments(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.split_once("az deployment group create ")?.1;
        Some(rest.trim().to_owned())
    })
}

/// A deployment command's resource group (`-g X`), and its other arguments.
fn split_resource_group(arguments: &str) -> (Option<String>, String) {
    let mut resource_group = None;
    let mut others = Vec::new();
    let mut words = arguments.split_whitespace();
    while let Some(word) = words.next() {
        if word == "-g" {
            resource_group = words.next().map(str::to_owned);
        } else {
            others.push(word);
        }
    }
    (resource_group, others.join(" "))
}

impl Context {
    /// `<type>/<parent>/<name>` for a child, `<type>/<name>` otherwise, as the plan names
    /// the object.
    fn object(&self, resource: &Declared) -> String {
        let name = resource.name();
        if resource.kind == "param" {
            return format!("param/{}", resource.symbol);
        }
        match resource.tree.get("parent").and_then(Value::as_str) {
            Some(parent) => format!("{}/{}/{name}", resource.short_kind(), self.name_of(parent)),
            None => format!("{}/{name}", resource.short_kind()),
        }
    }

    fn name_of(&self, symbol: &str) -> String {
        self.names
            .iter()
            .find(|(s, _)| s == symbol)
            .map_or_else(|| symbol.to_owned(), |(_, name)| name.clone())
    }

    /// The server a resource is, or belongs to.
    fn server_of(&self, resource: &Declared) -> String {
        match resource.tree.get("parent").and_then(Value::as_str) {
            Some(parent) => self.name_of(parent),
            None => resource.name(),
        }
    }

    fn is_static(&self, resource: &Declared) -> bool {
        resource.kind == CONFIGURATION
            && self
                .major
                .is_some_and(|major| azure_parameters::is_static(&resource.name(), major))
    }
}

/// The change of a workbook file (`alerts/dashboard.workbook.json`): one item, its charts'
/// titles before and after, judged by the workbook's `properties.serializedData` row (the
/// deployment that loads it rewrites the workbook). A file added or removed is the workbook
/// resource of `alerts.bicep` added or removed, reported there.
pub fn workbook_items(file: &FileRef, old: Option<&str>, new: Option<&str>) -> Vec<Item> {
    let (Some(old), Some(new)) = (old, new) else {
        return Vec::new();
    };
    let titles = |text: &str| -> Value {
        let workbook: Value = serde_json::from_str(text).unwrap_or_default();
        workbook["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                item["content"]["title"]
                    .as_str()
                    .or_else(|| item["content"]["json"].as_str())
                    .map(|t| Value::from(t.lines().next().unwrap_or_default()))
            })
            .collect()
    };
    let field = [
        Seg::Key("properties".to_owned()),
        Seg::Key("serializedData".to_owned()),
    ];
    let (effect, action) = match rule_for(RULES, WORKBOOK, &field) {
        Some(rule) => (
            judge(rule, &Value::Null, &Value::Null, |_| None),
            rule.action.to_owned(),
        ),
        None => (
            Effect::Unknown,
            "no row for a workbook's content".to_owned(),
        ),
    };
    vec![file.item(
        format!(
            "workbooks/{}",
            file.path.rsplit('/').next().unwrap_or_default()
        ),
        tree::display(&field),
        (titles(old), titles(new)),
        (effect, action),
    )]
}

fn change_item(
    file: &FileRef,
    context: &Context,
    new: &Declared,
    old: &Declared,
    change: &tree::Change,
) -> Item {
    let object = context.object(new);
    let field = tree::display(&change.path);
    if new.kind == "param" {
        return file.item(
            object,
            field,
            (change.from.clone(), change.to.clone()),
            (
                Effect::InPlace,
                "the next deployment reads the new value".to_owned(),
            ),
        );
    }
    let rule = if context.is_static(new) && starts_with(&change.path, &["properties", "value"]) {
        Some(&STATIC_PARAMETER)
    } else {
        rule_for(RULES, &new.kind, &change.path)
    };
    let server = context.server_of(new);
    let (effect, action) = match rule {
        Some(rule) => (
            effect_of(rule, new, old, change),
            fill(
                rule.action,
                &[
                    ("rg", &context.resource_group),
                    ("name", &new.name()),
                    // A child's parent: a server, or the DNS zone of a virtual network link.
                    ("server", &server),
                    ("parent", &server),
                    ("from", &plain(&change.from)),
                    ("to", &plain(&change.to)),
                ],
            ),
        ),
        None => (
            Effect::Unknown,
            fill(
                UNKNOWN,
                &[
                    ("kind", &new.kind),
                    ("rg", &context.resource_group),
                    ("deployment", &context.deployment),
                ],
            ),
        ),
    };
    file.item(
        object,
        field,
        (change.from.clone(), change.to.clone()),
        (effect, action),
    )
}

/// The rule's effect, and the platform's exceptions to it that depend on other values.
fn effect_of(rule: &Rule, new: &Declared, old: &Declared, change: &tree::Change) -> Effect {
    let path = &change.path;
    if new.kind == SERVER
        && starts_with(path, &["properties", "storage", "storageSizeGB"])
        && let (Some(from), Some(to)) = (change.from.as_f64(), change.to.as_f64())
        && from < PREMIUM_SSD_ONLINE_LIMIT_GB
        && to >= PREMIUM_SSD_ONLINE_LIMIT_GB
        && new.tree.pointer("/properties/storage/type") != Some(&Value::from("PremiumV2_LRS"))
    {
        return Effect::Restart;
    }
    if new.kind == SERVER && starts_with(path, &["properties", "availabilityZone"]) {
        // With high availability on, a planned failover puts the primary in the standby's
        // zone: the design then names the zones as they are after it.
        let standby = old
            .tree
            .pointer("/properties/highAvailability/standbyAvailabilityZone");
        if standby.is_some() && standby == Some(&change.to) {
            return Effect::Manual;
        }
    }
    if new.kind == SERVER
        && starts_with(path, &["properties", "network", "publicNetworkAccess"])
        && new
            .tree
            .pointer("/properties/network/delegatedSubnetResourceId")
            .is_some()
    {
        // VNet integration and public access cannot be combined (concepts-networking-private.md).
        return Effect::Replace;
    }
    if new.kind == SERVER && starts_with(path, &["properties", "highAvailability", "mode"]) {
        let on = |v: &Value| v.as_str().is_some_and(|mode| mode != "Disabled");
        if on(&change.from) && on(&change.to) {
            // "Cannot switch Properties.HighAvailability.Mode directly": off, then on.
            return Effect::Manual;
        }
    }
    judge(rule, &change.from, &change.to, number)
}

fn added(file: &FileRef, context: &Context, resource: &Declared) -> Item {
    let (effect, action) = if resource.kind == "param" {
        (Effect::InPlace, "the next deployment reads it".to_owned())
    } else if context.is_static(resource) {
        (
            Effect::Restart,
            fill(
                STATIC_PARAMETER.action,
                &[
                    ("rg", &context.resource_group),
                    ("server", &context.server_of(resource)),
                ],
            ),
        )
    } else if resource.kind == SERVER && resource.tree.get("condition").is_some() {
        (
            Effect::InPlace,
            "created as a read replica by the README's deployment that allows creating replicas"
                .to_owned(),
        )
    } else {
        (Effect::InPlace, "the deployment creates it".to_owned())
    };
    file.item(
        context.object(resource),
        String::new(),
        (Value::Null, Value::from(context.object(resource))),
        (effect, action),
    )
}

/// What to do about a resource the new render no longer declares, per resource type (an
/// incremental deployment deletes nothing); [`REMOVED_OTHER`] for the other types.
const REMOVED: &[(&str, &str)] = &[
    ("param", "the deployment no longer passes it"),
    (
        CONFIGURATION,
        "an incremental deployment leaves the parameter as it was: reset it to its default with `az postgres flexible-server parameter set --resource-group {rg} --server-name {server} --name {name}` (no --value), and restart the server if the parameter is static",
    ),
    (
        SERVER,
        "an incremental deployment deletes nothing: once its data is no longer needed, `az postgres flexible-server delete --resource-group {rg} --name {name}` (remove its locks first)",
    ),
    (
        "Microsoft.DBforPostgreSQL/flexibleServers/administrators",
        "an incremental deployment deletes nothing: `az postgres flexible-server microsoft-entra-admin delete --resource-group {rg} --server-name {server} --object-id {name}`",
    ),
];

const REMOVED_WORKBOOK: &str = "an incremental deployment deletes nothing: before deploying this render, delete the workbook the last deployment made (its output names it): `az resource delete --ids \"$(az deployment group show --resource-group {rg} --name {deployment_name} --query properties.outputs.dashboardId.value --output tsv)\"`";

const REMOVED_OTHER: &str = "an incremental deployment deletes nothing: delete the {kind} {name} by hand (`az resource delete --ids <its resource ID>`) if it must go";

/// The action of a property no row covers: preview the deployment with Azure's own what-if.
const UNKNOWN: &str = "gen has no rule for this property of {kind}: check its documentation, and preview the deployment before running it: `az deployment group what-if --resource-group {rg} {deployment}`";

/// Every action text of this module, placeholders unfilled: the Azure CLI commands in
/// backquotes are checked against the CLI reference by the tests.
pub fn action_templates() -> impl Iterator<Item = &'static str> {
    RULES
        .iter()
        .chain([&STATIC_PARAMETER])
        .map(|rule| rule.action)
        .chain(REMOVED.iter().map(|(_, action)| *action))
        .chain([REMOVED_WORKBOOK, REMOVED_OTHER, UNKNOWN])
}

fn removed(file: &FileRef, context: &Context, resource: &Declared) -> Item {
    let template = match REMOVED.iter().find(|(kind, _)| *kind == resource.kind) {
        Some((_, action)) => action,
        None if resource.kind == WORKBOOK => REMOVED_WORKBOOK,
        None => REMOVED_OTHER,
    };
    let action = fill(
        template,
        &[
            ("rg", &context.resource_group),
            ("name", &resource.name()),
            ("server", &context.server_of(resource)),
            ("kind", &resource.kind),
            ("deployment_name", &deployment_name(&context.deployment)),
        ],
    );
    let effect = if resource.kind == "param" {
        Effect::InPlace
    } else {
        Effect::Manual
    };
    file.item(
        context.object(resource),
        String::new(),
        (Value::from(context.object(resource)), Value::Null),
        (effect, action),
    )
}

/// The `--name` (`-n`) of a deployment's arguments.
fn deployment_name(arguments: &str) -> String {
    let words: Vec<&str> = arguments.split_whitespace().collect();
    words
        .windows(2)
        .find(|pair| pair[0] == "--name" || pair[0] == "-n")
        .map_or_else(|| "<deployment>".to_owned(), |pair| pair[1].to_owned())
}

fn starts_with(path: &[Seg], keys: &[&str]) -> bool {
    path.len() >= keys.len()
        && path
            .iter()
            .zip(keys)
            .all(|(seg, key)| matches!(seg, Seg::Key(k) if k == key))
}

/// A number, or a number in a string (a version `'15'`).
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_changed_workbook_is_one_in_place_item_with_its_titles() {
        let file = FileRef::of("prod/svc/alerts/dashboard.workbook.json").unwrap();
        let old = r#"{"items":[{"content":{"json":"Heading"}},{"content":{"title":"CPU %"}}]}"#;
        let new = r#"{"items":[{"content":{"json":"Heading"}},{"content":{"title":"Memory %"}}]}"#;
        let items = workbook_items(&file, Some(old), Some(new));
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].effect, Effect::InPlace);
        assert_eq!(items[0].field, "properties.serializedData");
        assert_eq!(items[0].to, serde_json::json!(["Heading", "Memory %"]));
        assert!(workbook_items(&file, None, Some(new)).is_empty());
    }
    use super::*;

    const MAIN: &str = "// Deploy: az deployment group create -g rg-x -n d -f main.bicep -p main.bicepparam\nresource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {\n  name: 'srv'\n  location: 'koreacentral'\n  sku: {\n    name: 'Standard_D4s_v3'\n  }\n  properties: {\n    version: '15'\n    storage: {\n      storageSizeGB: 256\n    }\n    availabilityZone: '1'\n    highAvailability: {\n      mode: 'ZoneRedundant'\n      standbyAvailabilityZone: '2'\n    }\n  }\n}\n\nresource configuration_max_connections 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2025-08-01' = {\n  parent: server\n  name: 'max_connections'\n  properties: {\n    value: '100'\n  }\n}\n\nresource configuration_log_connections 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2025-08-01' = {\n  parent: server\n  name: 'log_connections'\n  properties: {\n    value: 'on'\n  }\n}\n";

    fn one(new: &str) -> Item {
        let file = FileRef::of("prod/svc/bicep/main.bicep").unwrap();
        let items = items(&file, Some(MAIN), Some(new));
        assert_eq!(items.len(), 1, "{items:#?}");
        items.into_iter().next().unwrap()
    }

    #[test]
    fn a_static_parameter_needs_a_restart_and_a_dynamic_one_does_not() {
        let item = one(&MAIN.replace("'100'", "'200'"));
        assert_eq!(item.effect, Effect::Restart);
        assert_eq!(item.object, "configurations/srv/max_connections");
        assert!(
            item.action
                .contains("restart --resource-group rg-x --name srv")
        );
        assert_eq!(one(&MAIN.replace("'on'", "'off'")).effect, Effect::InPlace);
    }

    #[test]
    fn storage_grows_online_restarts_past_4_tib_and_never_shrinks() {
        assert_eq!(one(&MAIN.replace("256", "512")).effect, Effect::InPlace);
        assert_eq!(one(&MAIN.replace("256", "8192")).effect, Effect::Restart);
        // Reaching 4,096 GiB is already offline (concepts-storage-premium-ssd.md).
        assert_eq!(one(&MAIN.replace("256", "4096")).effect, Effect::Restart);
        assert_eq!(one(&MAIN.replace("256", "4095")).effect, Effect::InPlace);
        assert_eq!(one(&MAIN.replace("256", "128")).effect, Effect::Replace);
    }

    #[test]
    fn a_zone_moves_only_by_failing_over_to_the_standby() {
        let swapped = one(&MAIN.replace("availabilityZone: '1'", "availabilityZone: '2'"));
        assert_eq!(swapped.effect, Effect::Manual);
        let elsewhere = one(&MAIN.replace("availabilityZone: '1'", "availabilityZone: '3'"));
        assert_eq!(elsewhere.effect, Effect::Replace);
    }

    #[test]
    fn high_availability_turns_off_online_but_does_not_switch_modes() {
        let off = one(&MAIN.replace("mode: 'ZoneRedundant'", "mode: 'Disabled'"));
        assert_eq!(off.effect, Effect::InPlace);
        let switched = one(&MAIN.replace("mode: 'ZoneRedundant'", "mode: 'SameZone'"));
        assert_eq!(switched.effect, Effect::Manual);
    }

    #[test]
    fn public_access_on_a_vnet_integrated_server_is_refused() {
        let before = MAIN.replace(
            "    version: '15'\n",
            "    version: '15'\n    network: {\n      delegatedSubnetResourceId: 'subnet'\n      publicNetworkAccess: 'Disabled'\n    }\n",
        );
        let file = FileRef::of("prod/svc/bicep/main.bicep").unwrap();
        let after = before.replace(
            "publicNetworkAccess: 'Disabled'",
            "publicNetworkAccess: 'Enabled'",
        );
        let items = items(&file, Some(&before), Some(&after));
        assert_eq!(items.len(), 1, "{items:#?}");
        assert_eq!(items[0].effect, Effect::Replace);
    }

    #[test]
    fn a_major_upgrade_is_manual_and_a_downgrade_is_refused() {
        assert_eq!(one(&MAIN.replace("'15'", "'16'")).effect, Effect::Manual);
        assert_eq!(one(&MAIN.replace("'15'", "'14'")).effect, Effect::Replace);
    }

    #[test]
    fn customer_managed_keys_on_an_existing_server_are_refused() {
        let item = one(&MAIN.replace(
            "    version: '15'\n",
            "    version: '15'\n    dataEncryption: {\n      type: 'AzureKeyVault'\n    }\n",
        ));
        assert_eq!(item.effect, Effect::Replace);
        assert_eq!(item.field, "properties.dataEncryption");
    }

    #[test]
    fn a_property_without_a_row_is_unknown_and_previews_the_same_deployment() {
        let item = one(&MAIN.replace(
            "    version: '15'\n",
            "    version: '15'\n    replicationRole: 'Primary'\n",
        ));
        assert_eq!(item.effect, Effect::Unknown);
        assert!(
            item.action.contains(
                "`az deployment group what-if --resource-group rg-x -n d -f main.bicep -p main.bicepparam`"
            ),
            "{}",
            item.action
        );
    }

    /// The `{key}` placeholders of a template.
    fn placeholders(template: &str) -> Vec<&str> {
        template
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(key, _)| key))
            .collect()
    }

    #[test]
    fn every_placeholder_of_a_rule_is_one_a_change_fills() {
        // The keys `change_item` passes to `fill`.
        let filled = ["rg", "name", "server", "parent", "from", "to"];
        for rule in RULES.iter().chain([&STATIC_PARAMETER]) {
            for key in placeholders(rule.action) {
                assert!(filled.contains(&key), "{{{key}}} in {}", rule.action);
            }
        }
        let removed = REMOVED.iter().map(|(_, action)| *action);
        for action in removed.chain([REMOVED_WORKBOOK, REMOVED_OTHER]) {
            for key in placeholders(action) {
                assert!(
                    ["rg", "name", "server", "kind", "deployment_name"].contains(&key),
                    "{{{key}}} in {action}"
                );
            }
        }
    }

    #[test]
    fn a_removed_parameter_is_reset_by_hand() {
        let file = FileRef::of("prod/svc/bicep/main.bicep").unwrap();
        let without = MAIN
            .split("\nresource configuration_log_connections")
            .next()
            .unwrap();
        let items = items(&file, Some(MAIN), Some(without));
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].effect, Effect::Manual);
        assert!(items[0].action.contains(
            "parameter set --resource-group rg-x --server-name srv --name log_connections"
        ));
    }
}
