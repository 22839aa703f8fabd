//! `gen`: renders PostgreSQL database infrastructure from YAML design inputs.

use std::process::ExitCode;

fn main() -> ExitCode {
    gen_lib::cli::run().exit_code()
}
