//! Running a planned batch: the pool, one conversion per file, the summary.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::convert::convert;
use crate::error::{Error, Result};
use crate::probe::InputPath;
use crate::progress::Progress;
use crate::remux::{Cancel, RemuxStats};

use super::BatchOptions;
use super::plan::{BatchItem, ItemAction};
use super::report::{FileReport, FileStatus, write_report};
use super::state::{BatchState, StateEntry};

/// Stack for each worker: the conversions need little, but deep AMF or box trees are walked
/// recursively within their named depth limits.
const WORKER_STACK: usize = 8 * 1024 * 1024;

/// Told about each conversion as it starts and ends, from the worker threads (progress bars,
/// log lines).
pub trait BatchObserver: Sync {
    /// `item` is about to be converted; `progress` is advanced as its conversion reads and
    /// writes (bytes read, media time), so a bar can move within a file.
    fn started(&self, _item: &BatchItem, _progress: &Progress) {}
    /// `item` is done, one way or another.
    fn finished(&self, _item: &BatchItem, _report: &FileReport) {}
}

/// An observer that does nothing.
impl BatchObserver for () {}

/// What a batch did.
#[derive(Clone, Debug)]
pub struct BatchSummary {
    /// One report per planned file, in relative-path order (whatever order they ran in).
    pub reports: Vec<FileReport>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Threads used.
    pub jobs: usize,
}

impl BatchSummary {
    /// Files with `status`.
    pub fn count(&self, status: FileStatus) -> usize {
        self.reports.iter().filter(|r| r.status == status).count()
    }

    /// Input bytes of the files converted.
    pub fn bytes_in(&self) -> u64 {
        self.converted().map(|r| r.bytes_in).sum()
    }

    /// Output bytes written.
    pub fn bytes_out(&self) -> u64 {
        self.converted().map(|r| r.bytes_out).sum()
    }

    /// Input MB (10^6 bytes) converted per second of wall-clock time.
    pub fn mb_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes_in() as f64 / 1e6 / secs
        } else {
            0.0
        }
    }

    /// Whether any file failed (the CLI then exits 1).
    pub fn has_failures(&self) -> bool {
        self.count(FileStatus::Failed) > 0
    }

    /// Whether every failure may pass on another attempt (storage, not input): what a
    /// scheduler should retry. False when nothing failed.
    pub fn only_retryable_failures(&self) -> bool {
        let mut failed = self
            .reports
            .iter()
            .filter(|r| r.status == FileStatus::Failed)
            .peekable();
        failed.peek().is_some() && failed.all(|r| r.retryable)
    }

    /// Whether Ctrl-C stopped the batch before every file was done.
    pub fn was_cancelled(&self) -> bool {
        self.count(FileStatus::Cancelled) > 0
    }

    /// Writes the reports as JSON lines (see [`FileReport::to_json`]).
    pub fn write_report(&self, path: &Path) -> Result<()> {
        write_report(path, &self.reports)
    }

    fn converted(&self) -> impl Iterator<Item = &FileReport> {
        self.reports
            .iter()
            .filter(|r| r.status == FileStatus::Converted)
    }
}

pub(super) fn run(
    options: &BatchOptions,
    items: &[BatchItem],
    observer: &dyn BatchObserver,
    cancel: &Cancel,
) -> Result<BatchSummary> {
    let started = Instant::now();
    let jobs = options.jobs.max(1);
    if !output_in_bucket(options) {
        fs::create_dir_all(&options.output_dir).map_err(|source| Error::File {
            path: options.output_dir.clone(),
            source,
        })?;
    }
    let state = super::state::open_for(options, true)?;
    let mut reports: Vec<Option<FileReport>> = items
        .iter()
        .map(|i| (i.action != ItemAction::Convert).then(|| FileReport::planned(i)))
        .collect();
    // Largest first: the last file to start is a small one, so the pool drains evenly.
    let mut queue: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].action == ItemAction::Convert)
        .collect();
    queue.sort_by(|&a, &b| items[b].size.cmp(&items[a].size).then(a.cmp(&b)));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(queue.len()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(WORKER_STACK)
        .thread_name(|i| format!("muxkit-batch-{i}"))
        .build()
        .map_err(|e| Error::Io {
            context: "starting the batch threads",
            source: std::io::Error::other(e),
        })?;
    pool.scope(|s| {
        for _ in 0..jobs.min(queue.len()) {
            s.spawn(|_| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = queue.get(k) else { break };
                    let item = &items[i];
                    let report = if cancel.is_cancelled() {
                        cancelled(item, Duration::ZERO)
                    } else {
                        let progress = Progress::new();
                        observer.started(item, &progress);
                        convert_one(item, options, &state, cancel, progress)
                    };
                    observer.finished(item, &report);
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, report));
                }
            });
        }
    });
    for (i, r) in done.into_inner().unwrap_or_else(|p| p.into_inner()) {
        reports[i] = Some(r);
    }
    drop(state);
    super::state::finish(options)?;
    Ok(BatchSummary {
        reports: reports
            .into_iter()
            .zip(items)
            .map(|(r, item)| r.unwrap_or_else(|| cancelled(item, Duration::ZERO)))
            .collect(),
        elapsed: started.elapsed(),
        jobs,
    })
}

fn cancelled(item: &BatchItem, duration: Duration) -> FileReport {
    FileReport {
        status: FileStatus::Cancelled,
        reason: Some("stopped before it finished".into()),
        output: None,
        duration,
        ..FileReport::planned(item)
    }
}

/// `.NAME.PID.tmp` beside `path`: where an HLS folder is written before its rename, named like
/// [`crate::io::AtomicFile`]'s temporary files.
fn temp_folder(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Errors that say something about the input's bytes, so the same bytes would fail again; an
/// I/O error (a full disk, a permission) or a cancel says nothing about them.
fn is_input_fault(e: &Error) -> bool {
    !matches!(
        e,
        Error::File { .. }
            | Error::Io { .. }
            | Error::Storage { .. }
            | Error::Cancelled
            | Error::InvalidUse(_)
            | Error::Usage(_)
    )
}

fn convert_one(
    item: &BatchItem,
    options: &BatchOptions,
    state: &BatchState,
    cancel: &Cancel,
    progress: Progress,
) -> FileReport {
    let t0 = Instant::now();
    let target = options.target;
    let result = write_output(item, options, cancel, progress);
    let duration = t0.elapsed();
    let entry = |failed: Option<String>| StateEntry {
        input: item.rel.clone(),
        size: item.size,
        mtime_ns: item.mtime_ns,
        to: target.name().to_owned(),
        output: item.output_rel.clone(),
        failed,
    };
    let base = FileReport {
        duration,
        ..FileReport::planned(item)
    };
    match result {
        Ok(stats) => {
            let tracks = stats
                .codecs
                .iter()
                .map(|(kind, codec)| format!("{kind} {}", codec.name()))
                .collect();
            let warnings = stats
                .losses
                .iter()
                .map(ToString::to_string)
                .chain(stats.warnings.iter().cloned())
                .chain(stats.notes.iter().map(|n| format!("note: {n}")))
                .collect();
            let report = FileReport {
                status: FileStatus::Converted,
                reason: None,
                bytes_out: output_size(item, options),
                tracks,
                warnings,
                ..base
            };
            match state.record(&entry(None)) {
                Ok(()) => report,
                Err(e) => FileReport {
                    status: FileStatus::Failed,
                    reason: Some(format!("converted, but the state file: {e}")),
                    retryable: true,
                    ..report
                },
            }
        }
        Err(Error::Cancelled) => cancelled(item, duration),
        Err(e) => {
            let message = e.to_string();
            if is_input_fault(&e) {
                // Best effort: a failure not recorded is only retried next time.
                let _ = state.record(&entry(Some(message.clone())));
            }
            FileReport {
                status: FileStatus::Failed,
                reason: Some(message),
                output: None,
                // Storage says itself whether a later run may succeed (a server that did not
                // answer may; expired credentials or a 403 need someone first). Either way it
                // is never recorded against the input's bytes.
                retryable: match &e {
                    Error::Storage { transient, .. } => *transient,
                    e => !is_input_fault(e),
                },
                ..base
            }
        }
    }
}

/// Converts `item` into its output: a file through the converter's own temporary file, an HLS
/// folder through a temporary folder renamed into place, so no reader (and no rerun) ever sees
/// a partial output.
fn write_output(
    item: &BatchItem,
    options: &BatchOptions,
    cancel: &Cancel,
    progress: Progress,
) -> Result<RemuxStats> {
    let target = options.target;
    let mut convert_options = options.convert.clone();
    target.apply(&mut convert_options);
    convert_options.cancel = Some(cancel.clone());
    convert_options.progress = Some(progress);
    // `--jobs N` is N busy threads: the pool is what keeps the cores busy, and a writer thread
    // per conversion would only add hand-offs (and make `--jobs 1` take a second core).
    convert_options.inline_writes = true;
    #[cfg(feature = "s3")]
    if let Some(prefix) = &options.objects.output {
        // No rename in a bucket: an object appears whole when its upload completes, and an
        // HLS output's playlist is stored after its segments, so a reader of the bucket sees
        // no partial output either way.
        convert_options.overwrite = crate::convert::Overwrite::Replace;
        let output = crate::store::Location::Object(prefix.join(&item.output_rel));
        return crate::store::convert_between(
            &input_location(item, options),
            &output,
            &convert_options,
        );
    }
    if let Some(parent) = item.output.parent() {
        fs::create_dir_all(parent).map_err(|source| Error::File {
            path: parent.to_owned(),
            source,
        })?;
    }
    if !target.is_folder() {
        // The plan decided this output is to be (re)made.
        convert_options.overwrite = crate::convert::Overwrite::Replace;
        return convert_to(item, options, &item.output, &convert_options);
    }
    if let (Some(dir), Some(name)) = (
        item.output.parent(),
        item.output.file_name().and_then(|n| n.to_str()),
    ) {
        // What a killed run left for this output.
        crate::io::remove_stale_temporaries(dir, Some(name));
    }
    let temp = temp_folder(&item.output);
    let remove = |p: &Path| -> Result<()> {
        match fs::remove_dir_all(p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::File {
                path: p.to_owned(),
                source: e,
            }),
            _ => Ok(()),
        }
    };
    remove(&temp)?;
    convert_options.overwrite = crate::convert::Overwrite::Refuse;
    let stats = match convert_to(item, options, &temp, &convert_options) {
        // An HLS conversion stopped by Ctrl-C is finished with what it had read; in a batch
        // that is a partial output, never committed.
        Ok(s) if s.interrupted => {
            let _ = fs::remove_dir_all(&temp);
            return Err(Error::Cancelled);
        }
        Ok(s) => s,
        Err(e) => {
            let _ = fs::remove_dir_all(&temp);
            return Err(e);
        }
    };
    // Replace an older output: the new folder is complete before the old one goes.
    if item.output.is_dir() {
        remove(&item.output)?;
    } else if item.output.exists() {
        fs::remove_file(&item.output).map_err(|source| Error::File {
            path: item.output.clone(),
            source,
        })?;
    }
    fs::rename(&temp, &item.output).map_err(|source| Error::File {
        path: item.output.clone(),
        source,
    })?;
    Ok(stats)
}

/// Converts `item`'s input (a file, or an object) into the local path `output`.
fn convert_to(
    item: &BatchItem,
    options: &BatchOptions,
    output: &Path,
    convert_options: &crate::convert::ConvertOptions,
) -> Result<RemuxStats> {
    #[cfg(feature = "s3")]
    if options.objects.input.is_some() {
        return crate::store::convert_between(
            &input_location(item, options),
            &crate::store::Location::Local(output.to_owned()),
            convert_options,
        );
    }
    let _ = options;
    convert(InputPath::File(&item.input), output, convert_options)
}

/// Where `item`'s input is.
#[cfg(feature = "s3")]
fn input_location(item: &BatchItem, options: &BatchOptions) -> crate::store::Location {
    match &options.objects.input {
        Some(prefix) => crate::store::Location::Object(prefix.join(&item.rel)),
        None => crate::store::Location::Local(item.input.clone()),
    }
}

/// Whether the outputs go to object storage.
fn output_in_bucket(options: &BatchOptions) -> bool {
    #[cfg(feature = "s3")]
    if options.objects.output.is_some() {
        return true;
    }
    let _ = options;
    false
}

/// Bytes written for `item`: its file, or the files of its HLS folder.
fn output_size(item: &BatchItem, options: &BatchOptions) -> u64 {
    #[cfg(feature = "s3")]
    if let Some(prefix) = &options.objects.output {
        return crate::store::stored_size(
            &prefix.join(&item.output_rel),
            options.target.is_folder(),
        )
        .unwrap_or(0);
    }
    let (output, target) = (&item.output, options.target);
    if !target.is_folder() {
        return fs::metadata(output).map_or(0, |m| m.len());
    }
    fs::read_dir(output).map_or(0, |entries| {
        entries
            .filter_map(|e| e.ok()?.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    })
}
