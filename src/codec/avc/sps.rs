//! The H.264 sequence parameter set (ISO/IEC 14496-10 §7.3.2.1.1), read up to the VUI timing.

use crate::codec::CodecError;
use crate::codec::bits::{BitReader, remove_emulation_prevention};

const WHAT: &str = "h264 sps";

/// Largest coded width or height accepted, in pixels.
///
/// The largest picture any H.264 or HEVC level allows is about 16888 pixels on a side (level
/// 6.2: sqrt(8 * 139264 macroblocks) * 16); twice that leaves room for odd non-conforming
/// streams while keeping width * height far inside `u32` and rejecting sizes that can only be
/// damage.
pub const MAX_DIMENSION: u32 = 32768;

/// Longest `offset_for_ref_frame` cycle of pic_order_cnt_type 1 (the range §7.4.2.1.1 gives
/// `num_ref_frames_in_pic_order_cnt_cycle`).
const MAX_POC_CYCLE: u32 = 255;

/// Largest `seq_parameter_set_id` (§7.4.2.1.1).
const MAX_SPS_ID: u32 = 31;

/// Largest `log2_max_frame_num_minus4` and `log2_max_pic_order_cnt_lsb_minus4` (§7.4.2.1.1).
const MAX_LOG2_MINUS4: u32 = 12;

/// Largest `bit_depth_*_minus8` (14-bit samples, the most any profile allows).
const MAX_BIT_DEPTH_MINUS8: u32 = 6;

/// Cropping offsets of the decoded frame, in the units the parameter set states them
/// (`frame_crop_*_offset` for H.264, `conf_win_*_offset` for HEVC); multiply by the crop unit
/// to get pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CropWindow {
    /// Left offset.
    pub left: u32,
    /// Right offset.
    pub right: u32,
    /// Top offset.
    pub top: u32,
    /// Bottom offset.
    pub bottom: u32,
}

/// The VUI `timing_info` of an SPS (Annex E): the stream's nominal clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VuiTiming {
    /// `num_units_in_tick`: one tick lasts `num_units_in_tick / time_scale` seconds (for H.264
    /// a frame usually spans two ticks).
    pub num_units_in_tick: u32,
    /// `time_scale`, ticks per second.
    pub time_scale: u32,
    /// `fixed_frame_rate_flag`.
    pub fixed_frame_rate: bool,
}

/// The VUI `video_signal_type` (H.264 Annex E.1.1, H.265 Annex E.2.1): range and colour
/// description, as ISO/IEC 23091-2 codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoSignal {
    /// `video_format` (0 component, 1 PAL, 2 NTSC, 3 SECAM, 4 MAC, 5 unspecified).
    pub video_format: u8,
    /// `video_full_range_flag`: samples use the full range (ffprobe's `pc`) rather than the
    /// studio range (`tv`).
    pub full_range: bool,
    /// `colour_primaries`, `transfer_characteristics`, `matrix_coefficients`, when
    /// `colour_description_present_flag` is set.
    pub colour: Option<(u8, u8, u8)>,
}

/// A parsed H.264 sequence parameter set, enough to describe the stream: picture size, chroma
/// format, bit depth, profile and level.
///
/// Parsing stops after the VUI timing information; the HRD and bitstream restriction parts are
/// not needed by a transmuxer. Sizes are validated at parse time against [`MAX_DIMENSION`], so
/// [`Sps::width`] and [`Sps::height`] cannot overflow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(alias = "seq_parameter_set_data")]
pub struct Sps {
    /// `profile_idc` (66 Baseline, 77 Main, 100 High, ...).
    pub profile_idc: u8,
    /// The byte holding `constraint_set0_flag` .. `constraint_set5_flag` (MSB first) and two
    /// reserved bits: the middle byte of an `avc1.PPCCLL` codec string.
    pub constraint_flags: u8,
    /// `level_idc`: ten times the level number (31 = 3.1), with 9 or 11 + set3 meaning 1b.
    pub level_idc: u8,
    /// `seq_parameter_set_id`.
    pub seq_parameter_set_id: u8,
    /// `chroma_format_idc`: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 unless a high profile
    /// says otherwise).
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag` (4:4:4 coded as three monochrome planes).
    pub separate_colour_plane: bool,
    /// Luma sample bit depth (`bit_depth_luma_minus8 + 8`).
    pub bit_depth_luma: u8,
    /// Chroma sample bit depth (`bit_depth_chroma_minus8 + 8`).
    pub bit_depth_chroma: u8,
    /// `seq_scaling_matrix_present_flag` (the lists themselves are skipped).
    pub scaling_matrix_present: bool,
    /// `log2_max_frame_num_minus4 + 4`.
    pub log2_max_frame_num: u8,
    /// `pic_order_cnt_type` (0, 1 or 2).
    pub pic_order_cnt_type: u8,
    /// `log2_max_pic_order_cnt_lsb_minus4 + 4` for pic_order_cnt_type 0, else 0.
    pub log2_max_pic_order_cnt_lsb: u8,
    /// `max_num_ref_frames`.
    pub max_num_ref_frames: u32,
    /// `gaps_in_frame_num_value_allowed_flag`.
    pub gaps_in_frame_num_allowed: bool,
    /// `pic_width_in_mbs_minus1 + 1`.
    pub pic_width_in_mbs: u32,
    /// `pic_height_in_map_units_minus1 + 1` (map units are field macroblock pairs when
    /// `frame_mbs_only` is false).
    pub pic_height_in_map_units: u32,
    /// `frame_mbs_only_flag`: false for interlaced-capable streams.
    pub frame_mbs_only: bool,
    /// `mb_adaptive_frame_field_flag` (MBAFF).
    pub mb_adaptive_frame_field: bool,
    /// `direct_8x8_inference_flag`.
    pub direct_8x8_inference: bool,
    /// The frame cropping offsets, when `frame_cropping_flag` is set.
    pub frame_cropping: Option<CropWindow>,
    /// `vui_parameters_present_flag`.
    pub vui_present: bool,
    /// The VUI sample aspect ratio (width, height), when stated (aspect_ratio_idc 255 gives the
    /// explicit pair; the other codes are mapped through Table E-1).
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// The VUI video signal type (range, colour description), when stated.
    pub video_signal: Option<VideoSignal>,
    /// The VUI timing information, when stated.
    pub timing: Option<VuiTiming>,
    /// The VUI `max_num_reorder_frames` (bitstream restriction), when stated: the most frames
    /// that precede any frame in decoding order and follow it in output order (what ffmpeg
    /// calls `has_b_frames`).
    pub max_num_reorder_frames: Option<u32>,
}

/// Sample aspect ratios of `aspect_ratio_idc` 1..=16 (ISO/IEC 14496-10 Table E-1).
pub(crate) const SAR_TABLE: [(u16, u16); 16] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

impl Sps {
    /// Parses an SPS NAL unit, including its 1-byte NAL header, with emulation-prevention
    /// bytes still in place (as `avcC` and Annex B carry it).
    pub fn parse(nal: &[u8]) -> Result<Sps, CodecError> {
        let rbsp = remove_emulation_prevention(nal);
        let mut r = BitReader::new(&rbsp, WHAT);
        let header = r.read_u8(8)?;
        if header & 0x1F != 7 {
            return Err(CodecError::invalid(
                WHAT,
                0,
                format!("nal unit type {} is not an sps", header & 0x1F),
            ));
        }
        let profile_idc = r.read_u8(8)?;
        let constraint_flags = r.read_u8(8)?;
        let level_idc = r.read_u8(8)?;
        let seq_parameter_set_id = r.read_ue_max("seq_parameter_set_id", MAX_SPS_ID)? as u8;

        let mut sps = Sps {
            profile_idc,
            constraint_flags,
            level_idc,
            seq_parameter_set_id,
            chroma_format_idc: 1,
            separate_colour_plane: false,
            bit_depth_luma: 8,
            bit_depth_chroma: 8,
            scaling_matrix_present: false,
            log2_max_frame_num: 4,
            pic_order_cnt_type: 0,
            log2_max_pic_order_cnt_lsb: 0,
            max_num_ref_frames: 0,
            gaps_in_frame_num_allowed: false,
            pic_width_in_mbs: 0,
            pic_height_in_map_units: 0,
            frame_mbs_only: true,
            mb_adaptive_frame_field: false,
            direct_8x8_inference: false,
            frame_cropping: None,
            vui_present: false,
            sample_aspect_ratio: None,
            video_signal: None,
            timing: None,
            max_num_reorder_frames: None,
        };

        if has_chroma_info(profile_idc) {
            sps.chroma_format_idc = r.read_ue_max("chroma_format_idc", 3)? as u8;
            if sps.chroma_format_idc == 3 {
                sps.separate_colour_plane = r.read_flag()?;
            }
            sps.bit_depth_luma =
                8 + r.read_ue_max("bit_depth_luma_minus8", MAX_BIT_DEPTH_MINUS8)? as u8;
            sps.bit_depth_chroma =
                8 + r.read_ue_max("bit_depth_chroma_minus8", MAX_BIT_DEPTH_MINUS8)? as u8;
            let _qpprime_y_zero_transform_bypass = r.read_flag()?;
            sps.scaling_matrix_present = r.read_flag()?;
            if sps.scaling_matrix_present {
                let lists = if sps.chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.read_flag()? {
                        skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }

        sps.log2_max_frame_num =
            4 + r.read_ue_max("log2_max_frame_num_minus4", MAX_LOG2_MINUS4)? as u8;
        sps.pic_order_cnt_type = r.read_ue_max("pic_order_cnt_type", 2)? as u8;
        match sps.pic_order_cnt_type {
            0 => {
                sps.log2_max_pic_order_cnt_lsb =
                    4 + r.read_ue_max("log2_max_pic_order_cnt_lsb_minus4", MAX_LOG2_MINUS4)? as u8;
            }
            1 => {
                let _delta_pic_order_always_zero = r.read_flag()?;
                let _offset_for_non_ref_pic = r.read_se()?;
                let _offset_for_top_to_bottom_field = r.read_se()?;
                let cycle =
                    r.read_ue_max("num_ref_frames_in_pic_order_cnt_cycle", MAX_POC_CYCLE)?;
                for _ in 0..cycle {
                    let _offset_for_ref_frame = r.read_se()?;
                }
            }
            _ => {}
        }
        sps.max_num_ref_frames = r.read_ue()?;
        sps.gaps_in_frame_num_allowed = r.read_flag()?;

        let width_mbs = u64::from(r.read_ue()?) + 1;
        let height_units = u64::from(r.read_ue()?) + 1;
        sps.frame_mbs_only = r.read_flag()?;
        if !sps.frame_mbs_only {
            sps.mb_adaptive_frame_field = r.read_flag()?;
        }
        sps.direct_8x8_inference = r.read_flag()?;
        let coded_width = width_mbs * 16;
        let coded_height = height_units * 16 * if sps.frame_mbs_only { 1 } else { 2 };
        for (field, value) in [("coded width", coded_width), ("coded height", coded_height)] {
            if value > u64::from(MAX_DIMENSION) {
                return Err(r.too_large(field, value, MAX_DIMENSION.into()));
            }
        }
        // Both fit: at most MAX_DIMENSION / 16.
        sps.pic_width_in_mbs = width_mbs as u32;
        sps.pic_height_in_map_units = height_units as u32;

        if r.read_flag()? {
            let crop = CropWindow {
                left: r.read_ue()?,
                right: r.read_ue()?,
                top: r.read_ue()?,
                bottom: r.read_ue()?,
            };
            let (ux, uy) = sps.crop_units();
            let crop_x = (u64::from(crop.left) + u64::from(crop.right)) * u64::from(ux);
            let crop_y = (u64::from(crop.top) + u64::from(crop.bottom)) * u64::from(uy);
            if crop_x >= coded_width || crop_y >= coded_height {
                return Err(r.invalid(format!(
                    "cropping {crop_x}x{crop_y} leaves nothing of {coded_width}x{coded_height}"
                )));
            }
            sps.frame_cropping = Some(crop);
        }
        sps.vui_present = r.read_flag()?;
        if sps.vui_present {
            // A damaged or cut VUI does not make the picture size wrong: keep what was read,
            // as decoders do.
            let _ = read_vui(&mut r, &mut sps);
        }
        Ok(sps)
    }

    /// `ChromaArrayType` (§7.4.2.1.1): the chroma format, or 0 when colour planes are coded
    /// separately.
    pub fn chroma_array_type(&self) -> u8 {
        if self.separate_colour_plane {
            0
        } else {
            self.chroma_format_idc
        }
    }

    /// (`CropUnitX`, `CropUnitY`) of equations 7-19 .. 7-22: cropping offsets count chroma
    /// samples, and field pairs when frames may be coded as fields.
    pub fn crop_units(&self) -> (u32, u32) {
        let fields = if self.frame_mbs_only { 1 } else { 2 };
        match self.chroma_array_type() {
            1 => (2, 2 * fields),
            2 => (2, fields),
            _ => (1, fields),
        }
    }

    /// Coded width in pixels, before cropping.
    pub fn coded_width(&self) -> u32 {
        self.pic_width_in_mbs * 16
    }

    /// Coded height in pixels, before cropping (a frame: both fields when interlaced).
    pub fn coded_height(&self) -> u32 {
        let fields = if self.frame_mbs_only { 1 } else { 2 };
        fields * self.pic_height_in_map_units * 16
    }

    /// Displayed width in pixels: the coded width less the cropping.
    pub fn width(&self) -> u32 {
        let crop = self.frame_cropping.unwrap_or_default();
        let (ux, _) = self.crop_units();
        // Validated at parse time to be smaller than the coded width.
        self.coded_width()
            .saturating_sub(ux.saturating_mul(crop.left.saturating_add(crop.right)))
    }

    /// Displayed height in pixels: the coded frame height less the cropping.
    pub fn height(&self) -> u32 {
        let crop = self.frame_cropping.unwrap_or_default();
        let (_, uy) = self.crop_units();
        self.coded_height()
            .saturating_sub(uy.saturating_mul(crop.top.saturating_add(crop.bottom)))
    }

    /// `constraint_set<n>_flag`, n in 0..=5.
    pub fn constraint_set(&self, n: u8) -> bool {
        n < 6 && self.constraint_flags & (0x80 >> n) != 0
    }

    /// The profile name as ffprobe prints it (`Constrained Baseline`, `High 4:4:4 Predictive`,
    /// ...), so inspect output matches what users compare it with.
    pub fn profile_name(&self) -> &'static str {
        profile_name(self.profile_idc, self.constraint_flags)
    }

    /// The level as a decimal: `3.1`, `4`, and `1b` for level_idc 9, or 11 with
    /// constraint_set3 in the Baseline, Main and Extended profiles (§A.3.1).
    pub fn level_string(&self) -> String {
        let one_b = self.level_idc == 9
            || (self.level_idc == 11
                && self.constraint_set(3)
                && matches!(self.profile_idc, 66 | 77 | 88));
        if one_b {
            return "1b".to_owned();
        }
        match self.level_idc % 10 {
            0 => format!("{}", self.level_idc / 10),
            minor => format!("{}.{minor}", self.level_idc / 10),
        }
    }

    /// The RFC 6381 codec string `avc1.PPCCLL` (profile_idc, constraint byte, level_idc in
    /// uppercase hex), as HLS `CODECS` carries it.
    pub fn codec_string(&self) -> String {
        avc1_codec_string(self.profile_idc, self.constraint_flags, self.level_idc)
    }
}

/// `avc1.PPCCLL` from the three bytes shared by the SPS and the `avcC`.
pub(super) fn avc1_codec_string(profile: u8, compat: u8, level: u8) -> String {
    format!("avc1.{profile:02X}{compat:02X}{level:02X}")
}

/// Whether `profile_idc` carries chroma format, bit depth and scaling matrices in its SPS:
/// the list of §7.3.2.1.1, plus 144, the High 4:4:4 profile of the 2005 edition that old
/// streams still use (ffmpeg reads it the same way).
fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135 | 144
    )
}

/// Profile names as ffmpeg's `ff_h264_profiles` spells them.
pub(super) fn profile_name(profile_idc: u8, constraint_flags: u8) -> &'static str {
    let set1 = constraint_flags & 0x40 != 0;
    let set3 = constraint_flags & 0x10 != 0;
    match profile_idc {
        66 if set1 => "Constrained Baseline",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 if set3 => "High 10 Intra",
        110 => "High 10",
        122 if set3 => "High 4:2:2 Intra",
        122 => "High 4:2:2",
        244 if set3 => "High 4:4:4 Intra",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4",
        83 => "Scalable Baseline",
        86 => "Scalable High",
        118 => "Multiview High",
        128 => "Stereo High",
        _ => "Unknown",
    }
}

/// Skips one `scaling_list()` of `size` entries (§7.3.2.1.1.1).
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), CodecError> {
    let mut last = 8i32;
    let mut next = 8i32;
    for _ in 0..size {
        if next != 0 {
            let delta = r.read_se()?;
            if !(-128..=127).contains(&delta) {
                return Err(r.invalid(format!("delta_scale {delta} outside -128..127")));
            }
            next = (last + delta + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

/// Reads `video_format` .. `matrix_coefficients` of a VUI (the same in H.264 and H.265).
pub(crate) fn read_video_signal(r: &mut BitReader<'_>) -> Result<VideoSignal, CodecError> {
    let video_format = r.read_u8(3)?;
    let full_range = r.read_flag()?;
    let colour = if r.read_flag()? {
        Some((r.read_u8(8)?, r.read_u8(8)?, r.read_u8(8)?))
    } else {
        None
    };
    Ok(VideoSignal {
        video_format,
        full_range,
        colour,
    })
}

/// Reads `vui_parameters()` (Annex E.1.1) up to `max_num_reorder_frames`.
/// What opens every VUI, the same in H.264 (E.1.1) and H.265 (E.2.1): the sample aspect
/// ratio, overscan, the video signal type and the chroma sample location.
pub(crate) struct VuiStart {
    /// The sample aspect ratio, when stated.
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// The video signal type, when stated.
    pub video_signal: Option<VideoSignal>,
}

/// Reads [`VuiStart`].
pub(crate) fn read_vui_start(r: &mut BitReader<'_>) -> Result<VuiStart, CodecError> {
    let mut start = VuiStart {
        sample_aspect_ratio: None,
        video_signal: None,
    };
    if r.read_flag()? {
        let idc = r.read_u8(8)?;
        start.sample_aspect_ratio = match idc {
            255 => Some((r.read_u16(16)?, r.read_u16(16)?)),
            1..=16 => SAR_TABLE.get(usize::from(idc) - 1).copied(),
            _ => None,
        };
    }
    if r.read_flag()? {
        let _overscan_appropriate = r.read_flag()?;
    }
    if r.read_flag()? {
        start.video_signal = Some(read_video_signal(r)?);
    }
    if r.read_flag()? {
        let _chroma_sample_loc_top = r.read_ue()?;
        let _chroma_sample_loc_bottom = r.read_ue()?;
    }
    Ok(start)
}

fn read_vui(r: &mut BitReader<'_>, sps: &mut Sps) -> Result<(), CodecError> {
    let start = read_vui_start(r)?;
    sps.sample_aspect_ratio = start.sample_aspect_ratio;
    sps.video_signal = start.video_signal;
    if r.read_flag()? {
        sps.timing = Some(VuiTiming {
            num_units_in_tick: r.read_bits(32)?,
            time_scale: r.read_bits(32)?,
            fixed_frame_rate: r.read_flag()?,
        });
    }
    let nal_hrd = r.read_flag()?;
    if nal_hrd {
        skip_hrd(r)?;
    }
    let vcl_hrd = r.read_flag()?;
    if vcl_hrd {
        skip_hrd(r)?;
    }
    if nal_hrd || vcl_hrd {
        let _low_delay_hrd = r.read_flag()?;
    }
    let _pic_struct_present = r.read_flag()?;
    if r.read_flag()? {
        let _motion_vectors_over_pic_boundaries = r.read_flag()?;
        for _ in 0..4 {
            // max_bytes_per_pic_denom, max_bits_per_mb_denom, log2_max_mv_length_*.
            r.read_ue()?;
        }
        sps.max_num_reorder_frames = Some(r.read_ue_max("max_num_reorder_frames", 16)?);
    }
    Ok(())
}

/// Skips `hrd_parameters()` (Annex E.1.2).
fn skip_hrd(r: &mut BitReader<'_>) -> Result<(), CodecError> {
    let cpb_cnt = r.read_ue_max("cpb_cnt_minus1", 31)? + 1;
    r.skip_bits(8)?;
    for _ in 0..cpb_cnt {
        r.read_ue()?;
        r.read_ue()?;
        r.skip_bits(1)?;
    }
    r.skip_bits(20)
}

#[cfg(test)]
#[path = "sps_tests.rs"]
pub(super) mod tests;
