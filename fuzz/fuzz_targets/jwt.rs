//! `cargo fuzz run jwt`: see `fitauth_fuzz::jwt` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::jwt(data));
