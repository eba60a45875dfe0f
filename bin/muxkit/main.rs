//! The muxkit command line: argument parsing and dispatch only; all format logic lives in the
//! library.

mod cmd;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Convert media between containers without re-encoding.
#[derive(Parser)]
#[command(name = "muxkit", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    verbosity: cmd::say::VerbosityArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what a media file holds: tracks, codecs, metadata, or every tag.
    Inspect(cmd::inspect::InspectArgs),
    /// Rewrite an input into another container (chosen by the output's extension).
    Convert(cmd::convert::ConvertArgs),
    /// Remux a whole folder tree in parallel, resumably (HLS, TS, FLV, F4V, MP4, MP3).
    Batch(cmd::batch::BatchArgs),
    /// A live origin: RTMP/RTMPS publishes (ffmpeg, OBS) to live HLS and DASH, served over
    /// HTTP (HLS, HTTP-FLV, /metrics) and RTMP play, with hooks and relays.
    Ingest(cmd::ingest::IngestArgs),
    /// Push a file to an RTMP server in real time (or as fast as possible).
    Publish(cmd::publish::PublishArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.verbosity.apply();
    let sub = |name: &str| {
        matches
            .subcommand_matches(name)
            .cloned()
            .unwrap_or_default()
    };
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(args, &sub("inspect")),
        Command::Convert(args) => cmd::convert::run(args, &sub("convert")),
        Command::Batch(args) => return cmd::batch::run(args),
        Command::Ingest(args) => cmd::ingest::run(args),
        Command::Publish(args) => cmd::publish::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`muxkit inspect --tags big.flv | head`): not a failure.
        Err(muxkit::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        // Stopped by a signal: said already where something was kept; 128 + SIGINT.
        Err(muxkit::Error::Cancelled) => ExitCode::from(130),
        // A usage mistake: the same status as a malformed command line.
        Err(e @ muxkit::Error::Usage(_)) => {
            eprintln!("muxkit: error: {e}");
            ExitCode::from(2)
        }
        // Object storage failed after its retries: worth retrying later (EX_TEMPFAIL), as a
        // batch says when only storage failed.
        Err(
            e @ muxkit::Error::Storage {
                transient: true, ..
            },
        ) => {
            eprintln!("muxkit: error: {e}");
            ExitCode::from(75)
        }
        Err(e) => {
            eprintln!("muxkit: error: {e}");
            ExitCode::FAILURE
        }
    }
}
