#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Interrupted work leaves nothing half-written: SIGINT and SIGTERM sent to a real `muxkit`
//! process mid-conversion, for every output format and for a live ingest; `kill -9` and the
//! next run; a failed HLS conversion.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{TempDir, ffprobe_complaints, have_ffmpeg, muxkit_bin, read_media_playlist, testdata};
use muxkit::flv::FlvTagReader;
use muxkit::io::InputSource;

/// An FLV of `source.flv`'s media repeated `times` times one after the other (timestamps
/// carried on), written to `path`: a long input whose conversion takes long enough to be
/// interrupted.
fn long_flv(path: &Path, times: u32) {
    let data = Bytes::from(std::fs::read(testdata().join("source.flv")).unwrap());
    let mut r =
        FlvTagReader::new(InputSource::from_bytes(data.clone()), Default::default()).unwrap();
    let mut tags = Vec::new();
    while let Some(t) = r.next_tag().unwrap() {
        tags.push(t);
    }
    let period = 10_080u32;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(&data[..13]).unwrap();
    for k in 0..times {
        for t in &tags {
            let config = matches!(t.header.tag_type.0, 8 | 9) && t.body.get(1) == Some(&0);
            if k > 0 && (t.header.tag_type.0 == 18 || config || t.body.get(1) == Some(&2)) {
                continue;
            }
            let ts = t.header.timestamp + k * period;
            let size = t.body.len() as u32;
            out.write_all(&[t.header.tag_type.0]).unwrap();
            out.write_all(&size.to_be_bytes()[1..]).unwrap();
            out.write_all(&ts.to_be_bytes()[1..]).unwrap();
            out.write_all(&[(ts >> 24) as u8, 0, 0, 0]).unwrap();
            out.write_all(&t.body).unwrap();
            out.write_all(&(size + 11).to_be_bytes()).unwrap();
        }
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(muxkit_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: &str) {
    let st = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Waits until `ready()` or panics after `secs`.
fn wait_until(secs: u64, what: &str, ready: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !ready() {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Files in `dir` whose names end in `.tmp` (muxkit's `.NAME.PID.tmp`).
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

fn big_temp(dir: &Path) -> bool {
    temporaries(dir)
        .iter()
        .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 1 << 20))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A playlist that ends with ENDLIST and whose every segment is whole; returns it.
fn finished_playlist(index: &Path) -> m3u8_rs::MediaPlaylist {
    let pl = read_media_playlist(index);
    assert!(pl.end_list, "{}: no ENDLIST", index.display());
    assert!(!pl.segments.is_empty());
    for s in &pl.segments {
        let len = std::fs::metadata(index.parent().unwrap().join(&s.uri))
            .unwrap_or_else(|e| panic!("{} listed but missing: {e}", s.uri))
            .len();
        assert!(len > 0 && len % 188 == 0, "{} is not whole", s.uri);
    }
    pl
}

#[test]
fn a_signal_mid_conversion_leaves_no_file_and_hls_finishes_its_playlist() {
    if !have_ffmpeg("a_signal_mid_conversion_leaves_no_file_and_hls_finishes_its_playlist") {
        return;
    }
    let tmp = TempDir::new("interrupt-signal");
    let input = tmp.path().join("long.flv");
    long_flv(&input, 150);
    // File outputs from a file: nothing is committed, and the temporary file is removed.
    for (ext, sig) in [
        ("ts", "-INT"),
        ("flv", "-TERM"),
        ("mp4", "-INT"),
        ("aac", "-TERM"),
    ] {
        let dir = tmp.path().join(ext);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join(format!("out.{ext}"));
        let child = spawn(&["convert", input.to_str().unwrap(), out.to_str().unwrap()]);
        wait_until(60, "the output to grow", || big_temp(&dir));
        signal(&child, sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(130), "{ext}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("interrupted: no output written"),
            "{ext}: {}",
            stderr(&o)
        );
        assert!(!out.exists(), "{ext}: a partial output was committed");
        assert!(
            temporaries(&dir).is_empty(),
            "{ext}: {:?}",
            temporaries(&dir)
        );
    }
    // HLS: every finished segment listed, ENDLIST, no temporary file.
    for sig in ["-INT", "-TERM"] {
        let dir = tmp.path().join(format!("hls{sig}"));
        let child = spawn(&[
            "convert",
            input.to_str().unwrap(),
            dir.to_str().unwrap(),
            "--hls-time",
            "2",
        ]);
        wait_until(60, "segments", || {
            dir.is_dir() && std::fs::read_dir(&dir).unwrap().count() >= 4
        });
        signal(&child, sig);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
        assert!(stderr(&o).contains("interrupted: the output holds what was read"));
        let pl = finished_playlist(&dir.join("index.m3u8"));
        assert!(pl.segments.len() >= 3);
        assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
        let listed = pl.segments.len() + 1;
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            listed,
            "only listed segments and the playlist"
        );
        let c = ffprobe_complaints(&dir.join("index.m3u8"));
        assert!(c.is_empty(), "{c}");
    }
}

#[test]
fn a_live_input_stopped_by_a_signal_keeps_what_was_read() {
    if !have_ffmpeg("a_live_input_stopped_by_a_signal_keeps_what_was_read") {
        return;
    }
    let tmp = TempDir::new("interrupt-live");
    let data = std::fs::read(testdata().join("source.flv")).unwrap();
    for target in ["live", "out.flv"] {
        let out = tmp.path().join(target);
        let mut args = vec!["convert", "-", out.to_str().unwrap()];
        if target == "live" {
            args.extend(["--hls-time", "2", "--hls-playlist-type", "event"]);
        }
        let mut child = Command::new(muxkit_bin())
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&data[..data.len() * 2 / 3]).unwrap();
        stdin.flush().unwrap();
        if target == "live" {
            wait_until(30, "an event playlist", || out.join("index.m3u8").exists());
        } else {
            std::thread::sleep(Duration::from_millis(300));
        }
        signal(&child, "-INT");
        // The reader is blocked on the pipe: the stop is seen with the next bytes (or its end).
        std::thread::sleep(Duration::from_millis(100));
        let _ = stdin.write_all(&data[data.len() * 2 / 3..]);
        drop(stdin);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(130), "{target}: {}", stderr(&o));
        if target == "live" {
            finished_playlist(&out.join("index.m3u8"));
            assert!(temporaries(&out).is_empty());
        } else {
            assert!(out.is_file());
            let c = ffprobe_complaints(&out);
            assert!(c.is_empty(), "{c}");
        }
    }
    assert!(temporaries(tmp.path()).is_empty());
}

#[test]
fn the_run_after_a_kill_removes_what_the_killed_run_left() {
    let tmp = TempDir::new("interrupt-kill9");
    let input = tmp.path().join("long.flv");
    long_flv(&input, 150);
    // A single file.
    let dir = tmp.path().join("ts");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.ts");
    let child = spawn(&["convert", input.to_str().unwrap(), out.to_str().unwrap()]);
    wait_until(60, "the output to grow", || big_temp(&dir));
    signal(&child, "-KILL");
    let _ = child.wait_with_output().unwrap();
    let left = temporaries(&dir);
    assert_eq!(left.len(), 1, "kill -9 leaves its temporary file");
    let small = testdata().join("source.flv");
    let o = Command::new(muxkit_bin())
        .args(["convert", small.to_str().unwrap(), out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    assert!(out.is_file());
    // An HLS folder, rerun with --force.
    let hls = tmp.path().join("hls");
    let child = spawn(&[
        "convert",
        input.to_str().unwrap(),
        hls.to_str().unwrap(),
        "--hls-time",
        "2",
    ]);
    wait_until(60, "segments", || {
        hls.is_dir() && std::fs::read_dir(&hls).unwrap().count() >= 4
    });
    signal(&child, "-KILL");
    let _ = child.wait_with_output().unwrap();
    let o = Command::new(muxkit_bin())
        .args([
            "convert",
            small.to_str().unwrap(),
            hls.to_str().unwrap(),
            "--force",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(temporaries(&hls).is_empty(), "{:?}", temporaries(&hls));
    finished_playlist(&hls.join("index.m3u8"));
}

#[test]
fn a_failed_vod_conversion_leaves_the_folder_as_it_was() {
    let tmp = TempDir::new("interrupt-failed");
    let data = std::fs::read(testdata().join("source.flv")).unwrap();
    let cut = tmp.path().join("cut.flv");
    std::fs::write(&cut, &data[..data.len() - 414]).unwrap();
    // --strict fails at the cut, after several segments were written.
    let hls = tmp.path().join("hls");
    let o = Command::new(muxkit_bin())
        .args(["convert", cut.to_str().unwrap(), hls.to_str().unwrap()])
        .args(["--hls-time", "2", "--strict"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!hls.exists(), "the folder it created is removed again");
    // Into an existing folder: the files that were there stay, nothing of the run does.
    std::fs::create_dir_all(&hls).unwrap();
    std::fs::write(hls.join("keep.txt"), b"mine").unwrap();
    let o = Command::new(muxkit_bin())
        .args(["convert", cut.to_str().unwrap(), hls.to_str().unwrap()])
        .args(["--hls-time", "2", "--strict", "--force"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let names: Vec<String> = std::fs::read_dir(&hls)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["keep.txt"]);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn ingest_ends_every_playlist_on_a_signal() {
    if !have_ffmpeg("ingest_ends_every_playlist_on_a_signal") {
        return;
    }
    let tmp = TempDir::new("interrupt-ingest");
    let out = tmp.path().join("live");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(muxkit_bin())
        .args(["ingest", "--listen", &listen, "--out"])
        .arg(&out)
        .args(["--hls-time", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(20, "the server to listen", || {
        std::net::TcpStream::connect(&listen).is_ok()
    });
    let publisher = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-re", "-i"])
        .arg(testdata().join("source.flv"))
        .args(["-c", "copy", "-f", "flv"])
        .arg(format!("rtmp://{listen}/app/cam"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let index = out.join("app/cam/index.m3u8");
    wait_until(30, "live segments", || {
        index.exists() && read_media_playlist(&index).segments.len() >= 2
    });
    signal(&server, "-INT");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "ingest did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(server.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    let mut publisher = publisher;
    let _ = publisher.kill();
    let _ = publisher.wait();
    finished_playlist(&index);
    assert!(temporaries(index.parent().unwrap()).is_empty());
    assert!(!err.contains("error:"), "{err}");
}
