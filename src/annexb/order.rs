//! Presentation order of a raw stream: picture order counts (ISO/IEC 14496-10 §8.2.1, H.265
//! §8.3.1) and the reordering a decoder does with them, turned into timestamps.
//!
//! A raw stream has no timestamps. Pictures are decoded one frame duration apart, so access
//! unit `i` gets `dts = i` frames. Its presentation time comes from its rank in output order:
//! a decoder holding `depth` pictures (`max_num_reorder_frames`, ffmpeg's `has_b_frames`)
//! outputs the smallest picture order count each time it holds more, so the picture output
//! `rank`-th is shown at `pts = rank + depth` frames, never before its `dts`. Order keys are
//! `(period, poc)`: a new period starts at each IDR (HEVC: each IRAP that resets the count),
//! whose pictures all follow the earlier ones.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Most pictures a decoder reorders: the largest DPB of any level (§A.3.1, H.265 §A.4.2).
pub const MAX_REORDER_DEPTH: usize = 16;

/// Where a picture falls in output order.
pub(crate) type OrderKey = (u64, i64);

/// The `prevPicOrderCnt*` state of H.264 pic_order_cnt_type 0 and of HEVC.
#[derive(Debug, Default)]
pub(crate) struct PocState {
    period: u64,
    prev_msb: i64,
    prev_lsb: i64,
}

impl PocState {
    /// `PicOrderCntMsb` from the previous reference (HEVC: TemporalId 0) picture's count.
    fn msb(&self, lsb: i64, max: i64) -> i64 {
        if lsb < self.prev_lsb && self.prev_lsb - lsb >= max / 2 {
            self.prev_msb + max
        } else if lsb > self.prev_lsb && lsb - self.prev_lsb > max / 2 {
            self.prev_msb - max
        } else {
            self.prev_msb
        }
    }

    /// H.264 pic_order_cnt_type 0 (§8.2.1.1) for one picture (a frame or a field).
    /// `max_lsb` is `MaxPicOrderCntLsb`; `bottom` is Some(delta) for a frame
    /// (delta_pic_order_cnt_bottom), None for a field.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn avc_type0(
        &mut self,
        idr: bool,
        reference: bool,
        lsb: u32,
        max_lsb: u32,
        bottom_field: bool,
        delta_bottom: Option<i32>,
    ) -> OrderKey {
        if idr {
            self.period += 1;
            self.prev_msb = 0;
            self.prev_lsb = 0;
        }
        let lsb = i64::from(lsb);
        let msb = self.msb(lsb, i64::from(max_lsb));
        let top = msb + lsb;
        let poc = match delta_bottom {
            Some(d) => top.min(top + i64::from(d)),
            None if bottom_field => msb + lsb,
            None => top,
        };
        if reference {
            self.prev_msb = msb;
            self.prev_lsb = lsb;
        }
        (self.period, poc)
    }

    /// Pictures in decoding order are in output order (H.264 pic_order_cnt_type 2).
    pub(crate) fn decode_order(&mut self, idr: bool, index: u64) -> OrderKey {
        if idr {
            self.period += 1;
        }
        (self.period, index as i64)
    }

    /// HEVC (H.265 §8.3.1): `reset` for an IRAP picture with NoRaslOutputFlag (IDR, BLA, a
    /// CRA that starts the stream); `anchor` for a picture later ones count from
    /// (TemporalId 0, not RASL/RADL/sub-layer non-reference).
    pub(crate) fn hevc(&mut self, reset: bool, anchor: bool, lsb: u32, max_lsb: u32) -> OrderKey {
        let lsb = i64::from(lsb);
        let msb = if reset {
            self.period += 1;
            0
        } else {
            self.msb(lsb, i64::from(max_lsb))
        };
        if anchor {
            self.prev_msb = msb;
            self.prev_lsb = lsb;
        }
        (self.period, msb + lsb)
    }
}

/// A decoder's output process: pictures in, (decode index, output rank) out.
#[derive(Debug)]
pub(crate) struct Reorder {
    depth: usize,
    held: BinaryHeap<Reverse<(OrderKey, u64)>>,
    rank: u64,
    last_out: Option<OrderKey>,
}

impl Reorder {
    pub(crate) fn new(depth: usize) -> Reorder {
        Reorder {
            depth: depth.min(MAX_REORDER_DEPTH),
            held: BinaryHeap::new(),
            rank: 0,
            last_out: None,
        }
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// Adds the picture decoded `index`-th; returns the pictures whose rank is now known, and
    /// whether this picture comes too late (its key is before one already output: the stream
    /// reorders deeper than `depth`).
    pub(crate) fn push(&mut self, key: OrderKey, index: u64, out: &mut Vec<(u64, u64)>) -> bool {
        let late = self.last_out.is_some_and(|last| key < last);
        self.held.push(Reverse((key, index)));
        while self.held.len() > self.depth {
            self.pop(out);
        }
        late
    }

    fn pop(&mut self, out: &mut Vec<(u64, u64)>) {
        if let Some(Reverse((key, index))) = self.held.pop() {
            self.last_out = Some(self.last_out.map_or(key, |l| l.max(key)));
            out.push((index, self.rank));
            self.rank += 1;
        }
    }

    /// Outputs the picture decoded `index`-th now, whatever its key (it has waited too long).
    pub(crate) fn force(&mut self, index: u64, out: &mut Vec<(u64, u64)>) {
        let before = self.held.len();
        self.held.retain(|Reverse((_, i))| *i != index);
        if self.held.len() < before {
            out.push((index, self.rank));
            self.rank += 1;
        }
    }

    /// The end of the stream: every held picture in output order.
    pub(crate) fn finish(&mut self, out: &mut Vec<(u64, u64)>) {
        while !self.held.is_empty() {
            self.pop(out);
        }
    }
}

/// `max_num_reorder_frames` as observed: for each picture, how many pictures before it in
/// decoding order come after it in output order; the most of these.
pub(crate) fn observed_depth(keys: &[OrderKey]) -> usize {
    keys.iter()
        .enumerate()
        .map(|(i, k)| keys[..i].iter().filter(|e| *e > k).count())
        .max()
        .unwrap_or(0)
        .min(MAX_REORDER_DEPTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorder_ranks_b_frames() {
        // I0 P3 B1 B2 P6 B4 B5: decode order with pocs (frames).
        let pocs = [0, 3, 1, 2, 6, 4, 5];
        let keys: Vec<OrderKey> = pocs.iter().map(|&p| (1, p)).collect();
        assert_eq!(observed_depth(&keys), 1);
        let mut r = Reorder::new(1);
        let mut out = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            assert!(!r.push(*k, i as u64, &mut out));
        }
        r.finish(&mut out);
        out.sort();
        let ranks: Vec<u64> = out.iter().map(|&(_, r)| r).collect();
        assert_eq!(ranks, [0, 3, 1, 2, 6, 4, 5]);
        // pts = rank + depth >= dts = index.
        assert!(out.iter().all(|&(i, r)| r + 1 >= i));
    }

    #[test]
    fn too_shallow_is_reported() {
        let mut r = Reorder::new(0);
        let mut out = Vec::new();
        assert!(!r.push((1, 4), 0, &mut out));
        assert!(r.push((1, 2), 1, &mut out));
    }

    #[test]
    fn poc_msb_wraps() {
        let mut s = PocState::default();
        assert_eq!(s.avc_type0(true, true, 0, 16, false, Some(0)), (1, 0));
        assert_eq!(s.avc_type0(false, true, 6, 16, false, Some(0)), (1, 6));
        assert_eq!(s.avc_type0(false, true, 12, 16, false, Some(0)), (1, 12));
        assert_eq!(s.avc_type0(false, true, 2, 16, false, Some(0)), (1, 18));
        assert_eq!(s.avc_type0(false, false, 0, 16, false, Some(0)), (1, 16));
        assert_eq!(s.avc_type0(true, true, 0, 16, false, Some(0)), (2, 0));
    }
}
