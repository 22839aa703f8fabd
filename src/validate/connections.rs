//! The connection budget: what the roles of a service may open against what its server
//! offers on each platform.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::input::{Platform, ScalarValue, ServiceFile};
use crate::path;
use crate::validate::Design;

/// An integer server parameter, when it is set and reads as one.
pub fn int_parameter(parameters: &BTreeMap<String, ScalarValue>, name: &str) -> Option<i64> {
    match parameters.get(name)? {
        ScalarValue::Integer(i) => Some(*i),
        ScalarValue::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// Connections kept for administrators on each platform, and the default limit.
pub(super) struct ConnectionBudget {
    /// `max_connections`, set or the platform's default.
    pub max: i64,
    /// The connections only administrators may use.
    pub reserved: i64,
    /// Whether `max` is the default (no `max_connections` parameter).
    pub max_is_default: bool,
}

impl ConnectionBudget {
    /// What the clients (and the roles' limits) may open together.
    pub fn available(&self) -> i64 {
        self.max - self.reserved
    }
}

/// The connection budget of `service` deployed to environment `env_name`, when the
/// deployment matches the environment's platform and the budget is known (a Flexible
/// Server SKU gen cannot read has no default).
pub(super) fn target_budget(
    design: &Design,
    service: &ServiceFile,
    env_name: &str,
) -> Option<ConnectionBudget> {
    let env = design.environment(env_name)?;
    let deployment = service.deployments.get(env_name)?;
    let (sku, parameters) = match (
        env.value.platform,
        &deployment.stateful_set,
        &deployment.server,
        &deployment.cluster,
    ) {
        (Platform::Aks, Some(set), _, _) => (None, &set.parameters),
        (Platform::Cnpg, _, _, Some(cluster)) => (None, &cluster.parameters),
        (Platform::AzureFlexibleServer, _, Some(server), _) => {
            (Some(server.sku.as_str()), &server.parameters)
        }
        _ => return None,
    };
    connection_budget(env.value.platform, sku, parameters)
}

fn connection_budget(
    platform: Platform,
    sku: Option<&str>,
    parameters: &BTreeMap<String, ScalarValue>,
) -> Option<ConnectionBudget> {
    let set = int_parameter(parameters, "max_connections");
    match platform {
        // PostgreSQL's defaults: max_connections 100, superuser_reserved_connections 3 (the
        // operator sets neither).
        Platform::Aks | Platform::Cnpg => Some(ConnectionBudget {
            max: set.unwrap_or(100),
            reserved: int_parameter(parameters, "superuser_reserved_connections").unwrap_or(3),
            max_is_default: set.is_none(),
        }),
        // Flexible Server reserves 15 (reserved_connections 5 + superuser_reserved 10), and
        // its default max_connections follows the SKU's memory (concepts-limits).
        Platform::AzureFlexibleServer => Some(ConnectionBudget {
            max: set.or_else(|| default_azure_max_connections(sku?))?,
            reserved: 15,
            max_is_default: set.is_none(),
        }),
    }
}

/// Flexible Server's default `max_connections` for a SKU, by its vCPU count.
fn default_azure_max_connections(sku: &str) -> Option<i64> {
    let size: String = sku
        .split('_')
        .nth(1)?
        .chars()
        .skip(1)
        .take_while(char::is_ascii_digit)
        .collect();
    let default = match (sku.starts_with("Standard_B"), size.parse::<u32>().ok()?) {
        (true, 1) => 50,
        (true, 2) => 429,
        (_, 2) => 859,
        (_, 4) => 1718,
        (_, 8) => 3437,
        _ => 5000,
    };
    Some(default)
}

/// The service's roles together may not use more connections than the server offers.
pub(super) fn connection_limits_fit(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let total: i64 = service
            .value
            .database
            .roles
            .iter()
            .map(|r| i64::from(r.connection_limit))
            .sum();
        for env_name in service.value.deployments.keys() {
            let Some(budget) = target_budget(design, &service.value, env_name) else {
                continue;
            };
            let on_aks = design
                .environment(env_name)
                .is_some_and(|e| e.value.platform == Platform::Aks);
            let shape = if on_aks { "statefulSet" } else { "server" };
            let available = budget.available();
            if total > available {
                let at = if budget.max_is_default {
                    path!["database", "roles"].to_vec()
                } else {
                    path![
                        "deployments",
                        env_name,
                        shape,
                        "parameters",
                        "max_connections"
                    ]
                    .to_vec()
                };
                out.push(
                    service
                        .at(&at, format!("the roles' connection limits add up to {total}, more than `{env_name}` offers"))
                        .expected(format!("at most {available} (max_connections {} minus {} reserved)", budget.max, budget.reserved))
                        .found(format!("{total}"))
                        .hint("lower the roles' connectionLimit or raise max_connections"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::validate_example_with;

    #[test]
    fn connection_limits_must_fit_under_max_connections() {
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "connectionLimit: 80",
            "connectionLimit: 93",
        );
        // 93 and the monitor role's 5: one above 97, in dev (aks) and staging (cnpg) alike.
        assert_eq!(found.len(), 2, "{found:#?}");
        for (d, env) in found.iter().zip(["dev", "staging"]) {
            assert!(
                d.message
                    .contains(&format!("add up to 98, more than `{env}` offers")),
                "{d}"
            );
            assert!(d.expected.as_deref().unwrap().contains("at most 97"));
        }
    }

    #[test]
    fn azure_defaults_follow_the_sku() {
        assert_eq!(default_azure_max_connections("Standard_D4s_v3"), Some(1718));
        assert_eq!(default_azure_max_connections("Standard_B1ms"), Some(50));
        assert_eq!(
            default_azure_max_connections("Standard_E8ds_v5"),
            Some(3437)
        );
    }
}
