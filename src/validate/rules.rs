//! Cross-field rules that hold on every platform. Each rule is a named function with a
//! bad-input test beside it; platform rules live in their own modules.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostics::{self, Diagnostic};
use crate::input::{Platform, ScalarValue, ServiceFile};
use crate::load;
use crate::path;
use crate::validate::{Design, Typed};

/// Longest PostgreSQL identifier, in bytes (NAMEDATALEN - 1).
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// Runs every rule, filling `design.referenced` with the files the design points at.
pub fn check_all(design: &mut Design, dir: &Path, out: &mut Vec<Diagnostic>) {
    names_match_file_names(design, out);
    names_are_dns_labels(design, out);
    platform_sections_match(design, out);
    deployments_name_environments(design, out);
    notify_names_action_groups(design, out);
    names_are_unique(design, out);
    postgres_identifiers_are_usable(design, out);
    design.referenced = referenced_files_are_inside(design, dir, out);
    schema_files_are_plain_sql(design, dir, out);
    connection_limits_fit(design, out);
    seed_rows_have_their_keys(design, out);
    timezones_are_names(design, out);
    super::azure::check_all(design, out);
    super::aks::check_all(design, out);
    super::alerts::check_all(design, out);
}

/// A timezone is a name (`Asia/Seoul`, `UTC`, `Etc/GMT-9`) or a POSIX rule (`KST-9`): never
/// empty, never with spaces or control characters. postgresql.conf takes the value on one
/// line (a line break in it reached the template's filter before, as a bug in gen).
fn timezones_are_names(design: &Design, out: &mut Vec<Diagnostic>) {
    const EXPECTED: &str = "an IANA name such as `Asia/Seoul` or `UTC`";
    let project = &design.project;
    if let Some(found) = unusable_timezone(project.value.defaults.database.timezone.as_deref()) {
        let at = path!["defaults", "database", "timezone"];
        out.push(
            project
                .at(at, "not a timezone name")
                .expected(EXPECTED)
                .found(found),
        );
    }
    for service in &design.services {
        if let Some(found) = unusable_timezone(service.value.database.timezone.as_deref()) {
            let at = path!["database", "timezone"];
            out.push(
                service
                    .at(at, "not a timezone name")
                    .expected(EXPECTED)
                    .found(found),
            );
        }
    }
}

/// The timezone as reported, when it is set and cannot be a timezone.
fn unusable_timezone(timezone: Option<&str>) -> Option<String> {
    let timezone = timezone?;
    let unusable = timezone.is_empty()
        || timezone
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    unusable.then(|| format!("`{}`", timezone.escape_debug()))
}

/// A seed row is matched by its key, so every row needs every key column.
fn seed_rows_have_their_keys(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        for (i, seed) in service.value.database.seed_data.iter().enumerate() {
            if seed.key.is_empty() {
                out.push(
                    service
                        .at(
                            path!["database", "seedData", i, "key"],
                            "a seed table needs at least one key column",
                        )
                        .hint("the key decides whether a row is already there"),
                );
            }
            for (j, row) in seed.rows.iter().enumerate() {
                for key in seed.key.iter().filter(|k| !row.contains_key(*k)) {
                    out.push(
                        service
                            .at(
                                path!["database", "seedData", i, "rows", j],
                                format!("the row has no value for key column `{key}`"),
                            )
                            .expected(format!(
                                "every key column: {}",
                                diagnostics::list(&seed.key)
                            ))
                            .found(diagnostics::list(row.keys())),
                    );
                }
            }
        }
    }
}

/// Environments and services are found by file name, so the name inside must agree.
fn names_match_file_names(design: &Design, out: &mut Vec<Diagnostic>) {
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

/// Whether `name` is an RFC 1123 label: 1–63 lowercase letters, digits and `-`, starting
/// and ending with a letter or digit.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Environment and service names become folder names, Kubernetes labels and Azure tags.
fn names_are_dns_labels(design: &Design, out: &mut Vec<Diagnostic>) {
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

/// `platform: aks` needs `aks:` and no `azure:`, and the reverse.
fn platform_sections_match(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        let e = &env.value;
        let (needed, present, stray) = match e.platform {
            Platform::Aks => ("aks", e.aks.is_some(), e.azure.as_ref().map(|_| "azure")),
            Platform::AzureFlexibleServer => {
                ("azure", e.azure.is_some(), e.aks.as_ref().map(|_| "aks"))
            }
        };
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
        if let Some(stray) = stray {
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
fn deployments_name_environments(design: &Design, out: &mut Vec<Diagnostic>) {
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
            let (wanted, wrong) = match platform {
                Platform::Aks => ("statefulSet", deployment.server.as_ref().map(|_| "server")),
                Platform::AzureFlexibleServer => (
                    "server",
                    deployment.stateful_set.as_ref().map(|_| "statefulSet"),
                ),
            };
            let has_wanted = match platform {
                Platform::Aks => deployment.stateful_set.is_some(),
                Platform::AzureFlexibleServer => deployment.server.is_some(),
            };
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
fn notify_names_action_groups(design: &Design, out: &mut Vec<Diagnostic>) {
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

/// Reports every later occurrence of a name already used in the same scope; `at(i)` is
/// the path of the i-th name.
fn report_duplicates<'a, T>(
    owner: &Typed<T>,
    names: impl IntoIterator<Item = &'a str>,
    at: impl Fn(usize) -> Vec<crate::yaml::Seg>,
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
fn names_are_unique(design: &Design, out: &mut Vec<Diagnostic>) {
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
    stateful_sets_are_unique_per_environment(design, out);
}

/// Two services' StatefulSets in one environment share a namespace, so their names clash.
fn stateful_sets_are_unique_per_environment(design: &Design, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for service in &design.services {
        for (env, deployment) in &service.value.deployments {
            let Some(set) = &deployment.stateful_set else {
                continue;
            };
            if let Some(first) = seen.insert((env.as_str(), set.name.as_str()), &service.value.name)
            {
                out.push(
                    service
                        .at(
                            path!["deployments", env, "statefulSet", "name"],
                            format!(
                                "StatefulSet `{}` is also used by service `{first}` in `{env}`",
                                set.name
                            ),
                        )
                        .hint("objects of one environment share a namespace; choose another name"),
                );
            }
        }
    }
}

/// Why `name` cannot be a PostgreSQL identifier of ours, if it cannot.
pub fn identifier_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("an empty name".to_owned());
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Some(format!(
            "{} bytes; PostgreSQL truncates names over {MAX_IDENTIFIER_BYTES}",
            name.len()
        ));
    }
    if name.contains('\0') {
        return Some("a NUL character".to_owned());
    }
    let lower = name.to_lowercase();
    if lower == "postgres" || lower.starts_with("pg_") || lower.starts_with("azure_") {
        return Some("reserved for the server (`postgres`, `pg_*`, `azure_*`)".to_owned());
    }
    None
}

/// Role names PostgreSQL refuses outright.
const RESERVED_ROLE_NAMES: &[&str] = &[
    "public",
    "none",
    "current_user",
    "session_user",
    "current_role",
];

/// Database, role, schema, seed table and column names: at most 63 bytes and not reserved.
fn postgres_identifiers_are_usable(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let db = &service.value.database;
        let mut names: Vec<(String, Vec<crate::yaml::Seg>, &str)> = vec![(
            db.name.clone(),
            path!["database", "name"].to_vec(),
            "database",
        )];
        for (i, role) in db.roles.iter().enumerate() {
            names.push((
                role.name.clone(),
                path!["database", "roles", i, "name"].to_vec(),
                "role",
            ));
            if RESERVED_ROLE_NAMES.contains(&role.name.to_lowercase().as_str()) {
                out.push(
                    service
                        .at(
                            path!["database", "roles", i, "name"],
                            format!("`{}` cannot be a role name", role.name),
                        )
                        .hint("PostgreSQL reserves it"),
                );
            }
        }
        for (i, schema) in db.schemas.iter().enumerate() {
            names.push((
                schema.clone(),
                path!["database", "schemas", i].to_vec(),
                "schema",
            ));
            if schema == "public" || schema == "information_schema" {
                out.push(
                    service
                        .at(
                            path!["database", "schemas", i],
                            format!("schema `{schema}` always exists"),
                        )
                        .hint("list only the schemas to create besides `public`"),
                );
            }
        }
        for (i, seed) in db.seed_data.iter().enumerate() {
            for part in seed.table.split('.') {
                names.push((
                    part.to_owned(),
                    path!["database", "seedData", i, "table"].to_vec(),
                    "table",
                ));
            }
            if seed.table.split('.').count() > 2 {
                out.push(
                    service
                        .at(
                            path!["database", "seedData", i, "table"],
                            "a table is `name` or `schema.name`",
                        )
                        .found(format!("`{}`", seed.table)),
                );
            }
            for (j, key) in seed.key.iter().enumerate() {
                names.push((
                    key.clone(),
                    path!["database", "seedData", i, "key", j].to_vec(),
                    "column",
                ));
            }
            for (j, row) in seed.rows.iter().enumerate() {
                for column in row.keys() {
                    if let Some(problem) = identifier_problem(column) {
                        out.push(
                            service
                                .at_key(
                                    path!["database", "seedData", i, "rows", j],
                                    column,
                                    format!("column `{column}` is not a usable PostgreSQL name"),
                                )
                                .found(problem),
                        );
                    }
                }
            }
        }
        for (name, at, what) in names {
            if let Some(problem) = identifier_problem(&name) {
                out.push(
                    service
                        .at(&at, format!("{what} `{name}` is not a usable PostgreSQL name"))
                        .expected(format!("at most {MAX_IDENTIFIER_BYTES} bytes, not `postgres`, `pg_*` or `azure_*`"))
                        .found(problem),
                );
            }
        }
    }
}

/// Loads every referenced file, which must exist, be UTF-8 and stay inside the inputs
/// folder, both by path (`..`) and by symlink.
fn referenced_files_are_inside(
    design: &Design,
    dir: &Path,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut referenced = BTreeMap::new();
    for service in &design.services {
        let Some(schema_file) = &service.value.database.schema_file else {
            continue;
        };
        let at = path!["database", "schemaFile"];
        let base = service
            .file
            .rel
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        let joined = if base.is_empty() {
            schema_file.clone()
        } else {
            format!("{base}/{schema_file}")
        };
        let rel = match load::normalize_inside(&joined) {
            Ok(rel) => rel,
            Err(problem) => {
                out.push(
                    service
                        .at(at, problem.message)
                        .found(format!("`{schema_file}`"))
                        .maybe_hint(problem.hint),
                );
                continue;
            }
        };
        match load::read_input_file(dir, &rel) {
            Ok(text) => {
                referenced.insert(rel, text);
            }
            Err(problem) if problem.pos.line > 1 || problem.pos.column > 1 => {
                // Bad bytes inside the referenced file: point into that file.
                out.push(problem.into_diagnostic(load::display(dir, &rel)));
            }
            Err(problem) => {
                out.push(
                    service
                        .at(at, problem.message)
                        .found(format!("`{schema_file}`"))
                        .maybe_hint(problem.hint),
                );
            }
        }
    }
    referenced
}

/// The path of a service's schema file relative to the inputs folder, once validated.
pub fn schema_file_rel(service: &Typed<ServiceFile>) -> Option<String> {
    let schema_file = service.value.database.schema_file.as_ref()?;
    let base = service
        .file
        .rel
        .rsplit_once('/')
        .map_or("", |(folder, _)| folder);
    let joined = if base.is_empty() {
        schema_file.clone()
    } else {
        format!("{base}/{schema_file}")
    };
    load::normalize_inside(&joined).ok()
}

/// Schema files are applied by psql: a line starting with `\` would be a psql meta-command
/// (`\connect` elsewhere, `\!` runs a shell), so they are refused.
fn schema_files_are_plain_sql(design: &Design, dir: &Path, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let Some(rel) = schema_file_rel(service) else {
            continue;
        };
        let Some(text) = design.referenced.get(&rel) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('\\') {
                let column = line.chars().count() - trimmed.chars().count() + 1;
                out.push(
                    Diagnostic::new(
                        load::display(dir, &rel),
                        crate::yaml::Pos { line: i + 1, column },
                        "a psql meta-command in a schema file",
                    )
                    .expected("plain SQL statements")
                    .found(format!("`{}`", trimmed.split_whitespace().next().unwrap_or("\\")))
                    .hint("gen connects to the right database itself; move other steps out of the schema file"),
                );
            }
        }
    }
}

/// An integer server parameter, when it is set and reads as one.
pub fn int_parameter(parameters: &BTreeMap<String, ScalarValue>, name: &str) -> Option<i64> {
    match parameters.get(name)? {
        ScalarValue::Integer(i) => Some(*i),
        ScalarValue::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// Connections kept for administrators on each platform, and the default limit.
struct ConnectionBudget {
    max: i64,
    reserved: i64,
    max_is_default: bool,
}

fn connection_budget(
    platform: Platform,
    sku: Option<&str>,
    parameters: &BTreeMap<String, ScalarValue>,
) -> Option<ConnectionBudget> {
    let set = int_parameter(parameters, "max_connections");
    match platform {
        // PostgreSQL's defaults: max_connections 100, superuser_reserved_connections 3.
        Platform::Aks => Some(ConnectionBudget {
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
fn connection_limits_fit(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let total: i64 = service
            .value
            .database
            .roles
            .iter()
            .map(|r| i64::from(r.connection_limit))
            .sum();
        for (env_name, deployment) in &service.value.deployments {
            let Some(env) = design.environment(env_name) else {
                continue;
            };
            let (shape, sku, parameters) = match (
                env.value.platform,
                &deployment.stateful_set,
                &deployment.server,
            ) {
                (Platform::Aks, Some(set), _) => ("statefulSet", None, &set.parameters),
                (Platform::AzureFlexibleServer, _, Some(server)) => {
                    ("server", Some(server.sku.as_str()), &server.parameters)
                }
                _ => continue,
            };
            let Some(budget) = connection_budget(env.value.platform, sku, parameters) else {
                continue;
            };
            let available = budget.max - budget.reserved;
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
    use crate::validate::testing::{assert_one, validate_example_with};

    #[test]
    fn the_example_is_valid() {
        assert!(validate_example_with("services/auth.yaml", "name: auth", "name: auth").is_empty());
    }

    #[test]
    fn a_timezone_is_a_name_on_one_line() {
        let found = validate_example_with(
            "project.yaml",
            "timezone: Asia/Seoul",
            "timezone: \"Asia/Seoul\\nfsync = off\"",
        );
        assert_one(&found, "project.yaml:10:15", "not a timezone name");
        let found = validate_example_with(
            "services/auth.yaml",
            "  locale: ko_KR.UTF-8",
            "  timezone: \"\"\n  locale: ko_KR.UTF-8",
        );
        assert_one(&found, "services/auth.yaml:5:13", "not a timezone name");
        let found = validate_example_with(
            "services/auth.yaml",
            "  locale: ko_KR.UTF-8",
            "  timezone: Etc/GMT-9\n  locale: ko_KR.UTF-8",
        );
        assert!(found.is_empty(), "{found:?}");
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

    #[test]
    fn identifiers_must_fit_and_not_be_reserved() {
        assert!(identifier_problem("pg_app").is_some());
        assert!(identifier_problem("Azure_x").is_some());
        assert!(identifier_problem(&"a".repeat(64)).is_some());
        assert!(identifier_problem(&"a".repeat(63)).is_none());
        let found = validate_example_with(
            "services/auth.yaml",
            "  name: phonebill_auth\n",
            "  name: pg_auth\n",
        );
        assert_one(
            &found,
            "services/auth.yaml:4:9",
            "database `pg_auth` is not a usable PostgreSQL name",
        );
        let long = format!("  name: {}\n", "한".repeat(22));
        let found = validate_example_with("services/auth.yaml", "  name: phonebill_auth\n", &long);
        assert_one(
            &found,
            "services/auth.yaml:4:9",
            "not a usable PostgreSQL name",
        );
    }

    #[test]
    fn a_missing_schema_file_is_reported_at_the_reference() {
        let found = validate_example_with(
            "services/auth.yaml",
            "../sql/auth.psql",
            "../sql/missing.psql",
        );
        assert_one(&found, "services/auth.yaml:7:15", "does not exist");
    }

    #[test]
    fn a_schema_file_may_not_leave_the_inputs_folder() {
        let found =
            validate_example_with("services/auth.yaml", "../sql/auth.psql", "../../etc/passwd");
        assert_one(
            &found,
            "services/auth.yaml:7:15",
            "leaves the inputs folder",
        );
    }

    #[test]
    fn a_schema_file_may_not_hold_psql_meta_commands() {
        let found = validate_example_with(
            "sql/auth.psql",
            "CREATE TABLE IF NOT EXISTS auth_services",
            "  \\! touch /tmp/x\nCREATE TABLE IF NOT EXISTS auth_services",
        );
        assert_one(&found, "sql/auth.psql:34:3", "psql meta-command");
    }

    #[test]
    fn connection_limits_must_fit_under_max_connections() {
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "connectionLimit: 80",
            "connectionLimit: 98",
        );
        assert_one(&found, "services/bill-inquiry.yaml:33:26", "add up to 98");
        assert!(found[0].expected.as_deref().unwrap().contains("at most 97"));
    }

    #[test]
    fn seed_rows_need_their_key_columns() {
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "{ config_key: kos.retry.max.attempts, ",
            "{ ",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:19:11",
            "no value for key column `config_key`",
        );
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
