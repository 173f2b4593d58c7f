//! The `fitauth login` the tests use most: the sandbox's public Fitbit client over loopback,
//! sharing activity, profile and sleep. Shared by the CLI tests and the desktop kill trials.

/// The arguments of that login, saving the account as `account`.
pub fn fitbit_public_client(account: &str) -> [&str; 9] {
    [
        "login",
        "--provider",
        "fitbit",
        "--client-id",
        "sandbox-client",
        "--scopes",
        "activity profile sleep",
        "--account",
        account,
    ]
}
