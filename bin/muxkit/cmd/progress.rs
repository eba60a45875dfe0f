//! Showing a conversion's progress: a bar on a terminal (indicatif), or JSON lines for
//! wrappers (`--progress json`, in the spirit of ffmpeg's `-progress`).
//!
//! The library advances a [`Progress`]; a thread here reads it every 100 ms. In `auto` mode the
//! bar appears only once the work has run for a second (a quick conversion stays silent) and
//! only when stderr is a terminal and `-q` is not given.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use muxkit::progress::{Progress, ProgressSnapshot};
use serde_json::json;

/// `--progress` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal and the work takes over a second; nothing otherwise.
    #[default]
    Auto,
    /// A bar from the start, even for quick work (stderr must be a terminal to see it).
    Bar,
    /// One JSON object per line on stderr every half second and at the end (`"progress":
    /// "continue"` / `"end"`), whatever stderr is.
    Json,
    /// Nothing.
    None,
}

/// How long `auto` waits before showing a bar.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// How often the view reads the counters.
const TICK: Duration = Duration::from_millis(100);
/// How often a JSON line is printed.
const JSON_EVERY: Duration = Duration::from_millis(500);

/// A running progress view; [`ProgressView::finish`] stops it.
pub struct ProgressView {
    stop: Arc<AtomicBool>,
    /// Raised when the work failed, for the last JSON line's `status`.
    failed: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
}

impl ProgressView {
    /// Starts showing `progress` as `mode` asks (nothing under `-q` unless JSON was asked for).
    pub fn start(mode: ProgressMode, progress: Progress) -> ProgressView {
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let quiet = super::say::level() == super::say::QUIET;
        let show = match mode {
            ProgressMode::Json => true,
            ProgressMode::None => false,
            ProgressMode::Auto | ProgressMode::Bar => !quiet && std::io::stderr().is_terminal(),
        };
        let worker = show.then(|| {
            let (stop, failed) = (stop.clone(), failed.clone());
            std::thread::Builder::new()
                .name("muxkit-progress".into())
                .spawn(move || watch(mode, &progress, &stop, &failed))
                .ok()
        });
        ProgressView {
            stop,
            failed,
            worker: worker.flatten(),
        }
    }

    /// Stops the view: a bar is left showing its last state, JSON ends with an `end` line
    /// whose `status` says whether the work `succeeded`.
    pub fn finish(mut self, succeeded: bool) {
        self.failed.store(!succeeded, Ordering::Relaxed);
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Drop for ProgressView {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn watch(mode: ProgressMode, progress: &Progress, stop: &AtomicBool, failed: &AtomicBool) {
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let mut last_json: Option<Instant> = None;
    loop {
        let done = stop.load(Ordering::Relaxed);
        let snap = progress.snapshot();
        let elapsed = started.elapsed();
        match mode {
            ProgressMode::Json => {
                if done || last_json.is_none_or(|t| t.elapsed() >= JSON_EVERY) {
                    let status = done.then(|| {
                        if failed.load(Ordering::Relaxed) {
                            "failed"
                        } else {
                            "ok"
                        }
                    });
                    print_json(&snap, elapsed, status);
                    last_json = Some(Instant::now());
                }
            }
            _ => {
                // The kind of bar depends on whether the input's length is known, which
                // the probe says before the first packet.
                let probed = snap.input_total.is_some() || snap.packets > 0;
                let due = mode == ProgressMode::Bar || elapsed >= SHOW_AFTER;
                // Asked for a bar: work done before the first tick still shows its last state.
                if bar.is_none() && due && probed && (!done || mode == ProgressMode::Bar) {
                    bar = Some(new_bar(&snap));
                }
                if let Some(bar) = &bar {
                    if let Some(total) = snap.input_total {
                        bar.set_length(total);
                    }
                    bar.set_position(snap.input_bytes);
                    bar.set_message(describe(&snap, elapsed));
                    if done {
                        bar.finish();
                    }
                }
            }
        }
        if done {
            return;
        }
        std::thread::sleep(TICK);
    }
}

fn new_bar(snap: &ProgressSnapshot) -> ProgressBar {
    match snap.input_total {
        Some(total) => {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "[{bar:30}] {binary_bytes}/{binary_total_bytes} {msg} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        }
        // A live input (stdin): no end to measure against.
        None => {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {binary_bytes} read, {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        }
    }
}

/// `time 00:01:02.345 speed 41.3x bitrate 2.1 Mb/s`: media time written, its rate against the
/// clock, and the input's bit rate over that media time.
fn describe(snap: &ProgressSnapshot, elapsed: Duration) -> String {
    let media = media_secs(snap);
    let mut s = format!("time {}", clock(media));
    let wall = elapsed.as_secs_f64();
    if wall > 0.0 && media > 0.0 {
        s.push_str(&format!(" speed {:.1}x", media / wall));
    }
    if media > 0.0 {
        let bps = snap.input_bytes as f64 * 8.0 / media;
        s.push_str(&format!(" bitrate {:.1} Mb/s", bps / 1e6));
    }
    s
}

fn media_secs(snap: &ProgressSnapshot) -> f64 {
    snap.media_us.max(0) as f64 / 1e6
}

/// `HH:MM:SS.mmm`.
fn clock(secs: f64) -> String {
    let ms = (secs * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// One JSON line; `status` (`ok`/`failed`) only on the last one.
fn print_json(snap: &ProgressSnapshot, elapsed: Duration, status: Option<&str>) {
    let done = status.is_some();
    let media = media_secs(snap);
    let wall = elapsed.as_secs_f64();
    // Too early for a rate worth printing.
    let speed = (wall >= 0.1).then(|| media / wall);
    let eta = snap
        .fraction()
        .filter(|&f| f > 0.0 && !done && wall >= 0.1)
        .map(|f| wall * (1.0 - f) / f);
    let mut line = json!({
        "progress": if done { "end" } else { "continue" },
        "input_bytes": snap.input_bytes,
        "input_total": snap.input_total,
        "percent": snap.fraction().map(|f| (f * 1000.0).round() / 10.0),
        "media_time": (media * 1000.0).round() / 1000.0,
        "packets": snap.packets,
        "elapsed": (wall * 1000.0).round() / 1000.0,
        "speed": speed.map(|s| (s * 10.0).round() / 10.0),
        "bitrate": (media > 0.0).then(|| (snap.input_bytes as f64 * 8.0 / media).round() as u64),
        "eta": eta.map(|e| (e * 10.0).round() / 10.0),
    });
    if let Some(status) = status {
        line["status"] = json!(status);
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}
