#!/usr/bin/env bash
# consumers.sh BUILD_DIR SOURCE_DIR: installs the build into a temporary
# prefix and uses it the way a user's tool would, from outside the source
# tree:
#   1. the examples folder as a separate CMake project (find_package(Werk),
#      Werk::werk), built and run;
#   2. the C example built with `pkg-config --cflags --libs werk` and run;
#   3. /usr/bin/python3 with PYTHONPATH at the prefix: import werk, run a scene;
#   4. the installed CLI (werk bench).
# All four step scenes/drop_test.yaml 720 steps: their state hashes must be
# equal. Also checks the library's SONAME and that only the API is exported.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
python=${WERK_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cd "$work"  # nothing below may depend on the source tree

t0=$(date +%s.%N)
cmake --install "$build" --prefix "$prefix" > install.log
scene=$prefix/share/werk/scenes/drop_test.yaml
steps=720
fail=0
check() {  # check NAME HASH
  if [[ $2 != "$expected" ]]; then
    echo "consumers: $1 reached state hash '$2', the CLI '$expected'" >&2
    fail=1
  else
    echo "consumers: $1: state hash $2 (same as the CLI)"
  fi
}

# The library: versioned, with a SONAME, exporting only the API.
lib=$(readlink -f "$prefix/lib/libwerk.so")
soname=$(readelf -d "$lib" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libwerk.so.* && -e $prefix/lib/$soname ]] || { echo "consumers: bad SONAME '$soname'" >&2; fail=1; }
if nm -DC --defined-only "$lib" | grep -E ' (T|D|B) ' | grep -Ev ' (werk::|werk_|_init|_fini|typeinfo|vtable|VTT)' | grep -q .; then
  echo "consumers: libwerk.so exports symbols outside the API:" >&2
  nm -DC --defined-only "$lib" | grep -E ' (T|D|B) ' | grep -Ev ' (werk::|werk_|_init|_fini|typeinfo|vtable|VTT)' | head >&2
  fail=1
fi
if nm -DC --defined-only "$lib" | grep -E 'werk::(yaml|process|cpu|cuda)::' | grep -q .; then
  echo "consumers: libwerk.so exports internals (werk::yaml, process, cpu, cuda)" >&2
  fail=1
fi

# 4. The CLI gives the reference hash.
expected=$("$prefix/bin/werk" bench "$scene" --steps $steps --warmup 0 --json | sed -n 's/.*"hash":"\([0-9a-f]*\)".*/\1/p')
[[ -n $expected ]] || { echo "consumers: werk bench printed no hash" >&2; exit 1; }

# 1. A CMake project with find_package(Werk).
cmake -S "$prefix/share/werk/examples" -B examples -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  ${CXX:+-DCMAKE_CXX_COMPILER=$CXX} ${CC:+-DCMAKE_C_COMPILER=$CC} > examples.log 2>&1 || { cat examples.log >&2; exit 1; }
cmake --build examples -j2 >> examples.log 2>&1 || { cat examples.log >&2; exit 1; }
t1=$(date +%s.%N)
out=$(examples/hello_werk "$scene" crate $steps)
t2=$(date +%s.%N)
check "C++ (find_package)" "$(sed -n 's/^state hash \([0-9a-f]*\) .*/\1/p' <<< "$out")"
check "C (find_package)" "$(examples/hello_werk_c "$scene" crate $steps | sed -n 's/^state hash \([0-9a-f]*\) .*/\1/p')"
# The control loop example runs and stops the infeed at least once in 4 s.
ctl=$(examples/line_control "$prefix/share/werk/scenes/chute_to_bin.yaml" 4)
grep -q "infeed stopped" <<< "$ctl" || { echo "consumers: line_control never stopped the infeed:" >&2; echo "$ctl" >&2; fail=1; }

# 2. A C program through pkg-config.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
"${CC:-cc}" -std=c99 -Wall -Wextra -Wpedantic -Werror "$prefix/share/werk/examples/hello_werk.c" \
  $(pkg-config --cflags --libs werk) -o hello_c
check "C (pkg-config)" "$(./hello_c "$scene" crate $steps | sed -n 's/^state hash \([0-9a-f]*\) .*/\1/p')"

# 3. Python from the prefix.
pypath=$(ls -d "$prefix"/lib/python3*/*-packages 2>/dev/null | head -1 || true)
if [[ -n $pypath && -d $pypath/werk ]]; then
  h=$(PYTHONPATH=$pypath "$python" -c "
import sys, werk
assert werk.__file__.startswith('$prefix'), werk.__file__
sim = werk.Simulation(werk.load_scene(sys.argv[1]))
sim.step(int(sys.argv[2]))
print('%016x' % sim.state_hash())" "$scene" $steps)
  check "Python (PYTHONPATH)" "$h"
  # The Python control loop takes the same decisions at the same steps as the C++ one.
  pyctl=$(PYTHONPATH=$pypath "$python" "$prefix/share/werk/examples/line_control.py" "$prefix/share/werk/scenes/chute_to_bin.yaml" 4)
  if [[ $(sed 's/ simulated in .*real time)//' <<< "$pyctl") != $(sed 's/ simulated in .*real time)//' <<< "$ctl") ]]; then
    echo "consumers: the Python and C++ control loops differ:" >&2
    diff <(echo "$ctl") <(echo "$pyctl") >&2 || true
    fail=1
  else
    echo "consumers: control loop, C++ and Python: $(tail -1 <<< "$pyctl")"
  fi
else
  echo "consumers: no Python package installed (bindings not built): skipped"
fi

awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "consumers: cmake --install to a running find_package consumer: %.1f s (install, configure, build), its run %.2f s\n", b - a, c - b }'
exit $fail
