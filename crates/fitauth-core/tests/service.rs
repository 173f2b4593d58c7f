//! The use-case layer (`fitauth_core::service`) against the sandbox over loopback and the real
//! OS keyring (run under `scripts/test`, which provides a throwaway gnome-keyring). Two
//! [`Fitauth`] handles on one data directory stand for two programs sharing the store (the
//! desktop app and `fitauth`).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use fitauth_core::keyring::OsKeyring;
use fitauth_core::service::connect::{Refused, SignInRequest, SignInStatus};
use fitauth_core::store::OutcomeStatus;
use fitauth_core::{Fitauth, RedirectMode, Store};
use serde_json::json;

fn temp_home() -> PathBuf {
    let mut id = [0u8; 8];
    rand::fill(&mut id[..]);
    let dir = std::env::temp_dir().join(format!(
        "fitauth-service-{}",
        id.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A handle on `home`, as one program would open it.
fn open(env: &Env, home: &Path) -> Fitauth {
    let store = Store::open(
        home.to_path_buf(),
        Arc::new(OsKeyring::open().expect("a Secret Service (run scripts/test)")),
    )
    .unwrap();
    Fitauth::with_store(store, env.http.clone(), None)
}

/// Starts a `fitauth://` sign-in through the sandbox registration and consents as `user`;
/// returns the sign-in's state and the redirect the browser was sent to.
async fn consented(env: &Env, app: &Fitauth, user: &str) -> (String, String) {
    let registration = app
        .use_sandbox(fitauth_core::service::apps::SANDBOX_APP, env.base())
        .await
        .unwrap();
    let request = SignInRequest {
        redirect: Some(RedirectMode::Scheme),
        ..SignInRequest::new(registration, vec!["profile".into(), "sleep".into()])
    };
    let (sign_in, loopback) = app.begin_sign_in(request).await.unwrap();
    assert!(loopback.is_none());
    let location = Browser::default()
        .consent(
            &sign_in.authorize_url,
            Consent {
                user: Some(user.into()),
                ..Consent::allow()
            },
        )
        .await
        .location();
    (sign_in.state, location)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_programs_handed_the_same_redirect_exchange_it_once() {
    let env = Env::start().await;
    let home = temp_home();
    let (desktop, cli) = (open(&env, &home), open(&env, &home));
    let (state, location) = consented(&env, &cli, "SBX123").await;
    env.clear_requests().await;

    let (a, b) = tokio::join!(
        desktop.finish_redirect(&location),
        cli.finish_redirect(&location)
    );
    let (connected, other) = match (a, b) {
        (Ok(c), Err(r)) | (Err(r), Ok(c)) => (c, r),
        (a, b) => panic!("exactly one must connect: {a:?} / {b:?}"),
    };
    assert!(matches!(other, Refused::AlreadyTaken), "{other:?}");
    assert_eq!(connected.account.user_id.as_deref(), Some("SBX123"));
    let exchanges = env
        .requests_to("/oauth2/token")
        .await
        .iter()
        .filter(|r| form(r, "grant_type").as_deref() == Some("authorization_code"))
        .count();
    assert_eq!(exchanges, 1, "no replay of the code");
    // Both programs can tell how it ended; the tokens work.
    assert_eq!(
        desktop.sign_in_status(&state).await.unwrap(),
        SignInStatus::Ended(OutcomeStatus::Connected {
            account: connected.account.name.clone(),
            account_id: connected.account.id.clone(),
            updated: false
        })
    );
    let (_, verdict) = cli.introspect(Some(&connected.account.name)).await.unwrap();
    assert!(verdict.active);
    // A third delivery of the same link is recognised, not mistaken for a stranger's.
    assert!(matches!(
        desktop.finish_redirect(&location).await,
        Err(Refused::AlreadyTaken)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_started_before_a_restart_is_finished_after_it() {
    let env = Env::start().await;
    let home = temp_home();
    let before = open(&env, &home);
    let (_, location) = consented(&env, &before, "SBX456").await;
    drop(before);
    // The verifier came back from the keyring: the PKCE exchange succeeds.
    let after = open(&env, &home);
    let connected = after.finish_redirect(&location).await.unwrap();
    assert_eq!(connected.account.name, "riley-visitor");
    assert!(!connected.updated);
    let sent = env.requests_to("/oauth2/token").await;
    assert!(form(sent.last().unwrap(), "code_verifier").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn introspect_refreshes_an_expiring_token_first_for_every_face() {
    let env = Env::start().await;
    let home = temp_home();
    let app = open(&env, &home);
    env.settings(json!({ "access_token_ttl_secs": 60 })).await;
    let (_, location) = consented(&env, &app, "SBX123").await;
    let connected = app.finish_redirect(&location).await.unwrap();
    env.settings(json!({ "access_token_ttl_secs": 28800 }))
        .await;
    env.clear_requests().await;

    let (account, verdict) = app.introspect(Some(&connected.account.name)).await.unwrap();
    assert!(verdict.active);
    assert!(
        account.generation > connected.account.generation,
        "refreshed first"
    );
    let paths: Vec<String> = env
        .requests()
        .await
        .iter()
        .map(|r| r["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        paths,
        ["/oauth2/token", "/1.1/oauth2/introspect"],
        "{paths:?}"
    );
    // The exchanges are filed under the account.
    let detail = app.account_detail(&account.name).await.unwrap();
    let ops: Vec<_> = detail
        .exchanges
        .iter()
        .map(|x| x.operation.as_str())
        .collect();
    assert_eq!(
        ops,
        ["code exchange", "identity", "refresh", "introspect"],
        "{ops:?}"
    );
    // The verdict is kept with the account, every field the provider said included: another
    // program sharing the store sees it; a revoke drops it.
    let other = open(&env, &home);
    let kept = other.account_detail(&account.name).await.unwrap();
    let kept = kept.introspection.expect("kept with the account");
    assert!(kept.active);
    for field in [
        "active",
        "scope",
        "client_id",
        "user_id",
        "token_type",
        "exp",
        "iat",
    ] {
        assert!(
            kept.fields.iter().any(|(k, _)| k == field),
            "{field}: {:?}",
            kept.fields
        );
    }
    assert!(kept.checked_at > 0);
    other
        .revoke(Some(&account.name), fitauth_core::TokenKind::Refresh)
        .await
        .unwrap();
    let after = app.account_detail(&account.name).await.unwrap();
    assert!(after.introspection.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_cannot_finish_a_loopback_sign_in() {
    let env = Env::start().await;
    let home = temp_home();
    let app = open(&env, &home);
    let registration = app
        .use_sandbox(fitauth_core::service::apps::SANDBOX_APP, env.base())
        .await
        .unwrap();
    let request = SignInRequest {
        redirect: Some(RedirectMode::Loopback),
        ..SignInRequest::new(registration, vec!["profile".into()])
    };
    let (sign_in, loopback) = app.begin_sign_in(request).await.unwrap();
    assert!(loopback.is_some());
    let forged = format!("fitauth://callback?code=stolen&state={}", sign_in.state);
    let refused = app.finish_redirect(&forged).await.unwrap_err();
    let Refused::NotOurs(e) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(e.kind(), "malformed_redirect");
    assert!(e.to_string().contains(&sign_in.redirect_uri), "{e}");
    assert_eq!(
        app.sign_in_status(&sign_in.state).await.unwrap(),
        SignInStatus::Waiting,
        "the sign-in is left as it was"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_racing_refreshes_always_ends_revoked() {
    let env = Env::start().await;
    let home = temp_home();
    let (desktop, cli) = (open(&env, &home), open(&env, &home));
    let (_, location) = consented(&env, &cli, "SBX123").await;
    let name = cli.finish_redirect(&location).await.unwrap().account.name;
    let refreshes = async {
        for _ in 0..5 {
            let _ = desktop.refresh(Some(&name)).await;
        }
    };
    let (_, revoked) = tokio::join!(
        refreshes,
        cli.revoke(Some(&name), fitauth_core::TokenKind::Refresh)
    );
    let (account, _) = revoked.unwrap();
    assert_eq!(account.state, fitauth_core::AccountState::Revoked);
    let after = desktop.account(Some(&name)).await.unwrap();
    assert_eq!(
        after.state,
        fitauth_core::AccountState::Revoked,
        "no refresh revived it"
    );
    assert!(!after.has_refresh_token);
    assert_eq!(
        desktop.fresh_token(Some(&name)).await.unwrap_err().kind(),
        "revoked"
    );
}
