//! The disk side of live publishes: HLS (and DASH, and the recording) written on a few
//! threads of their own, so no file write, rename or fsync ever runs on the event loop.
//!
//! Each stream name always goes to the same writer thread (by a hash of the name), so a
//! republish is written after the end of the publish before it, and the jobs of one publish
//! stay in order. The queue to each thread is bounded: a disk that cannot keep up slows the
//! publishers' reads (TCP pushes back), it does not fill memory.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

use crate::dash::{CmafOptions, CmafSegmenter};
use crate::error::{Error, Result};
use crate::flv::{FlvMuxOptions, FlvMuxer};
use crate::hls::{DirectoryStore, HlsOptions, HlsResume, HlsSegmenter, PlaylistType};
use crate::io::{AtomicFile, BlockWriter};
use crate::media::{Muxer, Packet, Track};

use super::events::IngestEventKind;
use super::origin::Shared;
use super::store::{CountingStore, OriginStore};

/// Jobs a writer thread may have waiting before a publisher's task waits for room.
const WRITER_QUEUE: usize = 4096;

/// Work for a writer thread.
pub(crate) enum WriterJob {
    /// A publish of `name` started on connection `id`.
    Start {
        id: u64,
        name: String,
        peer: SocketAddr,
        failed: Arc<AtomicBool>,
    },
    /// Packets of publish `id`, with its tracks when they changed.
    Packets {
        id: u64,
        tracks: Option<Vec<Track>>,
        packets: Vec<Packet>,
    },
    /// Publish `id` ended; `done` is told when its playlist has its ENDLIST.
    End {
        id: u64,
        reason: String,
        done: Option<oneshot::Sender<()>>,
    },
}

/// The writer threads.
pub(crate) struct WriterPool {
    senders: Vec<mpsc::Sender<WriterJob>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl WriterPool {
    /// `threads` writer threads.
    pub(crate) fn start(threads: usize, shared: &Arc<Shared>) -> Result<WriterPool> {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let (tx, mut rx) = mpsc::channel::<WriterJob>(WRITER_QUEUE);
            let shared = Arc::clone(shared);
            let handle = std::thread::Builder::new()
                .name(format!("muxkit-writer-{i}"))
                .spawn(move || {
                    let mut writer = Writer {
                        shared,
                        publishes: HashMap::new(),
                    };
                    while let Some(job) = rx.blocking_recv() {
                        writer.run(job);
                    }
                    // Every sender is gone (the server stopped): end what is still open.
                    let ids: Vec<u64> = writer.publishes.keys().copied().collect();
                    for id in ids {
                        writer.end(id, "server stopping");
                    }
                })
                .map_err(|source| Error::Io {
                    context: "starting a writer thread",
                    source,
                })?;
            senders.push(tx);
            handles.push(handle);
        }
        Ok(WriterPool {
            senders,
            threads: handles,
        })
    }

    /// Lets the threads finish what they were given (once every other sender is gone too)
    /// and waits for them, up to `grace`.
    pub(crate) fn join(self, grace: std::time::Duration) {
        drop(self.senders);
        let deadline = std::time::Instant::now() + grace;
        for t in self.threads {
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }

    /// The queue of the thread that writes `name`.
    pub(crate) fn for_name(&self, name: &str) -> mpsc::Sender<WriterJob> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        name.hash(&mut h);
        let i = (h.finish() % self.senders.len() as u64) as usize;
        self.senders[i].clone()
    }
}

type LiveStore = CountingStore;

/// What one publish writes.
struct Publish {
    name: String,
    peer: SocketAddr,
    failed: Arc<AtomicBool>,
    live: HlsSegmenter<LiveStore>,
    /// Where the live HLS goes (a switch to fMP4 starts a segmenter on it again).
    live_store: LiveStore,
    /// The live DASH presentation, with `--dash`.
    dash: Option<CmafSegmenter<LiveStore>>,
    /// Packets written into the live HLS so far (its segment format can still change
    /// while there are none).
    live_written: u64,
    record: Option<(FlvMuxer<AtomicFile>, HlsSegmenter<DirectoryStore>)>,
    tracks: Vec<Track>,
    declared: usize,
    /// Per declared track: written into the live HLS (the others were named when declared).
    live_carried: Vec<bool>,
    /// Per declared track: written into the recording's HLS.
    record_carried: Vec<bool>,
}

struct Writer {
    shared: Arc<Shared>,
    publishes: HashMap<u64, Publish>,
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `hls` with fMP4 segments (and their default names).
fn fmp4_options(hls: &mut HlsOptions) {
    use crate::hls::HlsSegmentType;
    hls.segment_type = HlsSegmentType::Fmp4;
    if hls.segment_pattern == HlsSegmentType::MpegTs.default_pattern() {
        hls.segment_pattern = HlsSegmentType::Fmp4.default_pattern().to_owned();
    }
}

impl Writer {
    fn emit(&self, peer: SocketAddr, kind: IngestEventKind) {
        self.shared.emit(peer, kind);
    }

    fn run(&mut self, job: WriterJob) {
        match job {
            WriterJob::Start {
                id,
                name,
                peer,
                failed,
            } => match self.start(&name, peer, failed) {
                Ok(p) => {
                    self.publishes.insert(id, p);
                }
                Err(e) => {
                    self.emit(
                        peer,
                        IngestEventKind::Error {
                            message: format!("{name}: {e}"),
                        },
                    );
                    self.shared.free_name(&name, id);
                }
            },
            WriterJob::Packets {
                id,
                tracks,
                packets,
            } => {
                let Some(p) = self.publishes.get_mut(&id) else {
                    return;
                };
                if let Some(t) = tracks {
                    p.tracks = t;
                }
                let mut notes = Vec::new();
                let result = write_packets(p, &self.shared.options.hls, &packets, &mut notes);
                let peer = p.peer;
                for message in notes {
                    self.emit(peer, IngestEventKind::Warning { message });
                }
                if let Err(e) = result {
                    if let Some(p) = self.publishes.get(&id) {
                        p.failed.store(true, Ordering::SeqCst);
                        let name = p.name.clone();
                        self.emit(
                            peer,
                            IngestEventKind::Error {
                                message: format!("{name}: {e}"),
                            },
                        );
                    }
                    self.end(id, &format!("error: {e}"));
                }
            }
            WriterJob::End { id, reason, done } => {
                self.end(id, &reason);
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
        }
    }

    /// The store of `APP/STREAM[/sub]`: a folder under `--out`, or memory.
    fn store(&self, name: &str, sub: Option<&str>) -> Result<LiveStore> {
        let store = match &self.shared.options.out_dir {
            Some(out) => {
                let mut dir = out.join(name);
                if let Some(sub) = sub {
                    dir.push(sub);
                }
                std::fs::create_dir_all(&dir).map_err(|source| Error::File {
                    path: dir.clone(),
                    source,
                })?;
                // Segments a killed process was writing when it died.
                crate::io::remove_stale_temporaries(&dir, None);
                OriginStore::Disk(DirectoryStore::new(&dir))
            }
            None => OriginStore::Memory {
                files: Arc::clone(&self.shared.served),
                prefix: match sub {
                    Some(sub) => format!("{name}/{sub}/"),
                    None => format!("{name}/"),
                },
            },
        };
        Ok(CountingStore {
            store,
            segments: Arc::clone(&self.shared.metrics.segments),
        })
    }

    fn start(&self, name: &str, peer: SocketAddr, failed: Arc<AtomicBool>) -> Result<Publish> {
        let options = &self.shared.options;
        let live_store = self.store(name, None)?;
        let dir = live_store.dir();
        // This process's own record of the name, or what a previous process (a crash, a
        // restart) left in the folder: either way the playlist carries on.
        let previous = self
            .shared
            .history
            .lock()
            .ok()
            .and_then(|mut h| h.remove(name))
            .or_else(|| {
                let hls = &options.hls;
                dir.as_ref().and_then(|d| {
                    HlsResume::from_folder(d, &hls.playlist_name, &hls.segment_pattern)
                })
            });
        let republish = previous.is_some();
        let mut hls = options.hls.clone();
        if previous.as_ref().is_some_and(HlsResume::uses_fmp4) {
            // An EXT-X-MAP applies until the next one: a playlist of fMP4 segments goes on
            // in fMP4.
            fmp4_options(&mut hls);
        }
        let mut live = HlsSegmenter::new(live_store.clone(), hls);
        if let Some(p) = previous {
            live.resume(p);
        }
        let record = match (&dir, options.record) {
            (Some(dir), true) => Some(self.start_record(dir)?),
            _ => None,
        };
        let dash = if options.dash {
            let hls = &options.hls;
            Some(CmafSegmenter::new(
                self.store(name, Some("dash"))?,
                CmafOptions {
                    target_duration: hls.target_duration,
                    mpd_name: Some("manifest.mpd".into()),
                    hls_name: None,
                    live_window: Some(if hls.playlist_type == PlaylistType::Live {
                        hls.list_size
                    } else {
                        usize::MAX
                    }),
                },
            ))
        } else {
            None
        };
        let playlist = match &dir {
            Some(d) => d.join(&options.hls.playlist_name),
            None => PathBuf::from(format!("{name}/{}", options.hls.playlist_name)),
        };
        self.emit(
            peer,
            IngestEventKind::Publishing {
                name: name.to_owned(),
                playlist,
                republish,
            },
        );
        Ok(Publish {
            name: name.to_owned(),
            peer,
            failed,
            live,
            live_store,
            dash,
            live_written: 0,
            record,
            tracks: Vec::new(),
            declared: 0,
            live_carried: Vec::new(),
            record_carried: Vec::new(),
        })
    }

    fn start_record(
        &self,
        dir: &Path,
    ) -> Result<(FlvMuxer<AtomicFile>, HlsSegmenter<DirectoryStore>)> {
        let stamp = unix_secs();
        let flv = AtomicFile::create(&dir.join(format!("record_{stamp}.flv")))?;
        let vod_dir = dir.join(format!("record_{stamp}"));
        std::fs::create_dir_all(&vod_dir).map_err(|source| Error::File {
            path: vod_dir.clone(),
            source,
        })?;
        let vod = HlsSegmenter::new(
            DirectoryStore::new(&vod_dir),
            HlsOptions {
                playlist_type: PlaylistType::Vod,
                ..self.shared.options.hls.clone()
            },
        );
        Ok((
            FlvMuxer::with_writer(BlockWriter::new(flv), FlvMuxOptions::default()),
            vod,
        ))
    }

    /// Ends publish `id`, if any: ENDLIST on the live playlist, the recording committed, the
    /// name freed and its playlist kept to carry on at a republish.
    fn end(&mut self, id: u64, reason: &str) {
        let Some(mut p) = self.publishes.remove(&id) else {
            return;
        };
        let mut outcome = reason.to_owned();
        if let Err(e) = p.live.finish() {
            outcome = format!("{reason}; finishing the playlist failed: {e}");
        }
        if let Some(mut dash) = p.dash.take() {
            if let Err(e) = dash.finish() {
                outcome = format!("{outcome}; finishing the dash presentation failed: {e}");
            }
        }
        if let Some((mut flv, mut vod)) = p.record.take() {
            let done = flv
                .finish()
                .and_then(|_| flv.into_inner())
                .and_then(AtomicFile::commit)
                .and_then(|_| vod.finish());
            if let Err(e) = done {
                outcome = format!("{outcome}; the recording failed: {e}");
            }
        }
        if let Ok(mut h) = self.shared.history.lock() {
            h.insert(p.name.clone(), p.live.resume_state());
        }
        self.shared.free_name(&p.name, id);
        self.emit(
            p.peer,
            IngestEventKind::Unpublished {
                name: p.name.clone(),
                reason: outcome,
            },
        );
        self.shared.unpublished(&p.name, p.peer);
    }
}

/// Replaces the live TS segmenter of `p` (nothing written yet) by an fMP4 one when `t` is a
/// codec only fMP4 carries, re-declaring the tracks declared so far; the note to log.
fn switch_to_fmp4(p: &mut Publish, hls: &HlsOptions, index: usize) -> Result<Option<String>> {
    use crate::hls::HlsSegmentType;
    use crate::media::Codec;
    let t = &p.tracks[index];
    if hls.segment_type != HlsSegmentType::MpegTs
        || !matches!(
            t.codec.codec,
            Codec::Av1 | Codec::Vp9 | Codec::Opus | Codec::Flac
        )
    {
        return Ok(None);
    }
    let mut options = hls.clone();
    fmp4_options(&mut options);
    let mut live = HlsSegmenter::new(p.live_store.clone(), options);
    live.resume(p.live.resume_state());
    for (i, carried) in p.live_carried.iter().enumerate() {
        if *carried {
            live.add_track(&p.tracks[i])?;
        }
    }
    p.live = live;
    Ok(Some(format!(
        "track {}: ts segments cannot carry {}: this publish writes fmp4 segments (init.mp4 and .m4s)",
        t.id, t.codec.codec
    )))
}

/// Writes `packets` into every output of `p`, declaring new tracks as they come.
fn write_packets(
    p: &mut Publish,
    hls: &HlsOptions,
    packets: &[Packet],
    not_carried: &mut Vec<String>,
) -> Result<()> {
    for packet in packets {
        while p.declared < p.tracks.len() && p.declared <= packet.track as usize {
            let index = p.declared;
            // AV1, VP9, Opus and FLAC have no TS carriage players read: a publish that
            // brings one before any packet was written switches to fMP4 segments.
            if p.live_written == 0 && p.live.refusal(&p.tracks[index]).is_some() {
                if let Some(note) = switch_to_fmp4(p, hls, index)? {
                    not_carried.push(note);
                }
            }
            let t = &p.tracks[index];
            // What the live segments cannot carry (script data, a codec TS has no stream
            // type for) is named once, as convert names it, and left out.
            match p.live.refusal(t) {
                Some(reason) => {
                    not_carried.push(format!(
                        "track {}: {} {} not carried in the live hls: {reason}",
                        t.id, t.kind, t.codec.codec
                    ));
                    p.live_carried.push(false);
                }
                None => {
                    p.live.add_track(t)?;
                    p.live_carried.push(true);
                }
            }
            if let Some(dash) = p.dash.as_mut() {
                match dash.refusal(t) {
                    Some(reason) => not_carried.push(format!(
                        "track {}: {} {} not carried in the live dash: {reason}",
                        t.id, t.kind, t.codec.codec
                    )),
                    None => dash.add_track(t)?,
                }
            }
            if let Some((flv, vod)) = p.record.as_mut() {
                flv.add_track(t)?;
                // The recording's HLS has the live one's rules (its TS segments may not
                // carry what a switched live HLS does: named, left out of it).
                let mut recorded = false;
                if p.live_carried.last() == Some(&true) {
                    match vod.refusal(t) {
                        None => {
                            vod.add_track(t)?;
                            recorded = true;
                        }
                        Some(reason) => not_carried.push(format!(
                            "track {}: {} {} not carried in the recording's hls: {reason}",
                            t.id, t.kind, t.codec.codec
                        )),
                    }
                }
                p.record_carried.push(recorded);
            }
            p.declared += 1;
        }
        if p.live_carried.get(packet.track as usize) == Some(&true) {
            p.live.write_packet(packet)?;
            p.live_written += 1;
        }
        if let Some(dash) = p.dash.as_mut() {
            // The DASH presentation failing (a mid-stream codec change) ends it, not the
            // publish or its HLS.
            if let Err(e) = dash.write_packet(packet) {
                not_carried.push(format!("the live dash presentation stopped: {e}"));
                p.dash = None;
            }
        }
        if let Some((flv, vod)) = p.record.as_mut() {
            flv.write_packet(packet)?;
            if p.record_carried.get(packet.track as usize) == Some(&true) {
                vod.write_packet(packet)?;
            }
        }
    }
    Ok(())
}
