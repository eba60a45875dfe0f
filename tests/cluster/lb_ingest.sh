#!/usr/bin/env bash
# tests/cluster/lb_ingest.sh: two `muxkit ingest` nodes behind nginx's `stream` TCP balancer
# (the configuration in docs/ingest.md), writing live HLS into one bucket of an S3 server on
# this machine (s3s-fs).
#
#   tests/cluster/lb_ingest.sh [MUXKIT]        (default target/release/muxkit)
#
# Installs nginx and its stream module (Debian: libnginx-mod-stream) when missing. A publisher
# sends 6 s through the balancer; the node it reached is then killed, and the publisher comes
# back through the same balancer address, which sends it to the other node. Checks: the
# stream's playlist in the bucket has both nodes' segments, the second after one
# DISCONTINUITY, consecutive numbers, every listed object stored, and each node's part reads
# in ffprobe without a warning. Not part of `cargo test` (it runs nginx and kills a node).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
muxkit=$(realpath "${1:-$root/target/release/muxkit}")
[[ -x $muxkit ]] || { echo "no muxkit at $muxkit (cargo build --release)" >&2; exit 1; }
if [[ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-stream >/dev/null
fi
s3s=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
[[ -x $s3s ]] || cargo install --quiet --locked s3s-fs@0.14.1 --features binary

work=$(mktemp -d /tmp/muxkit-lb.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
base=$((20000 + RANDOM % 20000))
s3port=$base lb=$((base + 1)) pa=$((base + 2)) pb=$((base + 3))
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

mkdir -p "$work/s3/media" "$work/log"
"$s3s" --host 127.0.0.1 --port "$s3port" --access-key lb --secret-key lb-secret "$work/s3" \
    > "$work/log/s3.out" 2>&1 &
pids+=($!)
wait_port "$s3port"
export AWS_ACCESS_KEY_ID=lb AWS_SECRET_ACCESS_KEY=lb-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3port
declare -A node_pid
for node in a b; do
    port=$pa; [[ $node == b ]] && port=$pb
    "$muxkit" ingest --listen "127.0.0.1:$port" --out s3://media/hls --node-id "$node" \
        --hls-time 1 --hls-playlist-type event > "$work/log/$node.out" 2>&1 &
    node_pid[$node]=$!
    pids+=($!)
    wait_port "$port"
done

# docs/ingest.md's nginx front, on this machine's ports.
cat > "$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
pid $work/nginx.pid;
error_log $work/log/nginx.err;
events {}
stream {
    upstream rtmp_ingest {
        hash \$remote_addr consistent;
        server 127.0.0.1:$pa max_fails=1 fail_timeout=10s;
        server 127.0.0.1:$pb max_fails=1 fail_timeout=10s;
    }
    server {
        listen 127.0.0.1:$lb;
        proxy_pass rtmp_ingest;
        proxy_timeout 60s;
        proxy_connect_timeout 2s;
    }
}
CONF
nginx -c "$work/nginx.conf" &
pids+=($!)
wait_port "$lb"

ffmpeg -v error -y -f lavfi -i "testsrc2=s=320x240:r=25" -f lavfi -i "sine=f=440:sample_rate=44100" \
    -t 30 -c:v libx264 -preset ultrafast -g 50 -c:a aac -b:a 64k "$work/src.flv"
publish() { ffmpeg -v error -re -i "$work/src.flv" -t 6 -c copy -f flv "rtmp://127.0.0.1:$lb/app/s"; }

publish
first=$(grep -l 'publish' "$work"/log/a.out "$work"/log/b.out | head -1)
first=$(basename "$first" .out)
other=a; [[ $first == a ]] && other=b
echo "the balancer sent the publisher to node $first; killing it"
sleep 1
kill "${node_pid[$first]}"
wait "${node_pid[$first]}" 2>/dev/null || true
publish
playlist="$work/s3/media/hls/app/s/index.m3u8"
for _ in $(seq 1 50); do grep -q "^$other-" "$playlist" 2>/dev/null && grep -q ENDLIST "$playlist" && break; sleep 0.1; done
cat "$playlist"

status=0
fail() { echo "FAIL: $*" >&2; status=1; }
segments=$(grep -v '^#' "$playlist")
[[ $(grep -c '^#EXT-X-DISCONTINUITY$' "$playlist") -eq 1 ]] || fail "expected one discontinuity"
grep -q "^$first-" <<<"$segments" || fail "no segments of node $first"
grep -q "^$other-" <<<"$segments" || fail "no segments of node $other (the balancer did not move the publisher)"
numbers=$(sed -E 's/.*_0*([0-9]+)\..*/\1/' <<<"$segments")
expected=$(seq "$(head -1 <<<"$numbers")" "$(tail -1 <<<"$numbers")")
[[ $numbers == "$expected" ]] || fail "segment numbers not consecutive: $(tr '\n' ' ' <<<"$numbers")"
for node in "$first" "$other"; do
    : > "$work/part-$node.ts"
    while read -r seg; do
        key="hls/app/s/$seg"
        curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" --user lb:lb-secret \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$s3port/media/$key" \
            >> "$work/part-$node.ts" || fail "$key listed but not stored"
    done < <(grep "^$node-" <<<"$segments")
    complaints=$(ffprobe -v warning -show_packets -of compact "$work/part-$node.ts" 2>&1 >/dev/null)
    [[ -z $complaints ]] || fail "ffprobe on node $node's part: $complaints"
done
[[ $status -eq 0 ]] && echo "PASS: nginx stream moved the publisher from node $first to node $other; one playlist, carried on"
exit $status
