//! [`AnnexBDemuxer`]: NAL units -> access units -> timed packets.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use super::detect::AnnexBCodec;
use super::order::{OrderKey, PocState, Reorder, observed_depth};
use super::reader::{Nal, NalEvent, NalReader};
use super::slice::{self, AvcPps, HevcPps};
use crate::codec::avc::Sps;
use crate::codec::hevc::{HevcPicOrder, HevcSps, hevc_vps_timing};
use crate::codec::param_sets::{ParameterSets, take_parameter_set};
use crate::error::{Error, Result};
use crate::io::InputSource;
use crate::loss::{Loss, MAX_LISTED_DAMAGE, damage_list};
use crate::media::{Codec, CodecConfig, Demuxer, MediaKind, Packet, PacketFlags, Track};
use crate::time::{TimeBase, Timestamp};

/// Largest access unit, in bytes: several NAL units of at most
/// [`super::MAX_NAL_SIZE`] each, bounded so a stream of slices that never starts a new
/// picture cannot grow one frame without end.
pub const MAX_ACCESS_UNIT_SIZE: usize = 128 << 20;

/// Access units read before the reorder depth is fixed: the depth a stream uses shows within
/// a few GOPs of B-frames, and this many frames of latency is what a raw stream costs.
pub const LOOKAHEAD_ACCESS_UNITS: usize = 64;

/// Bytes of access units held for the lookahead or waiting for their presentation time.
const MAX_HELD_BYTES: usize = 64 << 20;

/// Access units waiting for their presentation time before the oldest is given one anyway.
const MAX_WAITING: usize = 4 * super::MAX_REORDER_DEPTH + LOOKAHEAD_ACCESS_UNITS;

/// Warnings kept (the rest are counted).
const MAX_WARNINGS: usize = 1000;

/// Choices for [`AnnexBDemuxer`].
#[derive(Clone, Copy, Debug, Default)]
pub struct AnnexBReadOptions {
    /// Damage is an error instead of a warning.
    pub strict: bool,
    /// Frames per second as a rational (`(30000, 1001)`), overriding the stream's own timing.
    pub framerate: Option<(u32, u32)>,
}

/// The access unit being collected.
#[derive(Default)]
struct Au {
    offset: u64,
    data: BytesMut,
    vps: Vec<Bytes>,
    sps: Vec<Bytes>,
    pps: Vec<Bytes>,
    has_vcl: bool,
    keyframe: bool,
    key: OrderKey,
    /// An H.264 first field waiting for its pair: (frame_num, bottom).
    field: Option<(u32, bool)>,
}

/// Slices dropped in a row for one reason.
struct DropRun {
    offset: u64,
    slices: u64,
    bytes: u64,
    why: String,
}

/// An access unit waiting for its presentation time.
struct Waiting {
    index: u64,
    rank: Option<u64>,
    keyframe: bool,
    data: Bytes,
    config: Option<Arc<CodecConfig>>,
}

/// Reads a raw H.264 or HEVC Annex B stream; see [the module](super).
pub struct AnnexBDemuxer {
    hevc: bool,
    options: AnnexBReadOptions,
    reader: NalReader,
    tracks: Vec<Track>,
    sets: ParameterSets,
    avc_sps: BTreeMap<u32, Sps>,
    avc_pps: BTreeMap<u32, AvcPps>,
    hevc_sps: BTreeMap<u32, (HevcSps, HevcPicOrder)>,
    hevc_pps: BTreeMap<u32, HevcPps>,
    vps_timing: Option<(u32, u32)>,
    au: Au,
    poc: PocState,
    /// The next picture starts after an end of sequence (HEVC: its IRAP resets the count).
    after_eos: bool,
    decoded: u64,
    reorder: Option<Reorder>,
    lookahead: Vec<OrderKey>,
    waiting: VecDeque<Waiting>,
    held_bytes: usize,
    ready: VecDeque<Packet>,
    pending_config: Option<Arc<CodecConfig>>,
    frame_ticks: i64,
    dropped: Option<DropRun>,
    warnings: Vec<(Option<u64>, String)>,
    warning_count: u64,
    done: bool,
}

impl AnnexBDemuxer {
    /// Opens a raw stream of `codec`; reads until the first packet is ready (the track is
    /// then known). An input without a single picture is an error.
    pub fn new(
        src: InputSource,
        codec: AnnexBCodec,
        options: AnnexBReadOptions,
    ) -> Result<AnnexBDemuxer> {
        let hevc = codec == AnnexBCodec::Hevc;
        if let Some((n, d)) = options.framerate {
            if output::usable_rate(n.into(), d.into()).is_none() {
                return Err(Error::InvalidUse(format!(
                    "frame rate {n}/{d}: not between 1/1000 and 1000 frames per second"
                )));
            }
        }
        let mut d = AnnexBDemuxer {
            hevc,
            options,
            reader: NalReader::new(src),
            tracks: Vec::new(),
            sets: ParameterSets::new(hevc),
            avc_sps: BTreeMap::new(),
            avc_pps: BTreeMap::new(),
            hevc_sps: BTreeMap::new(),
            hevc_pps: BTreeMap::new(),
            vps_timing: None,
            au: Au::default(),
            poc: PocState::default(),
            after_eos: true,
            decoded: 0,
            reorder: None,
            lookahead: Vec::new(),
            waiting: VecDeque::new(),
            held_bytes: 0,
            ready: VecDeque::new(),
            pending_config: None,
            frame_ticks: 1,
            dropped: None,
            warnings: Vec::new(),
            warning_count: 0,
            done: false,
        };
        while d.ready.is_empty() && !d.done {
            d.pump()?;
        }
        if d.tracks.is_empty() || d.ready.is_empty() {
            let what = if hevc { "hevc" } else { "h264" };
            let why = d
                .warnings
                .first()
                .map(|(_, w)| format!(" (first problem: {w})"))
                .unwrap_or_default();
            return Err(Error::InvalidInput(format!(
                "no {what} picture with its parameter sets in the raw stream{why}"
            )));
        }
        Ok(d)
    }

    fn codec(&self) -> Codec {
        if self.hevc { Codec::Hevc } else { Codec::H264 }
    }

    fn warn(&mut self, offset: u64, message: String) -> Result<()> {
        // A codec error names a byte inside its unit; say where the unit is in the input.
        let message = if message.contains(" byte ") {
            format!("nal unit at byte {offset}: {message}")
        } else {
            message
        };
        if self.options.strict {
            return Err(Error::Lost(Box::new(Loss::Damage {
                offset: Some(offset),
                message,
            })));
        }
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push((Some(offset), message));
        }
        Ok(())
    }

    /// Reads one NAL unit (or the end) and acts on it.
    fn pump(&mut self) -> Result<()> {
        match self.reader.next()? {
            Some(NalEvent::Garbage { offset, len }) => self.warn(
                offset,
                format!("{len} bytes before the first start code (no nal unit): skipped"),
            ),
            Some(NalEvent::Nal(nal)) => {
                if nal.data[0] & 0x80 != 0 {
                    return self.warn(
                        nal.offset,
                        format!(
                            "nal unit of {} bytes with forbidden_zero_bit set: dropped",
                            nal.data.len()
                        ),
                    );
                }
                if self.hevc {
                    self.hevc_nal(nal)
                } else {
                    self.avc_nal(nal)
                }
            }
            None => self.finish(),
        }
    }

    /// Ends the access unit being collected if it has a picture (a unit that starts the next
    /// one arrived).
    fn boundary(&mut self) -> Result<()> {
        if self.au.has_vcl {
            self.finish_au()?;
        }
        Ok(())
    }

    fn push_nal(&mut self, nal: &Nal) -> Result<()> {
        if self.au.data.is_empty() && !self.au.has_vcl {
            self.au.offset = nal.offset;
        }
        if self.au.data.len() + nal.data.len() + 4 > MAX_ACCESS_UNIT_SIZE {
            return Err(Error::InvalidInput(format!(
                "access unit at byte {} grows past {MAX_ACCESS_UNIT_SIZE} bytes (nal unit at byte {})",
                self.au.offset, nal.offset
            )));
        }
        // At most MAX_NAL_SIZE bytes: the length fits.
        self.au.data.put_u32(nal.data.len() as u32);
        self.au.data.extend_from_slice(&nal.data);
        Ok(())
    }

    /// Drops a slice. Slices dropped one after another for the same reason (a whole GOP
    /// before its parameter sets) make one warning, given when a slice is taken again.
    fn drop_slice(&mut self, nal: &Nal, why: String) -> Result<()> {
        let why = if nal.last {
            format!("{why} (the last unit of the input: cut short?)")
        } else {
            why
        };
        let len = nal.data.len() as u64;
        match self.dropped.as_mut() {
            Some(run) if run.why == why && !self.options.strict => {
                run.slices += 1;
                run.bytes += len;
                Ok(())
            }
            _ => {
                self.flush_drops()?;
                self.dropped = Some(DropRun {
                    offset: nal.offset,
                    slices: 1,
                    bytes: len,
                    why,
                });
                if self.options.strict {
                    self.flush_drops()?;
                }
                Ok(())
            }
        }
    }

    /// Reports the run of dropped slices, if any.
    fn flush_drops(&mut self) -> Result<()> {
        let Some(run) = self.dropped.take() else {
            return Ok(());
        };
        let message = if run.slices == 1 {
            format!("slice of {} bytes {}: dropped", run.bytes, run.why)
        } else {
            format!(
                "{} slices ({} bytes) from here on {}: dropped",
                run.slices, run.bytes, run.why
            )
        };
        self.warn(run.offset, message)
    }

    /// A slice is taken into the access unit.
    fn take_slice(&mut self, nal: &Nal) -> Result<()> {
        self.flush_drops()?;
        self.push_nal(nal)?;
        self.au.has_vcl = true;
        Ok(())
    }

    fn avc_nal(&mut self, nal: Nal) -> Result<()> {
        let t = nal.data[0] & 0x1F;
        match t {
            9 => self.boundary(),
            7 | 8 => {
                self.boundary()?;
                if t == 7 {
                    match Sps::parse(&nal.data) {
                        Ok(sps) => {
                            self.avc_sps.insert(sps.seq_parameter_set_id.into(), sps);
                        }
                        Err(e) => {
                            return self.warn(
                                nal.offset,
                                format!("sequence parameter set unusable ({e}): ignored"),
                            );
                        }
                    }
                } else {
                    match slice::parse_avc_pps(&nal.data) {
                        Ok(pps) => {
                            self.avc_pps.insert(pps.pps_id, pps);
                        }
                        Err(e) => {
                            return self.warn(
                                nal.offset,
                                format!("picture parameter set unusable ({e}): ignored"),
                            );
                        }
                    }
                }
                let list = if t == 7 {
                    &mut self.au.sps
                } else {
                    &mut self.au.pps
                };
                if take_parameter_set(list, &nal.data) {
                    self.push_nal(&nal)?;
                }
                Ok(())
            }
            6 | 14..=18 => {
                self.boundary()?;
                self.push_nal(&nal)
            }
            1 | 2 | 5 => self.avc_slice(nal),
            _ => self.push_nal(&nal),
        }
    }

    fn avc_slice(&mut self, nal: Nal) -> Result<()> {
        let found = slice::avc_slice_pps_id(&nal.data).map(|id| {
            let pps = self.avc_pps.get(&id).copied();
            let sps = pps.and_then(|p| self.avc_sps.get(&p.sps_id).cloned());
            (id, pps, sps)
        });
        let (pps, sps) = match found {
            Ok((_, Some(pps), Some(sps))) => (pps, sps),
            Ok((id, _, _)) => {
                return self.drop_slice(
                    &nal,
                    format!(
                        "referring to picture parameter set {id}, not (or not usably) seen yet"
                    ),
                );
            }
            Err(e) => return self.drop_slice(&nal, format!("with a damaged header ({e})")),
        };
        if sps.pic_order_cnt_type == 1 {
            return Err(Error::Unsupported(format!(
                "h264 pic_order_cnt_type 1 (slice at byte {}): presentation times of such raw streams are not derived; give the stream a container with ffmpeg first",
                nal.offset
            )));
        }
        let s = match slice::parse_avc_slice(&nal.data, &pps, &sps) {
            Ok(s) => s,
            Err(e) => return self.drop_slice(&nal, format!("with a damaged header ({e})")),
        };
        let second_field = self.au.has_vcl
            && s.field_pic
            && self
                .au
                .field
                .is_some_and(|(num, bottom)| num == s.frame_num && bottom != s.bottom_field);
        if s.first_mb_in_slice == 0 && !second_field {
            self.boundary()?;
        }
        if !self.au.has_vcl || second_field {
            let key = if sps.pic_order_cnt_type == 0 {
                self.poc.avc_type0(
                    s.idr,
                    s.nal_ref_idc != 0,
                    s.pic_order_cnt_lsb,
                    1 << sps.log2_max_pic_order_cnt_lsb,
                    s.bottom_field,
                    (!s.field_pic).then_some(s.delta_pic_order_cnt_bottom),
                )
            } else {
                self.poc.decode_order(s.idr, self.decoded)
            };
            if second_field {
                self.au.key = self.au.key.min(key);
                self.au.field = None;
            } else {
                self.au.key = key;
                self.au.field = s.field_pic.then_some((s.frame_num, s.bottom_field));
            }
        }
        self.take_slice(&nal)?;
        self.au.keyframe |= s.idr;
        Ok(())
    }
}

#[path = "hevc_units.rs"]
mod hevc_units;
#[path = "output.rs"]
mod output;
