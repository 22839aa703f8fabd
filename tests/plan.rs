//! The plan, one test per rule the issue names: render the example, change one field of
//! the design, and read the plan `gen render --check` prints (JSON and human) for what
//! applying the new render does on the platform.

use crate::support::harness;

use std::path::Path;

use harness::{copy_dir, run_gen_in};
use serde_json::Value;

/// A rendered copy of the example with `edit` applied to one input file afterwards.
fn edited(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"),
        &dir.path().join("inputs"),
    );
    assert_eq!(run_gen_in(dir.path(), &["render"]).code, 0);
    let path = dir.path().join("inputs").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    dir
}

/// The plan items of `gen render --check --format json` (the lines with an `effect`).
fn plan(dir: &Path) -> Vec<Value> {
    let run = run_gen_in(dir, &["render", "--check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|entry| entry.get("effect").is_some())
        .collect()
}

/// The one item of `object` and `field`, with the keys the contract names and no other.
fn item<'p>(plan: &'p [Value], object: &str, field: &str) -> &'p Value {
    item_in(plan, None, object, field)
}

/// [`item`] of one target, where a service change reaches several.
fn item_in<'p>(plan: &'p [Value], target: Option<&str>, object: &str, field: &str) -> &'p Value {
    let found: Vec<&Value> = plan
        .iter()
        .filter(|i| i["object"] == object && i["field"] == field)
        .filter(|i| target.is_none_or(|t| i["target"] == t))
        .collect();
    assert_eq!(found.len(), 1, "{object} {field} in {plan:#?}");
    let keys: Vec<&String> = found[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "action", "effect", "field", "file", "from", "object", "target", "to"
        ]
    );
    found[0]
}

/// The human plan of `gen render --check`, which must show `line` (the item's first line
/// up to its file) under its target.
fn assert_human(dir: &Path, target: &str, line: &str) {
    let run = run_gen_in(dir, &["render", "--check"]);
    let plan = run.stdout.split("\n\n").next().unwrap_or_default();
    assert!(plan.starts_with("Plan: "), "{}", run.stdout);
    let under_target = plan
        .split(&format!("\n{target}\n"))
        .nth(1)
        .unwrap_or_default();
    assert!(under_target.contains(line), "`{line}` not in:\n{plan}");
}

#[test]
fn a_new_image_tag_applies_in_place_and_rolls_the_pod() {
    let dir = edited("environments/dev.yaml", "tag: \"14\"", "tag: \"14.18.0\"");
    let plan = plan(dir.path());
    let image = item(
        &plan,
        "StatefulSet/postgresql-bill-inquiry",
        "spec.template.spec.containers[postgresql].image",
    );
    assert_eq!(image["effect"], "in-place");
    assert_eq!(image["target"], "dev/bill-inquiry");
    assert_eq!(
        image["file"],
        "dev/bill-inquiry/kubernetes/50-statefulset-postgresql-bill-inquiry.yaml"
    );
    assert_eq!(image["from"], "docker.io/bitnamilegacy/postgresql:14");
    assert_eq!(image["to"], "docker.io/bitnamilegacy/postgresql:14.18.0");
    assert!(
        image["action"].as_str().unwrap().contains("rolls the pod"),
        "{image}"
    );
    assert_human(
        dir.path(),
        "dev/bill-inquiry",
        "in-place  StatefulSet/postgresql-bill-inquiry spec.template.spec.containers[postgresql].image: \"docker.io/bitnamilegacy/postgresql:14\" → \"docker.io/bitnamilegacy/postgresql:14.18.0\"",
    );
}

#[test]
fn a_new_storage_size_on_aks_replaces_the_statefulset() {
    let dir = edited("services/bill-inquiry.yaml", "size: 20Gi", "size: 30Gi");
    let plan = plan(dir.path());
    let size = item(
        &plan,
        "StatefulSet/postgresql-bill-inquiry",
        "spec.volumeClaimTemplates[data].spec.resources.requests.storage",
    );
    assert_eq!(size["effect"], "replace");
    assert_eq!(
        (size["from"].clone(), size["to"].clone()),
        ("20Gi".into(), "30Gi".into())
    );
    let action = size["action"].as_str().unwrap();
    assert!(
        action.contains("kubectl patch pvc data-postgresql-bill-inquiry-0 -n phonebill-dev"),
        "{action}"
    );
    assert!(action.contains("--cascade=orphan"), "{action}");
    assert_human(
        dir.path(),
        "dev/bill-inquiry",
        "replace   StatefulSet/postgresql-bill-inquiry spec.volumeClaimTemplates[data].spec.resources.requests.storage: \"20Gi\" → \"30Gi\"",
    );
}

#[test]
fn a_new_storage_class_replaces_the_statefulset_and_the_claim() {
    let dir = edited(
        "environments/dev.yaml",
        "storageClass: managed-csi ",
        "storageClass: managed-csi-premium ",
    );
    let plan = plan(dir.path());
    let class = item(
        &plan,
        "StatefulSet/postgresql-bill-inquiry",
        "spec.volumeClaimTemplates[data].spec.storageClassName",
    );
    assert_eq!(class["effect"], "replace");
    let claim = item(
        &plan,
        "PersistentVolumeClaim/postgresql-bill-inquiry-dumps",
        "spec.storageClassName",
    );
    assert_eq!(claim["effect"], "replace");
}

#[test]
fn azure_max_connections_takes_a_restart() {
    let dir = edited(
        "services/auth.yaml",
        "max_connections: 100",
        "max_connections: 150",
    );
    let plan = plan(dir.path());
    let primary = item(
        &plan,
        "configurations/phonebill-auth-postgresql-prod/max_connections",
        "properties.value",
    );
    assert_eq!(primary["effect"], "restart");
    assert_eq!(
        (primary["from"].clone(), primary["to"].clone()),
        ("100".into(), "150".into())
    );
    assert!(
        primary["action"].as_str().unwrap().contains(
            "az postgres flexible-server restart --resource-group rg-phonebill-prod --name phonebill-auth-postgresql-prod"
        ),
        "{primary}"
    );
    // Each replica gets the parameter too, and its own restart.
    let replica = item(
        &plan,
        "configurations/phonebill-auth-postgresql-prod-krs/max_connections",
        "properties.value",
    );
    assert_eq!(replica["effect"], "restart");
    assert_human(
        dir.path(),
        "prod/auth",
        "restart   configurations/phonebill-auth-postgresql-prod/max_connections properties.value: \"100\" → \"150\"",
    );
}

#[test]
fn a_new_azure_location_replaces_the_server() {
    let dir = edited(
        "environments/prod.yaml",
        "location: koreacentral",
        "location: japaneast",
    );
    let plan = plan(dir.path());
    let location = item(
        &plan,
        "flexibleServers/phonebill-auth-postgresql-prod",
        "location",
    );
    assert_eq!(location["effect"], "replace");
    assert_eq!(location["to"], "japaneast");
    assert!(
        location["action"]
            .as_str()
            .unwrap()
            .contains("cannot move to another region")
    );
}

#[test]
fn azure_storage_grows_in_place_and_is_refused_to_shrink() {
    let grow = edited("services/auth.yaml", "sizeGB: 256", "sizeGB: 512");
    let plan_grow = plan(grow.path());
    let size = item(
        &plan_grow,
        "flexibleServers/phonebill-auth-postgresql-prod",
        "properties.storage.storageSizeGB",
    );
    assert_eq!(size["effect"], "in-place");
    assert_eq!(
        (size["from"].clone(), size["to"].clone()),
        (256.into(), 512.into())
    );

    let shrink = edited("services/auth.yaml", "sizeGB: 256", "sizeGB: 128");
    let plan_shrink = plan(shrink.path());
    let size = item(
        &plan_shrink,
        "flexibleServers/phonebill-auth-postgresql-prod",
        "properties.storage.storageSizeGB",
    );
    assert_eq!(size["effect"], "replace");
    assert!(
        size["action"]
            .as_str()
            .unwrap()
            .contains("refuses to shrink")
    );
}

#[test]
fn a_role_access_level_changes_in_place_by_the_sql_target() {
    let dir = edited(
        "services/bill-inquiry.yaml",
        "access: read-write",
        "access: read-only",
    );
    let plan = plan(dir.path());
    // The service runs in dev (aks) and staging (cnpg): the same SQL change in both.
    let staging = item_in(
        &plan,
        Some("staging/bill-inquiry"),
        "role/bill_inquiry_app",
        "access",
    );
    assert_eq!(staging["effect"], "in-place");
    let access = item_in(
        &plan,
        Some("dev/bill-inquiry"),
        "role/bill_inquiry_app",
        "access",
    );
    assert_eq!(access["effect"], "in-place");
    assert_eq!(access["file"], "dev/bill-inquiry/sql/01-database.psql");
    assert_eq!(
        (access["from"].clone(), access["to"].clone()),
        ("read-write".into(), "read-only".into())
    );
    assert!(
        access["action"]
            .as_str()
            .unwrap()
            .contains("05-privileges.psql")
    );
    assert_human(
        dir.path(),
        "dev/bill-inquiry",
        "in-place  role/bill_inquiry_app access: \"read-write\" → \"read-only\"",
    );
}

#[test]
fn a_removed_role_is_a_manual_step() {
    // The exporter's role under a new name: the old one leaves the design.
    let dir = edited(
        "services/bill-inquiry.yaml",
        "name: bill_inquiry_monitor",
        "name: bill_inquiry_metrics",
    );
    let plan = plan(dir.path());
    let removed = item_in(
        &plan,
        Some("dev/bill-inquiry"),
        "database/bill_inquiry_db",
        "database.roles",
    );
    let staging = item_in(
        &plan,
        Some("staging/bill-inquiry"),
        "database/bill_inquiry_db",
        "database.roles",
    );
    assert_eq!(staging["effect"], "manual");
    assert_eq!(removed["effect"], "manual");
    let action = removed["action"].as_str().unwrap();
    assert!(action.contains("bill_inquiry_monitor"), "{action}");
    assert!(action.contains("DROP OWNED BY"), "{action}");
    let added = item_in(
        &plan,
        Some("dev/bill-inquiry"),
        "role/bill_inquiry_metrics",
        "",
    );
    assert_eq!(added["effect"], "in-place");
    assert_human(
        dir.path(),
        "dev/bill-inquiry",
        "manual    database/bill_inquiry_db database.roles",
    );
}

#[test]
fn a_seed_value_changes_in_place() {
    let dir = edited(
        "services/bill-inquiry.yaml",
        "config_value: \"4\"",
        "config_value: \"6\"",
    );
    let plan = plan(dir.path());
    let value = item_in(
        &plan,
        Some("dev/bill-inquiry"),
        "seed/system_config[bill.cache.ttl.hours]",
        "config_value",
    );
    assert_eq!(value["effect"], "in-place");
    assert_eq!(
        (value["from"].clone(), value["to"].clone()),
        ("4".into(), "6".into())
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = harness::git_command(dir).args(args).status().unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn check_fails_on_a_replacement_until_it_is_acknowledged() {
    let dir = edited("services/bill-inquiry.yaml", "size: 20Gi", "size: 30Gi");
    let root = dir.path();
    // The unchanged render committed; the new one rendered on top of it.
    git(root, &["init", "-q", "-b", "main"]);
    std::fs::write(root.join("keep"), "").unwrap();
    let service = root.join("inputs/services/bill-inquiry.yaml");
    let edited_text = std::fs::read_to_string(&service).unwrap();
    std::fs::write(&service, edited_text.replace("size: 30Gi", "size: 20Gi")).unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "before"]);
    std::fs::write(&service, &edited_text).unwrap();
    assert_eq!(run_gen_in(root, &["render"]).code, 0);

    let refused = run_gen_in(root, &["render", "--check", "--base", "HEAD"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("acknowledge them with --allow replace"),
        "{}",
        refused.stderr
    );
    let allowed = run_gen_in(
        root,
        &["render", "--check", "--base", "HEAD", "--allow", "replace"],
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    assert!(
        allowed.stdout.starts_with("Plan: 1 (1 replace)"),
        "{}",
        allowed.stdout
    );
    // Without a base, the output folder is the previous render: nothing to plan.
    let plain = run_gen_in(root, &["render", "--check"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(plain.stdout.is_empty(), "{}", plain.stdout);
}

/// Every field of every object the Azure variants render (private endpoints, locks, role
/// assignments, customer-managed keys, firewall rules, ...) has a row of the plan's table, as
/// the example's fields do (`plan::coverage`): a change of one is never `unknown` for lack of it.
#[test]
fn every_field_of_the_azure_variants_has_a_rule() {
    use crate::bicep;
    let mut missing = std::collections::BTreeSet::new();
    for out in [
        bicep::public_variant(),
        bicep::public_replicas_variant(),
        bicep::private_endpoint_variant(),
        bicep::named_replica_subnet_variant(),
        bicep::every_new_field_variant(),
    ] {
        for (path, bytes) in harness::snapshot_tree(out.path()) {
            missing.extend(gen_lib::plan::fields_without_a_rule(
                &path.to_string_lossy(),
                &String::from_utf8_lossy(&bytes),
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "no rule for:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}
