//! Rules of the alerting policy: what Azure Monitor and managed Prometheus would refuse
//! or misread, reported at the value that causes it. Each rule is a named function with
//! a bad-input test beside it.
//!
//! A rule on a signal a target cannot observe is not an error: replication lag
//! (`replication_lag_bytes`, `replication_lag_seconds`) on a server without replicas, or on aks (the StatefulSet runs no replicas and the
//! signal table has no Prometheus mapping), is skipped and the render says so
//! (`render::alerts::notes`), as the contract asks.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::duration::{AZURE_WINDOWS, DURATION_FORMS, Duration};
use crate::input::{AlertRule, Platform, Signal};
use crate::load::SourceFile;
use crate::names::{is_dns_label, is_key_vault_secret_name, masked};
use crate::path;
use crate::validate::Design;
use crate::yaml::Seg;

/// Azure's limit on an action group's short name (`groupShortName`).
pub const MAX_SHORT_NAME: usize = 12;

/// Runs every alerting rule.
pub fn check_all(design: &Design, out: &mut Vec<Diagnostic>) {
    let placed = placed_rules(design);
    durations_are_durations(&placed, out);
    azure_windows_are_accepted(&placed, out);
    thresholds_fit_signals(&placed, out);
    lag_in_seconds_is_not_used_on_azure(&placed, out);
    backup_age_is_watched_on_cnpg_only(&placed, out);
    connection_thresholds_can_fire(design, &placed, out);
    rule_names_are_usable(&placed, out);
    service_rules_do_not_repeat_environment_rules(design, out);
    short_names_fit(design, out);
    receiver_names_are_unique(design, out);
    webhooks_need_a_key_vault(design, out);
    webhook_secrets_are_key_vault_names(design, out);
    aks_rules_need_a_workspace(design, &placed, out);
}

/// One rule where it is written, with the platforms it will run on.
struct Placed<'a> {
    file: &'a SourceFile,
    at: Vec<Seg>,
    rule: &'a AlertRule,
    platforms: Vec<Platform>,
    /// The targets it applies to, each (service, environment).
    targets: Vec<(&'a str, &'a str)>,
}

impl Placed<'_> {
    fn at(&self, field: &str, message: impl Into<String>) -> Diagnostic {
        let mut path = self.at.clone();
        path.push(Seg::from(field));
        at(self.file, &path, message)
    }

    fn at_rule(&self, message: impl Into<String>) -> Diagnostic {
        at(self.file, &self.at, message)
    }
}

fn at(file: &SourceFile, path: &[Seg], message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(file.display.clone(), file.root.pos_of(path), message)
}

/// Every rule of every environment and service, with the platforms it runs on: an
/// environment's rules on its own platform, a service's rules on the platform of each
/// environment it is deployed to.
fn placed_rules(design: &Design) -> Vec<Placed<'_>> {
    let mut placed = Vec::new();
    for env in &design.environments {
        let targets: Vec<(&str, &str)> = design
            .services
            .iter()
            .filter(|s| s.value.deployments.contains_key(&env.value.name))
            .map(|s| (s.value.name.as_str(), env.value.name.as_str()))
            .collect();
        for (i, rule) in env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.rules.iter().enumerate())
        {
            placed.push(Placed {
                file: &env.file,
                at: path!["alerting", "rules", i].to_vec(),
                rule,
                platforms: vec![env.value.platform],
                targets: targets.clone(),
            });
        }
    }
    for service in &design.services {
        let mut platforms: Vec<Platform> = service
            .value
            .deployments
            .keys()
            .filter_map(|name| design.environment(name))
            .map(|env| env.value.platform)
            .collect();
        platforms.dedup();
        let targets: Vec<(&str, &str)> = service
            .value
            .deployments
            .keys()
            .map(|env| (service.value.name.as_str(), env.as_str()))
            .collect();
        for (i, rule) in service
            .value
            .alerting
            .iter()
            .flat_map(|a| a.rules.iter().enumerate())
        {
            placed.push(Placed {
                file: &service.file,
                at: path!["alerting", "rules", i].to_vec(),
                rule,
                platforms: platforms.clone(),
                targets: targets.clone(),
            });
        }
    }
    placed
}

/// `for` must read as a duration on every platform.
fn durations_are_durations(placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for p in placed {
        if Duration::parse(&p.rule.duration).is_none() {
            out.push(
                p.at("for", "`for` is not a duration gen can read")
                    .expected(DURATION_FORMS)
                    .found(format!("`{}`", p.rule.duration)),
            );
        }
    }
}

/// Azure metric alerts take only a few windows; another value is refused, never rounded.
fn azure_windows_are_accepted(placed: &[Placed], out: &mut Vec<Diagnostic>) {
    let accepted: Vec<&str> = AZURE_WINDOWS.iter().map(|(_, t)| *t).collect();
    for p in placed {
        let Some(duration) = Duration::parse(&p.rule.duration) else {
            continue;
        };
        if !p.platforms.contains(&Platform::AzureFlexibleServer) || duration.is_azure_window() {
            continue;
        }
        let nearest: Vec<&str> = match duration.azure_neighbours() {
            (Some(below), Some(above)) => vec![below, above],
            (Some(one), None) | (None, Some(one)) => vec![one],
            (None, None) => vec![],
        };
        out.push(
            p.at(
                "for",
                format!(
                    "Azure metric alerts do not accept a window of `{}`",
                    p.rule.duration
                ),
            )
            .expected(format!("one of {}", accepted.join(", ")))
            .found(format!("`{}`", p.rule.duration))
            .hint(format!(
                "gen does not round; choose {} yourself",
                nearest.join(" or ")
            )),
        );
    }
}

/// Which signals are percentages.
pub fn is_percent(signal: Signal) -> bool {
    matches!(
        signal,
        Signal::CpuPercent | Signal::MemoryPercent | Signal::StoragePercent
    )
}

/// `above` is needed by every signal but `database_down`, where it would mean nothing; a
/// percentage lies strictly between 0 and 100 (above 100 never fires); a count or a lag
/// is not negative.
fn thresholds_fit_signals(placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for p in placed {
        let signal = p.rule.signal;
        match (signal, p.rule.above) {
            (Signal::DatabaseDown, Some(_)) => out.push(
                p.at("above", "`above` means nothing for signal `database_down`")
                    .hint("remove it: the rule fires when the database does not answer"),
            ),
            (Signal::DatabaseDown, None) => {}
            (_, None) => out.push(
                p.at_rule(format!(
                    "rule `{}` on signal `{}` needs a threshold",
                    p.rule.name,
                    signal.as_str()
                ))
                .expected("`above: <number>`")
                .found("no `above`"),
            ),
            (_, Some(above)) if is_percent(signal) && !(above > 0.0 && above < 100.0) => out.push(
                p.at("above", format!("`{}` is a percentage", signal.as_str()))
                    .expected("a number above 0 and below 100")
                    .found(above.to_string()),
            ),
            (_, Some(above)) if above < 0.0 => out.push(
                p.at("above", format!("`{}` is never negative", signal.as_str()))
                    .expected("a number of at least 0")
                    .found(above.to_string()),
            ),
            _ => {}
        }
    }
}

/// On azure-flexible-server, `replication_lag_seconds` could only read the replica's
/// **Read Replica Lag** (`physical_replication_delay_in_seconds`), which Microsoft defines as
/// the time since the last replayed transaction: it grows while the primary is idle, so the
/// alert fires on a healthy, idle pair. `replication_lag_bytes` reads the primary's **Max
/// Physical Replication Lag** (WAL bytes the most lagging replica has not replayed), 0 when
/// idle. Sources: the table `crate::model::AZURE_METRICS`.
fn lag_in_seconds_is_not_used_on_azure(placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for p in placed {
        if p.rule.signal == Signal::ReplicationLagSeconds
            && p.platforms.contains(&Platform::AzureFlexibleServer)
        {
            out.push(
                p.at(
                    "signal",
                    "`replication_lag_seconds` fires on an idle primary on azure-flexible-server",
                )
                .expected("`replication_lag_bytes` with `above` in bytes")
                .found("`replication_lag_seconds`")
                .hint("Azure's Read Replica Lag metric is the time since the last replayed transaction, which grows while nothing is written; the primary's physical_replication_delay_in_bytes is the WAL a replica has not replayed, 0 when idle"),
            );
        }
    }
}

/// `backup_age_hours` reads the Barman Cloud plugin's metric of the last base backup, which
/// only cnpg targets have: Flexible Server exports no backup metric to alert on, and an aks
/// StatefulSet's snapshots and dumps are CronJobs with no backup series.
fn backup_age_is_watched_on_cnpg_only(placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for p in placed {
        if p.rule.signal != Signal::BackupAgeHours {
            continue;
        }
        if let Some(other) = p.platforms.iter().find(|&&pl| pl != Platform::Cnpg) {
            out.push(
                p.at(
                    "signal",
                    format!("`backup_age_hours` has no series on {}", other.as_str()),
                )
                .expected("a rule on a `cnpg` environment, or a service deployed to cnpg only")
                .hint("on cnpg it reads the Barman Cloud plugin's barman_cloud_cloudnative_pg_io_last_available_backup_timestamp; Flexible Server and the aks CronJobs export no backup metric"),
            );
        }
    }
}

/// A `connections` rule fires when the connections exceed `above`, and clients can open at
/// most `max_connections` minus the connections kept for administrators (on aks
/// `superuser_reserved_connections`, default 3; on azure-flexible-server 15): a threshold
/// at or above that never fires, so the rule would stay silent exactly when the server is
/// full. Checked for every target the rule applies to (an environment's rule on each
/// service deployed there, a service's rule in each environment), reported once, with the
/// tightest target.
fn connection_thresholds_can_fire(design: &Design, placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for p in placed {
        let (Signal::Connections, Some(above)) = (p.rule.signal, p.rule.above) else {
            continue;
        };
        let tightest = p
            .targets
            .iter()
            .filter_map(|&(service_name, env_name)| {
                let service = design
                    .services
                    .iter()
                    .find(|s| s.value.name == service_name)?;
                let budget = super::connections::target_budget(design, &service.value, env_name)?;
                Some((budget, service_name, env_name))
            })
            .min_by_key(|(budget, _, _)| budget.available());
        let Some((budget, service_name, env_name)) = tightest else {
            continue;
        };
        let available = budget.available();
        if above < available as f64 {
            continue;
        }
        out.push(
            p.at(
                "above",
                format!(
                    "rule `{}` can never fire on service `{service_name}` in `{env_name}`: its clients can open at most {available} connections",
                    p.rule.name
                ),
            )
            .expected(format!(
                "below {available} (max_connections {} minus {} reserved for administrators)",
                budget.max, budget.reserved
            ))
            .found(above.to_string())
            .hint(format!(
                "lower `above` (e.g. to {}, 80% of {available}) or raise max_connections",
                available * 4 / 5
            )),
        );
    }
}

/// Rule names become parts of Azure resource names and Prometheus alert names.
fn rule_names_are_usable(placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for p in placed {
        if !is_dns_label(&p.rule.name) {
            out.push(
                p.at("name", "not a usable alert rule name")
                    .expected(
                        "1–63 lowercase letters, digits and `-`, not starting or ending with `-`",
                    )
                    .found(format!("`{}`", p.rule.name))
                    .hint("the name becomes part of the Azure alert's name"),
            );
        }
    }
}

/// A service's rule with the name of an environment rule would render two alerts with
/// one name.
fn service_rules_do_not_repeat_environment_rules(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        for (i, rule) in service
            .value
            .alerting
            .iter()
            .flat_map(|a| a.rules.iter().enumerate())
        {
            for env_name in service.value.deployments.keys() {
                let Some(env) = design.environment(env_name) else {
                    continue;
                };
                let env_rules = env.value.alerting.iter().flat_map(|a| &a.rules);
                if env_rules.into_iter().any(|r| r.name == rule.name) {
                    out.push(
                        at(
                            &service.file,
                            path!["alerting", "rules", i, "name"],
                            format!(
                                "alert rule `{}` is also a rule of environment `{env_name}`",
                                rule.name
                            ),
                        )
                        .hint("rule names must be unique among the environment's and the service's rules"),
                    );
                }
            }
        }
    }
}

/// Azure limits `groupShortName`, shown in SMS and email, to 12 characters.
fn short_names_fit(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        for (i, group) in env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.action_groups.iter().enumerate())
        {
            let length = group.short_name.chars().count();
            if length == 0 || length > MAX_SHORT_NAME {
                out.push(
                    at(
                        &env.file,
                        path!["alerting", "actionGroups", i, "shortName"],
                        format!(
                            "short name `{}` does not fit Azure's limit",
                            group.short_name
                        ),
                    )
                    .expected(format!("1 to {MAX_SHORT_NAME} characters"))
                    .found(format!("{length} characters")),
                );
            }
            if !is_dns_label(&group.name) {
                out.push(
                    at(
                        &env.file,
                        path!["alerting", "actionGroups", i, "name"],
                        "not a usable action group name",
                    )
                    .expected(
                        "1–63 lowercase letters, digits and `-`, not starting or ending with `-`",
                    )
                    .found(format!("`{}`", group.name))
                    .hint("the name becomes part of the Azure action group's name"),
                );
            }
        }
    }
}

/// Receiver names must be unique within a group; emails and SMS are named `email-<n>` and
/// `sms-<n>`, so a webhook may not take one of those names either.
fn receiver_names_are_unique(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        for (i, group) in env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.action_groups.iter().enumerate())
        {
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for n in 1..=group.email.len() {
                seen.insert(format!("email-{n}"), "an email receiver");
            }
            for n in 1..=group.sms.len() {
                seen.insert(format!("sms-{n}"), "an SMS receiver");
            }
            for (j, webhook) in group.webhooks.iter().enumerate() {
                if let Some(first) = seen.insert(webhook.name.clone(), "another webhook") {
                    out.push(
                        at(
                            &env.file,
                            path!["alerting", "actionGroups", i, "webhooks", j, "name"],
                            format!("receiver name `{}` is already used by {first}", webhook.name),
                        )
                        .hint("receiver names must be unique within an action group (emails are `email-<n>`, SMS `sms-<n>`)"),
                    );
                }
            }
        }
    }
}

/// A webhook URL is a secret read from the environment's Key Vault at deploy time; an
/// environment without one (aks) cannot have webhooks.
fn webhooks_need_a_key_vault(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        if env.value.azure.is_some() {
            continue; // `azure.keyVault` is required there
        }
        for (i, group) in env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.action_groups.iter().enumerate())
        {
            for (j, _) in group.webhooks.iter().enumerate() {
                out.push(
                    at(
                        &env.file,
                        path!["alerting", "actionGroups", i, "webhooks", j, "uriSecret"],
                        format!(
                            "a webhook URL is read from the environment's Key Vault, and `{}` has none",
                            env.value.name
                        ),
                    )
                    .hint(format!(
                        "platform `{}` names no Key Vault; use email or SMS receivers here",
                        env.value.platform.as_str()
                    )),
                );
            }
        }
    }
}

/// `uriSecret` names a Key Vault secret, so it must be a name Key Vault allows.
fn webhook_secrets_are_key_vault_names(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        for (i, group) in env
            .value
            .alerting
            .iter()
            .flat_map(|a| a.action_groups.iter().enumerate())
        {
            for (j, webhook) in group.webhooks.iter().enumerate() {
                if !is_key_vault_secret_name(&webhook.uri_secret) {
                    out.push(
                        at(
                            &env.file,
                            path!["alerting", "actionGroups", i, "webhooks", j, "uriSecret"],
                            "not a Key Vault secret name",
                        )
                        .expected("1–127 letters, digits and `-`")
                        .found(masked(&webhook.uri_secret)),
                    );
                }
            }
        }
    }
}

/// Prometheus rule groups are scoped to an Azure Monitor workspace, so an aks environment
/// with rules must name one.
fn aks_rules_need_a_workspace(design: &Design, placed: &[Placed], out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        if !env.value.platform.in_kubernetes() {
            continue;
        }
        let alerting = env.value.alerting.as_ref();
        if alerting.is_some_and(|a| a.azure_monitor_workspace.is_some()) {
            continue;
        }
        let message = format!(
            "environment `{}` has alert rules but no `alerting.azureMonitorWorkspace`",
            env.value.name
        );
        let expected = "the Azure Monitor workspace (managed Prometheus) that scrapes the cluster";
        if alerting.is_some_and(|a| !a.rules.is_empty()) {
            let pos = env
                .file
                .root
                .key_pos(path![], "alerting")
                .unwrap_or(env.file.root.pos);
            out.push(Diagnostic::new(env.file.display.clone(), pos, message).expected(expected));
            continue;
        }
        // Only services add rules here: point at the first such rule of each.
        for service in &design.services {
            if !service.value.deployments.contains_key(&env.value.name) {
                continue;
            }
            if let Some(p) = placed.iter().find(|p| std::ptr::eq(p.file, &service.file)) {
                out.push(p.at_rule(message.clone()).expected(expected));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{
        assert_one, validate_example_with, validate_example_with_edits,
    };

    const DEV: &str = "environments/dev.yaml";
    const PROD: &str = "environments/prod.yaml";

    #[test]
    fn a_duration_must_parse_on_aks_too() {
        let found = validate_example_with(DEV, "above: 80, for: 5m", "above: 80, for: 5min");
        assert_one(&found, "environments/dev.yaml:26:62", "not a duration");
    }

    #[test]
    fn azure_windows_are_the_accepted_ones() {
        let found = validate_example_with(PROD, "above: 80, for: 1m", "above: 80, for: 2m");
        assert_one(
            &found,
            "environments/prod.yaml:49:70",
            "do not accept a window of `2m`",
        );
        let d = &found[0];
        assert_eq!(
            d.expected.as_deref(),
            Some("one of 1m, 5m, 15m, 30m, 1h, 6h, 12h, 1d")
        );
        assert!(d.hint.as_deref().unwrap().contains("1m or 5m"), "{d}");
    }

    #[test]
    fn aks_accepts_any_whole_duration() {
        let found = validate_example_with(DEV, "above: 80, for: 5m", "above: 80, for: 2m");
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_threshold_is_needed_except_for_database_down() {
        let found = validate_example_with(DEV, "above: 85, for: 5m,", "for: 5m,");
        assert_one(&found, "environments/dev.yaml:27:7", "needs a threshold");
        let found = validate_example_with(
            PROD,
            "signal: database_down, for: 1m",
            "signal: database_down, above: 0, for: 1m",
        );
        assert_one(&found, "environments/prod.yaml:44:58", "means nothing");
    }

    #[test]
    fn backup_age_is_refused_outside_cnpg() {
        let found = validate_example_with(
            DEV,
            "notify: [dev-team] }\n",
            "notify: [dev-team] }\n    - { name: backup-stale, signal: backup_age_hours, above: 26, for: 10m, severity: error, notify: [dev-team] }\n",
        );
        assert!(
            found.iter().any(|d| d
                .message
                .contains("`backup_age_hours` has no series on aks")),
            "{found:#?}"
        );
    }

    #[test]
    fn lag_in_seconds_is_refused_on_azure() {
        let found = validate_example_with(
            PROD,
            "signal: replication_lag_bytes, above: 67108864",
            "signal: replication_lag_seconds, above: 5",
        );
        assert_one(
            &found,
            "environments/prod.yaml:53:36",
            "fires on an idle primary",
        );
    }

    #[test]
    fn percentages_lie_between_0_and_100() {
        let found = validate_example_with(PROD, "above: 95", "above: 100");
        assert_one(&found, "environments/prod.yaml:47:64", "is a percentage");
        let found = validate_example_with(PROD, "above: 67108864,", "above: -5,");
        assert_one(&found, "environments/prod.yaml:53:66", "never negative");
    }

    #[test]
    fn a_connections_threshold_the_clients_cannot_pass_is_refused() {
        const RULE: &str = "signal: connections, above: 80";
        // aks: max_connections 100 minus 3 for superusers.
        let found = validate_example_with(DEV, RULE, "signal: connections, above: 97");
        assert_one(
            &found,
            "environments/dev.yaml:29:61",
            "rule `connections-high` can never fire on service `bill-inquiry` in `dev`",
        );
        let expected = found[0].expected.as_deref().unwrap();
        assert!(
            expected.contains("below 97 (max_connections 100 minus 3 reserved"),
            "{expected}"
        );
        let found = validate_example_with(DEV, RULE, "signal: connections, above: 96");
        assert!(found.is_empty(), "{found:#?}");
        // The case: `above: 60` with `max_connections: 60`.
        let found = validate_example_with_edits(&[
            (DEV, RULE, "signal: connections, above: 60"),
            (
                "services/bill-inquiry.yaml",
                "max_connections: 100",
                "max_connections: 60",
            ),
            (
                "services/bill-inquiry.yaml",
                "connectionLimit: 80",
                "connectionLimit: 50",
            ),
        ]);
        assert_one(
            &found,
            "environments/dev.yaml:29:61",
            "at most 57 connections",
        );
        // azure-flexible-server: max_connections 100 minus the 15 Azure keeps.
        let found = validate_example_with(
            PROD,
            "signal: connections, above: 80",
            "signal: connections, above: 85",
        );
        assert_one(
            &found,
            "environments/prod.yaml:49:61",
            "can never fire on service `auth` in `prod`",
        );
        // A service's own rule, in the environment it is deployed to.
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "deployments:\n",
            "alerting:\n  rules:\n    - { name: bill-connections, signal: connections, above: 100, for: 5m, severity: info, notify: [dev-team] }\ndeployments:\n",
        );
        // The service also runs in staging, whose action groups are others.
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].location(), "services/bill-inquiry.yaml:27:61");
        assert!(
            found[0]
                .message
                .contains("rule `bill-connections` can never fire")
        );
        assert!(
            found[1]
                .message
                .contains("no action group `dev-team` in environment `staging`")
        );
    }

    #[test]
    fn rule_names_are_usable() {
        let found = validate_example_with(DEV, "name: cpu-high", "name: CPU_high");
        assert_one(
            &found,
            "environments/dev.yaml:26:15",
            "not a usable alert rule name",
        );
    }

    #[test]
    fn a_service_rule_may_not_repeat_an_environment_rule() {
        let found = validate_example_with(
            "services/auth.yaml",
            "deployments:\n",
            "alerting:\n  rules:\n    - { name: cpu-overload, signal: cpu_percent, above: 50, for: 5m, severity: info, notify: [warning] }\ndeployments:\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:19:15",
            "also a rule of environment `prod`",
        );
    }

    #[test]
    fn short_names_have_at_most_12_characters() {
        let found =
            validate_example_with(PROD, "shortName: pb-critical", "shortName: pb-critical-1");
        assert_one(&found, "environments/prod.yaml:33:18", "does not fit");
    }

    #[test]
    fn receiver_names_are_unique_in_a_group() {
        let found = validate_example_with(
            PROD,
            "{ name: teams, uriSecret",
            "{ name: email-1, uriSecret",
        );
        assert_one(
            &found,
            "environments/prod.yaml:38:19",
            "already used by an email receiver",
        );
    }

    #[test]
    fn webhooks_need_a_key_vault() {
        let found = validate_example_with(
            DEV,
            "      email: [phonebill-dev@company.com]\n",
            "      email: [phonebill-dev@company.com]\n      webhooks: [{ name: teams, uriSecret: teams-url }]\n",
        );
        assert_one(&found, "environments/dev.yaml:25:44", "has none");
    }

    #[test]
    fn webhook_secrets_are_key_vault_names() {
        let found = validate_example_with(
            PROD,
            "uriSecret: teams-webhook-url }   #",
            "uriSecret: teams_webhook_url }   #",
        );
        assert_one(
            &found,
            "environments/prod.yaml:38:37",
            "not a Key Vault secret name",
        );
    }

    #[test]
    fn aks_rules_need_a_workspace() {
        let found = validate_example_with(DEV, "  azureMonitorWorkspace: amw-phonebill-dev\n", "");
        assert_one(
            &found,
            "environments/dev.yaml:18:1",
            "no `alerting.azureMonitorWorkspace`",
        );
    }
}
