//! Codec facts the containers need, and nothing about containers.
//!
//! Each submodule implements one codec's configuration records and headers, as the specs define
//! them:
//!
//! | module   | structures                                          | spec                                   |
//! |----------|-----------------------------------------------------|----------------------------------------|
//! | [`bits`] | bit reader/writer, exp-Golomb, emulation prevention | ISO/IEC 14496-10 §7.2, §7.4.1, §9.1    |
//! | [`avc`]  | `avcC`, SPS, NAL framing (length prefix, Annex B)   | ISO/IEC 14496-10 §7.3.2.1, 14496-15 §5 |
//! | [`hevc`] | `hvcC`, SPS, profile_tier_level                     | ITU-T H.265 §7.3, ISO/IEC 14496-15 §8  |
//! | [`aac`]  | AudioSpecificConfig, ADTS header                    | ISO/IEC 14496-3 §1.6.2.1, §1.A.2       |
//! | [`mpa`]  | MPEG-1/2/2.5 audio frame header (MP3)               | ISO/IEC 11172-3 §2.4.2.3, 13818-3      |
//! | [`ac3`]  | AC-3/E-AC-3 sync frame header, `dac3`/`dec3`        | ATSC A/52 §5.3, Annex E; ETSI TS 102 366 Annex F |
//!
//! Codec strings follow RFC 6381 and ISO/IEC 14496-15 Annex E, in the forms HLS players
//! (Apple, hls.js) expect in a `CODECS` attribute.
//!
//! Every parser here takes bytes and returns a [`CodecError`] naming the structure and the byte
//! offset of the damage; none panics or allocates more than its input on any input.

use crate::media::{Codec, CodecConfig};

pub mod aac;
pub mod ac3;
pub mod av1;
pub mod avc;
pub mod bits;
pub mod flac;
pub mod hevc;
pub mod mpa;
pub mod names;
pub mod opus;
pub mod param_sets;
pub mod vp9;

/// A codec configuration record or header that cannot be parsed or written.
///
/// `what` names the structure (`"avcC"`, `"h264 sps"`, `"adts header"`, ...) and `offset` is the
/// byte offset inside that structure where the problem was found. For NAL units the offset counts
/// in the unescaped payload (after emulation-prevention bytes are removed).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The data ended early.
    #[error("{what}: truncated at byte {offset}")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
    },
    /// A field holds a value the spec forbids or reserves.
    #[error("{what}: {reason} at byte {offset}")]
    Invalid {
        /// Which structure.
        what: &'static str,
        /// Where.
        offset: usize,
        /// What is wrong, lowercase.
        reason: String,
    },
    /// A size or count exceeds a named limit (see the `MAX_*` constants and their reasons).
    #[error("{what}: {field} of {value} exceeds the limit of {limit} at byte {offset}")]
    TooLarge {
        /// Which structure.
        what: &'static str,
        /// Which field or derived quantity.
        field: &'static str,
        /// Where.
        offset: usize,
        /// The value found.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
    /// Valid input that the requested form cannot express (an explicit sampling frequency or
    /// a 960-sample frame in an ADTS header, ...).
    #[error("{what}: cannot express {reason}")]
    Unsupported {
        /// Which structure was being written or parsed.
        what: &'static str,
        /// What it cannot carry, lowercase.
        reason: String,
    },
}

impl CodecError {
    /// Shorthand for [`CodecError::Invalid`].
    pub(crate) fn invalid(what: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        CodecError::Invalid {
            what,
            offset,
            reason: reason.into(),
        }
    }
}

/// What a track's codec configuration says about the stream, for inspection and for HLS
/// `CODECS`/`RESOLUTION` attributes.
///
/// Every field is optional because each codec knows only some of them and a configuration may
/// be missing; a field is `None` rather than guessed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodecDetails {
    /// The RFC 6381 codec string (`avc1.64001F`, `hvc1.1.6.L93.B0`, `mp4a.40.2`, `mp4a.40.34`
    /// for MP3).
    pub codec_string: Option<String>,
    /// The profile name as ffprobe spells it (`High`, `Main 10`, `LC`, `HE-AAC`).
    pub profile: Option<String>,
    /// The level as a decimal (`3.1`, `4`, `1b`).
    pub level: Option<String>,
    /// Displayed width in pixels (after cropping).
    pub width: Option<u32>,
    /// Displayed height in pixels (after cropping).
    pub height: Option<u32>,
    /// Output sample rate in Hz (for HE-AAC, the SBR rate).
    pub sample_rate: Option<u32>,
    /// Output channel count.
    pub channels: Option<u8>,
    /// Luma (video) bit depth; audio sample depth where the record states one (FLAC).
    pub bit_depth: Option<u8>,
    /// The pixel format as ffprobe names it (`yuv420p`, `yuv420p10le`, `gray`, ...).
    pub pix_fmt: Option<String>,
    /// The chroma format (`4:2:0`, `4:2:2`, `4:4:4`, `4:0:0`).
    pub chroma_format: Option<&'static str>,
    /// The sample (pixel) aspect ratio, when the bitstream states one.
    pub sample_aspect_ratio: Option<(u32, u32)>,
    /// `tv` (limited range) or `pc` (full range), when stated.
    pub color_range: Option<&'static str>,
    /// Colour primaries (`bt709`, `bt2020`, ...), when stated and specified.
    pub color_primaries: Option<&'static str>,
    /// Transfer characteristics (`bt709`, `smpte2084`, ...), when stated and specified.
    pub color_transfer: Option<&'static str>,
    /// Matrix coefficients, ffprobe's `color_space` (`bt709`, `smpte170m`, ...).
    pub color_space: Option<&'static str>,
    /// `progressive` or `interlaced`, as far as the parameter set tells (an H.264 SPS that
    /// allows field coding says `interlaced` even if every picture is a frame).
    pub scan_type: Option<&'static str>,
    /// The frame rate the bitstream's timing states (H.264/H.265 VUI, `hvcC` avgFrameRate),
    /// as a reduced fraction.
    pub frame_rate: Option<(u64, u64)>,
    /// The channel layout as ffprobe names it (`mono`, `stereo`, `5.1`, ...).
    pub channel_layout: Option<&'static str>,
    /// MPEG audio version: `1`, `2` or `2.5` (from the first frame header).
    pub mpeg_version: Option<&'static str>,
    /// MPEG audio layer, 1..=3.
    pub mpeg_layer: Option<u8>,
    /// MPEG audio channel mode: `stereo`, `joint stereo`, `dual mono`, `mono`.
    pub mpeg_mode: Option<&'static str>,
}

impl CodecDetails {
    /// Details from the container-stated parameters alone.
    fn from_params(config: &CodecConfig) -> CodecDetails {
        let mut d = CodecDetails::default();
        if let Some(v) = config.video {
            d.width = Some(v.width);
            d.height = Some(v.height);
        }
        if let Some(a) = config.audio {
            d.sample_rate = Some(a.sample_rate);
            d.channels = Some(a.channels);
        }
        d
    }

    /// Adds what the first coded frame's header says (MPEG audio version, layer and mode;
    /// AC-3 channel layout) to what the record said. Bytes that are not a valid header change
    /// nothing.
    pub fn add_first_frame(&mut self, codec: Codec, frame: &[u8]) {
        match codec {
            Codec::Mp3 | Codec::Mp2 => {
                if let Ok(h) = mpa::MpegAudioHeader::parse(frame) {
                    self.mpeg_version = Some(match h.version {
                        mpa::MpegVersion::Mpeg1 => "1",
                        mpa::MpegVersion::Mpeg2 => "2",
                        mpa::MpegVersion::Mpeg25 => "2.5",
                    });
                    self.mpeg_layer = Some(match h.layer {
                        mpa::MpegLayer::Layer1 => 1,
                        mpa::MpegLayer::Layer2 => 2,
                        mpa::MpegLayer::Layer3 => 3,
                    });
                    self.mpeg_mode = Some(match h.channel_mode {
                        mpa::ChannelMode::Stereo => "stereo",
                        mpa::ChannelMode::JointStereo => "joint stereo",
                        mpa::ChannelMode::DualChannel => "dual mono",
                        mpa::ChannelMode::Mono => "mono",
                    });
                    self.channel_layout = names::channel_layout_for_count(h.channels());
                }
            }
            Codec::Ac3 | Codec::Eac3 => {
                if let Ok(h) = ac3::Ac3FrameHeader::parse(frame) {
                    self.channel_layout = names::ac3_channel_layout(h.acmod, h.lfe);
                }
            }
            Codec::SorensonH263 if self.width.is_none() => {
                if let Some((w, h)) = sorenson_size(frame) {
                    (self.width, self.height) = (Some(w), Some(h));
                }
            }
            Codec::ScreenVideo | Codec::ScreenVideo2 if self.width.is_none() => {
                // Adobe's Video File Format §E.4.3.3: 4 bits block width, 12 bits image
                // width, 4 bits block height, 12 bits image height.
                if let Some(b) = frame.get(..4) {
                    let w = u32::from(u16::from_be_bytes([b[0], b[1]]) & 0x0FFF);
                    let h = u32::from(u16::from_be_bytes([b[2], b[3]]) & 0x0FFF);
                    if w > 0 && h > 0 {
                        (self.width, self.height) = (Some(w), Some(h));
                    }
                }
            }
            _ => {}
        }
    }

    /// Display aspect ratio: width * SAR over height, reduced (`12:5`); a square-pixel SAR is
    /// assumed when none is stated, as ffprobe does.
    pub fn display_aspect_ratio(&self) -> Option<(u64, u64)> {
        let (w, h) = (u64::from(self.width?), u64::from(self.height?));
        let (sw, sh) = self.sample_aspect_ratio.unwrap_or((1, 1));
        if h == 0 || sh == 0 || sw == 0 {
            return None;
        }
        Some(names::reduce(w * u64::from(sw), h * u64::from(sh)))
    }

    fn set_colour(&mut self, full_range: Option<bool>, colour: Option<(u8, u8, u8)>) {
        self.color_range = full_range.map(names::color_range);
        if let Some((p, t, m)) = colour {
            self.color_primaries = names::color_primaries(p);
            self.color_transfer = names::color_transfer(t);
            self.color_space = names::color_space(m);
        }
    }
}

/// The picture size of a Sorenson H.263 picture header (Adobe's Video File Format
/// §E.4.3.1): 17-bit start code, 5-bit version, 8-bit temporal reference, 3-bit size code,
/// then an explicit 8- or 16-bit width and height for codes 0 and 1.
fn sorenson_size(frame: &[u8]) -> Option<(u32, u32)> {
    let mut r = bits::BitReader::new(frame, "sorenson h263 header");
    if r.read_bits(17).ok()? != 1 {
        return None;
    }
    let _version = r.read_u8(5).ok()?;
    let _temporal_reference = r.read_u8(8).ok()?;
    let size = match r.read_u8(3).ok()? {
        0 => (r.read_bits(8).ok()?, r.read_bits(8).ok()?),
        1 => (r.read_bits(16).ok()?, r.read_bits(16).ok()?),
        2 => (352, 288),
        3 => (176, 144),
        4 => (128, 96),
        5 => (320, 240),
        6 => (160, 120),
        _ => return None,
    };
    (size.0 > 0 && size.1 > 0).then_some(size)
}

impl CodecConfig {
    /// Parses the configuration record into the facts an inspector or HLS playlist needs.
    ///
    /// For H.264 it reads the `avcC` and its first SPS, for HEVC the `hvcC` and its first SPS,
    /// for AAC the AudioSpecificConfig; the record wins over the container's stated
    /// parameters, which fill in only what the record lacks. An empty record (none seen yet)
    /// is not an error: the details then hold only what `audio`/`video` say. Other codecs get
    /// their well-known codec string where RFC 6381 defines one without a record.
    pub fn details(&self) -> Result<CodecDetails, CodecError> {
        let mut d = CodecDetails::from_params(self);
        match self.codec {
            Codec::H264 if !self.extradata.is_empty() => {
                let cfg = avc::AvcDecoderConfig::parse(&self.extradata)?;
                d.codec_string = Some(cfg.codec_string());
                if let Some(sps) = cfg.first_sps() {
                    let sps = sps?;
                    d.profile = Some(sps.profile_name().to_owned());
                    d.level = Some(sps.level_string());
                    d.width = Some(sps.width());
                    d.height = Some(sps.height());
                    d.bit_depth = Some(sps.bit_depth_luma);
                    let signal = sps.video_signal;
                    let full = signal.is_some_and(|s| s.full_range);
                    let rgb = signal.and_then(|s| s.colour).is_some_and(|c| c.2 == 0);
                    // ffmpeg's H.264 decoder shows monochrome as 4:2:0 (gray chroma planes).
                    let chroma = sps.chroma_format_idc.max(1);
                    d.pix_fmt = names::pix_fmt(chroma, sps.bit_depth_luma, full, rgb);
                    d.chroma_format = names::chroma_format(sps.chroma_format_idc);
                    d.sample_aspect_ratio = sps
                        .sample_aspect_ratio
                        .filter(|s| s.0 != 0 && s.1 != 0)
                        .map(|(w, h)| (w.into(), h.into()));
                    d.set_colour(signal.map(|s| s.full_range), signal.and_then(|s| s.colour));
                    d.scan_type = Some(if sps.frame_mbs_only {
                        "progressive"
                    } else {
                        "interlaced"
                    });
                    // A frame spans two ticks (field-based timing, Annex E equation E-6).
                    d.frame_rate = sps
                        .timing
                        .filter(|t| t.num_units_in_tick > 0 && t.time_scale > 0)
                        .map(|t| {
                            names::reduce(
                                u64::from(t.time_scale),
                                2 * u64::from(t.num_units_in_tick),
                            )
                        });
                }
            }
            Codec::Hevc if !self.extradata.is_empty() => {
                let cfg = hevc::HevcDecoderConfig::parse(&self.extradata)?;
                let ptl = cfg.profile_tier_level();
                d.codec_string = Some(cfg.codec_string());
                d.profile = Some(ptl.profile_name().to_owned());
                d.level = Some(ptl.level_string());
                d.bit_depth = Some(cfg.bit_depth_luma);
                d.chroma_format = names::chroma_format(cfg.chroma_format_idc);
                if cfg.avg_frame_rate > 0 {
                    d.frame_rate = Some(names::reduce(u64::from(cfg.avg_frame_rate), 256));
                }
                if let Some(sps) = cfg.first_sps() {
                    let sps = sps?;
                    d.width = Some(sps.width());
                    d.height = Some(sps.height());
                    d.bit_depth = Some(sps.bit_depth_luma);
                    d.chroma_format = names::chroma_format(sps.chroma_format_idc);
                    let signal = sps.video_signal;
                    let rgb = signal.and_then(|s| s.colour).is_some_and(|c| c.2 == 0);
                    d.pix_fmt =
                        names::pix_fmt(sps.chroma_format_idc, sps.bit_depth_luma, false, rgb);
                    d.sample_aspect_ratio = sps
                        .sample_aspect_ratio
                        .filter(|s| s.0 != 0 && s.1 != 0)
                        .map(|(w, h)| (w.into(), h.into()));
                    d.set_colour(signal.map(|s| s.full_range), signal.and_then(|s| s.colour));
                    if sps.vui_present.is_some() {
                        d.scan_type = Some(if sps.field_seq {
                            "interlaced"
                        } else {
                            "progressive"
                        });
                    }
                    // One tick is one picture in HEVC (E.3.1).
                    if let Some(t) = sps
                        .timing
                        .filter(|t| t.num_units_in_tick > 0 && t.time_scale > 0)
                    {
                        d.frame_rate = Some(names::reduce(
                            u64::from(t.time_scale),
                            u64::from(t.num_units_in_tick),
                        ));
                    }
                }
            }
            Codec::Aac if !self.extradata.is_empty() => {
                let asc = aac::AudioSpecificConfig::parse(&self.extradata)?;
                d.codec_string = Some(asc.codec_string());
                d.profile = Some(asc.profile_name().to_owned());
                d.sample_rate = Some(asc.output_sample_rate());
                if let Some(ch) = asc.channels() {
                    d.channels = Some(ch);
                }
                d.channel_layout = if asc.ps_present() {
                    Some("stereo")
                } else if asc.channel_config == 0 {
                    asc.channels().and_then(names::channel_layout_for_count)
                } else {
                    names::aac_channel_layout(asc.channel_config)
                };
            }
            // MP3 needs no record: RFC 6381 via Apple's HLS authoring spec names it by its
            // MPEG-4 audio object type 34 (Layer III).
            Codec::Mp3 => d.codec_string = Some(mpa::MP3_CODEC_STRING.to_owned()),
            // Layer II (MP2) by the same scheme: object type 33.
            Codec::Mp2 => d.codec_string = Some("mp4a.40.33".to_owned()),
            Codec::Av1 if !self.extradata.is_empty() => {
                let c = av1::Av1Config::parse(&self.extradata)?;
                d.codec_string = Some(c.codec_string());
                d.profile = Some(c.profile_name().to_owned());
                d.level = Some(c.level_string());
                d.bit_depth = Some(c.bit_depth);
                let chroma = match (c.monochrome, c.subsampling.0, c.subsampling.1) {
                    (true, _, _) => 0,
                    (false, 1, 1) => 1,
                    (false, 1, 0) => 2,
                    _ => 3,
                };
                d.chroma_format = names::chroma_format(chroma);
                d.pix_fmt = names::pix_fmt(chroma, c.bit_depth, false, false);
            }
            Codec::Vp9 if !self.extradata.is_empty() => {
                let c = vp9::Vp9Config::parse(&self.extradata)?;
                d.codec_string = Some(c.codec_string());
                d.profile = Some(format!("Profile {}", c.profile));
                d.level = Some(c.level_string());
                d.bit_depth = Some(c.bit_depth);
                let chroma = match c.chroma_subsampling {
                    0 | 1 => 1,
                    2 => 2,
                    _ => 3,
                };
                d.chroma_format = names::chroma_format(chroma);
                let rgb = c.colour.2 == 0;
                d.pix_fmt = names::pix_fmt(chroma, c.bit_depth, false, rgb && chroma == 3);
                d.set_colour(Some(c.full_range), Some(c.colour));
            }
            // Registered sample-entry names that need no parameters; the records give the
            // rate and channels.
            Codec::Opus => {
                d.codec_string = Some("opus".to_owned());
                if !self.extradata.is_empty() {
                    let h = opus::OpusHead::parse(&self.extradata)?;
                    // Opus always decodes at 48 kHz; the input rate is informational.
                    d.sample_rate = Some(48_000);
                    d.channels = Some(h.channels);
                }
            }
            Codec::Flac => {
                d.codec_string = Some("fLaC".to_owned());
                if !self.extradata.is_empty() {
                    let s = flac::StreamInfo::parse(flac::streaminfo_body(&self.extradata))?;
                    d.sample_rate = Some(s.sample_rate);
                    d.channels = Some(s.channels);
                    d.bit_depth = Some(s.bits_per_sample);
                }
            }
            Codec::Ac3 => d.codec_string = Some("ac-3".to_owned()),
            Codec::Eac3 => d.codec_string = Some("ec-3".to_owned()),
            _ => {}
        }
        // Without a layout in the record, ffmpeg gives one from the channel count (its FLV
        // reader leaves Speex's unknown).
        if d.channel_layout.is_none() && self.codec != Codec::Speex {
            d.channel_layout = d.channels.and_then(names::channel_layout_for_count);
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests;
