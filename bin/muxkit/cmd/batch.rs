//! `muxkit batch`: arguments, Ctrl-C, progress display and the summary; the work is
//! `muxkit::batch`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use muxkit::batch::{
    Batch, BatchItem, BatchObserver, BatchOptions, BatchSummary, BatchTarget, FileReport,
    FileStatus, Glob, ItemAction, Shard,
};
use muxkit::convert::ConvertOptions;
use muxkit::hls::HlsOptions;
use muxkit::remux::Cancel;
use muxkit::store::ObjectUrl;

/// Arguments of `muxkit batch`.
#[derive(Args)]
pub struct BatchArgs {
    /// The folder to read, recursively, or an object prefix (`s3://BUCKET/PREFIX`, `gs://`,
    /// `az://`) whose objects are read with ranged GETs.
    pub input_dir: PathBuf,
    /// Where the outputs go, in the same folders as their inputs (created if needed), or an
    /// object prefix; the state file goes there too unless --state says otherwise.
    pub output_dir: PathBuf,
    /// What every input becomes: hls (a folder per input), ts, flv, f4v, mp4, mp3 or aac.
    #[arg(long, default_value = "hls", value_parser = parse_target)]
    pub to: BatchTarget,
    /// Conversions at once (default: the number of cores).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Only files matching this glob (repeatable; `*.flv` matches names at any depth,
    /// `live/**/*.flv` paths relative to the input folder).
    #[arg(long, value_parser = parse_glob)]
    pub include: Vec<Glob>,
    /// Leave out files matching this glob (repeatable; wins over --include).
    #[arg(long, value_parser = parse_glob)]
    pub exclude: Vec<Glob>,
    /// Follow symbolic links to files and folders (each folder is walked once).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Take shard K of N (1-based): a stable subset by a hash of each file's relative path,
    /// for running one batch per machine. `--shard` alone (or `auto`) takes K and N from a
    /// Slurm array's environment; `auto/N` gives N for Kubernetes Indexed Jobs
    /// (JOB_COMPLETION_INDEX) and AWS Batch arrays (AWS_BATCH_JOB_ARRAY_INDEX).
    #[arg(long, value_parser = parse_shard, num_args = 0..=1, default_missing_value = "auto",
          value_name = "K/N|auto[/N]")]
    pub shard: Option<ShardArg>,
    /// Convert again what the state file records as done, and retry what failed.
    #[arg(long)]
    pub force: bool,
    /// Retry inputs that failed before with the same size and modification time.
    #[arg(long)]
    pub retry_failed: bool,
    /// List what would be done, convert nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write one JSON line per file (input, output, status, error, duration, bytes, tracks);
    /// a file, or an object (`s3://BUCKET/report.jsonl`).
    #[arg(long, value_name = "FILE.jsonl")]
    pub report: Option<PathBuf>,
    /// Keep the resume state here instead of in the output folder: a file, or an object
    /// (`s3://BUCKET/state/`, a prefix, takes the shard's own name in it), so a shard retried
    /// on another machine resumes.
    #[arg(long, value_name = "FILE|URL")]
    pub state: Option<PathBuf>,
    /// Fail on recoverable input damage instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// HLS: target segment duration in seconds.
    #[arg(long, default_value_t = 6.0, value_parser = super::convert::parse_hls_time, allow_negative_numbers = true)]
    pub hls_time: f64,
    /// -n: skip inputs whose output exists; -y (the default in a batch, which owns its output
    /// tree): remake what the plan converts.
    #[command(flatten)]
    pub overwrite: super::overwrite::OverwriteArgs,
}

fn parse_target(s: &str) -> Result<BatchTarget, String> {
    s.parse()
}

fn parse_glob(s: &str) -> Result<Glob, String> {
    Glob::new(s).map_err(|e| e.to_string())
}

/// `--shard` values.
#[derive(Clone, Copy, Debug)]
pub enum ShardArg {
    /// `K/N`.
    Fixed(Shard),
    /// `auto` or `auto/N`: from the scheduler's environment.
    Auto(Option<u32>),
}

fn parse_shard(s: &str) -> Result<ShardArg, String> {
    match s.strip_prefix("auto") {
        Some("") => Ok(ShardArg::Auto(None)),
        Some(rest) => {
            let n = rest
                .strip_prefix('/')
                .and_then(|n| n.trim().parse::<u32>().ok())
                .filter(|&n| (1..=muxkit::batch::MAX_SHARDS).contains(&n))
                .ok_or_else(|| format!("{s:?} is not auto or auto/N"))?;
            Ok(ShardArg::Auto(Some(n)))
        }
        None => s.parse().map(ShardArg::Fixed),
    }
}

/// The shard to take: as given, or from the scheduler's environment (said with -v).
fn resolve_shard(arg: Option<ShardArg>) -> muxkit::Result<Shard> {
    match arg {
        None => Ok(Shard::all()),
        Some(ShardArg::Fixed(s)) => Ok(s),
        Some(ShardArg::Auto(count)) => {
            let (shard, source) =
                Shard::from_env(count, |k| std::env::var(k).ok()).map_err(muxkit::Error::Usage)?;
            super::say::info(format_args!("shard {shard} from the {}", source.name()));
            Ok(shard)
        }
    }
}

/// Shows progress: a bar (bytes read, rate, ETA, files done, the files in flight) on a
/// terminal, advancing as each conversion reads its input; one line per file otherwise.
struct Progress {
    shared: Arc<Shared>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

/// What the workers and the ticker share.
struct Shared {
    bar: Option<ProgressBar>,
    quiet: bool,
    total_files: usize,
    files_done: AtomicUsize,
    /// Input bytes of the files finished.
    bytes_done: AtomicU64,
    /// The files being converted, with their counters.
    in_flight: Mutex<Vec<(String, muxkit::progress::Progress)>>,
    lines: Mutex<()>,
    stop: AtomicBool,
}

/// How often the bar is brought up to date with the conversions in flight.
const BAR_TICK: Duration = Duration::from_millis(100);

impl Progress {
    fn new(batch: &Batch, quiet: bool) -> Progress {
        let todo: Vec<&BatchItem> = batch
            .items()
            .iter()
            .filter(|i| i.action == ItemAction::Convert)
            .collect();
        let total_bytes = todo.iter().map(|i| i.size).sum();
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total_bytes);
            let style = ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(format!("0/{} files", todo.len()));
            bar
        });
        let shared = Arc::new(Shared {
            bar,
            quiet,
            total_files: todo.len(),
            files_done: AtomicUsize::new(0),
            bytes_done: AtomicU64::new(0),
            in_flight: Mutex::new(Vec::new()),
            lines: Mutex::new(()),
            stop: AtomicBool::new(false),
        });
        let ticker = shared.bar.is_some().then(|| {
            let shared = shared.clone();
            std::thread::spawn(move || {
                while !shared.stop.load(Ordering::Relaxed) {
                    shared.refresh();
                    std::thread::sleep(BAR_TICK);
                }
            })
        });
        Progress { shared, ticker }
    }
}

/// Stops the ticker and clears the bar, also when the batch fails (so the bar never redraws
/// over the error line).
impl Drop for Progress {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if let Some(bar) = &self.shared.bar {
            bar.finish_and_clear();
        }
    }
}

impl Shared {
    /// Bar position = finished files' bytes + what the running conversions have read;
    /// message = files done and the names of those in flight.
    fn refresh(&self) {
        let Some(bar) = &self.bar else { return };
        let in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let reading: u64 = in_flight
            .iter()
            .map(|(_, p)| p.snapshot().input_bytes)
            .sum();
        let names: Vec<&str> = in_flight.iter().map(|(n, _)| n.as_str()).collect();
        let done = self.files_done.load(Ordering::Relaxed);
        bar.set_position(self.bytes_done.load(Ordering::Relaxed) + reading);
        let mut msg = format!("{done}/{} files", self.total_files);
        if !names.is_empty() {
            let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            msg.push_str(&format!(" | {}", super::printable(&shown)));
            if names.len() > 3 {
                msg.push_str(&format!(" +{}", names.len() - 3));
            }
        }
        bar.set_message(msg);
    }

    fn line(&self, text: &str) {
        // File names come from the tree: a newline in one must not forge a line.
        let text = &super::printable(text);
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                let _guard = self.lines.lock();
                eprintln!("{text}");
            }
        }
    }
}

impl BatchObserver for Progress {
    fn started(&self, item: &BatchItem, progress: &muxkit::progress::Progress) {
        self.shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((item.rel.clone(), progress.clone()));
    }

    fn finished(&self, item: &BatchItem, report: &FileReport) {
        let s = &*self.shared;
        s.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(rel, _)| *rel != item.rel);
        let n = s.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        s.bytes_done.fetch_add(item.size, Ordering::Relaxed);
        s.refresh();
        let head = format!("[{n}/{}]", s.total_files);
        match report.status {
            FileStatus::Failed => {
                s.line(&format!(
                    "{head} failed {}: {}",
                    item.rel,
                    report.reason.as_deref().unwrap_or("")
                ));
            }
            FileStatus::Converted if !s.quiet && s.bar.is_none() => s.line(&format!(
                "{head} converted {} -> {} ({:.1} MB in {:.2} s)",
                item.rel,
                item.output.display(),
                item.size as f64 / 1e6,
                report.duration.as_secs_f64()
            )),
            _ => {}
        }
    }
}

/// One line per file on stdout; a reader that goes away (`| head`) ends the listing quietly.
fn print_dry_run(batch: &Batch) -> muxkit::Result<()> {
    let mut out = std::io::stdout().lock();
    for r in batch.dry_run() {
        let reason = r.reason.as_deref().unwrap_or("");
        let line = match r.status {
            FileStatus::Planned => format!(
                "convert {} -> {}",
                r.rel,
                r.output.as_deref().unwrap_or(Path::new("")).display()
            ),
            FileStatus::Skipped => format!("skip    {} ({reason})", r.rel),
            _ => format!("fail    {}: {reason}", r.rel),
        };
        let written = writeln!(out, "{}", super::printable(&line));
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(source) => {
                return Err(muxkit::Error::Io {
                    context: "writing the listing",
                    source,
                });
            }
            Ok(()) => {}
        }
    }
    Ok(())
}

fn print_summary(summary: &BatchSummary) {
    let skipped = summary.count(FileStatus::Skipped);
    let mut skip_kinds: Vec<(String, usize)> = Vec::new();
    for r in summary
        .reports
        .iter()
        .filter(|r| r.status == FileStatus::Skipped)
    {
        // "failed before (...): error" counts under its first words only.
        let reason = r
            .reason
            .as_deref()
            .unwrap_or("")
            .split([':', '('])
            .next()
            .unwrap_or("");
        let reason = reason.trim().to_owned();
        match skip_kinds.iter_mut().find(|(k, _)| *k == reason) {
            Some((_, n)) => *n += 1,
            None => skip_kinds.push((reason, 1)),
        }
    }
    let kinds: Vec<String> = skip_kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let mut line = format!(
        "batch: {} converted, {} skipped{}, {} failed",
        summary.count(FileStatus::Converted),
        skipped,
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        },
        summary.count(FileStatus::Failed),
    );
    let cancelled = summary.count(FileStatus::Cancelled);
    if cancelled > 0 {
        line.push_str(&format!(", {cancelled} not done (interrupted)"));
    }
    line.push_str(&format!(
        "; {:.1} MB in, {:.1} MB out, {:.2} s, {:.1} MB/s, {} jobs",
        summary.bytes_in() as f64 / 1e6,
        summary.bytes_out() as f64 / 1e6,
        summary.elapsed.as_secs_f64(),
        summary.mb_per_sec(),
        summary.jobs
    ));
    let quiet = super::say::level() == super::say::QUIET;
    if !quiet {
        eprintln!("{line}");
    }
    for r in summary.reports.iter().filter(|_| !quiet) {
        for w in &r.warnings {
            eprintln!(
                "batch: warning: {}",
                super::printable(&format!("{}: {w}", r.rel))
            );
        }
    }
    for r in summary
        .reports
        .iter()
        .filter(|r| r.status == FileStatus::Failed)
    {
        eprintln!(
            "batch: failed: {}",
            super::printable(&format!("{}: {}", r.rel, r.reason.as_deref().unwrap_or("")))
        );
    }
}

/// Writes the report to its file, or to a local copy uploaded to its object.
fn write_report(
    summary: &BatchSummary,
    (path, object): &(PathBuf, Option<ObjectUrl>),
) -> muxkit::Result<()> {
    let Some(url) = object else {
        return summary.write_report(path);
    };
    let local = std::env::temp_dir().join(format!(".muxkit-report.{}.tmp", std::process::id()));
    let written = summary.write_report(&local);
    let uploaded = written.and_then(|()| muxkit::store::upload_file(&local, url));
    let _ = std::fs::remove_file(&local);
    uploaded
}

/// Exit status when every failure was the output's storage (sysexits.h `EX_TEMPFAIL`): worth
/// retrying, unlike an input that fails the same way every time (exit 1).
const TEMPORARY_FAILURE: u8 = 75;

/// Runs the subcommand; the exit code is 0 when every file converted or was skipped, 1 when
/// an input failed, 75 when only the output's storage failed (retry), 2 for a usage mistake,
/// 130 when Ctrl-C stopped it.
pub fn run(args: BatchArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(e @ muxkit::Error::Usage(_)) => {
            eprintln!("muxkit: error: {e}");
            ExitCode::from(2)
        }
        // The tree or the state could not be listed or read: storage, worth a retry.
        Err(
            e @ muxkit::Error::Storage {
                transient: true, ..
            },
        ) => {
            eprintln!("muxkit: error: {e}");
            ExitCode::from(TEMPORARY_FAILURE)
        }
        Err(e) => {
            eprintln!("muxkit: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: BatchArgs) -> muxkit::Result<ExitCode> {
    let mut options = BatchOptions::new(&args.input_dir, &args.output_dir, args.to);
    let store_options = muxkit::store::StoreOptions::from_env()?;
    let object = |p: &Path| -> muxkit::Result<Option<ObjectUrl>> {
        let text = p.to_string_lossy();
        if ObjectUrl::is_object_url(&text) {
            ObjectUrl::parse(&text, &store_options).map(Some)
        } else {
            Ok(None)
        }
    };
    options.objects.input = object(&args.input_dir)?;
    options.objects.output = object(&args.output_dir)?;
    if let Some(j) = args.jobs {
        options.jobs = j as usize;
    }
    options.include = args.include;
    options.exclude = args.exclude;
    options.follow_symlinks = args.follow_symlinks;
    options.force = args.force;
    options.keep_existing = args.overwrite.no_overwrite;
    options.retry_failed = args.retry_failed;
    options.shard = resolve_shard(args.shard)?;
    if let Some(state) = &args.state {
        match object(state)? {
            // A prefix (`s3://b/state/`) holds each shard's file under its own name.
            Some(url) if state.to_string_lossy().ends_with('/') || url.key().is_empty() => {
                options.objects.state =
                    Some(url.join(&muxkit::batch::state_file_name(options.shard)));
            }
            Some(_) if options.shard.count() > 1 => {
                return Err(muxkit::Error::Usage(format!(
                    "--state {}: shards would write one object over each other; give a prefix ending in / (each shard keeps its own file in it)",
                    state.display()
                )));
            }
            Some(url) => options.objects.state = Some(url),
            None if state.is_dir() => {
                options.state_file =
                    Some(state.join(muxkit::batch::state_file_name(options.shard)));
            }
            None => options.state_file = Some(state.clone()),
        }
    }
    let report = match &args.report {
        Some(p) => Some((p.clone(), object(p)?)),
        None => None,
    };
    options.convert = ConvertOptions {
        strict: args.strict,
        hls: HlsOptions {
            target_duration: args.hls_time,
            ..HlsOptions::default()
        },
        ..ConvertOptions::default()
    };
    let batch = Batch::plan(options)?;
    if batch.damaged_state_lines() > 0 {
        super::say::warning(format_args!(
            "{} unreadable line(s) in the state file ignored (an interrupted write); those files are converted again",
            batch.damaged_state_lines()
        ));
    }
    if args.dry_run {
        print_dry_run(&batch)?;
        if let Some(report) = &report {
            write_report(
                &muxkit::batch::BatchSummary {
                    reports: batch.dry_run(),
                    elapsed: Duration::ZERO,
                    jobs: batch.options().jobs,
                },
                report,
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let cancel = Cancel::new();
    let on_signal = cancel.clone();
    // A second signal quits at once (temporary files may then be left, named .NAME.PID.tmp;
    // the next run removes them).
    super::signals::on_stop(
        "stopping: running conversions are being removed",
        move || on_signal.cancel(),
    );
    let progress = Progress::new(&batch, super::say::level() == super::say::QUIET);
    let summary = batch.run(&progress, &cancel)?;
    drop(progress);
    if let Some(report) = &report {
        write_report(&summary, report)?;
    }
    print_summary(&summary);
    Ok(if summary.was_cancelled() {
        ExitCode::from(130)
    } else if summary.only_retryable_failures() {
        // EX_TEMPFAIL: every failure was the output's storage, not an input; a scheduler
        // should run this shard again (it resumes from its state file).
        ExitCode::from(TEMPORARY_FAILURE)
    } else if summary.has_failures() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
