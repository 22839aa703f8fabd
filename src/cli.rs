//! The command line. clap types stay in this module; commands take plain options.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::app::{self, Format, Outcome, RenderOptions};
use crate::input::Platform;
use crate::plan::Effect;

/// Renders PostgreSQL database infrastructure from YAML design inputs.
#[derive(Debug, Parser)]
#[command(name = "gen", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the inputs and render every target into the output folder.
    Render(RenderArgs),
    /// Validate the inputs only.
    Validate(ValidateArgs),
    /// Write the JSON Schemas of the input files.
    Schema(SchemaArgs),
    /// Create a new, valid, commented input file.
    New {
        #[command(subcommand)]
        what: NewCommand,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum NewCommand {
    /// The project file, `project.yaml`, that starts an inputs folder.
    Project {
        /// Project name (lowercase letters, digits and `-`); defaults to the name of the
        /// folder that holds the inputs folder.
        #[arg(long)]
        name: Option<String>,
        /// The design inputs folder.
        #[arg(long, default_value = "inputs", value_name = "DIR")]
        inputs: PathBuf,
    },
    /// A service file, `services/<NAME>.yaml`.
    Service {
        /// Service name (lowercase letters, digits and `-`).
        name: String,
        /// The design inputs folder.
        #[arg(long, default_value = "inputs", value_name = "DIR")]
        inputs: PathBuf,
    },
    /// An environment file, `environments/<NAME>.yaml`.
    Environment {
        /// Environment name (lowercase letters, digits and `-`).
        name: String,
        /// Where its databases run.
        #[arg(long, value_enum)]
        platform: PlatformArg,
        /// The design inputs folder.
        #[arg(long, default_value = "inputs", value_name = "DIR")]
        inputs: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PlatformArg {
    /// A StatefulSet of the Bitnami PostgreSQL image in AKS.
    Aks,
    /// Azure Database for PostgreSQL Flexible Server.
    AzureFlexibleServer,
    /// A CloudNativePG Cluster in AKS.
    Cnpg,
}

#[derive(Debug, clap::Args)]
struct RenderArgs {
    /// The design inputs folder.
    #[arg(long, default_value = "inputs", value_name = "DIR")]
    inputs: PathBuf,
    /// The output folder gen owns.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    /// Render only this environment (repeatable).
    #[arg(long = "env", value_name = "ENV")]
    envs: Vec<String>,
    /// Render only this service (repeatable).
    #[arg(long = "service", value_name = "SERVICE")]
    services: Vec<String>,
    /// Write nothing; show how the output folder differs and exit 1 if it does, or if the
    /// plan has changes a person must handle.
    #[arg(long)]
    check: bool,
    /// With --check: accept the plan's changes of this effect (repeatable).
    #[arg(long, value_enum, value_name = "EFFECT")]
    allow: Vec<AllowArg>,
    /// Check what the next commit holds (the git index), not the work tree; implies --check.
    /// The pre-commit hook runs this.
    #[arg(long)]
    staged: bool,
    /// Plan from the output folder as committed at this git revision (e.g. origin/main)
    /// instead of as it is on disk; with --staged, HEAD by default.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// How problems are printed.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
}

/// Plan effects that `--check` refuses unless allowed.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum AllowArg {
    /// The platform replaces the object or refuses the update.
    Replace,
    /// A person must act (SQL the scripts refuse, objects to delete).
    Manual,
    /// gen has no rule for the change.
    Unknown,
}

impl AllowArg {
    fn to_lib(self) -> Effect {
        match self {
            AllowArg::Replace => Effect::Replace,
            AllowArg::Manual => Effect::Manual,
            AllowArg::Unknown => Effect::Unknown,
        }
    }
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// The design inputs folder.
    #[arg(long, default_value = "inputs", value_name = "DIR")]
    inputs: PathBuf,
    /// The output folder of the previous render, compared with the design to warn about
    /// changes the SQL scripts refuse on a live database.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    /// How problems are printed.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
struct SchemaArgs {
    /// Folder the schemas are written to.
    #[arg(long, default_value = "schema", value_name = "DIR")]
    out: PathBuf,
    /// Write nothing; exit 1 if the committed schemas are stale.
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Readable text.
    Human,
    /// One JSON object per line.
    Json,
}

impl FormatArg {
    fn to_lib(self) -> Format {
        match self {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
        }
    }
}

/// Parses the command line and runs the command.
pub fn run() -> Outcome {
    match parse() {
        Ok(command) => dispatch(command),
        Err(outcome) => outcome,
    }
}

/// The command, or the outcome of a command line that asked for help or was wrong (clap has
/// printed the help or the error).
fn parse() -> Result<Command, Outcome> {
    Cli::try_parse().map(|cli| cli.command).map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            Outcome::Error
        } else {
            Outcome::Success
        }
    })
}

/// The effects named by `GEN_ALLOW` (comma-separated, like `--allow`): the way to
/// acknowledge a plan through a hook, whose arguments are fixed in its configuration.
fn allowed_by_environment() -> Result<Vec<Effect>, String> {
    let Some(value) = std::env::var_os("GEN_ALLOW") else {
        return Ok(Vec::new());
    };
    let value = value.to_string_lossy();
    value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            AllowArg::from_str(name, true)
                .map(AllowArg::to_lib)
                .map_err(|_| format!("GEN_ALLOW: `{name}` is not one of replace, manual, unknown"))
        })
        .collect()
}

fn render_options(args: RenderArgs) -> RenderOptions {
    RenderOptions {
        inputs: args.inputs,
        out: args.out,
        envs: args.envs,
        services: args.services,
        check: args.check || args.staged,
        format: args.format.to_lib(),
        allow: args.allow.iter().map(|a| a.to_lib()).collect(),
        staged: args.staged,
        base: args.base,
    }
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Render(args) => match allowed_by_environment() {
            Ok(allowed) => {
                let mut options = render_options(args);
                options.allow.extend(allowed);
                app::render(&options)
            }
            Err(message) => {
                eprintln!("gen: error: {message}");
                Outcome::Error
            }
        },
        Command::Validate(args) => app::validate(&args.inputs, &args.out, args.format.to_lib()),
        Command::Schema(args) => app::schema(&args.out, args.check),
        Command::New { what } => match what {
            NewCommand::Project { name, inputs } => app::new_project(&inputs, name.as_deref()),
            NewCommand::Service { name, inputs } => app::new_service(&inputs, &name),
            NewCommand::Environment {
                name,
                platform,
                inputs,
            } => app::new_environment(
                &inputs,
                &name,
                match platform {
                    PlatformArg::Aks => Platform::Aks,
                    PlatformArg::AzureFlexibleServer => Platform::AzureFlexibleServer,
                    PlatformArg::Cnpg => Platform::Cnpg,
                },
            ),
        },
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "gen", &mut std::io::stdout());
            Outcome::Success
        }
    }
}
