//! The move from the legacy Fitbit Web API to the Google Health API, as far as it is pure
//! knowledge: which Google Health scopes stand for a legacy account's Fitbit scopes, whether the
//! Google account that signed in is the same Fitbit account, and what to tell people.
//!
//! Google's migration guide: legacy tokens cannot be carried over, every person consents again
//! with Google (<https://developers.google.com/health/migration>); its scope table maps each
//! Fitbit scope to Google Health scopes
//! (<https://developers.google.com/health/migration/api-specifications>); and after the Google
//! sign-in, `users.getIdentity` returns the old Fitbit user id as `legacyUserId`, for exactly this
//! mapping (<https://developers.google.com/health/reference/rest/v4/users/getIdentity>). The
//! legacy endpoints were turned off on 2 November 2026 and answer `410 Gone`
//! (<https://developers.google.com/health/about>).
//!
//! The use case itself (plan, sign-in, replace the account) is
//! [`crate::service::migrate`].

use serde::Serialize;

const GH: &str = "https://www.googleapis.com/auth/googlehealth.";

/// Each legacy Fitbit scope and the Google Health scope that reads the same data. Fitauth only
/// reads, so the `.readonly` scope is chosen where the guide lists a read and a write one. The
/// guide lists no Google scope for `social` (friends and leaderboards are not in the Google
/// Health API).
pub const LEGACY_TO_GOOGLE: &[(&str, &str)] = &[
    ("activity", "activity_and_fitness.readonly"),
    ("blood_glucose", "health_metrics_and_measurements.readonly"),
    ("cardio_fitness", "activity_and_fitness.readonly"),
    ("electrocardiogram", "ecg.readonly"),
    ("heartrate", "health_metrics_and_measurements.readonly"),
    ("irregular_rhythm_notifications", "irn.readonly"),
    ("location", "location.readonly"),
    ("nutrition", "nutrition.readonly"),
    (
        "oxygen_saturation",
        "health_metrics_and_measurements.readonly",
    ),
    ("profile", "profile.readonly"),
    (
        "respiratory_rate",
        "health_metrics_and_measurements.readonly",
    ),
    ("settings", "settings.readonly"),
    ("sleep", "sleep.readonly"),
    ("temperature", "health_metrics_and_measurements.readonly"),
    ("weight", "health_metrics_and_measurements.readonly"),
];

/// The Google Health scopes for a legacy account's scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeMapping {
    /// Full Google scope URLs, each once, in the order of the legacy scopes.
    pub google: Vec<String>,
    /// Legacy scopes with no Google Health equivalent (their data is not in the new API).
    pub unmapped: Vec<String>,
}

/// Maps legacy Fitbit scopes (as granted) to Google Health scopes.
pub fn google_scopes_for(legacy: &[String]) -> ScopeMapping {
    let mut google = Vec::new();
    let mut unmapped = Vec::new();
    for scope in legacy {
        let scope = scope.trim();
        if scope.is_empty() {
            continue;
        }
        match LEGACY_TO_GOOGLE.iter().find(|(l, _)| *l == scope) {
            Some((_, suffix)) => {
                let full = format!("{GH}{suffix}");
                if !google.contains(&full) {
                    google.push(full);
                }
            }
            None => {
                if !unmapped.iter().any(|u| u == scope) {
                    unmapped.push(scope.to_owned());
                }
            }
        }
    }
    ScopeMapping { google, unmapped }
}

/// Whether the Google account that signed in is the legacy account's Fitbit account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum SameAccount {
    /// Google's identity says `legacyUserId` = the legacy account's Fitbit user id.
    Confirmed { fitbit_user_id: String },
    /// Google's identity names another Fitbit account.
    Different { expected: String, found: String },
    /// It cannot be told: the legacy account never learnt its user id, or Google's identity
    /// carries no `legacyUserId` (a Google account never linked to a Fitbit account).
    Unknown { expected: Option<String> },
}

impl SameAccount {
    /// Compares the legacy account's user id with Google's `legacyUserId`. Fitbit's encoded ids
    /// are upper-case letters and digits; they are compared without regard to case.
    pub fn check(legacy_user_id: Option<&str>, legacy_user_id_at_google: Option<&str>) -> Self {
        let expected = legacy_user_id.map(str::trim).filter(|s| !s.is_empty());
        let found = legacy_user_id_at_google
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match (expected, found) {
            (Some(e), Some(f)) if e.eq_ignore_ascii_case(f) => SameAccount::Confirmed {
                fitbit_user_id: e.to_owned(),
            },
            (Some(e), Some(f)) => SameAccount::Different {
                expected: e.to_owned(),
                found: f.to_owned(),
            },
            (e, _) => SameAccount::Unknown {
                expected: e.map(str::to_owned),
            },
        }
    }

    pub fn confirmed(&self) -> bool {
        matches!(self, SameAccount::Confirmed { .. })
    }

    /// One or two sentences for people.
    pub fn sentence(&self, legacy_account: &str) -> String {
        match self {
            SameAccount::Confirmed { fitbit_user_id } => format!(
                "This is the same Fitbit account (Fitbit user {fitbit_user_id}): \
                 \"{legacy_account}\" now uses Google."
            ),
            SameAccount::Different { expected, found } => format!(
                "This Google account belongs to another Fitbit account (Fitbit user {found}, \
                 not {expected}). \"{legacy_account}\" was left as it was; the Google \
                 connection was saved as an account of its own."
            ),
            SameAccount::Unknown { expected: None } => format!(
                "Fitauth never learnt the Fitbit user id of \"{legacy_account}\", so it cannot \
                 tell whether this is the same Fitbit account. \"{legacy_account}\" was left \
                 as it was; the Google connection was saved as an account of its own."
            ),
            SameAccount::Unknown { expected: Some(e) } => format!(
                "Google did not say which Fitbit account this Google account has (it may never \
                 have been linked to one), so it cannot be matched to Fitbit user {e}. \
                 \"{legacy_account}\" was left as it was; the Google connection was saved as an \
                 account of its own."
            ),
        }
    }
}

/// What became of the legacy token after a confirmed move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum LegacyToken {
    /// Fitbit revoked it.
    Revoked,
    /// Fitbit said it was no longer valid.
    AlreadyInvalid,
    /// There was no token left to revoke (the account was revoked or its tokens were gone).
    NoneStored,
    /// The legacy service answers `410 Gone`: it is turned off, and so is the token.
    ServiceRetired,
    /// Revoking failed for another reason; the token was removed from this computer anyway.
    NotRevoked { reason: String },
    /// Not touched: the move was not confirmed, so the legacy account stays as it was.
    Kept,
}

impl LegacyToken {
    /// One sentence for people.
    pub fn sentence(&self) -> String {
        match self {
            LegacyToken::Revoked => "The old Fitbit token was revoked.".into(),
            LegacyToken::AlreadyInvalid | LegacyToken::NoneStored => {
                "The old Fitbit token was no longer valid; nothing was left to revoke.".into()
            }
            LegacyToken::ServiceRetired => "The old Fitbit service no longer answers (it was \
                                            turned off), so the old token could not be revoked \
                                            and no longer works anyway."
                .into(),
            LegacyToken::NotRevoked { reason } => format!(
                "The old Fitbit token could not be revoked ({reason}); it was removed from this \
                 computer, and stops working when Fitbit's service is turned off."
            ),
            LegacyToken::Kept => "The old Fitbit account and its token were not touched.".into(),
        }
    }
}

/// What a person sees before moving: what happened, what to do, what stays the same.
pub const WHAT_HAPPENED: &str = "Fitbit turned off its old sign-in and data service on \
                                 2 November 2026; Fitbit accounts now connect through Google.";
pub const WHAT_TO_DO: &str = "Sign in once with the Google account your Fitbit uses and allow \
                              the same data. Old Fitbit tokens cannot be carried over.";
pub const WHAT_STAYS: &str = "The account keeps its name, so scripts that run \
                              `fitauth token --account NAME` keep working and get the Google \
                              token from then on.";

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn legacy_scopes_map_to_read_scopes_once_and_social_is_named() {
        let m = google_scopes_for(&strings(&[
            "activity",
            "heartrate",
            "weight",
            "sleep",
            "social",
            "cardio_fitness",
            " ",
        ]));
        assert_eq!(
            m.google,
            [
                format!("{GH}activity_and_fitness.readonly"),
                format!("{GH}health_metrics_and_measurements.readonly"),
                format!("{GH}sleep.readonly"),
            ]
        );
        assert_eq!(m.unmapped, ["social"]);
        assert_eq!(google_scopes_for(&[]).google, Vec::<String>::new());
    }

    #[test]
    fn every_fitbit_scope_of_the_catalog_is_mapped_but_social() {
        use crate::provider::ProviderKind;
        use crate::scopes;
        for info in scopes::for_provider(ProviderKind::Fitbit) {
            let m = google_scopes_for(&[info.scope.to_owned()]);
            if info.scope == "social" {
                assert_eq!(m.unmapped, ["social"]);
            } else {
                assert_eq!(m.google.len(), 1, "{}", info.scope);
                assert!(scopes::lookup(&m.google[0]).is_some(), "{}", m.google[0]);
            }
        }
    }

    #[test]
    fn the_same_account_is_told_by_the_fitbit_user_id() {
        assert!(SameAccount::check(Some("SBX123"), Some("sbx123")).confirmed());
        assert_eq!(
            SameAccount::check(Some("SBX123"), Some("SBX456")),
            SameAccount::Different {
                expected: "SBX123".into(),
                found: "SBX456".into()
            }
        );
        assert_eq!(
            SameAccount::check(None, Some("SBX456")),
            SameAccount::Unknown { expected: None }
        );
        assert_eq!(
            SameAccount::check(Some("SBX123"), Some("  ")),
            SameAccount::Unknown {
                expected: Some("SBX123".into())
            }
        );
        let s = SameAccount::check(Some("SBX123"), Some("SBX456")).sentence("me");
        assert!(
            s.contains("another Fitbit account") && s.contains("SBX456"),
            "{s}"
        );
    }
}
