#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The README's quick start and tour, run top to bottom as a newcomer would, in a folder of
//! their own: every command must work, and everything written must land in `out/` and
//! `tour/` (both ignored by git).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// The first ```sh block after `heading`.
fn sh_block<'a>(readme: &'a str, heading: &str) -> &'a str {
    let from = readme.find(heading).expect("heading in the README");
    let rest = &readme[from..];
    let start = rest.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let len = rest[start..].find("\n```").expect("the block's end");
    &rest[start..start + len]
}

#[test]
fn the_quick_start_and_the_tour_run_top_to_bottom() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quick = sh_block(&readme, "## Quick start");
    assert!(
        quick.starts_with("cargo install --locked --path . && "),
        "{quick}"
    );
    // The install is what built the binary under test; the rest is the main job.
    let main_job = quick.trim_start_matches("cargo install --locked --path . && ");
    let tour = sh_block(&readme, "## Tour of the CLI");
    let tmp = TempDir::new("readme-tour");
    std::os::unix::fs::symlink(root.join("testdata"), tmp.path().join("testdata")).unwrap();
    let bin_dir = muxkit_bin().parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -e\n{main_job}\n{tour}\n");
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(tmp.path())
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the tour stopped ({}):\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("error: unrecognised"), "{stderr}");
    // Everything it wrote is in out/ and tour/ (and the testdata link we made).
    let mut top: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["out", "testdata", "tour"]);
    // And git ignores both.
    let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    for dir in ["/out/", "/tour/"] {
        assert!(ignore.lines().any(|l| l == dir), "{dir} not in .gitignore");
    }
    assert!(tmp.path().join("tour/hls2/index.m3u8").is_file());
    assert!(tmp.path().join("tour/audio.m4a").is_file());
}
