//! `convert` between any two [`Location`]s: local paths, objects, or one of each.

use std::path::{Path, PathBuf};

use super::location::{Location, ObjectUrl};
use super::read::ObjectInput;
use super::segments::ObjectSegmentStore;
use super::write::{any_under, check_bucket, exists, upload_file};
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
    // This conversion's retries, not those of others sharing the URLs' store (a batch).
    let fresh = |l: &Location| match l {
        Location::Object(o) => Location::Object(o.with_new_log()),
        local => local.clone(),
    };
    let (input, output) = (&fresh(input), &fresh(output));
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
    let lower = output.key().to_ascii_lowercase();
    let is_playlist = lower.ends_with(".m3u8") || lower.ends_with(".mpd");
    // Decided from the URL alone (never from a local folder that happens to share the key's
    // name): `s3://b/x/` and a key without an extension are a prefix for HLS.
    let format = options
        .format
        .or_else(|| {
            if output.names_prefix() {
                Some(OutputFormat::Hls)
            } else {
                OutputFormat::from_name(output.file_name())
            }
        })
        .ok_or_else(|| {
            Error::Usage(format!(
                "cannot tell the output format from {output}: use a known extension (.flv, .ts, .mp4, .f4v, .mp3, .aac, .m3u8, .mpd) or a prefix ending in /"
            ))
        })?;
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
        let mut local_options = options.clone();
        local_options.format = Some(format);
        let converted = with_input(input, options, |i| {
            crate::convert::convert(i, &local, &local_options)
        })?;
        upload_file(&local, output)?;
        return Ok(converted);
    }
    if options.hls.single_file {
        return Err(Error::Usage(format!(
            "{output}: --hls-single-file into a bucket would hold the whole output in memory: write it to a folder and upload the folder"
        )));
    }
    // The prefix the files go under: the key itself, or the folder of a playlist key.
    let prefix = if is_playlist {
        let parent = output.key().rsplit_once('/').map_or("", |(p, _)| p);
        output.with_key(parent)
    } else {
        output.clone()
    };
    // One request, which also fails early and clearly on a missing bucket or refused
    // credentials. A prefix that holds anything is taken, as a folder that holds files is; a
    // playlist named in a shared prefix is taken when it exists, as a `.m3u8` file is.
    let taken = any_under(&prefix)?;
    let exists_now = if is_playlist { exists(output)? } else { taken };
    if exists_now && options.overwrite == Overwrite::Refuse {
        return Err(Error::Usage(format!(
            "{output}: the output exists (its prefix holds objects; -y replaces them)"
        )));
    }
    let mut options = options.clone();
    // The format as decided here, from the URL: the converter must not guess again from a
    // local path of the same name.
    options.format = Some(format);
    // Into a prefix that holds objects (replacing, or beside other outputs): the new segments
    // get names of their own (a run stamp before them), so a player still reading an old
    // playlist never gets a new segment under an old name, nothing of another output is
    // overwritten, and a failed run leaves the old output whole. The replaced playlist's
    // segments go once the new playlist is stored.
    let old_segments = if taken && format == OutputFormat::Hls {
        let playlist = hls_playlist_name(output, &options, is_playlist);
        options.hls.name_prefix = format!("{}{}-", options.hls.name_prefix, run_stamp());
        listed_names(&prefix.join(&playlist))?
    } else {
        Vec::new()
    };
    let store = ObjectSegmentStore::new(prefix.clone());
    let sink = FolderSink::Objects(store.clone());
    let mut stats = with_input(input, &options, |i| {
        convert_selected(i, key, &options, &sink)
    })?;
    store.wait()?;
    let written = store.written();
    let mut left = 0;
    for old in old_segments.iter().filter(|n| !written.contains(n)) {
        // The new output is complete and listed: a delete that fails leaves an unlisted
        // object, worth a warning, not a failed conversion.
        if crate::store::write::delete_now(&prefix.join(old)).is_err() {
            left += 1;
        }
    }
    if left > 0 {
        stats.warnings.push(format!(
            "{left} segment(s) of the replaced output could not be deleted from {prefix} (no playlist names them)"
        ));
    }
    Ok(stats)
}

/// The playlist's name of an HLS output: the key's last part, or the options' name.
fn hls_playlist_name(output: &ObjectUrl, options: &ConvertOptions, is_playlist: bool) -> String {
    if is_playlist {
        output.file_name().to_owned()
    } else {
        options.hls.playlist_name.clone()
    }
}

/// The segments and initialization segments a stored playlist names (relative names only:
/// an absolute or `../` URI is not this output's to delete).
fn listed_names(playlist: &ObjectUrl) -> Result<Vec<String>> {
    let Some(text) = super::read::read_small(playlist)? else {
        return Ok(Vec::new());
    };
    let Some(p) = crate::hls::HlsResume::from_playlist(&text, 0, |_| None) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = p
        .playlist()
        .segments
        .iter()
        .flat_map(|s| std::iter::once(s.uri.clone()).chain(s.map.clone()))
        .filter(|n| !n.contains("://") && !n.starts_with('/') && !n.contains(".."))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// A short stamp for one run's names: milliseconds since the epoch, base 36.
fn run_stamp() -> String {
    let mut n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut out = Vec::new();
    while n > 0 {
        out.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
