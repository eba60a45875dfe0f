//! Opening inputs: recognised by their bytes, never by their name.

use std::io::{Cursor, Read};
use std::path::Path;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::flv::{FlvDemuxer, FlvReadOptions};
use crate::io::InputSource;
use crate::media::Demuxer;

/// A container muxkit can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// Flash Video.
    Flv,
}

impl InputFormat {
    /// Bytes [`InputFormat::detect`] needs to decide.
    pub const PROBE_LEN: usize = 16;

    /// Recognises a format from the first bytes of an input.
    pub fn detect(head: &[u8]) -> Option<InputFormat> {
        if head.len() >= 4 && &head[..3] == b"FLV" && head[3] == 1 {
            return Some(InputFormat::Flv);
        }
        None
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Flv => "flv",
        }
    }
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

fn unknown(head: &[u8]) -> Error {
    Error::UnknownInputFormat {
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
            let format = InputFormat::detect(&head).ok_or_else(|| unknown(&head))?;
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
    let format = InputFormat::detect(&data).ok_or_else(|| unknown(&data))?;
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
    let format = InputFormat::detect(&head).ok_or_else(|| unknown(&head))?;
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
    }
}
