#!/usr/bin/env bash
# Crash-module detection benchmark (issue 3): for each failure mode of workloads/kmod's
# wedge_crash.ko, RUNS runs in a fresh guest; prints the verdict, the finding, how long the
# kernel took to report the failure after the module fired (guest clock), how long wedge took
# from that report to its verdict, and from the verdict to traces on disk. Prints numbers;
# never fails on them.
# Usage: tests/bench/crash_detection_bench.sh [RUNS=3]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${WEDGE_BUILD_DIR:-$here/build}
ko=$build/workloads/kmod/module/wedge_crash.ko
runs=${1:-3}
[ -f "$ko" ] || { echo "missing $ko: cmake --build build --target wedge_crash_module" >&2; exit 2; }
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-crash-bench
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
import json, re, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def med(v): return f"{statistics.median(v):5.1f} s" if v else "   none"
print(f"{'mode':12} {'verdict':8} {'trigger->kernel':>15} {'report->verdict':>15} "
      f"{'verdict->traces':>15}  finding")
for mode in ["oops", "bug", "warn", "softlock", "mutex-sleep", "hardlock"]:
    kernel, to_verdict, to_traces, verdicts, titles = [], [], [], set(), set()
    for i in range(1, runs + 1):
        d = f"{out}/{mode}-{i}"
        r = json.load(open(f"{d}/report.json"))
        verdicts.add(r["verdict"])
        if not r["findings"]:
            continue
        f = r["findings"][0]
        titles.add(f["title"])
        # The module's own line when it fires, on the guest's printk clock.
        trigger = None
        for line in open(f"{d}/console.log", errors="replace"):
            m = re.match(r"\[\s*(\d+\.\d+)\] wedge_crash: " + re.escape(mode) + ":", line)
            if m:
                trigger = float(m.group(1))
                break
        # The kernel's report of it, if it made one: printk clock, and host arrival time.
        report = None
        for line in open(f"{d}/events.jsonl"):
            e = json.loads(line)
            if e.get("source") == "console" and e.get("title") == f["title"]:
                report = e
                break
        if report and trigger is not None and "printk_s" in report:
            kernel.append(report["printk_s"] - trigger)
        start = report["t_s"] if report else f["onset_s"]
        to_verdict.append(f["detected_s"] - start)
        if f.get("traces_s") is not None:
            to_traces.append(f["traces_s"] - f["detected_s"])
    print(f"{mode:12} {'/'.join(sorted(verdicts)):8} {med(kernel):>15} {med(to_verdict):>15} "
          f"{med(to_traces):>15}  {' | '.join(sorted(titles))}")
print(f"(median of {runs} runs each; TCG; memory dumps off. trigger->kernel: from the module's "
      "line to the kernel's report, guest clock. report->verdict: host time from that report "
      "reaching wedge to the verdict; for a hard lockup, which the kernel never reports under "
      "TCG, from the last heartbeat.)")
PY
