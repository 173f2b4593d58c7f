//! The app's log file, in its data directory: one line per step of a sign-in or token operation
//! (link received, state checked, exchange, refresh, introspect, revoke). Secrets are never
//! logged: the core keeps them in redacting newtypes, and this crate logs names and kinds only.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fitauth_core::store::file::{open_private_append, private_dir};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub const FILE_NAME: &str = "fitauth-desktop.log";

/// Sends `tracing` to `<dir>/fitauth-desktop.log` (and stderr). `FITAUTH_LOG` sets the filter.
/// Returns the file's path, or `None` when it could not be opened (the app runs on regardless).
pub fn init(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(FILE_NAME);
    // Private, like Fitauth's data directory: names and steps, never a secret, but nobody else's.
    let file = private_dir(dir).and_then(|_| open_private_append(&path));
    // FITAUTH_LOG=debug is for Fitauth's own crates; the libraries stay at warn unless named.
    let filter = std::env::var("FITAUTH_LOG")
        .ok()
        .and_then(|v| {
            fitauth_core::logging::directives(&v)
                .parse::<Targets>()
                .ok()
        })
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(tracing::Level::WARN)
                .with_target("fitauth_desktop", tracing::Level::INFO)
                .with_target("fitauth_core", tracing::Level::INFO)
        });
    let registry = tracing_subscriber::registry().with(filter);
    match file {
        Ok(file) => {
            let writer = Mutex::new(file).and(std::io::stderr);
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer);
            let _ = registry.with(layer).try_init();
            Some(path)
        }
        Err(e) => {
            let _ = registry.with(tracing_subscriber::fmt::layer()).try_init();
            tracing::warn!(error = %e, "could not open the log file {}", path.display());
            None
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The log is the person's own: a directory and a file left readable by an older version are
    /// made private, its lines are kept, and a link planted in its place is not followed.
    #[test]
    fn the_log_is_private_even_when_it_was_not() {
        let dir = std::env::temp_dir().join(format!("fitauth-logfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, "an earlier line\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();

        assert_eq!(init(&dir).as_deref(), Some(path.as_path()));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        tracing::warn!("a line from the test");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("an earlier line\n"), "{text}");
        assert!(text.contains("a line from the test"), "{text}");

        // A symlink where the log should be: opening it fails rather than writing through it.
        let elsewhere = dir.join("elsewhere");
        std::fs::write(&elsewhere, "").unwrap();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert!(open_private_append(&path).is_err());
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
