//! Opening inputs: recognised by their bytes, never by their name.

use std::io::{Cursor, Read};
use std::path::Path;

use bytes::Bytes;

use crate::adts::{AdtsDemuxer, AdtsReadOptions};
use crate::annexb::{AnnexBCodec, AnnexBDemuxer, AnnexBReadOptions};
use crate::error::{Error, Result};
use crate::flv::{FlvDemuxer, FlvReadOptions};
use crate::io::InputSource;
use crate::media::Demuxer;
use crate::mp3::{Mp3Demuxer, Mp3ReadOptions};
use crate::mp4::{F4vDemuxer, F4vReadOptions};
use crate::ts::demux::{TsDemuxer, TsReadOptions};

/// A container muxkit can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// Flash Video.
    Flv,
    /// MPEG transport stream (188-byte packets, or 192-byte M2TS).
    Ts,
    /// MPEG audio: MP3 (or MP2), with or without ID3 tags.
    Mp3,
    /// ISO base media: MP4, F4V (a first box `ftyp`, `moov`, `mdat`, `free`, `skip` or `wide`).
    Mp4,
    /// An HLS playlist (`#EXTM3U`): inspected, not yet read as media.
    HlsPlaylist,
    /// AAC in ADTS frames (`.aac`), with or without an ID3v2 tag first.
    Adts,
    /// A raw H.264 Annex B elementary stream (`.h264`, `.264`); see [`crate::annexb`].
    H264,
    /// A raw HEVC Annex B elementary stream (`.h265`, `.hevc`); see [`crate::annexb`].
    H265,
}

impl InputFormat {
    /// Bytes [`InputFormat::detect`] looks at: enough for three 192-byte packets after up to a
    /// kilobyte of leading junk.
    pub const PROBE_LEN: usize = 1024 + 3 * 192;

    /// Recognises a format from the first bytes of an input.
    pub fn detect(head: &[u8]) -> Option<InputFormat> {
        if head.len() >= 4 && &head[..3] == b"FLV" && head[3] == 1 {
            return Some(InputFormat::Flv);
        }
        // Signatures at byte 0 first: the TS test allows a kilobyte of junk before the
        // packets, and a playlist's text can happen to have 'G' every 192 bytes (a
        // single-file fMP4 playlist did).
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        if text.starts_with(b"#EXTM3U") {
            return Some(InputFormat::HlsPlaylist);
        }
        if looks_like_ts(head) {
            return Some(InputFormat::Ts);
        }
        if head.len() >= 8
            && matches!(
                &head[4..8],
                b"ftyp" | b"moov" | b"mdat" | b"free" | b"skip" | b"wide"
            )
        {
            return Some(InputFormat::Mp4);
        }
        // Before MPEG audio: an ID3v2 tag alone makes the MP3 test say yes, and ADTS's sync
        // word with layer 0 is what MPEG audio reserves, so the two never both chain.
        if crate::adts::looks_like_adts(head) {
            return Some(InputFormat::Adts);
        }
        // A start code at byte 0 and valid NAL unit headers (see crate::annexb::detect for how
        // the two codecs and other formats are told apart): after TS, whose three sync bytes
        // are the stronger test (an M2TS whose first arrival time reads `00 00 01` could pass
        // for a raw stream), before MP3, whose test allows junk before a frame sync and finds
        // one in coded video.
        match crate::annexb::detect(head) {
            Some(AnnexBCodec::H264) => return Some(InputFormat::H264),
            Some(AnnexBCodec::Hevc) => return Some(InputFormat::H265),
            None => {}
        }
        if crate::mp3::looks_like_mpeg_audio(head) {
            return Some(InputFormat::Mp3);
        }
        None
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Flv => "flv",
            InputFormat::Ts => "mpegts",
            InputFormat::HlsPlaylist => "hls",
            InputFormat::Mp3 => "mp3",
            InputFormat::Mp4 => "mp4",
            InputFormat::Adts => "aac",
            InputFormat::H264 => "h264",
            InputFormat::H265 => "hevc",
        }
    }
}

/// A sync byte 0x47 every 188 (or 192) bytes, three times in a row (fewer if the input is that
/// short), starting within the first kilobyte.
fn looks_like_ts(head: &[u8]) -> bool {
    const SYNC: u8 = 0x47;
    (0..head.len().min(1024)).any(|start| {
        head[start] == SYNC
            && [188usize, 192].iter().any(|&size| {
                let starts: Vec<usize> = (1..3)
                    .map(|k| start + k * size)
                    .take_while(|&p| p < head.len())
                    .collect();
                // A lone packet is a TS only if it is the whole input.
                (!starts.is_empty() || head.len() - start == size)
                    && starts.iter().all(|&p| head[p] == SYNC)
            })
    })
}

/// Where an input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputPath<'a> {
    /// A file, memory-mapped.
    File(&'a Path),
    /// Standard input, streamed.
    Stdin,
    /// An object in a bucket, streamed with ranged GETs (see [`crate::store`]).
    #[cfg(feature = "s3")]
    Object(&'a crate::store::ObjectInput),
}

impl<'a> InputPath<'a> {
    /// `-` means stdin, as in every Unix tool.
    pub fn from_arg(arg: &'a Path) -> InputPath<'a> {
        if arg.as_os_str() == "-" {
            InputPath::Stdin
        } else {
            InputPath::File(arg)
        }
    }

    /// Whether the input can be read a second time from its start (MP4 output reads it
    /// twice to put its index first): a file or an object can, a pipe cannot.
    pub fn can_be_read_twice(&self) -> bool {
        match self {
            InputPath::File(_) => true,
            InputPath::Stdin => false,
            #[cfg(feature = "s3")]
            InputPath::Object(_) => true,
        }
    }
}

/// An input whose format has been recognised, ready to be opened by the matching reader.
pub struct ProbedInput {
    /// The format found.
    pub format: InputFormat,
    /// The bytes, positioned at the start.
    pub source: InputSource,
    /// The input's length, when known.
    pub len: Option<u64>,
}

fn unknown(input: &Path, head: &[u8]) -> Error {
    Error::UnknownInputFormat {
        input: input.to_owned(),
        head: head[..head.len().min(8)].to_vec(),
    }
}

/// Maps (or starts streaming) `input` and recognises its format.
pub fn probe(input: InputPath<'_>) -> Result<ProbedInput> {
    match input {
        InputPath::File(path) => {
            let mut head = Vec::with_capacity(InputFormat::PROBE_LEN);
            let file = std::fs::File::open(path).map_err(|source| Error::File {
                path: path.to_owned(),
                source,
            })?;
            file.take(InputFormat::PROBE_LEN as u64)
                .read_to_end(&mut head)
                .map_err(|source| Error::File {
                    path: path.to_owned(),
                    source,
                })?;
            let format = InputFormat::detect(&head).ok_or_else(|| unknown(path, &head))?;
            let source = InputSource::open_file(path)?;
            Ok(ProbedInput {
                format,
                len: source.len_hint(),
                source,
            })
        }
        InputPath::Stdin => probe_reader(std::io::stdin()),
        #[cfg(feature = "s3")]
        InputPath::Object(object) => {
            let mut probed = probe_reader(object.reader())?;
            probed.len = Some(object.len);
            Ok(probed)
        }
    }
}

/// Recognises the format of an in-memory input.
pub fn probe_bytes(data: Bytes) -> Result<ProbedInput> {
    let format = InputFormat::detect(&data).ok_or_else(|| unknown(Path::new("<memory>"), &data))?;
    let len = Some(data.len() as u64);
    Ok(ProbedInput {
        format,
        source: InputSource::from_bytes(data),
        len,
    })
}

/// Recognises the format of a stream, keeping the bytes it had to look at.
pub fn probe_reader(mut reader: impl Read + Send + 'static) -> Result<ProbedInput> {
    let mut head = Vec::with_capacity(InputFormat::PROBE_LEN);
    reader
        .by_ref()
        .take(InputFormat::PROBE_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Io {
            context: "reading input",
            source,
        })?;
    let format = InputFormat::detect(&head).ok_or_else(|| unknown(Path::new("-"), &head))?;
    Ok(ProbedInput {
        format,
        source: InputSource::from_reader(Cursor::new(head).chain(reader)),
        len: None,
    })
}

/// Options that apply to every reader.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenOptions {
    /// Recoverable damage is an error instead of a warning.
    pub strict: bool,
    /// Frames per second (a rational, `(30000, 1001)`) of a raw H.264/HEVC input, which has
    /// no timestamps; other inputs refuse it.
    pub framerate: Option<(u32, u32)>,
}

/// Parses a frame rate as ffmpeg's `-r` takes it: `25`, `30000/1001`, or a decimal (`12.5`;
/// `23.976`, `29.97`, `59.94` and the like mean the NTSC rates `N*1000/1001`).
pub fn parse_framerate(s: &str) -> std::result::Result<(u32, u32), String> {
    let bad = || format!("{s:?} is not a frame rate (25, 29.97, 30000/1001)");
    let rate = if let Some((n, d)) = s.split_once('/') {
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let d: u32 = d.trim().parse().map_err(|_| bad())?;
        (n, d)
    } else if let Some((whole, frac)) = s.split_once('.') {
        if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let den = 10u64.pow(frac.len() as u32);
        let num = u64::from(whole.parse::<u32>().map_err(|_| bad())?) * den
            + frac.parse::<u64>().map_err(|_| bad())?;
        // NTSC: within 0.005 fps of a multiple of 1000/1001.
        let ntsc = (num * 1001 + den * 500) / den / 1000 * 1000;
        if ntsc > 0 && (ntsc as f64 / 1001.0 - num as f64 / den as f64).abs() < 0.005 {
            (u32::try_from(ntsc).map_err(|_| bad())?, 1001)
        } else {
            let (mut a, mut b) = (num, den);
            while b != 0 {
                (a, b) = (b, a % b);
            }
            (
                u32::try_from(num / a).map_err(|_| bad())?,
                u32::try_from(den / a).map_err(|_| bad())?,
            )
        }
    } else {
        (s.trim().parse().map_err(|_| bad())?, 1)
    };
    if rate.0 == 0 || rate.1 == 0 || u64::from(rate.0) > u64::from(rate.1) * 1000 {
        return Err(bad());
    }
    Ok(rate)
}

/// Opens the demuxer for a probed input.
pub fn open_demuxer(input: ProbedInput, options: OpenOptions) -> Result<Box<dyn Demuxer>> {
    if options.framerate.is_some() && !matches!(input.format, InputFormat::H264 | InputFormat::H265)
    {
        return Err(Error::Usage(format!(
            "--framerate applies to raw .h264/.h265 input, not {}",
            input.format.name()
        )));
    }
    let raw = AnnexBReadOptions {
        strict: options.strict,
        framerate: options.framerate,
    };
    match input.format {
        InputFormat::H264 => Ok(Box::new(AnnexBDemuxer::new(
            input.source,
            AnnexBCodec::H264,
            raw,
        )?)),
        InputFormat::H265 => Ok(Box::new(AnnexBDemuxer::new(
            input.source,
            AnnexBCodec::Hevc,
            raw,
        )?)),
        InputFormat::Flv => Ok(Box::new(FlvDemuxer::new(
            input.source,
            FlvReadOptions {
                strict: options.strict,
            },
        )?)),
        InputFormat::HlsPlaylist => Err(Error::Unsupported(
            "reading an hls playlist as media (inspect checks it; convert its segments instead)"
                .into(),
        )),
        InputFormat::Ts => Ok(Box::new(TsDemuxer::new(
            input.source,
            TsReadOptions {
                strict: options.strict,
            },
        )?)),
        InputFormat::Mp4 => Ok(Box::new(F4vDemuxer::with_options(
            input.source,
            F4vReadOptions {
                strict: options.strict,
            },
        )?)),
        InputFormat::Mp3 => {
            // An ID3v2 tag longer than the probe hides what follows it: ADTS after a large
            // tag is told from MPEG audio here, with the whole input at hand (both readers
            // hold it in memory anyway).
            let mut source = input.source;
            let data = match source.take(usize::MAX)? {
                crate::io::Take::Full(b) | crate::io::Take::Short(b) => b,
            };
            let source = InputSource::from_bytes(data.clone());
            if crate::id3::Id3v2Tag::is_tag_start(&data) && crate::adts::looks_like_adts(&data) {
                return Ok(Box::new(AdtsDemuxer::new(
                    source,
                    AdtsReadOptions {
                        strict: options.strict,
                    },
                )?));
            }
            Ok(Box::new(Mp3Demuxer::new(
                source,
                Mp3ReadOptions {
                    strict: options.strict,
                },
            )?))
        }
        InputFormat::Adts => Ok(Box::new(AdtsDemuxer::new(
            input.source,
            AdtsReadOptions {
                strict: options.strict,
            },
        )?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates() {
        assert_eq!(parse_framerate("25"), Ok((25, 1)));
        assert_eq!(parse_framerate("29.97"), Ok((30000, 1001)));
        assert_eq!(parse_framerate("23.976"), Ok((24000, 1001)));
        assert_eq!(parse_framerate("59.94"), Ok((60000, 1001)));
        assert_eq!(parse_framerate("30000/1001"), Ok((30000, 1001)));
        assert_eq!(parse_framerate("12.5"), Ok((25, 2)));
        assert_eq!(parse_framerate("25.0"), Ok((25, 1)));
        for bad in ["0", "x", "1/0", "-5", "25.", "99999", ""] {
            assert!(parse_framerate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(
            InputFormat::detect(b"FLV\x01\x05\0\0\0\x09"),
            Some(InputFormat::Flv)
        );
        let mut ts = vec![0u8; 188 * 3];
        for k in 0..3 {
            ts[k * 188] = 0x47;
        }
        assert_eq!(InputFormat::detect(&ts), Some(InputFormat::Ts));
        // A playlist whose text has 'G' (0x47) every 192 bytes is still a playlist.
        let mut pl = b"#EXTM3U\n".to_vec();
        pl.resize(1000, b'#');
        for k in 0..4 {
            pl[132 + 192 * k] = b'G';
        }
        assert_eq!(InputFormat::detect(&pl), Some(InputFormat::HlsPlaylist));
        let mut m2ts = vec![0u8; 192 * 3];
        for k in 0..3 {
            m2ts[4 + k * 192] = 0x47;
        }
        assert_eq!(InputFormat::detect(&m2ts), Some(InputFormat::Ts));
        let mut junk = vec![1u8; 100];
        junk.extend_from_slice(&ts);
        assert_eq!(InputFormat::detect(&junk), Some(InputFormat::Ts));
        assert_eq!(
            InputFormat::detect(b"G not a transport stream at all"),
            None
        );
        assert_eq!(InputFormat::detect(b""), None);
        // Raw video: H.264 (SPS, PPS) and HEVC (VPS, SPS); a TS is still a TS even when a
        // PES start code sits at a packet's payload.
        let h264 = b"\0\0\0\x01\x67\x64\x00\x1f\xac\0\0\0\x01\x68\xeb\xe3\xcb\x22\xc0";
        assert_eq!(InputFormat::detect(h264), Some(InputFormat::H264));
        assert_eq!(InputFormat::H264.name(), "h264");
        let hevc = b"\0\0\0\x01\x40\x01\x0c\x01\xff\xff\0\0\0\x01\x42\x01\x01";
        assert_eq!(InputFormat::detect(hevc), Some(InputFormat::H265));
        assert_eq!(InputFormat::H265.name(), "hevc");
        let mut ts_pes = ts.clone();
        ts_pes[4..8].copy_from_slice(b"\0\0\x01\xe0");
        assert_eq!(InputFormat::detect(&ts_pes), Some(InputFormat::Ts));
        // An MP4 whose first box has a 64-bit size (size field 1) is not a raw stream.
        assert_eq!(
            InputFormat::detect(b"\0\0\0\x01ftyp\0\0\0\0\0\0\0\x18isom\0\0\x01\x68"),
            Some(InputFormat::Mp4)
        );
        // MPEG-PS pack header.
        assert_eq!(
            InputFormat::detect(b"\0\0\x01\xba\x44\0\x04\0\x04\x01\0\0\x01\xbb"),
            None
        );
    }
}
