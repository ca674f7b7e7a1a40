#!/usr/bin/env bash
# Soak benchmark: N consecutive `wedge run`s with faults (relay delay, server restart), then the
# host's resources before and after (they must be equal: nothing leaks from run to run) and
# wedge's peak RSS per run. Prints numbers; never fails a suite.
#
#   tests/bench/soak_bench.sh [RUNS=30] [BUILD_DIR=build]
#
# Counted before and after: wedge guests in libvirt, processes still carrying WEDGE_OWNER (a
# wedge's children), RunLease records, wedge temp dirs, and this machine's processes, open fds
# and listening TCP sockets (these three also move with whatever else runs on the machine:
# compare them only on a quiet host), plus the image cache's size.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-30}
build=${2:-$here/build}
wedge=$build/wedge
source "$here/tests/bench/bench_dir.sh"
make_bench_dir wedge-soak
cache=${WEDGE_CACHE_DIR:-$HOME/.cache/wedge}

cat > "$out/soak.toml" <<'TOML'
name = "soak"
description = "300 MiB hog in a 256 MiB guest over NBD, with a relay delay and a server restart"
[guest]
memory_mib = 256
[workload]
size_mib = 300
[[fault]]
kind = "delay"
at_s = 2
duration_s = 5
delay_ms = 50
[[fault]]
kind = "server-restart"
at_s = 10
restart_after_s = 2
[limits]
duration_s = 600
stall_s = 20
TOML

snapshot() {
  local domains owned leases temps procs fds listen cache_kib
  domains=$(virsh -c qemu:///system list --all --name 2>/dev/null | grep -c '^wedge-')
  owned=0
  for env in /proc/[0-9]*/environ; do
    { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -q '^WEDGE_OWNER=' && owned=$((owned + 1))
  done
  leases=$(find /run/wedge/runs -name '*.json' 2>/dev/null | wc -l)
  temps=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'wedge*' ! -path "$out" 2>/dev/null | wc -l)
  procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
  fds=$(find /proc/[0-9]*/fd -maxdepth 1 -type l 2>/dev/null | wc -l)
  listen=$(awk 'NR > 1 && $4 == "0A"' /proc/net/tcp /proc/net/tcp6 | wc -l)
  cache_kib=$(du -sk "$cache" 2>/dev/null | cut -f1)
  echo "$domains $owned $leases $temps $procs $fds $listen $cache_kib"
}

before=$(snapshot)
printf '%-4s %-5s %-16s %-9s %-10s %s\n' run exit verdict run_s rss_mib reason
declare -a rss_list
for i in $(seq "$runs"); do
  run_dir=$out/run-$i
  "$wedge" run "$out/soak.toml" --out "$run_dir" -q >"$out/run-$i.log" 2>&1
  code=$?
  line=$(python3 - "$run_dir/report.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print(r["verdict"], round(r["timings"]["run_s"], 1),
          round(r.get("harness", {}).get("peak_rss_kib", 0) / 1024, 1), r["reason"][:60])
except Exception as e:
    print("no-report", 0, 0, e)
PY
)
  # No report: wedge refused to start; its own message says why.
  [ -f "$run_dir/report.json" ] || line="no-report 0 0 $(tail -1 "$out/run-$i.log")"
  read -r verdict run_s rss reason <<<"$line"
  rss_list+=("$rss")
  printf '%-4s %-5s %-16s %-9s %-10s %s\n' "$i" "$code" "$verdict" "$run_s" "$rss" "$reason"
  rm -rf "$run_dir"  # only what wedge leaves outside its run directory is measured
done
after=$(snapshot)

echo
printf '%-22s %10s %10s\n' resource before after
read -r -a b <<<"$before"
read -r -a a <<<"$after"
names=("wedge guests" "WEDGE_OWNER processes" "run leases" "wedge temp dirs" "processes (host)"
  "open fds (host)" "listening tcp (host)" "image cache KiB")
for k in "${!names[@]}"; do
  mark=""
  [ "${b[$k]}" = "${a[$k]}" ] || mark="  (differs)"
  printf '%-22s %10s %10s%s\n' "${names[$k]}" "${b[$k]}" "${a[$k]}" "$mark"
done
printf 'wedge peak RSS per run (MiB): min %s max %s\n' \
  "$(printf '%s\n' "${rss_list[@]}" | sort -n | head -1)" \
  "$(printf '%s\n' "${rss_list[@]}" | sort -n | tail -1)"
