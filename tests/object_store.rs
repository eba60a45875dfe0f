//! Object storage against a real S3 server (s3s-fs on 127.0.0.1, see tests/common/s3.rs):
//! outputs equal the same conversion on local disk byte for byte and read cleanly in
//! ffprobe after a download over HTTP; inputs are read with ranged GETs; and each fault the
//! issue names gets a test: a server stopped mid-run, a slow one, a 403, a missing bucket, an
//! object that changes while it is read.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::s3::{FaultProxy, S3Server};
use common::{TempDir, ffprobe_complaints, have_ffmpeg, muxkit_bin};

/// Inputs made by ffmpeg: a short FLV and MP4 (H.264 + AAC) and a ~30 MB FLV (noisy video at
/// high quality) that takes four ranged GETs to read and a multipart upload to store.
struct Media {
    small_flv: PathBuf,
    small_mp4: PathBuf,
    big_flv: PathBuf,
}

fn media(dir: &Path) -> Media {
    let make = |out: &Path, video: &str, seconds: &str, extra: &[&str]| {
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", video])
            .args(["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000"])
            .args([
                "-t",
                seconds,
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "25",
            ])
            .args(extra)
            .args(["-c:a", "aac", "-b:a", "96k"])
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let m = Media {
        small_flv: dir.join("small.flv"),
        small_mp4: dir.join("small.mp4"),
        big_flv: dir.join("big.flv"),
    };
    make(&m.small_flv, "testsrc2=s=320x240:r=25", "5", &[]);
    make(&m.small_mp4, "testsrc2=s=320x240:r=25", "5", &[]);
    make(
        &m.big_flv,
        "testsrc2=s=640x360:r=25,noise=alls=40:allf=t",
        "8",
        &["-crf", "18"],
    );
    m
}

fn muxkit(env: &[(&'static str, String)], args: &[&str]) -> Output {
    Command::new(muxkit_bin())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "muxkit failed: {err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn setup(test: &str) -> Option<(S3Server, TempDir, Media)> {
    if !have_ffmpeg(test) {
        return None;
    }
    let server = S3Server::start(test)?;
    server.bucket("media");
    let dir = TempDir::new(test);
    let m = media(dir.path());
    Some((server, dir, m))
}

#[test]
fn outputs_in_a_bucket_equal_local_ones_and_play() {
    let Some((server, dir, m)) = setup("s3_outputs") else {
        return;
    };
    let env = server.env();
    let local = dir.path().join("local");
    std::fs::create_dir_all(&local).unwrap();
    // Inputs into the bucket through muxkit's own upload.
    for (file, key) in [
        (&m.small_flv, "in/small.flv"),
        (&m.small_mp4, "in/small.mp4"),
    ] {
        ok(&muxkit(
            &env,
            &["convert", s(file), &format!("s3://media/{key}")],
        ));
        let _ = key;
    }
    // The FLV->FLV remux is what `in/small.flv` holds; use it as the local input too, so
    // the two sides read the same bytes.
    server.download("media", "in/small.flv", &local.join("in.flv"));
    server.download("media", "in/small.mp4", &local.join("in.mp4"));
    let cases: [(&str, &str, &str, &[&str]); 6] = [
        ("in.flv", "in/small.flv", "a.ts", &[]),
        ("in.flv", "in/small.flv", "a.mp4", &[]),
        ("in.mp4", "in/small.mp4", "b.flv", &[]),
        ("in.flv", "in/small.flv", "hls/", &["--hls-time", "1"]),
        (
            "in.mp4",
            "in/small.mp4",
            "fmp4/",
            &["--hls-segment-type", "fmp4"],
        ),
        ("in.flv", "in/small.flv", "dash/manifest.mpd", &[]),
    ];
    for (local_in, key_in, out, extra) in cases {
        let local_out = local.join(out);
        let mut a = vec![
            "convert".to_owned(),
            s(&local.join(local_in)).to_owned(),
            s(&local_out).to_owned(),
        ];
        a.extend(extra.iter().map(|e| e.to_string()));
        ok(&muxkit(
            &env,
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        let url = format!("s3://media/{}", out);
        let mut b = vec![
            "convert".to_owned(),
            format!("s3://media/{key_in}"),
            url.clone(),
        ];
        b.extend(extra.iter().map(|e| e.to_string()));
        ok(&muxkit(
            &env,
            &b.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        // Byte for byte what the local run wrote, fetched over HTTP.
        let fetched = dir.path().join("fetched").join(out);
        if out.ends_with('/') || out.ends_with(".mpd") {
            let prefix = out.trim_end_matches('/').trim_end_matches("manifest.mpd");
            let prefix = prefix.trim_end_matches('/');
            let keys = server.download_prefix("media", prefix, &fetched_dir(&fetched, out));
            let local_dir = if out.ends_with(".mpd") {
                local_out.parent().unwrap().to_owned()
            } else {
                local_out.clone()
            };
            let mut local_names: Vec<String> = std::fs::read_dir(&local_dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            local_names.sort();
            let mut remote_names: Vec<String> = keys
                .iter()
                .map(|k| k.rsplit('/').next().unwrap().to_owned())
                .collect();
            remote_names.sort();
            assert_eq!(local_names, remote_names, "{out}: the same files");
            for name in &local_names {
                assert_eq!(
                    std::fs::read(local_dir.join(name)).unwrap(),
                    std::fs::read(fetched_dir(&fetched, out).join(name)).unwrap(),
                    "{out}{name}"
                );
            }
            if out.ends_with('/') {
                let playlist = fetched_dir(&fetched, out).join("index.m3u8");
                assert_eq!(ffprobe_complaints(&playlist), "", "{out}");
            }
        } else {
            server.download("media", out, &fetched);
            assert_eq!(
                std::fs::read(&local_out).unwrap(),
                std::fs::read(&fetched).unwrap(),
                "{out}"
            );
            // ffprobe reads the object straight from the server.
            let url = server.presigned("media", out);
            assert_eq!(ffprobe_complaints(Path::new(&url)), "", "{out}");
        }
    }
}

fn fetched_dir(fetched: &Path, out: &str) -> PathBuf {
    if out.ends_with(".mpd") {
        fetched.parent().unwrap().to_owned()
    } else {
        fetched.to_owned()
    }
}

#[test]
fn keys_are_taken_as_written() {
    let Some((server, dir, m)) = setup("s3_keys") else {
        return;
    };
    let env = server.env();
    let key = "odd/Episode #3 [v1] ~50% {x}.flv";
    ok(&muxkit(
        &env,
        &["convert", s(&m.small_flv), &format!("s3://media/{key}")],
    ));
    assert!(
        server.stored("media", key).is_file(),
        "{:?}",
        server.keys("media", "odd")
    );
    let back = dir.path().join("back.ts");
    ok(&muxkit(
        &env,
        &["convert", &format!("s3://media/{key}"), s(&back)],
    ));
    assert_eq!(ffprobe_complaints(&back), "");
    // A batch lists it and finds it again by the same name.
    let err = ok(&muxkit(
        &env,
        &[
            "batch",
            "s3://media/odd",
            "s3://media/odd-out",
            "--to",
            "ts",
        ],
    ));
    assert!(err.contains("1 converted"), "{err}");
    assert!(
        server
            .stored("media", "odd-out/Episode #3 [v1] ~50% {x}.ts")
            .is_file()
    );
    for bad in ["s3://media/a//b.flv", "s3://media/../x.flv"] {
        let o = muxkit(&env, &["convert", s(&m.small_flv), bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn large_objects_go_up_in_parts_and_come_down_in_ranges() {
    let Some((server, dir, m)) = setup("s3_large") else {
        return;
    };
    let mut env = server.env();
    // Parts from 16 MiB up (the default waits for 64 MiB).
    env.push(("MUXKIT_STORE_MULTIPART_MIB", "16".into()));
    let size = std::fs::metadata(&m.big_flv).unwrap().len();
    assert!(size > 24 << 20, "the big input is {size} bytes");
    // A 30 MB remux: a multipart upload (two 16 MiB parts).
    ok(&muxkit(
        &env,
        &["convert", s(&m.big_flv), "s3://media/big.flv"],
    ));
    let copy = dir.path().join("big-copy.flv");
    server.download("media", "big.flv", &copy);
    let local = dir.path().join("big-local.flv");
    ok(&muxkit(&env, &["convert", s(&m.big_flv), s(&local)]));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&local).unwrap()
    );
    // Read back with ranged GETs (four 8 MiB blocks) into TS, HLS and MP4 (read twice).
    for out in ["big.ts", "big.mp4"] {
        ok(&muxkit(
            &env,
            &[
                "convert",
                "s3://media/big.flv",
                &format!("s3://media/{out}"),
            ],
        ));
        let want = dir.path().join(format!("want-{out}"));
        ok(&muxkit(&env, &["convert", s(&local), s(&want)]));
        let got = dir.path().join(format!("got-{out}"));
        server.download("media", out, &got);
        assert_eq!(
            std::fs::read(&want).unwrap(),
            std::fs::read(&got).unwrap(),
            "{out}"
        );
    }
    assert_eq!(
        common::frame_hashes(&m.big_flv),
        common::frame_hashes(&dir.path().join("got-big.mp4"))
    );
}

#[test]
fn an_existing_output_is_refused_unless_replaced() {
    let Some((server, _dir, m)) = setup("s3_overwrite") else {
        return;
    };
    let env = server.env();
    ok(&muxkit(
        &env,
        &["convert", s(&m.small_flv), "s3://media/o.ts"],
    ));
    ok(&muxkit(
        &env,
        &["convert", s(&m.small_flv), "s3://media/h/"],
    ));
    for out in ["s3://media/o.ts", "s3://media/h/"] {
        let o = muxkit(&env, &["convert", s(&m.small_flv), out]);
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("-y replaces"));
    }
    let before = server.keys("media", "h");
    assert!(
        before.contains(&"h/segment_00000.ts".to_owned()),
        "{before:?}"
    );
    // -y over an HLS output: the new segments have names of their own (a player holding the
    // old playlist never gets new bytes under an old name), the old ones go once the new
    // playlist is stored, and every name the playlist lists is there.
    ok(&muxkit(
        &env,
        &[
            "convert",
            "-y",
            s(&m.small_flv),
            "s3://media/h/",
            "--hls-time",
            "1",
        ],
    ));
    let after = server.keys("media", "h");
    assert!(
        !after.contains(&"h/segment_00000.ts".to_owned()),
        "{after:?}"
    );
    let text = std::fs::read(server.stored("media", "h/index.m3u8")).unwrap();
    let p = common::parse_media_playlist(&text).unwrap();
    assert!(p.segments.len() > 2);
    for seg in &p.segments {
        assert!(!seg.uri.starts_with("segment_"), "{}", seg.uri);
        assert!(
            after.contains(&format!("h/{}", seg.uri)),
            "{} missing",
            seg.uri
        );
    }
    assert_eq!(after.len(), p.segments.len() + 1, "{after:?}");
    // A second playlist named into the same prefix: allowed (as a .m3u8 beside other files
    // in a folder), its segments stamped so the first output's are never overwritten, and
    // refused the second time without -y.
    let first: Vec<Vec<u8>> = after
        .iter()
        .map(|k| std::fs::read(server.stored("media", k)).unwrap())
        .collect();
    ok(&muxkit(
        &env,
        &["convert", s(&m.small_flv), "s3://media/h/other.m3u8"],
    ));
    let both = server.keys("media", "h");
    for (k, bytes) in after.iter().zip(&first) {
        assert_eq!(
            &std::fs::read(server.stored("media", k)).unwrap(),
            bytes,
            "{k}"
        );
    }
    assert!(both.len() > after.len() + 1, "{both:?}");
    let o = muxkit(
        &env,
        &["convert", s(&m.small_flv), "s3://media/h/other.m3u8"],
    );
    assert_eq!(o.status.code(), Some(2));
    ok(&muxkit(
        &env,
        &["convert", "-y", s(&m.small_flv), "s3://media/o.ts"],
    ));
}

#[test]
fn a_missing_bucket_and_refused_credentials_fail_at_once_and_clearly() {
    let Some((server, _dir, m)) = setup("s3_denied") else {
        return;
    };
    let env = server.env();
    let t0 = Instant::now();
    let o = muxkit(
        &env,
        &["convert", s(&m.small_flv), "s3://nosuchbucket/a.ts"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    // Exit 1: no later run cures it (75 is for what one may).
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("s3://nosuchbucket/a.ts:") && err.contains("the bucket does not exist"),
        "{err}"
    );
    let o = muxkit(
        &env,
        &["convert", "s3://nosuchbucket/in.flv", "/dev/null/x.ts"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("s3://nosuchbucket/in.flv"), "{err}");
    // Wrong secret: the server answers 403 to every signature.
    let mut bad = env.clone();
    bad.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    bad.push(("AWS_SECRET_ACCESS_KEY", "wrong".into()));
    for out in ["s3://media/a.ts", "s3://media/hls/"] {
        let o = muxkit(&bad, &["convert", s(&m.small_flv), out]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("access denied"), "{err}");
        assert!(!err.contains("retry"), "a 403 is not retried: {err}");
    }
    assert!(server.keys("media", "").is_empty());
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}

#[test]
fn a_server_that_comes_back_is_retried_and_one_that_does_not_fails_with_nothing_listed() {
    let Some((mut server, _dir, m)) = setup("s3_outage") else {
        return;
    };
    let proxy = FaultProxy::start(server.port);
    let mut env = server.env_via(proxy.port);
    env.push(("MUXKIT_STORE_RETRIES", "4".into()));
    // Each 16 KiB forwarded after 2 ms: the 30 MB input's HLS takes a few seconds to store.
    proxy.delay_ms.store(2, std::sync::atomic::Ordering::SeqCst);
    let run = |env: Vec<(&'static str, String)>, out: &'static str, input: PathBuf| {
        std::thread::spawn(move || muxkit(&env, &["convert", s(&input), out, "--hls-time", "1"]))
    };
    // Down for a moment: retries cure it.
    let job = run(env.clone(), "s3://media/back/", m.big_flv.clone());
    wait_for_keys(&server, "back", 1);
    server.stop();
    std::thread::sleep(Duration::from_millis(300));
    server.restart();
    let o = job.join().unwrap();
    let err = ok(&o);
    assert!(
        err.contains("retry 1 of 4"),
        "the retries are reported: {err}"
    );
    assert!(
        server
            .keys("media", "back")
            .iter()
            .any(|k| k.ends_with("index.m3u8"))
    );
    // Down for good: a clear failure, and no playlist names what was stored.
    env.retain(|(k, _)| *k != "MUXKIT_STORE_RETRIES");
    env.push(("MUXKIT_STORE_RETRIES", "2".into()));
    let job = run(env, "s3://media/gone/", m.big_flv.clone());
    wait_for_keys(&server, "gone", 1);
    server.stop();
    let t0 = Instant::now();
    let o = job.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(75), "{err}");
    assert!(err.contains("did not answer"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(30));
    server.restart();
    let left = server.keys("media", "gone");
    assert!(!left.iter().any(|k| k.ends_with(".m3u8")), "{left:?}");
}

fn wait_for_keys(server: &S3Server, prefix: &str, n: usize) {
    let t0 = Instant::now();
    while server.keys("media", prefix).len() < n {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "nothing stored under {prefix}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_slow_server_is_waited_for_and_a_stalled_one_times_out() {
    let Some((server, dir, m)) = setup("s3_slow") else {
        return;
    };
    let proxy = FaultProxy::start(server.port);
    let env = server.env_via(proxy.port);
    // Slow: 20 ms per 16 KiB chunk each way; the output is still the local one.
    proxy
        .delay_ms
        .store(20, std::sync::atomic::Ordering::SeqCst);
    ok(&muxkit(
        &env,
        &["convert", s(&m.small_flv), "s3://media/slow.ts"],
    ));
    let local = dir.path().join("slow.ts");
    ok(&muxkit(&env, &["convert", s(&m.small_flv), s(&local)]));
    let got = dir.path().join("got.ts");
    server.download("media", "slow.ts", &got);
    assert_eq!(std::fs::read(&local).unwrap(), std::fs::read(&got).unwrap());
    // Stalled: 3 s per chunk against a 1 s request timeout and one retry.
    proxy
        .delay_ms
        .store(3000, std::sync::atomic::Ordering::SeqCst);
    let mut env = env;
    env.push(("MUXKIT_STORE_TIMEOUT", "1".into()));
    env.push(("MUXKIT_STORE_RETRIES", "1".into()));
    let t0 = Instant::now();
    let o = muxkit(&env, &["convert", s(&m.small_flv), "s3://media/stalled.ts"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(75), "{err}");
    assert!(err.contains("did not answer"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    proxy.delay_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    assert!(!server.keys("media", "").contains(&"stalled.ts".to_owned()));
}

#[test]
fn an_object_replaced_while_it_is_read_fails_instead_of_splicing() {
    let Some((server, dir, m)) = setup("s3_changed") else {
        return;
    };
    let env = server.env();
    ok(&muxkit(
        &env,
        &["convert", s(&m.big_flv), "s3://media/in.flv"],
    ));
    let proxy = FaultProxy::start(server.port);
    let mut slow_env = server.env_via(proxy.port);
    // 1 MiB per GET, four ahead: most of the 30 GETs are made after the replacement.
    slow_env.push(("MUXKIT_STORE_BLOCK_MIB", "1".into()));
    // 30 MB through the proxy at 16 KiB per 1 ms: the read takes a couple of seconds.
    proxy.delay_ms.store(1, std::sync::atomic::Ordering::SeqCst);
    let job = std::thread::spawn({
        let out = dir.path().join("out.ts");
        move || muxkit(&slow_env, &["convert", "s3://media/in.flv", s(&out)])
    });
    std::thread::sleep(Duration::from_millis(300));
    // Another writer replaces the object with one a little larger (every range still
    // exists: only the ETag tells the versions apart).
    ok(&muxkit(
        &env,
        &[
            "convert",
            "-y",
            s(&m.big_flv),
            "s3://media/in.flv",
            "--keyframe-index",
        ],
    ));
    let o = job.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("changed while it was being read"), "{err}");
    assert!(!dir.path().join("out.ts").exists());
}

/// A tree of ffmpeg-made inputs in the bucket under `in/`, plus a file that is not media.
fn tree_in_bucket(
    server: &S3Server,
    env: &[(&'static str, String)],
    m: &Media,
) -> Vec<&'static str> {
    let keys = ["in/a.flv", "in/sub/b.flv", "in/sub/c.mp4", "in/big.flv"];
    for (file, key) in [
        (&m.small_flv, keys[0]),
        (&m.small_flv, keys[1]),
        (&m.small_mp4, keys[2]),
        (&m.big_flv, keys[3]),
    ] {
        ok(&muxkit(
            env,
            &["convert", "-y", s(file), &format!("s3://media/{key}")],
        ));
    }
    std::fs::write(server.stored("media", "in/notes.txt"), "not media").unwrap();
    keys.to_vec()
}

#[test]
fn batch_from_and_to_a_bucket_matches_a_local_batch_and_resumes_from_state_in_the_bucket() {
    let Some((server, dir, m)) = setup("s3_batch") else {
        return;
    };
    let env = server.env();
    tree_in_bucket(&server, &env, &m);
    // The same tree on local disk, fetched over HTTP.
    let local_in = dir.path().join("in");
    server.download_prefix("media", "in", &local_in);
    for to in ["ts", "hls", "mp4"] {
        let out = format!("s3://media/out-{to}");
        let o = muxkit(
            &env,
            &[
                "batch",
                "s3://media/in",
                &out,
                "--to",
                to,
                "--hls-time",
                "2",
            ],
        );
        let err = ok(&o);
        assert!(err.contains("4 converted, 1 skipped"), "{to}: {err}");
        let local_out = dir.path().join(format!("local-{to}"));
        ok(&muxkit(
            &env,
            &[
                "batch",
                s(&local_in),
                s(&local_out),
                "--to",
                to,
                "--hls-time",
                "2",
            ],
        ));
        // Every local output file has its object, byte for byte, and nothing else is there
        // but the state.
        let fetched = dir.path().join(format!("fetched-{to}"));
        let keys = server.download_prefix("media", &format!("out-{to}"), &fetched);
        let mut want = Vec::new();
        collect_files(&local_out, &local_out, &mut want);
        let got: Vec<String> = keys
            .iter()
            .map(|k| k.strip_prefix(&format!("out-{to}/")).unwrap().to_owned())
            .collect();
        assert_eq!(want, got, "{to}");
        for rel in &want {
            if rel.starts_with(".muxkit-batch") {
                continue;
            }
            assert_eq!(
                std::fs::read(local_out.join(rel)).unwrap(),
                std::fs::read(fetched.join(rel)).unwrap(),
                "{to}: {rel}"
            );
        }
        if to == "hls" {
            assert_eq!(ffprobe_complaints(&fetched.join("sub/b/index.m3u8")), "");
        }
        // Run again (as a scheduler's retry on another machine would: nothing local is
        // kept): the state in the bucket says everything is done.
        let err = ok(&muxkit(&env, &["batch", "s3://media/in", &out, "--to", to]));
        assert!(
            err.contains("0 converted, 5 skipped (4 already converted, 1 not a media file)"),
            "{to}: {err}"
        );
    }
    // The state elsewhere in the bucket, for a local output; a changed input is redone.
    let local_out = dir.path().join("out-state");
    let args = [
        "batch",
        "s3://media/in",
        s(&local_out),
        "--to",
        "flv",
        "--state",
        "s3://media/state/",
    ];
    ok(&muxkit(&env, &args));
    assert!(
        server
            .keys("media", "state")
            .contains(&"state/.muxkit-batch.jsonl".to_owned())
    );
    assert!(!local_out.join(".muxkit-batch.jsonl").exists());
    ok(&muxkit(
        &env,
        &["convert", "-y", s(&m.small_mp4), "s3://media/in/a.flv"],
    ));
    let err = ok(&muxkit(&env, &args));
    assert!(err.contains("1 converted, 4 skipped"), "{err}");
    // Mistakes: shards sharing one state object, the outputs on the tree itself.
    let one_state = [
        "batch",
        "s3://media/in",
        "s3://media/o2",
        "--shard",
        "1/2",
        "--state",
        "s3://media/one.jsonl",
    ];
    for args in [
        &one_state[..],
        &["batch", "s3://media/in", "s3://media/in"][..],
    ] {
        let o = muxkit(&env, args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_files(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
}

#[test]
fn a_batch_whose_storage_fails_exits_75_and_a_rerun_finishes_it() {
    let Some((mut server, _dir, m)) = setup("s3_batch_outage") else {
        return;
    };
    let env = server.env();
    tree_in_bucket(&server, &env, &m);
    let proxy = FaultProxy::start(server.port);
    let mut slow = server.env_via(proxy.port);
    slow.push(("MUXKIT_STORE_RETRIES", "1".into()));
    proxy.delay_ms.store(2, std::sync::atomic::Ordering::SeqCst);
    let job = std::thread::spawn(move || {
        muxkit(
            &slow,
            &[
                "batch",
                "s3://media/in",
                "s3://media/out",
                "--to",
                "ts",
                "-j",
                "1",
            ],
        )
    });
    // Largest first: big.flv is converting; the server goes away under it.
    std::thread::sleep(Duration::from_millis(500));
    server.stop();
    let o = job.join().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(75), "{err}");
    server.restart();
    let err = ok(&muxkit(
        &env,
        &["batch", "s3://media/in", "s3://media/out", "--to", "ts"],
    ));
    assert!(
        err.contains("converted") && err.contains(", 0 failed"),
        "{err}"
    );
    let outs: Vec<String> = server.keys("media", "out");
    for want in ["out/a.ts", "out/big.ts", "out/sub/b.ts", "out/sub/c.ts"] {
        assert!(outs.contains(&want.to_owned()), "{want}: {outs:?}");
    }
    // A third run has nothing left to do.
    let err = ok(&muxkit(
        &env,
        &["batch", "s3://media/in", "s3://media/out", "--to", "ts"],
    ));
    assert!(err.contains("0 converted"), "{err}");
}

#[test]
fn a_multipart_upload_retries_the_part_that_failed_alone() {
    let Some((mut server, dir, m)) = setup("s3_parts") else {
        return;
    };
    let proxy = FaultProxy::start(server.port);
    let mut env = server.env_via(proxy.port);
    // 5 MiB parts over a slowed link: the upload takes seconds, and the server goes away
    // for a moment in the middle of it.
    env.push(("MUXKIT_STORE_MULTIPART_MIB", "5".into()));
    proxy.delay_ms.store(2, std::sync::atomic::Ordering::SeqCst);
    let job = std::thread::spawn({
        let (env, input) = (env.clone(), m.big_flv.clone());
        move || muxkit(&env, &["convert", s(&input), "s3://media/parts.ts"])
    });
    std::thread::sleep(Duration::from_millis(1500));
    server.stop();
    std::thread::sleep(Duration::from_millis(300));
    server.restart();
    let o = job.join().unwrap();
    let err = ok(&o);
    assert!(err.contains("part ") && err.contains("retry 1 of"), "{err}");
    assert!(
        !err.contains("multipart upload of"),
        "the whole upload was not redone: {err}"
    );
    let local = dir.path().join("parts-local.ts");
    ok(&muxkit(&env, &["convert", s(&m.big_flv), s(&local)]));
    let got = dir.path().join("parts-got.ts");
    server.download("media", "parts.ts", &got);
    assert_eq!(std::fs::read(&local).unwrap(), std::fs::read(&got).unwrap());
}
