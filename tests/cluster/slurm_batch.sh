#!/usr/bin/env bash
# tests/cluster/slurm_batch.sh: `muxkit batch --shard` under a real Slurm job array, on this
# machine (a single-node cluster: slurmctld + slurmd + munge, Debian's slurm-wlm).
#
#   tests/cluster/slurm_batch.sh [MUXKIT]        (default target/release/muxkit; run as root)
#
# Installs slurm-wlm and munge when missing, writes a throwaway slurm.conf under a temporary
# folder, starts the daemons in the foreground of this script, submits
# `sbatch --array=0-3` where each task runs `muxkit batch s3://media/in s3://media/out --to ts
# --shard` (no value: the shard comes from SLURM_ARRAY_TASK_*) against an S3 server on this
# machine (s3s-fs, `cargo install s3s-fs@0.14.1 --features binary --locked`; the tree is
# uploaded with curl's SigV4 PUTs), waits for the array, and checks that every input was
# converted exactly once across the four tasks (their reports, stored in the bucket), that
# every output, downloaded over HTTP, is read by ffprobe without a warning, and that each task
# took a different shard. Stops the daemons and removes everything on exit. Not part of
# `cargo test` (it needs root and daemons).
#
#   MODE=local tests/cluster/slurm_batch.sh     the same over local folders
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
muxkit=$(realpath "${1:-$root/target/release/muxkit}")
[[ -x $muxkit ]] || { echo "no muxkit at $muxkit (cargo build --release)" >&2; exit 1; }
mode=${MODE:-s3}
s3s=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
if [[ $mode == s3 && ! -x $s3s ]]; then
    cargo install --quiet --locked s3s-fs@0.14.1 --features binary
    s3s="$HOME/.cargo/bin/s3s-fs"
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/muxkit-slurm.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# munge: a key of our own, the daemon on a socket of our own.
mkdir -p "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$work/munge"
chmod 400 "$work/munge/munge.key"
munged --key-file="$work/munge/munge.key" --socket="$work/munge/socket" \
    --pid-file="$work/munge/pid" --log-file="$work/munge/log" --seed-file="$work/munge/seed" \
    --foreground --force > "$work/munge/out" 2>&1 &
pids+=($!)
export MUNGE_SOCKET="$work/munge/socket"   # not read by slurm: AuthInfo below says it

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "$work/spool/ctld" "$work/spool/d" "$work/log"
cat > "$work/slurm.conf" <<CONF
ClusterName=muxkit-test
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/ctld.pid
SlurmdPidFile=$work/d.pid
SlurmctldLogFile=$work/log/ctld.log
SlurmdLogFile=$work/log/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -f "$SLURM_CONF" > "$work/log/ctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/log/d.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
    sinfo -h -o '%t' 2>/dev/null | grep -qE 'idle|mix' && break
    sleep 0.5
done
sinfo -h -o '%t' | grep -qE 'idle|mix' || { cat "$work"/log/*; echo "slurm did not come up" >&2; exit 1; }

# The tree: 12 fixture copies in nested folders.
mkdir -p "$work/in/a/b" "$work/out"
k=0
for f in source.flv source_bframes.ts source.f4v audio_only.flv video_only.flv h264_mp3.flv; do
    cp "$root/testdata/$f" "$work/in/$k-$f"; k=$((k + 1))
    cp "$root/testdata/$f" "$work/in/a/b/$k-$f"; k=$((k + 1))
done
if [[ $mode == s3 ]]; then
    # The S3 server, and the tree uploaded into its bucket over the S3 API.
    s3port=$((30000 + RANDOM % 20000))
    mkdir -p "$work/s3/media"
    "$s3s" --host 127.0.0.1 --port "$s3port" --access-key slurm-test --secret-key slurm-secret \
        "$work/s3" > "$work/log/s3.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$s3port/" >/dev/null && break; sleep 0.1; done
    s3() {
        curl -sSf --aws-sigv4 "aws:amz:us-east-1:s3" --user slurm-test:slurm-secret \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
    }
    (cd "$work/in" && find . -type f -printf '%P\n') | while read -r rel; do
        s3 -T "$work/in/$rel" "http://127.0.0.1:$s3port/media/in/$rel"
    done
    src=s3://media/in dst=s3://media/out report=s3://media/reports/report-
    env_lines="export AWS_ACCESS_KEY_ID=slurm-test AWS_SECRET_ACCESS_KEY=slurm-secret AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:$s3port"
    echo "s3s-fs on 127.0.0.1:$s3port: $k inputs uploaded to s3://media/in"
else
    src=$work/in dst=$work/out report=$work/out/report- env_lines=""
fi
cat > "$work/job.sh" <<JOB
#!/bin/bash
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/log/task-%a.out
$env_lines
exec "$muxkit" batch -v "$src" "$dst" --to ts --jobs 1 --shard \
    --report "$report\$SLURM_ARRAY_TASK_ID.jsonl"
JOB
job=$(sbatch --parsable "$work/job.sh")
echo "submitted array job $job (tasks 0-3)"
for _ in $(seq 1 240); do
    [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break
    sleep 0.5
done
[[ -z $(squeue -h -j "$job") ]] || { echo "the array did not finish" >&2; exit 1; }

# Every task ran, each with a shard of its own, and every input was converted exactly once.
status=0
shards=$(grep -ho 'shard [0-9]*/4 from the slurm array' "$work"/log/task-*.out | sort)
echo "$shards"
[[ $(echo "$shards" | sort -u | wc -l) -eq 4 ]] || { echo "FAIL: expected 4 distinct shards" >&2; status=1; }
if [[ $mode == s3 ]]; then
    # Reports and outputs come back over HTTP; the bucket's folder only names the keys.
    mkdir -p "$work/fetched"
    for dir in reports out; do
        (cd "$work/s3/media" && find "$dir" -type f ! -name '.*' -printf '%p\n') | while read -r key; do
            mkdir -p "$work/fetched/$(dirname "$key")"
            s3 -o "$work/fetched/$key" "http://127.0.0.1:$s3port/media/$key"
        done
    done
    rm -rf "$work/out"; mkdir -p "$work/out"
    cp -r "$work/fetched/out/." "$work/out/"
    cp "$work"/fetched/reports/report-*.jsonl "$work/out/"
fi
converted=$(cat "$work"/out/report-*.jsonl | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
done = [r["input"] for r in rows if r["status"] == "converted"]
print(len(done), len(set(done)))
')
echo "converted: $converted (rows, distinct inputs) of $k inputs"
[[ $converted == "$k $k" ]] || { echo "FAIL: each input must be converted exactly once" >&2; status=1; }
while IFS= read -r -d '' ts; do
    complaints=$(ffprobe -v warning -show_packets -of compact "$ts" 2>&1 >/dev/null)
    [[ -z $complaints ]] || { echo "FAIL: ffprobe on $ts: $complaints" >&2; status=1; }
done < <(find "$work/out" -name '*.ts' -print0)
echo "outputs read by ffprobe: $(find "$work/out" -name '*.ts' | wc -l)"
[[ $status -eq 0 ]] && echo "PASS ($mode): slurm array of 4, every input converted once, outputs clean"
exit $status
