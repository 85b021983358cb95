#![no_main]
//! Fuzz target `exchange_csv`: see `fuzz/checks.rs` for what one input goes through; the same
//! function replays `tests/fixtures/fuzz/exchange_csv/` in `tests/fuzz_regressions.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::exchange_csv(data));
