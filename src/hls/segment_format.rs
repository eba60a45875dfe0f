//! What an HLS segment is made of: MPEG-TS (RFC 8216 §3.2) or fragmented MP4 (§3.3, CMAF:
//! an initialization segment named by EXT-X-MAP, then `moof` + `mdat` per media segment). The
//! segmenter decides where segments start and end; this writes their bytes.

use crate::error::Result;
use crate::io::BlockWriter;
use crate::media::{Muxer, Packet, Track};
use crate::mp4::fragment_mux::Fmp4Muxer;
use crate::ts::mux::{TsMuxOptions, TsMuxer};

use super::output::{SegmentStore, StoreSink};

/// The segment format (`--hls-segment-type`, ffmpeg's name and values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HlsSegmentType {
    /// MPEG-TS segments (`.ts`), what every player reads.
    #[default]
    MpegTs,
    /// Fragmented MP4 (`.m4s`) after an `init.mp4`: what HEVC needs on Apple devices and
    /// what carries codecs TS cannot (AV1, VP9, Opus, FLAC).
    Fmp4,
}

impl HlsSegmentType {
    /// The default segment file pattern.
    pub fn default_pattern(self) -> &'static str {
        match self {
            HlsSegmentType::MpegTs => "segment_%05d.ts",
            HlsSegmentType::Fmp4 => "segment_%05d.m4s",
        }
    }
}

/// The writer of one segment format into the store's open segment.
pub(crate) enum SegmentMux<S: SegmentStore> {
    Ts(TsMuxer<StoreSink<S>>),
    Fmp4(Fmp4Muxer<StoreSink<S>>),
}

impl<S: SegmentStore> SegmentMux<S> {
    /// `single_file`: one file holds one init section at its start, so a codec change cannot
    /// take a new one there.
    pub(crate) fn new(
        kind: HlsSegmentType,
        out: BlockWriter<StoreSink<S>>,
        ts: TsMuxOptions,
        single_file: bool,
    ) -> SegmentMux<S> {
        match kind {
            HlsSegmentType::MpegTs => SegmentMux::Ts(TsMuxer::with_writer(out, ts)),
            HlsSegmentType::Fmp4 => {
                let mut m = Fmp4Muxer::for_segments(out);
                if !single_file {
                    m.allow_new_init();
                }
                SegmentMux::Fmp4(m)
            }
        }
    }

    /// A segment opens: TS repeats PAT and PMT at its start; after a discontinuity fMP4
    /// decode times carry on from the previous segment's end, whatever the input's did (a
    /// splice may go back in time, and `tfdt` cannot go below 0).
    pub(crate) fn segment_started(&mut self, discontinuity: bool) {
        match self {
            SegmentMux::Ts(ts) => ts.force_psi(),
            SegmentMux::Fmp4(f) => f.segment_started(discontinuity),
        }
    }

    /// A segment ends: fMP4 writes its fragment now.
    pub(crate) fn segment_ending(&mut self) -> Result<()> {
        match self {
            SegmentMux::Ts(_) => Ok(()),
            SegmentMux::Fmp4(f) => f.cut(),
        }
    }

    /// The initialization segment to store before the first media segment is listed (fMP4),
    /// once.
    pub(crate) fn take_init(&mut self) -> Option<Result<Vec<u8>>> {
        match self {
            SegmentMux::Fmp4(f) if !f.init_taken() => Some(f.init_segment()),
            _ => None,
        }
    }

    pub(crate) fn run_on_sink(
        &mut self,
        job: impl FnOnce(&mut StoreSink<S>) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        match self {
            SegmentMux::Ts(m) => m.run_on_sink(job),
            SegmentMux::Fmp4(m) => m.run_on_sink(job),
        }
    }

    pub(crate) fn sink_mut(&mut self) -> Result<&mut StoreSink<S>> {
        match self {
            SegmentMux::Ts(m) => m.sink_mut(),
            SegmentMux::Fmp4(m) => m.sink_mut(),
        }
    }

    pub(crate) fn recover_sink(&mut self) -> Option<&mut StoreSink<S>> {
        match self {
            SegmentMux::Ts(m) => m.recover_sink(),
            SegmentMux::Fmp4(m) => m.recover_sink(),
        }
    }

    pub(crate) fn into_inner(self) -> Result<StoreSink<S>> {
        match self {
            SegmentMux::Ts(m) => m.into_inner(),
            SegmentMux::Fmp4(m) => m.into_inner(),
        }
    }

    fn muxer(&mut self) -> &mut dyn Muxer {
        match self {
            SegmentMux::Ts(m) => m,
            SegmentMux::Fmp4(m) => m,
        }
    }

    pub(crate) fn refusal(&self, track: &Track) -> Option<String> {
        match self {
            SegmentMux::Ts(m) => m.refusal(track).map(|r| format!("hls ts segments: {r}")),
            SegmentMux::Fmp4(m) => m.refusal(track).map(|r| format!("hls fmp4 segments: {r}")),
        }
    }

    pub(crate) fn add_track(&mut self, track: &Track) -> Result<()> {
        self.muxer().add_track(track)
    }

    pub(crate) fn write_packet(&mut self, p: &Packet) -> Result<()> {
        self.muxer().write_packet(p)
    }

    pub(crate) fn finish(&mut self) -> Result<()> {
        self.muxer().finish()
    }
}
