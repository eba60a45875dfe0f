//! Driving a conversion: every packet of a demuxer into a muxer.

use crate::error::Result;
use crate::media::{Demuxer, Muxer};

/// What a remux moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemuxStats {
    /// Tracks declared to the muxer.
    pub tracks: usize,
    /// Packets written.
    pub packets: u64,
    /// Payload bytes written.
    pub payload_bytes: u64,
}

/// Copies every packet from `demuxer` to `muxer` and finishes the muxer.
///
/// Tracks are declared before the first packet; a track the demuxer reveals later is declared
/// just before its first packet, so muxers always know a track before they see its packets.
pub fn remux(demuxer: &mut dyn Demuxer, muxer: &mut dyn Muxer) -> Result<RemuxStats> {
    let mut stats = RemuxStats::default();
    declare(demuxer, muxer, &mut stats)?;
    while let Some(p) = demuxer.next_packet()? {
        if p.track as usize >= stats.tracks {
            declare(demuxer, muxer, &mut stats)?;
        }
        muxer.write_packet(&p)?;
        stats.packets += 1;
        stats.payload_bytes += p.data.len() as u64;
    }
    muxer.finish()?;
    Ok(stats)
}

fn declare(demuxer: &dyn Demuxer, muxer: &mut dyn Muxer, stats: &mut RemuxStats) -> Result<()> {
    for t in &demuxer.tracks()[stats.tracks..] {
        muxer.add_track(t)?;
        stats.tracks += 1;
    }
    Ok(())
}
