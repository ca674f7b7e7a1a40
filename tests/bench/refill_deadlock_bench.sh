#!/usr/bin/env bash
# virtio-net refill deadlock across Debian's 6.1 stable builds (issue 18, part 5): runs the
# built-in scenario virtio-net-refill-deadlock RUNS times on each kernel through one
# `wedge matrix` with a kernel axis (--parallel 2), then prints a table
#   kernel | runs | hangs | rate | refill_work in stacks | titles | other verdicts
# (rate = hangs / runs that could test, i.e. not infra_error). With --nic MODEL the scenario runs
# with [guest] nic = MODEL instead of virtio-net; e1000 needs the generic flavour, which is then
# the default kernel. Prints numbers; never fails on them. Keeps every run under OUT (default
# /var/tmp/wedge-refill-bench/<nic>-<time>), stacks in each run's report.json.
# Usage: tests/bench/refill_deadlock_bench.sh [--nic MODEL] [RUNS=10] [KERNEL...]
#   KERNEL: anything --kernel takes; default debian:6.1.0-47-cloud-amd64 ... -57-cloud-amd64
#   and debian:6.1.0-57-amd64 (the generic flavour); with --nic, debian:6.1.0-57-amd64 only.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
nic=virtio
if [ "${1:-}" = "--nic" ]; then
  nic=${2:?--nic needs a model (virtio, e1000, vmxnet3, rtl8139)}
  shift 2
fi
runs=${1:-10}
[ $# -gt 0 ] && shift
kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
  if [ "$nic" = virtio ]; then
    for n in $(seq 47 57); do kernels+=("debian:6.1.0-$n-cloud-amd64"); done
  fi
  kernels+=("debian:6.1.0-57-amd64")
fi
out=${OUT:-/var/tmp/wedge-refill-bench/$nic-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
chmod 0755 "$out" "$(dirname "$out")"

say() { echo "[refill-bench $(date +%H:%M:%S)] $*"; }

# The scenario as built in, or with its [guest] nic set (and a name that says so).
scenario=$out/virtio-net-refill-deadlock.toml
python3 - "$here/workloads/scenarios/virtio-net-refill-deadlock.toml" "$scenario" "$nic" <<'PY'
import sys
source, target, nic = sys.argv[1:]
text = open(source).read()
if nic != "virtio":
    text = text.replace('name = "virtio-net-refill-deadlock"',
                        f'name = "virtio-net-refill-deadlock-{nic}"', 1)
    text = text.replace("[guest]\n", f'[guest]\nnic = "{nic}"\n', 1)
open(target, "w").write(text)
PY
{
  echo "name = \"refill-deadlock-$nic\""
  echo "scenarios = [\"virtio-net-refill-deadlock.toml\"]"
  echo "repeat = $runs"
  echo "[axes]"
  printf 'kernel = ['
  sep=""
  for k in "${kernels[@]}"; do printf '%s"%s"' "$sep" "$k"; sep=", "; done
  echo "]"
} >"$out/matrix.toml"

say "nic $nic, $runs run(s) on each of ${#kernels[@]} kernel(s), --parallel 2, into $out"
start=$(date +%s)
"$wedge" matrix "$out/matrix.toml" --out "$out/matrix" --parallel 2 >"$out/matrix.out" 2>&1 || true
say "matrix: $(($(date +%s) - start)) s wall; its summary: $out/matrix.out"

python3 - "$out/matrix" "$nic" "${kernels[@]}" <<'PY'
import collections, glob, json, os, sys, tomllib
root, nic, kernels = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {k: collections.Counter() for k in kernels}
titles = {k: collections.Counter() for k in kernels}
others = {k: collections.Counter() for k in kernels}
for report in sorted(glob.glob(f"{root}/runs/*/r*/report.json")):
    cell = report.split("/")[-3]
    try:
        with open(f"{root}/cells/{cell}.toml", "rb") as f:
            kernel = tomllib.load(f)["guest"]["kernel"]
    except (OSError, KeyError):
        kernel = cell
    r = json.load(open(report))
    row = rows.setdefault(kernel, collections.Counter())
    row["runs"] += 1
    verdict = r.get("verdict", "?")
    if verdict == "infra_error":
        row["infra"] += 1
        others.setdefault(kernel, collections.Counter())[
            "infra_error: " + r.get("reason", "")[:60]] += 1
        continue
    row["tested"] += 1
    if verdict == "hang":
        row["hangs"] += 1
        finding = (r.get("findings") or [{}])[0]
        titles.setdefault(kernel, collections.Counter())[finding.get("title", "?")] += 1
        if any("refill_work" in s.get("frames", []) for s in finding.get("stacks", [])):
            row["refill"] += 1
    elif verdict != "pass":
        others.setdefault(kernel, collections.Counter())[verdict] += 1
def counted(c):
    return "; ".join(f"{n}x {t}" for t, n in c.most_common()) or "-"
print(f"\nnic = {nic}")
print("| kernel | runs | hangs | rate | refill_work in stacks | titles | other verdicts |")
print("|---|---|---|---|---|---|---|")
for kernel in list(kernels) + [k for k in rows if k not in kernels]:
    row = rows.get(kernel, collections.Counter())
    rate = f"{row['hangs'] / row['tested']:.2f}" if row["tested"] else "-"
    print(f"| {kernel} | {row['runs']} | {row['hangs']} | {rate} | {row['refill']} | "
          f"{counted(titles.get(kernel, {}))} | {counted(others.get(kernel, {}))} |")
PY
