#!/usr/bin/env bash
# The test command: installs everything (ci/setup.sh), then runs every test tier with ctest:
# unit tests (no root, no VM), the guest-input parsers' unit tests under ASan+UBSan, every
# libFuzzer target for a few seconds, and integration tests (real guests under libvirt/TCG).
# Prints the slowest integration tests at the end (the suite's time budget is 35 minutes).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WEDGE_BUILD_DIR:-$here/build}
started=$(date +%s)
phase_started=$started
phases=()
# phase_done NAME: notes how long the phase that just ended took (printed at the end).
phase_done() {
  local now
  now=$(date +%s)
  phases+=("$(printf '%-12s %5d s' "$1" $((now - phase_started)))")
  phase_started=$now
}
WEDGE_BUILD_TARGET=all bash "$here/ci/setup.sh"
phase_done setup
cd "$build_dir"
ctest --output-on-failure --timeout 900 -L unit -j"$(nproc)"
phase_done unit
bash "$here/ci/sanitize.sh"
phase_done sanitize
bash "$here/ci/fuzz.sh" 10
phase_done fuzz
# Two guests at a time (a TCG guest needs about one core); tests that must have the host alone
# carry RUN_SERIAL (tests/integration/tests.cmake).
integration_log=$build_dir/integration-ctest.log
rm -f "$build_dir/integration-boot-times.txt"
status=0
ctest --output-on-failure --timeout 900 -L '^integration$' -j2 2>&1 | tee "$integration_log" ||
  status=$?
# No boot in the suite waited on libvirt (tests/integration/boot_times_test.cpp).
ctest --output-on-failure -L integration-summary || status=1
phase_done integration
echo "[test] slowest integration tests:"
grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$integration_log" |
  sed -E 's/.* Test +#[0-9]+: ([^ ]+) .* ([0-9.]+) sec$/\2 \1/' | sort -rn |
  awk 'NR <= 10 {printf "[test]   %7.1f s  %s\n", $1, $2}' # awk reads to the end: no SIGPIPE
for phase in "${phases[@]}"; do echo "[test] phase $phase"; done
echo "[test] whole test command: $(($(date +%s) - started)) s"
exit $status
