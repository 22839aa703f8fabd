//! The PromQL of each signal on an aks or cnpg target, written once for the alert rules and
//! the dashboard: a chart draws the measure, an alert compares it with its threshold.
//!
//! Every label value is a PromQL string literal ([`promql_str`]) and every name a regular
//! expression quoted with [`regex_quote`], so no design string can change a selector.

use crate::model::cnpg::Cluster;
use crate::model::cnpg_facts::BACKUP_TIMESTAMP_METRIC;
use crate::model::{DATA_VOLUME, Signal, StatefulSet, Target};
use crate::quantity;
use crate::render::filters::promql_str;

/// The database container of the StatefulSet's pod.
pub const DATABASE_CONTAINER: &str = "postgresql";

/// The database container of a CloudNativePG instance pod (pkg/specs/pods.go
/// `PostgresContainerName`).
pub const CNPG_CONTAINER: &str = "postgres";

/// Which exporter's metric names the series carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exporter {
    /// postgres_exporter, the aks StatefulSet's sidecar (`pg_*`).
    PostgresExporter,
    /// The instance manager's exporter of CloudNativePG (`cnpg_*`, from the operator's
    /// default queries, config/manager/default-monitoring.yaml at v1.30.0).
    Cnpg,
}

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
    /// Whose metric names to use.
    pub names: Exporter,
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
            names: Exporter::PostgresExporter,
        }
    }

    /// The selectors of the CloudNativePG `cluster`, deployed by `target` (a cnpg target).
    /// Its PodMonitor is named like the cluster, so `job` is `<namespace>/<cluster>`; the data
    /// claims are `<cluster>-<n>` and the WAL claims `<cluster>-<n>-wal`.
    pub fn of_cluster(target: &Target, cluster: &Cluster) -> Selectors {
        let cnpg = target.env.cnpg.as_ref().expect("cnpg environment");
        let namespace = promql_str(&cnpg.namespace);
        let pod_regex = format!("{}-[0-9]+", regex_quote(&cluster.name));
        let pods = promql_str(&pod_regex);
        let cpu_cores = quantity::cores(cluster.resources.cpu_basis().quantity).unwrap_or(1.0);
        let memory_bytes = quantity::bytes(&cluster.resources.limits.memory).unwrap_or(1);
        Selectors {
            exporter: format!(
                "{{job={},namespace={namespace},pod=~{pods}}}",
                promql_str(&format!("{}/{}", cnpg.namespace, cluster.name)),
            ),
            cadvisor: format!(
                "{{job=\"cadvisor\",namespace={namespace},pod=~{pods},container={}}}",
                promql_str(CNPG_CONTAINER)
            ),
            kubelet: format!(
                "{{job=\"kubelet\",namespace={namespace},persistentvolumeclaim=~{}}}",
                promql_str(&format!("{pod_regex}(-wal)?"))
            ),
            by_pod: "by (namespace, pod)".to_owned(),
            cpu_cores,
            memory_bytes,
            names: Exporter::Cnpg,
        }
    }

    /// The selectors of whatever `target` deploys in Kubernetes; `None` on Azure.
    pub fn of_target(target: &Target) -> Option<Selectors> {
        match &target.deployment {
            crate::model::Deployment::Aks(set) => Some(Selectors::of(target, set)),
            crate::model::Deployment::Cnpg(cluster) => Some(Selectors::of_cluster(target, cluster)),
            crate::model::Deployment::FlexibleServer(_) => None,
        }
    }

    /// The measure of `signal`: what a chart draws and an alert compares; `None` for a
    /// signal no series of the pod measures (disk IOPS, replication).
    pub fn measure(&self, signal: Signal) -> Option<String> {
        let Selectors {
            exporter,
            by_pod,
            names,
            ..
        } = self;
        if *names == Exporter::Cnpg {
            return self.measure_cnpg(signal);
        }
        Some(match signal {
            Signal::DatabaseDown => format!("max {by_pod} (pg_up{exporter})"),
            Signal::CpuPercent | Signal::MemoryPercent | Signal::StoragePercent => {
                return self.measure_kubelet(signal);
            }
            Signal::Connections => format!("sum {by_pod} (pg_stat_activity_count{exporter})"),
            Signal::LongestTransactionSeconds => {
                format!("max {by_pod} (pg_stat_activity_max_tx_duration{exporter})")
            }
            Signal::Deadlocks => {
                format!("sum {by_pod} (increase(pg_stat_database_deadlocks{exporter}[5m]))")
            }
            Signal::IopsPercent
            | Signal::ReplicationLagSeconds
            | Signal::ReplicationLagBytes
            | Signal::BackupAgeHours => {
                return None;
            }
        })
    }

    /// The measures of the CloudNativePG exporter: `cnpg_collector_up`, the `backends`,
    /// `pg_stat_database`, `pg_replication` (on each standby) and `pg_stat_replication` (on
    /// the primary, per standby) queries.
    fn measure_cnpg(&self, signal: Signal) -> Option<String> {
        let Selectors {
            exporter, by_pod, ..
        } = self;
        Some(match signal {
            Signal::DatabaseDown => format!("max {by_pod} (cnpg_collector_up{exporter})"),
            Signal::Connections => format!("sum {by_pod} (cnpg_backends_total{exporter})"),
            Signal::LongestTransactionSeconds => {
                format!("max {by_pod} (cnpg_backends_max_tx_duration_seconds{exporter})")
            }
            Signal::Deadlocks => {
                format!("sum {by_pod} (increase(cnpg_pg_stat_database_deadlocks{exporter}[5m]))")
            }
            Signal::ReplicationLagSeconds => {
                format!("max {by_pod} (cnpg_pg_replication_lag{exporter})")
            }
            Signal::ReplicationLagBytes => {
                format!("max by (namespace) (cnpg_pg_stat_replication_replay_diff_bytes{exporter})")
            }
            // The plugin's metric, on every instance (its sidecar reads the object store's
            // status): the newest of them. Without any backup it is 0, so the age is huge.
            Signal::BackupAgeHours => format!(
                "(time() - max by (namespace) ({BACKUP_TIMESTAMP_METRIC}{exporter})) / 3600"
            ),
            Signal::IopsPercent => return None,
            Signal::CpuPercent | Signal::MemoryPercent | Signal::StoragePercent => {
                return self.measure_kubelet(signal);
            }
        })
    }

    /// CPU, memory and storage: cAdvisor's and the kubelet's series, the same on aks and
    /// cnpg.
    fn measure_kubelet(&self, signal: Signal) -> Option<String> {
        let Selectors {
            cadvisor,
            kubelet,
            cpu_cores,
            memory_bytes,
            ..
        } = self;
        Some(match signal {
            Signal::CpuPercent => format!(
                "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{cadvisor}[5m])) / {cpu_cores:?} * 100"
            ),
            Signal::MemoryPercent => format!(
                "sum by (namespace, pod) (container_memory_working_set_bytes{cadvisor}) / {memory_bytes} * 100"
            ),
            Signal::StoragePercent => format!(
                "max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{kubelet}) / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{kubelet}) * 100"
            ),
            _ => return None,
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
