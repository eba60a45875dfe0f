//! The back half of [`AnnexBDemuxer`]: finished access units -> configuration, timestamps,
//! packets.

use std::sync::Arc;

use super::*;

/// `num / den` frames per second reduced, or `None` when it is no usable rate (zero, or
/// outside 1/1000 .. 1000 fps).
pub(super) fn usable_rate(num: u64, den: u64) -> Option<(u32, u32)> {
    if num == 0 || den == 0 || num > den * 1000 || num * 1000 < den {
        return None;
    }
    let (mut a, mut b) = (num, den);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    Some((u32::try_from(num / a).ok()?, u32::try_from(den / a).ok()?))
}

impl AnnexBDemuxer {
    /// The frame rate: the option, else the stream's timing, else 25.
    fn rate(&self) -> (u32, u32) {
        if let Some((n, d)) = self.options.framerate {
            if let Some(r) = usable_rate(n.into(), d.into()) {
                return r;
            }
        }
        let stated = if self.hevc {
            // The SPS VUI first, as ffmpeg reads it; x265 states no VPS timing.
            self.hevc_sps
                .values()
                .find_map(|(_, o)| o.timing)
                .or(self.vps_timing)
                .and_then(|(tick, scale)| usable_rate(scale.into(), tick.into()))
        } else {
            self.avc_sps.values().find_map(|s| {
                s.timing.and_then(|t| {
                    usable_rate(t.time_scale.into(), 2 * u64::from(t.num_units_in_tick))
                })
            })
        };
        stated.unwrap_or((25, 1))
    }

    /// The reorder depth the stream's SPS states, if any.
    fn declared_depth(&self) -> usize {
        let depth = if self.hevc {
            self.hevc_sps
                .values()
                .map(|(_, o)| o.max_num_reorder_pics)
                .max()
        } else {
            self.avc_sps
                .values()
                .filter_map(|s| s.max_num_reorder_frames)
                .max()
        };
        depth.unwrap_or(0) as usize
    }

    fn create_track(&mut self, config: CodecConfig) -> Result<()> {
        let (num, den) = self.rate();
        let (time_base, ticks) = if (90_000 * u64::from(den)) % u64::from(num) == 0 {
            (TimeBase::MPEG_90K, 90_000 * i64::from(den) / i64::from(num))
        } else {
            let tb = TimeBase::new(1, num)
                .ok_or_else(|| Error::InvalidInput(format!("frame rate {num}/{den}")))?;
            (tb, i64::from(den))
        };
        self.frame_ticks = ticks;
        self.tracks.push(Track {
            id: 0,
            kind: MediaKind::Video,
            time_base,
            codec: config,
            source_id: None,
        });
        Ok(())
    }

    /// The access unit is complete: its parameter sets update the configuration, its picture
    /// joins those waiting for a presentation time.
    pub(super) fn finish_au(&mut self) -> Result<()> {
        let au = std::mem::take(&mut self.au);
        if !(au.vps.is_empty() && au.sps.is_empty() && au.pps.is_empty()) {
            match self.sets.update(&au.vps, &au.sps, &au.pps) {
                Ok(Some(record)) => {
                    let mut config = CodecConfig::new(self.codec());
                    config.extradata = record;
                    if self.tracks.is_empty() {
                        self.create_track(config)?;
                    } else {
                        self.pending_config = Some(Arc::new(config));
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let what = if self.hevc { "an hvcC" } else { "an avcC" };
                    self.warn(
                        au.offset,
                        format!("parameter sets do not make {what} ({e}): ignored"),
                    )?;
                }
            }
        }
        if !au.has_vcl {
            if !au.data.is_empty() {
                let n = au.data.len();
                self.warn(
                    au.offset,
                    format!("{n} bytes of nal units without a picture: dropped"),
                )?;
            }
            return Ok(());
        }
        if self.tracks.is_empty() {
            return self.warn(
                au.offset,
                "picture before any usable parameter sets: dropped".into(),
            );
        }
        let index = self.decoded;
        self.decoded += 1;
        self.held_bytes += au.data.len();
        self.waiting.push_back(Waiting {
            index,
            rank: None,
            keyframe: au.keyframe,
            data: au.data.freeze(),
            config: self.pending_config.take(),
        });
        let mut ranked = Vec::new();
        match self.reorder.as_mut() {
            Some(reorder) => {
                if reorder.push(au.key, index, &mut ranked) {
                    let depth = reorder.depth();
                    self.warn(
                        au.offset,
                        format!("picture reordered deeper than {depth} frames: shown late"),
                    )?;
                }
            }
            None => {
                self.lookahead.push(au.key);
                if self.lookahead.len() >= LOOKAHEAD_ACCESS_UNITS
                    || self.held_bytes > MAX_HELD_BYTES
                {
                    self.start_reorder(&mut ranked);
                }
            }
        }
        if self.waiting.len() > MAX_WAITING || self.held_bytes > MAX_HELD_BYTES {
            if let (Some(reorder), Some(front)) = (self.reorder.as_mut(), self.waiting.front()) {
                if front.rank.is_none() {
                    reorder.force(front.index, &mut ranked);
                    self.warn(
                        au.offset,
                        "picture order counts out of reach of a decoder: a picture is shown early"
                            .into(),
                    )?;
                }
            }
        }
        self.assign(&ranked);
        Ok(())
    }

    /// Fixes the reorder depth from what the lookahead saw and the SPS state.
    fn start_reorder(&mut self, ranked: &mut Vec<(u64, u64)>) {
        let depth = observed_depth(&self.lookahead).max(self.declared_depth());
        let mut reorder = Reorder::new(depth);
        let first = self.decoded - self.lookahead.len() as u64;
        for (k, key) in self.lookahead.drain(..).enumerate() {
            reorder.push(key, first + k as u64, ranked);
        }
        self.reorder = Some(reorder);
    }

    /// Gives ranked pictures their rank and turns the oldest ones into packets.
    fn assign(&mut self, ranked: &[(u64, u64)]) {
        let Some(front) = self.waiting.front().map(|w| w.index) else {
            return;
        };
        for &(index, rank) in ranked {
            if let Some(w) = index
                .checked_sub(front)
                .and_then(|k| self.waiting.get_mut(k as usize))
            {
                w.rank = Some(rank);
            }
        }
        let depth = self.reorder.as_ref().map_or(0, |r| r.depth()) as i64;
        let ticks = self.frame_ticks;
        while let Some(rank) = self.waiting.front().and_then(|w| w.rank) {
            let Some(w) = self.waiting.pop_front() else {
                break;
            };
            self.held_bytes -= w.data.len();
            let config_changed = w.config.is_some();
            if let Some(c) = &w.config {
                self.tracks[0].codec = (**c).clone();
            }
            self.ready.push_back(Packet {
                track: 0,
                dts: Timestamp(w.index as i64 * ticks),
                pts: Timestamp((rank as i64 + depth) * ticks),
                duration: Some(ticks),
                flags: PacketFlags {
                    keyframe: w.keyframe,
                    config_changed,
                    ..PacketFlags::default()
                },
                data: w.data,
                config: w.config,
            });
        }
    }

    /// The end of the input.
    pub(super) fn finish(&mut self) -> Result<()> {
        self.flush_drops()?;
        self.finish_au()?;
        let mut ranked = Vec::new();
        if self.reorder.is_none() {
            self.start_reorder(&mut ranked);
        }
        if let Some(reorder) = self.reorder.as_mut() {
            reorder.finish(&mut ranked);
        }
        self.assign(&ranked);
        self.done = true;
        Ok(())
    }
}

impl Demuxer for AnnexBDemuxer {
    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        loop {
            if let Some(p) = self.ready.pop_front() {
                return Ok(Some(p));
            }
            if self.done {
                return Ok(None);
            }
            self.pump()?;
        }
    }

    fn losses(&self) -> Vec<Loss> {
        damage_list(
            self.warnings.iter().cloned(),
            self.warning_count,
            MAX_LISTED_DAMAGE,
        )
    }
}
