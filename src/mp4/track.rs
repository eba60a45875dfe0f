//! One track's sample tables read from its `trak`, checked against each other and the file,
//! and walked sample by sample without expanding them into per-sample lists.

use bytes::Bytes;

use super::boxes::ctts::Ctts;
use super::boxes::elst::Elst;
use super::boxes::hdlr::Hdlr;
use super::boxes::mdhd::Mdhd;
use super::boxes::sample_entry::{SampleEntry, parse_stsd};
use super::boxes::stco::Stco;
use super::boxes::stsc::Stsc;
use super::boxes::stss::Stss;
use super::boxes::stsz::Stsz;
use super::boxes::stts::Stts;
use super::boxes::tkhd::Tkhd;
use super::error::F4vError;
use super::tree::BoxNode;

/// A track's boxes, parsed.
#[derive(Clone, Debug)]
pub struct TrackTables {
    /// `tkhd`.
    pub tkhd: Tkhd,
    /// `mdhd`.
    pub mdhd: Mdhd,
    /// `hdlr`.
    pub hdlr: Hdlr,
    /// `elst`, when the track has an edit list.
    pub elst: Option<Elst>,
    /// The sample entries of `stsd`.
    pub entries: Vec<SampleEntry>,
    /// `stts`.
    pub stts: Stts,
    /// `ctts`, when composition differs from decoding order.
    pub ctts: Option<Ctts>,
    /// `stss`; without it every sample is a sync sample.
    pub stss: Option<Stss>,
    /// `stsc`.
    pub stsc: Stsc,
    /// `stsz`/`stz2`.
    pub stsz: Stsz,
    /// `stco`/`co64`.
    pub stco: Stco,
    /// Samples, from the first, that lie inside the file: all of them unless the file was cut
    /// short ([`TrackTables::cut_short`]).
    pub readable: u64,
}

fn need<'a>(
    node: &'a BoxNode,
    path: &[&[u8; 4]],
    name: &'static str,
) -> Result<&'a BoxNode, F4vError> {
    node.find(path).ok_or(F4vError::Missing(name))
}

impl TrackTables {
    /// Reads a `trak` node's boxes out of `data` (the whole file), checking every count against
    /// the others and every sample against the file's length.
    pub fn read(trak: &BoxNode, data: &[u8]) -> Result<TrackTables, F4vError> {
        let at = |n: &BoxNode| n.header.offset;
        let tkhd_n = need(trak, &[b"tkhd"], "tkhd")?;
        let mdhd_n = need(trak, &[b"mdia", b"mdhd"], "mdhd")?;
        let hdlr_n = need(trak, &[b"mdia", b"hdlr"], "hdlr")?;
        let stbl = need(trak, &[b"mdia", b"minf", b"stbl"], "stbl")?;
        let stsd_n = need(stbl, &[b"stsd"], "stsd")?;
        let stts_n = need(stbl, &[b"stts"], "stts")?;
        let stsc_n = need(stbl, &[b"stsc"], "stsc")?;
        let tkhd = Tkhd::parse(tkhd_n.body(data), at(tkhd_n))?;
        let mdhd = Mdhd::parse(mdhd_n.body(data), at(mdhd_n))?;
        let hdlr = Hdlr::parse(hdlr_n.body(data), at(hdlr_n))?;
        let elst = match trak.find(&[b"edts", b"elst"]) {
            Some(n) => Some(Elst::parse(n.body(data), at(n))?),
            None => None,
        };
        let entries = parse_stsd(stsd_n.body(data), at(stsd_n))?;
        let stts = Stts::parse(stts_n.body(data), at(stts_n))?;
        let ctts = match stbl.child(b"ctts") {
            Some(n) => Some(Ctts::parse(n.body(data), at(n))?),
            None => None,
        };
        let stss = match stbl.child(b"stss") {
            Some(n) => Some(Stss::parse(n.body(data), at(n))?),
            None => None,
        };
        let stsc = Stsc::parse(stsc_n.body(data), at(stsc_n))?;
        let stsz = match (stbl.child(b"stsz"), stbl.child(b"stz2")) {
            (Some(n), _) => Stsz::parse(n.body(data), at(n))?,
            (None, Some(n)) => Stsz::parse_compact(n.body(data), at(n))?,
            (None, None) => return Err(F4vError::Missing("stsz")),
        };
        let stco = match (stbl.child(b"stco"), stbl.child(b"co64")) {
            (Some(n), _) => Stco::parse(n.body(data), at(n), false)?,
            (None, Some(n)) => Stco::parse(n.body(data), at(n), true)?,
            (None, None) => return Err(F4vError::Missing("stco")),
        };
        let mut t = TrackTables {
            tkhd,
            mdhd,
            hdlr,
            elst,
            entries,
            stts,
            ctts,
            stss,
            stsc,
            stsz,
            stco,
            readable: 0,
        };
        t.readable = t.check(data.len() as u64, at(stbl))?;
        Ok(t)
    }

    /// The counts agree, every sample description index exists, and the chunks hold exactly
    /// the samples `stsz` lists. Returns how many samples, from the first, lie inside the file:
    /// fewer than all when the file was cut short (the caller decides whether that is an
    /// error).
    fn check(&self, file_len: u64, stbl_at: u64) -> Result<u64, F4vError> {
        let id = self.tkhd.track_id;
        let bad = |reason: String| F4vError::invalid(format!("track {id} stbl"), stbl_at, reason);
        let samples = self.stsz.count() as u64;
        if self.stts.sample_count() != samples {
            return Err(bad(format!(
                "stts describes {} samples, stsz {samples}",
                self.stts.sample_count()
            )));
        }
        if let Some(c) = &self.ctts {
            let n: u64 = c.entries.iter().map(|&(n, _)| u64::from(n)).sum();
            if n != samples {
                return Err(bad(format!("ctts describes {n} samples, stsz {samples}")));
            }
        }
        if let Some(s) = &self.stss {
            if let Some(&n) = s
                .samples
                .iter()
                .find(|&&n| n == 0 || u64::from(n) > samples)
            {
                return Err(bad(format!("stss names sample {n} of {samples}")));
            }
        }
        let chunks = self.stco.offsets.len() as u64;
        for e in &self.stsc.entries {
            if u64::from(e.first_chunk) > chunks {
                return Err(bad(format!(
                    "stsc first_chunk {} but only {chunks} chunks",
                    e.first_chunk
                )));
            }
            if e.sample_description_index == 0
                || e.sample_description_index as usize > self.entries.len()
            {
                return Err(bad(format!(
                    "sample description index {} out of range (stsd has {})",
                    e.sample_description_index,
                    self.entries.len()
                )));
            }
        }
        // The chunks must hold exactly the samples stsz lists: a samples_per_chunk that puts
        // more in them would lay later samples over other tracks' data.
        let mut implied = 0u64;
        for (k, e) in self.stsc.entries.iter().enumerate() {
            let next = self
                .stsc
                .entries
                .get(k + 1)
                .map_or(chunks + 1, |n| u64::from(n.first_chunk));
            let run = next.saturating_sub(u64::from(e.first_chunk));
            implied = implied.saturating_add(run.saturating_mul(u64::from(e.samples_per_chunk)));
        }
        // A last chunk holding fewer samples than its run says overlaps nothing (ffmpeg reads
        // such files): tolerated below one chunk's worth.
        let last_run = self
            .stsc
            .entries
            .last()
            .map_or(0, |e| u64::from(e.samples_per_chunk));
        if implied > samples && implied - samples >= last_run.max(1) {
            return Err(bad(format!(
                "stsc puts {implied} samples in {chunks} chunks, stsz lists {samples}"
            )));
        }
        // Walk the layout once: samples and chunks agree; count the samples inside the file.
        let mut cursor = SampleCursor::new(self);
        let mut n = 0u64;
        // Samples from the first one past the end: all of them past it when the file was cut
        // short. One inside the file after one outside is no cut but a broken table.
        let mut inside = None;
        while let Some(s) = cursor.next_sample(self) {
            let fits = s
                .offset
                .checked_add(u64::from(s.size))
                .is_some_and(|end| end <= file_len);
            match (fits, inside) {
                (false, None) => inside = Some((n, s)),
                (true, Some((k, first))) => {
                    return Err(bad(format!(
                        "sample {} at byte {} ({} bytes) lies past the end of the file ({file_len} bytes)",
                        k + 1,
                        first.offset,
                        first.size
                    )));
                }
                _ => {}
            }
            n += 1;
        }
        if n != samples {
            return Err(bad(format!(
                "the chunks hold {n} samples, stsz says {samples}"
            )));
        }
        Ok(inside.map_or(n, |(k, _)| k))
    }

    /// A sentence for a track whose samples run past the end of the file, or `None`.
    pub fn cut_short(&self) -> Option<String> {
        let all = self.stsz.count() as u64;
        (self.readable < all).then(|| {
            format!(
                "track {}: samples {}..{all} lie past the end of the file (cut short): {} samples lost",
                self.tkhd.track_id,
                self.readable + 1,
                all - self.readable
            )
        })
    }
}

/// One sample's place and times (media timescale, before the edit list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleRef {
    /// File offset.
    pub offset: u64,
    /// Bytes.
    pub size: u32,
    /// Decoding time.
    pub dts: i64,
    /// Composition offset (pts - dts).
    pub cts: i64,
    /// Duration.
    pub duration: u32,
    /// A sync sample.
    pub keyframe: bool,
}

/// Walks a track's samples in decoding order, run-length tables and all, with O(1) state (the
/// tables are passed to each call, so the cursor can live beside them).
#[derive(Clone, Debug)]
pub struct SampleCursor {
    sample: usize,
    dts: i64,
    stts_run: usize,
    stts_left: u32,
    ctts_run: usize,
    ctts_left: u32,
    stss_next: usize,
    chunk: usize,
    stsc_run: usize,
    in_chunk_left: u32,
    offset: u64,
}

impl SampleCursor {
    /// A cursor at the first sample of `t`.
    pub fn new(t: &TrackTables) -> SampleCursor {
        let mut c = SampleCursor {
            sample: 0,
            dts: 0,
            stts_run: 0,
            stts_left: t.stts.entries.first().map_or(0, |e| e.0),
            ctts_run: 0,
            ctts_left: t
                .ctts
                .as_ref()
                .and_then(|c| c.entries.first())
                .map_or(0, |e| e.0),
            stss_next: 0,
            chunk: 0,
            stsc_run: 0,
            in_chunk_left: 0,
            offset: 0,
        };
        c.enter_chunk(t);
        c
    }

    /// Samples per chunk for chunk index `chunk` (0-based).
    fn enter_chunk(&mut self, t: &TrackTables) {
        let entries = &t.stsc.entries;
        while self.stsc_run + 1 < entries.len()
            && entries[self.stsc_run + 1].first_chunk as usize <= self.chunk + 1
        {
            self.stsc_run += 1;
        }
        self.in_chunk_left = entries
            .get(self.stsc_run)
            .map_or(0, |e| e.samples_per_chunk);
        self.offset = t.stco.offsets.get(self.chunk).copied().unwrap_or(0);
    }

    /// The next sample that lies inside the file ([`TrackTables::readable`]): `None` at the
    /// cut of a file cut short.
    pub fn next_readable(&mut self, t: &TrackTables) -> Option<SampleRef> {
        if self.sample as u64 >= t.readable {
            return None;
        }
        self.next_sample(t)
    }

    /// The next sample, or `None` after the last (or when the tables run out).
    pub fn next_sample(&mut self, t: &TrackTables) -> Option<SampleRef> {
        if self.sample >= t.stsz.count() {
            return None;
        }
        // Skip chunks with no samples left (or none at all).
        let mut guard = 0;
        while self.in_chunk_left == 0 {
            self.chunk += 1;
            if self.chunk >= t.stco.offsets.len() {
                return None;
            }
            self.enter_chunk(t);
            guard += 1;
            if guard > t.stco.offsets.len() {
                return None;
            }
        }
        while self.stts_left == 0 {
            self.stts_run += 1;
            self.stts_left = t.stts.entries.get(self.stts_run)?.0;
        }
        let duration = t.stts.entries[self.stts_run].1;
        let cts = match &t.ctts {
            Some(c) => {
                while self.ctts_left == 0 {
                    self.ctts_run += 1;
                    self.ctts_left = c.entries.get(self.ctts_run)?.0;
                }
                self.ctts_left -= 1;
                c.entries[self.ctts_run].1
            }
            None => 0,
        };
        let keyframe = match &t.stss {
            None => true,
            Some(s) => {
                let number = self.sample as u32 + 1;
                if s.samples.get(self.stss_next) == Some(&number) {
                    self.stss_next += 1;
                    true
                } else {
                    false
                }
            }
        };
        let size = t.stsz.size(self.sample)?;
        let s = SampleRef {
            offset: self.offset,
            size,
            dts: self.dts,
            cts,
            duration,
            keyframe,
        };
        self.sample += 1;
        self.stts_left -= 1;
        self.dts += i64::from(duration);
        self.offset = self.offset.saturating_add(u64::from(size));
        self.in_chunk_left -= 1;
        Some(s)
    }
}

/// The raw configuration of an entry (for the codec config).
pub(crate) fn entry_config(e: &SampleEntry) -> Bytes {
    use super::boxes::sample_entry::SampleEntryKind;
    use crate::codec::{flac, opus};
    match &e.kind {
        SampleEntryKind::Visual {
            config: Some((_, b)),
            ..
        } => b.clone(),
        SampleEntryKind::Audio {
            esds: Some(esds), ..
        } => esds.decoder_specific.clone(),
        // The records in the form the packet model (and Enhanced FLV) keeps: OpusHead for
        // Opus, the STREAMINFO body for FLAC, dac3/dec3 as they are. One that does not
        // parse is kept raw.
        SampleEntryKind::Audio {
            config: Some((t, b)),
            ..
        } => match &t.0 {
            b"dOps" => opus::OpusHead::parse_dops(b)
                .map_or_else(|_| b.clone(), |h| Bytes::from(h.to_opus_head())),
            b"dfLa" => {
                flac::streaminfo_of_dfla(b).map_or_else(|_| b.clone(), Bytes::copy_from_slice)
            }
            _ => b.clone(),
        },
        _ => Bytes::new(),
    }
}
