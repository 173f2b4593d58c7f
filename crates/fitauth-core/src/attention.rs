//! When an account needs its person: the causes, one plain sentence each, and a key per cause so
//! a face says it once (the desktop's notification, `fitauth status`, `fitauth token`'s error).
//!
//! Causes: the grant was revoked (here or at the provider), the provider refused the refresh
//! token (`invalid_grant`, after the store was re-read: see [`crate::session`]), Fitbit's old
//! service was turned off (`410 Gone`; the move to Google is the way on), and — a day ahead —
//! a refresh token that will end: Google sends `refresh_token_expires_in` for time-based access
//! (<https://developers.google.com/identity/protocols/oauth2/native-app#exchange-authorization-code>).

use serde::Serialize;

use crate::clock::{local_date, local_days_between, local_hh_mm};
use crate::store::{Account, AccountState};

/// The cause part of a [`Attention::RefreshTokenEnding`] key, before the end time.
const ENDING: &str = "ending@";

/// How long before a refresh token ends the person is told.
pub const WARN_BEFORE_SECS: i64 = 24 * 3600;

/// Why an account needs its person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "cause")]
pub enum Attention {
    /// Revoked; connect again to use it.
    Revoked,
    /// The provider no longer accepts its sign-in.
    ReconnectNeeded,
    /// On Fitbit's turned-off service: move it to Google.
    MoveToGoogle,
    /// Its refresh token ends at `at` (Unix seconds), within a day.
    RefreshTokenEnding { at: i64 },
    /// Its refresh token has ended.
    RefreshTokenEnded,
}

impl Attention {
    /// What `account` needs now, if anything. `needs_move`: it is on Fitbit's turned-off
    /// service ([`crate::Fitauth::needs_move`]).
    pub fn of(account: &Account, needs_move: bool, now: i64) -> Option<Attention> {
        // Connecting again on Fitbit's turned-off service cannot work: the move is the way on,
        // whatever else befell the account.
        if needs_move {
            return Some(Attention::MoveToGoogle);
        }
        match account.state {
            AccountState::Revoked => return Some(Attention::Revoked),
            AccountState::ReconnectNeeded => return Some(Attention::ReconnectNeeded),
            AccountState::Active | AccountState::Expired => {}
        }
        match account.refresh_token_expires_at {
            Some(at) if account.has_refresh_token && at <= now => {
                Some(Attention::RefreshTokenEnded)
            }
            Some(at) if account.has_refresh_token && at.saturating_sub(now) <= WARN_BEFORE_SECS => {
                Some(Attention::RefreshTokenEnding { at })
            }
            _ => None,
        }
    }

    /// A key that is the same while the cause is the same, so a face says each cause once
    /// ([`Attention::already_said`] compares them). A refresh token that has ended is keyed as
    /// a refused sign-in, which it leads to: one notice, not two.
    pub fn key(&self, account: &Account) -> String {
        let cause = match self {
            Attention::Revoked => "revoked".to_owned(),
            Attention::ReconnectNeeded | Attention::RefreshTokenEnded => "reconnect".to_owned(),
            Attention::MoveToGoogle => "move".to_owned(),
            Attention::RefreshTokenEnding { at } => format!("{ENDING}{at}"),
        };
        format!("{}:{cause}", account.id)
    }

    /// The key among `said` that already stands for `key`, if any: the same key, or — for a
    /// refresh token that ends — the same account's end within an hour of it (Google repeats
    /// `refresh_token_expires_in` on each refresh, so the end moves by seconds; a new grant
    /// ends days apart and is said again).
    pub fn already_said<'s>(
        said: impl IntoIterator<Item = &'s String>,
        key: &str,
    ) -> Option<&'s String> {
        let ending = |k: &str| -> Option<(String, i64)> {
            let (id, at) = k.split_once(&format!(":{ENDING}"))?;
            Some((id.to_owned(), at.parse().ok()?))
        };
        said.into_iter().find(|k| {
            *k == key
                || matches!((ending(k), ending(key)), (Some((a, x)), Some((b, y)))
                    if a == b && x.abs_diff(y) < 3600)
        })
    }

    /// One plain sentence for the person.
    pub fn sentence(&self, account: &Account, now: i64) -> String {
        let name = &account.name;
        match self {
            Attention::Revoked => format!(
                "\"{name}\" was disconnected: its access was revoked. Connect it again to keep \
                 getting data."
            ),
            Attention::ReconnectNeeded => format!(
                "\"{name}\" needs you: the provider no longer accepts its sign-in. Connect it \
                 again to keep getting data."
            ),
            Attention::MoveToGoogle => format!(
                "\"{name}\" needs you: Fitbit turned off its old service. Move it to Google once \
                 to keep getting data; it keeps its name."
            ),
            Attention::RefreshTokenEnded => format!(
                "\"{name}\" needs you: the access you gave it has ended. Connect it again to keep \
                 getting data."
            ),
            Attention::RefreshTokenEnding { at } => format!(
                "\"{name}\" needs you before {}: the access you gave it ends then. Connect it \
                 again to keep getting data.",
                when(*at, now)
            ),
        }
    }

    /// For the tray and status lines: "needs you".
    pub const SHORT: &'static str = "needs you";
}

/// "14:05" today, "14:05 tomorrow" (by the calendar, not by hours), else "14:05 on 2026-12-03".
fn when(at: i64, now: i64) -> String {
    let hh_mm = local_hh_mm(at);
    match local_days_between(now, at) {
        ..=0 => hh_mm,
        1 => format!("{hh_mm} tomorrow"),
        _ => format!("{hh_mm} on {}", local_date(at)),
    }
}

/// How an account stands, in two or three words (the tray menu): "needs you", "renews at
/// 17:10", "fresh until 17:10", or "expired".
pub fn short_state(account: &Account, attention: Option<&Attention>, now: i64) -> String {
    if attention.is_some_and(|a| !matches!(a, Attention::RefreshTokenEnding { .. })) {
        return Attention::SHORT.into();
    }
    match account.expires_at {
        Some(exp) if account.has_refresh_token => format!(
            "renews at {}",
            local_hh_mm(
                exp.saturating_sub(crate::session::MIN_VALIDITY_SECS)
                    .max(now)
            )
        ),
        Some(exp) if exp > now => format!("fresh until {}", local_hh_mm(exp)),
        Some(_) => "expired".into(),
        None => "fresh".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;

    fn account(state: AccountState) -> Account {
        Account {
            name: "me".into(),
            ..Account::example("id1", ProviderKind::GoogleHealth, state)
        }
    }

    #[test]
    fn each_cause_is_found_and_keyed_once() {
        let now = 1_000;
        assert_eq!(
            Attention::of(&account(AccountState::Active), false, now),
            None
        );
        let revoked = account(AccountState::Revoked);
        assert_eq!(
            Attention::of(&revoked, false, now),
            Some(Attention::Revoked)
        );
        // On Fitbit's turned-off service, connecting again cannot work: the move is said.
        assert_eq!(
            Attention::of(&revoked, true, now),
            Some(Attention::MoveToGoogle)
        );
        assert_eq!(
            Attention::of(&account(AccountState::ReconnectNeeded), true, now),
            Some(Attention::MoveToGoogle)
        );
        let dead = account(AccountState::ReconnectNeeded);
        let a = Attention::of(&dead, false, now).unwrap();
        assert_eq!(a, Attention::ReconnectNeeded);
        assert_eq!(a.key(&dead), "id1:reconnect");
        assert!(a.sentence(&dead, now).starts_with("\"me\" needs you"));
        let legacy = account(AccountState::Active);
        assert_eq!(
            Attention::of(&legacy, true, now),
            Some(Attention::MoveToGoogle)
        );
    }

    #[test]
    fn a_refresh_token_that_ends_is_said_a_day_ahead() {
        let now = 1_000_000;
        let mut a = account(AccountState::Active);
        a.refresh_token_expires_at = Some(now + WARN_BEFORE_SECS + 60);
        assert_eq!(Attention::of(&a, false, now), None);
        a.refresh_token_expires_at = Some(now + WARN_BEFORE_SECS - 60);
        let ending = Attention::of(&a, false, now).unwrap();
        assert!(ending.sentence(&a, now).contains("needs you before"));
        // Still working until then: the tray says when it renews, not "needs you".
        assert_eq!(
            short_state(&a, Some(&ending), now),
            format!("renews at {}", local_hh_mm(now))
        );
        a.refresh_token_expires_at = Some(now - 1);
        let ended = Attention::of(&a, false, now).unwrap();
        assert!(ended.sentence(&a, now).contains("has ended"));
        assert_eq!(short_state(&a, Some(&ended), now), "needs you");
        assert!(!ended.sentence(&a, now).contains("tomorrow"));
        assert_eq!(ended, Attention::RefreshTokenEnded);
        // The refused refresh that follows is the same notice.
        assert_eq!(
            ended.key(&a),
            Attention::ReconnectNeeded.key(&a),
            "one notice, not two"
        );
        // An end time that moves by seconds on each refresh is still the same cause, said once;
        // a new grant's end, days away, is a new one.
        a.refresh_token_expires_at = Some(now + 3_600);
        let first = Attention::of(&a, false, now).unwrap().key(&a);
        a.refresh_token_expires_at = Some(now + 3_601);
        let again = Attention::of(&a, false, now + 1).unwrap().key(&a);
        let said = vec![first.clone()];
        assert_eq!(Attention::already_said(&said, &again), Some(&first));
        assert_eq!(Attention::already_said(&said, "id1:ending@9999999"), None);
        assert_eq!(Attention::already_said(&said, "id2:ending@1003600"), None);
        assert_eq!(
            Attention::already_said(&said, "id1:reconnect"),
            None,
            "another cause"
        );
    }
}
