//! Replacing the files of an output folder only once a whole new output is ready.
//!
//! `convert -y` into an HLS or DASH folder that already holds an output must not leave a mix:
//! written in place, each new segment would replace an old one of the same name while the old
//! playlist still lists it, and a run that fails half way would leave the old playlist naming
//! segments it had already replaced or removed. Instead the new output is written into a hidden
//! staging folder beside it (same filesystem, so moving is a rename), and only when it is
//! complete are its files renamed into the folder: media first, playlists and manifests last,
//! so a reader that follows the new playlist finds every file it names. A failed or interrupted
//! run removes the staging folder and leaves the old output as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A hidden folder where a replacement output is written; removed on drop unless published.
#[derive(Debug)]
pub struct StagedDir {
    staging: PathBuf,
    target: PathBuf,
    published: bool,
}

impl StagedDir {
    /// A new, empty staging folder for `target` (a folder that exists), named `.NAME.PID.tmp`
    /// beside it: the name of muxkit's temporary files, so the next run removes one a killed
    /// run left (see `remove_stale_temporaries`).
    pub fn create(target: &Path) -> Result<StagedDir> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let staging = parent.join(format!(".{name}.{}.tmp", std::process::id()));
        let err = |source| Error::File {
            path: target.to_owned(),
            source,
        };
        match fs::remove_dir_all(&staging) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(e)),
            _ => {}
        }
        fs::create_dir(&staging).map_err(err)?;
        Ok(StagedDir {
            staging,
            target: target.to_owned(),
            published: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Renames every file of the staging folder into the target folder, those for which
    /// `last` says yes (playlists, manifests) after all the others, then removes the staging
    /// folder.
    pub fn publish(mut self, last: impl Fn(&str) -> bool) -> Result<()> {
        let err = |path: &Path, source| Error::File {
            path: path.to_owned(),
            source,
        };
        let mut names: Vec<(bool, std::ffi::OsString)> = fs::read_dir(&self.staging)
            .map_err(|e| err(&self.target, e))?
            .map(|e| {
                e.map(|e| {
                    let name = e.file_name();
                    (last(&name.to_string_lossy()), name)
                })
            })
            .collect::<std::io::Result<_>>()
            .map_err(|e| err(&self.target, e))?;
        names.sort();
        for (_, name) in names {
            let to = self.target.join(&name);
            if to.is_dir() {
                return Err(Error::Usage(format!(
                    "{}: a folder where the new output has a file",
                    to.display()
                )));
            }
            fs::rename(self.staging.join(&name), &to).map_err(|e| err(&to, e))?;
        }
        self.published = true;
        fs::remove_dir(&self.staging).map_err(|e| err(&self.staging, e))
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn publishes_media_then_playlists_and_cleans_up() {
        let root = std::env::temp_dir().join(format!("muxkit-staged-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let target = root.join("out");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("index.m3u8"), b"old").unwrap();
        fs::write(target.join("segment_00000.ts"), b"old").unwrap();
        fs::write(target.join("other.txt"), b"kept").unwrap();
        let staged = StagedDir::create(&target).unwrap();
        fs::write(staged.path().join("index.m3u8"), b"new").unwrap();
        fs::write(staged.path().join("segment_00000.ts"), b"new").unwrap();
        let staging = staged.path().to_owned();
        staged.publish(|n| n.ends_with(".m3u8")).unwrap();
        assert!(!staging.exists());
        for f in ["index.m3u8", "segment_00000.ts"] {
            assert_eq!(fs::read(target.join(f)).unwrap(), b"new");
        }
        assert_eq!(fs::read(target.join("other.txt")).unwrap(), b"kept");
        // Dropped without publishing: the old output stays, the staging folder goes.
        let staged = StagedDir::create(&target).unwrap();
        fs::write(staged.path().join("index.m3u8"), b"newer").unwrap();
        let staging = staged.path().to_owned();
        drop(staged);
        assert!(!staging.exists());
        assert_eq!(fs::read(target.join("index.m3u8")).unwrap(), b"new");
        fs::remove_dir_all(&root).unwrap();
    }
}
