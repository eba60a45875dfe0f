//! `muxkit publish`: push a file to an RTMP server.

use std::path::PathBuf;

use clap::Args;
use muxkit::probe::{InputPath, OpenOptions, open_demuxer, probe, probe_bytes};

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
            return Err(muxkit::Error::InvalidUse(
                "--streams needs a file, not a live rtmp:// source".into(),
            ));
        }
        // A live source sets its own pace.
        muxkit::rtmp::relay(source, &args.url, 1)?;
        return Ok(());
    }
    if args.streams > 1 && args.input.as_os_str() == "-" {
        return Err(muxkit::Error::InvalidUse(
            "--streams needs a file, not stdin".into(),
        ));
    }
    // Many streams share one copy of the file: a thousand threads mapping and unmapping
    // windows of it would serialise on the process's address-space lock.
    let shared = if args.streams > 1 {
        let data = std::fs::read(&args.input).map_err(|source| muxkit::Error::File {
            path: args.input.clone(),
            source,
        })?;
        Some(bytes::Bytes::from(data))
    } else {
        None
    };
    let threads: Vec<_> = (0..args.streams)
        .map(|i| {
            let input = args.input.clone();
            let shared = shared.clone();
            let url = stream_url(&args.url, i);
            let realtime = !args.fast;
            let delay = std::time::Duration::from_millis(args.ramp_ms * u64::from(i));
            std::thread::spawn(move || -> muxkit::Result<()> {
                std::thread::sleep(delay);
                let probed = match shared {
                    Some(data) => probe_bytes(data)?,
                    None => probe(InputPath::from_arg(&input))?,
                };
                let mut d = open_demuxer(probed, OpenOptions::default())?;
                muxkit::rtmp::publish(&mut *d, &url, realtime, u64::from(i) + 1)?;
                Ok(())
            })
        })
        .collect();
    let mut failed = None;
    for (i, t) in threads.into_iter().enumerate() {
        match t.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if args.streams > 1 {
                    eprintln!("muxkit: stream {i}: {e}");
                }
                failed.get_or_insert(e);
            }
            Err(_) => {
                failed.get_or_insert(muxkit::Error::InvalidUse(format!("stream {i} panicked")));
            }
        }
    }
    failed.map_or(Ok(()), Err)
}
