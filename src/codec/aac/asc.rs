//! ISO/IEC 14496-3 §1.6.2.1 `AudioSpecificConfig()`.

use bytes::{BufMut, Bytes};

use super::{channel_count, object_type_name, sampling_frequency, sampling_index};
use crate::codec::CodecError;
use crate::codec::bits::{BitReader, BitWriter};

const WHAT: &str = "AudioSpecificConfig";

/// `syncExtensionType` announcing SBR after a core config (backward-compatible signalling).
const SYNC_SBR: u32 = 0x2B7;
/// `syncExtensionType` announcing PS after the SBR extension.
const SYNC_PS: u32 = 0x548;

/// Explicitly signalled SBR/PS (HE-AAC v1/v2) or BSAC extension of an AudioSpecificConfig.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AacExtension {
    /// The extension object type as signalled: 5 (SBR) or 29 (PS) in hierarchical
    /// signalling; 5 or 22 (BSAC) in backward-compatible signalling, where PS shows in
    /// `ps_present`.
    pub object_type: u8,
    /// `sbrPresentFlag`: a backward-compatible extension may say SBR is absent (ffmpeg's own
    /// encoder writes such a record).
    pub sbr_present: bool,
    /// `psPresentFlag`: parametric stereo (HE-AAC v2).
    pub ps_present: bool,
    /// `extensionSamplingFrequencyIndex` (the core's index when SBR is absent).
    pub sampling_index: u8,
    /// The output sample rate with SBR (the core's rate when SBR is absent).
    pub sample_rate: u32,
    /// Whether the record starts with the extension's object type (5/29, hierarchical
    /// signalling) rather than appending it after the core config.
    pub hierarchical: bool,
}

/// An MPEG-4 audio AudioSpecificConfig: object type, sample rate, channels and the few
/// GASpecificConfig facts a container needs.
///
/// The record keeps the exact bytes it was parsed from: [`AudioSpecificConfig::write_to`]
/// writes them back unchanged (including fields not modelled here), so a remux never alters
/// the config. The public fields are a read-only view of those bytes; to make a different
/// config, build one with [`AudioSpecificConfig::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(alias = "ASC")]
pub struct AudioSpecificConfig {
    /// The first `audioObjectType` (2 = AAC LC; 5/29 when HE-AAC is signalled
    /// hierarchically), after the escape (31 -> 32 + 6 bits).
    pub object_type: u8,
    /// `samplingFrequencyIndex` of the core (15 = explicit).
    pub sampling_index: u8,
    /// The core's sample rate in Hz (half the output rate with SBR).
    pub sample_rate: u32,
    /// `channelConfiguration` (0 = a program config element says).
    pub channel_config: u8,
    /// The object type the core frames are coded with: equal to `object_type` unless that is
    /// 5 or 29, where it is the type that follows (usually 2).
    pub core_object_type: u8,
    /// GASpecificConfig `frameLengthFlag`: 960-sample frames (480 for LD/ELD).
    pub frame_length_flag: bool,
    /// Explicit SBR/PS signalling, when present.
    pub ext: Option<AacExtension>,
    /// Channels counted from the program config element, when `channel_config` is 0.
    pub pce_channels: Option<u8>,
    raw: Bytes,
}

impl AudioSpecificConfig {
    /// Parses an AudioSpecificConfig, copying its bytes.
    pub fn parse(data: &[u8]) -> Result<AudioSpecificConfig, CodecError> {
        Self::parse_bytes(&Bytes::copy_from_slice(data))
    }

    /// Parses an AudioSpecificConfig held in [`Bytes`], keeping a reference rather than a
    /// copy.
    pub fn parse_bytes(data: &Bytes) -> Result<AudioSpecificConfig, CodecError> {
        let mut r = BitReader::new(data, WHAT);
        let object_type = read_object_type(&mut r)?;
        let (sampling_index, sample_rate) = read_frequency(&mut r)?;
        let channel_config = r.read_u8(4)?;
        let mut asc = AudioSpecificConfig {
            object_type,
            sampling_index,
            sample_rate,
            channel_config,
            core_object_type: object_type,
            frame_length_flag: false,
            ext: None,
            pce_channels: None,
            raw: data.clone(),
        };
        if object_type == 5 || object_type == 29 {
            let (index, rate) = read_frequency(&mut r)?;
            asc.core_object_type = read_object_type(&mut r)?;
            if asc.core_object_type == 22 {
                let _extension_channel_configuration = r.read_u8(4)?;
            }
            asc.ext = Some(AacExtension {
                object_type,
                sbr_present: true,
                ps_present: object_type == 29,
                sampling_index: index,
                sample_rate: rate,
                hierarchical: true,
            });
        }
        let core = asc.core_object_type;
        let fully_read = match core {
            1 | 2 | 3 | 4 | 6 | 7 | 17 | 19 | 20 | 21 | 22 | 23 => {
                read_ga_specific(&mut r, &mut asc)?;
                true
            }
            // ELDSpecificConfig starts with frameLengthFlag; the rest is not modelled.
            39 => {
                asc.frame_length_flag = r.read_flag()?;
                false
            }
            _ => false,
        };
        if fully_read && matches!(core, 17 | 19..=27) {
            let _ep_config = r.read_u8(2)?;
        }
        if fully_read && asc.ext.is_none() && r.bits_left() >= 16 {
            // Trailing bits that are not a well-formed extension are ignored, as decoders do.
            asc.ext = read_sync_extension(&mut r, &asc).ok().flatten();
        }
        Ok(asc)
    }

    /// Builds the 2-byte record (5 bytes when `sample_rate` has no index and is written
    /// explicitly) for AAC Main, LC, SSR or LTP (object types 1..=4) with 1..=6 or 8 channels,
    /// the form FLV and MP4 muxers write for plain AAC.
    pub fn new(
        object_type: u8,
        sample_rate: u32,
        channels: u8,
    ) -> Result<AudioSpecificConfig, CodecError> {
        if !(1..=4).contains(&object_type) {
            return Err(CodecError::Unsupported {
                what: WHAT,
                reason: format!("building object type {object_type} (only 1..=4)"),
            });
        }
        let channel_config = match channels {
            1..=6 => channels,
            8 => 7,
            _ => {
                return Err(CodecError::Unsupported {
                    what: WHAT,
                    reason: format!("{channels} channels without a program config element"),
                });
            }
        };
        if sample_rate == 0 || sample_rate > 0xFF_FFFF {
            return Err(CodecError::invalid(
                WHAT,
                0,
                format!("sample rate {sample_rate} outside 1..=16777215"),
            ));
        }
        let index = sampling_index(sample_rate);
        Self::from_fields(
            object_type,
            index.unwrap_or(15),
            sample_rate,
            channel_config,
        )
    }

    /// Writes and parses the minimal record for a GA object type 1..=4 with
    /// frameLengthFlag, dependsOnCoreCoder and extensionFlag all 0.
    pub(super) fn from_fields(
        object_type: u8,
        index: u8,
        sample_rate: u32,
        channel_config: u8,
    ) -> Result<AudioSpecificConfig, CodecError> {
        let mut w = BitWriter::new();
        w.write_bits(5, object_type.into());
        w.write_bits(4, index.into());
        if index == 15 {
            w.write_bits(24, sample_rate);
        }
        w.write_bits(4, channel_config.into());
        w.write_bits(3, 0);
        w.byte_align();
        Self::parse_bytes(&Bytes::from(w.into_bytes()))
    }

    /// The exact bytes of the record.
    pub fn as_bytes(&self) -> &Bytes {
        &self.raw
    }

    /// Writes the record: the exact bytes it was parsed or built from.
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(&self.raw);
    }

    /// The record as bytes (a cheap reference-counted clone).
    pub fn to_bytes(&self) -> Bytes {
        self.raw.clone()
    }

    /// Whether SBR is signalled present (HE-AAC v1 or v2).
    pub fn sbr_present(&self) -> bool {
        self.ext.is_some_and(|e| e.sbr_present)
    }

    /// Whether parametric stereo is signalled present (HE-AAC v2).
    pub fn ps_present(&self) -> bool {
        self.ext.is_some_and(|e| e.ps_present)
    }

    /// The object type that describes the stream to a player: 29 with PS, 5 with SBR, else
    /// the core type. With backward-compatible signalling the record's first type is 2, but
    /// the stream is HE-AAC and players (Apple's HLS spec, hls.js) expect `mp4a.40.5`.
    pub fn effective_object_type(&self) -> u8 {
        if self.ps_present() {
            29
        } else if self.sbr_present() {
            5
        } else {
            self.core_object_type
        }
    }

    /// The output sample rate: the SBR rate when SBR is signalled, else the core rate. (SBR
    /// signalled only implicitly, inside the frames, cannot be seen here.)
    pub fn output_sample_rate(&self) -> u32 {
        match self.ext {
            Some(e) if self.sbr_present() => e.sample_rate,
            _ => self.sample_rate,
        }
    }

    /// Output channels: from the channel configuration or the program config element, and 2
    /// for a mono core with parametric stereo; `None` for reserved configurations.
    pub fn channels(&self) -> Option<u8> {
        let n = match self.channel_config {
            0 => self.pce_channels?,
            c => channel_count(c)?,
        };
        Some(if self.ps_present() && n == 1 { 2 } else { n })
    }

    /// Samples per channel in one coded frame of the core: 1024 (960 with frameLengthFlag)
    /// for the AAC object types, 512 (480) for LD and ELD. SBR doubles the output samples of
    /// a frame, but containers time HE-AAC frames at the core rate, so this is the core count.
    /// Object types whose frame size this record does not state get 1024.
    pub fn samples_per_frame(&self) -> u32 {
        let low_delay = matches!(self.core_object_type, 23 | 39);
        match (low_delay, self.frame_length_flag) {
            (true, false) => 512,
            (true, true) => 480,
            (false, true) => 960,
            (false, false) => 1024,
        }
    }

    /// The profile name as ffprobe prints it (`LC`, `HE-AAC`, `HE-AACv2`, ...).
    pub fn profile_name(&self) -> &'static str {
        object_type_name(self.effective_object_type())
    }

    /// The RFC 6381 codec string `mp4a.40.<object type>` with the effective object type
    /// (`mp4a.40.2`, `mp4a.40.5`, `mp4a.40.29`).
    pub fn codec_string(&self) -> String {
        format!("mp4a.40.{}", self.effective_object_type())
    }
}

/// `GetAudioObjectType()`: 5 bits, 31 escaping to 32 + 6 more bits.
fn read_object_type(r: &mut BitReader<'_>) -> Result<u8, CodecError> {
    match r.read_u8(5)? {
        31 => Ok(32 + r.read_u8(6)?),
        t => Ok(t),
    }
}

/// A 4-bit frequency index, with 15 escaping to an explicit 24-bit frequency.
fn read_frequency(r: &mut BitReader<'_>) -> Result<(u8, u32), CodecError> {
    let index = r.read_u8(4)?;
    let rate = match index {
        15 => r.read_bits(24)?,
        _ => sampling_frequency(index)
            .ok_or_else(|| r.invalid(format!("reserved sampling frequency index {index}")))?,
    };
    if rate == 0 {
        return Err(r.invalid("explicit sampling frequency of 0"));
    }
    Ok((index, rate))
}

/// GASpecificConfig (§4.4.1).
fn read_ga_specific(
    r: &mut BitReader<'_>,
    asc: &mut AudioSpecificConfig,
) -> Result<(), CodecError> {
    asc.frame_length_flag = r.read_flag()?;
    if r.read_flag()? {
        let _core_coder_delay = r.read_bits(14)?;
    }
    let extension_flag = r.read_flag()?;
    if asc.channel_config == 0 {
        asc.pce_channels = Some(read_pce_channels(r)?);
    }
    let core = asc.core_object_type;
    if core == 6 || core == 20 {
        let _layer_nr = r.read_u8(3)?;
    }
    if extension_flag {
        if core == 22 {
            let _num_of_sub_frame = r.read_u8(5)?;
            let _layer_length = r.read_bits(11)?;
        }
        if matches!(core, 17 | 19 | 20 | 23) {
            let _resilience_flags = r.read_u8(3)?;
        }
        let _extension_flag3 = r.read_flag()?;
    }
    Ok(())
}

/// `program_config_element()` (§4.4.1.1), returning the channels it lays out.
fn read_pce_channels(r: &mut BitReader<'_>) -> Result<u8, CodecError> {
    let _element_instance_tag = r.read_u8(4)?;
    let _object_type = r.read_u8(2)?;
    let _sampling_frequency_index = r.read_u8(4)?;
    let front = r.read_u8(4)?;
    let side = r.read_u8(4)?;
    let back = r.read_u8(4)?;
    let lfe = r.read_u8(2)?;
    let assoc = r.read_u8(3)?;
    let cc = r.read_u8(4)?;
    for skip in [4, 4] {
        if r.read_flag()? {
            r.skip_bits(skip)?; // mono, stereo mixdown element numbers
        }
    }
    if r.read_flag()? {
        r.skip_bits(3)?; // matrix_mixdown_idx, pseudo_surround_enable
    }
    let mut channels = 0u8;
    for _ in 0..(u32::from(front) + u32::from(side) + u32::from(back)) {
        let is_cpe = r.read_flag()?;
        r.skip_bits(4)?;
        channels += 1 + u8::from(is_cpe);
    }
    channels += lfe;
    r.skip_bits(4 * usize::from(lfe) + 4 * usize::from(assoc) + 5 * usize::from(cc))?;
    // byte_alignment() relative to the start of the AudioSpecificConfig.
    r.byte_align();
    let comment_bytes = r.read_u8(8)?;
    r.skip_bits(8 * usize::from(comment_bytes))?;
    Ok(channels)
}

/// The backward-compatible extension after the core config (§1.6.2.1, the part after
/// `bits_to_decode() >= 16`); `Ok(None)` when the trailing bits are not one.
fn read_sync_extension(
    r: &mut BitReader<'_>,
    asc: &AudioSpecificConfig,
) -> Result<Option<AacExtension>, CodecError> {
    if r.read_bits(11)? != SYNC_SBR {
        return Ok(None);
    }
    let object_type = read_object_type(r)?;
    let mut ext = AacExtension {
        object_type,
        sbr_present: false,
        ps_present: false,
        sampling_index: asc.sampling_index,
        sample_rate: asc.sample_rate,
        hierarchical: false,
    };
    match object_type {
        5 => {
            ext.sbr_present = r.read_flag()?;
            if ext.sbr_present {
                (ext.sampling_index, ext.sample_rate) = read_frequency(r)?;
                if r.bits_left() >= 12 && r.read_bits(11)? == SYNC_PS {
                    ext.ps_present = r.read_flag()?;
                }
            }
        }
        22 => {
            ext.sbr_present = r.read_flag()?;
            if ext.sbr_present {
                (ext.sampling_index, ext.sample_rate) = read_frequency(r)?;
            }
            let _extension_channel_configuration = r.read_u8(4)?;
        }
        _ => return Ok(None),
    }
    Ok(Some(ext))
}

#[cfg(test)]
#[path = "asc_tests.rs"]
pub(super) mod tests;
