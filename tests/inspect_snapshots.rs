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
