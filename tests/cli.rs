#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The command line: exit codes, stdin, error lines.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(muxkit_bin()).args(args).output().unwrap()
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["inspect"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    let help = run(&["inspect", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--tags"));
}

#[test]
fn inspect_formats_and_field_filter() {
    let flv = testdata().join("source.flv");
    let flv = flv.to_str().unwrap();
    let mp4 = testdata().join("source.f4v");
    let mp4 = mp4.to_str().unwrap();
    let stdout = |o: std::process::Output| {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let csv = stdout(run(&[
        "inspect",
        "--format",
        "csv",
        "--show-entries",
        "codec,frame_rate,pix_fmt,channel_layout",
        flv,
    ]));
    assert_eq!(
        csv,
        "codec,frame_rate,pix_fmt,channel_layout\nh264,25/1,yuv420p,\naac,,,stereo\n"
    );
    let flat = stdout(run(&["inspect", "--format", "flat", flv]));
    assert!(flat.contains("streams.0.pix_fmt=\"yuv420p\"\n"), "{flat}");
    assert!(flat.contains("format.ffprobe_duration=10.08\n"), "{flat}");
    // --json is --format json; --show-entries keeps only those track fields.
    let json = stdout(run(&["inspect", "--json", "--show-entries", "codec", flv]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["tracks"][1], serde_json::json!({ "codec": "aac" }));
    // The MP4 box tree only on request, after the tracks.
    let text = stdout(run(&["inspect", mp4]));
    assert!(
        !text.contains("boxes:") && text.contains("track 0: video h264"),
        "{text}"
    );
    let text = stdout(run(&["inspect", "--show-boxes", mp4]));
    let (tracks, boxes) = (text.find("track 0:").unwrap(), text.find("boxes:").unwrap());
    assert!(tracks < boxes && text.contains("moov @"), "{text}");
    // Usage errors: boxes of a format without boxes, a filter on text, csv of packets.
    for args in [
        vec!["inspect", "--show-boxes", flv],
        vec!["inspect", "--show-entries", "codec", flv],
        vec!["inspect", "--packets", "--format", "csv", flv],
        vec!["inspect", "--json", "--format", "flat", flv],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn failures_exit_1_with_one_error_line() {
    let out = run(&["inspect", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    // The file named as the user gave it, its first bytes as one 0x hex number.
    assert_eq!(
        err.trim_end(),
        "muxkit: error: Cargo.toml: unrecognised input format (first bytes 0x5b7061636b616765)"
    );
    let out = run(&["inspect", "/nonexistent/file.flv"]);
    assert_eq!(out.status.code(), Some(1));
    let tmp = TempDir::new("cli-fail");
    let src = testdata().join("source.flv");
    let out = run(&[
        "convert",
        src.to_str().unwrap(),
        tmp.path().join("x.unknown").to_str().unwrap(),
    ]);
    // An output name that says no format is a usage mistake.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("output format"));
}

#[test]
fn stdin_gives_the_same_answer_as_the_file() {
    let src = testdata().join("source.flv");
    for args in [vec!["inspect", "--json"], vec!["inspect", "--tags"]] {
        let from_file = run(&[args.clone(), vec![src.to_str().unwrap()]].concat());
        let mut child = Command::new(muxkit_bin())
            .args(&args)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let data = std::fs::read(&src).unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(out.status.success());
        let norm = |s: &[u8]| {
            String::from_utf8_lossy(s).replace(
                &format!("\"file_size\": {}", std::fs::metadata(&src).unwrap().len()),
                "\"file_size\": null",
            )
        };
        let a = norm(&from_file.stdout);
        let b = String::from_utf8_lossy(&out.stdout).into_owned();
        // The file view knows the size (and so the bit rate); the stream view does not.
        let strip = |s: &str| {
            s.lines()
                .filter(|l| !l.contains("bit_rate") && !l.contains("file_size"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&a), strip(&b), "{args:?}");
    }
}

#[test]
fn convert_flv_to_stdout_and_quiet_on_success() {
    let src = testdata().join("source.flv");
    let out = run(&["convert", src.to_str().unwrap(), "-"]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    assert_eq!(&out.stdout[..3], b"FLV");
    let tmp = TempDir::new("cli-convert");
    let dst = tmp.path().join("out.flv");
    let out = run(&["convert", src.to_str().unwrap(), dst.to_str().unwrap()]);
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temporary files left"
    );
}

#[test]
fn failed_convert_leaves_no_output() {
    let tmp = TempDir::new("cli-partial");
    let src = tmp.path().join("cut.flv");
    let data = std::fs::read(testdata().join("source.flv")).unwrap();
    std::fs::write(&src, &data[..data.len() / 2]).unwrap();
    let dst = tmp.path().join("out.flv");
    // A cut recording is salvaged by default (tests/salvage.rs); --strict makes it a failure.
    let out = run(&[
        "convert",
        src.to_str().unwrap(),
        dst.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated tag"));
    assert!(!dst.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "temporary output removed"
    );
}

#[test]
fn ts_output_pids_and_offset_are_configurable() {
    let tmp = TempDir::new("cli-ts-pids");
    let src = testdata().join("source.flv");
    let dst = tmp.path().join("out.ts");
    let args = [
        "convert",
        src.to_str().unwrap(),
        dst.to_str().unwrap(),
        "--ts-pmt-pid",
        "0x200",
        "--ts-start-pid",
        "768",
        "--ts-offset-ms",
        "2000",
    ];
    assert!(run(&args).status.success());
    let out = run(&["inspect", "--json", dst.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pat"]["programs"][0]["pid"], 0x200);
    let pids: Vec<u64> = v["pmts"][0]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids, [0x300, 0x301]);
    assert_eq!(v["tracks"][0]["first_dts"], 2000 * 90);
    for bad in ["0", "0x1fff", "8192", "zz"] {
        let out = run(&[
            "convert",
            src.to_str().unwrap(),
            dst.to_str().unwrap(),
            "--ts-pmt-pid",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

/// A write the file system refuses (here: over `ulimit -f`, as a full disk would be) fails the
/// conversion with the output's path in the error line, and leaves neither the output nor its
/// temporary file behind.
#[test]
fn a_refused_write_names_the_output_and_leaves_nothing() {
    let tmp = TempDir::new("cli-refused-write");
    let src = testdata().join("source.flv");
    for name in ["out.ts", "out.flv", "out.mp4"] {
        let out_path = tmp.path().join(name);
        // Ignoring SIGXFSZ makes an over-limit write fail with EFBIG instead of killing us.
        let out = Command::new("sh")
            .arg("-c")
            .arg("trap '' XFSZ; ulimit -f 100; exec \"$0\" convert \"$1\" \"$2\"")
            .arg(muxkit_bin())
            .arg(&src)
            .arg(&out_path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(out_path.to_str().unwrap()), "{err}");
        assert!(err.contains("File too large"), "{err}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}

#[test]
fn segment_patterns_stay_in_the_output_folder_and_never_panic() {
    let tmp = TempDir::new("cli-pattern");
    let src = testdata().join("source.flv");
    let out = tmp.path().join("hls");
    for bad in [
        "%999999999d.ts",
        "../x_%d.ts",
        "/tmp/x_%d.ts",
        "sub/x_%d.ts",
        ".hidden_%d.ts",
        "#x_%d.ts",
        "a_%d_%d.ts",
        "a_%s.ts",
        "a\nb_%d.ts",
    ] {
        let o = run(&[
            "convert",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
            "--segment-pattern",
            bad,
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(!out.exists(), "{bad:?}");
    }
    let o = run(&[
        "convert",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
        "--segment-pattern",
        "part%020d.ts",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join(format!("part{:020}.ts", 0)).is_file());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn ts_pids_never_collide_or_reach_the_null_pid() {
    let tmp = TempDir::new("cli-pid-collide");
    let src = testdata().join("source.flv");
    let dst = tmp.path().join("out.ts");
    // The PMT on the first stream's PID: the streams step over it.
    let o = run(&[
        "convert",
        src.to_str().unwrap(),
        dst.to_str().unwrap(),
        "--ts-pmt-pid",
        "0x100",
    ]);
    assert!(o.status.success());
    let mut d =
        muxkit::ts::demux::TsDemuxer::from_bytes(muxkit::io::map_file(&dst).unwrap()).unwrap();
    let (tracks, _) = drain(&mut d);
    let pids: Vec<u32> = tracks.iter().map(|t| t.source_id.unwrap()).collect();
    assert_eq!(pids, [0x101, 0x102]);
    assert_eq!(d.pmt().unwrap().streams.len(), 2);
    // The second track would land on the null PID 0x1FFF: refused, nothing written.
    let o = run(&[
        "convert",
        src.to_str().unwrap(),
        tmp.path().join("null.ts").to_str().unwrap(),
        "--ts-start-pid",
        "0x1FFE",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pids stop at 0x1ffe"));
    assert!(!tmp.path().join("null.ts").exists());
}
