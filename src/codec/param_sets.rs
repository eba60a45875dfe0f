//! In-band parameter sets of an Annex B stream -> the `avcC` / `hvcC` record.
//!
//! MPEG-TS and raw `.h264`/`.h265` files carry VPS/SPS/PPS inside the stream; the canonical
//! payload form keeps them out of the frames and in the track's configuration record. Both the
//! TS demuxer and the raw Annex B demuxer collect the sets of each access unit with
//! `take_parameter_set` and hand them to `ParameterSets::update` (crate-internal).

use bytes::Bytes;

use crate::codec::CodecError;
use crate::codec::avc::AvcDecoderConfig;
use crate::codec::hevc::HevcDecoderConfig;

/// Most parameter sets of one kind taken out of one access unit. An `avcC` holds at most 31
/// SPS; real streams repeat one or two per keyframe. Past this, units stay in the frame, so a
/// hostile access unit of thousands of tiny "parameter sets" costs neither quadratic
/// de-duplication nor a record that cannot be written.
pub const MAX_PARAMETER_SETS: usize = 32;

/// Takes a parameter set out of the frame (once per distinct unit) and says whether it stays
/// in the frame: past [`MAX_PARAMETER_SETS`] it does.
pub(crate) fn take_parameter_set(list: &mut Vec<Bytes>, nal: &[u8]) -> bool {
    if list.iter().any(|n| n[..] == *nal) {
        return false;
    }
    if list.len() < MAX_PARAMETER_SETS {
        list.push(Bytes::copy_from_slice(nal));
        return false;
    }
    true
}

/// The parameter sets in force and the record built from them.
#[derive(Debug, Default)]
pub(crate) struct ParameterSets {
    pub(crate) hevc: bool,
    pub(crate) vps: Vec<Bytes>,
    pub(crate) sps: Vec<Bytes>,
    pub(crate) pps: Vec<Bytes>,
    /// The record built from the current parameter sets.
    pub(crate) extradata: Bytes,
}

impl ParameterSets {
    pub(crate) fn new(hevc: bool) -> ParameterSets {
        ParameterSets {
            hevc,
            ..ParameterSets::default()
        }
    }

    /// Applies the sets one access unit carried (a kind it did not carry stays as it was):
    /// `Ok(Some(record))` when the record changed, `Ok(None)` when it is the same, `Err` when
    /// the sets do not make a record (nothing is changed then).
    pub(crate) fn update(
        &mut self,
        vps: &[Bytes],
        sps: &[Bytes],
        pps: &[Bytes],
    ) -> Result<Option<Bytes>, CodecError> {
        let pick = |new: &[Bytes], old: &Vec<Bytes>| {
            if new.is_empty() {
                old.clone()
            } else {
                new.to_vec()
            }
        };
        let (vps, sps, pps) = (
            pick(vps, &self.vps),
            pick(sps, &self.sps),
            pick(pps, &self.pps),
        );
        let record = self.build(&vps, &sps, &pps)?;
        (self.vps, self.sps, self.pps) = (vps, sps, pps);
        if record == self.extradata {
            return Ok(None);
        }
        self.extradata = record.clone();
        Ok(Some(record))
    }

    fn build(&self, vps: &[Bytes], sps: &[Bytes], pps: &[Bytes]) -> Result<Bytes, CodecError> {
        if self.hevc {
            HevcDecoderConfig::from_parameter_sets(vps, sps, pps)?.to_bytes()
        } else {
            AvcDecoderConfig::from_parameter_sets(sps, pps)?.to_bytes()
        }
    }
}
