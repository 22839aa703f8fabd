//! Stage 3: the validated model. Defaults are applied, references resolved, targets formed
//! and every name derived from the inputs made, once: renderers read only this, never the
//! input types, so that the README names the same objects the manifests and Bicep create.
//!
//! The input types stay the contract (what a user writes); the model's own types are what
//! the outputs need, one submodule per concern.

mod aks;
mod alerting;
mod azure;
pub mod azure_facts;
pub mod azure_parameters;
pub mod backup;
pub mod cnpg;
pub mod cnpg_facts;
pub mod dashboard;
pub mod database;
mod parameters;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use aks::{
    AKS_STORAGE_CLASSES, Aks, CLIENT_LABEL_PREFIX, COMPONENT_LABEL, CpuBasis, DATA_VOLUME,
    DATABASE_COMPONENT, DEFAULT_MAX_UNAVAILABLE, ExporterLogin, ExporterSeries, GEN_LABEL_PREFIX,
    INSTANCE_LABEL, Image, ImmutableField, Limits, MetricsScrape, ObjectNames, Quantities,
    Resources, SCHEMA_COMPONENT, STATEFUL_SET_IMMUTABLE_FIELDS, StatefulSet, Toleration,
    rule_group_name,
};
pub use alerting::{
    AZURE_METRICS, ActionGroup, Aggregation, AlertRule, Alerting, AzureMetric, AzureScope,
    Severity, Signal, SmsReceiver, WebhookReceiver, action_group_resource_name, alert_name,
    azure_alert_scopes, azure_metric, azure_metric_row, needs_replicas, resource_health_alert_name,
    rule_alert_name, servers_of,
};
pub use azure::{
    Administrator, Azure, CustomerKey, DnsZoneRef, FirewallRule, HighAvailability, KeyVault,
    Network, PrivateEndpoint, Replica, ReplicaLifecycle, ReplicaSubnet, ResourceRef, Server,
    Storage, Subnet, drill_server_name, private_endpoint_name,
};
pub use backup::{Backup, BackupNames, Dumps, Snapshots};
pub use database::{Access, Database, Role, Scalar, SeedTable, secret_env_var};

use crate::input::{self, DatabaseDefaults, EnvironmentFile, ServiceFile};
use crate::load;
use crate::validate::Design;

/// Everything to render.
#[derive(Debug, Clone)]
pub struct Model {
    /// The project.
    pub project: Arc<Project>,
    /// Every environment, by name, whether a service runs there or not.
    pub environments: Vec<Arc<Environment>>,
    /// One per (environment, service), sorted by environment then service.
    pub targets: Vec<Target>,
}

/// Project-wide settings.
#[derive(Debug, Clone)]
pub struct Project {
    /// System name.
    pub name: String,
    /// Labels for every object.
    pub labels: BTreeMap<String, String>,
}

impl Project {
    /// The labels as Azure tags: tag names cannot contain `< > % & \ ? /`, so each of those
    /// becomes `_` (`app.kubernetes.io/part-of` → `app.kubernetes.io_part-of`).
    pub fn azure_tags(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .map(|(name, value)| {
                let name = name
                    .chars()
                    .map(|c| if "<>%&\\?/".contains(c) { '_' } else { c })
                    .collect();
                (name, value.clone())
            })
            .collect()
    }
}

/// The platform an environment's databases run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// A StatefulSet in an AKS cluster.
    Aks,
    /// Azure Database for PostgreSQL Flexible Server.
    AzureFlexibleServer,
    /// A CloudNativePG Cluster in an AKS cluster.
    Cnpg,
}

impl Platform {
    /// The name as written in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Aks => "aks",
            Platform::AzureFlexibleServer => "azure-flexible-server",
            Platform::Cnpg => "cnpg",
        }
    }
}

impl From<input::Platform> for Platform {
    fn from(platform: input::Platform) -> Platform {
        match platform {
            input::Platform::Aks => Platform::Aks,
            input::Platform::AzureFlexibleServer => Platform::AzureFlexibleServer,
            input::Platform::Cnpg => Platform::Cnpg,
        }
    }
}

/// One environment.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Name.
    pub name: String,
    /// Input file, relative to the inputs folder.
    pub source: String,
    /// Platform.
    pub platform: Platform,
    /// AKS settings (platform `aks`).
    pub aks: Option<Aks>,
    /// Azure settings (platform `azure-flexible-server`).
    pub azure: Option<Azure>,
    /// Operator settings (platform `cnpg`).
    pub cnpg: Option<cnpg::Cnpg>,
    /// Alerting policy.
    pub alerting: Alerting,
}

/// One service.
#[derive(Debug, Clone)]
pub struct Service {
    /// Name.
    pub name: String,
    /// Input file, relative to the inputs folder.
    pub source: String,
    /// Database.
    pub database: Database,
    /// Service-specific alert rules.
    pub alert_rules: Vec<AlertRule>,
}

/// How a target is deployed.
#[derive(Debug, Clone)]
pub enum Deployment {
    /// In-cluster StatefulSet.
    Aks(Box<StatefulSet>),
    /// Flexible Server.
    FlexibleServer(Box<Server>),
    /// CloudNativePG Cluster.
    Cnpg(Box<cnpg::Cluster>),
}

impl Deployment {
    /// What the target's charts can draw on.
    pub fn charted(&self) -> dashboard::Charted {
        match self {
            Deployment::Aks(_) => dashboard::Charted::Aks,
            Deployment::Cnpg(cluster) => dashboard::Charted::Cnpg {
                replicas: cluster.instances > 1,
            },
            Deployment::FlexibleServer(server) => dashboard::Charted::FlexibleServer {
                replicas: !server.replicas.is_empty(),
            },
        }
    }
}

/// Why a rule renders no alert on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unobservable {
    /// Replica lag on aks, whose StatefulSet runs a single pod.
    NoReplicasOnAks,
    /// Replica lag on a server without read replicas.
    ServerWithoutReplicas,
    /// Replica lag on a cnpg cluster of one instance.
    SingleInstance,
    /// Backup age on a cnpg cluster without `backup`.
    NoBackup,
}

/// One (environment, service) pair: one output folder.
#[derive(Debug, Clone)]
pub struct Target {
    /// The project.
    pub project: Arc<Project>,
    /// The environment.
    pub env: Arc<Environment>,
    /// The service.
    pub service: Arc<Service>,
    /// The deployment.
    pub deployment: Deployment,
    /// The ARM deployments of the install plan.
    pub arm_deployments: ArmDeployments,
    /// The workbook deployed with the alerts, unless the design turns it off.
    pub dashboard: Option<dashboard::Dashboard>,
}

/// The ARM deployments (`az deployment group create -n <name>`) of a target. Without `-n`
/// the name is the template's file name (`main`, `alerts`), so two targets deploying to one
/// resource group would overwrite each other's deployment history, or fail with
/// `DeploymentActive` while the other runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmDeployments {
    /// Resource group the deployments go to.
    pub resource_group: String,
    /// Name of the deployment of `bicep/main.bicep` (azure-flexible-server only).
    pub main: Option<String>,
    /// Name of the deployment of `alerts/alerts.bicep`.
    pub alerts: String,
}

/// The kinds of ARM deployment a target has, as the last part of their names.
pub const ARM_DEPLOYMENT_KINDS: [&str; 2] = ["main", "alerts"];

/// The name of a target's ARM deployment of `kind` (`main`, `alerts`):
/// `<service>-<env>-<kind>`, with `<service>-<env>` cut (and stripped of a trailing `-`) so
/// that the whole fits [`azure_facts::DEPLOYMENT_NAME_MAX`] for every kind. Service and
/// environment names are DNS labels, so every character is one ARM accepts.
pub fn arm_deployment_name(service: &str, env: &str, kind: &str) -> String {
    let longest_kind = ARM_DEPLOYMENT_KINDS
        .iter()
        .map(|k| k.len())
        .max()
        .unwrap_or(0);
    let room = azure_facts::DEPLOYMENT_NAME_MAX - 1 - longest_kind;
    let stem: String = format!("{service}-{env}").chars().take(room).collect();
    format!("{}-{kind}", stem.trim_end_matches('-'))
}

impl ArmDeployments {
    /// The deployments of `service` in `env`.
    pub fn of(service: &str, env: &Environment) -> ArmDeployments {
        let (resource_group, main) = match (&env.aks, &env.azure, &env.cnpg) {
            (_, Some(azure), _) => (
                azure.resource_group.clone(),
                Some(arm_deployment_name(service, &env.name, "main")),
            ),
            (Some(aks), None, _) => (aks.resource_group.clone(), None),
            (None, None, Some(cnpg)) => (cnpg.resource_group.clone(), None),
            (None, None, None) => unreachable!("validation checks the platform section"),
        };
        ArmDeployments {
            resource_group,
            main,
            alerts: arm_deployment_name(service, &env.name, "alerts"),
        }
    }
}

impl Target {
    /// Output folder relative to `out/`.
    pub fn dir(&self) -> String {
        format!("{}/{}", self.env.name, self.service.name)
    }

    /// Input files this target is rendered from, relative to the inputs folder.
    pub fn sources(&self) -> Vec<String> {
        let mut sources = vec![
            "project.yaml".to_owned(),
            self.env.source.clone(),
            self.service.source.clone(),
        ];
        sources.extend(
            self.service
                .database
                .schema_file
                .iter()
                .map(|(rel, _)| rel.clone()),
        );
        sources.extend(
            self.service
                .database
                .migrations
                .iter()
                .map(|m| m.path.clone()),
        );
        sources
    }

    /// The environment's rules followed by the service's own.
    pub fn alert_rules(&self) -> impl Iterator<Item = &AlertRule> {
        self.env
            .alerting
            .rules
            .iter()
            .chain(&self.service.alert_rules)
    }

    /// Why `rule` renders no alert on this target, if so: replica lag is measured on read
    /// replicas, which an aks StatefulSet never has and a server may lack.
    pub fn unobservable(&self, rule: &AlertRule) -> Option<Unobservable> {
        if rule.signal == Signal::BackupAgeHours {
            // Validation refuses the signal outside cnpg.
            return match &self.deployment {
                Deployment::Cnpg(cluster) if cluster.backup.is_some() => None,
                _ => Some(Unobservable::NoBackup),
            };
        }
        if !needs_replicas(rule.signal) {
            return None;
        }
        match &self.deployment {
            Deployment::Aks(_) => Some(Unobservable::NoReplicasOnAks),
            Deployment::FlexibleServer(server) if server.replicas.is_empty() => {
                Some(Unobservable::ServerWithoutReplicas)
            }
            Deployment::FlexibleServer(_) => None,
            Deployment::Cnpg(cluster) if cluster.instances == 1 => {
                Some(Unobservable::SingleInstance)
            }
            Deployment::Cnpg(_) => None,
        }
    }

    /// The name of what the target deploys: StatefulSet, Cluster or server.
    pub fn workload_name(&self) -> &str {
        match &self.deployment {
            Deployment::Aks(set) => &set.name,
            Deployment::FlexibleServer(server) => &server.name,
            Deployment::Cnpg(cluster) => &cluster.name,
        }
    }

    /// The Kubernetes namespace of a target in Kubernetes (aks, cnpg).
    pub fn namespace(&self) -> Option<&str> {
        match (&self.env.aks, &self.env.cnpg) {
            (Some(aks), _) => Some(&aks.namespace),
            (_, Some(cnpg)) => Some(&cnpg.namespace),
            _ => None,
        }
    }

    /// Server parameters of the deployment.
    pub fn parameters(&self) -> &BTreeMap<String, Scalar> {
        match &self.deployment {
            Deployment::Aks(set) => &set.parameters,
            Deployment::FlexibleServer(server) => &server.parameters,
            Deployment::Cnpg(cluster) => &cluster.parameters,
        }
    }
}

/// Builds the model from a valid design.
pub fn build(design: &Design) -> Model {
    let project = Arc::new(Project {
        name: design.project.value.name.clone(),
        labels: design.project.value.labels.clone(),
    });
    let environments: BTreeMap<&str, Arc<Environment>> = design
        .environments
        .iter()
        .map(|e| {
            let env = environment(&e.value, &e.file.rel, &project.name);
            (e.value.name.as_str(), Arc::new(env))
        })
        .collect();
    let mut targets = Vec::new();
    let defaults = &design.project.value.defaults.database;
    for s in &design.services {
        let schema_file = s
            .value
            .database
            .schema_file
            .as_ref()
            .and_then(|reference| load::resolve_beside(&s.file.rel, reference).ok())
            .and_then(|rel| design.referenced.get(&rel).map(|text| (rel, text.clone())));
        let migrations = s
            .value
            .database
            .migrations
            .iter()
            .filter_map(|reference| load::resolve_beside(&s.file.rel, reference).ok())
            .filter_map(|rel| {
                let text = design.referenced.get(&rel)?.clone();
                database::Migration::new(rel, text)
            })
            .collect();
        let service = Arc::new(service(
            &s.value,
            &s.file.rel,
            defaults,
            schema_file,
            migrations,
        ));
        for (env_name, deployment) in &s.value.deployments {
            let env = environments[env_name.as_str()].clone();
            let model_deployment = self::deployment(deployment, &project, &env, &service.database);
            targets.push(Target {
                dashboard: dashboard::build(
                    deployment.dashboard.as_ref(),
                    model_deployment.charted(),
                    &project.name,
                    &service.name,
                    &env.name,
                ),
                deployment: model_deployment,
                arm_deployments: ArmDeployments::of(&service.name, &env),
                project: project.clone(),
                env,
                service: service.clone(),
            });
        }
    }
    targets.sort_by(|a, b| (&a.env.name, &a.service.name).cmp(&(&b.env.name, &b.service.name)));
    Model {
        project,
        environments: environments.into_values().collect(),
        targets,
    }
}

fn environment(env: &EnvironmentFile, source: &str, project: &str) -> Environment {
    Environment {
        name: env.name.clone(),
        source: source.to_owned(),
        platform: env.platform.into(),
        aks: env.aks.as_ref().map(aks::environment),
        azure: env.azure.as_ref().map(azure::environment),
        cnpg: env.cnpg.as_ref().map(cnpg::environment),
        alerting: alerting::build(env.alerting.as_ref(), project, &env.name),
    }
}

fn service(
    file: &ServiceFile,
    source: &str,
    defaults: &DatabaseDefaults,
    schema_file: Option<(String, String)>,
    migrations: Vec<database::Migration>,
) -> Service {
    Service {
        name: file.name.clone(),
        source: source.to_owned(),
        database: database::build(&file.database, defaults, schema_file, migrations),
        alert_rules: file
            .alerting
            .as_ref()
            .map(|a| alerting::rules(&a.rules))
            .unwrap_or_default(),
    }
}

fn deployment(
    deployment: &input::Deployment,
    project: &Project,
    env: &Environment,
    database: &Database,
) -> Deployment {
    let shape = (
        env.platform,
        &deployment.stateful_set,
        &deployment.server,
        &env.aks,
        &env.azure,
    );
    if let (Some(cluster), Some(cnpg)) = (&deployment.cluster, &env.cnpg) {
        return Deployment::Cnpg(Box::new(cnpg::cluster(cluster, cnpg, &env.name)));
    }
    match shape {
        (Platform::Aks, Some(set), _, Some(aks), _) => {
            Deployment::Aks(Box::new(aks::stateful_set(set, aks, database)))
        }
        (Platform::AzureFlexibleServer, _, Some(server), _, Some(azure)) => {
            let scope = azure::Scope {
                project: &project.name,
                env: &env.name,
                azure,
                extensions: &database.extensions,
            };
            Deployment::FlexibleServer(Box::new(azure::server(server, &scope)))
        }
        _ => unreachable!("validation checks the deployment and the environment fit the platform"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_deployment_names_fit_arm() {
        assert_eq!(
            arm_deployment_name("auth", "prod", "main"),
            "auth-prod-main"
        );
        assert_eq!(
            arm_deployment_name("auth", "prod", "alerts"),
            "auth-prod-alerts"
        );
        let long = "s".repeat(63);
        for kind in ARM_DEPLOYMENT_KINDS {
            let name = arm_deployment_name(&long, "prod", kind);
            assert!(name.len() <= azure_facts::DEPLOYMENT_NAME_MAX, "{name}");
            assert!(name.chars().all(azure_facts::is_deployment_name_char));
            assert!(name.ends_with(&format!("-{kind}")), "{name}");
        }
        // A cut that ends on `-` loses it.
        let service = "a".repeat(56);
        assert_eq!(
            arm_deployment_name(&service, "prod", "main"),
            format!("{service}-main")
        );
    }

    #[test]
    fn tag_names_lose_what_azure_refuses() {
        let project = Project {
            name: "p".into(),
            labels: [
                ("app.kubernetes.io/part-of".to_owned(), "x".to_owned()),
                ("a<b>c%d&e\\f?g".to_owned(), "y".to_owned()),
            ]
            .into(),
        };
        assert_eq!(
            project.azure_tags(),
            vec![
                ("a_b_c_d_e_f_g".to_owned(), "y".to_owned()),
                ("app.kubernetes.io_part-of".to_owned(), "x".to_owned())
            ]
        );
    }
}
