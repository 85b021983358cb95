#![no_main]
//! Fuzz target `pkcs7`: see `fuzz/checks.rs` for what one input goes through; the same
//! function replays `tests/fixtures/fuzz/pkcs7/` in `tests/fuzz_regressions.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::pkcs7(data));
