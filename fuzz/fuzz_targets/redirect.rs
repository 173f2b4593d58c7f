//! `cargo fuzz run redirect`: see `fitauth_fuzz::redirect` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::redirect(data));
