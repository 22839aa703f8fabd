//! The dashboards (`alerts/dashboard.workbook.json`), from the rendered example:
//!
//! 1. every Azure metric a workbook charts is a metric of the table the alert rules use
//!    (`AZURE_METRICS`), under the aggregation that table gives, and every metric of the table
//!    is charted: a name in one and not the other fails;
//! 2. every PromQL query of an aks workbook passes `promtool check rules`;
//! 3. every workbook has the shape Microsoft's `schema/workbook.json` gives its items
//!    (required fields, type numbers, the PromQL provider's query JSON), and the Bicep that
//!    deploys it replaces the subscription placeholder the file uses; where the reference data
//!    folder holds that schema (`workbooks/workbook.json`, from microsoft/Application-Insights-Workbooks),
//!    every workbook also validates against it with jsonschema.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use gen_lib::model::AZURE_METRICS;
use gen_lib::render::dashboard::SUBSCRIPTION_PLACEHOLDER;
use serde_json::Value;

use crate::support::harness;
use crate::support::tools::{python, reference_dir, render_inputs, system_bin};

/// The example with the enhanced metrics on, so that the deadlocks chart is drawn too.
fn rendered() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "services/auth.yaml",
            "        log_connections: \"on\"\n",
            "        log_connections: \"on\"\n        metrics.collector_database_activity: \"on\"\n",
        )],
    );
    let out = render_inputs(&inputs);
    drop(work);
    out
}

fn workbooks(out: &Path) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for env in std::fs::read_dir(out).unwrap() {
        let env = env.unwrap().path();
        if !env.is_dir() {
            continue;
        }
        for target in std::fs::read_dir(&env).unwrap() {
            let path = target
                .unwrap()
                .path()
                .join("alerts/dashboard.workbook.json");
            if let Ok(text) = std::fs::read_to_string(&path) {
                found.push((
                    path.display().to_string(),
                    serde_json::from_str(&text).unwrap(),
                ));
            }
        }
    }
    assert_eq!(found.len(), 3, "one workbook per example target");
    found
}

fn items(workbook: &Value) -> &Vec<Value> {
    workbook["items"].as_array().expect("items")
}

#[test]
fn every_charted_metric_is_in_the_alerts_table_and_every_table_metric_is_charted() {
    let out = rendered();
    let mut charted = BTreeSet::new();
    for (path, workbook) in workbooks(out.path()) {
        for item in items(&workbook).iter().filter(|i| i["type"] == 10) {
            for metric in item["content"]["metrics"].as_array().unwrap() {
                let id = metric["metric"].as_str().unwrap();
                let name = id.rsplit('-').next().unwrap();
                let row = AZURE_METRICS
                    .iter()
                    .find(|r| r.metric == name)
                    .unwrap_or_else(|| panic!("{path}: {name} is not in AZURE_METRICS"));
                assert_eq!(
                    id,
                    format!(
                        "microsoft.dbforpostgresql/flexibleservers-{}-{}",
                        row.portal_category, row.metric
                    ),
                    "{path}"
                );
                assert_eq!(
                    metric["aggregation"].as_u64(),
                    Some(u64::from(row.aggregation.workbook_code())),
                    "{path}: {name}"
                );
                charted.insert(name.to_owned());
            }
        }
    }
    let table: BTreeSet<String> = AZURE_METRICS.iter().map(|r| r.metric.to_owned()).collect();
    assert_eq!(
        charted, table,
        "charted metrics and the alerts' table differ"
    );
    // And the alert rules' metrics are the table's too.
    let alerts = std::fs::read_to_string(out.path().join("prod/auth/alerts/alerts.bicep")).unwrap();
    for line in alerts
        .lines()
        .filter(|l| l.trim_start().starts_with("metricName:"))
    {
        let name = line.split('\'').nth(1).unwrap();
        assert!(
            table.contains(name),
            "alert metric {name} is not in the table"
        );
    }
}

#[test]
fn every_promql_query_of_the_dashboards_parses() {
    let out = rendered();
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    let mut count = 0;
    for (_, workbook) in workbooks(out.path()) {
        for item in items(&workbook).iter().filter(|i| i["type"] == 3) {
            let query: Value =
                serde_json::from_str(item["content"]["query"].as_str().unwrap()).unwrap();
            count += 1;
            rules.push_str(&format!(
                "      - record: dashboard:panel_{count}\n        expr: {}\n",
                serde_json::to_string(query["queryText"].as_str().unwrap()).unwrap()
            ));
        }
    }
    assert!(count >= 5, "only {count} PromQL queries");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard.rules.yaml");
    std::fs::write(&file, &rules).unwrap();
    let output = Command::new(system_bin("promtool"))
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{rules}\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The item shapes of Microsoft's `schema/workbook.json` (microsoft/Application-Insights-Workbooks):
/// the root needs `version` and `items`; each item `type` and `content`; a metrics item (10)
/// metrics with `namespace`, `metric` and an integer `aggregation`; and the PromQL form of a
/// query item (3) that Microsoft's own "Prometheus Explorer" workbook uses.
fn shape_problems(workbook: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if workbook["version"] != "Notebook/1.0" {
        problems.push("root: version is not Notebook/1.0".to_owned());
    }
    for (i, item) in items(workbook).iter().enumerate() {
        let content = &item["content"];
        if !content.is_object() || !item["name"].is_string() {
            problems.push(format!("item {i}: no content or name"));
        }
        match item["type"].as_u64() {
            Some(1) => {
                if !content["json"].is_string() {
                    problems.push(format!("item {i}: markdown without json"));
                }
            }
            Some(9) => {
                if content["version"] != "KqlParameterItem/1.0" {
                    problems.push(format!("item {i}: parameters version"));
                }
            }
            Some(10) => {
                if content["version"] != "MetricsItem/2.0"
                    || content["resourceIds"].as_array().is_none_or(Vec::is_empty)
                {
                    problems.push(format!(
                        "item {i}: metrics item without version or resources"
                    ));
                }
                for m in content["metrics"].as_array().into_iter().flatten() {
                    if !m["namespace"].is_string()
                        || !m["metric"].is_string()
                        || !m["aggregation"].is_u64()
                    {
                        problems.push(format!(
                            "item {i}: metric without namespace, metric or aggregation"
                        ));
                    }
                }
            }
            Some(3) => {
                let query: Value = serde_json::from_str(content["query"].as_str().unwrap_or(""))
                    .unwrap_or_default();
                if content["version"] != "KqlItem/1.0"
                    || content["queryType"] != 16
                    || content["resourceType"] != "microsoft.monitor/accounts"
                    || query["version"] != "PrometheusQueryProvider/1.0"
                    || !query["queryText"].is_string()
                    || content["crossComponentResources"]
                        .as_array()
                        .is_none_or(Vec::is_empty)
                {
                    problems.push(format!("item {i}: not a PromQL query item"));
                }
            }
            other => problems.push(format!("item {i}: unexpected type {other:?}")),
        }
        if let Some(settings) = content.get("chartSettings")
            && settings.get("customThresholdLine").is_some()
            && (!settings["customThresholdLine"].is_string()
                || !settings["customThresholdLineStyle"].is_number())
        {
            problems.push(format!(
                "item {i}: threshold line not a string and a number"
            ));
        }
        for id in content["resourceIds"]
            .as_array()
            .into_iter()
            .chain(content["crossComponentResources"].as_array())
            .flatten()
        {
            if !id
                .as_str()
                .unwrap_or("")
                .starts_with(SUBSCRIPTION_PLACEHOLDER)
            {
                problems.push(format!("item {i}: resource {id} without the placeholder"));
            }
        }
    }
    problems
}

#[test]
fn every_workbook_has_the_documented_shape_and_its_bicep_fills_the_subscription() {
    let out = rendered();
    for (path, workbook) in workbooks(out.path()) {
        assert_eq!(shape_problems(&workbook), Vec::<String>::new(), "{path}");
        let bicep =
            std::fs::read_to_string(Path::new(&path).with_file_name("alerts.bicep")).unwrap();
        assert!(
            bicep.contains(&format!(
                "replace(loadTextContent('dashboard.workbook.json'), '{SUBSCRIPTION_PLACEHOLDER}', '${{subscription().id}}/')"
            )),
            "{path}: the Bicep does not fill the subscription"
        );
    }
    // The check can fail: a metric without its aggregation is refused.
    let mut broken = workbooks(out.path())
        .into_iter()
        .map(|(_, w)| w)
        .find(|w| items(w).iter().any(|i| i["type"] == 10))
        .expect("the Azure workbook");
    let item = broken["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["type"] == 10)
        .unwrap();
    item["content"]["metrics"][0]["aggregation"] = Value::from("Average");
    assert_eq!(shape_problems(&broken).len(), 1);
}

/// Microsoft's schema, when the reference data folder has it (asked for; not committed here).
#[test]
fn every_workbook_validates_against_microsofts_schema_where_it_is_at_hand() {
    let schema = reference_dir().join("workbooks/workbook.json");
    if !schema.exists() {
        eprintln!(
            "{} is absent: the workbooks were checked against the documented item shapes only",
            schema.display()
        );
        return;
    }
    let out = rendered();
    let files: Vec<std::path::PathBuf> = workbooks(out.path())
        .into_iter()
        .map(|(path, _)| std::path::PathBuf::from(path))
        .collect();
    let mut args: Vec<&Path> = vec![&schema];
    args.extend(files.iter().map(|f| f.as_path()));
    let report = python(
        "import json, sys, jsonschema\n\
         validator = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))\n\
         for f in sys.argv[2:]:\n\
         \x20   for e in validator.iter_errors(json.load(open(f))):\n\
         \x20       print(f, list(e.path), e.message)\n",
        &args,
    );
    assert_eq!(report, "", "{report}");
}

/// A dashboard name made to break out of each place it reaches: Bicep (the `bicep` string
/// filter, which tests/escaping.rs reads back with tree-sitter-bicep), the workbook's
/// Markdown (every Markdown character escaped, inside a JSON string serde writes) and the
/// README (a code span).
#[test]
fn a_hostile_dashboard_name_stays_a_name_everywhere() {
    let name = "x' ${y} // */ <b>*a*</b> # [l](u) `z`";
    let work = tempfile::tempdir().unwrap();
    let yaml_name = serde_json::to_string(name).unwrap();
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "services/auth.yaml",
            "  prod:\n    server:\n",
            &format!("  prod:\n    dashboard: {{ name: {yaml_name} }}\n    server:\n"),
        )],
    );
    let out = render_inputs(&inputs);
    let alerts = std::fs::read_to_string(out.path().join("prod/auth/alerts/alerts.bicep")).unwrap();
    let expected = format!("displayName: {}", gen_lib::render::filters::bicep_str(name));
    assert!(alerts.contains(&expected), "{expected}");
    let workbook: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("prod/auth/alerts/dashboard.workbook.json"))
            .unwrap(),
    )
    .unwrap();
    let heading = workbook["items"][0]["content"]["json"].as_str().unwrap();
    let first = heading.lines().next().unwrap();
    assert_eq!(
        first,
        format!("## {}", gen_lib::render::filters::md_text(name)),
        "the heading is one escaped line"
    );
    assert!(!heading.contains("<b>"), "{heading}");
    let readme = std::fs::read_to_string(out.path().join("prod/auth/README.md")).unwrap();
    assert!(
        readme.contains(&format!(
            "Azure Workbook {},",
            gen_lib::render::filters::md_code_str(name)
        )),
        "the README names it in one code span"
    );
}

/// Two alerts on one signal: the chart's line is the lower threshold (the first to fire),
/// and its title names both rules; a chart of a signal without alerts has no line.
#[test]
fn the_line_is_the_lowest_threshold_of_the_alerts_on_the_signal() {
    let work = tempfile::tempdir().unwrap();
    let rule = "    - { name: cpu-overload, signal: cpu_percent, above: 90, for: 5m, severity: critical, notify: [critical] }\n";
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "environments/prod.yaml",
            rule,
            &format!(
                "{rule}    - {{ name: cpu-busy, signal: cpu_percent, above: 70, for: 15m, severity: warning, notify: [critical] }}\n"
            ),
        )],
    );
    let out = render_inputs(&inputs);
    let workbook: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("prod/auth/alerts/dashboard.workbook.json"))
            .unwrap(),
    )
    .unwrap();
    let charts: Vec<&Value> = items(&workbook)
        .iter()
        .filter(|i| i["type"] == 10)
        .collect();
    let cpu: Vec<&&Value> = charts
        .iter()
        .filter(|c| {
            c["content"]["metrics"][0]["metric"]
                .as_str()
                .unwrap()
                .ends_with("-cpu_percent")
        })
        .collect();
    // The alerts watch the primary: its chart has the line, the replicas' chart none.
    assert_eq!(cpu.len(), 2, "{cpu:#?}");
    let primary = cpu[0];
    assert_eq!(
        primary["content"]["resourceIds"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        primary["content"]["chartSettings"]["customThresholdLine"],
        "70"
    );
    let title = primary["content"]["title"].as_str().unwrap();
    assert!(title.contains("cpu-overload, cpu-busy"), "{title}");
    assert!(cpu[1]["content"].get("chartSettings").is_none());
    assert!(
        !cpu[1]["content"]["title"]
            .as_str()
            .unwrap()
            .contains("alert")
    );
    let iops = charts
        .iter()
        .find(|c| {
            c["content"]["metrics"][0]["metric"]
                .as_str()
                .unwrap()
                .ends_with("-disk_iops_consumed_percentage")
        })
        .unwrap();
    assert!(iops["content"].get("chartSettings").is_none());
}
