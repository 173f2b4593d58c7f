//! What the metadata file holds: app registrations, accounts, pending sign-ins and their
//! outcomes. Nothing here is secret; the secrets they refer to are in the keyring under
//! [`super::SecretKey`]s.

use serde::{Deserialize, Serialize};

use crate::app::AppType;
use crate::authorize::PendingAuthorization;
use crate::error::{Error, ErrorReport};
use crate::provider::{Endpoints, Provider, ProviderKind};

/// The schema this build writes. Version 1 named keyring entries after the account's name;
/// version 2 gives every account a stable id (accounts read from version 1 keep their name as
/// id, so their keyring entries stay where they are).
pub const SCHEMA_VERSION: u32 = 2;

/// How the redirect comes back to this app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RedirectMode {
    /// `http://127.0.0.1:<port>/callback` (Google requires it).
    #[default]
    Loopback,
    /// `fitauth://callback`, delivered by the OS to the desktop app.
    Scheme,
}

impl std::str::FromStr for RedirectMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "loopback" => Ok(RedirectMode::Loopback),
            "scheme" => Ok(RedirectMode::Scheme),
            other => Err(Error::Invalid(format!(
                "unknown redirect \"{other}\": use loopback or scheme"
            ))),
        }
    }
}

/// An app registration with a provider. Its client secret, if any, is in the keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRegistration {
    pub name: String,
    pub provider: ProviderKind,
    pub client_id: String,
    pub app_type: AppType,
    pub redirect: RedirectMode,
    /// Moves every endpoint of the provider to this base URL (sandbox, proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Fully custom endpoints; wins over `base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    pub has_client_secret: bool,
    /// Google: the project's OAuth consent screen is in *Testing*, so Google's refresh tokens
    /// end seven days after consent
    /// (<https://developers.google.com/identity/protocols/oauth2#expiration>).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub testing: bool,
}

impl AppRegistration {
    /// The provider with this registration's overrides, else the `FITAUTH_*_BASE_URL` ones.
    pub fn provider(&self) -> Result<Provider, Error> {
        if let Some(endpoints) = &self.endpoints {
            endpoints.check_transport()?;
            return Ok(Provider {
                kind: self.provider,
                endpoints: endpoints.clone(),
            });
        }
        match &self.base_url {
            Some(base) => Provider::with_base(self.provider, Some(base)),
            None => Provider::from_env(self.provider),
        }
    }

    /// Whether a client secret stored for `old` may stay with `self`: only while it is the same
    /// client at the same endpoints (a secret must never follow a registration to another host).
    pub fn keeps_secret_of(&self, old: &AppRegistration) -> bool {
        old.has_client_secret
            && old.provider == self.provider
            && old.client_id == self.client_id
            && old.base_url == self.base_url
            && old.endpoints == self.endpoints
    }

    /// How long a refresh token from this registration lives, when that is known in advance:
    /// seven days for a Google client whose consent screen is in Testing.
    pub fn refresh_token_lifetime(&self) -> Option<i64> {
        (self.provider == ProviderKind::GoogleHealth && self.testing).then_some(7 * 24 * 3600)
    }

    /// Whether sign-ins go to the provider's real hosts (not moved by the registration or by
    /// `FITAUTH_*_BASE_URL`).
    pub fn on_real_hosts(&self) -> bool {
        self.base_url.is_none()
            && self.endpoints.is_none()
            && std::env::var_os(self.provider.base_url_env()).is_none_or(|v| v.is_empty())
    }
}

/// What the app knows about an account's sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    Active,
    /// Derived: active, but the access token's time is up (a refresh will fix it).
    Expired,
    ReconnectNeeded,
    Revoked,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Expired => "expired",
            AccountState::ReconnectNeeded => "reconnect_needed",
            AccountState::Revoked => "revoked",
        }
    }
}

/// A connected account: one person (the provider's user) through one app registration. Tokens
/// are in the keyring; this is everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Stable for the account's life: names its keyring entries and tags its HTTP exchanges.
    /// Empty only while a version-1 file is being read (then it becomes the name).
    #[serde(default)]
    pub id: String,
    /// What people and `--account` call it: unique, editable.
    pub name: String,
    /// The [`AppRegistration`] it was connected through.
    pub app: String,
    pub provider: ProviderKind,
    /// The provider's user: Fitbit's encoded id, Google Health's `healthUserId` (else the ID
    /// token's `sub`). With `subject` and `app` it says whose account this is.
    pub user_id: Option<String>,
    /// Google: the OpenID Connect subject (`sub` of the ID token), the account's stable id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Fitbit's display name; for Google the email, when the person shared it.
    pub display_name: Option<String>,
    /// From Google's ID token (`openid email`), when the person shared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    pub token_type: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    pub has_refresh_token: bool,
    /// As stored: `active`, `reconnect_needed` or `revoked` (never `expired`, which is derived).
    pub state: AccountState,
    pub updated_at: i64,
    /// Bumped on every token write, so a reader can tell that the tokens changed under it.
    pub generation: u64,
    /// The provider's last verdict on its access token (Introspect), kept with the account so
    /// every face and every start shows it; none after a new sign-in or a revoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_introspection: Option<crate::introspect::Introspection>,
}

impl Account {
    /// A minimal account for tests and examples: `id` is also its name, through registration
    /// `a`, with a refresh token and an access token that expired at 100.
    #[doc(hidden)]
    pub fn example(id: &str, provider: ProviderKind, state: AccountState) -> Account {
        Account {
            id: id.into(),
            name: id.into(),
            app: "a".into(),
            provider,
            user_id: None,
            subject: None,
            display_name: None,
            email: None,
            scopes_requested: vec![],
            scopes_granted: vec![],
            token_type: "Bearer".into(),
            issued_at: 0,
            expires_at: Some(100),
            refresh_token_expires_at: None,
            has_refresh_token: true,
            state,
            updated_at: 0,
            generation: 1,
            last_introspection: None,
        }
    }

    /// The state as people should see it now: an active account whose token ran out is "expired".
    pub fn effective_state(&self, now: i64) -> AccountState {
        match (self.state, self.expires_at) {
            (AccountState::Active, Some(exp)) if exp <= now => AccountState::Expired,
            (state, _) => state,
        }
    }

    /// The one-hour lifetime a Fitbit code-grant token was asked for (`expires_in=3600`), to
    /// ask for again on refresh and reconnect; `None` leaves it to the provider (8 hours).
    pub fn one_hour_tokens(&self) -> Option<u64> {
        let lifetime = self.expires_at.map(|e| e.saturating_sub(self.issued_at));
        (self.provider == ProviderKind::Fitbit && lifetime == Some(3_600)).then_some(3_600)
    }

    /// A client-credentials token: the app's own, with no person behind it and no refresh
    /// token (nobody to sign in again, nothing to move to Google Health).
    pub fn is_app_token(&self) -> bool {
        self.user_id.is_none() && self.subject.is_none() && !self.has_refresh_token
    }

    /// Scopes asked for but not granted. Google answers the `email` scope as its full URL.
    pub fn scopes_denied(&self) -> Vec<String> {
        self.scopes_requested
            .iter()
            .filter(|s| !self.scopes_granted.iter().any(|g| same_scope(s, g)))
            .cloned()
            .collect()
    }

    /// Whether `self` and the person identified by (`subject`, `user_id`) are the same person:
    /// `Some(true)`/`Some(false)` when the ids say so, `None` when they cannot tell.
    pub fn same_person(&self, subject: Option<&str>, user_id: Option<&str>) -> Option<bool> {
        if let (Some(a), Some(b)) = (self.subject.as_deref(), subject) {
            return Some(a == b);
        }
        match (self.user_id.as_deref(), user_id) {
            (Some(a), Some(b)) => Some(a == b),
            _ => None,
        }
    }

    /// Who this is, for people: the display name or email, else the user id, else the name.
    pub fn label(&self) -> String {
        self.display_name
            .clone()
            .or_else(|| self.email.clone())
            .or_else(|| self.user_id.clone())
            .unwrap_or_else(|| self.name.clone())
    }
}

/// `email` and `profile` are answered by Google as `…/auth/userinfo.email` and
/// `…/auth/userinfo.profile` (<https://developers.google.com/identity/protocols/oauth2/scopes#oauth2>).
fn same_scope(asked: &str, granted: &str) -> bool {
    asked == granted
        || matches!(
            (asked, granted),
            ("email", "https://www.googleapis.com/auth/userinfo.email")
                | (
                    "profile",
                    "https://www.googleapis.com/auth/userinfo.profile"
                )
        )
}

/// A started sign-in as stored: everything but the verifier (it is in the keyring).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingRecord {
    /// Tags the sign-in's HTTP exchanges until the account is known. Not the OAuth `state`.
    #[serde(default)]
    pub id: String,
    pub authorization: PendingAuthorization,
    pub app: String,
    /// The name asked for; `None` names the account after the person who signs in.
    #[serde(default)]
    pub account: Option<String>,
    /// The id of the legacy Fitbit account this Google sign-in moves (the migration assistant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_from: Option<String>,
}

/// What became of a sign-in taken off the pending list, kept for ten minutes so that the other
/// program sharing the store (the `fitauth` command waiting for the desktop app, or a link
/// delivered twice) can tell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInOutcome {
    /// The OAuth `state` of the sign-in (useless once its code is spent).
    pub state: String,
    pub at: i64,
    pub status: OutcomeStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum OutcomeStatus {
    /// Taken by a process that is exchanging the code now.
    InProgress,
    /// Saved as this account; `updated` when it was the person's existing account.
    Connected {
        /// Its name when saved (for people).
        account: String,
        /// Its id (names can change).
        #[serde(default)]
        account_id: String,
        #[serde(default)]
        updated: bool,
    },
    Failed {
        error: ErrorReport,
    },
}

/// What became of a sign-in, by its `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStatus {
    /// Still waiting for the browser.
    Waiting,
    /// Noted in the last ten minutes.
    Ended(OutcomeStatus),
    /// Unknown, expired or long gone.
    Unknown,
}

/// The whole metadata file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metadata {
    pub schema_version: u32,
    /// Random id that namespaces this store's keyring entries, so two data directories never
    /// share secrets.
    pub store_id: String,
    #[serde(default)]
    pub apps: Vec<AppRegistration>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Sign-ins started and not finished (their PKCE verifiers are in the keyring).
    #[serde(default)]
    pub pending: Vec<PendingRecord>,
    /// Sign-ins finished in the last ten minutes.
    #[serde(default)]
    pub outcomes: Vec<SignInOutcome>,
}

impl Metadata {
    pub(crate) fn new() -> Self {
        Metadata {
            schema_version: SCHEMA_VERSION,
            store_id: random_hex(8),
            apps: vec![],
            accounts: vec![],
            pending: vec![],
            outcomes: vec![],
        }
    }

    /// Brings an older file up to [`SCHEMA_VERSION`] in memory (written back on the next update).
    pub(crate) fn migrate(&mut self) {
        for account in &mut self.accounts {
            if account.id.is_empty() {
                account.id = account.name.clone();
            }
        }
        self.schema_version = SCHEMA_VERSION;
    }

    pub fn account(&self, name: &str) -> Result<&Account, Error> {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownAccount { name: name.into() })
    }

    pub(crate) fn account_mut(&mut self, name: &str) -> Result<&mut Account, Error> {
        self.accounts
            .iter_mut()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownAccount { name: name.into() })
    }

    pub fn app(&self, name: &str) -> Result<&AppRegistration, Error> {
        self.apps
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::UnknownApp { name: name.into() })
    }
}

/// `bytes` random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
