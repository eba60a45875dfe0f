//! `muxkit inspect`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use muxkit::flv::FlvReadOptions;
use muxkit::inspect::flv::{FlvSummary, write_tags};
use muxkit::probe::{InputFormat, InputPath, probe};

/// Arguments of `muxkit inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// The file to inspect (`-` for stdin).
    pub input: PathBuf,
    /// One line per tag instead of the summary.
    #[arg(long)]
    pub tags: bool,
    /// Machine-readable JSON.
    #[arg(long)]
    pub json: bool,
    /// Fail on recoverable damage instead of reporting it as a warning.
    #[arg(long)]
    pub strict: bool,
}

/// Runs the subcommand.
pub fn run(args: InspectArgs) -> muxkit::Result<()> {
    let probed = probe(InputPath::from_arg(&args.input))?;
    let options = FlvReadOptions {
        strict: args.strict,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let io = |source| muxkit::Error::Io {
        context: "writing output",
        source,
    };
    match probed.format {
        InputFormat::Flv if args.tags => {
            write_tags(probed.source, options, args.json, &mut out)?;
        }
        InputFormat::Flv => {
            let summary = FlvSummary::read(probed.source, options)?;
            if args.json {
                let text =
                    serde_json::to_string_pretty(&summary.to_json()).map_err(|e| io(e.into()))?;
                writeln!(out, "{text}").map_err(io)?;
            } else {
                write!(out, "{}", summary.to_text()).map_err(io)?;
            }
        }
        _ => {
            return Err(muxkit::Error::Unsupported(format!(
                "inspect of {}",
                probed.format.name()
            )));
        }
    }
    out.flush().map_err(io)
}
