//! A rotated pair is never dropped on the floor: when the keyring will not take the new tokens,
//! the write is retried; when it keeps failing, the person is told in plain words, the stored
//! tokens are left as they were, the pair is kept in memory and the next refresh saves it without
//! sending the retired token; and a program that lost the pair (it stopped) gets the same pair
//! back from Fitbit's duplicate-request grace.
//!
//! Secrets go to the real OS keyring (run under `scripts/test`); a thin wrapper refuses writes
//! on demand, standing for a keyring that is locked or restarting at the wrong moment.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use common::*;
use fitauth_core::keyring::{OsKeyring, SecretStore};
use fitauth_core::service::connect::SignInRequest;
use fitauth_core::{Error, Fitauth, RedirectMode, Store};

/// The real keyring, but the next `fail_writes` writes fail as a locked keyring's do.
#[derive(Debug)]
struct Flaky {
    real: OsKeyring,
    fail_writes: AtomicU32,
}

impl Flaky {
    fn fail_next(&self, n: u32) {
        self.fail_writes.store(n, Ordering::SeqCst);
    }

    fn refuse(&self) -> Result<(), Error> {
        let left = self.fail_writes.load(Ordering::SeqCst);
        if left > 0 {
            self.fail_writes.store(left - 1, Ordering::SeqCst);
            return Err(Error::KeyringLocked {
                reason: "the collection is locked (test)".into(),
            });
        }
        Ok(())
    }
}

impl SecretStore for Flaky {
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        self.real.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        self.refuse()?;
        self.real.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), Error> {
        self.refuse()?;
        self.real.delete(key)
    }
    fn location(&self) -> String {
        self.real.location()
    }
}

fn temp_home() -> PathBuf {
    let mut id = [0u8; 8];
    rand::fill(&mut id[..]);
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("fitauth-rotated-{hex}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn keyring() -> OsKeyring {
    OsKeyring::open().expect("a Secret Service (run scripts/test)")
}

/// A program on `home` whose keyring writes can be made to fail.
fn open(env: &Env, home: &Path) -> (Fitauth, Arc<Flaky>) {
    let flaky = Arc::new(Flaky {
        real: keyring(),
        fail_writes: AtomicU32::new(0),
    });
    let store = Store::open(home.to_path_buf(), flaky.clone()).unwrap();
    (Fitauth::with_store(store, env.http.clone(), None), flaky)
}

/// What is stored for the account, read straight from the store: (refresh token, metadata).
fn stored(home: &Path, name: &str) -> (String, String) {
    let store = Store::open(home.to_path_buf(), Arc::new(keyring())).unwrap();
    let account = store.resolve_account(Some(name)).unwrap();
    let refresh = store.refresh_token(&account).unwrap().unwrap();
    let meta = std::fs::read_to_string(store.metadata_path()).unwrap();
    (refresh.secret().to_owned(), meta)
}

/// Connects a legacy-Fitbit sandbox account; returns its name.
async fn connected(env: &Env, app: &Fitauth) -> String {
    let registration = app
        .use_sandbox(fitauth_core::service::apps::SANDBOX_APP, env.base())
        .await
        .unwrap();
    let request = SignInRequest {
        redirect: Some(RedirectMode::Scheme),
        ..SignInRequest::new(registration, vec!["profile".into(), "sleep".into()])
    };
    let (sign_in, _) = app.begin_sign_in(request).await.unwrap();
    let location = Browser::default()
        .consent(&sign_in.authorize_url, Consent::allow())
        .await
        .location();
    app.finish_redirect(&location).await.unwrap().account.name
}

async fn token_requests(env: &Env) -> usize {
    env.requests_to("/oauth2/token").await.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keyring_write_that_fails_twice_is_retried_and_the_pair_saved() {
    let env = Env::start().await;
    let home = temp_home();
    let (app, flaky) = open(&env, &home);
    let name = connected(&env, &app).await;
    let (before, _) = stored(&home, &name);

    env.clear_requests().await;
    flaky.fail_next(2);
    app.refresh(Some(&name))
        .await
        .expect("saved on a later try");
    assert_eq!(
        token_requests(&env).await,
        1,
        "one refresh, not one per try"
    );
    let (after, _) = stored(&home, &name);
    assert_ne!(after, before, "the rotated refresh token is the one stored");
    app.refresh(Some(&name))
        .await
        .expect("the stored refresh token is the live one");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pair_the_keyring_refuses_is_kept_reported_and_saved_by_the_next_refresh() {
    let env = Env::start().await;
    let home = temp_home();
    let (app, flaky) = open(&env, &home);
    let name = connected(&env, &app).await;
    let before = stored(&home, &name);

    env.clear_requests().await;
    flaky.fail_next(u32::MAX);
    let e = app.refresh(Some(&name)).await.unwrap_err();
    assert_eq!(e.kind(), "tokens_not_saved", "{e}");
    let said = e.to_string();
    assert!(
        said.contains(&name) && said.contains("could not save"),
        "{said}"
    );
    assert!(e.hint().contains("within two minutes"), "{}", e.hint());
    assert_eq!(
        stored(&home, &name),
        before,
        "nothing stored was changed or half-written"
    );
    assert_eq!(token_requests(&env).await, 1);

    // The keyring works again: the kept pair is saved, and the retired token is never sent.
    flaky.fail_next(0);
    env.clear_requests().await;
    app.refresh(Some(&name))
        .await
        .expect("the kept pair is saved");
    assert_eq!(
        token_requests(&env).await,
        0,
        "the kept pair was saved instead of refreshing with the retired token"
    );
    let (after, _) = stored(&home, &name);
    assert_ne!(after, before.0);
    app.refresh(Some(&name))
        .await
        .expect("what was saved is the provider's live refresh token");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_program_that_lost_the_pair_gets_it_again_within_the_grace_interval() {
    let env = Env::start().await;
    let home = temp_home();
    let (first, flaky) = open(&env, &home);
    let name = connected(&env, &first).await;
    flaky.fail_next(u32::MAX);
    assert_eq!(
        first.refresh(Some(&name)).await.unwrap_err().kind(),
        "tokens_not_saved"
    );
    drop(first); // the CLI stopped: the kept pair is gone with it

    let (second, _) = open(&env, &home);
    env.clear_requests().await;
    second
        .refresh(Some(&name))
        .await
        .expect("Fitbit's grace answers the repeated refresh with the same pair");
    assert_eq!(token_requests(&env).await, 1);
    second
        .refresh(Some(&name))
        .await
        .expect("and that pair is live");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pair_kept_past_its_access_token_is_saved_then_refreshed_from() {
    let env = Env::start().await;
    // Access tokens that are already inside the refresh window when issued.
    env.settings(serde_json::json!({ "access_token_ttl_secs": 60 }))
        .await;
    let home = temp_home();
    let (app, flaky) = open(&env, &home);
    let name = connected(&env, &app).await;
    flaky.fail_next(u32::MAX);
    assert_eq!(
        app.refresh(Some(&name)).await.unwrap_err().kind(),
        "tokens_not_saved"
    );
    flaky.fail_next(0);
    env.clear_requests().await;
    env.sandbox.control().clear_refresh_stats();
    let token = app
        .fresh_token(Some(&name))
        .await
        .expect("a token that is still valid, not the kept, expiring one");
    assert_eq!(
        token_requests(&env).await,
        1,
        "one refresh, from the kept pair's refresh token (not the retired one)"
    );
    let stats = env.sandbox.control().refresh_stats();
    assert_eq!(
        (stats.active, stats.within_grace, stats.stale),
        (1, 0, 0),
        "the kept pair's live token was sent, not the retired one (which the grace would answer)"
    );
    let (stored_refresh, _) = stored(&home, &name);
    app.refresh(Some(&name))
        .await
        .expect("what was saved is live");
    assert_ne!(stored(&home, &name).0, stored_refresh);
    assert!(!token.secret().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn reveal_and_revoke_use_the_kept_pair_not_the_retired_one() {
    use fitauth_core::service::accounts::Which;
    let env = Env::start().await;
    let home = temp_home();
    let (app, flaky) = open(&env, &home);
    let name = connected(&env, &app).await;
    let (retired, _) = stored(&home, &name);
    flaky.fail_next(u32::MAX);
    assert_eq!(
        app.refresh(Some(&name)).await.unwrap_err().kind(),
        "tokens_not_saved"
    );
    let live = match app.reveal(&name, Which::Refresh).await.unwrap() {
        fitauth_core::service::accounts::RevealedToken::Refresh(r) => r.secret().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_ne!(live, retired, "Reveal shows the live refresh token");

    flaky.fail_next(0);
    env.clear_requests().await;
    app.revoke(Some(&name), fitauth_core::TokenKind::Refresh)
        .await
        .expect("revoked");
    let sent = env.requests_to("/oauth2/revoke").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        form(&sent[0], "token").as_deref(),
        Some(live.as_str()),
        "the live grant was revoked, not the retired token"
    );
}
