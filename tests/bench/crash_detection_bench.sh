#!/usr/bin/env bash
# Crash-module detection benchmark (issue 3): for each failure mode of workloads/kmod's
# wedge_crash.ko, RUNS runs in a fresh guest; prints the verdict, the finding, the time from
# the failure's onset (the kernel's report, or the last heartbeat for a hard lockup) to wedge's
# verdict, and from the verdict to traces on disk. Prints numbers; never fails on them.
# Usage: tests/bench/crash_detection_bench.sh [RUNS=3]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${WEDGE_BUILD_DIR:-$here/build}
ko=$build/workloads/kmod/module/wedge_crash.ko
runs=${1:-3}
[ -f "$ko" ] || { echo "missing $ko: cmake --build build --target wedge_crash_module" >&2; exit 2; }
out=$(mktemp -d /tmp/wedge-crash-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
cp "$ko" "$out/wedge_crash.ko"

for mode in oops bug warn softlock mutex-sleep hardlock; do
  cmdline=""
  [ "$mode" = softlock ] && cmdline="watchdog_thresh=2"
  cat > "$out/$mode.toml" <<TOML
name = "wedge-crash-bench-$mode"
[guest]
cmdline = "$cmdline"
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "insmod /extra/wedge_crash.ko && echo $mode > /proc/wedge_crash"]
files = ["wedge_crash.ko"]
[limits]
duration_s = 60
TOML
  for i in $(seq "$runs"); do
    "$build/wedge" run "$out/$mode.toml" --out "$out/$mode-$i" -q --no-dump >/dev/null || true
  done
done

python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def med(v): return f"{statistics.median(v):5.1f} s" if v else "  n/a  "
print(f"{'mode':12} {'verdict':8} {'onset->verdict':>15} {'verdict->traces':>16}  finding")
for mode in ["oops", "bug", "warn", "softlock", "mutex-sleep", "hardlock"]:
    to_verdict, to_traces, verdicts, titles = [], [], set(), set()
    for i in range(1, runs + 1):
        r = json.load(open(f"{out}/{mode}-{i}/report.json"))
        verdicts.add(r["verdict"])
        if not r["findings"]:
            continue
        f = r["findings"][0]
        titles.add(f["title"])
        to_verdict.append(f["detected_s"] - f["onset_s"])
        if f.get("traces_s") is not None:
            to_traces.append(f["traces_s"] - f["detected_s"])
    print(f"{mode:12} {'/'.join(sorted(verdicts)):8} {med(to_verdict):>15} {med(to_traces):>16}  "
          f"{' | '.join(sorted(titles))}")
print(f"(median of {runs} runs each, TCG; memory dumps off)")
PY
