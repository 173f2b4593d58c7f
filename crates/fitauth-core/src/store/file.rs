//! The metadata file and the lock files beside it: read (migrating older schemas), written
//! atomically (temp file, fsync, rename, fsync of the directory), and exclusive locks that the
//! desktop app and the `fitauth` command share.
//!
//! The data directory is private: folders `0700`, files `0600` (tightened on existing installs
//! when the store opens), the temp file created exclusively, and no file opened through a symlink
//! (`O_NOFOLLOW`), so a planted link cannot redirect a write. The file holds no secret, but it
//! does hold user ids, names and pending sign-ins.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::model::{Metadata, SCHEMA_VERSION};
use crate::error::Error;

pub(crate) const METADATA_FILE: &str = "fitauth.json";
pub(crate) const LOCK_DIR: &str = "locks";

/// `FITAUTH_HOME`, else `<platform data dir>/fitauth`.
pub fn default_home() -> Result<PathBuf, Error> {
    if let Some(home) = std::env::var_os("FITAUTH_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    dirs::data_dir()
        .map(|d| d.join("fitauth"))
        .ok_or_else(|| Error::Storage {
            reason: "no data directory could be found; set FITAUTH_HOME".into(),
        })
}

pub(crate) fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Storage {
        reason: format!("{what} {} ({e})", path.display()),
    }
}

/// Creates `dir` (and its parents) and makes it private (`0700` on Unix).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Options for a private file (`0600`, never through a symlink).
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Opens `path` for appending (a log), creating it private; an existing one is made private.
pub fn open_private_append(path: &Path) -> std::io::Result<File> {
    let file = private_options().create(true).append(true).open(path)?;
    make_private(&file)?;
    Ok(file)
}

fn make_private(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Makes an existing data directory private (installs from before this was done).
pub(crate) fn tighten(home: &Path) -> std::io::Result<()> {
    private_dir(home)?;
    private_dir(&home.join(LOCK_DIR))?;
    match private_options().read(true).open(home.join(METADATA_FILE)) {
        Ok(file) => make_private(&file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// An exclusive lock file `<home>/locks/<name>.lock`, held until the returned file is dropped.
/// Blocks.
pub(crate) fn lock(home: &Path, name: &str) -> Result<File, Error> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = home.join(LOCK_DIR).join(format!("{safe}.lock"));
    let file = private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io("could not open", &path, e))?;
    file.lock().map_err(|e| io("could not lock", &path, e))?;
    Ok(file)
}

/// Reads the metadata (an empty store when the file does not exist yet). A damaged file, or one
/// from a newer Fitauth, is reported and never overwritten.
pub(crate) fn read(path: &Path) -> Result<Metadata, Error> {
    match fs::read(path) {
        Ok(bytes) => parse_metadata(&bytes, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Metadata::new()),
        Err(e) => Err(io("could not read", path, e)),
    }
}

/// Turns the bytes of the metadata file at `path` (named in errors) into [`Metadata`], migrated
/// to [`SCHEMA_VERSION`]. Public only for the fuzz targets (`fuzz/`); [`read`] is its caller.
#[doc(hidden)]
pub fn parse_metadata(bytes: &[u8], path: &Path) -> Result<Metadata, Error> {
    let mut meta: Metadata = serde_json::from_slice(bytes).map_err(|e| Error::Storage {
        reason: format!(
            "{} is damaged ({e}); move it away to start afresh",
            path.display()
        ),
    })?;
    if meta.schema_version > SCHEMA_VERSION {
        return Err(Error::Storage {
            reason: format!(
                "{} was written by a newer Fitauth (schema {}); update Fitauth",
                path.display(),
                meta.schema_version
            ),
        });
    }
    meta.migrate();
    Ok(meta)
}

/// Writes the metadata atomically: a reader sees the old file or the new one, never half.
pub(crate) fn write(home: &Path, meta: &Metadata) -> Result<(), Error> {
    let path = home.join(METADATA_FILE);
    let tmp = home.join(format!(".{METADATA_FILE}.{}.tmp", std::process::id()));
    let json = serde_json::to_vec_pretty(meta).map_err(|e| Error::Storage {
        reason: e.to_string(),
    })?;
    let write = || -> std::io::Result<()> {
        // A leftover from a crash (or anything planted there) is removed, never followed.
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut file = private_options().write(true).create_new(true).open(&tmp)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        // Make the rename itself durable.
        #[cfg(unix)]
        File::open(home)?.sync_all()?;
        Ok(())
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io("could not write", &path, e)
    })
}
