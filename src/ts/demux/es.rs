//! Elementary-stream payloads -> frames in the canonical (MP4/FLV) form.
//!
//! - H.264 / HEVC: the Annex B access unit of a PES becomes 4-byte length-prefixed NAL units;
//!   access unit delimiters are dropped and parameter sets (VPS/SPS/PPS) move into the track's
//!   `avcC`/`hvcC`. A PES without a PTS continues the previous access unit, so each access
//!   unit is held until the next one starts (one frame of latency).
//! - AAC (ADTS) and MPEG audio: one frame per ADTS/MPEG audio frame, the first frame that
//!   starts in a PES timed by the PES's PTS and each following one by a sample counter, in
//!   exact integer arithmetic. A frame split across two PES packets is joined.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::CodecError;
use crate::codec::aac::AdtsHeader;
use crate::codec::ac3::{self, Ac3FrameHeader};
use crate::codec::avc::{AvcNalType, annexb_to_length_prefixed_in_place};
use crate::codec::hevc::HevcNalType;
use crate::codec::mpa::{MpegAudioHeader, MpegLayer};
use crate::codec::param_sets::{ParameterSets, take_parameter_set};
use crate::media::{AudioParams, Codec, CodecConfig};
use crate::time::TimeBase;

use super::assemble::MAX_PES_SIZE;

/// Bytes of an incomplete audio frame carried from one PES to the next: an ADTS frame is at
/// most 8191 bytes (13-bit `frame_length`) and an MPEG audio frame far less, so anything longer
/// is not a frame.
pub const MAX_AUDIO_CARRY: usize = 8192;

pub use crate::codec::param_sets::MAX_PARAMETER_SETS;

/// One frame in canonical form, timed in 90 kHz ticks (unwrapped).
#[derive(Debug)]
pub(crate) struct Frame {
    pub dts: i64,
    pub pts: i64,
    pub duration: Option<i64>,
    pub keyframe: bool,
    pub data: Bytes,
    /// Where the frame lies in the payload it came from (audio; 0..0 otherwise), so a
    /// continuation (an E-AC-3 dependent substream) can join it.
    pub start: usize,
    pub end: usize,
}

/// What converting a payload produced, in order.
#[derive(Debug)]
pub(crate) enum EsItem {
    /// The track's configuration as the stream now states it (possibly unchanged).
    Config(CodecConfig),
    Frame(Frame),
    /// Something to tell the user.
    Warning(String),
    /// Frames and bytes dropped (counted, not each told).
    Dropped {
        frames: u64,
        bytes: u64,
    },
}

/// An access unit being collected.
#[derive(Debug, Default)]
struct HeldAu {
    dts: i64,
    pts: i64,
    keyframe: bool,
    /// Length-prefixed NAL units: in the usual case a view of the PES buffer itself.
    data: BytesMut,
    vps: Vec<Bytes>,
    sps: Vec<Bytes>,
    pps: Vec<Bytes>,
}

/// H.264 or HEVC.
#[derive(Debug)]
pub(crate) struct VideoEs {
    hevc: bool,
    sets: ParameterSets,
    held: Option<HeldAu>,
}

impl VideoEs {
    pub(crate) fn new(hevc: bool) -> VideoEs {
        VideoEs {
            hevc,
            sets: ParameterSets::new(hevc),
            held: None,
        }
    }

    fn codec(&self) -> Codec {
        if self.hevc { Codec::Hevc } else { Codec::H264 }
    }

    /// Converts one PES: its payload is `pes[from..]` (the header before it is scratch space
    /// for the in-place conversion); `pts`/`dts` are unwrapped 90 kHz ticks.
    pub(crate) fn push(
        &mut self,
        pts: Option<i64>,
        dts: Option<i64>,
        pes: BytesMut,
        from: usize,
        out: &mut Vec<EsItem>,
    ) {
        let payload_len = pes.len().saturating_sub(from);
        if let Some(pts) = pts {
            self.flush(out);
            self.held = Some(HeldAu {
                dts: dts.unwrap_or(pts),
                pts,
                ..HeldAu::default()
            });
        }
        let Some(au) = self.held.as_mut() else {
            out.push(EsItem::Warning(
                "video pes without pts before any timestamped one: dropped".into(),
            ));
            out.push(EsItem::Dropped {
                frames: 1,
                bytes: payload_len as u64,
            });
            return;
        };
        if au.data.len() + payload_len > MAX_PES_SIZE {
            // PES packets without PTS continuing one access unit forever: the access unit is
            // bounded like a PES.
            out.push(EsItem::Warning(format!(
                "access unit continued past {MAX_PES_SIZE} bytes by pes packets without pts: continuation dropped"
            )));
            out.push(EsItem::Dropped {
                frames: 0,
                bytes: payload_len as u64,
            });
            return;
        }
        let hevc = self.hevc;
        let keep = |nal: &[u8]| {
            let first = nal[0];
            if hevc {
                let t = HevcNalType::from_header(first);
                match t {
                    HevcNalType::AUD => false,
                    HevcNalType::VPS => take_parameter_set(&mut au.vps, nal),
                    HevcNalType::SPS => take_parameter_set(&mut au.sps, nal),
                    HevcNalType::PPS => take_parameter_set(&mut au.pps, nal),
                    _ => {
                        au.keyframe |= t.is_irap();
                        true
                    }
                }
            } else {
                let t = AvcNalType::from_header(first);
                match t {
                    AvcNalType::AUD => false,
                    AvcNalType::SPS => take_parameter_set(&mut au.sps, nal),
                    AvcNalType::PPS => take_parameter_set(&mut au.pps, nal),
                    _ => {
                        au.keyframe |= t == AvcNalType::IDR;
                        true
                    }
                }
            }
        };
        // Units come from a PES of at most MAX_PES_SIZE bytes, so their lengths always fit
        // the 4-byte prefix and the conversion cannot fail.
        let Ok(units) = annexb_to_length_prefixed_in_place(pes, from, keep) else {
            return;
        };
        if au.data.is_empty() {
            au.data = units;
        } else {
            au.data.extend_from_slice(&units);
        }
    }

    /// Emits the held access unit (at the next PTS, at the end of the stream, or when the
    /// stream goes away).
    pub(crate) fn flush(&mut self, out: &mut Vec<EsItem>) {
        let Some(mut au) = self.held.take() else {
            return;
        };
        if !(au.vps.is_empty() && au.sps.is_empty() && au.pps.is_empty()) {
            match self.sets.update(&au.vps, &au.sps, &au.pps) {
                Ok(Some(record)) => {
                    let mut c = CodecConfig::new(self.codec());
                    c.extradata = record;
                    out.push(EsItem::Config(c));
                }
                Ok(None) => {}
                Err(e) => {
                    // Keep the parameter sets in band rather than lose them.
                    out.push(EsItem::Warning(format!(
                        "in-band parameter sets do not make a configuration record ({e}): kept in the frame"
                    )));
                    let mut data = BytesMut::with_capacity(au.data.len() + 256);
                    for nal in au.vps.iter().chain(&au.sps).chain(&au.pps) {
                        put_nal(&mut data, nal);
                    }
                    data.extend_from_slice(&au.data);
                    au.data = data;
                }
            }
        }
        if au.data.is_empty() {
            return;
        }
        out.push(EsItem::Frame(Frame {
            dts: au.dts,
            pts: au.pts,
            duration: None,
            keyframe: au.keyframe,
            data: au.data.freeze(),
            start: 0,
            end: 0,
        }));
    }
}

/// Writes a NAL unit behind its 4-byte length. Units come from a PES of at most
/// [`MAX_PES_SIZE`] bytes, so the length always fits.
fn put_nal(out: &mut BytesMut, nal: &[u8]) {
    out.put_u32(nal.len() as u32);
    out.put_slice(nal);
}

/// What identifies an audio configuration in a frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AudioKey {
    Adts {
        object_type: u8,
        sampling_index: u8,
        channel_config: u8,
    },
    Mpa {
        sample_rate: u32,
        channels: u8,
        /// Layer III (MP3); Layer I and II are MP2 in the model.
        layer3: bool,
    },
    /// AC-3 / E-AC-3: the header itself, whose stream-describing fields make the record.
    Ac3(Ac3Key),
}

/// The fields of an AC-3 / E-AC-3 header that describe the stream (not the frame).
#[derive(Debug, Clone, Copy)]
struct Ac3Key(Ac3FrameHeader);

impl PartialEq for Ac3Key {
    fn eq(&self, other: &Ac3Key) -> bool {
        self.0.same_stream(&other.0)
    }
}

impl Eq for Ac3Key {}

/// How an audio elementary stream is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioFraming {
    /// AAC in ADTS frames.
    Adts,
    /// MPEG audio (Layer I, II, III).
    Mpa,
    /// AC-3 or E-AC-3 sync frames.
    Ac3,
}

impl AudioFraming {
    /// The first byte of a frame's sync word, where a search for the next frame looks.
    fn sync_byte(self) -> u8 {
        match self {
            AudioFraming::Adts | AudioFraming::Mpa => 0xFF,
            AudioFraming::Ac3 => 0x0B,
        }
    }
}

/// AAC in ADTS, MPEG audio (Layer III as MP3, Layer I and II as MP2), AC-3 or E-AC-3.
#[derive(Debug)]
pub(crate) struct AudioEs {
    framing: AudioFraming,
    carry: Vec<u8>,
    /// The time of the first frame counted by `samples`.
    anchor: Option<i64>,
    samples: i64,
    rate: u32,
    key: Option<AudioKey>,
}

/// A parsed frame header, whatever the codec.
struct FrameHead {
    header_len: usize,
    frame_len: usize,
    samples: u32,
    rate: u32,
    key: AudioKey,
    adts: Option<AdtsHeader>,
    /// An E-AC-3 dependent substream: more channels of the frame before it, not a frame of
    /// its own (it adds no samples).
    dependent: bool,
}

impl AudioEs {
    pub(crate) fn new(framing: AudioFraming) -> AudioEs {
        AudioEs {
            framing,
            carry: Vec::new(),
            anchor: None,
            samples: 0,
            rate: 0,
            key: None,
        }
    }

    /// Parses the frame header at the start of `data`: `Ok(None)` when `data` is too short to
    /// tell, `Err` when it is not a usable header.
    fn head(&self, data: &[u8]) -> Result<Option<FrameHead>, String> {
        if self.framing == AudioFraming::Ac3 {
            if data.len() < ac3::HEADER_LEN {
                return Ok(None);
            }
            let h = Ac3FrameHeader::parse(data).map_err(|e| e.to_string())?;
            return Ok(Some(FrameHead {
                header_len: 0,
                frame_len: h.frame_len,
                samples: if h.strmtyp == 1 { 0 } else { h.samples },
                rate: h.sample_rate,
                key: AudioKey::Ac3(Ac3Key(h)),
                adts: None,
                dependent: h.strmtyp == 1,
            }));
        }
        if self.framing == AudioFraming::Adts {
            match AdtsHeader::parse(data) {
                Ok(h) => Ok(Some(FrameHead {
                    header_len: h.header_len(),
                    frame_len: usize::from(h.frame_length),
                    samples: 1024 * (u32::from(h.raw_blocks) + 1),
                    rate: h.sample_rate(),
                    key: AudioKey::Adts {
                        object_type: h.object_type,
                        sampling_index: h.sampling_index,
                        channel_config: h.channel_config,
                    },
                    adts: Some(h),
                    dependent: false,
                })),
                Err(CodecError::Truncated { .. }) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        } else {
            if data.len() < MpegAudioHeader::LEN {
                return Ok(None);
            }
            let h = MpegAudioHeader::parse(data).map_err(|e| e.to_string())?;
            let frame_len = h
                .frame_len()
                .filter(|&n| n >= MpegAudioHeader::LEN)
                .ok_or_else(|| "free-format mpeg audio frame (no stated length)".to_owned())?;
            Ok(Some(FrameHead {
                header_len: 0,
                frame_len,
                samples: h.samples_per_frame(),
                rate: h.sample_rate,
                key: AudioKey::Mpa {
                    sample_rate: h.sample_rate,
                    channels: h.channels(),
                    layer3: h.layer == MpegLayer::Layer3,
                },
                adts: None,
                dependent: false,
            }))
        }
    }

    /// Converts one PES payload; `pts` is in unwrapped 90 kHz ticks.
    pub(crate) fn push(&mut self, pts: Option<i64>, payload: Bytes, out: &mut Vec<EsItem>) {
        let carried = self.carry.len();
        let data = if carried == 0 {
            payload
        } else {
            let mut v = std::mem::take(&mut self.carry);
            v.extend_from_slice(&payload);
            Bytes::from(v)
        };
        let mut anchored = pts.is_none();
        let mut pos = 0;
        let mut skipped_from: Option<usize> = None;
        while pos < data.len() {
            if !anchored && pos >= carried {
                anchored = true;
                self.anchor = pts;
                self.samples = 0;
            }
            let rest = &data[pos..];
            let head = match self.head(rest) {
                Ok(Some(h)) if h.frame_len <= rest.len() => h,
                Ok(_) => {
                    // The frame continues in the next PES.
                    if rest.len() <= MAX_AUDIO_CARRY {
                        self.carry = rest.to_vec();
                    } else {
                        out.push(EsItem::Warning(format!(
                            "{} bytes of audio without a whole frame: dropped",
                            rest.len()
                        )));
                        out.push(EsItem::Dropped {
                            frames: 1,
                            bytes: rest.len() as u64,
                        });
                    }
                    break;
                }
                Err(reason) => {
                    if skipped_from.is_none() {
                        skipped_from = Some(pos);
                        out.push(EsItem::Warning(format!(
                            "bad audio frame header ({reason}): looking for the next one"
                        )));
                    }
                    pos += 1;
                    let sync = self.framing.sync_byte();
                    match rest
                        .get(1..)
                        .and_then(|r| r.iter().position(|&b| b == sync))
                    {
                        Some(k) => pos += k,
                        None => pos = data.len(),
                    }
                    continue;
                }
            };
            if let Some(from) = skipped_from.take() {
                out.push(EsItem::Dropped {
                    frames: 0,
                    bytes: (pos - from) as u64,
                });
            }
            if head.dependent {
                // Extra channels of the independent frame just before: one access unit.
                let start = pos;
                pos += head.frame_len;
                match out.last_mut() {
                    Some(EsItem::Frame(f)) if f.end == start => {
                        f.data = data.slice(f.start..pos);
                        f.end = pos;
                    }
                    _ => {
                        out.push(EsItem::Warning(
                            "an e-ac-3 dependent substream that does not follow its independent frame in the same pes: dropped".into(),
                        ));
                        out.push(EsItem::Dropped {
                            frames: 1,
                            bytes: head.frame_len as u64,
                        });
                    }
                }
                continue;
            }
            let frame = data.slice(pos + head.header_len..pos + head.frame_len);
            let frame_start = pos;
            pos += head.frame_len;
            if self.key != Some(head.key) {
                self.on_new_key(&head, out);
            }
            let Some(anchor) = self.anchor else {
                out.push(EsItem::Dropped {
                    frames: 1,
                    bytes: frame.len() as u64,
                });
                continue;
            };
            let start = anchor + self.ticks(self.samples);
            self.samples += i64::from(head.samples);
            let end = anchor + self.ticks(self.samples);
            out.push(EsItem::Frame(Frame {
                dts: start,
                pts: start,
                duration: Some(end - start),
                keyframe: true,
                data: frame,
                start: frame_start,
                end: pos,
            }));
        }
        if let Some(from) = skipped_from {
            out.push(EsItem::Dropped {
                frames: 0,
                bytes: (data.len() - from) as u64,
            });
        }
    }

    /// `samples` at the current rate, in 90 kHz ticks.
    fn ticks(&self, samples: i64) -> i64 {
        TimeBase::per_second(self.rate).map_or(0, |tb| tb.rescale(samples, TimeBase::MPEG_90K))
    }

    /// A header states a new configuration: report it, and restart the sample count at the
    /// current time so a rate change keeps the clock exact.
    fn on_new_key(&mut self, head: &FrameHead, out: &mut Vec<EsItem>) {
        if let Some(anchor) = self.anchor {
            self.anchor = Some(anchor + self.ticks(self.samples));
            self.samples = 0;
        }
        self.key = Some(head.key);
        self.rate = head.rate;
        match (head.key, head.adts) {
            (AudioKey::Adts { .. }, Some(h)) => match h.to_audio_specific_config() {
                Ok(asc) => {
                    let mut c = CodecConfig::new(Codec::Aac);
                    c.extradata = asc.to_bytes();
                    out.push(EsItem::Config(c));
                }
                Err(e) => out.push(EsItem::Warning(format!(
                    "adts header does not make an audio specific config ({e}): configuration left as it was"
                ))),
            },
            (
                AudioKey::Mpa {
                    sample_rate,
                    channels,
                    layer3,
                },
                _,
            ) => {
                let mut c = CodecConfig::new(if layer3 { Codec::Mp3 } else { Codec::Mp2 });
                c.audio = Some(AudioParams {
                    sample_rate,
                    channels,
                    bits_per_sample: 16,
                });
                out.push(EsItem::Config(c));
            }
            (AudioKey::Ac3(Ac3Key(h)), _) => out.push(EsItem::Config(h.config())),
            (AudioKey::Adts { .. }, None) => {}
        }
    }

    /// Data of this stream was lost: an incomplete frame waiting for its end cannot be
    /// completed by what comes next.
    pub(crate) fn on_loss(&mut self, out: &mut Vec<EsItem>) {
        if !self.carry.is_empty() {
            out.push(EsItem::Dropped {
                frames: 1,
                bytes: self.carry.len() as u64,
            });
            self.carry.clear();
        }
    }

    /// At the end of the stream: an incomplete frame left over is dropped.
    pub(crate) fn flush(&mut self, out: &mut Vec<EsItem>) {
        if !self.carry.is_empty() {
            let n = self.carry.len() as u64;
            self.carry.clear();
            out.push(EsItem::Warning(format!(
                "incomplete audio frame of {n} bytes at the end: dropped"
            )));
            out.push(EsItem::Dropped {
                frames: 1,
                bytes: n,
            });
        }
    }
}
