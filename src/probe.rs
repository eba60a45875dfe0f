//! Opening inputs: recognised by their bytes, never by their name.

use std::io::{Cursor, Read};
use std::path::Path;

use bytes::Bytes;

use crate::adts::{AdtsDemuxer, AdtsReadOptions};
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
}

/// Opens the demuxer for a probed input.
pub fn open_demuxer(input: ProbedInput, options: OpenOptions) -> Result<Box<dyn Demuxer>> {
    match input.format {
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
    }
}
