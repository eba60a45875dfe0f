#!/usr/bin/env bash
# benches/gen_batch_tree.sh: make testdata/bench/tree/, the input of benches/compare_batch.sh.
#
#   benches/gen_batch_tree.sh [--force]
#
# 20 FLV files of ~30 MB (30 s each of big.flv's 720p H.264 + AAC, cut at keyframes by
# `ffmpeg -f segment -c copy`), spread over four nested folders. big.flv is made first if
# missing (benches/gen_big_flv.sh). Left alone if it exists, unless --force.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

tree=testdata/bench/tree
case ${1:-} in
    --force) rm -rf "$tree" ;;
    "") ;;
    -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac
if [[ -d $tree ]] && (($(find "$tree" -name '*.flv' | wc -l) == 20)); then
    echo "$tree exists (--force to rebuild)"
    exit 0
fi
require_tool "$FFMPEG"
[[ -s testdata/bench/big.flv ]] || "$here/gen_big_flv.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$FFMPEG" -v error -i testdata/bench/big.flv -c copy -map 0 -f segment -segment_time 30 \
    -segment_format flv -reset_timestamps 1 "$work/part%02d.flv"
rm -rf "$tree"
k=0
for f in "$work"/part*.flv; do
    ((k < 20)) || break
    case $((k % 4)) in
        0) dir=$tree ;;
        1) dir=$tree/show_a ;;
        2) dir=$tree/show_a/season_1 ;;
        3) dir=$tree/show_b/extras ;;
    esac
    mkdir -p "$dir"
    mv "$f" "$dir/$(basename "$f")"
    k=$((k + 1))
done
echo "$tree: $(find "$tree" -name '*.flv' | wc -l) files, $(du -sh "$tree" | cut -f1)"
