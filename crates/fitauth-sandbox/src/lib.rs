//! `fitauth-sandbox`: an offline, faithful emulator of the legacy Fitbit Web API's OAuth 2.0
//! endpoints and of Google's OAuth 2.0 endpoints for the Google Health API, on one loopback port.
//!
//! It is the other side of the wire for Fitauth's tests and its "try it offline" mode, and it is
//! written independently of `fitauth-core` (its own PKCE check, parsing and error shapes), so a
//! client bug cannot hide behind the same bug in the server. State lives in memory.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fitauth_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig { port: 0, ..Default::default() }).await?;
//! println!("{}", sandbox.base_url()); // http://127.0.0.1:41234
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

// Helpers return a ready `Response` as their error so handlers can `?`/early-return it; it is
// built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod clients;
mod consent;
mod control;
mod faults;
mod jwt;
mod observe;
mod pkce;
mod ratelimit;
mod record;
mod resources;
mod respond;
mod state;
mod stats;
mod token;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::routing::{get, post};
use axum::Router;

pub use faults::{FaultKind, FaultSpec};
pub use observe::MAX_RECORDED;
pub use record::RecordedRequest;
pub use state::MAX_LIFETIME_SECS;
pub use state::{Settings, SettingsPatch};
pub use stats::RefreshStats;

use state::Shared;

/// Where and how to run.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Skip the consent page: every valid authorization is approved for the owner at once.
    pub auto_approve: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            auto_approve: false,
        }
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Binds, starts serving, and returns once it is listening.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind((config.bind, config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(config.auto_approve);
        let app = router(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        let host = match addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        let base_url = format!("http://{host}:{}", addr.port());
        tracing::info!(%base_url, "sandbox listening");
        Ok(Sandbox {
            base_url,
            addr,
            shared,
            stop: Some(stop),
            task,
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    /// A sandbox for an app to use in-process: 127.0.0.1 on a free port, the consent page shown.
    pub async fn start_embedded() -> std::io::Result<Sandbox> {
        Self::start(SandboxConfig {
            port: 0,
            ..Default::default()
        })
        .await
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// In-process control, the same operations as `/_sandbox/…`.
    pub fn control(&self) -> Control {
        Control {
            shared: self.shared.clone(),
        }
    }

    /// Stops serving; requests held by a `slow` fault are dropped after a second.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(std::time::Duration::from_secs(1), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A cheap handle for driving the sandbox from the same process.
#[derive(Debug, Clone)]
pub struct Control {
    shared: Shared,
}

impl Control {
    pub fn set_fault(&self, spec: FaultSpec) {
        self.shared.lock().faults.push(spec);
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    pub fn update_settings(&self, patch: SettingsPatch) -> Settings {
        let mut inner = self.shared.lock();
        control::apply(&mut inner.settings, patch);
        inner.settings.clone()
    }

    /// What the refresh requests presented so far (see [`RefreshStats`]).
    pub fn refresh_stats(&self) -> RefreshStats {
        self.shared.lock().refresh_stats
    }

    pub fn clear_refresh_stats(&self) {
        self.shared.lock().refresh_stats = RefreshStats::default();
    }

    /// Moves the sandbox's clock (code and token expiry, grace interval, rate-limit hour).
    pub fn advance_clock(&self, seconds: i64) {
        let mut inner = self.shared.lock();
        inner.clock_offset = inner.clock_offset.saturating_add(seconds);
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        // Fitbit
        .route("/oauth2/authorize", get(consent::fitbit_authorize))
        .route("/oauth2/authorize/decision", post(consent::fitbit_decision))
        .route("/oauth2/token", post(token::fitbit_token))
        .route("/1.1/oauth2/introspect", post(resources::fitbit_introspect))
        .route("/oauth2/revoke", post(resources::fitbit_revoke))
        .route("/1/user/-/profile.json", get(resources::fitbit_profile))
        // Google
        .route("/o/oauth2/v2/auth", get(consent::google_authorize))
        .route("/o/oauth2/v2/auth/decision", post(consent::google_decision))
        .route("/token", post(token::google_token))
        .route(
            "/tokeninfo",
            get(resources::google_tokeninfo).post(resources::google_tokeninfo),
        )
        .route("/revoke", post(resources::google_revoke))
        .route("/v4/users/me/identity", get(resources::google_identity))
        // Control
        .route("/", get(control::index))
        .route("/_sandbox/health", get(control::health))
        .route(
            "/_sandbox/requests",
            get(control::requests).delete(control::clear_requests),
        )
        .route(
            "/_sandbox/faults",
            post(control::add_fault).delete(control::clear_faults),
        )
        .route("/_sandbox/settings", post(control::settings))
        .route("/_sandbox/clock", post(control::clock))
        .route(
            "/_sandbox/refresh-stats",
            get(control::refresh_stats).delete(control::clear_refresh_stats),
        )
        .layer(axum::middleware::from_fn(control::local_only))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            observe::observe,
        ))
        .with_state(shared)
}
