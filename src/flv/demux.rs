//! FLV -> tracks and packets.
//!
//! Tracks are keyed by (kind, multitrack id). Before the first packet is returned the demuxer
//! reads ahead until every stream the header announces has shown itself (bounded by
//! [`PROBE_TAG_LIMIT`]), so [`Demuxer::tracks`] is complete for ordinary files; a track that
//! appears later is appended before its first packet.

use bytes::Bytes;

use crate::amf::AmfValue;
use crate::error::Result;
use crate::io::InputSource;
use crate::loss::{Loss, MAX_LISTED_DAMAGE, damage_list};
use crate::media::{Demuxer, MediaKind, Packet, Track};

use super::header::FlvHeader;
use super::packetizer::FlvPacketizer;
use super::reader::{FlvReadOptions, FlvReport, FlvTagReader};

/// How many tags the demuxer reads ahead looking for the streams the header announces. Enough
/// for any real file's interleaving (a few seconds); a header that lies costs no more than this.
pub const PROBE_TAG_LIMIT: usize = 1000;

/// Reads an FLV file (or stream) as tracks and packets.
pub struct FlvDemuxer {
    reader: FlvTagReader,
    packetizer: FlvPacketizer,
}

impl FlvDemuxer {
    /// Opens an FLV from any input source and reads ahead to learn its tracks.
    pub fn new(src: InputSource, options: FlvReadOptions) -> Result<FlvDemuxer> {
        let reader = FlvTagReader::new(src, options)?;
        let mut d = FlvDemuxer {
            reader,
            packetizer: FlvPacketizer::new(options.strict),
        };
        d.probe()?;
        Ok(d)
    }

    /// Opens an FLV held in memory (for instance a mapped file), with default options.
    pub fn from_bytes(data: Bytes) -> Result<FlvDemuxer> {
        FlvDemuxer::new(InputSource::from_bytes(data), FlvReadOptions::default())
    }

    /// The file header.
    pub fn header(&self) -> &FlvHeader {
        self.reader.header()
    }

    /// The file's first `onMetaData` value (usually an ECMA array), if it had one before the
    /// first audio/video tag. Later script tags are packets of a data track instead.
    pub fn metadata(&self) -> Option<&AmfValue> {
        self.packetizer.metadata()
    }

    /// Counters and warnings so far.
    pub fn report(&self) -> &FlvReport {
        self.reader.report()
    }

    fn probe(&mut self) -> Result<()> {
        let (want_audio, want_video) = (self.header().has_audio, self.header().has_video);
        let mut tags = 0;
        while tags < PROBE_TAG_LIMIT {
            let p = &self.packetizer;
            let has = |k| p.queued().any(|q| p.tracks()[q.track as usize].kind == k);
            if (!want_audio || has(MediaKind::Audio))
                && (!want_video || has(MediaKind::Video))
                && p.queued().next().is_some()
            {
                break;
            }
            if !self.read_tag()? {
                break;
            }
            tags += 1;
        }
        Ok(())
    }

    /// Reads one tag, queueing the packets it yields. `Ok(false)` at the end of the input.
    fn read_tag(&mut self) -> Result<bool> {
        let Some(tag) = self.reader.next_tag()? else {
            return Ok(false);
        };
        self.packetizer.push_tag(&tag, self.reader.report_mut())?;
        Ok(true)
    }
}

impl Demuxer for FlvDemuxer {
    fn tracks(&self) -> &[Track] {
        self.packetizer.tracks()
    }

    fn flv_metadata(&self) -> Option<&AmfValue> {
        self.packetizer.metadata()
    }

    fn losses(&self) -> Vec<Loss> {
        let report = self.report();
        damage_list(
            report
                .warnings
                .iter()
                .map(|w| (Some(w.offset), w.message.clone())),
            report.warning_count,
            MAX_LISTED_DAMAGE,
        )
    }

    fn input_position(&self) -> Option<u64> {
        Some(self.reader.offset())
    }

    fn next_packet(&mut self) -> Result<Option<Packet>> {
        loop {
            if let Some(p) = self.packetizer.pop() {
                return Ok(Some(p));
            }
            if !self.read_tag()? {
                return Ok(None);
            }
        }
    }
}

impl std::fmt::Debug for FlvDemuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlvDemuxer")
            .field("tracks", &self.packetizer.tracks())
            .finish_non_exhaustive()
    }
}
