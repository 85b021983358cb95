#![no_main]
//! Fuzz target `dn_parse`: see `fuzz/checks.rs` for what one input goes through; the same
//! function replays `tests/fixtures/fuzz/dn_parse/` in `tests/fuzz_regressions.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::dn_parse(data));
