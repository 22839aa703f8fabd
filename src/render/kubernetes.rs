//! The AKS target: `kubernetes/NN-<kind>-<name>.yaml`, one object per file, named so
//! that `kubectl apply -f kubernetes/` creates them in install order. A hardened Bitnami
//! PostgreSQL StatefulSet with an exporter sidecar and a certificate reloader, and a Job
//! that applies the SQL target's scripts, byte for byte, from a ConfigMap.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{
    AKS_STORAGE_CLASSES, Aks, COMPONENT_LABEL, DATABASE_COMPONENT, Deployment, ExporterLogin,
    INSTANCE_LABEL, Image, Model, ObjectNames, SCHEMA_COMPONENT, StatefulSet, Target, Toleration,
};
use crate::render::{CommentStyle, RenderError, Templates, header};

pub mod backup;

/// Where the TLS Secret is mounted in the database container.
const CERTS_DIR: &str = "/opt/bitnami/postgresql/certs";

/// A label set or selector, sorted by key.
pub(super) type Labels = Vec<(String, String)>;

/// The label every pod of gen's PostgreSQL carries, database and Job alike.
const NAME_LABEL: (&str, &str) = ("app.kubernetes.io/name", "postgresql");

/// The label of every object gen renders.
pub(super) const MANAGED_BY_LABEL: (&str, &str) = ("app.kubernetes.io/managed-by", "gen");

/// What the Kubernetes templates read. THESE FIELDS ARE USED BY `templates/kubernetes/*`.
#[derive(Debug, Serialize)]
struct KubernetesView<'a> {
    env: &'a str,
    env_source: &'a str,
    service_source: &'a str,
    namespace: &'a str,
    name: &'a str,
    names: &'a ObjectNames,
    namespace_labels: Labels,
    database_labels: Labels,
    database_selector: Labels,
    /// Labels of the volume claim template, which is immutable: the selector and
    /// `managed-by` only, never the image tag or a project label (see
    /// [`STATEFUL_SET_IMMUTABLE_FIELDS`](crate::model::STATEFUL_SET_IMMUTABLE_FIELDS)).
    claim_labels: Labels,
    schema_labels: Labels,
    schema_selector: Labels,
    clients: Labels,
    monitoring_namespace: &'a str,
    postgres: ImageView,
    exporter: ImageView,
    exporter_login: &'a ExporterLogin,
    /// Whether a PodMonitor, rather than pod annotations, makes managed Prometheus scrape.
    pod_monitor: bool,
    requests: QuantitiesView<'a>,
    limits: LimitsView<'a>,
    storage_size: &'a str,
    storage_class: &'a str,
    credentials_secret: &'a str,
    tls_secret: &'a str,
    /// Keys of the credentials Secret the Job reads: `postgres-password`, then each role's.
    job_secret_keys: Vec<&'a str>,
    config: Vec<DataEntry>,
    config_checksum: String,
    hba: Vec<DataEntry>,
    hba_checksum: String,
    /// The scripts of the StatefulSet's containers (`tls-reload.sh`).
    pod_scripts: Vec<DataEntry>,
    pod_scripts_checksum: String,
    sql: Vec<DataEntry>,
    job_name: String,
    job_script: String,
    stateful_set_skips: Vec<Skip>,
    job_skips: Vec<Skip>,
    /// `maxUnavailable` of the PodDisruptionBudget.
    max_unavailable: u32,
    priority_class_name: Option<&'a str>,
    node_selector: Labels,
    tolerations: &'a [Toleration],
    /// The database pods of every target gen renders in the namespace, which the pod's soft
    /// anti-affinity keeps off its node.
    database_pods: Labels,
}

#[derive(Debug, Serialize)]
pub(super) struct ImageView {
    reference: String,
    /// `IfNotPresent` for a digest, else `Always` so a moved tag is noticed (checkov CKV_K8S_15).
    pull_policy: &'static str,
    pub(super) pinned: bool,
}

#[derive(Debug, Serialize)]
struct QuantitiesView<'a> {
    cpu: &'a str,
    memory: &'a str,
}

#[derive(Debug, Serialize)]
struct LimitsView<'a> {
    /// None: no CPU limit, so no CFS throttling.
    cpu: Option<&'a str>,
    memory: &'a str,
}

/// One key of a ConfigMap's data.
#[derive(Debug, Serialize)]
pub(super) struct DataEntry {
    pub(super) key: String,
    pub(super) text: String,
}

/// A checkov check skipped on one object, with the reason shown to the reader.
#[derive(Debug, Serialize)]
pub(super) struct Skip {
    id: &'static str,
    reason: String,
}

/// What the postgresql.conf override template reads.
#[derive(Debug, Serialize)]
struct ConfView<'a> {
    service_source: &'a str,
    env: &'a str,
    parameters: Vec<(&'a str, serde_json::Value)>,
    preload: Vec<&'a str>,
    timezone: &'a str,
    tls_secret: &'a str,
    certs_dir: &'static str,
}

/// What the shell scripts read: the schema Job's, and `tls-reload.sh` (no roles).
#[derive(Debug, Serialize)]
pub(super) struct ScriptView<'a> {
    pub(super) credentials_secret: &'a str,
    pub(super) tls_secret: &'a str,
    pub(super) roles: Vec<RoleSecret<'a>>,
    /// Where the image keeps psql and pg_isready.
    pub(super) bin_dir: &'a str,
}

/// Where the Bitnami image keeps the PostgreSQL programs.
const BITNAMI_BIN: &str = "/opt/bitnami/postgresql/bin";

/// Where the schema Job finds a role's password: a file under `/secrets`, from a key of a
/// Secret.
#[derive(Debug, Serialize)]
pub(super) struct RoleSecret<'a> {
    /// The file under `/secrets`.
    pub(super) key: &'a str,
    /// The Secret it comes from (for messages).
    pub(super) secret: &'a str,
    /// The shell variable holding it.
    pub(super) env: &'a str,
}

pub(super) fn image(image: &Image) -> ImageView {
    ImageView {
        reference: image.reference.clone(),
        pull_policy: if image.pinned() {
            "IfNotPresent"
        } else {
            "Always"
        },
        pinned: image.pinned(),
    }
}

pub(super) fn labels(
    pairs: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
) -> Labels {
    let mut labels: Labels = pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    // A stable sort by key: of two labels with one key the first given wins (gen's own come
    // before the project's, so a project label cannot change a selector).
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    labels.dedup_by(|later, first| later.0 == first.0);
    labels
}

/// `name`, `instance` and `component`: what selects the pods of one component.
fn selector(instance: &str, component: &str) -> Labels {
    labels([
        NAME_LABEL,
        (INSTANCE_LABEL, instance),
        (COMPONENT_LABEL, component),
    ])
}

/// The database pods of every StatefulSet gen renders, whatever their instance: a pod's
/// soft anti-affinity against them spreads an environment's databases over its nodes, as the
/// Bitnami chart's `podAntiAffinityPreset: soft` spreads one release's pods.
fn database_pods() -> Labels {
    labels([
        NAME_LABEL,
        (COMPONENT_LABEL, DATABASE_COMPONENT),
        MANAGED_BY_LABEL,
    ])
}

/// The selector plus the project's labels, `managed-by` and, when given, `version`.
fn object_labels(target: &Target, selector: &Labels, version: Option<&str>) -> Labels {
    let mut all = selector.clone();
    all.push((MANAGED_BY_LABEL.0.into(), MANAGED_BY_LABEL.1.into()));
    all.extend(version.map(|v| ("app.kubernetes.io/version".into(), v.into())));
    // Our own labels come first, so a project label cannot change what selects our pods.
    all.extend(target.project.labels.clone());
    labels(all)
}

/// sha256 over a ConfigMap's data, keys sorted, each entry `key NUL value NUL`.
pub(super) fn data_digest(entries: &[DataEntry]) -> Sha256 {
    let mut sorted: Vec<&DataEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut hasher = Sha256::new();
    for entry in sorted {
        hasher.update(entry.key.as_bytes());
        hasher.update([0]);
        hasher.update(entry.text.as_bytes());
        hasher.update([0]);
    }
    hasher
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn render_conf(
    target: &Target,
    set: &StatefulSet,
    templates: &Templates,
) -> Result<String, RenderError> {
    let db = &target.service.database;
    let view = ConfView {
        service_source: &target.service.source,
        env: &target.env.name,
        parameters: set
            .parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_json()))
            .collect(),
        preload: db
            .extensions
            .iter()
            .map(String::as_str)
            .filter(|e| *e == "pg_stat_statements")
            .collect(),
        timezone: &db.timezone,
        tls_secret: &set.tls_secret,
        certs_dir: CERTS_DIR,
    };
    templates.render("kubernetes/override.conf.j2", &view)
}

fn render_script(
    target: &Target,
    set: &StatefulSet,
    templates: &Templates,
) -> Result<String, RenderError> {
    let view = ScriptView {
        credentials_secret: &set.credentials_secret,
        tls_secret: &set.tls_secret,
        bin_dir: BITNAMI_BIN,
        roles: target
            .service
            .database
            .roles
            .iter()
            .map(|r| RoleSecret {
                key: &r.password_secret,
                secret: &set.credentials_secret,
                env: &r.password_env,
            })
            .collect(),
    };
    templates.render("kubernetes/schema-job.sh.j2", &view)
}

/// The script of the `tls-reload` container, which reloads the server when the
/// certificate files change.
fn render_tls_reload(set: &StatefulSet, templates: &Templates) -> Result<DataEntry, RenderError> {
    let view = ScriptView {
        credentials_secret: &set.credentials_secret,
        tls_secret: &set.tls_secret,
        bin_dir: BITNAMI_BIN,
        roles: Vec::new(),
    };
    Ok(DataEntry {
        key: "tls-reload.sh".into(),
        text: templates.render("kubernetes/tls-reload.sh.j2", &view)?,
    })
}

/// checkov's annotation syntax is `ID=reason`: a `=` in the reason would cut it.
pub(super) fn skip(id: &'static str, reason: String) -> Skip {
    Skip {
        id,
        reason: reason.replace('=', " "),
    }
}

fn skips(
    view_env_source: &str,
    postgres: &ImageView,
    exporter: &ImageView,
    cpu_limited: bool,
) -> (Vec<Skip>, Vec<Skip>) {
    let mut stateful_set = vec![skip(
        "CKV_K8S_40",
        "The Bitnami image runs as UID 1001 (its Dockerfile USER); a UID of 10000 or more is untested with it".into(),
    )];
    if !cpu_limited {
        stateful_set.push(skip(
            "CKV_K8S_11",
            "No CPU limit on the postgresql container by design: a limit throttles PostgreSQL (CFS quota) even on an idle node; it requests its CPU and may burst beyond it. Set resources.limits.cpu to add one".into(),
        ));
    }
    let mut job = Vec::new();
    if !(postgres.pinned && exporter.pinned) {
        stateful_set.push(skip(
            "CKV_K8S_43",
            format!("An image has no digest; set aks.image.digest and aks.exporterImage.digest in {view_env_source} to drop this skip"),
        ));
    }
    if !postgres.pinned {
        job.push(skip(
            "CKV_K8S_43",
            format!("The PostgreSQL image has no digest; set aks.image.digest in {view_env_source} to drop this skip"),
        ));
    }
    (stateful_set, job)
}

fn view<'a>(
    target: &'a Target,
    aks: &'a Aks,
    set: &'a StatefulSet,
    scripts: &[(String, String)],
    templates: &Templates,
) -> Result<KubernetesView<'a>, RenderError> {
    let db = &target.service.database;
    let database_selector = selector(&set.name, DATABASE_COMPONENT);
    let schema_selector = selector(&set.name, SCHEMA_COMPONENT);
    let tag = aks.image.tag.as_str();
    let config = vec![DataEntry {
        key: "override.conf".into(),
        text: render_conf(target, set, templates)?,
    }];
    let hba = vec![DataEntry {
        key: "pg_hba.conf".into(),
        text: templates.render("kubernetes/pg_hba.conf.j2", &())?,
    }];
    let sql = scripts
        .iter()
        .map(|(key, text)| DataEntry {
            key: key.clone(),
            text: text.clone(),
        })
        .collect();
    let postgres = image(&aks.image);
    let exporter = image(&aks.exporter_image);
    let (stateful_set_skips, job_skips) = skips(
        &target.env.source,
        &postgres,
        &exporter,
        set.resources.limits.cpu.is_some(),
    );
    let pod_scripts = vec![render_tls_reload(set, templates)?];
    Ok(KubernetesView {
        env: &target.env.name,
        env_source: &target.env.source,
        service_source: &target.service.source,
        namespace: &aks.namespace,
        name: &set.name,
        names: &set.names,
        namespace_labels: labels(
            [(MANAGED_BY_LABEL.0.to_owned(), MANAGED_BY_LABEL.1.to_owned())]
                .into_iter()
                .chain(target.project.labels.clone()),
        ),
        database_labels: object_labels(
            target,
            &database_selector,
            crate::names::is_label_value(tag).then_some(tag),
        ),
        schema_labels: object_labels(target, &schema_selector, None),
        claim_labels: labels(
            database_selector
                .iter()
                .cloned()
                .chain([(MANAGED_BY_LABEL.0.into(), MANAGED_BY_LABEL.1.into())]),
        ),
        database_selector,
        schema_selector,
        clients: labels(
            aks.clients
                .clone()
                .into_iter()
                .chain([(set.names.client_label.clone(), "true".to_owned())]),
        ),
        monitoring_namespace: &aks.monitoring_namespace,
        postgres,
        exporter,
        exporter_login: &set.exporter,
        pod_monitor: aks.pod_monitor(),
        requests: QuantitiesView {
            cpu: &set.resources.requests.cpu,
            memory: &set.resources.requests.memory,
        },
        limits: LimitsView {
            cpu: set.resources.limits.cpu.as_deref(),
            memory: &set.resources.limits.memory,
        },
        storage_size: &set.storage_size,
        storage_class: &aks.storage_class,
        credentials_secret: &set.credentials_secret,
        tls_secret: &set.tls_secret,
        job_secret_keys: std::iter::once("postgres-password")
            .chain(db.roles.iter().map(|r| r.password_secret.as_str()))
            .collect(),
        config_checksum: hex(&data_digest(&config).finalize()),
        hba_checksum: hex(&data_digest(&hba).finalize()),
        config,
        hba,
        pod_scripts_checksum: hex(&data_digest(&pod_scripts).finalize()),
        pod_scripts,
        sql,
        job_name: String::new(),
        job_script: render_script(target, set, templates)?,
        stateful_set_skips,
        job_skips,
        max_unavailable: set.max_unavailable,
        priority_class_name: set.priority_class_name.as_deref(),
        node_selector: labels(set.node_selector.clone()),
        tolerations: &set.tolerations,
        database_pods: database_pods(),
    })
}

/// The templates in install order, each with the file name of its object.
fn files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("00-namespace", "00-namespace.yaml".to_owned()),
        ("10-networkpolicy", format!("10-networkpolicy-{name}.yaml")),
        (
            "11-networkpolicy-schema",
            format!("11-networkpolicy-{name}-schema.yaml"),
        ),
        (
            "20-serviceaccount",
            format!("20-serviceaccount-{name}.yaml"),
        ),
        (
            "30-configmap-config",
            format!("30-configmap-{name}-config.yaml"),
        ),
        ("31-configmap-hba", format!("31-configmap-{name}-hba.yaml")),
        (
            "32-configmap-schema",
            format!("32-configmap-{name}-schema.yaml"),
        ),
        (
            "34-configmap-scripts",
            format!("34-configmap-{name}-scripts.yaml"),
        ),
        ("40-service-headless", format!("40-service-{name}-hl.yaml")),
        ("41-service", format!("41-service-{name}.yaml")),
        ("50-statefulset", format!("50-statefulset-{name}.yaml")),
        (
            "51-poddisruptionbudget",
            format!("51-poddisruptionbudget-{name}.yaml"),
        ),
        ("55-podmonitor", format!("55-podmonitor-{name}.yaml")),
        // No hash in the file name: a new render replaces the file, not adds one.
        ("60-job", format!("60-job-{name}-schema.yaml")),
    ]
}

/// The Job's name ends in 8 hex digits of sha256 over its SQL and its own file rendered
/// with `00000000` there: a changed script or Job makes a new Job, because a Job's pod
/// template cannot be updated.
fn name_job(
    view: &mut KubernetesView<'_>,
    head: &str,
    templates: &Templates,
) -> Result<(), RenderError> {
    view.job_name = format!("{}00000000", view.names.job_prefix);
    let placeholder = format!(
        "{head}{}",
        templates.render("kubernetes/60-job.yaml.j2", view)?
    );
    view.job_name = hashed_job_name(&view.names.job_prefix, &view.sql, &placeholder);
    Ok(())
}

/// `prefix` and 8 hex digits of sha256 over the Job's scripts and its file as rendered with
/// the name `<prefix>00000000` (shared by the aks and cnpg Jobs).
pub(super) fn hashed_job_name(prefix: &str, sql: &[DataEntry], placeholder: &str) -> String {
    let mut hasher = data_digest(sql);
    hasher.update(placeholder.as_bytes());
    format!("{prefix}{}", &hex(&hasher.finalize())[..8])
}

/// The manifests of an aks target, file name → text; nothing for other targets. `scripts`
/// are the target's rendered psql scripts (name → text), which a ConfigMap carries.
pub fn render(
    target: &Target,
    scripts: &[(String, String)],
    templates: &Templates,
) -> Result<Vec<(String, String)>, RenderError> {
    let (Deployment::Aks(set), Some(aks)) = (&target.deployment, &target.env.aks) else {
        return Ok(Vec::new());
    };
    let head = header(CommentStyle::Hash, &target.sources());
    let mut view = view(target, aks, set, scripts, templates)?;
    name_job(&mut view, &head, templates)?;
    let context = super::context(&view);
    let mut rendered = files(set.name.as_str())
        .into_iter()
        .filter(|(template, _)| match *template {
            "00-namespace" => aks.manage_namespace,
            "55-podmonitor" => aks.pod_monitor(),
            _ => true,
        })
        .map(|(template, file)| {
            let body =
                templates.render_context(&format!("kubernetes/{template}.yaml.j2"), &context)?;
            Ok((file, format!("{head}{body}")))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    rendered.extend(backup::render(target, aks, set, &head, templates)?);
    Ok(rendered)
}

/// What `gen render` notes about the aks targets: a storage class that is not one of those
/// AKS has built in ([`AKS_STORAGE_CLASSES`]). It is accepted (a cluster may define its own),
/// but a claim of a class the cluster lacks stays `Pending`.
pub fn notes(model: &Model) -> Vec<String> {
    model
        .targets
        .iter()
        .filter_map(|target| {
            let aks = target.env.aks.as_ref()?;
            let Deployment::Aks(_) = &target.deployment else {
                return None;
            };
            (!AKS_STORAGE_CLASSES.contains(&aks.storage_class.as_str())).then(|| {
                format!(
                    "{}: storage class `{}` is not built into AKS ({}): the data volume claim stays Pending unless the cluster defines it",
                    target.dir(),
                    aks.storage_class,
                    AKS_STORAGE_CLASSES.join(", ")
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_two_labels_with_one_key_the_first_given_wins() {
        let merged = labels([
            ("app.kubernetes.io/instance", "db"),
            ("app.kubernetes.io/instance", "a"),
        ]);
        assert_eq!(
            merged,
            [("app.kubernetes.io/instance".to_owned(), "db".to_owned())]
        );
    }

    #[test]
    fn data_digests_follow_the_reference_encoding() {
        // tools/rehash.py in the prototype: sha256(b"k\0v\0").
        let entries = [DataEntry {
            key: "k".into(),
            text: "v".into(),
        }];
        assert_eq!(
            hex(&data_digest(&entries).finalize()),
            hex(&Sha256::digest(b"k\0v\0"))
        );
    }

    #[test]
    fn images_with_a_digest_are_pulled_once() {
        let image = |digest: Option<&str>| {
            super::image(&Image {
                repository: "r".into(),
                tag: "1".into(),
                digest: digest.map(str::to_owned),
                reference: "r:1".into(),
            })
        };
        assert_eq!(image(None).pull_policy, "Always");
        assert_eq!(image(Some("sha256:00")).pull_policy, "IfNotPresent");
    }
}
