//! Temporary files a killed run left behind.
//!
//! [`super::AtomicFile`] writes `.NAME.PID.tmp` beside its final path and renames it into place;
//! a run stopped by `kill -9` (or a power cut) never renames or removes it. The next run that
//! writes into the same folder removes those whose process is gone, by that name pattern only:
//! a file of another program, or of a muxkit still running, is never touched (its PID is alive
//! here, or, for a writer in another PID namespace, it holds an advisory lock on the file).

use std::path::{Path, PathBuf};

/// The process id in `.NAME.PID.tmp`, when `file_name` has that shape (and `NAME` is `name`,
/// when given).
fn temp_owner(file_name: &str, name: Option<&str>) -> Option<u32> {
    let inner = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (stem, pid) = inner.rsplit_once('.')?;
    if name.is_some_and(|n| n != stem) || stem.is_empty() {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` may still be running. Without `/proc` (not Linux) every process
/// counts as alive, so nothing is removed on a guess.
fn may_be_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Marks a temporary file as in use for as long as `file` is open: an advisory lock, which a
/// writer in another PID namespace (a container sharing the volume) holds as well, where its
/// PID means nothing here.
pub(crate) fn hold(file: &std::fs::File) {
    #[cfg(target_os = "linux")]
    let _ = rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive);
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Whether a temporary file's writer still holds it (see [`hold`]).
fn held(path: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(f) = std::fs::File::open(path) else {
            return false;
        };
        rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        false
    }
}

/// Removes, in `dir`, the `.NAME.PID.tmp` files (and folders) of processes that no longer run (only those of
/// `name` when given); returns what it removed. Errors reading the folder or removing a file
/// are ignored: a leftover is untidy, not a reason to fail the run that noticed it.
pub fn remove_stale_temporaries(dir: &Path, name: Option<&str>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| temp_owner(n, name)) else {
            continue;
        };
        if pid == me || may_be_alive(pid) {
            continue;
        }
        let path = entry.path();
        // Files of AtomicFile, folders of batch's HLS outputs (renamed into place whole).
        let gone = match entry.file_type() {
            Ok(t) if t.is_file() && held(&path) => false,
            Ok(t) if t.is_file() => std::fs::remove_file(&path).is_ok(),
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path).is_ok(),
            _ => false,
        };
        if gone {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pattern_is_recognised() {
        assert_eq!(temp_owner(".out.ts.1234.tmp", None), Some(1234));
        assert_eq!(temp_owner(".out.ts.1234.tmp", Some("out.ts")), Some(1234));
        assert_eq!(temp_owner(".out.ts.1234.tmp", Some("other.ts")), None);
        assert_eq!(temp_owner("out.ts.1234.tmp", None), None);
        assert_eq!(temp_owner(".out.ts.12a4.tmp", None), None);
        assert_eq!(temp_owner("..tmp", None), None);
        assert_eq!(temp_owner("..1.tmp", None), None);
        assert_eq!(temp_owner(".x.tmp", None), None);
    }

    #[test]
    fn removes_dead_owners_only() {
        let dir = std::env::temp_dir().join(format!("muxkit-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A pid far above any pid_max: no such process.
        let dead = dir.join(".a.ts.4999999.tmp");
        let mine = dir.join(format!(".a.ts.{}.tmp", std::process::id()));
        let other = dir.join(".b.ts.4999999.tmp");
        let unrelated = dir.join("a.ts");
        for p in [&dead, &mine, &other, &unrelated] {
            std::fs::write(p, b"x").unwrap();
        }
        let removed = remove_stale_temporaries(&dir, Some("a.ts"));
        assert_eq!(removed, vec![dead.clone()]);
        assert!(mine.exists() && other.exists() && unrelated.exists());
        let removed = remove_stale_temporaries(&dir, None);
        assert_eq!(removed, vec![other.clone()]);
        // A dead PID, but the file is held (a writer in another PID namespace): kept.
        let held_elsewhere = dir.join(".c.ts.4999999.tmp");
        let f = std::fs::File::create(&held_elsewhere).unwrap();
        hold(&f);
        assert!(remove_stale_temporaries(&dir, None).is_empty());
        assert!(held_elsewhere.exists());
        drop(f);
        assert_eq!(remove_stale_temporaries(&dir, None), vec![held_elsewhere]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
