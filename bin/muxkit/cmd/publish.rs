//! `muxkit publish`: push a file to an RTMP server.

use std::path::PathBuf;

use clap::Args;
use muxkit::probe::{InputPath, OpenOptions, open_demuxer, probe};

/// Arguments of `muxkit publish`.
#[derive(Args)]
pub struct PublishArgs {
    /// The input (FLV, TS, MP3: anything muxkit reads; `-` for stdin), or a live stream to
    /// pull: rtmp://host[:port]/APP/STREAM (played and passed on as it arrives).
    pub input: PathBuf,
    /// rtmp://host[:port]/APP/STREAM[?key=SECRET]
    pub url: String,
    /// Send as fast as possible instead of in real time.
    #[arg(long)]
    pub fast: bool,
    /// Open N publishes at once (stream names get _1, _2, ... after the first): the load
    /// generator for `muxkit ingest`.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub streams: u32,
    /// With --streams: milliseconds between starting one publish and the next, so a thousand
    /// do not knock at once (a server's accept queue holds 128).
    #[arg(long, default_value_t = 10)]
    pub ramp_ms: u64,
}

fn stream_url(url: &str, i: u32) -> String {
    if i == 0 {
        return url.to_owned();
    }
    match url.split_once('?') {
        Some((base, query)) => format!("{base}_{i}?{query}"),
        None => format!("{url}_{i}"),
    }
}

/// Runs the subcommand.
pub fn run(args: PublishArgs) -> muxkit::Result<()> {
    if let Some(source) = args.input.to_str().filter(|s| s.starts_with("rtmp://")) {
        if args.streams > 1 {
            return Err(muxkit::Error::Usage(
                "--streams needs a file, not a live rtmp:// source".into(),
            ));
        }
        // A live source sets its own pace.
        muxkit::rtmp::relay(source, &args.url, 1)?;
        return Ok(());
    }
    if args.streams > 1 && args.input.as_os_str() == "-" {
        return Err(muxkit::Error::Usage(
            "--streams needs a file, not stdin".into(),
        ));
    }
    if args.streams > 1 && args.fast {
        return Err(muxkit::Error::Usage(
            "--streams publishes in real time: --fast is for one stream".into(),
        ));
    }
    if args.streams > 1 {
        // The load generator: one copy of the input's tags, every stream a task of one event
        // loop, real time.
        let probed = probe(InputPath::from_arg(&args.input))?;
        let mut d = open_demuxer(probed, OpenOptions::default())?;
        let tags = std::sync::Arc::new(muxkit::rtmp::collect_tags(&mut *d)?);
        let urls = (0..args.streams)
            .map(|i| stream_url(&args.url, i))
            .collect();
        let results = muxkit::server::publish_streams(
            tags,
            urls,
            std::time::Duration::from_millis(args.ramp_ms),
        )?;
        let mut failed = None;
        for (i, r) in results.into_iter().enumerate() {
            if let Err(e) = r {
                eprintln!("muxkit: stream {i}: {e}");
                failed.get_or_insert(e);
            }
        }
        return failed.map_or(Ok(()), Err);
    }
    let probed = probe(InputPath::from_arg(&args.input))?;
    let mut d = open_demuxer(probed, OpenOptions::default())?;
    muxkit::rtmp::publish(&mut *d, &args.url, !args.fast, 1)?;
    Ok(())
}
