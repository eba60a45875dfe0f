//! Shared helpers for integration tests: fixtures, ffmpeg as the judge, packet collection.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use muxkit::{Demuxer, Packet, Track};

pub mod s3;

/// The repository's testdata folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The FLV fixtures that must read cleanly (made by testdata/generate.sh).
pub fn flv_fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "flv"))
        .collect();
    v.sort();
    assert!(
        !v.is_empty(),
        "no FLV fixtures in testdata/: run testdata/generate.sh"
    );
    v
}

/// Says that a test skipped something, where the test summary shows it: straight to the
/// process's stderr, past the test harness's capture (which only takes `print!`/`eprint!`),
/// so `cargo test` lists every skip without `--nocapture`.
pub fn skip_notice(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {text}");
}

/// Real-world media files in ../shared/media with one of `extensions`. A clone without that
/// folder skips them and says so. It is a failure instead when `MUXKIT_REQUIRE_MEDIA` is set,
/// or when `MUXKIT_REQUIRE_FFMPEG` is (CI) and the `../shared` tree is there but its media
/// folder is not; a checkout with no `../shared` at all (someone else's clone) only skips.
pub fn shared_media(extensions: &[&str]) -> Vec<PathBuf> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let dir = shared.join("media");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        let required = std::env::var_os("MUXKIT_REQUIRE_MEDIA").is_some()
            || (std::env::var_os("MUXKIT_REQUIRE_FFMPEG").is_some() && shared.is_dir());
        if required {
            panic!(
                "{} not found but the real-media tests are required here",
                dir.display()
            );
        }
        skip_notice(&format!(
            "real-world media: {} not found (only testdata/ was used)",
            dir.display()
        ));
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
        })
        .collect();
    v.sort();
    v
}

/// Real-world FLVs from ../shared/media (see [`shared_media`]).
pub fn shared_flvs() -> Vec<PathBuf> {
    shared_media(&["flv"])
}

/// FLVs ffmpeg can read: ffmpeg 5.1 (Debian 12) has no Enhanced FLV support, so fixtures named
/// `*enhanced*` are judged by tests/flv_enhanced.rs, and `eflv_*` (written by ffmpeg 9) by
/// tests/codecs_mp4.rs with ffmpeg 9, instead.
pub fn ffmpeg_readable_flvs() -> Vec<PathBuf> {
    all_flvs()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.contains("enhanced") && !name.starts_with("eflv_")
        })
        .collect()
}

/// Every FLV the round-trip tests cover.
pub fn all_flvs() -> Vec<PathBuf> {
    let mut v = flv_fixtures();
    v.extend(shared_flvs());
    v
}

/// Whether ffmpeg and ffprobe are usable. When `MUXKIT_REQUIRE_FFMPEG` is set (CI), their absence
/// fails the test instead of skipping it.
pub fn have_ffmpeg(test: &str) -> bool {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("ffprobe")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("MUXKIT_REQUIRE_FFMPEG").is_some() {
            panic!("{test}: ffmpeg/ffprobe not found but MUXKIT_REQUIRE_FFMPEG is set");
        }
        skip_notice(&format!(
            "{test}: ffmpeg/ffprobe not installed (install ffmpeg to run it)"
        ));
    }
    ok
}

/// A current ffmpeg (9.x, which reads and writes Enhanced FLV): `MUXKIT_FFMPEG9`, or the binary
/// of the pinned `imageio-ffmpeg` wheel (`pip install imageio-ffmpeg==0.8.1`). `None` (and a
/// SKIPPED line) when there is none, a failure when `MUXKIT_REQUIRE_FFMPEG9` is set (CI).
#[allow(dead_code)]
pub fn ffmpeg9(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("MUXKIT_FFMPEG9")
        .map(PathBuf::from)
        .or_else(|| {
            let o = Command::new("python3")
                .args([
                    "-c",
                    "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())",
                ])
                .output()
                .ok()?;
            o.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        })
        .filter(|p| p.is_file());
    if found.is_none() {
        if std::env::var_os("MUXKIT_REQUIRE_FFMPEG9").is_some() {
            panic!("{test}: ffmpeg 9 not found but MUXKIT_REQUIRE_FFMPEG9 is set");
        }
        skip_notice(&format!(
            "{test}: no ffmpeg 9 (pip install imageio-ffmpeg==0.8.1)"
        ));
    }
    found
}

/// `FFMPEG -i FILE -map 0 [EXTRA] -f framemd5 -` as (stream, size, hash) per frame or packet,
/// in output order.
fn framemd5(ffmpeg: &Path, file: &Path, extra: &[&str]) -> Vec<(u32, String)> {
    let out = Command::new(ffmpeg)
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0"])
        .args(extra)
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "{} framemd5 failed on {}: {}",
        ffmpeg.display(),
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[0].parse().unwrap_or(0), format!("{} {}", f[4], f[5]))
        })
        .collect()
}

/// (stream, size, hash) lines grouped by stream: a stable sort keeps each stream's order.
fn by_stream(mut v: Vec<(u32, String)>) -> Vec<String> {
    v.sort_by_key(|(s, _)| *s);
    v.into_iter().map(|(s, l)| format!("{s} {l}")).collect()
}

/// Decoded frames as (size, hash) with the given ffmpeg, sorted: the content of every stream
/// whatever its index (two ffmpeg versions may number an FLV's streams differently).
#[allow(dead_code)]
pub fn decoded_content(ffmpeg: &Path, file: &Path) -> Vec<String> {
    let mut lines: Vec<String> = framemd5(ffmpeg, file, &[])
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    lines.sort();
    lines
}

/// `ffmpeg -i FILE -map 0 -c copy -f framemd5 -` as (stream, size, hash): the packets
/// themselves, in each stream's order.
#[allow(dead_code)]
pub fn packet_hashes(file: &Path) -> Vec<String> {
    by_stream(framemd5(Path::new("ffmpeg"), file, &["-c", "copy"]))
}

/// `ffmpeg -i FILE -map 0 -f framemd5 -`, reduced to (stream, size, hash) per decoded frame:
/// the decoded content without timestamps, grouped by stream (in decode order within each), since
/// how two streams interleave is the container's business, not the content's.
pub fn frame_hashes(file: &Path) -> Vec<String> {
    by_stream(framemd5(Path::new("ffmpeg"), file, &[]))
}

/// Everything ffprobe prints at `-v warning` while reading every packet and frame header: empty
/// means it read the file without one complaint.
pub fn ffprobe_complaints(file: &Path) -> String {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "warning",
            "-show_packets",
            "-show_streams",
            "-of",
            "compact",
        ])
        .arg(file)
        .output()
        .expect("run ffprobe");
    let mut s = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        s.push_str(&format!("\nffprobe exited with {}", out.status));
    }
    s
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("muxkit-test-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Drains a demuxer: final tracks and every packet.
pub fn drain(d: &mut dyn Demuxer) -> (Vec<Track>, Vec<Packet>) {
    let mut packets = Vec::new();
    while let Some(p) = d.next_packet().expect("demux") {
        packets.push(p);
    }
    (d.tracks().to_vec(), packets)
}

/// Path to the built CLI binary.
pub fn muxkit_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_muxkit"))
}

/// Runs `muxkit convert -y SRC OUT EXTRA...` (replacing what an earlier iteration of the
/// caller wrote there) and asserts it succeeded.
pub fn muxkit_convert(src: &Path, out: &Path, extra: &[&str]) {
    let o = Command::new(muxkit_bin())
        .arg("convert")
        .arg("-y")
        .arg(src)
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "convert {}: {}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Parses a media playlist file with m3u8-rs (panics if it is not one).
pub fn read_media_playlist(path: &Path) -> m3u8_rs::MediaPlaylist {
    let text = std::fs::read(path).unwrap();
    parse_media_playlist(&text)
        .unwrap_or_else(|| panic!("{}: not a media playlist", path.display()))
}

/// Parses media playlist text; `None` when it is not one.
pub fn parse_media_playlist(text: &[u8]) -> Option<m3u8_rs::MediaPlaylist> {
    match m3u8_rs::parse_playlist_res(text) {
        Ok(m3u8_rs::Playlist::MediaPlaylist(p)) => Some(p),
        _ => None,
    }
}
