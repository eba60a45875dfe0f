//! `trun` (ISO/IEC 14496-12 §8.8.8): a run of contiguous samples of one track fragment, each
//! field present per sample or taken from the defaults (`tfhd`, then `trex`).

use super::{Reader, full_box, write_full_box};
use crate::mp4::error::F4vError;

/// `tr_flags` bits.
pub mod flags {
    /// `data_offset` is present.
    pub const DATA_OFFSET: u32 = 0x1;
    /// `first_sample_flags` is present (overrides the first sample's flags).
    pub const FIRST_SAMPLE_FLAGS: u32 = 0x4;
    /// Each sample has a duration.
    pub const DURATION: u32 = 0x100;
    /// Each sample has a size.
    pub const SIZE: u32 = 0x200;
    /// Each sample has flags.
    pub const FLAGS: u32 = 0x400;
    /// Each sample has a composition time offset.
    pub const COMPOSITION_OFFSET: u32 = 0x800;
}

/// The sample flags word (§8.8.3.1), with the views a demuxer needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SampleFlags(pub u32);

impl SampleFlags {
    /// A sync sample that depends on no other (what writers put on a keyframe:
    /// `sample_depends_on` = 2).
    pub const SYNC: SampleFlags = SampleFlags(0x0200_0000);
    /// A sample that depends on others and is not a sync sample (`sample_depends_on` = 1,
    /// `sample_is_non_sync_sample`).
    pub const NON_SYNC: SampleFlags = SampleFlags(0x0101_0000);

    /// Whether the sample is a sync sample (a keyframe): `sample_is_non_sync_sample` clear.
    pub fn is_sync(self) -> bool {
        self.0 & 0x0001_0000 == 0
    }
}

/// One sample's fields as the box has them (`None`: absent, take the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TrunSample {
    /// Duration.
    pub duration: Option<u32>,
    /// Size.
    pub size: Option<u32>,
    /// Flags.
    pub flags: Option<u32>,
    /// Composition time offset (pts - dts). Version 0 calls it unsigned, but writers put
    /// negative offsets there too, and an unsigned value past 2^31 ticks (6.6 hours at 90 kHz)
    /// means nothing else: read as signed in both versions, as ffmpeg does.
    pub composition_offset: Option<i64>,
}

/// The fixed part of a track run; its samples are read one at a time with
/// [`Trun::samples`], so a run never becomes a list in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trun {
    /// Version (1: signed composition offsets).
    pub version: u8,
    /// `tr_flags`.
    pub flags: u32,
    /// Samples in the run (checked against the box's size).
    pub sample_count: u32,
    /// Added to the base data offset.
    pub data_offset: Option<i32>,
    /// The first sample's flags, replacing the default for it.
    pub first_sample_flags: Option<u32>,
    /// Where the per-sample records start in the body, and each one's size.
    records_at: usize,
    record_len: usize,
}

impl Trun {
    /// Parses the fixed part of the body and checks that `sample_count` records fit in it.
    pub fn parse(body: &[u8], offset: u64) -> Result<Trun, F4vError> {
        let (version, f, rest) = full_box(body, "trun", offset)?;
        let mut r = Reader::new(rest, "trun", offset);
        let sample_count = r.u32()?;
        let data_offset = if f & flags::DATA_OFFSET != 0 {
            Some(r.u32()? as i32)
        } else {
            None
        };
        let first_sample_flags = if f & flags::FIRST_SAMPLE_FLAGS != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        let record_len = 4 * [
            flags::DURATION,
            flags::SIZE,
            flags::FLAGS,
            flags::COMPOSITION_OFFSET,
        ]
        .iter()
        .filter(|&&b| f & b != 0)
        .count();
        let room = r.remaining();
        if (sample_count as u64) * record_len as u64 > room as u64 {
            return Err(F4vError::invalid(
                "trun",
                offset,
                format!(
                    "sample_count {sample_count} needs {} bytes of records, the box has {room}",
                    sample_count as u64 * record_len as u64
                ),
            ));
        }
        Ok(Trun {
            version,
            flags: f,
            sample_count,
            data_offset,
            first_sample_flags,
            records_at: 4 + (body.len() - 4 - room),
            record_len,
        })
    }

    /// The run's samples, read from `body` (the same bytes given to [`Trun::parse`]).
    pub fn samples<'a>(&self, body: &'a [u8]) -> impl Iterator<Item = TrunSample> + 'a {
        let f = self.flags;
        let len = self.record_len;
        let at = self.records_at;
        (0..self.sample_count as usize).map(move |i| {
            let mut p = at + i * len;
            let mut next = |bit: u32| {
                (f & bit != 0).then(|| {
                    let v = u32::from_be_bytes([body[p], body[p + 1], body[p + 2], body[p + 3]]);
                    p += 4;
                    v
                })
            };
            let duration = next(flags::DURATION);
            let size = next(flags::SIZE);
            let flags = next(flags::FLAGS);
            let composition_offset = next(flags::COMPOSITION_OFFSET).map(|v| i64::from(v as i32));
            TrunSample {
                duration,
                size,
                flags,
                composition_offset,
            }
        })
    }

    /// Writes a whole box (version 1 when any offset is negative, else 0) with a data offset
    /// and the per-sample fields that `present` names (`flags::DURATION | ...`).
    pub fn write(
        out: &mut Vec<u8>,
        present: u32,
        data_offset: i32,
        first_sample_flags: Option<u32>,
        samples: &[TrunSample],
    ) {
        let version = u8::from(
            samples
                .iter()
                .any(|s| s.composition_offset.is_some_and(|c| c < 0)),
        );
        let mut f = flags::DATA_OFFSET | present;
        if first_sample_flags.is_some() {
            f |= flags::FIRST_SAMPLE_FLAGS;
        }
        write_full_box(out, b"trun", version, f, |o| {
            o.extend_from_slice(&(samples.len() as u32).to_be_bytes());
            o.extend_from_slice(&data_offset.to_be_bytes());
            if let Some(ff) = first_sample_flags {
                o.extend_from_slice(&ff.to_be_bytes());
            }
            for s in samples {
                let mut put = |bit: u32, v: Option<u32>| {
                    if present & bit != 0 {
                        o.extend_from_slice(&v.unwrap_or(0).to_be_bytes());
                    }
                };
                put(flags::DURATION, s.duration);
                put(flags::SIZE, s.size);
                put(flags::FLAGS, s.flags);
                put(
                    flags::COMPOSITION_OFFSET,
                    s.composition_offset.map(|c| c as i32 as u32),
                );
            }
        });
    }

    /// Bytes of the box [`Trun::write`] writes for `n` samples.
    pub fn written_len(present: u32, first_sample_flags: bool, n: usize) -> usize {
        let per = 4
            * (present & (flags::DURATION | flags::SIZE | flags::FLAGS | flags::COMPOSITION_OFFSET))
                .count_ones() as usize;
        8 + 4 + 4 + 4 + if first_sample_flags { 4 } else { 0 } + per * n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_combination_round_trips() {
        let all = [
            flags::DURATION,
            flags::SIZE,
            flags::FLAGS,
            flags::COMPOSITION_OFFSET,
        ];
        for mask in 0..16u32 {
            let present: u32 = all
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, b)| *b)
                .sum();
            for first in [None, Some(0x0200_0000)] {
                let samples: Vec<TrunSample> = (0..3)
                    .map(|i| TrunSample {
                        duration: (present & flags::DURATION != 0).then_some(1000 + i),
                        size: (present & flags::SIZE != 0).then_some(10 * i),
                        flags: (present & flags::FLAGS != 0).then_some(0x0101_0000),
                        composition_offset: (present & flags::COMPOSITION_OFFSET != 0)
                            .then_some(i64::from(i) * 512 - 512),
                    })
                    .collect();
                let mut out = Vec::new();
                Trun::write(&mut out, present, 100, first, &samples);
                assert_eq!(out.len(), Trun::written_len(present, first.is_some(), 3));
                let body = &out[8..];
                let t = Trun::parse(body, 0).unwrap();
                assert_eq!(t.sample_count, 3);
                assert_eq!(t.data_offset, Some(100));
                assert_eq!(t.first_sample_flags, first);
                assert_eq!(t.samples(body).collect::<Vec<_>>(), samples);
            }
        }
    }

    #[test]
    fn a_count_the_box_cannot_hold_is_refused_before_any_work() {
        // sample_count 2^32-1 with per-sample sizes in a 16-byte body.
        let body = [
            0, 0, 0x02, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0, 0, 2,
        ];
        let e = Trun::parse(&body, 77).unwrap_err().to_string();
        assert!(
            e.contains("sample_count 4294967295") && e.contains("77"),
            "{e}"
        );
    }

    #[test]
    fn version_0_offsets_past_2_31_read_as_negative_and_sync_flags_read() {
        let body = [0, 0, 0x08, 0x00, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF];
        let t = Trun::parse(&body, 0).unwrap();
        let s: Vec<_> = t.samples(&body).collect();
        assert_eq!(s[0].composition_offset, Some(-1));
        assert!(SampleFlags::SYNC.is_sync());
        assert!(!SampleFlags::NON_SYNC.is_sync());
    }
}
