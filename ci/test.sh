#!/usr/bin/env bash
# The test command: installs everything (ci/setup.sh), then runs every test tier with ctest:
# unit tests (no root, no VM), the guest-input parsers' unit tests under ASan+UBSan, every
# libFuzzer target for a few seconds, and integration tests (real guests under libvirt/TCG).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WEDGE_BUILD_DIR:-$here/build}
WEDGE_BUILD_TARGET=all bash "$here/ci/setup.sh"
# Integration tests boot real guests one at a time (2 cores): they must not run in parallel.
cd "$build_dir"
ctest --output-on-failure --timeout 900 -L unit -j"$(nproc)"
bash "$here/ci/sanitize.sh"
bash "$here/ci/fuzz.sh" 10
ctest --output-on-failure --timeout 900 -L integration
