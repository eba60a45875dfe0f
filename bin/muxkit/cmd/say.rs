//! What the command line says on stderr, by level: `-q` keeps errors only, the default adds
//! warnings and notes, `-v` adds what was done and how fast, `-vv` debugging detail.
//!
//! One place decides, so every subcommand honours the same flags the same way.

use std::sync::atomic::{AtomicU8, Ordering};

use clap::Args;

/// Errors only.
pub const QUIET: u8 = 0;
/// Warnings and notes (the default).
pub const NORMAL: u8 = 1;
/// What was written, how much and how fast.
pub const VERBOSE: u8 = 2;
/// Debugging detail.
pub const DEBUG: u8 = 3;

static LEVEL: AtomicU8 = AtomicU8::new(NORMAL);

/// `-q` and `-v`, accepted by every subcommand (before or after its name).
#[derive(Args, Clone, Copy, Debug)]
pub struct VerbosityArgs {
    /// Print errors only: no warnings, notes or progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: -v what was written and how fast, -vv debugging detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl VerbosityArgs {
    /// Makes these flags the level for the rest of the run.
    pub fn apply(self) {
        let level = if self.quiet {
            QUIET
        } else {
            NORMAL.saturating_add(self.verbose).min(DEBUG)
        };
        LEVEL.store(level, Ordering::Relaxed);
    }
}

/// The level in force.
pub fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

/// `muxkit: warning: ...` unless `-q`.
pub fn warning(text: impl std::fmt::Display) {
    if level() >= NORMAL {
        eprintln!("muxkit: warning: {text}");
    }
}

/// `muxkit: note: ...` unless `-q`.
pub fn note(text: impl std::fmt::Display) {
    if level() >= NORMAL {
        eprintln!("muxkit: note: {text}");
    }
}

/// `muxkit: ...` with `-v` or more.
pub fn info(text: impl std::fmt::Display) {
    if level() >= VERBOSE {
        eprintln!("muxkit: {text}");
    }
}
