//! `cargo fuzz run loopback_request`: see `fitauth_fuzz::loopback_request` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::loopback_request(data));
