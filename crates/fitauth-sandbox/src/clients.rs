//! The sandbox's registered world: demo apps, demo users, and the scopes each provider knows.

/// Which provider an app or token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Fitbit,
    Google,
}

/// Fitbit application types; Google desktop clients are `Desktop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    Server,
    Client,
    Personal,
    Desktop,
}

#[derive(Debug)]
pub struct App {
    pub dialect: Dialect,
    pub client_id: &'static str,
    pub name: &'static str,
    pub kind: AppKind,
    pub secret: Option<&'static str>,
}

pub const APPS: &[App] = &[
    App {
        dialect: Dialect::Fitbit,
        client_id: "sandbox-client",
        name: "Sandbox Client App",
        kind: AppKind::Client,
        secret: None,
    },
    App {
        dialect: Dialect::Fitbit,
        client_id: "sandbox-server",
        name: "Sandbox Server App",
        kind: AppKind::Server,
        secret: Some("sandbox-secret"),
    },
    App {
        dialect: Dialect::Fitbit,
        client_id: "sandbox-personal",
        name: "Sandbox Personal App",
        kind: AppKind::Personal,
        secret: Some("sandbox-personal-secret"),
    },
    App {
        dialect: Dialect::Google,
        client_id: "sandbox-google",
        name: "Sandbox Desktop Client",
        kind: AppKind::Desktop,
        secret: Some("sandbox-google-secret"),
    },
];

pub fn app(dialect: Dialect, client_id: &str) -> Option<&'static App> {
    APPS.iter()
        .find(|a| a.dialect == dialect && a.client_id == client_id)
}

#[derive(Debug)]
pub struct User {
    pub fitbit_id: &'static str,
    pub health_id: &'static str,
    pub display_name: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    /// The Google account's address: the `email` claim of ID tokens and tokeninfo.
    pub email: &'static str,
    /// The Google account's stable subject id: the `sub` claim of ID tokens (not the Health id).
    pub google_sub: &'static str,
}

/// The first user owns the personal app.
pub const USERS: &[User] = &[
    User {
        fitbit_id: "SBX123",
        health_id: "sandbox-user-0001",
        display_name: "Sam Sandbox",
        first_name: "Sam",
        last_name: "Sandbox",
        email: "sam.sandbox@example.com",
        google_sub: "100000000000000000001",
    },
    User {
        fitbit_id: "SBX456",
        health_id: "sandbox-user-0002",
        display_name: "Riley Visitor",
        first_name: "Riley",
        last_name: "Visitor",
        email: "riley.visitor@example.com",
        google_sub: "100000000000000000002",
    },
];

pub const OWNER: &str = "SBX123";

pub fn user(fitbit_id: &str) -> Option<&'static User> {
    USERS.iter().find(|u| u.fitbit_id == fitbit_id)
}

/// Fitbit scopes with their consent-page label and JWT short code.
pub const FITBIT_SCOPES: &[(&str, &str, &str)] = &[
    ("activity", "Activity and exercise", "act"),
    ("cardio_fitness", "Cardio fitness score", "cf"),
    ("electrocardiogram", "ECG readings", "ecg"),
    ("heartrate", "Heart rate", "hr"),
    (
        "irregular_rhythm_notifications",
        "Irregular rhythm notifications",
        "irn",
    ),
    ("location", "Location and GPS", "loc"),
    ("nutrition", "Food and water logs", "nut"),
    ("oxygen_saturation", "Blood oxygen (SpO2)", "oxy"),
    ("profile", "Profile", "pro"),
    ("respiratory_rate", "Breathing rate", "res"),
    ("settings", "Devices and settings", "set"),
    ("sleep", "Sleep", "sle"),
    ("social", "Friends", "soc"),
    ("temperature", "Temperature", "tem"),
    ("weight", "Weight and body fat", "wei"),
];

const GH: &str = "https://www.googleapis.com/auth/googlehealth.";
const GOOGLE_SUFFIXES: &[(&str, &str)] = &[
    (
        "activity_and_fitness.readonly",
        "See your activity and fitness data",
    ),
    (
        "activity_and_fitness.writeonly",
        "Add activity and fitness data",
    ),
    ("ecg.readonly", "See your ECG data"),
    (
        "health_metrics_and_measurements.readonly",
        "See your health metrics and measurements",
    ),
    (
        "health_metrics_and_measurements.writeonly",
        "Add health metrics and measurements",
    ),
    ("irn.readonly", "See irregular rhythm notifications"),
    (
        "location.readonly",
        "See GPS locations recorded during exercise",
    ),
    ("nutrition.readonly", "See your nutrition data"),
    ("nutrition.writeonly", "Add nutrition data"),
    ("profile.readonly", "See your Google Health profile"),
    ("profile.writeonly", "Add profile data"),
    ("settings.readonly", "See your Google Health settings"),
    ("settings.writeonly", "Change your Google Health settings"),
    ("sleep.readonly", "See your sleep data"),
    ("sleep.writeonly", "Add sleep data"),
];

/// The consent-page label of a scope, if the provider knows it.
pub fn scope_label(dialect: Dialect, scope: &str) -> Option<String> {
    match dialect {
        Dialect::Fitbit => FITBIT_SCOPES
            .iter()
            .find(|(s, _, _)| *s == scope)
            .map(|(_, l, _)| (*l).to_owned()),
        Dialect::Google => match scope {
            "openid" => Some("Sign you in with Google".into()),
            "email" => Some("See your email address".into()),
            "profile" => Some("See your name and picture".into()),
            _ => scope
                .strip_prefix(GH)
                .and_then(|suffix| GOOGLE_SUFFIXES.iter().find(|(s, _)| *s == suffix))
                .map(|(_, l)| (*l).to_owned()),
        },
    }
}

pub fn fitbit_short_code(scope: &str) -> Option<&'static str> {
    FITBIT_SCOPES
        .iter()
        .find(|(s, _, _)| *s == scope)
        .map(|(_, _, c)| *c)
}

/// Redirect URIs the sandbox accepts: `fitauth://callback` (Fitbit apps only) and any loopback
/// `http://127.0.0.1|[::1]|localhost:<port>/…`.
pub fn redirect_allowed(dialect: Dialect, redirect_uri: &str) -> bool {
    if redirect_uri == "fitauth://callback" {
        return dialect == Dialect::Fitbit;
    }
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return false;
    };
    if url.scheme() != "http" || url.port().is_none() || url.fragment().is_some() {
        return false;
    }
    matches!(
        url.host_str(),
        Some("127.0.0.1") | Some("[::1]") | Some("localhost")
    )
}
