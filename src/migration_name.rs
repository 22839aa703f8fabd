//! Names of migration files, in Flyway's versioned convention:
//! `V<version>__<description>.psql`. A leaf module: validation checks names with it and the
//! model reads the version and description from it, without depending on each other.
//!
//! The version is digits in parts separated by `.` or `_` (`1`, `001`, `2.1`, `2_1`,
//! `2024.01.15`), compared as Flyway's `MigrationVersion` compares them: part by part as
//! whole numbers of any size, a missing part counting as zero. So `1`, `1.0` and `001` are
//! one version, and `1.10` comes after `1.9`.

use std::cmp::Ordering;
use std::fmt;

/// The schema of gen's migration history, in each database that has migrations: not a
/// schema of the design, so no role of the design is granted or searches it.
pub const HISTORY_SCHEMA: &str = "gen_history";
/// The history table in [`HISTORY_SCHEMA`]: one row per migration applied.
pub const HISTORY_TABLE: &str = "migrations";

/// What the file suffix must be: the scripts are read by psql, like the schema file.
pub const SUFFIX: &str = ".psql";

/// A migration's version: its parts as written, and compared as numbers.
#[derive(Debug, Clone)]
pub struct Version {
    /// As written in the file name (`001_2`).
    pub written: String,
    /// The parts as decimal numbers without leading zeros, trailing zero parts dropped
    /// (`001_2.0` → `["1", "2"]`): equal versions have equal parts.
    parts: Vec<String>,
}

impl Version {
    /// Reads `text`: digits in parts separated by single `.` or `_`.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = Vec::new();
        for part in text.split(['.', '_']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let trimmed = part.trim_start_matches('0');
            parts.push(if trimmed.is_empty() { "0" } else { trimmed }.to_owned());
        }
        while parts.len() > 1 && parts.last().is_some_and(|p| p == "0") {
            parts.pop();
        }
        Some(Version {
            written: text.to_owned(),
            parts,
        })
    }

    /// The version as gen records it in the history table: its parts joined by `.`
    /// (`001_2.0` → `1.2`), so that every spelling of a version is recorded the same.
    pub fn canonical(&self) -> String {
        self.parts.join(".")
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        // Without leading zeros and trailing zero parts, a longer list is a larger number
        // where the shorter ends, and a longer part a larger part.
        let part = |a: &String, b: &String| a.len().cmp(&b.len()).then_with(|| a.cmp(b));
        for (a, b) in self.parts.iter().zip(&other.parts) {
            match part(a, b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.parts.len().cmp(&other.parts.len())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.parts == other.parts
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// A migration file's name, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationName {
    /// The version.
    pub version: Version,
    /// The description as written (`add_status`).
    pub description: String,
}

impl MigrationName {
    /// The description as Flyway shows it: `_` between words read as spaces
    /// (`add_status` → `add status`).
    pub fn description_words(&self) -> String {
        self.description.replace('_', " ")
    }
}

/// Why a file name is not a versioned migration's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// Flyway's repeatable (`R__`) or undo (`U1__`) migrations, which gen does not run.
    Unsupported(&'static str),
    /// Not `V`, a version, `__`, a description and `.psql`.
    NotVersioned,
    /// The suffix is not `.psql` (Flyway's `.sql`, for instance).
    Suffix,
    /// What stands between `V` and `__` is not a version.
    Version(String),
    /// Nothing between `__` and the suffix.
    NoDescription,
}

/// Reads the file name `name` (the last part of a path).
pub fn parse(name: &str) -> Result<MigrationName, NameProblem> {
    if name.starts_with("R__") {
        return Err(NameProblem::Unsupported("repeatable"));
    }
    if name.starts_with('U') && name[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NameProblem::Unsupported("undo"));
    }
    let Some(rest) = name.strip_prefix('V') else {
        return Err(NameProblem::NotVersioned);
    };
    let Some((version, rest)) = rest.split_once("__") else {
        return Err(NameProblem::NotVersioned);
    };
    let Some(description) = rest.strip_suffix(SUFFIX) else {
        return Err(NameProblem::Suffix);
    };
    let version =
        Version::parse(version).ok_or_else(|| NameProblem::Version(version.to_owned()))?;
    if description.is_empty() {
        return Err(NameProblem::NoDescription);
    }
    Ok(MigrationName {
        version,
        description: description.to_owned(),
    })
}

/// The last part of the path `rel` (`/`-separated).
pub fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn versioned_names_are_read() {
        let name = parse("V2_1__add_status.psql").unwrap();
        assert_eq!(name.version.written, "2_1");
        assert_eq!(name.version.canonical(), "2.1");
        assert_eq!(name.description, "add_status");
        assert_eq!(name.description_words(), "add status");
        // The first `__` ends the version, as in Flyway; the description may hold more.
        assert_eq!(parse("V1__a__b.c.psql").unwrap().description, "a__b.c");
    }

    #[test]
    fn versions_compare_as_flyway_compares_them() {
        assert_eq!(version("1"), version("1.0"));
        assert_eq!(version("001"), version("1_0_0"));
        assert_eq!(version("1.0").canonical(), "1");
        assert_eq!(version("0").canonical(), "0");
        assert_eq!(version("0.0.1").canonical(), "0.0.1");
        assert!(version("1.9") < version("1.10"));
        assert!(version("1") < version("1.0.1"));
        assert!(version("2") > version("1.999"));
        assert!(version("20240115113556") > version("9"));
        assert!(version("99999999999999999999999999") < version("100000000000000000000000000"));
    }

    #[test]
    fn versions_are_digits_with_single_separators() {
        for bad in ["", "1..2", "1.", ".1", "1_", "1a", "v1", "1-2", "١"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn other_names_are_refused_with_the_reason() {
        assert_eq!(
            parse("R__views.psql"),
            Err(NameProblem::Unsupported("repeatable"))
        );
        assert_eq!(
            parse("U2__undo.psql"),
            Err(NameProblem::Unsupported("undo"))
        );
        assert_eq!(parse("init.psql"), Err(NameProblem::NotVersioned));
        assert_eq!(parse("v1__init.psql"), Err(NameProblem::NotVersioned));
        assert_eq!(parse("V1_init.psql"), Err(NameProblem::NotVersioned));
        assert_eq!(parse("V1__init.sql"), Err(NameProblem::Suffix));
        assert_eq!(
            parse("V1.x__init.psql"),
            Err(NameProblem::Version("1.x".to_owned()))
        );
        assert_eq!(
            parse("V__init.psql"),
            Err(NameProblem::Version(String::new()))
        );
        assert_eq!(parse("V1__.psql"), Err(NameProblem::NoDescription));
    }

    #[test]
    fn the_file_name_is_the_last_part() {
        assert_eq!(file_name("sql/orders/V1__a.psql"), "V1__a.psql");
        assert_eq!(file_name("V1__a.psql"), "V1__a.psql");
    }
}
