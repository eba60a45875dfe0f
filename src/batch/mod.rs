//! `muxkit batch`: remux a whole folder tree in parallel, resumably.
//!
//! [`Batch::plan`] walks the input folder, keeps the files the filters and the shard select,
//! recognises media by its bytes and decides for each file: convert it, skip it (not media,
//! already converted, failed before with the same bytes) or fail it (two inputs that would
//! write one output). [`Batch::run`] converts on a rayon pool of `jobs` threads, largest file
//! first (so one big file does not start last and finish alone), each job through
//! [`crate::convert::convert`]: the input mapped, the output streamed, so memory per job stays
//! small whatever the file sizes. Outputs appear under their final names only when complete;
//! the state file records each one as it lands, so an interrupted batch resumes where it
//! stopped.
//!
//! | file | job |
//! |---|---|
//! | glob.rs | `--include`/`--exclude` patterns |
//! | shard.rs | `--shard K/N`: a stable subset by path hash |
//! | walk.rs | the recursive walk: regular files, sorted, links only when asked |
//! | state.rs | the state file: a JSON-lines journal in the output folder |
//! | plan.rs | what to do with each file, and where its output goes |
//! | run.rs | the pool, one conversion per file, the summary |
//! | report.rs | one JSON line per file for `--report` |
//! | remote.rs | the tree, the outputs and the state in object storage (`s3://`) |

mod glob;
mod plan;
#[cfg(feature = "s3")]
mod remote;
mod report;
mod run;
mod shard;
mod state;
mod walk;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use glob::{Glob, GlobError};
pub use plan::{BatchItem, ItemAction, SkipReason};
#[cfg(feature = "s3")]
pub use remote::BatchObjects;
pub use report::{FileReport, FileStatus};
pub use run::{BatchObserver, BatchSummary};
pub use shard::{MAX_SHARDS, Shard, ShardSource, fnv1a64};
pub use state::{BatchState, StateEntry, state_file_name};
pub use walk::{Walk, WalkOptions, WalkSkip, WalkedFile, walk};

use crate::convert::{ConvertOptions, OutputFormat};
use crate::error::Result;
use crate::remux::Cancel;

/// What every input becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BatchTarget {
    /// One folder per input: `index.m3u8` and its TS segments.
    Hls,
    /// One folder per input: `index.m3u8`, `init.mp4` and fMP4 (CMAF) segments.
    HlsFmp4,
    /// MPEG-TS.
    Ts,
    /// FLV.
    Flv,
    /// Adobe F4V.
    F4v,
    /// MP4.
    Mp4,
    /// The input's MP3/MP2 track.
    Mp3,
    /// The input's AAC track as ADTS.
    Aac,
}

impl BatchTarget {
    /// Every target, for help texts.
    pub const ALL: [BatchTarget; 8] = [
        BatchTarget::Hls,
        BatchTarget::HlsFmp4,
        BatchTarget::Ts,
        BatchTarget::Flv,
        BatchTarget::F4v,
        BatchTarget::Mp4,
        BatchTarget::Mp3,
        BatchTarget::Aac,
    ];

    /// The name used by `--to` and in the state file.
    pub fn name(self) -> &'static str {
        match self {
            BatchTarget::Hls => "hls",
            BatchTarget::HlsFmp4 => "hls-fmp4",
            BatchTarget::Ts => "ts",
            BatchTarget::Flv => "flv",
            BatchTarget::F4v => "f4v",
            BatchTarget::Mp4 => "mp4",
            BatchTarget::Mp3 => "mp3",
            BatchTarget::Aac => "aac",
        }
    }

    /// The converter's output format.
    pub fn output_format(self) -> OutputFormat {
        match self {
            BatchTarget::Hls | BatchTarget::HlsFmp4 => OutputFormat::Hls,
            BatchTarget::Ts => OutputFormat::Ts,
            BatchTarget::Flv => OutputFormat::Flv,
            BatchTarget::F4v => OutputFormat::F4v,
            BatchTarget::Mp4 => OutputFormat::Mp4,
            BatchTarget::Mp3 => OutputFormat::Mp3,
            BatchTarget::Aac => OutputFormat::Aac,
        }
    }

    /// Whether the output is a folder (HLS) rather than a file.
    pub fn is_folder(self) -> bool {
        matches!(self, BatchTarget::Hls | BatchTarget::HlsFmp4)
    }

    /// Sets the conversion's format (and for `hls-fmp4` its segment type and names).
    pub fn apply(self, options: &mut ConvertOptions) {
        use crate::hls::HlsSegmentType;
        options.format = Some(self.output_format());
        if self == BatchTarget::HlsFmp4 {
            options.hls.segment_type = HlsSegmentType::Fmp4;
            if options.hls.segment_pattern == HlsSegmentType::MpegTs.default_pattern() {
                options.hls.segment_pattern = HlsSegmentType::Fmp4.default_pattern().to_owned();
            }
        }
    }

    /// Where the input at `rel` goes, relative to the output folder: the same folders, the
    /// extension replaced (`a/b.flv` -> `a/b.ts`; HLS: the folder `a/b`).
    pub fn output_rel(self, rel: &str) -> String {
        let (dir, name) = match rel.rsplit_once('/') {
            Some((d, n)) => (Some(d), n),
            None => (None, rel),
        };
        // "x.flv" -> "x"; ".hidden" and "noext" stay whole.
        let stem = match name.rfind('.') {
            Some(0) | None => name,
            Some(i) => &name[..i],
        };
        let file = if self.is_folder() {
            stem.to_owned()
        } else {
            format!("{stem}.{}", self.name())
        };
        match dir {
            Some(d) => format!("{d}/{file}"),
            None => file,
        }
    }
}

impl FromStr for BatchTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<BatchTarget, String> {
        BatchTarget::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = BatchTarget::ALL.iter().map(|t| t.name()).collect();
                format!("{s:?} is not one of {}", names.join(", "))
            })
    }
}

impl fmt::Display for BatchTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a batch needs to know.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// The tree to read.
    pub input_dir: PathBuf,
    /// Where the mirrored tree of outputs (and the state file) goes.
    pub output_dir: PathBuf,
    /// What every input becomes.
    pub target: BatchTarget,
    /// Conversions at once (at least 1), each on one thread: a batch uses `jobs` cores, not
    /// more (its conversions write inline, see [`crate::convert::ConvertOptions::inline_writes`]).
    pub jobs: usize,
    /// Keep only files matching one of these (all files when empty).
    pub include: Vec<Glob>,
    /// Drop files matching any of these.
    pub exclude: Vec<Glob>,
    /// Follow symbolic links to files and folders.
    pub follow_symlinks: bool,
    /// Convert again what the state file says is done (and retry what failed).
    pub force: bool,
    /// Never replace an output that exists (`-n`): such inputs are skipped. Without it the
    /// batch owns its output tree and remakes what its plan converts.
    pub keep_existing: bool,
    /// Retry inputs that failed before with the same size and modification time.
    pub retry_failed: bool,
    /// The share of the tree this run takes.
    pub shard: Shard,
    /// How each file is converted (strictness, TS and HLS choices); its `format`, `force`
    /// and `cancel` are set by the batch.
    pub convert: ConvertOptions,
    /// The state file, when not the default one in the output folder.
    pub state_file: Option<PathBuf>,
    /// Object storage in place of the input folder, the output folder or the state file.
    #[cfg(feature = "s3")]
    pub objects: BatchObjects,
}

impl BatchOptions {
    /// Defaults for `input_dir` -> `output_dir` as `target`: one job per core, no filters, the
    /// whole tree.
    pub fn new(input_dir: &Path, output_dir: &Path, target: BatchTarget) -> BatchOptions {
        BatchOptions {
            input_dir: input_dir.to_owned(),
            output_dir: output_dir.to_owned(),
            target,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            include: Vec::new(),
            exclude: Vec::new(),
            follow_symlinks: false,
            force: false,
            keep_existing: false,
            retry_failed: false,
            shard: Shard::all(),
            convert: ConvertOptions::default(),
            state_file: None,
            #[cfg(feature = "s3")]
            objects: BatchObjects::default(),
        }
    }

    /// The state file's path: `state_file`, or the shard's file in the output folder. When
    /// the state is kept in object storage, a local copy of it (in `TMPDIR`).
    pub fn state_path(&self) -> PathBuf {
        #[cfg(feature = "s3")]
        if let Some(url) = self.state_object() {
            return std::env::temp_dir().join(format!(
                ".muxkit-state.{}.{:016x}.tmp",
                std::process::id(),
                fnv1a64(url.to_string().as_bytes())
            ));
        }
        match &self.state_file {
            Some(p) => p.clone(),
            None => self.output_dir.join(state_file_name(self.shard)),
        }
    }

    /// Where the state is kept in object storage: `objects.state`, or the shard's file under
    /// the output prefix.
    #[cfg(feature = "s3")]
    pub fn state_object(&self) -> Option<crate::store::ObjectUrl> {
        self.objects.state.clone().or_else(|| {
            self.objects
                .output
                .as_ref()
                .filter(|_| self.state_file.is_none())
                .map(|o| o.join(&state_file_name(self.shard)))
        })
    }
}

/// A planned batch: what will happen to each file, in relative-path order.
pub struct Batch {
    options: BatchOptions,
    items: Vec<BatchItem>,
    walk_skips: usize,
    damaged_state_lines: usize,
}

impl Batch {
    /// Walks, filters, probes and checks the state file; writes nothing.
    pub fn plan(options: BatchOptions) -> Result<Batch> {
        let planned = plan::plan(&options)?;
        Ok(Batch {
            options,
            items: planned.items,
            walk_skips: planned.walk_skips,
            damaged_state_lines: planned.damaged_state_lines,
        })
    }

    /// Every file the filters and the shard selected, in relative-path order.
    pub fn items(&self) -> &[BatchItem] {
        &self.items
    }

    /// The options planned with.
    pub fn options(&self) -> &BatchOptions {
        &self.options
    }

    /// Lines of the state file that could not be read (a torn line after a kill).
    pub fn damaged_state_lines(&self) -> usize {
        self.damaged_state_lines
    }

    /// Symbolic links not followed and entries that could not be read during the walk.
    pub fn walk_skips(&self) -> usize {
        self.walk_skips
    }

    /// The reports a dry run gives: what [`Batch::run`] would do to each file.
    pub fn dry_run(&self) -> Vec<FileReport> {
        self.items.iter().map(FileReport::planned).collect()
    }

    /// Converts every file planned for it, `jobs` at a time; `cancel` stops the batch between
    /// packets (running conversions leave nothing behind, the state file keeps what finished).
    pub fn run(&self, observer: &dyn BatchObserver, cancel: &Cancel) -> Result<BatchSummary> {
        run::run(&self.options, &self.items, observer, cancel)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn outputs_mirror_the_tree_with_the_extension_replaced() {
        assert_eq!(BatchTarget::Ts.output_rel("a/b/c.flv"), "a/b/c.ts");
        assert_eq!(BatchTarget::Hls.output_rel("a/b/c.flv"), "a/b/c");
        assert_eq!(BatchTarget::Mp4.output_rel("c.tar.flv"), "c.tar.mp4");
        assert_eq!(BatchTarget::Flv.output_rel("x/noext"), "x/noext.flv");
        assert_eq!(BatchTarget::Hls.output_rel(".hidden"), ".hidden");
        assert_eq!("MP4".parse::<BatchTarget>().unwrap(), BatchTarget::Mp4);
        assert!(
            "avi"
                .parse::<BatchTarget>()
                .unwrap_err()
                .contains("hls, hls-fmp4, ts")
        );
        assert_eq!(BatchTarget::HlsFmp4.output_rel("a/b.flv"), "a/b");
        assert_eq!(
            "hls-fmp4".parse::<BatchTarget>().unwrap(),
            BatchTarget::HlsFmp4
        );
    }
}
