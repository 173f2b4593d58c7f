//! Inputs that crashed a fuzz target (`scripts/fuzz`, the cargo fuzz project in `fuzz/`), kept as
//! plain tests through the same public entry points the targets use. Each input is also a seed of
//! its target under `fuzz/seeds/<target>/`, so the fuzzer starts from it too.
//!
//! The fuzz targets build with debug assertions, so an integer overflow is a crash there as it is
//! in these tests (`cargo test` checks overflow in its default profile).

use fitauth_core::clock::MAX_SPAN_SECS;
use fitauth_core::error::{self, Operation};
use fitauth_core::httplog::redact_body;
use fitauth_core::introspect::parse_fitbit_introspection;
use fitauth_core::secret::Redactor;
use fitauth_core::{
    AppType, AuthorizeOptions, Authorized, ClientConfig, PendingAuthorization, Provider,
    RedirectParams, State,
};

/// The fuzz targets' clock, `state` and known secret (`fuzz/src/lib.rs`).
const NOW: i64 = 1_700_000_000;
const STATE: &str = "fuzzSTATE-0123456789abcdefghijklmnopqrstuv";
const SECRET: &str = "r1-fuzz-Refresh-9f8e7d6c5b4a";

/// An implicit-grant sign-in as the `redirect` target starts it.
fn implicit_pending() -> PendingAuthorization {
    let cfg = ClientConfig::new(Provider::fitbit(), "23ABCD", AppType::Client);
    let options = AuthorizeOptions::implicit(
        vec!["activity".into(), "sleep".into()],
        "fitauth://callback",
        Some(86_400),
    );
    let mut pending = PendingAuthorization::start_at(&cfg, options, NOW - 10).unwrap();
    pending.state = State::new(STATE);
    pending
}

fn implicit_expiry(redirect: &[u8]) -> Option<i64> {
    let text = String::from_utf8_lossy(redirect);
    let params = RedirectParams::parse(&text).unwrap();
    match params.verify_at(&implicit_pending(), NOW).unwrap() {
        Authorized::Token(tokens) => {
            assert!(!tokens.access_token.secret().is_empty());
            tokens.expires_at
        }
        other => panic!("expected an implicit-grant token, got {other:?}"),
    }
}

/// `redirect` target, `fuzz/seeds/redirect/crash-negative-implicit-expires-in.txt`: an implicit
/// grant's `expires_in` was added to the clock unchecked, so a negative one dated the token
/// before it arrived and `i64::MAX` overflowed. It is now clamped as the token endpoint's is.
#[test]
fn implicit_grant_lifetimes_are_clamped() {
    let found = b"fitauth://callback#\xff_=Bearer&expires_in=-1325&access_token=eyJhbTmgGPE5oBjxOaAY\xff\r8Tmg1&state=fuzzSTATE-0123456789abcdefghijklmnopqrstuv";
    assert_eq!(implicit_expiry(found), Some(NOW));
    for (expires_in, expected) in [
        ("9223372036854775807", NOW + MAX_SPAN_SECS),
        ("-9223372036854775808", NOW),
        ("86400", NOW + 86_400),
    ] {
        let redirect = format!(
            "fitauth://callback#_=_expires_in={expires_in}&access_token=tok.en.x&state={STATE}"
        );
        assert_eq!(
            implicit_expiry(redirect.as_bytes()),
            Some(expected),
            "{expires_in}"
        );
    }
}

/// `introspect` target, `fuzz/seeds/introspect/crash-exp-below-i64-min.json`: an `exp` below
/// `i64::MIN` (read saturated as `i64::MIN`) overflowed `abs()` while telling seconds from
/// milliseconds.
#[test]
fn introspect_times_at_the_edge_of_i64() {
    let found =
        br#"{"active": true, "scope": "[WFZZZZn", "exp": -40018446744073709551615000000000000}"#;
    let body: serde_json::Value = serde_json::from_slice(found).unwrap();
    let introspection = parse_fitbit_introspection(&body, None);
    assert!(introspection.active);
    assert_eq!(introspection.expires_at, Some(i64::MIN / 1000));
    for (exp, expected) in [
        (serde_json::json!(i64::MIN), i64::MIN / 1000),
        (serde_json::json!(i64::MAX), i64::MAX / 1000),
        (serde_json::json!(1_700_000_000_000_i64), 1_700_000_000),
        (serde_json::json!(1_700_000_000), 1_700_000_000),
    ] {
        let body = serde_json::json!({"active": true, "exp": exp, "iat": exp});
        let introspection = parse_fitbit_introspection(&body, None);
        assert_eq!(introspection.expires_at, Some(expected), "{exp}");
        assert_eq!(introspection.issued_at, Some(expected), "{exp}");
    }
}

/// `token_response` target, `fuzz/seeds/token_response/crash-secret-after-escape.json`: known
/// secrets were scrubbed from the serialized JSON text, so a secret starting with `r` right after
/// a carriage return (`\r` in JSON) became `\[redacted]`, an invalid escape: the redacted body
/// was no longer JSON, and an error answer read from it lost what the provider said.
#[test]
fn redaction_keeps_json_json() {
    let redactor = Redactor::new().with(SECRET);
    let found = br#"{"acc\r1-fuzz-Refresh-9f8e7d6c5b4ass_token":"a","expirs_in":-30,"refresh_token_expires_codein":"-922337;036854775809"}"#;
    let redacted = redact_body(&String::from_utf8_lossy(found), &redactor);
    let value: serde_json::Value = serde_json::from_str(&redacted).expect("still JSON");
    assert_eq!(value["expirs_in"], -30);

    // The same through an error answer: a message with a carriage return before text that, once
    // escaped, reads like the secret is still read as a rejected refresh; the secret itself,
    // echoed too, is hidden.
    let body = format!(
        r#"{{"errors":[{{"errorType":"invalid_grant","message":"Refresh token invalid:\r1-fuzz-Refresh-9f8e7d6c5b4a (was {SECRET})"}}],"success":false}}"#
    );
    let redacted = redact_body(&body, &redactor);
    let e = error::from_response(Operation::Refresh, true, 400, None, None, &redacted);
    assert_eq!(e.kind(), "reconnect_needed", "{e:?}");
    let message = e.detail().unwrap().description.as_deref().unwrap();
    assert_eq!(
        message,
        "Refresh token invalid:\r1-fuzz-Refresh-9f8e7d6c5b4a (was [redacted])"
    );
    assert!(!message.contains(SECRET));
}
