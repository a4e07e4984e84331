#!/usr/bin/env bash
# A one-node Slurm cluster (munged, slurmctld, slurmd from Debian's munge
# and slurm-wlm), started and stopped here, runs a sweep as a job array
# plus the dependent merge job; the merged results must equal a local run's.
# Usage: sweep_slurm_test.sh WERK_BINARY
set -uo pipefail
WERK=${1:?usage: sweep_slurm_test.sh WERK_BINARY}
WERK=$(readlink -f "$WERK")

for cmd in slurmctld slurmd sbatch squeue munged h5diff; do
  if ! command -v "$cmd" >/dev/null; then
    echo "SKIPPED: $cmd is not installed (apt-get install slurm-wlm munge hdf5-tools; scripts/setup.sh installs them)"
    exit 0
  fi
done
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: starting slurmd and munged here needs root"
  exit 0
fi

dir=$(mktemp -d /tmp/werk_slurm_test.XXXXXX)
chmod 755 "$dir"  # munged (user munge) reads its key below
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; for f in "$dir"/*.log "$dir"/work/*-sweep/logs/*; do [[ -f $f ]] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }

host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$dir/munge-run" "$dir/work"
# munge: its own key, socket and pid file in the temp folder, run as user munge.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$dir/munge" "$dir/munge-run" && chmod 700 "$dir/munge" && chmod 400 "$dir/munge/munge.key"
chmod 755 "$dir/munge-run"  # the socket's folder: open to every client
sock="$dir/munge-run/munge.socket"
runuser -u munge -- munged --foreground --key-file="$dir/munge/munge.key" --socket="$sock" \
  --pid-file="$dir/munge-run/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed" \
  >"$dir/munged.log" 2>&1 &
pids+=($!)

cat >"$dir/slurm.conf" <<EOF
ClusterName=werktest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$((20000 + RANDOM % 10000))
SlurmdPort=$((30000 + RANDOM % 10000))
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
for i in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || fail "munged did not start"
slurmctld -D -f "$SLURM_CONF" >"$dir/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$dir/slurmd.out" 2>&1 &
pids+=($!)
for i in $(seq 100); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 0.2
done
sinfo -h -o %t 2>/dev/null | grep -q idle || fail "the node did not become idle"

# The sweep: an M/M/1/K line, 6 variants x 4 replications.
cd "$dir/work"
cat >mm1k.yaml <<'EOF'
werk: 1
name: mm1k
seed: 11
process:
  duration: 20000
  warmup: 1000
  event_log: false
  objects:
    arrivals: {type: source, interarrival: {dist: exponential, mean: 1}, when_blocked: lose, to: queue}
    queue: {type: buffer, capacity: 4, to: server}
    server: {type: station, process_time: {dist: exponential, mean: 0.8}, to: out}
    out: {type: sink}
EOF
cat >line.yaml <<'EOF'
scene: mm1k.yaml
parameters:
  process.objects.queue.capacity: [1, 2, 4]
  process.objects.server.process_time.mean: [0.7, 0.8]
replications: 4
outputs: [arrivals.loss_probability, server.utilization]
objective: {minimise: arrivals.loss_probability}
EOF
"$WERK" sweep line.yaml -q --jobs 2 -o local.h5 || fail "the local sweep failed"
"$WERK" sweep line.yaml --slurm --array-size 3 --submit || fail "werk sweep --slurm --submit failed"
grep -q -- "--array=0-2" line-sweep/sweep.sbatch || fail "no 3-task array in line-sweep/sweep.sbatch"
for i in $(seq 600); do
  [[ -z $(squeue -h 2>/dev/null) && -f line-sweep/line.h5 ]] && break
  sleep 0.2
done
[[ -f line-sweep/line.h5 ]] || fail "the merge job wrote no line-sweep/line.h5"
ls line-sweep/parts/part-{0,1,2}.h5 >/dev/null || fail "missing part files"
for obj in /sweep/kpis /sweep/status /sweep/parameters /sweep/messages; do
  h5diff local.h5 line-sweep/line.h5 "$obj" "$obj" || fail "$obj differs between the local run and the Slurm array"
done
"$WERK" info line-sweep/line.h5 | grep -q "6 (6 ok, 0 failed, 0 not run)" || fail "werk info does not show 6 ok variants"
echo "PASSED: a 3-task Slurm job array and its merge job equal the local run"
