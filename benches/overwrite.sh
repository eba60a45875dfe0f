#!/usr/bin/env bash
# benches/overwrite.sh: what a re-run costs when its output already exists, against a run into
# a fresh path, for muxkit and for ffmpeg, in one run.
#
#   benches/overwrite.sh [--runs N] [FILE.flv]          (SETTLE=S to pause S s, default 6)
#
# FILE defaults to testdata/bench/big.flv (made by gen_big_flv.sh); the outputs are FLV -> TS
# files beside it. Each round times four runs back to back, in the order users meet them:
#   muxkit fresh   convert into a path that does not exist
#   muxkit rerun   convert over the output the previous round left (-y)
#   ffmpeg fresh   the same with ffmpeg -c copy
#   ffmpeg rerun   ffmpeg -y over its previous output
# Before each timed run the disk is synced and the script pauses SETTLE seconds (untimed), as a
# user looks at one result before running again: the previous output is then clean, and memory
# freed meanwhile (a fresh output removed) has been handed back by the kernel. SETTLE=0 times
# them back to back instead (outputs still dirty when replaced). The fresh outputs are removed
# right after their run. Prints the median and the slowest run of each, then the rerun/fresh
# ratios (target for muxkit: <= 1.2).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Rounds (a median needs more than lib.sh's default of 3 best-of runs).
BENCH_RUNS=${BENCH_RUNS:-9}
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"
bench_input testdata/bench/big.flv gen_big_flv.sh "$@"
file=$BENCH_INPUT
dir=$(dirname "$file")/overwrite-bench
rm -rf "$dir"
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
warm_cache "$file"

# Seconds of one run of "$@", to 3 decimals.
time_one() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$dir/log" || { cat "$dir/log" >&2; die "failed: $*"; }
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

declare -A times
labels=("muxkit fresh" "muxkit rerun" "ffmpeg fresh" "ffmpeg rerun")
# The rerun targets exist before the first timed round.
"$MUXKIT" convert -q "$file" "$dir/rerun_muxkit.ts"
"$FFMPEG" -v error -y -i "$file" -map 0 -c copy -f mpegts "$dir/rerun_ffmpeg.ts"
settle=${SETTLE:-6}
pause() {
    if [[ $settle != 0 ]]; then
        sync
        sleep "$settle"
    fi
}
for ((k = 0; k < BENCH_RUNS; k++)); do
    pause
    times["muxkit fresh"]+="$(time_one "$MUXKIT" convert -q "$file" "$dir/fresh_muxkit_$k.ts") "
    rm -f "$dir"/fresh_*
    pause
    times["muxkit rerun"]+="$(time_one "$MUXKIT" convert -q -y "$file" "$dir/rerun_muxkit.ts") "
    pause
    times["ffmpeg fresh"]+="$(time_one "$FFMPEG" -v error -i "$file" -map 0 -c copy -f mpegts "$dir/fresh_ffmpeg_$k.ts") "
    rm -f "$dir"/fresh_*
    pause
    times["ffmpeg rerun"]+="$(time_one "$FFMPEG" -v error -y -i "$file" -map 0 -c copy -f mpegts "$dir/rerun_ffmpeg.ts") "
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
slowest() { tr ' ' '\n' | grep . | sort -n | tail -1; }
printf '%-14s %10s %10s   (%d rounds, %s, settle %s s)\n' "" "median s" "slowest s" "$BENCH_RUNS" "$(basename "$file")" "$settle"
declare -A med
for l in "${labels[@]}"; do
    med[$l]=$(echo "${times[$l]}" | median)
    printf '%-14s %10s %10s\n' "$l" "${med[$l]}" "$(echo "${times[$l]}" | slowest)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "muxkit rerun/fresh: $(ratio "${med[muxkit rerun]}" "${med[muxkit fresh]}")x (target <= 1.2)"
echo "ffmpeg rerun/fresh: $(ratio "${med[ffmpeg rerun]}" "${med[ffmpeg fresh]}")x"
echo "rerun ffmpeg/muxkit: $(ratio "${med[ffmpeg rerun]}" "${med[muxkit rerun]}")x"
