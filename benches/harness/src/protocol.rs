//! Each protocol call (exchange, refresh, introspect, revoke) made through fitauth-core against
//! the sandbox on loopback, beside the same HTTP request made by a plain warm `reqwest` client
//! and by `curl` (a process per request, as a shell script would). The three take turns within
//! each repetition, in a rotating order, so drift on the machine and a just-used connection
//! favour none of them. Codes and tokens are obtained outside the timed part.

use std::process::{Command, Stdio};
use std::time::Instant;

use fitauth_core::{
    AppType, AuthorizeOptions, Authorized, ClientConfig, HttpClient, OAuthClient,
    PendingAuthorization, Provider, ProviderKind, RedirectParams, Timeouts, TokenSet,
    TokenToRevoke,
};

const CLIENT_ID: &str = "sandbox-client";
const SCOPES: [&str; 3] = ["activity", "profile", "sleep"];

pub struct Protocol {
    core: OAuthClient,
    plain: reqwest::Client,
    /// Follows no redirect: the authorize answer carries the code (the sandbox approves at once).
    browser: reqwest::Client,
    token_url: String,
    introspect_url: String,
    revoke_url: String,
}

/// Per call, the three timings of each repetition.
#[derive(Default)]
pub struct Timings {
    pub core: Vec<f64>,
    pub reqwest: Vec<f64>,
    pub curl: Vec<f64>,
}

/// A form as `(name, value)` pairs, the way each client sends it.
type Form = Vec<(&'static str, String)>;

impl Protocol {
    pub fn new(base: &str) -> Result<Protocol, String> {
        let provider =
            Provider::with_base(ProviderKind::Fitbit, Some(base)).map_err(|e| e.to_string())?;
        let endpoints = provider.endpoints.clone();
        let config = ClientConfig::new(provider, CLIENT_ID, AppType::Client);
        let http = HttpClient::new(Timeouts::default()).map_err(|e| e.to_string())?;
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Protocol {
            core: OAuthClient::new(config, http),
            browser: plain.clone(),
            plain,
            token_url: endpoints.token.to_string(),
            introspect_url: endpoints
                .introspect
                .map(|u| u.to_string())
                .ok_or("the sandbox's Fitbit has no introspect endpoint")?,
            revoke_url: endpoints.revoke.to_string(),
        })
    }

    /// A verified code for a new sign-in.
    async fn sign_in(
        &self,
    ) -> Result<(PendingAuthorization, fitauth_core::AuthorizationCode), String> {
        let options = AuthorizeOptions::code(
            SCOPES.iter().map(|s| s.to_string()).collect(),
            "fitauth://callback",
        );
        let pending =
            PendingAuthorization::start(self.core.config(), options).map_err(|e| e.to_string())?;
        let answer = self
            .browser
            .get(pending.authorize_url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let location = answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("the sandbox did not redirect (is auto-approve on?)")?
            .to_owned();
        let verified = RedirectParams::parse(&location)
            .and_then(|p| p.verify(&pending))
            .map_err(|e| e.to_string())?;
        match verified {
            Authorized::Code { code, .. } => Ok((pending, code)),
            Authorized::Token(_) => Err("expected a code".into()),
        }
    }

    async fn tokens(&self) -> Result<TokenSet, String> {
        let (pending, code) = self.sign_in().await?;
        self.core
            .exchange_code(&pending, &code)
            .await
            .map_err(|e| e.to_string())
    }

    /// The exchange form the core sends for this client (a public client: PKCE, no secret).
    async fn exchange_form(&self) -> Result<Form, String> {
        let (pending, code) = self.sign_in().await?;
        Ok(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.secret().into()),
            ("redirect_uri", pending.redirect_uri.clone()),
            (
                "code_verifier",
                pending
                    .verifier
                    .as_ref()
                    .ok_or("no verifier")?
                    .secret()
                    .into(),
            ),
            ("client_id", CLIENT_ID.into()),
        ])
    }

    async fn plain_post(
        &self,
        url: &str,
        form: &Form,
        bearer: Option<&str>,
    ) -> Result<f64, String> {
        let started = Instant::now();
        let mut request = self.plain.post(url).form(form);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.map_err(|e| e.to_string())?;
        let status = answer.status();
        let _body = answer.bytes().await.map_err(|e| e.to_string())?;
        let took = started.elapsed().as_secs_f64();
        if !status.is_success() {
            return Err(format!("reqwest {url}: {status}"));
        }
        Ok(took)
    }

    /// Four calls, `runs` repetitions each. The three clients' timed calls take turns in an
    /// order that rotates from one repetition to the next, so that neither a warm connection
    /// nor the machine's drift favours one client. Codes for the exchanges and the token asked
    /// about are made before the three calls; a refresh or revoke needs a grant of its own,
    /// made right before its call (a new grant ends the previous one).
    pub async fn run(&self, runs: usize) -> Result<[(&'static str, Timings); 4], String> {
        let mut exchange = Timings::default();
        let mut refresh = Timings::default();
        let mut introspect = Timings::default();
        let mut revoke = Timings::default();
        // A warm-up of each path (connections, first-use allocations) that is not counted.
        let warm = self.tokens().await?;
        let _ = self
            .core
            .introspect(&warm.access_token, &warm.access_token)
            .await;
        let form: Form = vec![("token", warm.access_token.secret().into())];
        self.plain_post(
            &self.introspect_url,
            &form,
            Some(warm.access_token.secret()),
        )
        .await?;
        let refresh_form = |t: &TokenSet| -> Result<Form, String> {
            Ok(vec![
                ("grant_type", "refresh_token".into()),
                (
                    "refresh_token",
                    t.refresh_token
                        .as_ref()
                        .ok_or("no refresh token")?
                        .secret()
                        .into(),
                ),
                ("client_id", CLIENT_ID.into()),
            ])
        };
        let revoke_form = |t: &TokenSet| -> Form {
            vec![
                ("token", t.access_token.secret().into()),
                ("client_id", CLIENT_ID.into()),
            ]
        };
        for i in 0..runs {
            let order = [Client::Core, Client::Reqwest, Client::Curl];
            let order: Vec<Client> = (0..3).map(|k| order[(i + k) % 3]).collect();

            // Exchange: a code of its own for each client.
            let (pending, code) = self.sign_in().await?;
            let (plain_form, curl_form) =
                (self.exchange_form().await?, self.exchange_form().await?);
            for who in &order {
                match who {
                    Client::Core => {
                        let started = Instant::now();
                        self.core
                            .exchange_code(&pending, &code)
                            .await
                            .map_err(|e| e.to_string())?;
                        exchange.core.push(started.elapsed().as_secs_f64());
                    }
                    Client::Reqwest => exchange
                        .reqwest
                        .push(self.plain_post(&self.token_url, &plain_form, None).await?),
                    Client::Curl => exchange.curl.push(curl(&self.token_url, &curl_form, None)?),
                }
            }

            // Refresh, each client from a grant of its own (a new grant for the same person and
            // app ends the previous one, as Fitbit does, so the grants are made in the order the
            // refreshes use them, each right before).
            for who in &order {
                let grant = self.tokens().await?;
                match who {
                    Client::Core => {
                        let refresh_token =
                            grant.refresh_token.clone().ok_or("no refresh token")?;
                        let started = Instant::now();
                        self.core
                            .refresh(&refresh_token)
                            .await
                            .map_err(|e| e.to_string())?;
                        refresh.core.push(started.elapsed().as_secs_f64());
                    }
                    Client::Reqwest => refresh.reqwest.push(
                        self.plain_post(&self.token_url, &refresh_form(&grant)?, None)
                            .await?,
                    ),
                    Client::Curl => {
                        refresh
                            .curl
                            .push(curl(&self.token_url, &refresh_form(&grant)?, None)?)
                    }
                }
            }

            // Introspect: the three ask about the same live token (asking changes nothing).
            let grant = self.tokens().await?;
            let access = &grant.access_token;
            let form: Form = vec![("token", access.secret().into())];
            for who in &order {
                match who {
                    Client::Core => {
                        let started = Instant::now();
                        self.core
                            .introspect(access, access)
                            .await
                            .map_err(|e| e.to_string())?;
                        introspect.core.push(started.elapsed().as_secs_f64());
                    }
                    Client::Reqwest => introspect.reqwest.push(
                        self.plain_post(&self.introspect_url, &form, Some(access.secret()))
                            .await?,
                    ),
                    Client::Curl => introspect.curl.push(curl(
                        &self.introspect_url,
                        &form,
                        Some(access.secret()),
                    )?),
                }
            }

            // Revoke, each a grant of its own, made right before.
            for who in &order {
                let grant = self.tokens().await?;
                match who {
                    Client::Core => {
                        let started = Instant::now();
                        self.core
                            .revoke(TokenToRevoke::Access(&grant.access_token))
                            .await
                            .map_err(|e| e.to_string())?;
                        revoke.core.push(started.elapsed().as_secs_f64());
                    }
                    Client::Reqwest => revoke.reqwest.push(
                        self.plain_post(&self.revoke_url, &revoke_form(&grant), None)
                            .await?,
                    ),
                    Client::Curl => {
                        revoke
                            .curl
                            .push(curl(&self.revoke_url, &revoke_form(&grant), None)?)
                    }
                }
            }
        }
        Ok([
            ("code exchange", exchange),
            ("refresh", refresh),
            ("introspect", introspect),
            ("revoke", revoke),
        ])
    }
}

/// Who makes a timed call.
#[derive(Clone, Copy)]
enum Client {
    Core,
    Reqwest,
    Curl,
}

/// The same POST by `curl`, a process of its own: its whole run is timed.
fn curl(url: &str, form: &Form, bearer: Option<&str>) -> Result<f64, String> {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "30",
    ]);
    for (name, value) in form {
        cmd.arg("--data-urlencode").arg(format!("{name}={value}"));
    }
    if let Some(token) = bearer {
        cmd.arg("-H").arg(format!("Authorization: Bearer {token}"));
    }
    cmd.arg(url).stdin(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd.output().map_err(|e| format!("curl: {e}"))?;
    let took = started.elapsed().as_secs_f64();
    let code = String::from_utf8_lossy(&out.stdout);
    if !code.starts_with('2') {
        return Err(format!(
            "curl {url}: HTTP {code} {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(took)
}
