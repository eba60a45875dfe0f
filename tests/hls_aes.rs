#![allow(clippy::unwrap_used, clippy::expect_used)]

//! AES-128 HLS (`--hls-key`, `--hls-key-uri`, `--hls-encrypt`, `--hls-key-rotate`): ffmpeg
//! decrypts and decodes the source's frames, every segment has its own explicit IV, keys are
//! written only where asked and never replaced, rotation changes keys every N segments, fMP4
//! init sections stay clear, and the lint decrypts what it checks.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TempDir, have_ffmpeg, muxkit_bin, read_media_playlist, testdata};

fn convert(out: &Path, extra: &[&str]) -> Output {
    Command::new(muxkit_bin())
        .arg("convert")
        .arg(testdata().join("source.flv"))
        .arg(out)
        .args(["--hls-time", "2"])
        .args(extra)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Frames as ffmpeg decodes them, with key files allowed (ffmpeg blocks `.key` by default).
fn decoded(file: &Path) -> Vec<String> {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error"]);
    if file.extension().is_some_and(|e| e == "m3u8") {
        cmd.args(["-allowed_extensions", "ALL"]);
    }
    let out = cmd
        .arg("-i")
        .arg(file)
        .args(["-map", "0", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            format!("{} {} {}", f[0], f[4], f[5])
        })
        .collect();
    v.sort_by_key(|l| l.split(' ').next().and_then(|s| s.parse::<u32>().ok()));
    v
}

fn lint_ok(playlist: &Path) {
    let o = Command::new(muxkit_bin())
        .arg("inspect")
        .arg(playlist)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn generated_key_in_the_folder_decrypts_to_the_sources_frames() {
    if !have_ffmpeg("generated_key_in_the_folder_decrypts_to_the_sources_frames") {
        return;
    }
    let tmp = TempDir::new("aes-gen");
    for kind in ["mpegts", "fmp4"] {
        let dir = tmp.path().join(kind);
        let key = dir.join("stream.key");
        ok(&convert(
            &dir,
            &[
                "--hls-segment-type",
                kind,
                "--hls-encrypt",
                "--hls-key",
                key.to_str().unwrap(),
            ],
        ));
        let bytes = std::fs::read(&key).unwrap();
        assert_eq!(bytes.len(), 16);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let playlist = dir.join("index.m3u8");
        let pl = read_media_playlist(&playlist);
        let mut ivs = Vec::new();
        for s in &pl.segments {
            let k = s.key.as_ref().expect("an EXT-X-KEY before every segment");
            assert_eq!(k.uri.as_deref(), Some("stream.key"));
            ivs.push(k.iv.clone().unwrap());
        }
        ivs.dedup();
        assert_eq!(ivs.len(), pl.segments.len(), "one IV per segment");
        if kind == "fmp4" {
            // The init section stays clear: EXT-X-MAP before the first EXT-X-KEY.
            let text = std::fs::read_to_string(&playlist).unwrap();
            assert!(text.find("#EXT-X-MAP").unwrap() < text.find("#EXT-X-KEY").unwrap());
            assert!(std::fs::read(dir.join("init.mp4")).unwrap()[4..8] == *b"ftyp");
        } else {
            // A segment is not readable TS without the key.
            assert_ne!(
                std::fs::read(dir.join(&pl.segments[0].uri)).unwrap()[0],
                0x47
            );
        }
        assert_eq!(
            decoded(&playlist),
            decoded(&testdata().join("source.flv")),
            "{kind}"
        );
        lint_ok(&playlist);
    }
}

#[test]
fn a_given_key_outside_the_folder_is_named_by_its_uri_and_never_copied() {
    if !have_ffmpeg("a_given_key_outside_the_folder_is_named_by_its_uri_and_never_copied") {
        return;
    }
    let tmp = TempDir::new("aes-given");
    let key = tmp.path().join("secret.key");
    std::fs::write(&key, [9u8; 16]).unwrap();
    let dir = tmp.path().join("out");
    // Without a URI the playlist could not name a key outside its folder: a usage error.
    let o = convert(&dir, &["--hls-key", key.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    ok(&convert(
        &dir,
        &[
            "--hls-key",
            key.to_str().unwrap(),
            "--hls-key-uri",
            "https://keys.example/k1",
        ],
    ));
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    assert!(
        pl.segments
            .iter()
            .all(|s| s.key.as_ref().unwrap().uri.as_deref() == Some("https://keys.example/k1"))
    );
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| {
        let n = e.unwrap().file_name();
        n == "index.m3u8" || n.to_string_lossy().ends_with(".ts")
    }));
    // Decrypted with the key, the segments are the source's frames.
    let mut joined = Vec::new();
    for (i, s) in pl.segments.iter().enumerate() {
        let mut data = std::fs::read(dir.join(&s.uri)).unwrap();
        let iv = u128::from_str_radix(
            s.key
                .as_ref()
                .unwrap()
                .iv
                .as_ref()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap();
        assert_eq!(iv, i as u128);
        muxkit::hls::keys::decrypt_segment(&[9u8; 16], &iv.to_be_bytes(), &mut data, true).unwrap();
        joined.extend_from_slice(&data);
    }
    let clear = tmp.path().join("clear.ts");
    std::fs::write(&clear, joined).unwrap();
    assert_eq!(decoded(&clear), decoded(&testdata().join("source.flv")));
    // A key file that is not 16 bytes, and --hls-encrypt over an existing key, fail.
    std::fs::write(&key, [1u8; 15]).unwrap();
    let o = convert(
        &tmp.path().join("bad"),
        &["--hls-key", key.to_str().unwrap(), "--hls-key-uri", "k"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("16 raw bytes"));
    let o = convert(
        &tmp.path().join("again"),
        &[
            "--hls-encrypt",
            "--hls-key",
            key.to_str().unwrap(),
            "--hls-key-uri",
            "k",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read(&key).unwrap(),
        [1u8; 15],
        "an existing key is never replaced"
    );
}

#[test]
fn keys_rotate_every_n_segments() {
    if !have_ffmpeg("keys_rotate_every_n_segments") {
        return;
    }
    let tmp = TempDir::new("aes-rotate");
    let dir = tmp.path().join("out");
    let pattern = dir.join("key_%d.bin");
    ok(&convert(
        &dir,
        &[
            "--hls-encrypt",
            "--hls-key",
            pattern.to_str().unwrap(),
            "--hls-key-rotate",
            "2",
        ],
    ));
    let pl = read_media_playlist(&dir.join("index.m3u8"));
    assert_eq!(pl.segments.len(), 5);
    let uris: Vec<String> = pl
        .segments
        .iter()
        .map(|s| s.key.as_ref().unwrap().uri.clone().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "key_0.bin",
            "key_0.bin",
            "key_1.bin",
            "key_1.bin",
            "key_2.bin"
        ]
    );
    let keys: Vec<Vec<u8>> = (0..3)
        .map(|k| std::fs::read(dir.join(format!("key_{k}.bin"))).unwrap())
        .collect();
    assert!(keys[0] != keys[1] && keys[1] != keys[2]);
    assert_eq!(
        decoded(&dir.join("index.m3u8")),
        decoded(&testdata().join("source.flv"))
    );
    lint_ok(&dir.join("index.m3u8"));
    // Rotation needs a %d in the key path.
    let o = convert(
        &tmp.path().join("x"),
        &[
            "--hls-encrypt",
            "--hls-key",
            dir.join("k.bin").to_str().unwrap(),
            "--hls-key-rotate",
            "2",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
}
