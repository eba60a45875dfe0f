//! Writes what `muxkit publish` sends after the handshake for the first tags of an FLV: a seed
//! corpus for the RTMP fuzz targets (fuzz/run.sh runs it).
//!
//!   cargo run --example rtmp_seed -- testdata/source.flv OUT_FILE [TAGS]

use muxkit::flv::{FlvReadOptions, FlvTagReader};
use muxkit::io::{InputSource, map_file};
use muxkit::rtmp::ServerSession;
use muxkit::rtmp::client::{PublishSession, RtmpUrl};
use muxkit::rtmp::session::AcceptAll;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (src, out) = (&args[1], &args[2]);
    let tags: usize = args.get(3).map_or(Ok(60), |s| s.parse())?;
    let mut client = PublishSession::new(RtmpUrl::parse("rtmp://h/live/seed")?, 1);
    let mut server = ServerSession::new(Default::default(), 2);
    let mut recorded = Vec::new();
    let mut handshake_bytes = 0;
    for _ in 0..20 {
        let c = client.take_output();
        if handshake_bytes < 1 + 2 * 1536 {
            let take = (1 + 2 * 1536 - handshake_bytes).min(c.len());
            handshake_bytes += take;
            recorded.extend_from_slice(&c[take..]);
        } else {
            recorded.extend_from_slice(&c);
        }
        server.push(&c, &mut AcceptAll)?;
        client.push(&server.take_output())?;
    }
    let mut reader = FlvTagReader::new(
        InputSource::from_bytes(map_file(src.as_ref())?),
        FlvReadOptions::default(),
    )?;
    for _ in 0..tags {
        let Some(tag) = reader.next_tag()? else { break };
        client.send_tag(
            tag.header.tag_type.0,
            tag.header.timestamp,
            tag.body.clone(),
        );
        recorded.extend(client.take_output());
    }
    std::fs::write(out, recorded)?;
    Ok(())
}
