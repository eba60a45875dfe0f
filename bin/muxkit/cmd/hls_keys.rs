//! `--hls-key`, `--hls-key-uri`, `--hls-encrypt`, `--hls-key-rotate`: where keys come from
//! and what the playlist calls them. Keys are read from, or generated into, the files the
//! user names; nothing is written into the segment folder unless a key path points there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use muxkit::hls::keys::{AES_BLOCK, random_key};
use muxkit::hls::{HlsEncryption, HlsKey};

fn usage(message: String) -> ! {
    clap::Error::raw(
        clap::error::ErrorKind::ArgumentConflict,
        format!("{message}\n"),
    )
    .exit()
}

/// `pattern` with `%d` replaced by `k`.
fn numbered(pattern: &str, k: u64) -> String {
    pattern.replacen("%d", &k.to_string(), 1)
}

/// The folder the HLS output goes into (the folder itself, or a playlist's parent).
fn output_folder(output: &Path) -> PathBuf {
    let is_playlist = output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"));
    let dir = if is_playlist {
        output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    } else {
        output
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())
}

/// The encryption the flags ask for.
pub fn encryption(
    key_path: &Path,
    uri: Option<&str>,
    generate: bool,
    rotate: Option<u64>,
    output: &Path,
) -> muxkit::Result<HlsEncryption> {
    let path_pattern = key_path.to_string_lossy().into_owned();
    if rotate.is_some() && !path_pattern.contains("%d") {
        usage(format!(
            "--hls-key-rotate: the key path {path_pattern:?} needs a %d for the key number"
        ));
    }
    if rotate.is_none() && path_pattern.contains("%d") {
        usage(format!(
            "--hls-key {path_pattern:?} has a %d but keys do not rotate (--hls-key-rotate N)"
        ));
    }
    let key_dir = std::path::absolute(key_path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned));
    let uri_pattern = match uri {
        Some(u) => u.to_owned(),
        None if key_dir.as_deref() == Some(&output_folder(output)) => key_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        None => usage(format!(
            "--hls-key-uri is needed: the key {} is not in the output folder, so the playlist cannot name it by itself",
            key_path.display()
        )),
    };
    let keys = Arc::new(move |k: u64| -> muxkit::Result<HlsKey> {
        let path = PathBuf::from(numbered(&path_pattern, k));
        let key = if generate {
            let key = random_key()?;
            write_new_key(&path, &key)?;
            key
        } else {
            read_key(&path)?
        };
        Ok(HlsKey {
            key,
            uri: numbered(&uri_pattern, k),
        })
    });
    Ok(HlsEncryption {
        keys,
        rotate_every: rotate,
    })
}

fn read_key(path: &Path) -> muxkit::Result<[u8; AES_BLOCK]> {
    let bytes = std::fs::read(path).map_err(|source| muxkit::Error::File {
        path: path.to_owned(),
        source,
    })?;
    bytes.as_slice().try_into().map_err(|_| {
        muxkit::Error::Unsupported(format!(
            "{}: an AES-128 key is 16 raw bytes, this file has {}",
            path.display(),
            bytes.len()
        ))
    })
}

/// A generated key goes into a new file only the user can read; an existing file is never
/// replaced (it may be the key of segments already published).
fn write_new_key(path: &Path, key: &[u8; AES_BLOCK]) -> muxkit::Result<()> {
    let file_error = |source| muxkit::Error::File {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(file_error)?;
    f.write_all(key).map_err(file_error)?;
    f.sync_all().map_err(file_error)
}
