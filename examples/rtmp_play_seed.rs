//! Writes what a server sends a player after the handshake (connect and play answers, then the
//! first tags of an FLV): a seed corpus for the `rtmp_play_client` fuzz target (fuzz/run.sh
//! runs it).
//!
//!   cargo run --example rtmp_play_seed -- testdata/source.flv OUT_FILE [TAGS]

use muxkit::flv::{FlvReadOptions, FlvTagReader};
use muxkit::io::{InputSource, map_file};
use muxkit::rtmp::ServerSession;
use muxkit::rtmp::client::RtmpUrl;
use muxkit::rtmp::play_client::PlaySession;
use muxkit::rtmp::session::AcceptAll;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (src, out) = (&args[1], &args[2]);
    let tags: usize = args.get(3).map_or(Ok(60), |s| s.parse())?;
    let mut client = PlaySession::new(RtmpUrl::parse("rtmp://h/live/seed")?, 1);
    let mut server = ServerSession::new(Default::default(), 2);
    let mut recorded = Vec::new();
    let mut handshake_bytes = 0;
    for _ in 0..20 {
        server.push(&client.take_output(), &mut AcceptAll)?;
        let s = server.take_output();
        // S0, S1 and S2 are the handshake, which the fuzz target does for real.
        let take = (1 + 2 * 1536 - handshake_bytes).min(s.len());
        handshake_bytes += take;
        recorded.extend_from_slice(&s[take..]);
        client.push(&s)?;
    }
    let mut reader = FlvTagReader::new(
        InputSource::from_bytes(map_file(src.as_ref())?),
        FlvReadOptions::default(),
    )?;
    for _ in 0..tags {
        let Some(tag) = reader.next_tag()? else { break };
        server.send_media(
            tag.header.tag_type.0,
            tag.header.timestamp,
            tag.body.clone(),
        );
    }
    server.end_play();
    recorded.extend(server.take_output());
    std::fs::write(out, recorded)?;
    Ok(())
}
