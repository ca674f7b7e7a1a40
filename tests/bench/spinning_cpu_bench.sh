#!/usr/bin/env bash
# Spinning-CPU titles (issue 19, part 3): RUNS runs of wedge_crash.ko's rcu-spin on a 2-vCPU guest
# (a kthread spins with preemption off on one CPU while the writer waits for an RCU grace
# period on the other). Prints each run's verdict, title, subkind and detection time, and how
# many runs were titled by the spinning function (wedge_crash_spinning). Never fails on them.
# Usage: tests/bench/spinning_cpu_bench.sh [RUNS=10]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${WEDGE_BUILD_DIR:-$here/build}
ko=$build/workloads/kmod/module/wedge_crash.ko
runs=${1:-10}
[ -f "$ko" ] || { echo "missing $ko: cmake --build build --target wedge_crash_module" >&2; exit 2; }
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-spin-bench
cp "$ko" "$out/wedge_crash.ko"
cat >"$out/rcu-spin.toml" <<'TOML'
name = "wedge-crash-rcu-spin"
[guest]
vcpus = 2
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "insmod /extra/wedge_crash.ko && echo rcu-spin > /proc/wedge_crash"]
files = ["wedge_crash.ko"]
[limits]
duration_s = 90
TOML
for i in $(seq "$runs"); do
  "$build/wedge" run "$out/rcu-spin.toml" --out "$out/run$i" -q --no-dump >/dev/null 2>&1 || true
  python3 - "$out/run$i" "$i" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1] + "/report.json"))
except OSError:
    print(f"run {sys.argv[2]:>2}: no report")
    sys.exit(0)
f = r["findings"][0] if r["findings"] else {}
print(f"run {sys.argv[2]:>2}: {r['verdict']:11} {f.get('title', ''):50} subkind {f.get('subkind')}  "
      f"detected {f.get('detected_s', 0) or 0:5.1f} s  boot {r['timings'].get('boot_s', 0):.1f} s")
PY
done
python3 - "$out" "$runs" <<'PY'
import json, sys
out, runs = sys.argv[1], int(sys.argv[2])
right = 0
for i in range(1, runs + 1):
    try:
        r = json.load(open(f"{out}/run{i}/report.json"))
    except OSError:
        continue
    f = r["findings"][0] if r["findings"] else {}
    right += r["verdict"] == "hang" and f.get("title", "").endswith(" in wedge_crash_spinning")
print(f"titled by the spinning function: {right}/{runs}")
PY
