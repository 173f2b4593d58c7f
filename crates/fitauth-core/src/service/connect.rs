//! Signing in: begin, finish (over loopback, from a `fitauth://` link, or from a pasted
//! address), cancel, and what became of a sign-in.
//!
//! 1. [`Fitauth::begin_sign_in`] checks that the keyring takes writes and the registration can
//!    work, picks the redirect (Google: loopback, always; Fitbit: the `fitauth://` link when it
//!    reaches the app, else loopback on [`loopback_port`]), asks Google for `openid email` too
//!    (so the account is labelled with the person's email), builds the authorize URL and keeps
//!    the pending sign-in in the store, where any process sharing it can finish it.
//! 2. Whoever receives the redirect calls [`Fitauth::finish_loopback`] or
//!    [`Fitauth::finish_redirect`]. Both take the pending sign-in off the store atomically
//!    ([`crate::store::Store::take_pending`]): exactly one process exchanges a code, so the
//!    desktop app and `fitauth login` handed the same link never replay it.
//! 3. The code is exchanged, the person identified (Fitbit's profile, Google Health's identity
//!    and the ID token's email) and the account saved by the store's rule: the same person
//!    through the same registration updates their account, another person gets their own.
//! 4. The outcome is noted for ten minutes ([`Fitauth::sign_in_status`]), so a program waiting on
//!    another one learns how it ended.

use url::Url;

use super::apps::{loopback_port, SCHEME_REDIRECT};
use super::migrate::Migrated;
use super::Fitauth;
use crate::authorize::{AuthorizeOptions, PendingAuthorization, ResponseType};
use crate::client::OAuthClient;
use crate::error::Error;
use crate::identity::id_token_claims;
use crate::loopback::LoopbackListener;
use crate::migration::{LegacyToken, SameAccount};
use crate::provider::ProviderKind;
use crate::redirect::{Authorized, RedirectParams};
use crate::store::model::random_hex;
use crate::store::{
    account_name, Account, AppRegistration, Connection, Metadata, OutcomeStatus, PendingRecord,
    RedirectMode, Saved, Store,
};
use crate::token::TokenSet;

/// The identity scopes asked of Google beside the Health scopes, so the account can say whose
/// it is (<https://developers.google.com/identity/openid-connect/openid-connect#scope-param>).
pub const GOOGLE_IDENTITY_SCOPES: [&str; 2] = ["openid", "email"];

/// What a person asks for when they start a sign-in.
#[derive(Debug, Clone)]
pub struct SignInRequest {
    /// The registration to sign in through.
    pub app: AppRegistration,
    pub scopes: Vec<String>,
    /// The account name to store it under; `None` names it after the person.
    pub account: Option<String>,
    /// How the browser should come back; `None` lets the registration decide.
    pub redirect: Option<RedirectMode>,
    /// Whether `fitauth://callback` links reach a program that shares this store (the desktop
    /// app with the scheme registered). Consulted only when `redirect` is `None`.
    pub links_reach_app: bool,
    /// The loopback port; `None` is [`loopback_port`].
    pub port: Option<u16>,
    /// `prompt` for the authorize request (`consent`, `login`, …).
    pub prompt: Option<String>,
    /// PKCE S256 (always on for Google; server apps may turn it off for Fitbit).
    pub pkce: bool,
    /// The authorization code (the default) or, for Fitbit client and personal apps, the
    /// implicit grant (the token in the redirect's fragment, no refresh token).
    pub response_type: ResponseType,
    /// The access token's lifetime in seconds: the implicit grant's (Fitbit: one day, week, 30
    /// days or year), or the code grant's (Fitbit: 28800 or 3600, asked at the exchange and kept
    /// by the account's refreshes).
    pub expires_in: Option<u64>,
    /// The id of the legacy Fitbit account this Google sign-in moves (see
    /// [`super::migrate`]); set by [`Fitauth::begin_migration`].
    pub migrate_from: Option<String>,
}

impl SignInRequest {
    pub fn new(app: AppRegistration, scopes: Vec<String>) -> Self {
        SignInRequest {
            app,
            scopes,
            account: None,
            redirect: None,
            links_reach_app: false,
            port: None,
            prompt: None,
            pkce: true,
            response_type: ResponseType::Code,
            expires_in: None,
            migrate_from: None,
        }
    }
}

/// A started sign-in: what to show while waiting.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// Tags the sign-in's HTTP exchanges until its account is known.
    pub id: String,
    /// The OAuth `state`: the handle to cancel it or ask what became of it.
    pub state: String,
    pub app: AppRegistration,
    pub account: Option<String>,
    pub redirect: RedirectMode,
    pub redirect_uri: String,
    pub authorize_url: Url,
    pub scopes: Vec<String>,
    pub started_at: i64,
    pub expires_at: i64,
}

/// The loopback side of a started sign-in: hand it to [`Fitauth::finish_loopback`] (or to
/// [`Fitauth::receive_loopback`] and then [`Fitauth::complete_received`]).
#[derive(Debug)]
pub struct LoopbackWait {
    listener: LoopbackListener,
    authorization: PendingAuthorization,
}

impl LoopbackWait {
    /// The OAuth `state` of the sign-in it waits for.
    pub fn state(&self) -> &str {
        self.authorization.state.as_str()
    }
}

/// A sign-in this process has taken off the store after its redirect arrived on loopback: from
/// here on, nothing else can finish it, and it must be completed
/// ([`Fitauth::complete_received`]), not abandoned.
#[derive(Debug)]
pub struct Received {
    record: PendingRecord,
    redirect: Result<Authorized, Error>,
}

/// A saved connection.
#[derive(Debug, Clone)]
pub struct Connected {
    pub account: Account,
    /// The same person's existing account was updated (rather than a new one made).
    pub updated: bool,
    /// For a move to Google Health: how it ended.
    pub migration: Option<Box<Migrated>>,
}

/// How a redirect handed to [`Fitauth::finish_redirect`] ended, when it did not connect.
#[derive(Debug)]
pub enum Refused {
    /// It belongs to no pending sign-in (or is not a sign-in response at all): nothing changed.
    NotOurs(Error),
    /// Another process (or an earlier delivery of the same link) already took it.
    AlreadyTaken,
    /// It belonged to a pending sign-in, which then failed (consent denied, code refused…).
    Failed(Error),
}

impl Refused {
    /// The error to show, if there is one.
    pub fn into_error(self) -> Option<Error> {
        match self {
            Refused::NotOurs(e) | Refused::Failed(e) => Some(e),
            Refused::AlreadyTaken => None,
        }
    }
}

pub use crate::store::SignInStatus;

/// The redirect a sign-in through `app` uses.
fn redirect_for(app: &AppRegistration, wanted: Option<RedirectMode>, links: bool) -> RedirectMode {
    match (app.provider, wanted) {
        (ProviderKind::GoogleHealth, _) => RedirectMode::Loopback,
        (ProviderKind::Fitbit, Some(mode)) => mode,
        (ProviderKind::Fitbit, None) if app.redirect == RedirectMode::Scheme && links => {
            RedirectMode::Scheme
        }
        (ProviderKind::Fitbit, None) => RedirectMode::Loopback,
    }
}

/// `scheme://host:port/path` of an address, without its query (which carries the code).
fn endpoint(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path().trim_end_matches('/')
    )
}

/// Whether `arrived` is the redirect URI `expected` (scheme, host, port, path).
fn same_endpoint(arrived: &Url, expected: &str) -> bool {
    Url::parse(expected).is_ok_and(|e| endpoint(&e) == endpoint(arrived))
}

/// Google gets `openid email` beside what the person chose.
fn with_identity_scopes(provider: ProviderKind, mut scopes: Vec<String>) -> Vec<String> {
    scopes.retain(|s| !s.trim().is_empty());
    if provider == ProviderKind::GoogleHealth {
        for scope in GOOGLE_IDENTITY_SCOPES {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
    }
    scopes
}

impl Fitauth {
    /// "Ask for more" (like `gh auth refresh --scopes`), and connecting an account again: a
    /// sign-in through the account's own registration, under its name, asking for what it asked
    /// for before (what was denied included) and `more`.
    pub async fn reconnect_request(
        &self,
        name: Option<&str>,
        more: &[String],
    ) -> Result<SignInRequest, Error> {
        let account = self.account(name).await?;
        if account.is_app_token() {
            return Err(Error::Invalid(format!(
                "\"{}\" is an app token (client credentials): it has no person to sign in again \
                 and no scopes; get a new one with `fitauth login --grant client-credentials`",
                account.name
            )));
        }
        let app = self.registration(&account.app).await?;
        let mut scopes = account.scopes_requested.clone();
        for scope in more {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        Ok(SignInRequest {
            // One-hour tokens stay one hour long.
            expires_in: account.one_hour_tokens(),
            account: Some(account.name),
            ..SignInRequest::new(app, scopes)
        })
    }

    /// Starts a sign-in; see the module docs. Opening the browser is the face's part (the desktop
    /// uses the system opener, the command line may only print the URL).
    pub async fn begin_sign_in(
        &self,
        request: SignInRequest,
    ) -> Result<(SignIn, Option<LoopbackWait>), Error> {
        let account = request.account.as_deref().map(account_name).transpose()?;
        let app = request.app.clone();
        let reg = app.clone();
        // A locked or missing keyring is reported before the browser opens, not after consent.
        let config = self
            .blocking(move |s| {
                s.check_secrets_writable()?;
                s.client_config(&reg)
            })
            .await?;
        config.client_auth()?;

        let redirect = redirect_for(&app, request.redirect, request.links_reach_app);
        if request.response_type == ResponseType::Token
            && app.provider == ProviderKind::GoogleHealth
        {
            return Err(Error::Invalid(
                "Google desktop clients cannot use the implicit grant; use the code grant".into(),
            ));
        }
        if request.response_type == ResponseType::Token && redirect == RedirectMode::Loopback {
            return Err(Error::Invalid(
                "the implicit grant hands the token over in the address's fragment, which a \
                 loopback listener never receives; use the fitauth://callback link (--redirect \
                 scheme): the Fitauth app receives it, or you paste the address"
                    .into(),
            ));
        }
        let listener = match redirect {
            RedirectMode::Loopback => Some(
                LoopbackListener::bind(request.port.unwrap_or_else(|| loopback_port(&app))).await?,
            ),
            RedirectMode::Scheme => None,
        };
        let redirect_uri = listener
            .as_ref()
            .map(|l| l.redirect_uri())
            .unwrap_or_else(|| SCHEME_REDIRECT.to_owned());
        let scopes = with_identity_scopes(app.provider, request.scopes);
        let mut options = match request.response_type {
            ResponseType::Code => {
                let mut options = AuthorizeOptions::code(scopes.clone(), redirect_uri.clone());
                options.pkce = request.pkce;
                // Sent with the code exchange, not on the authorize URL.
                options.expires_in = request.expires_in;
                options
            }
            ResponseType::Token => {
                AuthorizeOptions::implicit(scopes.clone(), redirect_uri.clone(), request.expires_in)
            }
        };
        options.prompt = request.prompt;
        let authorization = PendingAuthorization::start(&config, options)?;
        let record = PendingRecord {
            id: format!("sign-in-{}", random_hex(6)),
            authorization: authorization.clone(),
            app: app.name.clone(),
            account: account.clone(),
            migrate_from: request.migrate_from.clone(),
        };
        let sign_in = SignIn {
            id: record.id.clone(),
            state: authorization.state.as_str().to_owned(),
            app: app.clone(),
            account,
            redirect,
            redirect_uri,
            authorize_url: authorization.authorize_url.clone(),
            scopes,
            started_at: authorization.created_at,
            expires_at: authorization.expires_at,
        };
        self.blocking(move |s| s.save_pending(&record)).await?;
        tracing::info!(
            app = %app.name,
            redirect = ?redirect,
            "sign-in started"
        );
        let wait = listener.map(|listener| LoopbackWait {
            listener,
            authorization,
        });
        Ok((sign_in, wait))
    }

    /// Waits on the loopback listener for the browser, then finishes the sign-in. Dropping the
    /// future while it waits stops listening (cancel with [`Fitauth::cancel_sign_in`] to forget
    /// it too).
    pub async fn finish_loopback(&self, wait: LoopbackWait) -> Result<Connected, Error> {
        let received = self.receive_loopback(wait).await?;
        self.complete_received(received).await
    }

    /// The first half of [`Fitauth::finish_loopback`]: waits for the browser, then takes the
    /// pending sign-in off the store. `Err(Cancelled)` when it is no longer there (cancelled, or
    /// finished by a link or a paste meanwhile); `Err(AuthorizationExpired)` when it ran out.
    pub async fn receive_loopback(&self, wait: LoopbackWait) -> Result<Received, Error> {
        let LoopbackWait {
            listener,
            authorization,
        } = wait;
        let redirect = listener.accept(&authorization).await;
        drop(listener);
        tracing::info!("redirect received on the loopback listener; state checked");
        let state = authorization.state.as_str().to_owned();
        let (taken, expired) = self
            .blocking(move |s| Ok((s.take_pending(&state)?, s.pending_expired(&state)?)))
            .await?;
        match taken {
            Some(record) => Ok(Received { record, redirect }),
            None if expired || authorization.is_expired() => Err(Error::AuthorizationExpired),
            None => {
                tracing::info!("this sign-in was cancelled or finished another way");
                Err(Error::Cancelled)
            }
        }
    }

    /// The second half of [`Fitauth::finish_loopback`]: exchange, identify, save.
    pub async fn complete_received(&self, received: Received) -> Result<Connected, Error> {
        let Received { record, redirect } = received;
        match redirect {
            Ok(authorized) => self.complete(record, authorized).await,
            Err(e) => {
                self.note_failure(record.authorization.state.as_str(), &e)
                    .await;
                Err(e)
            }
        }
    }

    /// Finishes a sign-in from a redirect address: a `fitauth://callback` link the OS delivered,
    /// or what a person pasted. Only the process that takes the pending sign-in exchanges the
    /// code; a redirect that matches none is refused and changes nothing.
    pub async fn finish_redirect(&self, text: &str) -> Result<Connected, Refused> {
        let params = RedirectParams::parse(text).map_err(Refused::NotOurs)?;
        let Some(state) = params.state().map(str::to_owned) else {
            tracing::warn!("state checked: the redirect carries no state");
            return Err(Refused::NotOurs(Error::StateMismatch));
        };
        // The pending sign-in it names, looked up without writing: a redirect that names none
        // is refused below and changes nothing, not even the metadata file (a burst of stray
        // links must not rewrite it, nor create it on a fresh install).
        let st = state.clone();
        let expected = self
            .blocking(move |s| {
                Ok(s.list_pending()?
                    .into_iter()
                    .find(|p| p.authorization.state.matches(&st))
                    .map(|p| p.authorization.redirect_uri))
            })
            .await
            .map_err(Refused::Failed)?;
        let taken = match expected {
            None => None,
            Some(expected) => {
                // A full address must be the one the sign-in sent the browser to: a
                // `fitauth://` link cannot finish a loopback sign-in, nor the other way round.
                // Checked before the sign-in is taken, so a wrong one changes nothing.
                if let Ok(arrived) = Url::parse(text.trim()) {
                    if !same_endpoint(&arrived, &expected) {
                        tracing::warn!(
                            "the redirect arrived at another address than the sign-in's; refused"
                        );
                        return Err(Refused::NotOurs(Error::MalformedRedirect(format!(
                            "it was sent to {}, but this sign-in waits at {expected}",
                            endpoint(&arrived)
                        ))));
                    }
                }
                let st = state.clone();
                self.blocking(move |s| s.take_pending(&st))
                    .await
                    .map_err(Refused::Failed)?
            }
        };
        let Some(record) = taken else {
            let st = state.clone();
            let (seen, expired) = self
                .blocking(move |s| {
                    let seen = matches!(s.sign_in_status(&st)?, SignInStatus::Ended(_));
                    Ok((seen, s.pending_expired(&st)?))
                })
                .await
                .unwrap_or((false, false));
            if seen {
                tracing::info!("state checked: this sign-in was already taken");
                return Err(Refused::AlreadyTaken);
            }
            tracing::warn!(
                expired,
                "state checked: no pending sign-in matches; refused"
            );
            return Err(Refused::NotOurs(if expired {
                Error::AuthorizationExpired
            } else {
                Error::StateMismatch
            }));
        };
        tracing::info!("state checked: it matches a pending sign-in");
        let authorized = match params.verify(&record.authorization) {
            Ok(a) => a,
            Err(e) => {
                self.note_failure(&state, &e).await;
                return Err(Refused::Failed(e));
            }
        };
        self.complete(record, authorized)
            .await
            .map_err(Refused::Failed)
    }

    /// Forgets a pending sign-in, so a late redirect for it is refused. A sign-in already taken
    /// by a process that is finishing it is left to finish.
    pub async fn cancel_sign_in(&self, state: &str) -> Result<(), Error> {
        let st = state.to_owned();
        if self.blocking(move |s| s.drop_pending(&st)).await? {
            tracing::info!("sign-in cancelled");
        }
        Ok(())
    }

    /// What became of the sign-in `state`, from one reading of the store (taking a sign-in
    /// removes it from the pending list and notes it in progress in one write, so one reading
    /// sees either).
    pub async fn sign_in_status(&self, state: &str) -> Result<SignInStatus, Error> {
        let st = state.to_owned();
        self.blocking(move |s| s.sign_in_status(&st)).await
    }

    async fn note_failure(&self, state: &str, e: &Error) {
        let st = state.to_owned();
        let status = OutcomeStatus::Failed { error: e.report() };
        if let Err(e) = self.blocking(move |s| s.record_outcome(&st, status)).await {
            tracing::warn!(kind = e.kind(), "could not note how the sign-in ended");
        }
    }

    /// Exchange, identity, save: the end of every path. The outcome is noted either way.
    async fn complete(
        &self,
        record: PendingRecord,
        authorized: Authorized,
    ) -> Result<Connected, Error> {
        let state = record.authorization.state.as_str().to_owned();
        let result = self.exchange_and_save(&record, authorized).await;
        let status = match &result {
            Ok(c) => OutcomeStatus::Connected {
                account: c.account.name.clone(),
                account_id: c.account.id.clone(),
                updated: c.updated,
            },
            Err(e) => OutcomeStatus::Failed { error: e.report() },
        };
        let st = state.clone();
        if let Err(e) = self.blocking(move |s| s.record_outcome(&st, status)).await {
            tracing::warn!(kind = e.kind(), "could not note how the sign-in ended");
        }
        if let Err(e) = &result {
            tracing::warn!(kind = e.kind(), "sign-in failed");
        }
        result
    }

    async fn exchange_and_save(
        &self,
        record: &PendingRecord,
        authorized: Authorized,
    ) -> Result<Connected, Error> {
        let app_name = record.app.clone();
        let (app, config) = self
            .blocking(move |s| {
                let app = s.load()?.app(&app_name)?.clone();
                let config = s.client_config(&app)?;
                Ok((app, config))
            })
            .await?;
        let client = OAuthClient::new(config, self.http().clone()).with_tag(record.id.clone());
        // One deadline for the exchange and the identity call after it.
        let (tokens, who) = self
            .http()
            .within(async {
                let tokens = match authorized {
                    Authorized::Code { code, .. } => {
                        tracing::info!(app = %app.name, "exchanging the authorization code");
                        client.exchange_code(&record.authorization, &code).await?
                    }
                    Authorized::Token(tokens) => tokens,
                };
                tracing::info!("exchange: tokens received");
                let who = identify(&client, &tokens).await;
                Ok::<_, Error>((tokens, who))
            })
            .await?;
        let requested = record.authorization.scopes.clone();
        let name = record.account.clone();
        let legacy = match &record.migrate_from {
            Some(id) => match self.account_by_id(id).await {
                Ok(a) if a.provider == ProviderKind::Fitbit => Some(a),
                Ok(_) => None,
                Err(e) if crate::store::is_gone(&e) => {
                    tracing::warn!("the account to move is gone; saved as a new connection");
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let same = legacy
            .as_ref()
            .map(|l| SameAccount::check(l.user_id.as_deref(), who.legacy_user_id.as_deref()));
        let found = Found {
            app,
            tokens,
            requested,
            who,
            name,
        };
        let (saved, migration) = match (legacy, same) {
            (Some(legacy), Some(same)) if same.confirmed() => {
                let legacy_id = legacy.id.clone();
                let fallback = found.clone();
                match self
                    .replace_legacy(&legacy, move |s| found.save(s, Some(&legacy_id)))
                    .await
                {
                    Ok((saved, legacy_token)) => {
                        let migration = Migrated {
                            unmapped: unmapped_of(&legacy),
                            merged_from: saved.renamed_from.clone(),
                            legacy,
                            same_account: same,
                            legacy_token,
                        };
                        (saved, Some(Box::new(migration)))
                    }
                    // Removed meanwhile (another `fitauth`, the other face): nothing was
                    // written, and the Google tokens are kept as a connection of their own.
                    Err(e) if crate::store::is_gone(&e) => {
                        tracing::warn!("the account to move is gone; saved as a new connection");
                        (self.blocking(move |s| fallback.save(s, None)).await?, None)
                    }
                    Err(e) => return Err(e),
                }
            }
            (legacy, same) => {
                let saved = self.blocking(move |s| found.save(s, None)).await?;
                let migration = legacy.zip(same).map(|(legacy, same_account)| {
                    tracing::warn!(
                        account = %legacy.name,
                        "move: not shown to be the same Fitbit account; the legacy account was kept"
                    );
                    Box::new(Migrated {
                        unmapped: unmapped_of(&legacy),
                        merged_from: None,
                        legacy,
                        same_account,
                        legacy_token: LegacyToken::Kept,
                    })
                });
                (saved, migration)
            }
        };
        self.exchange_log().retag(&record.id, &saved.account.id);
        tracing::info!(
            account = %saved.account.name,
            updated = saved.updated,
            "connection saved"
        );
        Ok(Connected {
            account: saved.account,
            updated: saved.updated,
            migration,
        })
    }
}

/// The legacy scopes of `legacy` with no Google Health equivalent.
fn unmapped_of(legacy: &Account) -> Vec<String> {
    crate::migration::google_scopes_for(&legacy.scopes_granted).unmapped
}

/// A finished exchange, ready to be saved.
#[derive(Clone)]
struct Found {
    app: AppRegistration,
    tokens: TokenSet,
    requested: Vec<String>,
    who: Who,
    name: Option<String>,
}

impl Found {
    /// Saves it by the store's rule, or in place of the legacy account `migrate_from`.
    fn save(self, s: &Store, migrate_from: Option<&str>) -> Result<Saved, Error> {
        let who = if self.who.identified {
            self.who
        } else {
            self.who.or_known(&s.load()?, &self.app.name)
        };
        let conn = Connection {
            app: &self.app,
            tokens: &self.tokens,
            requested: &self.requested,
            user_id: who.user_id.as_deref(),
            subject: who.subject.as_deref(),
            display_name: who.display_name.as_deref(),
            email: who.email.as_deref(),
            name: self.name.as_deref(),
        };
        match migrate_from {
            Some(legacy_id) => s.save_migration(legacy_id, conn),
            None => s.save_connection(conn),
        }
    }
}

/// Who signed in, as far as the provider says.
#[derive(Debug, Default, Clone)]
struct Who {
    user_id: Option<String>,
    subject: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    /// Google Health: the Fitbit user id the Google account had on the legacy API.
    legacy_user_id: Option<String>,
    /// The identity call answered (else `user_id` is the token's or the ID token's).
    identified: bool,
}

impl Who {
    /// After a failed identity call (an outage, a timeout): what only that call tells — the
    /// provider's user id, the profile's name — is taken from the same person's account through
    /// `app`, if there is one, rather than erased or replaced by a fallback. The email, and a
    /// name that was the email, come from the ID token of this sign-in alone.
    fn or_known(mut self, meta: &Metadata, app: &str) -> Who {
        let known = meta.accounts.iter().find(|a| {
            a.app == app
                && a.same_person(self.subject.as_deref(), self.user_id.as_deref()) == Some(true)
        });
        if let Some(known) = known {
            if known.user_id.is_some() {
                self.user_id = known.user_id.clone();
            }
            if known.display_name.is_some() && known.display_name != known.email {
                self.display_name = known.display_name.clone();
            }
        }
        self
    }
}

/// Fitbit: the profile (needs the `profile` scope), else the token answer's `user_id`. Google:
/// the ID token's subject (the stable id accounts are matched on), the Health identity's user id
/// (else the subject) to show, the email when the person shared it. Best effort: a token without
/// these still connects, as an account of its own.
async fn identify(client: &OAuthClient, tokens: &TokenSet) -> Who {
    let claims = tokens.id_token.as_ref().and_then(id_token_claims);
    let identity = match client.identity(&tokens.access_token).await {
        Ok(identity) => Some(identity),
        Err(e) => {
            tracing::info!(kind = e.kind(), "no identity; using the token's user id");
            None
        }
    };
    Who {
        identified: identity.is_some(),
        user_id: identity
            .as_ref()
            .map(|i| i.user_id.clone())
            .or_else(|| tokens.user_id.clone())
            .or_else(|| claims.as_ref().and_then(|c| c.subject.clone())),
        display_name: identity
            .as_ref()
            .and_then(|i| i.display_name.clone().or_else(|| i.full_name.clone())),
        subject: claims.as_ref().and_then(|c| c.subject.clone()),
        email: claims.and_then(|c| c.email),
        legacy_user_id: identity.and_then(|i| i.legacy_user_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppType;

    fn app(provider: ProviderKind, redirect: RedirectMode) -> AppRegistration {
        AppRegistration {
            name: "a".into(),
            provider,
            client_id: "c".into(),
            app_type: AppType::Client,
            redirect,
            base_url: None,
            endpoints: None,
            has_client_secret: false,
            testing: false,
        }
    }

    #[test]
    fn google_comes_back_over_loopback_and_asks_who_the_person_is() {
        let google = app(ProviderKind::GoogleHealth, RedirectMode::Scheme);
        assert_eq!(
            redirect_for(&google, Some(RedirectMode::Scheme), true),
            RedirectMode::Loopback
        );
        assert_eq!(
            with_identity_scopes(ProviderKind::GoogleHealth, vec!["x".into(), "email".into()]),
            ["x", "email", "openid"]
        );
        assert_eq!(
            with_identity_scopes(ProviderKind::Fitbit, vec!["sleep".into()]),
            ["sleep"]
        );
    }

    #[test]
    fn a_redirect_is_matched_to_the_address_the_sign_in_used() {
        let link = Url::parse("fitauth://callback?code=c&state=s#_=_").unwrap();
        assert!(same_endpoint(&link, "fitauth://callback"));
        assert!(!same_endpoint(&link, "http://127.0.0.1:47813/callback"));
        let loopback = Url::parse("http://127.0.0.1:47813/callback?code=c&state=s").unwrap();
        assert!(same_endpoint(&loopback, "http://127.0.0.1:47813/callback"));
        assert!(!same_endpoint(&loopback, "http://127.0.0.1:47814/callback"));
        let other = Url::parse("fitauth://anything?code=c&state=s").unwrap();
        assert!(!same_endpoint(&other, "fitauth://callback"));
    }

    #[test]
    fn fitbit_uses_the_link_only_when_it_reaches_the_app() {
        let fitbit = app(ProviderKind::Fitbit, RedirectMode::Scheme);
        assert_eq!(redirect_for(&fitbit, None, true), RedirectMode::Scheme);
        assert_eq!(redirect_for(&fitbit, None, false), RedirectMode::Loopback);
        assert_eq!(
            redirect_for(&fitbit, Some(RedirectMode::Scheme), false),
            RedirectMode::Scheme,
            "asked for explicitly (a paste, or the app finishes it)"
        );
        let loopback = app(ProviderKind::Fitbit, RedirectMode::Loopback);
        assert_eq!(redirect_for(&loopback, None, true), RedirectMode::Loopback);
    }
}
