//! Load + validate + render of an arbitrary inputs tree (the format and the checks are in
//! `../render_inputs_check.rs`, which `tests/fuzz_seeds.rs` also runs on every seed).
//! libFuzzer adds hangs and runaway memory to the bugs it reports.

#![no_main]

#[path = "../render_inputs_check.rs"]
mod render_inputs_check;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap()).path();
    render_inputs_check::check(dir, data);
});
