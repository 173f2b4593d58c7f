//! The move to Google Health (the migration assistant), for both faces: the desktop's banner and
//! `fitauth migrate`.
//!
//! 1. [`Fitauth::migration_plan`] picks the legacy Fitbit account, the Google Health
//!    registration to sign in through (the sandbox's Google side for a sandbox account, else the
//!    one named, else one on the same endpoints as a moved legacy registration, else the
//!    built-in one, else the first stored) and the Google scopes that stand
//!    for the account's granted Fitbit scopes ([`crate::migration::google_scopes_for`]).
//! 2. [`Fitauth::begin_migration`] starts an ordinary Google sign-in that remembers which
//!    account it moves; it is finished like any other (loopback).
//! 3. When it finishes, Google's identity says which Fitbit account the Google account has
//!    (`legacyUserId`). Only when that is the legacy account's Fitbit user id does the move
//!    happen: the legacy token is revoked (a `410 Gone` from the turned-off service is said
//!    plainly, not treated as a failure) and the Google tokens take the legacy account's place
//!    and name ([`crate::store::Store::save_migration`]). Otherwise the legacy account is left
//!    exactly as it was and the Google connection is saved as an account of its own, with a
//!    sentence that says why ([`SameAccount`]).

use super::apps::{is_sandbox, sandbox_health_of};
use super::connect::{LoopbackWait, SignIn, SignInRequest};
use super::Fitauth;
use crate::error::Error;
use crate::migration::{google_scopes_for, LegacyToken, SameAccount, ScopeMapping};
use crate::provider::ProviderKind;
use crate::revoke::{Revoked, TokenToRevoke};
use crate::store::{Account, AccountState, AppRegistration, Saved, Store};

/// What a move will do, before it starts.
#[derive(Debug, Clone)]
pub struct MigrationPlan {
    /// The legacy Fitbit account.
    pub account: Account,
    /// The Google Health registration to sign in through.
    pub target: AppRegistration,
    /// The Google scopes to ask for, and the legacy scopes with no equivalent.
    pub scopes: ScopeMapping,
}

/// How a move ended (the Google sign-in itself succeeded).
#[derive(Debug, Clone)]
pub struct Migrated {
    /// The legacy account as it was before the move.
    pub legacy: Account,
    pub same_account: SameAccount,
    pub legacy_token: LegacyToken,
    /// Legacy scopes with no Google Health equivalent.
    pub unmapped: Vec<String>,
    /// The same person's Google account that was already here, by its earlier name: it took
    /// the legacy account's place and name.
    pub merged_from: Option<String>,
}

impl Migrated {
    /// Whether the legacy account now is the Google account (same name).
    pub fn moved(&self) -> bool {
        self.same_account.confirmed()
    }

    /// When the Google account was already here under another name, the sentence that says it
    /// now goes by the legacy account's name (one account per person and registration).
    pub fn merged_sentence(&self) -> Option<String> {
        self.merged_from.as_ref().map(|earlier| {
            format!(
                "This Google account was already here as \"{earlier}\"; it now goes by \"{}\" \
                 (one account per person and app registration).",
                self.legacy.name
            )
        })
    }
}

/// The legacy Fitbit account to move: `name`, else the only Fitbit account there is.
fn legacy_account(accounts: &[Account], name: Option<&str>) -> Result<Account, Error> {
    if let Some(name) = name {
        let account = accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownAccount { name: name.into() })?;
        if account.provider != ProviderKind::Fitbit {
            return Err(Error::Invalid(format!(
                "\"{name}\" already connects through Google Health; only Fitbit accounts move"
            )));
        }
        if account.is_app_token() {
            return Err(Error::Invalid(format!(
                "\"{name}\" is an app token (client credentials): it belongs to no person, so \
                 there is nobody to move to Google Health"
            )));
        }
        return Ok(account.clone());
    }
    let fitbit: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.provider == ProviderKind::Fitbit && !a.is_app_token())
        .collect();
    match fitbit.as_slice() {
        [] => Err(Error::Invalid(
            "there is no Fitbit account to move: every account already connects through Google \
             Health"
                .into(),
        )),
        [only] => Ok((*only).clone()),
        many => Err(Error::AmbiguousAccount {
            names: many
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

impl Fitauth {
    /// The legacy Fitbit account a move would take: `name`, else the only Fitbit account.
    pub async fn legacy_account(&self, name: Option<&str>) -> Result<Account, Error> {
        legacy_account(&self.snapshot().await?.accounts, name)
    }

    /// Whether `account` should be moved to Google Health now: a Fitbit account on Fitbit's own
    /// service (turned off), or one whose provider answered `410 Gone` since Fitauth started
    /// (the sandbox's legacy side, when it plays the turned-off service).
    pub fn needs_move(&self, account: &Account) -> bool {
        account.provider == ProviderKind::Fitbit
            && !account.is_app_token()
            && (!is_sandbox(&account.app) || self.exchange_log().saw_status(&account.id, 410))
    }

    /// Plans the move of the Fitbit account `account` (else the only one) to Google Health,
    /// through the Google registration `app` when given. `sandbox_base` is where the sandbox
    /// runs now, for a sandbox account (its Google side is made on the same sandbox).
    pub async fn migration_plan(
        &self,
        account: Option<&str>,
        app: Option<&str>,
        sandbox_base: Option<&str>,
    ) -> Result<MigrationPlan, Error> {
        let meta = self.snapshot().await?;
        let account = legacy_account(&meta.accounts, account)?;
        let legacy_app = meta.app(&account.app).ok().cloned();
        let target = match (app, sandbox_health_of(&account.app)) {
            (Some(name), _) => {
                self.registration_for(ProviderKind::GoogleHealth, Some(name))
                    .await?
            }
            (None, Some(health)) => {
                let base = sandbox_base
                    .map(str::to_owned)
                    .or_else(|| legacy_app.as_ref().and_then(|a| a.base_url.clone()))
                    .ok_or(Error::NoRegistration {
                        provider: ProviderKind::GoogleHealth,
                    })?;
                self.use_sandbox(health, &base).await?
            }
            (None, None) => self.google_registration_beside(legacy_app.as_ref()).await?,
        };
        let scopes = google_scopes_for(&account.scopes_granted);
        Ok(MigrationPlan {
            account,
            target,
            scopes,
        })
    }

    /// The Google registration for a legacy account through `legacy`: when the legacy one was
    /// moved (a proxy, another sandbox), one on the same endpoints; else the built-in one, else
    /// the first stored one.
    async fn google_registration_beside(
        &self,
        legacy: Option<&AppRegistration>,
    ) -> Result<AppRegistration, Error> {
        if let Some(base) = legacy.and_then(|a| a.base_url.as_deref()) {
            let beside = self.registrations().await?.into_iter().find(|a| {
                a.provider == ProviderKind::GoogleHealth
                    && !is_sandbox(&a.name)
                    && a.base_url.as_deref() == Some(base)
            });
            if let Some(app) = beside {
                return Ok(app);
            }
        }
        match self
            .builtin_registration(ProviderKind::GoogleHealth)
            .await?
        {
            Some(app) => Ok(app),
            None => {
                self.registration_for(ProviderKind::GoogleHealth, None)
                    .await
            }
        }
    }

    /// Starts the Google sign-in of a move; finish it like any loopback sign-in
    /// ([`Fitauth::finish_loopback`]), whose [`super::connect::Connected::migration`] says how
    /// the move ended.
    pub async fn begin_migration(
        &self,
        plan: &MigrationPlan,
        port: Option<u16>,
    ) -> Result<(SignIn, Option<LoopbackWait>), Error> {
        if plan.scopes.google.is_empty() {
            return Err(Error::Invalid(format!(
                "\"{}\" was granted no data that Google Health offers ({}); connect a new Google \
                 Health account instead",
                plan.account.name,
                plan.scopes.unmapped.join(", ")
            )));
        }
        let request = SignInRequest {
            port,
            migrate_from: Some(plan.account.id.clone()),
            ..SignInRequest::new(plan.target.clone(), plan.scopes.google.clone())
        };
        tracing::info!(account = %plan.account.name, app = %plan.target.name, "move to Google Health started");
        self.begin_sign_in(request).await
    }

    /// Puts the Google connection in the legacy account's place and revokes the legacy token,
    /// under the legacy account's refresh locks. The legacy tokens are read first and revoked
    /// only after the Google tokens are saved, so a save that fails loses nothing. What became of
    /// the legacy token is the answer; only the save can fail.
    pub(crate) async fn replace_legacy(
        &self,
        legacy: &Account,
        save: impl FnOnce(&Store) -> Result<Saved, Error> + Send + 'static,
    ) -> Result<(Saved, LegacyToken), Error> {
        let _hold = self.sessions().hold(&legacy.id).await?;
        let a = legacy.clone();
        let tokens = self
            .blocking(move |s| {
                let a = s.account_by_id(&a.id)?;
                if a.state == AccountState::Revoked {
                    return Ok((None, None));
                }
                Ok((s.refresh_token(&a).ok().flatten(), s.access_token(&a).ok()))
            })
            .await?;
        let client = self.sessions().client_for(legacy).await;
        let saved = self.blocking(save).await?;
        let token = match &tokens {
            (Some(r), _) => Some(TokenToRevoke::Refresh(r)),
            (None, Some(a)) => Some(TokenToRevoke::Access(a)),
            (None, None) => None,
        };
        let outcome = match (token, client) {
            (None, _) => LegacyToken::NoneStored,
            (Some(_), Err(e)) => LegacyToken::NotRevoked {
                reason: e.to_string(),
            },
            (Some(token), Ok(client)) => match self.http().within(client.revoke(token)).await {
                Ok(Revoked::Revoked) => LegacyToken::Revoked,
                Ok(Revoked::AlreadyInvalid | Revoked::Unknown) => LegacyToken::AlreadyInvalid,
                Err(Error::Retired { .. }) => LegacyToken::ServiceRetired,
                Err(e) => LegacyToken::NotRevoked {
                    reason: e.to_string(),
                },
            },
        };
        tracing::info!(account = %legacy.name, outcome = ?outcome, "move: the legacy token");
        Ok((saved, outcome))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::keyring::MemorySecrets;
    use crate::store::test_support::{app, temp_home, tokens};
    use crate::store::Connection;

    #[tokio::test]
    async fn a_move_from_moved_fitbit_endpoints_prefers_a_google_registration_beside_them() {
        let store = Store::open(temp_home(), Arc::new(MemorySecrets::default())).unwrap();
        let proxy = "http://127.0.0.1:7";
        let fitbit = AppRegistration {
            name: "proxy-fitbit".into(),
            base_url: Some(proxy.into()),
            ..app()
        };
        let google = |name: &str, base: Option<&str>| AppRegistration {
            name: name.into(),
            provider: ProviderKind::GoogleHealth,
            base_url: base.map(str::to_owned),
            ..app()
        };
        store.save_app(fitbit.clone(), None).unwrap();
        store.save_app(google("first", None), None).unwrap();
        store
            .save_connection(Connection {
                app: &fitbit,
                tokens: &tokens("a", Some("r"), 100, "SBX123"),
                requested: &["sleep".into()],
                user_id: Some("SBX123"),
                subject: None,
                display_name: Some("Sam"),
                email: None,
                name: Some("fb"),
            })
            .unwrap();
        let fitauth = Fitauth::with_store(
            store.clone(),
            crate::HttpClient::new(Default::default()).unwrap(),
            None,
        );
        // None on the proxy's endpoints: the built-in one (none in tests), else the first.
        let plan = fitauth
            .migration_plan(Some("fb"), None, None)
            .await
            .unwrap();
        assert_eq!(plan.target.name, "first");
        // One beside the proxy comes first.
        store.save_app(google("beside", Some(proxy)), None).unwrap();
        let plan = fitauth
            .migration_plan(Some("fb"), None, None)
            .await
            .unwrap();
        assert_eq!(plan.target.name, "beside");
        // Named, it is the one.
        let plan = fitauth
            .migration_plan(Some("fb"), Some("first"), None)
            .await
            .unwrap();
        assert_eq!(plan.target.name, "first");
    }

    fn account(name: &str, provider: ProviderKind) -> Account {
        Account::example(name, provider, AccountState::Active)
    }

    #[test]
    fn the_account_to_move_is_a_fitbit_one() {
        let accounts = vec![
            account("fb", ProviderKind::Fitbit),
            account("g", ProviderKind::GoogleHealth),
        ];
        assert_eq!(legacy_account(&accounts, None).unwrap().name, "fb");
        assert_eq!(
            legacy_account(&accounts, Some("g")).unwrap_err().kind(),
            "validation"
        );
        assert_eq!(
            legacy_account(&accounts, Some("nope")).unwrap_err().kind(),
            "unknown_account"
        );
        let two = vec![
            account("fb", ProviderKind::Fitbit),
            account("fb2", ProviderKind::Fitbit),
        ];
        let e = legacy_account(&two, None).unwrap_err();
        assert!(e.to_string().contains("fb, fb2"), "{e}");
        assert_eq!(
            legacy_account(&accounts[1..], None).unwrap_err().kind(),
            "validation"
        );
        // An app token (client credentials) belongs to no person: never the one to move.
        let mut app_token = account("app", ProviderKind::Fitbit);
        app_token.user_id = None;
        app_token.subject = None;
        app_token.has_refresh_token = false;
        let with_app = vec![account("fb", ProviderKind::Fitbit), app_token];
        assert_eq!(legacy_account(&with_app, None).unwrap().name, "fb");
        let e = legacy_account(&with_app, Some("app")).unwrap_err();
        assert!(e.to_string().contains("belongs to no person"), "{e}");
    }
}
