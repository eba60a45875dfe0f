//! Walking the input folder: regular files, in a fixed order, with their size and mtime.
//!
//! Symbolic links are not followed unless asked (a link to `/` or to a parent would otherwise
//! walk forever or leave the tree); when they are, a folder reached twice is walked once. The
//! output folder is skipped when it sits inside the input folder, so a rerun does not take its
//! own outputs for inputs.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};

/// One regular file found under the input folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkedFile {
    /// Its path (the input folder joined with `rel`).
    pub path: PathBuf,
    /// Its path relative to the input folder, `/`-separated (lossy for non-UTF-8 names).
    pub rel: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when the system has none).
    pub mtime_ns: u64,
}

/// Something under the input folder that was not walked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkSkip {
    /// A symbolic link, with `follow_symlinks` off.
    Symlink(String),
    /// A folder or file that could not be read: its relative path and the error.
    Unreadable(String, String),
}

/// What [`walk`] found, files sorted by relative path.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// Regular files.
    pub files: Vec<WalkedFile>,
    /// Links not followed and entries that could not be read.
    pub skipped: Vec<WalkSkip>,
}

/// Choices for [`walk`].
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Follow symbolic links to files and folders.
    pub follow_symlinks: bool,
    /// A folder not to enter (the output folder, when inside the input folder).
    pub skip_dir: Option<PathBuf>,
}

/// Walks `root` recursively.
pub fn walk(root: &Path, options: &WalkOptions) -> Result<Walk> {
    let meta = fs::metadata(root).map_err(|source| Error::File {
        path: root.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!("{} is not a folder", root.display())));
    }
    let skip_dir = options
        .skip_dir
        .as_ref()
        .and_then(|d| fs::canonicalize(d).ok());
    let mut out = Walk::default();
    let mut seen_dirs = HashSet::new();
    if let Ok(c) = fs::canonicalize(root) {
        seen_dirs.insert(c);
    }
    // (folder, its relative path with a trailing '/' or empty for the root)
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                out.skipped
                    .push(WalkSkip::Unreadable(prefix.clone(), e.to_string()));
                continue;
            }
        };
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        names.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in names {
            let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                out.skipped
                    .push(WalkSkip::Unreadable(rel, "cannot read its type".into()));
                continue;
            };
            let meta = if kind.is_symlink() {
                if !options.follow_symlinks {
                    out.skipped.push(WalkSkip::Symlink(rel));
                    continue;
                }
                fs::metadata(&path)
            } else {
                entry.metadata()
            };
            let meta = match meta {
                Ok(m) => m,
                Err(e) => {
                    out.skipped.push(WalkSkip::Unreadable(rel, e.to_string()));
                    continue;
                }
            };
            if meta.is_dir() {
                let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if skip_dir.as_ref() == Some(&canonical) || !seen_dirs.insert(canonical) {
                    continue;
                }
                subdirs.push((path, format!("{rel}/")));
            } else if meta.is_file() {
                let mtime_ns = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
                out.files.push(WalkedFile {
                    path,
                    rel,
                    size: meta.len(),
                    mtime_ns,
                });
            }
            // Sockets, FIFOs and devices are not media files: a FIFO would block the walk.
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    out.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tree(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("muxkit-walk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("b/c")).unwrap();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::write(root.join("z.flv"), b"FLV").unwrap();
        fs::write(root.join("a/1.ts"), b"x").unwrap();
        fs::write(root.join("b/c/2.mp3"), b"xy").unwrap();
        fs::write(root.join("b/0.mp4"), b"xyz").unwrap();
        root
    }

    fn rels(w: &Walk) -> Vec<&str> {
        w.files.iter().map(|f| f.rel.as_str()).collect()
    }

    #[test]
    fn files_come_sorted_with_sizes_and_the_output_folder_is_skipped() {
        let root = tree("sorted");
        fs::create_dir_all(root.join("out/x")).unwrap();
        fs::write(root.join("out/x/old.ts"), b"o").unwrap();
        let w = walk(
            &root,
            &WalkOptions {
                skip_dir: Some(root.join("out")),
                ..WalkOptions::default()
            },
        )
        .unwrap();
        assert_eq!(rels(&w), ["a/1.ts", "b/0.mp4", "b/c/2.mp3", "z.flv"]);
        assert_eq!(w.files[1].size, 3);
        assert!(w.files[1].mtime_ns > 0);
        assert!(walk(&root.join("z.flv"), &WalkOptions::default()).is_err());
        fs::remove_dir_all(&root).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn links_are_skipped_unless_followed_and_loops_end() {
        let root = tree("links");
        std::os::unix::fs::symlink(root.join("b"), root.join("a/to_b")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("b/c/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("z.flv"), root.join("link.flv")).unwrap();
        let w = walk(&root, &WalkOptions::default()).unwrap();
        assert_eq!(rels(&w), ["a/1.ts", "b/0.mp4", "b/c/2.mp3", "z.flv"]);
        assert_eq!(w.skipped.len(), 3);
        let followed = walk(
            &root,
            &WalkOptions {
                follow_symlinks: true,
                ..WalkOptions::default()
            },
        )
        .unwrap();
        // Each folder is walked once, under the first path that reaches it (a/to_b, before b);
        // the loop back to the root ends there, and a link to a file is a file of its own.
        assert!(rels(&followed).contains(&"link.flv"));
        assert_eq!(
            rels(&followed)
                .iter()
                .filter(|r| r.ends_with("2.mp3"))
                .count(),
            1
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
