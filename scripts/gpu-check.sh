#!/usr/bin/env bash
# GPU check: the one script for a machine with an NVIDIA GPU (sm_90, e.g.
# H100/H200). A GPU machine is lent for minutes and may have none of the
# Debian libraries Werk links, so the work is split in two:
#
#   scripts/gpu-check.sh --prepare    (here, no GPU needed, ~10 min on 2 cores)
#       builds build-gpu/ with the CUDA backend for sm_90 (werk, werk_tests),
#       copies the shared libraries they need beside them (build-gpu/lib) and
#       strips them, so build-gpu/ can travel to the GPU machine as it is.
#   scripts/gpu-check.sh              (on the GPU machine, under 8 minutes)
#       1. the whole test suite on the CUDA backend (WERK_TEST_BACKEND=cuda);
#       2. compute-sanitizer memcheck and racecheck on a pile and a hull scene;
#       3. the same scenes on CPU and GPU, compared on physical figures (top
#          height, deepest overlap, kinetic energy, parts in the bin) within
#          the tolerances stated below;
#       4. the GPU run twice: equal state hashes;
#       5. PILE-4096 .. PILE-1,048,576: body-steps/s, launches, syncs and
#          allocations per step;
#       and a one-screen summary. Everything it measures goes under $OUT (or
#       gpu-check-out/ when OUT is not set).
#
#   scripts/gpu-check.sh --dry-run    the GPU stage on the emulated-CUDA backend,
#       to check this script on a machine with no GPU.
#   --skip-tests leaves out stage 1; --steps N sets the benchmark steps (300).
#
# Every command has its own time limit and all share one deadline (BUDGET
# seconds, default 450); a step cut short is reported as TIMEOUT.
set -u
cd "$(dirname "$0")/.."

BUDGET=${BUDGET:-450}
STEPS=300
MODE=check
GPU=cuda
RUN_TESTS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare) MODE=prepare ;;
    --dry-run) GPU=emulated-cuda ;;
    --skip-tests) RUN_TESTS=0 ;;
    --steps) STEPS="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

START=$(date +%s)
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

# ---------------------------------------------------------------- prepare
if [ $MODE = prepare ]; then
  scripts/setup.sh >/dev/null || exit 1  # packages; the CPU build checks the tree
  mkdir -p build-gpu
  cmake -S . -B build-gpu -DWERK_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release \
    -DWERK_BUILD_BENCHMARKS=OFF ${WERK_CMAKE_ARGS:-} >build-gpu/configure.log 2>&1 ||
    { tail -30 build-gpu/configure.log; exit 1; }
  cmake --build build-gpu -j"$(nproc)" --target werk werk_tests || exit 1
  # The libraries a bare CUDA image lacks: everything but the C runtime.
  mkdir -p build-gpu/lib
  for bin in build-gpu/werk build-gpu/tests/werk_tests; do
    ldd "$bin" | awk '/=> \// {print $3}' |
      grep -vE '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s)\.so' |
      while read -r lib; do cp -L "$lib" build-gpu/lib/; done
  done
  strip build-gpu/werk build-gpu/tests/werk_tests build-gpu/lib/*.so* 2>/dev/null
  pwd >build-gpu/source_dir.txt
  echo "gpu-check: build-gpu/ ready to carry ($(du -sh build-gpu/werk build-gpu/tests/werk_tests build-gpu/lib | awk '{s = s $1 " "} END {print s}'))"
  exit 0
fi

# ---------------------------------------------------------------- check
OUT=${OUT:-gpu-check-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check.log") 2>&1
FAILED=0
SUMMARY=()
note() { SUMMARY+=("$*"); }

section "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
if [ ! -x build-gpu/werk ] || [ ! -x build-gpu/tests/werk_tests ]; then
  echo "gpu-check: build-gpu/ is missing: run scripts/gpu-check.sh --prepare first and carry build-gpu"
  exit 1
fi
export LD_LIBRARY_PATH="$PWD/build-gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The test binary names the source folder it was built from (scenes, data).
SRC=$(cat build-gpu/source_dir.txt)
if [ "$SRC" != "$PWD" ] && [ ! -e "$SRC" ]; then
  mkdir -p "$(dirname "$SRC")" && ln -s "$PWD" "$SRC"
fi
WERK=build-gpu/werk
$WERK --version
export OMP_WAIT_POLICY=passive

section "1. test suite on the $GPU backend"
if [ $RUN_TESTS = 1 ]; then
# Two processes: the process simulation's tests (CPU only) beside the rest.
WERK_TEST_BACKEND=$GPU limited 240 build-gpu/tests/werk_tests "[process]" >"$OUT/tests-process.log" 2>&1 &
pid=$!
WERK_TEST_BACKEND=$GPU limited 240 build-gpu/tests/werk_tests "~[process]" >"$OUT/tests.log" 2>&1
rc=$?
wait $pid
rc2=$?
tail -2 "$OUT/tests.log" "$OUT/tests-process.log"
if [ $rc = 0 ] && [ $rc2 = 0 ]; then
  note "tests on $GPU: passed ($(grep -Eo 'All tests passed.*' "$OUT/tests.log"))"
else
  note "tests on $GPU: FAILED (exit $rc and $rc2, see tests.log and tests-process.log)"; FAILED=1
fi
else
  note "tests: skipped (--skip-tests)"
fi

# A hull pile (moving convex hulls on a floor), written here.
SCN=$(mktemp -d /tmp/werk-gpu-scenes.XXXXXX)
trap 'rm -rf "$SCN"' EXIT
cat >"$SCN/hull_pile.yaml" <<'EOF'
werk: 1
name: hull_pile
dt: 0.008333333333333333
substeps: 4
duration: 3
sleep: false
materials:
  m: {density: 1000, friction: 0.6}
static:
  - {name: floor, shape: {type: plane}, material: m}
bodies:
  - name: h
    shape: {type: hull, points: [[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1], [0.1, 0.1, 0.1]]}
    material: m
    position: [0, 0, 0.3]
    grid: {count: [16, 16, 4], spacing: [0.15, 0.15, 0.15]}
EOF

section "2. compute-sanitizer (memcheck, racecheck)"
if [ $GPU = cuda ] && command -v compute-sanitizer >/dev/null; then
  for tool in memcheck racecheck; do
    for scene in benchmarks/scenes/pile_1000.yaml "$SCN/hull_pile.yaml"; do
      name=$(basename "$scene" .yaml)
      limited 90 compute-sanitizer --tool $tool --error-exitcode 9 $WERK bench "$scene" --backend cuda --steps 5 --warmup 0 \
        >"$OUT/sanitizer-$tool-$name.log" 2>&1
      rc=$?
      summary=$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitizer-$tool-$name.log" | tail -1)
      echo "$tool $name: exit $rc ${summary}"
      [ $rc = 0 ] || FAILED=1
      note "compute-sanitizer $tool on $name: $([ $rc = 0 ] && echo clean || echo "FAILED (exit $rc)") ${summary}"
    done
  done
else
  echo "skipped (no compute-sanitizer, or a dry run)"
  note "compute-sanitizer: skipped"
fi

section "3-4. CPU against GPU on physical figures; the GPU twice"
# Tolerances: top height within 2 cm (one part's shift in a settled pile),
# deepest overlap within 2 mm of each other, kinetic energy of a settled
# scene below 1% of the scene's potential scale (both near rest), parts in
# the bin equal within 2 of 60 (chaotic paths on the chute).
compare() {
  local scene=$1 steps=$2
  local name
  name=$(basename "$scene" .yaml)
  limited 120 $WERK bench "$scene" --backend cpu --steps "$steps" --warmup 0 --json | grep '^{' >"$OUT/compare-$name-cpu.json"
  limited 120 $WERK bench "$scene" --backend "$GPU" --steps "$steps" --warmup 0 --json | grep '^{' >"$OUT/compare-$name-gpu1.json"
  limited 120 $WERK bench "$scene" --backend "$GPU" --steps "$steps" --warmup 0 --json | grep '^{' >"$OUT/compare-$name-gpu2.json"
  for f in "$OUT/compare-$name-cpu.json" "$OUT/compare-$name-gpu1.json" "$OUT/compare-$name-gpu2.json"; do
    [ -s "$f" ] || { echo "  no result in $f (a run failed or timed out)"; return 1; }
  done
  /usr/bin/env python3 - "$OUT/compare-$name-cpu.json" "$OUT/compare-$name-gpu1.json" "$OUT/compare-$name-gpu2.json" <<'PY'
import json, sys
c, g1, g2 = (json.load(open(p)) for p in sys.argv[1:4])
ok = True
def check(what, good, text):
    global ok
    ok = ok and good
    print("  %-28s %s  %s" % (what, "ok  " if good else "FAIL", text))
check("top height", abs(c["top_z_m"] - g1["top_z_m"]) <= 0.02, "cpu %.4f m, gpu %.4f m" % (c["top_z_m"], g1["top_z_m"]))
check("deepest overlap", abs(c["max_penetration_m"] - g1["max_penetration_m"]) <= 0.002,
      "cpu %.2f mm, gpu %.2f mm" % (1e3 * c["max_penetration_m"], 1e3 * g1["max_penetration_m"]))
scale = 9.81 * max(c["top_z_m"], 0.1) * c["dynamic"]  # J per kg of a part at the top
check("kinetic energy near rest", c["kinetic_energy_j"] <= 0.01 * scale and g1["kinetic_energy_j"] <= 0.01 * scale,
      "cpu %.3g J, gpu %.3g J" % (c["kinetic_energy_j"], g1["kinetic_energy_j"]))
check("gpu twice: same hash", g1["hash"] == g2["hash"], "%s %s" % (g1["hash"], g2["hash"]))
print("  gpu: %.1f launches, %.1f syncs, %.2f allocations per step, %d colours; cpu %d colours" %
      (g1["launches_per_step"], g1["syncs_per_step"], g1["allocations_per_step"], g1["colors"], c["colors"]))
sys.exit(0 if ok else 1)
PY
}
for s in "benchmarks/scenes/pile_4096.yaml 600" "benchmarks/scenes/pyramid_20.yaml 600" "$SCN/hull_pile.yaml 360"; do
  set -- $s
  echo "$(basename "$1" .yaml):"
  if compare "$1" "$2"; then note "CPU vs $GPU on $(basename "$1" .yaml): agree, GPU deterministic"
  else note "CPU vs $GPU on $(basename "$1" .yaml): FAILED"; FAILED=1; fi
done
# The bundled line: parts in the bin after the scene's 40 s.
bin_count() {
  limited 90 $WERK run scenes/chute_to_bin.yaml --backend "$1" -q -o "$OUT/chute_to_bin-$1.h5" >/dev/null 2>&1 ||
    { echo -1; return; }
  /usr/bin/env python3 - "$OUT/chute_to_bin-$1.h5" <<'PY'
import h5py, sys
f = h5py.File(sys.argv[1], "r")
pos = f["particles/bodies/position/value"][-1]
# Inner box of the bin (scenes/chute_to_bin.yaml): x 2.32..3.08, y 2.22..2.98, below its rim.
print(sum(1 for p in pos if 2.32 < p[0] < 3.08 and 2.22 < p[1] < 2.98 and p[2] < 0.5))
PY
}
ncpu=$(bin_count cpu)
ngpu=$(bin_count "$GPU")
echo "chute_to_bin: parts in the bin: cpu $ncpu, gpu $ngpu"
rm -f "$OUT"/chute_to_bin-*.h5
if [ "$ncpu" -ge 0 ] && [ "$ngpu" -ge 0 ] && [ $((ncpu - ngpu)) -le 2 ] && [ $((ngpu - ncpu)) -le 2 ]; then
  note "chute_to_bin: $ngpu parts in the bin on $GPU, $ncpu on cpu"
else
  note "chute_to_bin: FAILED (cpu $ncpu, gpu $ngpu)"; FAILED=1
fi

section "5. benchmarks: PILE-N on $GPU ($STEPS steps)"
BIG=$SCN
/usr/bin/env python3 benchmarks/make_scenes.py --pile 262144 --pile 1048576 --out "$BIG" >/dev/null 2>&1 ||
  echo "could not generate the 262k and 1M piles"
printf '%-14s %9s %10s %14s %9s %7s %7s %7s\n' scene bodies seconds body-steps/s launches syncs allocs colours | tee "$OUT/bench.txt"
for f in benchmarks/scenes/pile_4096.yaml benchmarks/scenes/pile_16384.yaml benchmarks/scenes/pile_65536.yaml \
  "$BIG/pile_262144.yaml" "$BIG/pile_1048576.yaml"; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .yaml)
  case "$name" in pile_1048576) lim=150 ;; pile_262144) lim=60 ;; *) lim=40 ;; esac
  out=$(limited "$lim" $WERK bench "$f" --backend "$GPU" --steps "$STEPS" --json 2>&1)
  rc=$?
  json=$(echo "$out" | grep '^{' | tail -1)
  if [ $rc != 0 ] || [ -z "$json" ]; then
    printf '%-14s %s\n' "$name" "FAILED (exit $rc): $(echo "$out" | grep -v '^{' | tail -2 | tr '\n' ' ')" | tee -a "$OUT/bench.txt"
    FAILED=1
    continue
  fi
  echo "$json" >>"$OUT/bench.jsonl"
  row=$(echo "$json" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print("%-14s %9d %10.3f %14.0f %9.1f %7.1f %7.2f %7d" % (d["scene"], d["bodies"], d["seconds"], d["body_steps_per_s"],
      d["launches_per_step"], d["syncs_per_step"], d["allocations_per_step"], d["colors"]))')
  echo "$row" | tee -a "$OUT/bench.txt"
  note "bench $row"
done

section "summary"
{
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  [ $FAILED = 0 ] && echo "gpu-check: OK" || echo "gpu-check: some steps FAILED (see above and $OUT/)"
} | tee "$OUT/summary.txt"
exit $FAILED
