#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for FUZZ_SECONDS (default 60) or FUZZ_RUNS executions, from seed
# corpora made of the repository's scenes, meshes and result files.
#   scripts/fuzz.sh                    # the CI smoke: about 60 s per target
#   FUZZ_RUNS=1000000 scripts/fuzz.sh  # a long run
#   FUZZ_RUNS=1000000 FUZZ_SECONDS=1500 scripts/fuzz.sh  # whichever ends first
# FUZZ_TIMEOUT (default 1 s) is the time an input may take before it counts
# as a hang; raise it only on a machine too busy to give the fuzzer a core.
# Prints each target's execution count; exits non-zero on any finding
# (crash, leak, timeout > 1 s, sanitizer report); the input is left in
# build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_DIR=${WERK_FUZZ_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-scene mesh info}
WERK=${WERK_BINARY:-build/werk}

mkdir -p "$FUZZ_DIR"
CC=clang CXX=clang++ cmake -S . -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWERK_FUZZ=ON -DWERK_CUDA=OFF \
  -DWERK_BUILD_TESTS=OFF -DWERK_BUILD_BENCHMARKS=OFF ${WERK_FUZZ_CMAKE_ARGS:-} > "$FUZZ_DIR/configure.log" 2>&1 || {
  cat "$FUZZ_DIR/configure.log" >&2; exit 1; }
cmake --build "$FUZZ_DIR" -j"${FUZZ_JOBS:-$(nproc)}" --target werk_fuzz

# Seed corpora (inputs only; libFuzzer adds what it finds to the work copy).
seeds=$FUZZ_DIR/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{scene,mesh,info}
cp scenes/*.yaml benchmarks/scenes/*.yaml "$seeds/scene/"
cp tests/fuzz/regressions/scene/* "$seeds/scene/" 2>/dev/null || true
# Meshes: the first byte picks the extension (0 .stl, 1 .obj).
for f in tests/data/*.stl tests/data/*.obj tests/fuzz/regressions/mesh/*; do
  [[ -f $f ]] || continue
  case $f in *.obj) prefix='\x01' ;; *) prefix='\x00' ;; esac
  { printf "$prefix"; cat "$f"; } > "$seeds/mesh/$(basename "$f")"
done
# Result files: a physics run, a process run, and truncated copies.
if [[ -x $WERK ]]; then
  "$WERK" run scenes/drop_test.yaml -q --threads 1 --duration 0.2 -o "$seeds/info/drop.h5"
  "$WERK" run scenes/process_mm1.yaml -q --threads 1 --duration 20000 -o "$seeds/info/mm1.h5"
  rm -f "$seeds"/info/*.xdmf
  for f in "$seeds"/info/*.h5; do
    size=$(stat -c %s "$f")
    for frac in 1 2 4 8; do head -c $((size * frac / 10)) "$f" > "$f.cut$frac"; done
  done
fi
cp tests/fuzz/regressions/info/* "$seeds/info/" 2>/dev/null || true

mkdir -p "$FUZZ_DIR/findings"
status=0
for t in $TARGETS; do
  work=$FUZZ_DIR/corpus/$t
  mkdir -p "$work"
  dict=()
  [[ $t == scene ]] && dict=(-dict=tests/fuzz/yaml.dict)
  limit=()
  [[ -n ${FUZZ_RUNS:-} ]] && limit+=(-runs="$FUZZ_RUNS")
  [[ -z ${FUZZ_RUNS:-} || -n ${FUZZ_SECONDS:-} ]] && limit+=(-max_total_time="$SECONDS_EACH")
  log=$FUZZ_DIR/fuzz_$t.log
  if ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0" \
       "$FUZZ_DIR/fuzz/fuzz_$t" "$work" "$seeds/$t" "${dict[@]}" "${limit[@]}" \
       -timeout="${FUZZ_TIMEOUT:-1}" -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$FUZZ_DIR/findings/$t-" -print_final_stats=1 \
       > "$log" 2>&1; then
    fuzz_stat() { grep -m1 -oE "stat::$1: *[0-9]+" "$log" | grep -oE '[0-9]+$'; }
    echo "fuzz: $t: $(fuzz_stat number_of_executed_units) executions ($(fuzz_stat average_exec_per_sec) per second), no findings"
  else
    echo "fuzz: $t: FINDING (log: $log)"; tail -40 "$log"; status=1
  fi
done
exit $status
