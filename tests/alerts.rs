//! The alerts target, checked by real tools on the rendered example:
//!
//! 1. `bicep-typecheck --strict-types` on every `alerts/` folder: 0 errors, 0 unchecked.
//! 2. pycep-parser parses every `alerts.bicep`.
//! 3. For aks targets, the rule group is read back from the rendered `alerts.bicep` (pycep)
//!    and written as a Prometheus rules file; `promtool check rules` accepts it, and
//!    `promtool test rules` proves, with synthetic series built from the design model alone,
//!    that each rule fires once its condition has held for `for` and stays silent below the
//!    threshold and on other pods, containers, claims and namespaces. A few mutants of the
//!    rules must then fail those tests, so the tests are known to be able to fail.
//!
//! rules.yml and tests.yml are written to a temporary folder, never to `out/`: the contract
//! allows no YAML outside `kubernetes/`. Both are JSON, which YAML readers accept.

use crate::support::{harness, tools};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tools::{bicep_typecheck, render_example, repo, system_bin, venv_bin};

use gen_lib::model::{Deployment, Model, Signal, Target};

/// Sample spacing of the synthetic series and evaluation interval, in minutes.
const STEP_MIN: u32 = 1;
/// Range of `rate()` in the CPU expression (`[5m]`).
const RATE_WINDOW_MIN: u32 = 5;

fn alerts_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for env in std::fs::read_dir(out).unwrap() {
        for service in std::fs::read_dir(env.unwrap().path()).unwrap() {
            let dir = service.unwrap().path().join("alerts");
            assert!(dir.is_dir(), "{} is missing", dir.display());
            dirs.push(dir);
        }
    }
    dirs.sort();
    assert!(dirs.len() >= 2, "{dirs:?}");
    dirs
}

#[test]
fn every_alerts_folder_passes_the_bicep_type_check() {
    let out = render_example();
    for dir in alerts_dirs(out.path()) {
        let run = bicep_typecheck()
            .arg("--strict-types")
            .arg(&dir)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(run.status.success(), "{}:\n{text}", dir.display());
        assert!(text.contains(" 0 unchecked"), "{}:\n{text}", dir.display());
        assert!(text.contains(" 0 errors"), "{}:\n{text}", dir.display());
    }
}

const PARSE_BICEP: &str = r#"
import json, sys
from pathlib import Path
from pycep import BicepParser
parsed = BicepParser().parse(file_path=Path(sys.argv[1]))
groups = [r["config"] for r in parsed["resources"].values()
          if r["type"] == "Microsoft.AlertsManagement/prometheusRuleGroups"]
print(json.dumps({"resources": len(parsed["resources"]), "ruleGroups": groups}, default=str))
"#;

/// The rendered file as pycep-parser reads it: resource count and rule groups.
fn parse_bicep(file: &Path) -> Value {
    pycep(PARSE_BICEP, file)
}

/// What `script` prints as JSON about `file`, which pycep-parser must parse.
fn pycep(script: &str, file: &Path) -> Value {
    let run = Command::new(venv_bin("python"))
        .args(["-c", script])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "pycep cannot parse {}:\n{}",
        file.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

#[test]
fn pycep_parses_every_alerts_file() {
    let out = render_example();
    for dir in alerts_dirs(out.path()) {
        let parsed = parse_bicep(&dir.join("alerts.bicep"));
        assert!(
            parsed["resources"].as_u64().unwrap() > 0,
            "{}",
            dir.display()
        );
    }
}

fn model_of(inputs: &Path) -> Model {
    let mut diagnostics = Vec::new();
    let inputs = gen_lib::load::load(inputs, &mut diagnostics).unwrap();
    let design = gen_lib::validate::validate(inputs, diagnostics).unwrap();
    gen_lib::model::build(&design)
}

/// `PT5M` → `5m`, `PT1H` → `1h`, `P1D` → `1d`.
fn iso_to_prom(iso: &str) -> String {
    if let Some(days) = iso.strip_prefix('P').and_then(|d| d.strip_suffix('D')) {
        return format!("{days}d");
    }
    let time = iso.strip_prefix("PT").unwrap_or_else(|| panic!("{iso}"));
    let (number, unit) = time.split_at(time.len() - 1);
    format!("{number}{}", unit.to_lowercase())
}

fn minutes(duration: &str) -> u32 {
    gen_lib::duration::Duration::parse(duration)
        .unwrap()
        .minutes()
}

/// The shortest text of a number for promtool's series notation.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// What the tests need to know about one aks target, from the design model.
struct Aks {
    namespace: String,
    sts: String,
    cpu_cores: f64,
    memory_bytes: f64,
    size_bytes: f64,
    /// Whether a PodMonitor (else pod annotations) makes managed Prometheus scrape the exporter.
    pod_monitor: bool,
    /// A CloudNativePG cluster (cnpg) rather than a StatefulSet (aks): pods `<name>-1`…,
    /// container `postgres`, claims `<pod>` and `<pod>-wal`, the operator's metric names.
    cnpg: bool,
}

type Labels = Vec<(&'static str, String)>;

impl Aks {
    fn of(target: &Target) -> Option<Aks> {
        if let Deployment::Cnpg(cluster) = &target.deployment {
            let limits = &cluster.resources.limits;
            return Some(Aks {
                namespace: target.env.cnpg.as_ref().unwrap().namespace.clone(),
                sts: cluster.name.clone(),
                cpu_cores: gen_lib::quantity::cores(cluster.resources.cpu_basis().quantity)
                    .unwrap(),
                memory_bytes: gen_lib::quantity::bytes(&limits.memory).unwrap() as f64,
                size_bytes: gen_lib::quantity::bytes(&cluster.storage.size).unwrap() as f64,
                pod_monitor: true,
                cnpg: true,
            });
        }
        let Deployment::Aks(set) = &target.deployment else {
            return None;
        };
        let limits = &set.resources.limits;
        Some(Aks {
            namespace: target.env.aks.as_ref().unwrap().namespace.clone(),
            sts: set.name.clone(),
            cpu_cores: gen_lib::quantity::cores(set.resources.cpu_basis().quantity).unwrap(),
            memory_bytes: gen_lib::quantity::bytes(&limits.memory).unwrap() as f64,
            size_bytes: gen_lib::quantity::bytes(&set.storage_size).unwrap() as f64,
            pod_monitor: target.env.aks.as_ref().unwrap().pod_monitor(),
            cnpg: false,
        })
    }

    /// The first pod: the StatefulSet's `-0`, the cluster's first instance `-1`.
    fn pod0(&self) -> String {
        format!("{}-{}", self.sts, if self.cnpg { 1 } else { 0 })
    }

    /// A replica of a cnpg cluster.
    fn replica_pod(&self) -> String {
        format!("{}-2", self.sts)
    }

    /// A pod whose name shares the prefix: only an anchored matcher leaves it out.
    fn decoy_pod(&self) -> String {
        format!("{}-other-0", self.sts)
    }

    /// The database container.
    fn container(&self) -> &'static str {
        if self.cnpg { "postgres" } else { "postgresql" }
    }

    /// The data claim of `pod`.
    fn claim(&self, pod: &str) -> String {
        if self.cnpg {
            pod.to_owned()
        } else {
            format!("data-{pod}")
        }
    }

    /// The exporter's metric of availability and of connections.
    fn up_metric(&self) -> &'static str {
        if self.cnpg {
            "cnpg_collector_up"
        } else {
            "pg_up"
        }
    }

    fn connections_metric(&self) -> &'static str {
        if self.cnpg {
            "cnpg_backends_total"
        } else {
            "pg_stat_activity_count"
        }
    }

    /// The labels of the exporter's series as the scraper writes them, from its own sources:
    /// a PodMonitor's target (prometheus-operator's `generatePodMonitorConfig`, which the
    /// ama-metrics target allocator runs) or the add-on's `kubernetes-pods` annotation job
    /// (`podannotationsDefault.yml`, which also copies the pod's labels).
    fn exporter(&self, pod: Option<String>, ns: Option<&str>) -> Labels {
        let ns = ns.unwrap_or(&self.namespace).to_owned();
        let pod = pod.unwrap_or_else(|| self.pod0());
        if self.cnpg {
            // The instance manager serves the metrics from the postgres container's port `metrics`.
            vec![
                ("job", format!("{}/{}", self.namespace, self.sts)),
                ("instance", "10.244.0.10:9187".into()),
                ("namespace", ns),
                ("pod", pod),
                ("container", "postgres".into()),
                ("endpoint", "metrics".into()),
            ]
        } else if self.pod_monitor {
            vec![
                ("job", format!("{}/{}", self.namespace, self.sts)),
                ("instance", "10.244.0.10:9187".into()),
                ("namespace", ns),
                ("pod", pod),
                ("container", "metrics".into()),
                ("endpoint", "http-metrics".into()),
            ]
        } else {
            vec![
                ("job", "kubernetes-pods".into()),
                ("instance", "10.244.0.10:9187".into()),
                ("kubernetes_namespace", ns),
                ("kubernetes_pod_name", pod),
                ("app_kubernetes_io_instance", self.sts.clone()),
            ]
        }
    }

    /// The equality matchers of the exporter selector, which `absent()` keeps as labels.
    fn exporter_absent_labels(&self) -> Value {
        if self.pod_monitor {
            json!({"job": format!("{}/{}", self.namespace, self.sts), "namespace": self.namespace})
        } else {
            json!({"job": "kubernetes-pods", "kubernetes_namespace": self.namespace})
        }
    }

    fn cadvisor(&self, pod: Option<String>, container: &str, ns: Option<&str>) -> Labels {
        vec![
            ("job", "cadvisor".into()),
            ("instance", "aks-nodepool1-0".into()),
            ("namespace", ns.unwrap_or(&self.namespace).into()),
            ("pod", pod.unwrap_or_else(|| self.pod0())),
            ("container", container.into()),
            ("image", "postgresql:14".into()),
        ]
    }

    fn kubelet(&self, claim: Option<String>, ns: Option<&str>) -> Labels {
        vec![
            ("job", "kubelet".into()),
            ("instance", "aks-nodepool1-0".into()),
            ("namespace", ns.unwrap_or(&self.namespace).into()),
            (
                "persistentvolumeclaim",
                claim.unwrap_or_else(|| self.claim(&self.pod0())),
            ),
        ]
    }

    /// The labels the expression itself yields for pod 0 (its `by` clause).
    fn firing_labels(&self, signal: Signal) -> Value {
        match signal {
            Signal::CpuPercent | Signal::MemoryPercent => {
                json!({"namespace": self.namespace, "pod": self.pod0()})
            }
            Signal::StoragePercent => {
                json!({"namespace": self.namespace, "persistentvolumeclaim": self.claim(&self.pod0())})
            }
            Signal::ReplicationLagSeconds => {
                json!({"namespace": self.namespace, "pod": self.replica_pod()})
            }
            Signal::BackupAgeHours => json!({"namespace": self.namespace}),
            _ if self.pod_monitor => json!({"namespace": self.namespace, "pod": self.pod0()}),
            _ => {
                json!({"kubernetes_namespace": self.namespace, "kubernetes_pod_name": self.pod0()})
            }
        }
    }
}

fn series(metric: &str, labels: &Labels, values: String) -> Value {
    let body: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    json!({"series": format!("{metric}{{{}}}", body.join(",")), "values": values})
}

fn gauge(v: f64, n: u32) -> String {
    format!("{}+0x{n}", num(v))
}

fn counter(per_step: f64, n: u32) -> String {
    format!("0+{}x{n}", num(per_step))
}

/// Levels just above and below threshold `t`, never exactly at it (`0.8*100` is not 80).
fn levels(signal: Signal, t: f64) -> (f64, f64) {
    let d = match signal {
        Signal::CpuPercent | Signal::MemoryPercent | Signal::StoragePercent => {
            assert!(t > 0.0 && t < 100.0, "{t}");
            t.min(100.0 - t) / 2.0
        }
        _ => (t / 10.0).ceil().max(1.0),
    };
    (t + d, t - d)
}

/// When the condition turns true, at the earliest and latest, for a series that sits at its
/// level from time 0. A counter fed to rate() needs two samples and reads low until the rate
/// window is full; gauges are exact at once.
fn onset(signal: Signal) -> (u32, u32) {
    if signal == Signal::CpuPercent {
        (STEP_MIN, RATE_WINDOW_MIN)
    } else {
        (0, 0)
    }
}

/// Series putting `signal` at `level` for pod 0, plus decoys far above the threshold
/// (another container of the pod, a pod sharing the name's prefix, another namespace).
fn synth(t: &Aks, signal: Signal, level: f64, n: u32, decoys: bool) -> Vec<Value> {
    let mut out = Vec::new();
    let other = Some("other");
    match signal {
        Signal::CpuPercent => {
            let metric = "container_cpu_usage_seconds_total";
            let per_step = level / 100.0 * t.cpu_cores * 60.0 * f64::from(STEP_MIN);
            out.push(series(
                metric,
                &t.cadvisor(None, t.container(), None),
                counter(per_step, n),
            ));
            if decoys {
                let big = 2.0 * t.cpu_cores * 60.0 * f64::from(STEP_MIN);
                for labels in [
                    t.cadvisor(None, "metrics", None),
                    t.cadvisor(Some(t.decoy_pod()), t.container(), None),
                    t.cadvisor(None, t.container(), other),
                ] {
                    out.push(series(metric, &labels, counter(big, n)));
                }
            }
        }
        Signal::MemoryPercent => {
            let metric = "container_memory_working_set_bytes";
            let value = level / 100.0 * t.memory_bytes;
            out.push(series(
                metric,
                &t.cadvisor(None, t.container(), None),
                gauge(value, n),
            ));
            if decoys {
                for labels in [
                    t.cadvisor(None, "metrics", None),
                    t.cadvisor(Some(t.decoy_pod()), t.container(), None),
                    t.cadvisor(None, t.container(), other),
                ] {
                    out.push(series(metric, &labels, gauge(2.0 * t.memory_bytes, n)));
                }
            }
        }
        Signal::StoragePercent => {
            let used = level / 100.0 * t.size_bytes;
            let capacity = "kubelet_volume_stats_capacity_bytes";
            out.push(series(
                capacity,
                &t.kubelet(None, None),
                gauge(t.size_bytes, n),
            ));
            out.push(series(
                "kubelet_volume_stats_used_bytes",
                &t.kubelet(None, None),
                gauge(used, n),
            ));
            if decoys {
                for labels in [
                    t.kubelet(Some(t.claim(&t.decoy_pod())), None),
                    t.kubelet(None, other),
                ] {
                    out.push(series(capacity, &labels, gauge(t.size_bytes, n)));
                    out.push(series(
                        "kubelet_volume_stats_used_bytes",
                        &labels,
                        gauge(t.size_bytes, n),
                    ));
                }
            }
        }
        Signal::Connections => {
            // Two series that only add up above the threshold prove the `sum`.
            let active = (level / 2.0).ceil();
            for (state, v) in [("active", active), ("idle", level - active)] {
                let mut labels = t.exporter(None, None);
                labels.extend([("datname", "app".into()), ("state", state.into())]);
                out.push(series(t.connections_metric(), &labels, gauge(v, n)));
            }
            if decoys {
                for mut labels in [
                    t.exporter(Some(t.decoy_pod()), None),
                    t.exporter(None, other),
                ] {
                    labels.extend([("datname", "app".into()), ("state", "active".into())]);
                    out.push(series(
                        t.connections_metric(),
                        &labels,
                        gauge(10.0 * level, n),
                    ));
                }
            }
        }
        Signal::BackupAgeHours if t.cnpg => {
            // The plugin's timestamp of the newest backup, `level` hours before time 0 (the
            // age then grows by a minute a minute); another instance reports an older one,
            // and the newest is what counts.
            let metric = "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";
            let newest = -level * 3600.0;
            out.push(series(metric, &t.exporter(None, None), gauge(newest, n)));
            out.push(series(
                metric,
                &t.exporter(Some(t.replica_pod()), None),
                gauge(newest - 7200.0, n),
            ));
            if decoys {
                // Far older backups elsewhere, which must not lower the newest.
                for labels in [
                    t.exporter(Some(t.decoy_pod()), None),
                    t.exporter(None, other),
                ] {
                    out.push(series(metric, &labels, gauge(newest - 100.0 * 3600.0, n)));
                }
            }
        }
        Signal::ReplicationLagSeconds if t.cnpg => {
            // Each standby reports its own lag; the primary reports 0.
            let metric = "cnpg_pg_replication_lag";
            out.push(series(metric, &t.exporter(None, None), gauge(0.0, n)));
            out.push(series(
                metric,
                &t.exporter(Some(t.replica_pod()), None),
                gauge(level, n),
            ));
            if decoys {
                for labels in [
                    t.exporter(Some(t.decoy_pod()), None),
                    t.exporter(Some(t.replica_pod()), other),
                ] {
                    out.push(series(metric, &labels, gauge(10.0 * level + 100.0, n)));
                }
            }
        }
        other => panic!("no synthetic series for {other:?}"),
    }
    out
}

fn check(alert: &str, at_min: u32, alerts: Vec<Value>) -> Value {
    json!({"eval_time": format!("{at_min}m"), "alertname": alert, "exp_alerts": alerts})
}

fn expected_alert(labels: Value, rule: &Value) -> Value {
    let mut all = labels.as_object().unwrap().clone();
    for (k, v) in rule["labels"].as_object().unwrap() {
        all.insert(k.clone(), v.clone());
    }
    json!({"exp_labels": all, "exp_annotations": rule["annotations"]})
}

fn group(name: String, series: Vec<Value>, checks: Vec<Value>) -> Value {
    json!({"name": name, "interval": format!("{STEP_MIN}m"), "input_series": series, "alert_rule_test": checks})
}

fn database_down_tests(t: &Aks, f: u32, alert: &str, rule: &Value) -> Vec<Value> {
    let n = 2 * f + 5;
    let up = |v: f64, pod: Option<String>| series("up", &t.exporter(pod, None), gauge(v, n));
    let pg_up = |v: f64| series(t.up_metric(), &t.exporter(None, None), gauge(v, n));
    let decoy_up = up(1.0, Some(t.decoy_pod()));
    let fires_for_pod = expected_alert(t.firing_labels(Signal::DatabaseDown), rule);
    // absent() keeps the selector's equality matchers as labels.
    let fires_absent = expected_alert(t.exporter_absent_labels(), rule);
    let fires_at_f = |expected: Value| {
        vec![
            check(alert, f - STEP_MIN, vec![]),
            check(alert, f, vec![expected]),
        ]
    };
    vec![
        group(
            format!("{alert}: silent while PostgreSQL and the exporter are up"),
            vec![up(1.0, None), pg_up(1.0), up(0.0, Some(t.decoy_pod()))],
            vec![check(alert, f, vec![]), check(alert, n - 1, vec![])],
        ),
        group(
            format!("{alert}: fires when {} is 0", t.up_metric()),
            vec![up(1.0, None), pg_up(0.0), decoy_up.clone()],
            fires_at_f(fires_for_pod.clone()),
        ),
        group(
            format!("{alert}: fires when the exporter scrape fails (up 0)"),
            vec![up(0.0, None), decoy_up.clone()],
            fires_at_f(fires_for_pod),
        ),
        group(
            format!("{alert}: fires when no scrape target exists"),
            vec![decoy_up],
            fires_at_f(fires_absent),
        ),
    ]
}

fn threshold_tests(
    t: &Aks,
    signal: Signal,
    above: f64,
    f: u32,
    alert: &str,
    rule: &Value,
) -> Vec<Value> {
    let (hi, lo) = levels(signal, above);
    let (early, late) = onset(signal);
    let n = late + 2 * f + 5;
    vec![
        group(
            format!(
                "{alert}: fires at {} (> {}) once held for {f}m",
                num(hi),
                num(above)
            ),
            synth(t, signal, hi, n, false),
            vec![
                check(alert, early + f - STEP_MIN, vec![]),
                check(
                    alert,
                    late + f,
                    vec![expected_alert(t.firing_labels(signal), rule)],
                ),
            ],
        ),
        group(
            format!(
                "{alert}: silent at {} (< {}), other pods, containers and claims ignored",
                num(lo),
                num(above)
            ),
            synth(t, signal, lo, n, true),
            vec![check(alert, late + f, vec![]), check(alert, n - 1, vec![])],
        ),
    ]
}

/// The rule group of a rendered alerts.bicep, as pycep reads it.
fn rendered_rule_group(file: &Path) -> Value {
    let parsed = parse_bicep(file);
    let groups = parsed["ruleGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "one rule group per aks target");
    groups[0].clone()
}

fn rules_file(group: &Value) -> Value {
    let rules: Vec<Value> = group["properties"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({
                "alert": r["alert"],
                "expr": r["expression"],
                "for": iso_to_prom(r["for"].as_str().unwrap()),
                "labels": r["labels"],
                "annotations": r["annotations"],
            })
        })
        .collect();
    json!({"groups": [{
        "name": group["name"],
        "interval": iso_to_prom(group["properties"]["interval"].as_str().unwrap()),
        "rules": rules,
    }]})
}

/// promtool unit tests for every rule of the target, from the design model.
fn tests_file(target: &Target, t: &Aks, group: &Value) -> Value {
    let rendered = group["properties"]["rules"].as_array().unwrap();
    let mut tests = Vec::new();
    let mut expected_rules = 0;
    for design in target.alert_rules() {
        if target.unobservable(design).is_some() {
            continue; // skipped on aks, with a note
        }
        expected_rules += 1;
        let alert = format!("{}-{}", t.sts, design.name);
        let rule = rendered
            .iter()
            .find(|r| r["alert"] == alert.as_str())
            .unwrap_or_else(|| panic!("no rendered rule {alert}"));
        assert_eq!(rule["labels"]["signal"], design.signal.as_str());
        let f = minutes(&design.duration);
        tests.extend(match design.signal {
            Signal::DatabaseDown => database_down_tests(t, f, &alert, rule),
            signal => threshold_tests(t, signal, design.above.unwrap(), f, &alert, rule),
        });
    }
    assert_eq!(
        rendered.len(),
        expected_rules,
        "one rendered rule per design rule"
    );
    json!({"rule_files": ["rules.yml"], "evaluation_interval": format!("{STEP_MIN}m"), "tests": tests})
}

fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let run = Command::new(system_bin("promtool"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    (run.status.success(), text)
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Mutants of the rules file, each of which the tests must catch: for every rule its
/// threshold (or, for database_down, its `== 0`) moved out of reach, and all selectors
/// unanchored or without their namespace.
fn mutants(rules: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let count = rules["groups"][0]["rules"].as_array().unwrap().len();
    for i in 0..count {
        let mut mutant = rules.clone();
        let rule = &mut mutant["groups"][0]["rules"][i];
        let expr = rule["expr"].as_str().unwrap().to_owned();
        let changed = match expr.rsplit_once(" > ") {
            Some((head, _)) => format!("{head} > 1000000000"),
            None => expr.replace("== 0", "== 2"),
        };
        assert_ne!(changed, expr);
        rule["expr"] = Value::from(changed);
        out.push((format!("rule {} unreachable", rule["alert"]), mutant));
    }
    for (what, from, to) in [
        ("unanchored pods", "-[0-9]+\"", "-.*\""),
        ("no namespace", "namespace=\"", "namespace!=\"not-"),
    ] {
        let text = serde_json::to_string(rules).unwrap();
        let escaped_from = serde_json::to_string(from).unwrap();
        let escaped_to = serde_json::to_string(to).unwrap();
        let (from, to) = (
            &escaped_from[1..escaped_from.len() - 1],
            &escaped_to[1..escaped_to.len() - 1],
        );
        assert!(text.contains(from), "{what}");
        out.push((
            what.to_owned(),
            serde_json::from_str(&text.replace(from, to)).unwrap(),
        ));
    }
    out
}

/// On the example (CPU limit 1000m) and on the example without a CPU limit, where
/// `cpu_percent` divides by the request: the threshold tests put the usage around the
/// threshold of whichever the model says, so a rule dividing by the other one fails them.
#[test]
fn aks_rules_pass_promtool_and_their_tests_can_fail() {
    let work = tempfile::tempdir().unwrap();
    let knobs = harness::edited_example(work.path(), harness::EVERY_STATEFUL_SET_KNOB);
    for inputs in [repo().join("inputs"), knobs] {
        aks_rules_pass_promtool(&inputs);
    }
}

/// The same rules with the exporter scraped through its pod annotations: other labels.
#[test]
fn aks_rules_select_the_annotation_scraped_exporter_too() {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "environments/dev.yaml",
            "  clients:\n",
            "  metricsScrape: podAnnotations\n  clients:\n",
        )],
    );
    let model = model_of(&inputs);
    assert!(
        model
            .targets
            .iter()
            .filter_map(Aks::of)
            .filter(|t| !t.cnpg)
            .all(|t| !t.pod_monitor)
    );
    aks_rules_pass_promtool(&inputs);
}

/// Runs promtool's rule check and the synthesized unit tests on every aks target's rule group
/// that `inputs` renders, and makes sure the tests catch each mutant.
fn aks_rules_pass_promtool(inputs: &Path) {
    let out = tools::render_inputs(inputs);
    let model = model_of(inputs);
    let mut checked = 0;
    for target in &model.targets {
        let Some(t) = Aks::of(target) else { continue };
        let bicep = out.path().join(target.dir()).join("alerts/alerts.bicep");
        let group = rendered_rule_group(&bicep);
        let work = tempfile::tempdir().unwrap();
        let rules = rules_file(&group);
        write_json(&work.path().join("rules.yml"), &rules);
        let tests = tests_file(target, &t, &group);
        write_json(&work.path().join("tests.yml"), &tests);

        let (ok, text) = promtool(&["check", "rules", "rules.yml"], work.path());
        assert!(ok, "{}: promtool check rules:\n{text}", target.dir());
        let (ok, text) = promtool(&["test", "rules", "tests.yml"], work.path());
        assert!(ok, "{}: promtool test rules:\n{text}", target.dir());
        assert!(text.contains("SUCCESS"), "{text}");

        let mutants = mutants(&rules);
        for (what, mutant) in &mutants {
            write_json(&work.path().join("rules.yml"), mutant);
            let (ok, _) = promtool(&["test", "rules", "tests.yml"], work.path());
            assert!(!ok, "{}: the tests miss a mutant: {what}", target.dir());
        }
        eprintln!(
            "{}: promtool: {} rules, {} test groups passed, {} mutants caught",
            target.dir(),
            rules["groups"][0]["rules"].as_array().unwrap().len(),
            tests["tests"].as_array().unwrap().len(),
            mutants.len()
        );
        checked += 1;
    }
    assert!(checked > 0, "the design has an aks target");
}

#[test]
fn skipped_rules_are_named_in_the_render_summary() {
    let work = tempfile::tempdir().unwrap();
    let (inputs, out) = (work.path().join("inputs"), work.path().join("out"));
    harness::copy_dir(&repo().join("inputs"), &inputs);
    let edit = |file: &str, from: &str, to: &str| harness::edit_input(&inputs, file, from, to);
    let lag = "    - { name: replica-lag, signal: replication_lag_seconds, above: 5, for: 5m, severity: warning, notify: [dev-team] }\n";
    edit(
        "environments/dev.yaml",
        "notify: [dev-team] }\n",
        &format!("notify: [dev-team] }}\n{lag}"),
    );
    let auth = std::fs::read_to_string(inputs.join("services/auth.yaml")).unwrap();
    let replicas =
        &auth[auth.find("      replicas:").unwrap()..auth.find("      authentication:").unwrap()];
    edit("services/auth.yaml", replicas, "");

    let run = harness::run_gen(&[
        "render",
        "--inputs",
        inputs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("gen: note: dev/bill-inquiry: alert rule `replica-lag` skipped: aks"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "gen: note: prod/auth: alert rule `replica-lag` skipped: the server has no replicas"
        ),
        "{}",
        run.stderr
    );
    for dir in ["dev/bill-inquiry/alerts", "prod/auth/alerts"] {
        let text = std::fs::read_to_string(out.join(dir).join("alerts.bicep")).unwrap();
        assert!(!text.contains("replica-lag"), "{dir}");
    }
}

const AZURE_RESOURCES: &str = r#"
import json, sys
from pathlib import Path
from pycep import BicepParser
parsed = BicepParser().parse(file_path=Path(sys.argv[1]))
def symbol(value):
    return value["operator"]["operands"]["operand_1"]
out = []
for key, r in parsed["resources"].items():
    c = r["config"]
    p = c.get("properties", {})
    row = {"symbol": key, "type": r["type"], "existing": r["existing"], "name": c["name"]}
    if r["type"] == "Microsoft.Insights/metricAlerts":
        row["scopes"] = [symbol(s) for s in p["scopes"]]
        row["metrics"] = [m["metricName"] for m in p["criteria"]["allOf"]]
        row["actions"] = [symbol(a["actionGroupId"]) for a in p["actions"]]
    if r["type"] == "Microsoft.Insights/activityLogAlerts":
        row["scopes"] = [symbol(s) for s in p["scopes"]]
        row["condition"] = p["condition"]
        row["actions"] = [symbol(a["actionGroupId"]) for a in p["actions"]["actionGroups"]]
    out.append(row)
print(json.dumps(out, default=str))
"#;

/// Every resource of a rendered alerts.bicep as pycep reads it: symbol, type, name, and for
/// alerts their scopes (as symbols), metrics and action groups.
fn azure_resources(file: &Path) -> Vec<Value> {
    serde_json::from_value(pycep(AZURE_RESOURCES, file)).unwrap()
}

/// Issue 19: the Flexible Server's alerts, read back from the rendered file.
/// - Replication lag never reads Read Replica Lag (time since the last replayed transaction,
///   which grows on an idle primary): it is the primary's lag in bytes.
/// - Every server, primary and each replica, has its own down and storage alerts, and a
///   Resource Health alert (which fires when a server stops emitting metrics) routed to
///   the action groups of the `database_down` rule.
/// - Every alert rule name is unique.
#[test]
fn azure_alerts_watch_every_server_and_never_an_idle_primary() {
    let out = render_example();
    let model = model_of(&repo().join("inputs"));
    let mut checked = 0;
    for target in &model.targets {
        let Deployment::FlexibleServer(server) = &target.deployment else {
            continue;
        };
        assert!(!server.replicas.is_empty(), "the example has replicas");
        let file = out.path().join(target.dir()).join("alerts/alerts.bicep");
        let resources = azure_resources(&file);
        let symbol_of = |name: &str| -> String {
            resources
                .iter()
                .find(|r| r["existing"] == true && r["name"] == name)
                .unwrap_or_else(|| panic!("no existing server {name} in {resources:#?}"))["symbol"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let of_type = |kind: &str| -> Vec<&Value> {
            resources.iter().filter(|r| r["type"] == kind).collect()
        };
        let metric_alerts = of_type("Microsoft.Insights/metricAlerts");
        let health_alerts = of_type("Microsoft.Insights/activityLogAlerts");
        let on = |alerts: &[&Value], scope: &str, metric: Option<&str>| -> Vec<Value> {
            alerts
                .iter()
                .filter(|a| a["scopes"] == json!([scope]))
                .filter(|a| metric.is_none_or(|m| a["metrics"] == json!([m])))
                .map(|a| (*a).clone())
                .collect()
        };

        // Lag: in bytes, on the primary only.
        for alert in &metric_alerts {
            assert_ne!(
                alert["metrics"],
                json!(["physical_replication_delay_in_seconds"]),
                "{alert:#}"
            );
        }
        let primary = symbol_of(&server.name);
        let lag = on(
            &metric_alerts,
            &primary,
            Some("physical_replication_delay_in_bytes"),
        );
        assert_eq!(lag.len(), 1, "{metric_alerts:#?}");

        // Down, storage and Resource Health on every server.
        let servers = std::iter::once(server.name.as_str())
            .chain(server.replicas.iter().map(|r| r.name.as_str()));
        for name in servers {
            let scope = symbol_of(name);
            let down = on(&metric_alerts, &scope, Some("is_db_alive"));
            assert_eq!(down.len(), 1, "{name}: {metric_alerts:#?}");
            assert_eq!(
                on(&metric_alerts, &scope, Some("storage_percent")).len(),
                1,
                "{name}: {metric_alerts:#?}"
            );
            let health = on(&health_alerts, &scope, None);
            assert_eq!(health.len(), 1, "{name}: {health_alerts:#?}");
            let condition = health[0]["condition"]["allOf"].as_array().unwrap();
            assert!(
                condition.contains(&json!({"field": "category", "equals": "ResourceHealth"})),
                "{condition:#?}"
            );
            assert_eq!(health[0]["actions"], down[0]["actions"], "{name}");
            assert!(!health[0]["actions"].as_array().unwrap().is_empty());
        }

        let names: Vec<&str> = metric_alerts
            .iter()
            .chain(&health_alerts)
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:#?}");
        checked += 1;
    }
    assert_eq!(checked, 1, "one Flexible Server target in the example");
}
