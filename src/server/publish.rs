//! What one live publish writes: the live HLS (and DASH), and with `--record` the whole
//! stream as FLV and a VOD playlist. The segmenters run on the connection's event loop (muxing
//! is CPU work); their files go to a writer thread ([`super::file_writer`]) or to memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::dash::{CmafOptions, CmafSegmenter};
use crate::error::{Error, Result};
use crate::flv::{FlvMuxOptions, FlvMuxer};
use crate::hls::{HlsOptions, HlsResume, HlsSegmenter, PlaylistType};
use crate::io::{AtomicFile, BlockWriter};
use crate::media::{Muxer, Packet, Track};

use super::file_writer::{FileQueue, QueuedStore};
use super::origin::Shared;
use super::store::{CountingStore, OriginStore};

type LiveStore = CountingStore;

/// The recording: FLV through a write-behind thread of its own (its muxer seeks back at the
/// end to write the duration and keyframe index), and a VOD playlist.
type Recording = (FlvMuxer<AtomicFile>, HlsSegmenter<LiveStore>);

/// One publish's outputs.
pub(crate) struct Publish {
    pub(crate) name: String,
    /// The disk writer's queue, when on disk.
    pub(crate) files: Option<FileQueue>,
    /// Folders whose playlists it rewrites (their swap files go at the end).
    dirs: Vec<PathBuf>,
    live: HlsSegmenter<LiveStore>,
    /// Where the live HLS goes (a switch to fMP4 starts a segmenter on it again).
    live_store: LiveStore,
    dash: Option<CmafSegmenter<LiveStore>>,
    /// Packets written into the live HLS so far (its segment format can still change
    /// while there are none).
    live_written: u64,
    record: Option<Recording>,
    declared: usize,
    /// Per declared track: written into the live HLS (the others were named when declared).
    live_carried: Vec<bool>,
    /// Per declared track: written into the recording's HLS.
    record_carried: Vec<bool>,
}

/// What starting a publish found.
pub(crate) struct Started {
    pub(crate) publish: Publish,
    pub(crate) playlist: PathBuf,
    pub(crate) republish: bool,
}

/// `hls` with fMP4 segments (and their default names).
fn fmp4_options(hls: &mut HlsOptions) {
    use crate::hls::HlsSegmentType;
    hls.segment_type = HlsSegmentType::Fmp4;
    if hls.segment_pattern == HlsSegmentType::MpegTs.default_pattern() {
        hls.segment_pattern = HlsSegmentType::Fmp4.default_pattern().to_owned();
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the folder work at the start found (done off the event loop).
struct Prepared {
    previous: Option<HlsResume>,
    record: Option<(AtomicFile, PathBuf)>,
}

/// Creates the stream's folders, removes what a killed process left, reads a playlist to
/// carry on, and opens the recording: the blocking part of a start.
fn prepare(
    dir: PathBuf,
    hls: HlsOptions,
    dash: bool,
    record: bool,
    look_back: bool,
) -> Result<Prepared> {
    let mkdir = |d: &PathBuf| {
        std::fs::create_dir_all(d).map_err(|source| Error::File {
            path: d.clone(),
            source,
        })
    };
    mkdir(&dir)?;
    // Segments a killed process was writing when it died.
    crate::io::remove_stale_temporaries(&dir, None);
    if dash {
        let d = dir.join("dash");
        mkdir(&d)?;
        crate::io::remove_stale_temporaries(&d, None);
    }
    let previous = if look_back {
        HlsResume::from_folder(&dir, &hls.playlist_name, &hls.segment_pattern)
    } else {
        None
    };
    let record = if record {
        let stamp = unix_secs();
        let flv = AtomicFile::create(&dir.join(format!("record_{stamp}.flv")))?;
        let vod = dir.join(format!("record_{stamp}"));
        mkdir(&vod)?;
        Some((flv, vod))
    } else {
        None
    };
    Ok(Prepared { previous, record })
}

/// A publish into a bucket: its prefix, the playlist to carry on and the version of it read.
#[cfg(feature = "s3")]
struct BucketStart {
    prefix: crate::store::ObjectUrl,
    previous: Option<HlsResume>,
    versions: std::collections::HashMap<String, object_store::UpdateVersion>,
}

/// Reads back the stream's playlist (and the init segment its last segments use) from the
/// bucket, off the event loop.
#[cfg(feature = "s3")]
async fn bucket_start(
    prefix: crate::store::ObjectUrl,
    hls: HlsOptions,
    node: String,
) -> Result<BucketStart> {
    tokio::task::spawn_blocking(move || {
        use crate::store::LiveObjectStore;
        let name = &hls.playlist_name;
        // Read it and take it over in one step: if the node that had the stream writes it in
        // between (its last segment), read it again.
        for _ in 0..5 {
            let Some(stored) = LiveObjectStore::read_playlist(&prefix, name)? else {
                return Ok(BucketStart {
                    prefix,
                    previous: None,
                    versions: Default::default(),
                });
            };
            let Some(claimed) = LiveObjectStore::claim_playlist(&prefix, name, &stored, &node)?
            else {
                continue;
            };
            let previous = HlsResume::from_playlist(&stored.text, 0, |init| {
                crate::store::read_small(&prefix.join(init))
                    .ok()
                    .flatten()
                    .map(|b| b.to_vec())
            });
            return Ok(BucketStart {
                prefix,
                previous,
                versions: [(name.clone(), claimed)].into_iter().collect(),
            });
        }
        Err(Error::Storage {
            url: prefix.join(name).to_string(),
            message: "the playlist kept changing while this node tried to take it over".into(),
            transient: true,
        })
    })
    .await
    .map_err(|e| Error::InvalidInput(format!("reading the playlist back: {e}")))?
}

impl Publish {
    /// Starts the outputs of `name`; the folder work runs on a blocking thread.
    pub(crate) async fn start(shared: &Arc<Shared>, name: &str) -> Result<Started> {
        let options = &shared.options;
        // This process's own record of the name, or what a previous process (a crash, a
        // restart) left in the folder: either way the playlist carries on.
        let remembered = shared.history.lock().ok().and_then(|mut h| h.remove(name));
        // In a bucket the playlist is read back every time: another node may have carried
        // the stream on since this one last had it.
        #[cfg(feature = "s3")]
        let remembered = remembered.filter(|_| options.out_bucket.is_none());
        #[cfg(feature = "s3")]
        let mut bucket = match &options.out_bucket {
            Some(prefix) => Some(
                bucket_start(
                    prefix.join(name),
                    options.hls.clone(),
                    options.node_id.clone().unwrap_or_default(),
                )
                .await?,
            ),
            None => None,
        };
        #[cfg(feature = "s3")]
        let from_bucket = bucket.as_mut().and_then(|b| b.previous.take());
        let counting = |store| CountingStore {
            store,
            segments: Arc::clone(&shared.metrics.segments),
        };
        let (files, prepared, dir) = match &options.out_dir {
            Some(out) => {
                let dir = out.join(name);
                let files = shared
                    .file_queue(name)
                    .ok_or_else(|| Error::InvalidInput("the server is stopping".into()))?;
                let (d, hls) = (dir.clone(), options.hls.clone());
                let (dash, record, look_back) =
                    (options.dash, options.record, remembered.is_none());
                let prepared =
                    tokio::task::spawn_blocking(move || prepare(d, hls, dash, record, look_back))
                        .await
                        .map_err(|e| Error::InvalidInput(format!("starting {name}: {e}")))??;
                (Some(files), prepared, Some(dir))
            }
            None => (
                None,
                Prepared {
                    previous: None,
                    record: None,
                },
                None,
            ),
        };
        let store_at = |sub: Option<&str>| -> LiveStore {
            #[cfg(feature = "s3")]
            if let Some(b) = &bucket {
                let prefix = sub.map_or_else(|| b.prefix.clone(), |s| b.prefix.join(s));
                let versions = if sub.is_none() {
                    b.versions.clone()
                } else {
                    Default::default()
                };
                return counting(OriginStore::Bucket(crate::store::LiveObjectStore::new(
                    prefix, versions,
                )));
            }
            match (&dir, &files) {
                (Some(dir), Some(files)) => {
                    let d = sub.map_or_else(|| dir.clone(), |s| dir.join(s));
                    counting(OriginStore::Disk(QueuedStore::new(&d, files.clone())))
                }
                _ => counting(OriginStore::Memory {
                    files: Arc::clone(&shared.served),
                    prefix: match sub {
                        Some(sub) => format!("{name}/{sub}/"),
                        None => format!("{name}/"),
                    },
                }),
            }
        };
        if options.out_dir.is_none() {
            shared.served.resumed(name);
        }
        let previous = remembered.or(prepared.previous);
        #[cfg(feature = "s3")]
        let previous = previous.or(from_bucket);
        let republish = previous.is_some();
        let mut hls = options.hls.clone();
        if previous.as_ref().is_some_and(HlsResume::uses_fmp4) {
            // An EXT-X-MAP applies until the next one: a playlist of fMP4 segments goes on
            // in fMP4.
            fmp4_options(&mut hls);
        }
        let live_store = store_at(None);
        let mut live = HlsSegmenter::new(live_store.clone(), hls);
        if let Some(p) = previous {
            live.resume(p);
        }
        let mut dirs: Vec<PathBuf> = dir.iter().cloned().collect();
        if options.dash {
            dirs.extend(dir.as_ref().map(|d| d.join("dash")));
        }
        if let Some((_, vod)) = &prepared.record {
            dirs.push(vod.clone());
        }
        let record = prepared.record.map(|(flv, vod_dir)| {
            let vod = HlsSegmenter::new(
                match &files {
                    Some(f) => counting(OriginStore::Disk(QueuedStore::new(&vod_dir, f.clone()))),
                    None => store_at(Some("record")),
                },
                HlsOptions {
                    playlist_type: PlaylistType::Vod,
                    ..options.hls.clone()
                },
            );
            (
                FlvMuxer::with_writer(BlockWriter::write_behind(flv), FlvMuxOptions::default()),
                vod,
            )
        });
        let dash = options.dash.then(|| {
            let hls = &options.hls;
            CmafSegmenter::new(
                store_at(Some("dash")),
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
            )
        });
        let playlist = match &dir {
            Some(d) => d.join(&options.hls.playlist_name),
            None => PathBuf::from(format!("{name}/{}", options.hls.playlist_name)),
        };
        #[cfg(feature = "s3")]
        let playlist = match &bucket {
            Some(b) => PathBuf::from(b.prefix.join(&options.hls.playlist_name).to_string()),
            None => playlist,
        };
        Ok(Started {
            publish: Publish {
                name: name.to_owned(),
                files,
                dirs,
                live,
                live_store,
                dash,
                live_written: 0,
                record,
                declared: 0,
                live_carried: Vec::new(),
                record_carried: Vec::new(),
            },
            playlist,
            republish,
        })
    }

    /// A writer thread's failure (or the bucket's), if any.
    pub(crate) fn failure(&self) -> Option<String> {
        #[cfg(feature = "s3")]
        if let OriginStore::Bucket(b) = &self.live_store.store {
            return b.failure();
        }
        self.files.as_ref().and_then(|f| f.status.failure())
    }

    /// Replaces the live TS segmenter (nothing written yet) by an fMP4 one when track `index`
    /// is a codec only fMP4 carries, re-declaring the tracks declared so far; the note to log.
    fn switch_to_fmp4(
        &mut self,
        hls: &HlsOptions,
        tracks: &[Track],
        index: usize,
    ) -> Result<Option<String>> {
        use crate::hls::HlsSegmentType;
        use crate::media::Codec;
        let t = &tracks[index];
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
        let mut live = HlsSegmenter::new(self.live_store.clone(), options);
        live.resume(self.live.resume_state());
        for (i, carried) in self.live_carried.iter().enumerate() {
            if *carried {
                live.add_track(&tracks[i])?;
            }
        }
        self.live = live;
        Ok(Some(format!(
            "track {}: ts segments cannot carry {}: this publish writes fmp4 segments (init.mp4 and .m4s)",
            t.id, t.codec.codec
        )))
    }

    /// Writes `packets` into every output, declaring new tracks (of `tracks`) as they come;
    /// what is left out is added to `notes`.
    pub(crate) fn write(
        &mut self,
        hls: &HlsOptions,
        tracks: &[Track],
        packets: &[Packet],
        notes: &mut Vec<String>,
    ) -> Result<()> {
        for packet in packets {
            while self.declared < tracks.len() && self.declared <= packet.track as usize {
                self.declare(hls, tracks, notes)?;
            }
            if self.live_carried.get(packet.track as usize) == Some(&true) {
                self.live.write_packet(packet)?;
                self.live_written += 1;
            }
            if let Some(dash) = self.dash.as_mut() {
                // The DASH presentation failing (a mid-stream codec change) ends it, not the
                // publish or its HLS.
                if let Err(e) = dash.write_packet(packet) {
                    notes.push(format!("the live dash presentation stopped: {e}"));
                    self.dash = None;
                }
            }
            if let Some((flv, vod)) = self.record.as_mut() {
                flv.write_packet(packet)?;
                if self.record_carried.get(packet.track as usize) == Some(&true) {
                    vod.write_packet(packet)?;
                }
            }
        }
        Ok(())
    }

    fn declare(
        &mut self,
        hls: &HlsOptions,
        tracks: &[Track],
        notes: &mut Vec<String>,
    ) -> Result<()> {
        let index = self.declared;
        // AV1, VP9, Opus and FLAC have no TS carriage players read: a publish that brings one
        // before any packet was written switches to fMP4 segments.
        if self.live_written == 0 && self.live.refusal(&tracks[index]).is_some() {
            if let Some(note) = self.switch_to_fmp4(hls, tracks, index)? {
                notes.push(note);
            }
        }
        let t = &tracks[index];
        // What the live segments cannot carry (script data, a codec TS has no stream type
        // for) is named once, as convert names it, and left out.
        match self.live.refusal(t) {
            Some(reason) => {
                notes.push(format!(
                    "track {}: {} {} not carried in the live hls: {reason}",
                    t.id, t.kind, t.codec.codec
                ));
                self.live_carried.push(false);
            }
            None => {
                self.live.add_track(t)?;
                self.live_carried.push(true);
            }
        }
        if let Some(dash) = self.dash.as_mut() {
            match dash.refusal(t) {
                Some(reason) => notes.push(format!(
                    "track {}: {} {} not carried in the live dash: {reason}",
                    t.id, t.kind, t.codec.codec
                )),
                None => dash.add_track(t)?,
            }
        }
        if let Some((flv, vod)) = self.record.as_mut() {
            flv.add_track(t)?;
            // The recording's HLS has the live one's rules (its TS segments may not carry
            // what a switched live HLS does: named, left out of it).
            let mut recorded = false;
            if self.live_carried.last() == Some(&true) {
                match vod.refusal(t) {
                    None => {
                        vod.add_track(t)?;
                        recorded = true;
                    }
                    Some(reason) => notes.push(format!(
                        "track {}: {} {} not carried in the recording's hls: {reason}",
                        t.id, t.kind, t.codec.codec
                    )),
                }
            }
            self.record_carried.push(recorded);
        }
        self.declared += 1;
        Ok(())
    }

    /// Ends every output (ENDLIST, the recording committed), waits until the writer thread has
    /// done it all, and keeps the playlist's state for a republish; the outcome to report.
    pub(crate) async fn finish(mut self, shared: &Arc<Shared>, reason: &str) -> String {
        let mut outcome = reason.to_owned();
        if let Err(e) = self.live.finish() {
            outcome = format!("{reason}; finishing the playlist failed: {e}");
        }
        if let Some(mut dash) = self.dash.take() {
            if let Err(e) = dash.finish() {
                outcome = format!("{outcome}; finishing the dash presentation failed: {e}");
            }
        }
        if let Some((mut flv, mut vod)) = self.record.take() {
            let vod_done = vod.finish();
            let flv_done = tokio::task::spawn_blocking(move || {
                flv.finish()
                    .and_then(|_| flv.into_inner())
                    .and_then(AtomicFile::commit)
            })
            .await
            .map_err(|e| Error::InvalidInput(e.to_string()))
            .and_then(|r| r);
            if let Err(e) = vod_done.and(flv_done) {
                outcome = format!("{outcome}; the recording failed: {e}");
            }
        }
        if let Some(files) = &self.files {
            for d in self.dirs.drain(..) {
                files.tidy(d);
            }
            files.barrier().await;
            if let Some(f) = files.status.failure() {
                outcome = format!("{outcome}; writing failed: {f}");
            }
        }
        // In a bucket: the last segments and the final playlist stored (or why not), waited
        // for off the loop's thread.
        #[cfg(feature = "s3")]
        let in_bucket = if let OriginStore::Bucket(b) = &self.live_store.store {
            if !b.flushed(super::SHUTDOWN_GRACE).await {
                outcome = format!("{outcome}; the bucket had not stored everything in time");
            }
            if let Some(f) = b.failure() {
                outcome = format!("{outcome}; storing failed: {f}");
            }
            true
        } else {
            false
        };
        #[cfg(not(feature = "s3"))]
        let in_bucket = false;
        // (In a bucket the playlist is read back at every publish: nothing to remember.)
        if let (Ok(mut h), false) = (shared.history.lock(), in_bucket) {
            h.insert(self.name.clone(), self.live.resume_state());
        }
        if self.files.is_none() && !in_bucket {
            // In memory, an ended stream's window stays for players that are finishing it (as
            // long as the window lasts, and a minute at least), then goes: names that come and
            // go do not fill memory.
            let hls = &shared.options.hls;
            let keep = Duration::from_secs_f64(
                (hls.target_duration * hls.list_size as f64 * 2.0).clamp(60.0, 3600.0),
            );
            let token = shared.served.ended(&self.name);
            let served = Arc::clone(&shared.served);
            let name = self.name.clone();
            tokio::spawn(async move {
                tokio::time::sleep(keep).await;
                served.expire(&name, token);
            });
        }
        outcome
    }
}
