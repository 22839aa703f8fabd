//! Rules of the `aks` platform: what the Bitnami image, the Kubernetes API and the
//! rendered manifests need from a design. Each rule is a named function with a bad-input
//! test beside it.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::input::{
    Access, AksEnvironment, EnvironmentFile, ScalarValue, ServiceFile, StatefulSetDeployment,
    TaintEffect, Toleration, TolerationOperator,
};
use crate::model::GEN_LABEL_PREFIX;
use crate::names::{
    LABEL_KEY_FORM, LABEL_VALUE_FORM, fits_conf_line, is_conf_name, is_dns_label, is_label_key,
    is_label_value, printable,
};
use crate::path;
use crate::validate::majors::{self, is_tested, tag_major};
use crate::validate::{Design, Typed};
use crate::yaml::Seg;

/// The prefix of the CloudNativePG operator's label keys (`cnpg.io/cluster`,
/// `cnpg.io/podRole`), by which its NetworkPolicies and PodMonitors select pods.
const CNPG_LABEL_PREFIX: &str = "cnpg.io";

/// Locales the Bitnami PostgreSQL image has (glibc's C/POSIX and the one it generates).
const IMAGE_LOCALES: &[&str] = &[
    "C",
    "POSIX",
    "C.UTF-8",
    "C.utf8",
    "en_US.UTF-8",
    "en_US.utf8",
];

/// Longest StatefulSet name: the schema Job is `<name>-schema-<8 hex>` and its name is
/// also a label value (`job-name`), which may not exceed 63 characters.
pub const MAX_STATEFUL_SET_NAME: usize = 63 - "-schema-".len() - 8;

/// Parameters gen sets itself (TLS, authentication, paths, the listener, preloading); a
/// design value would silently fight them or break the pod.
const OWNED_PARAMETERS: &[&str] = &[
    "listen_addresses",
    "port",
    "hba_file",
    "ident_file",
    "config_file",
    "data_directory",
    "external_pid_file",
    "unix_socket_directories",
    "unix_socket_group",
    "unix_socket_permissions",
    "shared_preload_libraries",
    "password_encryption",
    "timezone",
    "include",
    "include_dir",
    "include_if_exists",
];

/// Runs every aks rule.
pub fn check_all(design: &Design, out: &mut Vec<Diagnostic>) {
    environment_names_are_valid(design, out);
    labels_are_kubernetes_labels(design, out);
    image_major_is_tested(design, out);
    locales_ship_with_the_image(design, out);
    quantities_parse_and_requests_fit_limits(design, out);
    shared_buffers_fit_the_memory_limit(design, out);
    stateful_set_names_are_valid(design, out);
    the_exporter_has_a_monitor_role(design, out);
    owned_parameters_are_refused(design, out);
    parameter_values_fit_on_one_line(design, out);
    disruption_budget_allows_zero_or_one(design, out);
    priority_class_name_is_a_subdomain(design, out);
    node_selector_labels_are_kubernetes_labels(design, out);
    tolerations_are_ones_kubernetes_accepts(design, out);
}

/// One aks deployment of a service, with the path to its `statefulSet`.
struct AksTarget<'a> {
    service: &'a Typed<ServiceFile>,
    env: &'a str,
    set: &'a StatefulSetDeployment,
}

impl AksTarget<'_> {
    fn at(&self, rest: &[Seg], message: impl Into<String>) -> Diagnostic {
        self.service.at(&self.path(rest), message)
    }

    fn at_key(&self, rest: &[Seg], key: &str, message: impl Into<String>) -> Diagnostic {
        self.service.at_key(&self.path(rest), key, message)
    }

    fn path(&self, rest: &[Seg]) -> Vec<Seg> {
        let mut path = path!["deployments", self.env, "statefulSet"].to_vec();
        path.extend_from_slice(rest);
        path
    }
}

/// Every statefulSet deployment whose environment is on aks.
fn aks_targets(design: &Design) -> Vec<AksTarget<'_>> {
    let mut targets = Vec::new();
    for service in &design.services {
        for (env, deployment) in &service.value.deployments {
            let on_aks = design
                .environment(env)
                .is_some_and(|e| e.value.aks.is_some());
            if let (true, Some(set)) = (on_aks, &deployment.stateful_set) {
                targets.push(AksTarget { service, env, set });
            }
        }
    }
    targets
}

fn aks_environments(
    design: &Design,
) -> impl Iterator<Item = (&Typed<EnvironmentFile>, &AksEnvironment)> {
    design
        .environments
        .iter()
        .filter_map(|e| e.value.aks.as_ref().map(|aks| (e, aks)))
}

/// Whether `name` is a DNS-1123 subdomain (Secret, StorageClass and ConfigMap names).
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// Where a role's password key lives; the Secret is named only when it is a valid name,
/// since a refused one may be a pasted secret (it is reported, masked, at its own field).
fn credentials_hint(env: &str, credentials_secret: &str) -> String {
    if is_dns_subdomain(credentials_secret) {
        format!("on `{env}` it names a key of Secret `{credentials_secret}`")
    } else {
        format!("on `{env}` it names a key of the Secret that `credentialsSecret` names")
    }
}

/// Whether `key` can be a key of a Secret's data (and so a file name in its volume).
pub fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

/// The namespace, storage class, monitoring namespace and image digest of an aks
/// environment end up in object names and references the API server checks.
fn environment_names_are_valid(design: &Design, out: &mut Vec<Diagnostic>) {
    for (env, aks) in aks_environments(design) {
        let mut labels = vec![("namespace", aks.namespace.as_str())];
        labels.extend(
            aks.monitoring_namespace
                .as_deref()
                .map(|n| ("monitoringNamespace", n)),
        );
        for (field, name) in labels {
            if !is_dns_label(name) {
                out.push(
                    env.at(path!["aks", field], "not a Kubernetes namespace name")
                        .expected("a DNS-1123 label: 1–63 lowercase letters, digits and `-`, starting and ending with a letter or digit")
                        .found(format!("`{name}`")),
                );
            }
        }
        if !is_dns_subdomain(&aks.storage_class) {
            out.push(
                env.at(path!["aks", "storageClass"], "not a StorageClass name")
                    .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                    .found(format!("`{}`", aks.storage_class)),
            );
        }
        for (field, image) in [
            ("image", Some(&aks.image)),
            ("exporterImage", aks.exporter_image.as_ref()),
        ] {
            let Some(digest) = image.and_then(|i| i.digest.as_deref()) else {
                continue;
            };
            if !is_sha256_digest(digest) {
                out.push(
                    env.at(path!["aks", field, "digest"], "not an image digest")
                        .expected("`sha256:` and 64 lowercase hex digits")
                        .found(format!("`{digest}`")),
                );
            }
        }
    }
}

/// The project's labels go onto every Kubernetes object, and `aks.clients.matchLabels` into
/// the NetworkPolicy's client selector: the API server refuses a key or value outside the
/// label syntax, a key under gen's own prefix would give gen's pods the client label (or
/// fight it), and an empty selector would admit every pod of the namespace.
fn labels_are_kubernetes_labels(design: &Design, out: &mut Vec<Diagnostic>) {
    // The project's labels reach Kubernetes objects on cnpg too.
    let in_kubernetes = design
        .environments
        .iter()
        .any(|e| e.value.platform.in_kubernetes());
    if in_kubernetes {
        for (key, value) in &design.project.value.labels {
            label_problems(&design.project, path!["labels"], key, value, out);
        }
    }
    for (env, aks) in aks_environments(design) {
        let at = path!["aks", "clients", "matchLabels"];
        if aks.clients.match_labels.is_empty() {
            out.push(
                env.at(at, "an empty client selector")
                    .expected("at least one label that the client pods carry, e.g. `app.kubernetes.io/part-of: <system>`")
                    .found("`{}`")
                    .hint("a podSelector without labels admits every pod of the namespace"),
            );
        }
        for (key, value) in &aks.clients.match_labels {
            label_problems(env, at, key, value, out);
        }
    }
}

/// The problems of one label `key: value` of the mapping at `at`.
pub(super) fn label_problems<T>(
    file: &Typed<T>,
    at: &[Seg],
    key: &str,
    value: &str,
    out: &mut Vec<Diagnostic>,
) {
    let prefix = key.split_once('/').map(|(prefix, _)| prefix);
    if is_label_key(key) && prefix == Some(GEN_LABEL_PREFIX) {
        out.push(
            file.at_key(at, key, format!("`{key}` is one of gen's own labels"))
                .expected(format!("a key outside `{GEN_LABEL_PREFIX}/`"))
                .hint("gen adds the label `postgresql.gen/client-of-<StatefulSet name>: \"true\"` to each database's client selector itself"),
        );
    }
    if is_label_key(key) && prefix == Some(CNPG_LABEL_PREFIX) {
        out.push(
            file.at_key(at, key, format!("`{key}` is one of CloudNativePG's labels"))
                .expected(format!("a key outside `{CNPG_LABEL_PREFIX}/`"))
                .hint("the operator selects its clusters' pods by them: on another pod one would pass it for an instance"),
        );
    }
    label_syntax_problems(file, at, key, value, out);
}

/// The problems of one label `key: value` of the mapping at `at` with the label syntax alone.
pub(super) fn label_syntax_problems<T>(
    file: &Typed<T>,
    at: &[Seg],
    key: &str,
    value: &str,
    out: &mut Vec<Diagnostic>,
) {
    if !is_label_key(key) {
        out.push(
            file.at_key(
                at,
                key,
                format!("`{}` is not a Kubernetes label key", printable(key)),
            )
            .expected(LABEL_KEY_FORM)
            .found(format!("`{}`", printable(key))),
        );
    }
    if !is_label_value(value) {
        let mut path = at.to_vec();
        path.push(Seg::from(key));
        out.push(
            file.at(
                &path,
                format!(
                    "the value of label `{}` is not a Kubernetes label value",
                    printable(key)
                ),
            )
            .expected(LABEL_VALUE_FORM)
            .found(format!("`{}`", printable(value))),
        );
    }
}

/// The PostgreSQL image's tag names a major gen is tested against (src/validate/majors.rs).
/// The tag is read, not the digest: the schema requires a tag beside any digest, and gen
/// cannot tell which major a digest holds. A tag that does not start with its major
/// (`latest`) may move to an untested one at the next pull, so it is refused too.
fn image_major_is_tested(design: &Design, out: &mut Vec<Diagnostic>) {
    for (env, aks) in aks_environments(design) {
        let tag = aks.image.tag.as_str();
        let shown = printable(tag);
        let at = path!["aks", "image", "tag"];
        let diagnostic = match tag_major(tag) {
            Some(major) if is_tested(major) => continue,
            Some(major) => env
                .at(
                    at,
                    format!("image tag `{shown}` runs PostgreSQL {major}, a major gen is not tested against"),
                )
                .expected(majors::expected_text()),
            None => env
                .at(at, format!("image tag `{shown}` does not name a PostgreSQL major"))
                .expected(format!(
                    "a tag starting with a major gen is tested against ({}), e.g. `16` or `16.4.0-debian-12-r0`",
                    majors::listed()
                ))
                .hint("gen's scripts differ between majors; pin the exact image with `digest` beside the versioned tag"),
        };
        out.push(diagnostic.found(format!("`{shown}`")));
    }
}

pub(super) fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The Bitnami image only has the C locales and en_US.UTF-8; `CREATE DATABASE` with any
/// other locale fails on the cluster, long after `gen render` said yes.
fn locales_ship_with_the_image(design: &Design, out: &mut Vec<Diagnostic>) {
    let project_locale = design.project.value.defaults.database.locale.as_deref();
    for target in aks_targets(design) {
        let own = target.service.value.database.locale.as_deref();
        let (locale, diagnostic_at) = match (own, project_locale) {
            (Some(locale), _) => (locale, target.service.at(path!["database", "locale"], "")),
            (None, Some(locale)) => (
                locale,
                design
                    .project
                    .at(path!["defaults", "database", "locale"], ""),
            ),
            (None, None) => continue,
        };
        if IMAGE_LOCALES.contains(&locale) {
            continue;
        }
        let mut d = diagnostic_at;
        d.message = format!(
            "locale `{locale}` is not in the Bitnami PostgreSQL image that `{}` runs on aks",
            target.env
        );
        out.push(
            d.expected(format!(
                "one of {}",
                crate::diagnostics::list(IMAGE_LOCALES)
            ))
            .found(format!("`{locale}`"))
            .hint("use en_US.UTF-8 or C.UTF-8"),
        );
    }
}

/// CPU, memory and storage must be quantities the API server reads, not zero, and no
/// request may exceed its limit (the API server would refuse the StatefulSet).
fn quantities_parse_and_requests_fit_limits(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let r = &target.set.resources;
        let storage = ("storage", "size", target.set.storage.size.as_str());
        let all = [
            ("requests", "cpu", Some(r.requests.cpu.as_str())),
            ("requests", "memory", Some(r.requests.memory.as_str())),
            ("limits", "cpu", r.limits.cpu.as_deref()),
            ("limits", "memory", Some(r.limits.memory.as_str())),
        ];
        let given = all
            .into_iter()
            .filter_map(|(group, field, text)| text.map(|t| (group, field, t)));
        let mut parsed = BTreeMap::new();
        for (group, field, text) in given.chain([storage]) {
            let at: Vec<Seg> = if group == "storage" {
                path!["storage", "size"].to_vec()
            } else {
                path!["resources", group, field].to_vec()
            };
            match crate::quantity::parse(text).filter(|q| *q > 0.0) {
                Some(q) => {
                    parsed.insert((group, field), q);
                }
                None => out.push(
                    target
                        .at(&at, format!("`{text}` is not a usable {field} quantity"))
                        .expected(if field == "cpu" {
                            "cores, e.g. `500m`, `1` or `0.5`"
                        } else {
                            "bytes with a suffix, e.g. `512Mi`, `1Gi` or `1G`"
                        })
                        .found(format!("`{text}`")),
                ),
            }
        }
        for field in ["cpu", "memory"] {
            let (Some(request), Some(limit)) = (
                parsed.get(&("requests", field)),
                parsed.get(&("limits", field)),
            ) else {
                continue;
            };
            if request > limit {
                out.push(
                    target
                        .at(
                            path!["resources", "requests", field],
                            format!("the {field} request is more than its limit"),
                        )
                        .expected(format!(
                            "at most the limit, {}",
                            if field == "cpu" {
                                r.limits.cpu.as_deref().unwrap_or_default()
                            } else {
                                &r.limits.memory
                            }
                        ))
                        .found(format!(
                            "`{}`",
                            if field == "cpu" {
                                &r.requests.cpu
                            } else {
                                &r.requests.memory
                            }
                        ))
                        .hint("Kubernetes refuses a request above its limit"),
                );
            }
        }
    }
}

/// A PostgreSQL memory setting in bytes: a number with `kB`, `MB`, `GB` or `TB`, or a
/// plain number of 8 kB pages (the unit of `shared_buffers`).
pub fn parse_pg_memory(value: &ScalarValue) -> Option<f64> {
    const PAGE: f64 = 8192.0;
    let text = match value {
        ScalarValue::Integer(i) => return (*i >= 0).then_some(*i as f64 * PAGE),
        ScalarValue::Text(t) => t.trim(),
        _ => return None,
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim_start() {
        "" => PAGE,
        "B" => 1.0,
        "kB" => 1024.0,
        "MB" => 1048576.0,
        "GB" => 1073741824.0,
        "TB" => 1099511627776.0,
        _ => return None,
    };
    Some(number * factor)
}

/// `shared_buffers` is allocated at start: at or above the memory limit the pod is
/// OOM-killed before it serves anything.
fn shared_buffers_fit_the_memory_limit(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let Some(value) = target.set.parameters.get("shared_buffers") else {
            continue;
        };
        let at = path!["parameters", "shared_buffers"];
        let Some(bytes) = parse_pg_memory(value) else {
            out.push(
                target
                    .at(at, "`shared_buffers` is not a PostgreSQL memory size")
                    .expected("a number with kB, MB, GB or TB, or a number of 8kB pages")
                    .found(format!("`{}`", value.to_text())),
            );
            continue;
        };
        let limit_text = &target.set.resources.limits.memory;
        let Some(limit) = crate::quantity::parse(limit_text) else {
            continue; // reported by the quantity rule
        };
        if bytes >= limit {
            out.push(
                target
                    .at(
                        at,
                        format!("`shared_buffers` does not fit in the memory limit {limit_text}"),
                    )
                    .expected(format!("less than {limit_text} (a quarter of it is usual)"))
                    .found(format!("`{}`", value.to_text()))
                    .hint("lower shared_buffers or raise resources.limits.memory"),
            );
        }
    }
}

/// The StatefulSet name makes Service, Job and pod names; the Secrets it refers to and the
/// role password keys must be names the API server accepts.
fn stateful_set_names_are_valid(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let name = &target.set.name;
        // Service names (`<name>`, `<name>-hl`) are DNS-1035 labels: a letter first.
        let usable = is_dns_label(name)
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.len() <= MAX_STATEFUL_SET_NAME;
        if !usable {
            out.push(
                target
                    .at(path!["name"], "not a usable StatefulSet name")
                    .expected(format!("1–{MAX_STATEFUL_SET_NAME} lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit"))
                    .found(format!("`{name}`"))
                    .hint("the schema Job is named `<name>-schema-<8 hex>`, which must fit in 63 characters"),
            );
        }
        let secrets = [
            (path!["credentialsSecret"], &target.set.credentials_secret),
            (
                path!["tls", "certificateSecret"],
                &target.set.tls.certificate_secret,
            ),
        ];
        for (at, secret) in secrets {
            if !is_dns_subdomain(secret) {
                out.push(
                    target
                        .at(at, "not a Kubernetes Secret name")
                        .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                        .found(crate::names::masked(secret)),
                );
            }
        }
        for (i, role) in target.service.value.database.roles.iter().enumerate() {
            if !is_secret_key(&role.password_secret) {
                out.push(
                    target
                        .service
                        .at(
                            path!["database", "roles", i, "passwordSecret"],
                            "not a key a Kubernetes Secret can hold",
                        )
                        .expected("letters, digits, `-`, `_` and `.`")
                        .found(crate::names::masked(&role.password_secret))
                        .hint(credentials_hint(target.env, &target.set.credentials_secret)),
                );
            }
        }
    }
}

/// The exporter sidecar logs in as the service's first role with `access: monitor`, never as
/// the superuser: a service on aks needs one.
fn the_exporter_has_a_monitor_role(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let db = &target.service.value.database;
        if db.roles.iter().any(|r| r.access == Access::Monitor) {
            continue;
        }
        out.push(
            target
                .at(&[], "the exporter sidecar has no role to log in as")
                .expected("a role with `access: monitor` in `database.roles` (the first one is the exporter's)")
                .hint(format!(
                    "add e.g. `{{ name: {}_monitor, access: monitor, connectionLimit: 5, passwordSecret: <key> }}` and put its password under that key; the exporter never logs in as the superuser",
                    db.name
                )),
        );
    }
}

/// Parameters that gen sets itself, or that are not parameter names at all.
fn owned_parameters_are_refused(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        for name in target.set.parameters.keys() {
            let lower = name.to_ascii_lowercase();
            if !is_conf_name(name) {
                out.push(
                    target
                        .at_key(
                            path!["parameters"],
                            name,
                            format!("`{name}` is not a PostgreSQL parameter name"),
                        )
                        .expected("letters, digits and `_`, optionally `extension.name`"),
                );
            } else if lower.starts_with("ssl") || OWNED_PARAMETERS.contains(&lower.as_str()) {
                out.push(
                    target
                        .at_key(
                            path!["parameters"],
                            name,
                            format!("`{name}` is set by gen on aks"),
                        )
                        .hint(owned_parameter_hint(&lower)),
                );
            }
        }
    }
}

/// postgresql.conf holds one parameter per line, so a text value with a line break cannot be
/// written there (it reached the template's filter before, reported as a bug in gen).
fn parameter_values_fit_on_one_line(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        for (name, value) in &target.set.parameters {
            if let ScalarValue::Text(text) = value
                && !fits_conf_line(text)
            {
                out.push(
                    target
                        .at(
                            path!["parameters", name],
                            format!("the value of `{name}` spans lines"),
                        )
                        .expected("a value on one line")
                        .hint("postgresql.conf takes each parameter on a line of its own"),
                );
            }
        }
    }
}

/// A PodDisruptionBudget for one pod means something only with `maxUnavailable` 0 (no
/// eviction) or 1 (one at a time); a larger number reads like a promise gen does not keep.
fn disruption_budget_allows_zero_or_one(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let Some(max) = target
            .set
            .disruption_budget
            .as_ref()
            .and_then(|b| b.max_unavailable)
        else {
            continue;
        };
        if max > 1 {
            out.push(
                target
                    .at(
                        path!["disruptionBudget", "maxUnavailable"],
                        "a disruption budget for one pod takes 0 or 1",
                    )
                    .expected(
                        "`0` (evictions wait until you change it) or `1` (a drain moves the pod)",
                    )
                    .found(format!("`{max}`"))
                    .hint("the StatefulSet has one replica"),
            );
        }
    }
}

/// The API server refuses a pod whose `priorityClassName` is not a DNS-1123 subdomain.
fn priority_class_name_is_a_subdomain(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let Some(name) = &target.set.priority_class_name else {
            continue;
        };
        if !is_dns_subdomain(name) {
            out.push(
                target
                    .at(path!["priorityClassName"], "not a PriorityClass name")
                    .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                    .found(format!("`{}`", printable(name))),
            );
        }
    }
}

/// `nodeSelector` keys and values are node labels: the API server refuses other text.
fn node_selector_labels_are_kubernetes_labels(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        let at = target.path(path!["nodeSelector"]);
        for (key, value) in &target.set.node_selector {
            label_syntax_problems(target.service, &at, key, value, out);
        }
    }
}

/// What the API server's toleration validation refuses (pkg/apis/core/validation,
/// `ValidateTolerations`): a key outside the label-key syntax, no key without
/// `operator: Exists`, a value with `Exists` or outside the label-value syntax, and
/// `tolerationSeconds` with an effect other than `NoExecute`.
fn tolerations_are_ones_kubernetes_accepts(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in aks_targets(design) {
        for (i, toleration) in target.set.tolerations.iter().enumerate() {
            toleration_problems(&target, i, toleration, out);
        }
    }
}

fn toleration_problems(
    target: &AksTarget<'_>,
    i: usize,
    toleration: &Toleration,
    out: &mut Vec<Diagnostic>,
) {
    let exists = toleration.operator == Some(TolerationOperator::Exists);
    match toleration.key.as_deref() {
        Some(key) if !key.is_empty() && !is_label_key(key) => out.push(
            target
                .at(
                    path!["tolerations", i, "key"],
                    format!("`{}` is not a taint key", printable(key)),
                )
                .expected(LABEL_KEY_FORM)
                .found(format!("`{}`", printable(key))),
        ),
        Some(key) if !key.is_empty() => {}
        _ if !exists => out.push(
            target
                .at(
                    path!["tolerations", i],
                    "a toleration without a key must have `operator: Exists`",
                )
                .expected("a `key`, or `operator: Exists` to tolerate every taint")
                .hint("Kubernetes compares values only under a key"),
        ),
        _ => {}
    }
    if let Some(value) = toleration.value.as_deref() {
        if exists && !value.is_empty() {
            out.push(
                target
                    .at(
                        path!["tolerations", i, "value"],
                        "a toleration with `operator: Exists` has no value",
                    )
                    .expected("no `value`, or `operator: Equal`")
                    .found(format!("`{}`", printable(value))),
            );
        } else if !is_label_value(value) {
            out.push(
                target
                    .at(
                        path!["tolerations", i, "value"],
                        format!("`{}` is not a taint value", printable(value)),
                    )
                    .expected(LABEL_VALUE_FORM)
                    .found(format!("`{}`", printable(value))),
            );
        }
    }
    if toleration.toleration_seconds.is_some() && toleration.effect != Some(TaintEffect::NoExecute)
    {
        out.push(
            target
                .at(
                    path!["tolerations", i, "tolerationSeconds"],
                    "`tolerationSeconds` needs `effect: NoExecute`",
                )
                .expected("`effect: NoExecute`, or no `tolerationSeconds`")
                .hint("only a NoExecute taint evicts running pods, after tolerationSeconds"),
        );
    }
}

fn owned_parameter_hint(name: &str) -> &'static str {
    match name {
        "timezone" => "set `database.timezone` (or the project default) instead",
        "shared_preload_libraries" => {
            "list the extension in `database.extensions`; gen preloads pg_stat_statements when it is there"
        }
        n if n.starts_with("ssl") => {
            "TLS comes from `tls.certificateSecret`; gen turns ssl on and accepts TLS connections only"
        }
        "password_encryption" => "gen always uses scram-sha-256",
        _ => "the image and gen's manifests depend on its value; remove it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{assert_one, validate_example_with};

    const SERVICE: &str = "services/bill-inquiry.yaml";

    #[test]
    fn an_image_of_an_untested_major_is_refused() {
        const DEV: &str = "environments/dev.yaml";
        for (tag, message) in [
            (
                "13",
                "image tag `13` runs PostgreSQL 13, a major gen is not tested against",
            ),
            ("19.0.0-debian-12-r0", "runs PostgreSQL 19"),
            (
                "latest",
                "image tag `latest` does not name a PostgreSQL major",
            ),
            ("debian-12", "does not name a PostgreSQL major"),
        ] {
            let found = validate_example_with(DEV, "tag: \"14\"", &format!("tag: \"{tag}\""));
            assert_one(&found, "environments/dev.yaml:13:10", message);
            let expected = found[0].expected.as_deref().unwrap_or_default();
            assert!(
                expected.contains("`14`, `15`, `16`, `17`, `18`"),
                "{expected}"
            );
        }
        for tag in ["14.13.0-debian-12-r3", "16", "18.1.0"] {
            let found = validate_example_with(DEV, "tag: \"14\"", &format!("tag: \"{tag}\""));
            assert!(found.is_empty(), "{tag}: {found:#?}");
        }
    }

    #[test]
    fn an_unshipped_locale_is_refused_on_aks() {
        let found = validate_example_with(
            SERVICE,
            "  name: bill_inquiry_db\n",
            "  name: bill_inquiry_db\n  locale: ko_KR.UTF-8\n",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:5:11",
            "locale `ko_KR.UTF-8` is not in the Bitnami",
        );
        let found = validate_example_with(
            SERVICE,
            "  name: bill_inquiry_db\n",
            "  name: bill_inquiry_db\n  locale: en_US.UTF-8\n",
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_project_default_locale_is_reported_in_the_project() {
        let found = validate_example_with(
            "project.yaml",
            "    encoding: UTF8\n",
            "    encoding: UTF8\n    locale: ko_KR.UTF-8\n",
        );
        assert_one(&found, "project.yaml:10:13", "locale `ko_KR.UTF-8`");
    }

    #[test]
    fn quantities_must_parse() {
        let found = validate_example_with(SERVICE, "memory: 2Gi", "memory: 2GB");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:31:39",
            "`2GB` is not a usable memory quantity",
        );
        let found = validate_example_with(SERVICE, "size: 20Gi", "size: twenty");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:33:15",
            "not a usable size quantity",
        );
    }

    #[test]
    fn requests_may_not_exceed_limits() {
        let found = validate_example_with(SERVICE, "cpu: 500m", "cpu: 1500m");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:30:26",
            "the cpu request is more than its limit",
        );
    }

    #[test]
    fn shared_buffers_must_fit_in_the_memory_limit() {
        assert_eq!(
            parse_pg_memory(&ScalarValue::Text("256MB".into())),
            Some(268435456.0)
        );
        assert_eq!(
            parse_pg_memory(&ScalarValue::Integer(16384)),
            Some(134217728.0)
        );
        assert_eq!(parse_pg_memory(&ScalarValue::Text("1Gi".into())), None);
        let found = validate_example_with(SERVICE, "shared_buffers: 256MB", "shared_buffers: 2GB");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:39:25",
            "does not fit in the memory limit 2Gi",
        );
        let found =
            validate_example_with(SERVICE, "shared_buffers: 256MB", "shared_buffers: 256MiB");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:39:25",
            "not a PostgreSQL memory size",
        );
    }

    #[test]
    fn kubernetes_names_must_be_valid() {
        let long = format!("name: p{}", "x".repeat(MAX_STATEFUL_SET_NAME));
        let found = validate_example_with(SERVICE, "name: postgresql-bill-inquiry", &long);
        assert_one(
            &found,
            "services/bill-inquiry.yaml:28:13",
            "not a usable StatefulSet name",
        );
        let found = validate_example_with(
            SERVICE,
            "credentialsSecret: postgresql-bill-inquiry-credentials",
            "credentialsSecret: Credentials",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:34:26",
            "not a Kubernetes Secret name",
        );
        let found = validate_example_with(
            "environments/dev.yaml",
            "namespace: phonebill-dev",
            "namespace: phonebill_dev",
        );
        assert_one(
            &found,
            "environments/dev.yaml:8:14",
            "not a Kubernetes namespace name",
        );
        let found = validate_example_with(
            "environments/dev.yaml",
            "storageClass: managed-csi",
            "storageClass: Managed",
        );
        assert_one(
            &found,
            "environments/dev.yaml:9:17",
            "not a StorageClass name",
        );
        let found = validate_example_with(
            SERVICE,
            "passwordSecret: bill-inquiry-app-password",
            "passwordSecret: bill/inquiry",
        );
        // A key of the credentials Secret on dev (aks), a Secret of its own on staging (cnpg).
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found
                .iter()
                .all(|d| d.location() == "services/bill-inquiry.yaml:13:23")
        );
        assert!(
            found[0].message.contains("not a Kubernetes Secret name"),
            "{}",
            found[0]
        );
        assert!(
            found[1]
                .message
                .contains("not a key a Kubernetes Secret can hold"),
            "{}",
            found[1]
        );
    }

    #[test]
    fn a_service_on_aks_without_a_monitor_role_is_refused() {
        let found = validate_example_with(
            "services/bill-inquiry.yaml",
            "      access: monitor ",
            "      access: read-only ",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:28:7",
            "the exporter sidecar has no role to log in as",
        );
    }

    #[test]
    fn an_empty_client_selector_is_refused() {
        let found = validate_example_with(
            "environments/dev.yaml",
            "    matchLabels:\n      app.kubernetes.io/part-of: phonebill\n",
            "    matchLabels: {}\n",
        );
        assert_one(
            &found,
            "environments/dev.yaml:16:18",
            "an empty client selector",
        );
    }

    #[test]
    fn client_labels_follow_the_kubernetes_label_syntax() {
        const DEV: &str = "environments/dev.yaml";
        let found = validate_example_with(
            DEV,
            "app.kubernetes.io/part-of: phonebill",
            "app.kubernetes.io/part of: phonebill",
        );
        assert_one(
            &found,
            "environments/dev.yaml:17:7",
            "not a Kubernetes label key",
        );
        let found = validate_example_with(
            DEV,
            "app.kubernetes.io/part-of: phonebill",
            "App.Kubernetes.io/part-of: phonebill",
        );
        assert_one(
            &found,
            "environments/dev.yaml:17:7",
            "not a Kubernetes label key",
        );
        let found = validate_example_with(
            DEV,
            "app.kubernetes.io/part-of: phonebill",
            "app.kubernetes.io/part-of: phone bill",
        );
        assert_one(
            &found,
            "environments/dev.yaml:17:34",
            "the value of label `app.kubernetes.io/part-of` is not a Kubernetes label value",
        );
        let long = format!("app.kubernetes.io/part-of: p{}", "x".repeat(63));
        let found = validate_example_with(DEV, "app.kubernetes.io/part-of: phonebill", &long);
        assert_one(
            &found,
            "environments/dev.yaml:17:34",
            "not a Kubernetes label value",
        );
        let found = validate_example_with(
            DEV,
            "app.kubernetes.io/part-of: phonebill",
            "postgresql.gen/client-of-postgresql-bill-inquiry: \"false\"",
        );
        assert_one(
            &found,
            "environments/dev.yaml:17:7",
            "one of gen's own labels",
        );
        // Empty values and prefixes without dots are labels too.
        let found = validate_example_with(
            DEV,
            "app.kubernetes.io/part-of: phonebill",
            "app.kubernetes.io/part-of: phonebill\n      tier: \"\"\n      example/role: client",
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn project_labels_follow_the_kubernetes_label_syntax() {
        let found = validate_example_with(
            "project.yaml",
            "owner: phonebill-platform",
            "owner: phonebill platform",
        );
        assert_one(
            &found,
            "project.yaml:6:10",
            "the value of label `owner` is not a Kubernetes label value",
        );
        let found = validate_example_with(
            "project.yaml",
            "owner: phonebill-platform",
            "cost/center/x: cc",
        );
        assert_one(&found, "project.yaml:6:3", "not a Kubernetes label key");
        let found = validate_example_with(
            "project.yaml",
            "owner: phonebill-platform",
            "postgresql.gen/client-of-postgresql-bill-inquiry: \"true\"",
        );
        assert_one(&found, "project.yaml:6:3", "one of gen's own labels");
    }

    #[test]
    fn parameters_gen_owns_are_refused() {
        let found = validate_example_with(
            SERVICE,
            "        max_connections: 100\n",
            "        max_connections: 100\n        ssl: off\n",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:39:9",
            "`ssl` is set by gen on aks",
        );
        let found = validate_example_with(
            SERVICE,
            "        max_connections: 100\n",
            "        max_connections: 100\n        \"a = 1\": x\n",
        );
        assert_one(
            &found,
            "services/bill-inquiry.yaml:39:9",
            "not a PostgreSQL parameter name",
        );
    }

    /// The example with `lines` added to its statefulSet after `storage.size` (line 30 on).
    fn with_set_fields(lines: &str) -> Vec<Diagnostic> {
        validate_example_with(
            SERVICE,
            "        size: 20Gi\n",
            &format!("        size: 20Gi\n{lines}"),
        )
    }

    #[test]
    fn a_cpu_limit_may_be_left_out() {
        let found = validate_example_with(
            SERVICE,
            "limits: { cpu: 1000m, memory: 2Gi }",
            "limits: { memory: 2Gi }",
        );
        assert!(found.is_empty(), "{found:#?}");
        let found = validate_example_with(SERVICE, "limits: { cpu: 1000m", "limits: { cpu: 0m");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:31:24",
            "`0m` is not a usable cpu quantity",
        );
    }

    #[test]
    fn a_disruption_budget_for_one_pod_takes_zero_or_one() {
        for ok in ["0", "1"] {
            let found = with_set_fields(&format!(
                "      disruptionBudget: {{ maxUnavailable: {ok} }}\n"
            ));
            assert!(found.is_empty(), "{ok}: {found:#?}");
        }
        let found = with_set_fields("      disruptionBudget: { maxUnavailable: 2 }\n");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:34:43",
            "a disruption budget for one pod takes 0 or 1",
        );
    }

    #[test]
    fn a_priority_class_name_is_a_dns_subdomain() {
        let found = with_set_fields("      priorityClassName: db-critical.example\n");
        assert!(found.is_empty(), "{found:#?}");
        let found = with_set_fields("      priorityClassName: Database_Critical\n");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:34:26",
            "not a PriorityClass name",
        );
    }

    #[test]
    fn node_selector_labels_follow_the_kubernetes_label_syntax() {
        let found = with_set_fields(
            "      nodeSelector: { kubernetes.azure.com/agentpool: pgpool, postgresql.gen/x: \"\" }\n",
        );
        assert!(found.is_empty(), "{found:#?}");
        let found = with_set_fields("      nodeSelector: { agent pool: pgpool }\n");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:34:23",
            "`agent pool` is not a Kubernetes label key",
        );
        let found = with_set_fields("      nodeSelector: { agentpool: pg pool }\n");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:34:34",
            "the value of label `agentpool` is not a Kubernetes label value",
        );
    }

    #[test]
    fn tolerations_are_ones_kubernetes_accepts() {
        let good = "      tolerations:\n        - { key: dedicated, value: postgresql, effect: NoSchedule }\n        - { operator: Exists, effect: NoExecute, tolerationSeconds: 300 }\n";
        let found = with_set_fields(good);
        assert!(found.is_empty(), "{found:#?}");
        for (toleration, location, message) in [
            (
                "{ key: dedicated pool, value: pg }",
                "services/bill-inquiry.yaml:35:18",
                "`dedicated pool` is not a taint key",
            ),
            (
                "{ value: pg, effect: NoSchedule }",
                "services/bill-inquiry.yaml:35:11",
                "a toleration without a key must have `operator: Exists`",
            ),
            (
                "{ key: dedicated, operator: Exists, value: pg }",
                "services/bill-inquiry.yaml:35:54",
                "a toleration with `operator: Exists` has no value",
            ),
            (
                "{ key: dedicated, value: pg sql }",
                "services/bill-inquiry.yaml:35:36",
                "`pg sql` is not a taint value",
            ),
            (
                "{ key: dedicated, effect: NoSchedule, tolerationSeconds: 60 }",
                "services/bill-inquiry.yaml:35:68",
                "`tolerationSeconds` needs `effect: NoExecute`",
            ),
        ] {
            let found = with_set_fields(&format!("      tolerations:\n        - {toleration}\n"));
            assert_one(&found, location, message);
        }
    }

    #[test]
    fn parameter_values_that_span_lines_are_refused() {
        let found =
            validate_example_with(SERVICE, "work_mem: 4MB", "work_mem: \"4MB\\nfsync = off\"");
        assert_one(
            &found,
            "services/bill-inquiry.yaml:41:19",
            "the value of `work_mem` spans lines",
        );
        let found = validate_example_with(SERVICE, "work_mem: 4MB", "work_mem: \"4MB\\r\"");
        assert_one(&found, "services/bill-inquiry.yaml:41:19", "spans lines");
    }
}
