#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in a build directory of their own and runs
# each for SECONDS (default 10) from seeds taken from recorded inputs in tests/testdata and
# the built-in scenarios. A crash fails the script and leaves the reproducer in the work dir.
# Usage: ci/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WEDGE_FUZZ_BUILD_DIR:-$here/build-fuzz}
work_dir=${WEDGE_FUZZ_WORK_DIR:-$build_dir/fuzz-work}
seconds=${1:-10}
shift || true
all=(console_parser_fuzz agent_decoder_fuzz scenario_loader_fuzz symbol_table_fuzz
  hmp_registers_fuzz crash_output_fuzz)
targets=("${@:-${all[@]}}")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# seeds TARGET: the recorded inputs a target starts from.
seeds() {
  local d=$here/tests/testdata
  case $1 in
    console_parser_fuzz) echo "$d/console" ;;
    scenario_loader_fuzz) echo "$here/workloads/scenarios" ;;
    symbol_table_fuzz) echo "$d/traces/system-map-excerpt.txt $d/traces/kallsyms-head-excerpt.txt $d/traces/kallsyms-modules-excerpt.txt" ;;
    hmp_registers_fuzz) echo "$d/traces/info-registers-a-busy.txt $d/traces/info-registers-a-idle.txt $d/traces/module-memory-wedge-crash.txt" ;;
    crash_output_fuzz) echo "$d/crash/task_list.txt $d/traces/proc-stack-kthreadd.txt $d/traces/proc-stack-sleep.txt" ;;
    *) echo "" ;;
  esac
}

bash "$here/ci/configure_sanitized.sh" "$build_dir"
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  corpus=$work_dir/$t
  mkdir -p "$corpus"
  for s in $(seeds "$t"); do
    if [ -d "$s" ]; then cp -n "$s"/* "$corpus"/ 2>/dev/null || true; else cp -n "$s" "$corpus"/; fi
  done
  echo "[fuzz] $t for ${seconds}s"
  (cd "$work_dir" && "$build_dir/$t" -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$corpus" 2>&1 | tail -15)
done
