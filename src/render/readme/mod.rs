//! The install plan of every target: `README.md`, rendered from the model (never from the
//! other rendered files). What is deployed, a Mermaid diagram of it, the secrets to create,
//! the commands to apply it in order, how to verify and roll it back, and what the platform
//! cannot do that such plans tend to ask for.
//!
//! One module per part of `templates/readme/`: the database, the alerts, and the
//! platform-specific plan of aks or Azure.

mod aks;
mod alerts;
mod azure;
mod backup;
mod cnpg;
mod database;
pub mod drills;

use serde::Serialize;

use crate::model::{Deployment, Target};
use crate::render::{CommentStyle, RenderError, Templates, header, sql};

/// What `templates/readme/*` read. THESE FIELDS ARE USED BY THE TEMPLATES.
#[derive(Debug, Serialize)]
struct ReadmeView {
    project: String,
    env: String,
    service: String,
    dir: String,
    platform: &'static str,
    sql_files: Vec<String>,
    database: database::DatabaseView,
    alerts: alerts::AlertsView,
    aks: Option<aks::AksView>,
    azure: Option<azure::AzureView>,
    cnpg: Option<cnpg::CnpgView>,
    /// The aks target's backups, when the design asks for any.
    backup: Option<backup::BackupView>,
    /// Names of the ARM deployments (`-n` of `az deployment group create`).
    deployments: DeploymentsView,
    /// The workbook deployed with the alerts, as a sketch of its panels.
    dashboard: Option<drills::DashboardView>,
    /// The failover and restore drills.
    drills: drills::DrillsView,
}

#[derive(Debug, Serialize)]
struct DeploymentsView {
    resource_group: String,
    main: Option<String>,
    alerts: String,
}

fn view(target: &Target) -> ReadmeView {
    let backup = match (&target.deployment, &target.env.aks) {
        (Deployment::Aks(set), Some(aks)) => backup::view(target, aks, set),
        _ => None,
    };
    let (mut aks, mut azure, mut cnpg, mut replicas) = (None, None, None, 0);
    match (&target.deployment, &target.env) {
        (Deployment::Aks(set), env) if env.aks.is_some() => {
            aks = env.aks.as_ref().map(|a| aks::view(target, a, set));
        }
        (Deployment::FlexibleServer(server), env) if env.azure.is_some() => {
            azure = env.azure.as_ref().map(|a| azure::view(a, server));
            replicas = server.replicas.len();
        }
        (Deployment::Cnpg(cluster), env) if env.cnpg.is_some() => {
            cnpg = env.cnpg.as_ref().map(|c| cnpg::view(target, c, cluster));
            replicas = cluster.instances.saturating_sub(1) as usize;
        }
        _ => unreachable!("validation checks the deployment fits the platform"),
    }
    ReadmeView {
        project: target.project.name.clone(),
        env: target.env.name.clone(),
        service: target.service.name.clone(),
        dir: target.dir(),
        platform: target.env.platform.as_str(),
        sql_files: sql::script_names(target),
        database: database::view(target),
        alerts: alerts::view(target, replicas),
        aks,
        azure,
        cnpg,
        backup,
        deployments: DeploymentsView {
            resource_group: target.arm_deployments.resource_group.clone(),
            main: target.arm_deployments.main.clone(),
            alerts: target.arm_deployments.alerts.clone(),
        },
        dashboard: drills::dashboard(target),
        drills: drills::view(target),
    }
}

/// `README.md` of a target.
pub fn render(target: &Target, templates: &Templates) -> Result<String, RenderError> {
    let head = header(CommentStyle::Html, &target.sources());
    let body = templates.render("readme/README.md.j2", &view(target))?;
    Ok(format!("{head}{body}"))
}
