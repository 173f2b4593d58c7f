//! What people download and install: the executable, the `.deb`, and what the `.deb` puts on
//! disk (its files, unpacked with `dpkg-deb -x`, summed).

use std::path::Path;
use std::process::Command;

pub fn file_bytes(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Bytes of every regular file the package installs.
pub fn installed_bytes(deb: &Path, scratch: &Path) -> Result<u64, String> {
    let into = scratch.join(format!(
        "unpacked-{}",
        deb.file_stem().and_then(|s| s.to_str()).unwrap_or("deb")
    ));
    let _ = std::fs::remove_dir_all(&into);
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(&into)
        .status()
        .map_err(|e| format!("dpkg-deb: {e}"))?;
    if !status.success() {
        return Err(format!("dpkg-deb -x {} failed", deb.display()));
    }
    let total = tree_bytes(&into).map_err(|e| format!("{}: {e}", into.display()))?;
    let _ = std::fs::remove_dir_all(&into);
    Ok(total)
}

fn tree_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += tree_bytes(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}
