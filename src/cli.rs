//! The command line. clap types stay in this module; commands take plain options.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::app::{self, Format, Outcome, RenderOptions};
use crate::input::Platform;

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
    /// Write nothing; show how the output folder differs and exit 1 if it does.
    #[arg(long)]
    check: bool,
    /// How problems are printed.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
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

fn render_options(args: RenderArgs) -> RenderOptions {
    RenderOptions {
        inputs: args.inputs,
        out: args.out,
        envs: args.envs,
        services: args.services,
        check: args.check,
        format: args.format.to_lib(),
    }
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Render(args) => app::render(&render_options(args)),
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
                },
            ),
        },
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "gen", &mut std::io::stdout());
            Outcome::Success
        }
    }
}
