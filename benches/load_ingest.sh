#!/usr/bin/env bash
# benches/load_ingest.sh: N concurrent real-time publishers into `muxkit ingest` with live HLS.
#
#   benches/load_ingest.sh [N] [SECONDS]        (default 1000 publishers, 60 s)
#
# Publishes testdata/bench/load.flv (~600 kb/s: 640x360 H.264 + AAC, 2 s GOP; made here once)
# with `muxkit publish --streams N` at real-time pace to a `muxkit ingest` on loopback writing
# live HLS (6 s segments, the ingest default, or LOAD_HLS_TIME; window 6) into testdata/bench/ingest-out/. Over the steady part of the
# run (from a quarter to the end) it samples the server's CPU (utime+stime from /proc) and its
# RSS and RssAnon, and prints CPU in cores and RSS per publisher (minus the idle server's).
# Target (issue 7): 1000 publishers with the server at most one core and at most 256 KiB of RSS
# per publisher beyond the buffered segment data.
#
# LOAD_S3=1: the live HLS goes to a bucket instead (`--out s3://bench/live`) of an S3 server on
# this machine (s3s-fs, release build, `cargo install s3s-fs@0.14.1 --features binary
# --locked`); the S3 server's CPU is printed beside the ingest's. Target (issue 20): 500
# publishers with the ingest under one core.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"
require_muxkit
require_tool "$FFMPEG"

n=${1:-1000}
secs=${2:-60}
load=testdata/bench/load.flv
if [[ ! -s $load ]]; then
    mkdir -p testdata/bench
    "$FFMPEG" -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=640x360:rate=25" \
        -f lavfi -i "aevalsrc=exprs=0.3*sin(2*PI*(300+40*t)*t)|0.3*sin(2*PI*(500-20*t)*t):s=44100" \
        -t "$secs" -c:v libx264 -preset veryfast -b:v 500k -maxrate 550k -bufsize 1000k -g 50 \
        -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 64k -ar 44100 -ac 2 \
        -f flv "$load"
fi
out=testdata/bench/ingest-out
out_arg=$out
rm -rf "$out"
ulimit -n 65536 2>/dev/null || true
port=$((20000 + RANDOM % 20000))
s3_server=
if [[ ${LOAD_S3:-} == 1 ]]; then
    s3root=testdata/bench/ingest-s3
    rm -rf "$s3root"; mkdir -p "$s3root/bench"
    s3s=${S3S_FS:-$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")}
    s3port=$((port + 1))
    "$s3s" --host 127.0.0.1 --port "$s3port" --access-key bench --secret-key bench-secret "$s3root" \
        > /tmp/load_s3.err 2>&1 &
    s3_server=$!
    sleep 0.5
    export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
    export AWS_ENDPOINT_URL=http://127.0.0.1:$s3port
    out=$s3root/bench/live out_arg=s3://bench/live
fi
"$MUXKIT" ingest --listen "127.0.0.1:$port" --out "$out_arg" --hls-time "${LOAD_HLS_TIME:-6}" --hls-list-size 6 \
    --max-connections $((n + 10)) 2>/tmp/load_server.err &
server=$!
trap 'kill $server $s3_server 2>/dev/null || true' EXIT
sleep 1
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
idle_rss=$(status_kib $server VmRSS)
idle_anon=$(status_kib $server RssAnon)
start=$(date +%s)
# The generator stands in for a thousand machines elsewhere: niced, so it does not take the
# server's CPU share on this one (the server's own CPU is what is measured).
nice -n 10 "$MUXKIT" publish --streams "$n" "$load" "rtmp://127.0.0.1:$port/live/s" 2>/tmp/load_publish.err &
pub=$!
warm=$((secs / 4))
sleep "$warm"
t0=$(date +%s%N); c0=$(cpu_ticks $server)
[[ -n $s3_server ]] && s0=$(cpu_ticks $s3_server)
peak_rss=0; peak_anon=0; samples=0
while kill -0 $pub 2>/dev/null; do
    r=$(status_kib $server VmRSS); a=$(status_kib $server RssAnon)
    ((r > peak_rss)) && peak_rss=$r
    ((a > peak_anon)) && peak_anon=$a
    samples=$((samples + 1))
    conns=$(ls "$out/live" 2>/dev/null | wc -l)
    sleep 1
    if (($(date +%s) - start > secs - 2)); then break; fi
done
t1=$(date +%s%N); c1=$(cpu_ticks $server)
[[ -n $s3_server ]] && s1=$(cpu_ticks $s3_server)
wait $pub || true
# A bucket's last playlists land a moment after the publishers end.
[[ -n $s3_server ]] && sleep 3
hz=$(getconf CLK_TCK)
playlists=$(find "$out/live" -name index.m3u8 | wc -l)
ended=$(grep -l EXT-X-ENDLIST "$out"/live/*/index.m3u8 2>/dev/null | wc -l)
echo "publishers: $n requested, $conns streams seen, $playlists playlists, $ended ended"
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
    'BEGIN { printf "server cpu: %.2f cores over %.0f s of steady state\n", (c1 - c0) / hz / ((t1 - t0) / 1e9), (t1 - t0) / 1e9 }'
awk -v r="$peak_rss" -v a="$peak_anon" -v ir="$idle_rss" -v ia="$idle_anon" -v n="$n" \
    'BEGIN { printf "server rss: peak %.1f MiB (idle %.1f), rss_anon peak %.1f MiB; per publisher %.0f KiB rss, %.0f KiB anon\n", r / 1024, ir / 1024, a / 1024, (r - ir) / n, (a - ia) / n }'
if [[ -n $s3_server ]]; then
    awk -v c0="$s0" -v c1="$s1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
        'BEGIN { printf "s3 server (s3s-fs) cpu: %.2f cores\n", (c1 - c0) / hz / ((t1 - t0) / 1e9) }'
    echo "bucket: $(find "$out" -name '*.ts' | wc -l) segments stored now"
    grep -c "error\|fail" /tmp/load_server.err | sed 's/^/ingest log lines with error or fail: /'
fi
if [[ -s /tmp/load_publish.err ]]; then
    echo "publisher errors: $(wc -l < /tmp/load_publish.err) (first: $(head -1 /tmp/load_publish.err))"
fi
