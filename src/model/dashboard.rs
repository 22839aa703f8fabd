//! The dashboard of a target: an Azure Workbook whose panels are signals of the alert
//! vocabulary, so that an alert's threshold can be drawn on the chart of its signal.

use crate::input;
use crate::model::Signal;

/// A target's workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// Name shown in the Azure portal.
    pub display_name: String,
    /// Panels in the order shown.
    pub panels: Vec<Signal>,
}

/// Every panel, in the default order: the seed's list (availability, CPU, memory, storage,
/// IOPS, connections, deadlocks, slow queries as the oldest open transaction), then
/// replication.
pub const PANEL_ORDER: [Signal; 10] = [
    Signal::DatabaseDown,
    Signal::CpuPercent,
    Signal::MemoryPercent,
    Signal::StoragePercent,
    Signal::IopsPercent,
    Signal::Connections,
    Signal::Deadlocks,
    Signal::LongestTransactionSeconds,
    Signal::ReplicationLagSeconds,
    Signal::ReplicationLagBytes,
];

/// Where a target runs, as far as its charts are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charted {
    /// An aks StatefulSet: one pod, series from the exporter, cAdvisor and the kubelet.
    Aks,
    /// A CloudNativePG cluster, with or without replicas; series from the operator's
    /// exporter, cAdvisor and the kubelet.
    Cnpg {
        /// Whether the cluster has more than one instance.
        replicas: bool,
    },
    /// A Flexible Server, with or without read replicas.
    FlexibleServer {
        /// Whether the server has read replicas.
        replicas: bool,
    },
}

/// Why a panel cannot be drawn on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchartable {
    /// No series of the pod measures it (disk IOPS: the kubelet exports a volume's bytes
    /// and inodes only; replication: the StatefulSet runs one pod).
    NoSeriesOnAks,
    /// Replication lag on a server without read replicas.
    NoReplicas,
    /// Disk IOPS on cnpg: the kubelet exports a volume's bytes and inodes only.
    NoIopsOnCnpg,
    /// Replication lag on a cnpg cluster of one instance.
    SingleInstance,
}

impl Unchartable {
    /// The reason, for messages.
    pub fn reason(self) -> &'static str {
        match self {
            Unchartable::NoSeriesOnAks => {
                "on aks no series measures it (the kubelet exports a volume's bytes and inodes, not its IOPS; the StatefulSet runs a single pod, with no replica to lag)"
            }
            Unchartable::NoReplicas => "the server has no read replicas",
            Unchartable::NoIopsOnCnpg => {
                "on cnpg no series measures it (the kubelet exports a volume's bytes and inodes, not its IOPS)"
            }
            Unchartable::SingleInstance => {
                "the cluster has a single instance, with no replica to lag"
            }
        }
    }
}

/// Whether `panel` can be drawn where `charted` runs.
pub fn chartable(panel: Signal, charted: Charted) -> Result<(), Unchartable> {
    let replication = matches!(
        panel,
        Signal::ReplicationLagSeconds | Signal::ReplicationLagBytes
    );
    match charted {
        Charted::Aks if replication || panel == Signal::IopsPercent => {
            Err(Unchartable::NoSeriesOnAks)
        }
        Charted::FlexibleServer { replicas: false } if replication => Err(Unchartable::NoReplicas),
        Charted::Cnpg { .. } if panel == Signal::IopsPercent => Err(Unchartable::NoIopsOnCnpg),
        Charted::Cnpg { replicas: false } if replication => Err(Unchartable::SingleInstance),
        _ => Ok(()),
    }
}

/// The default name of a target's workbook.
pub fn default_display_name(project: &str, service: &str, env: &str) -> String {
    format!("{project} {service} ({env}) PostgreSQL")
}

/// Whether a deployment has a dashboard: unless the design sets `enabled: false`.
pub fn enabled(dashboard: Option<&input::Dashboard>) -> bool {
    dashboard.and_then(|d| d.enabled) != Some(false)
}

/// The dashboard of a deployment, or `None` when the design turns it off. Without a list
/// of panels, every panel the target can chart, in [`PANEL_ORDER`].
pub fn build(
    dashboard: Option<&input::Dashboard>,
    charted: Charted,
    project: &str,
    service: &str,
    env: &str,
) -> Option<Dashboard> {
    if !enabled(dashboard) {
        return None;
    }
    let default = input::Dashboard::default();
    let dashboard = dashboard.unwrap_or(&default);
    let panels = match &dashboard.panels {
        Some(panels) => panels.iter().map(|&p| Signal::from(p)).collect(),
        None => PANEL_ORDER
            .into_iter()
            .filter(|&p| chartable(p, charted).is_ok())
            .collect(),
    };
    Some(Dashboard {
        display_name: dashboard
            .name
            .clone()
            .unwrap_or_else(|| default_display_name(project, service, env)),
        panels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_panels_are_what_the_target_can_chart() {
        let aks = build(None, Charted::Aks, "p", "s", "dev").unwrap();
        assert_eq!(
            aks.panels,
            [
                Signal::DatabaseDown,
                Signal::CpuPercent,
                Signal::MemoryPercent,
                Signal::StoragePercent,
                Signal::Connections,
                Signal::Deadlocks,
                Signal::LongestTransactionSeconds
            ]
        );
        assert_eq!(aks.display_name, "p s (dev) PostgreSQL");
        let lone = build(
            None,
            Charted::FlexibleServer { replicas: false },
            "p",
            "s",
            "e",
        );
        assert_eq!(lone.unwrap().panels.len(), 8);
        let replicated = build(
            None,
            Charted::FlexibleServer { replicas: true },
            "p",
            "s",
            "e",
        );
        assert_eq!(replicated.unwrap().panels, PANEL_ORDER);
    }

    #[test]
    fn a_dashboard_turned_off_is_none() {
        let off = input::Dashboard {
            enabled: Some(false),
            ..Default::default()
        };
        assert_eq!(build(Some(&off), Charted::Aks, "p", "s", "e"), None);
    }
}
