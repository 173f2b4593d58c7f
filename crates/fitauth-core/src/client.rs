//! The OAuth client for one app registration: shared plumbing for the operations that live in
//! `exchange.rs`, `refresh.rs`, `introspect.rs`, `revoke.rs` and `identity.rs`.

use crate::app::{ClientAuth, ClientConfig};
use crate::error::Error;
use crate::http::{Auth, HttpClient, Reply, Request};
use crate::httplog::ExchangeLog;
use crate::provider::ProviderKind;

/// Talks to one provider on behalf of one app registration. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub(crate) http: HttpClient,
    pub(crate) config: ClientConfig,
    /// Files this client's exchanges under an account (or a sign-in) in the log.
    tag: Option<String>,
    /// The access-token lifetime a refresh asks for (`expires_in`), when not the default.
    pub(crate) refresh_lifetime: Option<u64>,
}

impl OAuthClient {
    pub fn new(config: ClientConfig, http: HttpClient) -> Self {
        OAuthClient {
            http,
            config,
            tag: None,
            refresh_lifetime: None,
        }
    }

    /// The same client, its refreshes asking for tokens that live as long as `account`'s: a
    /// Fitbit token asked for with one hour (`expires_in=3600`) keeps one hour; any other is
    /// left to the provider's default (8 hours for Fitbit).
    pub fn for_account(mut self, account: &crate::Account) -> Self {
        self.refresh_lifetime = account.one_hour_tokens();
        self
    }

    /// The same client, its exchanges filed under `tag` in the log.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The redacted record of this client's exchanges (shared with the `HttpClient`).
    pub fn log(&self) -> &ExchangeLog {
        self.http.log()
    }

    pub(crate) fn kind(&self) -> ProviderKind {
        self.config.provider.kind
    }

    /// Adds client authentication as the app type requires.
    pub(crate) fn authenticate(&self, mut request: Request) -> Result<Request, Error> {
        let secret = || {
            self.config
                .client_secret
                .clone()
                .ok_or_else(|| Error::Setup("the client secret is missing".into()))
        };
        match self.config.client_auth()? {
            ClientAuth::Basic => {
                request.auth = Some(Auth::Basic {
                    client_id: self.config.client_id.clone(),
                    secret: secret()?,
                });
            }
            ClientAuth::BodyClientId => {
                request = request.field("client_id", self.config.client_id.clone());
            }
            ClientAuth::BodyClientSecret => {
                let secret = secret()?;
                request = request
                    .field("client_id", self.config.client_id.clone())
                    .field("client_secret", secret.secret());
            }
        }
        Ok(request)
    }

    /// Sends, tagged, whatever the answer.
    pub(crate) async fn send(&self, mut request: Request) -> Result<Reply, Error> {
        request.tag = self.tag.clone();
        self.http.send(request).await
    }

    /// Sends and turns a non-2xx answer into its error.
    pub(crate) async fn call(&self, request: Request) -> Result<Reply, Error> {
        let reply = self.send(request).await?;
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(reply.error(self.kind() == ProviderKind::Fitbit))
        }
    }
}
