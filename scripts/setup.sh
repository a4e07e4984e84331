#!/usr/bin/env bash
# One-command set-up: installs the Debian packages Werk needs (when missing
# and when run as root), then configures and builds a Release build in
# build/, with the command line at build/werk. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake g++ make pkg-config libhdf5-dev hdf5-tools libeigen3-dev catch2 libyaml-cpp-dev libcli11-dev
          nlohmann-json3-dev libssl-dev libqhull-dev libassimp-dev python3-numpy python3-h5py
          libbullet-dev libmujoco-dev python3-simpy
          pybind11-dev python3-dev python3-pytest
          clang libclang-rt-14-dev libomp-dev  # clang: the fuzz targets (scripts/fuzz.sh)
          libboost-dev libopenmpi-dev openmpi-bin slurm-wlm munge  # werk sweep: Sobol points, MPI, Slurm arrays
          libvtk9-dev xvfb xauth ffmpeg python3-matplotlib  # werk export/render/report (docs/visualization.md)
          paraview chromium)  # their tests: ParaView's readers, a headless browser
# Thrust: the CUDA toolkit's copy when present, otherwise Debian's.
if [[ ! -d /usr/local/cuda/include/cccl && ! -d /usr/local/cuda/lib64/cmake/thrust ]]; then
  PACKAGES+=(libthrust-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  start=$(date +%s)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: packages installed in $(( $(date +%s) - start )) s"
fi

# ParaView's Python (python3-paraview, for pvpython) cannot be installed
# beside libvtk9-dev (it conflicts with python3-vtk9): the tests use Debian's
# package unpacked into a folder of its own (tests/viz/check_outputs.py).
PVPYTHON_DIR=${WERK_PVPYTHON_DIR:-/var/cache/werk/python3-paraview}
if [[ ! -x $PVPYTHON_DIR/usr/bin/pvpython && $(id -u) -eq 0 ]] && dpkg-query -W -f='${Status}' paraview 2>/dev/null | grep -q "install ok installed"; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq python3-paraview 2>/dev/null && mkdir -p "$PVPYTHON_DIR" && dpkg -x python3-paraview_*.deb "$PVPYTHON_DIR") ||
    echo "setup: could not unpack python3-paraview; the ParaView test will be skipped" >&2
  rm -rf "$tmp"
fi

BUILD_DIR=${WERK_BUILD_DIR:-build}
mkdir -p "$BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${WERK_CMAKE_ARGS:-} > "$BUILD_DIR/configure.log" 2>&1 || {
  cat "$BUILD_DIR/configure.log" >&2; exit 1; }
grep -E "^-- werk:" "$BUILD_DIR/configure.log" | sed 's/^-- /setup: /'
cmake --build "$BUILD_DIR" -j"$(nproc)" ${WERK_BUILD_TARGETS:+--target $WERK_BUILD_TARGETS}
echo "setup: built $BUILD_DIR/werk ($("$BUILD_DIR"/werk --version | tr '\n' ' '))"
