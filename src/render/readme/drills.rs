//! The drills of the install plan (`_drills_azure.md.j2`, `_drills_aks.md.j2`) and the
//! dashboard's sketch (`_dashboard.md.j2`): what each exercise costs, its commands, and what
//! to expect.

use serde::Serialize;

use crate::model::{Deployment, Target, drill_server_name};
use crate::render::dashboard::{self, PanelSketch};

/// The script both sides of a restore drill run, one line: one output line `schema.table|rows`
/// per permanent table of the database (a partitioned table once, with its partitions' rows;
/// unlogged tables left out, as a restore empties them), in byte order (`COLLATE "C"`, the
/// same on servers of different collations), so that `diff` of two runs shows any table whose
/// count differs. It reads `pg_class`, not `information_schema` (which hides tables the user
/// has no privilege on): a table the user cannot read stops the script with an error instead
/// of dropping out of both sides. `query_to_xml` counts each table without a function of gen's
/// on the server; `lock_timeout` makes it fail rather than queue behind DDL.
pub const ROW_COUNTS_SQL: &str = "SET lock_timeout = '5s'; SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) || '|' || (pg_catalog.xpath('/row/c/text()', pg_catalog.query_to_xml(pg_catalog.format('SELECT pg_catalog.count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY pg_catalog.format('%I.%I', n.nspname, c.relname) COLLATE \"C\"";

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
        Deployment::Aks(_) | Deployment::Cnpg(_) => DrillsView {
            row_counts_sql: ROW_COUNTS_SQL,
            drill_server: None,
            geo_replicas: Vec::new(),
        },
    }
}
