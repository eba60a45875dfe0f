# shellcheck shell=bash
# benches/lib.sh: helpers shared by the muxkit-versus-ffmpeg benchmark scripts.
#
# Source it from a script in benches/:
#
#     here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#     . "$here/lib.sh"
#
# What it gives:
#   BENCH_ROOT            the repository root (benches/..)
#   MUXKIT                muxkit binary (default $BENCH_ROOT/target/release/muxkit; env overrides)
#   FFMPEG, FFPROBE       ffmpeg/ffprobe to compare against (default: from PATH; env overrides)
#   BENCH_RUNS            runs per command, best wall-clock wins (default 3; env overrides)
#   die MSG               print "<script>: MSG" on stderr and exit 1
#   require_muxkit        exit with a clear message when $MUXKIT has not been built
#   require_tool NAME     exit with a clear message when NAME is not in PATH
#   warm_cache FILE...    drop files from the page cache and read them once, so every timed run
#                         sees them cached as a file read from disk is (see warm_cache below)
#   file_size FILE        size in bytes
#   best_of N CMD [ARG..] run CMD N times (stdout to $BEST_OF_STDOUT, default /dev/null; stderr
#                         to a log shown on failure); sets BEST_SECS (fastest wall-clock run,
#                         seconds) and BEST_RSS_KB (largest max-RSS over the N runs, KiB)
#   bench_record LABEL BYTES
#                         remember the last best_of result under LABEL; BYTES is the amount of
#                         input it processed (for MB/s)
#   bench_table           print every recorded row: label, best s, MB/s, max RSS
#                         (BENCH_FORMAT=markdown prints a Markdown table for docs/benchmarks.md)
#   bench_ratio SLOW FAST print SLOW's time / FAST's time for two recorded labels
#   bench_input DEFAULT GENERATOR ARG...
#                         parse a comparison script's arguments (--runs N, --help, one input
#                         path); set BENCH_INPUT to the path, or DEFAULT made by
#                         benches/GENERATOR when missing; check muxkit and ffmpeg are there
#
# Timing: wall-clock comes from `date +%s%N` around the run (nanosecond clock, so short runs are
# measured properly); max RSS comes from GNU time (/usr/bin/time -f %M). Without GNU time, RSS
# prints as "n/a". MB are 10^6 bytes, MiB 2^20.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MUXKIT=${MUXKIT:-$BENCH_ROOT/target/release/muxkit}
FFMPEG=${FFMPEG:-ffmpeg}
FFPROBE=${FFPROBE:-ffprobe}
BENCH_RUNS=${BENCH_RUNS:-3}
BEST_OF_STDOUT=${BEST_OF_STDOUT:-/dev/null}
GNU_TIME=${GNU_TIME:-/usr/bin/time}

BENCH_LABELS=()
BENCH_SECS=()
BENCH_BYTES=()
BENCH_RSS=()

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

require_muxkit() {
    if [[ ! -x $MUXKIT ]]; then
        die "muxkit binary not found at $MUXKIT
  this script builds nothing; build it first:  cargo build --release
  (or point MUXKIT=/path/to/muxkit at another build)"
    fi
}

require_tool() {
    command -v "$1" > /dev/null 2>&1 || die "$1 not found in PATH"
}

# How a file sits in the page cache decides what mapping it costs: read from disk, readahead
# caches it in large folios (up to 2 MiB) and mapping 618 MB takes ~440 faults; cached by the
# small writes of the program that made it (ffmpeg's 32 KiB), it sits in 4 KiB pages and
# mapping it takes ~8,300 faults and 0.06-0.07 s of system time. Evicting and reading once
# gives every run the first, reproducible state whatever made the file.
warm_cache() {
    local f
    sync
    for f in "$@"; do
        dd if="$f" iflag=nocache count=0 status=none
        cat "$f" > /dev/null
    done
}

file_size() {
    stat -c %s "$1"
}

# best_of N CMD [ARGS...]
best_of() {
    local n=$1
    shift
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "best_of: run count must be a positive integer, got '$n'"
    local log rss_file i t0 t1 ns rss status
    log=$(mktemp)
    rss_file=$(mktemp)
    local best_ns="" max_rss=""
    local have_time=0
    [[ -x $GNU_TIME ]] && have_time=1
    for ((i = 1; i <= n; i++)); do
        t0=$(date +%s%N)
        status=0
        if ((have_time)); then
            "$GNU_TIME" -f %M -o "$rss_file" "$@" > "$BEST_OF_STDOUT" 2> "$log" || status=$?
        else
            "$@" > "$BEST_OF_STDOUT" 2> "$log" || status=$?
        fi
        t1=$(date +%s%N)
        if ((status != 0)); then
            echo "$(basename "$0"): command failed (exit $status): $*" >&2
            tail -n 20 "$log" >&2
            rm -f "$log" "$rss_file"
            exit 1
        fi
        ns=$((t1 - t0))
        if [[ -z $best_ns ]] || ((ns < best_ns)); then
            best_ns=$ns
        fi
        if ((have_time)); then
            # GNU time appends its line after anything the command itself wrote to the -o file.
            rss=$(tail -n 1 "$rss_file")
            if [[ $rss =~ ^[0-9]+$ ]] && { [[ -z $max_rss ]] || ((rss > max_rss)); }; then
                max_rss=$rss
            fi
        fi
        printf '  run %d/%d: %s s\n' "$i" "$n" "$(awk -v ns="$ns" 'BEGIN { printf "%.3f", ns / 1e9 }')" >&2
    done
    rm -f "$log" "$rss_file"
    BEST_SECS=$(awk -v ns="$best_ns" 'BEGIN { printf "%.3f", ns / 1e9 }')
    BEST_RSS_KB=${max_rss:-n/a}
}

# bench_record LABEL BYTES
bench_record() {
    BENCH_LABELS+=("$1")
    BENCH_BYTES+=("$2")
    BENCH_SECS+=("$BEST_SECS")
    BENCH_RSS+=("$BEST_RSS_KB")
}

_bench_rss_mib() {
    if [[ $1 =~ ^[0-9]+$ ]]; then
        awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'
    else
        echo "n/a"
    fi
}

_bench_mbps() {
    awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1e6 / s; else print "inf" }'
}

bench_table() {
    local i label secs mbps rss
    if [[ ${BENCH_FORMAT:-text} == markdown ]]; then
        echo "| tool | best of $BENCH_RUNS (s) | MB/s | max RSS (MiB) |"
        echo "|---|---:|---:|---:|"
    else
        printf '%-28s %12s %10s %14s\n' "tool" "best s" "MB/s" "max RSS MiB"
        printf '%-28s %12s %10s %14s\n' "----" "------" "----" "-----------"
    fi
    for i in "${!BENCH_LABELS[@]}"; do
        label=${BENCH_LABELS[$i]}
        secs=${BENCH_SECS[$i]}
        mbps=$(_bench_mbps "${BENCH_BYTES[$i]}" "$secs")
        rss=$(_bench_rss_mib "${BENCH_RSS[$i]}")
        if [[ ${BENCH_FORMAT:-text} == markdown ]]; then
            echo "| $label | $secs | $mbps | $rss |"
        else
            printf '%-28s %12s %10s %14s\n' "$label" "$secs" "$mbps" "$rss"
        fi
    done
}

_bench_secs_of() {
    local i
    for i in "${!BENCH_LABELS[@]}"; do
        if [[ ${BENCH_LABELS[$i]} == "$1" ]]; then
            echo "${BENCH_SECS[$i]}"
            return 0
        fi
    done
    die "bench_ratio: no recorded result labelled '$1'"
}

# bench_ratio SLOW FAST: prints "SLOW/FAST time ratio: X.XX"; > 1 means FAST is faster.
bench_ratio() {
    local a b
    a=$(_bench_secs_of "$1")
    b=$(_bench_secs_of "$2")
    awk -v a="$a" -v b="$b" -v la="$1" -v lb="$2" \
        'BEGIN { if (b > 0) printf "ratio %s/%s (wall-clock): %.2f\n", la, lb, a / b; else printf "ratio %s/%s: n/a\n", la, lb }'
}

# bench_header TITLE FILE: one line naming the benchmark, the input and the machine.
bench_header() {
    local title=$1 file=$2
    echo "== $title"
    echo "input: $file ($(awk -v b="$(file_size "$file")" 'BEGIN { printf "%.1f MB", b / 1e6 }'))"
    echo "machine: $(nproc) cores, $(uname -srm); $("$FFPROBE" -version 2> /dev/null | head -n 1 | cut -d' ' -f1-3)"
    echo "runs: best wall-clock of $BENCH_RUNS, page cache warmed first"
}

# ---- CPU time and anonymous memory (used by the compare_*.sh scripts) ----
# measure CMD...: one timed run, nothing else running beside it; sets M_WALL, M_CPU = M_USER +
# M_SYS (s). M_SYS is mostly the kernel copying the output into the page cache: the same bytes
# cost every tool the same there, so scripts print user and system time apart.
measure() {
    local t0 t1 tfile
    tfile=$(mktemp)
    t0=$(date +%s%N)
    "$GNU_TIME" -f "%U %S" -o "$tfile" "$@" >/dev/null 2>>"$tfile.err" ||
        { cat "$tfile.err" >&2; die "failed: $*"; }
    t1=$(date +%s%N)
    M_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    M_CPU=$(awk '{ printf "%.3f", $1 + $2 }' "$tfile")
    M_USER=$(awk '{ printf "%.3f", $1 }' "$tfile")
    M_SYS=$(awk '{ printf "%.3f", $2 }' "$tfile")
    rm -f "$tfile" "$tfile.err"
}

# measure_anon CMD...: one untimed run sampled every 10 ms; sets M_ANON (KiB, peak RssAnon of
# the command and its children: the mapped input's file pages are not allocations).
# The sampler forks a few processes per sample, a third of a core on a 2-core machine, so it
# never runs beside a timed run: before 2026-12-02 it did, and charged every run 20-90 ms.
measure_anon() {
    local pid peak=0 anon c
    "$@" >/dev/null 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        for c in "$pid" $(cat /proc/$pid/task/*/children 2>/dev/null); do
            anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$c/status" 2>/dev/null || echo 0)
            ((${anon:-0} > peak)) && peak=$anon
        done
        sleep 0.01
    done
    wait "$pid" || die "failed: $*"
    M_ANON=$peak
}

# best LABEL CMD...: best wall of BENCH_RUNS timed runs, with that run's CPU, then one sampled
# run for the peak anonymous memory. Runs the function named by BENCH_BEFORE, if set, before
# each run (not timed).
declare -A WALL CPU USER SYS ANON
best() {
    local label=$1
    shift
    local bw="" bc="" bu="" bs=""
    for ((i = 1; i <= BENCH_RUNS; i++)); do
        [[ -n ${BENCH_BEFORE:-} ]] && "$BENCH_BEFORE"
        measure "$@"
        echo "  $label run $i: ${M_WALL} s wall, ${M_CPU} s cpu (${M_USER} user + ${M_SYS} sys)" >&2
        if [[ -z $bw ]] || awk -v a="$M_WALL" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
            bw=$M_WALL bc=$M_CPU bu=$M_USER bs=$M_SYS
        fi
    done
    [[ -n ${BENCH_BEFORE:-} ]] && "$BENCH_BEFORE"
    measure_anon "$@"
    echo "  $label sampled run: $((M_ANON / 1024)) MiB anon" >&2
    WALL[$label]=$bw CPU[$label]=$bc USER[$label]=$bu SYS[$label]=$bs ANON[$label]=$M_ANON
}

# print_measured LABEL...: a table of wall, cpu, user, sys and RssAnon for recorded labels.
print_measured() {
    printf '\n%-16s %8s %8s %8s %8s %12s\n' tool "wall s" "cpu s" "user s" "sys s" "RssAnon MiB"
    local l
    for l in "$@"; do
        printf '%-16s %8s %8s %8s %8s %12s\n' "$l" "${WALL[$l]}" "${CPU[$l]}" "${USER[$l]}" "${SYS[$l]}" "$((ANON[$l] / 1024))"
    done
}

# print_ratios NAME FFMPEG_LABEL MUXKIT_LABEL: wall, cpu and user-space cpu ratios (> 1: muxkit is better).
print_ratios() {
    awk -v d="$1" -v fw="${WALL[$2]}" -v mw="${WALL[$3]}" -v fc="${CPU[$2]}" -v mc="${CPU[$3]}" \
        -v fu="${USER[$2]}" -v mu="${USER[$3]}" \
        'BEGIN { printf "%s: wall ratio ffmpeg/muxkit %.2f, cpu ratio %.2f, user-space cpu ratio %.2f\n", d, fw / mw, fc / (mc > 0 ? mc : 0.001), fu / (mu > 0 ? mu : 0.001) }'
}

# script_help: the calling script's leading comment block, without the '#'.
script_help() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

# bench_input DEFAULT GENERATOR ARG...: see the header.
bench_input() {
    local default=$1 generator=$2
    shift 2
    BENCH_INPUT=""
    while (($#)); do
        case $1 in
            --runs) BENCH_RUNS=${2:?--runs needs a number}; shift 2 ;;
            -h | --help) script_help; exit 0 ;;
            -*) die "unknown option '$1' (see --help)" ;;
            *) BENCH_INPUT=$1; shift ;;
        esac
    done
    require_muxkit
    require_tool "$FFMPEG"
    if [[ -z $BENCH_INPUT ]]; then
        BENCH_INPUT=$default
        [[ -e $BENCH_INPUT ]] || "$BENCH_ROOT/benches/$generator"
    fi
}
