#![allow(clippy::unwrap_used, clippy::expect_used)]
//! insta snapshots of `inspect` (summary and per-tag, text and JSON) on every FLV fixture.

mod common;

use common::*;
use muxkit::flv::FlvReadOptions;
use muxkit::inspect::flv::{FlvSummary, write_tags};
use muxkit::io::{InputSource, map_file};

fn name(path: &std::path::Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn summary_snapshots() {
    for path in flv_fixtures() {
        let s = FlvSummary::read(
            InputSource::from_bytes(map_file(&path).unwrap()),
            FlvReadOptions::default(),
        )
        .unwrap();
        insta::assert_snapshot!(format!("summary_text_{}", name(&path)), s.to_text());
        let json = serde_json::to_string_pretty(&s.to_json()).unwrap();
        insta::assert_snapshot!(format!("summary_json_{}", name(&path)), json);
    }
}

#[test]
fn tag_snapshots() {
    for path in flv_fixtures() {
        for json in [false, true] {
            let mut out = Vec::new();
            write_tags(
                InputSource::from_bytes(map_file(&path).unwrap()),
                FlvReadOptions::default(),
                json,
                &mut out,
            )
            .unwrap();
            let text = String::from_utf8(out).unwrap();
            if json {
                let v: serde_json::Value =
                    serde_json::from_str(&text).expect("--tags --json is valid JSON");
                assert!(v["tags"].as_array().is_some_and(|t| !t.is_empty()));
            }
            // Long files: the first 40 and last 5 lines pin the format and the ending.
            let lines: Vec<&str> = text.lines().collect();
            let shown = if lines.len() > 45 {
                let mut v = lines[..40].to_vec();
                v.push("...");
                v.extend_from_slice(&lines[lines.len() - 5..]);
                v.join("\n")
            } else {
                text.clone()
            };
            let kind = if json { "json" } else { "text" };
            insta::assert_snapshot!(format!("tags_{kind}_{}", name(&path)), shown);
        }
    }
}

/// TS inputs for snapshots: ffmpeg's committed fixture, and muxkit's own TS of two FLV fixtures.
fn ts_inputs() -> Vec<(String, bytes::Bytes)> {
    let mut v = vec![(
        "source_bframes".to_owned(),
        map_file(&testdata().join("source_bframes.ts")).unwrap(),
    )];
    for name in ["source", "h264_mp3"] {
        let mut d = muxkit::flv::FlvDemuxer::from_bytes(
            map_file(&testdata().join(format!("{name}.flv"))).unwrap(),
        )
        .unwrap();
        let mut m =
            muxkit::ts::mux::TsMuxer::new(Vec::new(), muxkit::ts::mux::TsMuxOptions::default());
        muxkit::remux::remux(&mut d, &mut m).unwrap();
        v.push((format!("muxkit_{name}"), m.into_inner().unwrap().into()));
    }
    v
}

#[test]
fn ts_summary_snapshots() {
    use muxkit::inspect::ts::TsSummary;
    use muxkit::ts::demux::TsReadOptions;
    for (name, data) in ts_inputs() {
        let s = TsSummary::read(InputSource::from_bytes(data), TsReadOptions::default()).unwrap();
        insta::assert_snapshot!(format!("ts_summary_text_{name}"), s.to_text());
        insta::assert_snapshot!(
            format!("ts_summary_json_{name}"),
            serde_json::to_string_pretty(&s.to_json()).unwrap()
        );
    }
}

#[test]
fn ts_packet_snapshots() {
    use muxkit::ts::demux::{TsDemuxer, TsReadOptions};
    for (name, data) in ts_inputs() {
        for json in [false, true] {
            let mut d = TsDemuxer::new(
                InputSource::from_bytes(data.clone()),
                TsReadOptions::default(),
            )
            .unwrap();
            let mut out = Vec::new();
            muxkit::inspect::write_packets(&mut d, json, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            if json {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(v["packets"].as_array().is_some_and(|p| !p.is_empty()));
            }
            let lines: Vec<&str> = text.lines().collect();
            let shown = if lines.len() > 45 {
                [&lines[..40], &["..."], &lines[lines.len() - 5..]]
                    .concat()
                    .join("\n")
            } else {
                text.clone()
            };
            let kind = if json { "json" } else { "text" };
            insta::assert_snapshot!(format!("ts_packets_{kind}_{name}"), shown);
        }
    }
}
