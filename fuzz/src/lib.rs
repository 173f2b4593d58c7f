//! What each fuzz target feeds to fitauth-core, and the promises it checks on the way.
//!
//! One public function per target (`fuzz_targets/<name>.rs` calls it with libFuzzer's bytes).
//! Every input goes through the same public entry point the app uses for that kind of outside
//! input, so a crash here is a crash there. Beyond "never panics" (which includes integer
//! overflow: cargo fuzz builds with debug assertions), each function asserts what the parser
//! promises where that is cheap to check: what verifies carries this sign-in's `state`, what
//! parses as a token has a token, numbers from a provider stay in range, what the store writes
//! it reads back the same, what is redacted no longer holds the secret.
//!
//! libFuzzer: <https://llvm.org/docs/LibFuzzer.html>; cargo fuzz:
//! <https://rust-fuzz.github.io/book/cargo-fuzz.html>.

use std::path::Path;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use fitauth_core::clock::{self, MAX_SPAN_SECS};
use fitauth_core::error::{self, Operation};
use fitauth_core::httplog::{self, SECRET_FIELDS};
use fitauth_core::introspect::{parse_fitbit_introspection, parse_tokeninfo};
use fitauth_core::secret::Redactor;
use fitauth_core::store::file::parse_metadata;
use fitauth_core::store::{account_name, slug, SCHEMA_VERSION};
use fitauth_core::{
    identity, jwt, loopback, ratelimit, scopes, token, AppType, AuthorizeOptions, Authorized,
    ClientConfig, IdToken, PendingAuthorization, Provider, RedirectParams, ResponseType, State,
};
use serde_json::Value;

/// The clock every target runs at (Unix seconds, November 2023): fixed, so a crash replays.
pub const NOW: i64 = 1_700_000_000;

/// The `state` of the fuzz targets' sign-ins. Fixed, so seeds can carry it and reach the code
/// and token paths; still compared in constant time, so the fuzzer gets no hint towards it.
pub const STATE: &str = "fuzzSTATE-0123456789abcdefghijklmnopqrstuv";

/// A secret the HTTP client would know (a refresh token it sent), to check redaction.
pub const SECRET: &str = "r1-fuzz-Refresh-9f8e7d6c5b4a";

/// A sign-in started 10 seconds before [`NOW`] for `fitauth://callback`, with [`STATE`].
fn pending(response_type: ResponseType) -> &'static PendingAuthorization {
    static CODE: OnceLock<PendingAuthorization> = OnceLock::new();
    static TOKEN: OnceLock<PendingAuthorization> = OnceLock::new();
    let cell = match response_type {
        ResponseType::Code => &CODE,
        ResponseType::Token => &TOKEN,
    };
    cell.get_or_init(|| {
        let cfg = ClientConfig::new(Provider::fitbit(), "23ABCD", AppType::Client);
        let scopes = vec!["activity".to_owned(), "sleep".to_owned()];
        let options = match response_type {
            ResponseType::Code => AuthorizeOptions::code(scopes, "fitauth://callback"),
            ResponseType::Token => {
                AuthorizeOptions::implicit(scopes, "fitauth://callback", Some(86_400))
            }
        };
        let mut pending = PendingAuthorization::start_at(&cfg, options, NOW - 10)
            .expect("a valid sign-in starts");
        pending.state = State::new(STATE);
        pending
    })
}

/// A redirect as it comes back: a `fitauth://callback?…` link, a pasted address (with or without
/// its scheme), a loopback request target, an implicit grant's `#access_token=…` fragment.
pub fn redirect(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let Ok(params) = RedirectParams::parse(&input) else {
        return;
    };
    verify_redirect(&params, pending(ResponseType::Code));
    verify_redirect(&params, pending(ResponseType::Token));
}

/// What [`RedirectParams::verify_at`] promises: only this sign-in's `state` gets anything
/// through (an error answer with someone else's state is not ours to report), a code grant gives
/// a non-empty code, an implicit grant a non-empty token whose expiry is in range, and an expired
/// sign-in accepts nothing.
fn verify_redirect(params: &RedirectParams, pending: &PendingAuthorization) {
    let ours = params.state() == Some(STATE);
    match params.verify_at(pending, NOW) {
        Ok(authorized) => {
            assert!(ours, "a redirect without this sign-in's state was accepted");
            match authorized {
                Authorized::Code { code, scopes } => {
                    assert_eq!(pending.response_type, ResponseType::Code);
                    assert!(!code.secret().is_empty(), "an empty code was accepted");
                    check_scope_list(scopes.as_deref().unwrap_or_default());
                }
                Authorized::Token(tokens) => {
                    assert_eq!(pending.response_type, ResponseType::Token);
                    assert!(!tokens.access_token.secret().is_empty());
                    assert!(tokens.refresh_token.is_none());
                    check_expiry(tokens.expires_at, NOW);
                    check_scope_list(tokens.scopes.as_deref().unwrap_or_default());
                    let _ = tokens.seconds_left(NOW);
                }
            }
        }
        Err(e) => {
            if !ours {
                assert!(
                    matches!(e.kind(), "state_mismatch" | "malformed_redirect"),
                    "a redirect without this sign-in's state was reported as {}",
                    e.kind()
                );
            }
            check_error(&e);
        }
    }
    assert!(
        params.verify_at(pending, pending.expires_at).is_err(),
        "an expired sign-in accepted a redirect"
    );
}

/// The loopback listener's view of a connection: the request head as the browser (or anything
/// else on this computer) sends it, read by the listener's own reader; a `GET` of the callback
/// path then goes through the redirect parser as the listener does.
pub fn loopback_request(data: &[u8]) {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    });
    let mut stream = data;
    let Some(target) = runtime.block_on(loopback::read_request_target(&mut stream)) else {
        return;
    };
    assert!(!target.is_empty());
    assert!(
        !target.contains(char::is_whitespace),
        "a request target with whitespace in it: {target:?}"
    );
    let path = target.split(['?', '#']).next().unwrap_or("");
    if path != loopback::CALLBACK_PATH {
        return;
    }
    if let Ok(params) = RedirectParams::parse(&target) {
        verify_redirect(&params, pending(ResponseType::Code));
    }
}

/// A 2xx body from the token endpoint (code exchange, refresh, client credentials), as the HTTP
/// client reads it: lossy UTF-8, redacted for display, then parsed. Then what the app does with
/// it: the ID token's claims, each scope's description.
pub fn token_response(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    let redacted = redacted_body(&body);
    match token::parse_token_response(200, &body, &redacted, NOW) {
        Ok(tokens) => {
            assert!(!tokens.access_token.secret().is_empty());
            assert!(tokens
                .refresh_token
                .as_ref()
                .is_none_or(|r| !r.secret().is_empty()));
            assert_eq!(tokens.issued_at, NOW);
            check_expiry(tokens.expires_at, NOW);
            check_expiry(tokens.refresh_token_expires_at, NOW);
            check_scope_list(tokens.scopes.as_deref().unwrap_or_default());
            if let Some(id_token) = &tokens.id_token {
                id_token_claims(id_token.secret());
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), "unexpected_response");
            check_error(&e);
        }
    }
}

/// (operation, legacy Fitbit, status, content type): the answers [`error_response`] reads a body
/// as.
const ERROR_CASES: &[(Operation, bool, u16, Option<&str>)] = &[
    (Operation::CodeExchange, true, 400, Some("application/json")),
    (
        Operation::Refresh,
        true,
        401,
        Some("application/json;charset=UTF-8"),
    ),
    (Operation::Refresh, false, 400, None),
    (Operation::ClientCredentials, false, 401, Some("text/html")),
    (Operation::Introspect, true, 403, Some("application/json")),
    (
        Operation::TokenInfo,
        false,
        400,
        Some("application/json; charset=utf-8"),
    ),
    (Operation::Revoke, false, 404, Some("text/plain")),
    (Operation::Identity, true, 410, None),
    (Operation::Identity, false, 429, Some("application/json")),
    (Operation::Refresh, true, 409, None),
    (
        Operation::Refresh,
        false,
        503,
        Some("text/html; charset=UTF-8"),
    ),
];

/// A non-2xx answer: Fitbit's `{"errors":[…]}`, Google's `{"error":{…}}`, RFC 6749 §5.2's
/// `{"error":"…"}`, or an HTML page, as the HTTP client turns it into an error. Its first line
/// also stands in for the rate-limit headers, whose reset time the 429 message names.
pub fn error_response(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    let redacted = redacted_body(&body);
    let first_line = body.lines().next().unwrap_or("");
    let rate_limit = ratelimit::parse(
        [
            ("Fitbit-Rate-Limit-Limit", first_line),
            ("fitbit-rate-limit-remaining", first_line),
            ("fitbit-rate-limit-reset", first_line),
            ("Retry-After", first_line),
        ],
        NOW,
    );
    let reset_at = rate_limit.and_then(|r| r.reset_at);
    check_expiry(reset_at, NOW);

    let parsed = error::parse_error_body(&redacted);
    let is_json = serde_json::from_str::<Value>(&redacted).is_ok();
    assert!(parsed.is_none() || is_json);
    assert_eq!(error::unexpected(400, None, &redacted).is_none(), is_json);
    let snippet = error::snippet(&redacted);
    assert!(snippet.chars().count() <= 201 && !snippet.contains('\n'));

    for &(op, legacy, status, content_type) in ERROR_CASES {
        let e = error::from_response(op, legacy, status, content_type, reset_at, &redacted);
        check_error(&e);
        match status {
            429 => assert_eq!(e.kind(), "rate_limited"),
            409 => assert_eq!(e.kind(), "conflict"),
            410 if legacy => assert_eq!(e.kind(), "retired"),
            _ => {}
        }
        if let Some(parsed) = &parsed {
            // What the provider said is carried through, whatever the error became.
            let detail = e
                .detail()
                .expect("a provider's error body keeps its detail");
            assert_eq!(detail.code, parsed.code);
            assert_eq!(detail.description, parsed.description);
            assert_eq!(detail.http_status, Some(status));
        }
    }
}

/// Fitbit's introspect answer and Google's tokeninfo, and on its own the odd scope string
/// introspect carries (`{ACTIVITY=READ_WRITE, SLEEP=READ}`).
pub fn introspect(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    check_grants(&scopes::parse_introspect_scopes(&body), &[',']);
    let Ok(value) = serde_json::from_str::<Value>(&body) else {
        return;
    };
    let scope = value.get("scope").and_then(Value::as_str);

    let fitbit = parse_fitbit_introspection(&value, None);
    if fitbit.active {
        assert_eq!(
            fitbit.scopes,
            scope
                .map(scopes::parse_introspect_scopes)
                .unwrap_or_default()
        );
    } else {
        assert!(fitbit.scopes.is_empty() && fitbit.client_id.is_none());
        assert!(fitbit.expires_at.is_none() && fitbit.user_id.is_none());
    }
    show_time(fitbit.expires_at);
    show_time(fitbit.issued_at);
    serde_json::to_string(&fitbit).expect("an introspection serializes for the faces");

    let google = parse_tokeninfo(&value);
    assert!(google.active);
    assert_eq!(
        google.scopes.len(),
        scope.map_or(0, |s| s.split_whitespace().count())
    );
    show_time(google.expires_at);
    serde_json::to_string(&google).expect("a tokeninfo answer serializes for the faces");
}

/// An ID token or access token to decode (`fitauth decode`, Inspect, the ID token's `sub` and
/// `email`); and, so the fuzzer reaches the claims without learning base64, the input as the
/// claims of a token; and as a Fitbit profile or Google Health identity answer, whose names
/// become account names.
pub fn jwt(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    decode_token(&text);
    if let Ok(claims) = serde_json::from_str::<Value>(&text) {
        let token = format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(text.as_bytes())
        );
        let decoded = decode_token(&token);
        if claims.is_object() {
            let decoded = decoded.expect("a token whose claims are a JSON object decodes");
            assert_eq!(decoded.claims, claims);
        } else {
            assert!(decoded.is_none());
        }
        for person in [
            identity::parse_fitbit_profile(&claims),
            identity::parse_google_identity(&claims),
        ]
        .into_iter()
        .flatten()
        {
            assert!(!person.user_id.is_empty() && !person.label().is_empty());
            check_account_name(person.label());
        }
    }
    check_account_name(&text);
    for word in text.split_whitespace().take(64) {
        let _ = scopes::fitbit_short_code(word);
        let _ = scopes::describe(word);
    }
}

/// The store's `fitauth.json`, any version: read and migrated through the store's own parser,
/// then used as the faces use it; and what the store would write back reads back the same.
pub fn metadata(data: &[u8]) {
    let path = Path::new("fitauth.json");
    let meta = match parse_metadata(data, path) {
        Ok(meta) => meta,
        Err(e) => {
            assert_eq!(e.kind(), "storage");
            check_error(&e);
            return;
        }
    };
    assert_eq!(meta.schema_version, SCHEMA_VERSION);
    for account in &meta.accounts {
        assert!(
            !account.id.is_empty() || account.name.is_empty(),
            "a migrated account has no id"
        );
        assert!(meta.account(&account.name).is_ok());
        let _ = account.effective_state(NOW);
        let _ = account.scopes_denied();
        let _ = account.label();
        show_time(account.expires_at);
        show_time(account.refresh_token_expires_at);
        show_time(Some(account.issued_at));
    }
    for app in &meta.apps {
        assert!(meta.app(&app.name).is_ok());
        if let Ok(provider) = app.provider() {
            assert!(provider.endpoints.check_transport().is_ok());
        }
        let _ = app.keeps_secret_of(app);
    }
    for record in &meta.pending {
        let _ = record.authorization.is_expired_at(NOW);
    }
    let written = serde_json::to_vec_pretty(&meta).expect("metadata serializes");
    let again = parse_metadata(&written, path).expect("the store reads back what it writes");
    assert_eq!(
        serde_json::to_vec_pretty(&again).expect("metadata serializes"),
        written,
        "the store read back something else than it wrote"
    );
}

/// Decodes a token and checks what the decoder promises; `Some` when it decoded.
fn decode_token(token: &str) -> Option<jwt::DecodedJwt> {
    let claims = id_token_claims(token);
    match jwt::decode(token) {
        Ok(decoded) => {
            assert!(decoded.header.is_object() && decoded.claims.is_object());
            assert_eq!(decoded.verification, jwt::NOT_VERIFIED);
            assert_eq!(
                decoded.expires_at,
                decoded.claims.get("exp").and_then(Value::as_i64)
            );
            let codes = decoded.claims.get("scopes").and_then(Value::as_str);
            assert_eq!(
                decoded.fitbit_scopes.len(),
                codes.map_or(0, |s| s.split_whitespace().count())
            );
            check_grants(&decoded.fitbit_scopes, &[]);
            assert!(claims.is_some(), "a decodable ID token yielded no claims");
            show_time(decoded.expires_at);
            show_time(decoded.issued_at);
            serde_json::to_string(&decoded).expect("a decoded token serializes for the faces");
            Some(decoded)
        }
        Err(e) => {
            assert_eq!(e.kind(), "not_a_jwt");
            assert!(claims.is_none());
            check_error(&e);
            None
        }
    }
}

/// The ID token's subject and email, which name and tell apart Google accounts.
fn id_token_claims(token: &str) -> Option<identity::IdClaims> {
    let claims = identity::id_token_claims(&IdToken::new(token))?;
    for value in [&claims.subject, &claims.email].into_iter().flatten() {
        assert!(!value.is_empty());
        check_account_name(value);
    }
    Some(claims)
}

/// A person's label becomes an account name: the slug is always a valid one.
fn check_account_name(label: &str) {
    let name = slug(label);
    assert!(
        account_name(&name).is_ok(),
        "the slug {name:?} of {label:?} is not a valid account name"
    );
}

/// The response body as the HTTP client keeps it for display and for reading errors. JSON stays
/// JSON, with every credential field redacted and the known secret in none of its strings or
/// keys; text loses the known secret, and text without credential fields is left alone.
fn redacted_body(body: &str) -> String {
    let redacted = httplog::redact_body(body, &Redactor::new().with(SECRET));
    if serde_json::from_str::<Value>(body).is_ok() {
        let value: Value = serde_json::from_str(&redacted).expect("redacted JSON is JSON");
        assert_no_credentials(&value);
    } else {
        assert!(
            !redacted.contains(SECRET),
            "a known secret survived redaction"
        );
        let lower = body.to_ascii_lowercase();
        if !SECRET_FIELDS.iter().any(|f| lower.contains(f)) && !body.contains(SECRET) {
            assert_eq!(redacted, body, "text without credentials was changed");
        }
    }
    redacted
}

fn assert_no_credentials(value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                assert!(!key.contains(SECRET), "a known secret survived in a key");
                if SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key)) {
                    if let Value::String(s) = v {
                        assert_eq!(s, "[redacted]", "the credential field {key} was shown");
                    }
                }
                assert_no_credentials(v);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_credentials),
        Value::String(s) => assert!(!s.contains(SECRET), "a known secret survived redaction"),
        Value::Number(n) => assert!(!n.to_string().contains(SECRET)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Every error reads as a sentence with a next step, and summarises for the faces.
fn check_error(e: &fitauth_core::Error) {
    assert!(!e.kind().is_empty() && !e.to_string().is_empty() && !e.hint().is_empty());
    let report = e.report();
    assert_eq!(report.kind, e.kind());
    let _ = e.one_line();
}

/// A provider-given expiry lies between `now` and `now` plus the longest span a number may mean.
fn check_expiry(at: Option<i64>, now: i64) {
    if let Some(at) = at {
        assert!(
            (now..=now.saturating_add(MAX_SPAN_SECS)).contains(&at),
            "a provider's number put an expiry at {at}, out of range"
        );
    }
    show_time(at);
}

/// Space-split scopes: no empty ones, no whitespace inside; each can be described.
fn check_scope_list(list: &[String]) {
    for scope in list {
        assert!(!scope.is_empty() && !scope.contains(char::is_whitespace));
        let _ = scopes::describe(scope);
        let _ = scopes::lookup(scope);
    }
}

/// Scopes with their permission: no whitespace inside a scope (introspect also splits on commas,
/// the JWT's `scopes` claim only on whitespace), no empty permission.
fn check_grants(grants: &[scopes::ScopeGrant], separators: &[char]) {
    for grant in grants {
        assert!(!grant
            .scope
            .contains(|c: char| c.is_whitespace() || separators.contains(&c)));
        if let Some(permission) = &grant.permission {
            assert!(!permission.is_empty() && !permission.contains(char::is_whitespace));
        }
        let _ = scopes::describe(&grant.scope);
    }
}

/// How the faces show a time: relative, local wall clock, RFC 3339.
fn show_time(at: Option<i64>) {
    if let Some(at) = at {
        let _ = clock::relative(at, NOW);
        let _ = clock::local_hh_mm(at);
        let _ = clock::rfc3339(at);
    }
}
