#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU (sm_90, e.g. H100/H200), in
# under 8 minutes: builds Werk with the CUDA backend into build-gpu/, runs the
# test suite on the CUDA backend, then benchmarks PILE-N on the GPU up to
# 1,048,576 boxes and prints body-steps/s.
#
#   scripts/gpu-check.sh [--skip-tests] [--steps N]
#
# Every command has its own time limit, and all of them share one deadline
# (BUDGET seconds, default 450), so the script ends in time even when a step
# hangs; a step cut short is reported as TIMEOUT and the script goes on.
set -u
cd "$(dirname "$0")/.."

BUDGET=${BUDGET:-450}
STEPS=600
RUN_TESTS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-tests) RUN_TESTS=0 ;;
    --steps) STEPS="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

START=$(date +%s)
FAILED=0
# limited LIMIT CMD...: runs CMD with min(LIMIT, time left) seconds.
limited() {
  local limit=$1
  shift
  local left=$((BUDGET - ($(date +%s) - START)))
  if [ "$left" -le 5 ]; then
    echo "gpu-check: out of time, skipped: $*"
    return 124
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  [ $rc = 124 ] && echo "gpu-check: TIMEOUT after ${limit} s: $*"
  return $rc
}
section() { echo; echo "=== $* ($(($(date +%s) - START)) s)"; }

section "GPU"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
JOBS=$(nproc)

section "configure + build (CUDA, sm_90) into build-gpu/"
mkdir -p build-gpu
limited 60 cmake -S . -B build-gpu -DWERK_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release \
  -DWERK_BUILD_TESTS="$([ $RUN_TESTS = 1 ] && echo ON || echo OFF)" >build-gpu/configure.log 2>&1 ||
  { tail -30 build-gpu/configure.log; echo "gpu-check: configure failed"; exit 1; }
grep -E '^-- werk:' build-gpu/configure.log
if ! limited 240 cmake --build build-gpu -j"$JOBS" >build-gpu/build.log 2>&1; then
  grep -E 'error|Error' build-gpu/build.log | head -30
  echo "gpu-check: build failed or timed out (log: build-gpu/build.log)"
  exit 1
fi
echo "built: build-gpu/werk"

if [ $RUN_TESTS = 1 ]; then
  section "tests on the CUDA backend (WERK_TEST_BACKEND=cuda)"
  WERK_TEST_BACKEND=cuda limited 150 ctest --test-dir build-gpu --output-on-failure -j4 --timeout 90 2>&1 | tail -40
  [ "${PIPESTATUS[0]}" = 0 ] || FAILED=1
fi

section "benchmarks: PILE-N on the GPU ($STEPS steps)"
BIG=$(mktemp -d /tmp/werk-gpu-scenes.XXXXXX)
trap 'rm -rf "$BIG"' EXIT
/usr/bin/python3 benchmarks/make_scenes.py --pile 262144 --pile 1048576 --out "$BIG" >/dev/null ||
  python3 benchmarks/make_scenes.py --pile 262144 --pile 1048576 --out "$BIG" >/dev/null
printf '%-14s %10s %8s %10s %16s %14s %18s\n' scene bodies steps seconds body-steps/s device-B/body hash
for f in benchmarks/scenes/pile_1000.yaml benchmarks/scenes/pile_4096.yaml benchmarks/scenes/pile_16384.yaml \
  benchmarks/scenes/pile_65536.yaml "$BIG/pile_262144.yaml" "$BIG/pile_1048576.yaml"; do
  name=$(basename "$f" .yaml)
  case "$name" in pile_1048576) lim=120 ;; pile_262144) lim=60 ;; *) lim=30 ;; esac
  out=$(limited "$lim" build-gpu/werk bench "$f" --backend cuda --steps "$STEPS" --json 2>&1)
  rc=$?
  json=$(echo "$out" | grep '^{' | tail -1)
  if [ $rc != 0 ] || [ -z "$json" ]; then
    printf '%-14s %s\n' "$name" "FAILED (exit $rc): $(echo "$out" | grep -v '^{' | tail -2 | tr '\n' ' ')"
    FAILED=1
    continue
  fi
  echo "$json" | /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
n = max(d["dynamic"], 1)
row = (d["scene"], d["bodies"], d["steps"], d["seconds"], d["body_steps_per_s"], d["device_bytes"] / n, d["hash"], d["backend"])
print("%-14s %10d %8d %10.3f %16.0f %14.0f %18s  [%s]" % row)' 2>/dev/null || echo "$json"
done

section "done"
[ $FAILED = 0 ] && echo "gpu-check: OK" || echo "gpu-check: some steps FAILED (see above)"
exit $FAILED
