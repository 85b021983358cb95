#![no_main]
//! Fuzz target `ps_literal`: see `fuzz/checks.rs` for what one input goes through; the same
//! function replays `tests/fixtures/fuzz/ps_literal/` in `tests/fuzz_regressions.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::ps_literal(data));
