//! `cargo fuzz run metadata`: see `fitauth_fuzz::metadata` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::metadata(data));
