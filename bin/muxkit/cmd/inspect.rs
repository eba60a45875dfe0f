//! `muxkit inspect`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use muxkit::adts::AdtsReadOptions;
use muxkit::flv::FlvReadOptions;
use muxkit::inspect::adts::AdtsSummary;
use muxkit::inspect::flv::{FlvSummary, write_tags};
use muxkit::inspect::hls::PlaylistCheck;
use muxkit::inspect::mp3::Mp3Summary;
use muxkit::inspect::mp4::Mp4Summary;
use muxkit::inspect::output::{filter_tracks, to_flat, tracks_csv};
use muxkit::inspect::ts::TsSummary;
use muxkit::inspect::write_packets;
use muxkit::mp3::Mp3ReadOptions;
use muxkit::probe::{InputFormat, InputPath, OpenOptions, open_demuxer, probe};
use muxkit::ts::demux::TsReadOptions;

/// Arguments of `muxkit inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// The file to inspect (`-` for stdin).
    pub input: PathBuf,
    /// FLV: one line per tag instead of the summary.
    #[arg(long, conflicts_with = "packets")]
    pub tags: bool,
    /// One line per elementary-stream packet (any format), instead of the summary.
    #[arg(long)]
    pub packets: bool,
    /// Machine-readable JSON (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output form: `text` for people, `json`, `csv` (a header line, then one row per
    /// track), or `flat` (`streams.0.codec="h264"` lines, like `ffprobe -of flat`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Only these track fields in json, csv and flat output (comma-separated JSON names,
    /// e.g. `codec,width,height,frame_rate`); container-level fields stay.
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub show_entries: Option<Vec<String>>,
    /// MP4/F4V: also show the box tree (offsets and sizes), after the summary; an error for
    /// other formats, which have no boxes.
    #[arg(long, conflicts_with_all = ["packets", "tags"])]
    pub show_boxes: bool,
    /// Fail on recoverable damage instead of reporting it as a warning.
    #[arg(long)]
    pub strict: bool,
    /// Raw .h264/.h265 input: frames per second (25, 29.97, 30000/1001).
    #[arg(long, value_name = "N[/D]", value_parser = muxkit::probe::parse_framerate)]
    pub framerate: Option<(u32, u32)>,
    /// MP3: write the cover picture (the front cover, or else the first picture) to FILE.
    #[arg(long, value_name = "FILE")]
    pub extract_cover: Option<PathBuf>,
    /// With --extract-cover: -y replaces FILE if it exists (without, an existing FILE is an
    /// error).
    #[command(flatten)]
    pub overwrite: super::overwrite::OverwriteArgs,
}

/// The forms `--format` offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// One JSON document.
    Json,
    /// A header line and one row per track.
    Csv,
    /// `key=value` lines.
    Flat,
}

/// Options that apply to some input formats only, with those formats: naming one for another
/// input is a mistake (exit 2), the same for every format.
const INPUT_OPTIONS: &[(&str, &str, &[InputFormat])] = &[
    ("tags", "--tags", &[InputFormat::Flv]),
    ("extract_cover", "--extract-cover", &[InputFormat::Mp3]),
    ("show_boxes", "--show-boxes", &[InputFormat::Mp4]),
    (
        "framerate",
        "--framerate",
        &[InputFormat::H264, InputFormat::H265],
    ),
];

fn usage(message: impl Into<String>) -> muxkit::Error {
    muxkit::Error::Usage(message.into())
}

/// Runs the subcommand.
pub fn run(args: InspectArgs, matches: &clap::ArgMatches) -> muxkit::Result<()> {
    let format = if args.json {
        OutputFormat::Json
    } else {
        args.format
    };
    if args.show_entries.is_some() && format == OutputFormat::Text {
        return Err(usage(
            "--show-entries limits json, csv and flat output: add --format",
        ));
    }
    if (args.packets || args.tags) && matches!(format, OutputFormat::Csv | OutputFormat::Flat) {
        return Err(usage(
            "--packets and --tags write text or json (--format csv and flat are for the summary)",
        ));
    }
    let probed = probe(InputPath::from_arg(&args.input))?;
    for (id, flag, formats) in INPUT_OPTIONS {
        if super::given(matches, id) && !formats.contains(&probed.format) {
            return Err(usage(format!(
                "{flag} does not apply to {} ({} input)",
                args.input.display(),
                probed.format.name()
            )));
        }
    }
    if let Some(cover) = &args.extract_cover {
        if !args.overwrite.overwrite && std::fs::symlink_metadata(cover).is_ok() {
            return Err(usage(format!(
                "{}: the output exists (-y replaces it)",
                cover.display()
            )));
        }
    }
    let json_out = format == OutputFormat::Json;
    let strict = args.strict;
    let framerate = args.framerate;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let io = |source| muxkit::Error::Io {
        context: "writing output",
        source,
    };
    // Only the view asked for is built (a playlist of 500,000 segments as JSON is 1.5 GB).
    let summary = |json: &dyn Fn() -> serde_json::Value,
                   text: &dyn Fn() -> String,
                   out: &mut dyn Write|
     -> muxkit::Result<()> {
        if format == OutputFormat::Text {
            return write!(out, "{}", text()).map_err(io);
        }
        let mut v = json();
        if let Some(keys) = &args.show_entries {
            filter_tracks(&mut v, keys);
        }
        match format {
            OutputFormat::Csv => write!(out, "{}", tracks_csv(&v, args.show_entries.as_deref())),
            OutputFormat::Flat => write!(out, "{}", to_flat(&v)),
            _ => {
                let s = serde_json::to_string_pretty(&v).map_err(|e| io(e.into()))?;
                writeln!(out, "{s}")
            }
        }
        .map_err(io)
    };
    match probed.format {
        _ if args.packets || matches!(probed.format, InputFormat::H264 | InputFormat::H265) => {
            let mut d = open_demuxer(probed, OpenOptions { strict, framerate })?;
            write_packets(&mut *d, json_out, &mut out)?;
        }
        InputFormat::Flv if args.tags => {
            write_tags(probed.source, FlvReadOptions { strict }, json_out, &mut out)?;
        }
        InputFormat::Flv => {
            let s = FlvSummary::read(probed.source, FlvReadOptions { strict })?;
            summary(&|| s.to_json(), &|| s.to_text(), &mut out)?;
        }
        InputFormat::Ts => {
            let s = TsSummary::read(probed.source, TsReadOptions { strict })?;
            summary(&|| s.to_json(), &|| s.to_text(), &mut out)?;
        }
        InputFormat::Mp4 => {
            let s = Mp4Summary::read(probed.source)?;
            let boxes = args.show_boxes;
            summary(
                &|| s.to_json_with(boxes),
                &|| s.to_text_with(boxes),
                &mut out,
            )?;
        }
        InputFormat::Mp3 => {
            let s = Mp3Summary::read(probed.source, Mp3ReadOptions { strict })?;
            if let Some(path) = &args.extract_cover {
                let cover = s.cover().ok_or_else(|| {
                    muxkit::Error::InvalidInput(format!(
                        "{}: no picture in the id3 tag",
                        args.input.display()
                    ))
                })?;
                let mut f = muxkit::io::AtomicFile::create(path)?;
                f.write_all(&cover.data)
                    .map_err(|source| muxkit::Error::File {
                        path: path.clone(),
                        source,
                    })?;
                f.commit()?;
            }
            summary(&|| s.to_json(), &|| s.to_text(), &mut out)?;
        }
        InputFormat::Adts => {
            let s = AdtsSummary::read(probed.source, AdtsReadOptions { strict })?;
            summary(&|| s.to_json(), &|| s.to_text(), &mut out)?;
        }
        InputFormat::HlsPlaylist => {
            if args.input.as_os_str() == "-" {
                return Err(muxkit::Error::Unsupported(
                    "a playlist must be a file: its segments are found relative to it".into(),
                ));
            }
            let check = PlaylistCheck::run(&args.input)?;
            summary(&|| check.to_json(), &|| check.to_text(), &mut out)?;
            out.flush().map_err(io)?;
            if !check.is_clean() {
                return Err(muxkit::Error::InvalidInput(format!(
                    "{}: the playlist breaks RFC 8216 (see above)",
                    args.input.display()
                )));
            }
        }
        other => {
            return Err(muxkit::Error::Unsupported(format!(
                "inspect of {}",
                other.name()
            )));
        }
    }
    out.flush().map_err(io)
}
