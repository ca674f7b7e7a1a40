#!/usr/bin/env bash
# Measures, in one run, the numbers issue #2 asks for: boot-to-agent-ready through wedge vs a
# direct qemu command (ratio), wall time of nbd-swap-hog, initramfs size and pinned memory, and
# the agent's RSS. Prints them; never fails on noise. Usage: tests/bench/run_bench.sh [RUNS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${WEDGE_BUILD_DIR:-$here/build}
runs=${1:-5}
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-bench

"$build/wedge_boot_bench" --runs "$runs"

echo
echo "nbd-swap-hog, $runs runs:"
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$build/wedge" run nbd-swap-hog --out "$out/run$i" -q >/dev/null || true
  end=$(date +%s.%N)
  python3 - "$out/run$i/report.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"  {r['verdict']:5} wall {wall:5.1f} s  boot {r['timings']['boot_s']:.2f} s  "
      f"swap peak {r['guest']['swap_peak_mib']:.0f} MiB  pswpout {r['guest']['pswpout']}  "
      f"agent RSS {r['agent']['rss_kb']} KiB")
PY
done
