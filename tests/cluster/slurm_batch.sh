#!/usr/bin/env bash
# tests/cluster/slurm_batch.sh: `muxkit batch --shard` under a real Slurm job array, on this
# machine (a single-node cluster: slurmctld + slurmd + munge, Debian's slurm-wlm).
#
#   tests/cluster/slurm_batch.sh [MUXKIT]        (default target/release/muxkit; run as root)
#
# Installs slurm-wlm and munge when missing, writes a throwaway slurm.conf under a temporary
# folder, starts the daemons in the foreground of this script, submits
# `sbatch --array=0-3` where each task runs `muxkit batch IN OUT --to ts --shard` (no value:
# the shard comes from SLURM_ARRAY_TASK_*), waits for the array, and checks that every input
# was converted exactly once across the four tasks (their reports), that every output is read
# by ffprobe without a warning, and that each task took a different shard. Stops the daemons
# and removes everything on exit. Not part of `cargo test` (it needs root and daemons); the
# object-storage half of issue 20 (inputs and outputs in S3) is not here yet.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
muxkit=$(realpath "${1:-$root/target/release/muxkit}")
[[ -x $muxkit ]] || { echo "no muxkit at $muxkit (cargo build --release)" >&2; exit 1; }
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
cat > "$work/job.sh" <<JOB
#!/bin/bash
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/log/task-%a.out
exec "$muxkit" batch -v "$work/in" "$work/out" --to ts --jobs 1 --shard \
    --report "$work/out/report-\$SLURM_ARRAY_TASK_ID.jsonl"
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
[[ $status -eq 0 ]] && echo "PASS: slurm array of 4, every input converted once, outputs clean"
exit $status
