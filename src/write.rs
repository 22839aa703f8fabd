//! Stage 5: the one writer of the output folder, and the check that compares it.
//!
//! gen owns exactly the files listed in the output folder's manifest (`.gen-manifest`).
//! A run builds the complete new tree in a sibling staging folder (new files written,
//! everything else hard-linked from the old tree) and then swaps the two folders with one
//! `renameat2(RENAME_EXCHANGE)`, so an interrupted or failed run leaves the old tree
//! exactly as it was, and readers never see a mix. Files gen did not generate are carried
//! over untouched (same inode); files it generated before and no longer generates are
//! dropped.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::render::Files;

/// The manifest of generated files, at the top of the output folder.
pub const MANIFEST: &str = ".gen-manifest";

const MANIFEST_HEADER: &str = "# Files under this folder that gen generated and owns; gen removes them when it no longer renders them.\n";

/// Which part of the output folder a run renders: all of it, or some environments and
/// services (`--env`, `--service`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Environments rendered; empty means all.
    pub envs: Vec<String>,
    /// Services rendered; empty means all.
    pub services: Vec<String>,
}

impl Scope {
    /// Whether `path` (`env/service/...`) belongs to this run.
    pub fn contains(&self, path: &str) -> bool {
        let mut parts = path.split('/');
        let env = parts.next().unwrap_or_default();
        let service = parts.next().unwrap_or_default();
        (self.envs.is_empty() || self.envs.iter().any(|e| e == env))
            && (self.services.is_empty() || self.services.iter().any(|s| s == service))
    }
}

/// How the output folder differs from a render.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Drift {
    /// Files whose contents differ, with a unified diff.
    pub changed: Vec<(String, String)>,
    /// Files rendered but not on disk.
    pub missing: Vec<String>,
    /// Files gen generated before, in scope, no longer rendered.
    pub orphaned: Vec<String>,
    /// Files gen never wrote, in a folder it owns (`<env>/<service>/kubernetes/`, ...).
    pub foreign: Vec<String>,
}

impl Drift {
    /// Whether the output folder is up to date.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.orphaned.is_empty()
            && self.foreign.is_empty()
    }
}

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Written {
    /// Files written with new contents (changed or new).
    pub updated: usize,
    /// Files removed because they are no longer rendered.
    pub removed: usize,
    /// Files rendered in all.
    pub rendered: usize,
}

/// Reads the manifest of `out`; an output folder without one owns nothing.
pub fn read_manifest(out: &Path) -> io::Result<BTreeSet<String>> {
    Ok(parse_manifest(read_manifest_text(out)?.as_deref()))
}

/// The manifest file's text, `None` when there is none.
fn read_manifest_text(out: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(out.join(MANIFEST)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn parse_manifest(text: Option<&str>) -> BTreeSet<String> {
    text.unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn manifest_text(paths: &BTreeSet<String>) -> String {
    let mut text = MANIFEST_HEADER.to_owned();
    for path in paths {
        text.push_str(path);
        text.push('\n');
    }
    text
}

/// The manifest after this run: what it renders, plus what earlier runs generated outside
/// its scope.
fn next_manifest(old: &BTreeSet<String>, files: &Files, scope: &Scope) -> BTreeSet<String> {
    old.iter()
        .filter(|p| !scope.contains(p))
        .cloned()
        .chain(files.keys().cloned())
        .collect()
}

/// Compares the output folder with a render; writes nothing.
pub fn check(out: &Path, files: &Files, scope: &Scope) -> io::Result<Drift> {
    check_against(out, files, scope, &read_manifest(out)?)
}

/// How one rendered file differs from the one on disk.
enum Difference {
    /// Changed, with a unified diff.
    Changed(String),
    /// Not on disk.
    Missing,
}

/// Compares each rendered file with the one on disk, the cores sharing the files as they
/// share writing them (a read per file; on one core, 3% of a 1,000-target `--check`).
/// Returns the differences in path order, or the failure first in path order: every file is
/// compared, so which one that is does not depend on the threads.
fn compare_on_every_core<'f>(
    out: &Path,
    files: &'f Files,
) -> io::Result<Vec<(&'f String, Difference)>> {
    let files: Vec<(&String, &Vec<u8>)> = files.iter().collect();
    let found = crate::jobs::on_every_core(
        files.len(),
        |i, found: &mut Vec<(usize, io::Result<Difference>)>| {
            let (path, new) = files[i];
            let outcome = match fs::read(out.join(path)) {
                Ok(old) if &old == new => return,
                Ok(old) => Ok(Difference::Changed(unified_diff(path, &old, new))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Difference::Missing),
                Err(e) => Err(e),
            };
            found.push((i, outcome));
        },
        Vec::new,
    );
    let mut found: Vec<(usize, io::Result<Difference>)> = found.into_iter().flatten().collect();
    found.sort_unstable_by_key(|(i, _)| *i);
    found
        .into_iter()
        .map(|(i, outcome)| outcome.map(|difference| (files[i].0, difference)))
        .collect()
}

fn check_against(
    out: &Path,
    files: &Files,
    scope: &Scope,
    manifest: &BTreeSet<String>,
) -> io::Result<Drift> {
    let mut drift = Drift::default();
    for (path, difference) in compare_on_every_core(out, files)? {
        match difference {
            Difference::Changed(diff) => drift.changed.push((path.clone(), diff)),
            Difference::Missing => drift.missing.push(path.clone()),
        }
    }
    drift.orphaned = manifest
        .iter()
        .filter(|p| scope.contains(p) && !files.contains_key(*p) && out.join(p).exists())
        .cloned()
        .collect();
    drift.foreign = foreign_files(out, files, scope, manifest)?;
    Ok(drift)
}

/// The manifest's change when `files` are written, as `(path, diff)` like a changed file's;
/// `None` when the manifest already lists exactly what it would.
pub fn manifest_drift(
    out: &Path,
    files: &Files,
    scope: &Scope,
) -> io::Result<Option<(String, String)>> {
    let current = read_manifest_text(out)?.unwrap_or_default();
    let next = manifest_text(&next_manifest(
        &parse_manifest(Some(&current)),
        files,
        scope,
    ));
    Ok((current != next).then(|| {
        (
            MANIFEST.to_owned(),
            unified_diff(MANIFEST, current.as_bytes(), next.as_bytes()),
        )
    }))
}

/// The previous render in scope, for the plan: its files that differ from `files` (changed,
/// or no longer rendered) and its targets, read from the output folder as gen left it
/// (nothing when the folder holds no render of gen).
pub fn previous_render(
    out: &Path,
    files: &Files,
    scope: &Scope,
) -> io::Result<crate::plan::Previous> {
    let manifest: Vec<String> = read_manifest(out)?
        .into_iter()
        .filter(|p| scope.contains(p))
        .collect();
    let found = crate::jobs::on_every_core(
        manifest.len(),
        |i, found: &mut Vec<io::Result<(String, Vec<u8>)>>| {
            let path = &manifest[i];
            match fs::read(out.join(path)) {
                Ok(old) if files.get(path) == Some(&old) => {}
                Ok(old) => found.push(Ok((path.clone(), old))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => found.push(Err(e)),
            }
        },
        Vec::new,
    );
    Ok(crate::plan::Previous {
        files: found.into_iter().flatten().collect::<io::Result<Files>>()?,
        paths: manifest.into_iter().collect(),
    })
}

/// The folder of a target that `path` lies directly in, when it is one below the target's
/// own (`dev/svc/kubernetes` of `dev/svc/kubernetes/x.yaml`).
fn target_subfolder(path: &str) -> Option<&str> {
    let (parent, _) = path.rsplit_once('/')?;
    (parent.matches('/').count() >= 2).then_some(parent)
}

/// Files in scope that gen never wrote (neither rendered now nor in the manifest) in a folder
/// it renders into: `kubectl apply -f kubernetes/` or a deployment of `bicep/` would take them
/// with gen's, while `gen render` only carries them over.
fn foreign_files(
    out: &Path,
    files: &Files,
    scope: &Scope,
    manifest: &BTreeSet<String>,
) -> io::Result<Vec<String>> {
    let owned: BTreeSet<&str> = files.keys().filter_map(|p| target_subfolder(p)).collect();
    let mut foreign: Vec<String> = old_files(out)?
        .into_iter()
        .filter(|p| scope.contains(p) && !files.contains_key(p) && !manifest.contains(p))
        .filter(|p| target_subfolder(p).is_some_and(|dir| owned.contains(dir)))
        .collect();
    foreign.sort();
    Ok(foreign)
}

/// A unified diff of one file, old → new.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// A path in the old tree that gen did not generate but a render wants to write.
#[derive(Debug)]
pub struct Conflict(pub String);

/// Why a write failed.
#[derive(Debug)]
pub enum WriteError {
    /// The file system refused.
    Io(io::Error),
    /// A rendered path is taken by a file gen did not generate.
    Conflict(Conflict),
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> WriteError {
        WriteError::Io(e)
    }
}

/// Why `out` cannot be the output folder of a render of `inputs`, if it cannot. A write
/// builds the whole new tree beside `out` and swaps the two folders, and a check reports
/// every file gen does not own as foreign, so the output needs a folder of its own: not
/// the inputs folder, inside it or holding it, not a repository root (a folder holding
/// `.git`), and not the current directory (which cannot be swapped: `Device or resource
/// busy`).
pub fn out_folder_problem(inputs: &Path, out: &Path) -> Option<String> {
    let out_real = resolved(out)?;
    let inputs_real = resolved(inputs);
    let current = std::env::current_dir()
        .ok()
        .and_then(|d| fs::canonicalize(d).ok());
    let relation = match &inputs_real {
        Some(inputs) if *inputs == out_real => "is the inputs folder",
        Some(inputs) if out_real.starts_with(inputs) => "is inside the inputs folder",
        Some(inputs) if inputs.starts_with(&out_real) => "holds the inputs folder",
        _ if out_real.join(".git").exists() => "is a repository root (it holds `.git`)",
        _ if current.as_ref() == Some(&out_real) => "is the current directory",
        _ => return None,
    };
    Some(format!(
        "the output folder {} {relation}; gen rebuilds the output folder as a whole and swaps \
         it in, so it needs a folder of its own, outside the inputs and below the repository \
         root, such as `--out out` (nothing was written)",
        out.display()
    ))
}

/// `path` made absolute with symlinks resolved, also when its last components do not
/// exist yet: the longest existing prefix is resolved and the rest appended.
fn resolved(path: &Path) -> Option<PathBuf> {
    let mut absolute = PathBuf::new();
    for component in std::path::absolute(path).ok()?.components() {
        match component {
            std::path::Component::ParentDir => {
                absolute.pop();
            }
            std::path::Component::CurDir => {}
            other => absolute.push(other),
        }
    }
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    while fs::symlink_metadata(existing).is_err() {
        missing.push(existing.file_name()?);
        existing = existing.parent()?;
    }
    let mut real = fs::canonicalize(existing).ok()?;
    real.extend(missing.iter().rev());
    Some(real)
}

/// Replaces the output folder's generated files with `files`, atomically.
pub fn write(out: &Path, files: &Files, scope: &Scope) -> Result<Written, WriteError> {
    let old_manifest_text = read_manifest_text(out)?;
    let old_manifest = parse_manifest(old_manifest_text.as_deref());
    let manifest = next_manifest(&old_manifest, files, scope);
    let drift = if is_missing(out)? {
        // A first render: no need to look for each file on disk.
        Drift {
            missing: files.keys().cloned().collect(),
            ..Drift::default()
        }
    } else {
        check_against(out, files, scope, &old_manifest)?
    };
    let mut written = Written {
        rendered: files.len(),
        ..Written::default()
    };
    let (parent, name) = split_out(out)?;
    // Killed runs leave their staging folder beside `out`; whoever runs next clears it.
    remove_stale_staging(&parent, &name);
    let manifest_current = old_manifest_text == Some(manifest_text(&manifest));
    if drift.is_empty() && manifest_current {
        return Ok(written);
    }
    written.updated = drift.changed.len() + drift.missing.len();
    written.removed = drift.orphaned.len();

    fs::create_dir_all(&parent)?;
    let staging = parent.join(format!(".{name}.gen-staging-{}", std::process::id()));
    let result = build_staging(out, &staging, files, &old_manifest, &manifest)
        .and_then(|()| swap_in(&staging, out));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.map(|()| written)
}

fn is_missing(path: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn split_out(out: &Path) -> io::Result<(PathBuf, String)> {
    let absolute = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()?.join(out)
    };
    let name = absolute
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the output folder needs a name",
            )
        })?
        .to_string_lossy()
        .into_owned();
    let parent = absolute
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    Ok((parent, name))
}

/// Staging folders of runs that were killed are garbage; drop them, but not one whose
/// process is still running (a concurrent run owns it).
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}.gen-staging-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let pid: Option<i32> = rest.split('.').next().and_then(|p| p.parse().ok());
        let alive = pid.is_some_and(|pid| pid != std::process::id() as i32 && process_alive(pid));
        if !alive {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[allow(unsafe_code, reason = "kill(2) has no safe wrapper in std")]
fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Every file of the old tree, relative, with `/` separators.
fn old_files(out: &Path) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    if out.is_dir() {
        walk(out, "", &mut found)?;
    }
    Ok(found)
}

fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &rel, found)?;
        } else {
            found.push(rel);
        }
    }
    Ok(())
}

fn build_staging(
    out: &Path,
    staging: &Path,
    files: &Files,
    old_manifest: &BTreeSet<String>,
    manifest: &BTreeSet<String>,
) -> Result<(), WriteError> {
    fs::create_dir(staging)?;
    let mut kept: BTreeMap<String, PathBuf> = BTreeMap::new();
    for rel in old_files(out)? {
        if rel == MANIFEST {
            continue;
        }
        let generated = old_manifest.contains(&rel);
        if files.contains_key(&rel) {
            if !generated {
                return Err(WriteError::Conflict(Conflict(rel)));
            }
            continue;
        }
        // Foreign files always stay; generated ones stay only when still owned (outside
        // this run's scope).
        if !generated || manifest.contains(&rel) {
            kept.insert(rel.clone(), out.join(&rel));
        }
    }
    let mut folders = Folders::default();
    for (rel, source) in kept {
        let target = staging.join(&rel);
        folders.create_parent(&target)?;
        carry_over(&source, &target)?;
    }
    for rel in files.keys() {
        folders.create_parent(&staging.join(rel))?;
    }
    write_on_every_core(staging, files)?;
    fs::write(staging.join(MANIFEST), manifest_text(manifest))?;
    Ok(())
}

/// Writes every rendered file into the staging tree (whose folders exist), the cores
/// sharing the files: creating a file is a system call that waits on the kernel, and one
/// thread alone spent a tenth of a 1,000-target render on it. Returns the first failure.
fn write_on_every_core(staging: &Path, files: &Files) -> io::Result<()> {
    let files: Vec<(&String, &Vec<u8>)> = files.iter().collect();
    let failures = crate::jobs::on_every_core(
        files.len(),
        |i, failure: &mut Option<io::Error>| {
            if failure.is_none() {
                let (rel, bytes) = files[i];
                *failure = fs::write(staging.join(rel), bytes).err();
            }
        },
        || None,
    );
    failures.into_iter().flatten().next().map_or(Ok(()), Err)
}

/// The folders created in the staging tree so far: each is created once, not once per
/// file in it (a `mkdir` and a `stat` saved per file). Kept as bytes: every path here is
/// built the same way, and comparing `Path`s component by component cost 2% of a large render.
#[derive(Default)]
struct Folders(HashSet<OsString>);

impl Folders {
    fn create_parent(&mut self, path: &Path) -> io::Result<()> {
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        if !self.0.contains(parent.as_os_str()) {
            fs::create_dir_all(parent)?;
            self.0.insert(parent.as_os_str().to_owned());
        }
        Ok(())
    }
}

/// Moves a file into the new tree without touching it: a hard link (same inode), a copied
/// symlink, or, across file systems, a copy.
fn carry_over(source: &Path, target: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(source)?;
    if meta.file_type().is_symlink() {
        return std::os::unix::fs::symlink(fs::read_link(source)?, target);
    }
    fs::hard_link(source, target).or_else(|_| fs::copy(source, target).map(|_| ()))
}

/// Puts `staging` in place of `out` in one step and removes the old tree.
fn swap_in(staging: &Path, out: &Path) -> Result<(), WriteError> {
    if fs::symlink_metadata(out).is_err() {
        fs::rename(staging, out)?;
        return Ok(());
    }
    if exchange(staging, out).is_err() {
        // Not every file system can exchange; fall back to two renames, which leaves a
        // short window where `out` is missing (never a mix of trees).
        let aside = staging.with_extension("old");
        fs::rename(out, &aside)?;
        fs::rename(staging, out)?;
        let _ = fs::remove_dir_all(aside);
        return Ok(());
    }
    // `staging` now holds the old tree.
    fs::remove_dir_all(staging)?;
    Ok(())
}

#[allow(unsafe_code, reason = "renameat2(2) has no safe wrapper in std")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_folder_is_a_folder_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = dir.path().join("inputs");
        fs::create_dir_all(inputs.join("services")).unwrap();
        fs::create_dir(dir.path().join(".git")).unwrap();
        let problem = |out: &Path| out_folder_problem(&inputs, out).unwrap_or_default();
        assert!(problem(&inputs).contains("is the inputs folder"));
        assert!(problem(&inputs.join("services/../.")).contains("is the inputs folder"));
        assert!(problem(&inputs.join("services")).contains("is inside the inputs folder"));
        assert!(problem(&inputs.join("new/deeper")).contains("is inside the inputs folder"));
        assert!(problem(dir.path()).contains("holds the inputs folder"));
        let elsewhere = tempfile::tempdir().unwrap();
        let repository = elsewhere.path().join("repo");
        fs::create_dir_all(repository.join(".git")).unwrap();
        assert!(problem(&repository).contains("is a repository root"));
        assert_eq!(out_folder_problem(&inputs, &dir.path().join("out")), None);
        assert_eq!(out_folder_problem(&inputs, &repository.join("out")), None);
        assert_eq!(
            out_folder_problem(&inputs, &dir.path().join("outputs")),
            None
        );
    }

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn writes_then_reports_no_drift() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let new = files(&[("dev/a/sql/01.psql", "x\n")]);
        write(&out, &new, &Scope::default()).unwrap();
        assert!(check(&out, &new, &Scope::default()).unwrap().is_empty());
        assert_eq!(
            fs::read_to_string(out.join("dev/a/sql/01.psql")).unwrap(),
            "x\n"
        );
    }

    #[test]
    fn removes_what_it_no_longer_generates_and_keeps_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        write(
            &out,
            &files(&[("dev/a/x", "1"), ("dev/b/y", "2")]),
            &Scope::default(),
        )
        .unwrap();
        fs::write(out.join("dev/notes.txt"), "mine").unwrap();
        let inode_before =
            std::os::unix::fs::MetadataExt::ino(&fs::metadata(out.join("dev/notes.txt")).unwrap());
        let written = write(&out, &files(&[("dev/a/x", "1")]), &Scope::default()).unwrap();
        assert_eq!(written.removed, 1);
        assert!(!out.join("dev/b/y").exists());
        let inode_after =
            std::os::unix::fs::MetadataExt::ino(&fs::metadata(out.join("dev/notes.txt")).unwrap());
        assert_eq!(
            inode_before, inode_after,
            "a foreign file is carried over, not rewritten"
        );
    }

    #[test]
    fn a_scoped_run_keeps_other_targets() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        write(
            &out,
            &files(&[("dev/a/x", "1"), ("prod/a/x", "2")]),
            &Scope::default(),
        )
        .unwrap();
        let scope = Scope {
            envs: vec!["dev".into()],
            services: vec![],
        };
        write(&out, &files(&[("dev/a/x", "3")]), &scope).unwrap();
        assert_eq!(fs::read_to_string(out.join("prod/a/x")).unwrap(), "2");
        assert!(read_manifest(&out).unwrap().contains("prod/a/x"));
    }

    #[test]
    fn parallel_writing_reports_a_file_it_could_not_write() {
        let staging = tempfile::tempdir().unwrap();
        let many: Vec<(String, &str)> = (0..50).map(|i| (format!("f{i:02}"), "x")).collect();
        let mut entries: Vec<(&str, &str)> = many.iter().map(|(p, c)| (p.as_str(), *c)).collect();
        entries.push(("no-such-folder/f", "y"));
        let error = write_on_every_core(staging.path(), &files(&entries)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        entries.pop();
        write_on_every_core(staging.path(), &files(&entries)).unwrap();
        assert_eq!(fs::read_dir(staging.path()).unwrap().count(), 50);
    }

    #[test]
    fn refuses_to_overwrite_a_foreign_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("dev/a")).unwrap();
        fs::write(out.join("dev/a/x"), "mine").unwrap();
        let e = write(&out, &files(&[("dev/a/x", "1")]), &Scope::default()).unwrap_err();
        assert!(matches!(e, WriteError::Conflict(Conflict(p)) if p == "dev/a/x"));
        assert_eq!(fs::read_to_string(out.join("dev/a/x")).unwrap(), "mine");
    }

    #[test]
    fn check_lists_changed_missing_and_orphaned() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        write(
            &out,
            &files(&[("dev/a/x", "1\n"), ("dev/a/y", "2\n")]),
            &Scope::default(),
        )
        .unwrap();
        let drift = check(
            &out,
            &files(&[("dev/a/x", "3\n"), ("dev/a/z", "4\n")]),
            &Scope::default(),
        )
        .unwrap();
        assert_eq!(drift.changed.len(), 1);
        assert!(
            drift.changed[0].1.contains("-1\n+3\n"),
            "{}",
            drift.changed[0].1
        );
        assert_eq!(drift.missing, vec!["dev/a/z".to_owned()]);
        assert_eq!(drift.orphaned, vec!["dev/a/y".to_owned()]);
    }

    #[test]
    fn check_reports_files_gen_never_wrote_in_its_folders() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let rendered = files(&[
            ("dev/a/kubernetes/10-x.yaml", "x\n"),
            ("dev/a/README.md", "r\n"),
        ]);
        write(&out, &rendered, &Scope::default()).unwrap();
        for stray in [
            "dev/a/kubernetes/99-stray.yaml",
            "dev/a/notes.md",
            "dev/a/mine/y.yaml",
        ] {
            std::fs::create_dir_all(out.join(stray).parent().unwrap()).unwrap();
            std::fs::write(out.join(stray), "z\n").unwrap();
        }
        let drift = check(&out, &rendered, &Scope::default()).unwrap();
        // Only the one in a folder gen renders into; the target's own folder and a folder of
        // the user's are theirs.
        assert_eq!(
            drift.foreign,
            vec!["dev/a/kubernetes/99-stray.yaml".to_owned()]
        );
        assert!(!drift.is_empty());
        // Out of scope, it is not this run's business.
        let scope = Scope {
            envs: vec!["prod".to_owned()],
            services: Vec::new(),
        };
        assert!(
            check(&out, &BTreeMap::new(), &scope)
                .unwrap()
                .foreign
                .is_empty()
        );
    }

    #[test]
    fn parallel_comparison_reports_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..300).map(|i| format!("f{i:03}")).collect();
        // Every third file differs, every seventh is missing.
        let mut rendered = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if i % 7 != 0 {
                let on_disk = if i % 3 == 0 { "old\n" } else { "same\n" };
                fs::write(dir.path().join(name), on_disk).unwrap();
            }
            rendered.push((name.as_str(), if i % 3 == 0 { "new\n" } else { "same\n" }));
        }
        let drift = check_against(
            dir.path(),
            &files(&rendered),
            &Scope::default(),
            &BTreeSet::new(),
        )
        .unwrap();
        let expected = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
            (0..300)
                .filter(|i| keep(*i))
                .map(|i| names[i].clone())
                .collect()
        };
        let changed: Vec<String> = drift.changed.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(changed, expected(&|i| i % 3 == 0 && i % 7 != 0));
        assert_eq!(drift.missing, expected(&|i| i % 7 == 0));
        assert!(
            drift
                .changed
                .iter()
                .all(|(_, d)| d.contains("-old\n+new\n"))
        );
    }

    #[test]
    fn parallel_comparison_fails_with_the_first_failure_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..100).map(|i| format!("f{i:03}")).collect();
        for name in &names {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        // Reading `f040` fails with EISDIR; reading `fNNN/x` fails with ENOTDIR.
        fs::remove_file(dir.path().join("f040")).unwrap();
        fs::create_dir(dir.path().join("f040")).unwrap();
        let compare = |extra: &str| {
            let mut rendered: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x")).collect();
            rendered.push((extra, "x"));
            compare_on_every_core(dir.path(), &files(&rendered))
                .err()
                .unwrap()
                .kind()
        };
        assert_eq!(compare("f090/x"), io::ErrorKind::IsADirectory);
        assert_eq!(compare("f030/x"), io::ErrorKind::NotADirectory);
    }
}
