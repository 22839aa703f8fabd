//! The typed structures of an Azure Workbook (`serializedData`), as Microsoft's
//! `schema/workbook.json` (microsoft/Application-Insights-Workbooks) describes its items:
//! markdown (type 1), parameters (type 9), queries (type 3) and metrics (type 10). Only the
//! fields gen writes are here; serde writes them in this order.

use serde::Serialize;

/// The root of a workbook (`Notebook/1.0`).
#[derive(Debug, Serialize)]
pub struct Workbook {
    pub(super) version: &'static str,
    pub(super) items: Vec<Item>,
    #[serde(rename = "fallbackResourceIds")]
    pub(super) fallback_resource_ids: Vec<String>,
    #[serde(rename = "$schema")]
    pub(super) schema: &'static str,
}

/// One step of a workbook.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Item {
    /// Text (type 1).
    Markdown(Step<1, MarkdownContent>),
    /// Parameters (type 9).
    Parameters(Step<9, ParametersContent>),
    /// A query (type 3): PromQL against an Azure Monitor workspace here.
    Query(Step<3, QueryContent>),
    /// Azure Monitor metrics (type 10).
    Metric(Step<10, MetricContent>),
}

/// A step: its type number, content and name.
#[derive(Debug, Serialize)]
pub struct Step<const TYPE: u8, C> {
    #[serde(rename = "type")]
    pub(super) kind: u8,
    pub(super) content: C,
    pub(super) name: String,
    #[serde(rename = "customWidth", skip_serializing_if = "Option::is_none")]
    pub(super) custom_width: Option<&'static str>,
}

pub(super) fn step<const TYPE: u8, C>(
    content: C,
    name: String,
    width: Option<&'static str>,
) -> Step<TYPE, C> {
    Step {
        kind: TYPE,
        content,
        name,
        custom_width: width,
    }
}

/// Text of a markdown step.
#[derive(Debug, Serialize)]
pub struct MarkdownContent {
    pub(super) json: String,
}

/// The parameters step: the time range.
#[derive(Debug, Serialize)]
pub struct ParametersContent {
    pub(super) version: &'static str,
    pub(super) parameters: Vec<Parameter>,
}

/// A time range parameter (type 4).
#[derive(Debug, Serialize)]
pub struct Parameter {
    pub(super) id: &'static str,
    pub(super) version: &'static str,
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: u8,
    #[serde(rename = "isRequired")]
    pub(super) is_required: bool,
    pub(super) value: TimeContext,
    #[serde(rename = "typeSettings")]
    pub(super) type_settings: TimeTypeSettings,
}

/// Which time ranges the picker offers.
#[derive(Debug, Serialize)]
pub struct TimeTypeSettings {
    #[serde(rename = "selectableValues")]
    pub(super) selectable_values: Vec<TimeContext>,
    #[serde(rename = "allowCustom")]
    pub(super) allow_custom: bool,
}

/// A time range, in milliseconds.
#[derive(Debug, Serialize)]
pub struct TimeContext {
    #[serde(rename = "durationMs")]
    pub(super) duration_ms: u64,
}

/// A PromQL query step.
#[derive(Debug, Serialize)]
pub struct QueryContent {
    pub(super) version: &'static str,
    pub(super) query: String,
    pub(super) size: u8,
    pub(super) title: String,
    #[serde(rename = "queryType")]
    pub(super) query_type: u8,
    #[serde(rename = "resourceType")]
    pub(super) resource_type: &'static str,
    #[serde(rename = "crossComponentResources")]
    pub(super) cross_component_resources: Vec<String>,
    pub(super) visualization: &'static str,
    #[serde(rename = "timeContextFromParameter")]
    pub(super) time_context_from_parameter: &'static str,
    #[serde(rename = "chartSettings", skip_serializing_if = "Option::is_none")]
    pub(super) chart_settings: Option<ChartSettings>,
}

/// The query of a PromQL step, stored as JSON text in `query`.
#[derive(Debug, Serialize)]
pub struct PrometheusQuery {
    pub(super) version: &'static str,
    #[serde(rename = "queryText")]
    pub(super) query_text: String,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

/// A metrics step.
#[derive(Debug, Serialize)]
pub struct MetricContent {
    #[serde(rename = "chartId")]
    pub(super) chart_id: String,
    pub(super) version: &'static str,
    pub(super) size: u8,
    #[serde(rename = "chartType")]
    pub(super) chart_type: u8,
    #[serde(rename = "resourceType")]
    pub(super) resource_type: &'static str,
    #[serde(rename = "metricScope")]
    pub(super) metric_scope: u8,
    #[serde(rename = "resourceIds")]
    pub(super) resource_ids: Vec<String>,
    #[serde(rename = "timeContextFromParameter")]
    pub(super) time_context_from_parameter: &'static str,
    pub(super) metrics: Vec<MetricRef>,
    pub(super) title: String,
    #[serde(rename = "chartSettings", skip_serializing_if = "Option::is_none")]
    pub(super) chart_settings: Option<ChartSettings>,
}

/// One metric of a metrics step.
#[derive(Debug, Serialize)]
pub struct MetricRef {
    pub(super) namespace: &'static str,
    /// The portal's metric id: `<namespace>-<category>-<metric>`.
    pub(super) metric: String,
    pub(super) aggregation: u8,
}

/// Chart settings: the alert's threshold as a line, and a PromQL chart's series grouping.
#[derive(Debug, Default, Serialize)]
pub struct ChartSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) group: Option<&'static str>,
    #[serde(rename = "createOtherGroup", skip_serializing_if = "Option::is_none")]
    pub(super) create_other_group: Option<u32>,
    #[serde(
        rename = "customThresholdLine",
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) custom_threshold_line: Option<String>,
    #[serde(
        rename = "customThresholdLineStyle",
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) custom_threshold_line_style: Option<u8>,
}
