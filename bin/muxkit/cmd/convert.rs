//! `muxkit convert`.

use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;
use muxkit::convert::{ConvertOptions, OutputFormat, Overwrite, convert};
use muxkit::hls::{HlsOptions, PlaylistType};
use muxkit::probe::InputPath;
use muxkit::remux::Cancel;
use muxkit::select::{TrackPick, TrackSelection};
use muxkit::store::Location;
use muxkit::ts::Pid;
use muxkit::ts::mux::TsMuxOptions;

use super::say;

/// Arguments of `muxkit convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The input (`-` for stdin, or `s3://BUCKET/KEY`, `gs://`, `az://`); its format is
    /// recognised from its bytes.
    pub input: PathBuf,
    /// The output: a file whose extension picks the format (.flv, .ts), a folder (`out/`) or
    /// an `.m3u8` path for HLS, `-` for FLV on stdout, or an object URL (`s3://BUCKET/out.ts`,
    /// `s3://BUCKET/stream/` for HLS under a prefix).
    pub output: PathBuf,
    /// Fail on recoverable input damage instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Write only these tracks: ids as `muxkit inspect` shows them, or v, a, d for every
    /// video, audio or data track (repeat it or separate with commas: `--map 0,2`). Tracks
    /// keep the input's order.
    #[arg(long, value_name = "TRACK", value_delimiter = ',')]
    pub map: Vec<TrackPick>,
    /// Leave out every video track.
    #[arg(long)]
    pub no_video: bool,
    /// Leave out every audio track.
    #[arg(long)]
    pub no_audio: bool,
    /// Leave out every data track (FLV script data, timed ID3).
    #[arg(long)]
    pub no_data: bool,
    /// Progress: a bar on a terminal once the work takes over a second (auto), a bar from the
    /// start (bar), JSON lines on stderr for wrappers (json), or none.
    #[arg(long, value_enum, default_value = "auto", value_name = "MODE")]
    pub progress: super::progress::ProgressMode,
    /// Raw .h264/.h265 input: frames per second (25, 29.97, 30000/1001; default: the stream's
    /// VUI timing, else 25).
    #[arg(long, value_name = "N[/D]", value_parser = muxkit::probe::parse_framerate)]
    pub framerate: Option<(u32, u32)>,
    /// FLV output: add a keyframe index (times, filepositions) to onMetaData for seeking.
    #[arg(long)]
    pub keyframe_index: bool,
    /// TS output: the PMT's PID (ffmpeg's default 0x1000; decimal or 0x hex).
    #[arg(long, value_parser = parse_pid, default_value = "0x1000")]
    pub ts_pmt_pid: u16,
    /// TS output: the first elementary stream's PID; later tracks follow (default 0x100).
    #[arg(long, value_parser = parse_pid, default_value = "0x100")]
    pub ts_start_pid: u16,
    /// TS output: milliseconds added to every timestamp (ffmpeg's default 1400).
    #[arg(long, default_value_t = 1400)]
    pub ts_offset_ms: u32,
    /// HLS output: target segment duration in seconds; segments are cut at the first keyframe
    /// after it.
    #[arg(long, default_value_t = 6.0, value_parser = parse_hls_time, allow_negative_numbers = true)]
    pub hls_time: f64,
    /// HLS output: segment file names, `%d` or `%05d` standing for the segment number
    /// (default segment_%05d.ts, or segment_%05d.m4s with fmp4 segments).
    #[arg(long, value_parser = parse_segment_pattern)]
    pub segment_pattern: Option<String>,
    /// HLS output: mpegts segments, or fmp4 (CMAF: init.mp4 and .m4s segments, EXT-X-MAP,
    /// playlist version 7), ffmpeg's -hls_segment_type.
    #[arg(long, value_enum, default_value = "mpegts")]
    pub hls_segment_type: SegmentTypeArg,
    /// HLS output: vod (written once, at the end), event (rewritten after every segment,
    /// nothing removed) or live (a sliding window of --hls-list-size segments; older ones are
    /// deleted once clients cannot need them).
    #[arg(long, value_enum, default_value = "vod")]
    pub hls_playlist_type: PlaylistTypeArg,
    /// HLS live output: segments listed in the window.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub hls_list_size: u32,
    /// HLS output: EXT-X-PROGRAM-DATE-TIME on every segment, the wall-clock time of the first
    /// frame plus the media time since.
    #[arg(long)]
    pub program_date_time: bool,
    /// The old name of -y (HLS: write into a folder that holds files).
    #[arg(long, hide = true, conflicts_with = "no_overwrite")]
    pub force: bool,
    #[command(flatten)]
    pub overwrite: super::overwrite::OverwriteArgs,
    /// HLS output with --hls-segment-type fmp4: one set of CMAF segments per track, listed by
    /// HLS playlists (index.m3u8 over video.m3u8 and an audio rendition group) and by a DASH
    /// manifest.mpd beside them (VOD). An output path ending in .mpd writes DASH alone.
    #[arg(long)]
    pub dash: bool,
    /// HLS output: every segment in one file (index.ts, or index.mp4 with fmp4 segments,
    /// which is itself a fragmented MP4), listed with EXT-X-BYTERANGE; VOD playlists only.
    #[arg(long)]
    pub hls_single_file: bool,
    /// HLS output: encrypt every segment with AES-128 under the 16-byte key in FILE (with
    /// --hls-encrypt: a new random key written to FILE, which must not exist). With
    /// --hls-key-rotate, FILE has a %d for the key number.
    #[arg(long, value_name = "FILE")]
    pub hls_key: Option<PathBuf>,
    /// HLS output: the key's URI in the playlist (default: its file name, when the key file is
    /// in the output folder). With --hls-key-rotate, %d is the key number.
    #[arg(long, value_name = "URI", requires = "hls_key")]
    pub hls_key_uri: Option<String>,
    /// HLS output: generate the key(s) (see --hls-key) instead of reading them.
    #[arg(long, requires = "hls_key")]
    pub hls_encrypt: bool,
    /// HLS output: a new key every N segments.
    #[arg(long, value_name = "N", requires = "hls_key",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub hls_key_rotate: Option<u64>,
    /// MP4 output: fragmented (CMAF): an initialization part, then a fragment (moof + mdat)
    /// at each video keyframe; written in one pass, so it also works from and to a pipe.
    #[arg(long)]
    pub fragmented: bool,
    /// Fragmented MP4: the shortest fragment in seconds (with video, keyframes closer than
    /// this to the fragment's start do not cut; audio alone is cut every this many seconds;
    /// default: every keyframe, or 2 s of audio).
    #[arg(long, value_parser = parse_hls_time, requires = "fragmented", allow_negative_numbers = true)]
    pub frag_duration: Option<f64>,
}

/// `--hls-segment-type` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SegmentTypeArg {
    /// MPEG-TS segments.
    Mpegts,
    /// Fragmented MP4 segments after an init.mp4.
    Fmp4,
}

impl SegmentTypeArg {
    /// The library's value.
    pub fn kind(self) -> muxkit::hls::HlsSegmentType {
        match self {
            SegmentTypeArg::Mpegts => muxkit::hls::HlsSegmentType::MpegTs,
            SegmentTypeArg::Fmp4 => muxkit::hls::HlsSegmentType::Fmp4,
        }
    }
}

/// `--hls-playlist-type` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PlaylistTypeArg {
    /// Complete playlist written once, with ENDLIST.
    Vod,
    /// Growing playlist (PLAYLIST-TYPE:EVENT).
    Event,
    /// Sliding window.
    Live,
}

/// A segment file name pattern that keeps segments in the output folder.
fn parse_segment_pattern(s: &str) -> Result<String, String> {
    muxkit::hls::check_segment_pattern(s).map(|()| s.to_owned())
}

/// A positive decimal number of seconds (`2`, `0.5`, `.5`, `1e1`), at most a year: a number
/// that is not finite, or zero, or negative, is refused.
pub fn parse_hls_time(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 31_536_000.0 {
        Ok(v)
    } else {
        Err(format!(
            "{s} is not a positive number of seconds (up to a year)"
        ))
    }
}

/// A PID: decimal or 0x-prefixed hex, 0x0010..=0x1FFE (0x0000-0x000F are reserved for tables
/// such as the PAT, 0x1FFF is the null packet PID).
fn parse_pid(s: &str) -> Result<u16, String> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("not a pid: {e}"))?;
    if (0x0010..=0x1FFE).contains(&v) {
        Ok(v)
    } else {
        Err(format!("pid {v:#x} is outside 0x0010..=0x1ffe"))
    }
}

/// Options that shape one kind of output only, with the outputs they apply to: naming one for
/// another output is a mistake (exit 2), never silently ignored.
const OUTPUT_OPTIONS: &[(&str, &str, &[OutputFormat])] = &[
    ("keyframe_index", "--keyframe-index", &[OutputFormat::Flv]),
    (
        "ts_pmt_pid",
        "--ts-pmt-pid",
        &[OutputFormat::Ts, OutputFormat::Hls],
    ),
    (
        "ts_start_pid",
        "--ts-start-pid",
        &[OutputFormat::Ts, OutputFormat::Hls],
    ),
    (
        "ts_offset_ms",
        "--ts-offset-ms",
        &[OutputFormat::Ts, OutputFormat::Hls],
    ),
    (
        "hls_time",
        "--hls-time",
        &[OutputFormat::Hls, OutputFormat::Dash],
    ),
    ("segment_pattern", "--segment-pattern", &[OutputFormat::Hls]),
    (
        "hls_segment_type",
        "--hls-segment-type",
        &[OutputFormat::Hls],
    ),
    (
        "hls_playlist_type",
        "--hls-playlist-type",
        &[OutputFormat::Hls],
    ),
    ("hls_list_size", "--hls-list-size", &[OutputFormat::Hls]),
    (
        "program_date_time",
        "--program-date-time",
        &[OutputFormat::Hls],
    ),
    ("dash", "--dash", &[OutputFormat::Hls]),
    ("hls_single_file", "--hls-single-file", &[OutputFormat::Hls]),
    ("hls_key", "--hls-key", &[OutputFormat::Hls]),
    ("fragmented", "--fragmented", &[OutputFormat::Mp4]),
];

/// Fails when an option given on the command line does not shape `format`'s output.
fn check_applicable(
    matches: &clap::ArgMatches,
    format: OutputFormat,
    output: &std::path::Path,
) -> muxkit::Result<()> {
    for (id, flag, formats) in OUTPUT_OPTIONS {
        if super::given(matches, id) && !formats.contains(&format) {
            return Err(muxkit::Error::Usage(format!(
                "{flag} does not apply to {} ({} output)",
                output.display(),
                format_name(format)
            )));
        }
    }
    // DASH (alone, or beside HLS with --dash) writes per-track CMAF segments of its own
    // naming, as VOD: these shape only TS-segment or live HLS.
    let dash = format == OutputFormat::Dash || super::given(matches, "dash");
    for (id, flag) in [
        ("segment_pattern", "--segment-pattern"),
        ("program_date_time", "--program-date-time"),
        ("hls_list_size", "--hls-list-size"),
        ("ts_pmt_pid", "--ts-pmt-pid"),
        ("ts_start_pid", "--ts-start-pid"),
        ("ts_offset_ms", "--ts-offset-ms"),
    ] {
        if dash && super::given(matches, id) {
            return Err(muxkit::Error::Usage(format!(
                "{flag} does not apply to DASH/CMAF output (per-track segments of their own)"
            )));
        }
    }
    let live = matches
        .get_one::<PlaylistTypeArg>("hls_playlist_type")
        .is_some_and(|t| matches!(t, PlaylistTypeArg::Live));
    if super::given(matches, "hls_list_size") && !live {
        return Err(muxkit::Error::Usage(
            "--hls-list-size sizes a live playlist's window: add --hls-playlist-type live".into(),
        ));
    }
    Ok(())
}

fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Flv => "flv",
        OutputFormat::Ts => "mpeg-ts",
        OutputFormat::Hls => "hls",
        OutputFormat::Mp3 => "mp3",
        OutputFormat::Aac => "adts aac",
        OutputFormat::Mp4 => "mp4",
        OutputFormat::F4v => "f4v",
        OutputFormat::Dash => "dash",
        _ => "this",
    }
}

/// The tracks `--map`, `--no-video`, `--no-audio` and `--no-data` ask for.
fn selection(args: &ConvertArgs) -> TrackSelection {
    use muxkit::MediaKind;
    let without = [
        (args.no_video, MediaKind::Video),
        (args.no_audio, MediaKind::Audio),
        (args.no_data, MediaKind::Data),
    ]
    .into_iter()
    .filter_map(|(off, kind)| off.then_some(kind))
    .collect();
    TrackSelection {
        only: args.map.clone(),
        without,
    }
}

/// Runs the subcommand.
pub fn run(args: ConvertArgs, matches: &clap::ArgMatches) -> muxkit::Result<()> {
    let to_stdout = args.output.as_os_str() == "-";
    let format = if to_stdout {
        Some(if args.fragmented {
            OutputFormat::Mp4
        } else {
            OutputFormat::Flv
        })
    } else {
        OutputFormat::from_path(&args.output)
    };
    if let Some(format) = format {
        check_applicable(matches, format, &args.output)?;
    }
    if to_stdout && std::io::stdout().is_terminal() {
        return Err(muxkit::Error::Usage(
            "refusing to write binary media to a terminal: redirect stdout (`> out.flv`, `| ffplay -`) or name an output file".into(),
        ));
    }
    if args.dash
        && (!matches!(args.hls_segment_type, SegmentTypeArg::Fmp4)
            || !matches!(args.hls_playlist_type, PlaylistTypeArg::Vod)
            || args.hls_single_file
            || args.hls_key.is_some())
    {
        clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            "--dash shares CMAF segments with HLS: it needs --hls-segment-type fmp4, a VOD playlist, and no --hls-single-file or --hls-key\n",
        )
        .exit();
    }
    if args.hls_single_file && !matches!(args.hls_playlist_type, PlaylistTypeArg::Vod) {
        clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            "--hls-single-file writes a VOD playlist: event and live playlists list segments before the file is complete\n",
        )
        .exit();
    }
    let store_options = muxkit::store::StoreOptions::from_env()?;
    let input = muxkit::store::Location::parse(&args.input.to_string_lossy(), &store_options)?;
    let output = muxkit::store::Location::parse(&args.output.to_string_lossy(), &store_options)?;
    if matches!(output, muxkit::store::Location::Object(_)) && args.hls_key.is_some() {
        return Err(muxkit::Error::Usage(
            "--hls-key with an object-storage output: write to a folder and upload it with the key kept apart".into(),
        ));
    }
    let cancel = Cancel::new();
    let encryption = match &args.hls_key {
        Some(key) => Some(super::hls_keys::encryption(
            key,
            args.hls_key_uri.as_deref(),
            args.hls_encrypt,
            args.hls_key_rotate,
            &args.output,
        )?),
        None => None,
    };
    let select = selection(&args);
    let progress = muxkit::progress::Progress::new();
    let options = ConvertOptions {
        progress: Some(progress.clone()),
        strict: args.strict,
        framerate: args.framerate,
        format: (args.output.as_os_str() == "-").then_some(if args.fragmented {
            muxkit::convert::OutputFormat::Mp4
        } else {
            muxkit::convert::OutputFormat::Flv
        }),
        flv_keyframe_index: args.keyframe_index,
        ts: TsMuxOptions {
            pmt_pid: Pid::from_bits(args.ts_pmt_pid),
            first_stream_pid: Pid::from_bits(args.ts_start_pid),
            initial_offset: i64::from(args.ts_offset_ms) * 90,
            ..TsMuxOptions::default()
        },
        hls: HlsOptions {
            target_duration: args.hls_time,
            segment_pattern: args
                .segment_pattern
                .unwrap_or_else(|| args.hls_segment_type.kind().default_pattern().to_owned()),
            segment_type: args.hls_segment_type.kind(),
            single_file: args.hls_single_file,
            encryption,
            playlist_type: match args.hls_playlist_type {
                PlaylistTypeArg::Vod => PlaylistType::Vod,
                PlaylistTypeArg::Event => PlaylistType::Event,
                PlaylistTypeArg::Live => PlaylistType::Live,
            },
            list_size: args.hls_list_size as usize,
            program_date_time: args.program_date_time,
            ..HlsOptions::default()
        },
        select,
        overwrite: if args.force {
            Overwrite::Replace
        } else {
            args.overwrite.policy()
        },
        dash: args.dash,
        fragmented: args
            .fragmented
            .then(|| muxkit::mp4::fragment_mux::Fmp4Options {
                min_fragment: args.frag_duration.unwrap_or(0.0),
            }),
        cancel: Some(cancel.clone()),
        inline_writes: false,
    };
    let on_signal = cancel.clone();
    super::signals::on_stop("stopping", move || on_signal.cancel());
    let started = std::time::Instant::now();
    let view = super::progress::ProgressView::start(args.progress, progress);
    let result = match (&input, &output) {
        (Location::Local(i), Location::Local(o)) => convert(InputPath::from_arg(i), o, &options),
        _ => muxkit::store::convert_between(&input, &output, &options),
    };
    view.finish(result.is_ok());
    let stats = match result {
        Err(muxkit::Error::Cancelled) => {
            eprintln!("muxkit: interrupted: no output written (the input was not read to its end)");
            return Err(muxkit::Error::Cancelled);
        }
        other => other?,
    };
    for loss in &stats.losses {
        say::warning(loss);
    }
    for w in &stats.warnings {
        say::warning(w);
    }
    for n in &stats.notes {
        say::note(n);
    }
    for (id, kind, codec) in &stats.deselected {
        say::info(format_args!(
            "track {id} ({kind} {}) left out as asked",
            codec.name()
        ));
    }
    say::info(format_args!(
        "wrote {}: {} track(s), {} packets, {} payload bytes in {:.3} s",
        args.output.display(),
        stats.tracks,
        stats.packets,
        stats.payload_bytes,
        started.elapsed().as_secs_f64()
    ));
    if stats.interrupted {
        eprintln!("muxkit: interrupted: the output holds what was read before the signal");
        return Err(muxkit::Error::Cancelled);
    }
    Ok(())
}
