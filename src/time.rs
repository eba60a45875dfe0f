//! Time bases, timestamps, exact rescaling and unwrapping of wrapping wire counters.
//!
//! Every container counts time in its own unit: FLV and RTMP in milliseconds, MPEG-TS in
//! 90 kHz ticks, MP4/F4V in the `mdhd` timescale, MP3 in samples. muxkit keeps each packet's
//! timestamps in the unit of the track they came from and converts exactly once, at the muxer,
//! with [`TimeBase::rescale`]: integer arithmetic in `i128`, rounded to the nearest tick (ties
//! away from zero, as ffmpeg's `av_rescale` does), so no floating point error ever accumulates.
//!
//! Wire counters wrap (FLV: 32-bit milliseconds, about 49.7 days; TS: 33-bit 90 kHz, about 26.5
//! hours). Demuxers pass them through a [`WrapUnwrapper`] so the model only ever sees monotonic
//! `i64` values; muxers wrap again with [`wrap`].

use std::fmt;
use std::ops::{Add, Sub};

/// The length of one tick, as the exact fraction `num / den` seconds.
///
/// Both parts are non-zero and the fraction is kept reduced, so two equal time bases compare
/// equal whatever they were built from.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeBase {
    num: u32,
    den: u32,
}

impl TimeBase {
    /// Milliseconds: the unit of FLV tags and RTMP messages.
    pub const MILLIS: TimeBase = TimeBase { num: 1, den: 1000 };
    /// The 90 kHz clock of MPEG-TS PTS and DTS.
    pub const MPEG_90K: TimeBase = TimeBase {
        num: 1,
        den: 90_000,
    };
    /// Microseconds, for reports and human display.
    pub const MICROS: TimeBase = TimeBase {
        num: 1,
        den: 1_000_000,
    };

    /// Builds `num / den` seconds per tick, reduced; `None` when either part is zero.
    pub const fn new(num: u32, den: u32) -> Option<TimeBase> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num as u64, den as u64) as u32;
        Some(TimeBase {
            num: num / g,
            den: den / g,
        })
    }

    /// One tick per sample at `rate` Hz (the natural base of an audio track); `None` for 0.
    pub const fn per_second(rate: u32) -> Option<TimeBase> {
        TimeBase::new(1, rate)
    }

    /// Numerator of the fraction (seconds).
    pub const fn num(self) -> u32 {
        self.num
    }

    /// Denominator of the fraction (ticks per `num` seconds).
    pub const fn den(self) -> u32 {
        self.den
    }

    /// Converts `ticks` of `self` into ticks of `to`, exactly, rounding to the nearest tick with
    /// ties away from zero. Saturates at the `i64` range instead of overflowing.
    pub fn rescale(self, ticks: i64, to: TimeBase) -> i64 {
        if self == to {
            return ticks;
        }
        let n = i128::from(ticks) * i128::from(self.num) * i128::from(to.den);
        let d = i128::from(self.den) * i128::from(to.num);
        let q = div_round_nearest(n, d);
        q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// `ticks` in seconds, for display only (never for arithmetic that feeds output).
    pub fn seconds(self, ticks: i64) -> f64 {
        ticks as f64 * f64::from(self.num) / f64::from(self.den)
    }
}

impl fmt::Debug for TimeBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl fmt::Display for TimeBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// `n / d` rounded to nearest, ties away from zero; `d` is positive.
fn div_round_nearest(n: i128, d: i128) -> i128 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

/// A point in time counted in ticks of the owning track's [`TimeBase`].
///
/// The tick count alone carries no unit on purpose: a packet's timestamps always belong to its
/// track, and the track carries the time base, so a timestamp cannot be read in the wrong unit
/// without going through that track.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Zero ticks.
    pub const ZERO: Timestamp = Timestamp(0);

    /// The tick count.
    pub const fn ticks(self) -> i64 {
        self.0
    }

    /// This timestamp moved from time base `from` to time base `to` (see [`TimeBase::rescale`]).
    pub fn rescale(self, from: TimeBase, to: TimeBase) -> Timestamp {
        Timestamp(from.rescale(self.0, to))
    }
}

impl Add<i64> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(rhs))
    }
}

impl Sub<i64> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: i64) -> Timestamp {
        Timestamp(self.0.saturating_sub(rhs))
    }
}

impl Sub for Timestamp {
    type Output = i64;
    fn sub(self, rhs: Timestamp) -> i64 {
        self.0.saturating_sub(rhs.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Turns a wrapping `bits`-wide wire counter into a monotonic-ish `i64`.
///
/// Each raw value is placed on the non-negative wrap cycle that puts it nearest the previous
/// output, so a
/// counter that wraps (2^32 ms in FLV, 2^33 ticks in TS) keeps counting up, while small steps
/// backwards (audio and video interleaved slightly out of order) stay small steps backwards
/// rather than jumps of a whole cycle.
#[derive(Clone, Debug)]
pub struct WrapUnwrapper {
    bits: u32,
    last: Option<i64>,
}

impl WrapUnwrapper {
    /// The FLV/RTMP millisecond counter.
    pub const FLV_BITS: u32 = 32;
    /// The MPEG-TS PTS/DTS counter.
    pub const MPEG_TS_BITS: u32 = 33;

    /// An unwrapper for a `bits`-wide counter (1..=62).
    pub fn new(bits: u32) -> WrapUnwrapper {
        WrapUnwrapper {
            bits: bits.clamp(1, 62),
            last: None,
        }
    }

    /// The unwrapped value of `raw` (only its low `bits` bits are used).
    pub fn unwrap(&mut self, raw: u64) -> i64 {
        let modulus = 1i64 << self.bits;
        let raw = (raw & (modulus as u64 - 1)) as i64;
        let value = match self.last {
            None => raw,
            Some(last) => {
                let base = last - last.rem_euclid(modulus);
                // The wire counter is unsigned, so a value below zero is never meant: a file
                // whose metadata sits at 0 and whose media starts just before the wrap must not
                // unwrap to negative times.
                let mut best = base + raw;
                for c in [base - modulus + raw, base + modulus + raw] {
                    if c >= 0 && (c - last).abs() < (best - last).abs() {
                        best = c;
                    }
                }
                best
            }
        };
        self.last = Some(value);
        value
    }

    /// The last value returned, if any.
    pub fn last(&self) -> Option<i64> {
        self.last
    }
}

/// `value` reduced to a `bits`-wide wire counter (the inverse of [`WrapUnwrapper`]).
pub fn wrap(value: i64, bits: u32) -> u64 {
    let bits = bits.clamp(1, 62);
    value.rem_euclid(1i64 << bits) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_base_reduces() {
        assert_eq!(TimeBase::new(2, 2000), Some(TimeBase::MILLIS));
        assert_eq!(TimeBase::new(0, 1), None);
        assert_eq!(TimeBase::new(1, 0), None);
    }

    #[test]
    fn rescale_exact() {
        assert_eq!(TimeBase::MILLIS.rescale(1000, TimeBase::MPEG_90K), 90_000);
        assert_eq!(TimeBase::MPEG_90K.rescale(90_000, TimeBase::MILLIS), 1000);
        let aac = TimeBase::per_second(44_100).unwrap();
        assert_eq!(aac.rescale(1024, TimeBase::MPEG_90K), 2090); // 2089.795...
        assert_eq!(
            aac.rescale(44_100 * 3600 * 24, TimeBase::MILLIS),
            86_400_000
        );
    }

    #[test]
    fn rescale_rounds_to_nearest_ties_away() {
        // 1/90000 s -> ms: 45 ticks = 0.5 ms -> 1; 44 -> 0; -45 -> -1; -44 -> 0
        assert_eq!(TimeBase::MPEG_90K.rescale(45, TimeBase::MILLIS), 1);
        assert_eq!(TimeBase::MPEG_90K.rescale(44, TimeBase::MILLIS), 0);
        assert_eq!(TimeBase::MPEG_90K.rescale(-45, TimeBase::MILLIS), -1);
        assert_eq!(TimeBase::MPEG_90K.rescale(-44, TimeBase::MILLIS), 0);
        assert_eq!(TimeBase::MPEG_90K.rescale(135, TimeBase::MILLIS), 2); // 1.5 -> 2
        assert_eq!(TimeBase::MPEG_90K.rescale(-135, TimeBase::MILLIS), -2);
        // odd divisor: 1/3 s -> s
        let third = TimeBase::new(1, 3).unwrap();
        let sec = TimeBase::new(1, 1).unwrap();
        assert_eq!(third.rescale(1, sec), 0);
        assert_eq!(third.rescale(2, sec), 1);
        assert_eq!(third.rescale(-2, sec), -1);
    }

    #[test]
    fn rescale_saturates() {
        let sec = TimeBase::new(1, 1).unwrap();
        assert_eq!(sec.rescale(i64::MAX, TimeBase::MPEG_90K), i64::MAX);
        assert_eq!(sec.rescale(i64::MIN, TimeBase::MPEG_90K), i64::MIN);
    }

    #[test]
    fn rescale_round_trip_ms_90k() {
        for ms in -5000..5000 {
            let t = TimeBase::MILLIS.rescale(ms, TimeBase::MPEG_90K);
            assert_eq!(TimeBase::MPEG_90K.rescale(t, TimeBase::MILLIS), ms);
        }
    }

    #[test]
    fn unwrap_flv_across_2_pow_32() {
        let mut u = WrapUnwrapper::new(WrapUnwrapper::FLV_BITS);
        let near = (1u64 << 32) - 40;
        assert_eq!(u.unwrap(near), near as i64);
        assert_eq!(u.unwrap(near + 20), near as i64 + 20);
        assert_eq!(u.unwrap(3), (1i64 << 32) + 3);
        // a small step back across the boundary stays a small step back
        assert_eq!(u.unwrap((1u64 << 32) - 1), (1i64 << 32) - 1);
        assert_eq!(u.unwrap(100), (1i64 << 32) + 100);
        assert_eq!(wrap((1i64 << 32) + 100, 32), 100);
    }

    #[test]
    fn unwrap_never_goes_below_zero() {
        let mut u = WrapUnwrapper::new(WrapUnwrapper::FLV_BITS);
        assert_eq!(u.unwrap(0), 0);
        let near = (1u64 << 32) - 2000;
        assert_eq!(u.unwrap(near), near as i64);
        assert_eq!(u.unwrap(500), (1i64 << 32) + 500);
    }

    #[test]
    fn unwrap_ts_across_2_pow_33() {
        let mut u = WrapUnwrapper::new(WrapUnwrapper::MPEG_TS_BITS);
        let m = 1i64 << 33;
        let mut expected = m - 90_000;
        assert_eq!(u.unwrap(expected as u64), expected);
        for _ in 0..10 {
            expected += 3003;
            assert_eq!(u.unwrap(wrap(expected, 33)), expected);
        }
        // two full cycles later
        for _ in 0..(2 * m / 1_000_000_000 + 1) {
            expected += 1_000_000_000;
            assert_eq!(u.unwrap(wrap(expected, 33)), expected);
        }
        assert!(expected > 2 * m);
    }
}
