//! `cargo fuzz run error_response`: see `fitauth_fuzz::error_response` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::error_response(data));
