#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Damaged recordings are salvaged by default, as ffmpeg does: everything readable, one
//! warning that says where the damage is and how much was lost, a complete output; `--strict`
//! fails instead. A file cut short at every tag boundary and inside tags, garbage spliced into
//! the middle, and each container muxkit reads.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use bytes::Bytes;
use common::{TempDir, drain, ffprobe_complaints, frame_hashes, have_ffmpeg, muxkit_bin, testdata};
use muxkit::Demuxer;
use muxkit::flv::{FlvDemuxer, FlvReadOptions, FlvTagReader};
use muxkit::io::InputSource;

fn run(args: &[&str]) -> Output {
    Command::new(muxkit_bin()).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// (offset, end of body, is a media tag that yields a packet) of every tag of an FLV.
fn tags(data: &Bytes) -> Vec<(u64, u64, bool)> {
    let mut r =
        FlvTagReader::new(InputSource::from_bytes(data.clone()), Default::default()).unwrap();
    let mut v = Vec::new();
    while let Some(t) = r.next_tag().unwrap() {
        // Media tags whose second body byte says "frame" (AVC/AAC packet type 1).
        let media = matches!(t.header.tag_type.0, 8 | 9) && t.body.get(1) == Some(&1);
        v.push((t.offset, t.offset + 11 + t.body.len() as u64, media));
    }
    v
}

#[test]
fn an_flv_cut_at_every_tag_boundary_and_inside_every_tag_gives_every_whole_tag() {
    let data = Bytes::from(std::fs::read(testdata().join("source.flv")).unwrap());
    let all = tags(&data);
    assert_eq!(all.len(), 686);
    // Every tag boundary, each cut exactly there and 7 bytes into the tag.
    for (k, &(offset, _, _)) in all.iter().enumerate() {
        let whole = all[..k].iter().filter(|t| t.2).count();
        for cut in [offset as usize, offset as usize + 7] {
            let Ok(mut d) = FlvDemuxer::new(
                InputSource::from_bytes(data.slice(..cut)),
                FlvReadOptions::default(),
            ) else {
                panic!("cut at {cut}: not salvaged")
            };
            let (_, packets) = drain(&mut d);
            assert_eq!(packets.len(), whole, "cut at {cut} (tag {k})");
            let w = &d.report().warnings;
            if cut == offset as usize {
                // A clean cut between tags: only the last PreviousTagSize is missing.
                assert!(w.is_empty(), "cut at {cut}: {w:?}");
            } else {
                assert_eq!(w.len(), 1, "cut at {cut}: {w:?}");
                assert!(
                    w[0].message
                        .contains(&format!("tag {k} at byte {offset}: truncated tag header"))
                        && w[0].message.contains("the input ends here"),
                    "{w:?}"
                );
                assert_eq!(d.report().truncated.unwrap().offset, offset);
            }
            // --strict: the same cut inside a tag is an error naming it.
            if cut != offset as usize {
                let e = match FlvDemuxer::new(
                    InputSource::from_bytes(data.slice(..cut)),
                    FlvReadOptions { strict: true },
                ) {
                    Ok(mut d) => std::iter::from_fn(|| d.next_packet().transpose())
                        .find_map(Result::err)
                        .expect("strict: an error"),
                    Err(e) => e,
                };
                assert!(e.to_string().contains(&format!("at byte {offset}")), "{e}");
            }
        }
    }
}

/// Per stream, the decoded frames' hashes in a sorted list (a cut keeps a decode-order prefix,
/// whose frames are presented in another order).
fn frames_by_stream(file: &Path) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in frame_hashes(file) {
        let (stream, rest) = l.split_once(' ').unwrap();
        m.entry(stream.to_owned())
            .or_default()
            .push(rest.to_owned());
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

/// Every frame of `part` is a frame of `whole`, stream by stream (as multisets).
fn is_subset(part: &BTreeMap<String, Vec<String>>, whole: &BTreeMap<String, Vec<String>>) -> bool {
    part.iter().all(|(stream, frames)| {
        let Some(all) = whole.get(stream) else {
            return false;
        };
        let mut pool = all.clone();
        frames
            .iter()
            .all(|f| match pool.iter().position(|g| g == f) {
                Some(i) => {
                    pool.swap_remove(i);
                    true
                }
                None => false,
            })
    })
}

#[test]
fn cut_recordings_convert_to_complete_outputs_that_decode_to_the_source_frames() {
    if !have_ffmpeg("cut_recordings_convert_to_complete_outputs_that_decode_to_the_source_frames") {
        return;
    }
    let tmp = TempDir::new("salvage-cut");
    let src = testdata().join("source.flv");
    let data = std::fs::read(&src).unwrap();
    let source_frames = frames_by_stream(&src);
    let all = tags(&Bytes::from(data.clone()));
    // The case (the last 414 bytes missing), and cuts inside a keyframe and mid-file.
    let keyframe_tag = all.iter().position(|&(o, _, _)| o > 300_000).unwrap();
    for cut in [
        data.len() - 414,
        all[keyframe_tag].0 as usize + 200,
        data.len() / 3,
    ] {
        let cut_path = tmp.path().join(format!("in{cut}.flv"));
        std::fs::write(&cut_path, &data[..cut]).unwrap();
        let whole = all
            .iter()
            .filter(|&&(_, end, m)| m && end as usize <= cut)
            .count();
        // inspect: the summary and one warning with the offset.
        let o = run(&["inspect", s(&cut_path)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("truncated tag") && text.contains("the input ends here"),
            "{text}"
        );
        for ext in ["flv", "ts", "mp4"] {
            let out = tmp.path().join(format!("cut{cut}.{ext}"));
            let o = run(&["convert", s(&cut_path), s(&out)]);
            assert!(o.status.success(), "{ext}: {}", stderr(&o));
            let err = stderr(&o);
            let warnings: Vec<&str> = err.lines().collect();
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0].starts_with("muxkit: warning: input damaged: tag ")
                    && warnings[0].contains("the input ends here"),
                "{warnings:?}"
            );
            let c = ffprobe_complaints(&out);
            assert!(c.is_empty(), "{ext} from a cut at {cut}: {c}");
            let got = frames_by_stream(&out);
            let n: usize = got.values().map(Vec::len).sum();
            assert_eq!(n, whole, "{ext}: every whole frame before the cut at {cut}");
            assert!(
                is_subset(&got, &source_frames),
                "{ext}: frames not the source's"
            );
            // --strict refuses, and writes nothing.
            let strict = tmp.path().join(format!("strict{cut}.{ext}"));
            let o = run(&["convert", s(&cut_path), s(&strict), "--strict"]);
            assert_eq!(
                o.status.code(),
                Some(1),
                "{ext} from a cut at {cut}: {}",
                stderr(&o)
            );
            assert!(!strict.exists());
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn garbage_in_the_middle_of_an_flv_is_skipped_to_the_next_tag() {
    if !have_ffmpeg("garbage_in_the_middle_of_an_flv_is_skipped_to_the_next_tag") {
        return;
    }
    let tmp = TempDir::new("salvage-garbage");
    let src = testdata().join("source.flv");
    let data = std::fs::read(&src).unwrap();
    let all = tags(&Bytes::from(data.clone()));
    // 1000 bytes of noise between two tags, after the PreviousTagSize of the one before.
    let at = all[300].0 as usize;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..1000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect();
    let mut damaged = data[..at].to_vec();
    damaged.extend_from_slice(&noise);
    damaged.extend_from_slice(&data[at..]);
    let path = tmp.path().join("garbage.flv");
    std::fs::write(&path, &damaged).unwrap();
    let out = tmp.path().join("out.ts");
    let o = run(&["convert", s(&path), s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "1000 bytes at byte {at} are not a tag: skipped to the next tag at byte {}",
            at + 1000
        )),
        "{}",
        stderr(&o)
    );
    // Nothing of the media was lost.
    assert_eq!(frame_hashes(&out), frame_hashes(&src));
    // Garbage that replaces part of a tag loses that tag only, not the rest of the file.
    let mut overwritten = data.clone();
    let (a, b) = (all[300].0 as usize, all[301].0 as usize);
    overwritten[a + 2..b + 5].copy_from_slice(&noise[..b + 3 - a]);
    let path = tmp.path().join("overwritten.flv");
    std::fs::write(&path, &overwritten).unwrap();
    let out = tmp.path().join("overwritten.ts");
    let o = run(&["convert", s(&path), s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("are not a tag: skipped"),
        "{}",
        stderr(&o)
    );
    let got = frames_by_stream(&out);
    let n: usize = got.values().map(Vec::len).sum();
    let media = all.iter().filter(|t| t.2).count();
    assert!(n >= media - 3, "{n} of {media} frames");
    assert!(ffprobe_complaints(&out).is_empty());
}

#[test]
fn cut_ts_mp3_and_mp4_are_salvaged_and_an_unfinished_mp4_says_so() {
    if !have_ffmpeg("cut_ts_mp3_and_mp4_are_salvaged_and_an_unfinished_mp4_says_so") {
        return;
    }
    let tmp = TempDir::new("salvage-others");
    for (name, frac, out_ext, want) in [
        ("source_bframes.ts", 2, "flv", "not a whole packet"),
        ("song_v23_cover.mp3", 2, "mp3", "truncated"),
        ("source_faststart.mp4", 2, "flv", "cut short"),
    ] {
        let data = std::fs::read(testdata().join(name)).unwrap();
        let cut = data.len() / frac + 77;
        let path = tmp.path().join(format!("cut_{name}"));
        std::fs::write(&path, &data[..cut]).unwrap();
        let out = tmp.path().join(format!("{name}.{out_ext}"));
        let o = run(&["convert", s(&path), s(&out)]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{name}: {}", stderr(&o));
        let c: Vec<String> = ffprobe_complaints(&out)
            .lines()
            .filter(|l| !l.contains("Estimating duration from bitrate"))
            .map(str::to_owned)
            .collect();
        assert!(c.is_empty(), "{name}: {c:?}");
        let got = frames_by_stream(&out);
        assert!(
            is_subset(&got, &frames_by_stream(&testdata().join(name))),
            "{name}"
        );
        assert!(!got.is_empty());
        let o = run(&["convert", "-y", s(&path), s(&out), "--strict"]);
        assert_eq!(o.status.code(), Some(1), "{name}: strict");
    }
    // moov at the end and the file cut: the recording was never finished.
    let data = std::fs::read(testdata().join("source_moov_end.mp4")).unwrap();
    let path = tmp.path().join("unfinished.mp4");
    std::fs::write(&path, &data[..data.len() / 2]).unwrap();
    let out = tmp.path().join("unfinished.flv");
    let o = run(&["convert", s(&path), s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no moov box: the recording was never finished"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn batch_converts_a_cut_recording_and_reports_the_damage() {
    let tmp = TempDir::new("salvage-batch");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let data = std::fs::read(testdata().join("source.flv")).unwrap();
    std::fs::write(input.join("cut.flv"), &data[..data.len() - 414]).unwrap();
    let report = tmp.path().join("r.jsonl");
    let o = Command::new(muxkit_bin())
        .arg("batch")
        .arg(&input)
        .arg(tmp.path().join("out"))
        .args(["--to", "ts", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&report).unwrap().trim()).unwrap();
    assert_eq!(line["status"], "converted");
    let w = line["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].as_str().unwrap().contains("the input ends here"),
        "{w:?}"
    );
}

/// Every hostile file, through `convert` in the default (salvaging) mode: an error or a
/// conversion that says what it skipped, never a crash, never unbounded work.
#[test]
fn hostile_files_salvaged_or_refused_never_crash() {
    let tmp = TempDir::new("salvage-hostile");
    let mut n = 0;
    for e in std::fs::read_dir(testdata().join("hostile")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "flv" && x != "bin") {
            continue;
        }
        n += 1;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for ext in ["ts", "flv"] {
            let out = tmp.path().join(format!("{name}.{ext}"));
            let t0 = std::time::Instant::now();
            let o = run(&["convert", s(&path), s(&out)]);
            assert!(t0.elapsed().as_secs() < 20, "{name}: {:?}", t0.elapsed());
            let err = stderr(&o);
            match o.status.code() {
                Some(0) => assert!(
                    err.contains("muxkit: warning: "),
                    "{name} -> {ext}: converted without a word: {err}"
                ),
                Some(1) => assert!(err.starts_with("muxkit: error: "), "{name}: {err}"),
                other => panic!("{name} -> {ext}: exit {other:?}: {err}"),
            }
        }
    }
    assert!(n >= 12, "{n} hostile files");
}

/// Damage that a resync must not turn into quadratic work or lost tags: a zero-filled tail
/// (a recording after a power cut), and a writer that gets every PreviousTagSize wrong (even
/// with the last one missing).
#[test]
fn resync_stays_linear_and_never_skips_intact_tags() {
    let data = Bytes::from(std::fs::read(testdata().join("source.flv")).unwrap());
    let all = tags(&data);
    let media = all.iter().filter(|t| t.2).count();
    let count = |bytes: Vec<u8>| {
        let t0 = std::time::Instant::now();
        let mut d = FlvDemuxer::new(
            InputSource::from_bytes(bytes.into()),
            FlvReadOptions::default(),
        )
        .unwrap();
        let (_, packets) = drain(&mut d);
        (packets.len(), d.report().clone(), t0.elapsed())
    };
    // 2 MiB of zeros after the last tag.
    let mut zeros = data.to_vec();
    zeros.extend(std::iter::repeat_n(0u8, 2 << 20));
    let (n, report, took) = count(zeros);
    assert_eq!(n, media);
    assert!(took.as_secs() < 10, "{took:?}");
    assert!(report.warning_count <= 2, "{:?}", report.warnings);
    assert_eq!(report.skipped_bytes, 2 << 20);
    // Every PreviousTagSize off by 11 (the body size alone), and then the last one missing.
    let mut wrong = data.to_vec();
    for &(_, end, _) in &all {
        let at = end as usize;
        let tag_start = all.iter().find(|t| t.1 == end).unwrap().0 as usize;
        let body = (end as usize - tag_start - 11) as u32;
        wrong[at..at + 4].copy_from_slice(&body.to_be_bytes());
    }
    for cut_final in [false, true] {
        let mut bytes = wrong.clone();
        if cut_final {
            bytes.truncate(bytes.len() - 4);
        }
        let (n, report, took) = count(bytes);
        assert_eq!(n, media, "cut_final {cut_final}");
        assert_eq!(report.resyncs, 0);
        assert_eq!(report.skipped_bytes, 0);
        assert!(took.as_secs() < 10, "{took:?}");
        assert!(report.previous_tag_size_mismatches >= all.len() as u64 - 1);
    }
}
