//! The drills of the install plan (`_drills_azure.md.j2`, `_drills_aks.md.j2`) and the
//! dashboard's sketch (`_dashboard.md.j2`): what each exercise costs, its commands, and what
//! to expect.

use serde::Serialize;

use crate::model::{Deployment, Target, drill_server_name};
use crate::render::dashboard::{self, PanelSketch};

/// The query both sides of a restore drill run: one line `schema.table|rows` per table of
/// the database, in name order, so that `diff` of the two outputs shows any table whose
/// count differs. `query_to_xml` counts each table without a function of gen's on the server;
/// the order is byte order (`COLLATE "C"`), the same on servers of different collations.
pub const ROW_COUNTS_SQL: &str = "SELECT pg_catalog.format('%I.%I', table_schema, table_name) || '|' || (pg_catalog.xpath('/row/c/text()', pg_catalog.query_to_xml(pg_catalog.format('SELECT pg_catalog.count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY pg_catalog.format('%I.%I', table_schema, table_name) COLLATE \"C\"";

/// The dashboard as the install plan shows it.
#[derive(Debug, Serialize)]
pub(super) struct DashboardView {
    name: String,
    file: &'static str,
    panels: Vec<PanelSketch>,
}

/// What the drills' commands name.
#[derive(Debug, Serialize)]
pub(super) struct DrillsView {
    row_counts_sql: &'static str,
    /// The point-in-time restore drill's scratch server (azure-flexible-server).
    drill_server: Option<String>,
    /// Replicas in another region than the primary: each can be promoted, one way.
    geo_replicas: Vec<String>,
}

/// The dashboard of `target`, drawn from its workbook.
pub(super) fn dashboard(target: &Target) -> Option<DashboardView> {
    let workbook = dashboard::workbook(target)?;
    Some(DashboardView {
        name: target.dashboard.as_ref()?.display_name.clone(),
        file: dashboard::FILE_NAME,
        panels: dashboard::sketch(&workbook),
    })
}

/// The drills of `target`.
pub(super) fn view(target: &Target) -> DrillsView {
    match &target.deployment {
        Deployment::FlexibleServer(server) => DrillsView {
            row_counts_sql: ROW_COUNTS_SQL,
            drill_server: Some(drill_server_name(&server.name)),
            geo_replicas: server
                .replicas
                .iter()
                .filter(|r| r.other_region)
                .map(|r| r.name.clone())
                .collect(),
        },
        Deployment::Aks(_) => DrillsView {
            row_counts_sql: ROW_COUNTS_SQL,
            drill_server: None,
            geo_replicas: Vec::new(),
        },
    }
}
