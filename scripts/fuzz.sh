#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for FUZZ_SECONDS (default 60) or FUZZ_RUNS executions, from seed
# corpora made of the repository's scenes, sweeps, meshes and result files.
#   scripts/fuzz.sh                    # the CI smoke: about 60 s per target
#   FUZZ_RUNS=1000000 scripts/fuzz.sh  # a long run
#   FUZZ_RUNS=1000000 FUZZ_SECONDS=1500 scripts/fuzz.sh  # whichever ends first
# Long runs on a shared machine: FUZZ_GOAL=N runs every target in chunks of
# at most FUZZ_CHUNK seconds (default 90), one target after another in
# turn, each chunk continuing from the target's corpus, until each has N
# executions in all. The counts are kept in build-fuzz/counts/ (a later call
# goes on from them); before each chunk the script waits while the file
# FUZZ_PAUSE_FILE exists (for example a lock someone benchmarking holds).
# Several such calls may work on one target at once (one per free core):
# each adds its chunks' executions to the shared count under a lock.
#   FUZZ_GOAL=1000000 FUZZ_PAUSE_FILE=/path/to/lock nice -n 19 scripts/fuzz.sh
# FUZZ_TIMEOUT (default 1 s) is the time an input may take before it counts
# as a hang; raise it only on a machine too busy to give the fuzzer a core.
# Prints each target's execution count; exits non-zero on any finding
# (crash, leak, timeout > 1 s, sanitizer report); the input is left in
# build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_DIR=${WERK_FUZZ_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-scene mesh info sweep}
WERK=${WERK_BINARY:-build/werk}

mkdir -p "$FUZZ_DIR"
CC=clang CXX=clang++ cmake -S . -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWERK_FUZZ=ON -DWERK_CUDA=OFF \
  -DWERK_BUILD_TESTS=OFF -DWERK_BUILD_BENCHMARKS=OFF ${WERK_FUZZ_CMAKE_ARGS:-} > "$FUZZ_DIR/configure.log" 2>&1 || {
  cat "$FUZZ_DIR/configure.log" >&2; exit 1; }
cmake --build "$FUZZ_DIR" -j"${FUZZ_JOBS:-$(nproc)}" --target werk_fuzz

# Seed corpora (inputs only; libFuzzer adds what it finds to the work copy).
seeds=$FUZZ_DIR/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{scene,mesh,info,sweep}
cp scenes/*.yaml benchmarks/scenes/*.yaml "$seeds/scene/"
cp tests/fuzz/regressions/scene/* "$seeds/scene/" 2>/dev/null || true
# Meshes: the first byte picks the extension (0 .stl, 1 .obj).
for f in tests/data/*.stl tests/data/*.obj tests/fuzz/regressions/mesh/*; do
  [[ -f $f ]] || continue
  case $f in *.obj) prefix='\x01' ;; *) prefix='\x00' ;; esac
  { printf "$prefix"; cat "$f"; } > "$seeds/mesh/$(basename "$f")"
done
# Sweep files: the fuzz target reads its input as scenes/sweeps/fuzz.yaml,
# so a sweep from another folder gets its scene: path made absolute.
cp scenes/sweeps/*.yaml tests/fuzz/seeds/sweep/*.yaml "$seeds/sweep/"
for f in benchmarks/sweep/*.yaml; do
  grep -q '^parameters:' "$f" || continue
  sed -E "s|^scene: *([^/][^ ]*)|scene: $PWD/benchmarks/sweep/\\1|" "$f" > "$seeds/sweep/bench_$(basename "$f")"
done
cp tests/fuzz/regressions/sweep/* "$seeds/sweep/" 2>/dev/null || true
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

mkdir -p "$FUZZ_DIR/findings" "$FUZZ_DIR/counts"

# One run of target $1 with libFuzzer limits $2...; its log is $log.
fuzz_once() {
  local t=$1
  shift
  local work=$FUZZ_DIR/corpus/$t dict=()
  mkdir -p "$work"
  [[ $t == scene ]] && dict=(-dict=tests/fuzz/yaml.dict)
  [[ $t == sweep ]] && dict=(-dict=tests/fuzz/sweep.dict)
  # The CPU time it got (user + system s) goes to $log.cpu: on a busy
  # machine the rate per CPU second says what a free core would do.
  local timer=()
  [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -o "$log.cpu" -f "%U %S")
  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0" \
    "${timer[@]}" "$FUZZ_DIR/fuzz/fuzz_$t" "$work" "$seeds/$t" "${dict[@]}" "$@" \
    -timeout="${FUZZ_TIMEOUT:-1}" -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-65536}" \
    -artifact_prefix="$FUZZ_DIR/findings/$t-" -print_final_stats=1 < /dev/null > "$log" 2>&1
}
fuzz_stat() { grep -m1 -oE "stat::$1: *[0-9]+" "$log" | grep -oE '[0-9]+$' || echo 0; }

status=0
if [[ -n ${FUZZ_GOAL:-} ]]; then
  # Chunks, round robin over the targets, until each has FUZZ_GOAL executions.
  while :; do
    left=0
    for t in $TARGETS; do
      count_file=$FUZZ_DIR/counts/$t
      done_runs=$(cat "$count_file" 2>/dev/null || echo 0)
      (( done_runs < FUZZ_GOAL )) || continue
      left=1
      while [[ -n ${FUZZ_PAUSE_FILE:-} && -e $FUZZ_PAUSE_FILE ]]; do sleep 20; done
      log=$FUZZ_DIR/fuzz_$t.chunk.$$.log
      if ! fuzz_once "$t" -runs=$((FUZZ_GOAL - done_runs)) -max_total_time="${FUZZ_CHUNK:-90}"; then
        echo "fuzz: $t: FINDING (log: $log)"; tail -40 "$log"; exit 1
      fi
      n=$(fuzz_stat number_of_executed_units)
      done_runs=$( (flock 9; now=$(cat "$count_file" 2>/dev/null || echo 0); echo $((now + n)) > "$count_file"; echo $((now + n))) 9> "$count_file.lock")
      cpu=$(awk '{print $1 + $2}' "$log.cpu" 2>/dev/null || echo "?")
      # time, target, executions, per wall second, slowest input (s), CPU s
      echo "$(date -u +%FT%TZ) $t $n $(fuzz_stat average_exec_per_sec) $(fuzz_stat slowest_unit_time_sec) $cpu" >> "$FUZZ_DIR/counts/chunks.log"
      echo "fuzz: $t: $n executions in this chunk ($(fuzz_stat average_exec_per_sec) per second), $done_runs in all, no findings"
    done
    (( left )) || break
  done
  exit 0
fi

for t in $TARGETS; do
  limit=()
  [[ -n ${FUZZ_RUNS:-} ]] && limit+=(-runs="$FUZZ_RUNS")
  [[ -z ${FUZZ_RUNS:-} || -n ${FUZZ_SECONDS:-} ]] && limit+=(-max_total_time="$SECONDS_EACH")
  log=$FUZZ_DIR/fuzz_$t.log
  if fuzz_once "$t" "${limit[@]}"; then
    echo "fuzz: $t: $(fuzz_stat number_of_executed_units) executions ($(fuzz_stat average_exec_per_sec) per second), no findings"
  else
    echo "fuzz: $t: FINDING (log: $log)"; tail -40 "$log"; status=1
  fi
done
exit $status
