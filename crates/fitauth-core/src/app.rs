//! App registrations and how a client authenticates to the token endpoint.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::provider::{Provider, ProviderKind};
use crate::secret::ClientSecret;

/// Fitbit's application types (dev.fitbit.com → Register an app). Google desktop clients behave
/// like a client that must still send its (non-confidential) secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppType {
    /// Has a backend; must authenticate with `Authorization: Basic`.
    Server,
    /// A public client (desktop, SPA): sends `client_id` in the body, keeps no secret.
    #[default]
    Client,
    /// Only the developer's own account; may use either style.
    Personal,
}

impl AppType {
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Server => "server",
            AppType::Client => "client",
            AppType::Personal => "personal",
        }
    }
}

impl std::fmt::Display for AppType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AppType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "server" => Ok(AppType::Server),
            "client" => Ok(AppType::Client),
            "personal" => Ok(AppType::Personal),
            other => Err(Error::Invalid(format!(
                "unknown app type \"{other}\": use server, client or personal"
            ))),
        }
    }
}

/// How the client proves who it is on the token, introspect and revoke endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic base64(client_id:client_secret)`.
    Basic,
    /// `client_id` in the form body, no secret (public client).
    BodyClientId,
    /// `client_id` and `client_secret` in the form body (Google's `client_secret_post`).
    BodyClientSecret,
}

/// Everything the client needs to talk to a provider on behalf of one app registration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub provider: Provider,
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    pub app_type: AppType,
}

impl ClientConfig {
    pub fn new(provider: Provider, client_id: impl Into<String>, app_type: AppType) -> Self {
        ClientConfig {
            provider,
            client_id: client_id.into(),
            client_secret: None,
            app_type,
        }
    }

    pub fn with_secret(mut self, secret: Option<ClientSecret>) -> Self {
        self.client_secret = secret.filter(|s| !s.secret().is_empty());
        self
    }

    /// The client authentication this registration must use, or a configuration error that says
    /// what is missing.
    pub fn client_auth(&self) -> Result<ClientAuth, Error> {
        match (self.provider.kind, self.app_type, &self.client_secret) {
            (ProviderKind::GoogleHealth, _, Some(_)) => Ok(ClientAuth::BodyClientSecret),
            (ProviderKind::GoogleHealth, _, None) => Err(Error::Setup(
                "Google desktop clients need their client secret (Google requires it even with \
                 PKCE); copy it from the Google Cloud console"
                    .into(),
            )),
            (ProviderKind::Fitbit, AppType::Server, Some(_)) => Ok(ClientAuth::Basic),
            (ProviderKind::Fitbit, AppType::Server, None) => Err(Error::Setup(
                "a Fitbit server app needs its client secret; copy it from dev.fitbit.com → Manage \
                 my apps, or register the app as a client app"
                    .into(),
            )),
            (ProviderKind::Fitbit, AppType::Personal, Some(_)) => Ok(ClientAuth::Basic),
            (ProviderKind::Fitbit, AppType::Personal | AppType::Client, _) => {
                Ok(ClientAuth::BodyClientId)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kind: ProviderKind, app: AppType, secret: Option<&str>) -> ClientConfig {
        ClientConfig::new(Provider::with_base(kind, None).unwrap(), "id", app)
            .with_secret(secret.map(ClientSecret::new))
    }

    #[test]
    fn client_auth_follows_the_app_type() {
        use AppType::*;
        use ProviderKind::*;
        assert_eq!(
            cfg(Fitbit, Server, Some("s")).client_auth().unwrap(),
            ClientAuth::Basic
        );
        assert!(cfg(Fitbit, Server, None).client_auth().is_err());
        assert_eq!(
            cfg(Fitbit, Client, Some("s")).client_auth().unwrap(),
            ClientAuth::BodyClientId
        );
        assert_eq!(
            cfg(Fitbit, Personal, Some("s")).client_auth().unwrap(),
            ClientAuth::Basic
        );
        assert_eq!(
            cfg(Fitbit, Personal, None).client_auth().unwrap(),
            ClientAuth::BodyClientId
        );
        assert_eq!(
            cfg(GoogleHealth, Client, Some("s")).client_auth().unwrap(),
            ClientAuth::BodyClientSecret
        );
        assert!(cfg(GoogleHealth, Client, None).client_auth().is_err());
        assert!(cfg(GoogleHealth, Client, Some("")).client_auth().is_err());
    }
}
