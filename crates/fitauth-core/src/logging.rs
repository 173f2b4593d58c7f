//! What `FITAUTH_LOG` means. A bare level (`debug`, `trace`, ...) applies to Fitauth's own crates
//! only; everything else (hyper, reqwest, rustls, zbus, tao, ...) stays at `warn`, so a debug log
//! shows Fitauth's redacted exchanges, not every library's internals. A value with `=` or `,` is
//! a full target list (`info,zbus=debug`, as [`Targets`] parses it) and is used as given: the
//! person asked for exactly that.
//!
//! [`Targets`]: https://docs.rs/tracing-subscriber/latest/tracing_subscriber/filter/targets/struct.Targets.html

/// Fitauth's own crates, by their tracing target.
pub const OWN_TARGETS: [&str; 4] = [
    "fitauth",
    "fitauth_core",
    "fitauth_desktop",
    "fitauth_sandbox",
];

/// The filter directives for a `FITAUTH_LOG` value.
pub fn directives(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() || value.contains('=') || value.contains(',') {
        return value.to_owned();
    }
    let mut out = String::from("warn");
    for target in OWN_TARGETS {
        out.push_str(&format!(",{target}={value}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_level_is_for_fitauth_only() {
        let d = directives("debug");
        assert!(d.starts_with("warn,"), "{d}");
        assert!(
            d.contains("fitauth_core=debug") && d.contains("fitauth=debug"),
            "{d}"
        );
        assert!(!d.contains("hyper"), "{d}");
    }

    #[test]
    fn an_explicit_filter_is_kept() {
        assert_eq!(directives("hyper=trace"), "hyper=trace");
        assert_eq!(directives("info,zbus=debug"), "info,zbus=debug");
    }
}
