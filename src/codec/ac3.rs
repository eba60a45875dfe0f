//! Dolby AC-3 and E-AC-3 sync frames, and the `dac3`/`dec3` records that describe a stream.
//!
//! A sync frame starts with the sync word 0x0B77 and says its own length, so a reader of an
//! elementary stream (MPEG-TS) splits frames without decoding them. AC-3 (ATSC A/52 §5.3,
//! `bsid` up to 10) states a frame size code; E-AC-3 (A/52 Annex E, `bsid` 11 to 16) a frame
//! size in words and a block count. The records are ETSI TS 102 366 Annex F (`dac3` F.4,
//! `dec3` F.6), which MP4 sample entries carry and which muxkit keeps as the track's
//! configuration.

use bytes::Bytes;

use super::CodecError;
use super::bits::BitReader;
use crate::media::{AudioParams, Codec, CodecConfig};

/// The sync word every frame starts with.
pub const SYNC_WORD: u16 = 0x0B77;

/// Bytes [`Ac3FrameHeader::parse`] needs to read any header.
pub const HEADER_LEN: usize = 8;

/// Nominal bit rates (kbit/s) by `frmsizecod / 2` (A/52 Table 5.18).
const BIT_RATES: [u32; 19] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640,
];

/// Full-bandwidth channels by `acmod` (A/52 Table 5.8).
const FULL_CHANNELS: [u8; 8] = [2, 1, 2, 3, 3, 4, 4, 5];

/// One sync frame's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ac3FrameHeader {
    /// E-AC-3 (`bsid` 11..=16) rather than AC-3.
    pub eac3: bool,
    /// The whole frame in bytes.
    pub frame_len: usize,
    /// Samples per second.
    pub sample_rate: u32,
    /// Samples per channel in the frame: 1536 for AC-3, 256 per audio block for E-AC-3.
    pub samples: u32,
    /// `fscod` (3 with a halved rate in E-AC-3's `fscod2`).
    pub fscod: u8,
    /// `bsid`: 8 for AC-3, 16 for E-AC-3 as written today.
    pub bsid: u8,
    /// `bsmod` (AC-3 only; 0 for E-AC-3).
    pub bsmod: u8,
    /// Channel layout code.
    pub acmod: u8,
    /// A low-frequency effects channel.
    pub lfe: bool,
    /// AC-3 `frmsizecod`; E-AC-3: 0.
    pub frmsizecod: u8,
    /// E-AC-3 stream type: 0 independent, 1 dependent (extra channels of the independent
    /// substream before it), 2 AC-3 converted; AC-3: 0.
    pub strmtyp: u8,
    /// E-AC-3 substream id; AC-3: 0.
    pub substreamid: u8,
}

impl Ac3FrameHeader {
    /// Parses the header at the start of `data` (at least [`HEADER_LEN`] bytes).
    pub fn parse(data: &[u8]) -> Result<Ac3FrameHeader, CodecError> {
        const WHAT: &str = "ac-3 frame header";
        if data.len() < HEADER_LEN {
            return Err(CodecError::Truncated {
                what: WHAT,
                offset: data.len(),
            });
        }
        if u16::from_be_bytes([data[0], data[1]]) != SYNC_WORD {
            return Err(CodecError::invalid(WHAT, 0, "no 0x0b77 sync word"));
        }
        // bsid sits at the same place in both syntaxes: byte 5, top 5 bits.
        let bsid = data[5] >> 3;
        match bsid {
            0..=10 => Self::parse_ac3(data, bsid),
            11..=16 => Self::parse_eac3(data, bsid),
            _ => Err(CodecError::invalid(
                WHAT,
                5,
                format!("bsid {bsid} is neither ac-3 nor e-ac-3"),
            )),
        }
    }

    fn parse_ac3(data: &[u8], bsid: u8) -> Result<Ac3FrameHeader, CodecError> {
        let mut r = BitReader::new(&data[4..], "ac-3 frame header");
        let fscod = r.read_u8(2)?;
        let frmsizecod = r.read_u8(6)?;
        if fscod == 3 {
            return Err(CodecError::invalid(
                "ac-3 frame header",
                4,
                "reserved fscod 3",
            ));
        }
        let Some(&rate_kbps) = BIT_RATES.get(usize::from(frmsizecod / 2)) else {
            return Err(CodecError::invalid(
                "ac-3 frame header",
                4,
                format!("frmsizecod {frmsizecod} out of range"),
            ));
        };
        // bsid 9 and 10 are the half- and quarter-rate variants (as ffmpeg reads them): the
        // same frame syntax and sizes at 24/22.05/16 or 12/11.025/8 kHz.
        let sample_rate = [48_000u32, 44_100, 32_000][usize::from(fscod)] >> bsid.saturating_sub(8);
        // 1536 samples a frame; the size in 16-bit words is rate * 1536 / (16 * sample rate),
        // rounded down, with one more word for odd codes at 44.1 kHz (A/52 Table 5.18).
        let words = match fscod {
            0 => rate_kbps * 2,
            1 => rate_kbps * 1000 * 1536 / 44_100 / 16 + u32::from(frmsizecod & 1),
            _ => rate_kbps * 3,
        };
        r.skip_bits(5)?; // bsid
        let bsmod = r.read_u8(3)?;
        let acmod = r.read_u8(3)?;
        if acmod & 1 != 0 && acmod != 1 {
            r.skip_bits(2)?; // cmixlev
        }
        if acmod & 4 != 0 {
            r.skip_bits(2)?; // surmixlev
        }
        if acmod == 2 {
            r.skip_bits(2)?; // dsurmod
        }
        let lfe = r.read_flag()?;
        Ok(Ac3FrameHeader {
            eac3: false,
            frame_len: words as usize * 2,
            sample_rate,
            samples: 1536,
            fscod,
            bsid,
            bsmod,
            acmod,
            lfe,
            frmsizecod,
            strmtyp: 0,
            substreamid: 0,
        })
    }

    fn parse_eac3(data: &[u8], bsid: u8) -> Result<Ac3FrameHeader, CodecError> {
        let mut r = BitReader::new(&data[2..], "e-ac-3 frame header");
        let strmtyp = r.read_u8(2)?;
        let substreamid = r.read_u8(3)?;
        let frmsiz = r.read_u16(11)?;
        let fscod = r.read_u8(2)?;
        let (sample_rate, blocks) = if fscod == 3 {
            let fscod2 = r.read_u8(2)?;
            let Some(&rate) = [24_000u32, 22_050, 16_000].get(usize::from(fscod2)) else {
                return Err(CodecError::invalid(
                    "e-ac-3 frame header",
                    4,
                    "reserved fscod2 3",
                ));
            };
            (rate, 6)
        } else {
            let numblkscod = r.read_u8(2)?;
            (
                [48_000u32, 44_100, 32_000][usize::from(fscod)],
                [1u32, 2, 3, 6][usize::from(numblkscod)],
            )
        };
        let acmod = r.read_u8(3)?;
        let lfe = r.read_flag()?;
        if strmtyp == 3 {
            return Err(CodecError::invalid(
                "e-ac-3 frame header",
                2,
                "reserved strmtyp 3",
            ));
        }
        Ok(Ac3FrameHeader {
            eac3: true,
            frame_len: (usize::from(frmsiz) + 1) * 2,
            sample_rate,
            samples: 256 * blocks,
            fscod,
            bsid,
            bsmod: 0,
            acmod,
            lfe,
            frmsizecod: 0,
            strmtyp,
            substreamid,
        })
    }

    /// Output channels, the LFE channel included.
    pub fn channels(&self) -> u8 {
        FULL_CHANNELS[usize::from(self.acmod & 7)] + u8::from(self.lfe)
    }

    /// The codec.
    pub fn codec(&self) -> Codec {
        if self.eac3 { Codec::Eac3 } else { Codec::Ac3 }
    }

    /// Bit rate in kbit/s: AC-3's nominal rate, E-AC-3's from the frame size.
    pub fn bit_rate_kbps(&self) -> u32 {
        if !self.eac3 && self.bsid > 8 {
            // The reduced-rate variants halve the bit rate with the sample rate.
            return BIT_RATES[usize::from(self.frmsizecod / 2) % BIT_RATES.len()]
                >> (self.bsid - 8);
        }
        if self.eac3 {
            let bits = self.frame_len as u64 * 8 * u64::from(self.sample_rate);
            (bits / u64::from(self.samples.max(1)) / 1000) as u32
        } else {
            BIT_RATES[usize::from(self.frmsizecod / 2) % BIT_RATES.len()]
        }
    }

    /// Whether two headers describe the same stream configuration (a change of any of these
    /// is a new configuration record).
    pub fn same_stream(&self, other: &Ac3FrameHeader) -> bool {
        (
            self.eac3,
            self.sample_rate,
            self.acmod,
            self.lfe,
            self.bsid,
            self.bsmod,
        ) == (
            other.eac3,
            other.sample_rate,
            other.acmod,
            other.lfe,
            other.bsid,
            other.bsmod,
        ) && (self.eac3 || self.frmsizecod / 2 == other.frmsizecod / 2)
    }

    /// The `dac3` (AC-3) or `dec3` (E-AC-3, one independent substream) record body.
    pub fn record(&self) -> Bytes {
        if !self.eac3 {
            // fscod(2) bsid(5) bsmod(3) acmod(3) lfeon(1) bit_rate_code(5) reserved(5)
            let v: u32 = (u32::from(self.fscod) << 22)
                | (u32::from(self.bsid) << 17)
                | (u32::from(self.bsmod) << 14)
                | (u32::from(self.acmod) << 11)
                | (u32::from(self.lfe) << 10)
                | (u32::from(self.frmsizecod / 2) << 5);
            return Bytes::copy_from_slice(&v.to_be_bytes()[1..]);
        }
        // data_rate(13) num_ind_sub(3, minus one) | fscod(2) bsid(5) reserved(1) asvc(1)
        // bsmod(3) acmod(3) lfeon(1) reserved(3) num_dep_sub(4) reserved(1)
        let data_rate = self.bit_rate_kbps().min(0x1FFF) as u16;
        let head = data_rate << 3;
        let fscod = if self.sample_rate < 32_000 {
            3
        } else {
            self.fscod
        };
        let sub: u32 = (u32::from(fscod) << 22)
            | (u32::from(self.bsid) << 17)
            | (u32::from(self.bsmod) << 12)
            | (u32::from(self.acmod) << 9)
            | (u32::from(self.lfe) << 8);
        let mut out = head.to_be_bytes().to_vec();
        out.extend_from_slice(&sub.to_be_bytes()[1..]);
        Bytes::from(out)
    }

    /// A track configuration for this stream: the record, rate and channels.
    pub fn config(&self) -> CodecConfig {
        let mut c = CodecConfig::new(self.codec());
        c.extradata = self.record();
        c.audio = Some(AudioParams {
            sample_rate: self.sample_rate,
            channels: self.channels(),
            bits_per_sample: 16,
        });
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first frame header of ffmpeg's AC-3 in testdata/ts_ac3.ts: 48 kHz stereo 128 kbit/s.
    const AC3_48K_STEREO_128: [u8; 8] = [0x0B, 0x77, 0x43, 0xC4, 0x10, 0x40, 0x43, 0xE1];

    #[test]
    fn ac3_header_of_ffmpegs_frame() {
        let h = Ac3FrameHeader::parse(&AC3_48K_STEREO_128).unwrap();
        assert!(!h.eac3);
        assert_eq!(h.sample_rate, 48_000);
        assert_eq!(h.frmsizecod, 16);
        assert_eq!(h.bit_rate_kbps(), 128);
        assert_eq!(h.frame_len, 512);
        assert_eq!(h.samples, 1536);
        assert_eq!(h.acmod, 2);
        assert_eq!(h.channels(), 2);
        assert_eq!(h.bsid, 8);
        // dac3: fscod 0, bsid 8, bsmod 0, acmod 2, lfeon 0, bit_rate_code 8.
        assert_eq!(&h.record()[..], &[0x10, 0x11, 0x00]);
    }

    #[test]
    fn ac3_frame_sizes_at_44_1_khz_alternate() {
        let mut b = AC3_48K_STEREO_128;
        for (code, words) in [(0u8, 69usize), (1, 70), (36, 1393), (37, 1394)] {
            b[4] = (1 << 6) | code;
            let h = Ac3FrameHeader::parse(&b).unwrap();
            assert_eq!(h.sample_rate, 44_100);
            assert_eq!(h.frame_len, words * 2, "frmsizecod {code}");
        }
        b[4] = 38;
        assert!(Ac3FrameHeader::parse(&b).is_err());
        b[4] = 3 << 6;
        assert!(Ac3FrameHeader::parse(&b).is_err());
    }

    #[test]
    fn eac3_header() {
        // strmtyp 0, substreamid 0, frmsiz 255 (512 bytes), fscod 0, numblkscod 3 (6 blocks),
        // acmod 2, lfeon 0, bsid 16.
        let b = [0x0B, 0x77, 0x00, 0xFF, 0x34, 0x80, 0x00, 0x00];
        let h = Ac3FrameHeader::parse(&b).unwrap();
        assert!(h.eac3);
        assert_eq!((h.frame_len, h.sample_rate, h.samples), (512, 48_000, 1536));
        assert_eq!(h.channels(), 2);
        assert_eq!(h.bit_rate_kbps(), 128);
        assert_eq!(h.codec(), Codec::Eac3);
        assert_eq!(h.record().len(), 5);
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for n in 0..HEADER_LEN {
            assert!(Ac3FrameHeader::parse(&AC3_48K_STEREO_128[..n]).is_err());
        }
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = x.to_be_bytes();
            b[0] = 0x0B;
            b[1] = 0x77;
            if let Ok(h) = Ac3FrameHeader::parse(&b) {
                assert!(h.frame_len >= 2 && h.frame_len <= 4096);
                let _ = (h.record(), h.channels(), h.bit_rate_kbps());
            }
        }
    }
}
