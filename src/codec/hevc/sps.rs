//! The HEVC sequence parameter set (H.265 §7.3.2.2.1), read through the start of its VUI
//! (Annex E.2.1: sample aspect ratio, video signal type, field coding, timing).

use super::HevcProfileTierLevel;
use super::ptl::MAX_SUB_LAYERS_MINUS1;
use crate::codec::CodecError;
use crate::codec::avc::{CropWindow, MAX_DIMENSION, VideoSignal, VuiTiming, read_vui_start};
use crate::codec::bits::{BitReader, remove_emulation_prevention};

const WHAT: &str = "hevc sps";

/// Largest `sps_seq_parameter_set_id` (§7.4.3.2.1).
const MAX_SPS_ID: u32 = 15;

/// Largest `bit_depth_*_minus8` (16-bit samples, the most the range extensions allow).
const MAX_BIT_DEPTH_MINUS8: u32 = 8;

/// Largest `log2_max_pic_order_cnt_lsb_minus4` (§7.4.3.2.1).
const MAX_LOG2_POC_LSB_MINUS4: u32 = 12;

/// Largest `num_short_term_ref_pic_sets` (§7.4.3.2.1).
const MAX_ST_RPS: u32 = 64;

/// Largest `num_negative_pics` and `num_positive_pics` of one set: both are bounded by
/// `sps_max_dec_pic_buffering_minus1`, at most 15 (§7.4.8, Annex A `MaxDpbSize` of 16).
const MAX_RPS_PICS: u32 = 16;

/// Largest `num_long_term_ref_pics_sps` (§7.4.3.2.1).
const MAX_LT_PICS: u32 = 32;

/// A parsed HEVC sequence parameter set, enough to describe the stream: picture size,
/// conformance window, chroma format, bit depths, and the profile, tier and level.
///
/// Parsing goes on through the reference picture sets into the VUI and stops after its timing
/// information ([`HevcSps::parse_with_order`] also keeps the picture order fields) (the HRD and bitstream restriction parts are not needed). Everything after the
/// bit depths is read leniently, as decoders do: when that part is damaged or cut the fields it
/// would give stay `None` and [`HevcSps::vui_present`] says whether the VUI was reached. Sizes are validated against [`MAX_DIMENSION`] at parse
/// time, so [`HevcSps::width`] and [`HevcSps::height`] cannot overflow. Only base-layer SPS
/// (`nuh_layer_id` 0) are read; the multi-layer syntax differs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(alias = "seq_parameter_set_rbsp")]
pub struct HevcSps {
    /// `sps_video_parameter_set_id`.
    pub vps_id: u8,
    /// `sps_max_sub_layers_minus1 + 1`: the temporal layers of the stream.
    pub max_sub_layers: u8,
    /// `sps_temporal_id_nesting_flag`.
    pub temporal_id_nesting: bool,
    /// The general profile, tier and level.
    pub profile_tier_level: HevcProfileTierLevel,
    /// `sps_seq_parameter_set_id`.
    pub sps_id: u8,
    /// `chroma_format_idc`: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag`.
    pub separate_colour_plane: bool,
    /// `pic_width_in_luma_samples`: the coded width.
    pub pic_width_in_luma_samples: u32,
    /// `pic_height_in_luma_samples`: the coded height.
    pub pic_height_in_luma_samples: u32,
    /// The conformance window offsets (in chroma sample units), when signalled.
    pub conformance_window: Option<CropWindow>,
    /// Luma bit depth (`bit_depth_luma_minus8 + 8`).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (`bit_depth_chroma_minus8 + 8`).
    pub bit_depth_chroma: u8,
    /// `vui_parameters_present_flag`; `None` when the SPS could not be read that far.
    pub vui_present: Option<bool>,
    /// The VUI sample aspect ratio (width, height), when stated (Table E-1, as H.264).
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// The VUI video signal type (range, colour description), when stated.
    pub video_signal: Option<VideoSignal>,
    /// `field_seq_flag`: every picture is a field (interlaced coding).
    pub field_seq: bool,
    /// The VUI timing, when stated. In HEVC one tick is one picture (no doubling as in
    /// H.264); `fixed_frame_rate` is always false here (HEVC states it in the HRD part,
    /// which is not read).
    pub timing: Option<VuiTiming>,
}

/// What an SPS says about picture order, read past the fields [`HevcSps`] keeps: what a
/// reader of a raw stream needs to put pictures in presentation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HevcPicOrder {
    /// `log2_max_pic_order_cnt_lsb_minus4 + 4`: the width of `slice_pic_order_cnt_lsb`.
    pub log2_max_pic_order_cnt_lsb: u8,
    /// `sps_max_num_reorder_pics` of the highest sub-layer.
    pub max_num_reorder_pics: u32,
    /// The VUI `vui_num_units_in_tick` and `vui_time_scale`, when stated (a picture lasts
    /// `num_units_in_tick / time_scale` seconds); `None` also when the SPS is damaged past the
    /// fields above.
    pub timing: Option<(u32, u32)>,
}

impl HevcSps {
    /// Parses an SPS NAL unit, including its 2-byte NAL header, with emulation-prevention
    /// bytes still in place (as `hvcC` and Annex B carry it).
    pub fn parse(nal: &[u8]) -> Result<HevcSps, CodecError> {
        HevcSps::parse_inner(nal, None)
    }

    /// [`HevcSps::parse`], and the picture order fields that follow the bit depths.
    pub fn parse_with_order(nal: &[u8]) -> Result<(HevcSps, HevcPicOrder), CodecError> {
        let mut order = HevcPicOrder {
            log2_max_pic_order_cnt_lsb: 4,
            max_num_reorder_pics: 0,
            timing: None,
        };
        let sps = HevcSps::parse_inner(nal, Some(&mut order))?;
        Ok((sps, order))
    }

    fn parse_inner(nal: &[u8], order: Option<&mut HevcPicOrder>) -> Result<HevcSps, CodecError> {
        let rbsp = remove_emulation_prevention(nal);
        let mut r = BitReader::new(&rbsp, WHAT);
        let _forbidden_zero = r.read_flag()?;
        let nal_type = r.read_u8(6)?;
        let layer_id = r.read_u8(6)?;
        let _temporal_id_plus1 = r.read_u8(3)?;
        if nal_type != 33 {
            return Err(r.invalid(format!("nal unit type {nal_type} is not an sps")));
        }
        if layer_id != 0 {
            return Err(CodecError::Unsupported {
                what: WHAT,
                reason: format!("an sps of layer {layer_id} (only the base layer is read)"),
            });
        }
        let vps_id = r.read_u8(4)?;
        let max_sub_layers_minus1 = r.read_u8(3)?;
        if max_sub_layers_minus1 > MAX_SUB_LAYERS_MINUS1 {
            return Err(r.invalid("sps_max_sub_layers_minus1 of 7"));
        }
        let temporal_id_nesting = r.read_flag()?;
        let profile_tier_level = HevcProfileTierLevel::read(&mut r, max_sub_layers_minus1)?;
        let sps_id = r.read_ue_max("sps_seq_parameter_set_id", MAX_SPS_ID)? as u8;
        let chroma_format_idc = r.read_ue_max("chroma_format_idc", 3)? as u8;
        let separate_colour_plane = chroma_format_idc == 3 && r.read_flag()?;
        let width = r.read_ue()?;
        let height = r.read_ue()?;
        for (field, value) in [
            ("pic_width_in_luma_samples", width),
            ("pic_height_in_luma_samples", height),
        ] {
            if value == 0 {
                return Err(r.invalid(format!("{field} of 0")));
            }
            if value > MAX_DIMENSION {
                return Err(r.too_large(field, value.into(), MAX_DIMENSION.into()));
            }
        }
        let mut sps = HevcSps {
            vps_id,
            max_sub_layers: max_sub_layers_minus1 + 1,
            temporal_id_nesting,
            profile_tier_level,
            sps_id,
            chroma_format_idc,
            separate_colour_plane,
            pic_width_in_luma_samples: width,
            pic_height_in_luma_samples: height,
            conformance_window: None,
            bit_depth_luma: 8,
            bit_depth_chroma: 8,
            vui_present: None,
            sample_aspect_ratio: None,
            video_signal: None,
            field_seq: false,
            timing: None,
        };
        if r.read_flag()? {
            let win = CropWindow {
                left: r.read_ue()?,
                right: r.read_ue()?,
                top: r.read_ue()?,
                bottom: r.read_ue()?,
            };
            let (sx, sy) = sps.sub_sampling();
            let crop_x = (u64::from(win.left) + u64::from(win.right)) * u64::from(sx);
            let crop_y = (u64::from(win.top) + u64::from(win.bottom)) * u64::from(sy);
            if crop_x >= width.into() || crop_y >= height.into() {
                return Err(r.invalid(format!(
                    "conformance window {crop_x}x{crop_y} leaves nothing of {width}x{height}"
                )));
            }
            sps.conformance_window = Some(win);
        }
        sps.bit_depth_luma =
            8 + r.read_ue_max("bit_depth_luma_minus8", MAX_BIT_DEPTH_MINUS8)? as u8;
        sps.bit_depth_chroma =
            8 + r.read_ue_max("bit_depth_chroma_minus8", MAX_BIT_DEPTH_MINUS8)? as u8;
        // A damaged or cut remainder does not make the picture size wrong: keep what was
        // read, as decoders do; but a caller that needs the picture order fields gets the
        // error when they could not be read.
        let wants_order = order.is_some();
        let (order_read, rest) = read_rest(&mut r, &mut sps, max_sub_layers_minus1, order);
        if wants_order && !order_read {
            rest?;
        }
        Ok(sps)
    }

    /// (`SubWidthC`, `SubHeightC`) of Table 6-1: the conformance window counts chroma samples.
    pub fn sub_sampling(&self) -> (u32, u32) {
        if self.separate_colour_plane {
            return (1, 1);
        }
        match self.chroma_format_idc {
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1),
        }
    }

    /// Displayed width in pixels: the coded width less the conformance window.
    pub fn width(&self) -> u32 {
        let win = self.conformance_window.unwrap_or_default();
        let (sx, _) = self.sub_sampling();
        self.pic_width_in_luma_samples
            .saturating_sub(sx.saturating_mul(win.left.saturating_add(win.right)))
    }

    /// Displayed height in pixels: the coded height less the conformance window.
    pub fn height(&self) -> u32 {
        let win = self.conformance_window.unwrap_or_default();
        let (_, sy) = self.sub_sampling();
        self.pic_height_in_luma_samples
            .saturating_sub(sy.saturating_mul(win.top.saturating_add(win.bottom)))
    }

    /// The profile name as ffprobe prints it; see [`HevcProfileTierLevel::profile_name`].
    pub fn profile_name(&self) -> &'static str {
        self.profile_tier_level.profile_name()
    }

    /// The level as a decimal; see [`HevcProfileTierLevel::level_string`].
    pub fn level_string(&self) -> String {
        self.profile_tier_level.level_string()
    }

    /// The `hvc1` codec string; see [`HevcProfileTierLevel::codec_string`].
    pub fn codec_string(&self) -> String {
        self.profile_tier_level.codec_string("hvc1")
    }
}

/// Reads from `log2_max_pic_order_cnt_lsb_minus4` through the VUI timing (§7.3.2.2.1, E.2.1),
/// filling `order` on the way. Returns whether the picture order fields were read, and how the
/// rest went.
fn read_rest(
    r: &mut BitReader<'_>,
    sps: &mut HevcSps,
    max_sub_layers_minus1: u8,
    mut order: Option<&mut HevcPicOrder>,
) -> (bool, Result<(), CodecError>) {
    let mut order_read = false;
    let result = read_rest_inner(r, sps, max_sub_layers_minus1, &mut order, &mut order_read);
    if let Some(order) = order {
        order.timing = sps.timing.map(|t| (t.num_units_in_tick, t.time_scale));
    }
    (order_read, result)
}

fn read_rest_inner(
    r: &mut BitReader<'_>,
    sps: &mut HevcSps,
    max_sub_layers_minus1: u8,
    order: &mut Option<&mut HevcPicOrder>,
    order_read: &mut bool,
) -> Result<(), CodecError> {
    let log2_poc_lsb =
        4 + r.read_ue_max("log2_max_pic_order_cnt_lsb_minus4", MAX_LOG2_POC_LSB_MINUS4)?;
    let ordering_all = r.read_flag()?;
    let first = if ordering_all {
        0
    } else {
        max_sub_layers_minus1
    };
    let mut max_num_reorder_pics = 0;
    for _ in first..=max_sub_layers_minus1 {
        let _max_dec_pic_buffering_minus1 =
            r.read_ue_max("sps_max_dec_pic_buffering_minus1", 15)?;
        max_num_reorder_pics = r.read_ue_max("sps_max_num_reorder_pics", 15)?;
        let _max_latency_increase_plus1 = r.read_ue()?;
    }
    if let Some(order) = order.as_deref_mut() {
        order.log2_max_pic_order_cnt_lsb = log2_poc_lsb as u8;
        order.max_num_reorder_pics = max_num_reorder_pics;
    }
    *order_read = true;
    let _log2_min_luma_coding_block_size_minus3 = r.read_ue()?;
    let _log2_diff_max_min_luma_coding_block_size = r.read_ue()?;
    let _log2_min_luma_transform_block_size_minus2 = r.read_ue()?;
    let _log2_diff_max_min_luma_transform_block_size = r.read_ue()?;
    let _max_transform_hierarchy_depth_inter = r.read_ue()?;
    let _max_transform_hierarchy_depth_intra = r.read_ue()?;
    if r.read_flag()? && r.read_flag()? {
        skip_scaling_list_data(r)?;
    }
    let _amp_enabled = r.read_flag()?;
    let _sample_adaptive_offset_enabled = r.read_flag()?;
    if r.read_flag()? {
        let _pcm_sample_bit_depths = r.read_u8(8)?;
        let _log2_min_pcm_luma_coding_block_size_minus3 = r.read_ue()?;
        let _log2_diff_max_min_pcm_luma_coding_block_size = r.read_ue()?;
        let _pcm_loop_filter_disabled = r.read_flag()?;
    }
    let sets = r.read_ue_max("num_short_term_ref_pic_sets", MAX_ST_RPS)?;
    // NumDeltaPocs of each set read so far (§7.4.8).
    let mut delta_pocs: Vec<u32> = Vec::with_capacity(sets as usize);
    for idx in 0..sets {
        let predicted = idx != 0 && r.read_flag()?;
        let n = if predicted {
            // In an SPS the reference set is always the previous one (delta_idx_minus1 is
            // only sent in slice headers).
            let _delta_rps_sign = r.read_flag()?;
            let _abs_delta_rps_minus1 = r.read_ue()?;
            let ref_n = delta_pocs.last().copied().unwrap_or(0);
            let mut n = 0;
            for _ in 0..=ref_n {
                let used_by_curr_pic = r.read_flag()?;
                let use_delta = used_by_curr_pic || r.read_flag()?;
                n += u32::from(use_delta);
            }
            n
        } else {
            let negative = r.read_ue_max("num_negative_pics", MAX_RPS_PICS)?;
            let positive = r.read_ue_max("num_positive_pics", MAX_RPS_PICS)?;
            for _ in 0..negative + positive {
                let _delta_poc_minus1 = r.read_ue()?;
                let _used_by_curr_pic = r.read_flag()?;
            }
            negative + positive
        };
        if n > MAX_RPS_PICS {
            return Err(r.too_large("NumDeltaPocs", n.into(), MAX_RPS_PICS.into()));
        }
        delta_pocs.push(n);
    }
    if r.read_flag()? {
        let count = r.read_ue_max("num_long_term_ref_pics_sps", MAX_LT_PICS)?;
        for _ in 0..count {
            let _lt_ref_pic_poc_lsb = r.read_bits(log2_poc_lsb)?;
            let _used_by_curr_pic_lt = r.read_flag()?;
        }
    }
    let _temporal_mvp_enabled = r.read_flag()?;
    let _strong_intra_smoothing_enabled = r.read_flag()?;
    let vui = r.read_flag()?;
    sps.vui_present = Some(vui);
    if vui {
        read_vui(r, sps)?;
    }
    Ok(())
}

/// Skips `scaling_list_data()` (§7.3.4).
fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), CodecError> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.read_flag()? {
                let _pred_matrix_id_delta = r.read_ue()?;
            } else {
                let coefs = 64.min(1u32 << (4 + (size_id << 1)));
                if size_id > 1 {
                    let _dc_coef_minus8 = r.read_se()?;
                }
                for _ in 0..coefs {
                    let _delta_coef = r.read_se()?;
                }
            }
        }
    }
    Ok(())
}

/// Reads `vui_parameters()` (Annex E.2.1) up to the timing information.
fn read_vui(r: &mut BitReader<'_>, sps: &mut HevcSps) -> Result<(), CodecError> {
    let start = read_vui_start(r)?;
    sps.sample_aspect_ratio = start.sample_aspect_ratio;
    sps.video_signal = start.video_signal;
    let _neutral_chroma_indication = r.read_flag()?;
    sps.field_seq = r.read_flag()?;
    let _frame_field_info_present = r.read_flag()?;
    if r.read_flag()? {
        for _ in 0..4 {
            let _default_display_window_offset = r.read_ue()?;
        }
    }
    if r.read_flag()? {
        sps.timing = Some(VuiTiming {
            num_units_in_tick: r.read_bits(32)?,
            time_scale: r.read_bits(32)?,
            fixed_frame_rate: false,
        });
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::codec::bits::{BitWriter, add_emulation_prevention};
    use crate::codec::tests::hex;

    /// `ffmpeg -f lavfi -i testsrc2=size=640x480:rate=25 -t 0.2 -c:v libx265 -f hevc main.hevc`;
    /// ffprobe: Main, level 90, 640x480, yuv420p.
    pub(crate) const VPS_MAIN: &str = "40010c01ffff01600000030090000003000003005a959809";
    pub(crate) const SPS_MAIN: &str =
        "42010101600000030090000003000003005aa0050201e165959a4932bc05a02000000300200000030321";
    pub(crate) const PPS_MAIN: &str = "4401c172b46240";
    /// `... testsrc2=size=1366x766 ... -c:v libx265 -pix_fmt yuv420p10le -f hevc main10.hevc`;
    /// ffprobe: Main 10, level 120, 1366x766 (coded 1368x768), yuv420p10le.
    pub(crate) const VPS_MAIN10: &str = "40010c01ffff022000000300900000030000030078959809";
    pub(crate) const SPS_MAIN10: &str =
        "420101022000000300900000030000030078a002ac80301d5365959a4932bc05a02000000300200000030321";
    pub(crate) const PPS_MAIN10: &str = PPS_MAIN;

    #[test]
    fn x265_parameter_sets_match_ffprobe() {
        let sps = HevcSps::parse(&hex(SPS_MAIN)).unwrap();
        assert_eq!((sps.width(), sps.height()), (640, 480));
        assert_eq!(sps.profile_name(), "Main");
        assert_eq!(sps.level_string(), "3");
        assert_eq!(sps.codec_string(), "hvc1.1.6.L90.90");
        assert_eq!((sps.chroma_format_idc, sps.bit_depth_luma), (1, 8));
        assert_eq!((sps.max_sub_layers, sps.temporal_id_nesting), (1, true));

        let sps = HevcSps::parse(&hex(SPS_MAIN10)).unwrap();
        assert_eq!((sps.width(), sps.height()), (1366, 766));
        assert_eq!(
            (
                sps.pic_width_in_luma_samples,
                sps.pic_height_in_luma_samples
            ),
            (1368, 768)
        );
        assert_eq!(sps.profile_name(), "Main 10");
        assert_eq!(sps.level_string(), "4");
        assert_eq!(sps.codec_string(), "hvc1.2.4.L120.90");
        assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (10, 10));
    }

    /// An SPS with the given sub-layers, chroma format, size and window.
    pub(crate) fn build(
        sub_layers_minus1: u8,
        chroma: u32,
        size: (u32, u32),
        win: [u32; 4],
    ) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.write_bits(16, 0x4201);
        w.write_bits(4, 0);
        w.write_bits(3, sub_layers_minus1.into());
        w.write_flag(true);
        w.write_bits(8, 0x01); // Main
        w.write_bits(32, 0x6000_0000);
        w.write_bits_u64(48, 0xB000_0000_0000);
        w.write_bits(8, 93);
        for _ in 0..sub_layers_minus1 {
            w.write_flag(true);
            w.write_flag(true);
        }
        if sub_layers_minus1 > 0 {
            w.write_bits(2 * (8 - u32::from(sub_layers_minus1)), 0);
        }
        for _ in 0..sub_layers_minus1 {
            w.write_bits_u64(64, 0);
            w.write_bits(24, 0);
            w.write_bits(8, 90);
        }
        w.write_ue(0);
        w.write_ue(chroma);
        if chroma == 3 {
            w.write_flag(false);
        }
        w.write_ue(size.0);
        w.write_ue(size.1);
        w.write_flag(win != [0; 4]);
        if win != [0; 4] {
            for v in win {
                w.write_ue(v);
            }
        }
        w.write_ue(0);
        w.write_ue(0);
        w.write_trailing_bits();
        add_emulation_prevention(&w.into_bytes())
    }

    #[test]
    fn x265_vui() {
        // ffprobe: sample_aspect_ratio absent (1:1 assumed), 25 fps, progressive.
        for s in [SPS_MAIN, SPS_MAIN10] {
            let sps = HevcSps::parse(&hex(s)).unwrap();
            assert_eq!(sps.vui_present, Some(true), "{s}");
            assert!(!sps.field_seq);
            let t = sps.timing.unwrap();
            assert_eq!((t.num_units_in_tick, t.time_scale), (1, 25), "{s}");
        }
    }

    #[test]
    fn sub_layers_and_chroma_formats() {
        let sps = HevcSps::parse(&build(3, 2, (1920, 1080), [1, 2, 3, 4])).unwrap();
        assert_eq!(sps.max_sub_layers, 4);
        assert_eq!(sps.profile_tier_level.level_idc, 93);
        assert_eq!((sps.width(), sps.height()), (1920 - 6, 1080 - 7));
        let sps = HevcSps::parse(&build(6, 3, (64, 64), [1, 1, 1, 1])).unwrap();
        assert_eq!((sps.width(), sps.height()), (62, 62));
        let sps = HevcSps::parse(&build(0, 0, (64, 64), [1, 0, 0, 1])).unwrap();
        assert_eq!((sps.width(), sps.height()), (63, 63));
    }

    #[test]
    fn hostile_sps() {
        for size in [(0, 64), (64, 0), (40_000, 64), (64, u32::MAX - 1)] {
            assert!(
                HevcSps::parse(&build(0, 1, size, [0; 4])).is_err(),
                "{size:?}"
            );
        }
        assert!(HevcSps::parse(&build(0, 1, (64, 64), [16, 16, 0, 0])).is_err());
        assert!(HevcSps::parse(&build(0, 1, (64, 64), [0, 0, u32::MAX - 1, 0])).is_err());
        assert!(HevcSps::parse(&build(0, 4, (64, 64), [0; 4])).is_err());
        // sps_max_sub_layers_minus1 = 7.
        let mut data = build(0, 1, (64, 64), [0; 4]);
        data[2] |= 0x0E;
        assert!(HevcSps::parse(&data).is_err());
        // Not an SPS; a layer-1 SPS.
        assert!(HevcSps::parse(&hex(PPS_MAIN)).is_err());
        let mut data = hex(SPS_MAIN);
        data[1] |= 0x08;
        assert!(matches!(
            HevcSps::parse(&data),
            Err(CodecError::Unsupported { .. })
        ));
        // Cut anywhere: an error until every field read is present, then the same result.
        for s in [SPS_MAIN, SPS_MAIN10] {
            let data = hex(s);
            let full = HevcSps::parse(&data).unwrap();
            let first_ok = (0..data.len())
                .find(|&n| HevcSps::parse(&data[..n]).is_ok())
                .unwrap();
            assert!(first_ok > 15, "{s}");
            // Past the bit depths a cut only loses the lenient VUI part.
            let core = |s: &HevcSps| (s.width(), s.height(), s.bit_depth_luma, s.sps_id);
            for n in first_ok..data.len() {
                let cut = HevcSps::parse(&data[..n]).unwrap();
                assert_eq!(core(&cut), core(&full));
                if cut.timing.is_some() {
                    assert_eq!(cut, full, "cut at {n}");
                }
            }
        }
        let data = build(6, 3, (64, 64), [1, 1, 1, 1]);
        for n in 0..data.len() - 1 {
            assert!(HevcSps::parse(&data[..n]).is_err(), "cut at {n}");
        }
    }
}
