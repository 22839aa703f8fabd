//! The cnpg target: `kubernetes/NN-<kind>-<name>.yaml` for one CloudNativePG `Cluster`, one
//! object per file in install order: NetworkPolicies, the schema Job's ServiceAccount and
//! ConfigMap, the Barman Cloud `ObjectStore`, the `Cluster`, its `ScheduledBackup`, a
//! `Pooler`, PodMonitors and the schema Job, which applies the SQL target's scripts byte for
//! byte through the primary's `-rw` Service (the same Job and script as on aks).
//!
//! The Job, not the operator's `postInitApplicationSQL`: post-init SQL runs once, when the
//! cluster is created, so a migration added later would never run; the scripts are
//! idempotent and the Job reruns them whenever they change, on a new cluster and an old one.

use serde::Serialize;

use crate::model::cnpg::{Cluster, Cnpg};
use crate::model::cnpg_facts::{
    METRICS_PORT, OPERATOR_POD_LABEL, PLUGIN_NAME, POOLER_METRICS_PORT, POSTGRES_PORT, STATUS_PORT,
};
use crate::model::database::Access;
use crate::model::{Deployment, Target};
use crate::render::kubernetes::{
    DataEntry, ImageView, Labels, MANAGED_BY_LABEL, RoleSecret, ScriptView, Skip, hashed_job_name,
    image, labels, skip,
};
use crate::render::{CommentStyle, RenderError, Templates, header};

/// The label every pod of a cluster carries (pkg/utils/labels_annotations.go `ClusterLabelName`).
const CLUSTER_LABEL: &str = "cnpg.io/cluster";
/// The label telling instance pods from pooler pods (`PodRoleLabelName`: `instance`, `pooler`).
const POD_ROLE_LABEL: &str = "cnpg.io/podRole";
/// The label of a Pooler's pods (`PgbouncerNameLabel`).
const POOLER_LABEL: &str = "cnpg.io/poolerName";
/// The label gen puts on the schema Job's pods.
const SCHEMA_LABEL: (&str, &str) = ("app.kubernetes.io/component", "schema");

/// What `templates/cnpg/*` read. THESE FIELDS ARE USED BY THE TEMPLATES.
#[derive(Debug, Serialize)]
struct CnpgView<'a> {
    env_source: &'a str,
    service_source: &'a str,
    namespace: &'a str,
    operator_namespace: &'a str,
    monitoring_namespace: &'a str,
    name: &'a str,
    names: &'a crate::model::cnpg::ClusterNames,
    namespace_labels: Labels,
    /// Labels of every object gen renders for the cluster.
    object_labels: Labels,
    /// Labels the operator copies onto the pods, Services, Secrets and claims it makes.
    inherited_labels: Labels,
    /// Whether the Barman Cloud sidecar signs in with AKS Workload Identity.
    workload_identity: bool,
    schema_labels: Labels,
    schema_selector: Labels,
    instance_selector: Labels,
    /// Every pod the operator makes for the cluster: instances, pooler and its Jobs.
    cluster_selector: Labels,
    pooler_selector: Labels,
    operator_selector: Labels,
    clients: Labels,
    postgres: ImageView,
    instances: u32,
    /// `switchover` with replicas, else `restart` (one instance has nothing to switch to).
    primary_update_method: &'static str,
    /// A PodDisruptionBudget only with replicas: one instance's budget would block drains.
    enable_pdb: bool,
    database: &'a str,
    owner: &'a str,
    encoding: &'a str,
    locale: &'a str,
    parameters: Vec<(String, String)>,
    synchronous: Option<SynchronousView>,
    storage_size: &'a str,
    storage_class: &'a str,
    wal_storage: Option<VolumeView<'a>>,
    requests_cpu: &'a str,
    requests_memory: &'a str,
    limits_cpu: Option<&'a str>,
    limits_memory: &'a str,
    topology_key: &'a str,
    anti_affinity: &'a str,
    node_selector: Labels,
    roles: Vec<ManagedRole<'a>>,
    tls_secret: Option<&'a str>,
    /// Names the operator's server certificate adds to its own: the pooler's (the operator's
    /// CA only; a cert-manager certificate must cover them itself).
    alt_dns_names: Vec<&'a str>,
    /// The Secret whose `ca.crt` verifies the server: the operator's CA or the design's.
    ca_secret: &'a str,
    backup: Option<BackupView<'a>>,
    pooler: Option<PoolerView<'a>>,
    plugin: &'static str,
    ports: Ports,
    sql: Vec<DataEntry>,
    job_name: String,
    job_script: String,
    job_secret_keys: Vec<SecretItem<'a>>,
    job_skips: Vec<Skip>,
}

#[derive(Debug, Serialize)]
struct SynchronousView {
    number: u32,
    data_durability: &'static str,
}

#[derive(Debug, Serialize)]
struct VolumeView<'a> {
    size: &'a str,
    storage_class: &'a str,
}

#[derive(Debug, Serialize)]
struct ManagedRole<'a> {
    name: &'a str,
    login: bool,
    connection_limit: i64,
    in_roles: Vec<&'static str>,
    password_secret: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct BackupView<'a> {
    schedule: &'a str,
    operator_schedule: &'a str,
    retention: &'a str,
    destination_path: &'a str,
    server_name: &'a str,
    workload_identity_client_id: Option<&'a str>,
    credentials_secret: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct PoolerView<'a> {
    name: &'a str,
    instances: u32,
    pool_mode: &'a str,
    parameters: Vec<(&'a str, &'a str)>,
}

#[derive(Debug, Serialize)]
struct Ports {
    postgres: u16,
    metrics: u16,
    status: u16,
    pooler_metrics: u16,
}

/// One item of the Job's projected volume: a key of a Secret, as a file.
#[derive(Debug, Serialize)]
struct SecretItem<'a> {
    secret: &'a str,
    key: &'static str,
    path: &'a str,
}

/// The parameters rendered into `postgresql.parameters`: the design's, as the strings the
/// operator wants, then the database's timezone, then `pg_stat_statements.track` when the
/// extension is wanted and the design sets none of its parameters (a `pg_stat_statements.*`
/// parameter is what makes the operator preload the library: docs/src/postgresql_conf.md,
/// "Managed extensions").
fn parameters(target: &Target, cluster: &Cluster) -> Vec<(String, String)> {
    let mut parameters: Vec<(String, String)> = cluster
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.to_text()))
        .collect();
    let db = &target.service.database;
    parameters.push(("timezone".to_owned(), db.timezone.clone()));
    let wants_statements = db.extensions.iter().any(|e| e == "pg_stat_statements");
    let sets_statements = parameters
        .iter()
        .any(|(k, _)| k.starts_with("pg_stat_statements."));
    if wants_statements && !sets_statements {
        parameters.push(("pg_stat_statements.track".to_owned(), "top".to_owned()));
    }
    parameters.sort();
    parameters
}

/// The owner role first (no login: the SQL target requires it), then the design's roles.
fn managed_roles<'a>(target: &'a Target) -> Vec<ManagedRole<'a>> {
    let db = &target.service.database;
    std::iter::once(ManagedRole {
        name: &db.owner_role,
        login: false,
        connection_limit: -1,
        in_roles: Vec::new(),
        password_secret: None,
    })
    .chain(db.roles.iter().map(|r| ManagedRole {
        name: &r.name,
        login: true,
        connection_limit: i64::from(r.connection_limit),
        in_roles: match r.access {
            Access::Monitor => vec!["pg_monitor"],
            _ => Vec::new(),
        },
        password_secret: Some(&r.password_secret),
    }))
    .collect()
}

fn backup_view(cluster: &Cluster) -> Option<BackupView<'_>> {
    let backup = cluster.backup.as_ref()?;
    Some(BackupView {
        schedule: &backup.schedule,
        operator_schedule: &backup.operator_schedule,
        retention: &backup.retention,
        destination_path: &backup.destination_path,
        server_name: &backup.server_name,
        workload_identity_client_id: backup.credentials.workload_identity_client_id(),
        credentials_secret: backup.credentials.secret(),
    })
}

fn job_skips(target: &Target, postgres: &ImageView) -> Vec<Skip> {
    if postgres.pinned {
        return Vec::new();
    }
    vec![skip(
        "CKV_K8S_43",
        format!(
            "The PostgreSQL image has no digest; set cnpg.image.digest in {} to drop this skip",
            target.env.source
        ),
    )]
}

fn view<'a>(
    target: &'a Target,
    cnpg: &'a Cnpg,
    cluster: &'a Cluster,
    scripts: &[(String, String)],
    templates: &Templates,
) -> Result<CnpgView<'a>, RenderError> {
    let db = &target.service.database;
    let name = cluster.name.as_str();
    let managed_by = (MANAGED_BY_LABEL.0.to_owned(), MANAGED_BY_LABEL.1.to_owned());
    let project: Vec<(String, String)> = target.project.labels.clone().into_iter().collect();
    let instance_selector = labels([(CLUSTER_LABEL, name), (POD_ROLE_LABEL, "instance")]);
    let schema_selector = labels([
        ("app.kubernetes.io/instance", name),
        SCHEMA_LABEL,
        ("app.kubernetes.io/name", "postgresql"),
    ]);
    let ca_secret = cluster
        .tls_secret
        .as_deref()
        .unwrap_or(&cluster.names.ca_secret);
    let roles: Vec<RoleSecret<'a>> = db
        .roles
        .iter()
        .map(|r| RoleSecret {
            key: &r.password_secret,
            secret: &r.password_secret,
            env: &r.password_env,
        })
        .collect();
    // The operand image's programs (its Dockerfile puts them on PATH too).
    let psql_bin = format!("/usr/lib/postgresql/{}/bin", cnpg.major);
    let job_script = templates.render(
        "kubernetes/schema-job.sh.j2",
        &ScriptView {
            credentials_secret: &cluster.names.superuser_secret,
            tls_secret: ca_secret,
            roles,
            bin_dir: &psql_bin,
        },
    )?;
    let postgres = image(&cnpg.image);
    // Not `managed-by`: the operator sets it to `cloudnative-pg` on what it makes, and an
    // inherited value would fight it on every reconciliation.
    let mut inherited: Vec<(String, String)> = Vec::new();
    let workload_identity = cluster
        .backup
        .as_ref()
        .is_some_and(|b| b.credentials.workload_identity_client_id().is_some());
    if workload_identity {
        inherited.push(("azure.workload.identity/use".into(), "true".into()));
    }
    inherited.extend(project.clone());
    Ok(CnpgView {
        env_source: &target.env.source,
        service_source: &target.service.source,
        namespace: &cnpg.namespace,
        operator_namespace: &cnpg.operator_namespace,
        monitoring_namespace: &cnpg.monitoring_namespace,
        name,
        names: &cluster.names,
        namespace_labels: labels(std::iter::once(managed_by.clone()).chain(project.clone())),
        object_labels: labels(
            [
                ("app.kubernetes.io/instance".to_owned(), name.to_owned()),
                managed_by.clone(),
            ]
            .into_iter()
            .chain(project.clone()),
        ),
        inherited_labels: labels(inherited),
        workload_identity,
        schema_labels: labels(
            schema_selector
                .iter()
                .cloned()
                .chain([managed_by])
                .chain(project),
        ),
        schema_selector,
        pooler_selector: cluster
            .pooler
            .as_ref()
            .map(|p| labels([(POOLER_LABEL, p.name.as_str())]))
            .unwrap_or_default(),
        instance_selector,
        cluster_selector: labels([(CLUSTER_LABEL, name)]),
        operator_selector: labels([OPERATOR_POD_LABEL]),
        clients: labels(
            cnpg.clients
                .clone()
                .into_iter()
                .chain([(cluster.names.client_label.clone(), "true".to_owned())]),
        ),
        job_skips: job_skips(target, &postgres),
        postgres,
        instances: cluster.instances,
        primary_update_method: if cluster.instances > 1 {
            "switchover"
        } else {
            "restart"
        },
        enable_pdb: cluster.instances > 1,
        database: &db.name,
        owner: &db.owner_role,
        encoding: &db.encoding,
        locale: db.locale.as_deref().unwrap_or("C"),
        parameters: parameters(target, cluster),
        synchronous: cluster
            .synchronous
            .map(|(number, data_durability)| SynchronousView {
                number,
                data_durability,
            }),
        storage_size: &cluster.storage.size,
        storage_class: &cluster.storage.storage_class,
        wal_storage: cluster.wal_storage.as_ref().map(|w| VolumeView {
            size: &w.size,
            storage_class: &w.storage_class,
        }),
        requests_cpu: &cluster.resources.requests.cpu,
        requests_memory: &cluster.resources.requests.memory,
        limits_cpu: cluster.resources.limits.cpu.as_deref(),
        limits_memory: &cluster.resources.limits.memory,
        topology_key: &cluster.affinity.topology_key,
        anti_affinity: cluster.affinity.anti_affinity,
        node_selector: labels(cluster.affinity.node_selector.clone()),
        roles: managed_roles(target),
        tls_secret: cluster.tls_secret.as_deref(),
        alt_dns_names: match (&cluster.tls_secret, &cluster.pooler) {
            (None, Some(pooler)) => pooler
                .certificate_names
                .iter()
                .map(String::as_str)
                .collect(),
            _ => Vec::new(),
        },
        ca_secret,
        backup: backup_view(cluster),
        pooler: cluster.pooler.as_ref().map(|p| PoolerView {
            name: &p.name,
            instances: p.instances,
            pool_mode: p.pool_mode,
            parameters: p
                .parameters
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        }),
        plugin: PLUGIN_NAME,
        ports: Ports {
            postgres: POSTGRES_PORT,
            metrics: METRICS_PORT,
            status: STATUS_PORT,
            pooler_metrics: POOLER_METRICS_PORT,
        },
        sql: scripts
            .iter()
            .map(|(key, text)| DataEntry {
                key: key.clone(),
                text: text.clone(),
            })
            .collect(),
        job_name: String::new(),
        job_script,
        job_secret_keys: std::iter::once(SecretItem {
            secret: &cluster.names.superuser_secret,
            key: "password",
            path: "postgres-password",
        })
        .chain(db.roles.iter().map(|r| SecretItem {
            secret: &r.password_secret,
            key: "password",
            path: &r.password_secret,
        }))
        .collect(),
    })
}

/// The templates in install order, each with its file name; `None` when the design does
/// not ask for the object.
fn files(cluster: &Cluster, cnpg: &Cnpg) -> Vec<(&'static str, String)> {
    let name = &cluster.name;
    let mut files = Vec::new();
    if cnpg.manage_namespace {
        files.push(("00-namespace", "00-namespace.yaml".to_owned()));
    }
    files.push(("10-networkpolicy", format!("10-networkpolicy-{name}.yaml")));
    files.push((
        "11-networkpolicy-schema",
        format!("11-networkpolicy-{name}-schema.yaml"),
    ));
    if cluster.pooler.is_some() {
        files.push((
            "12-networkpolicy-pooler",
            format!("12-networkpolicy-{name}-pooler.yaml"),
        ));
    }
    files.push((
        "20-serviceaccount-schema",
        format!("20-serviceaccount-{name}-schema.yaml"),
    ));
    files.push((
        "32-configmap-schema",
        format!("32-configmap-{name}-schema.yaml"),
    ));
    if cluster.backup.is_some() {
        files.push((
            "40-objectstore",
            format!("40-objectstore-{}.yaml", cluster.names.object_store),
        ));
    }
    files.push(("50-cluster", format!("50-cluster-{name}.yaml")));
    if cluster.backup.is_some() {
        files.push((
            "51-scheduledbackup",
            format!("51-scheduledbackup-{}.yaml", cluster.names.scheduled_backup),
        ));
    }
    if let Some(pooler) = &cluster.pooler {
        files.push(("52-pooler", format!("52-pooler-{}.yaml", pooler.name)));
    }
    files.push(("55-podmonitor", format!("55-podmonitor-{name}.yaml")));
    if let Some(pooler) = &cluster.pooler {
        files.push((
            "56-podmonitor-pooler",
            format!("56-podmonitor-{}.yaml", pooler.name),
        ));
    }
    // No hash in the file name: a new render replaces the file, not adds one.
    files.push(("60-job", format!("60-job-{name}-schema.yaml")));
    files
}

/// The Job's name ends in 8 hex digits of sha256 over its SQL and its own file rendered with
/// `00000000` there, as on aks: a changed script or Job makes a new Job.
fn name_job(view: &mut CnpgView<'_>, head: &str, templates: &Templates) -> Result<(), RenderError> {
    view.job_name = format!("{}00000000", view.names.job_prefix);
    let placeholder = format!("{head}{}", templates.render("cnpg/60-job.yaml.j2", view)?);
    view.job_name = hashed_job_name(&view.names.job_prefix, &view.sql, &placeholder);
    Ok(())
}

/// The manifests of a cnpg target, file name → text; nothing for other targets. `scripts`
/// are the target's rendered psql scripts (name → text), which a ConfigMap carries.
pub fn render(
    target: &Target,
    scripts: &[(String, String)],
    templates: &Templates,
) -> Result<Vec<(String, String)>, RenderError> {
    let (Deployment::Cnpg(cluster), Some(cnpg)) = (&target.deployment, &target.env.cnpg) else {
        return Ok(Vec::new());
    };
    let head = header(CommentStyle::Hash, &target.sources());
    let mut view = view(target, cnpg, cluster, scripts, templates)?;
    name_job(&mut view, &head, templates)?;
    let context = super::context(&view);
    files(cluster, cnpg)
        .into_iter()
        .map(|(template, file)| {
            let body = templates.render_context(&format!("cnpg/{template}.yaml.j2"), &context)?;
            Ok((file, format!("{head}{body}")))
        })
        .collect()
}
