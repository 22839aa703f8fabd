//! The commands: the pipeline stages wired together, with exit codes and printing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::day_two;
use crate::diagnostics::Diagnostic;
use crate::load::{self, FileKind};
use crate::model::{self, Model};
use crate::plan::{self, Item};
use crate::render::{self, Templates};
use crate::schema::{SCHEMA_FILES, schema_text};
use crate::validate::{self, Design};
use crate::write::{self, Scope, WriteError};

/// The command that brings the output folder up to date, named by `--check`.
pub const RENDER_COMMAND: &str = "gen render";

/// How a command ended: 0 success, 1 problems found (invalid inputs or stale output),
/// 2 gen could not do its work (usage, I/O).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1.
    Failure,
    /// Exit 2.
    Error,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            Outcome::Error => 2,
        })
    }
}

/// How problems and drift are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text on stderr.
    Human,
    /// One JSON object per problem or changed file on stdout.
    Json,
}

/// Options of `gen render`.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Inputs folder.
    pub inputs: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Only these environments (all when empty).
    pub envs: Vec<String>,
    /// Only these services (all when empty).
    pub services: Vec<String>,
    /// Compare instead of writing.
    pub check: bool,
    /// Output format.
    pub format: Format,
    /// Plan effects `--check` accepts (`--allow`); the others of
    /// [`plan::Effect::needs_acknowledgement`] fail it.
    pub allow: Vec<plan::Effect>,
    /// Check the staged tree (`--staged`, the pre-commit hook) instead of the work tree.
    pub staged: bool,
    /// The revision whose committed render the plan starts from (`--base`); by default the
    /// output folder (or, with `--staged`, `HEAD`).
    pub base: Option<String>,
}

/// Prints one line on stderr in a single write. Stderr is unbuffered and `eprintln!` writes
/// each piece of its format on its own, so lines of hooks running side by side could mix.
fn say(line: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

fn error(message: impl std::fmt::Display) -> Outcome {
    say(format_args!("gen: error: {message}"));
    Outcome::Error
}

/// Prints each diagnostic: on stderr for people, as JSON lines on stdout for machines.
fn print_each(diagnostics: &[Diagnostic], format: Format) {
    match format {
        Format::Human => {
            let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let mut err = std::io::stderr().lock();
            for d in diagnostics {
                if terminal {
                    let _ = writeln!(err, "{}", crate::diagnostics::for_terminal(d));
                } else {
                    let _ = writeln!(err, "{d}");
                }
            }
        }
        Format::Json => {
            let mut out = std::io::stdout().lock();
            for d in diagnostics {
                let _ = writeln!(out, "{}", d.to_json());
            }
        }
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic], format: Format) {
    print_each(diagnostics, format);
    if format == Format::Human {
        say(format_args!(
            "gen: {} problem(s) found; nothing was written",
            diagnostics.len()
        ));
    }
}

/// Warns about the changes from the previous render under `out` that the SQL scripts
/// refuse or only half make on a live database (see [`day_two`]).
/// Returns how many there were.
fn print_day_two_warnings(out: &Path, design: &Design, model: &Model, format: Format) -> usize {
    let warnings = day_two::warnings(out, design, model);
    print_each(&warnings, format);
    warnings.len()
}

/// Loads, validates and builds the model; problems are printed.
fn load_model(inputs: &Path, format: Format) -> Result<(Design, Model), Outcome> {
    let mut diagnostics = Vec::new();
    let loaded = load::load(inputs, &mut diagnostics).map_err(|e| error(e.0))?;
    match validate::validate(loaded, diagnostics) {
        Ok(design) => {
            let model = model::build(&design);
            Ok((design, model))
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, format);
            Err(Outcome::Failure)
        }
    }
}

/// Loads, validates and renders an inputs folder in memory (for tests and benchmarks).
pub fn render_folder(inputs: &Path) -> Result<render::Files, String> {
    let mut diagnostics = Vec::new();
    let loaded = load::load(inputs, &mut diagnostics).map_err(|e| e.0)?;
    let design = validate::validate(loaded, diagnostics).map_err(|d| {
        d.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    render::render(&model::build(&design), &Templates::new()).map_err(|e| e.0)
}

/// `gen validate`: the inputs, then the changes from the previous render under `out`.
pub fn validate(inputs: &Path, out: &Path, format: Format) -> Outcome {
    match load_model(inputs, format) {
        Ok((design, model)) => {
            let warnings = print_day_two_warnings(out, &design, &model, format);
            if format == Format::Human {
                let warned = match warnings {
                    0 => String::new(),
                    n => format!(", {n} warning(s) about changes from {}", out.display()),
                };
                say(format_args!(
                    "gen: {} is valid ({} targets{warned})",
                    inputs.display(),
                    model.targets.len()
                ));
            }
            Outcome::Success
        }
        Err(outcome) => outcome,
    }
}

/// Keeps only the targets the options select; an unknown name is a usage error.
fn select(model: &mut Model, options: &RenderOptions) -> Result<Scope, Outcome> {
    for (names, what, known) in [
        (
            &options.envs,
            "environment",
            model
                .targets
                .iter()
                .map(|t| t.env.name.clone())
                .collect::<Vec<_>>(),
        ),
        (
            &options.services,
            "service",
            model
                .targets
                .iter()
                .map(|t| t.service.name.clone())
                .collect(),
        ),
    ] {
        for name in names {
            if !known.contains(name) {
                let hint = crate::diagnostics::nearest(name, known.iter().map(String::as_str))
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                return Err(error(format!("no target has {what} `{name}`{hint}")));
            }
        }
    }
    model.targets.retain(|t| {
        (options.envs.is_empty() || options.envs.contains(&t.env.name))
            && (options.services.is_empty() || options.services.contains(&t.service.name))
    });
    Ok(Scope {
        envs: options.envs.clone(),
        services: options.services.clone(),
    })
}

/// Where the plan's previous render comes from.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// The output folder, as the last `gen render` left it.
    OutputFolder,
    /// The output folder as committed at `rev`, in the git work tree `top` (the folder is
    /// `out` below it).
    Committed {
        /// Top of the work tree.
        top: PathBuf,
        /// Revision.
        rev: String,
        /// The output folder, from the top.
        out: String,
    },
}

/// `gen render` and `gen render --check` (`--staged`: of the staged tree).
pub fn render(options: &RenderOptions) -> Outcome {
    if options.staged {
        return crate::staged::check(options);
    }
    let baseline = match &options.base {
        None => Baseline::OutputFolder,
        Some(rev) => match committed_baseline(&options.out, rev) {
            Ok(baseline) => baseline,
            Err(e) => return error(e),
        },
    };
    render_against(options, &baseline, &CheckHints::default())
}

/// The baseline of `--base REV` for the output folder `out`.
pub fn committed_baseline(out: &Path, rev: &str) -> Result<Baseline, crate::git::GitError> {
    let top = crate::git::top_level(Path::new("."))?;
    let out = crate::git::relative_to_top(&top, out)?;
    Ok(Baseline::Committed {
        top,
        rev: rev.to_owned(),
        out,
    })
}

/// What the staged check adds to `--check`, which runs on a copy of the staged tree.
#[derive(Debug, Clone, Default)]
pub struct CheckHints {
    /// The output folder in the work tree (absolute), whose files tell whether `git add`
    /// alone fixes the drift.
    pub work_out: Option<PathBuf>,
    /// The render command, as the user runs it where they are.
    pub render: Option<String>,
}

/// `gen render` (or `--check`) of `options`, with the plan from `baseline`.
pub fn render_against(options: &RenderOptions, baseline: &Baseline, hints: &CheckHints) -> Outcome {
    if let Some(problem) = write::out_folder_problem(&options.inputs, &options.out) {
        return error(problem);
    }
    let templates = Templates::new();
    let (design, mut model) = match load_model(&options.inputs, options.format) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    let scope = match select(&mut model, options) {
        Ok(scope) => scope,
        Err(outcome) => return outcome,
    };
    // Before the write replaces the previous render: afterwards the change is no longer
    // visible.
    let _ = print_day_two_warnings(&options.out, &design, &model, options.format);
    let files = match render::render(&model, &templates) {
        Ok(files) => files,
        Err(e) => return error(e.0),
    };
    for note in render::alerts::notes(&model)
        .into_iter()
        .chain(render::kubernetes::notes(&model))
    {
        say(format_args!("gen: note: {note}"));
    }
    let items = match previous_render(options, baseline, &files, &scope) {
        Ok(previous) => plan::plan(&previous, &files),
        Err(e) => return error(e),
    };
    print_plan(&items, options.format);
    if options.check {
        return check(options, &files, &scope, &items, hints);
    }
    match write::write(&options.out, &files, &scope) {
        Ok(written) => {
            say(format_args!(
                "gen: rendered {} files for {} targets into {} ({} updated, {} removed)",
                written.rendered,
                model.targets.len(),
                options.out.display(),
                written.updated,
                written.removed
            ));
            Outcome::Success
        }
        Err(WriteError::Conflict(conflict)) => error(format!(
            "{} exists but gen did not generate it; move it away and render again (nothing was written)",
            options.out.join(conflict.0).display()
        )),
        Err(WriteError::Io(e)) => error(format!(
            "cannot write {}: {e} (the output folder is unchanged)",
            options.out.display()
        )),
    }
}

/// The previous render's files that the plan compares with `files`.
fn previous_render(
    options: &RenderOptions,
    baseline: &Baseline,
    files: &render::Files,
    scope: &Scope,
) -> Result<plan::Previous, String> {
    match baseline {
        Baseline::OutputFolder => write::previous_render(&options.out, files, scope)
            .map_err(|e| format!("cannot read {}: {e}", options.out.display())),
        Baseline::Committed { top, rev, out } => crate::git::files_at(top, rev, out)
            .map(|committed| {
                plan::Previous::whole(
                    committed
                        .into_iter()
                        .filter(|(path, _)| scope.contains(path) && path != write::MANIFEST)
                        .collect(),
                )
            })
            .map_err(|e| e.to_string()),
    }
}

/// The plan: human lines grouped by target on stdout, or one JSON object per item.
fn print_plan(items: &[Item], format: Format) {
    if items.is_empty() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if format == Format::Json {
        for item in items {
            let _ = writeln!(stdout, "{}", item.to_json());
        }
        return;
    }
    let counts: Vec<String> = plan::Effect::ALL
        .iter()
        .filter_map(|effect| {
            let n = items.iter().filter(|i| i.effect == *effect).count();
            (n > 0).then(|| format!("{n} {}", effect.as_str()))
        })
        .collect();
    let _ = writeln!(stdout, "Plan: {} ({})", items.len(), counts.join(", "));
    let mut target = "";
    for item in items {
        if item.target != target {
            target = &item.target;
            let _ = writeln!(stdout, "{target}");
        }
        let _ = writeln!(stdout, "  {}", item.human_line());
    }
    let _ = writeln!(stdout);
}

/// The plan's items that `--check` refuses: effects that need a person, not `--allow`ed.
fn unacknowledged<'i>(items: &'i [Item], allow: &[plan::Effect]) -> Vec<&'i Item> {
    items
        .iter()
        .filter(|i| i.effect.needs_acknowledgement() && !allow.contains(&i.effect))
        .collect()
}

fn check(
    options: &RenderOptions,
    files: &render::Files,
    scope: &Scope,
    items: &[Item],
    hints: &CheckHints,
) -> Outcome {
    let mut drift = match write::check(&options.out, files, scope) {
        Ok(drift) => drift,
        Err(e) => return error(format!("cannot read {}: {e}", options.out.display())),
    };
    if hints.work_out.is_some() {
        // A commit must carry the manifest that lists its files, or the next check finds
        // them foreign.
        match write::manifest_drift(&options.out, files, scope) {
            Ok(changed) => drift.changed.extend(changed),
            Err(e) => return error(format!("cannot read {}: {e}", options.out.display())),
        }
    }
    let refused = unacknowledged(items, &options.allow);
    if !refused.is_empty() {
        let mut effects: Vec<plan::Effect> = refused.iter().map(|i| i.effect).collect();
        effects.dedup();
        effects.sort();
        effects.dedup();
        let allow: Vec<String> = effects
            .iter()
            .map(|e| format!("--allow {}", e.as_str()))
            .collect();
        say(format_args!(
            "gen: the plan has {} change(s) that a person must handle ({}): do what each one says, then acknowledge them with {} (or GEN_ALLOW={} in the environment of a hook)",
            refused.len(),
            effects
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            allow.join(" "),
            effects
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    let out_path = options.out.as_path();
    if drift.is_empty() {
        if options.format == Format::Human && refused.is_empty() {
            say(format_args!(
                "gen: {} is up to date ({} files)",
                out_path.display(),
                files.len()
            ));
        }
        return if refused.is_empty() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
    }
    let out = out_path.display();
    match options.format {
        Format::Human => {
            let mut stdout = std::io::stdout().lock();
            for (_, diff) in &drift.changed {
                let _ = write!(stdout, "{diff}");
            }
            let mut err = std::io::stderr().lock();
            for (path, _) in &drift.changed {
                let _ = writeln!(err, "changed: {out}/{path}");
            }
            for path in &drift.missing {
                let _ = writeln!(err, "missing: {out}/{path}");
            }
            for path in &drift.orphaned {
                let _ = writeln!(err, "orphaned: {out}/{path}");
            }
            for path in &drift.foreign {
                let _ = writeln!(
                    err,
                    "foreign: {out}/{path}: gen did not write it, and this folder is gen's (applying the folder would apply it too); keep hand-written files outside {out}"
                );
            }
            if !(drift.changed.is_empty() && drift.missing.is_empty() && drift.orphaned.is_empty())
            {
                let fix = match &hints.work_out {
                    Some(work_out) => crate::staged::fix(options, hints, work_out, files, &drift),
                    None => fix_command(options),
                };
                let what = if hints.work_out.is_some() {
                    format!("the commit does not hold the render of its inputs in {out}")
                } else {
                    format!("{out} is out of date")
                };
                let _ = writeln!(err, "gen: {what}; to fix it run: {fix}");
            }
            if !drift.foreign.is_empty() {
                let advice = match hints.work_out {
                    Some(_) => crate::staged::foreign_advice(options, &drift),
                    None => "move them out (gen render keeps them)".to_owned(),
                };
                let _ = writeln!(err, "gen: {out} holds files gen did not write; {advice}");
            }
        }
        Format::Json => {
            let mut stdout = std::io::stdout().lock();
            let entries = drift
                .changed
                .iter()
                .map(|(p, d)| serde_json::json!({"file": format!("{out}/{p}"), "status": "changed", "diff": d}))
                .chain(drift.missing.iter().map(|p| serde_json::json!({"file": format!("{out}/{p}"), "status": "missing"})))
                .chain(drift.orphaned.iter().map(|p| serde_json::json!({"file": format!("{out}/{p}"), "status": "orphaned"})))
                .chain(drift.foreign.iter().map(|p| serde_json::json!({"file": format!("{out}/{p}"), "status": "foreign"})));
            for entry in entries {
                let _ = writeln!(stdout, "{entry}");
            }
        }
    }
    Outcome::Failure
}

/// The exact `gen render` command that fixes the drift `--check` found.
pub fn fix_command(options: &RenderOptions) -> String {
    let mut command = render_program();
    command.push_str(&render_arguments(options));
    command
}

/// The arguments of `gen render` that select what `options` rendered.
pub fn render_arguments(options: &RenderOptions) -> String {
    let mut command = String::new();
    if options.inputs != Path::new("inputs") {
        command.push_str(&format!(
            " --inputs {}",
            shell_word(&options.inputs.display().to_string())
        ));
    }
    if options.out != Path::new("out") {
        command.push_str(&format!(
            " --out {}",
            shell_word(&options.out.display().to_string())
        ));
    }
    for env in &options.envs {
        command.push_str(&format!(" --env {env}"));
    }
    for service in &options.services {
        command.push_str(&format!(" --service {service}"));
    }
    command
}

/// How the user runs this gen to render: the binary pre-commit installed when run as a
/// hook (nothing puts it on the user's PATH); `cargo run --release --` from a checkout of
/// gen; `gen` when that is this binary on the PATH; else this binary's path.
pub fn render_program() -> String {
    let exe = std::env::current_exe().ok();
    let on_path = exe.as_deref().is_some_and(|exe| {
        std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| {
                std::fs::canonicalize(dir.join("gen")).ok().as_deref()
                    == std::fs::canonicalize(exe).ok().as_deref()
            })
        })
    });
    let under_pre_commit = std::env::var_os("PRE_COMMIT").is_some();
    match exe {
        Some(_) if on_path && !under_pre_commit => RENDER_COMMAND.to_owned(),
        Some(exe) if !under_pre_commit && built_here(&exe) => {
            "cargo run --release -- render".to_owned()
        }
        Some(exe) => format!("{} render", shell_word(&exe.display().to_string())),
        None => RENDER_COMMAND.to_owned(),
    }
}

/// Whether `exe` is a build of the checkout in the current folder (`target/*/gen`).
fn built_here(exe: &Path) -> bool {
    Path::new("Cargo.toml").is_file()
        && std::fs::canonicalize("target")
            .ok()
            .zip(std::fs::canonicalize(exe).ok())
            .is_some_and(|(target, exe)| exe.starts_with(target))
}

/// `word` as one shell word: as it is when it holds only safe characters, else quoted.
pub fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Writes a scaffolded input file, refusing to overwrite one.
fn create_input(inputs: &Path, rel: &str, text: &str) -> Outcome {
    let path = inputs.join(rel);
    if path.exists() {
        return error(format!(
            "{} already exists; nothing was written",
            path.display()
        ));
    }
    let written = std::fs::create_dir_all(path.parent().unwrap_or(inputs))
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        })
        .and_then(|mut file| writeln!(file, "{text}"));
    match written {
        Ok(()) => {
            say(format_args!(
                "gen: created {}; check it with `gen validate`",
                path.display()
            ));
            Outcome::Success
        }
        Err(e) => error(format!("cannot write {}: {e}", path.display())),
    }
}

/// The scaffold's name must work as a folder, label and file name.
fn check_new_name(name: &str) -> Result<(), Outcome> {
    if crate::names::is_dns_label(name) {
        Ok(())
    } else {
        Err(error(format!(
            "`{name}` is not a usable name: use 1–63 lowercase letters, digits and `-`"
        )))
    }
}

/// `gen new project [--name NAME]`: the one file an inputs folder needs before anything
/// else, so it is written without loading the (missing) inputs.
pub fn new_project(inputs: &Path, name: Option<&str>) -> Outcome {
    let name = match name
        .map(str::to_owned)
        .or_else(|| project_name_from_folder(inputs))
    {
        Some(name) => name,
        None => {
            return error("cannot take a project name from the folder's name; pass `--name NAME`");
        }
    };
    if let Err(outcome) = check_new_name(&name) {
        return outcome;
    }
    let view = serde_json::json!({ "name": name });
    match Templates::new().render("new/project.yaml.j2", &view) {
        Ok(text) => create_input(inputs, "project.yaml", text.trim_end()),
        Err(e) => error(e.0),
    }
}

/// The name of the folder holding the inputs folder (usually the repository), made a
/// usable name: `Phone_Bill` becomes `phone-bill`.
fn project_name_from_folder(inputs: &Path) -> Option<String> {
    let inputs = std::path::absolute(inputs).ok()?;
    let folder = inputs.parent()?.file_name()?.to_str()?;
    let name: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-').to_owned();
    crate::names::is_dns_label(&name).then_some(name)
}

/// `gen new service NAME`.
pub fn new_service(inputs: &Path, name: &str) -> Outcome {
    if let Err(outcome) = check_new_name(name) {
        return outcome;
    }
    let (_, model) = match load_model(inputs, Format::Human) {
        Ok(model) => model,
        Err(outcome) => return outcome,
    };
    let snake = name.replace('-', "_");
    let environments: Vec<_> = model
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.platform.as_str()))
        .collect();
    let view = serde_json::json!({
        "name": name,
        "project": model.project.name,
        "database": format!("{snake}_db"),
        "role": format!("{snake}_app"),
        "secret": format!("{name}-app-password"),
        "environments": environments.iter().map(|(n, p)| serde_json::json!({"name": n, "platform": p})).collect::<Vec<_>>(),
    });
    match Templates::new().render("new/service.yaml.j2", &view) {
        Ok(text) => create_input(inputs, &format!("services/{name}.yaml"), text.trim_end()),
        Err(e) => error(e.0),
    }
}

/// `gen new environment NAME --platform P`.
pub fn new_environment(inputs: &Path, name: &str, platform: crate::input::Platform) -> Outcome {
    if let Err(outcome) = check_new_name(name) {
        return outcome;
    }
    let (_, model) = match load_model(inputs, Format::Human) {
        Ok(model) => model,
        Err(outcome) => return outcome,
    };
    let view = serde_json::json!({ "name": name, "project": model.project.name });
    let template = format!("new/environment-{}.yaml.j2", platform.as_str());
    match Templates::new().render(&template, &view) {
        Ok(text) => create_input(
            inputs,
            &format!("environments/{name}.yaml"),
            text.trim_end(),
        ),
        Err(e) => error(e.0),
    }
}

/// `gen schema` and `gen schema --check`.
pub fn schema(dir: &Path, check: bool) -> Outcome {
    let mut drift = Vec::new();
    for (name, kind) in SCHEMA_FILES {
        let path = dir.join(name);
        let text = schema_text(kind);
        let Some(state) = schema_drift(&path, &text) else {
            continue;
        };
        if check {
            drift.push((state, path));
        } else if let Err(e) =
            std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text))
        {
            return error(format!("cannot write {}: {e}", path.display()));
        } else {
            say(format_args!("gen: wrote {}", path.display()));
        }
    }
    if drift.is_empty() {
        Outcome::Success
    } else {
        for (state, path) in drift {
            say(format_args!("{state}: {}", path.display()));
        }
        say(format_args!(
            "gen: the schemas are out of date; to fix them run: gen schema --out {}",
            dir.display()
        ));
        Outcome::Failure
    }
}

/// How the schema file at `path` differs from `generated`: `missing` (a new user's first
/// question is whether the file exists at all), `stale`, or why it cannot be read.
fn schema_drift(path: &Path, generated: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(committed) if committed == generated => None,
        Ok(_) => Some("stale".to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("missing".to_owned()),
        Err(e) => Some(format!("unreadable ({e})")),
    }
}

/// The kind of every schema file, for tests.
pub fn schema_kinds() -> impl Iterator<Item = (&'static str, FileKind)> {
    SCHEMA_FILES.into_iter()
}
