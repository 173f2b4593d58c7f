//! Revoking a token (RFC 7009). On both providers revoking either token ends the whole grant:
//! Fitbit revokes all of the user's tokens for the app, Google the project's grant.

use serde::{Deserialize, Serialize};

use crate::client::OAuthClient;
use crate::error::{self, Error, Operation};
use crate::http::Request;
use crate::provider::ProviderKind;
use crate::secret::{AccessToken, RefreshToken};

/// Which token to revoke: either ends the grant (RFC 7009,
/// <https://www.rfc-editor.org/rfc/rfc7009#section-2.1>); Fitbit's revoke takes both
/// (<https://dev.fitbit.com/build/reference/web-api/authorization/revoke-token/>).
#[derive(Debug, Clone, Copy)]
pub enum TokenToRevoke<'a> {
    Access(&'a AccessToken),
    Refresh(&'a RefreshToken),
}

impl TokenToRevoke<'_> {
    fn secret(&self) -> &str {
        match self {
            TokenToRevoke::Access(t) => t.secret(),
            TokenToRevoke::Refresh(t) => t.secret(),
        }
    }
}

/// Which of an account's tokens to revoke; either ends the grant, so both are forgotten after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// The refresh token (else the access token, when there is none).
    #[default]
    Refresh,
    /// The access token.
    Access,
}

/// What revocation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    /// The provider revoked the grant.
    Revoked,
    /// The provider said the token was already invalid; the grant is gone either way.
    AlreadyInvalid,
    /// Fitbit answered `404`: it no longer knows the token (revoked or replaced elsewhere).
    Unknown,
}

impl Revoked {
    /// One sentence for the person, about the account `name`.
    pub fn sentence(&self, name: &str) -> String {
        match self {
            Revoked::Revoked => {
                format!("Revoked \"{name}\" and removed its tokens from this machine.")
            }
            Revoked::AlreadyInvalid => format!(
                "\"{name}\" was already revoked at the provider; its tokens are removed from \
                 this machine."
            ),
            Revoked::Unknown => format!(
                "The provider no longer knows the token of \"{name}\" (HTTP 404: it was revoked \
                 or replaced elsewhere); its tokens are removed from this machine."
            ),
        }
    }
}

impl OAuthClient {
    /// Revokes an access or refresh token.
    pub async fn revoke(&self, token: TokenToRevoke<'_>) -> Result<Revoked, Error> {
        let url = &self.config.provider.endpoints.revoke;
        let request = Request::post(Operation::Revoke, url).field("token", token.secret());
        let request = match self.kind() {
            // Fitbit authenticates the client as for the token endpoint.
            ProviderKind::Fitbit => self.authenticate(request)?,
            // Google's revoke endpoint takes the token alone.
            ProviderKind::GoogleHealth => request,
        };
        let reply = self.send(request).await?;
        if reply.is_success() {
            // Both providers confirm with an empty body or `{}`. A 2xx carrying an HTML page or
            // broken JSON is a captive portal or a maintenance page, not the revocation endpoint:
            // taking it for a revocation would forget the local tokens while the grant lives on.
            // Revoking again is harmless (RFC 7009 §2.2: an invalid token also gets a 200,
            // <https://www.rfc-editor.org/rfc/rfc7009#section-2.2>).
            if !reply.body.trim().is_empty() {
                if let Some(e) = error::unexpected(
                    reply.status,
                    reply.content_type.as_deref(),
                    &reply.redacted_body,
                ) {
                    return Err(e);
                }
            }
            tracing::info!(provider = %self.kind(), "token revoked");
            return Ok(Revoked::Revoked);
        }
        // Fitbit answers 404 for a token it does not know (any more): there is nothing left to
        // revoke (<https://dev.fitbit.com/build/reference/web-api/authorization/revoke-token/>).
        // Only Fitbit's own JSON error counts: a proxy's or a wrong address's 404 page does not
        // say the token is unknown.
        let fitbit_json = serde_json::from_str::<serde_json::Value>(&reply.body)
            .is_ok_and(|v| v.get("errors").is_some_and(|e| e.is_array()));
        if reply.status == 404 && self.kind() == ProviderKind::Fitbit && fitbit_json {
            tracing::info!(provider = %self.kind(), "the provider no longer knows the token");
            return Ok(Revoked::Unknown);
        }
        let error = reply.error(self.kind() == ProviderKind::Fitbit);
        match (&error, reply.status) {
            (Error::InvalidToken { .. }, 400 | 401) | (Error::CodeRejected { .. }, 400) => {
                tracing::info!(provider = %self.kind(), "token was already revoked");
                Ok(Revoked::AlreadyInvalid)
            }
            _ => Err(error),
        }
    }
}
