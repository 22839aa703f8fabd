//! What `gen render --check --staged` and `--base` read from git: the staged tree (what a
//! commit will hold) and the render committed at a revision. Through the `git` command, as
//! pre-commit itself does; gen never writes to the repository.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::render::Files;

/// A git command's failure, with what git said.
#[derive(Debug)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| GitError(format!("cannot run git: {e}")))?;
    // The input is written by a thread of its own: `git cat-file --batch` answers while it
    // reads, and would block on a full stdout pipe while gen blocked on a full stdin.
    let output = std::thread::scope(|scope| {
        if let Some(input) = input {
            let mut stdin = child.stdin.take().expect("stdin is piped");
            // A write error shows in git's own status.
            scope.spawn(move || {
                let _ = stdin.write_all(input);
            });
        }
        child.wait_with_output()
    })
    .map_err(|e| GitError(format!("cannot run git: {e}")))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(GitError(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// The top of the work tree that holds `dir`.
pub fn top_level(dir: &Path) -> Result<PathBuf, GitError> {
    let out = git(dir, &["rev-parse", "--show-toplevel"], None)?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim_end()))
}

/// `path` (relative to the current folder or absolute) relative to the work tree's top,
/// with `/` separators, as git names it.
pub fn relative_to_top(top: &Path, path: &Path) -> Result<String, GitError> {
    let absolute =
        std::path::absolute(path).map_err(|e| GitError(format!("{}: {e}", path.display())))?;
    let top =
        std::fs::canonicalize(top).map_err(|e| GitError(format!("{}: {e}", top.display())))?;
    // The folder may not exist yet (an output folder never rendered): canonicalize its
    // nearest existing ancestor.
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().unwrap_or_default().to_owned());
        existing = existing.parent().unwrap_or(Path::new("/"));
    }
    let mut canonical = std::fs::canonicalize(existing)
        .map_err(|e| GitError(format!("{}: {e}", existing.display())))?;
    canonical.extend(rest.iter().rev());
    let relative = canonical.strip_prefix(&top).map_err(|_| {
        GitError(format!(
            "{} is outside the git work tree {}",
            path.display(),
            top.display()
        ))
    })?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

/// Writes the staged version of every file under `folders` (paths from the top) into
/// `dest`, at the same relative paths: the tree a commit would hold.
pub fn export_index(top: &Path, folders: &[&str], dest: &Path) -> Result<(), GitError> {
    let mut args = vec!["ls-files", "-z", "--cached", "--full-name", "--"];
    args.extend(folders.iter().filter(|f| !f.is_empty()));
    let listed = git(top, &args, None)?;
    if listed.is_empty() {
        return Ok(());
    }
    let mut prefix = dest.as_os_str().to_string_lossy().into_owned();
    prefix.push('/');
    git(
        top,
        &[
            "checkout-index",
            "-z",
            "--stdin",
            &format!("--prefix={prefix}"),
        ],
        Some(&listed),
    )?;
    Ok(())
}

/// Every file under `folder` (from the top) at revision `rev`, keyed by its path below
/// `folder`. Empty when the revision does not exist yet (a first commit) or has no such
/// folder.
pub fn files_at(top: &Path, rev: &str, folder: &str) -> Result<Files, GitError> {
    if git(
        top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
        None,
    )
    .is_err()
    {
        return if rev == "HEAD" {
            Ok(Files::new())
        } else {
            Err(GitError(format!(
                "{rev} is not a commit of this repository"
            )))
        };
    }
    let listed = git(
        top,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--full-name",
            "--name-only",
            rev,
            "--",
            folder,
        ],
        None,
    )?;
    let paths: Vec<&str> = listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok())
        .collect();
    if paths.is_empty() {
        return Ok(Files::new());
    }
    let request: String = paths.iter().map(|p| format!("{rev}:{p}\n")).collect();
    let batch = git(top, &["cat-file", "--batch"], Some(request.as_bytes()))?;
    let mut files = Files::new();
    let mut rest = batch.as_slice();
    for path in paths {
        let header_end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| GitError("git cat-file: short answer".to_owned()))?;
        let header = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| GitError(format!("git cat-file: {header}")))?;
        let body = rest
            .get(header_end + 1..header_end + 1 + size)
            .ok_or_else(|| GitError("git cat-file: short answer".to_owned()))?;
        let key = path
            .strip_prefix(folder)
            .map(|p| p.trim_start_matches('/'))
            .unwrap_or(path);
        files.insert(key.to_owned(), body.to_vec());
        rest = &rest[(header_end + 2 + size).min(rest.len())..];
    }
    Ok(files)
}
