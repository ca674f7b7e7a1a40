#!/usr/bin/env bash
# Loopback NBD wedge rate (issue 7): RUNS runs each of nbd-loopback-deadlock (the in-guest
# nbd-server as a plain process) and nbd-loopback-io-flusher (started as PR_SET_IO_FLUSHER
# with mlockall), counting how often each wedges and how (deadlock: vCPU halted, tasks asleep;
# livelock: vCPU busy). Prints numbers; never fails on them.
# Usage: tests/bench/loopback_flusher_bench.sh [RUNS=10]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
runs=${1:-10}
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-flusher-bench

for scenario in nbd-loopback-deadlock nbd-loopback-io-flusher; do
  for i in $(seq "$runs"); do
    "$wedge" run "$scenario" --out "$out/$scenario-$i" -q --no-dump >/dev/null 2>&1 || true
  done
done
python3 - "$out" "$runs" <<'PY'
import json, sys, collections
out, runs = sys.argv[1], int(sys.argv[2])
print(f"{'scenario':26} {'runs':>4} {'wedged':>6} {'deadlock':>8} {'livelock':>8} {'pass':>4} "
      f"{'other':>5}  median s to verdict")
for scenario in ("nbd-loopback-deadlock", "nbd-loopback-io-flusher"):
    counts, times = collections.Counter(), []
    for i in range(1, runs + 1):
        try:
            r = json.load(open(f"{out}/{scenario}-{i}/report.json"))
        except OSError:
            counts["other"] += 1
            continue
        hang = next((f for f in r["findings"] if f["kind"] == "hang"), None)
        if r["verdict"] == "hang" and hang:
            counts["wedged"] += 1
            counts[hang.get("subkind") or "other"] += 1
            times.append(hang["detected_s"])
        elif r["verdict"] == "pass":
            counts["pass"] += 1
        else:
            counts["other"] += 1
    times.sort()
    median = f"{times[len(times) // 2]:.1f}" if times else "n/a"
    print(f"{scenario:26} {runs:>4} {counts['wedged']:>6} {counts['deadlock']:>8} "
          f"{counts['livelock']:>8} {counts['pass']:>4} {counts['other']:>5}  {median}")
PY
