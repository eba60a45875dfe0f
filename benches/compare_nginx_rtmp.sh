#!/usr/bin/env bash
# benches/compare_nginx_rtmp.sh: nginx-rtmp vs `muxkit ingest` under the same RTMP load, in one run.
#
#   benches/compare_nginx_rtmp.sh [N...]               publish mode (default N: 500 1000)
#   benches/compare_nginx_rtmp.sh play [VIEWERS...]    play fan-out mode (default VIEWERS: 500)
#
# Publish mode: for each N, N concurrent real-time publishers of testdata/bench/load.flv
# (~600 kb/s: 640x360 H.264 + AAC, 2 s GOP; made here once with ffmpeg, as load_ingest.sh does)
# from `nice -n 10 muxkit publish --streams N --ramp-ms MS` go first into Debian's nginx with
# libnginx-mod-rtmp, then into `muxkit ingest`, both on loopback writing live HLS (6 s segments,
# window 6: nginx `hls_fragment 6s; hls_playlist_length 36s;`, muxkit `--hls-time 6
# --hls-list-size 6`). Play mode: one real-time publisher of load.flv and VIEWERS RTMP viewers
# from benches/rtmp_viewers.py (asyncio, niced; they count and acknowledge bytes, nothing more).
#
# Over the steady part of each run (from a quarter of BENCH_SECS to the end) it samples the
# server's CPU (utime+stime from /proc) and, every second, its VmRSS and RssAnon, and prints CPU
# in cores, publishers (viewers) per core, and peak RSS / RssAnon per publisher (viewer) minus
# the idle server's (in play mode: minus the server with its one publisher and no viewer), then
# the muxkit/nginx ratios. nginx runs as its own instance (-p/-c in a temp dir, `daemon off`,
# `worker_processes 1`, master process on): "the server" is the master's children, the worker
# plus the cache manager (nginx-rtmp deletes old HLS fragments from the cache manager); the
# master only supervises and is not counted. Playlists counted at the end of the window: nginx
# TMP/hls/*.m3u8 (flat: STREAM.m3u8, STREAM-K.ts), muxkit TMP/muxkit-out/live/*/index.m3u8.
# Generator errors: lines `muxkit publish` printed on stderr (in play mode: viewers that failed).
#
# Environment:
#   BENCH_SECS     seconds per run (default 60)
#   BENCH_RUNS     runs per N and server (default 1); nginx then muxkit in each run
#   BENCH_SERVER   both (default), nginx or muxkit
#   BENCH_RAMP_MS  milliseconds between starting publishers / viewers (default 10)
#   BENCH_KEEP=1   keep the temp dir (configs, logs; HLS output is always deleted after a run)
#   MUXKIT, FFMPEG, FFPROBE (see lib.sh), NGINX (default: nginx from PATH or /usr/sbin/nginx),
#   NGINX_RTMP_MODULE (default: ngx_rtmp_module.so from `dpkg -L libnginx-mod-rtmp`), PYTHON
# Needs: apt-get install -y nginx libnginx-mod-rtmp (the system nginx service is not used).
set -euo pipefail

# Read before lib.sh: it defaults BENCH_RUNS to 3 (best-of runs; here the default is 1) and
# declares BENCH_SECS as its own array.
runs=${BENCH_RUNS:-1}
secs=${BENCH_SECS:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"
BENCH_RUNS=$runs

mode=publish
if [[ ${1:-} == play ]]; then
    mode=play
    shift
fi
for a in "$@"; do
    case $a in
        -h | --help) script_help; exit 0 ;;
        *[!0-9]* | "" | 0) die "expected positive counts, got '$a' (see --help)" ;;
    esac
done
if (($# == 0)); then
    if [[ $mode == publish ]]; then set -- 500 1000; else set -- 500; fi
fi
counts=("$@")
ramp_ms=${BENCH_RAMP_MS:-10}
server_sel=${BENCH_SERVER:-both}
[[ $secs =~ ^[0-9]+$ ]] && ((secs >= 8)) || die "BENCH_SECS must be a whole number of seconds >= 8, got '$secs'"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$runs'"
[[ $ramp_ms =~ ^[0-9]+$ ]] || die "BENCH_RAMP_MS must be a whole number, got '$ramp_ms'"
case $server_sel in
    both) servers=(nginx muxkit) ;;
    nginx | muxkit) servers=("$server_sel") ;;
    *) die "BENCH_SERVER must be both, nginx or muxkit, got '$server_sel'" ;;
esac

# ---- tools ----
require_muxkit  # the load generator is `muxkit publish` whichever server is measured
PYTHON=${PYTHON:-python3}
if [[ $mode == play ]]; then
    require_tool "$PYTHON"
fi
nginx_install_hint="install them with:  sudo apt-get install -y nginx libnginx-mod-rtmp
  (Debian/Ubuntu; this script runs its own nginx with its own config, never the system service;
  after installing you may stop and disable that: sudo systemctl disable --now nginx)"
if [[ " ${servers[*]} " == *" nginx "* ]]; then
    NGINX=${NGINX:-$(command -v nginx || true)}
    [[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
    [[ -n $NGINX && -x $NGINX ]] || die "nginx not found
  $nginx_install_hint"
    if [[ -z ${NGINX_RTMP_MODULE:-} ]]; then
        NGINX_RTMP_MODULE=$(dpkg -L libnginx-mod-rtmp 2>/dev/null | grep '/ngx_rtmp_module\.so$' | head -n 1 || true)
        [[ -n $NGINX_RTMP_MODULE ]] || NGINX_RTMP_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
    fi
    [[ -f $NGINX_RTMP_MODULE ]] || die "the nginx RTMP module (ngx_rtmp_module.so) is not installed
  $nginx_install_hint"
fi

# ---- input ----
# flv_secs FILE: duration in whole seconds (rounded down), or empty when ffprobe is missing.
flv_secs() {
    command -v "$FFPROBE" >/dev/null 2>&1 || return 0
    "$FFPROBE" -v error -show_entries format=duration -of csv=p=0 "$1" 2>/dev/null | awk '{ printf "%d", $1 }'
}
# make_load FILE SECS: the load_ingest.sh recipe.
make_load() {
    require_tool "$FFMPEG"
    echo "making $1 ($2 s, ffmpeg libx264; a few seconds)..." >&2
    mkdir -p "$(dirname "$1")"
    nice -n 10 "$FFMPEG" -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=640x360:rate=25" \
        -f lavfi -i "aevalsrc=exprs=0.3*sin(2*PI*(300+40*t)*t)|0.3*sin(2*PI*(500-20*t)*t):s=44100" \
        -t "$2" -c:v libx264 -preset veryfast -b:v 500k -maxrate 550k -bufsize 1000k -g 50 \
        -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 64k -ar 44100 -ac 2 \
        -f flv "$1.tmp"
    mv "$1.tmp" "$1"
}
# The publishers must outlast the measured window: publish mode needs BENCH_SECS of media,
# play mode 3 s more (its publisher starts before the viewers). testdata/bench/load.flv is
# shared with load_ingest.sh: made at 60 s when missing (its default), never replaced; a
# longer run gets its own testdata/bench/load-Ks.flv.
need=$secs
[[ $mode == play ]] && need=$((secs + 3))
load=testdata/bench/load.flv
if [[ ! -s $load ]]; then
    make_load "$load" $((need > 60 ? need : 60))
fi
load_secs=$(flv_secs "$load")
if [[ -n $load_secs ]] && ((load_secs < need)); then
    load=testdata/bench/load-${need}s.flv
    [[ -s $load ]] || make_load "$load" "$need"
    load_secs=$(flv_secs "$load")
fi
load_kbps=$(awk -v b="$(file_size "$load")" -v s="${load_secs:-0}" 'BEGIN { if (s > 0) printf "%.0f", b * 8 / s / 1000; else print "?" }')

# ---- limits, temp dir, cleanup ----
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
for c in "${counts[@]}"; do
    ((c + 64 <= nofile)) || echo "warning: open-file limit $nofile is low for $c connections" >&2
done

work=$(mktemp -d "${TMPDIR:-/tmp}/compare_nginx_rtmp.XXXXXX")
SERVER_PID="" GEN_PID="" PUB_PID=""
SERVER_KIDS=()
kill_pids() {
    local p alive=()
    for p in "$@"; do
        [[ -n $p ]] && kill -TERM "$p" 2>/dev/null && alive+=("$p")
    done
    ((${#alive[@]})) || return 0
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local any=0
        for p in "${alive[@]}"; do is_alive "$p" && any=1; done
        ((any)) || return 0
        sleep 0.3
    done
    for p in "${alive[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
cleanup() {
    local status=$?
    kill_pids "$GEN_PID" "$PUB_PID"
    kill_pids "$SERVER_PID" "${SERVER_KIDS[@]}"
    wait 2>/dev/null || true
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- /proc helpers ----
hz=$(getconf CLK_TCK)
pick_port() {
    local p hex
    while :; do
        p=$((20000 + RANDOM % 40000))
        hex=$(printf '%04X' "$p")
        # free unless something on this machine already uses it (listening or connected)
        awk -v h=":$hex" 'NR > 1 && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
    done
}
listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v h="0100007F:$hex" 'NR > 1 && $2 == h && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}
children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true; }
# is_alive PID: running (kill -0 also succeeds on a child that exited and was not waited for yet)
is_alive() {
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z ]]
}
# proc_sum FILE AWKPROG PID...: run AWKPROG over /proc/PID/FILE of the PIDs still there
# (mawk stops at a missing file without running END).
proc_sum() {
    local file=$1 prog=$2 p f=()
    shift 2
    for p in "$@"; do [[ -r /proc/$p/$file ]] && f+=("/proc/$p/$file"); done
    ((${#f[@]})) && awk "$prog" "${f[@]}" 2>/dev/null || awk "$prog" /dev/null
}
ticks() { proc_sum stat '{ t += $14 + $15 } END { print t + 0 }' "$@"; }
rss_anon() { proc_sum status '/^VmRSS:/ { r += $2 } /^RssAnon:/ { a += $2 } END { print r + 0, a + 0 }' "$@"; }
host_busy_idle() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }  # busy, idle ticks

# ---- servers ----
# start_server NAME PORT DIR MAXCONN: starts it, waits until it listens; sets SERVER_PID,
# MEASURED (the pids whose CPU and RSS are the server's), SERVER_LOG, NGINX_CONF_LINE (nginx).
start_server() {
    local name=$1 port=$2 dir=$3 maxconn=$4 t
    mkdir -p "$dir"
    case $name in
        nginx)
            mkdir -p "$dir/hls"
            {
                echo "load_module $NGINX_RTMP_MODULE;"
                ((EUID == 0)) && echo "user root;"
                echo "daemon off;"
                echo "worker_processes 1;"
                echo "worker_rlimit_nofile $nofile;"
                echo "error_log $dir/error.log warn;"
                echo "pid $dir/nginx.pid;"
                # sized like muxkit's --max-connections: nginx allocates and initializes
                # worker_connections connection slots up front (RSS counted as idle)
                echo "events { worker_connections $((maxconn + 54 < nofile ? maxconn + 54 : nofile)); }"
                echo "rtmp {"
                echo "    server {"
                echo "        listen 127.0.0.1:$port;"
                echo "        application live {"
                echo "            live on;"
                echo "            hls on;"
                echo "            hls_path $dir/hls;"
                echo "            hls_fragment 6s;"
                echo "            hls_playlist_length 36s;"
                echo "        }"
                echo "    }"
                echo "}"
            } > "$dir/nginx.conf"
            "$NGINX" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" 2>"$dir/nginx-t.err" ||
                { cat "$dir/nginx-t.err" >&2; die "nginx rejected $dir/nginx.conf"; }
            NGINX_CONF_LINE=$(grep -v '^load_module\|^user\|^pid\|^error_log' "$dir/nginx.conf" |
                sed "s#$dir#TMP#g; s#127.0.0.1:$port#127.0.0.1:PORT#" | tr -s ' \n' ' ' | sed 's/ $//')
            SERVER_LOG=$dir/error.log
            "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" 2>>"$dir/error.log" &
            SERVER_PID=$!
            ;;
        muxkit)
            SERVER_LOG=$dir/muxkit.err
            # --http only to read its buffered-media gauges (/metrics) during the run.
            MUXKIT_HTTP=$(pick_port)
            RUST_LOG=warn "$MUXKIT" ingest --listen "127.0.0.1:$port" --out "$dir/muxkit-out" --hls-time 6 \
                --hls-list-size 6 --max-connections "$maxconn" --http "127.0.0.1:$MUXKIT_HTTP" 2>"$SERVER_LOG" &
            SERVER_PID=$!
            ;;
    esac
    for ((t = 0; t < 100; t++)); do
        is_alive "$SERVER_PID" || { tail -n 20 "$SERVER_LOG" >&2; die "$name exited at start"; }
        if listening "$port"; then
            if [[ $name == muxkit ]]; then
                MEASURED=("$SERVER_PID")
                break
            fi
            mapfile -t SERVER_KIDS < <(children "$SERVER_PID")
            if ((${#SERVER_KIDS[@]})); then
                MEASURED=("${SERVER_KIDS[@]}")
                break
            fi
        fi
        sleep 0.1
    done
    ((t < 100)) || die "$name did not listen on 127.0.0.1:$port within 10 s"
}
stop_server() {
    kill_pids "$SERVER_PID" "${SERVER_KIDS[@]}"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID="" SERVER_KIDS=()
}
count_playlists() {
    case $1 in
        nginx) find "$2/hls" -maxdepth 1 -name '*.m3u8' 2>/dev/null | wc -l ;;
        muxkit) find "$2/muxkit-out/live" -mindepth 2 -maxdepth 2 -name index.m3u8 2>/dev/null | wc -l ;;
    esac
}

# ---- one measured run ----
# measure_window GENPID: from start (ns, global RUN_START) + warm to start + secs - 1, while
# GENPID lives; sets CORES, WINDOW_S, PEAK_RSS, PEAK_ANON, HOST_BUSY, GEN_ENDED_EARLY.
measure_window() {
    local gen=$1 warm=$((secs / 4)) end_ns now c0 c1 t0 t1 r a hb0 hi0 hb1 hi1 kids
    end_ns=$((RUN_START + (secs - 1) * 1000000000))
    while (($(date +%s%N) < RUN_START + warm * 1000000000)) && is_alive "$gen"; do sleep 0.2; done
    t0=$(date +%s%N); c0=$(ticks "${MEASURED[@]}"); read -r hb0 hi0 < <(host_busy_idle)
    PEAK_RSS=0 PEAK_ANON=0 GEN_ENDED_EARLY=0 PEAK_BUF=""
    while :; do
        read -r r a < <(rss_anon "${MEASURED[@]}")
        if ((r > PEAK_RSS)) && [[ $name == muxkit && -n ${MUXKIT_HTTP:-} ]]; then
            # Media muxkit holds on purpose (GOP caches, segments on their way to disk), KiB.
            PEAK_BUF=$({ curl -s --max-time 3 "http://127.0.0.1:$MUXKIT_HTTP/metrics" || true; } |
                awk '/^muxkit_buffered_bytes/ { s += $NF } END { printf "%.0f", s / 1024 }')
        fi
        ((r > PEAK_RSS)) && PEAK_RSS=$r
        ((a > PEAK_ANON)) && PEAK_ANON=$a
        is_alive "$gen" || { GEN_ENDED_EARLY=1; break; }
        now=$(date +%s%N)
        ((now >= end_ns)) && break
        sleep 1
    done
    t1=$(date +%s%N); c1=$(ticks "${MEASURED[@]}"); read -r hb1 hi1 < <(host_busy_idle)
    if [[ -n $SERVER_PID ]] && [[ $MEASURED != "$SERVER_PID" ]]; then
        kids=$(children "$SERVER_PID" | tr '\n' ' ')
        [[ " $kids" == " ${MEASURED[*]} " ]] || echo "  warning: nginx's processes changed during the run (${MEASURED[*]} -> $kids): a worker died?" >&2
    fi
    CORES=$(awk -v c="$((c1 - c0))" -v ns="$((t1 - t0))" -v hz="$hz" 'BEGIN { printf "%.3f", c / hz / (ns / 1e9) }')
    WINDOW_S=$(awk -v ns="$((t1 - t0))" 'BEGIN { printf "%.0f", ns / 1e9 }')
    HOST_BUSY=$(awk -v b="$((hb1 - hb0))" -v i="$((hi1 - hi0))" -v n="$(nproc)" 'BEGIN { printf "%.2f", (b + i > 0) ? n * b / (b + i) : 0 }')
}

ROWS=()      # markdown result rows
NOTES=()     # lines printed under the table
declare -A PER_CORE PER_KIB
fmt_row() {  # server count run cores per_core peak_mib idle_mib rss_kib anon_kib col8 col9 errs
    printf '| %s | %s | %s | %s | %s | **%s** | %s (%s) | **%s** / %s | %s | %s | %s |' "$(date +%F)" "$@"
}

run_publish() {
    local name=$1 n=$2 run=$3 port dir gerr idle_rss idle_anon playlists errs first per_core kib_rss kib_anon
    port=$(pick_port)
    dir=$work/$name-$n-$run
    start_server "$name" "$port" "$dir" $((n + 10))
    sleep 1
    read -r idle_rss idle_anon < <(rss_anon "${MEASURED[@]}")
    gerr=$dir/publish.err
    GEN_CMD="nice -n 10 muxkit publish --streams $n --ramp-ms $ramp_ms $load rtmp://127.0.0.1:PORT/live/s"
    echo "$name, $n publishers, run $run/$runs: port $port, $secs s..." >&2
    RUN_START=$(date +%s%N)
    nice -n 10 "$MUXKIT" publish --streams "$n" --ramp-ms "$ramp_ms" "$load" "rtmp://127.0.0.1:$port/live/s" 2>"$gerr" &
    GEN_PID=$!
    measure_window "$GEN_PID"
    playlists=$(count_playlists "$name" "$dir")
    kill_pids "$GEN_PID"
    wait "$GEN_PID" 2>/dev/null || true
    GEN_PID=""
    is_alive "$SERVER_PID" || { echo "  $name died during the run; log:" >&2; tail -n 20 "$SERVER_LOG" >&2; }
    stop_server
    errs=$(wc -l < "$gerr")
    first=$(head -n 1 "$gerr" | cut -c1-120)
    ((GEN_ENDED_EARLY)) && first="generator ended early${first:+; $first}"
    per_core=$(awk -v n="$n" -v c="$CORES" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print "inf" }')
    ((playlists > 0)) || per_core="n/a"
    kib_rss=$(awk -v p="$PEAK_RSS" -v i="$idle_rss" -v n="$n" 'BEGIN { printf "%.0f", (p - i) / n }')
    kib_anon=$(awk -v p="$PEAK_ANON" -v i="$idle_anon" -v n="$n" 'BEGIN { printf "%.0f", (p - i) / n }')
    if [[ -n $PEAK_BUF ]]; then
        NOTES+=("- muxkit, $n publishers, run $run: buffered media at the RSS peak $(awk -v b="$PEAK_BUF" 'BEGIN { printf "%.1f MiB", b / 1024 }') (GOP caches and segment bytes on their way to disk); RSS per publisher beyond it: **$(awk -v p="$PEAK_RSS" -v i="$idle_rss" -v b="$PEAK_BUF" -v n="$n" 'BEGIN { printf "%.0f", (p - i - b) / n }') KiB**")
    fi
    PER_CORE[$name,$n,$run]=$per_core PER_KIB[$name,$n,$run]=$kib_rss
    [[ $per_core != n/a ]] || PER_KIB[$name,$n,$run]=n/a
    ROWS+=("$(fmt_row "$name" "$n" "$run" "$CORES" "$per_core" \
        "$(awk -v k="$PEAK_RSS" 'BEGIN { printf "%.1f", k / 1024 }')" "$(awk -v k="$idle_rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$kib_rss" "$kib_anon" "$playlists / $n" "$HOST_BUSY / $(nproc)" "$errs${first:+ ($first)}")")
    echo "  ${ROWS[-1]}" >&2
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$dir/hls" "$dir/muxkit-out"
}

run_play() {
    local name=$1 v=$2 run=$3 port dir base_rss base_anon perr vlog verr summary playing failed active rate errs first per_core kib_rss kib_anon
    port=$(pick_port)
    dir=$work/$name-play$v-$run
    start_server "$name" "$port" "$dir" $((v + 10))
    perr=$dir/publish.err vlog=$dir/viewers.log verr=$dir/viewers.err
    PUB_CMD="nice -n 10 muxkit publish $load rtmp://127.0.0.1:PORT/live/s"
    GEN_CMD="nice -n 10 $PYTHON benches/rtmp_viewers.py rtmp://127.0.0.1:PORT/live/s --viewers $v --ramp-ms $ramp_ms --seconds $secs"
    echo "$name, $v viewers, run $run/$runs: port $port, $secs s..." >&2
    nice -n 10 "$MUXKIT" publish "$load" "rtmp://127.0.0.1:$port/live/s" 2>"$perr" &
    PUB_PID=$!
    sleep 2
    read -r base_rss base_anon < <(rss_anon "${MEASURED[@]}")
    RUN_START=$(date +%s%N)
    nice -n 10 "$PYTHON" "$here/rtmp_viewers.py" "rtmp://127.0.0.1:$port/live/s" --viewers "$v" \
        --ramp-ms "$ramp_ms" --seconds "$secs" >"$vlog" 2>"$verr" &
    GEN_PID=$!
    measure_window "$GEN_PID"
    # Delivered: mean of the per-second rates over the window, before the viewers stop.
    rate=$(awk -v w="$((secs / 4))" -v e="$((secs - 1))" '/^t=/ { split($1, t, "="); split($2, r, "=");
        if (t[2] > w && t[2] <= e) { s += r[2]; n++ } } END { printf "%.0f", n ? s / n : 0 }' "$vlog")
    kill_pids "$GEN_PID"
    wait "$GEN_PID" 2>/dev/null || true
    GEN_PID=""
    is_alive "$SERVER_PID" || { echo "  $name died during the run; log:" >&2; tail -n 20 "$SERVER_LOG" >&2; }
    is_alive "$PUB_PID" || echo "  warning: the publisher ended before the viewers (see $perr)" >&2
    kill_pids "$PUB_PID"
    wait "$PUB_PID" 2>/dev/null || true
    PUB_PID=""
    stop_server
    summary=$(grep '^summary' "$vlog" | tail -n 1 || true)
    if [[ -z $summary ]]; then  # killed before it printed: use the last per-second line
        summary=$(grep '^t=' "$vlog" | tail -n 1 | sed 's#active5=\([0-9]*\)/[0-9]*#active5=\1#' || true)
    fi
    playing=$(sed -n 's/.*playing=\([0-9]*\).*/\1/p' <<<"$summary")
    failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$summary")
    active=$(sed -n 's/.*active5=\([0-9]*\).*/\1/p' <<<"$summary")
    errs=$((${failed:-0} + $(wc -l < "$perr")))
    first=$(cat "$verr" "$perr" | head -n 1 | cut -c1-120)
    ((GEN_ENDED_EARLY)) && first="viewers ended early${first:+; $first}"
    per_core=$(awk -v n="$v" -v c="$CORES" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print "inf" }')
    ((${active:-0} > 0)) || per_core="n/a"
    kib_rss=$(awk -v p="$PEAK_RSS" -v i="$base_rss" -v n="$v" 'BEGIN { printf "%.0f", (p - i) / n }')
    kib_anon=$(awk -v p="$PEAK_ANON" -v i="$base_anon" -v n="$v" 'BEGIN { printf "%.0f", (p - i) / n }')
    PER_CORE[$name,$v,$run]=$per_core PER_KIB[$name,$v,$run]=$kib_rss
    [[ $per_core != n/a ]] || PER_KIB[$name,$v,$run]=n/a
    ROWS+=("$(fmt_row "$name" "$v" "$run" "$CORES" "$per_core" \
        "$(awk -v k="$PEAK_RSS" 'BEGIN { printf "%.1f", k / 1024 }')" "$(awk -v k="$base_rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$kib_rss" "$kib_anon" "${playing:-0} / ${active:-0}" \
        "$(awk -v r="$rate" -v v="$v" 'BEGIN { printf "%.1f MB/s, %.0f kb/s each", r / 1e6, r * 8 / 1000 / v }')" "$errs${first:+ ($first)}")")
    echo "  ${ROWS[-1]}" >&2
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$dir/hls" "$dir/muxkit-out"
}

# ---- run ----
nginx_ver=""
if [[ -n ${NGINX:-} ]]; then
    nginx_ver="$("$NGINX" -v 2>&1 | sed 's#^nginx version: ##'), libnginx-mod-rtmp $(dpkg-query -W -f '${Version}' libnginx-mod-rtmp 2>/dev/null || echo '?')"
fi
play_arg=""
[[ $mode == play ]] && play_arg="play "
cmdline="BENCH_SECS=$secs BENCH_RUNS=$runs BENCH_SERVER=$server_sel BENCH_RAMP_MS=$ramp_ms benches/compare_nginx_rtmp.sh $play_arg${counts[*]}"
echo "== $cmdline" >&2
for c in "${counts[@]}"; do
    for ((run = 1; run <= runs; run++)); do
        for s in "${servers[@]}"; do
            if [[ $mode == publish ]]; then run_publish "$s" "$c" "$run"; else run_play "$s" "$c" "$run"; fi
        done
    done
done

# ---- report (Markdown, for docs/benchmarks.md) ----
unit=publishers
[[ $mode == play ]] && unit=viewers
echo
echo "command: \`$cmdline\`"
echo
echo "- machine: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -sr), open-file limit $nofile"
echo "- muxkit: $("$MUXKIT" --version 2>/dev/null) ($(git -C "$BENCH_ROOT" describe --always --dirty 2>/dev/null || echo '?')); nginx: ${nginx_ver:-not run}"
echo "- input: \`$load\` ($(awk -v b="$(file_size "$load")" 'BEGIN { printf "%.1f MB", b / 1e6 }'), ${load_secs:-?} s, ~$load_kbps kb/s)"
if [[ $mode == publish ]]; then
    echo "- generator: \`$GEN_CMD\`"
else
    echo "- publisher: \`$PUB_CMD\`"
    echo "- viewers: \`$GEN_CMD\`"
fi
[[ " ${servers[*]} " == *" nginx "* ]] && echo "- nginx: \`$NGINX -p TMP -e TMP/error.log -c TMP/nginx.conf\`, TMP/nginx.conf: \`load_module $NGINX_RTMP_MODULE;$( ((EUID == 0)) && echo " user root;") $NGINX_CONF_LINE\` (+ pid and error_log warn in TMP)"
[[ " ${servers[*]} " == *" muxkit "* ]] && echo "- muxkit: \`muxkit ingest --listen 127.0.0.1:PORT --out TMP/muxkit-out --hls-time 6 --hls-list-size 6 --max-connections COUNT+10 --http 127.0.0.1:PORT2\` (HTTP only to read its buffered-media gauges)"
echo "- window: steady state from $((secs / 4)) s to $((secs - 1)) s of each $secs s run; nginx = worker + cache manager, muxkit = its process"
echo
if [[ $mode == publish ]]; then
    echo "| date | server | publishers | run | server CPU (cores) | publishers per core | peak RSS MiB (idle) | per publisher KiB: RSS / RssAnon | playlists | host busy (cores) | generator errors |"
else
    echo "| date | server | viewers | run | server CPU (cores) | viewers per core | peak RSS MiB (with publisher, no viewer) | per viewer KiB: RSS / RssAnon | playing / active last 5 s | delivered | failures |"
fi
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
printf '%s\n' "${ROWS[@]}"
((${#NOTES[@]} == 0)) || { echo; printf '%s\n' "${NOTES[@]}"; }
if ((${#servers[@]} == 2)); then
    echo
    echo "| $unit | run | $unit per core: nginx | muxkit | **muxkit/nginx** | RSS per ${unit%s} KiB: nginx | muxkit | **nginx/muxkit** |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    for c in "${counts[@]}"; do
        for ((run = 1; run <= runs; run++)); do
            awk -v c="$c" -v r="$run" -v np="${PER_CORE[nginx,$c,$run]}" -v mp="${PER_CORE[muxkit,$c,$run]}" \
                -v nk="${PER_KIB[nginx,$c,$run]}" -v mk="${PER_KIB[muxkit,$c,$run]}" '
                function num(x) { return x ~ /^-?[0-9]+(\.[0-9]*)?$/ }
                function ratio(a, b) { return (num(a) && num(b) && b + 0 > 0) ? sprintf("%.2f", a / b) : "n/a" }
                BEGIN { printf "| %s | %s | %s | %s | **%s** | %s | %s | **%s** |\n", c, r, np, mp, ratio(mp, np), nk, mk, ratio(nk, mk) }'
        done
    done
    echo
    echo "Ratios above 1 favour muxkit: muxkit/nginx of $unit per core (CPU), nginx/muxkit of RSS per ${unit%s}."
fi
