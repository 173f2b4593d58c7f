//! The window shows Fitauth's own bundled page and nothing else: every navigation to another
//! origin is refused in Rust (Tauri's `on_navigation` hook,
//! <https://docs.rs/tauri/latest/tauri/plugin/struct.Builder.html#method.on_navigation>), so no
//! remote page ever runs with access to Fitauth's commands. Consent pages open in the system
//! browser instead (the core's `browser`).

use tauri::plugin::TauriPlugin;
use tauri::Runtime;
use url::Url;

/// The plugin that refuses navigation away from the app's own page.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_own_page(url, cfg!(debug_assertions));
            if !allowed {
                // The origin only: a query could carry a code or a token.
                tracing::warn!(
                    origin = %url.origin().ascii_serialization(),
                    "refused to load a page that is not Fitauth's own"
                );
            }
            allowed
        })
        .build()
}

/// The bundled UI's origins (`tauri://localhost` on Linux and macOS, `http(s)://tauri.localhost`
/// on Windows: <https://v2.tauri.app/security/csp/>), plus the Vite dev server in debug builds.
pub fn is_own_page(url: &Url, dev: bool) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => !cfg!(windows),
        // Windows serves the bundle from this origin, on the default port only.
        ("http" | "https", Some("tauri.localhost")) => cfg!(windows) && url.port().is_none(),
        ("http", Some("localhost")) => dev && url.port() == Some(5173),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(url: &str, dev: bool) -> bool {
        is_own_page(&Url::parse(url).unwrap(), dev)
    }

    #[test]
    fn only_the_bundled_page_is_loaded() {
        let windows = cfg!(windows);
        assert_eq!(own("tauri://localhost/index.html", false), !windows);
        assert_eq!(own("http://tauri.localhost/", false), windows);
        assert_eq!(own("https://tauri.localhost/#/inspect", false), windows);
        assert!(
            !own("http://tauri.localhost:8080/", false),
            "a page on loopback is not ours"
        );
        assert!(!own("https://www.fitbit.com/oauth2/authorize?x=1", false));
        assert!(!own("http://127.0.0.1:5000/callback?code=c", false));
        assert!(!own("tauri://evil.example/", false));
        assert!(!own("http://tauri.localhost.evil.example/", false));
        assert!(!own("file:///etc/passwd", false));
        assert!(
            !own("http://localhost:5173/", false),
            "no dev server in a release"
        );
        assert!(own("http://localhost:5173/", true));
    }
}
