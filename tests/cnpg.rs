//! The cnpg target, checked by the real tools and a real server:
//!
//! - every CloudNativePG and Barman Cloud object validates against the operator's published
//!   CRDs (`tests/kubernetes.rs` runs it on the example; here also on a variant with every
//!   other choice of the design), unknown fields refused, required fields required, and the
//!   CRDs' CEL rules that hold on create checked by hand ([`cel_problems`]);
//! - the SQL target, run by the schema Job's own script the way the Job runs it, converges on
//!   real PostgreSQL 15 and 16 (the image's major) over the state the operator leaves: the
//!   database and owner of `bootstrap.initdb` and the roles of `managed.roles`, in either order.

use crate::kubernetes::custom_resources_checked;
use crate::kubernetes_job::{JobRun, assert_app_role_logs_in, find};
use crate::support::{harness, postgres, sql, tools};

use serde_json::Value;

/// The CEL rules (`x-kubernetes-validations`) of each custom kind's schema, as published. A
/// new or changed rule fails `custom_resources_match_their_published_crds` until it is
/// listed here and [`cel_problems`] checks it.
pub(crate) fn known_cel_rules(kind: &str) -> &'static [&'static str] {
    match kind {
        "Cluster" => &[
            "!(has(self.imageCatalogRef) && has(self.imageName))",
            "!has(self.builtinLocale) || self.localeProvider == 'builtin'",
            "!has(self.icuLocale) || self.localeProvider == 'icu'",
            "!has(self.icuRules) || self.localeProvider == 'icu'",
            "self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
            "self.apiGroup == 'postgresql.cnpg.io'",
            "self.dataDurability!='preferred' || ((!has(self.standbyNamesPre) || self.standbyNamesPre.size()==0) && (!has(self.standbyNamesPost) || self.standbyNamesPost.size()==0))",
            "self > 0",
            "self == oldSelf",
        ],
        "Pooler" => &[
            "self == oldSelf",
            "!(has(self.image) && has(self.imageCatalogRef))",
            "self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
            "self.apiGroup == 'postgresql.cnpg.io'",
        ],
        "ScheduledBackup" => &["self == oldSelf"],
        "ObjectStore" => &[
            "!has(self.serverName)",
            "!self.exists(a, a.startsWith('--log-level'))",
        ],
        _ => &[],
    }
}

fn has(object: &Value, pointer: &str) -> bool {
    object.pointer(pointer).is_some_and(|v| !v.is_null())
}

/// What the API server's CEL rules refuse in a new object of `kind`. Rules comparing with
/// `oldSelf` hold on updates only (the plan's `replace` rows cover them).
pub(crate) fn cel_problems(kind: &str, object: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut refuse = |broken: bool, rule: &str| {
        if broken {
            problems.push(format!("CEL: {rule}"));
        }
    };
    match kind {
        "Cluster" => {
            refuse(
                has(object, "/spec/imageCatalogRef") && has(object, "/spec/imageName"),
                "imageCatalogRef and imageName together",
            );
            let initdb = object.pointer("/spec/bootstrap/initdb");
            let provider = initdb.and_then(|i| i["localeProvider"].as_str());
            if let Some(initdb) = initdb {
                refuse(
                    has(initdb, "/builtinLocale") && provider != Some("builtin"),
                    "builtinLocale without localeProvider builtin",
                );
                for field in ["/icuLocale", "/icuRules"] {
                    refuse(
                        has(initdb, field) && provider != Some("icu"),
                        "an ICU field without localeProvider icu",
                    );
                }
            }
            if let Some(catalog) = object.pointer("/spec/imageCatalogRef") {
                refuse(
                    !matches!(
                        catalog["kind"].as_str(),
                        Some("ImageCatalog" | "ClusterImageCatalog")
                    ),
                    "imageCatalogRef.kind",
                );
                refuse(
                    catalog["apiGroup"] != "postgresql.cnpg.io",
                    "imageCatalogRef.apiGroup",
                );
            }
            if let Some(sync) = object.pointer("/spec/postgresql/synchronous") {
                let empty = |key: &str| sync[key].as_array().is_none_or(|a| a.is_empty());
                refuse(
                    sync["dataDurability"] == "preferred"
                        && !(empty("standbyNamesPre") && empty("standbyNamesPost")),
                    "dataDurability preferred with standby names",
                );
                refuse(
                    sync["number"].as_i64().is_none_or(|n| n <= 0),
                    "synchronous.number > 0",
                );
            }
        }
        "Pooler" => {
            refuse(
                has(object, "/spec/pgbouncer/image")
                    && has(object, "/spec/pgbouncer/imageCatalogRef"),
                "pgbouncer image and imageCatalogRef together",
            );
        }
        "ObjectStore" => {
            refuse(
                has(object, "/spec/configuration/serverName"),
                "serverName in the ObjectStore (the Cluster's plugin parameter names it)",
            );
            let args = object
                .pointer("/spec/instanceSidecarConfiguration/additionalContainerArgs")
                .and_then(Value::as_array);
            refuse(
                args.is_some_and(|a| {
                    a.iter()
                        .any(|x| x.as_str().is_some_and(|t| t.starts_with("--log-level")))
                }),
                "--log-level among the sidecar's arguments",
            );
        }
        _ => {}
    }
    problems
}

/// The instances' PodMonitor selects the instance pods of the Cluster (not the pooler's),
/// by the port the operator names `metrics`; the pooler's selects its pods.
pub(crate) fn pod_monitors_select_the_instances_and_the_pooler(objects: &[Value], cluster: &Value) {
    let name = cluster["metadata"]["name"].as_str().unwrap();
    let namespace = &cluster["metadata"]["namespace"];
    let monitors: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "PodMonitor")
        .collect();
    let instances = monitors
        .iter()
        .find(|m| m["metadata"]["name"] == name)
        .expect("a PodMonitor named like the cluster");
    assert_eq!(
        instances["spec"]["selector"]["matchLabels"],
        serde_json::json!({"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"})
    );
    for monitor in &monitors {
        assert_eq!(
            monitor["spec"]["namespaceSelector"]["matchNames"],
            serde_json::json!([namespace])
        );
        assert_eq!(monitor["spec"]["podMetricsEndpoints"][0]["port"], "metrics");
    }
    if let Some(pooler) = objects.iter().find(|o| o["kind"] == "Pooler") {
        let pooler_name = &pooler["metadata"]["name"];
        let monitor = monitors
            .iter()
            .find(|m| m["metadata"]["name"] == *pooler_name)
            .expect("a PodMonitor named like the pooler");
        assert_eq!(
            monitor["spec"]["selector"]["matchLabels"],
            serde_json::json!({"cnpg.io/poolerName": pooler_name})
        );
    }
}

/// The staging cluster with every other choice: one instance (no synchronous replication,
/// no PodDisruptionBudget), the storage key from a Secret, cert-manager's certificate,
/// required zone anti-affinity on a node pool, no separate WAL volume, no pooler, a minimal
/// image pinned by digest.
const EVERY_OTHER_CHOICE: &[(&str, &str, &str)] = &[
    (
        "services/bill-inquiry.yaml",
        "      instances: 2 ",
        "      instances: 1 ",
    ),
    (
        "services/bill-inquiry.yaml",
        "      synchronous:\n        number: 1\n        dataDurability: preferred        # writes go on when the replica is down\n",
        "      tls:\n        serverSecret: bill-inquiry-db-server-tls\n      affinity:\n        topologyKey: topology.kubernetes.io/zone\n        required: true\n        nodeSelector:\n          agentpool: database\n",
    ),
    (
        "services/bill-inquiry.yaml",
        "      walStorage:\n        size: 5Gi\n",
        "",
    ),
    (
        "services/bill-inquiry.yaml",
        "      pooler:\n        instances: 2\n        poolMode: transaction\n        parameters:\n          max_client_conn: 500\n          default_pool_size: 20\n",
        "",
    ),
    (
        "environments/staging.yaml",
        "      workloadIdentityClientId: 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f\n",
        "      accountKeySecret: phonebill-staging-backup-key\n",
    ),
    (
        "environments/staging.yaml",
        "    tag: 16.15-standard-trixie\n",
        "    tag: 16.15-minimal-trixie\n    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
    ),
];

#[test]
fn every_other_choice_of_the_design_matches_the_crds() {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(work.path(), EVERY_OTHER_CHOICE);
    let out = tools::render_inputs(&inputs);
    let checked = custom_resources_checked(out.path());
    for kind in ["Cluster", "ObjectStore", "ScheduledBackup", "PodMonitor"] {
        assert!(checked.contains(kind), "{kind}");
    }
    let dir = out.path().join("staging/bill-inquiry/kubernetes");
    let cluster = find(&dir, "Cluster", "bill-inquiry-db");
    assert_eq!(cluster["spec"]["instances"], 1);
    assert_eq!(cluster["spec"]["enablePDB"], false);
    assert_eq!(cluster["spec"]["primaryUpdateMethod"], "restart");
    assert!(cluster["spec"]["postgresql"].get("synchronous").is_none());
    assert_eq!(
        cluster["spec"]["certificates"]["serverTLSSecret"],
        "bill-inquiry-db-server-tls"
    );
    let store = find(&dir, "ObjectStore", "bill-inquiry-db-backup");
    assert_eq!(
        store["spec"]["configuration"]["azureCredentials"]["storageKey"]["name"],
        "phonebill-staging-backup-key"
    );
    // The Job verifies the server with cert-manager's CA, not the operator's.
    let job = find(&dir, "Job", "-schema-");
    let volumes = job["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    let ca = volumes.iter().find(|v| v["name"] == "tls-ca").unwrap();
    assert_eq!(ca["secret"]["secretName"], "bill-inquiry-db-server-tls");
}

#[test]
fn the_crds_refuse_what_the_api_server_refuses() {
    use crate::kubernetes_backup::{crd_in, structural};
    let out = tools::render_example();
    let dir = out.path().join("staging/bill-inquiry/kubernetes");
    let crd = crd_in("cloudnative-pg-1.30.0", "postgresql.cnpg.io_clusters.yaml");
    let validator = jsonschema::validator_for(&structural(&crd, "v1")).unwrap();
    let mut cluster = find(&dir, "Cluster", "bill-inquiry-db");
    assert!(validator.is_valid(&cluster));
    cluster["spec"]["storage"]["sizee"] = "1Gi".into();
    assert!(!validator.is_valid(&cluster), "an unknown field passed");
    let crd = crd_in(
        "cloudnative-pg-1.30.0",
        "postgresql.cnpg.io_scheduledbackups.yaml",
    );
    let validator = jsonschema::validator_for(&structural(&crd, "v1")).unwrap();
    let mut backup = find(&dir, "ScheduledBackup", "bill-inquiry-db-daily");
    assert!(validator.is_valid(&backup));
    backup["spec"].as_object_mut().unwrap().remove("cluster");
    assert!(
        !validator.is_valid(&backup),
        "a missing required field passed"
    );
    let mut cluster = find(&dir, "Cluster", "bill-inquiry-db");
    cluster["spec"]["postgresql"]["synchronous"]["number"] = 0.into();
    assert_eq!(cel_problems("Cluster", &cluster).len(), 1);
    let mut store = find(&dir, "ObjectStore", "bill-inquiry-db-backup");
    store["spec"]["configuration"]["serverName"] = "x".into();
    assert_eq!(cel_problems("ObjectStore", &store).len(), 1);
}

/// What the operator does to a new cluster before the Job can connect, read from the rendered
/// Cluster: `bootstrap.initdb` creates the owner (a login role: initdb.go
/// `ConfigureNewInstance`) and the database; `managed.roles` then sets each role's attributes,
/// memberships and password (from its Secret: here the Job's own files).
struct Operator {
    initdb: Vec<String>,
    managed_roles: Vec<String>,
}

impl Operator {
    fn of(cluster: &Value, job: &JobRun) -> Operator {
        let initdb = &cluster["spec"]["bootstrap"]["initdb"];
        let (database, owner) = (
            initdb["database"].as_str().unwrap(),
            initdb["owner"].as_str().unwrap(),
        );
        let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
        let collate = initdb["localeCollate"].as_str().unwrap();
        let init = vec![
            format!("CREATE ROLE {} LOGIN", quoted(owner)),
            format!(
                "CREATE DATABASE {} OWNER {} ENCODING {} LC_COLLATE {} LC_CTYPE {} TEMPLATE template0",
                quoted(database),
                quoted(owner),
                literal(initdb["encoding"].as_str().unwrap()),
                literal(collate),
                literal(initdb["localeCType"].as_str().unwrap()),
            ),
        ];
        let mut managed = Vec::new();
        for role in cluster["spec"]["managed"]["roles"].as_array().unwrap() {
            let name = role["name"].as_str().unwrap();
            let login = if role["login"] == true {
                "LOGIN"
            } else {
                "NOLOGIN"
            };
            let limit = role["connectionLimit"].as_i64().unwrap();
            let password = match role["passwordSecret"]["name"].as_str() {
                Some("bill-inquiry-app-password") => Some(&job.app_password),
                Some("bill-inquiry-monitor-password") => Some(&job.monitor_password),
                Some(other) => panic!("no test password for Secret {other}"),
                None => None,
            };
            let password = password.map_or(String::new(), |p| format!(" PASSWORD {}", literal(p)));
            managed.push(format!(
                "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {0}) THEN CREATE ROLE {1}; END IF; END$$",
                literal(name),
                quoted(name)
            ));
            managed.push(format!(
                "ALTER ROLE {} {login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT {limit}{password}",
                quoted(name)
            ));
            for group in role["inRoles"].as_array().into_iter().flatten() {
                managed.push(format!(
                    "GRANT {} TO {}",
                    group.as_str().unwrap(),
                    quoted(name)
                ));
            }
        }
        Operator {
            initdb: init,
            managed_roles: managed,
        }
    }

    fn run(server: &postgres::TestServer, statements: &[String]) {
        for statement in statements {
            server.admin_query(statement);
        }
    }
}

/// The staging Job, against `server` after the operator's bootstrap; the roles are managed
/// before the Job runs, or after its first try (which then stops on the owner that can still
/// log in, as the Job's retries see it).
fn job_converges_over_the_operators_state(major: u32, roles_first: bool) {
    let server = postgres::TestServer::start_major(major);
    let job = JobRun::of(&server, "staging/bill-inquiry");
    let out = tools::render_example();
    let cluster = find(
        &out.path().join("staging/bill-inquiry/kubernetes"),
        "Cluster",
        "bill-inquiry-db",
    );
    let operator = Operator::of(&cluster, &job);
    Operator::run(&server, &operator.initdb);
    if roles_first {
        Operator::run(&server, &operator.managed_roles);
    } else {
        let log = job
            .run()
            .expect_err("the Job ran over an owner that can log in");
        assert!(log.contains("must not log in"), "{log}");
        Operator::run(&server, &operator.managed_roles);
    }
    for run in 0..2 {
        let log = job
            .run()
            .unwrap_or_else(|log| panic!("PostgreSQL {major}, run {run}: the Job failed:\n{log}"));
        assert!(log.contains("schema applied"), "{log}");
        if run == 1 {
            assert!(
                !log.contains("applying migration"),
                "the second run changes nothing: {log}"
            );
        }
    }
    // The operator's next reconciliation finds nothing to change: the Job left the managed
    // roles as the Cluster lists them, and the owner without login.
    let attributes = |role: &str| {
        server.admin_query(&format!(
            "SELECT rolcanlogin, rolconnlimit, rolsuper, rolinherit FROM pg_roles WHERE rolname = '{role}'"
        ))
    };
    assert_eq!(attributes("bill_inquiry_db_owner").trim(), "f|-1|f|t");
    assert_eq!(attributes("bill_inquiry_app").trim(), "t|80|f|t");
    assert_eq!(attributes("bill_inquiry_monitor").trim(), "t|5|f|t");
    let member =
        server.admin_query("SELECT pg_has_role('bill_inquiry_monitor', 'pg_monitor', 'MEMBER')");
    assert_eq!(member.trim(), "t");
    assert_eq!(
        sql::query_in(
            &server,
            "bill_inquiry_db",
            "SELECT count(*) FROM system_config"
        )
        .trim(),
        "3"
    );
    assert_app_role_logs_in(&server, &job);
}

#[test]
fn the_schema_job_converges_over_the_operators_roles_on_postgresql_15() {
    job_converges_over_the_operators_state(15, true);
}

#[test]
fn the_schema_job_converges_on_the_images_major_when_it_runs_before_the_roles() {
    job_converges_over_the_operators_state(16, false);
}

/// Whether a NetworkPolicy peer's `podSelector` selects a pod with `labels` (matchLabels only,
/// which is all gen writes).
fn selects(peer: &Value, labels: &[(&str, &str)]) -> bool {
    let Some(wanted) = peer["podSelector"]["matchLabels"].as_object() else {
        return false;
    };
    peer.get("namespaceSelector").is_none()
        && wanted
            .iter()
            .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && v == lv))
}

/// The pods the operator makes besides the instances must reach the primary: a new replica's
/// join Job (pg_basebackup) carries `cnpg.io/cluster`, `cnpg.io/instanceName` and
/// `cnpg.io/jobRole`, not `cnpg.io/podRole` (CloudNativePG v1.30.0 pkg/specs/jobs.go).
#[test]
fn the_instances_admit_the_join_job_and_their_pooler() {
    let out = tools::render_example();
    let dir = out.path().join("staging/bill-inquiry/kubernetes");
    let policy = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| crate::kubernetes_job::parse(&e.unwrap().path()))
        .find(|o| o["kind"] == "NetworkPolicy" && o["metadata"]["name"] == "bill-inquiry-db")
        .expect("the instances' NetworkPolicy");
    let peers_on_5432: Vec<&Value> = policy["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| {
            rule["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["port"] == 5432)
        })
        .flat_map(|rule| rule["from"].as_array().unwrap().iter())
        .collect();
    let join = [
        ("cnpg.io/cluster", "bill-inquiry-db"),
        ("cnpg.io/instanceName", "bill-inquiry-db-2"),
        ("cnpg.io/jobRole", "join"),
    ];
    assert!(
        peers_on_5432.iter().any(|p| selects(p, &join)),
        "{peers_on_5432:#?}"
    );
    let pooler = [
        ("cnpg.io/cluster", "bill-inquiry-db"),
        ("cnpg.io/poolerName", "bill-inquiry-db-pooler"),
        ("cnpg.io/podRole", "pooler"),
    ];
    assert!(peers_on_5432.iter().any(|p| selects(p, &pooler)));
    // Another cluster's join Job is no peer.
    let stranger = [("cnpg.io/cluster", "other-db"), ("cnpg.io/jobRole", "join")];
    assert!(!peers_on_5432.iter().any(|p| selects(p, &stranger)));
}

/// What the operator would fight or a client would miss: `managed-by` is never inherited;
/// the pooler refuses clients without TLS and the operator's certificate names it.
#[test]
fn the_cluster_leaves_the_operators_labels_alone_and_covers_its_pooler() {
    let out = tools::render_example();
    let dir = out.path().join("staging/bill-inquiry/kubernetes");
    let cluster = find(&dir, "Cluster", "bill-inquiry-db");
    let inherited = cluster["spec"]["inheritedMetadata"]["labels"]
        .as_object()
        .unwrap();
    assert!(
        !inherited.contains_key("app.kubernetes.io/managed-by"),
        "{inherited:?}"
    );
    let names = cluster["spec"]["certificates"]["serverAltDNSNames"]
        .as_array()
        .unwrap();
    assert!(names.contains(&Value::from(
        "bill-inquiry-db-pooler.phonebill-staging.svc.cluster.local"
    )));
    let pooler = find(&dir, "Pooler", "bill-inquiry-db-pooler");
    assert_eq!(
        pooler["spec"]["pgbouncer"]["parameters"]["client_tls_sslmode"],
        "require"
    );
    let store = find(&dir, "ObjectStore", "bill-inquiry-db-backup");
    assert_eq!(
        store["spec"]["configuration"]["azureCredentials"]["useDefaultAzureCredentials"],
        true
    );
    assert_eq!(
        cluster["spec"]["plugins"][0]["parameters"]["serverName"], "bill-inquiry-db-pg16",
        "the archive folder names the major"
    );
}
