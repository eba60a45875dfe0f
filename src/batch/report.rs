//! One report per file: what happened, for the progress display, the summary and `--report`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::io::AtomicFile;

use super::plan::{BatchItem, ItemAction};

/// How a file ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Converted; the output is in place.
    Converted,
    /// Left alone (see the reason).
    Skipped,
    /// Could not be converted (see the error); nothing was written.
    Failed,
    /// Stopped by Ctrl-C (or never started); nothing was written.
    Cancelled,
    /// A dry run: would be converted.
    Planned,
}

impl FileStatus {
    /// The status's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FileStatus::Converted => "converted",
            FileStatus::Skipped => "skipped",
            FileStatus::Failed => "failed",
            FileStatus::Cancelled => "cancelled",
            FileStatus::Planned => "planned",
        }
    }
}

/// What happened to one file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReport {
    /// The input's path.
    pub input: PathBuf,
    /// Relative to the input folder.
    pub rel: String,
    /// The output's path (converted, planned, or skipped as up to date).
    pub output: Option<PathBuf>,
    /// How it ended.
    pub status: FileStatus,
    /// The error (failed) or why it was skipped.
    pub reason: Option<String>,
    /// Time spent converting it.
    pub duration: Duration,
    /// Input bytes.
    pub bytes_in: u64,
    /// Output bytes (for HLS, the folder's files).
    pub bytes_out: u64,
    /// The input's format name.
    pub format: Option<&'static str>,
    /// `kind codec` of each track converted (`video h264`).
    pub tracks: Vec<String>,
    /// What the conversion left out or stepped over (a track the target cannot carry, damage
    /// skipped), one line each; the file still counts as converted.
    pub warnings: Vec<String>,
    /// A failure another attempt may not repeat (the output's storage failed: a full disk, an
    /// unwritable folder), as opposed to one the input's bytes cause every time.
    pub retryable: bool,
}

impl FileReport {
    /// What a dry run says about `item`, and the report of a file the batch never converts.
    pub fn planned(item: &BatchItem) -> FileReport {
        let (status, reason, output) = match &item.action {
            ItemAction::Convert => (FileStatus::Planned, None, Some(item.output.clone())),
            ItemAction::Skip(r) => (
                FileStatus::Skipped,
                Some(r.describe()),
                matches!(r, super::SkipReason::UpToDate).then(|| item.output.clone()),
            ),
            ItemAction::Fail(e) => (FileStatus::Failed, Some(e.clone()), None),
        };
        FileReport {
            input: item.input.clone(),
            rel: item.rel.clone(),
            output,
            status,
            reason,
            duration: Duration::ZERO,
            bytes_in: item.size,
            bytes_out: 0,
            format: item.format.map(|f| f.name()),
            tracks: Vec::new(),
            warnings: Vec::new(),
            retryable: false,
        }
    }

    /// The report as one JSON object (the same keys on every line).
    pub fn to_json(&self) -> Value {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let failed = self.status == FileStatus::Failed;
        json!({
            "input": path(&self.input),
            "output": self.output.as_deref().map(path),
            "status": self.status.name(),
            "error": if failed { self.reason.clone() } else { None },
            "reason": if failed { None } else { self.reason.clone() },
            "format": self.format,
            "duration_s": (self.duration.as_secs_f64() * 1e6).round() / 1e6,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "tracks": self.tracks,
            "warnings": self.warnings,
        })
    }
}

/// Writes `reports` as JSON lines to `path`, atomically (a reader never sees half a report).
pub fn write_report(path: &Path, reports: &[FileReport]) -> Result<()> {
    let mut text = String::new();
    for r in reports {
        text.push_str(&r.to_json().to_string());
        text.push('\n');
    }
    let mut f = AtomicFile::create(path)?;
    f.write_all(text.as_bytes()).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    f.commit()
}
