//! Rules of the dashboards (`deployments.<env>.dashboard`): a panel the target cannot chart,
//! a panel listed twice, a name that is not one line of text, and an aks dashboard without
//! the Azure Monitor workspace its queries read. Each rule is a named function with a
//! bad-input test beside it.

use crate::diagnostics::Diagnostic;
use crate::input::{Deployment, Panel, Platform};
use crate::model::Signal;
use crate::model::dashboard::{Charted, chartable, enabled};
use crate::path;
use crate::validate::Design;

/// Runs every dashboard rule.
pub fn check_all(design: &Design, out: &mut Vec<Diagnostic>) {
    panels_can_be_charted(design, out);
    panels_are_listed_once(design, out);
    names_are_one_line(design, out);
    aks_dashboards_need_a_workspace(design, out);
}

/// Every deployment of every service with its environment's platform, and its dashboard
/// when the design writes one.
fn dashboards(design: &Design) -> Vec<(usize, &str, Platform, &Deployment)> {
    let mut found = Vec::new();
    for (s, service) in design.services.iter().enumerate() {
        for (env, deployment) in &service.value.deployments {
            if let Some(e) = design.environment(env) {
                found.push((s, env.as_str(), e.value.platform, deployment));
            }
        }
    }
    found
}

/// The panels the design lists for a deployment, if it lists any.
fn listed_panels(deployment: &Deployment) -> Option<&Vec<Panel>> {
    deployment.dashboard.as_ref()?.panels.as_ref()
}

/// What a deployment charts: an aks pod, or a server with or without replicas.
fn charted(platform: Platform, deployment: &Deployment) -> Charted {
    match platform {
        Platform::Aks => Charted::Aks,
        Platform::Cnpg => Charted::Cnpg {
            replicas: deployment.cluster.as_ref().is_some_and(|c| c.instances > 1),
        },
        Platform::AzureFlexibleServer => Charted::FlexibleServer {
            replicas: deployment
                .server
                .as_ref()
                .is_some_and(|s| !s.replicas.is_empty()),
        },
    }
}

/// A panel the target has no series for (IOPS or replication on aks, replication on a
/// server without replicas) is refused where it is listed: it would be an empty chart.
fn panels_can_be_charted(design: &Design, out: &mut Vec<Diagnostic>) {
    for (s, env, platform, deployment) in dashboards(design) {
        let Some(panels) = listed_panels(deployment) else {
            continue;
        };
        let service = &design.services[s];
        for (i, &panel) in panels.iter().enumerate() {
            if let Err(why) = chartable(Signal::from(panel), charted(platform, deployment)) {
                out.push(
                    service
                        .at(
                            path!["deployments", env, "dashboard", "panels", i],
                            format!(
                                "panel `{}` cannot be charted here: {}",
                                Signal::from(panel).as_str(),
                                why.reason()
                            ),
                        )
                        .hint("remove it from `panels`"),
                );
            }
        }
    }
}

/// A panel listed twice would be drawn twice.
fn panels_are_listed_once(design: &Design, out: &mut Vec<Diagnostic>) {
    for (s, env, _, deployment) in dashboards(design) {
        let Some(panels) = listed_panels(deployment) else {
            continue;
        };
        for (i, panel) in panels.iter().enumerate() {
            if let Some(first) = panels[..i].iter().position(|p| p == panel) {
                out.push(design.services[s].at(
                    path!["deployments", env, "dashboard", "panels", i],
                    format!(
                        "panel `{}` is listed twice (first as item {})",
                        Signal::from(*panel).as_str(),
                        first + 1
                    ),
                ));
            }
        }
    }
}

/// The name is shown in the portal and written into Bicep and Markdown: one line of text,
/// not empty.
fn names_are_one_line(design: &Design, out: &mut Vec<Diagnostic>) {
    for (s, env, _, deployment) in dashboards(design) {
        let Some(name) = deployment.dashboard.as_ref().and_then(|d| d.name.as_ref()) else {
            continue;
        };
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            out.push(
                design.services[s]
                    .at(
                        path!["deployments", env, "dashboard", "name"],
                        "a dashboard name must be one line of text, not empty",
                    )
                    .expected("a name without line breaks or other control characters"),
            );
        }
    }
}

/// An aks dashboard queries the Azure Monitor workspace that scrapes the cluster, which
/// only `alerting.azureMonitorWorkspace` names.
fn aks_dashboards_need_a_workspace(design: &Design, out: &mut Vec<Diagnostic>) {
    for (s, env, platform, deployment) in dashboards(design) {
        if !platform.in_kubernetes() || !enabled(deployment.dashboard.as_ref()) {
            continue;
        }
        let environment = design.environment(env).expect("listed above");
        let workspace = environment
            .value
            .alerting
            .as_ref()
            .and_then(|a| a.azure_monitor_workspace.as_ref());
        // With alert rules, `aks_rules_need_a_workspace` reports the missing workspace already.
        let env_rules = environment
            .value
            .alerting
            .as_ref()
            .is_some_and(|a| !a.rules.is_empty());
        let service_rules = design.services[s]
            .value
            .alerting
            .as_ref()
            .is_some_and(|a| !a.rules.is_empty());
        if workspace.is_some() || env_rules || service_rules {
            continue;
        }
        let service = &design.services[s];
        let at = path!["deployments", env];
        let diagnostic = if deployment.dashboard.is_some() {
            service.at_key(at, "dashboard", "")
        } else {
            service.at(at, "")
        };
        out.push(
            Diagnostic {
                message: format!(
                    "the dashboard of `{}` in `{env}` reads managed Prometheus, but environment `{env}` names no `alerting.azureMonitorWorkspace`",
                    service.value.name
                ),
                ..diagnostic
            }
            .hint("name the Azure Monitor workspace that scrapes the cluster in the environment's `alerting`, or set `dashboard: { enabled: false }`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{
        assert_one, validate_example_with, validate_example_with_edits,
    };

    const BILL: &str = "services/bill-inquiry.yaml";
    const AUTH: &str = "services/auth.yaml";
    const DEV_SET: &str = "  dev:\n    statefulSet:\n";

    fn bill_dashboard(yaml: &str) -> String {
        format!("  dev:\n    dashboard: {yaml}\n    statefulSet:\n")
    }

    #[test]
    fn iops_cannot_be_charted_on_aks() {
        let found = validate_example_with(
            BILL,
            DEV_SET,
            &bill_dashboard("{ panels: [cpu_percent, iops_percent] }"),
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:27:40",
            "panel `iops_percent` cannot be charted here",
        );
    }

    #[test]
    fn replication_lag_needs_replicas() {
        let found = validate_example_with_edits(&[
            (
                AUTH,
                "  prod:\n    server:\n",
                "  prod:\n    dashboard: { panels: [replication_lag_bytes] }\n    server:\n",
            ),
            (
                AUTH,
                "      replicas:\n        - name: phonebill-auth-postgresql-prod-krs    # disaster recovery and read load\n          location: koreasouth\n          sku: Standard_D4s_v3\n        - name: phonebill-auth-postgresql-prod-krc    # read load in the same region\n          location: koreacentral\n          sku: Standard_D4s_v3\n",
                "      replicas: []\n",
            ),
        ]);
        assert!(
            found.iter().any(|d| d
                .message
                .contains("panel `replication_lag_bytes` cannot be charted")),
            "{found:#?}"
        );
    }

    #[test]
    fn a_panel_is_listed_once() {
        let found = validate_example_with(
            BILL,
            DEV_SET,
            &bill_dashboard("{ panels: [connections, cpu_percent, connections] }"),
        );
        assert_one(&found, "services/bill-inquiry.yaml:27:53", "listed twice");
    }

    #[test]
    fn a_name_is_one_line() {
        let found = validate_example_with(BILL, DEV_SET, &bill_dashboard("{ name: \"a\\nb\" }"));
        assert_one(
            &found,
            "services/bill-inquiry.yaml:27:24",
            "one line of text",
        );
    }

    #[test]
    fn an_aks_dashboard_needs_a_workspace() {
        let found = validate_example_with(
            "environments/dev.yaml",
            "  azureMonitorWorkspace: amw-phonebill-dev\n",
            "",
        );
        // With rules, the missing workspace is reported once, at the environment.
        assert!(
            found.iter().all(|d| !d.message.contains("dashboard")),
            "{found:#?}"
        );
        let found = validate_example_with(
            "environments/dev.yaml",
            "  # Azure Monitor managed Prometheus workspace that scrapes the cluster.\n  azureMonitorWorkspace: amw-phonebill-dev\n  actionGroups:\n    - name: dev-team\n      shortName: pb-dev\n      email: [phonebill-dev@company.com]\n  rules:\n    - { name: cpu-high, signal: cpu_percent, above: 80, for: 5m, severity: warning, notify: [dev-team] }\n    - { name: memory-high, signal: memory_percent, above: 85, for: 5m, severity: warning, notify: [dev-team] }\n    - { name: storage-high, signal: storage_percent, above: 80, for: 15m, severity: warning, notify: [dev-team] }\n    - { name: connections-high, signal: connections, above: 80, for: 5m, severity: warning, notify: [dev-team] }\n    - { name: database-down, signal: database_down, for: 1m, severity: critical, notify: [dev-team] }\n",
            "  actionGroups:\n    - name: dev-team\n      shortName: pb-dev\n      email: [phonebill-dev@company.com]\n  rules: []\n",
        );
        assert!(
            found.iter().any(|d| d
                .message
                .contains("names no `alerting.azureMonitorWorkspace`")
                && d.location().starts_with("services/bill-inquiry.yaml:")),
            "{found:#?}"
        );
        let off = validate_example_with_edits(&[
            (
                "environments/dev.yaml",
                "  azureMonitorWorkspace: amw-phonebill-dev\n",
                "",
            ),
            (BILL, DEV_SET, &bill_dashboard("{ enabled: false }")),
        ]);
        assert!(
            !off.iter().any(|d| d.message.contains("dashboard")),
            "{off:#?}"
        );
    }
}
