//! The scope catalog: what each Fitbit and Google Health scope lets an app see, in one plain
//! sentence, plus the two odd formats scopes come back in (Fitbit's JWT short codes such as
//! `wact`, and introspect's `{ACTIVITY=READ_WRITE, SLEEP=READ}`).

use serde::{Deserialize, Serialize};

use crate::provider::ProviderKind;

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScopeInfo {
    pub provider: ProviderKind,
    /// The exact string sent in `scope=`.
    pub scope: &'static str,
    /// A short name for a checkbox label.
    pub label: &'static str,
    /// One plain sentence: what sharing this lets the app see or do.
    pub description: &'static str,
    /// It lets the app add or change data (Google's `*.writeonly`). Fitauth only reads, so
    /// these are offered apart and never ticked for the person.
    pub writes: bool,
}

/// Whether a Google Health scope grants writing (`….writeonly`), at compile time.
const fn is_write_scope(scope: &str) -> bool {
    let (s, suffix) = (scope.as_bytes(), b".writeonly");
    if s.len() < suffix.len() {
        return false;
    }
    let mut i = 0;
    while i < suffix.len() {
        if s[s.len() - suffix.len() + i] != suffix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const GH: &str = "https://www.googleapis.com/auth/googlehealth.";

macro_rules! fitbit {
    ($scope:literal, $label:literal, $desc:literal) => {
        ScopeInfo {
            provider: ProviderKind::Fitbit,
            scope: $scope,
            label: $label,
            description: $desc,
            writes: false,
        }
    };
}
macro_rules! google {
    ($suffix:literal, $label:literal, $desc:literal) => {
        ScopeInfo {
            provider: ProviderKind::GoogleHealth,
            scope: concat!("https://www.googleapis.com/auth/googlehealth.", $suffix),
            label: $label,
            description: $desc,
            writes: is_write_scope($suffix),
        }
    };
}

/// Every known scope. Sources: Fitbit's Swagger `securityDefinitions` and Google's Health API
/// scopes page (<https://dev.fitbit.com/build/reference/web-api/developer-guide/application-design/#Scopes>,
/// <https://developers.google.com/health/scopes>).
pub const CATALOG: &[ScopeInfo] = &[
    fitbit!(
        "activity",
        "Activity",
        "Steps, distance, calories, active minutes, exercise logs and goals."
    ),
    fitbit!(
        "cardio_fitness",
        "Cardio fitness",
        "Your cardio fitness score (VO2 max)."
    ),
    fitbit!(
        "electrocardiogram",
        "ECG",
        "ECG readings taken on your device."
    ),
    fitbit!(
        "heartrate",
        "Heart rate",
        "Continuous heart rate and heart-rate variability."
    ),
    fitbit!(
        "irregular_rhythm_notifications",
        "Irregular rhythm",
        "Irregular heart rhythm notifications."
    ),
    fitbit!(
        "location",
        "Location",
        "GPS routes of your exercises, and your city and country."
    ),
    fitbit!(
        "nutrition",
        "Nutrition",
        "Food and water logs, and nutrition goals."
    ),
    fitbit!(
        "oxygen_saturation",
        "Blood oxygen",
        "Blood oxygen saturation (SpO2)."
    ),
    fitbit!(
        "profile",
        "Profile",
        "Your name, picture, age and other basic profile details."
    ),
    fitbit!(
        "respiratory_rate",
        "Breathing rate",
        "Your breathing rate during sleep."
    ),
    fitbit!(
        "settings",
        "Settings",
        "Your devices, alarms and account settings."
    ),
    fitbit!("sleep", "Sleep", "Sleep logs, stages and sleep goals."),
    fitbit!("social", "Friends", "Your friends and the leaderboard."),
    fitbit!(
        "temperature",
        "Temperature",
        "Skin and core temperature readings."
    ),
    fitbit!(
        "weight",
        "Weight",
        "Weight, body fat, BMI and weight goals."
    ),
    google!(
        "activity_and_fitness.readonly",
        "Activity & fitness",
        "See your activity and fitness data, such as steps and exercise."
    ),
    google!(
        "activity_and_fitness.writeonly",
        "Add activity & fitness",
        "Add activity and fitness data, and change or delete what this app added."
    ),
    google!("ecg.readonly", "ECG", "See your ECG readings."),
    google!(
        "health_metrics_and_measurements.readonly",
        "Health metrics",
        "See health metrics such as heart rate, blood oxygen, temperature and weight."
    ),
    google!(
        "health_metrics_and_measurements.writeonly",
        "Add health metrics",
        "Add health metrics and measurements, and change or delete what this app added."
    ),
    google!(
        "irn.readonly",
        "Irregular rhythm",
        "See irregular heart rhythm notifications."
    ),
    google!(
        "location.readonly",
        "Exercise location",
        "See GPS locations recorded during exercise."
    ),
    google!(
        "nutrition.readonly",
        "Nutrition",
        "See your nutrition data."
    ),
    google!(
        "nutrition.writeonly",
        "Add nutrition",
        "Add nutrition data, and change or delete what this app added."
    ),
    google!(
        "profile.readonly",
        "Profile",
        "See your Google Health profile, such as age and membership date."
    ),
    google!(
        "profile.writeonly",
        "Edit profile",
        "Add profile data, and change or delete what this app added."
    ),
    google!(
        "settings.readonly",
        "Settings",
        "See your Google Health settings, such as units and time zone."
    ),
    google!(
        "settings.writeonly",
        "Edit settings",
        "Change your Google Health settings."
    ),
    google!("sleep.readonly", "Sleep", "See your sleep data."),
    google!(
        "sleep.writeonly",
        "Add sleep",
        "Add sleep data, and change or delete what this app added."
    ),
];

/// The catalog entries of one provider.
pub fn for_provider(kind: ProviderKind) -> impl Iterator<Item = &'static ScopeInfo> {
    CATALOG.iter().filter(move |s| s.provider == kind)
}

/// The identity scopes Fitauth asks Google for by itself, beside the Health scopes a person
/// picks (so they are not in [`CATALOG`], which the Connect view offers).
pub const IDENTITY: &[ScopeInfo] = &[
    ScopeInfo {
        provider: ProviderKind::GoogleHealth,
        scope: "openid",
        label: "Google sign-in",
        description: "Which Google account signed in (so Fitauth can tell accounts apart).",
        writes: false,
    },
    ScopeInfo {
        provider: ProviderKind::GoogleHealth,
        scope: "email",
        label: "Email address",
        description: "Your Google account's email address, to label the account.",
        writes: false,
    },
];

/// The entry for a scope string, if it is known.
pub fn lookup(scope: &str) -> Option<&'static ScopeInfo> {
    CATALOG.iter().chain(IDENTITY).find(|s| s.scope == scope)
}

/// A plain description of any scope, known or not (unknown Google Health scopes keep their suffix
/// readable; anything else is shown verbatim).
pub fn describe(scope: &str) -> String {
    if let Some(info) = lookup(scope) {
        return info.description.to_owned();
    }
    if let Some(suffix) = scope.strip_prefix(GH) {
        return format!("Google Health: {}", suffix.replace(['_', '.'], " "));
    }
    format!("Unknown scope \"{scope}\".")
}

/// Fitbit's JWT scope suffixes. Only the first nine are confirmed by a real token; the rest follow
/// the same pattern. The evidence is the sample token of Fitbit's 2015 OAuth 2.0 documentation
/// (`"scopes":"wpro wloc wnut wsle wset whr wwei wact wsoc"`, decoded in `jwt.rs`'s tests).
pub const FITBIT_SHORT_CODES: &[(&str, &str)] = &[
    ("act", "activity"),
    ("hr", "heartrate"),
    ("loc", "location"),
    ("nut", "nutrition"),
    ("pro", "profile"),
    ("set", "settings"),
    ("sle", "sleep"),
    ("soc", "social"),
    ("wei", "weight"),
    ("oxy", "oxygen_saturation"),
    ("res", "respiratory_rate"),
    ("tem", "temperature"),
    ("cf", "cardio_fitness"),
    ("ecg", "electrocardiogram"),
    ("irn", "irregular_rhythm_notifications"),
];

/// Fitbit's JWT `scopes` claim uses short codes (`wact`, `rsle`): a permission letter (`w`
/// read-write, `r` read) and a suffix. Returns the scope name and the permission.
pub fn fitbit_short_code(code: &str) -> Option<(&'static str, &'static str)> {
    let (permission, suffix) = match code.as_bytes().first()? {
        b'w' => ("READ_WRITE", &code[1..]),
        b'r' => ("READ", &code[1..]),
        _ => return None,
    };
    FITBIT_SHORT_CODES
        .iter()
        .find(|(c, _)| *c == suffix)
        .map(|(_, name)| (*name, permission))
}

/// A scope with the permission a token carries for it, when the provider says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeGrant {
    pub scope: String,
    /// `READ` or `READ_WRITE` (Fitbit introspect and JWT); `None` elsewhere.
    pub permission: Option<String>,
}

/// Parses the scope field of Fitbit's introspect answer: `{ACTIVITY=READ_WRITE, SLEEP=READ}`
/// (separator unconfirmed, so commas and spaces both work), or a plain space-delimited list.
pub fn parse_introspect_scopes(raw: &str) -> Vec<ScopeGrant> {
    let trimmed = raw.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(trimmed);
    inner
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((name, perm)) => ScopeGrant {
                scope: name.trim().to_ascii_lowercase(),
                permission: Some(perm.trim().to_ascii_uppercase()).filter(|p| !p.is_empty()),
            },
            None => ScopeGrant {
                scope: entry.to_owned(),
                permission: None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_google_write_scopes_are_marked_as_writing() {
        let writes: Vec<&str> = CATALOG
            .iter()
            .filter(|s| s.writes)
            .map(|s| s.scope)
            .collect();
        assert!(!writes.is_empty());
        assert!(
            writes.iter().all(|s| s.ends_with(".writeonly")),
            "{writes:?}"
        );
        assert!(CATALOG
            .iter()
            .filter(|s| s.scope.ends_with(".writeonly"))
            .all(|s| s.writes));
        assert!(for_provider(ProviderKind::Fitbit).all(|s| !s.writes));
    }

    #[test]
    fn every_fitbit_scope_has_a_description_and_a_short_code() {
        let fitbit: Vec<_> = for_provider(ProviderKind::Fitbit).collect();
        assert_eq!(fitbit.len(), 15);
        for info in fitbit {
            assert!(!info.description.is_empty());
            let code = FITBIT_SHORT_CODES
                .iter()
                .find(|(_, s)| *s == info.scope)
                .map(|(c, _)| *c)
                .unwrap_or_else(|| panic!("no short code for {}", info.scope));
            assert_eq!(
                fitbit_short_code(&format!("w{code}")),
                Some((info.scope, "READ_WRITE"))
            );
        }
    }

    #[test]
    fn short_codes_decode_with_permission() {
        assert_eq!(fitbit_short_code("rsle"), Some(("sleep", "READ")));
        assert_eq!(fitbit_short_code("whr"), Some(("heartrate", "READ_WRITE")));
        assert_eq!(fitbit_short_code("xact"), None);
        assert_eq!(fitbit_short_code(""), None);
        assert_eq!(fitbit_short_code("w"), None);
    }

    #[test]
    fn introspect_scope_string_is_parsed_defensively() {
        let grants =
            parse_introspect_scopes("{ACTIVITY=READ_WRITE, SLEEP=READ,HEARTRATE=READ_WRITE}");
        let names: Vec<_> = grants.iter().map(|g| g.scope.as_str()).collect();
        assert_eq!(names, ["activity", "sleep", "heartrate"]);
        assert_eq!(grants[1].permission.as_deref(), Some("READ"));
        assert_eq!(parse_introspect_scopes("{}"), vec![]);
        assert_eq!(parse_introspect_scopes("activity sleep").len(), 2);
    }

    #[test]
    fn google_scopes_and_unknown_ones_are_described() {
        assert_eq!(for_provider(ProviderKind::GoogleHealth).count(), 15);
        assert!(describe(&format!("{GH}sleep.readonly")).contains("sleep"));
        assert_eq!(
            describe(&format!("{GH}mindfulness.readonly")),
            "Google Health: mindfulness readonly"
        );
        assert!(describe("mystery").contains("Unknown"));
    }
}
