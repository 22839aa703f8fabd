//! What the fuzz target checks on one input, shared by `fuzz_targets/render_inputs.rs` and
//! the replay of every fuzz seed as an ordinary test (`tests/fuzz_seeds.rs`).
//!
//! The bytes are a list of files: each starts with a line holding its path (`project.yaml`,
//! `environments/*.yaml`, `services/*.yaml` or `sql/*.psql`), then its contents, up to a
//! `\n%%\n` separator. Invalid inputs are expected; a panic or a template error (inputs that
//! passed validation and still failed to render, "a bug in gen") is a bug.

use std::path::Path;

const SEPARATOR: &[u8] = b"\n%%\n";
const MAX_FILES: usize = 12;
/// How `render_folder` reports a failure inside a template (`render::RenderError`).
const TEMPLATE_ERROR: &str = "template error (a bug in gen)";

/// Only paths of the shapes gen reads, so the fuzzer spends its time on contents.
fn usable_path(path: &str) -> bool {
    let simple = |name: &str| {
        !name.is_empty()
            && name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
            })
    };
    match path.split_once('/') {
        None => path == "project.yaml",
        Some((folder, name)) => {
            matches!(folder, "environments" | "services" | "sql")
                && simple(name)
                && !name.starts_with('.')
        }
    }
}

/// Replaces the inputs tree in `dir` with the files encoded in `data`.
fn write_tree(dir: &Path, data: &[u8]) {
    for folder in ["environments", "services", "sql"] {
        let _ = std::fs::remove_dir_all(dir.join(folder));
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    let _ = std::fs::remove_file(dir.join("project.yaml"));
    let mut rest = data;
    for _ in 0..MAX_FILES {
        let (file, tail) = match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => (&rest[..at], &rest[at + SEPARATOR.len()..]),
            None => (rest, &[][..]),
        };
        if let Some(newline) = file.iter().position(|&b| b == b'\n')
            && let Ok(path) = std::str::from_utf8(&file[..newline])
            && usable_path(path)
        {
            std::fs::write(dir.join(path), &file[newline + 1..]).unwrap();
        }
        if tail.is_empty() {
            break;
        }
        rest = tail;
    }
}

/// Writes the inputs of `data` into `dir`, then loads, validates and renders them: panics on
/// a bug (a panic inside gen, or a template error).
pub fn check(dir: &Path, data: &[u8]) {
    write_tree(dir, data);
    if let Err(message) = gen_lib::app::render_folder(dir) {
        // Validation must refuse whatever a template cannot render, at its own position.
        assert!(!message.starts_with(TEMPLATE_ERROR), "{message}");
    }
}
