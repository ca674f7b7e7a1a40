#!/usr/bin/env bash
# Built-in scenario table (issue 7): runs each named built-in scenario once (default: all of
# them) on the stock kernel and prints one row per run: transport, verdict, wall time, peak
# swap, bytes through the host server(s), pinned initramfs. Prints numbers; never fails on them.
# Usage: tests/bench/scenario_table.sh [SCENARIO...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
out=$(mktemp -d /tmp/wedge-scenario-table.XXXXXX)
trap 'rm -rf "$out"' EXIT
if [ $# -eq 0 ]; then
  set -- $(cd "$here/workloads/scenarios" && ls *.toml | sed 's/\.toml$//')
fi
for scenario in "$@"; do
  "$wedge" run "$scenario" --out "$out/$scenario" -q --no-dump >/dev/null 2>&1 || true
done
python3 - "$out" "$@" <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
print(f"| {'scenario':28} | transport | verdict | wall s | swap peak MiB | server MiB w/r | pinned MiB |")
print("|---|---|---|---|---|---|---|")
for name in names:
    try:
        r = json.load(open(f"{out}/{name}/report.json"))
    except OSError:
        print(f"| {name:28} | ? | no report | | | | |")
        continue
    transport = "?"
    for line in open(f"{out}/{name}/scenario.toml"):
        if line.startswith("transport"):
            transport = line.split("=")[1].strip().strip('"')
    s = r.get("server", {})
    print(f"| {name:28} | {transport} | {r['verdict']} | {r['timings']['run_s']:.0f} | "
          f"{r['guest'].get('swap_peak_mib', 0):.0f} | "
          f"{s.get('bytes_written', 0) / 2**20:.0f}/{s.get('bytes_read', 0) / 2**20:.0f} | "
          f"{r['image']['pinned_bytes'] / 2**20:.1f} |")
PY
