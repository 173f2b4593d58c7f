//! Getting tokens: the authorization-code exchange (with or without PKCE) and the
//! client-credentials grant.

use crate::authorize::PendingAuthorization;
use crate::client::OAuthClient;
use crate::clock::now_unix;
use crate::error::{Error, Operation};
use crate::http::{Auth, Request};
use crate::provider::ProviderKind;
use crate::secret::AuthorizationCode;
use crate::token::{parse_token_response, TokenSet};

/// Lifetimes Fitbit accepts for client-credentials tokens.
pub const CLIENT_CREDENTIALS_LIFETIMES: [u64; 6] =
    [3600, 28_800, 86_400, 604_800, 2_592_000, 31_536_000];

impl OAuthClient {
    /// Exchanges the code from a verified redirect. The redirect URI and PKCE verifier come from
    /// the pending authorization, so they match what the authorize request sent.
    pub async fn exchange_code(
        &self,
        pending: &PendingAuthorization,
        code: &AuthorizationCode,
    ) -> Result<TokenSet, Error> {
        if pending.client_id != self.config.client_id || pending.provider != self.kind() {
            return Err(Error::Invalid(
                "this sign-in was started for a different app registration".into(),
            ));
        }
        let mut request = Request::post(
            Operation::CodeExchange,
            &self.config.provider.endpoints.token,
        )
        .field("grant_type", "authorization_code")
        .field("code", code.secret())
        .field("redirect_uri", pending.redirect_uri.clone());
        if let Some(verifier) = &pending.verifier {
            request = request.field("code_verifier", verifier.secret());
        }
        if let Some(lifetime) = pending.token_lifetime {
            request = request.field("expires_in", lifetime.to_string());
        }
        let reply = self.call(self.authenticate(request)?).await?;
        let tokens =
            parse_token_response(reply.status, &reply.body, &reply.redacted_body, now_unix())?;
        tracing::info!(
            provider = %self.kind(),
            user = tokens.user_id.as_deref().unwrap_or("-"),
            "authorization code exchanged"
        );
        Ok(tokens)
    }

    /// Fitbit's client-credentials grant: an app token that reads no user data. Needs the client
    /// secret (Basic authentication) whatever the app type.
    pub async fn client_credentials(&self, expires_in: Option<u64>) -> Result<TokenSet, Error> {
        if self.kind() != ProviderKind::Fitbit {
            return Err(Error::Setup(
                "the client-credentials grant is only offered by the Fitbit API".into(),
            ));
        }
        if let Some(e) = expires_in {
            if !CLIENT_CREDENTIALS_LIFETIMES.contains(&e) {
                return Err(Error::Invalid(format!(
                    "Fitbit accepts client-credentials lifetimes of 3600, 28800, 86400, 604800, \
                     2592000 or 31536000 seconds, not {e}"
                )));
            }
        }
        let secret = self.config.client_secret.clone().ok_or_else(|| {
            Error::Setup("the client-credentials grant needs the app's client secret".into())
        })?;
        let mut request = Request::post(
            Operation::ClientCredentials,
            &self.config.provider.endpoints.token,
        )
        .field("grant_type", "client_credentials");
        if let Some(e) = expires_in {
            request = request.field("expires_in", e.to_string());
        }
        request.auth = Some(Auth::Basic {
            client_id: self.config.client_id.clone(),
            secret,
        });
        let reply = self.call(request).await?;
        parse_token_response(reply.status, &reply.body, &reply.redacted_body, now_unix())
    }
}
