#![allow(clippy::unwrap_used)]
//! `muxkit inspect --json` against `ffprobe -show_streams -show_format` on every fixture
//! ffprobe 5.1 reads: frame rate, average frame rate, pixel format, sample aspect ratio,
//! colour fields, size, sample rate, channels, channel layout and start time must agree.
//!
//! Left out, with the reason:
//! - Enhanced FLV (`eflv_*.flv`, `hevc_enhanced.flv`): ffprobe 5.1 cannot read it (it shows
//!   vp6f / unknown streams).
//! - `ts_av1.ts`: ffprobe 5.1 shows the AV1 stream as `bin_data`.
//! - An MP3's cover picture, which ffprobe shows as an attached-picture video stream: muxkit
//!   lists it as the tag's cover, not as a track. muxkit's `timed_id3` data track has no
//!   ffprobe stream either.
//! - Pixel format of Sorenson H.263, Screen Video and VP6 in FLV: they carry no codec record;
//!   ffprobe learns it by decoding a frame, muxkit does not decode.
//! - MP3 start time: ffprobe skips the LAME encoder delay plus 529 decoder samples; muxkit's
//!   `ffprobe_start_time` states that figure and is compared instead.
//! - MP4 audio whose first packet is encoder priming cut by the edit list (Opus pre-skip,
//!   AC-3 delay): muxkit's start time is that packet's (negative) time, ffprobe's is 0, the
//!   start of what is heard. Accepted when muxkit's is negative and ffprobe's 0.
//! - AV1 colour range: it is in the sequence header OBU, which muxkit does not parse.
//! - `fmp4_av1_opus.mp4` pixel format: ffmpeg 9 wrote its `av1C` empty (8 bytes, header
//!   only: the encoder's configuration was not known when the CMAF header was written), so
//!   there is no record to read; ffprobe learns the format by parsing the frames.

mod common;

use std::path::Path;
use std::process::Command;

use common::{have_ffmpeg, muxkit_bin, testdata};
use serde_json::Value;

/// Fixtures ffprobe 5.1 reads, by extension, less the ones named above.
fn fixtures() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let ext = p.extension().map(|e| e.to_string_lossy().into_owned());
            matches!(
                ext.as_deref(),
                Some("flv" | "ts" | "m2ts" | "mp4" | "f4v" | "mp3" | "mp2")
            ) && !name.starts_with("eflv_")
                && name != "hevc_enhanced.flv"
                && name != "ts_av1.ts"
        })
        .collect();
    v.sort();
    v
}

fn json_of(cmd: &mut Command) -> Value {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn ffprobe(path: &Path) -> Value {
    json_of(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-of",
                "json",
                "-show_streams",
                "-show_format",
            ])
            .arg(path),
    )
}

fn muxkit(path: &Path) -> Value {
    json_of(
        Command::new(muxkit_bin())
            .args(["inspect", "--json"])
            .arg(path),
    )
}

/// A field as a string (ffprobe writes numbers as strings in places).
fn text(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Seconds of one tick of a muxkit track's time base (`1/90000` -> 1.1e-5).
fn tick(track: &Value) -> f64 {
    let tb = track["time_base"].as_str().unwrap();
    let (n, d) = tb.split_once('/').unwrap();
    n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
}

/// ffprobe's stream for muxkit's `track`: the same PID / track id where both give one,
/// else the same kind and rank among that kind.
fn matching<'a>(streams: &'a [Value], tracks: &[Value], track: &Value) -> Option<&'a Value> {
    let kind = track["kind"].as_str().unwrap();
    if let Some(id) = track.get("source_id").and_then(Value::as_u64) {
        let found = streams.iter().find(|s| {
            text(s, "id").is_some_and(|i| {
                u64::from_str_radix(i.trim_start_matches("0x"), 16).ok() == Some(id)
            })
        });
        if found.is_some() {
            return found;
        }
    }
    let rank = tracks
        .iter()
        .take_while(|t| !std::ptr::eq(*t, track))
        .filter(|t| t["kind"] == kind)
        .count();
    streams
        .iter()
        .filter(|s| s["codec_type"] == kind && s["disposition"]["attached_pic"] != 1)
        .nth(rank)
}

/// Codecs without a record whose pixel format ffprobe learns by decoding.
const DECODED_ONLY: [&str; 5] = ["flv1", "flashsv", "flashsv2", "vp6", "vp6a"];

#[test]
fn inspect_agrees_with_ffprobe_on_every_fixture() {
    if !have_ffmpeg("inspect_agrees_with_ffprobe_on_every_fixture") {
        return;
    }
    let mut compared = 0;
    let mut problems = Vec::new();
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ours = muxkit(&path);
        let theirs = ffprobe(&path);
        let streams = theirs["streams"].as_array().cloned().unwrap_or_default();
        let tracks = ours["tracks"].as_array().cloned().unwrap_or_default();
        let is_mp3 = ours["format"] == "mp3";
        // Where muxkit says ffprobe's duration differs in kind, it gives ffprobe's figure.
        if let Some(d) = ours_f64(&ours, "ffprobe_duration") {
            let theirs = text(&theirs["format"], "duration").and_then(|v| v.parse::<f64>().ok());
            compared += 1;
            if theirs.is_none_or(|t| (t - d).abs() > 0.0015) {
                problems.push(format!(
                    "{name}: ffprobe_duration {d}, ffprobe says {theirs:?}"
                ));
            }
        }
        for t in &tracks {
            let kind = t["kind"].as_str().unwrap();
            if kind == "data" {
                continue;
            }
            let Some(s) = matching(&streams, &tracks, t) else {
                problems.push(format!("{name}: no ffprobe stream for track {}", t["id"]));
                continue;
            };
            let mut check = |field: &str, ours: Option<String>, theirs: Option<String>| {
                compared += 1;
                if ours != theirs {
                    problems.push(format!(
                        "{name} track {} {field}: muxkit {ours:?}, ffprobe {theirs:?}",
                        t["id"]
                    ));
                }
            };
            let codec = t["codec"].as_str().unwrap_or("");
            if kind == "video" {
                check("width", text(t, "width"), text(s, "width"));
                check("height", text(t, "height"), text(s, "height"));
                if !DECODED_ONLY.contains(&codec) && name != "fmp4_av1_opus.mp4" {
                    check("pix_fmt", text(t, "pix_fmt"), text(s, "pix_fmt"));
                }
                // ffprobe prints N/A (or nothing) where no SAR is known.
                let sar = text(s, "sample_aspect_ratio").filter(|r| r != "N/A" && r != "0:1");
                if sar.is_some() || t.get("sample_aspect_ratio").is_some() {
                    check("sample_aspect_ratio", text(t, "sample_aspect_ratio"), sar);
                }
                check("frame_rate", text(t, "frame_rate"), text(s, "r_frame_rate"));
                check(
                    "avg_frame_rate",
                    text(t, "avg_frame_rate"),
                    text(s, "avg_frame_rate"),
                );
                for k in [
                    "color_range",
                    "color_space",
                    "color_transfer",
                    "color_primaries",
                ] {
                    let theirs = text(s, k).filter(|v| v != "unknown");
                    if (theirs.is_some() && codec != "av1") || t.get(k).is_some() {
                        check(k, text(t, k), theirs);
                    }
                }
            } else {
                check(
                    "sample_rate",
                    text(t, "sample_rate"),
                    text(s, "sample_rate"),
                );
                check("channels", text(t, "channels"), text(s, "channels"));
                let layout = text(s, "channel_layout").filter(|l| l != "unknown");
                check("channel_layout", text(t, "channel_layout"), layout);
            }
            // Start time, within one tick of the container's clock.
            let theirs = text(s, "start_time").and_then(|v| v.parse::<f64>().ok());
            let ours = if is_mp3 {
                ours_f64(&ours, "ffprobe_start_time").or(t["start_time"].as_f64())
            } else {
                t["start_time"].as_f64()
            };
            compared += 1;
            match (ours, theirs) {
                (Some(a), Some(b)) if (a - b).abs() <= tick(t).max(1e-6) + 1e-6 => {}
                (Some(a), Some(b)) if a < 0.0 && b == 0.0 && t["kind"] == "audio" => {}
                (a, b) => problems.push(format!(
                    "{name} track {} start_time: muxkit {a:?}, ffprobe {b:?}",
                    t["id"]
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(compared > 300, "only {compared} comparisons");
    eprintln!("{compared} fields agree with ffprobe");
}

fn ours_f64(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

/// The SDT's service and provider names, as ffprobe shows them in its program tags.
#[test]
fn ts_service_names_agree_with_ffprobe() {
    if !have_ffmpeg("ts_service_names_agree_with_ffprobe") {
        return;
    }
    let mut compared = 0;
    for path in fixtures() {
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("ts" | "m2ts")
        ) {
            continue;
        }
        let ours = muxkit(&path);
        let theirs = json_of(
            Command::new("ffprobe")
                .args(["-v", "error", "-of", "json", "-show_programs"])
                .arg(&path),
        );
        for p in theirs["programs"].as_array().unwrap() {
            let id = p["program_id"].as_u64().unwrap();
            let service = ours["services"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["service_id"].as_u64() == Some(id));
            let service = service.unwrap_or_else(|| panic!("{path:?}: no service {id}"));
            assert_eq!(service["name"], p["tags"]["service_name"], "{path:?}");
            assert_eq!(
                service["provider"], p["tags"]["service_provider"],
                "{path:?}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 5, "only {compared} services compared");
}
