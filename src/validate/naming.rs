//! Rules on the names of environments, services and the objects inside them: that they
//! agree with their files, are usable as labels, and are unique where they are used.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::input::Platform;
use crate::model::{ARM_DEPLOYMENT_KINDS, arm_deployment_name};
use crate::names::is_dns_label;
use crate::path;
use crate::validate::{Design, Typed};
use crate::yaml::Seg;

/// Environments and services are found by file name, so the name inside must agree.
pub(super) fn names_match_file_names(design: &Design, out: &mut Vec<Diagnostic>) {
    let environments = design.environments.iter().map(|e| (&e.file, &e.value.name));
    let services = design.services.iter().map(|s| (&s.file, &s.value.name));
    for (file, name) in environments.chain(services) {
        if file.stem() != name {
            out.push(
                Diagnostic::new(
                    file.display.clone(),
                    file.root.pos_of(path!["name"]),
                    "the name differs from the file name",
                )
                .expected(format!("`{}`", file.stem()))
                .found(format!("`{name}`"))
                .hint("rename the file or change `name` so that they agree"),
            );
        }
    }
}

/// Environment and service names become folder names, Kubernetes labels and Azure tags.
pub(super) fn names_are_dns_labels(design: &Design, out: &mut Vec<Diagnostic>) {
    let environments = design.environments.iter().map(|e| (&e.file, &e.value.name));
    let services = design.services.iter().map(|s| (&s.file, &s.value.name));
    for (file, name) in environments.chain(services) {
        if !is_dns_label(name) {
            out.push(
                Diagnostic::new(
                    file.display.clone(),
                    file.root.pos_of(path!["name"]),
                    "not a usable name",
                )
                .expected("1–63 lowercase letters, digits and `-`, not starting or ending with `-`")
                .found(format!("`{name}`"))
                .hint("the name becomes a folder name, a Kubernetes label and an Azure tag"),
            );
        }
    }
}

/// Records `owner` as the first to claim `key`; returns the earlier owner when another one
/// claimed it first (the same owner claiming it again is no clash).
fn earlier_claim<K: Ord, O: PartialEq + Clone>(
    seen: &mut BTreeMap<K, O>,
    key: K,
    owner: O,
) -> Option<O> {
    match seen.get(&key) {
        Some(first) if *first != owner => Some(first.clone()),
        Some(_) => None,
        None => {
            seen.insert(key, owner);
            None
        }
    }
}

/// The resource group an environment deploys into, on either platform.
fn resource_group_of(env: &crate::input::EnvironmentFile) -> Option<&str> {
    match env.platform {
        Platform::AzureFlexibleServer => env.azure.as_ref().map(|a| a.resource_group.as_str()),
        Platform::Aks => env.aks.as_ref().map(|a| a.resource_group.as_str()),
        Platform::Cnpg => env.cnpg.as_ref().map(|c| c.resource_group.as_str()),
    }
}

/// Reports every later occurrence of a name already used in the same scope; `at(i)` is
/// the path of the i-th name.
fn report_duplicates<'a, T>(
    owner: &Typed<T>,
    names: impl IntoIterator<Item = &'a str>,
    at: impl Fn(usize) -> Vec<Seg>,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, name) in names.into_iter().enumerate() {
        let path = at(i);
        if let Some(first) = seen.get(name) {
            out.push(
                owner
                    .at(&path, format!("{what} `{name}` is defined twice"))
                    .hint(format!(
                        "the first is at line {first}; names must be unique"
                    )),
            );
        } else {
            seen.insert(name, owner.file.root.pos_of(&path).line);
        }
    }
}

/// Names that must be unique where they are used: roles, schemas, extensions, seed tables
/// and alert rules of a service; servers and replicas of a deployment; action groups and
/// rules of an environment.
pub(super) fn names_are_unique(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let db = &service.value.database;
        let roles = db.roles.iter().map(|r| r.name.as_str());
        report_duplicates(
            service,
            roles,
            |i| path!["database", "roles", i, "name"].to_vec(),
            "role",
            out,
        );
        let schemas = db.schemas.iter().map(String::as_str);
        report_duplicates(
            service,
            schemas,
            |i| path!["database", "schemas", i].to_vec(),
            "schema",
            out,
        );
        let extensions = db.extensions.iter().map(String::as_str);
        report_duplicates(
            service,
            extensions,
            |i| path!["database", "extensions", i].to_vec(),
            "extension",
            out,
        );
        let seeds = db.seed_data.iter().map(|s| s.table.as_str());
        report_duplicates(
            service,
            seeds,
            |i| path!["database", "seedData", i, "table"].to_vec(),
            "seed table",
            out,
        );
        let rules = service
            .value
            .alerting
            .iter()
            .flat_map(|a| &a.rules)
            .map(|r| r.name.as_str());
        report_duplicates(
            service,
            rules,
            |i| path!["alerting", "rules", i, "name"].to_vec(),
            "alert rule",
            out,
        );
        for (env, deployment) in &service.value.deployments {
            let Some(server) = &deployment.server else {
                continue;
            };
            let names = std::iter::once(server.name.as_str())
                .chain(server.replicas.iter().map(|r| r.name.as_str()));
            let at = |i: usize| match i {
                0 => path!["deployments", env, "server", "name"].to_vec(),
                i => path!["deployments", env, "server", "replicas", i - 1, "name"].to_vec(),
            };
            report_duplicates(service, names, at, "server", out);
        }
    }
    for env in &design.environments {
        let Some(alerting) = &env.value.alerting else {
            continue;
        };
        let groups = alerting.action_groups.iter().map(|g| g.name.as_str());
        report_duplicates(
            env,
            groups,
            |i| path!["alerting", "actionGroups", i, "name"].to_vec(),
            "action group",
            out,
        );
        let rules = alerting.rules.iter().map(|r| r.name.as_str());
        report_duplicates(
            env,
            rules,
            |i| path!["alerting", "rules", i, "name"].to_vec(),
            "alert rule",
            out,
        );
    }
    stateful_sets_are_unique_per_namespace_and_resource_group(design, out);
    servers_are_unique_across_deployments(design, out);
    alert_names_are_unique_per_resource_group(design, out);
    arm_deployments_are_unique_per_resource_group(design, out);
}

/// What an Azure alert resource or action group is rendered for; two renders of the same
/// thing (an environment's action group, rendered by each of its targets) may share a name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AlertOwner {
    ActionGroup {
        env: String,
        group: String,
    },
    Alert {
        service: String,
        env: String,
        rule: String,
        server: String,
        health: bool,
    },
}

impl AlertOwner {
    fn describe(&self) -> String {
        match self {
            AlertOwner::ActionGroup { env, group } => {
                format!("action group `{group}` of environment `{env}`")
            }
            AlertOwner::Alert {
                service,
                env,
                rule,
                server,
                health,
            } => format!(
                "the {} of rule `{rule}` on server `{server}` (service `{service}` in `{env}`)",
                if *health {
                    "Resource Health alert"
                } else {
                    "metric alert"
                }
            ),
        }
    }
}

/// Action groups, metric alerts and Resource Health alerts are Azure resources named in
/// their resource group: two targets (services or environments deploying to one resource
/// group), or one target's server and replica (`<server>-<rule>` of server `a-krs` and rule
/// `x`, and of server `a` and rule `krs-x`), that render the same name would overwrite
/// each other's alert. Names come from the model's own functions, so they are the rendered
/// ones; each clash is reported at the later name, once. Resource groups are compared without
/// case, as Azure does.
fn alert_names_are_unique_per_resource_group(design: &Design, out: &mut Vec<Diagnostic>) {
    use crate::model::{
        Signal, action_group_resource_name, azure_alert_scopes, needs_replicas,
        resource_health_alert_name, rule_alert_name,
    };

    let project = design.project.value.name.as_str();
    let mut seen: BTreeMap<(String, String), AlertOwner> = BTreeMap::new();
    let mut reported: Vec<(String, Vec<Seg>)> = Vec::new();
    let mut claim = |rg: &str,
                     name: String,
                     owner: AlertOwner,
                     file: &crate::load::SourceFile,
                     at: Vec<Seg>,
                     out: &mut Vec<Diagnostic>| {
        // Azure resource group names are case-insensitive: `RG-x` is `rg-x`.
        let key = (rg.to_lowercase(), name.clone());
        let Some(first) = earlier_claim(&mut seen, key, owner.clone()) else {
            return;
        };
        if reported.iter().any(|(f, p)| *f == file.display && *p == at) {
            return;
        }
        reported.push((file.display.clone(), at.clone()));
        out.push(
            Diagnostic::new(
                file.display.clone(),
                file.root.pos_of(&at),
                format!(
                    "{} is named `{name}` in resource group `{rg}`, as is {}",
                    owner.describe(),
                    first.describe()
                ),
            )
            .hint("Azure names an alert or action group once per resource group, and the second deployment would overwrite the first; rename the rule or the group"),
        );
    };

    for env in &design.environments {
        let Some(rg) = resource_group_of(&env.value) else {
            continue;
        };
        for (i, group) in env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.action_groups.iter().enumerate())
        {
            claim(
                rg,
                action_group_resource_name(project, &env.value.name, &group.name),
                AlertOwner::ActionGroup {
                    env: env.value.name.clone(),
                    group: group.name.clone(),
                },
                &env.file,
                path!["alerting", "actionGroups", i, "name"].to_vec(),
                out,
            );
        }
    }
    let mut servers: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for deployment in super::azure::azure_servers(design) {
        let (service, env_name, server) =
            (deployment.service, deployment.env_name, deployment.server);
        let rg = &deployment.azure.resource_group;
        let Some(env) = design.environment(env_name) else {
            continue;
        };
        let replicas: Vec<&str> = server.replicas.iter().map(|r| r.name.as_str()).collect();
        // A server named by two deployments is reported by
        // `servers_are_unique_across_deployments`; its alerts clash only because of it.
        let names = std::iter::once(server.name.as_str()).chain(replicas.iter().copied());
        let mut clashing = false;
        for name in names {
            clashing |= !servers.insert(name);
        }
        if clashing {
            continue;
        }
        let indexed = env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.rules.iter().enumerate())
            .map(|(i, r)| (i, r, &env.file))
            .chain(
                service
                    .value
                    .alerting
                    .iter()
                    .flat_map(|a| a.rules.iter().enumerate())
                    .map(|(i, r)| (i, r, &service.file)),
            );
        for (i, rule, file) in indexed {
            let signal: Signal = rule.signal.into();
            if needs_replicas(signal) && replicas.is_empty() {
                continue; // not rendered
            }
            for scope in azure_alert_scopes(signal, &server.name, &replicas) {
                let mut names = vec![(rule_alert_name(scope, &rule.name), false)];
                if signal == Signal::DatabaseDown {
                    names.push((resource_health_alert_name(scope, &rule.name), true));
                }
                for (name, health) in names {
                    claim(
                        rg,
                        name,
                        AlertOwner::Alert {
                            service: service.value.name.clone(),
                            env: env_name.to_owned(),
                            rule: rule.name.clone(),
                            server: scope.to_owned(),
                            health,
                        },
                        file,
                        path!["alerting", "rules", i, "name"].to_vec(),
                        out,
                    );
                }
            }
        }
    }
}

/// Every target's `az deployment group create` carries `-n <service>-<env>-<kind>`
/// ([`arm_deployment_name`]): two targets deploying to one resource group must not share a
/// name, or each run overwrites the other's deployment record (or fails with
/// `DeploymentActive` while the other runs). Names can meet when hyphens split differently
/// (service `bill` in `inquiry-dev`, service `bill-inquiry` in `dev`) or when long names are
/// cut to ARM's 64 characters. Resource groups are compared without case, as Azure does.
fn arm_deployments_are_unique_per_resource_group(design: &Design, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(String, String), (&str, &str)> = BTreeMap::new();
    for service in &design.services {
        let name = service.value.name.as_str();
        for env_name in service.value.deployments.keys() {
            let Some(env) = design.environment(env_name) else {
                continue;
            };
            let Some(resource_group) = resource_group_of(&env.value) else {
                continue;
            };
            let kinds: &[&str] = match env.value.platform {
                Platform::AzureFlexibleServer => &ARM_DEPLOYMENT_KINDS,
                Platform::Aks | Platform::Cnpg => &["alerts"],
            };
            for kind in kinds {
                let deployment = arm_deployment_name(name, env_name, kind);
                let key = (resource_group.to_lowercase(), deployment.clone());
                if let Some((other_service, other_env)) =
                    earlier_claim(&mut seen, key, (name, env_name.as_str()))
                {
                    out.push(
                        service
                            .at_key(
                                path!["deployments"],
                                env_name,
                                format!(
                                    "ARM deployment name `{deployment}` is also used by service `{other_service}` in `{other_env}` (resource group `{resource_group}`)"
                                ),
                            )
                            .hint("the install plan names each deployment `<service>-<env>-main` or `-alerts`, cut to 64 characters; rename the service or the environment so that the names differ"),
                    );
                }
            }
        }
    }
}

/// A StatefulSet's objects are named after it in the environment's namespace, and its alert
/// rule group in the environment's resource group: two services of one environment, or two
/// environments sharing a cluster's namespace or a resource group, that name the same
/// StatefulSet would apply over each other's objects or rule group. Resource groups are
/// compared without case, as Azure does.
fn stateful_sets_are_unique_per_namespace_and_resource_group(
    design: &Design,
    out: &mut Vec<Diagnostic>,
) {
    let mut objects: BTreeMap<(String, String, String, String), (&str, &str)> = BTreeMap::new();
    let mut rule_groups: BTreeMap<(String, String), (&str, &str)> = BTreeMap::new();
    for service in &design.services {
        for (env_name, deployment) in &service.value.deployments {
            let Some(set) = &deployment.stateful_set else {
                continue;
            };
            let Some(aks) = design
                .environment(env_name)
                .and_then(|e| e.value.aks.as_ref())
            else {
                continue;
            };
            let here = (service.value.name.as_str(), env_name.as_str());
            let at = path!["deployments", env_name, "statefulSet", "name"];
            let rg = aks.resource_group.to_lowercase();
            let object_key = (
                rg.clone(),
                aks.cluster.clone(),
                aks.namespace.clone(),
                set.name.clone(),
            );
            if let Some((other_service, other_env)) = earlier_claim(&mut objects, object_key, here)
            {
                out.push(
                    service
                        .at(
                            at,
                            format!(
                                "StatefulSet `{}` is also used by service `{other_service}` in `{other_env}`",
                                set.name
                            ),
                        )
                        .hint(format!(
                            "its objects would share namespace `{}` of cluster `{}`; choose another name",
                            aks.namespace, aks.cluster
                        )),
                );
                continue;
            }
            let group = crate::model::rule_group_name(&set.name);
            if let Some((other_service, other_env)) =
                earlier_claim(&mut rule_groups, (rg, group.clone()), here)
            {
                out.push(
                    service
                        .at(
                            at,
                            format!(
                                "alert rule group `{group}` is also deployed by service `{other_service}` in `{other_env}` (resource group `{}`)",
                                aks.resource_group
                            ),
                        )
                        .hint("the rule group is named after the StatefulSet in the environment's resource group; choose another name"),
                );
            }
        }
    }
}

/// A server or replica name is a host name under `postgres.database.azure.com`, unique in
/// all of Azure: two deployments (of two services, or of one service in two environments)
/// that name the same server would deploy over each other. Repeats inside one deployment
/// are reported by `names_are_unique`.
fn servers_are_unique_across_deployments(design: &Design, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for service in &design.services {
        for (env, deployment) in &service.value.deployments {
            let Some(server) = &deployment.server else {
                continue;
            };
            let here = (service.value.name.as_str(), env.as_str());
            let names = std::iter::once((
                server.name.as_str(),
                path!["deployments", env, "server", "name"].to_vec(),
            ))
            .chain(server.replicas.iter().enumerate().map(|(i, r)| {
                (
                    r.name.as_str(),
                    path!["deployments", env, "server", "replicas", i, "name"].to_vec(),
                )
            }));
            for (name, at) in names {
                if let Some((other_service, other_env)) = earlier_claim(&mut seen, name, here) {
                    out.push(
                        service
                            .at(
                                &at,
                                format!(
                                    "server `{name}` is also deployed by service `{other_service}` in `{other_env}`"
                                ),
                            )
                            .hint("a server name is a host name under postgres.database.azure.com, unique in Azure; two deployments of it would write to one server"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{assert_one, validate_example_with};

    #[test]
    fn a_server_name_is_one_deployments_only() {
        // A new service copied from auth keeps auth's server and replica names.
        let payment = include_str!("../../inputs/services/auth.yaml")
            .replacen("name: auth\n", "name: payment\n", 1)
            .replace("phonebill_auth", "phonebill_payment");
        let found = crate::validate::testing::validate_example_with_edits(&[(
            "services/payment.yaml",
            "",
            &payment,
        )]);
        let clashes: Vec<_> = found
            .iter()
            .filter(|d| {
                d.message
                    .contains("is also deployed by service `auth` in `prod`")
            })
            .collect();
        assert_eq!(clashes.len(), 3, "{found:#?}");
        assert!(
            clashes.iter().all(|d| d.file == "services/payment.yaml"),
            "{clashes:#?}"
        );
        assert_eq!(clashes[0].location(), "services/payment.yaml:20:13");
    }

    /// The problems of the example with a new service file `file` holding `content`, whose
    /// message contains `containing`.
    /// Auth's design as service `payment` deployed to `env`: its server `…-prod-cpu` with rule
    /// `overload` renders auth's `cpu-overload` alert name.
    fn payment_service(env: &str) -> String {
        include_str!("../../inputs/services/auth.yaml")
            .replacen("name: auth\n", "name: payment\n", 1)
            .replacen("\n  prod:\n", &format!("\n  {env}:\n"), 1)
            .replace("phonebill_auth", "phonebill_payment")
            .replace(
                "phonebill-auth-postgresql-prod-kr",
                "phonebill-payment-postgresql-prod-kr",
            )
            .replace(
                "name: phonebill-auth-postgresql-prod\n",
                "name: phonebill-auth-postgresql-prod-cpu\n",
            )
            + "alerting:\n  rules:\n    - { name: overload, signal: cpu_percent, above: 90, for: 5m, severity: critical, notify: [critical] }\n"
    }

    fn new_service_problems(file: &str, content: &str, containing: &str) -> Vec<Diagnostic> {
        crate::validate::testing::validate_example_with_edits(&[(file, "", content)])
            .into_iter()
            .filter(|d| d.message.contains(containing))
            .collect()
    }

    const KRS_SERVER_DOWN: &str = "        log_connections: \"on\"\nalerting:\n  rules:\n    - { name: krs-server-down, signal: database_down, for: 1m, severity: critical, notify: [critical] }\n";

    #[test]
    fn an_alert_name_is_one_alerts_only_in_a_resource_group() {
        // The primary's alert of rule `krs-server-down` is named as replica krs's alert of
        // the environment's rule `server-down`.
        let found = crate::validate::testing::validate_example_with_edits(&[(
            "services/auth.yaml",
            "        log_connections: \"on\"\n",
            KRS_SERVER_DOWN,
        )]);
        assert_one(
            &found,
            "services/auth.yaml:55:15",
            "the metric alert of rule `krs-server-down` on server `phonebill-auth-postgresql-prod` (service `auth` in `prod`) is named `phonebill-auth-postgresql-prod-krs-server-down` in resource group `rg-phonebill-prod`, as is the metric alert of rule `server-down` on server `phonebill-auth-postgresql-prod-krs`",
        );

        // Two services in one resource group: payment's server `…-prod-cpu` with rule
        // `overload` renders auth's `cpu-overload` alert name.
        let payment = payment_service("prod");
        let clashes = new_service_problems(
            "services/payment.yaml",
            &payment,
            "in resource group `rg-phonebill-prod`",
        );
        assert_eq!(clashes.len(), 1, "{clashes:#?}");
        assert!(
            clashes[0]
                .message
                .contains("`phonebill-auth-postgresql-prod-cpu-overload`")
                && clashes[0].message.contains("service `auth` in `prod`"),
            "{clashes:#?}"
        );
        assert_eq!(clashes[0].location(), "services/payment.yaml:55:15");
    }

    #[test]
    fn alert_names_clash_in_resource_groups_that_differ_only_by_case() {
        // Environment `stage` deploys to `RG-phonebill-prod`, which Azure takes for prod's
        // `rg-phonebill-prod`: payment's server `…-prod-cpu` with rule `overload` there
        // renders auth's `cpu-overload` alert name in prod.
        let stage = include_str!("../../inputs/environments/prod.yaml")
            .replacen("name: prod\n", "name: stage\n", 1)
            .replacen(
                "resourceGroup: rg-phonebill-prod\n",
                "resourceGroup: RG-phonebill-prod\n",
                1,
            );
        let payment = payment_service("stage");
        let found = crate::validate::testing::validate_example_with_edits(&[
            ("environments/stage.yaml", "", &stage),
            ("services/payment.yaml", "", &payment),
        ]);
        let clashes: Vec<_> = found
            .iter()
            .filter(|d| d.message.contains("in resource group `RG-phonebill-prod`"))
            .collect();
        assert_eq!(clashes.len(), 1, "{found:#?}");
        assert!(
            clashes[0]
                .message
                .contains("is named `phonebill-auth-postgresql-prod-cpu-overload`")
                && clashes[0].message.contains("service `auth` in `prod`"),
            "{clashes:#?}"
        );
        assert_eq!(clashes[0].file, "services/payment.yaml");
    }

    #[test]
    fn arm_deployment_names_are_unique_per_resource_group() {
        // Service `bill` in environment `inquiry-dev`, which shares dev's resource group:
        // its alerts deployment is `bill-inquiry-dev-alerts`, as bill-inquiry's in dev.
        let env = include_str!("../../inputs/environments/dev.yaml")
            .replacen("name: dev\n", "name: inquiry-dev\n", 1)
            .replacen(
                "namespace: phonebill-dev ",
                "namespace: phonebill-inquiry-dev ",
                1,
            );
        let service = include_str!("../../inputs/services/bill-inquiry.yaml")
            .replacen("name: bill-inquiry\n", "name: bill\n", 1)
            .replacen("\n  dev:\n", "\n  inquiry-dev:\n", 1);
        let found = crate::validate::testing::validate_example_with_edits(&[
            ("environments/inquiry-dev.yaml", "", &env),
            ("services/bill.yaml", "", &service),
        ]);
        let clashes: Vec<_> = found
            .iter()
            .filter(|d| d.message.contains("ARM deployment"))
            .collect();
        assert_eq!(clashes.len(), 1, "{found:#?}");
        assert!(
            clashes[0].message.contains(
                "`bill-inquiry-dev-alerts` is also used by service `bill-inquiry` in `dev`"
            ),
            "{}",
            clashes[0]
        );
        assert_eq!(clashes[0].file, "services/bill.yaml");
    }

    #[test]
    fn a_name_must_match_its_file() {
        let found = validate_example_with("services/auth.yaml", "name: auth", "name: authn");
        assert_one(
            &found,
            "services/auth.yaml:2:7",
            "differs from the file name",
        );
    }

    #[test]
    fn names_must_be_dns_labels() {
        assert!(is_dns_label("bill-inquiry"));
        assert!(!is_dns_label("Bill_Inquiry"));
        assert!(!is_dns_label("-a"));
        let found = validate_example_with("environments/dev.yaml", "name: dev", "name: Dev");
        assert!(
            found
                .iter()
                .any(|d| d.location() == "environments/dev.yaml:3:7"
                    && d.message.contains("usable name")),
            "{found:#?}"
        );
    }

    #[test]
    fn role_names_must_be_unique() {
        let found = validate_example_with(
            "services/auth.yaml",
            "    - name: phonebill_monitor",
            "    - name: phonebill_auth_user",
        );
        assert_one(
            &found,
            "services/auth.yaml:13:13",
            "role `phonebill_auth_user` is defined twice",
        );
    }

    #[test]
    fn action_group_names_must_be_unique() {
        let found = validate_example_with(
            "environments/prod.yaml",
            "    - name: warning",
            "    - name: critical",
        );
        assert!(
            found
                .iter()
                .any(|d| d.location() == "environments/prod.yaml:39:13"
                    && d.message.contains("defined twice")),
            "{found:#?}"
        );
    }

    /// The example with a `qa` environment made from dev's by `edits` of its text, and
    /// bill-inquiry deployed there as in dev.
    fn staging_problems(edits: &[(&str, &str)], containing: &str) -> Vec<Diagnostic> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut staging = std::fs::read_to_string(format!("{root}/inputs/environments/dev.yaml"))
            .unwrap()
            .replace("name: dev\n", "name: qa\n");
        for (from, to) in edits {
            assert!(staging.contains(from), "{from}");
            staging = staging.replace(from, to);
        }
        let service =
            std::fs::read_to_string(format!("{root}/inputs/services/bill-inquiry.yaml")).unwrap();
        // dev's deployment, up to the next one (staging's, on cnpg).
        let start = service.find("  dev:\n").unwrap();
        let end = service[start..]
            .find("  staging:\n")
            .map_or(service.len(), |e| start + e);
        let dev = &service[start..end];
        let both = format!("{}  qa:\n{}", dev, &dev["  dev:\n".len()..]);
        crate::validate::testing::validate_example_with_edits(&[
            ("environments/qa.yaml", "", &staging),
            ("services/bill-inquiry.yaml", dev, &both),
        ])
        .into_iter()
        .filter(|d| d.message.contains(containing))
        .collect()
    }

    #[test]
    fn environments_sharing_a_namespace_or_a_resource_group_clash() {
        // Same cluster and namespace: the StatefulSet's objects.
        let found = staging_problems(&[], "StatefulSet");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains(
                "`postgresql-bill-inquiry` is also used by service `bill-inquiry` in `dev`"
            ),
            "{}",
            found[0]
        );
        // Another namespace, the same resource group: the alert rule group.
        let namespace = [("namespace: phonebill-dev ", "namespace: phonebill-qa ")];
        let found = staging_problems(&namespace, "rule group");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains(
                "alert rule group `postgresql-bill-inquiry-alerts` is also deployed by service `bill-inquiry` in `dev` (resource group `phonebill-dev-rg`)"
            ),
            "{}",
            found[0]
        );
        // Its own resource group (spelled in another case, it is the same one).
        let found = staging_problems(
            &[
                namespace[0],
                (
                    "resourceGroup: phonebill-dev-rg",
                    "resourceGroup: PHONEBILL-DEV-RG",
                ),
            ],
            "rule group",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        let found = staging_problems(
            &[
                namespace[0],
                (
                    "resourceGroup: phonebill-dev-rg",
                    "resourceGroup: phonebill-qa-rg",
                ),
            ],
            "",
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn stateful_set_names_are_unique_per_environment() {
        let example = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/inputs/services/bill-inquiry.yaml"
        );
        let twin = std::fs::read_to_string(example)
            .unwrap()
            .replace("name: bill-inquiry\n", "name: bill-twin\n");
        let clash = new_service_problems("services/bill-twin.yaml", &twin, "StatefulSet");
        assert_eq!(clash.len(), 1, "{clash:#?}");
        assert_eq!(clash[0].location(), "services/bill-twin.yaml:28:13");
        assert!(
            clash[0].message.contains(
                "`postgresql-bill-inquiry` is also used by service `bill-inquiry` in `dev`"
            ),
            "{}",
            clash[0]
        );
    }
}
