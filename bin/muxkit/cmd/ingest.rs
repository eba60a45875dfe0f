//! `muxkit ingest`: an RTMP server writing live HLS.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use muxkit::hls::{HlsOptions, PlaylistType};
use muxkit::rtmp::chunk::{DEFAULT_MAX_MESSAGE_SIZE, HARD_MAX_MESSAGE_SIZE};
use muxkit::rtmp::{IngestEvent, IngestEventKind, IngestOptions, IngestServer, SessionConfig};

/// Arguments of `muxkit ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:1935")]
    pub listen: SocketAddr,
    /// Output folder: a publish to rtmp://host/APP/STREAM writes OUT/APP/STREAM/index.m3u8.
    #[arg(long)]
    pub out: PathBuf,
    /// Target segment duration in seconds.
    #[arg(long, default_value_t = 6.0)]
    pub hls_time: f64,
    /// Segments in the live window.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub hls_list_size: u32,
    /// Playlist type: live (sliding window) or event (grows; nothing deleted).
    #[arg(long, value_enum, default_value = "live")]
    pub hls_playlist_type: LiveType,
    /// Segment format: mpegts, or fmp4 (CMAF: init.mp4 and .m4s segments; needed for AV1,
    /// VP9, Opus and FLAC publishes, and for HEVC on Apple devices).
    #[arg(long, value_enum, default_value = "mpegts")]
    pub hls_segment_type: super::convert::SegmentTypeArg,
    /// Also write each publish as live DASH: OUT/APP/STREAM/dash/manifest.mpd (dynamic while
    /// live, static at the end) over per-track CMAF segments, with the HLS window.
    #[arg(long)]
    pub dash: bool,
    /// Also keep each publish whole: OUT/APP/STREAM/record_TIME.flv and a VOD playlist in
    /// OUT/APP/STREAM/record_TIME/.
    #[arg(long)]
    pub record: bool,
    /// Require this stream key: publish to rtmp://host/APP/STREAM?key=SECRET (OBS: put
    /// `STREAM?key=SECRET` in the Stream Key field).
    #[arg(long, value_name = "SECRET")]
    pub publish_key: Option<String>,
    /// Most connections at once.
    #[arg(long, default_value_t = muxkit::rtmp::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Largest RTMP message accepted, in bytes (at most 16777215).
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=HARD_MAX_MESSAGE_SIZE as i64))]
    pub max_message_size: u32,
}

/// `--hls-playlist-type` values for ingest.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LiveType {
    /// Sliding window.
    Live,
    /// Growing playlist.
    Event,
}

fn line(e: &IngestEvent) -> Option<String> {
    raw_line(e).map(|l| super::printable(&l))
}

fn raw_line(e: &IngestEvent) -> Option<String> {
    let peer = e.peer;
    Some(match &e.kind {
        IngestEventKind::Accepted => format!("{peer} connected"),
        IngestEventKind::TooManyConnections => format!("{peer} refused: too many connections"),
        IngestEventKind::Connected { app } => format!("{peer} connect app={app}"),
        IngestEventKind::Publishing {
            name,
            playlist,
            republish,
        } => format!(
            "{peer} publish {name} -> {}{}",
            playlist.display(),
            if *republish {
                " (republish: continues after a discontinuity)"
            } else {
                ""
            }
        ),
        IngestEventKind::Refused { reason } => format!("{peer} publish refused: {reason}"),
        IngestEventKind::Unpublished { name, reason } => {
            format!("{peer} unpublish {name} ({reason})")
        }
        IngestEventKind::Error { message } => format!("{peer} error: {message}"),
        IngestEventKind::Warning { message } => format!("{peer} warning: {message}"),
        IngestEventKind::Closed => format!("{peer} closed"),
        _ => return None,
    })
}

/// Runs the subcommand until SIGINT/SIGTERM, which end every publish (ENDLIST) first.
pub fn run(args: IngestArgs) -> muxkit::Result<()> {
    let mut options = IngestOptions::new(args.out);
    options.hls = HlsOptions {
        target_duration: args.hls_time,
        list_size: args.hls_list_size as usize,
        playlist_type: match args.hls_playlist_type {
            LiveType::Live => PlaylistType::Live,
            LiveType::Event => PlaylistType::Event,
        },
        segment_type: args.hls_segment_type.kind(),
        segment_pattern: args.hls_segment_type.kind().default_pattern().to_owned(),
        ..options.hls.clone()
    };
    options.record = args.record;
    options.dash = args.dash;
    options.max_connections = args.max_connections;
    options.session = SessionConfig {
        max_message_size: args.max_message_size,
        publish_key: args.publish_key,
    };
    let server = IngestServer::bind(args.listen, options, |e| {
        if let Some(l) = line(&e) {
            eprintln!("muxkit: {l}");
        }
    })?;
    eprintln!(
        "muxkit: ingest listening on rtmp://{}",
        server.local_addr()?
    );
    let stopper = server.stopper()?;
    super::signals::on_stop("stopping: ending every publish", move || stopper.stop());
    server.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_forge_a_log_line() {
        let e = IngestEvent {
            peer: "127.0.0.1:5000".parse().unwrap(),
            kind: IngestEventKind::Connected {
                app: "live\n127.0.0.1:1 publish live/fake\u{1b}[2J".into(),
            },
        };
        let l = line(&e).unwrap();
        assert_eq!(l.lines().count(), 1, "{l}");
        assert_eq!(
            l,
            "127.0.0.1:5000 connect app=live\\n127.0.0.1:1 publish live/fake\\u{1b}[2J"
        );
    }
}
