//! Who a token belongs to, for "Connected as …": Fitbit's profile, Google Health's identity, and
//! the email in Google's ID token when the person shared it (`openid email`).

use serde::{Deserialize, Serialize};

use crate::client::OAuthClient;
use crate::error::{Error, Operation};
use crate::http::Request;
use crate::provider::ProviderKind;
use crate::secret::{AccessToken, IdToken};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Fitbit's encoded id, or Google Health's `healthUserId`.
    pub user_id: String,
    /// A name to show, when the provider has one (Fitbit's display name; Google Health has none).
    pub display_name: Option<String>,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    /// Google Health: the Fitbit id this account had on the legacy API (for migrations).
    pub legacy_user_id: Option<String>,
}

impl Identity {
    /// What to put after "Connected as".
    pub fn label(&self) -> &str {
        self.display_name
            .as_deref()
            .or(self.full_name.as_deref())
            .unwrap_or(&self.user_id)
    }
}

fn text(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(|s| s.as_str())
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// What an OpenID Connect ID token says about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdClaims {
    /// The Google account's stable id.
    pub subject: Option<String>,
    /// Present only when the person shared it (the `email` scope).
    pub email: Option<String>,
}

/// Reads the claims of an ID token received straight from the token endpoint. It is decoded,
/// not verified: a token obtained over TLS directly from the token endpoint may be trusted
/// without checking its signature (OpenID Connect Core §3.1.3.7,
/// <https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation>).
pub fn id_token_claims(token: &IdToken) -> Option<IdClaims> {
    let decoded = crate::jwt::decode(token.secret()).ok()?;
    let claim = |k: &str| {
        decoded
            .claims
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    Some(IdClaims {
        subject: claim("sub"),
        email: claim("email"),
    })
}

/// Reads `{"user":{"encodedId","displayName","fullName","avatar",…}}`.
pub fn parse_fitbit_profile(body: &serde_json::Value) -> Option<Identity> {
    let user = body.get("user")?;
    Some(Identity {
        user_id: text(user, "encodedId")?,
        display_name: text(user, "displayName"),
        full_name: text(user, "fullName"),
        avatar_url: text(user, "avatar150").or_else(|| text(user, "avatar")),
        legacy_user_id: None,
    })
}

/// Reads `{"name":"users/me/identity","legacyUserId","healthUserId"}`.
pub fn parse_google_identity(body: &serde_json::Value) -> Option<Identity> {
    Some(Identity {
        user_id: text(body, "healthUserId")?,
        display_name: None,
        full_name: None,
        avatar_url: None,
        legacy_user_id: text(body, "legacyUserId"),
    })
}

impl OAuthClient {
    /// Fetches the identity of the token's owner. Fitbit needs the `profile` scope for this
    /// (403 `insufficient_scope` otherwise); callers then fall back to the token's `user_id`.
    pub async fn identity(&self, access_token: &AccessToken) -> Result<Identity, Error> {
        let request = Request::get(
            Operation::Identity,
            &self.config.provider.endpoints.identity,
        )
        .bearer(access_token);
        let reply = self.call(request).await?;
        let body = reply.json()?;
        let parsed = match self.kind() {
            ProviderKind::Fitbit => parse_fitbit_profile(&body),
            ProviderKind::GoogleHealth => parse_google_identity(&body),
        };
        parsed.ok_or_else(|| Error::UnexpectedResponse {
            status: reply.status,
            what: "JSON without a user id".into(),
            snippet: crate::error::snippet(&reply.redacted_body),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profile_and_identity_are_read() {
        let f = parse_fitbit_profile(
            &json!({"user":{"encodedId":"ABC123","displayName":"Sam","fullName":"Sam S"}}),
        )
        .unwrap();
        assert_eq!(f.label(), "Sam");
        let g = parse_google_identity(
            &json!({"name":"users/me/identity","legacyUserId":"ABC123","healthUserId":"h-1"}),
        )
        .unwrap();
        assert_eq!(g.label(), "h-1");
        assert_eq!(g.legacy_user_id.as_deref(), Some("ABC123"));
        assert!(parse_fitbit_profile(&json!({"user":{}})).is_none());
    }
}
