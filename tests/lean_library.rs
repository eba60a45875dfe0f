#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The library without the command line: `default-features = false` must not pull in the
//! CLI's or the server's dependencies. (`.ci/run` also builds it: `cargo check --lib
//! --no-default-features`.)

use std::process::Command;

/// The crates a build with `features` compiles for the library (normal edges only).
fn library_dependencies(features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "tree",
        "--offline",
        "--locked",
        "--edges",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}",
        "--no-default-features",
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

const CLI_ONLY: &[&str] = &["clap", "indicatif", "ctrlc", "tracing-subscriber"];
const SERVER_ONLY: &[&str] = &["tokio", "hyper", "tokio-rustls", "prometheus-client"];

#[test]
fn the_parsers_alone_pull_in_no_cli_server_or_batch_crate() {
    let lean = library_dependencies(&[]);
    assert!(lean.iter().any(|d| d == "bytes"), "{lean:?}");
    for banned in CLI_ONLY
        .iter()
        .chain(SERVER_ONLY)
        .chain(&["rayon", "object_store"])
    {
        assert!(!lean.iter().any(|d| d == banned), "{banned} in {lean:?}");
    }
    // Each feature adds what it needs and nothing of the others'.
    let batch = library_dependencies(&["batch"]);
    assert!(batch.iter().any(|d| d == "rayon"));
    assert!(!batch.iter().any(|d| d == "tokio" || d == "clap"));
    let server = library_dependencies(&["server"]);
    assert!(server.iter().any(|d| d == "tokio"));
    assert!(
        !server
            .iter()
            .any(|d| d == "clap" || d == "rayon" || d == "object_store")
    );
    let s3 = library_dependencies(&["s3"]);
    assert!(s3.iter().any(|d| d == "object_store") && s3.iter().any(|d| d == "tokio"));
    // (hyper comes with object_store's HTTP client; the server's own crates do not.)
    assert!(
        !s3.iter()
            .any(|d| d == "clap" || d == "rayon" || d == "prometheus-client")
    );
    let cli = library_dependencies(&["cli"]);
    for needed in CLI_ONLY
        .iter()
        .chain(SERVER_ONLY)
        .chain(&["rayon", "object_store"])
    {
        assert!(cli.iter().any(|d| d == needed), "{needed} missing from cli");
    }
}
