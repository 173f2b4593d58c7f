//! The sandbox on its own, over real HTTP with a plain client (no fitauth-core): the consent page,
//! the error pages, the redirect shapes, the control API and the faults.

use base64::Engine;
use fitauth_sandbox::{FaultKind, FaultSpec, Sandbox, SandboxConfig, SettingsPatch};
use serde_json::Value;
use sha2::Digest;

async fn start(auto_approve: bool) -> (Sandbox, reqwest::Client) {
    let sandbox = Sandbox::start(SandboxConfig {
        auto_approve,
        ..Default::default()
    })
    .await
    .unwrap();
    // reqwest is built without a crypto provider of its own (see the workspace Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (sandbox, client)
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_owned()
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

fn fitbit_authorize(base: &str, extra: &str) -> String {
    format!(
        "{base}/oauth2/authorize?client_id=sandbox-client&response_type=code&scope=activity+sleep+profile\
         &redirect_uri=fitauth%3A%2F%2Fcallback&state=st8&code_challenge={}&code_challenge_method=S256{extra}",
        challenge()
    )
}

/// Exchanges a `sandbox-client` code from a `fitauth://callback` authorization made with `VERIFIER`.
async fn exchange(http: &reqwest::Client, base: &str, code: &str) -> Value {
    http.post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "sandbox-client"),
            ("code", code),
            ("redirect_uri", "fitauth://callback"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn consent_page_has_the_form_a_person_fills_in() {
    let (sandbox, http) = start(false).await;
    let resp = http
        .get(fitbit_authorize(sandbox.base_url(), ""))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    for needle in [
        "action=\"/oauth2/authorize/decision\"",
        "name=\"request_id\"",
        "<select name=\"user\"",
        "value=\"SBX123\" selected",
        "name=\"scope\" value=\"activity\" id=\"scope-activity\" checked",
        "id=\"allow\"",
        "id=\"deny\"",
        "Sandbox Client App",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(!html.contains("id=\"prompt\""), "no prompt, nothing said");
    // `prompt` is said on the page: what the app asked of the person.
    for (prompt, login, consent) in [
        ("login", true, false),
        ("consent", false, true),
        ("login%20consent", true, true),
        ("none", false, false),
    ] {
        let html = http
            .get(fitbit_authorize(
                sandbox.base_url(),
                &format!("&prompt={prompt}"),
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            html.contains("sign in again (prompt=login)"),
            login,
            "{prompt}: {html}"
        );
        assert_eq!(
            html.contains("(prompt=consent)"),
            consent,
            "{prompt}: {html}"
        );
    }
}

#[tokio::test]
async fn partial_consent_redirects_with_a_code_and_the_fitbit_marker() {
    let (sandbox, http) = start(false).await;
    let html = http
        .get(fitbit_authorize(sandbox.base_url(), ""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rid_at =
        html.find("name=\"request_id\" value=\"").unwrap() + "name=\"request_id\" value=\"".len();
    let rid = &html[rid_at..rid_at + html[rid_at..].find('"').unwrap()];
    let resp = http
        .post(format!("{}/oauth2/authorize/decision", sandbox.base_url()))
        .form(&[
            ("request_id", rid),
            ("user", "SBX123"),
            ("decision", "allow"),
            ("scope", "sleep"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(
        loc.starts_with("fitauth://callback?code=") && loc.ends_with("&state=st8#_=_"),
        "{loc}"
    );

    let code = query_param(&loc, "code").unwrap();
    let token = exchange(&http, sandbox.base_url(), &code).await;
    assert_eq!(token["scope"], "sleep");
    assert_eq!(token["user_id"], "SBX123");
    assert_eq!(token["expires_in"], 28800);
    // The request_id is single-use.
    let again = http
        .post(format!("{}/oauth2/authorize/decision", sandbox.base_url()))
        .form(&[
            ("request_id", rid),
            ("decision", "allow"),
            ("scope", "sleep"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn invalid_authorize_requests_get_an_error_page_never_a_redirect() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let cases = [
        (format!("{base}/oauth2/authorize?response_type=code&scope=sleep&redirect_uri=fitauth://callback"), "Missing parameters: client_id"),
        (fitbit_authorize(base, "").replace("fitauth%3A%2F%2Fcallback", "https%3A%2F%2Fevil.example%2F"), "Invalid redirect_uri parameter value"),
        (fitbit_authorize(base, "").replace("scope=activity", "scope=irn"), "invalid_scope"),
        (fitbit_authorize(base, "").replace(&challenge(), "short"), "length must be between 43 and 128"),
        (fitbit_authorize(base, "").replace("S256", "S512"), "Unsupported code_challenge_method"),
        (fitbit_authorize(base, "").replace("response_type=code", "response_type=id_token"), "Invalid response_type"),
        (
            fitbit_authorize(base, "").replace("client_id=sandbox-client", "client_id=sandbox-server").replace("response_type=code", "response_type=token"),
            "not authorized to request an access token using this method",
        ),
        (
            format!("{base}/o/oauth2/v2/auth?client_id=sandbox-google&response_type=code&scope=openid&redirect_uri=fitauth%3A%2F%2Fcallback"),
            "Custom URI scheme is not enabled",
        ),
    ];
    for (url, message) in cases {
        let resp = http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        assert!(resp.headers().get("location").is_none());
        let html = resp.text().await.unwrap();
        assert!(html.contains(message), "{message} not in page for {url}");
    }
}

#[tokio::test]
async fn implicit_grant_and_google_redirect_shapes() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let implicit = format!(
        "{base}/oauth2/authorize?client_id=sandbox-client&response_type=token&scope=weight&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s&expires_in=604800"
    );
    let loc = location(&http.get(&implicit).send().await.unwrap());
    let (_, fragment) = loc.split_once('#').unwrap();
    assert!(fragment.starts_with("_=_access_token="), "{fragment}");
    assert!(
        fragment.contains("expires_in=604800")
            && fragment.contains("user_id=SBX123")
            && fragment.contains("state=s")
    );

    let google = format!(
        "{base}/o/oauth2/v2/auth?client_id=sandbox-google&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2F\
         &scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgooglehealth.sleep.readonly&state=g&code_challenge={}&code_challenge_method=S256",
        challenge()
    );
    let loc = location(&http.get(&google).send().await.unwrap());
    assert!(!loc.contains('#'), "no #_=_ from Google: {loc}");
    assert_eq!(
        query_param(&loc, "scope").unwrap(),
        "https://www.googleapis.com/auth/googlehealth.sleep.readonly"
    );
    let code = query_param(&loc, "code").unwrap();
    let no_secret = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "sandbox-google"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_secret.status(), 400);
    assert_eq!(
        no_secret.json::<Value>().await.unwrap()["error_description"],
        "client_secret is missing."
    );
}

#[tokio::test]
async fn control_api_records_requests_and_applies_faults() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let health: Value = http
        .get(format!("{base}/_sandbox/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true);

    http.post(format!("{base}/_sandbox/faults"))
        .json(&serde_json::json!({ "kind": "html", "path": "/oauth2/token", "times": 1 }))
        .send()
        .await
        .unwrap();
    let faulted = http
        .post(format!("{base}/oauth2/token"))
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(faulted.status(), 200);
    assert!(faulted.text().await.unwrap().starts_with("<!DOCTYPE html>"));
    let after = http
        .post(format!("{base}/oauth2/token"))
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        401,
        "the fault was used up; the real endpoint answers (no client)"
    );

    let control = sandbox.control();
    control.set_fault(FaultSpec {
        kind: FaultKind::Gone,
        path: None,
        times: Some(1),
        delay_ms: None,
        status: None,
    });
    assert_eq!(
        http.get(format!("{base}/1/user/-/profile.json"))
            .send()
            .await
            .unwrap()
            .status(),
        410
    );
    let settings = control.update_settings(SettingsPatch {
        rate_limit: Some(3),
        ..Default::default()
    });
    assert_eq!(settings.rate_limit, 3);

    let recorded: Vec<Value> = http
        .get(format!("{base}/_sandbox/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<_> = recorded
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/oauth2/token", 200),
            ("/oauth2/token", 401),
            ("/1/user/-/profile.json", 410)
        ]
    );
    assert_eq!(recorded[0]["form"]["grant_type"][0], "refresh_token");
    assert_eq!(control.requests().len(), 3);
    http.delete(format!("{base}/_sandbox/requests"))
        .send()
        .await
        .unwrap();
    assert!(control.requests().is_empty());
}

#[tokio::test]
async fn access_tokens_are_hs256_jwts_with_fitbit_scope_codes() {
    let (sandbox, http) = start(true).await;
    let loc = location(
        &http
            .get(fitbit_authorize(sandbox.base_url(), ""))
            .send()
            .await
            .unwrap(),
    );
    let code = query_param(&loc, "code").unwrap();
    let token = exchange(&http, sandbox.base_url(), &code).await;
    let parts: Vec<&str> = token["access_token"].as_str().unwrap().split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |p: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode(parts[0])["alg"], "HS256");
    let claims = decode(parts[1]);
    assert_eq!(claims["iss"], "Fitbit");
    assert_eq!(claims["scopes"], "wact wsle wpro");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        28800
    );
}

const GOOGLE_SLEEP: &str = "https://www.googleapis.com/auth/googlehealth.sleep.readonly";

fn google_authorize(base: &str, scope: &str) -> String {
    let mut url = url::Url::parse(&format!("{base}/o/oauth2/v2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "sandbox-google")
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", "http://127.0.0.1:9/")
        .append_pair("scope", scope)
        .append_pair("state", "g")
        .append_pair("code_challenge", &challenge())
        .append_pair("code_challenge_method", "S256");
    url.into()
}

/// Shows the Google consent page for `scope`, then allows as `user` with only the `ticked`
/// scopes (the form posts just the ticked checkboxes). Returns the consent page and the code.
async fn google_consent(
    http: &reqwest::Client,
    base: &str,
    scope: &str,
    user: &str,
    ticked: &[&str],
) -> (String, String) {
    let html = http
        .get(google_authorize(base, scope))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rid_at =
        html.find("name=\"request_id\" value=\"").unwrap() + "name=\"request_id\" value=\"".len();
    let rid = &html[rid_at..rid_at + html[rid_at..].find('"').unwrap()];
    let mut form = vec![("request_id", rid), ("user", user), ("decision", "allow")];
    form.extend(ticked.iter().map(|s| ("scope", *s)));
    let resp = http
        .post(format!("{base}/o/oauth2/v2/auth/decision"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let code = query_param(&location(&resp), "code").unwrap();
    (html, code)
}

/// Exchanges a `sandbox-google` code from an authorization made by `google_authorize`.
async fn google_exchange(http: &reqwest::Client, base: &str, code: &str) -> Value {
    let resp = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "sandbox-google"),
            ("client_secret", "sandbox-google-secret"),
            ("code", code),
            ("redirect_uri", "http://127.0.0.1:9/"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// A `sandbox-google` refresh request with `refresh_token`.
async fn google_refresh(
    http: &reqwest::Client,
    base: &str,
    refresh_token: &str,
) -> reqwest::Response {
    http.post(format!("{base}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "sandbox-google"),
            ("client_secret", "sandbox-google-secret"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap()
}

async fn google_tokeninfo(http: &reqwest::Client, base: &str, access_token: &str) -> Value {
    http.get(format!("{base}/tokeninfo"))
        .query(&[("access_token", access_token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The header and claims of a JWT, decoded without checking the signature (as clients do).
fn jwt_parts(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let decode = |p: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .unwrap(),
        )
        .unwrap()
    };
    (decode(parts[0]), decode(parts[1]))
}

#[tokio::test]
async fn google_openid_email_grant_returns_an_id_token_with_the_chosen_users_email() {
    let (sandbox, http) = start(false).await;
    let base = sandbox.base_url();
    let scope = format!("openid email {GOOGLE_SLEEP}");
    let (_, code) = google_consent(
        &http,
        base,
        &scope,
        "SBX456",
        &["openid", "email", GOOGLE_SLEEP],
    )
    .await;
    let token = google_exchange(&http, base, &code).await;
    assert_eq!(token["scope"], scope);
    let (header, claims) = jwt_parts(token["id_token"].as_str().expect("an id_token"));
    assert_eq!(header["alg"], "HS256");
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["aud"], "sandbox-google");
    assert_eq!(claims["azp"], "sandbox-google");
    assert_eq!(claims["sub"], "100000000000000000002");
    assert_eq!(claims["email"], "riley.visitor@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    // tokeninfo shows the address too, in Google's string style.
    let info = google_tokeninfo(&http, base, token["access_token"].as_str().unwrap()).await;
    assert_eq!(info["email"], "riley.visitor@example.com");
    assert_eq!(info["email_verified"], "true");

    // A refresh answer carries a fresh ID token with the same identity.
    let refreshed: Value = google_refresh(&http, base, token["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!(refreshed.get("refresh_token").is_none());
    let (_, again) = jwt_parts(refreshed["id_token"].as_str().expect("an id_token"));
    assert_eq!(again["sub"], "100000000000000000002");
    assert_eq!(again["email"], "riley.visitor@example.com");
}

#[tokio::test]
async fn google_id_token_has_no_email_when_email_is_unticked() {
    let (sandbox, http) = start(false).await;
    let base = sandbox.base_url();
    let (html, code) = google_consent(
        &http,
        base,
        &format!("openid email {GOOGLE_SLEEP}"),
        "SBX123",
        &["openid", GOOGLE_SLEEP],
    )
    .await;
    // The consent page offers the identity scopes next to the Health scope, all ticked.
    for needle in [
        "action=\"/o/oauth2/v2/auth/decision\"",
        "Sign you in with Google",
        "name=\"scope\" value=\"openid\" id=\"scope-openid\" checked",
        "See your email address",
        "name=\"scope\" value=\"email\" id=\"scope-email\" checked",
        "See your sleep data",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    let token = google_exchange(&http, base, &code).await;
    assert_eq!(token["scope"], format!("openid {GOOGLE_SLEEP}"));
    let (_, claims) = jwt_parts(token["id_token"].as_str().expect("an id_token"));
    assert_eq!(claims["sub"], "100000000000000000001");
    assert!(claims.get("email").is_none(), "{claims}");
    assert!(claims.get("email_verified").is_none(), "{claims}");

    let info = google_tokeninfo(&http, base, token["access_token"].as_str().unwrap()).await;
    assert!(info.get("email").is_none(), "{info}");
}

#[tokio::test]
async fn google_grant_without_openid_has_no_id_token() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    for scope in [GOOGLE_SLEEP.to_owned(), format!("email {GOOGLE_SLEEP}")] {
        let loc = location(
            &http
                .get(google_authorize(base, &scope))
                .send()
                .await
                .unwrap(),
        );
        let code = query_param(&loc, "code").unwrap();
        let token = google_exchange(&http, base, &code).await;
        assert_eq!(token["scope"], scope);
        assert!(token.get("id_token").is_none(), "{token}");
    }
}

#[tokio::test]
async fn a_verifier_for_a_code_issued_without_a_challenge_is_refused() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    // A server app may skip PKCE: no challenge in the authorize request.
    let resp = http
        .get(format!(
            "{base}/oauth2/authorize?client_id=sandbox-server&response_type=code&scope=profile\
             &redirect_uri=fitauth%3A%2F%2Fcallback&state=st8"
        ))
        .send()
        .await
        .unwrap();
    let code = query_param(&location(&resp), "code").unwrap();
    let with_verifier = |code: String| {
        http.post(format!("{base}/oauth2/token"))
            .basic_auth("sandbox-server", Some("sandbox-secret"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "fitauth://callback"),
                ("code_verifier", VERIFIER),
            ])
            .send()
    };
    let resp = with_verifier(code).await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["errorType"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn the_control_api_answers_only_requests_addressed_to_this_computer() {
    let (sandbox, http) = start(false).await;
    let url = format!("{}/_sandbox/requests", sandbox.base_url());
    let port = sandbox.local_addr().port();
    for (host, allowed) in [
        (format!("127.0.0.1:{port}"), true),
        (format!("localhost:{port}"), true),
        (format!("rebound.example:{port}"), false),
        ("evil.example".to_owned(), false),
    ] {
        let status = http
            .get(&url)
            .header("host", &host)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.is_success(), allowed, "{host}: {status}");
    }
}

/// A `sandbox-client` refresh request with `refresh_token`: (status, body).
async fn fitbit_refresh(http: &reqwest::Client, base: &str, refresh_token: &str) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "sandbox-client"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn refresh_stats(http: &reqwest::Client, base: &str) -> Value {
    http.get(format!("{base}/_sandbox/refresh-stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_stats_tell_active_duplicate_stale_revoked_and_unknown_tokens_apart() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let control = sandbox.control();
    let loc = location(&http.get(fitbit_authorize(base, "")).send().await.unwrap());
    let first = exchange(&http, base, &query_param(&loc, "code").unwrap()).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    assert_eq!(refresh_stats(&http, base).await["active"], 0);

    // Active, then the same token again within the grace interval: the same pair.
    let (status, second) = fitbit_refresh(&http, base, r1).await;
    assert_eq!(status, 200);
    let (status, duplicate) = fitbit_refresh(&http, base, r1).await;
    assert_eq!((status, &duplicate), (200, &second));
    // Once the new access token is used, the old refresh token is stale.
    let profile = http
        .get(format!("{base}/1/user/-/profile.json"))
        .bearer_auth(second["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    assert_eq!(fitbit_refresh(&http, base, r1).await.0, 400);
    // Past the grace interval an unused duplicate is stale too.
    let r2 = second["refresh_token"].as_str().unwrap();
    let (status, third) = fitbit_refresh(&http, base, r2).await;
    assert_eq!(status, 200);
    control.advance_clock(121);
    assert_eq!(fitbit_refresh(&http, base, r2).await.0, 400);
    // Revoked, and never issued.
    let r3 = third["refresh_token"].as_str().unwrap();
    let revoke = http
        .post(format!("{base}/oauth2/revoke"))
        .form(&[("token", r3), ("client_id", "sandbox-client")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_eq!(fitbit_refresh(&http, base, r3).await.0, 400);
    assert_eq!(fitbit_refresh(&http, base, "never-issued").await.0, 400);

    let expected = serde_json::json!({
        "active": 2, "within_grace": 1, "stale": 2, "revoked": 1, "unknown": 1,
    });
    assert_eq!(refresh_stats(&http, base).await, expected);
    let stats = control.refresh_stats();
    assert_eq!((stats.answered(), stats.refused()), (3, 4));

    // Google does not rotate: the same refresh token is active every time.
    let loc = location(
        &http
            .get(google_authorize(base, GOOGLE_SLEEP))
            .send()
            .await
            .unwrap(),
    );
    let code = query_param(&loc, "code").unwrap();
    let google = google_exchange(&http, base, &code).await;
    control.clear_refresh_stats();
    for _ in 0..2 {
        let resp = google_refresh(&http, base, google["refresh_token"].as_str().unwrap()).await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(control.refresh_stats().active, 2);
    http.delete(format!("{base}/_sandbox/refresh-stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(control.refresh_stats(), Default::default());
}

#[tokio::test]
async fn a_reset_fault_cuts_the_connection_before_any_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let control = sandbox.control();
    let reset = |times| FaultSpec {
        kind: FaultKind::Reset,
        path: Some("/1/user/-/profile.json".into()),
        times: Some(times),
        delay_ms: None,
        status: None,
    };
    let guard = std::time::Duration::from_secs(10);

    // On the wire: the request is read, then the connection ends without a byte of answer.
    control.set_fault(reset(1));
    let mut raw = tokio::net::TcpStream::connect(sandbox.local_addr())
        .await
        .unwrap();
    raw.write_all(b"GET /1/user/-/profile.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(guard, raw.read_to_end(&mut answer))
        .await
        .expect("the sandbox closes the connection");
    match read {
        Ok(_) => assert!(
            answer.is_empty(),
            "no answer at all, got {:?}",
            String::from_utf8_lossy(&answer)
        ),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }

    // An HTTP client gets an error, not a response, and the next request is answered again.
    control.set_fault(reset(1));
    let cut = tokio::time::timeout(
        guard,
        http.get(format!("{base}/1/user/-/profile.json")).send(),
    )
    .await
    .expect("the client is not left waiting")
    .unwrap_err();
    assert!(!cut.is_timeout() && cut.status().is_none(), "{cut:?}");
    let after = http
        .get(format!("{base}/1/user/-/profile.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        401,
        "the fault was used up (no bearer token)"
    );

    // The log says no answer was sent (status 0).
    let statuses: Vec<u16> = control.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [0, 0, 401]);
    // Set over the control API by name, like every other kind.
    let added = http
        .post(format!("{base}/_sandbox/faults"))
        .json(&serde_json::json!({ "kind": "reset", "times": 1 }))
        .send()
        .await
        .unwrap();
    assert!(added.status().is_success());
    assert!(http
        .get(format!("{base}/1/user/-/profile.json"))
        .send()
        .await
        .is_err());
}

/// A code grant with auto-approve: the token response.
async fn auto_approved_grant(http: &reqwest::Client, base: &str) -> Value {
    let resp = http.get(fitbit_authorize(base, "")).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let code = query_param(&location(&resp), "code").expect("a code");
    exchange(http, base, &code).await
}

/// Numbers from the control API cannot overflow the sandbox: a lifetime of u64::MAX seconds is
/// clamped to ten years, and a clock moved to either end of i64 keeps answering (a debug build
/// would panic on overflow; a release build would wrap into tokens that expired long ago).
#[tokio::test]
async fn extreme_lifetimes_and_clocks_neither_overflow_nor_wrap() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let control = sandbox.control();
    control.update_settings(SettingsPatch {
        access_token_ttl_secs: Some(u64::MAX),
        ..Default::default()
    });
    let tokens = auto_approved_grant(&http, base).await;
    assert_eq!(
        tokens["expires_in"].as_i64(),
        Some(fitauth_sandbox::MAX_LIFETIME_SECS as i64),
        "{tokens}"
    );
    for seconds in [i64::MAX, i64::MIN, i64::MIN, i64::MAX] {
        control.advance_clock(seconds);
        let tokens = auto_approved_grant(&http, base).await;
        let expires_in = tokens["expires_in"].as_i64().unwrap_or(-1);
        assert!(expires_in >= 0, "clock moved by {seconds}: {tokens}");
        let (status, refreshed) = fitbit_refresh(
            &http,
            base,
            tokens["refresh_token"].as_str().expect("a refresh token"),
        )
        .await;
        assert_eq!(status, 200, "clock moved by {seconds}: {refreshed}");
    }
}

/// The request log keeps the latest [`fitauth_sandbox::MAX_RECORDED`] requests, not every one
/// since the sandbox started.
#[tokio::test]
async fn the_request_log_is_bounded_and_keeps_the_latest() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let total = fitauth_sandbox::MAX_RECORDED + 25;
    for i in 0..total {
        http.get(format!("{base}/1/user/-/profile.json?n={i}"))
            .send()
            .await
            .unwrap();
    }
    let requests = sandbox.control().requests();
    assert_eq!(requests.len(), fitauth_sandbox::MAX_RECORDED);
    assert_eq!(
        requests.last().unwrap().query,
        format!("n={}", total - 1),
        "the newest request is kept"
    );
    assert_eq!(
        requests.first().unwrap().query,
        format!("n={}", total - fitauth_sandbox::MAX_RECORDED),
        "the oldest are dropped"
    );
}

/// The two sides of a move: a Google sign-in's identity names the Fitbit account the person
/// chose (`legacyUserId`), and with `legacy_retired` every legacy Fitbit endpoint answers
/// `410 Gone` while Google's keep working.
#[tokio::test]
async fn google_identity_names_the_fitbit_account_and_the_retired_legacy_api_is_gone() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let fitbit = auto_approved_grant(&http, base).await;
    let fitbit_access = fitbit["access_token"].as_str().unwrap().to_owned();
    let fitbit_refresh = fitbit["refresh_token"].as_str().unwrap().to_owned();
    sandbox.control().update_settings(SettingsPatch {
        auto_approve: Some(false),
        ..Default::default()
    });
    for (user, fitbit_id) in [("SBX123", "SBX123"), ("SBX456", "SBX456")] {
        let (_, code) = google_consent(&http, base, GOOGLE_SLEEP, user, &[GOOGLE_SLEEP]).await;
        let tokens = google_exchange(&http, base, &code).await;
        let identity: Value = http
            .get(format!("{base}/v4/users/me/identity"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(identity["legacyUserId"], fitbit_id, "{identity}");
    }

    sandbox.control().update_settings(SettingsPatch {
        legacy_retired: Some(true),
        ..Default::default()
    });
    let gone = |resp: reqwest::Response| async move {
        assert_eq!(resp.status(), 410, "{}", resp.url());
    };
    gone(http.get(fitbit_authorize(base, "")).send().await.unwrap()).await;
    gone(
        http.post(format!("{base}/oauth2/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "sandbox-client"),
                ("refresh_token", fitbit_refresh.as_str()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    gone(
        http.get(format!("{base}/1/user/-/profile.json"))
            .bearer_auth(&fitbit_access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    gone(
        http.post(format!("{base}/oauth2/revoke"))
            .form(&[("token", fitbit_refresh.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Google's side is not touched.
    let (_, code) = google_consent(&http, base, GOOGLE_SLEEP, "SBX123", &[GOOGLE_SLEEP]).await;
    let tokens = google_exchange(&http, base, &code).await;
    assert!(tokens["access_token"].is_string());
}

/// Fitbit's revoke: either token ends the grant; a token it does not know (any more) gets a
/// `404` (<https://dev.fitbit.com/build/reference/web-api/authorization/revoke-token/>).
#[tokio::test]
async fn revoking_either_token_ends_the_grant_and_an_unknown_one_is_404() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let revoke = |token: String| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/oauth2/revoke"))
                .form(&[("token", token.as_str()), ("client_id", "sandbox-client")])
                .send()
                .await
                .unwrap()
        }
    };
    for which in ["access_token", "refresh_token"] {
        let loc = location(&http.get(fitbit_authorize(base, "")).send().await.unwrap());
        let tokens = exchange(&http, base, &query_param(&loc, "code").unwrap()).await;
        let token = tokens[which].as_str().unwrap().to_owned();
        assert_eq!(revoke(token.clone()).await.status(), 200, "{which}");
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert_eq!(fitbit_refresh(&http, base, refresh).await.0, 400, "{which}");
        let again = revoke(token).await;
        assert_eq!(again.status(), 404, "{which}");
        let body: serde_json::Value = again.json().await.unwrap();
        assert_eq!(body["errors"][0]["errorType"], "not_found", "{body}");
    }
    assert_eq!(revoke("never-issued".into()).await.status(), 404);
}

/// `expires_in` on the code exchange and the refresh: 28800 or 3600, anything else refused;
/// the token, refresh and revoke answers carry the `Fitbit-Rate-Limit-*` headers without
/// counting, and the profile call (which counts) moves them.
#[tokio::test]
async fn token_lifetimes_on_exchange_and_refresh_and_rate_limit_headers_everywhere() {
    let (sandbox, http) = start(true).await;
    let base = sandbox.base_url();
    let code = |http: reqwest::Client| async move {
        let loc = location(&http.get(fitbit_authorize(base, "")).send().await.unwrap());
        query_param(&loc, "code").unwrap()
    };
    let token_call = |form: Vec<(&'static str, String)>| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/oauth2/token"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let exchange_form = |code: String, lifetime: &str| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", "sandbox-client".into()),
            ("code", code),
            ("redirect_uri", "fitauth://callback".into()),
            ("code_verifier", VERIFIER.into()),
        ];
        if !lifetime.is_empty() {
            form.push(("expires_in", lifetime.into()));
        }
        form
    };
    let limit = |resp: &reqwest::Response, name: &str| -> i64 {
        resp.headers()[format!("fitbit-rate-limit-{name}").as_str()]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };

    // A lifetime Fitbit does not offer: refused, and the code is not spent.
    let c = code(http.clone()).await;
    let refused = token_call(exchange_form(c.clone(), "7200")).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expires_in"),
        "{body}"
    );
    let one_hour = token_call(exchange_form(c, "3600")).await;
    assert_eq!(one_hour.status(), 200);
    assert_eq!(limit(&one_hour, "limit"), 150);
    assert_eq!(
        limit(&one_hour, "remaining"),
        150,
        "the token call is not counted"
    );
    assert!((1..=3600).contains(&limit(&one_hour, "reset")));
    let tokens: Value = one_hour.json().await.unwrap();
    assert_eq!(tokens["expires_in"], 3600, "{tokens}");

    // The profile call counts.
    let access = tokens["access_token"].as_str().unwrap();
    let profile = http
        .get(format!("{base}/1/user/-/profile.json"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    assert_eq!(limit(&profile, "remaining"), 149);

    // The refresh asks for 8 hours; its answer shows the person's bucket as it stands.
    let refresh_form = |token: &Value, lifetime: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", "sandbox-client".into()),
            ("refresh_token", token.as_str().unwrap().into()),
            ("expires_in", lifetime.into()),
        ]
    };
    let refreshed = token_call(refresh_form(&tokens["refresh_token"], "28800")).await;
    assert_eq!(refreshed.status(), 200);
    assert_eq!(limit(&refreshed, "remaining"), 149);
    let pair: Value = refreshed.json().await.unwrap();
    assert_eq!(pair["expires_in"], 28800, "{pair}");
    let bad = token_call(refresh_form(&pair["refresh_token"], "86400")).await;
    assert_eq!(
        bad.status(),
        400,
        "a day is the implicit grant's, not a refresh's"
    );

    // Revoke, known or not: the headers too.
    let revoked = http
        .post(format!("{base}/oauth2/revoke"))
        .form(&[
            ("token", pair["refresh_token"].as_str().unwrap()),
            ("client_id", "sandbox-client"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(limit(&revoked, "remaining"), 149);
    let unknown = http
        .post(format!("{base}/oauth2/revoke"))
        .form(&[("token", "never-issued"), ("client_id", "sandbox-client")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(limit(&unknown, "limit"), 150);
}
