#!/bin/sh
# Process-simulation benchmarks, Werk and SimPy in the same run.
#   benchmarks/process/run.sh [BUILD_DIR]      (default: build)
# Builds nothing: needs BUILD_DIR/werk_process_bench (target
# werk_process_bench). SimPy is Debian's python3-simpy, run with
# /usr/bin/python3. Prints each figure and the ratios. Rates are per CPU-second of the
# running thread (one core), for both programs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench=$build/werk_process_bench
[ -x "$bench" ] || { echo "missing $bench (cmake --build $build --target werk_process_bench)" >&2; exit 2; }
py=/usr/bin/python3
peer=$here/simpy_peer.py

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "SimPy $($py -c 'import SimPy; print(SimPy.__version__)'), $(uname -m), $(nproc) cores; one core each"
w1=$("$bench" hold 1000 20000000);      s1=$($py "$peer" hold 1000 1000000)
w2=$("$bench" hold 1000000 20000000);   s2=$($py "$peer" hold 1000000 1000000)
w3=$("$bench" mm1 5000000);             s3=$($py "$peer" mm1 500000)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }
mev() { awk -v a="$1" 'BEGIN { printf "%.2f", a / 1e6 }'; }
printf "hold N=1000:      werk %s M events/s   simpy %s M events/s   ratio %sx\n" \
  "$(mev "$(field "$w1" events_per_s)")" "$(mev "$(field "$s1" events_per_s)")" \
  "$(ratio "$(field "$w1" events_per_s)" "$(field "$s1" events_per_s)")"
printf "hold N=1000000:   werk %s M events/s   simpy %s M events/s   ratio %sx\n" \
  "$(mev "$(field "$w2" events_per_s)")" "$(mev "$(field "$s2" events_per_s)")" \
  "$(ratio "$(field "$w2" events_per_s)" "$(field "$s2" events_per_s)")"
printf "M/M/1 rho=0.9:    werk %s M customers/s (%s M events/s, W=%s)   simpy %s M customers/s (W=%s)   ratio %sx\n" \
  "$(mev "$(field "$w3" customers_per_s)")" "$(mev "$(field "$w3" events_per_s)")" "$(field "$w3" mean_time_in_system)" \
  "$(mev "$(field "$s3" customers_per_s)")" "$(field "$s3" mean_time_in_system)" \
  "$(ratio "$(field "$w3" customers_per_s)" "$(field "$s3" customers_per_s)")"
