#!/usr/bin/env bash
# benches/compare_ffprobe.sh: muxkit inspect vs ffprobe on the same big FLV, in one run.
#
#   benches/compare_ffprobe.sh [--runs N] [--only muxkit|ffprobe] [--markdown] [FILE]
#
# Times `muxkit inspect --tags --json FILE` against `ffprobe -v error -show_packets -of json
# FILE` (both listing every tag/packet, output to /dev/null), each BENCH_RUNS times (default 3)
# after warming the page cache, and prints best wall-clock seconds, MB/s, max RSS and the ratio
# ffprobe/muxkit (> 1: muxkit is faster).
#
# FILE defaults to testdata/bench/big.flv, made by benches/gen_big_flv.sh if missing.
# Builds nothing: expects target/release/muxkit (cargo build --release), or MUXKIT=/path.
#   --runs N      runs per tool (default $BENCH_RUNS or 3)
#   --only TOOL   time just one side (no ratio); e.g. --only ffprobe before muxkit is built
#   --markdown    print the table as Markdown for docs/benchmarks.md
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

only=""
file=""
while (($#)); do
    case $1 in
        --runs)
            BENCH_RUNS=${2:?--runs needs a number}
            shift 2
            ;;
        --only)
            only=${2:?--only needs muxkit or ffprobe}
            [[ $only == muxkit || $only == ffprobe ]] || die "--only takes muxkit or ffprobe, not '$only'"
            shift 2
            ;;
        --markdown)
            BENCH_FORMAT=markdown
            shift
            ;;
        -h | --help)
            sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *)
            file=$1
            shift
            ;;
    esac
done

# Check the binary before spending minutes on input generation.
[[ $only == ffprobe ]] || require_muxkit
[[ $only == muxkit ]] || require_tool "$FFPROBE"

if [[ -z $file ]]; then
    file=testdata/bench/big.flv
    [[ -s $file ]] || "$here/gen_big_flv.sh"
fi
[[ -s $file ]] || die "input not found or empty: $file"

bytes=$(file_size "$file")
bench_header "inspect: muxkit inspect --tags --json vs ffprobe -show_packets -of json" "$file"
warm_cache "$file"

if [[ $only != ffprobe ]]; then
    echo "muxkit inspect --tags --json ..." >&2
    best_of "$BENCH_RUNS" "$MUXKIT" inspect --tags --json "$file"
    bench_record "muxkit inspect" "$bytes"
fi
if [[ $only != muxkit ]]; then
    echo "ffprobe -show_packets ..." >&2
    best_of "$BENCH_RUNS" "$FFPROBE" -v error -show_packets -of json "$file"
    bench_record "ffprobe -show_packets" "$bytes"
fi

echo
bench_table
if [[ -z $only ]]; then
    bench_ratio "ffprobe -show_packets" "muxkit inspect"
fi
