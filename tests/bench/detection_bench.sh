#!/usr/bin/env bash
# Detection benchmark (issue 3): over RUNS runs of nbd-server-stall, time from fault onset to
# wedge's hang verdict, from verdict to traces on disk, and from fault onset to the kernel's
# own hung-task warning in the same runs (if it came at all); then CLEAN runs of every built-in
# scenario that should pass, counting false HANG verdicts; and onset -> verdict for one run of
# each hang type (server stall, loopback deadlock, a spinning CPU from wedge_crash.ko's
# softlock). Prints numbers; never fails on them.
# Usage: tests/bench/detection_bench.sh [RUNS=5] [CLEAN=10]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
runs=${1:-5}
clean=${2:-10}
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-detect-bench

echo "nbd-server-stall x $runs (server SIGSTOPped for 30 s mid-swap):"
for i in $(seq "$runs"); do
  "$wedge" run nbd-server-stall --out "$out/stall$i" -q --no-dump >/dev/null || true
done
python3 - "$out" "$runs" <<'PY'
import json, sys, statistics
out, runs = sys.argv[1], int(sys.argv[2])
to_verdict, to_traces, to_kernel, kernel_missing = [], [], [], 0
for i in range(1, runs + 1):
    d = f"{out}/stall{i}"
    r = json.load(open(f"{d}/report.json"))
    onset = r["faults"][0]["start_s"] if r["faults"] else None
    hang = next((f for f in r["findings"] if f["kind"] == "hang"), None)
    kernel = None
    for line in open(f"{d}/events.jsonl"):
        e = json.loads(line)
        if e.get("kind") == "hung_task":
            kernel = e["t_s"]
            break
    row = f"  run {i}: verdict {r['verdict']:5}"
    if onset is not None and hang:
        to_verdict.append(hang["detected_s"] - onset)
        row += f"  onset->verdict {to_verdict[-1]:5.1f} s"
        if hang["traces_s"] is not None:
            to_traces.append(hang["traces_s"] - hang["detected_s"])
            row += f"  verdict->traces {to_traces[-1]:4.1f} s"
    if onset is not None and kernel is not None:
        to_kernel.append(kernel - onset)
        row += f"  kernel hung-task warning {to_kernel[-1]:5.1f} s after onset"
    else:
        kernel_missing += 1
        row += "  kernel hung-task warning: never"
    print(row)
def med(v): return f"{statistics.median(v):.1f} s" if v else "n/a"
print(f"  median onset->verdict {med(to_verdict)}, verdict->traces {med(to_traces)}, "
      f"kernel warning {med(to_kernel)} ({kernel_missing}/{runs} runs without one)")
if to_verdict and to_kernel:
    print(f"  ratio kernel-warning / wedge-verdict latency: "
          f"{statistics.median(to_kernel) / statistics.median(to_verdict):.2f}")
PY

echo
echo "onset -> verdict per hang type (onset_s: when progress stopped; goal <= 5 s when confirmed):"
ko=${WEDGE_CRASH_KO:-${WEDGE_BUILD_DIR:-$here/build}/workloads/kmod/module/wedge_crash.ko}
if [ -f "$ko" ]; then
  mkdir -p "$out/spin"
  cp "$ko" "$out/spin/wedge_crash.ko"
  cat >"$out/spin/spin.toml" <<'TOML'
name = "spinning-cpu"
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "insmod /extra/wedge_crash.ko && echo softlock > /proc/wedge_crash"]
files = ["wedge_crash.ko"]
[limits]
duration_s = 120
TOML
  spin="$out/spin/spin.toml"
else
  echo "  (no $ko: build the wedge_crash_module target for the spinning-CPU row)"
  spin=""
fi
for kind in server-stall:nbd-server-stall loopback-deadlock:nbd-loopback-deadlock \
            spinning-cpu:$spin; do
  name=${kind%%:*} scenario=${kind#*:}
  [ -n "$scenario" ] || continue
  "$wedge" run "$scenario" --out "$out/type-$name" -q --no-dump >/dev/null || true
  python3 - "$out/type-$name/report.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hang = next((f for f in r["findings"] if f["kind"] == "hang"), None)
if hang and hang.get("onset_s") is not None:
    print(f"  {sys.argv[2]:18} verdict {r['verdict']:5} onset {hang['onset_s']:6.1f} s  "
          f"verdict {hang['detected_s']:6.1f} s  onset->verdict "
          f"{hang['detected_s'] - hang['onset_s']:5.1f} s  ({hang['title']})")
else:
    print(f"  {sys.argv[2]:18} verdict {r['verdict']} (no hang finding): {r.get('reason', '')}")
PY
done

echo
echo "false-positive check: $clean clean runs of each built-in scenario expected to pass:"
for scenario in nbd-swap-hog nbd-server-stall; do
  hangs=0
  for i in $(seq "$clean"); do
    "$wedge" run "$scenario" --out "$out/clean-$scenario-$i" -q --no-dump >/dev/null || true
    v=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['verdict'])" \
        "$out/clean-$scenario-$i/report.json")
    [ "$v" = "hang" ] && hangs=$((hangs + 1))
    echo "  $scenario run $i: $v"
  done
  echo "  $scenario: $hangs HANG verdicts in $clean runs"
done
