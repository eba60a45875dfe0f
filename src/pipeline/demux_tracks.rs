//! Bookkeeping every demuxer needs for configuration changes.
//!
//! The model's rule (see [`PacketFlags::config_changed`](crate::media::PacketFlags)): a new
//! configuration found before a track's first packet simply becomes the track's own; one found
//! after rides on that track's next packet (`config_changed` + `config`), and `tracks()` follows
//! once that packet is returned. An identical repeat (the same sequence header before every
//! keyframe) changes nothing. Demuxers read ahead, so "before the first packet" means before the
//! first packet was *queued*, not returned.

use std::sync::Arc;

use crate::media::{AudioParams, CodecConfig, Packet, Track, VideoParams};

#[derive(Debug)]
struct Entry {
    /// The newest configuration seen, which queued packets will carry.
    latest: CodecConfig,
    /// A change not yet attached to a packet.
    pending: Option<Arc<CodecConfig>>,
    /// Whether any packet of this track was queued.
    has_packets: bool,
}

/// Per-track configuration state, indexed like the demuxer's `tracks()`.
#[derive(Debug, Default)]
pub(crate) struct ConfigTracker {
    entries: Vec<Entry>,
}

impl ConfigTracker {
    /// Registers the next track (its index is the count so far), starting with `config`.
    pub fn add_track(&mut self, config: CodecConfig) {
        self.entries.push(Entry {
            latest: config,
            pending: None,
            has_packets: false,
        });
    }

    /// The newest configuration of track `t`.
    pub fn latest(&self, t: usize) -> Option<&CodecConfig> {
        self.entries.get(t).map(|e| &e.latest)
    }

    /// Whether a packet of track `t` was queued.
    pub fn has_packets(&self, t: usize) -> bool {
        self.entries.get(t).is_some_and(|e| e.has_packets)
    }

    /// Records a (possibly) new configuration for track `t`.
    pub fn set(&mut self, tracks: &mut [Track], t: usize, config: CodecConfig) {
        let (Some(e), Some(track)) = (self.entries.get_mut(t), tracks.get_mut(t)) else {
            return;
        };
        if e.latest == config {
            return;
        }
        e.latest = config.clone();
        if e.has_packets {
            e.pending = Some(Arc::new(config));
        } else {
            track.codec = config;
        }
    }

    /// Marks a packet as queued, attaching a pending change to it.
    pub fn on_queued(&mut self, p: &mut Packet) {
        let Some(e) = self.entries.get_mut(p.track as usize) else {
            return;
        };
        e.has_packets = true;
        if let Some(config) = e.pending.take() {
            p.flags.config_changed = true;
            p.config = Some(config);
        }
    }
}

/// Updates `tracks` when a packet carrying a new configuration is returned.
pub(crate) fn on_returned(tracks: &mut [Track], p: &Packet) {
    if let (Some(config), Some(t)) = (&p.config, tracks.get_mut(p.track as usize)) {
        t.codec = CodecConfig::clone(config);
    }
}

/// Fills `config.video` / `config.audio` from its parsed configuration record, where the record
/// states them (picture size always wins; audio parameters only where the container gave none
/// or `prefer_record` is set).
pub(crate) fn fill_params(
    config: &mut CodecConfig,
    prefer_record: bool,
) -> Result<(), crate::codec::CodecError> {
    let d = config.details()?;
    if let (Some(width), Some(height)) = (d.width, d.height) {
        config.video = Some(VideoParams { width, height });
    }
    if prefer_record || config.audio.is_none() {
        if let (Some(sample_rate), Some(channels)) = (d.sample_rate, d.channels) {
            let bits_per_sample = config.audio.map_or(16, |a| a.bits_per_sample);
            config.audio = Some(AudioParams {
                sample_rate,
                channels,
                bits_per_sample,
            });
        }
    }
    Ok(())
}
