//! The store with in-memory secrets: the file, the keyring discipline, and the account rule.

use std::fs;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::test_support::{app, temp_home, tokens};
use super::*;
use crate::app::{AppType, ClientConfig};
use crate::authorize::{AuthorizeOptions, PendingAuthorization};
use crate::keyring::MemorySecrets;
use crate::provider::Provider;
use crate::token::TokenSet;

fn store() -> (Store, Arc<MemorySecrets>) {
    let secrets = Arc::new(MemorySecrets::default());
    (Store::open(temp_home(), secrets.clone()).unwrap(), secrets)
}

fn connect(store: &Store, name: Option<&str>, user: &str, t: &TokenSet) -> Result<Saved, Error> {
    store.save_connection(Connection {
        app: &app(),
        tokens: t,
        requested: &["sleep".into(), "weight".into()],
        user_id: Some(user),
        subject: None,
        display_name: Some(if user == "SBX123" {
            "Sam Sandbox"
        } else {
            "Riley Visitor"
        }),
        email: None,
        name,
    })
}

#[test]
fn connection_round_trip_keeps_secrets_out_of_the_file() {
    let (store, _) = store();
    store.save_app(app(), None).unwrap();
    let saved = connect(
        &store,
        Some("me"),
        "U1",
        &tokens("access-secret-1", Some("refresh-secret-1"), 100, "U1"),
    )
    .unwrap();
    let account = saved.account;
    assert!(!saved.updated);
    assert_eq!(account.scopes_denied(), ["weight"]);
    assert_eq!(account.effective_state(99), AccountState::Active);
    assert_eq!(account.effective_state(100), AccountState::Expired);
    let file = fs::read_to_string(store.metadata_path()).unwrap();
    assert!(!file.contains("access-secret-1") && !file.contains("refresh-secret-1"));
    assert!(file.contains("\"schema_version\": 2"));
    assert_eq!(
        store.access_token(&account).unwrap().secret(),
        "access-secret-1"
    );

    let Refreshed::Saved(refreshed) = store
        .save_refreshed(
            &account.id,
            account.generation,
            &tokens("access-2", Some("refresh-2"), 200, "U1"),
        )
        .unwrap()
    else {
        panic!("nothing replaced the tokens")
    };
    assert_eq!(refreshed.generation, account.generation + 1);
    assert_eq!(
        store.refresh_token(&refreshed).unwrap().unwrap().secret(),
        "refresh-2"
    );
}

#[test]
fn another_person_through_the_same_registration_gets_their_own_account() {
    let (store, _) = store();
    let sam = connect(
        &store,
        None,
        "SBX123",
        &tokens("sam-a", Some("sam-r"), 1, "SBX123"),
    )
    .unwrap()
    .account;
    let riley = connect(
        &store,
        None,
        "SBX456",
        &tokens("riley-a", Some("riley-r"), 1, "SBX456"),
    )
    .unwrap()
    .account;
    assert_eq!(sam.name, "sam-sandbox");
    assert_eq!(riley.name, "riley-visitor");
    assert_ne!(sam.id, riley.id);
    assert_eq!(
        store.refresh_token(&sam).unwrap().unwrap().secret(),
        "sam-r"
    );
    assert_eq!(
        store.refresh_token(&riley).unwrap().unwrap().secret(),
        "riley-r"
    );

    // Sam again: the same account, updated in place.
    let again = connect(
        &store,
        None,
        "SBX123",
        &tokens("sam-a2", Some("sam-r2"), 2, "SBX123"),
    )
    .unwrap();
    assert!(again.updated);
    assert_eq!(again.account.id, sam.id);
    assert_eq!(again.account.name, "sam-sandbox");
    assert_eq!(again.account.generation, sam.generation + 1);
    let meta = store.load().unwrap();
    assert_eq!(meta.accounts.len(), 2);
    assert_eq!(
        store.refresh_token(&riley).unwrap().unwrap().secret(),
        "riley-r"
    );
}

#[test]
fn a_name_that_belongs_to_another_person_is_refused_and_nothing_is_written() {
    let (store, secrets) = store();
    let sam = connect(
        &store,
        Some("mine"),
        "SBX123",
        &tokens("sam-a", Some("sam-r"), 1, "SBX123"),
    )
    .unwrap()
    .account;
    let before = fs::read_to_string(store.metadata_path()).unwrap();
    let err = connect(
        &store,
        Some("mine"),
        "SBX456",
        &tokens("riley-a", Some("riley-r"), 1, "SBX456"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), "account_taken");
    assert!(err.to_string().contains("belongs to Sam Sandbox"), "{err}");
    assert_eq!(fs::read_to_string(store.metadata_path()).unwrap(), before);
    assert_eq!(
        store.refresh_token(&sam).unwrap().unwrap().secret(),
        "sam-r"
    );
    assert_eq!(store.access_token(&sam).unwrap().secret(), "sam-a");
    drop(secrets);
}

#[test]
fn names_asked_for_are_unique_and_a_free_one_renames_the_persons_account() {
    let (store, _) = store();
    let sam = connect(&store, None, "SBX123", &tokens("a", Some("r"), 1, "SBX123"))
        .unwrap()
        .account;
    let renamed = connect(
        &store,
        Some(" work "),
        "SBX123",
        &tokens("a2", Some("r2"), 1, "SBX123"),
    )
    .unwrap();
    assert!(renamed.updated);
    assert_eq!(renamed.account.id, sam.id);
    assert_eq!(renamed.account.name, "work");
    assert_eq!(
        connect(
            &store,
            Some("  "),
            "SBX123",
            &tokens("a", None, 1, "SBX123")
        )
        .unwrap_err()
        .kind(),
        "validation"
    );
    // Two people whose labels make the same name: the second gets a suffix.
    let first = store
        .save_connection(Connection {
            app: &app(),
            tokens: &tokens("x", Some("y"), 1, "A1"),
            requested: &[],
            user_id: Some("A1"),
            subject: None,
            display_name: Some("Alex"),
            email: None,
            name: None,
        })
        .unwrap();
    let second = store
        .save_connection(Connection {
            app: &app(),
            tokens: &tokens("x", Some("y"), 1, "A2"),
            requested: &[],
            user_id: Some("A2"),
            subject: None,
            display_name: Some("Alex"),
            email: None,
            name: None,
        })
        .unwrap();
    assert_eq!(first.account.name, "alex");
    assert_eq!(second.account.name, "alex-2");
    assert_eq!(
        store.rename_account("alex-2", "alex").unwrap_err().kind(),
        "validation"
    );
    let r = store.rename_account("alex-2", "Alex at work").unwrap();
    assert_eq!(r.name, "Alex at work");
    assert_eq!(
        store.access_token(&r).unwrap().secret(),
        "x",
        "tokens follow the account id"
    );
}

#[test]
fn a_re_consent_without_a_refresh_token_never_keeps_the_old_one() {
    let (store, _) = store();
    let first = connect(
        &store,
        None,
        "SBX123",
        &tokens("a1", Some("r1"), 1, "SBX123"),
    )
    .unwrap()
    .account;
    let again = connect(&store, None, "SBX123", &tokens("a2", None, 1, "SBX123"))
        .unwrap()
        .account;
    assert_eq!(again.id, first.id);
    assert!(!again.has_refresh_token);
    assert_eq!(store.refresh_token(&again).unwrap(), None);
    assert_eq!(store.access_token(&again).unwrap().secret(), "a2");
}

#[test]
fn a_refresh_that_ends_after_a_reconnect_writes_nothing() {
    let (store, _) = store();
    let first = connect(
        &store,
        None,
        "SBX123",
        &tokens("a1", Some("r1"), 1, "SBX123"),
    )
    .unwrap()
    .account;
    // A refresh reads generation 1, then the person reconnects before it saves.
    connect(
        &store,
        None,
        "SBX123",
        &tokens("a2", Some("r2"), 2, "SBX123"),
    )
    .unwrap();
    let late = store
        .save_refreshed(
            &first.id,
            first.generation,
            &tokens("old-grant", Some("old-r"), 3, "SBX123"),
        )
        .unwrap();
    assert!(matches!(late, Refreshed::Superseded(_)), "{late:?}");
    let now = store.resolve_account(None).unwrap();
    assert_eq!(store.refresh_token(&now).unwrap().unwrap().secret(), "r2");
    // Likewise after a revoke: the account stays revoked.
    store.forget_tokens(&now.id).unwrap();
    let late = store
        .save_refreshed(
            &now.id,
            now.generation,
            &tokens("x", Some("y"), 4, "SBX123"),
        )
        .unwrap();
    let Refreshed::Superseded(after) = late else {
        panic!()
    };
    assert_eq!(after.state, AccountState::Revoked);
    assert_eq!(store.refresh_token(&after).unwrap(), None);
}

#[test]
fn a_verdict_about_tokens_the_account_no_longer_holds_is_not_kept() {
    let (store, _) = store();
    let first = connect(
        &store,
        None,
        "SBX123",
        &tokens("a1", Some("r1"), 1, "SBX123"),
    )
    .unwrap()
    .account;
    let verdict =
        crate::introspect::parse_tokeninfo(&serde_json::json!({"aud": "c", "expires_in": 60}));
    let kept = store
        .save_verdict(&first.id, first.generation, &verdict)
        .unwrap();
    assert_eq!(kept.last_introspection.as_ref(), Some(&verdict));
    // The question was asked of generation 1's token; a refresh replaced it before the answer.
    let refreshed = store
        .save_refreshed(
            &first.id,
            first.generation,
            &tokens("a2", Some("r2"), 2, "SBX123"),
        )
        .unwrap();
    let Refreshed::Saved(now) = refreshed else {
        panic!("{refreshed:?}")
    };
    let late = crate::introspect::parse_tokeninfo(&serde_json::json!({"error": "invalid_token"}));
    let after = store
        .save_verdict(&now.id, first.generation, &late)
        .unwrap();
    assert_eq!(after.generation, now.generation);
    assert_eq!(after.last_introspection, now.last_introspection);
    assert_ne!(after.last_introspection.as_ref(), Some(&late));
}

#[test]
fn a_person_who_cannot_be_told_apart_never_takes_a_named_account() {
    let (store, _) = store();
    let (reg, t) = (app(), tokens_static());
    let nobody = |name: Option<&'static str>| Connection {
        app: &reg,
        tokens: &t,
        requested: &[],
        user_id: None,
        subject: None,
        display_name: None,
        email: None,
        name,
    };
    let sam = connect(
        &store,
        Some("mine"),
        "SBX123",
        &tokens("sam-a", Some("sam-r"), 1, "SBX123"),
    )
    .unwrap()
    .account;
    let err = store.save_connection(nobody(Some("mine"))).unwrap_err();
    assert_eq!(err.kind(), "account_taken");
    assert_eq!(store.access_token(&sam).unwrap().secret(), "sam-a");
    // Without a name, an unidentified sign-in gets an account of its own.
    let own = store.save_connection(nobody(None)).unwrap();
    assert!(!own.updated);
    assert_ne!(own.account.id, sam.id);
}

#[test]
fn google_accounts_are_the_same_person_by_their_openid_subject() {
    let (store, _) = store();
    let (reg, t) = (app(), tokens_static());
    let google = |user: Option<&'static str>, subject: &'static str| Connection {
        app: &reg,
        tokens: &t,
        requested: &[],
        user_id: user,
        subject: Some(subject),
        display_name: None,
        email: Some("sam@example.com"),
        name: None,
    };
    let first = store
        .save_connection(google(Some("health-1"), "sub-1"))
        .unwrap();
    assert_eq!(first.account.name, "sam@example.com");
    // The Health identity call failed this time: the subject still says who it is.
    let again = store.save_connection(google(None, "sub-1")).unwrap();
    assert!(again.updated);
    assert_eq!(again.account.id, first.account.id);
    let other = store
        .save_connection(google(Some("health-1"), "sub-2"))
        .unwrap();
    assert!(!other.updated, "another Google account is another person");
}

fn tokens_static() -> TokenSet {
    tokens("t-access", Some("t-refresh"), 1, "x")
}

#[test]
fn slugs_are_command_line_friendly() {
    assert_eq!(slug("Sam Sandbox"), "sam-sandbox");
    assert_eq!(slug("sam.sandbox@example.com"), "sam.sandbox@example.com");
    assert_eq!(slug("  --  "), "account");
    assert_eq!(slug("Zoë  O'Neil"), "zoë-oneil");
}

#[test]
fn version_1_files_keep_their_keyring_entries() {
    let (store, secrets) = store();
    let meta_v1 = r#"{"schema_version":1,"store_id":"s1","apps":[],"accounts":[{"name":"old","app":"demo","provider":"fitbit","user_id":"U1","display_name":null,"scopes_requested":[],"scopes_granted":[],"token_type":"Bearer","issued_at":0,"expires_at":1,"has_refresh_token":true,"state":"active","updated_at":0,"generation":1}],"pending":[]}"#;
    fs::write(store.metadata_path(), meta_v1).unwrap();
    secrets
        .set("s1/account/old/refresh_token", "legacy-refresh")
        .unwrap();
    let account = store.resolve_account(Some("old")).unwrap();
    assert_eq!(account.id, "old");
    assert_eq!(
        store.refresh_token(&account).unwrap().unwrap().secret(),
        "legacy-refresh"
    );
}

#[test]
fn a_locked_keyring_writes_nothing() {
    let (store, secrets) = store();
    let account = connect(
        &store,
        Some("me"),
        "U1",
        &tokens("a1", Some("r1"), 100, "U1"),
    )
    .unwrap()
    .account;
    let before = fs::read_to_string(store.metadata_path()).unwrap();
    secrets.locked.store(true, Ordering::SeqCst);
    let err = store
        .save_refreshed(
            &account.id,
            account.generation,
            &tokens("a2", Some("r2"), 200, "U1"),
        )
        .unwrap_err();
    assert_eq!(err.kind(), "keyring_locked");
    assert_eq!(fs::read_to_string(store.metadata_path()).unwrap(), before);
    secrets.locked.store(false, Ordering::SeqCst);
    let account = store.resolve_account(None).unwrap();
    assert_eq!(
        store.refresh_token(&account).unwrap().unwrap().secret(),
        "r1"
    );
}

#[test]
fn two_homes_never_share_secrets() {
    let secrets = Arc::new(MemorySecrets::default());
    let a = Store::open(temp_home(), secrets.clone()).unwrap();
    let b = Store::open(temp_home(), secrets.clone()).unwrap();
    connect(
        &a,
        Some("me"),
        "U1",
        &tokens("a-access", Some("a-refresh"), 1, "U1"),
    )
    .unwrap();
    connect(
        &b,
        Some("me"),
        "U1",
        &tokens("b-access", Some("b-refresh"), 1, "U1"),
    )
    .unwrap();
    let acc = a.resolve_account(Some("me")).unwrap();
    assert_eq!(a.access_token(&acc).unwrap().secret(), "a-access");
}

#[test]
fn account_resolution_explains_itself() {
    let (store, _) = store();
    assert_eq!(
        store.resolve_account(None).unwrap_err().kind(),
        "unknown_account"
    );
    connect(&store, Some("one"), "U1", &tokens("a", Some("r"), 1, "U1")).unwrap();
    connect(&store, Some("two"), "U2", &tokens("a", Some("r"), 1, "U2")).unwrap();
    assert!(store
        .resolve_account(None)
        .unwrap_err()
        .to_string()
        .contains("one, two"));
    assert_eq!(
        store.resolve_account(Some("three")).unwrap_err().kind(),
        "unknown_account"
    );
}

fn pending_record(account: Option<&str>) -> PendingRecord {
    let cfg = ClientConfig::new(Provider::fitbit(), "sandbox-client", AppType::Client);
    PendingRecord {
        id: "signin-1".into(),
        authorization: PendingAuthorization::start(
            &cfg,
            AuthorizeOptions::code(vec!["sleep".into()], "fitauth://callback"),
        )
        .unwrap(),
        app: "demo".into(),
        account: account.map(str::to_owned),
        migrate_from: None,
    }
}

#[test]
fn a_pending_sign_in_survives_a_restart_and_is_taken_exactly_once() {
    let secrets = Arc::new(MemorySecrets::default());
    let home = temp_home();
    let store = Store::open(home.clone(), secrets.clone()).unwrap();
    let record = pending_record(Some("me"));
    let state = record.authorization.state.as_str().to_owned();
    let verifier = record.authorization.verifier.clone().unwrap();
    store.save_pending(&record).unwrap();
    let file = fs::read_to_string(store.metadata_path()).unwrap();
    assert!(
        !file.contains(verifier.secret()),
        "verifier kept out of the file"
    );

    let reopened = Store::open(home.clone(), secrets.clone()).unwrap();
    let other = Store::open(home, secrets).unwrap();
    assert!(reopened.take_pending("other-state").unwrap().is_none());
    let taken = reopened.take_pending(&state).unwrap().unwrap();
    assert_eq!(taken.authorization.verifier.as_ref(), Some(&verifier));
    assert_eq!(taken.account.as_deref(), Some("me"));
    assert!(other.take_pending(&state).unwrap().is_none(), "taken once");
    assert!(reopened.list_pending().unwrap().is_empty());

    assert_eq!(
        reopened.sign_in_status(&state).unwrap(),
        SignInStatus::Ended(OutcomeStatus::InProgress)
    );
    other
        .record_outcome(
            &state,
            OutcomeStatus::Connected {
                account: "me".into(),
                account_id: "id-1".into(),
                updated: false,
            },
        )
        .unwrap();
    assert_eq!(
        reopened.sign_in_status(&state).unwrap(),
        SignInStatus::Ended(OutcomeStatus::Connected {
            account: "me".into(),
            account_id: "id-1".into(),
            updated: false
        })
    );
    assert_eq!(
        reopened.sign_in_status("other-state").unwrap(),
        SignInStatus::Unknown
    );
}

#[test]
fn a_damaged_or_newer_file_is_reported_not_overwritten() {
    let (store, _) = store();
    fs::write(store.metadata_path(), "{not json").unwrap();
    assert_eq!(store.load().unwrap_err().kind(), "storage");
    assert!(store.save_app(app(), None).is_err());
    assert_eq!(
        fs::read_to_string(store.metadata_path()).unwrap(),
        "{not json"
    );
    fs::write(
        store.metadata_path(),
        r#"{"schema_version":99,"store_id":"x"}"#,
    )
    .unwrap();
    assert!(store
        .load()
        .unwrap_err()
        .to_string()
        .contains("newer Fitauth"));
}

#[cfg(unix)]
#[test]
fn the_data_directory_is_private_and_planted_links_are_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let home = temp_home();
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // An install from before: world-readable folder and file.
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(
        home.join("fitauth.json"),
        r#"{"schema_version":2,"store_id":"s"}"#,
    )
    .unwrap();
    fs::set_permissions(home.join("fitauth.json"), fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(home.clone(), Arc::new(MemorySecrets::default())).unwrap();
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("locks")), 0o700);
    assert_eq!(mode(&home.join("fitauth.json")), 0o600);

    // A link planted where the temp file goes is replaced, not written through.
    let victim = home.join("victim.txt");
    fs::write(&victim, "untouched").unwrap();
    let tmp = home.join(format!(".fitauth.json.{}.tmp", std::process::id()));
    std::os::unix::fs::symlink(&victim, &tmp).unwrap();
    store.save_app(app(), None).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
    assert_eq!(mode(&home.join("fitauth.json")), 0o600);
    assert!(fs::read_to_string(store.metadata_path())
        .unwrap()
        .contains("\"demo\""));
    let _lock = store.lock("refresh-x").unwrap();
    assert_eq!(mode(&home.join("locks/refresh-x.lock")), 0o600);

    // A link planted as a lock file is refused rather than followed.
    fs::remove_file(home.join("locks/metadata.lock")).unwrap();
    std::os::unix::fs::symlink(&victim, home.join("locks/metadata.lock")).unwrap();
    assert_eq!(store.save_app(app(), None).unwrap_err().kind(), "storage");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
}

fn google_app() -> AppRegistration {
    AppRegistration {
        name: "google".into(),
        provider: crate::provider::ProviderKind::GoogleHealth,
        client_id: "g".into(),
        app_type: AppType::Client,
        redirect: RedirectMode::Loopback,
        base_url: Some("http://127.0.0.1:1".into()),
        endpoints: None,
        has_client_secret: false,
        testing: false,
    }
}

fn google_conn<'a>(app: &'a AppRegistration, t: &'a TokenSet, subject: &'a str) -> Connection<'a> {
    Connection {
        app,
        tokens: t,
        requested: &[],
        user_id: Some("health-1"),
        subject: Some(subject),
        display_name: None,
        email: Some("sam@example.com"),
        name: None,
    }
}

/// A store with the Fitbit and Google registrations and Sam's legacy account "fitbit".
fn legacy_fitbit() -> (Store, Account) {
    let (store, _) = store();
    store.save_app(app(), None).unwrap();
    store.save_app(google_app(), None).unwrap();
    let legacy = connect(
        &store,
        Some("fitbit"),
        "SBX123",
        &tokens("legacy-access", Some("legacy-refresh"), 100, "SBX123"),
    )
    .unwrap()
    .account;
    (store, legacy)
}

#[test]
fn a_move_puts_the_google_tokens_under_the_legacy_name_and_drops_the_legacy_ones() {
    let (store, legacy) = legacy_fitbit();
    let other = connect(
        &store,
        None,
        "SBX456",
        &tokens("o", Some("o"), 100, "SBX456"),
    )
    .unwrap()
    .account;
    let g = tokens("google-access", Some("google-refresh"), 200, "x");
    let saved = store
        .save_migration(&legacy.id, google_conn(&google_app(), &g, "sub-1"))
        .unwrap();
    assert_eq!(saved.account.name, "fitbit", "the account keeps its name");
    assert_eq!(
        saved.account.provider,
        crate::provider::ProviderKind::GoogleHealth
    );
    assert_ne!(saved.account.id, legacy.id);
    assert_eq!(
        store.access_token(&saved.account).unwrap().secret(),
        "google-access"
    );
    let meta = store.load().unwrap();
    assert_eq!(meta.accounts.len(), 2, "{:?}", meta.accounts);
    assert!(meta.accounts.iter().all(|a| a.id != legacy.id));
    assert_eq!(
        store.access_token(&legacy).unwrap_err().kind(),
        "secret_missing",
        "the legacy tokens left the keyring"
    );
    assert_eq!(store.refresh_token(&legacy).unwrap(), None);
    assert_eq!(store.access_token(&other).unwrap().secret(), "o");

    // The same person already had a Google account through that registration: it takes the
    // legacy name, and there is still one account per person and registration.
    let legacy2 = connect(
        &store,
        Some("old"),
        "SBX123",
        &tokens("l2", Some("l2"), 100, "SBX123"),
    )
    .unwrap()
    .account;
    let g2 = tokens("google-2", Some("google-r2"), 300, "x");
    let saved2 = store
        .save_migration(&legacy2.id, google_conn(&google_app(), &g2, "sub-1"))
        .unwrap();
    assert!(saved2.updated);
    assert_eq!(saved.renamed_from, None);
    assert_eq!(
        saved2.renamed_from.as_deref(),
        Some("fitbit"),
        "said, not silent"
    );
    assert_eq!(saved2.account.id, saved.account.id);
    assert_eq!(saved2.account.name, "old");
    let names: Vec<_> = store
        .load()
        .unwrap()
        .accounts
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"old".to_owned()) && !names.contains(&"fitbit".to_owned()));

    // Only a Fitbit account moves, and only to Google.
    let e = store
        .save_migration(&saved2.account.id, google_conn(&google_app(), &g2, "sub-1"))
        .unwrap_err();
    assert_eq!(e.kind(), "validation");
}

#[test]
fn a_move_whose_file_write_fails_keeps_the_legacy_account_and_its_tokens() {
    let (store, legacy) = legacy_fitbit();
    // A directory where the metadata's temporary file goes makes the write fail.
    let blocker = store.home().join(format!(
        ".{}.{}.tmp",
        file::METADATA_FILE,
        std::process::id()
    ));
    fs::create_dir_all(blocker.join("inside")).unwrap();
    let g = tokens("google-access", Some("google-refresh"), 200, "x");
    let e = store
        .save_migration(&legacy.id, google_conn(&google_app(), &g, "sub-1"))
        .unwrap_err();
    assert_eq!(e.kind(), "storage", "{e}");
    fs::remove_dir_all(&blocker).unwrap();

    let meta = store.load().unwrap();
    let still = meta.account("fitbit").unwrap();
    assert_eq!(still.id, legacy.id);
    assert_eq!(still.provider, crate::provider::ProviderKind::Fitbit);
    assert_eq!(
        store.access_token(&legacy).unwrap().secret(),
        "legacy-access"
    );
    assert_eq!(
        store.refresh_token(&legacy).unwrap().unwrap().secret(),
        "legacy-refresh"
    );
}

#[test]
fn a_testing_google_client_s_refresh_token_ends_seven_days_after_consent() {
    let (store, _) = store();
    let app = AppRegistration {
        testing: true,
        ..google_app()
    };
    store.save_app(app.clone(), None).unwrap();
    let mut t = tokens("a", Some("r"), 3_600, "x");
    t.issued_at = 1_000;
    let saved = store
        .save_connection(google_conn(&app, &t, "sub-1"))
        .unwrap()
        .account;
    assert_eq!(saved.refresh_token_expires_at, Some(1_000 + 7 * 24 * 3600));
    // A refresh (Google keeps the refresh token) keeps the end.
    let mut refreshed = tokens("a2", Some("r"), 7_200, "x");
    refreshed.issued_at = 5_000;
    let Refreshed::Saved(after) = store
        .save_refreshed(&saved.id, saved.generation, &refreshed)
        .unwrap()
    else {
        panic!("nothing replaced the tokens")
    };
    assert_eq!(after.refresh_token_expires_at, Some(1_000 + 7 * 24 * 3600));
    // What Google says wins; a production client's tokens have no set end.
    let mut said = tokens("b", Some("r2"), 3_600, "x");
    said.refresh_token_expires_at = Some(9_999);
    let other = store
        .save_connection(google_conn(&app, &said, "sub-2"))
        .unwrap()
        .account;
    assert_eq!(other.refresh_token_expires_at, Some(9_999));
    let production = google_app();
    let plain = store
        .save_connection(google_conn(&production, &t, "sub-3"))
        .unwrap()
        .account;
    assert_eq!(plain.refresh_token_expires_at, None);
}
