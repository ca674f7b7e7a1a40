#!/usr/bin/env bash
# Hostile-guest flood (issue 9): one `wedge run` whose guest floods its serial console and its
# workload output (carried over the agent channel) at once for SECONDS, then exits 0. Prints
# wedge's peak RSS (the bound is 64 MiB), the verdict (it must be the workload's: pass), and how
# much reached each capped file. The integration test does the same for 90 s; this is the
# 10-minute measurement. Prints numbers; never fails on them.
#
#   tests/bench/flood_bench.sh [SECONDS=600]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
seconds=${1:-600}
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-flood-bench

line=0123456789abcdefghijklmnopqrstuvwxyz
cat >"$out/flood.toml" <<TOML
name = "flood"
description = "console and workload output flooded at once for $seconds s"
[workload]
kind = "command"
argv = ["/bin/busybox", "sh", "-c", "/bin/busybox timeout $seconds /bin/busybox yes CONSOLE-$line > /dev/console & /bin/busybox timeout $seconds /bin/busybox yes OUTPUT-$line; wait; echo flood-over"]
[limits]
duration_s = $((seconds + 300))
TOML

started=$(date +%s)
code=0
"$wedge" run "$out/flood.toml" --out "$out/run" -q >"$out/wedge.log" 2>&1 || code=$?
took=$(($(date +%s) - started))
python3 - "$out/run" "$code" "$took" "$seconds" <<'PY'
import json, os, sys
run, code, took, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(os.path.join(run, "report.json")))
mib = lambda n: n / 1048576
size = lambda f: os.path.getsize(os.path.join(run, f)) if os.path.exists(os.path.join(run, f)) else 0
print(f"flood for {seconds} s: exit {code}, verdict {r['verdict']} ({r['reason']}), {took} s wall")
print(f"wedge peak RSS       {mib(r['harness']['peak_rss_kib'] * 1024):8.1f} MiB  (bound 64 MiB)")
print(f"console received     {mib(r['console']['bytes']):8.1f} MiB")
for f in ("workload.log", "console.log", "agent.log", "events.jsonl", "samples.jsonl"):
    print(f"{f:20} {mib(size(f)):8.1f} MiB on disk")
PY
