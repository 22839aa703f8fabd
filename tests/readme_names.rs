//! Every object an install plan (`README.md`) names is one the target deploys: a
//! `metadata.name` of its Kubernetes manifests or a resource name of its Bicep files. The
//! names the model makes for a target are checked the same way, so that a renderer that
//! spells a name on its own, or a README row that names something nothing creates, fails.

use crate::support::harness;

use std::collections::{BTreeMap, BTreeSet};

use gen_lib::model::{
    Deployment, Model, ReplicaSubnet, Signal, Target, alert_name, azure_alert_scopes,
    resource_health_alert_name,
};

/// Rendered files of one render, path → text.
type Files = BTreeMap<String, String>;

/// An edit of an input file: (file, text, replacement).
type Edit = (&'static str, &'static str, &'static str);

const PRIVATE_NETWORK: &str = "    access: private            # VNet integration; \"public\" would allow firewall rules instead\n    virtualNetwork:            # existing VNet, referenced and not created\n      name: phonebill-vnet-prod\n      resourceGroup: rg-phonebill-prod\n    delegatedSubnet:\n      name: database-subnet\n      addressPrefix: 10.0.2.0/24\n    privateDnsZone: phonebill-prod.private.postgres.database.azure.com\n";

/// The examples: the repository's inputs, and variants of them that name other objects.
fn examples() -> Vec<(&'static str, Vec<Edit>)> {
    vec![
        ("the example", Vec::new()),
        (
            "a replica in a subnet named in the inputs",
            vec![(
                "services/auth.yaml",
                "          location: koreasouth\n",
                "          location: koreasouth\n          delegatedSubnet: { virtualNetwork: { name: phonebill-vnet-dr, resourceGroup: rg-phonebill-dr }, name: database-subnet }\n",
            )],
        ),
        (
            "public access with a firewall rule",
            vec![(
                "environments/prod.yaml",
                PRIVATE_NETWORK,
                "    access: public\n    firewallRules:\n      - { name: AllowAKSSubnet, startIpAddress: 10.0.1.0, endIpAddress: 10.0.1.255 }\n",
            )],
        ),
        (
            "private endpoints only",
            vec![(
                "environments/prod.yaml",
                PRIVATE_NETWORK,
                "    access: public\n    virtualNetwork: { name: phonebill-vnet-prod, resourceGroup: rg-phonebill-prod }\n    privateEndpoints:\n      - { name: pe-phonebill-auth, subnet: endpoint-subnet }\n    privateEndpointDnsZone: { resourceGroup: rg-dns }\n",
            )],
        ),
        (
            "every optional Azure field",
            crate::bicep::EVERY_NEW_FIELD.to_vec(),
        ),
    ]
}

/// The model and the rendered files of the example inputs with `edits` applied.
fn render(edits: &[Edit]) -> (Model, Files) {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), edits);
    let mut diagnostics = Vec::new();
    let loaded = gen_lib::load::load(&inputs, &mut diagnostics).unwrap();
    let design = gen_lib::validate::validate(loaded, diagnostics).unwrap();
    let files = gen_lib::app::render_folder(&inputs)
        .unwrap()
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap()))
        .collect();
    (gen_lib::model::build(&design), files)
}

/// What kind of object a name belongs to, and so where the target must create it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A Kubernetes object of this kind, by `metadata.name`.
    Kubernetes(&'static str),
    /// A Job whose name is this prefix and a hash.
    JobPrefix,
    /// A pod of one of the StatefulSets.
    Pod,
    /// A volume claim of one of the StatefulSets.
    Claim,
    /// A Secret the manifests mount (created by hand, so named nowhere else).
    Secret,
    /// A namespace gen does not render (`aks.manageNamespace: false`): the manifests' own.
    ExistingNamespace,
    /// An Azure resource of `main.bicep` or `alerts.bicep`.
    Azure,
    /// A database the SQL target creates (`sql/01-database.psql`).
    Database,
}

/// The names one target's rendered files create.
#[derive(Debug, Default)]
struct Deployed {
    kubernetes: BTreeSet<(String, String)>,
    pods: BTreeSet<String>,
    claims: BTreeSet<String>,
    secrets: BTreeSet<String>,
    namespaces: BTreeSet<String>,
    azure: BTreeSet<String>,
    databases: BTreeSet<String>,
}

impl Deployed {
    fn of(files: &Files, dir: &str) -> Deployed {
        let mut deployed = Deployed::default();
        for (path, text) in files {
            let Some(rel) = path.strip_prefix(&format!("{dir}/")) else {
                continue;
            };
            if rel.starts_with("kubernetes/") {
                deployed.add_manifest(text);
            } else if rel == "bicep/main.bicep" || rel == "alerts/alerts.bicep" {
                deployed.azure.extend(bicep_resource_names(text));
            } else if rel == "sql/01-database.psql" {
                deployed.databases.extend(created_database(text));
            }
        }
        deployed
    }

    fn add_manifest(&mut self, text: &str) {
        let kind = top_level(text, "kind").expect("every manifest has a kind");
        let name = metadata_name(text).expect("every manifest has a name");
        if kind == "StatefulSet" {
            let template = claim_template(text).expect("the StatefulSet claims a volume");
            let pod = format!("{name}-0");
            self.claims.insert(format!("{template}-{pod}"));
            self.pods.insert(pod);
        }
        if kind == "Cluster" {
            self.add_operator_objects(text, &name);
        }
        if kind == "Pooler" {
            // The operator's Service of a Pooler takes its name (pkg/specs/pgbouncer/services.go).
            self.kubernetes.insert(("Service".to_owned(), name.clone()));
        }
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(secret) = line.trim().strip_prefix("secretName: ") {
                self.secrets.insert(unquote(secret));
            }
            // A projected volume's Secret, and a managed role's `passwordSecret`.
            if matches!(line.trim(), "- secret:" | "passwordSecret:")
                && let Some(secret) = lines.peek().and_then(|l| l.trim().strip_prefix("name: "))
            {
                self.secrets.insert(unquote(secret));
            }
            if let Some(namespace) = line.strip_prefix("  namespace: ") {
                self.namespaces.insert(unquote(namespace));
            }
        }
        self.kubernetes.insert((kind, name));
    }

    /// What the CloudNativePG operator makes for a Cluster `name` (api/v1/cluster_types.go
    /// suffixes; pods and claims `<name>-<n>`, WAL claims `<name>-<n>-wal`).
    fn add_operator_objects(&mut self, text: &str, name: &str) {
        let instances: usize = text
            .lines()
            .find_map(|line| line.strip_prefix("  instances: "))
            .and_then(|n| n.trim().parse().ok())
            .expect("a Cluster has instances");
        for n in 1..=instances {
            self.pods.insert(format!("{name}-{n}"));
            self.claims.insert(format!("{name}-{n}"));
            self.claims.insert(format!("{name}-{n}-wal"));
        }
        for suffix in ["-rw", "-ro", "-r"] {
            self.kubernetes
                .insert(("Service".to_owned(), format!("{name}{suffix}")));
        }
        for suffix in ["-superuser", "-ca", "-app"] {
            self.secrets.insert(format!("{name}{suffix}"));
        }
    }

    fn has(&self, kind: Kind, name: &str) -> bool {
        match kind {
            Kind::Kubernetes(k) => self.kubernetes.contains(&(k.to_owned(), name.to_owned())),
            Kind::JobPrefix => self
                .kubernetes
                .iter()
                .any(|(k, n)| k == "Job" && n.strip_prefix(name).is_some_and(is_hash)),
            Kind::Pod => self.pods.contains(name),
            Kind::Claim => self.claims.contains(name),
            Kind::Secret => self.secrets.contains(name),
            Kind::ExistingNamespace => self.namespaces.contains(name),
            Kind::Azure => self.azure.contains(name),
            Kind::Database => self.databases.contains(name),
        }
    }
}

/// The database `01-database.psql` creates: the first literal after its
/// `format('CREATE DATABASE %I ...'`, on the line that follows.
fn created_database(text: &str) -> Option<String> {
    let at = text.find("format('CREATE DATABASE %I")?;
    let args = text[at..].lines().nth(1)?.trim_start();
    let name = args.strip_prefix('\'')?;
    Some(name[..name.find('\'')?].to_owned())
}

fn is_hash(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    for quote in ['\'', '"'] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.replace("''", "'");
        }
    }
    value.to_owned()
}

/// A key at column 0 of a one-object manifest.
fn top_level(text: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}: ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(unquote)
}

/// `name` of the top-level `metadata` mapping.
fn metadata_name(text: &str) -> Option<String> {
    text.lines()
        .skip_while(|line| *line != "metadata:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .find_map(|line| line.strip_prefix("  name: "))
        .map(unquote)
}

/// The name of the StatefulSet's first volumeClaimTemplate.
fn claim_template(text: &str) -> Option<String> {
    text.lines()
        .skip_while(|line| line.trim() != "volumeClaimTemplates:")
        .find_map(|line| line.trim().strip_prefix("name: "))
        .map(unquote)
}

/// Every resource's `name` in a Bicep file: the resource bodies' first level.
fn bicep_resource_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("  name: "))
        .map(unquote)
        .collect()
}

/// The first `code span` of a Markdown table cell, unescaped.
fn first_code(cell: &str) -> Option<String> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(cell[start..start + len].to_owned())
}

/// The cells of a Markdown table row; `\|` is a pipe inside a cell.
fn cells(row: &str) -> Vec<&str> {
    let inner = row.trim().strip_prefix('|').unwrap_or(row);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        if c == '|' && !inner[..i].ends_with('\\') {
            cells.push(inner[start..i].trim());
            start = i + 1;
        }
    }
    cells.push(inner[start..].trim());
    cells
}

/// Where the object a "Resource | Name" row of the README describes is created.
fn kind_of_row(resource: &str) -> Kind {
    let kubernetes = [
        "Namespace",
        "NetworkPolicy",
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "StatefulSet",
        "PodDisruptionBudget",
        "CronJob",
        "Role",
        "PersistentVolumeClaim",
        "PodMonitor",
        "Cluster",
        "ObjectStore",
        "ScheduledBackup",
        "Pooler",
    ];
    match resource {
        r if r.starts_with("Job") => Kind::JobPrefix,
        r if r.starts_with("Pods") => Kind::Pod,
        r if r.starts_with("Container") => Kind::Pod,
        "PersistentVolumeClaim" => Kind::Claim,
        r if r.starts_with("Secret") => Kind::Secret,
        "Namespace (not rendered)" => Kind::ExistingNamespace,
        "Database" => Kind::Database,
        r => kubernetes
            .into_iter()
            .find(|k| r.split([' ', '(']).next() == Some(k))
            .map_or(Kind::Azure, Kind::Kubernetes),
    }
}

/// Every object the README's tables name: the "Resource | Name" table (first name of the
/// Name column) and the action group table (first column).
fn readme_names(readme: &str) -> Vec<(Kind, String)> {
    let mut names = Vec::new();
    let mut table: Option<&str> = None;
    for line in readme.lines() {
        if !line.starts_with('|') {
            table = None;
            continue;
        }
        let row = cells(line);
        match (table, row.first().copied()) {
            (None, Some(header)) => table = Some(header),
            (_, Some(first)) if first.starts_with("---") => {}
            (Some("Resource"), Some(resource)) => {
                if let Some(name) = row.get(1).and_then(|cell| first_code(cell)) {
                    names.push((kind_of_row(resource), name));
                }
            }
            (Some("Action group"), Some(group)) => {
                names.extend(first_code(group).map(|name| (Kind::Azure, name)));
            }
            _ => {}
        }
    }
    names
}

/// The names the model makes for `target`, each with the kind of object it names.
fn model_names(target: &Target) -> Vec<(Kind, String)> {
    let mut names: Vec<(Kind, String)> = target
        .env
        .alerting
        .action_groups
        .iter()
        .map(|g| (Kind::Azure, g.resource_name.clone()))
        .collect();
    match &target.deployment {
        Deployment::Aks(set) => {
            let n = &set.names;
            for kind in [
                "StatefulSet",
                "Service",
                "ServiceAccount",
                "NetworkPolicy",
                "PodDisruptionBudget",
            ] {
                names.push((Kind::Kubernetes(kind), set.name.clone()));
            }
            let aks = target
                .env
                .aks
                .as_ref()
                .expect("an aks target's environment");
            if aks.pod_monitor() {
                names.push((Kind::Kubernetes("PodMonitor"), set.name.clone()));
            }
            names.extend([
                (Kind::Kubernetes("Service"), n.headless_service.clone()),
                (Kind::Kubernetes("ConfigMap"), n.config_map.clone()),
                (Kind::Kubernetes("ConfigMap"), n.hba_config_map.clone()),
                (Kind::Kubernetes("ConfigMap"), n.schema_config_map.clone()),
                (Kind::Kubernetes("ConfigMap"), n.scripts_config_map.clone()),
                (
                    Kind::Kubernetes("NetworkPolicy"),
                    n.schema_network_policy.clone(),
                ),
                (Kind::JobPrefix, n.job_prefix.clone()),
                (Kind::Pod, n.pod.clone()),
                (Kind::Claim, n.claim.clone()),
                (Kind::Secret, set.credentials_secret.clone()),
                (Kind::Secret, set.tls_secret.clone()),
                (Kind::Azure, n.rule_group.clone()),
            ]);
            if let Some(backup) = &set.backup {
                let b = &backup.names;
                names.push((Kind::Kubernetes("ConfigMap"), b.config_map.clone()));
                if backup.snapshots.is_some() {
                    for kind in [
                        "CronJob",
                        "ServiceAccount",
                        "Role",
                        "RoleBinding",
                        "NetworkPolicy",
                    ] {
                        names.push((Kind::Kubernetes(kind), b.snapshot.clone()));
                    }
                }
                if backup.dumps.is_some() {
                    names.extend([
                        (Kind::Kubernetes("CronJob"), b.dump.clone()),
                        (Kind::Kubernetes("NetworkPolicy"), b.dump.clone()),
                        (Kind::Kubernetes("NetworkPolicy"), b.dump_access.clone()),
                        (
                            Kind::Kubernetes("PersistentVolumeClaim"),
                            b.dump_claim.clone(),
                        ),
                    ]);
                }
            }
        }
        Deployment::Cnpg(cluster) => {
            let n = &cluster.names;
            for kind in ["Cluster", "NetworkPolicy", "PodMonitor"] {
                names.push((Kind::Kubernetes(kind), cluster.name.clone()));
            }
            names.extend([
                (Kind::Kubernetes("Service"), n.rw_service.clone()),
                (Kind::Kubernetes("Service"), n.ro_service.clone()),
                (Kind::Kubernetes("ConfigMap"), n.schema_config_map.clone()),
                (
                    Kind::Kubernetes("ServiceAccount"),
                    n.schema_service_account.clone(),
                ),
                (
                    Kind::Kubernetes("NetworkPolicy"),
                    n.schema_network_policy.clone(),
                ),
                (Kind::JobPrefix, n.job_prefix.clone()),
                (Kind::Secret, n.superuser_secret.clone()),
                (Kind::Secret, n.ca_secret.clone()),
                (Kind::Azure, n.rule_group.clone()),
            ]);
            names.extend(n.pods.iter().map(|p| (Kind::Pod, p.clone())));
            if cluster.backup.is_some() {
                names.push((Kind::Kubernetes("ObjectStore"), n.object_store.clone()));
                names.push((
                    Kind::Kubernetes("ScheduledBackup"),
                    n.scheduled_backup.clone(),
                ));
            }
            if let Some(pooler) = &cluster.pooler {
                for kind in ["Pooler", "Service", "PodMonitor"] {
                    names.push((Kind::Kubernetes(kind), pooler.name.clone()));
                }
                names.push((
                    Kind::Kubernetes("NetworkPolicy"),
                    n.pooler_network_policy.clone(),
                ));
            }
        }
        Deployment::FlexibleServer(server) => {
            names.push((Kind::Azure, server.name.clone()));
            for replica in &server.replicas {
                names.push((Kind::Azure, replica.name.clone()));
                if let ReplicaSubnet::Named { dns_link, .. }
                | ReplicaSubnet::DeployTime { dns_link, .. } = &replica.subnet
                {
                    names.push((Kind::Azure, dns_link.clone()));
                }
            }
            let replicas: Vec<&str> = server.replicas.iter().map(|r| r.name.as_str()).collect();
            for rule in target.alert_rules() {
                if target.unobservable(rule).is_some() {
                    continue;
                }
                for scope in azure_alert_scopes(rule.signal, &server.name, &replicas) {
                    names.push((Kind::Azure, alert_name(scope, rule)));
                    if rule.signal == Signal::DatabaseDown {
                        names.push((Kind::Azure, resource_health_alert_name(scope, &rule.name)));
                    }
                }
            }
        }
    }
    names
}

/// What a target's README or model names that its rendered files do not create.
fn missing(target: &Target, files: &Files) -> Vec<String> {
    let dir = target.dir();
    let deployed = Deployed::of(files, &dir);
    let readme = &files[&format!("{dir}/README.md")];
    let from_readme = readme_names(readme);
    assert!(
        from_readme.len() >= 5,
        "{dir}: the README's object tables were not found"
    );
    let mut missing = Vec::new();
    for (source, names) in [("README", from_readme), ("model", model_names(target))] {
        for (kind, name) in names {
            if !deployed.has(kind, &name) {
                missing.push(format!("{dir}: {source} names {kind:?} `{name}`"));
            }
        }
    }
    missing
}

#[test]
fn every_name_the_readme_and_the_model_give_is_deployed() {
    let mut missing_names = Vec::new();
    for (example, edits) in examples() {
        let (model, files) = render(&edits);
        assert!(!model.targets.is_empty());
        for target in &model.targets {
            missing_names.extend(
                missing(target, &files)
                    .into_iter()
                    .map(|m| format!("{example}: {m}")),
            );
        }
    }
    assert!(
        missing_names.is_empty(),
        "named but not created by the manifests or the Bicep:\n{}",
        missing_names.join("\n")
    );
}

#[test]
fn a_readme_row_naming_nothing_deployed_is_found() {
    let (model, mut files) = render(&[]);
    for target in &model.targets {
        let path = format!("{}/README.md", target.dir());
        let readme = files[&path].clone();
        let (kind, name) = readme_names(&readme)
            .into_iter()
            .find(|(kind, _)| *kind != Kind::Secret)
            .unwrap();
        files.insert(path, readme.replacen(&format!("`{name}`"), "`renamed`", 1));
        let found = missing(target, &files);
        assert!(
            found.iter().any(|m| m.contains("`renamed`")),
            "{kind:?} `{name}` renamed in the README went unnoticed: {found:?}"
        );
    }
}

/// The `-n` of every `az deployment group create` line of `text`, with the template file
/// the line deploys (`None` for a line without `-n`).
fn deployment_commands(text: &str) -> Vec<(String, Option<String>)> {
    text.lines()
        .filter_map(|line| {
            let at = line.find("az deployment group create")?;
            let words: Vec<&str> = line[at..].split_whitespace().collect();
            let flag = |f: &str| {
                words
                    .iter()
                    .position(|w| *w == f)
                    .and_then(|i| words.get(i + 1))
                    .map(|w| w.to_string())
            };
            Some((flag("-f").unwrap_or_default(), flag("-n")))
        })
        .collect()
}

/// Issue 19: without `-n` a deployment is named after its template file (`main`, `alerts`),
/// so targets sharing a resource group overwrite each other's deployment records or fail
/// with `DeploymentActive`. Every command names its deployment as the model does, within
/// ARM's rule (1–64 of `-\w._()`), and no two targets of one resource group share a name.
#[test]
fn every_arm_deployment_has_a_name_of_its_own_in_its_resource_group() {
    for (example, edits) in examples() {
        let (model, files) = render(&edits);
        let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
        for target in &model.targets {
            let readme = &files[&format!("{}/README.md", target.dir())];
            let commands = deployment_commands(readme);
            // The servers' deployment runs twice when there are replicas: before and after
            // the primary's restart (issue 19), under the same name.
            let replicas = matches!(&target.deployment,
                gen_lib::model::Deployment::FlexibleServer(server) if !server.replicas.is_empty());
            let wanted = usize::from(target.arm_deployments.main.is_some())
                * (1 + usize::from(replicas))
                + 1;
            assert_eq!(
                commands.len(),
                wanted,
                "{example}: {}: {commands:?}",
                target.dir()
            );
            let commands: BTreeSet<(String, Option<String>)> = commands.into_iter().collect();
            for (file, name) in commands {
                let name = name.unwrap_or_else(|| {
                    panic!(
                        "{example}: {}: no -n on the deployment of {file}",
                        target.dir()
                    )
                });
                let expected = if file.ends_with("main.bicep") {
                    target.arm_deployments.main.clone().unwrap()
                } else {
                    target.arm_deployments.alerts.clone()
                };
                assert_eq!(name, expected, "{example}: {}", target.dir());
                assert!(
                    (1..=64).contains(&name.len())
                        && name
                            .chars()
                            .all(|c| c.is_alphanumeric() || "-_.()".contains(c)),
                    "{name}"
                );
                let key = (target.arm_deployments.resource_group.to_lowercase(), name);
                if let Some(other) = seen.insert(key.clone(), target.dir()) {
                    panic!("{example}: {key:?} is used by {other} and {}", target.dir());
                }
            }
            // The comment of each Bicep file names the same deployment.
            for (path, name) in [
                ("bicep/main.bicep", target.arm_deployments.main.as_ref()),
                ("alerts/alerts.bicep", Some(&target.arm_deployments.alerts)),
            ] {
                let (Some(text), Some(name)) =
                    (files.get(&format!("{}/{path}", target.dir())), name)
                else {
                    continue;
                };
                for (_, found) in deployment_commands(text) {
                    assert_eq!(found.as_ref(), Some(name), "{example}: {path}");
                }
            }
        }
    }
}
