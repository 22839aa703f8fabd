//! Stage 1: find the design files, read them safely and parse them with positions.
//!
//! Everything read from the inputs folder goes through [`read_input_file`], which refuses
//! what a hostile or broken checkout could put there: files over [`MAX_FILE_BYTES`],
//! FIFOs and other non-regular files (opening a FIFO would hang the hook), paths that leave
//! the folder through `..` or a symlink, text that is not UTF-8, and NUL bytes.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::yaml::{Node, Pos};

/// Largest input file read, in bytes. Design files are a few KiB; 8 MiB leaves room for
/// large schema files while keeping memory bounded.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The kind of a design file, which decides its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `project.yaml`.
    Project,
    /// `environments/<env>.yaml`.
    Environment,
    /// `services/<service>.yaml`.
    Service,
}

/// A parsed design file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the inputs folder, with `/` separators (`services/auth.yaml`).
    pub rel: String,
    /// Path as shown in diagnostics (the inputs folder as given, joined with `rel`).
    pub display: String,
    /// Which schema applies.
    pub kind: FileKind,
    /// The parsed tree.
    pub root: Node,
}

impl SourceFile {
    /// The file name without `.yaml`, which must equal the `name` inside.
    pub fn stem(&self) -> &str {
        let name = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        name.strip_suffix(".yaml").unwrap_or(name)
    }
}

/// All design files of an inputs folder, in a stable order.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The inputs folder as given.
    pub dir: PathBuf,
    /// `project.yaml`, when it parsed.
    pub project: Option<SourceFile>,
    /// `environments/*.yaml` that parsed, by name.
    pub environments: Vec<SourceFile>,
    /// `services/*.yaml` that parsed, by name.
    pub services: Vec<SourceFile>,
    /// Names of every `environments/*.yaml` found, whether it parsed or not.
    pub environment_names: Vec<String>,
}

/// A failure to use the inputs folder at all (exit code 2), as opposed to bad contents.
#[derive(Debug)]
pub struct IoFailure(pub String);

/// Reads and parses every design file; parse problems become diagnostics.
pub fn load(dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Result<Inputs, IoFailure> {
    let meta = fs::metadata(dir).map_err(|e| {
        let start = if e.kind() == std::io::ErrorKind::NotFound {
            format!("; start one with `{}`", new_project_command(dir))
        } else {
            String::new()
        };
        IoFailure(format!(
            "cannot read inputs folder {}: {e}{start}",
            dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(IoFailure(format!("{} is not a folder", dir.display())));
    }
    let mut inputs = Inputs {
        dir: dir.to_path_buf(),
        project: None,
        environments: Vec::new(),
        services: Vec::new(),
        environment_names: Vec::new(),
    };
    inputs.project = if dir.join("project.yaml").exists() {
        parse_file(dir, "project.yaml", FileKind::Project, diagnostics)
    } else {
        diagnostics.push(missing_project(dir));
        None
    };
    for (folder, kind) in [
        ("environments", FileKind::Environment),
        ("services", FileKind::Service),
    ] {
        for rel in list_yaml_files(dir, folder, diagnostics)? {
            if kind == FileKind::Environment {
                let stem = rel
                    .trim_start_matches("environments/")
                    .trim_end_matches(".yaml");
                inputs.environment_names.push(stem.to_owned());
            }
            if let Some(file) = parse_file(dir, &rel, kind, diagnostics) {
                match kind {
                    FileKind::Environment => inputs.environments.push(file),
                    _ => inputs.services.push(file),
                }
            }
        }
    }
    Ok(inputs)
}

/// `project.yaml` is missing: the first thing a new user sees, so it names the command
/// that writes one.
fn missing_project(dir: &Path) -> Diagnostic {
    Diagnostic::new(
        display(dir, "project.yaml"),
        Pos { line: 1, column: 1 },
        "`project.yaml` does not exist",
    )
    .hint(format!(
        "every inputs folder starts with one; `{}` writes it",
        new_project_command(dir)
    ))
}

/// The `gen new project` command for the inputs folder `dir`.
fn new_project_command(dir: &Path) -> String {
    if dir == Path::new("inputs") {
        "gen new project".to_owned()
    } else {
        format!("gen new project --inputs {}", dir.display())
    }
}

/// `folder/*.yaml`, sorted; a `.yml` file there is a mistake worth an error, not silence.
fn list_yaml_files(
    dir: &Path,
    folder: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<String>, IoFailure> {
    let path = dir.join(folder);
    let entries = match fs::read_dir(&path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(IoFailure(format!("cannot list {}: {e}", path.display()))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| IoFailure(format!("cannot list {}: {e}", path.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") {
            names.push(format!("{folder}/{name}"));
        } else if name.ends_with(".yml") {
            diagnostics.push(
                Diagnostic::new(
                    display(dir, &format!("{folder}/{name}")),
                    Pos { line: 1, column: 1 },
                    "design files end in `.yaml`; this file is not read",
                )
                .hint(format!("rename it to `{}`", name.replace(".yml", ".yaml"))),
            );
        }
    }
    names.sort();
    Ok(names)
}

fn parse_file(
    dir: &Path,
    rel: &str,
    kind: FileKind,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SourceFile> {
    let display = display(dir, rel);
    let text = match read_input_file(dir, rel) {
        Ok(text) => text,
        Err(problem) => {
            diagnostics.push(problem.into_diagnostic(display));
            return None;
        }
    };
    match Node::parse(&text) {
        Ok(root) => Some(SourceFile {
            rel: rel.to_owned(),
            display,
            kind,
            root,
        }),
        Err(e) => {
            diagnostics.push(Diagnostic::new(display, e.pos, e.message).maybe_hint(e.hint));
            None
        }
    }
}

/// The path of `rel` as shown to users.
pub fn display(dir: &Path, rel: &str) -> String {
    let dir = dir.to_string_lossy();
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Why a file could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct FileProblem {
    /// Where in the file, when the problem is inside it (bad UTF-8).
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl FileProblem {
    fn new(message: impl Into<String>, hint: Option<&str>) -> FileProblem {
        FileProblem {
            pos: Pos { line: 1, column: 1 },
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }

    /// The problem reported at the file itself.
    pub fn into_diagnostic(self, display: String) -> Diagnostic {
        Diagnostic::new(display, self.pos, self.message).maybe_hint(self.hint)
    }
}

/// The path, relative to the inputs folder, of `reference` as written in the input file
/// `file_rel`: references are relative to the folder of the file that makes them.
pub fn resolve_beside(file_rel: &str, reference: &str) -> Result<String, FileProblem> {
    match file_rel.rsplit_once('/') {
        Some((folder, _)) => normalize_inside(&format!("{folder}/{reference}")),
        None => normalize_inside(reference),
    }
}

/// Joins `rel` (relative to the inputs folder, `/`-separated) onto `dir`, refusing any path
/// that is absolute or climbs out with `..`.
pub fn normalize_inside(rel: &str) -> Result<String, FileProblem> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(rel).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(FileProblem::new(
                        format!("`{rel}` leaves the inputs folder"),
                        Some("referenced files must live inside the inputs folder"),
                    ));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(FileProblem::new(
                    format!("`{rel}` is an absolute path"),
                    Some("write the path relative to the file that refers to it"),
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(FileProblem::new(format!("`{rel}` names no file"), None));
    }
    Ok(parts.join("/"))
}

/// Whether `rel` could resolve outside `dir`: one of its components is a symlink, `..` or
/// not a plain name. Only such paths are resolved in full, since resolving costs a
/// `readlink` for every component of the absolute path, for every file.
fn may_lead_out(dir: &Path, rel: &str) -> bool {
    let mut path = dir.to_path_buf();
    Path::new(rel).components().any(|component| {
        let Component::Normal(part) = component else {
            return true;
        };
        path.push(part);
        fs::symlink_metadata(&path).map_or(true, |meta| meta.file_type().is_symlink())
    })
}

/// The real path of `path` (`rel` in `dir`), refused when it lies outside the real `dir`.
fn resolve_inside(dir: &Path, path: &Path, rel: &str) -> Result<PathBuf, FileProblem> {
    let root = fs::canonicalize(dir)
        .map_err(|e| FileProblem::new(format!("cannot resolve the inputs folder: {e}"), None))?;
    let real = fs::canonicalize(path)
        .map_err(|e| FileProblem::new(format!("cannot resolve `{rel}`: {e}"), None))?;
    if !real.starts_with(&root) {
        return Err(FileProblem::new(
            format!("`{rel}` is a symlink that leads out of the inputs folder"),
            Some("copy the file into the inputs folder instead of linking to it"),
        ));
    }
    Ok(real)
}

/// Reads `rel` inside `dir` as UTF-8 text, with every safety check of this module.
pub fn read_input_file(dir: &Path, rel: &str) -> Result<String, FileProblem> {
    let path = dir.join(rel);
    let meta = fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FileProblem::new(format!("`{rel}` does not exist"), None),
        _ => FileProblem::new(format!("cannot read `{rel}`: {e}"), None),
    })?;
    if !meta.is_file() {
        return Err(FileProblem::new(
            format!("`{rel}` is not a regular file"),
            Some("inputs are plain files; directories, FIFOs and devices are refused"),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(FileProblem::new(
            format!(
                "`{rel}` is {} bytes, over the {} byte limit",
                meta.len(),
                MAX_FILE_BYTES
            ),
            Some("design and schema files are small; split or trim this one"),
        ));
    }
    let real = if may_lead_out(dir, rel) {
        resolve_inside(dir, &path, rel)?
    } else {
        path
    };
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(&real)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| FileProblem::new(format!("cannot read `{rel}`: {e}"), None))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileProblem::new(
            format!("`{rel}` grew over the {MAX_FILE_BYTES} byte limit while read"),
            None,
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        FileProblem {
            pos: position_after(std::str::from_utf8(valid).unwrap_or_default()),
            message: format!("`{rel}` is not valid UTF-8"),
            hint: Some("save the file as UTF-8".to_owned()),
        }
    })?;
    refuse_nul_byte(rel, &text)?;
    Ok(text)
}

/// A NUL byte is refused where it is: PostgreSQL cannot store one in text, psql would send
/// a script only up to it, and none of the other outputs can carry it. (Inside YAML it can
/// also be written as the escape `"\0"`, which the YAML reader refuses.)
fn refuse_nul_byte(rel: &str, text: &str) -> Result<(), FileProblem> {
    match text.find('\0') {
        None => Ok(()),
        Some(at) => Err(FileProblem {
            pos: position_after(&text[..at]),
            message: format!("`{rel}` holds a NUL byte"),
            hint: Some("remove it; no input can carry one into PostgreSQL".to_owned()),
        }),
    }
}

/// The position just after `prefix`, the text of a file before some point in it.
pub(crate) fn position_after(prefix: &str) -> Pos {
    let line = prefix.matches('\n').count() + 1;
    let column = prefix
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    Pos { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_paths_inside() {
        assert_eq!(
            normalize_inside("services/../sql/a.psql").unwrap(),
            "sql/a.psql"
        );
        assert!(normalize_inside("../x").is_err());
        assert!(normalize_inside("sql/../../x").is_err());
        assert!(normalize_inside("/etc/passwd").is_err());
    }

    #[test]
    fn refuses_a_nul_byte_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.psql"), "-- 한글\nSELECT 1\0;\n").unwrap();
        let problem = read_input_file(dir.path(), "a.psql").unwrap_err();
        assert_eq!(problem.pos, Pos { line: 2, column: 9 });
        assert!(problem.message.contains("NUL"), "{}", problem.message);
    }

    #[test]
    fn reports_bad_utf8_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.psql"), b"ok\nab\xffcd").unwrap();
        let problem = read_input_file(dir.path(), "a.psql").unwrap_err();
        assert_eq!(problem.pos, Pos { line: 2, column: 3 });
    }

    #[test]
    fn refuses_a_folder_symlink_that_leads_out() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("a.psql"), "select 1;").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("sql")).unwrap();
        let problem = read_input_file(dir.path(), "sql/a.psql").unwrap_err();
        assert!(problem.message.contains("leads out"), "{}", problem.message);
    }

    #[test]
    fn refuses_a_path_that_climbs_out() {
        let parent = tempfile::tempdir().unwrap();
        fs::create_dir(parent.path().join("inputs")).unwrap();
        fs::write(parent.path().join("secret.psql"), "select 1;").unwrap();
        let problem = read_input_file(&parent.path().join("inputs"), "../secret.psql").unwrap_err();
        assert!(problem.message.contains("leads out"), "{}", problem.message);
    }

    #[test]
    fn follows_a_symlink_that_stays_inside() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sql")).unwrap();
        fs::write(dir.path().join("sql/a.psql"), "select 1;").unwrap();
        std::os::unix::fs::symlink("sql", dir.path().join("link")).unwrap();
        assert_eq!(
            read_input_file(dir.path(), "link/a.psql").unwrap(),
            "select 1;"
        );
    }

    #[test]
    fn refuses_directories() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("d")).unwrap();
        assert!(
            read_input_file(dir.path(), "d")
                .unwrap_err()
                .message
                .contains("regular")
        );
    }
}
