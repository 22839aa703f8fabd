//! The PromQL of each signal on an aks target, written once for the alert rules and the
//! dashboard: a chart draws the measure, an alert compares it with its threshold.
//!
//! Every label value is a PromQL string literal ([`promql_str`]) and every name a regular
//! expression quoted with [`regex_quote`], so no design string can change a selector.

use crate::model::{DATA_VOLUME, Signal, StatefulSet, Target};
use crate::quantity;
use crate::render::filters::promql_str;

/// The database container of the StatefulSet's pod.
pub const DATABASE_CONTAINER: &str = "postgresql";

/// What the expressions of one StatefulSet select and divide by.
#[derive(Debug, Clone)]
pub struct Selectors {
    /// The exporter's series: `{job=…,<namespace label>=…,<pod label>=~…}`.
    pub exporter: String,
    /// cAdvisor's series of the database container.
    pub cadvisor: String,
    /// The kubelet's series of the data claims.
    pub kubelet: String,
    /// `by (<namespace label>, <pod label>)` of the exporter's series.
    pub by_pod: String,
    /// CPU cores `cpu_percent` divides by (the limit, or the request without one).
    pub cpu_cores: f64,
    /// Memory limit in bytes.
    pub memory_bytes: u64,
}

/// Quotes every regular-expression metacharacter (RE2 `QuoteMeta`), so a name matches
/// only itself inside a PromQL `=~` matcher.
pub fn regex_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The regular expression of the StatefulSet's pod names.
pub fn pod_regex(set: &StatefulSet) -> String {
    format!("{}-[0-9]+", regex_quote(&set.name))
}

/// The regular expression of the StatefulSet's data claims.
pub fn claim_regex(set: &StatefulSet) -> String {
    format!("{DATA_VOLUME}-{}", pod_regex(set))
}

impl Selectors {
    /// The selectors of `set`, deployed by `target` (an aks target).
    pub fn of(target: &Target, set: &StatefulSet) -> Selectors {
        let aks = target.env.aks.as_ref().expect("aks environment");
        let namespace = promql_str(&aks.namespace);
        let pods = promql_str(&pod_regex(set));
        let series = aks.metrics_scrape.series(&aks.namespace, &set.name);
        // Validation guarantees every quantity parses and is positive.
        let cpu_cores = quantity::cores(set.resources.cpu_basis().quantity).unwrap_or(1.0);
        let memory_bytes = quantity::bytes(&set.resources.limits.memory).unwrap_or(1);
        Selectors {
            exporter: format!(
                "{{job={},{}={namespace},{}=~{pods}}}",
                promql_str(&series.job),
                series.namespace_label,
                series.pod_label
            ),
            cadvisor: format!(
                "{{job=\"cadvisor\",namespace={namespace},pod=~{pods},container={}}}",
                promql_str(DATABASE_CONTAINER)
            ),
            kubelet: format!(
                "{{job=\"kubelet\",namespace={namespace},persistentvolumeclaim=~{}}}",
                promql_str(&claim_regex(set))
            ),
            by_pod: format!("by ({}, {})", series.namespace_label, series.pod_label),
            cpu_cores,
            memory_bytes,
        }
    }

    /// The measure of `signal`: what a chart draws and an alert compares; `None` for a
    /// signal no series of the pod measures (disk IOPS, replication).
    pub fn measure(&self, signal: Signal) -> Option<String> {
        let Selectors {
            exporter,
            cadvisor,
            kubelet,
            by_pod,
            cpu_cores,
            memory_bytes,
        } = self;
        Some(match signal {
            Signal::DatabaseDown => format!("max {by_pod} (pg_up{exporter})"),
            Signal::CpuPercent => format!(
                "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{cadvisor}[5m])) / {cpu_cores:?} * 100"
            ),
            Signal::MemoryPercent => format!(
                "sum by (namespace, pod) (container_memory_working_set_bytes{cadvisor}) / {memory_bytes} * 100"
            ),
            Signal::StoragePercent => format!(
                "max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{kubelet}) / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{kubelet}) * 100"
            ),
            Signal::Connections => format!("sum {by_pod} (pg_stat_activity_count{exporter})"),
            Signal::LongestTransactionSeconds => {
                format!("max {by_pod} (pg_stat_activity_max_tx_duration{exporter})")
            }
            Signal::Deadlocks => {
                format!("sum {by_pod} (increase(pg_stat_database_deadlocks{exporter}[5m]))")
            }
            Signal::IopsPercent | Signal::ReplicationLagSeconds | Signal::ReplicationLagBytes => {
                return None;
            }
        })
    }

    /// What a chart of `signal` draws: the measure, but for availability, which also shows
    /// the exporter's scrape health (`up` 0 when the exporter cannot be scraped; a gap when
    /// there is no target at all).
    pub fn chart(&self, signal: Signal) -> Option<String> {
        let Selectors {
            exporter, by_pod, ..
        } = self;
        match signal {
            Signal::DatabaseDown => Some(format!(
                "{} or max {by_pod} (up{exporter})",
                self.measure(signal)?
            )),
            _ => self.measure(signal),
        }
    }

    /// The expression of an alert on `signal` above `above`: the exporter reporting the
    /// database down, the exporter not scraped, or no target at all, for `database_down`.
    pub fn alert(&self, signal: Signal, above: &str) -> Option<String> {
        let Selectors {
            exporter, by_pod, ..
        } = self;
        match signal {
            Signal::DatabaseDown => Some(format!(
                "{} == 0 or max {by_pod} (up{exporter}) == 0 or absent(up{exporter})",
                self.measure(signal)?
            )),
            _ => Some(format!("{} > {above}", self.measure(signal)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_match_names_literally() {
        assert_eq!(regex_quote("pg-a.b"), "pg-a\\.b");
        assert_eq!(regex_quote("a+(b)"), "a\\+\\(b\\)");
    }
}
