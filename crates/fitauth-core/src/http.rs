//! The one HTTP client every provider call goes through: explicit timeouts, no redirects
//! followed, secrets collected for redaction, every exchange recorded.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use url::Url;

use crate::clock::now_unix;
use crate::error::{self, Error, Operation};
use crate::httplog::{self, ExchangeLog, HttpExchange};
use crate::ratelimit::{self, RateLimit};
use crate::secret::{AccessToken, ClientSecret, Redactor};

/// The time an operation has for the provider (see [`HttpClient::within`]): its clock starts at
/// the operation's first provider call, so waiting for a lock or the keyring before it spends
/// none of it.
struct Budget {
    total: Duration,
    started: std::cell::Cell<Option<Instant>>,
}

tokio::task_local! {
    static BUDGET: Budget;
}

/// The deadline of the operation this task is running, if one is in force; asking starts its
/// clock (callers ask when they are about to call the provider).
pub(crate) fn deadline() -> Option<Instant> {
    BUDGET
        .try_with(|b| {
            let started = b.started.get().unwrap_or_else(|| {
                let now = Instant::now();
                b.started.set(Some(now));
                now
            });
            started + b.total
        })
        .ok()
}

/// The largest answer read from a provider; OAuth answers are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Connect and total timeouts for provider calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

/// A shared, cheaply clonable client. Create one per process and hand it to every
/// [`crate::OAuthClient`].
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    log: ExchangeLog,
    timeouts: Timeouts,
}

/// Makes rustls' ring provider the process's TLS crypto provider, once; every HTTP client of
/// the process (ours, and any plain `reqwest::Client`, which panics without one) uses it. Fitauth
/// builds reqwest with `rustls-no-provider` so that ring is the only provider in the executable
/// (<https://docs.rs/rustls/latest/rustls/#cryptography-providers>).
pub fn install_tls_provider() {
    // Err means a provider is already installed: ours, by an earlier call.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl HttpClient {
    pub fn new(timeouts: Timeouts) -> Result<Self, Error> {
        install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            // A token endpoint that redirects is misconfigured; following it could send a
            // form full of secrets somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fitauth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("could not start the HTTP client ({e})")))?;
        Ok(HttpClient {
            client,
            log: ExchangeLog::default(),
            timeouts,
        })
    }

    /// The record of exchanges made through this client (and its clones).
    pub fn log(&self) -> &ExchangeLog {
        &self.log
    }

    /// The timeouts this client was made with; `total` is also the deadline of an operation
    /// that retries (a refresh), retries included.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Runs `operation` so that all its provider calls end within this client's total timeout
    /// (the person's `--timeout`), retries and follow-up calls included: a refresh before an
    /// introspect, the identity call after a code exchange. The clock starts at the first call,
    /// so waiting for another program's refresh lock spends none of it; the store and keyring
    /// work between calls is never cut short (a refreshed pair may be being saved). A call that
    /// would start after the deadline fails as a timeout at once, noted in the exchange log. An
    /// operation inside another shares the outer one's time.
    pub async fn within<F: std::future::Future>(&self, operation: F) -> F::Output {
        if BUDGET.try_with(|_| ()).is_ok() {
            return operation.await;
        }
        let budget = Budget {
            total: self.timeouts.total,
            started: std::cell::Cell::new(None),
        };
        BUDGET.scope(budget, operation).await
    }

    pub(crate) async fn send(&self, request: Request) -> Result<Reply, Error> {
        let Request {
            operation,
            method,
            url,
            form,
            body,
            auth,
            tag,
        } = request;
        let mut redactor = Redactor::new();
        for (k, v) in &form {
            if httplog::SECRET_FIELDS.contains(k) {
                redactor.add(v);
            }
        }
        let host = url.host_str().unwrap_or("the provider").to_owned();
        let verb = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .client
            .request(verb, url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        let left = deadline().map(|d| d.saturating_duration_since(Instant::now()));
        if let Some(left) = left.filter(|l| !l.is_zero()) {
            builder = builder.timeout(left.min(self.timeouts.total));
        }
        let mut request_headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if let Some(auth) = &auth {
            let value = match auth {
                Auth::Basic { client_id, secret } => {
                    redactor.add(secret.secret());
                    let encoded = STANDARD.encode(format!("{client_id}:{}", secret.secret()));
                    redactor.add(&encoded);
                    format!("Basic {encoded}")
                }
                Auth::Bearer(token) => {
                    redactor.add(token.secret());
                    format!("Bearer {}", token.secret())
                }
            };
            request_headers.push((
                "authorization".into(),
                httplog::redact_authorization(&value),
            ));
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        let request_body = match &body {
            // A raw body (an API request's JSON), as given.
            Some(raw) => {
                request_headers.push(("content-type".into(), "application/json".into()));
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(raw.clone());
                httplog::redact_body(raw, &redactor)
            }
            None if method == Method::Post => {
                request_headers.push((
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
                builder = builder.form(&form);
                httplog::redact_form(&form)
            }
            None => String::new(),
        };

        let started_at_ms = crate::clock::now_unix_millis();
        let started = Instant::now();
        let mut exchange = HttpExchange {
            id: 0,
            tag,
            operation,
            started_at_ms,
            duration_ms: 0,
            method: method.as_str().into(),
            url: httplog::redact_url(&url, &redactor),
            request_headers,
            request_body,
            status: None,
            response_headers: vec![],
            response_body: String::new(),
            rate_limit: None,
            transport_error: None,
        };

        if left.is_some_and(|l| l.is_zero()) {
            // The operation's time ran out on earlier calls: this one is not sent.
            let error = Error::Timeout { host };
            exchange.transport_error = Some("not sent: the operation's time had run out".into());
            tracing::warn!(op = operation.as_str(), url = %exchange.url, "not sent: no time left");
            self.log.push(exchange);
            return Err(error);
        }
        let outcome = async {
            let mut response = builder.send().await?;
            let status = response.status().as_u16();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            // Answers are small; a body past the cap is cut off and reported, not buffered.
            let mut bytes = Vec::new();
            let mut cut = false;
            while let Some(chunk) = response.chunk().await? {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    cut = true;
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            let body = String::from_utf8_lossy(&bytes).into_owned();
            Ok::<_, reqwest::Error>((status, headers, body, cut))
        }
        .await;
        exchange.duration_ms = started.elapsed().as_millis() as u64;

        let (status, headers, body, cut) = match outcome {
            Ok(parts) => parts,
            Err(e) => {
                let error = transport_error(&e, &host);
                exchange.transport_error = Some(error.to_string());
                tracing::warn!(op = operation.as_str(), url = %exchange.url, error = %error, "provider call failed");
                self.log.push(exchange);
                return Err(error);
            }
        };
        let now = now_unix();
        let rate_limit =
            ratelimit::parse(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), now);
        let content_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        let redacted_body = httplog::redact_body(&body, &redactor);
        exchange.status = Some(status);
        exchange.response_headers = headers
            .into_iter()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("set-cookie") {
                    "[redacted]".into()
                } else {
                    redactor.redact(&v)
                };
                (k, v)
            })
            .collect();
        exchange.response_body = redacted_body.clone();
        exchange.rate_limit = rate_limit;
        if cut {
            exchange.transport_error = Some("answer larger than 1 MiB; cut off".into());
            self.log.push(exchange);
            return Err(Error::UnexpectedResponse {
                status,
                what: "an answer larger than 1 MiB".into(),
                snippet: error::snippet(&redacted_body),
            });
        }
        tracing::debug!(
            op = operation.as_str(),
            method = method.as_str(),
            url = %exchange.url,
            status,
            ms = exchange.duration_ms,
            "provider call"
        );
        let reply_headers = exchange.response_headers.clone();
        let duration_ms = exchange.duration_ms;
        self.log.push(exchange);
        Ok(Reply {
            operation,
            status,
            content_type,
            body,
            redacted_body,
            rate_limit,
            headers: reply_headers,
            duration_ms,
        })
    }
}

fn transport_error(e: &reqwest::Error, host: &str) -> Error {
    let host = host.to_owned();
    if e.is_timeout() {
        Error::Timeout { host }
    } else if e.is_connect() {
        Error::Connect { host }
    } else {
        // reqwest's Display includes the URL (which may carry a query); report the innermost
        // cause instead, which does not.
        let mut reason = "the request could not be completed".to_owned();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        Error::Network { host, reason }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

pub(crate) enum Auth {
    Basic {
        client_id: String,
        secret: ClientSecret,
    },
    Bearer(AccessToken),
}

pub(crate) struct Request {
    pub operation: Operation,
    pub method: Method,
    pub url: Url,
    pub form: Vec<(&'static str, String)>,
    /// A raw JSON body instead of the form (an API request's).
    pub body: Option<String>,
    pub auth: Option<Auth>,
    /// Whose exchange this is in the log (an account id, or a sign-in's id).
    pub tag: Option<String>,
}

impl Request {
    pub fn post(operation: Operation, url: &Url) -> Self {
        Request {
            operation,
            method: Method::Post,
            url: url.clone(),
            form: Vec::new(),
            body: None,
            auth: None,
            tag: None,
        }
    }

    pub fn get(operation: Operation, url: &Url) -> Self {
        Request {
            method: Method::Get,
            ..Self::post(operation, url)
        }
    }

    pub fn field(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.form.push((name, value.into()));
        self
    }

    pub fn bearer(mut self, token: &AccessToken) -> Self {
        self.auth = Some(Auth::Bearer(token.clone()));
        self
    }
}

/// A provider's answer, with the raw body (for parsing) and the redacted one (for anything shown).
pub(crate) struct Reply {
    pub operation: Operation,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
    pub redacted_body: String,
    pub rate_limit: Option<RateLimit>,
    /// The answer's headers, redacted as the exchange log keeps them.
    pub headers: Vec<(String, String)>,
    pub duration_ms: u64,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error this answer means.
    pub fn error(&self, legacy_fitbit: bool) -> Error {
        error::from_response(
            self.operation,
            legacy_fitbit,
            self.status,
            self.content_type.as_deref(),
            self.rate_limit.and_then(|r| r.reset_at),
            &self.redacted_body,
        )
    }

    /// The body as JSON, or an error describing what came instead.
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_str(&self.body).map_err(|_| {
            error::unexpected(
                self.status,
                self.content_type.as_deref(),
                &self.redacted_body,
            )
            .unwrap_or_else(|| Error::UnexpectedResponse {
                status: self.status,
                what: "malformed JSON".into(),
                snippet: error::snippet(&self.redacted_body),
            })
        })
    }
}
