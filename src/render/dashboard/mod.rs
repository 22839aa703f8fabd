//! The dashboard of a target: `alerts/dashboard.workbook.json`, an Azure Workbook that
//! `alerts/alerts.bicep` deploys (`Microsoft.Insights/workbooks`), and the layout the
//! install plan draws of it.
//!
//! Why a workbook and not a portal dashboard (`Microsoft.Portal/dashboards`): one workbook
//! charts both Azure Monitor metrics (item type 10, the Flexible Server's) and PromQL
//! against an Azure Monitor workspace (item type 3, query type 16, the aks exporter's), and
//! draws a threshold line on either (`chartSettings.customThresholdLine`); a portal
//! dashboard's metric part has no PromQL and no threshold line, and its parts' inputs are
//! untyped in the API. Item shapes follow Microsoft's `schema/workbook.json` and its own
//! PostgreSQL Flexible Server workbooks (microsoft/Application-Insights-Workbooks).
//!
//! The workbook is built from the typed structures below, never from text, and serialized
//! with serde. Resource IDs carry the placeholder [`SUBSCRIPTION_PLACEHOLDER`], which
//! `alerts.bicep` replaces with the deploying subscription (not known at render time).

mod workbook;

use serde::Serialize;

use crate::model::dashboard::{Charted, Dashboard, Unchartable, chartable};
use crate::model::{AlertRule, Deployment, Server, Signal, Target, azure_metric_row, servers_of};
use crate::render::filters::md_text;
use crate::render::promql::Selectors;

pub use workbook::Workbook;
use workbook::{
    ChartSettings, Item, MarkdownContent, MetricContent, MetricRef, Parameter, ParametersContent,
    PrometheusQuery, QueryContent, TimeContext, TimeTypeSettings, step,
};

/// What the workbook file writes where the subscription ID goes.
pub const SUBSCRIPTION_PLACEHOLDER: &str = "/subscriptions/{subscription-id}/";

/// The workbook file's name, beside `alerts.bicep`.
pub const FILE_NAME: &str = "dashboard.workbook.json";

/// Azure Monitor metric namespace (and workbook resource type) of a Flexible Server.
const SERVER_TYPE: &str = "microsoft.dbforpostgresql/flexibleservers";

/// Workbook resource type of an Azure Monitor workspace.
const WORKSPACE_TYPE: &str = "microsoft.monitor/accounts";

/// The time range parameter every chart reads.
const TIME_RANGE: &str = "TimeRange";

/// Line style of the threshold lines: the style most of Microsoft's workbooks use.
const THRESHOLD_LINE_STYLE: u8 = 1;

/// Chart type of a metric item: a line chart, as Microsoft's PostgreSQL workbooks draw.
const LINE_CHART: u8 = 2;

/// One panel as the install plan draws it.
#[derive(Debug, Clone, Serialize)]
pub struct PanelSketch {
    /// Mermaid node ID.
    pub id: String,
    /// Lines of the box: title, what it charts, the threshold line.
    pub lines: Vec<String>,
    /// Whether the panel is a note in place of a chart.
    pub note: bool,
}

/// What a panel charts on this target.
struct Chart {
    title: String,
    /// The threshold line: the lowest threshold among the alerts on the signal.
    threshold: Option<f64>,
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// The panel's title and threshold: the alerts of the target on its signal that render,
/// when the chart's servers are the ones they watch (`watched`); availability has no line,
/// as its alert fires below 1, the healthy value.
fn chart(target: &Target, panel: Signal, watched: bool) -> Chart {
    let rules: Vec<&AlertRule> = target
        .alert_rules()
        .filter(|r| watched && r.signal == panel && target.unobservable(r).is_none())
        .collect();
    let threshold = rules
        .iter()
        .filter(|_| panel != Signal::DatabaseDown)
        .filter_map(|r| r.above)
        .reduce(f64::min);
    let base = title(panel, target.deployment.charted());
    let names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
    let title = match (threshold, names.is_empty()) {
        (Some(line), _) => format!(
            "{base} (line: alert {} at {})",
            names.join(", "),
            number(line)
        ),
        (None, false) => format!("{base} (alert {})", names.join(", ")),
        (None, true) => base.to_owned(),
    };
    Chart { title, threshold }
}

/// The title of a panel.
pub fn title(panel: Signal, charted: Charted) -> &'static str {
    match panel {
        // The exporter's counter, as `increase` over 5 minutes.
        Signal::Deadlocks if matches!(charted, Charted::Aks | Charted::Cnpg { .. }) => {
            "Deadlocks (per 5 min)"
        }
        Signal::DatabaseDown => "Availability (1 up, 0 down, a gap: no data)",
        Signal::CpuPercent => "CPU %",
        Signal::MemoryPercent => "Memory %",
        Signal::StoragePercent => "Storage %",
        Signal::IopsPercent => "Disk IOPS consumed %",
        Signal::Connections => "Connections",
        Signal::Deadlocks => "Deadlocks (per time grain)",
        Signal::LongestTransactionSeconds => "Oldest open transaction (s)",
        Signal::ReplicationLagSeconds => "Replica lag (s, each replica)",
        Signal::ReplicationLagBytes => "Replication lag (bytes, most lagging replica)",
        Signal::BackupAgeHours => "Hours since the last base backup",
    }
}

fn chart_settings(threshold: Option<f64>) -> Option<ChartSettings> {
    threshold.map(|line| ChartSettings {
        custom_threshold_line: Some(number(line)),
        custom_threshold_line_style: Some(THRESHOLD_LINE_STYLE),
        ..ChartSettings::default()
    })
}

/// A PromQL time chart's settings: one series per label set (`group: "*"`, an "other" group
/// past 50), as Microsoft's Prometheus Explorer workbook charts, and the threshold line.
fn promql_chart_settings(threshold: Option<f64>) -> ChartSettings {
    ChartSettings {
        group: Some("*"),
        create_other_group: Some(50),
        ..chart_settings(threshold).unwrap_or_default()
    }
}

fn server_id(resource_group: &str, name: &str) -> String {
    format!(
        "{SUBSCRIPTION_PLACEHOLDER}resourceGroups/{resource_group}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{name}"
    )
}

fn note(panel: Signal, charted: Charted, why: &str, i: usize) -> Item {
    Item::Markdown(step(
        MarkdownContent {
            json: format!("**{}**: not charted: {why}.", title(panel, charted)),
        },
        format!("panel-{}", i + 1),
        Some("50"),
    ))
}

/// Whether the server emits the metric of `panel`: an enhanced metric needs its server
/// parameter `on` in the deployed parameters.
fn server_emits(server: &Server, panel: Signal) -> Result<(), String> {
    let Some(parameter) = azure_metric_row(panel).needs_parameter else {
        return Ok(());
    };
    let on = server
        .deployed_parameters
        .iter()
        .any(|(name, value)| name == parameter && value.eq_ignore_ascii_case("on"));
    if on {
        Ok(())
    } else {
        Err(format!(
            "the server emits it only while the server parameter `{parameter}` is `on` (set it in `server.parameters`)"
        ))
    }
}

/// The servers of `emitted` in one chart, or in two when the alerts on the signal watch only
/// some of them (CPU, memory and connections alert on the primary only): the watched ones,
/// which carry the alerts' line, then the others. `true` marks the watched group.
fn chart_groups<'a>(emitted: &[&'a str], watched: &[&'a str]) -> Vec<(bool, Vec<&'a str>)> {
    let (inside, outside): (Vec<&str>, Vec<&str>) =
        emitted.iter().partition(|name| watched.contains(name));
    match (inside.is_empty(), outside.is_empty()) {
        (false, false) => vec![(true, inside), (false, outside)],
        (false, true) => vec![(true, inside)],
        (true, _) => vec![(false, outside)],
    }
}

fn azure_panel(target: &Target, server: &Server, panel: Signal, i: usize) -> Vec<Item> {
    if let Err(why) = chartable(panel, target.deployment.charted()) {
        return vec![note(panel, target.deployment.charted(), why.reason(), i)];
    }
    if let Err(why) = server_emits(server, panel) {
        return vec![note(panel, target.deployment.charted(), &why, i)];
    }
    let row = azure_metric_row(panel);
    let resource_group = target.arm_deployments.resource_group.as_str();
    let replicas: Vec<&str> = server.replicas.iter().map(|r| r.name.as_str()).collect();
    let emitted = servers_of(row.emitted_by, &server.name, &replicas);
    let alerted = target
        .alert_rules()
        .any(|r| r.signal == panel && target.unobservable(r).is_none());
    let watched = if alerted {
        servers_of(row.alert_scope, &server.name, &replicas)
    } else {
        Vec::new()
    };
    let groups = chart_groups(&emitted, &watched);
    let several = groups.len() > 1;
    groups
        .into_iter()
        .enumerate()
        .map(|(g, (is_watched, servers))| {
            let chart = chart(target, panel, is_watched);
            let (title, name) = if several {
                let whose = if servers.contains(&server.name.as_str()) {
                    "primary"
                } else {
                    "replicas"
                };
                (
                    format!("{} [{whose}]", chart.title),
                    format!("panel-{}-{}", i + 1, g + 1),
                )
            } else {
                (chart.title, format!("panel-{}", i + 1))
            };
            Item::Metric(step(
                MetricContent {
                    chart_id: format!("{}-{}-{}", server.name, panel.as_str(), g + 1),
                    version: "MetricsItem/2.0",
                    size: 0,
                    chart_type: LINE_CHART,
                    resource_type: SERVER_TYPE,
                    metric_scope: 0,
                    resource_ids: servers
                        .iter()
                        .map(|name| server_id(resource_group, name))
                        .collect(),
                    time_context_from_parameter: TIME_RANGE,
                    metrics: vec![MetricRef {
                        namespace: SERVER_TYPE,
                        metric: format!("{SERVER_TYPE}-{}-{}", row.portal_category, row.metric),
                        aggregation: row.aggregation.workbook_code(),
                    }],
                    title,
                    chart_settings: chart_settings(chart.threshold),
                },
                name,
                Some("50"),
            ))
        })
        .collect()
}

fn aks_panel(target: &Target, selectors: &Selectors, panel: Signal, i: usize) -> Item {
    let measure = chartable(panel, target.deployment.charted())
        .map_err(Unchartable::reason)
        .and_then(|()| selectors.chart(panel).ok_or("no series measures it"));
    let query_text = match measure {
        Ok(query) => query,
        Err(why) => return note(panel, target.deployment.charted(), why, i),
    };
    let workspace = target
        .env
        .alerting
        .azure_monitor_workspace
        .clone()
        .unwrap_or_default();
    // One pod: every alert watches what the chart shows.
    let chart = chart(target, panel, true);
    let query = PrometheusQuery {
        version: "PrometheusQueryProvider/1.0",
        query_text,
        kind: "query_range",
    };
    Item::Query(step(
        QueryContent {
            version: "KqlItem/1.0",
            query: serde_json::to_string(&query).expect("a query serializes"),
            size: 0,
            title: chart.title,
            query_type: 16,
            resource_type: WORKSPACE_TYPE,
            cross_component_resources: vec![format!(
                "{SUBSCRIPTION_PLACEHOLDER}resourceGroups/{}/providers/Microsoft.Monitor/accounts/{workspace}",
                target.arm_deployments.resource_group
            )],
            visualization: "timechart",
            time_context_from_parameter: TIME_RANGE,
            chart_settings: Some(promql_chart_settings(chart.threshold)),
        },
        format!("panel-{}", i + 1),
        Some("50"),
    ))
}

fn time_range() -> Item {
    const HOUR_MS: u64 = 3_600_000;
    Item::Parameters(step(
        ParametersContent {
            version: "KqlParameterItem/1.0",
            parameters: vec![Parameter {
                // A parameter's id is any unique text; a fixed one keeps the file stable.
                id: "1f0c3d52-6a52-4c55-9d8e-3b1c2f4a7e01",
                version: "KqlParameterItem/1.0",
                name: TIME_RANGE,
                label: "Time range",
                kind: 4,
                is_required: true,
                value: TimeContext {
                    duration_ms: 24 * HOUR_MS,
                },
                type_settings: TimeTypeSettings {
                    selectable_values: [1, 4, 12, 24, 72, 168, 720]
                        .into_iter()
                        .map(|h| TimeContext {
                            duration_ms: h * HOUR_MS,
                        })
                        .collect(),
                    allow_custom: true,
                },
            }],
        },
        "time-range".to_owned(),
        None,
    ))
}

/// The generated-by line of every file, which JSON can only carry as text (Markdown here).
fn generated_by(target: &Target) -> String {
    format!(
        "Generated by gen from inputs: {}. Do not edit: change the inputs and run `gen render`.",
        md_text(&target.sources().join(", "))
    )
}

fn heading(target: &Target, dashboard: &Dashboard) -> Item {
    let what = match &target.deployment {
        Deployment::FlexibleServer(server) => {
            let mut servers = vec![format!("primary `{}`", md_text(&server.name))];
            servers.extend(
                server
                    .replicas
                    .iter()
                    .map(|r| format!("replica `{}`", md_text(&r.name))),
            );
            format!("Azure Monitor metrics of {}.", servers.join(", "))
        }
        Deployment::Aks(_) | Deployment::Cnpg(_) => format!(
            "Managed Prometheus series of {} (namespace `{}`), from Azure Monitor workspace `{}`.",
            match &target.deployment {
                Deployment::Cnpg(cluster) =>
                    format!("CloudNativePG Cluster `{}`", md_text(&cluster.name)),
                _ => format!("StatefulSet `{}`", md_text(target.workload_name())),
            },
            md_text(target.namespace().unwrap_or("")),
            md_text(
                target
                    .env
                    .alerting
                    .azure_monitor_workspace
                    .as_deref()
                    .unwrap_or("")
            )
        ),
    };
    Item::Markdown(step(
        MarkdownContent {
            json: format!(
                "## {}\n{what} A chart's title names the alerts on its signal that watch the servers it shows, and their lowest threshold, which the chart draws as a line.\n\n{}",
                md_text(&dashboard.display_name),
                generated_by(target)
            ),
        },
        "heading".to_owned(),
        None,
    ))
}

/// The workbook of `target`, or `None` without a dashboard.
pub fn workbook(target: &Target) -> Option<Workbook> {
    let dashboard = target.dashboard.as_ref()?;
    let mut items = vec![heading(target, dashboard), time_range()];
    match &target.deployment {
        Deployment::FlexibleServer(server) => items.extend(
            dashboard
                .panels
                .iter()
                .enumerate()
                .flat_map(|(i, &panel)| azure_panel(target, server, panel, i)),
        ),
        Deployment::Aks(_) | Deployment::Cnpg(_) => {
            let selectors = Selectors::of_target(target).expect("a target in Kubernetes");
            items.extend(
                dashboard
                    .panels
                    .iter()
                    .enumerate()
                    .map(|(i, &panel)| aks_panel(target, &selectors, panel, i)),
            );
        }
    }
    Some(Workbook {
        version: "Notebook/1.0",
        items,
        fallback_resource_ids: Vec::new(),
        schema: "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json",
    })
}

/// The workbook file's text.
pub fn render(workbook: &Workbook) -> String {
    let mut text = serde_json::to_string_pretty(workbook).expect("a workbook serializes");
    text.push('\n');
    text
}

/// The panels of a workbook as the install plan draws them: each chart's title, what it
/// charts, and each note, read back from the workbook itself.
pub fn sketch(workbook: &Workbook) -> Vec<PanelSketch> {
    workbook
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Metric(s) => Some(PanelSketch {
                id: s.name.replace('-', "_"),
                lines: vec![
                    s.content.title.clone(),
                    format!(
                        "{} on {}",
                        s.content.metrics[0]
                            .metric
                            .rsplit('-')
                            .next()
                            .unwrap_or_default(),
                        s.content
                            .resource_ids
                            .iter()
                            .map(|id| id.rsplit('/').next().unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ],
                note: false,
            }),
            Item::Query(s) => Some(PanelSketch {
                id: s.name.replace('-', "_"),
                lines: vec![
                    s.content.title.clone(),
                    format!("PromQL of {}", series_names(&s.content.query).join(", ")),
                ],
                note: false,
            }),
            Item::Markdown(s) if s.name.starts_with("panel-") => Some(PanelSketch {
                id: s.name.replace('-', "_"),
                lines: vec![s.content.json.replace("**", "")],
                note: true,
            }),
            _ => None,
        })
        .collect()
}

/// The names of the series a PromQL step selects: each name written before a `{`.
fn series_names(query: &str) -> Vec<String> {
    let text = serde_json::from_str::<PrometheusQueryText>(query)
        .map(|q| q.query_text)
        .unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('{') {
        let name: String = text[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The text of a PromQL step's query.
#[derive(serde::Deserialize)]
struct PrometheusQueryText {
    #[serde(rename = "queryText")]
    query_text: String,
}
