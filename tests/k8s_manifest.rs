#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Kubernetes Indexed Job in docs/batch.md, checked against the Kubernetes 1.31 API
//! schema with `kubernetes-validate --strict` (PyPI, pinned in .ci/run): every field known,
//! every type right. A real cluster is not available here.

mod common;

use std::process::Command;

use common::*;

/// The YAML block under the docs' Kubernetes heading.
fn job_manifest() -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/batch.md"),
    )
    .unwrap();
    let at = doc
        .find("### A Kubernetes Indexed Job")
        .expect("the heading");
    let start = doc[at..].find("```yaml\n").expect("a yaml block") + at + "```yaml\n".len();
    let len = doc[start..].find("```").expect("its end");
    doc[start..start + len].to_owned()
}

#[test]
fn the_indexed_job_in_the_docs_is_valid_for_kubernetes() {
    let manifest = job_manifest();
    assert!(manifest.contains("completionMode: Indexed"));
    assert!(manifest.contains("--shard auto/8"), "{manifest}");
    assert!(manifest.contains("completions: 8"), "{manifest}");
    let available = Command::new("kubernetes-validate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        if std::env::var_os("MUXKIT_REQUIRE_FFMPEG").is_some() {
            panic!("kubernetes-validate not found but required here (.ci/run installs it)");
        }
        skip_notice(
            "the_indexed_job_in_the_docs_is_valid_for_kubernetes: no kubernetes-validate (pip install kubernetes-validate==1.31.0)",
        );
        return;
    }
    let tmp = TempDir::new("k8s-manifest");
    let path = tmp.path().join("job.yaml");
    std::fs::write(&path, &manifest).unwrap();
    let o = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.31.0"])
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{said}");
    assert!(said.contains("passed"), "{said}");
    // The checker does check: a misspelt field fails it.
    std::fs::write(
        &path,
        manifest.replace("restartPolicy: Never", "restartPolicyy: Never"),
    )
    .unwrap();
    let o = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.31.0"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!o.status.success());
}
