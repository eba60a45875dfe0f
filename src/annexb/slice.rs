//! The few fields of picture parameter sets and slice headers that decide where an access unit
//! starts and in which order pictures are shown: ISO/IEC 14496-10 §7.3.2.2 and §7.3.3, H.265
//! §7.3.2.3 and §7.3.6.1.

use crate::codec::CodecError;
use crate::codec::avc::Sps;
use crate::codec::bits::{BitReader, remove_emulation_prevention};
use crate::codec::hevc::{HevcPicOrder, HevcSps};

/// Largest H.264 `pic_parameter_set_id` (§7.4.2.2).
pub(crate) const MAX_AVC_PPS_ID: u32 = 255;
/// Largest HEVC `pps_pic_parameter_set_id` (§7.4.3.3).
pub(crate) const MAX_HEVC_PPS_ID: u32 = 63;

/// An H.264 PPS, as far as slice headers need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AvcPps {
    pub pps_id: u32,
    pub sps_id: u32,
    pub bottom_field_pic_order_in_frame_present: bool,
}

pub(crate) fn parse_avc_pps(nal: &[u8]) -> Result<AvcPps, CodecError> {
    let rbsp = remove_emulation_prevention(nal);
    let mut r = BitReader::new(&rbsp, "h264 pps");
    r.skip_bits(8)?;
    let pps_id = r.read_ue_max("pic_parameter_set_id", MAX_AVC_PPS_ID)?;
    let sps_id = r.read_ue_max("seq_parameter_set_id", 31)?;
    let _entropy_coding_mode = r.read_flag()?;
    let bottom_field_pic_order_in_frame_present = r.read_flag()?;
    Ok(AvcPps {
        pps_id,
        sps_id,
        bottom_field_pic_order_in_frame_present,
    })
}

/// The start of an H.264 slice header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AvcSlice {
    pub first_mb_in_slice: u32,
    pub frame_num: u32,
    pub field_pic: bool,
    pub bottom_field: bool,
    pub idr: bool,
    pub nal_ref_idc: u8,
    pub pic_order_cnt_lsb: u32,
    pub delta_pic_order_cnt_bottom: i32,
}

/// The PPS id of a slice, read before its PPS is looked up.
pub(crate) fn avc_slice_pps_id(nal: &[u8]) -> Result<u32, CodecError> {
    let rbsp = remove_emulation_prevention(&nal[..nal.len().min(64)]);
    let mut r = BitReader::new(&rbsp, "h264 slice header");
    r.skip_bits(8)?;
    r.read_ue()?;
    r.read_ue()?;
    r.read_ue_max("pic_parameter_set_id", MAX_AVC_PPS_ID)
}

/// Reads a slice header up to `delta_pic_order_cnt_bottom`. Only the first bytes of the unit
/// are unescaped: the fields read fit in far fewer.
pub(crate) fn parse_avc_slice(nal: &[u8], pps: &AvcPps, sps: &Sps) -> Result<AvcSlice, CodecError> {
    let rbsp = remove_emulation_prevention(&nal[..nal.len().min(64)]);
    let mut r = BitReader::new(&rbsp, "h264 slice header");
    let header = r.read_u8(8)?;
    let first_mb_in_slice = r.read_ue()?;
    let _slice_type = r.read_ue()?;
    let _pps_id = r.read_ue_max("pic_parameter_set_id", MAX_AVC_PPS_ID)?;
    if sps.separate_colour_plane {
        r.skip_bits(2)?;
    }
    let frame_num = r.read_bits(u32::from(sps.log2_max_frame_num))?;
    let (mut field_pic, mut bottom_field) = (false, false);
    if !sps.frame_mbs_only {
        field_pic = r.read_flag()?;
        if field_pic {
            bottom_field = r.read_flag()?;
        }
    }
    let idr = header & 0x1F == 5;
    if idr {
        let _idr_pic_id = r.read_ue()?;
    }
    let (mut pic_order_cnt_lsb, mut delta_pic_order_cnt_bottom) = (0, 0);
    if sps.pic_order_cnt_type == 0 {
        pic_order_cnt_lsb = r.read_bits(u32::from(sps.log2_max_pic_order_cnt_lsb))?;
        if pps.bottom_field_pic_order_in_frame_present && !field_pic {
            delta_pic_order_cnt_bottom = r.read_se()?;
        }
    }
    Ok(AvcSlice {
        first_mb_in_slice,
        frame_num,
        field_pic,
        bottom_field,
        idr,
        nal_ref_idc: (header >> 5) & 3,
        pic_order_cnt_lsb,
        delta_pic_order_cnt_bottom,
    })
}

/// An HEVC PPS, as far as slice headers need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HevcPps {
    pub pps_id: u32,
    pub sps_id: u32,
    pub output_flag_present: bool,
    pub num_extra_slice_header_bits: u32,
}

pub(crate) fn parse_hevc_pps(nal: &[u8]) -> Result<HevcPps, CodecError> {
    let rbsp = remove_emulation_prevention(nal);
    let mut r = BitReader::new(&rbsp, "hevc pps");
    r.skip_bits(16)?;
    let pps_id = r.read_ue_max("pps_pic_parameter_set_id", MAX_HEVC_PPS_ID)?;
    let sps_id = r.read_ue_max("pps_seq_parameter_set_id", 15)?;
    let _dependent_slice_segments_enabled = r.read_flag()?;
    let output_flag_present = r.read_flag()?;
    let num_extra_slice_header_bits = r.read_bits(3)?;
    Ok(HevcPps {
        pps_id,
        sps_id,
        output_flag_present,
        num_extra_slice_header_bits,
    })
}

/// `first_slice_segment_in_pic_flag` of an HEVC slice segment (the bit after the NAL header).
pub(crate) fn hevc_first_slice_in_pic(nal: &[u8]) -> Option<bool> {
    nal.get(2).map(|b| b & 0x80 != 0)
}

/// The PPS id of the first slice segment of a picture.
pub(crate) fn hevc_slice_pps_id(nal: &[u8]) -> Result<u32, CodecError> {
    let rbsp = remove_emulation_prevention(&nal[..nal.len().min(64)]);
    let mut r = BitReader::new(&rbsp, "hevc slice header");
    let nal_type = (r.read_bits(16)? >> 9) & 0x3F;
    r.skip_bits(1)?;
    if (16..=23).contains(&nal_type) {
        r.skip_bits(1)?;
    }
    r.read_ue_max("slice_pic_parameter_set_id", MAX_HEVC_PPS_ID)
}

/// `slice_pic_order_cnt_lsb` of the first slice segment of a picture (0 for IDR pictures,
/// which do not carry it).
pub(crate) fn parse_hevc_poc_lsb(
    nal: &[u8],
    pps: &HevcPps,
    sps: &HevcSps,
    order: &HevcPicOrder,
) -> Result<u32, CodecError> {
    let rbsp = remove_emulation_prevention(&nal[..nal.len().min(64)]);
    let mut r = BitReader::new(&rbsp, "hevc slice header");
    let nal_type = (r.read_bits(16)? >> 9) & 0x3F;
    r.skip_bits(1)?;
    if (16..=23).contains(&nal_type) {
        r.skip_bits(1)?;
    }
    r.read_ue_max("slice_pic_parameter_set_id", MAX_HEVC_PPS_ID)?;
    r.skip_bits(pps.num_extra_slice_header_bits as usize)?;
    let _slice_type = r.read_ue_max("slice_type", 2)?;
    if pps.output_flag_present {
        r.skip_bits(1)?;
    }
    if sps.separate_colour_plane {
        r.skip_bits(2)?;
    }
    if matches!(nal_type, 19 | 20) {
        return Ok(0);
    }
    r.read_bits(u32::from(order.log2_max_pic_order_cnt_lsb))
}
