#!/usr/bin/env bash
# werk sweep benchmarks (see benchmarks/README.md):
#   1. 64 variants x 10 replications of the engine-block line (7 days each):
#      --jobs 1, --jobs 2 and mpirun -np 2 (rank 0 coordinates and runs one
#      worker, rank 1 is the second);
#   2. 64 belt speeds of a 100-part conveyor cell (15 steps each), batched as
#      64 worlds of one simulation vs 64 simulations one after the other,
#      with 1 and 2 threads: world-steps/s;
#   3. 1,000 trivial variants: the sweep's own overhead.
# Run it under `nice` on a shared machine: benchmarks/sweep/run.sh
set -u
cd "$(dirname "$0")/../.."
WERK=$(readlink -f "${WERK:-build/werk}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
B=benchmarks/sweep

seconds() {  # wall seconds of a command; "over LIMIT" when it ran past LIMIT s
  local start end rc
  start=$(date +%s.%N)
  timeout "$LIMIT" "$@" >/dev/null 2>"$dir/err"
  rc=$?
  end=$(date +%s.%N)
  if [ $rc -eq 124 ]; then echo "over $LIMIT"; return; fi
  [ $rc -eq 0 ] || { echo "failed: $*" >&2; cat "$dir/err" >&2; }
  echo "$end - $start" | bc
}
ratio() { case "$1$2" in *over*) echo "-" ;; *) echo "scale=2; $1 / $2" | bc ;; esac; }
rate() { case "$2" in *over*) echo "< $(echo "scale=1; $1 / $LIMIT" | bc)" ;; *) echo "scale=1; $1 / $2" | bc ;; esac; }
LIMIT=${LIMIT:-60}  # s per run: 2 OpenMP threads on small steps can be very slow on a busy machine

echo "== engine-block line, 64 variants x 10 replications"
t1=$(seconds "$WERK" sweep $B/engine_block_64.yaml -q --jobs 1 -o "$dir/e1.h5")
t2=$(seconds "$WERK" sweep $B/engine_block_64.yaml -q --jobs 2 -o "$dir/e2.h5")
echo "jobs 1: $t1 s   jobs 2: $t2 s   speed-up $(ratio $t1 $t2)"
if command -v mpirun >/dev/null && "$WERK" --version | grep -q "mpi: Open MPI"; then
  tm=$(seconds mpirun --allow-run-as-root --oversubscribe -np 2 "$WERK" sweep $B/engine_block_64.yaml -q -o "$dir/em.h5")
  echo "mpirun -np 2: $tm s   speed-up over jobs 1: $(ratio $t1 $tm)"
  h5diff "$dir/e1.h5" "$dir/em.h5" /sweep/kpis /sweep/kpis >/dev/null && echo "mpirun results equal jobs 1: yes"
fi

echo "== conveyor cell, 100 parts, 64 belt speeds x 15 steps (world-steps = 64 x 15 = 960)"
for threads in 1 2; do
  tb=$(seconds "$WERK" sweep $B/conveyor_cell_64.yaml -q --jobs 1 --threads $threads --batch 64 -o "$dir/b$threads.h5")
  ts=$(seconds "$WERK" sweep $B/conveyor_cell_64.yaml -q --jobs 1 --threads $threads --batch 1 -o "$dir/s$threads.h5")
  echo "threads $threads: batched $tb s ($(rate 960 $tb) world-steps/s)   one by one $ts s ($(rate 960 $ts) world-steps/s)   speed-up $(ratio $ts $tb)"
  h5diff "$dir/b$threads.h5" "$dir/s$threads.h5" /sweep/state_hash /sweep/state_hash >/dev/null && echo "  batched state hashes equal one by one: yes"
done

echo "== 1,000 trivial variants"
tt=$(seconds "$WERK" sweep $B/trivial_1000.yaml -q -o "$dir/t.h5")
echo "1000 variants: $tt s"
tr=$(seconds "$WERK" sweep $B/trivial_1000.yaml -q -o "$dir/t.h5")
echo "rerun (all complete, nothing to do): $tr s"
