//! The staged check, `gen render --check --staged`, which the pre-commit hook runs: the
//! inputs and the output folder as the next commit holds them (the git index), rendered
//! and compared in a scratch copy, so that an output left untracked or unstaged fails the
//! commit even though the work tree is up to date. The plan starts from `HEAD`'s render.

use std::path::{Path, PathBuf};

use crate::app::{self, Baseline, CheckHints, Outcome, RenderOptions};
use crate::git;
use crate::render::Files;
use crate::write::{Drift, MANIFEST};

/// Runs the staged check of `options`.
pub fn check(options: &RenderOptions) -> Outcome {
    match run(options) {
        Ok(outcome) => outcome,
        Err(message) => {
            eprintln!("gen: error: {message}");
            Outcome::Error
        }
    }
}

fn run(options: &RenderOptions) -> Result<Outcome, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("the current folder: {e}"))?;
    let top = git::top_level(&cwd).map_err(|e| format!("--staged needs a git work tree: {e}"))?;
    let relative = |path: &Path| git::relative_to_top(&top, path).map_err(|e| e.to_string());
    let (cwd_rel, inputs_rel, out_rel) = (
        relative(&cwd)?,
        relative(&options.inputs)?,
        relative(&options.out)?,
    );
    let hints = CheckHints {
        work_out: Some(std::path::absolute(&options.out).map_err(|e| e.to_string())?),
        render: Some(app::fix_command(options)),
    };
    let scratch = Scratch::new()?;
    git::export_index(&top, &[&inputs_rel, &out_rel], scratch.path()).map_err(|e| e.to_string())?;
    let in_scratch = |path: &Path, rel: &str| {
        if path.is_absolute() {
            scratch.path().join(rel)
        } else {
            path.to_path_buf()
        }
    };
    let staged = RenderOptions {
        inputs: in_scratch(&options.inputs, &inputs_rel),
        out: in_scratch(&options.out, &out_rel),
        check: true,
        staged: false,
        ..options.clone()
    };
    let baseline = Baseline::Committed {
        top: top.clone(),
        rev: options.base.clone().unwrap_or_else(|| "HEAD".to_owned()),
        out: out_rel,
    };
    // Relative paths then name the same files in the copy as in the work tree, and every
    // message shows them as the user wrote them.
    let staged_cwd = scratch.path().join(&cwd_rel);
    std::fs::create_dir_all(&staged_cwd).map_err(|e| e.to_string())?;
    std::env::set_current_dir(&staged_cwd).map_err(|e| e.to_string())?;
    let outcome = app::render_against(&staged, &baseline, &hints);
    std::env::set_current_dir(&cwd).map_err(|e| e.to_string())?;
    Ok(outcome)
}

/// The command that makes the commit hold the render: `git add` of the exact files when the
/// work tree has them as rendered, else the render first.
pub fn fix(
    options: &RenderOptions,
    hints: &CheckHints,
    work_out: &Path,
    files: &Files,
    drift: &Drift,
) -> String {
    let paths: Vec<&String> = drift
        .changed
        .iter()
        .map(|(path, _)| path)
        .chain(&drift.missing)
        .chain(&drift.orphaned)
        .collect();
    let rendered_in_work_tree = paths.iter().all(|path| {
        let on_disk = std::fs::read(work_out.join(path)).ok();
        match files.get(*path) {
            Some(bytes) => on_disk.as_ref() == Some(bytes),
            // The manifest: the work tree's is the render's when its files are.
            None if path.as_str() == MANIFEST => true,
            None => on_disk.is_none(),
        }
    });
    let add = git_add(&options.out, &paths);
    if rendered_in_work_tree {
        add
    } else {
        let render = hints
            .render
            .clone()
            .unwrap_or_else(|| app::fix_command(options));
        format!("{render} && {add}")
    }
}

/// What to do with files gen did not write that the commit holds in its folders.
pub fn foreign_advice(options: &RenderOptions, drift: &Drift) -> String {
    let paths: Vec<&String> = drift.foreign.iter().collect();
    let unstage = format!(
        "git rm --cached --quiet --{}",
        paths
            .iter()
            .map(|p| format!(" {}", in_out(&options.out, p)))
            .collect::<String>()
    );
    format!(
        "take them out of the commit ({unstage}) and keep hand-written manifests outside {}",
        options.out.display()
    )
}

fn git_add(out: &Path, paths: &[&String]) -> String {
    let mut command = "git add --all --".to_owned();
    for path in paths {
        command.push(' ');
        command.push_str(&in_out(out, path));
    }
    command
}

/// `path` (below the output folder) as the user names it, as one shell word.
fn in_out(out: &Path, path: &str) -> String {
    app::shell_word(&out.join(path).display().to_string())
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("gen-staged-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Scratch(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
