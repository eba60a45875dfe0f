//! One input file to one output file: probe, demux, mux, write atomically.
//!
//! The CLI's `convert` (and later `batch`) call this; the output format is chosen by the output
//! path's extension, the input format by the input's bytes.

use std::path::Path;

use crate::audio_es::{AudioEsFormat, AudioEsMuxer};
use crate::dash::{CmafOptions, CmafSegmenter};
use crate::error::{Error, Result};
use crate::flv::{FlvMuxOptions, FlvMuxer};
use crate::hls::{DirectoryStore, HlsOptions, HlsSegmenter, PlaylistType, SegmentStore};
use crate::io::{AtomicFile, BlockWriter, StagedDir, Unseekable, remove_stale_temporaries};
use crate::media::Demuxer;
use crate::mp4::fragment_mux::{Fmp4Muxer, Fmp4Options};
use crate::mp4::mux::{Mp4Brand, Mp4Planner, Mp4Writer};
use crate::probe::{InputPath, OpenOptions, open_demuxer, probe};
use crate::remux::{Cancel, RemuxOptions, RemuxStats, remux_with};
use crate::ts::mux::{TsMuxOptions, TsMuxer};

/// A container muxkit can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Flash Video.
    Flv,
    /// MPEG transport stream (188-byte packets).
    Ts,
    /// HLS: TS segments and a media playlist in a folder.
    Hls,
    /// A raw MPEG audio file (the input's MP3 or MP2 track, with its ID3v2 tag).
    Mp3,
    /// A raw AAC file in ADTS frames (the input's AAC track).
    Aac,
    /// MP4 (ISO base media, `isom` brand).
    Mp4,
    /// Adobe F4V (the same structure, `f4v ` brand).
    F4v,
    /// MPEG-DASH: an MPD and CMAF segments, one set per track, in the `.mpd`'s folder.
    Dash,
}

impl OutputFormat {
    /// The format an output path asks for by its extension (case-insensitive).
    ///
    /// A folder (one that exists, a path ending in `/`, or a name without extension) or a
    /// `.m3u8` path means HLS.
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        let text = path.to_string_lossy();
        if text.ends_with('/') || path.is_dir() {
            return Some(OutputFormat::Hls);
        }
        OutputFormat::from_name(path.file_name()?.to_str()?)
    }

    /// The format a file name asks for by its extension, without looking at the file
    /// system (an object key's last part): no extension means an HLS folder.
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        let Some(ext) = Path::new(name).extension() else {
            return Some(OutputFormat::Hls);
        };
        match ext.to_str()?.to_ascii_lowercase().as_str() {
            "flv" => Some(OutputFormat::Flv),
            "ts" => Some(OutputFormat::Ts),
            "mp3" | "mp2" => Some(OutputFormat::Mp3),
            "aac" | "adts" => Some(OutputFormat::Aac),
            "mp4" | "m4v" | "m4a" => Some(OutputFormat::Mp4),
            "f4v" => Some(OutputFormat::F4v),
            "m3u8" => Some(OutputFormat::Hls),
            "mpd" => Some(OutputFormat::Dash),
            _ => None,
        }
    }
}

/// What [`convert`] does with an output that already exists: a file at the output path, or an
/// HLS/DASH folder that holds files. The same rule for both, like ffmpeg's `-y`/`-n` (whose
/// non-interactive default is also to refuse).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overwrite {
    /// Fail with [`Error::Usage`] before reading the input; nothing is touched.
    #[default]
    Refuse,
    /// Replace it: a file once the new one is complete (readers see the old file or the new
    /// one, never a mix); in a folder, files of the same names as they are written.
    Replace,
}

/// Choices for [`convert`].
#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// Treat recoverable input damage as an error.
    pub strict: bool,
    /// Frames per second of a raw H.264/HEVC input (see [`OpenOptions::framerate`]).
    pub framerate: Option<(u32, u32)>,
    /// The output format when the output path cannot say (stdout).
    pub format: Option<OutputFormat>,
    /// FLV output: add a keyframe index to onMetaData.
    pub flv_keyframe_index: bool,
    /// MPEG-TS output (and HLS segments): PIDs, timestamp offset, PCR and PSI timing.
    pub ts: TsMuxOptions,
    /// HLS output: target duration, segment names (the TS choices come from `ts`).
    pub hls: HlsOptions,
    /// What to do when the output exists.
    pub overwrite: Overwrite,
    /// Counters the conversion advances (input bytes, media time, packets), for a progress
    /// bar; its input length is set once the input is probed.
    pub progress: Option<crate::progress::Progress>,
    /// Which tracks to write. An audio-only output (`.m4a`, `.mp3`, `.aac`) with the default
    /// (every track) takes the audio tracks alone.
    pub select: crate::select::TrackSelection,
    /// MP4 output: write it fragmented (CMAF), in one pass.
    pub fragmented: Option<Fmp4Options>,
    /// HLS output with fMP4 segments: write per-track CMAF segments with a DASH MPD
    /// (`manifest.mpd`) beside the HLS playlists, one copy of the segments serving both.
    pub dash: bool,
    /// Stop between two packets once raised. From a file, the conversion fails with
    /// [`crate::Error::Cancelled`] and nothing is committed; from stdin (a live input, whose
    /// only end is being stopped) and into HLS (whose finished segments are worth keeping),
    /// the output is finished with what was read and [`RemuxStats::interrupted`] says so.
    pub cancel: Option<Cancel>,
    /// Write on the converting thread instead of a write-behind thread. A lone conversion is
    /// faster with the writer beside it (demuxing and the kernel's copy overlap on two cores);
    /// writing inline takes about a fifth less CPU, so callers that size their own parallelism
    /// (`batch --jobs N`, N threads in all) set it.
    pub inline_writes: bool,
}

impl ConvertOptions {
    /// The output file, under a temporary name until committed; temporary files that a killed
    /// run left for the same output are removed first.
    fn output_file(&self, output: &Path) -> Result<BlockWriter<AtomicFile>> {
        if let Some(name) = output.file_name().and_then(|n| n.to_str()) {
            let dir = output
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            remove_stale_temporaries(dir, Some(name));
        }
        let file = AtomicFile::create(output)?;
        Ok(if self.inline_writes {
            BlockWriter::new(file)
        } else {
            BlockWriter::write_behind(file)
        })
    }
}

/// Converts `input` into `output` (`-` for stdout). The output file appears only when complete.
///
/// An audio-only output (`.m4a`, `.mp3`, `.aac`) without a track selection leaves the video
/// out and says so in [`RemuxStats::notes`]; an input with no audio for it fails with
/// [`Error::NoMedia`].
pub fn convert(
    input: InputPath<'_>,
    output: &Path,
    options: &ConvertOptions,
) -> Result<RemuxStats> {
    let to_stdout = output.as_os_str() == "-";
    let format = options.format.or_else(|| OutputFormat::from_path(output));
    let implicit = !to_stdout
        && options.select.is_all()
        && format.is_some_and(|f| audio_only_output(output, f));
    match convert_selected(input, output, options, &FolderSink::Directory) {
        Ok(mut stats) if implicit => {
            for (id, kind, codec) in std::mem::take(&mut stats.deselected) {
                stats.notes.push(format!(
                    "track {id}: {kind} {} left out: {} holds audio only",
                    codec.name(),
                    output.display()
                ));
            }
            Ok(stats)
        }
        Err(Error::Usage(e)) if implicit && e.starts_with("the track selection") => {
            Err(Error::NoMedia(format!(
                "{} holds audio only, and the input has no audio track{}",
                output.display(),
                e.strip_prefix("the track selection leaves nothing to write (the input")
                    .map(|rest| format!(" (it{rest}"))
                    .unwrap_or_default()
            )))
        }
        other => other,
    }
}

/// Where the files of a folder output (HLS, DASH) go.
pub(crate) enum FolderSink {
    /// The folder the output path names, on this machine.
    Directory,
    /// A bucket prefix; the output path is then the object key, used for its name alone.
    #[cfg(feature = "s3")]
    Objects(crate::store::ObjectSegmentStore),
}

/// [`convert`] without the words about an implicit audio-only selection.
pub(crate) fn convert_selected(
    input: InputPath<'_>,
    output: &Path,
    options: &ConvertOptions,
    sink: &FolderSink,
) -> Result<RemuxStats> {
    let to_stdout = output.as_os_str() == "-";
    let local = matches!(sink, FolderSink::Directory);
    let format = options
        .format
        .or_else(|| OutputFormat::from_path(output))
        .ok_or_else(|| {
            Error::Usage(format!(
                "cannot tell the output format from {:?}: use a known extension (.flv, .ts, .mp4, .f4v, .mp3, .aac, .m3u8, .mpd) or a folder",
                output
            ))
        })?;
    if !to_stdout && local {
        check_output_path(&input, output, format)?;
        if options.overwrite == Overwrite::Refuse {
            refuse_existing(output, format)?;
        }
    }
    let open = OpenOptions {
        strict: options.strict,
        framerate: options.framerate,
    };
    let implicit_audio_only = options.select.is_all() && audio_only_output(output, format);
    let select = if implicit_audio_only {
        crate::select::TrackSelection::audio_only()
    } else {
        options.select.clone()
    };
    let remux_options = RemuxOptions {
        select,
        progress: options.progress.clone(),
        cancel: options.cancel.clone(),
        strict: options.strict,
        finish_on_cancel: input == InputPath::Stdin
            || (local && matches!(format, OutputFormat::Hls | OutputFormat::Dash)),
        ..RemuxOptions::default()
    };
    let probed = probe(input.clone())?;
    if let (Some(progress), Some(len)) = (&options.progress, probed.len) {
        progress.set_input_total(len);
    }
    let mut demuxer = open_demuxer(probed, open)?;
    match format {
        OutputFormat::Mp4 | OutputFormat::F4v => {
            let brand = if format == OutputFormat::F4v {
                Mp4Brand::F4v
            } else {
                Mp4Brand::Mp4
            };
            convert_mp4(
                input,
                demuxer,
                output,
                to_stdout,
                brand,
                open,
                remux_options,
                options,
            )
        }
        OutputFormat::Flv => {
            let flv_options = FlvMuxOptions {
                keyframe_index: options.flv_keyframe_index,
                source_metadata: source_metadata(&*demuxer),
                ..FlvMuxOptions::default()
            };
            if to_stdout {
                let mut m = FlvMuxer::new(Unseekable(std::io::stdout().lock()), flv_options);
                remux_with(&mut *demuxer, &mut m, remux_options.clone())
            } else {
                let file = options.output_file(output)?;
                let mut m = FlvMuxer::with_writer(file, flv_options);
                let mut stats = remux_with(&mut *demuxer, &mut m, remux_options.clone())?;
                stats.warnings.extend(m.warnings().iter().cloned());
                m.into_inner()?.commit()?;
                Ok(stats)
            }
        }
        OutputFormat::Dash => {
            let dir = output
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_owned();
            let name = output
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "manifest.mpd".into());
            let cmaf = CmafOptions {
                target_duration: options.hls.target_duration,
                mpd_name: Some(name),
                hls_name: None,
                live_window: None,
            };
            convert_cmaf(
                &mut *demuxer,
                &dir,
                options,
                cmaf,
                remux_options.clone(),
                sink,
            )
        }
        OutputFormat::Hls if options.dash => {
            let (dir, name) = hls_folder(output, options);
            let cmaf = CmafOptions {
                target_duration: options.hls.target_duration,
                mpd_name: Some("manifest.mpd".into()),
                hls_name: Some(name),
                live_window: None,
            };
            convert_cmaf(
                &mut *demuxer,
                &dir,
                options,
                cmaf,
                remux_options.clone(),
                sink,
            )
        }
        #[cfg(feature = "s3")]
        OutputFormat::Hls if matches!(sink, FolderSink::Objects(_)) => {
            let FolderSink::Objects(store) = sink else {
                unreachable!("matched above")
            };
            let (_, name) = hls_folder(output, options);
            run_hls(
                &mut *demuxer,
                store.clone(),
                name,
                options,
                remux_options.clone(),
            )
        }
        OutputFormat::Hls => {
            let (dir, name) = hls_folder(output, options);
            let existed = dir.is_dir();
            let staged = staging_for(
                &dir,
                options,
                options.hls.playlist_type == PlaylistType::Vod,
            )?;
            let work = staged.as_ref().map_or(dir.clone(), |s| s.path().to_owned());
            let store = DirectoryStore::prepare(&work, options.overwrite == Overwrite::Replace)?;
            match run_hls(&mut *demuxer, store, name, options, remux_options.clone()) {
                Ok(stats) => {
                    if let Some(staged) = staged {
                        staged.publish(|name| name.ends_with(".m3u8"))?;
                    }
                    Ok(stats)
                }
                Err(e) => {
                    // A staged replacement is dropped whole: the old output stays as it was.
                    if !existed {
                        // Only removes the folder this run created, and only if empty.
                        let _ = std::fs::remove_dir(&dir);
                    }
                    Err(e)
                }
            }
        }
        OutputFormat::Mp3 | OutputFormat::Aac => {
            let es = if format == OutputFormat::Mp3 {
                AudioEsFormat::Mpeg
            } else {
                AudioEsFormat::Adts
            };
            if to_stdout {
                let out = BlockWriter::new(std::io::stdout().lock());
                let mut m = AudioEsMuxer::new(out, es);
                remux_with(&mut *demuxer, &mut m, remux_options.clone())
            } else {
                let file = options.output_file(output)?;
                let mut m = AudioEsMuxer::new(file, es);
                let stats = remux_with(&mut *demuxer, &mut m, remux_options.clone())?;
                m.into_inner()?.commit()?;
                Ok(stats)
            }
        }
        OutputFormat::Ts => {
            if to_stdout {
                let mut m = TsMuxer::new(std::io::stdout().lock(), options.ts.clone());
                remux_with(&mut *demuxer, &mut m, remux_options.clone())
            } else {
                let file = options.output_file(output)?;
                let mut m = TsMuxer::with_writer(file, options.ts.clone());
                let stats = remux_with(&mut *demuxer, &mut m, remux_options.clone())?;
                m.into_inner()?.commit()?;
                Ok(stats)
            }
        }
    }
}

/// HLS into `store` with the playlist `name`: the segmenter, and on failure its abandon (what
/// is complete stays listed for event and live playlists; a VOD output is left as it was).
fn run_hls<S>(
    demuxer: &mut dyn Demuxer,
    store: S,
    name: String,
    options: &ConvertOptions,
    remux_options: RemuxOptions,
) -> Result<RemuxStats>
where
    S: SegmentStore + Send + 'static,
    S::Writer: Send + 'static,
{
    let mut hls = HlsOptions {
        playlist_name: name,
        ts: options.ts.clone(),
        ..options.hls.clone()
    };
    let note = fmp4_for_codecs_ts_cannot_carry(demuxer, &mut hls, &remux_options.select);
    let mut m = if options.inline_writes {
        HlsSegmenter::new(store, hls)
    } else {
        HlsSegmenter::write_behind(store, hls)
    };
    match remux_with(demuxer, &mut m, remux_options) {
        Ok(mut stats) => {
            stats.warnings.extend(m.report().warnings.iter().cloned());
            stats.notes.extend(note);
            Ok(stats)
        }
        Err(e) => {
            let _ = m.abandon();
            Err(e)
        }
    }
}

/// MP4/F4V: `moov` first when the input can be read twice (a file: a first pass collects every
/// sample's size and times, the second streams the data after `moov`); from stdin, `moov` at
/// the end of a seekable output.
#[allow(clippy::too_many_arguments)]
fn convert_mp4(
    input: InputPath<'_>,
    mut demuxer: Box<dyn Demuxer>,
    output: &Path,
    to_stdout: bool,
    brand: Mp4Brand,
    open: OpenOptions,
    remux_options: RemuxOptions,
    options: &ConvertOptions,
) -> Result<RemuxStats> {
    let remux = |d: &mut dyn Demuxer, m: &mut dyn crate::media::Muxer| {
        remux_with(d, m, remux_options.clone())
    };
    if let Some(fragmented) = options.fragmented {
        if brand == Mp4Brand::F4v {
            return Err(Error::Unsupported(
                "--fragmented writes CMAF (.mp4, .m4v, .m4a): F4V files are progressive".into(),
            ));
        }
        if to_stdout {
            let out = BlockWriter::new(std::io::stdout().lock());
            let mut m = Fmp4Muxer::new(out, fragmented);
            return remux(&mut *demuxer, &mut m);
        }
        let file = options.output_file(output)?;
        let mut m = Fmp4Muxer::new(file, fragmented);
        let stats = remux(&mut *demuxer, &mut m)?;
        m.into_inner()?.commit()?;
        return Ok(stats);
    }
    if input.can_be_read_twice() {
        let mut planner = Mp4Planner::new(brand);
        // The planning pass is quick (no output) and reports no progress: the bar follows
        // the pass that writes.
        let planning = RemuxOptions {
            progress: None,
            ..remux_options.clone()
        };
        remux_with(&mut *demuxer, &mut planner, planning)?;
        let plan = planner.into_plan();
        let mut again = open_demuxer(probe(input)?, open)?;
        if to_stdout {
            let out = BlockWriter::new(Unseekable(std::io::stdout().lock()));
            let mut m = Mp4Writer::planned(out, plan);
            return remux(&mut *again, &mut m);
        }
        let file = options.output_file(output)?;
        let mut m = Mp4Writer::planned(file, plan);
        let stats = remux(&mut *again, &mut m)?;
        m.into_inner()?.commit()?;
        return Ok(stats);
    }
    if to_stdout {
        return Err(Error::Unsupported(
            "mp4 from stdin to stdout: moov needs either a second pass over the input or a seekable output".into(),
        ));
    }
    let file = options.output_file(output)?;
    let mut m = Mp4Writer::streaming(file, brand);
    let stats = remux(&mut *demuxer, &mut m)?;
    m.into_inner()?.commit()?;
    Ok(stats)
}

/// Outputs that hold audio alone by their name: `.m4a` (MP4 audio), `.mp3`/`.mp2`, `.aac`.
fn audio_only_output(output: &Path, format: OutputFormat) -> bool {
    matches!(format, OutputFormat::Mp3 | OutputFormat::Aac)
        || output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("m4a"))
}

/// Mistakes in the output path whatever the overwrite policy: the input itself as the output
/// (ffmpeg refuses it too: the run would replace what it reads), and a file where a folder
/// output (HLS, DASH) is to go.
fn check_output_path(input: &InputPath<'_>, output: &Path, format: OutputFormat) -> Result<()> {
    let Ok(out_meta) = std::fs::metadata(output) else {
        return Ok(());
    };
    if let InputPath::File(input) = input {
        if same_file(input, &out_meta) {
            return Err(Error::Usage(format!(
                "{} is both the input and the output",
                output.display()
            )));
        }
    }
    let folder_output = matches!(format, OutputFormat::Hls)
        && !output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"));
    if folder_output && !out_meta.is_dir() {
        return Err(Error::Usage(format!(
            "{}: an HLS output is a folder, and this is a file",
            output.display()
        )));
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(input: &Path, output: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(input).is_ok_and(|i| i.dev() == output.dev() && i.ino() == output.ino())
}

#[cfg(not(unix))]
fn same_file(input: &Path, _output: &std::fs::Metadata) -> bool {
    let _ = input;
    false
}

/// [`Overwrite::Refuse`]: an error naming an output file that exists. Folders are checked
/// where they are prepared (a folder that exists but is empty is fine).
fn refuse_existing(output: &Path, format: OutputFormat) -> Result<()> {
    let file_output = !matches!(format, OutputFormat::Hls | OutputFormat::Dash)
        || output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"));
    match std::fs::symlink_metadata(output) {
        Ok(m) if file_output && !m.is_dir() => Err(Error::Usage(format!(
            "{}: the output exists (-y replaces it)",
            output.display()
        ))),
        Ok(m) if file_output && m.is_dir() && format != OutputFormat::Hls => Err(Error::Usage(
            format!("{}: the output is a folder", output.display()),
        )),
        _ => Ok(()),
    }
}

/// The folder and playlist name of an HLS output path (a folder, or a `.m3u8` in one).
fn hls_folder(output: &Path, options: &ConvertOptions) -> (std::path::PathBuf, String) {
    if output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"))
    {
        let dir = output
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (dir.to_owned(), name)
    } else {
        (output.to_owned(), options.hls.playlist_name.clone())
    }
}

/// DASH (and with it, HLS) over per-track CMAF segments; on failure the folder is left as it
/// was when this run created it.
fn convert_cmaf(
    demuxer: &mut dyn Demuxer,
    dir: &Path,
    options: &ConvertOptions,
    cmaf: CmafOptions,
    remux_options: RemuxOptions,
    sink: &FolderSink,
) -> Result<RemuxStats> {
    #[cfg(feature = "s3")]
    if let FolderSink::Objects(store) = sink {
        let mut m = CmafSegmenter::new(store.clone(), cmaf);
        return remux_with(demuxer, &mut m, remux_options);
    }
    #[cfg(not(feature = "s3"))]
    let FolderSink::Directory = sink;
    let existed = dir.is_dir();
    let staged = staging_for(dir, options, true)?;
    let work = staged
        .as_ref()
        .map_or(dir.to_owned(), |s| s.path().to_owned());
    let store = DirectoryStore::prepare(&work, options.overwrite == Overwrite::Replace)?;
    let mut m = CmafSegmenter::new(store, cmaf);
    match remux_with(demuxer, &mut m, remux_options) {
        Ok(stats) => {
            drop(m);
            if let Some(staged) = staged {
                staged.publish(|name| name.ends_with(".m3u8") || name.ends_with(".mpd"))?;
            }
            Ok(stats)
        }
        Err(e) => {
            if !existed {
                let _ = std::fs::remove_dir_all(dir);
            }
            Err(e)
        }
    }
}

/// `-y` into a folder that holds files, for an output written once (VOD HLS, DASH): a staging
/// folder to write into, published into `dir` when complete (see [`StagedDir`]). Event and
/// live playlists are read while they grow, so they are written in place.
fn staging_for(
    dir: &Path,
    options: &ConvertOptions,
    written_once: bool,
) -> Result<Option<StagedDir>> {
    let holds_files = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if options.overwrite == Overwrite::Replace && written_once && holds_files {
        // What killed runs left: their staging folders beside it, their files inside it.
        crate::io::remove_stale_temporaries(dir.parent().unwrap_or(Path::new(".")), None);
        crate::io::remove_stale_temporaries(dir, None);
        return StagedDir::create(dir).map(Some);
    }
    Ok(None)
}

/// TS segments cannot carry AV1, VP9, Opus or FLAC (no stream type for them that players
/// read); fMP4 segments can, so an HLS output with such a track and TS segments (the default)
/// switches to fMP4 and says so, instead of dropping the track.
pub fn fmp4_for_codecs_ts_cannot_carry(
    demuxer: &dyn Demuxer,
    hls: &mut HlsOptions,
    select: &crate::select::TrackSelection,
) -> Option<String> {
    use crate::hls::HlsSegmentType;
    use crate::media::Codec;
    if hls.segment_type != HlsSegmentType::MpegTs {
        return None;
    }
    let codec = demuxer
        .tracks()
        .iter()
        .filter(|t| select.keeps(t))
        .map(|t| t.codec.codec)
        .find(|c| matches!(c, Codec::Av1 | Codec::Vp9 | Codec::Opus | Codec::Flac))?;
    hls.segment_type = HlsSegmentType::Fmp4;
    if hls.segment_pattern == HlsSegmentType::MpegTs.default_pattern() {
        hls.segment_pattern = HlsSegmentType::Fmp4.default_pattern().to_owned();
    }
    Some(format!(
        "hls: ts segments cannot carry {codec}: writing fmp4 segments (init.mp4 and .m4s) instead"
    ))
}

/// The source's FLV metadata, when the demuxer is an FLV one.
fn source_metadata(demuxer: &dyn Demuxer) -> Option<crate::amf::AmfValue> {
    demuxer.flv_metadata().cloned()
}
