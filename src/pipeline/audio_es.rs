//! Raw audio elementary streams out of any input: `.mp3` (an ID3v2 tag, then MPEG audio
//! frames) and `.aac` (ADTS).
//!
//! The muxer takes the first audio track whose codec the output can hold and ignores the
//! other tracks (video, other audio), as `ffmpeg -vn -c:a copy out.mp3` does; ignored packets
//! are counted. For `.mp3`, a timed ID3 track (an MP3's own tag, or timed metadata from a
//! transport stream) becomes the file's ID3v2 tag when its first packet comes before the audio
//! is far along. An MP3 (Layer III) written to a seekable file gets an Info/Xing frame first,
//! as LAME and ffmpeg write it: frame count, byte count and TOC (readers need them for the
//! duration and for seeking in VBR), and the encoder delay and padding when the input stated
//! them (gapless playback).

use std::io::SeekFrom;

use crate::codec::aac::{AdtsHeader, AudioSpecificConfig};
use crate::codec::mpa::MpegAudioHeader;
use crate::error::{Error, Result};
use crate::io::{BlockWriter, OutputSink};
use crate::media::{Codec, EncoderDelay, MediaKind, Muxer, Packet, Track};
use crate::mp3::InfoFrame;

/// The raw audio file to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioEsFormat {
    /// MPEG audio frames (MP3, MP2), after an ID3v2 tag when the input has one.
    Mpeg,
    /// AAC in ADTS frames.
    Adts,
}

/// Audio frames held back waiting for a timed ID3 packet that should go first (the tag comes
/// at time 0, so within the first few frames); past this the file is written without it.
const MAX_HELD_FRAMES: usize = 64;

/// What the muxer wrote and skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AudioEsReport {
    /// Audio frames written.
    pub frames: u64,
    /// Packets of tracks the output does not hold.
    pub ignored_packets: u64,
    /// Bytes of the ID3v2 tag written at the start.
    pub id3_bytes: usize,
}

/// Writes one audio track as a raw elementary stream.
pub struct AudioEsMuxer<W: OutputSink> {
    out: BlockWriter<W>,
    format: AudioEsFormat,
    audio: Option<u32>,
    asc: Option<AudioSpecificConfig>,
    id3_track: Option<u32>,
    /// Frames held until the tag comes (or it is clear it will not).
    held: Vec<Packet>,
    tag_done: bool,
    report: AudioEsReport,
    finished: bool,
    delay: Option<EncoderDelay>,
    /// The Info frame and its offset in the output, once the first MP3 frame came.
    info: Option<(u64, InfoFrame)>,
    /// Bytes of the ID3v2 tag before the audio (where the Info frame goes).
    tag_len: u64,
}

impl<W: OutputSink> AudioEsMuxer<W> {
    /// A muxer writing `format` through `out`.
    pub fn new(out: BlockWriter<W>, format: AudioEsFormat) -> AudioEsMuxer<W> {
        let mut out = out;
        out.set_context("writing audio");
        AudioEsMuxer {
            out,
            format,
            audio: None,
            asc: None,
            id3_track: None,
            held: Vec::new(),
            tag_done: false,
            report: AudioEsReport::default(),
            finished: false,
            delay: None,
            info: None,
            tag_len: 0,
        }
    }

    /// What was written.
    pub fn report(&self) -> &AudioEsReport {
        &self.report
    }

    /// Gives the sink back, after [`Muxer::finish`].
    pub fn into_inner(self) -> Result<W> {
        self.out.into_inner()
    }

    fn fits(&self, codec: Codec) -> bool {
        match self.format {
            AudioEsFormat::Mpeg => matches!(codec, Codec::Mp3 | Codec::Mp2),
            AudioEsFormat::Adts => codec == Codec::Aac,
        }
    }

    fn write_frame(&mut self, p: &Packet) -> Result<()> {
        if self.format == AudioEsFormat::Mpeg && self.report.frames == 0 && self.info.is_none() {
            let seekable = self.out.get_mut()?.as_seekable().is_some();
            let header = MpegAudioHeader::parse(&p.data).ok();
            if let Some(info) = header
                .filter(|_| seekable)
                .and_then(|h| InfoFrame::new(&h, self.delay.as_ref()))
            {
                self.out.buf().extend_from_slice(info.bytes());
                self.info = Some((self.tag_len, info));
            }
        }
        if let Some((_, info)) = &mut self.info {
            let bitrate = MpegAudioHeader::parse(&p.data)
                .ok()
                .and_then(|h| h.bitrate)
                .unwrap_or(0);
            info.add(p.data.len(), bitrate);
        }
        if let AudioEsFormat::Adts = self.format {
            let asc = self.asc.as_ref().ok_or_else(|| Error::Mux {
                format: "adts",
                track: p.track,
                dts: p.dts.0,
                reason: "aac track without an AudioSpecificConfig".into(),
            })?;
            AdtsHeader::write(asc, p.data.len(), self.out.buf()).map_err(|e| Error::Mux {
                format: "adts",
                track: p.track,
                dts: p.dts.0,
                reason: e.to_string(),
            })?;
        }
        self.out.write_large(&p.data)?;
        self.report.frames += 1;
        self.out.maybe_write()
    }

    fn release_held(&mut self) -> Result<()> {
        self.tag_done = true;
        for p in std::mem::take(&mut self.held) {
            self.write_frame(&p)?;
        }
        Ok(())
    }
}

impl<W: OutputSink> Muxer for AudioEsMuxer<W> {
    fn refusal(&self, track: &Track) -> Option<String> {
        let takes_audio =
            track.kind == MediaKind::Audio && self.audio.is_none() && self.fits(track.codec.codec);
        let takes_tag = track.codec.codec == Codec::TimedId3
            && self.format == AudioEsFormat::Mpeg
            && self.id3_track.is_none();
        if takes_audio || takes_tag {
            return None;
        }
        Some(match self.format {
            AudioEsFormat::Mpeg => "the output holds one mp3 or mp2 audio track only".into(),
            AudioEsFormat::Adts => "the output holds one aac audio track only".into(),
        })
    }

    fn add_track(&mut self, track: &Track) -> Result<()> {
        if track.kind == MediaKind::Audio && self.audio.is_none() && self.fits(track.codec.codec) {
            self.audio = Some(track.id);
            self.delay = track.codec.encoder_delay.clone();
            if track.codec.codec == Codec::Aac {
                self.asc = Some(AudioSpecificConfig::parse(&track.codec.extradata).map_err(
                    |e| Error::Mux {
                        format: "adts",
                        track: track.id,
                        dts: 0,
                        reason: format!("audio specific config: {e}"),
                    },
                )?);
            }
        }
        if track.codec.codec == Codec::TimedId3
            && self.format == AudioEsFormat::Mpeg
            && self.id3_track.is_none()
        {
            self.id3_track = Some(track.id);
        }
        Ok(())
    }

    fn write_packet(&mut self, p: &Packet) -> Result<()> {
        if Some(p.track) == self.id3_track && !self.tag_done {
            if self.report.frames == 0 {
                self.out.buf().extend_from_slice(&p.data);
                self.report.id3_bytes = p.data.len();
                self.tag_len = p.data.len() as u64;
            }
            return self.release_held();
        }
        if Some(p.track) != self.audio {
            self.report.ignored_packets += 1;
            return Ok(());
        }
        if let Some(c) = &p.config {
            if c.codec == Codec::Aac {
                self.asc = AudioSpecificConfig::parse(&c.extradata).ok();
            }
        }
        if self.id3_track.is_some() && !self.tag_done {
            self.held.push(p.clone());
            if self.held.len() >= MAX_HELD_FRAMES {
                self.release_held()?;
            }
            return Ok(());
        }
        self.write_frame(p)
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidUse("audio muxer finished twice".into()));
        }
        self.finished = true;
        self.release_held()?;
        if self.audio.is_none() {
            let what = match self.format {
                AudioEsFormat::Mpeg => "mp3 or mp2",
                AudioEsFormat::Adts => "aac",
            };
            return Err(Error::InvalidInput(format!(
                "the input has no {what} audio track to write"
            )));
        }
        if let Some((at, mut info)) = self.info.take() {
            let sink = self.out.get_mut()?;
            let io = |source| Error::Io {
                context: "writing the mp3 info frame",
                source,
            };
            if let Some(f) = sink.as_seekable() {
                f.seek(SeekFrom::Start(at)).map_err(io)?;
                f.write_all(info.finish()).map_err(io)?;
                f.seek(SeekFrom::End(0)).map_err(io)?;
            }
        }
        self.out.flush_all()
    }
}
