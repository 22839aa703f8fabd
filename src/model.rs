//! Stage 3: the validated model. Defaults are applied, references resolved and targets
//! formed; renderers read only this, never the input files.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::input::{
    Access, AksEnvironment, AlertRule, Alerting, AzureEnvironment, Platform, ScalarValue,
    SeedTable, ServerDeployment, StatefulSetDeployment,
};
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
    pub aks: Option<AksEnvironment>,
    /// Azure settings (platform `azure-flexible-server`).
    pub azure: Option<AzureEnvironment>,
    /// Alerting policy.
    pub alerting: Alerting,
}

/// One service's database, with defaults applied.
#[derive(Debug, Clone)]
pub struct Database {
    /// Database name.
    pub name: String,
    /// Encoding.
    pub encoding: String,
    /// Locale (collation and ctype), when the design sets one.
    pub locale: Option<String>,
    /// Timezone.
    pub timezone: String,
    /// Extensions.
    pub extensions: Vec<String>,
    /// Schemas besides `public`.
    pub schemas: Vec<String>,
    /// The schema file: path relative to the inputs folder and contents.
    pub schema_file: Option<(String, String)>,
    /// Login roles.
    pub roles: Vec<Role>,
    /// Seed rows.
    pub seed_data: Vec<SeedTable>,
}

impl Database {
    /// `public` and the design's schemas: every schema the roles get access to.
    pub fn all_schemas(&self) -> Vec<String> {
        std::iter::once("public".to_owned())
            .chain(self.schemas.iter().cloned())
            .collect()
    }
}

/// A login role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Role name.
    pub name: String,
    /// Access level.
    pub access: Access,
    /// Connection limit.
    pub connection_limit: u32,
    /// Secret holding the password.
    pub password_secret: String,
    /// Environment variable the SQL reads the password from.
    pub password_env: String,
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
    Aks(StatefulSetDeployment),
    /// Flexible Server.
    FlexibleServer(ServerDeployment),
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

    /// Server parameters of the deployment.
    pub fn parameters(&self) -> &BTreeMap<String, ScalarValue> {
        match &self.deployment {
            Deployment::Aks(set) => &set.parameters,
            Deployment::FlexibleServer(server) => &server.parameters,
        }
    }
}

/// The environment variable holding a secret: upper case, every character other than a
/// letter or digit turned into `_` (`phonebill-auth-user-password` →
/// `PHONEBILL_AUTH_USER_PASSWORD`), and `_` first when the name starts with a digit, which
/// no shell variable can (both Kubernetes Secret keys and Key Vault names may).
pub fn secret_env_var(secret: &str) -> String {
    let digit_first = secret.starts_with(|c: char| c.is_ascii_digit());
    digit_first
        .then_some('_')
        .into_iter()
        .chain(secret.chars())
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Builds the model from a valid design.
pub fn build(design: &Design) -> Model {
    let defaults = &design.project.value.defaults.database;
    let project = Arc::new(Project {
        name: design.project.value.name.clone(),
        labels: design.project.value.labels.clone(),
    });
    let environments: BTreeMap<&str, Arc<Environment>> = design
        .environments
        .iter()
        .map(|e| {
            let env = Environment {
                name: e.value.name.clone(),
                source: e.file.rel.clone(),
                platform: e.value.platform,
                aks: e.value.aks.clone(),
                azure: e.value.azure.clone(),
                alerting: e.value.alerting.clone().unwrap_or_default(),
            };
            (e.value.name.as_str(), Arc::new(env))
        })
        .collect();
    let mut targets = Vec::new();
    for s in &design.services {
        let db = &s.value.database;
        let schema_file = db
            .schema_file
            .as_ref()
            .and_then(|reference| load::resolve_beside(&s.file.rel, reference).ok())
            .and_then(|rel| design.referenced.get(&rel).map(|text| (rel, text.clone())));
        let service = Arc::new(Service {
            name: s.value.name.clone(),
            source: s.file.rel.clone(),
            database: Database {
                name: db.name.clone(),
                encoding: db
                    .encoding
                    .clone()
                    .or_else(|| defaults.encoding.clone())
                    .unwrap_or_else(|| "UTF8".to_owned()),
                locale: db.locale.clone().or_else(|| defaults.locale.clone()),
                timezone: db
                    .timezone
                    .clone()
                    .or_else(|| defaults.timezone.clone())
                    .unwrap_or_else(|| "UTC".to_owned()),
                extensions: db.extensions.clone(),
                schemas: db.schemas.clone(),
                schema_file,
                roles: db
                    .roles
                    .iter()
                    .map(|r| Role {
                        name: r.name.clone(),
                        access: r.access,
                        connection_limit: r.connection_limit,
                        password_secret: r.password_secret.clone(),
                        password_env: secret_env_var(&r.password_secret),
                    })
                    .collect(),
                seed_data: db.seed_data.clone(),
            },
            alert_rules: s.value.alerting.clone().unwrap_or_default().rules,
        });
        for (env_name, deployment) in &s.value.deployments {
            let env = environments[env_name.as_str()].clone();
            let deployment = match (&deployment.stateful_set, &deployment.server) {
                (Some(set), _) if env.platform == Platform::Aks => Deployment::Aks(set.clone()),
                (_, Some(server)) => Deployment::FlexibleServer(server.clone()),
                _ => unreachable!("validation checks the deployment fits the platform"),
            };
            targets.push(Target {
                project: project.clone(),
                env,
                service: service.clone(),
                deployment,
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn secret_names_become_variable_names() {
        assert_eq!(
            secret_env_var("phonebill-auth-user-password"),
            "PHONEBILL_AUTH_USER_PASSWORD"
        );
        assert_eq!(secret_env_var("a.b/c"), "A_B_C");
        assert_eq!(secret_env_var("1st-password"), "_1ST_PASSWORD");
    }
}
