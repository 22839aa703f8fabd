//! Rules of the `cnpg` platform: what CloudNativePG 1.30, its Barman Cloud plugin and the
//! Kubernetes API need from a design, read from the operator's webhooks and CRDs
//! (`src/model/cnpg_facts.rs` has the tables and their sources). Each rule is a named
//! function with a bad-input test beside it.

use std::collections::BTreeMap;

use crate::diagnostics::{self, Diagnostic};
use crate::input::{ClusterDeployment, CnpgEnvironment, EnvironmentFile, ScalarValue, ServiceFile};
use crate::model::cnpg_facts::{
    ALL_LOCALES_FLAVOUR, FIXED_PARAMETERS, GEN_PARAMETERS, IMAGE_FLAVOURS, MAX_CLUSTER_NAME,
    MINIMAL_LOCALES, OPERATOR_SECRET_SUFFIXES, PASSWORDLESS_AUTH, POOLER_CLIENT_TLS_MODES,
    POOLER_PARAMETERS, POSTGRES_MAJORS, image_tag_parts, is_reserved_role, is_retention,
};
use crate::names::{is_conf_name, is_dns_label, printable};
use crate::path;
use crate::validate::aks::{is_dns_subdomain, is_sha256_digest, label_problems, parse_pg_memory};
use crate::validate::backup::cron_problem;
use crate::validate::majors::{self, is_tested};
use crate::validate::{Design, Typed};
use crate::yaml::Seg;

/// Longest cluster name gen accepts: the operator's 50 less `-restore`, the README's
/// restored cluster, which must fit too (and the schema Job `<name>-schema-<8 hex>`, a label
/// value of at most 63, is longer than both).
pub const MAX_NAME: usize = {
    let job = 63 - "-schema-".len() - 8;
    let restore = MAX_CLUSTER_NAME - "-restore".len();
    if job < restore { job } else { restore }
};

/// The file of the Job's credentials volume the superuser's password is mounted as.
const SUPERUSER_PASSWORD_FILE: &str = "postgres-password";

/// Runs every cnpg rule.
pub fn check_all(design: &Design, out: &mut Vec<Diagnostic>) {
    environment_names_are_valid(design, out);
    image_is_an_operand_image(design, out);
    backup_store_is_azure_blob(design, out);
    cluster_names_are_valid(design, out);
    quantities_parse_and_requests_fit_limits(design, out);
    shared_buffers_fit_the_memory_request(design, out);
    synchronous_standbys_are_fewer_than_instances(design, out);
    fixed_parameters_are_refused(design, out);
    backups_have_a_store_a_schedule_and_a_window(design, out);
    roles_are_not_the_operators(design, out);
    password_secrets_are_secret_names(design, out);
    locales_ship_with_the_image(design, out);
    pooler_settings_are_pgbouncers(design, out);
    placement_labels_are_labels(design, out);
    azure_names_are_azure_names(design, out);
    volume_classes_are_names(design, out);
    database_text_fits_initdb(design, out);
}

/// One cnpg deployment of a service, with the path to its `cluster`.
struct CnpgTarget<'a> {
    service: &'a Typed<ServiceFile>,
    env: &'a Typed<EnvironmentFile>,
    cnpg: &'a CnpgEnvironment,
    cluster: &'a ClusterDeployment,
}

impl CnpgTarget<'_> {
    fn at(&self, rest: &[Seg], message: impl Into<String>) -> Diagnostic {
        self.service.at(&self.path(rest), message)
    }

    fn at_key(&self, rest: &[Seg], key: &str, message: impl Into<String>) -> Diagnostic {
        self.service.at_key(&self.path(rest), key, message)
    }

    fn path(&self, rest: &[Seg]) -> Vec<Seg> {
        let env = self.env.value.name.as_str();
        let mut path = path!["deployments", env, "cluster"].to_vec();
        path.extend_from_slice(rest);
        path
    }
}

/// Every `cluster` deployment whose environment is on cnpg.
fn cnpg_targets(design: &Design) -> Vec<CnpgTarget<'_>> {
    let mut targets = Vec::new();
    for service in &design.services {
        for (env_name, deployment) in &service.value.deployments {
            let Some(env) = design.environment(env_name) else {
                continue;
            };
            if let (Some(cnpg), Some(cluster)) = (&env.value.cnpg, &deployment.cluster) {
                targets.push(CnpgTarget {
                    service,
                    env,
                    cnpg,
                    cluster,
                });
            }
        }
    }
    targets
}

fn cnpg_environments(
    design: &Design,
) -> impl Iterator<Item = (&Typed<EnvironmentFile>, &CnpgEnvironment)> {
    design
        .environments
        .iter()
        .filter_map(|e| e.value.cnpg.as_ref().map(|c| (e, c)))
}

/// Namespaces, the storage class and the client selector end up in object names and
/// selectors the API server checks; an empty selector would admit every pod.
fn environment_names_are_valid(design: &Design, out: &mut Vec<Diagnostic>) {
    for (env, cnpg) in cnpg_environments(design) {
        let namespaces = [
            ("namespace", Some(cnpg.namespace.as_str())),
            ("monitoringNamespace", cnpg.monitoring_namespace.as_deref()),
            ("operatorNamespace", cnpg.operator_namespace.as_deref()),
        ];
        for (field, name) in namespaces {
            let Some(name) = name else { continue };
            if !is_dns_label(name) {
                out.push(
                    env.at(path!["cnpg", field], "not a Kubernetes namespace name")
                        .expected("a DNS-1123 label: 1–63 lowercase letters, digits and `-`")
                        .found(format!("`{}`", printable(name))),
                );
            }
        }
        if !is_dns_subdomain(&cnpg.storage_class) {
            out.push(
                env.at(path!["cnpg", "storageClass"], "not a StorageClass name")
                    .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                    .found(format!("`{}`", printable(&cnpg.storage_class))),
            );
        }
        let at = path!["cnpg", "clients", "matchLabels"];
        if cnpg.clients.match_labels.is_empty() {
            out.push(
                env.at(at, "an empty client selector")
                    .expected("at least one label that the client pods carry")
                    .hint("a podSelector without labels admits every pod of the namespace"),
            );
        }
        for (key, value) in &cnpg.clients.match_labels {
            label_problems(env, at, key, value, out);
        }
    }
}

/// The operand image's tag must be `<major>[.<minor>]-<flavour>-<os>`: the operator reads the
/// major from it (a tag without one, or `latest`, is refused by its webhook), only
/// `minimal` and `standard` are current flavours (`system` is deprecated and cannot be left
/// on a running cluster), and the major must be one the operator runs and gen is tested on.
fn image_is_an_operand_image(design: &Design, out: &mut Vec<Diagnostic>) {
    for (env, cnpg) in cnpg_environments(design) {
        let tag = cnpg.image.tag.as_str();
        let shown = printable(tag);
        let at = path!["cnpg", "image", "tag"];
        let problem = match image_tag_parts(tag) {
            None => Some((
                format!("image tag `{shown}` is not `<major>.<minor>-<flavour>-<os>`"),
                "a tag such as `16.14-standard-trixie` or `17-minimal-trixie`".to_owned(),
            )),
            Some((_, flavour, _)) if !IMAGE_FLAVOURS.contains(&flavour) => Some((
                format!(
                    "image flavour `{}` is not one gen renders for",
                    printable(flavour)
                ),
                format!(
                    "one of {} (`system` images are deprecated)",
                    diagnostics::list(IMAGE_FLAVOURS)
                ),
            )),
            Some((major, ..)) if !POSTGRES_MAJORS.contains(&major) || !is_tested(major) => Some((
                format!(
                    "image tag `{shown}` runs PostgreSQL {major}, which CloudNativePG 1.30 does not run or gen is not tested against"
                ),
                majors::expected_text(),
            )),
            Some(_) => None,
        };
        if let Some((message, expected)) = problem {
            out.push(
                env.at(at, message)
                    .expected(expected)
                    .found(format!("`{shown}`")),
            );
        }
        if let Some(digest) = cnpg.image.digest.as_deref()
            && !is_sha256_digest(digest)
        {
            out.push(
                env.at(path!["cnpg", "image", "digest"], "not an image digest")
                    .expected("`sha256:` and 64 lowercase hex digits")
                    .found(format!("`{}`", printable(digest))),
            );
        }
    }
}

/// Whether `text` is an Azure Blob container URL
/// `https://<account>.blob.core.windows.net/<container>`: an account of 3–24 lowercase
/// letters and digits, a container of 3–63 lowercase letters, digits and single `-`.
fn is_blob_container_url(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://") else {
        return false;
    };
    let rest = rest.trim_end_matches('/');
    let Some((host, container)) = rest.split_once('/') else {
        return false;
    };
    let Some(account) = host.strip_suffix(".blob.core.windows.net") else {
        return false;
    };
    let account_ok = (3..=24).contains(&account.len())
        && account
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let container_ok =
        (3..=63).contains(&container.len()) && is_dns_label(container) && !container.contains("--");
    account_ok && container_ok
}

/// The backup store is one Azure Blob container and exactly one way to sign in to it.
fn backup_store_is_azure_blob(design: &Design, out: &mut Vec<Diagnostic>) {
    for (env, cnpg) in cnpg_environments(design) {
        let Some(store) = &cnpg.backup_store else {
            continue;
        };
        if !is_blob_container_url(&store.destination) {
            out.push(
                env.at(
                    path!["cnpg", "backupStore", "destination"],
                    "not an Azure Blob Storage container URL",
                )
                .expected("`https://<account>.blob.core.windows.net/<container>`")
                .found(format!("`{}`", printable(&store.destination))),
            );
        }
        let at = path!["cnpg", "backupStore", "credentials"];
        let c = &store.credentials;
        match (&c.workload_identity_client_id, &c.account_key_secret) {
            (Some(_), Some(_)) | (None, None) => out.push(
                env.at(at, "the backup store needs exactly one kind of credentials")
                    .expected("`workloadIdentityClientId` or `accountKeySecret`"),
            ),
            (Some(id), None) if !is_guid(id) => out.push(
                env.at(
                    path![
                        "cnpg",
                        "backupStore",
                        "credentials",
                        "workloadIdentityClientId"
                    ],
                    "not a managed identity's client ID",
                )
                .expected("a GUID in lower case, e.g. `6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f`")
                .found(format!("`{}`", printable(id))),
            ),
            (None, Some(secret)) if !is_dns_subdomain(secret) => out.push(
                env.at(
                    path!["cnpg", "backupStore", "credentials", "accountKeySecret"],
                    "not a Secret name",
                )
                .expected("a DNS-1123 subdomain"),
            ),
            _ => {}
        }
    }
}

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// The cluster name makes pod, Service, Secret and Job names: a DNS-1035 label (a letter
/// first) short enough for the schema Job's name; two clusters of one namespace may not
/// share it.
fn cluster_names_are_valid(design: &Design, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for target in cnpg_targets(design) {
        let name = &target.cluster.name;
        let usable = is_dns_label(name)
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.len() <= MAX_NAME;
        if !usable {
            out.push(
                target
                    .at(path!["name"], "not a usable Cluster name")
                    .expected(format!("1–{MAX_NAME} lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit"))
                    .found(format!("`{}`", printable(name)))
                    .hint("the operator allows 50 characters; the schema Job `<name>-schema-<8 hex>` must fit in 63"),
            );
        }
        let key = (target.cnpg.namespace.clone(), name.clone());
        let owner = format!("{} ({})", target.service.value.name, target.env.value.name);
        match seen.get(&key) {
            Some(first) => out.push(
                target
                    .at(
                        path!["name"],
                        format!(
                            "Cluster `{name}` is already {first}'s in namespace `{}`",
                            target.cnpg.namespace
                        ),
                    )
                    .expected("a name no other service uses in the namespace"),
            ),
            None => {
                seen.insert(key, owner);
            }
        }
    }
}

/// CPU, memory and volume sizes must be quantities the API server reads, not zero, and no
/// request may exceed its limit (the operator's webhook refuses it).
fn quantities_parse_and_requests_fit_limits(design: &Design, out: &mut Vec<Diagnostic>) {
    let segs = |dotted: &str| -> Vec<Seg> { dotted.split('.').map(Seg::from).collect() };
    for target in cnpg_targets(design) {
        let c = target.cluster;
        let r = &c.resources;
        // (dotted path under `cluster`, what it measures, the text)
        let all = [
            (
                "resources.requests.cpu",
                "cpu",
                Some(r.requests.cpu.as_str()),
            ),
            (
                "resources.requests.memory",
                "memory",
                Some(r.requests.memory.as_str()),
            ),
            ("resources.limits.cpu", "cpu", r.limits.cpu.as_deref()),
            (
                "resources.limits.memory",
                "memory",
                Some(r.limits.memory.as_str()),
            ),
            ("storage.size", "storage", Some(c.storage.size.as_str())),
            (
                "walStorage.size",
                "storage",
                c.wal_storage.as_ref().map(|w| w.size.as_str()),
            ),
        ];
        let mut parsed: BTreeMap<&str, f64> = BTreeMap::new();
        for (at, kind, text) in all {
            let Some(text) = text else { continue };
            match crate::quantity::parse(text).filter(|q| *q > 0.0) {
                Some(q) => {
                    parsed.insert(at, q);
                }
                None => out.push(
                    target
                        .at(
                            &segs(at),
                            format!("`{}` is not a usable {kind} quantity", printable(text)),
                        )
                        .expected(if kind == "cpu" {
                            "cores, e.g. `500m`, `1` or `0.5`"
                        } else {
                            "bytes with a suffix, e.g. `512Mi`, `1Gi` or `20Gi`"
                        }),
                ),
            }
        }
        for (request, limit) in [
            ("resources.requests.cpu", "resources.limits.cpu"),
            ("resources.requests.memory", "resources.limits.memory"),
        ] {
            if let (Some(r), Some(l)) = (parsed.get(request), parsed.get(limit))
                && r > l
            {
                out.push(
                    target
                        .at(
                            &segs(request),
                            format!(
                                "the {} request is more than its limit",
                                request.rsplit('.').next().unwrap_or_default()
                            ),
                        )
                        .hint("the operator refuses a request above its limit"),
                );
            }
        }
    }
}

/// `shared_buffers` above the memory request is refused by the operator's webhook
/// ("Memory request is lower than PostgreSQL `shared_buffers` value").
fn shared_buffers_fit_the_memory_request(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        let Some(value) = target.cluster.parameters.get("shared_buffers") else {
            continue;
        };
        let at = path!["parameters", "shared_buffers"];
        let Some(bytes) = parse_pg_memory(value) else {
            out.push(
                target
                    .at(at, "`shared_buffers` is not a PostgreSQL memory size")
                    .expected("a number with kB, MB, GB or TB"),
            );
            continue;
        };
        let request = &target.cluster.resources.requests.memory;
        if let Some(limit) = crate::quantity::parse(request)
            && bytes > limit
        {
            out.push(
                target
                    .at(at, format!("`shared_buffers` is more than the memory request {request}"))
                    .expected(format!("at most {request} (a quarter of it is usual)"))
                    .hint("the operator refuses a Cluster whose shared_buffers exceed its memory request"),
            );
        }
    }
}

/// Synchronous replication waits for `number` standbys, which must be fewer than the
/// instances (the operator's webhook: "the number of synchronous replicas must be less than
/// the total number of instances"), and at least one (its CRD: `self > 0`).
fn synchronous_standbys_are_fewer_than_instances(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        let c = target.cluster;
        if c.instances == 0 {
            out.push(
                target
                    .at(path!["instances"], "a cluster needs at least one instance")
                    .found("`0`"),
            );
        }
        let Some(sync) = &c.synchronous else { continue };
        if sync.number == 0 || sync.number >= c.instances {
            out.push(
                target
                    .at(
                        path!["synchronous", "number"],
                        format!(
                            "{} synchronous standby(s) need more than {} instance(s)",
                            sync.number, c.instances
                        ),
                    )
                    .expected(format!(
                        "1 to {} (fewer than `instances`)",
                        c.instances.saturating_sub(1)
                    ))
                    .found(format!("`{}`", sync.number))
                    .hint(
                        "a single instance has no standby: remove `synchronous` or add instances",
                    ),
            );
        }
    }
}

/// Parameters the operator fixes are refused by its webhook (or silently replaced); gen
/// sets the timezone itself; `wal_level` must keep WAL for replicas and the archive.
fn fixed_parameters_are_refused(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        for (name, value) in &target.cluster.parameters {
            let lower = name.to_ascii_lowercase();
            let at = path!["parameters"];
            if !is_conf_name(name) {
                out.push(
                    target
                        .at_key(
                            at,
                            name,
                            format!("`{}` is not a PostgreSQL parameter name", printable(name)),
                        )
                        .expected("letters, digits and `_`, optionally `extension.name`"),
                );
            } else if FIXED_PARAMETERS.contains(&lower.as_str()) {
                out.push(
                    target
                        .at_key(at, name, format!("`{name}` is fixed by the CloudNativePG operator"))
                        .hint("the operator refuses a Cluster that sets it (its webhook: \"Can't set fixed configuration parameter\"); remove it"),
                );
            } else if GEN_PARAMETERS.contains(&lower.as_str()) {
                out.push(
                    target
                        .at_key(at, name, format!("`{name}` is set by gen on cnpg"))
                        .hint("the timezone comes from `database.timezone`; passwords are always SCRAM"),
                );
            } else if lower == "wal_level"
                && !matches!(value, ScalarValue::Text(t) if t == "replica" || t == "logical")
            {
                out.push(
                    target
                        .at_key(
                            at,
                            name,
                            "`wal_level` must be `replica` or `logical` on cnpg",
                        )
                        .hint(
                            "replicas and the WAL archive need it; the operator refuses `minimal`",
                        ),
                );
            } else if let ScalarValue::Text(text) = value
                && (text.chars().any(crate::names::is_control) || text.contains('\\'))
            {
                out.push(
                    target
                        .at(&[Seg::from("parameters"), Seg::from(name.as_str())], "a parameter value must be one line of text without a backslash")
                        .expected("a value without line breaks, other control characters or `\\`")
                        .hint("the operator writes the value between single quotes, doubling only quotes: a backslash there escapes the closing quote and the instance does not start"),
                );
            }
        }
    }
}

/// A backup needs the environment's store; its schedule is five cron fields (the operator
/// wants six, seconds first: gen adds them), its recovery window the plugin's pattern.
fn backups_have_a_store_a_schedule_and_a_window(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        let Some(backup) = &target.cluster.backup else {
            continue;
        };
        if target.cnpg.backup_store.is_none() {
            out.push(
                target
                    .at_key(
                        path![],
                        "backup",
                        format!(
                            "environment `{}` has no `cnpg.backupStore`",
                            target.env.value.name
                        ),
                    )
                    .expected("an Azure Blob container in the environment's `cnpg.backupStore`")
                    .hint(format!(
                        "add it to {}, or remove `backup`",
                        target.env.file.rel
                    )),
            );
        }
        if let Some(schedule) = &backup.schedule {
            let problem = if schedule.trim_start().starts_with('@') {
                Some(
                    "a macro; the operator reads six fields, gen adds the seconds to five"
                        .to_owned(),
                )
            } else {
                cron_problem(schedule)
            };
            if let Some(problem) = problem {
                out.push(
                    target
                        .at(
                            path!["backup", "schedule"],
                            format!("not a cron schedule: {problem}"),
                        )
                        .expected("five cron fields in UTC, e.g. `\"0 3 * * *\"`"),
                );
            }
        }
        if let Some(retention) = &backup.retention
            && !is_retention(retention)
        {
            out.push(
                target
                    .at(path!["backup", "retention"], "not a recovery window")
                    .expected("a count and `d`, `w` or `m`, e.g. `30d`, `4w` or `6m`")
                    .found(format!("`{}`", printable(retention))),
            );
        }
    }
}

/// The operator refuses to manage `postgres`, `streaming_replica` and any role starting
/// with `cnpg_` or `pg_`; the Cluster lists every design role and the database owner.
fn roles_are_not_the_operators(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let on_cnpg = service.value.deployments.iter().any(|(env, d)| {
            d.cluster.is_some()
                && design
                    .environment(env)
                    .is_some_and(|e| e.value.cnpg.is_some())
        });
        if !on_cnpg {
            continue;
        }
        let db = &service.value.database;
        for (i, role) in db.roles.iter().enumerate() {
            if is_reserved_role(&role.name) {
                out.push(
                    service
                        .at(path!["database", "roles", i, "name"], format!("role `{}` is reserved by CloudNativePG", printable(&role.name)))
                        .expected("a name other than `postgres`, `streaming_replica`, `cnpg_*` and `pg_*`"),
                );
            }
        }
        let owner = crate::model::database::owner_role(db);
        if is_reserved_role(&owner) {
            out.push(
                service
                    .at(
                        path!["database", "ownerRole"],
                        format!("role `{}` is reserved by CloudNativePG", printable(&owner)),
                    )
                    .expected(
                        "a name other than `postgres`, `streaming_replica`, `cnpg_*` and `pg_*`",
                    ),
            );
        }
    }
}

/// On cnpg each role's `passwordSecret` names a `kubernetes.io/basic-auth` Secret of its own,
/// and `tls.serverSecret` a TLS Secret; the values are masked in messages (a pasted secret).
fn password_secrets_are_secret_names(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        if let Some(tls) = &target.cluster.tls
            && !is_dns_subdomain(&tls.server_secret)
        {
            out.push(
                target
                    .at(path!["tls", "serverSecret"], "not a Kubernetes Secret name")
                    .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                    .found(crate::names::masked(&tls.server_secret)),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for (i, role) in target.service.value.database.roles.iter().enumerate() {
            let secret = role.password_secret.as_str();
            let operators = OPERATOR_SECRET_SUFFIXES
                .iter()
                .any(|s| secret == format!("{}{s}", target.cluster.name));
            let clash = if seen.contains(&secret) {
                Some("another role's Secret: each role's `username` is its own")
            } else if secret == SUPERUSER_PASSWORD_FILE {
                Some("the file the Job reads the superuser's password from")
            } else if operators {
                Some("a Secret the operator makes for the cluster")
            } else {
                None
            };
            seen.push(secret);
            if let Some(why) = clash
                && is_dns_subdomain(secret)
            {
                out.push(
                    target
                        .service
                        .at(
                            path!["database", "roles", i, "passwordSecret"],
                            format!("on cnpg `{secret}` is {why}"),
                        )
                        .expected("a Secret name of this role's own"),
                );
            }
            if !is_dns_subdomain(&role.password_secret) {
                out.push(
                    target
                        .service
                        .at(
                            path!["database", "roles", i, "passwordSecret"],
                            "not a Kubernetes Secret name",
                        )
                        .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                        .found(crate::names::masked(&role.password_secret))
                        .hint(format!(
                            "on `{}` (cnpg) it names a basic-auth Secret of its own",
                            target.env.value.name
                        )),
                );
            }
        }
    }
}

/// `minimal` images have the C locales only; a database in another locale needs `standard`.
fn locales_ship_with_the_image(design: &Design, out: &mut Vec<Diagnostic>) {
    let project_locale = design.project.value.defaults.database.locale.as_deref();
    for target in cnpg_targets(design) {
        let Some((_, flavour, _)) = image_tag_parts(&target.cnpg.image.tag) else {
            continue; // reported by the image rule
        };
        let own = target.service.value.database.locale.as_deref();
        let Some(locale) = own.or(project_locale) else {
            continue;
        };
        if flavour == ALL_LOCALES_FLAVOUR || MINIMAL_LOCALES.contains(&locale) {
            continue;
        }
        let at = if own.is_some() {
            target.service.at(path!["database", "locale"], "")
        } else {
            design
                .project
                .at(path!["defaults", "database", "locale"], "")
        };
        let mut d = at;
        d.message = format!(
            "locale `{}` is not in the `{flavour}` image that `{}` runs",
            printable(locale),
            target.env.value.name
        );
        out.push(
            d.expected(format!(
                "one of {}, or a `standard` image",
                diagnostics::list(MINIMAL_LOCALES)
            ))
            .hint(format!(
                "set `cnpg.image.tag` in {} to a `-standard-` tag",
                target.env.file.rel
            )),
        );
    }
}

/// PgBouncer settings outside the operator's allow-list are refused by its webhook
/// ("Invalid or reserved parameter"); a pooler needs a pod.
fn pooler_settings_are_pgbouncers(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        let Some(pooler) = &target.cluster.pooler else {
            continue;
        };
        if pooler.instances == Some(0) {
            out.push(target.at(
                path!["pooler", "instances"],
                "a pooler needs at least one pod",
            ));
        }
        for (name, value) in &pooler.parameters {
            if let ScalarValue::Text(text) = value
                && !crate::names::fits_conf_line(text)
            {
                out.push(
                    target
                        .at(
                            &[
                                Seg::from("pooler"),
                                Seg::from("parameters"),
                                Seg::from(name.as_str()),
                            ],
                            "a PgBouncer setting must be one line of text",
                        )
                        .expected("a value without line breaks or other control characters"),
                );
            }
            if name == "auth_type"
                && matches!(value, ScalarValue::Text(t) if PASSWORDLESS_AUTH.contains(&t.as_str()))
            {
                out.push(
                    target
                        .at(
                            &[
                                Seg::from("pooler"),
                                Seg::from("parameters"),
                                Seg::from(name.as_str()),
                            ],
                            "the pooler must ask clients for a password",
                        )
                        .expected("`scram-sha-256`, `md5` or no value (the operator's default)"),
                );
            }
            let tls_modes = POOLER_CLIENT_TLS_MODES;
            if name == crate::model::cnpg::POOLER_CLIENT_TLS.0
                && !matches!(value, ScalarValue::Text(t) if tls_modes.contains(&t.as_str()))
            {
                out.push(
                    target
                        .at(
                            &[
                                Seg::from("pooler"),
                                Seg::from("parameters"),
                                Seg::from(name.as_str()),
                            ],
                            "the pooler must refuse clients without TLS, as the cluster does",
                        )
                        .expected(format!(
                            "one of {}, or no value (gen writes `require`)",
                            diagnostics::list(tls_modes)
                        )),
                );
            }
            if !POOLER_PARAMETERS.contains(&name.as_str()) {
                out.push(
                    target
                        .at_key(
                            path!["pooler", "parameters"],
                            name,
                            format!(
                                "`{}` is not a PgBouncer setting the operator lets a Pooler set",
                                printable(name)
                            ),
                        )
                        .maybe_hint(
                            diagnostics::nearest(name, POOLER_PARAMETERS.iter().copied())
                                .map(|n| format!("did you mean `{n}`?")),
                        ),
                );
            }
        }
    }
}

/// The topology key and node selector become label keys and selectors.
fn placement_labels_are_labels(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        let Some(affinity) = &target.cluster.affinity else {
            continue;
        };
        if let Some(key) = &affinity.topology_key
            && !crate::names::is_label_key(key)
        {
            out.push(
                target
                    .at(path!["affinity", "topologyKey"], "not a node label key")
                    .expected(crate::names::LABEL_KEY_FORM),
            );
        }
        let at = target.path(path!["affinity", "nodeSelector"]);
        for (key, value) in &affinity.node_selector {
            crate::validate::aks::label_syntax_problems(target.service, &at, key, value, out);
        }
    }
}

/// Whether `name` is an Azure resource group name: 1–90 letters, digits, `_`, `-`, `.`,
/// `(` and `)`, not ending in `.` (Microsoft.Resources naming rules).
fn is_resource_group_name(name: &str) -> bool {
    (1..=90).contains(&name.chars().count())
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.()".contains(c))
}

/// Whether `name` is an AKS cluster name: 1–63 letters, digits, `_` and `-`, starting and
/// ending with a letter or digit (Microsoft.ContainerService naming rules).
fn is_aks_cluster_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// The AKS cluster and its resource group go into resource IDs (the dashboard's workspace,
/// the rule group's scope) and the README's `az` commands.
fn azure_names_are_azure_names(design: &Design, out: &mut Vec<Diagnostic>) {
    for (env, cnpg) in cnpg_environments(design) {
        if !is_aks_cluster_name(&cnpg.cluster) {
            out.push(
                env.at(path!["cnpg", "cluster"], "not an AKS cluster name")
                    .expected("1–63 letters, digits, `_` and `-`, starting and ending with a letter or digit")
                    .found(format!("`{}`", printable(&cnpg.cluster))),
            );
        }
        if !is_resource_group_name(&cnpg.resource_group) {
            out.push(
                env.at(
                    path!["cnpg", "resourceGroup"],
                    "not an Azure resource group name",
                )
                .expected("1–90 letters, digits, `_`, `-`, `.`, `(` and `)`, not ending in `.`")
                .found(format!("`{}`", printable(&cnpg.resource_group))),
            );
        }
        let repository = &cnpg.image.repository;
        let repository_ok = !repository.is_empty()
            && repository
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b));
        if !repository_ok {
            out.push(
                env.at(
                    path!["cnpg", "image", "repository"],
                    "not an image repository",
                )
                .expected("lowercase letters, digits, `.`, `_`, `-`, `/` and a registry `:port`")
                .found(format!("`{}`", printable(repository))),
            );
        }
        let tag = &cnpg.image.tag;
        if !tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            out.push(
                env.at(path!["cnpg", "image", "tag"], "not an image tag")
                    .expected("letters, digits, `.`, `_` and `-`")
                    .found(format!("`{}`", printable(tag))),
            );
        }
    }
}

/// A deployment's own storage classes name StorageClasses, as the environment's does.
fn volume_classes_are_names(design: &Design, out: &mut Vec<Diagnostic>) {
    for target in cnpg_targets(design) {
        let c = target.cluster;
        for (field, storage) in [
            ("storage", Some(&c.storage)),
            ("walStorage", c.wal_storage.as_ref()),
        ] {
            let Some(class) = storage.and_then(|s| s.storage_class.as_deref()) else {
                continue;
            };
            if !is_dns_subdomain(class) {
                out.push(
                    target
                        .at(
                            &[Seg::from(field), Seg::from("storageClass")],
                            "not a StorageClass name",
                        )
                        .expected("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`")
                        .found(format!("`{}`", printable(class))),
                );
            }
        }
    }
}

/// The locale and encoding go to `initdb` as arguments: one line of printable text.
fn database_text_fits_initdb(design: &Design, out: &mut Vec<Diagnostic>) {
    for service in &design.services {
        let on_cnpg = service.value.deployments.iter().any(|(env, d)| {
            d.cluster.is_some()
                && design
                    .environment(env)
                    .is_some_and(|e| e.value.cnpg.is_some())
        });
        if !on_cnpg {
            continue;
        }
        let db = &service.value.database;
        for (field, text) in [
            ("locale", db.locale.as_deref()),
            ("encoding", db.encoding.as_deref()),
        ] {
            let Some(text) = text else { continue };
            if text.is_empty()
                || text
                    .chars()
                    .any(|c| crate::names::is_control(c) || c.is_whitespace())
            {
                out.push(
                    service
                        .at(
                            &[Seg::from("database"), Seg::from(field)],
                            format!("the {field} must be one word of printable text"),
                        )
                        .expected("e.g. `ko_KR.UTF-8` or `UTF8`")
                        .found(format!("`{}`", printable(text))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::validate_example_with;

    /// The example with one edit of the staging cluster, and what it reports.
    fn messages(file: &str, from: &str, to: &str) -> Vec<String> {
        validate_example_with(file, from, to)
            .into_iter()
            .map(|d| format!("{}:{}:{}: {}", d.file, d.pos.line, d.pos.column, d.message))
            .collect()
    }

    const SERVICE: &str = "services/bill-inquiry.yaml";
    const ENV: &str = "environments/staging.yaml";

    fn found(messages: &[String], part: &str) -> bool {
        messages.iter().any(|m| m.contains(part))
    }

    #[test]
    fn the_example_passes() {
        assert!(messages(SERVICE, "instances: 2 ", "instances: 2  ").is_empty());
    }

    #[test]
    fn synchronous_standbys_must_be_fewer_than_instances() {
        let m = messages(SERVICE, "instances: 2 ", "instances: 1 ");
        assert!(
            found(&m, "1 synchronous standby(s) need more than 1 instance(s)"),
            "{m:#?}"
        );
    }

    #[test]
    fn fixed_parameters_are_refused() {
        let m = messages(
            SERVICE,
            "        log_min_duration_statement: 1000\n      synchronous:",
            "        log_min_duration_statement: 1000\n        listen_addresses: '*'\n        timezone: UTC\n        wal_level: minimal\n      synchronous:",
        );
        assert!(
            found(
                &m,
                "`listen_addresses` is fixed by the CloudNativePG operator"
            ),
            "{m:#?}"
        );
        assert!(found(&m, "`timezone` is set by gen on cnpg"), "{m:#?}");
        assert!(
            found(&m, "`wal_level` must be `replica` or `logical`"),
            "{m:#?}"
        );
    }

    #[test]
    fn shared_buffers_must_fit_the_memory_request() {
        let m = messages(
            SERVICE,
            "        shared_buffers: 256MB\n        effective_cache_size: 1GB\n        work_mem: 4MB\n        maintenance_work_mem: 64MB\n        log_min_duration_statement: 1000\n      synchronous",
            "        shared_buffers: 2GB\n        effective_cache_size: 1GB\n        work_mem: 4MB\n        maintenance_work_mem: 64MB\n        log_min_duration_statement: 1000\n      synchronous",
        );
        assert!(
            found(&m, "`shared_buffers` is more than the memory request 1Gi"),
            "{m:#?}"
        );
    }

    #[test]
    fn a_retention_and_a_schedule_must_be_the_plugins() {
        let m = messages(SERVICE, "retention: 14d", "retention: 2 weeks");
        assert!(found(&m, "not a recovery window"), "{m:#?}");
        let m = messages(SERVICE, "schedule: \"0 18 * * *\"", "schedule: \"@daily\"");
        assert!(found(&m, "not a cron schedule"), "{m:#?}");
        let m = messages(
            SERVICE,
            "schedule: \"0 18 * * *\"",
            "schedule: \"0 18 * *\"",
        );
        assert!(
            found(&m, "not a cron schedule: 4 fields instead of 5"),
            "{m:#?}"
        );
    }

    #[test]
    fn cluster_names_must_fit_the_job() {
        let m = messages(
            SERVICE,
            "name: bill-inquiry-db",
            &format!("name: {}", "b".repeat(48)),
        );
        assert!(found(&m, "not a usable Cluster name"), "{m:#?}");
        let m = messages(SERVICE, "name: bill-inquiry-db", "name: 1bill");
        assert!(found(&m, "not a usable Cluster name"), "{m:#?}");
    }

    #[test]
    fn the_image_must_be_a_current_operand_image() {
        for (tag, message) in [
            ("16.14-system-trixie", "image flavour `system`"),
            ("latest", "is not `<major>.<minor>-<flavour>-<os>`"),
            ("13.20-standard-trixie", "runs PostgreSQL 13"),
        ] {
            let m = messages(ENV, "tag: 16.15-standard-trixie", &format!("tag: {tag}"));
            assert!(found(&m, message), "{tag}: {m:#?}");
        }
    }

    #[test]
    fn a_non_c_locale_needs_a_standard_image() {
        let m = crate::validate::testing::validate_example_with_edits(&[
            (
                ENV,
                "tag: 16.15-standard-trixie",
                "tag: 16.15-minimal-trixie",
            ),
            (
                "project.yaml",
                "    encoding: UTF8\n",
                "    encoding: UTF8\n    locale: ko_KR.UTF-8\n",
            ),
        ]);
        assert!(
            m.iter().any(|d| d
                .message
                .contains("locale `ko_KR.UTF-8` is not in the `minimal` image")),
            "{m:#?}"
        );
    }

    #[test]
    fn the_backup_store_must_be_a_blob_container_with_one_credential() {
        let m = messages(
            ENV,
            "https://phonebillstagingbackup.blob.core.windows.net/postgresql",
            "https://phonebillstagingbackup.s3.amazonaws.com/postgresql",
        );
        assert!(
            found(&m, "not an Azure Blob Storage container URL"),
            "{m:#?}"
        );
        let m = messages(
            ENV,
            "workloadIdentityClientId: 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
            "workloadIdentityClientId: not-a-guid",
        );
        assert!(found(&m, "not a managed identity's client ID"), "{m:#?}");
        let m = messages(
            ENV,
            "      workloadIdentityClientId: 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f\n",
            "      workloadIdentityClientId: 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f\n      accountKeySecret: backup-key\n",
        );
        assert!(found(&m, "exactly one kind of credentials"), "{m:#?}");
    }

    #[test]
    fn reserved_roles_are_refused() {
        let m = messages(
            SERVICE,
            "    - name: bill_inquiry_monitor\n",
            "    - name: pg_bill_monitor\n",
        );
        assert!(
            found(&m, "role `pg_bill_monitor` is reserved by CloudNativePG"),
            "{m:#?}"
        );
    }

    #[test]
    fn pooler_parameters_are_pgbouncers() {
        let m = messages(SERVICE, "max_client_conn: 500", "max_client_conns: 500");
        assert!(
            found(&m, "`max_client_conns` is not a PgBouncer setting"),
            "{m:#?}"
        );
    }

    #[test]
    fn a_pooler_value_is_one_line() {
        let m = messages(
            SERVICE,
            "max_client_conn: 500",
            "max_client_conn: \"500\\nadmin_users = x\"",
        );
        assert!(
            found(&m, "a PgBouncer setting must be one line of text"),
            "{m:#?}"
        );
    }

    #[test]
    fn a_tls_secret_must_be_a_secret_name_and_is_never_echoed() {
        let m = crate::validate::testing::validate_example_with(
            SERVICE,
            "      synchronous:\n",
            "      tls:\n        serverSecret: \"S3cret pass!\"\n      synchronous:\n",
        );
        let shown: Vec<String> = m.iter().map(ToString::to_string).collect();
        assert!(
            shown
                .iter()
                .any(|d| d.contains("not a Kubernetes Secret name")),
            "{shown:#?}"
        );
        assert!(
            shown.iter().all(|d| !d.contains("S3cret pass!")),
            "{shown:#?}"
        );
    }

    #[test]
    fn quantities_must_parse() {
        let m = messages(
            SERVICE,
            "      walStorage:\n        size: 5Gi",
            "      walStorage:\n        size: five",
        );
        assert!(
            found(&m, "`five` is not a usable storage quantity"),
            "{m:#?}"
        );
    }

    #[test]
    fn a_backslash_in_a_parameter_is_refused() {
        let m = messages(
            SERVICE,
            "        work_mem: 4MB\n        maintenance_work_mem: 64MB\n        log_min_duration_statement: 1000\n      synchronous",
            "        work_mem: 4MB\n        maintenance_work_mem: 64MB\n        log_min_duration_statement: 1000\n        application_name: 'app\\'\n      synchronous",
        );
        assert!(found(&m, "without a backslash"), "{m:#?}");
    }

    #[test]
    fn role_secrets_are_each_roles_own() {
        let m = messages(
            SERVICE,
            "passwordSecret: bill-inquiry-monitor-password",
            "passwordSecret: bill-inquiry-app-password",
        );
        assert!(found(&m, "another role's Secret"), "{m:#?}");
        let m = messages(
            SERVICE,
            "passwordSecret: bill-inquiry-monitor-password",
            "passwordSecret: bill-inquiry-db-superuser",
        );
        assert!(found(&m, "a Secret the operator makes"), "{m:#?}");
    }

    #[test]
    fn azure_names_and_the_image_are_checked() {
        let m = messages(
            ENV,
            "  cluster: phonebill-staging-aks",
            "  cluster: phonebill/staging",
        );
        assert!(found(&m, "not an AKS cluster name"), "{m:#?}");
        let m = messages(
            ENV,
            "  resourceGroup: phonebill-staging-rg",
            "  resourceGroup: rg.",
        );
        assert!(found(&m, "not an Azure resource group name"), "{m:#?}");
        let m = messages(
            ENV,
            "repository: ghcr.io/cloudnative-pg/postgresql",
            "repository: GHCR.io/x y",
        );
        assert!(found(&m, "not an image repository"), "{m:#?}");
    }

    #[test]
    fn sunday_is_0_for_the_operator() {
        let m = messages(
            SERVICE,
            "schedule: \"0 18 * * *\"",
            "schedule: \"0 18 * * 7\"",
        );
        assert!(found(&m, "`7` is not a day of week"), "{m:#?}");
    }

    #[test]
    fn a_passwordless_pooler_is_refused() {
        let m = messages(
            SERVICE,
            "max_client_conn: 500",
            "max_client_conn: 500\n          auth_type: trust",
        );
        assert!(found(&m, "must ask clients for a password"), "{m:#?}");
    }

    #[test]
    fn urls_of_blob_containers_are_recognised() {
        assert!(super::is_blob_container_url(
            "https://acct123.blob.core.windows.net/pg-backups"
        ));
        for bad in [
            "http://acct.blob.core.windows.net/pg",
            "https://ACCT.blob.core.windows.net/pg",
            "https://acct.blob.core.windows.net/",
            "https://acct.blob.core.windows.net/a--b",
            "https://acct.dfs.core.windows.net/pg",
        ] {
            assert!(!super::is_blob_container_url(bad), "{bad}");
        }
    }
}
