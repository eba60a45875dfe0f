#!/usr/bin/env bash
# benches/compare_batch.sh: `muxkit batch` with 1 and 2 jobs, and a shell loop of ffmpeg over
# the same tree with `xargs -P 2`, in one run.
#
#   benches/compare_batch.sh [--runs N] [TREE]
#
# TREE defaults to testdata/bench/tree (20 FLVs of ~30 MB, made by benches/gen_batch_tree.sh).
# Every job writes HLS (6 s target, VOD playlist), one folder per input, into a fresh folder.
# Targets (issue 8): --jobs 2 takes at most 0.6x the time of --jobs 1; muxkit --jobs 2 is at
# least 2x faster than ffmpeg under xargs -P 2.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

case ${1:-} in
    --ffmpeg-one)
        tree=$2 out=$3 file=$4
        rel=${file#"$tree"/}
        dir=$out/${rel%.*}
        mkdir -p "$dir"
        exec "$FFMPEG" -nostdin -v error -y -i "$file" -c copy -f hls -hls_time 6 -hls_list_size 0 \
            -hls_segment_filename "$dir/segment_%05d.ts" "$dir/index.m3u8"
        ;;
    --ffmpeg-tree)
        tree=$2 out=$3
        find "$tree" -type f -name '*.flv' -print0 | xargs -0 -P 2 -n 1 "$here/compare_batch.sh" --ffmpeg-one "$tree" "$out"
        exit
        ;;
esac
bench_input testdata/bench/tree gen_batch_tree.sh "$@"
tree=$BENCH_INPUT
bytes=$(find "$tree" -type f -name '*.flv' -printf '%s\n' | awk '{ s += $1 } END { print s }')
files=$(find "$tree" -type f -name '*.flv' | wc -l)
echo "tree: $tree, $files files, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')" >&2
mapfile -d '' inputs < <(find "$tree" -type f -print0)
warm_cache "${inputs[@]}"
out=$(dirname "$tree")/batch-out
fresh() { rm -rf "$out"; mkdir -p "$out"; sync; }

# The ffmpeg side, as a shell loop would run it: one ffmpeg per file under xargs -P 2, the
# output folder mirroring the tree (this script again, in its --ffmpeg-tree mode).
BENCH_BEFORE=fresh
best "muxkit -j1" "$MUXKIT" batch "$tree" "$out" --to hls --jobs 1 --quiet
best "muxkit -j2" "$MUXKIT" batch "$tree" "$out" --to hls --jobs 2 --quiet
best "ffmpeg xargs -P2" "$here/compare_batch.sh" --ffmpeg-tree "$tree" "$out"
BENCH_BEFORE=
rm -rf "$out"

print_measured "muxkit -j1" "muxkit -j2" "ffmpeg xargs -P2"
awk -v a="${WALL[muxkit -j2]}" -v b="${WALL[muxkit -j1]}" \
    'BEGIN { printf "muxkit --jobs 2 / --jobs 1 wall: %.2f (target <= 0.60)\n", a / b }'
print_ratios "tree->hls" "ffmpeg xargs -P2" "muxkit -j2"
awk -v b="$bytes" -v s="${WALL[muxkit -j2]}" 'BEGIN { printf "muxkit --jobs 2: %.0f MB/s of input\n", b / 1e6 / s }'
