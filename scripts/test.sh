#!/usr/bin/env bash
# One command: set up (packages + build) and run the whole test suite.
# WERK_CTEST_ARGS adds ctest arguments (CI's sanitizer stage leaves out the
# embedding tests, which build and load the library outside this build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export OMP_WAIT_POLICY=passive
cd "${WERK_BUILD_DIR:-build}"
ctest --output-on-failure -j2 --timeout 600 ${WERK_CTEST_ARGS:-}
