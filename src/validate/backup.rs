//! Rules of an aks target's backups (`statefulSet.backup`) and of the kubectl image that
//! takes the snapshots. Each rule is a named function with a bad-input test beside it.

use crate::diagnostics::Diagnostic;
use crate::input::{ServiceFile, StatefulSetBackup};
use crate::model::backup::MAX_SNAPSHOTS_PER_DISK;
use crate::names::printable;
use crate::path;
use crate::validate::aks::{is_dns_subdomain, is_sha256_digest};
use crate::validate::{Design, Typed};
use crate::yaml::Seg;

/// Runs every backup rule.
pub fn check_all(design: &Design, out: &mut Vec<Diagnostic>) {
    schedules_are_cron(design, out);
    keep_is_in_range(design, out);
    backup_names_are_valid(design, out);
    time_zone_is_a_name(design, out);
    kubectl_image_digest_is_sha256(design, out);
}

/// One `statefulSet.backup` section of a service, with its path.
struct BackupAt<'a> {
    service: &'a Typed<ServiceFile>,
    env: &'a str,
    backup: &'a StatefulSetBackup,
}

impl BackupAt<'_> {
    fn at(&self, rest: &[Seg], message: impl Into<String>) -> Diagnostic {
        let mut path = path!["deployments", self.env, "statefulSet", "backup"].to_vec();
        path.extend_from_slice(rest);
        self.service.at(&path, message)
    }
}

/// Every backup section of a deployment to an aks environment.
fn backups(design: &Design) -> Vec<BackupAt<'_>> {
    let mut found = Vec::new();
    for service in &design.services {
        for (env, deployment) in &service.value.deployments {
            let on_aks = design
                .environment(env)
                .is_some_and(|e| e.value.aks.is_some());
            let backup = deployment
                .stateful_set
                .as_ref()
                .and_then(|s| s.backup.as_ref());
            if let (true, Some(backup)) = (on_aks, backup) {
                found.push(BackupAt {
                    service,
                    env,
                    backup,
                });
            }
        }
    }
    found
}

/// The cron macros Kubernetes' CronJob controller accepts besides five fields
/// (robfig/cron's `ParseStandard` descriptors; `@every` is left out: it is not cron).
const CRON_MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// Each cron field: its lowest and highest value and the names it accepts (index + low), as
/// robfig/cron v3 bounds them (`spec.go`, vendored by Kubernetes for CronJobs and used by
/// CloudNativePG for ScheduledBackups): Sunday is 0 only, a 7 is "above maximum (6)".
const CRON_FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    ),
    (
        "day of week",
        0,
        6,
        &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    ),
];

/// What is wrong with a cron schedule, if anything: five fields separated by spaces
/// (minute, hour, day of month, month, day of week), each `*`, a value, a range `a-b`, with
/// an optional `/step`, or a comma list of those; or one of [`CRON_MACROS`]. A time zone
/// in the schedule (`CRON_TZ=`, `TZ=`) is refused, as the API server does: `timeZone` says it.
pub fn cron_problem(schedule: &str) -> Option<String> {
    if CRON_MACROS.contains(&schedule) {
        return None;
    }
    if let Some(c) = schedule
        .chars()
        .find(|c| *c != ' ' && !c.is_ascii_graphic())
    {
        return Some(format!(
            "{c:?} is not a space, letter, digit or one of `*,-/?`"
        ));
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!("{} fields instead of 5", fields.len()));
    }
    for (field, (what, low, high, names)) in fields.iter().zip(CRON_FIELDS) {
        let value = |text: &str| -> Option<u32> {
            let lower = text.to_ascii_lowercase();
            match names.iter().position(|n| *n == lower) {
                Some(i) => Some(i as u32 + low),
                None => text
                    .parse::<u32>()
                    .ok()
                    .filter(|v| (low..=high).contains(v)),
            }
        };
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (item, None),
            };
            if step.is_some_and(|s| s.parse::<u32>().map_or(true, |s| s == 0)) {
                return Some(format!(
                    "`{item}`: the step of the {what} is not a whole number above 0"
                ));
            }
            let ok = match range.split_once('-') {
                _ if range == "*" || (range == "?" && what.starts_with("day")) => true,
                Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                None => value(range).is_some(),
            };
            if !ok {
                return Some(format!(
                    "`{item}` is not a {what} ({low}–{high}{})",
                    if names.is_empty() { "" } else { " or a name" }
                ));
            }
        }
    }
    None
}

/// A schedule the CronJob controller cannot read makes a CronJob that never runs, and the
/// API server refuses it only when it is applied.
fn schedules_are_cron(design: &Design, out: &mut Vec<Diagnostic>) {
    for b in backups(design) {
        let schedules = [
            (
                "snapshots",
                b.backup
                    .snapshots
                    .as_ref()
                    .and_then(|s| s.schedule.as_deref()),
            ),
            (
                "dumps",
                b.backup.dumps.as_ref().and_then(|d| d.schedule.as_deref()),
            ),
        ];
        for (kind, schedule) in schedules {
            let Some(schedule) = schedule else { continue };
            if let Some(problem) = cron_problem(schedule) {
                out.push(
                    b.at(&[Seg::Key(kind.into()), Seg::Key("schedule".into())], format!("not a cron schedule: {problem}"))
                        .expected("five fields: minute hour day-of-month month day-of-week, e.g. `0 3 * * *` (daily at 03:00), or `@daily`")
                        .found(format!("`{}`", printable(schedule))),
                );
            }
        }
    }
}

/// At least one backup is kept (0 would delete the one just made), and Azure holds at most
/// [`MAX_SNAPSHOTS_PER_DISK`] incremental snapshots of a disk.
fn keep_is_in_range(design: &Design, out: &mut Vec<Diagnostic>) {
    for b in backups(design) {
        if let Some(keep) = b.backup.snapshots.as_ref().and_then(|s| s.keep)
            && !(1..=MAX_SNAPSHOTS_PER_DISK).contains(&keep)
        {
            out.push(
                b.at(path!["snapshots", "keep"], "snapshots kept out of range")
                    .expected(format!(
                        "1 to {MAX_SNAPSHOTS_PER_DISK} (Azure keeps at most {MAX_SNAPSHOTS_PER_DISK} incremental snapshots of a disk)"
                    ))
                    .found(keep.to_string()),
            );
        }
        if let Some(keep) = b.backup.dumps.as_ref().and_then(|d| d.keep)
            && keep == 0
        {
            out.push(
                b.at(path!["dumps", "keep"], "dumps kept out of range")
                    .expected("at least 1: the dump just made is kept")
                    .found("0"),
            );
        }
    }
}

/// The snapshot class and the dumps' storage class are object names the API server
/// checks; the dumps' size is a quantity it reads.
fn backup_names_are_valid(design: &Design, out: &mut Vec<Diagnostic>) {
    const SUBDOMAIN: &str = "a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`";
    for b in backups(design) {
        if let Some(class) = b
            .backup
            .snapshots
            .as_ref()
            .and_then(|s| s.snapshot_class.as_deref())
            && !is_dns_subdomain(class)
        {
            out.push(
                b.at(
                    path!["snapshots", "snapshotClass"],
                    "not a VolumeSnapshotClass name",
                )
                .expected(SUBDOMAIN)
                .found(format!("`{}`", printable(class))),
            );
        }
        let Some(dumps) = &b.backup.dumps else {
            continue;
        };
        if let Some(class) = dumps.storage.storage_class.as_deref()
            && !is_dns_subdomain(class)
        {
            out.push(
                b.at(
                    path!["dumps", "storage", "storageClass"],
                    "not a StorageClass name",
                )
                .expected(SUBDOMAIN)
                .found(format!("`{}`", printable(class))),
            );
        }
        let size = &dumps.storage.size;
        if crate::quantity::parse(size).is_none_or(|q| q <= 0.0) {
            out.push(
                b.at(
                    path!["dumps", "storage", "size"],
                    format!("`{}` is not a usable size quantity", printable(size)),
                )
                .expected("bytes with a suffix, e.g. `10Gi`")
                .found(format!("`{}`", printable(size))),
            );
        }
    }
}

/// The CronJob's `timeZone` must be a tz database name (the API server loads it); `Local`
/// is refused there. Only the syntax is checked: whether the name exists is not.
fn time_zone_is_a_name(design: &Design, out: &mut Vec<Diagnostic>) {
    for b in backups(design) {
        let Some(zone) = b.backup.time_zone.as_deref() else {
            continue;
        };
        let unusable = zone.is_empty()
            || zone.eq_ignore_ascii_case("local")
            || zone
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii());
        if unusable {
            out.push(
                b.at(path!["timeZone"], "not a time zone name")
                    .expected("an IANA name such as `Asia/Seoul` or `Etc/UTC`")
                    .found(format!("`{}`", zone.escape_debug())),
            );
        }
    }
}

/// The kubectl image's digest, like the other images', is `sha256:` and 64 hex digits.
fn kubectl_image_digest_is_sha256(design: &Design, out: &mut Vec<Diagnostic>) {
    for env in &design.environments {
        let Some(digest) = env
            .value
            .aks
            .as_ref()
            .and_then(|aks| aks.kubectl_image.as_ref())
            .and_then(|image| image.digest.as_deref())
        else {
            continue;
        };
        if !is_sha256_digest(digest) {
            out.push(
                env.at(
                    path!["aks", "kubectlImage", "digest"],
                    "not an image digest",
                )
                .expected("`sha256:` and 64 lowercase hex digits")
                .found(format!("`{}`", printable(digest))),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::validate_example_with;

    const FILE: &str = "services/bill-inquiry.yaml";
    /// The example's backup sections, which the tests edit.
    const SNAPSHOTS: &str = "        snapshots:\n";
    const DUMPS: &str = "dumps: { schedule: \"30 3 * * *\", keep: 7, storage: { size: 10Gi } }";

    /// The example with its dumps section replaced by `dumps`.
    fn with_dumps(dumps: &str) -> Vec<Diagnostic> {
        validate_example_with(FILE, DUMPS, &format!("dumps: {dumps}"))
    }

    #[test]
    fn cron_schedules_are_read_as_the_controller_reads_them() {
        for good in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0-23/2 * * mon-fri",
            "30 3 1,15 * 0",
            "0 3 ? JAN sun",
            "@daily",
        ] {
            assert_eq!(cron_problem(good), None, "{good}");
        }
        for (bad, problem) in [
            ("0 3 * *", "4 fields instead of 5"),
            ("0 3 * * * *", "6 fields instead of 5"),
            ("60 3 * * *", "`60` is not a minute"),
            ("0 24 * * *", "`24` is not a hour"),
            ("0 3 0 * *", "`0` is not a day of month"),
            ("0 3 * 13 *", "`13` is not a month"),
            ("0 3 * * 8", "`8` is not a day of week"),
            ("0 3 * * 7", "`7` is not a day of week"),
            ("0 3 * * 5-7", "`5-7` is not a day of week"),
            ("0 3 * * funday", "`funday` is not a day of week"),
            ("*/0 * * * *", "the step of the minute"),
            ("5-1 * * * *", "`5-1` is not a minute"),
            ("CRON_TZ=UTC 0 3 * * *", "6 fields instead of 5"),
            ("@every 1h", "2 fields instead of 5"),
            ("daily", "1 fields instead of 5"),
            ("0 3 * * *\n", "'\\n' is not a space"),
            ("0\t3 * * *", "'\\t' is not a space"),
        ] {
            let found = cron_problem(bad).unwrap_or_default();
            assert!(found.contains(problem), "{bad}: {found}");
        }
    }

    #[test]
    fn a_schedule_that_is_not_cron_is_refused_at_its_line() {
        let found = validate_example_with(FILE, "schedule: \"0 3 * * *\"", "schedule: \"0 3 * *\"");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("not a cron schedule: 4 fields instead of 5"),
            "{}",
            found[0]
        );
        assert!(
            found[0].location().starts_with(&format!("{FILE}:")),
            "{}",
            found[0]
        );
    }

    #[test]
    fn keeping_no_backup_or_more_snapshots_than_azure_holds_is_refused() {
        let found = validate_example_with(FILE, "keep: 7", "keep: 501");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("snapshots kept out of range"));
        let found = validate_example_with(FILE, "keep: 7", "keep: 0");
        assert_eq!(found.len(), 1, "{found:#?}");
        let found = with_dumps("{ keep: 0, storage: { size: 1Gi } }");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("dumps kept out of range"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn class_names_and_the_dump_size_are_checked() {
        let found = validate_example_with(
            FILE,
            "snapshotClass: csi-azuredisk-vsc",
            "snapshotClass: Azure_Disk",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("not a VolumeSnapshotClass name"));
        let found = with_dumps("{ storage: { size: 10 GB, storageClass: x_y } }");
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`10 GB` is not a usable size quantity",
                "not a StorageClass name"
            ],
            "{found:#?}"
        );
    }

    #[test]
    fn a_time_zone_with_spaces_or_local_is_refused() {
        for zone in ["Asia/ Seoul", "Local", "\"\""] {
            let found =
                validate_example_with(FILE, "timeZone: Asia/Seoul", &format!("timeZone: {zone}"));
            assert_eq!(found.len(), 1, "{zone}: {found:#?}");
            assert!(
                found[0].message.contains("not a time zone name"),
                "{}",
                found[0]
            );
        }
    }

    #[test]
    fn a_kubectl_image_digest_must_be_sha256() {
        let found = validate_example_with(
            "environments/dev.yaml",
            "  clients:\n",
            "  kubectlImage: { repository: registry.k8s.io/kubectl, tag: v1.35.0, digest: sha256:abc }\n  clients:\n",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].file, "environments/dev.yaml");
        assert!(
            found[0].message.contains("not an image digest"),
            "{}",
            found[0]
        );
        assert!(
            found[0].location().ends_with(":78"),
            "at the digest: {}",
            found[0]
        );
    }

    #[test]
    fn the_example_has_snapshots() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("inputs")
                .join(FILE),
        )
        .unwrap();
        assert!(
            text.contains(SNAPSHOTS) && text.contains(DUMPS),
            "the tests edit the example's backup sections"
        );
    }
}
