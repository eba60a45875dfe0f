#!/usr/bin/env bash
# benches/s3_batch.sh: `muxkit batch` from and to an S3 server against the same batch on local
# disk, in one run.
#
#   benches/s3_batch.sh [--runs N] [--to hls|ts]
#
# The tree is testdata/bench/tree (20 FLVs of ~30 MB, benches/gen_batch_tree.sh). The S3 server
# is s3s-fs (release build, `cargo install s3s-fs@0.14.1 --features binary --locked`) on
# 127.0.0.1 over a folder in testdata/bench/, on the same two cores as muxkit. The tree is
# uploaded once (curl, SigV4); each run then converts every file again (--force):
#
#   local   muxkit batch tree/ out/ --jobs 2
#   s3      muxkit batch s3://bench/tree s3://bench/out --jobs N (default 4: waiting on the
#           network, more conversions in flight keep the two cores busy)
#   floor   curl GETs of every input and PUTs of every local output (the bytes the S3 batch
#           moves, with no conversion): what the server costs on its own
#
# Prints the best of N runs of each (interleaved), and the ratios s3/local (target, issue 20:
# at most 1.5) and s3/floor.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"
require_muxkit
require_tool curl

runs=$BENCH_RUNS to=hls
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --to) to=$2; shift 2 ;;
        -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1" ;;
    esac
done
s3_jobs=${S3_JOBS:-4}
tree=testdata/bench/tree
[[ -d $tree ]] || "$here/gen_batch_tree.sh"
s3s=${S3S_FS:-$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")}
[[ -x $s3s ]] || die "s3s-fs not found: cargo install s3s-fs@0.14.1 --features binary --locked"

root=testdata/bench/s3
rm -rf "$root" testdata/bench/s3-local-out
mkdir -p "$root/bench"
port=$((30000 + RANDOM % 20000))
"$s3s" --host 127.0.0.1 --port "$port" --access-key bench --secret-key bench-secret "$root" \
    > /tmp/s3_batch_server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
s3curl() {
    curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" --user bench:bench-secret \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
files=()
while IFS= read -r -d '' f; do files+=("${f#"$tree"/}"); done < <(find "$tree" -type f -print0 | sort -z)
bytes=0
for rel in "${files[@]}"; do
    s3curl -T "$tree/$rel" "http://127.0.0.1:$port/bench/tree/$rel"
    bytes=$((bytes + $(file_size "$tree/$rel")))
done
echo "s3s-fs on 127.0.0.1:$port; ${#files[@]} inputs, $((bytes / 1000000)) MB uploaded; --to $to"

local_out=testdata/bench/s3-local-out
run_local() { "$MUXKIT" batch -q --force --to "$to" --jobs 2 "$tree" "$local_out"; }
run_s3() { "$MUXKIT" batch -q --force --to "$to" --jobs "$s3_jobs" s3://bench/tree s3://bench/out; }
# The floor: the same GETs and PUTs, in two parallel streams, without muxkit.
run_floor() {
    printf '%s\0' "${files[@]}" | xargs -0 -P "$s3_jobs" -I{} bash -c '
        curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" --user bench:bench-secret \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o /dev/null "$1/bench/tree/$2"
    ' _ "http://127.0.0.1:$port" {}
    (cd "$local_out" && find . -type f ! -name '.*' -printf '%P\0') | xargs -0 -P "$s3_jobs" -I{} bash -c '
        curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" --user bench:bench-secret \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$2" "$1/bench/floor/$3"
    ' _ "http://127.0.0.1:$port" "$local_out/{}" {}
}
run_local  # the floor uploads its outputs
declare -A best=()
for label in local s3 floor; do best[$label]=999999; done
for _ in $(seq 1 "$runs"); do
    for label in local s3 floor; do
        sync
        t0=$(date +%s%N)
        "run_$label"
        t=$(( ($(date +%s%N) - t0) / 1000000 ))
        (( t < best[$label] )) && best[$label]=$t
        echo "  $label: $t ms"
    done
done
mb=$((bytes / 1000000))
for label in local s3 floor; do
    ms=${best[$label]}
    printf '%-6s best %6d ms  %7.1f MB/s\n' "$label" "$ms" "$(echo "$mb * 1000 / $ms" | bc -l)"
done
printf 's3 / local = %.2f (target <= 1.5)\n' "$(echo "${best[s3]} / ${best[local]}" | bc -l)"
printf 's3 / floor = %.2f (the S3 batch against moving the same bytes with curl)\n' \
    "$(echo "${best[s3]} / ${best[floor]}" | bc -l)"
