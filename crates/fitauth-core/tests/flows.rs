//! Every OAuth flow, driven through fitauth-core against the sandbox over real HTTP on loopback,
//! asserting both on what the client got and on what the sandbox received.

mod common;

use base64::Engine;
use common::*;
use fitauth_core::{
    AppType, AuthorizeOptions, Authorized, LoopbackListener, OAuthClient, PendingAuthorization,
    ProviderKind, RedirectParams, RefreshToken, Revoked, TokenSet, TokenToRevoke,
};

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Starts a code flow, consents in the scripted browser, verifies the redirect.
async fn authorize(
    client: &OAuthClient,
    options: AuthorizeOptions,
    consent: Consent,
) -> (PendingAuthorization, Authorized) {
    let pending = PendingAuthorization::start(client.config(), options).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, consent)
        .await
        .location();
    let authorized = RedirectParams::parse(&location)
        .unwrap()
        .verify(&pending)
        .unwrap();
    (pending, authorized)
}

/// A full code flow ending in tokens.
async fn connect(client: &OAuthClient, options: AuthorizeOptions, consent: Consent) -> TokenSet {
    let (pending, authorized) = authorize(client, options, consent).await;
    let Authorized::Code { code, .. } = authorized else {
        panic!("expected a code")
    };
    client.exchange_code(&pending, &code).await.unwrap()
}

fn fitbit_code() -> AuthorizeOptions {
    AuthorizeOptions::code(scopes(FITBIT_SCOPES), "fitauth://callback")
}

#[tokio::test]
async fn fitbit_client_app_pkce_over_the_custom_scheme() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let pending = PendingAuthorization::start(client.config(), fitbit_code()).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, Consent::allow())
        .await
        .location();
    assert!(location.starts_with("fitauth://callback?"), "{location}");
    assert!(
        location.ends_with("#_=_"),
        "Fitbit appends #_=_: {location}"
    );

    let Authorized::Code { code, .. } = RedirectParams::parse(&location)
        .unwrap()
        .verify(&pending)
        .unwrap()
    else {
        panic!("expected a code")
    };
    let tokens = client.exchange_code(&pending, &code).await.unwrap();
    assert_eq!(tokens.user_id.as_deref(), Some("SBX123"));
    assert_eq!(tokens.scopes.as_deref().unwrap(), FITBIT_SCOPES);
    assert!(tokens.refresh_token.is_some());
    let lifetime = tokens.expires_at.unwrap() - tokens.issued_at;
    assert_eq!(lifetime, 28_800);

    // What the sandbox saw: the authorize parameters and a client-type token request.
    let authorize = &env.requests_to("/oauth2/authorize").await[0];
    assert!(authorize["query"]
        .as_str()
        .unwrap()
        .contains("code_challenge_method=S256"));
    let token = &env.requests_to("/oauth2/token").await[0];
    assert_eq!(
        form(token, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(form(token, "client_id").as_deref(), Some("sandbox-client"));
    assert_eq!(
        form(token, "redirect_uri").as_deref(),
        Some("fitauth://callback")
    );
    assert_eq!(
        form(token, "code_verifier").as_deref(),
        pending.verifier.as_ref().map(|v| v.secret())
    );
    assert_eq!(
        header(token, "authorization"),
        None,
        "client apps send no secret"
    );
    assert_eq!(token["status"], 200);

    let me = client.identity(&tokens.access_token).await.unwrap();
    assert_eq!(me.user_id, "SBX123");
    assert_eq!(me.label(), "Sam Sandbox");
}

#[tokio::test]
async fn fitbit_server_app_without_pkce_uses_basic_auth() {
    let env = Env::start().await;
    let client = env.fitbit_server();
    let mut options = fitbit_code();
    options.pkce = false;
    let tokens = connect(&client, options, Consent::allow()).await;
    assert!(tokens.refresh_token.is_some());

    let authorize = &env.requests_to("/oauth2/authorize").await[0];
    assert!(!authorize["query"]
        .as_str()
        .unwrap()
        .contains("code_challenge"));
    let token = &env.requests_to("/oauth2/token").await[0];
    let expected =
        base64::engine::general_purpose::STANDARD.encode("sandbox-server:sandbox-secret");
    assert_eq!(
        header(token, "authorization"),
        Some(format!("Basic {expected}"))
    );
    assert_eq!(form(token, "code_verifier"), None);
    assert_eq!(
        form(token, "client_secret"),
        None,
        "the secret never goes in the body"
    );
}

#[tokio::test]
async fn fitbit_server_app_with_pkce_sends_both() {
    let env = Env::start().await;
    let client = env.fitbit_server();
    connect(&client, fitbit_code(), Consent::allow()).await;
    let token = &env.requests_to("/oauth2/token").await[0];
    assert!(header(token, "authorization")
        .unwrap()
        .starts_with("Basic "));
    assert!(form(token, "code_verifier").is_some());
}

#[tokio::test]
async fn fitbit_personal_app_either_style() {
    let env = Env::start().await;
    let with_secret = env.client(
        ProviderKind::Fitbit,
        "sandbox-personal",
        AppType::Personal,
        Some("sandbox-personal-secret"),
    );
    connect(&with_secret, fitbit_code(), Consent::allow()).await;
    let without = env.client(
        ProviderKind::Fitbit,
        "sandbox-personal",
        AppType::Personal,
        None,
    );
    connect(&without, fitbit_code(), Consent::allow()).await;

    let tokens = env.requests_to("/oauth2/token").await;
    assert!(header(&tokens[0], "authorization")
        .unwrap()
        .starts_with("Basic "));
    assert_eq!(header(&tokens[1], "authorization"), None);
    assert_eq!(
        form(&tokens[1], "client_id").as_deref(),
        Some("sandbox-personal")
    );
}

#[tokio::test]
async fn personal_app_refuses_other_users_on_the_consent_page() {
    let env = Env::start().await;
    let client = env.client(
        ProviderKind::Fitbit,
        "sandbox-personal",
        AppType::Personal,
        None,
    );
    let pending = PendingAuthorization::start(client.config(), fitbit_code()).unwrap();
    let consent = Consent {
        user: Some("SBX456".into()),
        ..Consent::allow()
    };
    match Browser::default()
        .consent(&pending.authorize_url, consent)
        .await
    {
        BrowserOutcome::ErrorPage { body, .. } => assert!(body.contains("Personal"), "{body}"),
        BrowserOutcome::Redirect(l) => {
            panic!("personal app must not redirect for another user: {l}")
        }
    }
}

#[tokio::test]
async fn partial_consent_grants_only_the_ticked_scopes() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let tokens = connect(&client, fitbit_code(), Consent::only(&["sleep", "profile"])).await;
    let mut granted = tokens.scopes.unwrap();
    granted.sort();
    assert_eq!(granted, ["profile", "sleep"]);
    let introspection = client.inspect(&tokens.access_token).await.unwrap();
    let mut names: Vec<_> = introspection
        .scopes
        .iter()
        .map(|s| s.scope.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["profile", "sleep"]);
}

#[tokio::test]
async fn denied_consent_is_a_typed_error_and_no_token_request_is_made() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let pending = PendingAuthorization::start(client.config(), fitbit_code()).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, Consent::deny())
        .await
        .location();
    let err = RedirectParams::parse(&location)
        .unwrap()
        .verify(&pending)
        .unwrap_err();
    assert_eq!(err.kind(), "access_denied");
    assert!(err.to_string().contains("chose not to share"));
    assert!(env.requests_to("/oauth2/token").await.is_empty());
}

#[tokio::test]
async fn a_redirect_with_the_wrong_state_is_refused_before_any_exchange() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let pending = PendingAuthorization::start(client.config(), fitbit_code()).unwrap();
    let other = PendingAuthorization::start(client.config(), fitbit_code()).unwrap();
    let location = Browser::default()
        .consent(&other.authorize_url, Consent::allow())
        .await
        .location();
    let err = RedirectParams::parse(&location)
        .unwrap()
        .verify(&pending)
        .unwrap_err();
    assert_eq!(err.kind(), "state_mismatch");
    assert!(env.requests_to("/oauth2/token").await.is_empty());
}

#[tokio::test]
async fn implicit_grant_returns_the_token_in_the_fragment() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let options = AuthorizeOptions::implicit(
        scopes(&["sleep", "weight"]),
        "fitauth://callback",
        Some(604_800),
    );
    let pending = PendingAuthorization::start(client.config(), options).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, Consent::allow())
        .await
        .location();
    assert!(location.contains("#_=_"), "{location}");
    let Authorized::Token(tokens) = RedirectParams::parse(&location)
        .unwrap()
        .verify(&pending)
        .unwrap()
    else {
        panic!("expected a token")
    };
    assert!(tokens.refresh_token.is_none());
    assert_eq!(tokens.expires_at.unwrap() - tokens.issued_at, 604_800);
    assert_eq!(tokens.user_id.as_deref(), Some("SBX123"));
    let i = client.inspect(&tokens.access_token).await.unwrap();
    assert!(i.active);
    assert!(
        env.requests_to("/oauth2/token").await.is_empty(),
        "implicit needs no token request"
    );
}

#[tokio::test]
async fn fitbit_over_a_loopback_listener() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let listener = LoopbackListener::bind(0).await.unwrap();
    let options = AuthorizeOptions::code(scopes(&["profile"]), listener.redirect_uri());
    let pending = PendingAuthorization::start(client.config(), options).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, Consent::allow())
        .await
        .location();
    assert!(location.starts_with(&listener.redirect_uri()));

    let browser = tokio::spawn(async move { Browser::default().follow(&location).await });
    let Authorized::Code { code, .. } = listener.accept(&pending).await.unwrap() else {
        panic!()
    };
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("close this tab"));
    let tokens = client.exchange_code(&pending, &code).await.unwrap();
    assert_eq!(tokens.user_id.as_deref(), Some("SBX123"));
    let token = &env.requests_to("/oauth2/token").await[0];
    assert_eq!(form(token, "redirect_uri"), Some(listener.redirect_uri()));
}

#[tokio::test]
async fn loopback_listener_ignores_what_is_not_its_sign_in_and_keeps_waiting() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let listener = LoopbackListener::bind(0).await.unwrap();
    let options = AuthorizeOptions::code(scopes(&["profile"]), listener.redirect_uri());
    let pending = PendingAuthorization::start(client.config(), options).unwrap();
    let forged = format!("{}?code=stolen&state=forged", listener.redirect_uri());
    let base = listener.redirect_uri().replace("/callback", "");
    let authorize_url = pending.authorize_url.clone();
    let browser = tokio::spawn(async move {
        // A client that connects and sends nothing must not stall the others.
        let _idle = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
            .await
            .unwrap();
        let b = Browser::default();
        let favicon = b.follow(&format!("{base}/favicon.ico")).await;
        let forged = b.follow(&forged).await;
        let garbage = b.follow(&format!("{base}/callback?%zz")).await;
        // Then the person's real redirect.
        let location = b.consent(&authorize_url, Consent::allow()).await.location();
        let real = b.follow(&location).await;
        (favicon, forged, garbage, real)
    });
    let authorized = listener.accept(&pending).await.unwrap();
    assert!(matches!(authorized, Authorized::Code { .. }));
    let ((favicon, _), (forged, page), (garbage, _), (real, done)) = browser.await.unwrap();
    assert_eq!(favicon, 404);
    assert_eq!(forged, 400);
    assert!(page.contains("does not belong to the sign-in"), "{page}");
    assert_eq!(garbage, 400);
    assert_eq!(real, 200);
    assert!(done.contains("You can close this tab"), "{done}");
}

#[tokio::test]
async fn loopback_listener_stops_when_the_sign_in_expires() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let listener = LoopbackListener::bind(0).await.unwrap();
    let options = AuthorizeOptions::code(scopes(&["profile"]), listener.redirect_uri());
    // Started 599 s ago: one second left.
    let pending = PendingAuthorization::start_at(
        client.config(),
        options,
        fitauth_core::clock::now_unix() - 599,
    )
    .unwrap();
    // (The outer timeout only keeps a regression from hanging the suite.)
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        listener.accept(&pending),
    )
    .await
    .expect("the listener stops at the sign-in's expiry")
    .unwrap_err();
    assert_eq!(err.kind(), "authorization_expired");
}

#[tokio::test]
async fn google_health_loopback_pkce_secret_refresh_tokeninfo_identity_revoke() {
    let env = Env::start().await;
    let client = env.google();
    let listener = LoopbackListener::bind(0).await.unwrap();
    let options = AuthorizeOptions::code(
        scopes(&[GOOGLE_SLEEP, GOOGLE_ACTIVITY]),
        listener.redirect_uri(),
    );
    let pending = PendingAuthorization::start(client.config(), options).unwrap();
    let location = Browser::default()
        .consent(&pending.authorize_url, Consent::only(&[GOOGLE_SLEEP]))
        .await
        .location();
    assert!(
        !location.contains("#_=_"),
        "Google adds no #_=_: {location}"
    );
    let browser = tokio::spawn(async move { Browser::default().follow(&location).await });
    let Authorized::Code {
        code,
        scopes: redirect_scopes,
    } = listener.accept(&pending).await.unwrap()
    else {
        panic!()
    };
    browser.await.unwrap();
    assert_eq!(redirect_scopes.unwrap(), [GOOGLE_SLEEP]);

    let tokens = client.exchange_code(&pending, &code).await.unwrap();
    assert_eq!(tokens.expires_at.unwrap() - tokens.issued_at, 3599);
    assert_eq!(tokens.scopes.as_deref().unwrap(), [GOOGLE_SLEEP]);
    let token_req = &env.requests_to("/token").await[0];
    assert_eq!(
        form(token_req, "client_secret").as_deref(),
        Some("sandbox-google-secret")
    );
    assert_eq!(
        form(token_req, "client_id").as_deref(),
        Some("sandbox-google")
    );
    assert!(form(token_req, "code_verifier").is_some());
    let authorize = &env.requests_to("/o/oauth2/v2/auth").await[0];
    assert!(authorize["query"]
        .as_str()
        .unwrap()
        .contains("access_type=offline"));

    // Google does not rotate: the refresh answer has no refresh_token and the old one stays.
    let original = tokens.refresh_token.clone().unwrap();
    let refreshed = client.refresh(&original).await.unwrap();
    assert_eq!(refreshed.refresh_token.as_ref(), Some(&original));
    assert_ne!(refreshed.access_token, tokens.access_token);
    let again = client.refresh(&original).await.unwrap();
    assert_ne!(again.access_token, refreshed.access_token);

    let info = client.inspect(&again.access_token).await.unwrap();
    assert!(info.active);
    assert_eq!(info.source, "tokeninfo");
    assert_eq!(info.client_id.as_deref(), Some("sandbox-google"));
    assert_eq!(info.access_type.as_deref(), Some("offline"));
    assert_eq!(info.scopes[0].scope, GOOGLE_SLEEP);
    assert!(
        env.requests_to("/tokeninfo").await[0]["query"]
            .as_str()
            .unwrap()
            .is_empty(),
        "the token goes in the body, not the URL"
    );

    let me = client.identity(&again.access_token).await.unwrap();
    assert_eq!(me.user_id, "sandbox-user-0001");
    assert_eq!(me.legacy_user_id.as_deref(), Some("SBX123"));

    assert_eq!(
        client
            .revoke(TokenToRevoke::Refresh(&original))
            .await
            .unwrap(),
        Revoked::Revoked
    );
    assert!(
        !client.inspect(&again.access_token).await.unwrap().active,
        "revoking ends the grant"
    );
    assert_eq!(
        client.refresh(&original).await.unwrap_err().kind(),
        "reconnect_needed"
    );
    assert_eq!(
        client
            .revoke(TokenToRevoke::Refresh(&original))
            .await
            .unwrap(),
        Revoked::AlreadyInvalid
    );
}

#[tokio::test]
async fn fitbit_refresh_rotates_with_the_duplicate_request_grace() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let tokens = connect(&client, fitbit_code(), Consent::allow()).await;
    let r1 = tokens.refresh_token.clone().unwrap();

    let first = client.refresh(&r1).await.unwrap();
    let r2 = first.refresh_token.clone().unwrap();
    assert_ne!(r2, r1, "Fitbit rotates refresh tokens");
    // An identical request inside the grace interval gets the same pair back.
    let replay = client.refresh(&r1).await.unwrap();
    assert_eq!(replay.access_token, first.access_token);
    assert_eq!(replay.refresh_token.as_ref(), Some(&r2));
    assert_eq!(first.scopes, tokens.scopes);

    // Once the new access token is used, the old refresh token is dead.
    client.identity(&first.access_token).await.unwrap();
    let err = client.refresh(&r1).await.unwrap_err();
    assert_eq!(err.kind(), "reconnect_needed");
    assert!(err.means_reconnect());
    let shown = format!(
        "{err} {:?} {}",
        err,
        err.report().detail.unwrap_or_default()
    );
    assert!(
        !shown.contains(r1.secret()),
        "Fitbit echoes the token; it must be redacted: {shown}"
    );

    // The new refresh token works.
    client.refresh(&r2).await.unwrap();
}

#[tokio::test]
async fn grace_interval_expires() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let r1 = connect(&client, fitbit_code(), Consent::allow())
        .await
        .refresh_token
        .unwrap();
    client.refresh(&r1).await.unwrap();
    env.advance_clock(121).await;
    assert_eq!(
        client.refresh(&r1).await.unwrap_err().kind(),
        "reconnect_needed"
    );
}

#[tokio::test]
async fn client_credentials_with_each_lifetime() {
    let env = Env::start().await;
    let client = env.fitbit_server();
    for lifetime in fitauth_core::exchange::CLIENT_CREDENTIALS_LIFETIMES {
        let t = client.client_credentials(Some(lifetime)).await.unwrap();
        assert_eq!(t.expires_at.unwrap() - t.issued_at, lifetime as i64);
        assert!(t.refresh_token.is_none() && t.user_id.is_none());
    }
    let default = client.client_credentials(None).await.unwrap();
    assert_eq!(default.expires_at.unwrap() - default.issued_at, 28_800);
    let sent: Vec<_> = env
        .requests_to("/oauth2/token")
        .await
        .iter()
        .filter_map(|r| form(r, "expires_in"))
        .collect();
    assert_eq!(
        sent,
        ["3600", "28800", "86400", "604800", "2592000", "31536000"]
    );

    assert_eq!(
        client.client_credentials(Some(5)).await.unwrap_err().kind(),
        "validation"
    );
    let public = env.client(
        ProviderKind::Fitbit,
        "sandbox-client",
        AppType::Client,
        Some("not-a-secret"),
    );
    let err = public.client_credentials(None).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_client", "{err:?}");
}

#[tokio::test]
async fn introspection_reads_scopes_and_millisecond_times() {
    let env = Env::start().await;
    let client = env.fitbit_client();
    let tokens = connect(
        &client,
        fitbit_code(),
        Consent::only(&["activity", "sleep"]),
    )
    .await;
    let i = client.inspect(&tokens.access_token).await.unwrap();
    assert!(i.active);
    assert_eq!(i.source, "introspect");
    assert_eq!(i.client_id.as_deref(), Some("sandbox-client"));
    assert_eq!(i.user_id.as_deref(), Some("SBX123"));
    assert!(i
        .scopes
        .iter()
        .all(|s| s.permission.as_deref() == Some("READ_WRITE")));
    assert!(
        (i.expires_at.unwrap() - tokens.expires_at.unwrap()).abs() <= 5,
        "exp read as seconds"
    );
    assert!(i.rate_limit.is_some());
    let req = &env.requests_to("/1.1/oauth2/introspect").await[0];
    assert!(header(req, "authorization").unwrap().starts_with("Bearer "));

    let garbage = fitauth_core::AccessToken::new("not-a-token-at-all");
    assert!(
        !client
            .introspect(&tokens.access_token, &garbage)
            .await
            .unwrap()
            .active
    );
}

#[tokio::test]
async fn fitbit_revoke_ends_every_token_of_the_grant() {
    let env = Env::start().await;
    for client in [env.fitbit_client(), env.fitbit_server()] {
        let tokens = connect(&client, fitbit_code(), Consent::allow()).await;
        let refresh = tokens.refresh_token.clone().unwrap();
        assert_eq!(
            client
                .revoke(TokenToRevoke::Refresh(&refresh))
                .await
                .unwrap(),
            Revoked::Revoked
        );
        assert_eq!(
            client
                .identity(&tokens.access_token)
                .await
                .unwrap_err()
                .kind(),
            "invalid_token"
        );
        assert_eq!(
            client.refresh(&refresh).await.unwrap_err().kind(),
            "reconnect_needed"
        );
    }
    let revokes = env.requests_to("/oauth2/revoke").await;
    assert_eq!(
        form(&revokes[0], "client_id").as_deref(),
        Some("sandbox-client")
    );
    assert!(header(&revokes[1], "authorization")
        .unwrap()
        .starts_with("Basic "));
}

#[tokio::test]
async fn jwt_access_tokens_decode_with_fitbit_scope_codes() {
    let env = Env::start().await;
    let tokens = connect(
        &env.fitbit_client(),
        fitbit_code(),
        Consent::only(&["heartrate", "sleep"]),
    )
    .await;
    let jwt = fitauth_core::jwt::decode(tokens.access_token.secret()).unwrap();
    assert_eq!(jwt.verification, "decoded, not verified");
    assert_eq!(jwt.claims["sub"], "SBX123");
    assert_eq!(jwt.claims["aud"], "sandbox-client");
    let mut names: Vec<_> = jwt.fitbit_scopes.iter().map(|s| s.scope.as_str()).collect();
    names.sort();
    assert_eq!(names, ["heartrate", "sleep"]);
}

#[tokio::test]
async fn the_exchange_log_never_holds_a_secret() {
    let env = Env::start().await;
    let client = env.fitbit_server();
    let (pending, authorized) = authorize(&client, fitbit_code(), Consent::allow()).await;
    let Authorized::Code { code, .. } = authorized else {
        panic!()
    };
    let tokens = client.exchange_code(&pending, &code).await.unwrap();
    let refreshed = client
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    client.inspect(&refreshed.access_token).await.unwrap();
    client
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap_err(); // echoes the token
    client
        .revoke(TokenToRevoke::Refresh(
            refreshed.refresh_token.as_ref().unwrap(),
        ))
        .await
        .unwrap();

    let log = client.log().snapshot();
    assert!(log.len() >= 5);
    let dump = serde_json::to_string(&log).unwrap() + &format!("{log:?}");
    let secrets: Vec<String> = vec![
        code.secret().into(),
        pending.verifier.as_ref().unwrap().secret().into(),
        "sandbox-secret".into(),
        tokens.access_token.secret().into(),
        tokens.refresh_token.as_ref().unwrap().secret().into(),
        refreshed.access_token.secret().into(),
        refreshed.refresh_token.as_ref().unwrap().secret().into(),
        base64::engine::general_purpose::STANDARD.encode("sandbox-server:sandbox-secret"),
    ];
    for s in &secrets {
        assert!(
            !dump.contains(s.as_str()),
            "secret leaked into the exchange log"
        );
    }
    assert!(dump.contains("[redacted]"));
    assert!(log.iter().all(|e| e.status.is_some() && !e.url.is_empty()));
}

#[tokio::test]
async fn provider_base_urls_come_from_the_environment() {
    let env = Env::start().await;
    // The only test in this binary that touches these variables.
    unsafe {
        std::env::set_var("FITAUTH_FITBIT_BASE_URL", env.base());
        std::env::set_var("FITAUTH_GOOGLE_BASE_URL", env.base());
    }
    let fitbit = fitauth_core::Provider::from_env(ProviderKind::Fitbit).unwrap();
    let google = fitauth_core::Provider::from_env(ProviderKind::GoogleHealth).unwrap();
    assert_eq!(
        fitbit.endpoints.token.as_str(),
        format!("{}/oauth2/token", env.base())
    );
    assert_eq!(
        google.endpoints.token.as_str(),
        format!("{}/token", env.base())
    );
    let client = OAuthClient::new(
        fitauth_core::ClientConfig::new(fitbit, "sandbox-client", AppType::Client),
        env.http.clone(),
    );
    let tokens = connect(&client, fitbit_code(), Consent::allow()).await;
    let _: RefreshToken = tokens.refresh_token.unwrap();
}
