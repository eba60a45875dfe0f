//! The timing information of an HEVC video parameter set (H.265 §7.3.2.1).

use super::HevcProfileTierLevel;
use super::ptl::MAX_SUB_LAYERS_MINUS1;
use crate::codec::CodecError;
use crate::codec::bits::{BitReader, remove_emulation_prevention};

const WHAT: &str = "hevc vps";

/// Largest `vps_num_layer_sets_minus1` (§7.4.3.1).
const MAX_LAYER_SETS_MINUS1: u32 = 1023;

/// `vps_num_units_in_tick` and `vps_time_scale` of a VPS, when it states them: a picture lasts
/// `num_units_in_tick / time_scale` seconds (unlike H.264, no factor of two).
///
/// `Ok(None)` when the VPS has no timing information.
pub fn hevc_vps_timing(nal: &[u8]) -> Result<Option<(u32, u32)>, CodecError> {
    let rbsp = remove_emulation_prevention(nal);
    let mut r = BitReader::new(&rbsp, WHAT);
    let _header = r.read_bits(16)?;
    let _vps_id_and_base_layer = r.read_bits(6)?;
    let _max_layers_minus1 = r.read_bits(6)?;
    let max_sub_layers_minus1 = r.read_u8(3)?;
    if max_sub_layers_minus1 > MAX_SUB_LAYERS_MINUS1 {
        return Err(r.invalid("vps_max_sub_layers_minus1 of 7"));
    }
    let _nesting_and_reserved = r.read_bits(17)?;
    HevcProfileTierLevel::read(&mut r, max_sub_layers_minus1)?;
    let all_layers = r.read_flag()?;
    let first = if all_layers { 0 } else { max_sub_layers_minus1 };
    for _ in first..=max_sub_layers_minus1 {
        for _ in 0..3 {
            r.read_ue()?;
        }
    }
    let max_layer_id = r.read_bits(6)?;
    let layer_sets = r.read_ue_max("vps_num_layer_sets_minus1", MAX_LAYER_SETS_MINUS1)?;
    r.skip_bits(layer_sets as usize * (max_layer_id as usize + 1))?;
    if !r.read_flag()? {
        return Ok(None);
    }
    let num_units_in_tick = r.read_bits(32)?;
    let time_scale = r.read_bits(32)?;
    Ok(Some((num_units_in_tick, time_scale)))
}
