#!/usr/bin/env bash
# Builds the unit tests of everything that parses guest-controlled input (console, agent
# decoder, scenarios, traces, detectors, reports, the network gate's frames) with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs them. They share ci/fuzz.sh's clang
# build directory (the same libraries, instrumented once for both).
# Usage: ci/sanitize.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WEDGE_FUZZ_BUILD_DIR:-$here/build-fuzz}
tests=(util_test config_test console_parser_test console_hostile_input_test console_flood_meter_test
  agent_decoder_test agent_sample_test traces_proc_stack_test traces_console_tasks_test
  traces_registers_test traces_kernel_symbols_test traces_crash_task_list_test detector_test
  analyze_test verdict_rules_test net_gate_test io_error_site_test)
bash "$here/ci/configure_sanitized.sh" "$build_dir"
cmake --build "$build_dir" -j"$(nproc)" --target "${tests[@]}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
failed=0
for t in "${tests[@]}"; do
  if ! "$build_dir/$t" --gtest_brief=1 >"$build_dir/$t.out" 2>&1; then
    echo "[sanitize] $t FAILED:"
    tail -40 "$build_dir/$t.out"
    failed=1
  fi
done
[ $failed -eq 0 ] && echo "[sanitize] ${#tests[@]} unit test binaries clean under ASan+UBSan"
exit $failed
