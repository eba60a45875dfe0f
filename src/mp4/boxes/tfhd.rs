//! `tfhd` (ISO/IEC 14496-12 §8.8.7): which track a fragment's samples belong to, where its
//! data offsets count from, and the defaults its `trun`s fall back on before `trex`'s.

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// `tf_flags` bits.
pub mod flags {
    /// `base_data_offset` is present.
    pub const BASE_DATA_OFFSET: u32 = 0x1;
    /// `sample_description_index` is present.
    pub const SAMPLE_DESCRIPTION_INDEX: u32 = 0x2;
    /// `default_sample_duration` is present.
    pub const DEFAULT_DURATION: u32 = 0x8;
    /// `default_sample_size` is present.
    pub const DEFAULT_SIZE: u32 = 0x10;
    /// `default_sample_flags` is present.
    pub const DEFAULT_FLAGS: u32 = 0x20;
    /// The fragment covers a span with no samples.
    pub const DURATION_IS_EMPTY: u32 = 0x1_0000;
    /// Data offsets count from the start of the enclosing `moof` (CMAF requires it).
    pub const DEFAULT_BASE_IS_MOOF: u32 = 0x2_0000;
}

/// Track fragment header. Each optional field is `Some` when its flag is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Tfhd {
    /// The flags as read (they also carry [`flags::DURATION_IS_EMPTY`] and
    /// [`flags::DEFAULT_BASE_IS_MOOF`]).
    pub flags: u32,
    /// The track.
    pub track_id: u32,
    /// An absolute file offset data offsets count from.
    pub base_data_offset: Option<u64>,
    /// Sample description index (1-based).
    pub sample_description_index: Option<u32>,
    /// Default duration.
    pub default_sample_duration: Option<u32>,
    /// Default size.
    pub default_sample_size: Option<u32>,
    /// Default flags.
    pub default_sample_flags: Option<u32>,
}

impl Tfhd {
    /// Parses the body.
    pub fn parse(body: &[u8], offset: u64) -> Result<Tfhd, F4vError> {
        let (_, f, rest) = full_box(body, "tfhd", offset)?;
        let mut r = Reader::new(rest, "tfhd", offset);
        let on = |bit: u32| f & bit != 0;
        let track_id = r.u32()?;
        let base_data_offset = if on(flags::BASE_DATA_OFFSET) {
            Some(r.u64()?)
        } else {
            None
        };
        let mut opt = |bit: u32| -> Result<Option<u32>, F4vError> {
            Ok(if on(bit) { Some(r.u32()?) } else { None })
        };
        Ok(Tfhd {
            flags: f,
            track_id,
            base_data_offset,
            sample_description_index: opt(flags::SAMPLE_DESCRIPTION_INDEX)?,
            default_sample_duration: opt(flags::DEFAULT_DURATION)?,
            default_sample_size: opt(flags::DEFAULT_SIZE)?,
            default_sample_flags: opt(flags::DEFAULT_FLAGS)?,
        })
    }

    /// Writes the whole box; the presence flags follow the `Some` fields.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut f = self.flags & (flags::DURATION_IS_EMPTY | flags::DEFAULT_BASE_IS_MOOF);
        let fields = [
            (
                flags::SAMPLE_DESCRIPTION_INDEX,
                self.sample_description_index,
            ),
            (flags::DEFAULT_DURATION, self.default_sample_duration),
            (flags::DEFAULT_SIZE, self.default_sample_size),
            (flags::DEFAULT_FLAGS, self.default_sample_flags),
        ];
        if self.base_data_offset.is_some() {
            f |= flags::BASE_DATA_OFFSET;
        }
        for (bit, v) in fields {
            if v.is_some() {
                f |= bit;
            }
        }
        write_full_box(out, b"tfhd", 0, f, |o| {
            o.extend_from_slice(&self.track_id.to_be_bytes());
            if let Some(b) = self.base_data_offset {
                o.extend_from_slice(&b.to_be_bytes());
            }
            for v in fields.iter().filter_map(|(_, v)| *v) {
                o.extend_from_slice(&v.to_be_bytes());
            }
        });
    }

    /// Whether data offsets count from the enclosing `moof`.
    pub fn default_base_is_moof(&self) -> bool {
        self.flags & flags::DEFAULT_BASE_IS_MOOF != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_optional_field_round_trips() {
        for t in [
            Tfhd {
                flags: flags::DEFAULT_BASE_IS_MOOF,
                track_id: 1,
                ..Tfhd::default()
            },
            Tfhd {
                flags: flags::DURATION_IS_EMPTY,
                track_id: 7,
                base_data_offset: Some(1 << 33),
                sample_description_index: Some(1),
                default_sample_duration: Some(1024),
                default_sample_size: Some(371),
                default_sample_flags: Some(0x0200_0000),
            },
        ] {
            let mut out = Vec::new();
            t.write_to(&mut out);
            let back = Tfhd::parse(&out[8..], 0).unwrap();
            assert_eq!(back.track_id, t.track_id);
            assert_eq!(back.base_data_offset, t.base_data_offset);
            assert_eq!(back.default_sample_size, t.default_sample_size);
            assert_eq!(back.default_sample_flags, t.default_sample_flags);
            assert_eq!(back.default_base_is_moof(), t.default_base_is_moof());
        }
        // Flags promising fields the box does not hold.
        assert!(Tfhd::parse(&[0, 0, 0, 0x3B, 0, 0, 0, 1], 40).is_err());
    }
}
