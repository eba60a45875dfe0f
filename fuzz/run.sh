#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after another, seeded from the
# fixtures. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
mkdir -p corpus/flv_demux corpus/amf
for f in ../testdata/*.flv ../testdata/hostile/*.flv; do
    [ "$(stat -c %s "$f")" -lt 200000 ] && cp -n "$f" corpus/flv_demux/ || true
done
for target in flv_demux amf; do
    echo "== $target for ${secs}s"
    cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 2>&1 | tail -n 12
done
