//! `inspect` for F4V/MP4: the box tree with offsets and sizes, the tracks and their sample
//! tables, Adobe's HDS boxes.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::Result;
use crate::io::InputSource;
use crate::mp4::F4vDemuxer;
use crate::mp4::boxes::adobe::AdobeBox;
use crate::mp4::boxes::sample_entry::SampleEntryKind;
use crate::mp4::fragmented::{FragmentSummary, FragmentedExtras};
use crate::mp4::tree::BoxNode;

use super::{Span, TrackSummary, bit_rate, round_ms, span_secs, summarize_tracks};

/// Everything `muxkit inspect file.mp4` shows.
#[derive(Clone, Debug)]
pub struct Mp4Summary {
    /// The input's size.
    pub file_size: u64,
    /// `ftyp`: major brand and compatible brands.
    pub brands: Option<(String, Vec<String>)>,
    /// The box tree.
    pub tree: Vec<BoxNode>,
    /// Per track: (track id, handler, timescale, samples, sync samples, chunks, has ctts,
    /// edit list).
    pub tables: Vec<TableSummary>,
    /// The tracks as packets saw them.
    pub tracks: Vec<TrackSummary>,
    /// Adobe HDS boxes.
    pub adobe: Vec<(String, u64, String)>,
    /// Tracks skipped (handlers muxkit does not read).
    pub skipped: Vec<String>,
    /// Movie fragments, when the file is fragmented: one summary per `moof`, and the other
    /// boxes between them.
    pub fragments: Option<(Vec<FragmentSummary>, FragmentedExtras)>,
    /// What a conversion would also lose: a file cut short, damaged fragments.
    pub warnings: Vec<String>,
    /// The `mvhd` duration in seconds (0 when unknown, as in most fragmented files).
    pub mvhd_duration: f64,
}

/// Per `trak`: track id, mdhd language, hdlr name, pasp.
type TrackLabel = (u32, String, String, Option<(u32, u32)>);

/// Fragments listed one per line in the text view; the JSON view lists all.
const FRAGMENTS_LISTED: usize = 20;

/// One track's sample tables in numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSummary {
    /// `tkhd` track id.
    pub track_id: u32,
    /// `hdlr` handler type.
    pub handler: String,
    /// Sample entry format.
    pub format: String,
    /// `mdhd` timescale.
    pub timescale: u32,
    /// Samples.
    pub samples: u64,
    /// Sync samples (`None`: every sample, no `stss`).
    pub sync_samples: Option<u64>,
    /// Chunks.
    pub chunks: u64,
    /// A `ctts` is present.
    pub ctts: bool,
    /// Edits as (segment duration, media time).
    pub edits: Vec<(u64, i64)>,
}

fn node_json(n: &BoxNode) -> Value {
    let mut v = json!({
        "type": n.header.box_type.name(),
        "offset": n.header.offset,
        "size": n.header.size,
    });
    if !n.children.is_empty() {
        v["children"] = Value::Array(n.children.iter().map(node_json).collect());
    }
    v
}

fn node_text(n: &BoxNode, depth: usize, s: &mut String) {
    let _ = writeln!(
        s,
        "{:indent$}{} @{} size {}",
        "",
        n.header.box_type,
        n.header.offset,
        n.header.size,
        indent = 2 + depth * 2
    );
    for c in &n.children {
        node_text(c, depth + 1, s);
    }
}

impl Mp4Summary {
    /// Reads the whole input.
    pub fn read(src: InputSource) -> Result<Mp4Summary> {
        let mut d = F4vDemuxer::new(src)?;
        d.record_fragments();
        let file_size = d.data().len() as u64;
        let brands = d.ftyp().map(|f| {
            (
                f.major_brand.name(),
                f.compatible.iter().map(|b| b.name()).collect(),
            )
        });
        let tables = d
            .tables()
            .iter()
            .map(|t| TableSummary {
                track_id: t.tkhd.track_id,
                handler: t.hdlr.handler_type.name(),
                format: t
                    .entries
                    .first()
                    .map_or_else(String::new, |e| e.format.name()),
                timescale: t.mdhd.timescale,
                samples: t.stsz.count() as u64,
                sync_samples: t.stss.as_ref().map(|s| s.samples.len() as u64),
                chunks: t.stco.offsets.len() as u64,
                ctts: t.ctts.is_some(),
                edits: t
                    .elst
                    .as_ref()
                    .map(|e| {
                        e.edits
                            .iter()
                            .map(|e| (e.segment_duration, e.media_time))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let adobe = d
            .adobe_boxes()
            .iter()
            .map(|(h, a)| {
                let what = match a {
                    AdobeBox::Bootstrap { version, live, timescale, current_media_time, movie } => format!(
                        "bootstrap v{version}{}, timescale {timescale}, media time {current_media_time}, movie {movie:?}",
                        if *live { " live" } else { "" }
                    ),
                    AdobeBox::SegmentRuns(n) => format!("{n} segment runs"),
                    AdobeBox::FragmentRuns { timescale, entries } => format!("{entries} fragment runs, timescale {timescale}"),
                    AdobeBox::RandomAccess(n) => format!("{n} random access entries"),
                };
                (h.box_type.name(), h.offset, what)
            })
            .collect();
        let tree = d.tree().to_vec();
        let skipped = d.skipped_tracks().to_vec();
        let mvhd = d.mvhd();
        let mvhd_duration = if mvhd.timescale > 0 {
            mvhd.duration as f64 / f64::from(mvhd.timescale)
        } else {
            0.0
        };
        let labels: Vec<TrackLabel> = d
            .tables()
            .iter()
            .map(|t| {
                let lang = String::from_utf8_lossy(&t.mdhd.language).into_owned();
                let pasp = t.entries.first().and_then(|e| match e.kind {
                    SampleEntryKind::Visual { pasp, .. } => pasp,
                    _ => None,
                });
                (t.tkhd.track_id, lang, t.hdlr.name.clone(), pasp)
            })
            .collect();
        let mut tracks = summarize_tracks(&mut d)?;
        for t in &mut tracks {
            let label = labels.iter().find(|l| Some(l.0) == t.track.source_id);
            if let Some((_, lang, name, pasp)) = label {
                t.stated_sample_aspect_ratio = *pasp;
                t.language =
                    (lang != "und" && !lang.trim_matches('\0').is_empty()).then(|| lang.clone());
                let name = name.trim_matches('\0').trim();
                t.handler_name = (!name.is_empty()).then(|| name.to_owned());
            }
        }
        let mut warnings = d.warnings().to_vec();
        let fragments = d.fragments().map(|f| {
            warnings.extend(f.warnings.iter().cloned());
            (f.summaries.clone().unwrap_or_default(), f.extras.clone())
        });
        Ok(Mp4Summary {
            file_size,
            brands,
            tree,
            tables,
            tracks,
            adobe,
            skipped,
            fragments,
            warnings,
            mvhd_duration,
        })
    }

    /// What ffprobe gives as the duration of an unfragmented file: the `mvhd` duration,
    /// counted from time 0 (so it includes a late first frame) and after edit lists. (For a
    /// fragmented file it goes by the fragments too, as muxkit does.)
    pub fn ffprobe_duration(&self) -> Option<(f64, &'static str)> {
        (self.mvhd_duration > 0.0 && self.fragments.is_none())
            .then_some((self.mvhd_duration, "the mvhd duration, from time 0"))
    }

    /// Seconds from the earliest to the latest presented instant.
    pub fn duration_secs(&self) -> Option<f64> {
        span_secs(&self.tracks)
    }

    /// The JSON view, without the box tree.
    pub fn to_json(&self) -> Value {
        self.to_json_with(false)
    }

    /// The JSON view; the box tree (`boxes`) when `boxes`.
    pub fn to_json_with(&self, boxes: bool) -> Value {
        let mut v = self.json_body();
        if let Some(span) = Span::of(&self.tracks) {
            span.add_json(self.ffprobe_duration(), &mut v);
        }
        if boxes {
            v["boxes"] = Value::Array(self.tree.iter().map(node_json).collect());
        }
        v
    }

    fn json_body(&self) -> Value {
        json!({
            "format": "mp4",
            "file_size": self.file_size,
            "brands": self.brands.as_ref().map(|(m, c)| json!({ "major": m, "compatible": c })),
            "duration": self.duration_secs().map(round_ms),
            "start_time": null,
            "end_time": null,
            "duration_measures": null,
            "bit_rate": bit_rate(Some(self.file_size), self.duration_secs()),
            "sample_tables": self.tables.iter().map(|t| json!({
                "track_id": t.track_id,
                "handler": t.handler,
                "format": t.format,
                "timescale": t.timescale,
                "samples": t.samples,
                "sync_samples": t.sync_samples,
                "chunks": t.chunks,
                "ctts": t.ctts,
                "edits": t.edits.iter().map(|(d, m)| json!({ "segment_duration": d, "media_time": m })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "tracks": self.tracks.iter().map(TrackSummary::to_json).collect::<Vec<_>>(),
            "adobe": self.adobe.iter().map(|(t, o, w)| json!({ "type": t, "offset": o, "summary": w })).collect::<Vec<_>>(),
            "skipped_tracks": self.skipped,
            "fragments": self.fragments.as_ref().map(|(list, x)| json!({
                "count": list.len(),
                "list": list.iter().map(|f| json!({
                    "offset": f.offset,
                    "sequence_number": f.sequence_number,
                    "trafs": f.trafs.iter().map(|(id, n, t, d)| json!({
                        "track_id": id, "samples": n, "base_decode_time": t, "duration": d,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "styp": x.styp,
                "sidx": x.sidx.iter().map(|(o, n)| json!({ "offset": o, "references": n })).collect::<Vec<_>>(),
                "tfra": x.tfra.iter().map(|(t, n)| json!({ "track_id": t, "entries": n })).collect::<Vec<_>>(),
                "events": x.events.iter().map(|(o, e)| json!({
                    "offset": o,
                    "scheme_id_uri": e.scheme_id_uri,
                    "value": e.value,
                    "timescale": e.timescale,
                    "presentation_time": e.presentation_time,
                    "event_duration": e.event_duration,
                    "id": e.id,
                    "message_bytes": e.message_data.len(),
                })).collect::<Vec<_>>(),
                "events_dropped": x.events_dropped,
                "encrypted_trafs": x.encrypted_trafs,
                "undeclared_trafs": x.undeclared_trafs,
            })),
            "warnings": self.warnings,
        })
    }

    /// The human view, without the box tree.
    pub fn to_text(&self) -> String {
        self.to_text_with(false)
    }

    /// The human view: the tracks first; the box tree last when `boxes`.
    pub fn to_text_with(&self, boxes: bool) -> String {
        let mut s = String::new();
        let _ = write!(s, "format: mp4, {} bytes", self.file_size);
        if let Some((major, compat)) = &self.brands {
            let _ = write!(s, ", brand {major:?} (compatible {})", compat.join(" "));
        }
        let _ = writeln!(s);
        if let Some(span) = Span::of(&self.tracks) {
            let _ = write!(s, "duration: {}", span.text(self.ffprobe_duration()));
            if let Some(b) = bit_rate(Some(self.file_size), self.duration_secs()) {
                let _ = write!(s, ", bit rate: {} kb/s", (b + 500) / 1000);
            }
            let _ = writeln!(s);
        }
        for t in &self.tracks {
            let _ = writeln!(s, "{}", t.to_text());
        }
        for t in &self.tables {
            let sync = t
                .sync_samples
                .map_or_else(|| "all sync".to_owned(), |n| format!("{n} sync"));
            let _ = writeln!(
                s,
                "trak {} ({} {}): timescale {}, {} samples ({sync}), {} chunks{}{}",
                t.track_id,
                t.handler,
                t.format,
                t.timescale,
                t.samples,
                t.chunks,
                if t.ctts { ", ctts" } else { "" },
                if t.edits.is_empty() {
                    String::new()
                } else {
                    format!(", edits {:?}", t.edits)
                }
            );
        }
        if let Some((list, x)) = &self.fragments {
            fragments_text(list, x, &mut s);
        }
        for (t, o, w) in &self.adobe {
            let _ = writeln!(s, "adobe {t} @{o}: {w}");
        }
        for k in &self.skipped {
            let _ = writeln!(s, "skipped: {k}");
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "warnings: {}", self.warnings.len());
            for w in &self.warnings {
                let _ = writeln!(s, "  {w}");
            }
        }
        if boxes {
            let _ = writeln!(s, "boxes:");
            for n in &self.tree {
                node_text(n, 0, &mut s);
            }
        }
        s
    }
}

fn fragments_text(list: &[FragmentSummary], x: &FragmentedExtras, s: &mut String) {
    let samples: u64 = list
        .iter()
        .flat_map(|f| &f.trafs)
        .map(|t| u64::from(t.1))
        .sum();
    let _ = write!(s, "fragments: {} ({samples} samples)", list.len());
    if x.styp > 0 {
        let _ = write!(s, ", {} styp", x.styp);
    }
    if !x.sidx.is_empty() {
        let refs: usize = x.sidx.iter().map(|(_, n)| n).sum();
        let _ = write!(s, ", {} sidx ({refs} references)", x.sidx.len());
    }
    for (t, n) in &x.tfra {
        let _ = write!(s, ", tfra track {t}: {n} entries");
    }
    let _ = writeln!(s);
    for f in list.iter().take(FRAGMENTS_LISTED) {
        let trafs: Vec<String> = f
            .trafs
            .iter()
            .map(|(id, n, t, d)| format!("track {id}: {n} samples from {t} for {d}"))
            .collect();
        let _ = writeln!(
            s,
            "  moof #{} @{}: {}",
            f.sequence_number,
            f.offset,
            trafs.join("; ")
        );
    }
    if list.len() > FRAGMENTS_LISTED {
        let _ = writeln!(
            s,
            "  ... {} more (--json lists all)",
            list.len() - FRAGMENTS_LISTED
        );
    }
    for (o, e) in &x.events {
        let _ = writeln!(
            s,
            "emsg v{} @{o}: {} {:?}, time {}/{}, duration {}, id {}, {} bytes",
            e.version,
            e.scheme_id_uri,
            e.value,
            e.presentation_time,
            e.timescale,
            e.event_duration,
            e.id,
            e.message_data.len()
        );
    }
    if x.events_dropped > 0 {
        let _ = writeln!(s, "emsg: {} more not listed", x.events_dropped);
    }
    if x.encrypted_trafs > 0 {
        let _ = writeln!(s, "encrypted (senc): {} track fragments", x.encrypted_trafs);
    }
}
