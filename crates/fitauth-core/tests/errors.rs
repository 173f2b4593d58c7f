//! Every error kind and every sandbox fault, through fitauth-core over real HTTP: each gives the
//! promised plain message, and the tokens the client holds keep working afterwards.

mod common;

use std::time::Duration;

use common::*;
use fitauth_core::{
    AppType, AuthorizeOptions, Authorized, ClientConfig, Error, HttpClient, OAuthClient,
    PendingAuthorization, Provider, ProviderKind, RedirectParams, RetryPolicy, Timeouts, TokenSet,
};
use serde_json::json;

async fn code_for(
    client: &OAuthClient,
    consent: Consent,
) -> (PendingAuthorization, fitauth_core::AuthorizationCode) {
    let options = AuthorizeOptions::code(
        FITBIT_SCOPES.iter().map(|s| s.to_string()).collect(),
        "fitauth://callback",
    );
    let pending = PendingAuthorization::start(client.config(), options).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, consent)
        .await
        .location();
    match RedirectParams::parse(&location)
        .unwrap()
        .verify(&pending)
        .unwrap()
    {
        Authorized::Code { code, .. } => (pending, code),
        other => panic!("{other:?}"),
    }
}

async fn connected(env: &Env) -> (OAuthClient, TokenSet) {
    let client = env.fitbit_client();
    let (pending, code) = code_for(&client, Consent::allow()).await;
    let tokens = client.exchange_code(&pending, &code).await.unwrap();
    (client, tokens)
}

#[tokio::test]
async fn a_reused_code_is_refused() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let (pending, code) = code_for(&client, Consent::allow()).await;
    client.exchange_code(&pending, &code).await.unwrap();
    let err = client.exchange_code(&pending, &code).await.unwrap_err();
    assert_eq!(err.kind(), "code_rejected");
    assert!(err.to_string().contains("already used"));
    assert_eq!(err.hint(), "Start the connection again.");
    let detail = err.detail().unwrap().to_string();
    assert!(
        detail.contains("invalid_grant") && !detail.contains(code.secret()),
        "{detail}"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let (pending, code) = code_for(&client, Consent::allow()).await;
    env.advance_clock(601).await;
    assert_eq!(
        client
            .exchange_code(&pending, &code)
            .await
            .unwrap_err()
            .kind(),
        "code_rejected"
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let (mut pending, code) = code_for(&client, Consent::allow()).await;
    pending.verifier = Some(fitauth_core::PkceVerifier::generate());
    assert_eq!(
        client
            .exchange_code(&pending, &code)
            .await
            .unwrap_err()
            .kind(),
        "code_rejected"
    );
}

#[tokio::test]
async fn a_different_redirect_uri_is_refused() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let (mut pending, code) = code_for(&client, Consent::allow()).await;
    pending.redirect_uri = "fitauth://callback/".into(); // a trailing slash is enough
    let err = client.exchange_code(&pending, &code).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_request");
    assert!(err.hint().contains("redirect address"));
}

#[tokio::test]
async fn wrong_client_credentials_are_an_app_registration_error() {
    let env = Env::start().await;
    let wrong = env.client(
        ProviderKind::Fitbit,
        "sandbox-server",
        AppType::Server,
        Some("wrong"),
    );
    let (pending, code) = code_for(&wrong, Consent::allow()).await;
    let err = wrong.exchange_code(&pending, &code).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_client");
    assert!(err.hint().contains("client id"));

    let google = env.client(
        ProviderKind::GoogleHealth,
        "sandbox-google",
        AppType::Client,
        Some("wrong"),
    );
    let err = google
        .refresh(&fitauth_core::RefreshToken::new("whatever-token"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_client");
    let no_secret = env.client(
        ProviderKind::GoogleHealth,
        "sandbox-google",
        AppType::Client,
        None,
    );
    assert_eq!(
        no_secret
            .refresh(&fitauth_core::RefreshToken::new("x"))
            .await
            .unwrap_err()
            .kind(),
        "config"
    );
}

#[tokio::test]
async fn authorize_errors_show_an_error_page_and_never_redirect() {
    let env = Env::start().await;
    let unknown = env.client(
        ProviderKind::Fitbit,
        "no-such-client",
        AppType::Client,
        None,
    );
    let options = AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback");
    let pending = PendingAuthorization::start(unknown.config(), options).unwrap();
    match Browser::default()
        .consent(&pending.authorize_url, Consent::allow())
        .await
    {
        BrowserOutcome::ErrorPage { status, body } => {
            assert_eq!(status, 400);
            assert!(
                body.contains("client_id") || body.contains("Client id"),
                "{body}"
            );
        }
        BrowserOutcome::Redirect(l) => panic!("must not redirect: {l}"),
    }
}

#[tokio::test]
async fn an_expired_access_token_is_reported_as_expired() {
    let env = Env::start().await;
    env.settings(json!({ "access_token_ttl_secs": 60 })).await;
    let (client, tokens) = connected(&env).await;
    assert_eq!(tokens.expires_at.unwrap() - tokens.issued_at, 60);
    env.advance_clock(120).await;
    let err = client.identity(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.kind(), "expired_token");
    assert_eq!(err.hint(), "Refresh the token.");
    let fresh = client
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    client.identity(&fresh.access_token).await.unwrap();
}

#[tokio::test]
async fn missing_profile_scope_is_insufficient_scope() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let (pending, code) = code_for(&client, Consent::only(&["sleep"])).await;
    let tokens = client.exchange_code(&pending, &code).await.unwrap();
    let err = client.identity(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.kind(), "insufficient_scope");
    assert!(err.hint().contains("Reconnect"));
}

#[tokio::test]
async fn the_rate_limit_is_tracked_and_429_names_the_reset_time() {
    let env = Env::start().await;
    let (client, tokens) = connected(&env).await;
    env.settings(json!({ "rate_limit": 2 })).await;
    client.identity(&tokens.access_token).await.unwrap();
    let first = client.log().latest_rate_limit().unwrap();
    assert_eq!(first.limit, Some(2));
    client.identity(&tokens.access_token).await.unwrap();
    assert_eq!(client.log().latest_rate_limit().unwrap().remaining, Some(0));
    let err = client.identity(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.kind(), "rate_limited");
    let Error::RateLimited {
        reset_at: Some(reset),
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(reset > fitauth_core::clock::now_unix());
    assert!(err.to_string().starts_with("Rate-limited until "), "{err}");
    assert!(err.hint().contains("stored tokens are unaffected"));
}

/// One fault on the token endpoint: the refresh fails with `kind`, and once the fault is gone the
/// same refresh token still works (nothing was lost).
async fn refresh_under_fault(fault: serde_json::Value, kind: &str) -> Error {
    let env = Env::with_timeouts(Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_millis(1500),
    })
    .await;
    let (client, tokens) = connected(&env).await;
    let refresh = tokens.refresh_token.clone().unwrap();
    let mut spec = fault;
    spec["path"] = json!("/oauth2/token");
    spec["times"] = json!(1);
    env.fault(spec).await;
    let err = client.refresh(&refresh).await.unwrap_err();
    assert_eq!(err.kind(), kind, "{err:?}");
    assert!(
        !err.to_string().contains('{'),
        "a sentence, not JSON: {err}"
    );
    let recorded = env.requests_to("/oauth2/token").await;
    assert_eq!(
        recorded.len(),
        2,
        "the sandbox received the faulted refresh"
    );
    // The stored refresh token is intact: it still refreshes (the Fitbit grace covers a refresh
    // whose answer was lost after the sandbox rotated).
    let after = client.refresh(&refresh).await.unwrap();
    client.identity(&after.access_token).await.unwrap();
    err
}

#[tokio::test]
async fn fault_server_error() {
    let err = refresh_under_fault(json!({ "kind": "server_error" }), "server_error").await;
    assert_eq!(
        err.to_string(),
        "The provider is having trouble (HTTP 503)."
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn fault_html_body() {
    let err = refresh_under_fault(json!({ "kind": "html" }), "unexpected_response").await;
    assert!(err.to_string().contains("an HTML page"), "{err}");
}

#[tokio::test]
async fn fault_malformed_json() {
    let err = refresh_under_fault(json!({ "kind": "malformed_json" }), "unexpected_response").await;
    assert!(err.to_string().contains("malformed JSON"), "{err}");
}

#[tokio::test]
async fn fault_slow_reply_times_out() {
    let err = refresh_under_fault(json!({ "kind": "slow", "delay_ms": 4000 }), "timeout").await;
    assert!(err.to_string().contains("did not answer in time"), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn fault_rate_limited() {
    let err = refresh_under_fault(json!({ "kind": "rate_limited" }), "rate_limited").await;
    assert!(err.to_string().contains("until"), "{err}");
}

#[tokio::test]
async fn fault_gone_means_the_legacy_api_is_retired() {
    let err = refresh_under_fault(json!({ "kind": "gone" }), "retired").await;
    assert!(
        err.to_string().contains("legacy Fitbit API is retired"),
        "{err}"
    );
    assert!(err.hint().contains("Google Health"));
}

#[tokio::test]
async fn fault_conflict() {
    let err = refresh_under_fault(json!({ "kind": "conflict" }), "conflict").await;
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_lost_refresh_answer_is_retried_with_the_same_refresh_token() {
    let env = Env::with_timeouts(Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_millis(1500),
    })
    .await;
    let (client, tokens) = connected(&env).await;
    let refresh = tokens.refresh_token.clone().unwrap();
    env.fault(json!({ "kind": "slow", "delay_ms": 4000, "path": "/oauth2/token", "times": 1 }))
        .await;
    let policy = RetryPolicy {
        attempts: 3,
        backoff: Duration::from_millis(50),
    };
    let fresh = client.refresh_with_retry(&refresh, policy).await.unwrap();

    let refreshes: Vec<_> = env
        .requests_to("/oauth2/token")
        .await
        .into_iter()
        .filter(|r| form(r, "grant_type").as_deref() == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 2, "one lost, one retried");
    assert!(refreshes
        .iter()
        .all(|r| form(r, "refresh_token").as_deref() == Some(refresh.secret())));
    // The new pair is the one the sandbox rotated to on the first (lost) request, and it works.
    client.identity(&fresh.access_token).await.unwrap();
    client
        .refresh(fresh.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn retry_gives_up_on_errors_that_are_not_transient() {
    let env = Env::start().await;
    let (client, tokens) = connected(&env).await;
    client
        .revoke(fitauth_core::TokenToRevoke::Refresh(
            tokens.refresh_token.as_ref().unwrap(),
        ))
        .await
        .unwrap();
    env.clear_requests().await;
    let err = client
        .refresh_with_retry(
            tokens.refresh_token.as_ref().unwrap(),
            RetryPolicy::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "reconnect_needed");
    assert_eq!(
        env.requests_to("/oauth2/token").await.len(),
        1,
        "no retry on invalid_grant"
    );
}

#[tokio::test]
async fn faults_on_bearer_endpoints_and_google_too() {
    let env = Env::start().await;
    let (client, tokens) = connected(&env).await;
    env.fault(json!({ "kind": "html", "path": "/1/user/-/profile.json", "times": 1 }))
        .await;
    assert_eq!(
        client
            .identity(&tokens.access_token)
            .await
            .unwrap_err()
            .kind(),
        "unexpected_response"
    );
    env.fault(json!({ "kind": "gone", "path": "/1.1/oauth2/introspect", "times": 1 }))
        .await;
    assert_eq!(
        client
            .inspect(&tokens.access_token)
            .await
            .unwrap_err()
            .kind(),
        "retired"
    );
    client.inspect(&tokens.access_token).await.unwrap();

    // A 410 from Google is not "Fitbit retired".
    let google = env.google();
    env.fault(json!({ "kind": "gone", "path": "/token", "times": 1 }))
        .await;
    let err = google
        .refresh(&fitauth_core::RefreshToken::new("anything"))
        .await
        .unwrap_err();
    assert_ne!(err.kind(), "retired");
    env.fault(json!({ "kind": "server_error", "path": "/tokeninfo", "times": 1, "status": 500 }))
        .await;
    let err = google.tokeninfo(&tokens.access_token).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "The provider is having trouble (HTTP 500)."
    );
}

#[tokio::test]
async fn an_unreachable_provider_says_offline() {
    // Bind and drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let provider = Provider::fitbit_at(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = OAuthClient::new(
        ClientConfig::new(provider, "sandbox-client", AppType::Client),
        HttpClient::new(Timeouts::default()).unwrap(),
    );
    let err = client
        .refresh(&fitauth_core::RefreshToken::new("r"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "offline");
    assert_eq!(err.to_string(), "Could not connect to 127.0.0.1.");
    assert!(err.is_transient());
    let log = client.log().snapshot();
    assert_eq!(log.len(), 1);
    assert!(log[0].status.is_none() && log[0].transport_error.is_some());
}

#[tokio::test]
async fn an_oversized_answer_is_cut_off_and_reported() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A "provider" that answers every request with 2 MiB of JSON.
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = server.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let body = format!("{{\"access_token\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    let http = fitauth_core::HttpClient::new(Default::default()).unwrap();
    let config = fitauth_core::ClientConfig::new(
        fitauth_core::Provider::fitbit_at(&base).unwrap(),
        "sandbox-client",
        AppType::Client,
    );
    let client = OAuthClient::new(config, http.clone());
    let err = client
        .refresh(&fitauth_core::RefreshToken::new("r-123456789"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "unexpected_response");
    assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
    let logged = http.log().snapshot();
    assert!(logged[0].response_body.len() <= fitauth_core::http::MAX_BODY_BYTES);
}
