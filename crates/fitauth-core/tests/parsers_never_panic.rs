//! Property tests: arbitrary input to the redirect, error, token, JWT and scope parsers never
//! panics, and what parses keeps its promises.

use fitauth_core::{
    error, jwt, scopes, token, AppType, AuthorizeOptions, ClientConfig, PendingAuthorization,
    Provider, RedirectParams,
};
use proptest::prelude::*;

fn pending() -> PendingAuthorization {
    let cfg = ClientConfig::new(Provider::fitbit(), "ABC", AppType::Client);
    PendingAuthorization::start(
        &cfg,
        AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback"),
    )
    .unwrap()
}

/// Redirect-shaped strings: a prefix, then a soup of separators and key/value fragments.
fn redirect_like() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just("fitauth://callback".to_owned()),
        Just("http://127.0.0.1:5000/callback".to_owned()),
        Just("/callback".to_owned()),
        Just("".to_owned()),
        "[a-z:/.]{0,12}",
    ];
    let piece = prop_oneof![
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just("&".to_owned()),
        Just("=".to_owned()),
        Just("_=_".to_owned()),
        Just("code=".to_owned()),
        Just("state=".to_owned()),
        Just("error=access_denied".to_owned()),
        Just("access_token=".to_owned()),
        Just("%".to_owned()),
        Just("%E2%82".to_owned()),
        "\\PC{0,8}",
    ];
    (prefix, prop::collection::vec(piece, 0..12)).prop_map(|(p, parts)| p + &parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn redirect_parser_never_panics_on_any_string(input in "\\PC*") {
        let p = pending();
        if let Ok(params) = RedirectParams::parse(&input) {
            let _ = params.state();
            let _ = params.verify(&p);
        }
    }

    #[test]
    fn redirect_parser_never_panics_on_redirect_like_strings(input in redirect_like()) {
        let p = pending();
        if let Ok(params) = RedirectParams::parse(&input) {
            // A random string never carries this flow's 256-bit state.
            let verified = params.verify(&p);
            prop_assert!(verified.is_err());
        }
    }

    #[test]
    fn the_right_state_with_any_code_is_accepted(code in "[A-Za-z0-9._~-]{1,64}", junk in "[a-z]{0,8}") {
        let p = pending();
        let url = format!("fitauth://callback?{junk}=1&code={code}&state={}#_=_", p.state.as_str());
        let authorized = RedirectParams::parse(&url).unwrap().verify(&p);
        match authorized {
            Ok(fitauth_core::Authorized::Code { code: c, .. }) => prop_assert_eq!(c.secret(), code.as_str()),
            other => prop_assert!(false, "unexpected {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn error_parsers_never_panic(status in 100u16..600, body in "\\PC*", ct in prop::option::of("[a-z/+;= -]{0,30}")) {
        let _ = error::parse_error_body(&body);
        for op in [error::Operation::CodeExchange, error::Operation::Refresh, error::Operation::Identity] {
            let e = error::from_response(op, true, status, ct.as_deref(), None, &body);
            prop_assert!(!e.to_string().is_empty());
            prop_assert!(!e.hint().is_empty());
        }
        let _ = error::unexpected(status, ct.as_deref(), &body);
        let _ = token::parse_token_response(200, &body, &body, 0);
    }

    #[test]
    fn error_parser_reads_arbitrary_json_shapes(code in "[a-z_]{0,20}", msg in "\\PC{0,40}", n in any::<i64>()) {
        for body in [
            serde_json::json!({"errors":[{"errorType": code, "message": msg}], "success": false}),
            serde_json::json!({"error": {"code": n, "message": msg, "status": code}}),
            serde_json::json!({"error": code, "error_description": msg}),
            serde_json::json!({"errors": [n, msg], "error": [code]}),
            serde_json::json!({"errors": {"errorType": code}}),
        ] {
            let text = body.to_string();
            let _ = error::parse_error_body(&text);
            let _ = error::from_response(error::Operation::Refresh, false, 400, Some("application/json"), None, &text);
        }
    }

    #[test]
    fn jwt_and_scope_parsers_never_panic(input in "\\PC*") {
        let _ = jwt::decode(&input);
        let _ = scopes::parse_introspect_scopes(&input);
        let _ = scopes::fitbit_short_code(&input);
        let _ = scopes::describe(&input);
        let _ = fitauth_core::ratelimit::parse([("fitbit-rate-limit-reset", input.as_str()), ("retry-after", input.as_str())], 0);
    }
}
