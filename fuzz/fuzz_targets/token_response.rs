//! `cargo fuzz run token_response`: see `fitauth_fuzz::token_response` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::token_response(data));
