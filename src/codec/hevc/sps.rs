//! The HEVC sequence parameter set (H.265 §7.3.2.2.1), read up to the bit depths.

use super::HevcProfileTierLevel;
use super::ptl::MAX_SUB_LAYERS_MINUS1;
use crate::codec::CodecError;
use crate::codec::avc::{CropWindow, MAX_DIMENSION};
use crate::codec::bits::{BitReader, remove_emulation_prevention};

const WHAT: &str = "hevc sps";

/// Largest `sps_seq_parameter_set_id` (§7.4.3.2.1).
const MAX_SPS_ID: u32 = 15;

/// Largest `bit_depth_*_minus8` (16-bit samples, the most the range extensions allow).
const MAX_BIT_DEPTH_MINUS8: u32 = 8;

/// A parsed HEVC sequence parameter set, enough to describe the stream: picture size,
/// conformance window, chroma format, bit depths, and the profile, tier and level.
///
/// Parsing stops after `bit_depth_chroma_minus8` ([`HevcSps::parse_with_order`] reads on to the
/// VUI timing for [`HevcPicOrder`]): the rest (reference picture sets, VUI) is
/// long and not needed by a transmuxer. Sizes are validated against [`MAX_DIMENSION`] at parse
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
        if let Some(order) = order {
            order.log2_max_pic_order_cnt_lsb =
                4 + r.read_ue_max("log2_max_pic_order_cnt_lsb_minus4", 12)? as u8;
            let all_layers = r.read_flag()?;
            let first = if all_layers { 0 } else { max_sub_layers_minus1 };
            for _ in first..=max_sub_layers_minus1 {
                let _max_dec_pic_buffering_minus1 =
                    r.read_ue_max("sps_max_dec_pic_buffering_minus1", 15)?;
                order.max_num_reorder_pics = r.read_ue_max("sps_max_num_reorder_pics", 15)?;
                let _max_latency_increase_plus1 = r.read_ue()?;
            }
            order.timing = read_timing(&mut r, order.log2_max_pic_order_cnt_lsb)
                .ok()
                .flatten();
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

/// Most `num_short_term_ref_pic_sets` (§7.4.3.2.1).
const MAX_SHORT_TERM_RPS: u32 = 64;

/// Reads from `log2_min_luma_coding_block_size_minus3` to the VUI `timing_info` (§7.3.2.2.1,
/// §E.2.1).
fn read_timing(
    r: &mut BitReader<'_>,
    log2_max_poc_lsb: u8,
) -> Result<Option<(u32, u32)>, CodecError> {
    for _ in 0..6 {
        r.read_ue()?;
    }
    if r.read_flag()? && r.read_flag()? {
        skip_scaling_list_data(r)?;
    }
    let _amp_and_sao = r.read_bits(2)?;
    if r.read_flag()? {
        r.skip_bits(8)?;
        r.read_ue()?;
        r.read_ue()?;
        r.skip_bits(1)?;
    }
    let sets = r.read_ue_max("num_short_term_ref_pic_sets", MAX_SHORT_TERM_RPS)?;
    let mut num_delta_pocs: Vec<u32> = Vec::with_capacity(sets as usize);
    for i in 0..sets as usize {
        let inter = i != 0 && r.read_flag()?;
        let n = if inter {
            let _sign = r.read_flag()?;
            r.read_ue()?;
            let reference = num_delta_pocs.get(i - 1).copied().unwrap_or(0);
            let mut n = 0;
            for _ in 0..=reference {
                let used = r.read_flag()?;
                if used || r.read_flag()? {
                    n += 1;
                }
            }
            n
        } else {
            let neg = r.read_ue_max("num_negative_pics", 16)?;
            let pos = r.read_ue_max("num_positive_pics", 16)?;
            for _ in 0..neg + pos {
                r.read_ue()?;
                r.skip_bits(1)?;
            }
            neg + pos
        };
        num_delta_pocs.push(n);
    }
    if r.read_flag()? {
        let lt = r.read_ue_max("num_long_term_ref_pics_sps", 32)?;
        for _ in 0..lt {
            r.skip_bits(usize::from(log2_max_poc_lsb) + 1)?;
        }
    }
    let _temporal_mvp_and_smoothing = r.read_bits(2)?;
    if !r.read_flag()? {
        return Ok(None);
    }
    if r.read_flag()? && r.read_u8(8)? == 255 {
        r.skip_bits(32)?;
    }
    if r.read_flag()? {
        r.skip_bits(1)?;
    }
    if r.read_flag()? {
        r.skip_bits(4)?;
        if r.read_flag()? {
            r.skip_bits(24)?;
        }
    }
    if r.read_flag()? {
        r.read_ue()?;
        r.read_ue()?;
    }
    let _neutral_chroma_field_seq_frame_field = r.read_bits(3)?;
    if r.read_flag()? {
        for _ in 0..4 {
            r.read_ue()?;
        }
    }
    if !r.read_flag()? {
        return Ok(None);
    }
    Ok(Some((r.read_bits(32)?, r.read_bits(32)?)))
}

/// Skips `scaling_list_data()` (§7.3.4).
fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), CodecError> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.read_flag()? {
                r.read_ue()?;
            } else {
                let coefs = 64.min(1 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.read_se()?;
                }
                for _ in 0..coefs {
                    r.read_se()?;
                }
            }
        }
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
            for n in first_ok..data.len() {
                assert_eq!(HevcSps::parse(&data[..n]).unwrap(), full);
            }
        }
        let data = build(6, 3, (64, 64), [1, 1, 1, 1]);
        for n in 0..data.len() - 1 {
            assert!(HevcSps::parse(&data[..n]).is_err(), "cut at {n}");
        }
    }
}
