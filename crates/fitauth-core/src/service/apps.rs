//! App registrations: the one builder both faces fill (the Apps form, `fitauth apps add` and
//! `fitauth login`'s flags), what to register with the provider, which loopback port a sign-in
//! uses, and the registrations Fitauth makes itself (the sandbox, the built-in clients).

use serde::{Deserialize, Deserializer};

use super::Fitauth;
use crate::app::AppType;
use crate::defaults::{self, FITBIT_LOOPBACK_PORT};
use crate::error::Error;
use crate::provider::ProviderKind;
use crate::secret::ClientSecret;
use crate::store::{AppRegistration, RedirectMode};

/// The registration of the sandbox the desktop app runs in-process.
pub const SANDBOX_APP: &str = "sandbox";
/// The registration of the sandbox `fitauth login --provider sandbox` uses (`fitauth sandbox`
/// on its port, or one started for the login). Kept apart from the desktop's, so neither face
/// points the other's sandbox accounts at a server that never issued their tokens.
pub const COMMAND_SANDBOX_APP: &str = "sandbox-cli";
/// The sandbox's pre-registered public client (Fitbit dialect, PKCE, no secret).
pub const SANDBOX_CLIENT: &str = "sandbox-client";
/// The Google Health side of the desktop's sandbox (where its Fitbit accounts move to).
pub const SANDBOX_HEALTH_APP: &str = "sandbox-health";
/// The Google Health side of the command line's sandbox.
pub const COMMAND_SANDBOX_HEALTH_APP: &str = "sandbox-cli-health";
/// The sandbox's pre-registered Google desktop client and its secret (demo values, published in
/// the sandbox's README like Google's own desktop secrets, which are not confidential).
pub const SANDBOX_GOOGLE_CLIENT: &str = "sandbox-google";
const SANDBOX_GOOGLE_SECRET: &str = "sandbox-google-secret";
/// The custom-scheme redirect the desktop app receives.
pub const SCHEME_REDIRECT: &str = "fitauth://callback";

/// A registration as a person describes it, before it is checked: the desktop's Apps form sends
/// it as JSON, `fitauth apps add` and `fitauth login` fill it from flags.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistrationInput {
    pub name: String,
    pub provider: ProviderKind,
    pub client_id: String,
    #[serde(default)]
    pub app_type: AppType,
    #[serde(default)]
    pub redirect: RedirectMode,
    #[serde(default)]
    pub base_url: Option<String>,
    /// `None` (or blank) keeps a stored secret. Read from a form, never written back.
    #[serde(default, deserialize_with = "secret_from_form")]
    pub client_secret: Option<ClientSecret>,
    /// Google: the consent screen is in Testing (refresh tokens end after seven days).
    #[serde(default)]
    pub testing: bool,
}

fn secret_from_form<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ClientSecret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(ClientSecret::new))
}

impl RegistrationInput {
    /// Checks the input and turns it into a registration; every problem is a sentence. Names and
    /// values are trimmed; `sandbox` and the built-in names are reserved; Google registrations
    /// are desktop clients on loopback (Google allows nothing else for installed apps).
    pub fn validate(self) -> Result<(AppRegistration, Option<ClientSecret>), Error> {
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(Error::Invalid("give the registration a name".into()));
        }
        if is_sandbox(&name) || defaults::is_builtin(&name) {
            return Err(Error::Invalid(format!(
                "the name \"{name}\" is kept for a registration Fitauth makes itself; choose another"
            )));
        }
        let client_id = self.client_id.trim().to_owned();
        if client_id.is_empty() {
            return Err(Error::Invalid(
                "enter the client id from the provider's developer console".into(),
            ));
        }
        let base_url = self
            .base_url
            .map(|b| b.trim().trim_end_matches('/').to_owned())
            .filter(|b| !b.is_empty());
        if let Some(base) = &base_url {
            match url::Url::parse(base) {
                Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
                _ => {
                    return Err(Error::Invalid(format!(
                        "the base URL \"{base}\" is not an http(s) address"
                    )))
                }
            }
        }
        let (redirect, app_type) = match self.provider {
            ProviderKind::GoogleHealth => (RedirectMode::Loopback, AppType::Client),
            ProviderKind::Fitbit => (self.redirect, self.app_type),
        };
        let secret = self
            .client_secret
            .filter(|s| !s.secret().trim().is_empty())
            .map(|s| ClientSecret::new(s.secret().trim()));
        let app = AppRegistration {
            name,
            provider: self.provider,
            client_id,
            app_type,
            redirect,
            base_url,
            endpoints: None,
            has_client_secret: false,
            testing: self.testing && self.provider == ProviderKind::GoogleHealth,
        };
        // Reject what cannot work before it is saved.
        app.provider()?;
        Ok((app, secret))
    }
}

/// Whether `name` is one of the sandbox registrations Fitauth makes itself.
pub fn is_sandbox(name: &str) -> bool {
    [
        SANDBOX_APP,
        COMMAND_SANDBOX_APP,
        SANDBOX_HEALTH_APP,
        COMMAND_SANDBOX_HEALTH_APP,
    ]
    .contains(&name)
}

/// The Google Health registration beside the (Fitbit) sandbox registration `name`.
pub fn sandbox_health_of(name: &str) -> Option<&'static str> {
    match name {
        SANDBOX_APP => Some(SANDBOX_HEALTH_APP),
        COMMAND_SANDBOX_APP => Some(COMMAND_SANDBOX_HEALTH_APP),
        _ => None,
    }
}

/// Whether a registration of this kind cannot work without its client secret.
pub fn needs_secret(app: &AppRegistration) -> bool {
    matches!(
        (app.provider, app.app_type),
        (ProviderKind::GoogleHealth, _) | (ProviderKind::Fitbit, AppType::Server)
    )
}

/// What to enter as redirect URL(s) in the provider's developer console, in order, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectAdvice {
    pub uris: Vec<String>,
    pub note: &'static str,
}

/// The redirect URL(s) to register for `app`. Fitbit compares them exactly, so the loopback one
/// carries the fixed port sign-ins use ([`loopback_port`]).
pub fn redirect_uris(app: &AppRegistration) -> RedirectAdvice {
    let fitbit_loopback = match loopback_port(app) {
        0 => "http://127.0.0.1:<port>/callback".to_owned(),
        port => format!("http://127.0.0.1:{port}/callback"),
    };
    if app.provider == ProviderKind::Fitbit && !is_sandbox(&app.name) && !app.on_real_hosts() {
        let uris = match app.redirect {
            RedirectMode::Scheme => vec![SCHEME_REDIRECT.to_owned(), fitbit_loopback],
            RedirectMode::Loopback => vec![fitbit_loopback],
        };
        return RedirectAdvice {
            uris,
            note: "These endpoints are moved (a sandbox or a proxy), so loopback sign-ins listen \
                   on any free port; a server that compares redirects exactly needs a fixed port \
                   chosen for the sign-in.",
        };
    }
    if defaults::is_builtin(&app.name) {
        return RedirectAdvice {
            uris: vec![],
            note: "Built into this copy of Fitauth: already registered, nothing to do.",
        };
    }
    match (app.provider, app.redirect) {
        (ProviderKind::GoogleHealth, _) => RedirectAdvice {
            uris: vec!["http://127.0.0.1".to_owned()],
            note: "Google desktop clients accept any loopback port; nothing to register beyond \
                   choosing the \"Desktop app\" client type.",
        },
        (ProviderKind::Fitbit, _) if is_sandbox(&app.name) => RedirectAdvice {
            uris: vec![SCHEME_REDIRECT.to_owned()],
            note: "The built-in sandbox accepts fitauth://callback and any loopback address.",
        },
        (ProviderKind::Fitbit, RedirectMode::Scheme) => RedirectAdvice {
            uris: vec![SCHEME_REDIRECT.to_owned(), fitbit_loopback],
            note: "Register both: the second is used when fitauth:// links are not set up on this \
                   computer, and by the command line.",
        },
        (ProviderKind::Fitbit, RedirectMode::Loopback) => RedirectAdvice {
            uris: vec![fitbit_loopback],
            note: "Fitbit compares the redirect URL exactly; register it as shown.",
        },
    }
}

/// The loopback port a sign-in through `app` listens on (0: any free port). The real Fitbit
/// compares redirect URLs exactly, so it gets the fixed, documented port; Google (RFC 8252 §7.3,
/// any port), the sandbox and moved endpoints take any free one.
pub fn loopback_port(app: &AppRegistration) -> u16 {
    if app.provider == ProviderKind::Fitbit && !is_sandbox(&app.name) && app.on_real_hosts() {
        FITBIT_LOOPBACK_PORT
    } else {
        0
    }
}

/// The sandbox registration `name` for a sandbox running at `base_url`: its public Fitbit client
/// ([`SANDBOX_APP`], [`COMMAND_SANDBOX_APP`]) or its Google desktop client
/// ([`SANDBOX_HEALTH_APP`], [`COMMAND_SANDBOX_HEALTH_APP`]), with the secret that one needs.
pub fn sandbox_registration(name: &str, base_url: &str) -> (AppRegistration, Option<ClientSecret>) {
    let google = name == SANDBOX_HEALTH_APP || name == COMMAND_SANDBOX_HEALTH_APP;
    let app = AppRegistration {
        name: name.into(),
        provider: if google {
            ProviderKind::GoogleHealth
        } else {
            ProviderKind::Fitbit
        },
        client_id: if google {
            SANDBOX_GOOGLE_CLIENT
        } else {
            SANDBOX_CLIENT
        }
        .into(),
        app_type: AppType::Client,
        redirect: if google {
            RedirectMode::Loopback
        } else {
            RedirectMode::Scheme
        },
        base_url: Some(base_url.trim_end_matches('/').to_owned()),
        endpoints: None,
        has_client_secret: google,
        testing: false,
    };
    (
        app,
        google.then(|| ClientSecret::new(SANDBOX_GOOGLE_SECRET)),
    )
}

impl Fitauth {
    /// Every registration.
    pub async fn registrations(&self) -> Result<Vec<AppRegistration>, Error> {
        Ok(self.snapshot().await?.apps)
    }

    /// Saves a registration from a person's input. A kind that needs a client secret must get
    /// one now or have one stored already.
    pub async fn save_registration(
        &self,
        input: RegistrationInput,
    ) -> Result<AppRegistration, Error> {
        let (app, secret) = input.validate()?;
        let saved = self
            .blocking(move |s| {
                let has_stored = s
                    .load()?
                    .app(&app.name)
                    .map(|old| app.keeps_secret_of(old))
                    .unwrap_or(false);
                if needs_secret(&app) && secret.is_none() && !has_stored {
                    return Err(Error::Invalid(
                        "this kind of app needs its client secret (again, when its client id or \
                         endpoints change); copy it from the developer console"
                            .into(),
                    ));
                }
                s.save_app(app, secret.as_ref())
            })
            .await?;
        tracing::info!(app = %saved.name, provider = %saved.provider, "app registration saved");
        Ok(saved)
    }

    /// Removes a registration (refused while accounts use it).
    pub async fn remove_registration(&self, name: &str) -> Result<(), Error> {
        let n = name.to_owned();
        self.blocking(move |s| s.remove_app(&n)).await?;
        tracing::info!(app = %name, "app registration removed");
        Ok(())
    }

    /// The stored registration named `name`.
    pub async fn registration(&self, name: &str) -> Result<AppRegistration, Error> {
        self.snapshot().await?.app(name).cloned()
    }

    /// The registration to sign in through: `name`, else the first of `provider` that is not
    /// the sandbox.
    pub async fn registration_for(
        &self,
        provider: ProviderKind,
        name: Option<&str>,
    ) -> Result<AppRegistration, Error> {
        let meta = self.snapshot().await?;
        if let Some(name) = name {
            let app = meta.app(name)?;
            if app.provider != provider {
                return Err(Error::Invalid(format!(
                    "the app registration \"{name}\" is for {}, not {provider}",
                    app.provider
                )));
            }
            return Ok(app.clone());
        }
        meta.apps
            .iter()
            .find(|a| a.provider == provider && !is_sandbox(&a.name))
            .cloned()
            .ok_or(Error::NoRegistration { provider })
    }

    /// Points the sandbox registration `name` ([`SANDBOX_APP`] for the desktop's in-process
    /// sandbox, [`COMMAND_SANDBOX_APP`] for the command line's, and their Google Health sides)
    /// at a sandbox at `base_url`.
    pub async fn use_sandbox(&self, name: &str, base_url: &str) -> Result<AppRegistration, Error> {
        if !is_sandbox(name) {
            return Err(Error::Invalid(format!(
                "\"{name}\" is not a sandbox registration"
            )));
        }
        let (registration, secret) = sandbox_registration(name, base_url);
        self.blocking(move |s| {
            if s.load()?.app(&registration.name).ok() == Some(&registration) {
                return Ok(registration);
            }
            s.save_app(registration, secret.as_ref())
        })
        .await
    }

    /// Makes the registrations compiled into this build available (each unless already stored
    /// exactly so); returns what happened to each.
    pub async fn install_builtins(&self) -> Vec<Result<AppRegistration, Error>> {
        let mut out = vec![];
        for builtin in defaults::all() {
            out.push(self.install(builtin).await);
        }
        out
    }

    /// The built-in registration of `provider` in this build, made available.
    pub async fn builtin_registration(
        &self,
        provider: ProviderKind,
    ) -> Result<Option<AppRegistration>, Error> {
        match defaults::builtin(provider) {
            Some(builtin) => self.install(builtin).await.map(Some),
            None => Ok(None),
        }
    }

    async fn install(&self, builtin: defaults::BuiltIn) -> Result<AppRegistration, Error> {
        self.blocking(move |s| {
            if let Ok(existing) = s.load()?.app(&builtin.registration.name) {
                if *existing == builtin.registration {
                    return Ok(existing.clone());
                }
            }
            s.save_app(builtin.registration.clone(), builtin.secret.as_ref())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RegistrationInput {
        RegistrationInput {
            name: " mine ".into(),
            provider: ProviderKind::Fitbit,
            client_id: " 23ABCD ".into(),
            app_type: AppType::Server,
            redirect: RedirectMode::Scheme,
            base_url: Some("http://127.0.0.1:8765/".into()),
            client_secret: Some(ClientSecret::new("  ")),
            testing: true,
        }
    }

    #[test]
    fn the_input_is_trimmed_and_checked() {
        let (app, secret) = input().validate().unwrap();
        assert_eq!(app.name, "mine");
        assert_eq!(app.client_id, "23ABCD");
        assert_eq!(app.base_url.as_deref(), Some("http://127.0.0.1:8765"));
        assert!(secret.is_none(), "a blank secret keeps the stored one");
        assert!(!app.testing, "Testing is a Google consent-screen status");
        let bad = RegistrationInput {
            base_url: Some("ftp://x".into()),
            ..input()
        };
        assert_eq!(bad.validate().unwrap_err().kind(), "validation");
        for reserved in [SANDBOX_APP, defaults::GOOGLE_APP, defaults::FITBIT_APP] {
            let r = RegistrationInput {
                name: reserved.into(),
                ..input()
            };
            assert_eq!(r.validate().unwrap_err().kind(), "validation", "{reserved}");
        }
    }

    #[test]
    fn google_is_a_loopback_client_and_fitbit_registers_the_port_it_listens_on() {
        let (google, _) = RegistrationInput {
            provider: ProviderKind::GoogleHealth,
            redirect: RedirectMode::Scheme,
            ..input()
        }
        .validate()
        .unwrap();
        assert_eq!(google.redirect, RedirectMode::Loopback);
        assert!(google.testing);
        assert_eq!(google.refresh_token_lifetime(), Some(7 * 24 * 3600));
        assert_eq!(google.app_type, AppType::Client);
        assert_eq!(loopback_port(&google), 0);

        let (moved, _) = input().validate().unwrap();
        assert_eq!(
            loopback_port(&moved),
            0,
            "a moved Fitbit (the sandbox) takes any port"
        );
        let real = AppRegistration {
            base_url: None,
            ..moved.clone()
        };
        if std::env::var_os("FITAUTH_FITBIT_BASE_URL").is_none() {
            let port = loopback_port(&real);
            assert_eq!(port, FITBIT_LOOPBACK_PORT);
            let advice = redirect_uris(&real);
            assert_eq!(advice.uris[0], SCHEME_REDIRECT);
            assert_eq!(advice.uris[1], format!("http://127.0.0.1:{port}/callback"));
        }
        let loopback_only = AppRegistration {
            redirect: RedirectMode::Loopback,
            ..real
        };
        assert_eq!(
            redirect_uris(&loopback_only).uris,
            [format!("http://127.0.0.1:{FITBIT_LOOPBACK_PORT}/callback")]
        );
    }

    #[tokio::test]
    async fn a_secret_never_follows_a_registration_to_other_endpoints() {
        use crate::keyring::MemorySecrets;
        let home = std::env::temp_dir().join(format!(
            "fitauth-apps-{}",
            crate::store::model::random_hex(6)
        ));
        let store =
            crate::Store::open(home, std::sync::Arc::new(MemorySecrets::default())).unwrap();
        let fitauth = Fitauth::with_store(
            store,
            crate::HttpClient::new(Default::default()).unwrap(),
            None,
        );
        let server = |base: &str, secret: Option<&str>| RegistrationInput {
            name: "mine".into(),
            provider: ProviderKind::Fitbit,
            client_id: "23ABCD".into(),
            app_type: AppType::Server,
            redirect: RedirectMode::Loopback,
            base_url: Some(base.into()),
            client_secret: secret.map(ClientSecret::new),
            testing: false,
        };
        let saved = fitauth
            .save_registration(server("https://a.example", Some("s3cret")))
            .await
            .unwrap();
        assert!(saved.has_client_secret);
        // Same client, same endpoints: the stored secret stays.
        let kept = fitauth
            .save_registration(server("https://a.example", None))
            .await
            .unwrap();
        assert!(kept.has_client_secret);
        // Moved elsewhere: the secret must be given again.
        let err = fitauth
            .save_registration(server("https://b.example", None))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "validation");
        assert!(err.to_string().contains("again"), "{err}");
        let moved = fitauth
            .save_registration(server("https://b.example", Some("other")))
            .await
            .unwrap();
        assert!(moved.has_client_secret);
        let config = fitauth.store().client_config(&moved).unwrap();
        assert_eq!(config.client_secret.unwrap().secret(), "other");
    }
}
