//! `convert` between any two [`Location`]s: local paths, objects, or one of each.

use std::path::{Path, PathBuf};

use super::location::{Location, ObjectUrl};
use super::read::ObjectInput;
use super::segments::ObjectSegmentStore;
use super::write::{check_bucket, exists, list, upload_file};
use crate::convert::{ConvertOptions, FolderSink, OutputFormat, Overwrite, convert_selected};
use crate::error::{Error, Result};
use crate::probe::{InputFormat, InputPath};
use crate::remux::RemuxStats;

/// Converts `input` into `output`, either of which may be an object URL.
///
/// An object input is streamed with ranged GETs (8 MiB blocks, four ahead) when its format
/// reads front to back (FLV, MPEG-TS, ADTS, raw H.264/HEVC); an MP4/F4V or MP3 input, whose
/// reader needs the whole file (an MP4's index may be at its end), is first downloaded into
/// the temporary folder (`TMPDIR`). MP4/F4V output from a streamed input reads the object
/// twice, as it reads a file twice, to put `moov` first.
///
/// An object output of one file (FLV, TS, MP4, ...) is written to the temporary folder and
/// uploaded when complete (multipart above 64 MiB), so the object appears whole or not at
/// all. An HLS or DASH output uploads each segment as it completes and each playlist once
/// every segment it names is stored.
///
/// Retries (see [`super::RetryPolicy`]) are reported in [`RemuxStats::warnings`].
pub fn convert_between(
    input: &Location,
    output: &Location,
    options: &ConvertOptions,
) -> Result<RemuxStats> {
    let mut stats = match (input, output) {
        (Location::Local(i), Location::Local(o)) => {
            return crate::convert::convert(InputPath::from_arg(i), o, options);
        }
        (input, Location::Local(o)) => {
            with_input(input, options, |i| crate::convert::convert(i, o, options))
        }
        (input, Location::Object(o)) => to_object(input, o, options),
    };
    for url in [input, output].into_iter().filter_map(|l| match l {
        Location::Object(o) => Some(o),
        Location::Local(_) => None,
    }) {
        let retries = url.retry_log().drain();
        if let Ok(s) = &mut stats {
            s.warnings
                .extend(retries.into_iter().map(|r| format!("storage: {r}")));
        }
    }
    stats
}

/// Runs `work` on the input: a local path as is, an object streamed or downloaded.
fn with_input<T>(
    input: &Location,
    options: &ConvertOptions,
    work: impl FnOnce(InputPath<'_>) -> Result<T>,
) -> Result<T> {
    let url = match input {
        Location::Local(p) => return work(InputPath::from_arg(p)),
        Location::Object(url) => url,
    };
    let object = ObjectInput::open(url)?;
    let head = object.head_bytes(InputFormat::PROBE_LEN as u64)?;
    let format = InputFormat::detect(&head).ok_or_else(|| Error::UnknownInputFormat {
        input: PathBuf::from(url.to_string()),
        head: head[..head.len().min(8)].to_vec(),
    })?;
    if let (Some(progress), len) = (&options.progress, object.len) {
        progress.set_input_total(len);
    }
    if streams(format) {
        return work(InputPath::Object(&object));
    }
    let copy = object.download_to(&std::env::temp_dir())?;
    work(InputPath::File(copy.path()))
}

/// Formats whose readers go front to back over a stream; the others hold the whole input.
fn streams(format: InputFormat) -> bool {
    matches!(
        format,
        InputFormat::Flv
            | InputFormat::Ts
            | InputFormat::Adts
            | InputFormat::H264
            | InputFormat::H265
    )
}

/// A private folder in `TMPDIR`, removed with what is in it on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("muxkit-out.{}.{n}.tmp", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| Error::File {
            path: dir.clone(),
            source,
        })?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Into an object (one file) or under a prefix (HLS, DASH).
fn to_object(input: &Location, output: &ObjectUrl, options: &ConvertOptions) -> Result<RemuxStats> {
    let key = Path::new(output.key());
    let format = options
        .format
        .or_else(|| OutputFormat::from_path(key))
        .ok_or_else(|| {
            Error::Usage(format!(
                "cannot tell the output format from {output}: use a known extension (.flv, .ts, .mp4, .f4v, .mp3, .aac, .m3u8, .mpd) or a prefix"
            ))
        })?;
    let is_playlist = |k: &str| k.ends_with(".m3u8") || k.ends_with(".mpd");
    let folder = matches!(format, OutputFormat::Hls | OutputFormat::Dash);
    if !folder {
        check_bucket(output)?;
        if options.overwrite == Overwrite::Refuse && exists(output)? {
            return Err(Error::Usage(format!(
                "{output}: the output exists (-y replaces it)"
            )));
        }
        let scratch = Scratch::new()?;
        let name = if output.file_name().is_empty() {
            "output"
        } else {
            output.file_name()
        };
        let local = scratch.0.join(name);
        let converted = with_input(input, options, |i| {
            crate::convert::convert(i, &local, options)
        })?;
        upload_file(&local, output)?;
        return Ok(converted);
    }
    // The prefix the files go under: the key itself, or the folder of a playlist key.
    let prefix = if is_playlist(output.key()) {
        let parent = output.key().rsplit_once('/').map_or("", |(p, _)| p);
        output.with_key(parent)
    } else {
        output.clone()
    };
    if options.overwrite == Overwrite::Refuse {
        let taken = if is_playlist(output.key()) {
            exists(output)?
        } else {
            !list(&prefix)?.is_empty()
        };
        if taken {
            return Err(Error::Usage(format!(
                "{output}: the output exists (holds objects; -y replaces them)"
            )));
        }
    } else {
        // An early, clear failure (a missing bucket, refused credentials) before any work.
        list(&prefix)?;
    }
    let store = ObjectSegmentStore::new(prefix);
    let sink = FolderSink::Objects(store.clone());
    let stats = with_input(input, options, |i| convert_selected(i, key, options, &sink))?;
    store.wait()?;
    Ok(stats)
}
