//! Test harness: a real sandbox on loopback, controlled over its HTTP control API, and a scripted
//! "browser" that loads the consent page, ticks boxes and submits the form like a person would.

#![allow(dead_code)]

use std::time::Duration;

use fitauth_core::{
    AppType, ClientConfig, ClientSecret, HttpClient, OAuthClient, Provider, ProviderKind, Timeouts,
};
use fitauth_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};
use url::Url;

pub const FITBIT_SCOPES: &[&str] = &["activity", "heartrate", "profile", "sleep"];
pub const GOOGLE_SLEEP: &str = "https://www.googleapis.com/auth/googlehealth.sleep.readonly";
pub const GOOGLE_ACTIVITY: &str =
    "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly";

pub struct Env {
    pub sandbox: Sandbox,
    pub http: HttpClient,
    control: reqwest::Client,
}

impl Env {
    pub async fn start() -> Env {
        Self::with_timeouts(Timeouts::default()).await
    }

    pub async fn with_timeouts(timeouts: Timeouts) -> Env {
        let sandbox = Sandbox::start(SandboxConfig {
            port: 0,
            auto_approve: false,
            ..Default::default()
        })
        .await
        .expect("sandbox starts");
        Env {
            sandbox,
            http: HttpClient::new(timeouts).unwrap(),
            control: {
                fitauth_core::http::install_tls_provider();
                reqwest::Client::new()
            },
        }
    }

    pub fn base(&self) -> &str {
        self.sandbox.base_url()
    }

    pub fn provider(&self, kind: ProviderKind) -> Provider {
        Provider::with_base(kind, Some(self.base())).unwrap()
    }

    pub fn client(
        &self,
        kind: ProviderKind,
        id: &str,
        app: AppType,
        secret: Option<&str>,
    ) -> OAuthClient {
        let config = ClientConfig::new(self.provider(kind), id, app)
            .with_secret(secret.map(ClientSecret::new));
        OAuthClient::new(config, self.http.clone())
    }

    pub fn fitbit_client(&self) -> OAuthClient {
        self.client(
            ProviderKind::Fitbit,
            "sandbox-client",
            AppType::Client,
            None,
        )
    }

    pub fn fitbit_server(&self) -> OAuthClient {
        self.client(
            ProviderKind::Fitbit,
            "sandbox-server",
            AppType::Server,
            Some("sandbox-secret"),
        )
    }

    pub fn google(&self) -> OAuthClient {
        self.client(
            ProviderKind::GoogleHealth,
            "sandbox-google",
            AppType::Client,
            Some("sandbox-google-secret"),
        )
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .control
            .request(method, format!("{}/_sandbox/{path}", self.base()));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("control API answers");
        assert!(
            resp.status().is_success(),
            "control {path}: {}",
            resp.status()
        );
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn fault(&self, spec: Value) {
        self.control(reqwest::Method::POST, "faults", Some(spec))
            .await;
    }

    pub async fn clear_faults(&self) {
        self.control(reqwest::Method::DELETE, "faults", None).await;
    }

    pub async fn settings(&self, patch: Value) -> Value {
        self.control(reqwest::Method::POST, "settings", Some(patch))
            .await
    }

    pub async fn advance_clock(&self, secs: i64) {
        self.control(
            reqwest::Method::POST,
            "clock",
            Some(json!({ "advance_secs": secs })),
        )
        .await;
    }

    /// Every request the sandbox received (control calls excluded), oldest first.
    pub async fn requests(&self) -> Vec<Value> {
        match self.control(reqwest::Method::GET, "requests", None).await {
            Value::Array(items) => items,
            other => panic!("requests: {other}"),
        }
    }

    pub async fn requests_to(&self, path: &str) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r["path"] == path)
            .collect()
    }

    pub async fn clear_requests(&self) {
        self.control(reqwest::Method::DELETE, "requests", None)
            .await;
    }
}

/// The first value of a form field the sandbox recorded.
pub fn form(request: &Value, field: &str) -> Option<String> {
    request["form"][field][0].as_str().map(str::to_owned)
}

pub fn header(request: &Value, name: &str) -> Option<String> {
    request["headers"][name].as_str().map(str::to_owned)
}

/// What the person does on the consent page.
#[derive(Debug, Clone, Default)]
pub struct Consent {
    pub deny: bool,
    /// Scopes left ticked; `None` keeps every box as the page offers it.
    pub keep: Option<Vec<String>>,
    /// Sign in as this user (`SBX123` owner, `SBX456` visitor).
    pub user: Option<String>,
}

impl Consent {
    pub fn allow() -> Self {
        Consent::default()
    }
    pub fn deny() -> Self {
        Consent {
            deny: true,
            ..Default::default()
        }
    }
    pub fn only(scopes: &[&str]) -> Self {
        Consent {
            keep: Some(scopes.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }
}

/// What the consent page did: redirected (the `Location`), or showed an error page.
#[derive(Debug)]
pub enum BrowserOutcome {
    Redirect(String),
    ErrorPage { status: u16, body: String },
}

impl BrowserOutcome {
    pub fn location(self) -> String {
        match self {
            BrowserOutcome::Redirect(l) => l,
            other => panic!("expected a redirect, got {other:?}"),
        }
    }
}

/// A scripted browser: no redirects followed, so each hop can be checked.
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        fitauth_core::http::install_tls_provider();
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }
}

impl Browser {
    /// Opens the authorize URL and acts on the consent page.
    pub async fn consent(&self, authorize_url: &Url, consent: Consent) -> BrowserOutcome {
        let resp = self.http.get(authorize_url.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        if let Some(location) = location(&resp) {
            return BrowserOutcome::Redirect(location);
        }
        let html = resp.text().await.unwrap();
        if status != 200 {
            return BrowserOutcome::ErrorPage { status, body: html };
        }
        let action = attr_of_tag(&html, "<form", "action").expect("consent form has an action");
        let request_id = input_value(&html, "request_id").expect("consent form has request_id");
        let offered: Vec<String> = inputs_named(&html, "scope");
        assert!(!offered.is_empty(), "consent page offers scopes");
        let mut fields = vec![
            ("request_id".to_owned(), request_id),
            (
                "decision".to_owned(),
                if consent.deny { "deny" } else { "allow" }.to_owned(),
            ),
        ];
        if let Some(user) = consent.user {
            fields.push(("user".into(), user));
        }
        for scope in &offered {
            if consent
                .keep
                .as_ref()
                .is_none_or(|keep| keep.contains(scope))
            {
                fields.push(("scope".into(), scope.clone()));
            }
        }
        let url = Url::parse(authorize_url.as_str())
            .unwrap()
            .join(&action)
            .unwrap();
        let resp = self.http.post(url).form(&fields).send().await.unwrap();
        let status = resp.status().as_u16();
        match location(&resp) {
            Some(l) => BrowserOutcome::Redirect(l),
            None => BrowserOutcome::ErrorPage {
                status,
                body: resp.text().await.unwrap_or_default(),
            },
        }
    }

    /// Follows a loopback redirect to the app's listener; returns status and page.
    pub async fn follow(&self, location: &str) -> (u16, String) {
        let resp = self.http.get(location).send().await.unwrap();
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    }
}

fn location(resp: &reqwest::Response) -> Option<String> {
    if !resp.status().is_redirection() {
        return None;
    }
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `<input …>` tag of the page.
fn input_tags(html: &str) -> Vec<&str> {
    html.match_indices("<input")
        .filter_map(|(i, _)| html[i..].find('>').map(|end| &html[i..i + end]))
        .collect()
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

fn attr_of_tag(html: &str, tag_start: &str, name: &str) -> Option<String> {
    let i = html.find(tag_start)?;
    let end = html[i..].find('>')?;
    attr(&html[i..i + end], name)
}

fn input_value(html: &str, field: &str) -> Option<String> {
    input_tags(html)
        .into_iter()
        .find(|t| attr(t, "name").as_deref() == Some(field))
        .and_then(|t| attr(t, "value"))
}

fn inputs_named(html: &str, field: &str) -> Vec<String> {
    input_tags(html)
        .into_iter()
        .filter(|t| attr(t, "name").as_deref() == Some(field))
        .filter_map(|t| attr(t, "value"))
        .collect()
}
