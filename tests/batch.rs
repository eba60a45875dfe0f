#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `muxkit batch`: a tree of fixture copies with corrupt and non-media files, reruns, --force,
//! deterministic reports, Ctrl-C mid-way, shards, filters, links and every target.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Fixtures every target reads without ffprobe warnings (no ID3v2 tags: ffprobe warns about
/// any timed ID3 stream, ffmpeg's own included).
const SOURCES: [&str; 10] = [
    "source.flv",
    "source_bframes.ts",
    "source_faststart.mp4",
    "source_moov_end.mp4",
    "source.f4v",
    "audio_only.flv",
    "video_only.flv",
    "h264_mp3.flv",
    "mp3_only.flv",
    "song_v1.mp3",
];

/// 30 copies in nested folders, 3 corrupt media files, 2 files that are not media.
fn build_tree(root: &Path) -> Vec<String> {
    let mut media = Vec::new();
    for (d, dir) in ["", "season1/", "season1/ep/deep/"].iter().enumerate() {
        fs::create_dir_all(root.join(dir)).unwrap();
        for (k, name) in SOURCES.iter().enumerate() {
            let rel = format!("{dir}{d}{k}_{name}");
            fs::copy(testdata().join(name), root.join(&rel)).unwrap();
            media.push(rel);
        }
    }
    fs::create_dir_all(root.join("broken")).unwrap();
    // Cut inside the FLV header: nothing to salvage (a file cut later is salvaged, and
    // converts with a warning: tests/salvage.rs).
    fs::copy(
        testdata().join("hostile/truncated_header.flv"),
        root.join("broken/cut_header.flv"),
    )
    .unwrap();
    fs::copy(
        testdata().join("hostile/truncated_avcc.flv"),
        root.join("season1/bad_avcc.flv"),
    )
    .unwrap();
    let mp4 = fs::read(testdata().join("source_moov_end.mp4")).unwrap();
    fs::write(root.join("broken/cut.mp4"), &mp4[..5000]).unwrap();
    fs::write(root.join("notes.txt"), "not media\n").unwrap();
    fs::write(
        root.join("season1/cover.jpg"),
        b"\xFF\xD8\xFF\xE0\0\x10JFIF\0",
    )
    .unwrap();
    media
}

fn batch(args: &[&str]) -> Output {
    Command::new(muxkit_bin())
        .arg("batch")
        .args(args)
        .output()
        .unwrap()
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn report(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn with_status<'a>(r: &'a [Value], status: &str) -> Vec<&'a Value> {
    r.iter().filter(|v| v["status"] == status).collect()
}

/// Every file under `dir` whose name marks it as temporary (`.NAME.PID.tmp`).
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap().to_string_lossy().ends_with(".tmp") {
                found.push(p.clone());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    found
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_tree_converts_fails_three_skips_two_and_reruns_skip_everything() {
    if !have_ffmpeg("a_tree_converts_fails_three_skips_two_and_reruns_skip_everything") {
        return;
    }
    let tmp = TempDir::new("batch-tree");
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    let media = build_tree(&input);
    let r1 = tmp.path().join("r1.jsonl");
    let o = batch(&[
        arg(&input),
        arg(&out),
        "--to",
        "ts",
        "--jobs",
        "2",
        "--report",
        arg(&r1),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rep = report(&r1);
    assert_eq!(rep.len(), 35);
    // Relative-path order, whatever order the jobs finished in.
    let inputs: Vec<&str> = rep.iter().map(|v| v["input"].as_str().unwrap()).collect();
    let mut sorted = inputs.clone();
    sorted.sort();
    assert_eq!(inputs, sorted);
    // 30 outputs, each read by ffprobe without a warning.
    let converted = with_status(&rep, "converted");
    assert_eq!(converted.len(), 30, "{}", stderr(&o));
    for rel in &media {
        let ts = out.join(rel).with_extension("ts");
        assert!(ts.is_file(), "{}", ts.display());
        let c = ffprobe_complaints(&ts);
        assert!(c.is_empty(), "{rel}: {c}");
    }
    // Lossless: the copy of source.flv decodes to source.flv's frames.
    assert_eq!(
        frame_hashes(&out.join("00_source.ts")),
        frame_hashes(&testdata().join("source.flv"))
    );
    for v in &converted {
        assert!(v["bytes_out"].as_u64().unwrap() > 0);
        assert!(!v["tracks"].as_array().unwrap().is_empty());
    }
    // The three corrupt files are named with their errors.
    let failed = with_status(&rep, "failed");
    let failed: Vec<(String, String)> = failed
        .iter()
        .map(|v| {
            (
                v["input"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
                v["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed[0].0 == "cut.mp4" && failed[0].1.contains("no moov box"));
    assert!(failed[1].0 == "cut_header.flv" && failed[1].1.contains("truncated flv header"));
    assert!(failed[2].0 == "bad_avcc.flv" && failed[2].1.contains("avcC"));
    for (name, _) in &failed {
        assert!(stderr(&o).contains(name.as_str()), "{}", stderr(&o));
    }
    // Not media: skipped, no output.
    let skipped = with_status(&rep, "skipped");
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().all(|v| v["reason"] == "not a media file"));
    assert!(!out.join("notes.ts").exists());
    assert!(temporaries(&out).is_empty());
    assert!(
        stderr(&o).contains("30 converted, 2 skipped"),
        "{}",
        stderr(&o)
    );

    // A rerun converts nothing: done files are up to date, failures failed with these bytes.
    let stamp = fs::metadata(out.join("00_source.ts"))
        .unwrap()
        .modified()
        .unwrap();
    let r2 = tmp.path().join("r2.jsonl");
    let o = batch(&[arg(&input), arg(&out), "--to", "ts", "--report", arg(&r2)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep2 = report(&r2);
    assert_eq!(with_status(&rep2, "skipped").len(), 35);
    assert_eq!(
        rep2.iter()
            .filter(|v| v["reason"] == "already converted")
            .count(),
        30
    );
    assert_eq!(
        fs::metadata(out.join("00_source.ts"))
            .unwrap()
            .modified()
            .unwrap(),
        stamp
    );
    // A changed input is converted again.
    let touched = input.join("season1/11_source_bframes.ts");
    let bytes = fs::read(&touched).unwrap();
    fs::write(&touched, &bytes[..bytes.len() - 188]).unwrap();
    let o = batch(&[arg(&input), arg(&out), "--to", "ts", "--report", arg(&r2)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep2 = report(&r2);
    let redone = with_status(&rep2, "converted");
    assert_eq!(redone.len(), 1);
    assert!(
        redone[0]["input"]
            .as_str()
            .unwrap()
            .ends_with("11_source_bframes.ts")
    );

    // --force redoes everything, in the same report order.
    let r3 = tmp.path().join("r3.jsonl");
    let o = batch(&[
        arg(&input),
        arg(&out),
        "--to",
        "ts",
        "--force",
        "--jobs",
        "2",
        "--report",
        arg(&r3),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let rep3 = report(&r3);
    assert_eq!(with_status(&rep3, "converted").len(), 30);
    assert_eq!(with_status(&rep3, "failed").len(), 3);
    let key = |r: &[Value]| -> Vec<(String, String)> {
        r.iter()
            .map(|v| (v["input"].to_string(), v["status"].to_string()))
            .collect()
    };
    assert_eq!(key(&rep3), key(&rep));
    // The state file holds one line per input that converted or failed.
    let state = fs::read_to_string(out.join(".muxkit-batch.jsonl")).unwrap();
    assert_eq!(state.lines().count(), 33, "{state}");
}

/// A ~25 MB FLV: source.flv looped by ffmpeg (`-stream_loop`, stream copy).
fn long_flv(path: &Path, loops: u32) {
    let o = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-stream_loop"])
        .arg(loops.to_string())
        .arg("-i")
        .arg(testdata().join("source.flv"))
        .args(["-c", "copy"])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn state_lines(out: &Path) -> usize {
    fs::read_to_string(out.join(".muxkit-batch.jsonl"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn ctrl_c_mid_way_leaves_no_partial_output_and_the_next_run_finishes() {
    if !have_ffmpeg("ctrl_c_mid_way_leaves_no_partial_output_and_the_next_run_finishes") {
        return;
    }
    let tmp = TempDir::new("batch-sigint");
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    fs::create_dir_all(input.join("long")).unwrap();
    long_flv(&input.join("long/a.flv"), 32);
    for n in ["b", "c", "d"] {
        fs::copy(
            input.join("long/a.flv"),
            input.join(format!("long/{n}.flv")),
        )
        .unwrap();
    }
    for k in 0..4 {
        fs::copy(
            testdata().join("source.flv"),
            input.join(format!("s{k}.flv")),
        )
        .unwrap();
    }
    // One job, largest first: the long files go one after another.
    let mut child = Command::new(muxkit_bin())
        .args([
            "batch",
            arg(&input),
            arg(&out),
            "--jobs",
            "1",
            "--to",
            "hls",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while state_lines(&out) == 0 {
        assert!(t0.elapsed() < Duration::from_secs(60), "no file finished");
        std::thread::sleep(Duration::from_millis(5));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("stopping"), "{err}");
    assert!(err.contains("not done (interrupted)"), "{err}");
    // Nothing half-written: no temporary files or folders, and every output folder there is
    // complete and in the state file.
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
    let done = state_lines(&out);
    assert!(
        (1..8).contains(&done),
        "{done} files done before the interrupt"
    );
    let folders: Vec<_> = [
        "long/a", "long/b", "long/c", "long/d", "s0", "s1", "s2", "s3",
    ]
    .iter()
    .filter(|f| out.join(f).exists())
    .collect();
    assert_eq!(folders.len(), done, "{folders:?}");
    for f in &folders {
        let pl = read_media_playlist(&out.join(f).join("index.m3u8"));
        assert!(pl.end_list, "{f}");
    }
    // The next run does the rest and skips what was done.
    let r = tmp.path().join("r.jsonl");
    let o = batch(&[arg(&input), arg(&out), "--to", "hls", "--report", arg(&r)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rep = report(&r);
    assert_eq!(with_status(&rep, "converted").len(), 8 - done);
    assert_eq!(with_status(&rep, "skipped").len(), done);
    assert_eq!(state_lines(&out), 8);
    let c = ffprobe_complaints(&out.join("long/d/index.m3u8"));
    assert!(c.is_empty(), "{c}");
}

fn dry_run_inputs(input: &Path, out: &Path, extra: &[&str], report_path: &Path) -> Vec<String> {
    let mut args = vec![
        arg(input),
        arg(out),
        "--dry-run",
        "--report",
        arg(report_path),
    ];
    args.extend_from_slice(extra);
    let o = batch(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    report(report_path)
        .iter()
        .map(|v| v["input"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn shards_cover_the_tree_exactly_once_and_a_dry_run_writes_nothing() {
    let tmp = TempDir::new("batch-shards");
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    build_tree(&input);
    let r = tmp.path().join("r.jsonl");
    let all = dry_run_inputs(&input, &out, &[], &r);
    assert_eq!(all.len(), 35);
    assert!(!out.exists(), "a dry run wrote its output folder");
    let o = batch(&[arg(&input), arg(&out), "--dry-run"]);
    let listing = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        listing.contains("skip    notes.txt (not a media file)"),
        "{listing}"
    );
    assert!(
        listing.contains("convert season1/ep/deep/20_source.flv -> "),
        "{listing}"
    );
    let mut union = BTreeSet::new();
    let mut total = 0;
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let part = dry_run_inputs(&input, &out, &["--shard", &shard], &r);
        assert!(!part.is_empty(), "shard {shard} is empty");
        total += part.len();
        union.extend(part);
    }
    assert_eq!(total, 35, "a file in two shards");
    assert_eq!(union, all.into_iter().collect::<BTreeSet<_>>());
    let o = batch(&[arg(&input), arg(&out), "--shard", "4/3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not in 1..=3"), "{}", stderr(&o));
}

#[test]
fn filters_links_collisions_and_the_output_inside_the_input() {
    let tmp = TempDir::new("batch-filters");
    let input = tmp.path().join("in");
    fs::create_dir_all(input.join("keep")).unwrap();
    fs::create_dir_all(input.join("skip")).unwrap();
    fs::copy(testdata().join("source.flv"), input.join("keep/a.flv")).unwrap();
    fs::copy(
        testdata().join("source_bframes.ts"),
        input.join("keep/a.ts"),
    )
    .unwrap();
    fs::copy(testdata().join("video_only.flv"), input.join("skip/b.flv")).unwrap();
    fs::copy(testdata().join("song_v1.mp3"), input.join("keep/c.mp3")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(input.join("keep/c.mp3"), input.join("link.mp3")).unwrap();
    // The output folder inside the input folder: never read back as input.
    let out = input.join("out");
    let r = tmp.path().join("r.jsonl");
    let inputs = dry_run_inputs(&input, &out, &["--include", "*.flv"], &r);
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    let inputs = dry_run_inputs(
        &input,
        &out,
        &["--include", "*.flv", "--exclude", "skip/**"],
        &r,
    );
    assert_eq!(inputs, [arg(&input.join("keep/a.flv"))]);
    // Two inputs with one output: the second (in path order) fails, named.
    let o = batch(&[arg(&input), arg(&out), "--to", "mp4", "--report", arg(&r)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rep = report(&r);
    let find = |suffix: &str| {
        rep.iter()
            .find(|v| v["input"].as_str().unwrap().ends_with(suffix))
            .unwrap()
            .clone()
    };
    assert_eq!(find("keep/a.flv")["status"], "converted");
    let clash = find("keep/a.ts");
    assert_eq!(clash["status"], "failed");
    assert!(
        clash["error"]
            .as_str()
            .unwrap()
            .contains("also the output of keep/a.flv"),
        "{clash}"
    );
    #[cfg(unix)]
    {
        let link = find("link.mp3");
        assert_eq!(link["status"], "skipped");
        assert!(link["reason"].as_str().unwrap().contains("symbolic link"));
        let o = batch(&[
            arg(&input),
            arg(&out),
            "--to",
            "mp4",
            "--follow-symlinks",
            "--include",
            "*.mp3",
            "--report",
            arg(&r),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let rep = report(&r);
        let status = |suffix: &str| {
            rep.iter()
                .find(|v| v["input"].as_str().unwrap().ends_with(suffix))
                .map(|v| v["status"].as_str().unwrap().to_owned())
        };
        assert_eq!(status("link.mp3").as_deref(), Some("converted"));
        assert_eq!(status("keep/c.mp3").as_deref(), Some("skipped"));
        assert!(out.join("link.mp4").is_file());
    }
    // A rerun does not take out/ for input (it would find the .mp4 files there).
    let o = batch(&[arg(&input), arg(&out), "--to", "mp4", "--dry-run"]);
    let listing = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(listing.contains("keep/a.flv"), "{listing}");
    assert!(
        !listing.lines().any(|l| l
            .split_whitespace()
            .nth(1)
            .is_some_and(|r| r.starts_with("out/"))),
        "{listing}"
    );
}

#[test]
fn every_target_writes_files_ffprobe_reads_cleanly() {
    if !have_ffmpeg("every_target_writes_files_ffprobe_reads_cleanly") {
        return;
    }
    let tmp = TempDir::new("batch-targets");
    let input = tmp.path().join("in");
    fs::create_dir_all(input.join("x")).unwrap();
    fs::copy(
        testdata().join("h264_mp3.flv"),
        input.join("x/h264_mp3.flv"),
    )
    .unwrap();
    fs::copy(
        testdata().join("source_moov_end.mp4"),
        input.join("movie.mp4"),
    )
    .unwrap();
    for (to, outputs) in [
        ("hls", ["x/h264_mp3/index.m3u8", "movie/index.m3u8"]),
        ("ts", ["x/h264_mp3.ts", "movie.ts"]),
        ("flv", ["x/h264_mp3.flv", "movie.flv"]),
        ("f4v", ["x/h264_mp3.f4v", "movie.f4v"]),
        ("mp4", ["x/h264_mp3.mp4", "movie.mp4"]),
    ] {
        let out = tmp.path().join(format!("out-{to}"));
        let o = batch(&[arg(&input), arg(&out), "--to", to, "--quiet"]);
        assert!(o.status.success(), "{to}: {}", stderr(&o));
        for rel in outputs {
            let c = ffprobe_complaints(&out.join(rel));
            assert!(c.is_empty(), "{to} {rel}: {c}");
        }
        assert_eq!(
            frame_hashes(&out.join(outputs[1])),
            frame_hashes(&input.join("movie.mp4")),
            "{to}"
        );
    }
    // mp3: the MP3 track of the FLV; the MP4 has none and fails, saying so.
    let out = tmp.path().join("out-mp3");
    let o = batch(&[arg(&input), arg(&out), "--to", "mp3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.join("x/h264_mp3.mp3").is_file());
    let c = ffprobe_complaints(&out.join("x/h264_mp3.mp3"));
    assert!(c.is_empty(), "{c}");
    assert!(stderr(&o).contains("movie.mp4"), "{}", stderr(&o));
}

/// A file name with a newline (or an escape sequence) is printed escaped: one line per file.
#[test]
fn file_names_cannot_forge_lines() {
    let tmp = TempDir::new("batch-names");
    let input = tmp.path().join("in");
    fs::create_dir_all(&input).unwrap();
    let odd = "a\nconverted fake.flv -> x\u{1b}[2J.flv";
    fs::copy(testdata().join("source.flv"), input.join(odd)).unwrap();
    let out = tmp.path().join("out");
    let o = batch(&[arg(&input), arg(&out), "--to", "ts", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listing = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(listing.lines().count(), 1, "{listing}");
    assert!(
        listing.contains("a\\nconverted fake.flv -> x\\u{1b}[2J.flv"),
        "{listing}"
    );
    let o = batch(&[arg(&input), arg(&out), "--to", "ts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.lines()
            .all(|l| l.starts_with('[') || l.starts_with("batch:")),
        "{err}"
    );
}

/// `muxkit batch ARGS` with extra environment variables (a scheduler's).
fn batch_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(muxkit_bin());
    cmd.arg("batch").args(args);
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_STEP",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

#[test]
fn a_scheduler_gives_the_shard_and_the_exit_status_says_what_to_retry() {
    let tmp = TempDir::new("batch-scheduler");
    let input = tmp.path().join("in");
    let out = tmp.path().join("out");
    build_tree(&input);
    let r = tmp.path().join("r.jsonl");
    let inputs_of = |o: &Output| -> Vec<String> {
        assert!(o.status.success(), "{}", stderr(o));
        report(&r)
            .iter()
            .map(|v| v["input"].as_str().unwrap().to_owned())
            .collect()
    };
    let dry = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![arg(&input), arg(&out), "--dry-run", "--report", arg(&r)];
        args.extend_from_slice(extra);
        inputs_of(&batch_env(&args, env))
    };
    // sbatch --array=0-2: task 1 is shard 2/3, whether --shard is given bare or as auto.
    let explicit = dry(&["--shard", "2/3"], &[]);
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    assert_eq!(dry(&["--shard"], &slurm), explicit);
    assert_eq!(dry(&["--shard", "auto"], &slurm), explicit);
    // Kubernetes Indexed Job (index 1, completions 3) and AWS Batch: the count is given.
    assert_eq!(
        dry(&["--shard", "auto/3"], &[("JOB_COMPLETION_INDEX", "1")]),
        explicit
    );
    assert_eq!(
        dry(
            &["--shard", "auto/3"],
            &[("AWS_BATCH_JOB_ARRAY_INDEX", "1")]
        ),
        explicit
    );
    // Usage mistakes: no count for Kubernetes, no scheduler at all, a bad value.
    for (extra, env, needle) in [
        (
            &["--shard"][..],
            &[("JOB_COMPLETION_INDEX", "1")][..],
            "use --shard auto/N",
        ),
        (
            &["--shard"][..],
            &[][..],
            "no scheduler index in the environment",
        ),
        (&["--shard", "auto/0"][..], &[][..], "is not auto or auto/N"),
    ] {
        let mut args = vec![arg(&input), arg(&out), "--dry-run"];
        args.extend_from_slice(extra);
        let o = batch_env(&args, env);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{extra:?}: {}", stderr(&o));
    }
    // Exit 1 when an input is damaged (retrying cannot help: the tree has 3 corrupt files).
    let o = batch_env(&[arg(&input), arg(&out), "--to", "ts"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Exit 75 (EX_TEMPFAIL) when only the output's storage failed: a file where a folder of
    // outputs must go.
    let small = tmp.path().join("small");
    fs::create_dir_all(small.join("sub")).unwrap();
    fs::copy(testdata().join("source.flv"), small.join("sub/a.flv")).unwrap();
    let blocked = tmp.path().join("blocked");
    fs::create_dir_all(&blocked).unwrap();
    fs::write(blocked.join("sub"), b"a file, not a folder").unwrap();
    let o = batch_env(&[arg(&small), arg(&blocked), "--to", "ts"], &[]);
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 failed"), "{}", stderr(&o));
}
