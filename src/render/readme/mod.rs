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
    let (aks, azure, replicas) = match (&target.deployment, &target.env.aks, &target.env.azure) {
        (Deployment::Aks(set), Some(aks), _) => (Some(aks::view(target, aks, set)), None, 0),
        (Deployment::FlexibleServer(server), _, Some(azure)) => (
            None,
            Some(azure::view(azure, server)),
            server.replicas.len(),
        ),
        _ => unreachable!("validation checks the deployment fits the platform"),
    };
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
