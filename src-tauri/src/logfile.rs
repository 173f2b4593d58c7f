//! The app's log file, in its data directory: one line per step of a sign-in or token operation
//! (link received, state checked, exchange, refresh, introspect, revoke). Secrets are never
//! logged: the core keeps them in redacting newtypes, and this crate logs names and kinds only.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fitauth_core::store::file::{open_private_append, private_dir};
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::EnvFilter;

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
        .and_then(|v| EnvFilter::try_new(fitauth_core::logging::directives(&v)).ok())
        .unwrap_or_else(|| {
            EnvFilter::new("warn,fitauth_desktop=info,fitauth_core=info,fitauth_sandbox=warn")
        });
    match file {
        Ok(file) => {
            let writer = Mutex::new(file).and(std::io::stderr);
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(writer)
                .try_init();
            Some(path)
        }
        Err(e) => {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
            tracing::warn!(error = %e, "could not open the log file {}", path.display());
            None
        }
    }
}
