//! `cargo fuzz run introspect`: see `fitauth_fuzz::introspect` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fitauth_fuzz::introspect(data));
