//! Fitauth's core: everything about talking OAuth 2.0 to Fitbit and Google Health and keeping the
//! result, with no user interface and no Tauri. The desktop app and the `fitauth` command are thin
//! faces over its use-case layer, [`service`] (one [`Fitauth`] handle), and call nothing below it.
//!
//! Below the layer: the protocol (providers, PKCE, the authorize URL, redirect parsing, the token
//! client, introspection, revocation, identity), the [`store`] (metadata file + OS keyring) and
//! the [`SessionManager`] (refresh with one owner at a time).
//!
//! A connection runs in four steps:
//! 1. [`PendingAuthorization::start`] makes state, PKCE verifier and the authorize URL;
//! 2. the browser consents and comes back; [`RedirectParams::parse`] reads the redirect and
//!    [`RedirectParams::verify`] checks it against the pending authorization;
//! 3. [`OAuthClient::exchange_code`] turns the code into a [`TokenSet`];
//! 4. [`OAuthClient::refresh`], [`OAuthClient::inspect`], [`OAuthClient::identity`] and
//!    [`OAuthClient::revoke`] look after it.
//!
//! Every failure is an [`Error`] with a plain sentence and a next step.

pub mod api;
pub mod app;
pub mod attention;
pub mod authorize;
pub mod browser;
mod client;
pub mod clock;
pub mod defaults;
pub mod error;
pub mod exchange;
pub mod http;
pub mod httplog;
pub mod identity;
pub mod introspect;
pub mod jwt;
pub mod keyring;
pub mod logging;
pub mod loopback;
pub mod migration;
pub mod pkce;
pub mod provider;
pub mod ratelimit;
pub mod redirect;
pub mod refresh;
pub mod revoke;
pub mod scopes;
pub mod secret;
pub mod service;
pub mod session;
pub mod shield;
pub mod store;
pub mod token;

pub use app::{AppType, ClientAuth, ClientConfig};
pub use authorize::{AuthorizeOptions, PendingAuthorization, ResponseType};
pub use browser::Browser;
pub use client::OAuthClient;
pub use error::{Error, ErrorReport, Operation};
pub use http::{HttpClient, Timeouts};
pub use httplog::{ExchangeLog, HttpExchange};
pub use identity::Identity;
pub use introspect::Introspection;
pub use loopback::LoopbackListener;
pub use pkce::State;
pub use provider::{Endpoints, Provider, ProviderKind};
pub use ratelimit::RateLimit;
pub use redirect::{Authorized, RedirectParams};
pub use refresh::RetryPolicy;
pub use revoke::{Revoked, TokenKind, TokenToRevoke};
pub use secret::{
    AccessToken, AuthorizationCode, ClientSecret, IdToken, PkceVerifier, RefreshToken,
};
pub use service::Fitauth;
pub use session::SessionManager;
pub use store::{Account, AccountState, AppRegistration, RedirectMode, Store};
pub use token::TokenSet;
