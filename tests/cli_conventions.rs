#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The command line's habits (issue 19): usage mistakes exit 2, paths named as given, -y/-n,
//! -q/-v, options that do not apply, track selection.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn run(args: &[&str]) -> Output {
    Command::new(muxkit_bin()).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit status 2 and one error line that contains `needle`.
fn usage_mistake(args: &[&str], needle: &str) {
    let out = run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    // Ours are one line; clap's add a usage hint below theirs.
    if err.starts_with("muxkit: error:") {
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    } else {
        assert!(err.starts_with("error:"), "{args:?}: {err}");
    }
}

#[test]
fn existing_outputs_are_refused_unless_y_for_files_and_folders_alike() {
    let tmp = TempDir::new("conv-overwrite");
    let src = testdata().join("source.flv");
    let out = tmp.path().join("out.ts");
    assert!(run(&["convert", s(&src), s(&out)]).status.success());
    let first = std::fs::metadata(&out).unwrap().modified().unwrap();
    // The default refuses, and says how to replace; the file is untouched.
    usage_mistake(
        &["convert", s(&src), s(&out)],
        "out.ts: the output exists (-y",
    );
    usage_mistake(&["convert", "-n", s(&src), s(&out)], "the output exists");
    assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), first);
    // -y replaces, before or after the subcommand's arguments.
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(run(&["convert", "-y", s(&src), s(&out)]).status.success());
    assert!(
        run(&["convert", s(&src), s(&out), "--overwrite"])
            .status
            .success()
    );
    assert_ne!(std::fs::metadata(&out).unwrap().modified().unwrap(), first);
    usage_mistake(
        &["convert", "-y", "-n", s(&src), s(&out)],
        "cannot be used with",
    );
    // The same rule for an HLS folder.
    let hls = tmp.path().join("hls");
    assert!(run(&["convert", s(&src), s(&hls)]).status.success());
    usage_mistake(
        &["convert", s(&src), s(&hls)],
        "the output folder holds files (-y",
    );
    assert!(run(&["convert", "-y", s(&src), s(&hls)]).status.success());
    // And for a cover picture written by inspect.
    let mp3 = testdata().join("song_v23_cover.mp3");
    let cover = tmp.path().join("cover.jpg");
    assert!(
        run(&["inspect", s(&mp3), "--extract-cover", s(&cover)])
            .status
            .success()
    );
    usage_mistake(
        &["inspect", s(&mp3), "--extract-cover", s(&cover)],
        "the output exists",
    );
    assert!(
        run(&["inspect", "-y", s(&mp3), "--extract-cover", s(&cover)])
            .status
            .success()
    );
}

#[test]
fn usage_mistakes_exit_2_and_name_what_the_user_gave() {
    let tmp = TempDir::new("conv-usage");
    let src = testdata().join("source.flv");
    let ts = testdata().join("ts_mp2.ts");
    // Options for another output or input.
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("a.ts")),
            "--hls-time",
            "2",
        ],
        "--hls-time does not apply to",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("a.ts")),
            "--keyframe-index",
        ],
        "--keyframe-index does not apply",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("a.flv")),
            "--fragmented",
        ],
        "--fragmented does not apply",
    );
    for input in [
        &ts,
        &testdata().join("source.f4v"),
        &testdata().join("song_v1.mp3"),
    ] {
        usage_mistake(&["inspect", "--tags", s(input)], "--tags does not apply to");
    }
    usage_mistake(
        &[
            "inspect",
            s(&src),
            "--extract-cover",
            s(&tmp.path().join("c.jpg")),
        ],
        "--extract-cover does not apply",
    );
    // --hls-time: any positive decimal; -1 is a value (refused), not an option.
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("h1")),
            "--hls-time",
            "-1",
        ],
        "not a positive number of seconds",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("h2")),
            "--hls-time",
            "0",
        ],
        "not a positive number",
    );
    for t in ["0.5", ".5", "2.", "1e1"] {
        let dir = tmp.path().join(format!("hls-{t}/"));
        let out = run(&["convert", s(&src), s(&dir), "--hls-time", t]);
        assert!(out.status.success(), "--hls-time {t}: {}", stderr(&out));
    }
    // A folder that is not one, an output name without a format.
    usage_mistake(
        &["batch", s(&src), s(&tmp.path().join("b"))],
        "is not a folder",
    );
    usage_mistake(
        &["convert", s(&src), s(&tmp.path().join("x.unknown"))],
        "cannot tell the output format",
    );
    // Errors name the user's path, never the temporary file.
    let out = run(&["convert", s(&src), "/nonexistent-dir/o.ts"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("/nonexistent-dir/o.ts:"), "{err}");
    assert!(!err.contains(".tmp"), "{err}");
    // An unrecognised input: named, its first bytes as 0x hex.
    let junk = tmp.path().join("notes.txt");
    std::fs::write(&junk, b"GIF89a\x01\x00 not media").unwrap();
    let out = run(&["convert", s(&junk), s(&tmp.path().join("o.ts"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("notes.txt: unrecognised input format (first bytes 0x4749463839610100)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn binary_output_to_a_terminal_is_refused() {
    if Command::new("script").arg("--version").output().is_err() {
        skip_notice(
            "binary_output_to_a_terminal_is_refused: no `script` (util-linux) to make a terminal",
        );
        return;
    }
    let src = testdata().join("source.flv");
    let cmd = format!("{} convert {} -; echo rc=$?", s(&muxkit_bin()), s(&src));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("refusing to write binary media to a terminal"),
        "{text}"
    );
    assert!(text.contains("rc=2"), "{text}");
    assert!(!text.contains("FLV"), "{text}");
    // Not a terminal: the FLV comes out.
    let piped = run(&["convert", s(&src), "-"]);
    assert!(piped.status.success());
    assert!(piped.stdout.starts_with(b"FLV"));
}

#[test]
fn quiet_and_verbose_on_every_subcommand() {
    let tmp = TempDir::new("conv-verbosity");
    // A damaged input warns by default, says nothing with -q.
    let damaged = tmp.path().join("cut.flv");
    let bytes = std::fs::read(testdata().join("source.flv")).unwrap();
    std::fs::write(&damaged, &bytes[..bytes.len() - 1000]).unwrap();
    let out = run(&["convert", s(&damaged), s(&tmp.path().join("a.ts"))]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    let out = run(&["convert", "-q", s(&damaged), s(&tmp.path().join("b.ts"))]);
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
    let out = run(&["-q", "convert", s(&damaged), s(&tmp.path().join("c.ts"))]);
    assert_eq!(stderr(&out), "");
    // -v says what was written.
    let out = run(&["convert", "-v", s(&damaged), s(&tmp.path().join("d.ts"))]);
    assert!(stderr(&out).contains("wrote "), "{}", stderr(&out));
    // Every subcommand takes both.
    for sub in ["inspect", "convert", "batch", "ingest", "publish"] {
        for flag in ["-q", "-v", "-vv", "--quiet", "--verbose"] {
            let out = run(&[sub, flag, "--help"]);
            assert!(out.status.success(), "{sub} {flag}: {}", stderr(&out));
        }
    }
    usage_mistake(&["inspect", "-q", "-v", "x"], "cannot be used with");
    // batch -q: no summary line on success.
    let tree = tmp.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::copy(testdata().join("source.flv"), tree.join("a.flv")).unwrap();
    let out = run(&[
        "batch",
        "-q",
        s(&tree),
        s(&tmp.path().join("bout")),
        "--to",
        "ts",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    // batch -n: an output that exists is skipped, not replaced.
    let out = run(&[
        "batch",
        "-n",
        s(&tree),
        s(&tmp.path().join("bout")),
        "--to",
        "ts",
        "--force",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 skipped (1 the output exists"),
        "{}",
        stderr(&out)
    );
}

/// The codec types ffprobe sees, in stream order.
fn ffprobe_kinds(file: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=index,codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    // A TS lists its streams under the program too: one entry per index.
    let mut seen = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((index, kind)) = line.split_once(',') {
            seen.insert(index.parse::<u32>().unwrap(), kind.to_owned());
        }
    }
    seen.into_values().collect()
}

#[test]
fn track_selection_by_id_kind_and_audio_only_extension() {
    if !have_ffmpeg("track_selection_by_id_kind_and_audio_only_extension") {
        return;
    }
    let tmp = TempDir::new("conv-map");
    let src = testdata().join("source.flv");
    let conv = |name: &str, extra: &[&str]| -> std::path::PathBuf {
        let out = tmp.path().join(name);
        let o = run(&[&["convert", s(&src), s(&out)], extra].concat());
        assert!(o.status.success(), "{name} {extra:?}: {}", stderr(&o));
        // Asked for: nothing to warn about (an audio-only output notes the video it leaves).
        assert!(
            stderr(&o)
                .lines()
                .all(|l| l.starts_with("muxkit: note: track 0: video h264 left out")),
            "{name} {extra:?}: {}",
            stderr(&o)
        );
        // Raw ADTS has no duration field: ffprobe always estimates one from the bit rate.
        if !name.ends_with(".aac") {
            assert_eq!(ffprobe_complaints(&out), "", "{name}");
        }
        out
    };
    assert_eq!(ffprobe_kinds(&conv("a.m4a", &[])), ["audio"]);
    assert_eq!(ffprobe_kinds(&conv("a.aac", &[])), ["audio"]);
    assert_eq!(ffprobe_kinds(&conv("v.ts", &["--map", "0"])), ["video"]);
    assert_eq!(ffprobe_kinds(&conv("a.ts", &["--map", "1"])), ["audio"]);
    assert_eq!(ffprobe_kinds(&conv("a2.ts", &["--map", "a"])), ["audio"]);
    assert_eq!(
        ffprobe_kinds(&conv("both.ts", &["--map", "1,0"])),
        ["video", "audio"]
    );
    assert_eq!(ffprobe_kinds(&conv("nv.mp4", &["--no-video"])), ["audio"]);
    assert_eq!(ffprobe_kinds(&conv("na.flv", &["--no-audio"])), ["video"]);
    // The audio kept is the source's audio, packet for packet (ffmpeg numbers it 1 in the
    // FLV, 0 in the .m4a).
    let of_stream = |f: &Path, stream: &str| -> Vec<String> {
        packet_hashes(f)
            .into_iter()
            .filter_map(|l| l.strip_prefix(&format!("{stream} ")).map(str::to_owned))
            .collect()
    };
    let src_audio = of_stream(&src, "1");
    assert!(!src_audio.is_empty());
    assert_eq!(src_audio, of_stream(&tmp.path().join("a.m4a"), "0"));
    // Mistakes: an id the input does not have, a selection that leaves nothing.
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("x.ts")),
            "--map",
            "5",
        ],
        "--map 5: the input has no such track (it has 0 (video h264), 1 (audio aac))",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("y.ts")),
            "--no-video",
            "--no-audio",
        ],
        "the track selection leaves nothing to write",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("z.ts")),
            "--map",
            "x",
        ],
        "is not a track id",
    );
    assert!(!tmp.path().join("x.ts").exists());
}

/// Runs `shell` in a pseudo-terminal (util-linux `script`), returning what the terminal got
/// with carriage returns as line breaks; `None` (and a SKIPPED line) without `script`.
fn in_terminal(test: &str, shell: &str) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        skip_notice(&format!(
            "{test}: no `script` (util-linux) to make a terminal"
        ));
        return None;
    }
    let out = Command::new("script")
        .args(["-qec", shell, "/dev/null"])
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stdout).replace('\r', "\n"))
}

#[test]
fn a_terminal_gets_a_progress_bar_and_wrappers_json() {
    let tmp = TempDir::new("conv-progress");
    let src = testdata().join("source.flv");
    let size = std::fs::metadata(&src).unwrap().len();
    let bin = s(&muxkit_bin()).to_owned();
    // --progress bar: the bar with bytes, media time, speed and ETA, ending full.
    let out = tmp.path().join("a.ts");
    let Some(screen) = in_terminal(
        "a_terminal_gets_a_progress_bar_and_wrappers_json",
        &format!("{bin} convert --progress bar {} {}", s(&src), s(&out)),
    ) else {
        return;
    };
    let last = screen
        .lines()
        .rfind(|l| l.contains("time "))
        .unwrap_or_else(|| panic!("no bar in {screen:?}"));
    assert!(last.contains("[==============================]"), "{last}");
    assert!(last.contains("KiB/"), "{last}");
    assert!(last.contains("time 00:00:10.0"), "{last}");
    assert!(last.contains("speed "), "{last}");
    assert!(last.contains("ETA"), "{last}");
    // auto: nothing for quick work...
    let quick = in_terminal(
        "progress",
        &format!("{bin} convert {} {}", s(&src), s(&tmp.path().join("b.ts"))),
    )
    .unwrap();
    assert!(!quick.contains("time "), "{quick:?}");
    // ...and a spinner with media time and bitrate for a live input that runs over a second.
    let live = in_terminal(
        "progress",
        &format!(
            "(cat {}; sleep 2) | {bin} convert - {}",
            s(&src),
            s(&tmp.path().join("c.ts"))
        ),
    )
    .unwrap();
    let last = live
        .lines()
        .rfind(|l| l.contains(" read, time "))
        .unwrap_or_else(|| panic!("no spinner in {live:?}"));
    assert!(last.contains("time 00:00:10.0"), "{last}");
    assert!(last.contains("bitrate "), "{last}");
    // Not a terminal: no bar unless asked for JSON, whose lines end with "end".
    let o = run(&["convert", s(&src), s(&tmp.path().join("d.ts"))]);
    assert_eq!(stderr(&o), "");
    let o = run(&[
        "convert",
        "--progress",
        "json",
        s(&src),
        s(&tmp.path().join("e.ts")),
    ]);
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let end = lines.last().unwrap();
    assert_eq!(end["progress"], "end");
    assert_eq!(end["input_bytes"], size);
    assert_eq!(end["input_total"], size);
    assert_eq!(end["percent"], 100.0);
    assert!(
        (end["media_time"].as_f64().unwrap() - 10.0).abs() < 0.1,
        "{end}"
    );
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["progress"] == "continue")
    );
}

/// Every file of `dir` with its bytes.
fn folder_contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn y_replaces_an_hls_or_dash_folder_only_once_the_new_output_is_whole() {
    let tmp = TempDir::new("conv-y-folder");
    let src = testdata().join("source.flv");
    for (name, extra) in [
        ("hls", vec![]),
        ("dash", vec!["--hls-segment-type", "fmp4", "--dash"]),
    ] {
        let out = tmp.path().join(name);
        let mut args = vec!["convert", s(&src), s(&out)];
        args.extend(&extra);
        let mut first = args.clone();
        first.extend(["--hls-time", "2"]);
        assert!(run(&first).status.success());
        std::fs::write(out.join("notes.txt"), b"mine").unwrap();
        let before = folder_contents(&out);
        // A run that fails after writing every segment (an id the input lacks is only known
        // at the end): the old output is untouched, no staging folder is left.
        let mut failing = args.clone();
        failing.extend(["-y", "--map", "0,7", "--hls-time", "4"]);
        usage_mistake(&failing, "--map 7: the input has no such track");
        assert_eq!(
            folder_contents(&out),
            before,
            "{name}: the old output changed"
        );
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // A run that succeeds replaces the files of the same names; the user's file stays.
        let mut ok = args.clone();
        ok.extend(["-y", "--hls-time", "4"]);
        let o = run(&ok);
        assert!(o.status.success(), "{}", stderr(&o));
        let after = folder_contents(&out);
        assert_ne!(after, before);
        assert!(after.iter().any(|(n, b)| n == "notes.txt" && b == b"mine"));
        // With --dash, index.m3u8 is the multivariant playlist over video.m3u8.
        let media = if name == "dash" {
            "video.m3u8"
        } else {
            "index.m3u8"
        };
        let playlist = std::fs::read_to_string(out.join(media)).unwrap();
        assert!(playlist.contains("#EXT-X-TARGETDURATION:4"), "{playlist}");
        for line in playlist
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            assert!(
                out.join(line).is_file(),
                "{name}: {line} listed but missing"
            );
        }
    }
}

#[test]
fn more_usage_mistakes() {
    let tmp = TempDir::new("conv-usage-more");
    let src = testdata().join("source.flv");
    // The input as the output, even with -y.
    let copy = tmp.path().join("copy.flv");
    std::fs::copy(&src, &copy).unwrap();
    usage_mistake(
        &["convert", "-y", s(&copy), s(&copy)],
        "is both the input and the output",
    );
    // A file where an HLS folder is to go, with or without -y.
    let file = tmp.path().join("notafolder");
    std::fs::write(&file, b"x").unwrap();
    for y in [&[][..], &["-y"][..]] {
        usage_mistake(
            &[&["convert"], y, &[s(&src), s(&file)]].concat(),
            "an HLS output is a folder, and this is a file",
        );
    }
    // Options that shape nothing of this output.
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("h/")),
            "--hls-list-size",
            "3",
        ],
        "--hls-list-size sizes a live playlist's window",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("d/")),
            "--hls-segment-type",
            "fmp4",
            "--dash",
            "--segment-pattern",
            "x%d.m4s",
        ],
        "--segment-pattern does not apply to DASH/CMAF output",
    );
    usage_mistake(
        &[
            "convert",
            s(&src),
            s(&tmp.path().join("m.mpd")),
            "--ts-offset-ms",
            "0",
        ],
        "does not apply",
    );
    usage_mistake(
        &[
            "convert",
            "-n",
            "--force",
            s(&src),
            s(&tmp.path().join("f.ts")),
        ],
        "cannot be used with",
    );
    usage_mistake(
        &["ingest", "--http", "127.0.0.1:0", "--hls-time", "nan"],
        "not a positive number of seconds",
    );
    // --progress json says how the work ended.
    let o = run(&[
        "convert",
        "--progress",
        "json",
        s(&src),
        s(&tmp.path().join("p.ts")),
    ]);
    let last: serde_json::Value =
        serde_json::from_str(stderr(&o).lines().next_back().unwrap()).unwrap();
    assert_eq!(last["status"], "ok");
    let o = run(&[
        "convert",
        "--progress",
        "json",
        "--strict",
        s(&testdata().join("ts_mp2.ts")),
        s(&tmp.path().join("p.flv")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let end = stderr(&o)
        .lines()
        .rfind(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .unwrap();
    assert_eq!(end["status"], "failed");
}
