//! What the refresh tokens presented to the token endpoints were, counted per request, so a test
//! can prove that a client never presents a refresh token it should no longer have.
//!
//! Fitbit refresh tokens are single-use: a refresh answers with a new pair and the old refresh
//! token stops working, except that "a duplicate refresh token request made within a short grace
//! interval" gets the same new pair back
//! (<https://dev.fitbit.com/build/reference/web-api/authorization/refresh-token/>). A client that
//! loses an answer (killed, timed out) may retry with the old token inside that interval; one that
//! presents it later, or after it already used the new pair, kept a token it had replaced:
//! that is a *stale* token. Google does not rotate refresh tokens
//! (<https://developers.google.com/identity/protocols/oauth2/native-app#offline>), so its active
//! tokens are counted as active and it never sees a duplicate.

use serde::{Deserialize, Serialize};

/// What a refresh request presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// An active refresh token: answered with new tokens.
    Active,
    /// A rotated token within the grace interval whose new pair is unused: the same answer again.
    WithinGrace,
    /// A rotated token past the grace interval or after its new pair was used: refused.
    Stale,
    /// A revoked token (revoke, a new authorization, a replayed code): refused.
    Revoked,
    /// A token this sandbox never issued (or issued to another client or provider): refused.
    Unknown,
}

/// Counters of refresh requests by what they presented (`GET /_sandbox/refresh-stats`). Requests
/// without a refresh token, and those a fault answered instead of the endpoint, are not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshStats {
    pub active: u64,
    pub within_grace: u64,
    pub stale: u64,
    pub revoked: u64,
    pub unknown: u64,
}

impl RefreshStats {
    pub fn count(&mut self, presented: Presented) {
        let counter = match presented {
            Presented::Active => &mut self.active,
            Presented::WithinGrace => &mut self.within_grace,
            Presented::Stale => &mut self.stale,
            Presented::Revoked => &mut self.revoked,
            Presented::Unknown => &mut self.unknown,
        };
        *counter += 1;
    }

    /// Refreshes the provider answered with tokens: active ones and within-grace duplicates.
    pub fn answered(&self) -> u64 {
        self.active + self.within_grace
    }

    /// Refreshes the provider refused.
    pub fn refused(&self) -> u64 {
        self.stale + self.revoked + self.unknown
    }
}

/// Counts added up (the trials of one kind).
impl std::ops::Add for RefreshStats {
    type Output = RefreshStats;

    fn add(self, other: RefreshStats) -> RefreshStats {
        RefreshStats {
            active: self.active + other.active,
            within_grace: self.within_grace + other.within_grace,
            stale: self.stale + other.stale,
            revoked: self.revoked + other.revoked,
            unknown: self.unknown + other.unknown,
        }
    }
}

/// What was counted between an earlier reading and this one.
impl std::ops::Sub for RefreshStats {
    type Output = RefreshStats;

    fn sub(self, earlier: RefreshStats) -> RefreshStats {
        RefreshStats {
            active: self.active.saturating_sub(earlier.active),
            within_grace: self.within_grace.saturating_sub(earlier.within_grace),
            stale: self.stale.saturating_sub(earlier.stale),
            revoked: self.revoked.saturating_sub(earlier.revoked),
            unknown: self.unknown.saturating_sub(earlier.unknown),
        }
    }
}
