//! Everything the sandbox remembers, in memory, behind one lock. Handlers take the lock briefly
//! and never across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::clients::Dialect;
use crate::faults::FaultSpec;
use crate::record::RecordedRequest;
use crate::stats::RefreshStats;

/// Authorization codes and consent requests live this long (seconds).
pub const CODE_LIFETIME: i64 = 600;
/// Fitbit's auth-code and refresh access tokens.
pub const FITBIT_ACCESS_LIFETIME: i64 = 28_800;
/// Google's access tokens.
pub const GOOGLE_ACCESS_LIFETIME: i64 = 3_599;

/// Runtime-adjustable behaviour.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    pub auto_approve: bool,
    /// Overrides the lifetime of access tokens from codes and refreshes.
    pub access_token_ttl_secs: Option<u64>,
    /// Requests per user and app per clock hour on resource endpoints.
    pub rate_limit: u32,
    /// Fitbit's duplicate-refresh grace interval.
    pub grace_secs: u64,
    /// The legacy Fitbit endpoints answer `410 Gone`, as the real ones do since Fitbit turned
    /// them off on 2 November 2026 (<https://developers.google.com/health/about>); Google's keep
    /// working.
    #[serde(default)]
    pub legacy_retired: bool,
}

/// A partial update of [`Settings`]: absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SettingsPatch {
    pub auto_approve: Option<bool>,
    pub access_token_ttl_secs: Option<u64>,
    pub rate_limit: Option<u32>,
    pub grace_secs: Option<u64>,
    pub legacy_retired: Option<bool>,
}

/// A consent page waiting for the person's decision.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    pub dialect: Dialect,
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether `redirect_uri` was sent (then the token request must repeat it exactly).
    pub redirect_uri_sent: bool,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub challenge: Option<(String, String)>,
    pub implicit: bool,
    pub implicit_lifetime: i64,
    /// `prompt` as sent (`login`, `consent`, `login consent`, `select_account`, …).
    pub prompt: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub dialect: Dialect,
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
    pub redirect_uri: Option<String>,
    pub challenge: Option<(String, String)>,
    pub issued_at: i64,
    pub used: bool,
    /// Tokens minted from this code (revoked if the code is replayed).
    pub minted: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub dialect: Dialect,
    pub client_id: String,
    /// `None` for client-credentials tokens.
    pub user: Option<String>,
    pub scopes: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    /// Presented as a bearer token at least once.
    pub used: bool,
}

#[derive(Debug, Clone)]
pub enum RefreshState {
    Active,
    /// Used once (Fitbit rotation): the answer given, for the duplicate-request grace.
    Rotated {
        at: i64,
        response: serde_json::Value,
        new_access: String,
        new_refresh: String,
    },
    Revoked,
}

#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub dialect: Dialect,
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
    pub state: RefreshState,
}

/// Requests counted per (user, client) in the current clock hour.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    pub hour: i64,
    pub count: u32,
}

#[derive(Debug)]
pub struct Inner {
    pub clock_offset: i64,
    pub settings: Settings,
    pub consents: HashMap<String, ConsentRequest>,
    pub codes: HashMap<String, CodeGrant>,
    pub access: HashMap<String, AccessGrant>,
    pub refresh: HashMap<String, RefreshGrant>,
    pub buckets: HashMap<(String, String), Bucket>,
    pub faults: Vec<FaultSpec>,
    pub requests: Vec<RecordedRequest>,
    pub next_seq: u64,
    /// What the refresh requests presented.
    pub refresh_stats: RefreshStats,
    /// Per-process key that signs the JWT-shaped access tokens.
    pub jwt_key: [u8; 32],
}

/// The longest access token lifetime the sandbox issues, whatever the setting asks.
pub const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

impl Inner {
    pub fn now(&self) -> i64 {
        wall_clock().saturating_add(self.clock_offset)
    }

    /// The access token lifetime: the setting (at most ten years), else `default`.
    pub fn access_lifetime(&self, default: i64) -> i64 {
        self.settings
            .access_token_ttl_secs
            .map(|t| t.min(MAX_LIFETIME_SECS) as i64)
            .unwrap_or(default)
    }

    /// A valid (known, unrevoked, unexpired) access token, or why not.
    pub fn check_bearer(
        &self,
        token: &str,
        dialect: Dialect,
    ) -> Result<&AccessGrant, BearerProblem> {
        let grant = self
            .access
            .get(token)
            .filter(|g| g.dialect == dialect)
            .ok_or(BearerProblem::Invalid)?;
        if grant.revoked {
            return Err(BearerProblem::Invalid);
        }
        if grant.expires_at <= self.now() {
            return Err(BearerProblem::Expired);
        }
        Ok(grant)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerProblem {
    Missing,
    Invalid,
    Expired,
}

pub fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Shared handle on the sandbox's memory.
#[derive(Debug, Clone)]
pub struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    pub fn new(auto_approve: bool) -> Self {
        let mut jwt_key = [0u8; 32];
        rand::fill(&mut jwt_key[..]);
        Shared(Arc::new(Mutex::new(Inner {
            clock_offset: 0,
            settings: Settings {
                auto_approve,
                access_token_ttl_secs: None,
                rate_limit: 150,
                grace_secs: 120,
                legacy_retired: false,
            },
            consents: HashMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            buckets: HashMap::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            next_seq: 1,
            refresh_stats: RefreshStats::default(),
            jwt_key,
        })))
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A random URL-safe string with `bytes` bytes of entropy (hex encoded).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
