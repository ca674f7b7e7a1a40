#!/usr/bin/env bash
# Built-in scenario table (issues 7 and 8): one row per run with transport, verdict, wall time,
# peak swap, peak Dirty and Writeback, the workload's measure, bytes through the host
# server(s) and the pinned initramfs. Either runs each named built-in scenario once (default:
# all of them) on the stock kernel, or reads the runs of a finished `wedge matrix` output root
# (e.g. the nightly's). Prints numbers; never fails on them.
# Usage: tests/bench/scenario_table.sh [SCENARIO...]
#        tests/bench/scenario_table.sh --from MATRIX_OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
if [ "${1:-}" = "--from" ]; then
  root=$2
  # Run dirs only (runs/<cell>/r<k>/), not the r<k>.log files beside them.
  runs=$(cd "$root" && ls -d runs/*/r*/ | sed 's|/$||' | sort)
else
  source "$here/tests/bench/bench_dir.sh"
  make_bench_dir wedge-scenario-table
  root=$out
  if [ $# -eq 0 ]; then
    set -- $(cd "$here/workloads/scenarios" && ls *.toml | sed 's/\.toml$//')
  fi
  runs=""
  for scenario in "$@"; do
    "$wedge" run "$scenario" --out "$root/$scenario" -q --no-dump >/dev/null 2>&1 || true
    runs="$runs $scenario"
  done
fi
python3 - "$root" $runs <<'PY'
import json, sys
root, runs = sys.argv[1], sys.argv[2:]
print("| run | transport | verdict | wall s | swap peak MiB | Dirty / Writeback peak MiB "
      "| workload | server MiB w/r | pinned MiB |")
print("|---|---|---|---|---|---|---|---|---|")
for run in runs:
    d = f"{root}/{run}"
    try:
        r = json.load(open(f"{d}/report.json"))
    except OSError:
        print(f"| {run} | ? | no report | | | | | | |")
        continue
    transport = "?"
    for line in open(f"{d}/scenario.toml"):
        if line.startswith("transport"):
            transport = line.split("=")[1].strip().strip("'\"")
    g, s = r.get("guest", {}), r.get("server", {})
    w = g.get("workload", {}) or {}
    measure = f"{w.get('done', '')} {w.get('unit', '')}".strip() if isinstance(w, dict) else ""
    print(f"| {run} | {transport} | {r['verdict']} | {r['timings'].get('run_s', 0):.0f} | "
          f"{g.get('swap_peak_mib', 0):.0f} | "
          f"{g.get('dirty_peak_mib', 0):.0f} / {g.get('writeback_peak_mib', 0):.0f} | "
          f"{measure} | "
          f"{s.get('bytes_written', 0) / 2**20:.0f}/{s.get('bytes_read', 0) / 2**20:.0f} | "
          f"{r.get('image', {}).get('pinned_bytes', 0) / 2**20:.1f} |")
PY
