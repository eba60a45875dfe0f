#!/usr/bin/env bash
# tests/cluster/azurite_convert.sh: `az://` against Azurite, Microsoft's Azure Blob Storage
# emulator (npm `azurite`, pinned), on 127.0.0.1.
#
#   tests/cluster/azurite_convert.sh [MUXKIT]        (default target/release/muxkit)
#
# Installs azurite 3.35.0 (npm) and azure-storage-blob 12.31.1 (PyPI, only to create the
# container and to download what muxkit stored) into a temporary folder, starts the blob
# service, then: uploads testdata/source.flv with `muxkit convert`, converts it from the
# container to TS, to HLS under a prefix and back to local disk, runs a batch container to
# container, and checks that every output, downloaded through the Azure SDK, equals the same
# conversion on local disk byte for byte and is read by ffprobe without a warning. Not part of
# `cargo test` (npm and PyPI downloads); the S3 tests are (tests/object_store.rs).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
muxkit=$(realpath "${1:-$root/target/release/muxkit}")
[[ -x $muxkit ]] || { echo "no muxkit at $muxkit (cargo build --release)" >&2; exit 1; }
work=$(mktemp -d /tmp/muxkit-azurite.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
(cd "$work" && npm install --silent --no-audit --no-fund azurite@3.35.0 >/dev/null)
python3 -m pip install --quiet --target "$work/py" azure-storage-blob==12.31.1 2>/dev/null
export PYTHONPATH=$work/py
port=$((20000 + RANDOM % 20000))
"$work/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$work/data" --silent --skipApiVersionCheck > "$work/azurite.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

# The emulator's well-known development account (public, in Microsoft's documentation).
conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
blob() { CONN=$conn python3 - "$@" <<'PY'
import os, sys
from azure.storage.blob import BlobServiceClient
c = BlobServiceClient.from_connection_string(os.environ["CONN"])
cmd = sys.argv[1]
if cmd == "mkcontainer":
    c.create_container(sys.argv[2])
elif cmd == "list":
    for b in c.get_container_client(sys.argv[2]).list_blobs(name_starts_with=sys.argv[3]):
        print(b.name)
elif cmd == "get":
    with open(sys.argv[4], "wb") as f:
        f.write(c.get_blob_client(sys.argv[2], sys.argv[3]).download_blob().readall())
PY
}
blob mkcontainer media
# object_store's Azure client: the emulator's address and account with this variable.
export AZURE_STORAGE_USE_EMULATOR=true AZURE_STORAGE_ACCOUNT_NAME=devstoreaccount1
export AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:$port

status=0
fail() { echo "FAIL: $*" >&2; status=1; }
src=$root/testdata/source.flv
"$muxkit" convert "$src" az://media/in/source.flv
"$muxkit" convert "$src" "$work/local.flv"
"$muxkit" convert "$work/local.flv" "$work/local.ts"
"$muxkit" convert "$work/local.flv" "$work/local-hls/" --hls-time 2
"$muxkit" convert az://media/in/source.flv az://media/out/a.ts
"$muxkit" convert az://media/in/source.flv az://media/hls/ --hls-time 2
"$muxkit" convert az://media/in/source.flv "$work/back.ts"
"$muxkit" batch -q az://media/in az://media/batch --to ts

mkdir -p "$work/got/hls"
blob get media in/source.flv "$work/got/in.flv"
blob get media out/a.ts "$work/got/a.ts"
blob get media batch/source.ts "$work/got/batch.ts"
cmp -s "$work/got/in.flv" "$work/local.flv" || fail "the uploaded FLV differs from the local remux"
for f in a.ts batch.ts; do
    cmp -s "$work/got/$f" "$work/local.ts" || fail "$f differs from the local TS"
done
cmp -s "$work/back.ts" "$work/local.ts" || fail "container -> local TS differs"
while read -r key; do
    blob get media "$key" "$work/got/hls/${key#hls/}"
done < <(blob list media hls/)
for f in "$work"/local-hls/*; do
    cmp -s "$f" "$work/got/hls/$(basename "$f")" || fail "hls/$(basename "$f") differs"
done
for f in "$work/got/a.ts" "$work/got/hls/index.m3u8"; do
    complaints=$(ffprobe -v warning -show_packets -of compact "$f" 2>&1 >/dev/null)
    [[ -z $complaints ]] || fail "ffprobe on $f: $complaints"
done
echo "stored: $(blob list media '' | tr '\n' ' ')"
[[ $status -eq 0 ]] && echo "PASS: az:// through Azurite: convert in, out and across, HLS and batch, byte-identical to local, ffprobe clean"
exit $status
