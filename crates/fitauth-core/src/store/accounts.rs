//! Accounts: whose they are, their tokens, their names and states.
//!
//! An account is one person (the provider's user: Google's OpenID subject, else the user id)
//! through one app registration. Saving a finished sign-in ([`Store::save_connection`]) follows
//! one rule, decided by [`place`] under the metadata lock: the same person reconnecting updates
//! their account in place (and takes a free name they asked for); another person gets a new
//! account named after them (unique, editable); a name that belongs to someone else's account —
//! or to an account whose person cannot be told apart from the newcomer — is refused. Nothing
//! overwrites another person's tokens, and an answer without a refresh token removes the stored
//! one rather than keeping what may be someone else's. A refresh that finishes after the tokens
//! were replaced (a reconnect, a revoke) is superseded and writes nothing
//! ([`Store::save_refreshed`]).

use super::model::{random_hex, Metadata};
use super::{Account, AccountState, AppRegistration, SecretKey, Store};
use crate::clock::now_unix;
use crate::error::Error;
use crate::secret::{AccessToken, RefreshToken};
use crate::token::TokenSet;

/// Longest account name accepted.
const MAX_NAME: usize = 64;

/// A finished sign-in, ready to be saved.
#[derive(Debug, Clone, Copy)]
pub struct Connection<'a> {
    pub app: &'a AppRegistration,
    pub tokens: &'a TokenSet,
    /// The scopes asked for.
    pub requested: &'a [String],
    /// The provider's user (Fitbit encoded id, Google Health user id), when known.
    pub user_id: Option<&'a str>,
    /// Google's OpenID subject (`sub`), when an ID token came with the answer.
    pub subject: Option<&'a str>,
    /// A name to show for the person (Fitbit's display name).
    pub display_name: Option<&'a str>,
    /// The person's email (Google's ID token), when they shared it.
    pub email: Option<&'a str>,
    /// The name asked for; `None` names the account after the person.
    pub name: Option<&'a str>,
}

impl Connection<'_> {
    /// An app token (client credentials): no person, no refresh token.
    fn is_app_token(&self) -> bool {
        self.user_id.is_none() && self.subject.is_none() && self.tokens.refresh_token.is_none()
    }

    /// Who signed in, for people and for naming the account.
    fn label(&self) -> String {
        self.email
            .or(self.display_name)
            .or(self.user_id)
            .unwrap_or("account")
            .to_owned()
    }
}

/// Where a connection goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Update the account at this index in place (the same person), renamed when `rename`.
    Update {
        index: usize,
        rename: Option<String>,
    },
    /// A new account with this (unique) name.
    New { name: String },
}

/// What saving refreshed tokens did.
#[derive(Debug, Clone)]
pub enum Refreshed {
    Saved(Account),
    /// The tokens had been replaced meanwhile (reconnect, revoke); nothing was written.
    Superseded(Account),
}

/// What saving a connection did.
#[derive(Debug, Clone)]
pub struct Saved {
    pub account: Account,
    /// An existing account of the same person was updated (rather than a new one made).
    pub updated: bool,
    /// That existing account's earlier name, when it now goes by another.
    pub renamed_from: Option<String>,
}

/// Checks an account name: trimmed, not empty, at most 64 characters, no control characters.
pub fn account_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid("an account name cannot be empty".into()));
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::Invalid(format!(
            "an account name can have at most {MAX_NAME} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "an account name cannot contain control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// A name made from a person's label for use on a command line: `Sam Sandbox` → `sam-sandbox`,
/// emails kept as they are.
pub fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || matches!(c, '@' | '.' | '_' | '+') {
            out.push(c);
        } else if (c.is_whitespace() || c == '-') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(MAX_NAME - 4).collect();
    if out.is_empty() {
        "account".into()
    } else {
        out
    }
}

/// `base`, or `base-2`, `base-3`, … whichever no account has.
fn unique(meta: &Metadata, base: &str) -> String {
    let taken = |n: &str| meta.accounts.iter().any(|a| a.name == n);
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .expect("some suffix is free")
}

/// Decides where a connection goes (see the module docs). Pure, so the rule is tested alone.
pub fn place(meta: &Metadata, conn: &Connection<'_>) -> Result<Placement, Error> {
    if let Some(name) = conn.name {
        if let Some((index, existing)) = meta
            .accounts
            .iter()
            .enumerate()
            .find(|(_, a)| a.name == name)
        {
            let other_app = existing.app != conn.app.name;
            // Unknown counts as someone else: only a proven match may take over the tokens.
            // A new app token of the same registration renews the old one (no person either).
            let same = existing.same_person(conn.subject, conn.user_id) == Some(true)
                || (existing.is_app_token() && conn.is_app_token());
            if other_app || !same {
                let owner = if other_app {
                    format!("{} (through \"{}\")", existing.label(), existing.app)
                } else {
                    existing.label()
                };
                return Err(Error::AccountTaken {
                    account: name.to_owned(),
                    owner,
                    newcomer: conn.label(),
                });
            }
            return Ok(Placement::Update {
                index,
                rename: None,
            });
        }
    }
    if conn.subject.is_some() || conn.user_id.is_some() {
        if let Some(index) = meta.accounts.iter().position(|a| {
            a.app == conn.app.name && a.same_person(conn.subject, conn.user_id) == Some(true)
        }) {
            // The name asked for is free (checked above): the person renames their account.
            return Ok(Placement::Update {
                index,
                rename: conn.name.map(str::to_owned),
            });
        }
    }
    let name = match conn.name {
        Some(name) => name.to_owned(),
        None => unique(meta, &slug(&conn.label())),
    };
    Ok(Placement::New { name })
}

impl Store {
    /// The account to act on: `name`, or the only one there is.
    pub fn resolve_account(&self, name: Option<&str>) -> Result<Account, Error> {
        resolve(&self.load()?, name)
    }

    /// The account with id `id` (the name may have changed since it was read).
    pub fn account_by_id(&self, id: &str) -> Result<Account, Error> {
        by_id(&self.load()?, id).cloned()
    }

    /// Saves a finished sign-in: tokens to the keyring, then the account, placed by [`place`].
    pub fn save_connection(&self, conn: Connection<'_>) -> Result<Saved, Error> {
        let name = conn.name.map(account_name).transpose()?;
        let conn = Connection {
            name: name.as_deref(),
            ..conn
        };
        self.update(|meta, store| store.place_and_write(meta, conn))
    }

    /// Places a connection ([`place`]), writes its tokens and puts the account in `meta`.
    fn place_and_write(&self, meta: &mut Metadata, conn: Connection<'_>) -> Result<Saved, Error> {
        let placement = place(meta, &conn)?;
        let now = now_unix();
        let (id, name, generation, updated, renamed_from) = match &placement {
            Placement::Update { index, rename } => {
                let a = &meta.accounts[*index];
                let name = rename.clone().unwrap_or_else(|| a.name.clone());
                let renamed_from = (name != a.name).then(|| a.name.clone());
                (a.id.clone(), name, a.generation + 1, true, renamed_from)
            }
            Placement::New { name } => {
                let mut id = random_hex(8);
                while meta.accounts.iter().any(|a| a.id == id) {
                    id = random_hex(8);
                }
                (id, name.clone(), 1, false, None)
            }
        };
        self.write_tokens(meta, &id, conn.tokens)?;
        let tokens = conn.tokens;
        let account = Account {
            id,
            name,
            app: conn.app.name.clone(),
            provider: conn.app.provider,
            user_id: conn.user_id.map(str::to_owned),
            subject: conn.subject.map(str::to_owned),
            display_name: conn.display_name.or(conn.email).map(str::to_owned),
            email: conn.email.map(str::to_owned),
            scopes_requested: conn.requested.to_vec(),
            scopes_granted: tokens
                .scopes
                .clone()
                .unwrap_or_else(|| conn.requested.to_vec()),
            token_type: tokens.token_type.clone(),
            issued_at: tokens.issued_at,
            expires_at: tokens.expires_at,
            // Google says when time-based access ends; a Testing client's tokens end after
            // seven days, which Google does not say.
            refresh_token_expires_at: tokens.refresh_token_expires_at.or_else(|| {
                let lifetime = conn.app.refresh_token_lifetime()?;
                tokens
                    .refresh_token
                    .as_ref()
                    .map(|_| tokens.issued_at.saturating_add(lifetime))
            }),
            has_refresh_token: tokens.refresh_token.is_some(),
            state: AccountState::Active,
            updated_at: now,
            generation,
            last_introspection: None,
        };
        match placement {
            Placement::Update { index, .. } => meta.accounts[index] = account.clone(),
            Placement::New { .. } => meta.accounts.push(account.clone()),
        }
        Ok(Saved {
            account,
            updated,
            renamed_from,
        })
    }

    /// Saves a Google Health sign-in in place of the legacy Fitbit account with id `legacy_id`
    /// (the migration assistant, once the identity is confirmed): one write removes the legacy
    /// account and its tokens and saves the connection under the legacy account's name, placed
    /// by [`place`] — so the same person's existing account through that Google registration, if
    /// there is one, is updated and takes the name. `conn.name` is ignored.
    pub fn save_migration(&self, legacy_id: &str, conn: Connection<'_>) -> Result<Saved, Error> {
        let legacy = self.account_by_id(legacy_id)?;
        if legacy.provider != crate::provider::ProviderKind::Fitbit
            || conn.app.provider != crate::provider::ProviderKind::GoogleHealth
        {
            return Err(Error::Invalid(
                "only a Fitbit account moves, and only to Google Health".into(),
            ));
        }
        // The legacy secrets go only once the metadata that no longer names them is written, so a
        // failed write leaves the legacy account whole, tokens and all.
        let (saved, store_id) = self.update(|meta, store| {
            let legacy = by_id(meta, legacy_id)?.clone();
            meta.accounts.retain(|a| a.id != legacy_id);
            let saved = store.place_and_write(
                meta,
                Connection {
                    name: Some(&legacy.name),
                    ..conn
                },
            )?;
            Ok((saved, meta.store_id.clone()))
        })?;
        for key in [
            SecretKey::RefreshToken {
                account_id: legacy_id,
            },
            SecretKey::AccessToken {
                account_id: legacy_id,
            },
        ] {
            if let Err(e) = self.secrets.delete(&key.entry(&store_id)) {
                tracing::warn!(error = %e, "the moved account's legacy secrets stay in the keyring");
            }
        }
        Ok(saved)
    }

    /// Saves refreshed tokens of the account with id `id`, keyring first, then metadata — if
    /// its tokens are still those of generation `read_at` (the refresh began from them). When a
    /// reconnect or a revoke replaced them meanwhile, nothing is written and the account is
    /// returned as [`Refreshed::Superseded`].
    pub fn save_refreshed(
        &self,
        id: &str,
        read_at: u64,
        tokens: &TokenSet,
    ) -> Result<Refreshed, Error> {
        self.update(|meta, store| {
            let current = by_id(meta, id)?;
            if current.generation != read_at {
                return Ok(Refreshed::Superseded(current.clone()));
            }
            store.write_tokens(meta, id, tokens)?;
            let account = by_id_mut(meta, id)?;
            if let Some(scopes) = &tokens.scopes {
                account.scopes_granted = scopes.clone();
            }
            account.token_type = tokens.token_type.clone();
            account.issued_at = tokens.issued_at;
            account.expires_at = tokens.expires_at;
            account.refresh_token_expires_at = tokens
                .refresh_token_expires_at
                .or(account.refresh_token_expires_at);
            account.has_refresh_token = tokens.refresh_token.is_some();
            account.state = AccountState::Active;
            account.updated_at = now_unix();
            account.generation += 1;
            Ok(Refreshed::Saved(account.clone()))
        })
    }

    /// Writes an account's tokens. The refresh token first (it is the one that cannot be
    /// recovered); an answer without one deletes the stored one, so a re-consent never keeps an
    /// older refresh token.
    fn write_tokens(&self, meta: &Metadata, id: &str, tokens: &TokenSet) -> Result<(), Error> {
        let refresh_key = SecretKey::RefreshToken { account_id: id };
        match &tokens.refresh_token {
            Some(refresh) => self.set_secret(meta, refresh_key, refresh.secret())?,
            None => self.delete_secret(meta, refresh_key)?,
        }
        self.set_secret(
            meta,
            SecretKey::AccessToken { account_id: id },
            tokens.access_token.secret(),
        )
    }

    pub fn access_token(&self, account: &Account) -> Result<AccessToken, Error> {
        let meta = self.load()?;
        self.get_secret(
            &meta,
            SecretKey::AccessToken {
                account_id: &account.id,
            },
        )?
        .map(AccessToken::new)
        .ok_or_else(|| Error::SecretMissing {
            what: "access token".into(),
        })
    }

    pub fn refresh_token(&self, account: &Account) -> Result<Option<RefreshToken>, Error> {
        let meta = self.load()?;
        Ok(self
            .get_secret(
                &meta,
                SecretKey::RefreshToken {
                    account_id: &account.id,
                },
            )?
            .map(RefreshToken::new))
    }

    /// Records a new state (e.g. `reconnect_needed`) of the account with id `id`, touching no
    /// secret.
    pub fn set_state(&self, id: &str, state: AccountState) -> Result<Account, Error> {
        self.update(|meta, _| {
            let account = by_id_mut(meta, id)?;
            account.state = state;
            account.updated_at = now_unix();
            Ok(account.clone())
        })
    }

    /// Keeps the provider's verdict on the account's access token with the account, when its
    /// tokens are still those of generation `asked_at` (the verdict is about them). When a
    /// refresh or a reconnect replaced them meanwhile, the verdict is about a token the account
    /// no longer holds: nothing is kept, and the account is returned as it is.
    pub fn save_verdict(
        &self,
        id: &str,
        asked_at: u64,
        verdict: &crate::introspect::Introspection,
    ) -> Result<Account, Error> {
        self.update(|meta, _| {
            let account = by_id_mut(meta, id)?;
            if account.generation == asked_at {
                account.last_introspection = Some(verdict.clone());
            }
            Ok(account.clone())
        })
    }

    /// After revocation: secrets deleted from the keyring, the account kept as `revoked`.
    pub fn forget_tokens(&self, id: &str) -> Result<Account, Error> {
        self.update(|meta, store| {
            by_id(meta, id)?;
            store.delete_secret(meta, SecretKey::RefreshToken { account_id: id })?;
            store.delete_secret(meta, SecretKey::AccessToken { account_id: id })?;
            let account = by_id_mut(meta, id)?;
            account.state = AccountState::Revoked;
            account.has_refresh_token = false;
            account.last_introspection = None;
            account.updated_at = now_unix();
            account.generation += 1;
            Ok(account.clone())
        })
    }

    /// Removes an account and its secrets entirely.
    pub fn remove_account(&self, id: &str) -> Result<(), Error> {
        self.update(|meta, store| {
            by_id(meta, id)?;
            store.delete_secret(meta, SecretKey::RefreshToken { account_id: id })?;
            store.delete_secret(meta, SecretKey::AccessToken { account_id: id })?;
            meta.accounts.retain(|a| a.id != id);
            Ok(())
        })
    }

    /// Gives an account another (unique) name; its tokens stay where they are.
    pub fn rename_account(&self, name: &str, new_name: &str) -> Result<Account, Error> {
        let new_name = account_name(new_name)?;
        self.update(|meta, _| {
            meta.account(name)?;
            if new_name != name && meta.accounts.iter().any(|a| a.name == new_name) {
                return Err(Error::Invalid(format!(
                    "there is already an account named \"{new_name}\""
                )));
            }
            let account = meta.account_mut(name)?;
            account.name = new_name;
            account.updated_at = now_unix();
            Ok(account.clone())
        })
    }
}

/// The account to act on: `name`, or the only one there is.
pub(crate) fn resolve(meta: &Metadata, name: Option<&str>) -> Result<Account, Error> {
    match name {
        Some(name) => meta.account(name).cloned(),
        None => match meta.accounts.as_slice() {
            [] => Err(Error::NoAccounts),
            [only] => Ok(only.clone()),
            many => Err(Error::AmbiguousAccount {
                names: many
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        },
    }
}

const GONE: &str = "the account was removed while it was being updated";

fn gone() -> Error {
    Error::Storage {
        reason: GONE.into(),
    }
}

/// Whether `e` says the account was removed meanwhile (by another process), rather than that
/// the store failed.
pub fn is_gone(e: &Error) -> bool {
    matches!(e, Error::Storage { reason } if reason == GONE)
}

fn by_id<'m>(meta: &'m Metadata, id: &str) -> Result<&'m Account, Error> {
    meta.accounts.iter().find(|a| a.id == id).ok_or_else(gone)
}

fn by_id_mut<'m>(meta: &'m mut Metadata, id: &str) -> Result<&'m mut Account, Error> {
    meta.accounts
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(gone)
}
