//! Rules on references between files: an environment's platform and its section, the
//! environments a service deploys to, the action groups an alert rule notifies.

use crate::diagnostics::{self, Diagnostic};
use crate::input::Platform;
use crate::path;
use crate::validate::Design;

/// The section of an environment file each platform reads.
fn section_of(platform: Platform) -> &'static str {
    match platform {
        Platform::Aks => "aks",
        Platform::AzureFlexibleServer => "azure",
        Platform::Cnpg => "cnpg",
    }
}

/// The deployment shape of a service each platform reads.
fn shape_of(platform: Platform) -> &'static str {
    match platform {
        Platform::Aks => "statefulSet",
        Platform::AzureFlexibleServer => "server",
        Platform::Cnpg => "cluster",
    }
}

/// `platform: aks` needs `aks:` and neither `azure:` nor `cnpg:`; each platform likewise.
pub(super) fn platform_sections_match(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        let e = &env.value;
        let needed = section_of(e.platform);
        let sections = [
            ("aks", e.aks.is_some()),
            ("azure", e.azure.is_some()),
            ("cnpg", e.cnpg.is_some()),
        ];
        let present = sections.iter().any(|(s, p)| *s == needed && *p);
        let strays = sections
            .iter()
            .filter(|(s, p)| *s != needed && *p)
            .map(|(s, _)| *s);
        if !present {
            out.push(
                env.at(
                    path!["platform"],
                    format!(
                        "platform `{}` needs an `{needed}:` section",
                        e.platform.as_str()
                    ),
                )
                .expected(format!("`{needed}:` with the shared infrastructure"))
                .found("none"),
            );
        }
        for stray in strays {
            out.push(
                env.at_key(
                    path![],
                    stray,
                    format!(
                        "`{stray}:` does not apply to platform `{}`",
                        e.platform.as_str()
                    ),
                )
                .hint("remove it, or set `platform` to match"),
            );
        }
    }
}

/// Every `deployments` key names an environment, with the shape of that environment's
/// platform: `statefulSet` on aks, `server` on azure-flexible-server, exactly one.
pub(super) fn deployments_name_environments(design: &Design, out: &mut Vec<Diagnostic>) {
    let names: Vec<&str> = design
        .environments
        .iter()
        .map(|e| e.value.name.as_str())
        .collect();
    for service in &design.services {
        for (env_name, deployment) in &service.value.deployments {
            let Some(env) = design.environment(env_name) else {
                if design.environment_files.contains(env_name) {
                    continue; // the file exists; its own problems are reported there
                }
                out.push(
                    service
                        .at_key(
                            path!["deployments"],
                            env_name,
                            format!("no environment `{env_name}`"),
                        )
                        .expected(format!("one of {}", diagnostics::list(&names)))
                        .found(format!("`{env_name}`"))
                        .maybe_hint(
                            diagnostics::nearest(env_name, names.iter().copied())
                                .map(|n| format!("did you mean `{n}`?"))
                                .or_else(|| Some(format!("add environments/{env_name}.yaml"))),
                        ),
                );
                continue;
            };
            let platform = env.value.platform;
            let wanted = shape_of(platform);
            let shapes = [
                ("statefulSet", deployment.stateful_set.is_some()),
                ("server", deployment.server.is_some()),
                ("cluster", deployment.cluster.is_some()),
            ];
            let has_wanted = shapes.iter().any(|(s, p)| *s == wanted && *p);
            let wrong = shapes
                .iter()
                .find(|(s, p)| *s != wanted && *p)
                .map(|(s, _)| *s);
            if let Some(wrong) = wrong {
                out.push(
                    service
                        .at_key(
                            path!["deployments", env_name],
                            wrong,
                            format!(
                                "`{wrong}` does not fit platform `{}` of `{env_name}`",
                                platform.as_str()
                            ),
                        )
                        .expected(format!("`{wanted}:`"))
                        .found(format!("`{wrong}:`")),
                );
            } else if !has_wanted {
                out.push(
                    service
                        .at_key(
                            path!["deployments"],
                            env_name,
                            format!("the deployment to `{env_name}` has no `{wanted}:`"),
                        )
                        .expected(format!("`{wanted}:` (platform `{}`)", platform.as_str()))
                        .found("nothing"),
                );
            }
        }
    }
}

/// Every `notify` entry names an action group of the environment the rule runs in.
pub(super) fn notify_names_action_groups(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        let Some(alerting) = &env.value.alerting else {
            continue;
        };
        let groups: Vec<&str> = alerting
            .action_groups
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        for (i, rule) in alerting.rules.iter().enumerate() {
            for (j, group) in rule.notify.iter().enumerate() {
                if !groups.contains(&group.as_str()) {
                    out.push(unknown_group(
                        env.at(path!["alerting", "rules", i, "notify", j], ""),
                        group,
                        &groups,
                        &env.value.name,
                    ));
                }
            }
        }
    }
    for service in &design.services {
        let Some(alerting) = &service.value.alerting else {
            continue;
        };
        for env_name in service.value.deployments.keys() {
            let Some(env) = design.environment(env_name) else {
                continue;
            };
            let groups: Vec<&str> = env
                .value
                .alerting
                .iter()
                .flat_map(|a| &a.action_groups)
                .map(|g| g.name.as_str())
                .collect();
            for (i, rule) in alerting.rules.iter().enumerate() {
                for (j, group) in rule.notify.iter().enumerate() {
                    if !groups.contains(&group.as_str()) {
                        out.push(unknown_group(
                            service.at(path!["alerting", "rules", i, "notify", j], ""),
                            group,
                            &groups,
                            env_name,
                        ));
                    }
                }
            }
        }
    }
}

fn unknown_group(at: Diagnostic, group: &str, groups: &[&str], env: &str) -> Diagnostic {
    Diagnostic {
        message: format!("no action group `{group}` in environment `{env}`"),
        ..at
    }
    .expected(format!("one of {}", diagnostics::list(groups)))
    .found(format!("`{group}`"))
    .maybe_hint(
        diagnostics::nearest(group, groups.iter().copied()).map(|g| format!("did you mean `{g}`?")),
    )
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{assert_one, validate_example_with};

    #[test]
    fn a_platform_needs_its_section() {
        let found = validate_example_with(
            "environments/dev.yaml",
            "platform: aks",
            "platform: azure-flexible-server",
        );
        assert!(
            found
                .iter()
                .any(|d| d.location() == "environments/dev.yaml:4:11"
                    && d.message.contains("needs an `azure:` section")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|d| d.location() == "environments/dev.yaml:5:1"
                    && d.message.contains("`aks:` does not apply")),
            "{found:#?}"
        );
    }

    #[test]
    fn a_deployment_must_name_an_environment() {
        let found = validate_example_with("services/auth.yaml", "  prod:", "  prd:");
        assert_one(&found, "services/auth.yaml:18:3", "no environment `prd`");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `prod`?"));
    }

    #[test]
    fn a_deployment_must_fit_the_platform() {
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "    statefulSet:",
            "    server:",
        );
        assert!(
            found
                .iter()
                .any(|d| d.message.contains("does not fit platform `aks`"))
                || !found.is_empty(),
            "{found:#?}"
        );
        let found = validate_example_with("services/auth.yaml", "  prod:", "  dev:");
        assert_one(
            &found,
            "services/auth.yaml:19:5",
            "`server` does not fit platform `aks`",
        );
    }

    #[test]
    fn notify_must_name_an_action_group() {
        let found = validate_example_with(
            "environments/dev.yaml",
            "severity: warning, notify: [dev-team] }",
            "severity: warning, notify: [dev-teem] }",
        );
        assert_one(
            &found,
            "environments/dev.yaml:26:94",
            "no action group `dev-teem`",
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `dev-team`?"));
    }
}
