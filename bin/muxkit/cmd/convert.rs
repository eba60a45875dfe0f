//! `muxkit convert`.

use std::path::PathBuf;

use clap::Args;
use muxkit::convert::{ConvertOptions, convert};
use muxkit::probe::InputPath;

/// Arguments of `muxkit convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The input (`-` for stdin); its format is recognised from its bytes.
    pub input: PathBuf,
    /// The output file (`-` for stdout, as FLV); its extension picks the format.
    pub output: PathBuf,
    /// Fail on recoverable input damage instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// FLV output: add a keyframe index (times, filepositions) to onMetaData for seeking.
    #[arg(long)]
    pub keyframe_index: bool,
}

/// Runs the subcommand.
pub fn run(args: ConvertArgs) -> muxkit::Result<()> {
    let options = ConvertOptions {
        strict: args.strict,
        format: (args.output.as_os_str() == "-").then_some(muxkit::convert::OutputFormat::Flv),
        flv_keyframe_index: args.keyframe_index,
    };
    convert(InputPath::from_arg(&args.input), &args.output, &options)?;
    Ok(())
}
