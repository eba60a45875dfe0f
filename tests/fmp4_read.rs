#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Fragmented MP4 in: every layout ffmpeg's mp4 muxer writes (testdata/generate.sh,
//! `fmp4_fixtures`) read to the same packets, timestamps and frames as ffmpeg reads them, and
//! hand-damaged fragments salvaged with a warning naming the byte, never a panic.

mod common;

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use common::{TempDir, frame_hashes, have_ffmpeg, muxkit_bin, testdata};
use muxkit::inspect::mp4::Mp4Summary;
use muxkit::io::{InputSource, map_file};
use muxkit::media::Demuxer;
use muxkit::mp4::{F4vDemuxer, F4vReadOptions};

/// Every ffmpeg-made fragmented fixture (the AV1/Opus one needs ffmpeg 9, see its own test).
fn fixtures() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("fmp4_") && !n.contains("av1")
        })
        .collect();
    v.sort();
    assert!(v.len() >= 10, "{v:?}");
    v
}

/// Per stream, in decode order: (dts, pts, size, keyframe) as ffprobe reads them, times
/// counted from the stream's first decode time (ffmpeg does not apply the edit list of a
/// fragmented file; muxkit does, which moves a whole track).
fn ffprobe_packets(file: &Path) -> Vec<Vec<(i64, i64, usize, bool)>> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_packets", "-of", "compact=p=0:nk=1"])
        .args(["-show_entries", "packet=stream_index,dts,pts,size,flags"])
        .arg(file)
        .output()
        .unwrap();
    let mut streams: Vec<Vec<_>> = Vec::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = l.split('|').collect();
        let s: usize = f[0].parse().unwrap();
        if streams.len() <= s {
            streams.resize(s + 1, Vec::new());
        }
        streams[s].push((
            f[2].parse().unwrap(),
            f[1].parse().unwrap(),
            f[3].parse().unwrap(),
            f[4].starts_with('K'),
        ));
    }
    streams.iter_mut().for_each(|s| from_first(s));
    streams
}

fn from_first(s: &mut [(i64, i64, usize, bool)]) {
    let Some(first) = s.first().map(|p| p.0) else {
        return;
    };
    for p in s {
        p.0 -= first;
        p.1 -= first;
    }
}

fn read(data: Bytes, strict: bool) -> muxkit::Result<(F4vDemuxer, Vec<muxkit::media::Packet>)> {
    let mut d = F4vDemuxer::from_bytes_with(data, F4vReadOptions { strict })?;
    let mut packets = Vec::new();
    while let Some(p) = d.next_packet()? {
        packets.push(p);
    }
    Ok((d, packets))
}

fn per_track(
    d: &F4vDemuxer,
    packets: &[muxkit::media::Packet],
) -> Vec<Vec<(i64, i64, usize, bool)>> {
    (0..d.tracks().len())
        .map(|t| {
            packets
                .iter()
                .filter(|p| p.track as usize == t)
                .map(|p| (p.dts.0, p.pts.0, p.data.len(), p.flags.keyframe))
                .collect::<Vec<_>>()
        })
        .map(|mut v| {
            from_first(&mut v);
            v
        })
        .collect()
}

#[test]
fn every_ffmpeg_layout_reads_to_ffprobes_packets() {
    if !have_ffmpeg("every_ffmpeg_layout_reads_to_ffprobes_packets") {
        return;
    }
    for f in fixtures() {
        // ffmpeg's frag_every_frame file repeats audio decode times: read, and said.
        let odd = f.to_string_lossy().contains("every_frame");
        let (d, packets) = read(map_file(&f).unwrap(), !odd).unwrap();
        let ours = per_track(&d, &packets);
        let theirs = ffprobe_packets(&f);
        assert_eq!(ours.len(), theirs.len(), "{}", f.display());
        for (t, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a.len(), b.len(), "{} track {t}", f.display());
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                // ffmpeg calls every audio packet a keyframe too.
                assert_eq!(x, y, "{} track {t} packet {i}", f.display());
            }
        }
        assert_eq!(
            d.losses().is_empty(),
            !odd,
            "{}: {:?}",
            f.display(),
            d.losses()
        );
    }
}

#[test]
fn converted_to_flv_and_ts_they_decode_to_the_same_frames() {
    if !have_ffmpeg("converted_to_flv_and_ts_they_decode_to_the_same_frames") {
        return;
    }
    let tmp = TempDir::new("fmp4-read");
    for f in fixtures() {
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        for ext in ["flv", "ts"] {
            let out = tmp.path().join(format!("{stem}.{ext}"));
            let o = Command::new(muxkit_bin())
                .arg("convert")
                .arg(&f)
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{stem}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let stderr = String::from_utf8_lossy(&o.stderr);
            if stem == "fmp4_every_frame" {
                // ffmpeg's own frag_every_frame file repeats audio decode times (durations of
                // 0 ticks), and its decoder drops the repeats: muxkit keeps every packet and
                // says so; the packets are compared in the test above.
                assert!(
                    stderr.contains("does not pass the previous sample"),
                    "{stderr}"
                );
                continue;
            }
            assert!(stderr.is_empty(), "{stem}.{ext}: {stderr}");
            assert_eq!(frame_hashes(&out), frame_hashes(&f), "{stem}.{ext}");
        }
    }
}

#[test]
fn inspect_lists_fragments_and_the_boxes_between_them() {
    for name in ["fmp4_dash_sidx.mp4", "fmp4_hls_joined.mp4", "fmp4_isml.mp4"] {
        let s = Mp4Summary::read(InputSource::from_bytes(
            map_file(&testdata().join(name)).unwrap(),
        ))
        .unwrap();
        let (list, extras) = s.fragments.as_ref().expect("a fragmented file");
        assert!(list.len() >= 2, "{name}");
        let samples: u64 = list
            .iter()
            .flat_map(|f| &f.trafs)
            .map(|t| u64::from(t.1))
            .sum();
        let packets: u64 = s.tracks.iter().map(|t| t.packets).sum();
        assert_eq!(samples, packets, "{name}");
        if name == "fmp4_dash_sidx.mp4" {
            assert!(!extras.sidx.is_empty() && !extras.tfra.is_empty());
        }
        if name == "fmp4_hls_joined.mp4" {
            // ffmpeg's HLS segments each start with styp and sidx.
            assert!(extras.styp >= 2);
        }
        insta::assert_snapshot!(format!("inspect_{}", name.replace('.', "_")), s.to_text());
    }
}

// ---- hand-damaged fragments -------------------------------------------------------------

/// Top-level boxes as (offset, type, size).
fn top_level(d: &[u8]) -> Vec<(usize, [u8; 4], usize)> {
    let mut v = Vec::new();
    let mut pos = 0;
    while pos + 8 <= d.len() {
        let size = u32::from_be_bytes(d[pos..pos + 4].try_into().unwrap()) as usize;
        v.push((pos, d[pos + 4..pos + 8].try_into().unwrap(), size));
        if size < 8 {
            break;
        }
        pos += size;
    }
    v
}

/// The offset of the first box of type `t` at or after `from` (searching bytes).
fn find(d: &[u8], t: &[u8; 4], from: usize) -> usize {
    from + d[from..].windows(4).position(|w| w == t).unwrap() - 4
}

fn base() -> Vec<u8> {
    std::fs::read(testdata().join("fmp4_base_moof.mp4")).unwrap()
}

fn moofs(d: &[u8]) -> Vec<usize> {
    top_level(d)
        .into_iter()
        .filter(|b| &b.1 == b"moof")
        .map(|b| b.0)
        .collect()
}

fn all_samples() -> usize {
    read(base().into(), true).unwrap().1.len()
}

/// Reads leniently and strictly: lenient keeps what it can with a warning naming the damage,
/// strict fails naming it too. Returns (packets read, warnings).
fn damaged(d: Vec<u8>, needle: &str) -> (usize, Vec<String>) {
    let data = Bytes::from(d);
    let (demux, packets) = read(data.clone(), false).expect("lenient reading salvages");
    let warnings: Vec<String> = demux.losses().iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(|w| w.contains(needle)),
        "{needle:?} not in {warnings:?}"
    );
    let strict = read(data, true).map(|_| ()).unwrap_err().to_string();
    assert!(strict.contains(needle), "strict: {strict}");
    (packets.len(), warnings)
}

fn put_u32(d: &mut [u8], at: usize, v: u32) {
    d[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

#[test]
fn a_trun_count_its_box_cannot_hold_skips_that_fragment() {
    let mut d = base();
    let m = moofs(&d)[1];
    let trun = find(&d, b"trun", m);
    put_u32(&mut d, trun + 12, u32::MAX);
    let (n, w) = damaged(d, "sample_count 4294967295");
    assert!(n > 0 && n < all_samples(), "{n}");
    assert!(w.iter().any(|w| w.contains(&format!("{trun}"))), "{w:?}");
}

#[test]
fn data_offsets_outside_the_mdat_are_refused() {
    for (value, what) in [(-5000i32, "before"), (50_000_000, "past")] {
        let mut d = base();
        let m = moofs(&d)[0];
        let trun = find(&d, b"trun", m);
        put_u32(&mut d, trun + 16, value as u32);
        let (n, _) = damaged(d, "outside the mdat");
        assert!(n < all_samples(), "{what}: {n}");
    }
}

#[test]
fn a_tfdt_going_back_keeps_times_moving_forward() {
    let mut d = base();
    let m = moofs(&d)[1];
    let tfdt = find(&d, b"tfdt", m);
    // Version 1: the 64-bit time after version and flags.
    d[tfdt + 12..tfdt + 20].copy_from_slice(&0u64.to_be_bytes());
    let (n, _) = damaged(d.clone(), "does not pass the previous sample");
    assert_eq!(n, all_samples());
    let (demux, packets) = read(d.into(), false).unwrap();
    for t in 0..demux.tracks().len() {
        let dts: Vec<i64> = packets
            .iter()
            .filter(|p| p.track as usize == t)
            .map(|p| p.dts.0)
            .collect();
        assert!(dts.windows(2).all(|w| w[0] < w[1]), "track {t}: {dts:?}");
    }
}

#[test]
fn a_traf_of_an_undeclared_track_is_skipped_and_counted() {
    let mut d = base();
    let m = moofs(&d)[0];
    let tfhd = find(&d, b"tfhd", m);
    put_u32(&mut d, tfhd + 12, 9);
    let data = Bytes::from(d);
    let (demux, packets) = read(data.clone(), false).unwrap();
    assert!(packets.len() < all_samples());
    let losses: Vec<String> = demux.losses().iter().map(ToString::to_string).collect();
    assert!(
        losses
            .iter()
            .any(|l| l.contains("1 track fragments name a track_ID")),
        "{losses:?}"
    );
}

#[test]
fn a_sidx_claiming_65536_references_in_40_bytes_is_refused() {
    let d = base();
    let m = moofs(&d)[0];
    let mut sidx = vec![0, 0, 0, 40];
    sidx.extend_from_slice(b"sidx");
    sidx.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x3E, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    sidx.extend_from_slice(&[0, 0, 0xFF, 0xFF]);
    sidx.resize(40, 0);
    // Inserted before the first moof, whose data offsets count from itself (default-base-is-moof).
    let mut out = d[..m].to_vec();
    out.extend_from_slice(&sidx);
    out.extend_from_slice(&d[m..]);
    let (n, _) = damaged(out, "reference_count 65535");
    assert_eq!(n, all_samples());
}

#[test]
fn a_moof_inside_a_moof_is_refused() {
    let d = base();
    let m = moofs(&d)[0];
    let size = u32::from_be_bytes(d[m..m + 4].try_into().unwrap()) as usize;
    // The same moof with an empty moof appended inside it.
    let mut out = d[..m].to_vec();
    out.extend_from_slice(&(size as u32 + 8).to_be_bytes());
    out.extend_from_slice(&d[m + 4..m + size]);
    out.extend_from_slice(&[0, 0, 0, 8, b'm', b'o', b'o', b'f']);
    out.extend_from_slice(&d[m + size..]);
    damaged(out, "a moof inside a moof");
}

#[test]
fn composition_offsets_that_overflow_are_refused() {
    let mut d = base();
    let m = moofs(&d)[0];
    let tfdt = find(&d, b"tfdt", m);
    d[tfdt + 12..tfdt + 20].copy_from_slice(&(i64::MAX as u64 - 10).to_be_bytes());
    damaged(d, "overflow");
}

#[test]
fn an_mdat_of_size_0_in_the_middle_ends_where_the_next_fragment_starts() {
    let mut d = base();
    let boxes = top_level(&d);
    let mdat = boxes.iter().find(|b| &b.1 == b"mdat").unwrap().0;
    put_u32(&mut d, mdat, 0);
    let data = Bytes::from(d);
    let (demux, packets) = read(data, false).unwrap();
    assert_eq!(packets.len(), all_samples());
    let losses: Vec<String> = demux.losses().iter().map(ToString::to_string).collect();
    assert!(losses.iter().any(|l| l.contains("size 0")), "{losses:?}");
}

#[test]
fn an_emsg_claiming_4_gb_is_a_cut_end_not_an_allocation() {
    let d = base();
    let m = moofs(&d)[1];
    let mut out = d[..m].to_vec();
    out.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    out.extend_from_slice(b"emsg");
    out.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 1]);
    out.extend_from_slice(&d[m..]);
    let (n, _) = damaged(out, "cut short");
    // Everything before the emsg is read.
    assert!(n > 0 && n < all_samples());
}

#[test]
fn an_emsg_is_listed_as_timed_metadata_and_named_as_not_carried() {
    let d = base();
    let m = moofs(&d)[1];
    let mut e = vec![1, 0, 0, 0];
    e.extend_from_slice(&1000u32.to_be_bytes());
    e.extend_from_slice(&1500u64.to_be_bytes());
    e.extend_from_slice(&[0, 0, 0, 100, 0, 0, 0, 42]);
    e.extend_from_slice(b"urn:scte:scte35:2013:bin\0\0");
    e.extend_from_slice(&[0xFC, 0x30, 0x11]);
    let mut out = d[..m].to_vec();
    out.extend_from_slice(&(e.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(b"emsg");
    out.extend_from_slice(&e);
    out.extend_from_slice(&d[m..]);
    let data = Bytes::from(out);
    let (demux, packets) = read(data.clone(), true).unwrap();
    assert_eq!(packets.len(), all_samples());
    let losses: Vec<String> = demux.losses().iter().map(ToString::to_string).collect();
    assert!(
        losses.iter().any(|l| l.contains("1 event messages")),
        "{losses:?}"
    );
    let s = Mp4Summary::read(InputSource::from_bytes(data)).unwrap();
    let text = s.to_text();
    assert!(
        text.contains("emsg v1 @")
            && text.contains("urn:scte:scte35:2013:bin")
            && text.contains("id 42, 3 bytes"),
        "{text}"
    );
}

#[test]
fn a_cut_fmp4_keeps_every_sample_before_the_cut() {
    let d = base();
    let full = read(d.clone().into(), true).unwrap().1;
    let ms = moofs(&d);
    let cuts = [
        ms[1] + 20,               // inside the second moof: the first fragment whole
        ms[1] - 1000,             // inside the first mdat: its samples up to the cut
        mdat_end(&d) - 1,         // one byte short of the last sample
        top_level(&d)[1].0 + 100, // inside moov: nothing to read
    ];
    for cut in cuts {
        let data = Bytes::from(d[..cut].to_vec());
        match read(data.clone(), false) {
            Ok((_, packets)) => {
                assert!(packets.len() < full.len(), "cut {cut}");
                // Every packet read equals the uncut file's packet at the same place.
                for (a, b) in packets.iter().zip(&full) {
                    assert_eq!(
                        (a.dts, a.pts, &a.data),
                        (b.dts, b.pts, &b.data),
                        "cut {cut}"
                    );
                }
                assert!(read(data, true).is_err(), "strict refuses cut {cut}");
            }
            Err(e) => assert!(cut < ms[0], "cut {cut}: {e}"),
        }
    }
    // The cut inside the second moof keeps exactly the first fragment.
    let (_, p) = read(Bytes::from(d[..ms[1] + 20].to_vec()), false).unwrap();
    let s = Mp4Summary::read(InputSource::from_bytes(Bytes::from(d))).unwrap();
    let first: u32 = s.fragments.unwrap().0[0].trafs.iter().map(|t| t.1).sum();
    assert_eq!(p.len(), first as usize);
}

/// Where the last mdat ends (ffmpeg writes an mfra after it).
fn mdat_end(d: &[u8]) -> usize {
    let b = top_level(d)
        .into_iter()
        .rev()
        .find(|b| &b.1 == b"mdat")
        .unwrap();
    b.0 + b.2
}

#[test]
fn a_media_segment_alone_asks_for_its_init_segment() {
    let d = base();
    let m = moofs(&d)[0];
    let e = read(Bytes::from(d[m..].to_vec()), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("without its initialization segment"), "{e}");
}

#[test]
fn a_moof_describing_more_samples_than_the_limit_is_refused_whatever_their_size() {
    // A trun with no per-sample fields (every value from the defaults) claims 2^21 samples:
    // refused before any is walked, as many tiny truns or a skipped track's would be.
    let mut d = base();
    let m = moofs(&d)[0];
    let trun = find(&d, b"trun", m);
    // flags: data_offset only; sample_count 2^21.
    d[trun + 9..trun + 12].copy_from_slice(&[0, 0, 1]);
    put_u32(&mut d, trun + 12, 1 << 21);
    damaged(d, "exceeds the limit");
}
