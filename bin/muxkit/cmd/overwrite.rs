//! `-y` / `-n`: what to do with an output that already exists, as ffmpeg's flags do.

use clap::Args;
use muxkit::convert::Overwrite;

/// `-y` and `-n` of the subcommands that write files.
#[derive(Args, Clone, Copy, Debug)]
pub struct OverwriteArgs {
    /// Replace outputs that exist (a file, or the files of the same names in an HLS or DASH
    /// folder that holds files).
    #[arg(short = 'y', long = "overwrite", conflicts_with = "no_overwrite")]
    pub overwrite: bool,
    /// Never replace an output that exists: stop with an error (exit 2) instead. This is also
    /// what happens without either flag; -n says so explicitly in scripts.
    #[arg(short = 'n', long = "no-overwrite")]
    pub no_overwrite: bool,
}

impl OverwriteArgs {
    /// The library's choice.
    pub fn policy(self) -> Overwrite {
        if self.overwrite {
            Overwrite::Replace
        } else {
            Overwrite::Refuse
        }
    }
}
