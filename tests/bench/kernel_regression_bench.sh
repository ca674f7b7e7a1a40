#!/usr/bin/env bash
# Kernel-tree benchmark (issue 18, part 4): from Debian's linux-source-6.1 to a named culprit.
#  1. Unpacks /usr/src/linux-source-6.1.tar.xz (apt: linux-source-6.1) into a git repository
#     with eight commits; the fifth removes NBD's memory reserves (sk_set_memalloc on connect
#     and reconnect, memalloc_noreclaim_save around __sock_xmit's loop, __GFP_MEMALLOC in
#     sk_allocation), as in the 2012 swap-over-NBD series. The others are harmless.
#  2. Builds the first and the last commit with `wedge kernel build --builtin` (full build, then
#     the incremental one), and runs swap over NBD, iSCSI and NFS on the first: a kernel with
#     every driver built in.
#  3. `wedge compare` of the two builds on nbd-swap-hog, RUNS runs a side.
#  4. `wedge bisect` from the first to the last commit.
# Prints the numbers; never fails on them. Keeps everything in OUT (default /var/tmp/wedge-kbench)
# and the tree in TREE (default /var/tmp/wedge-kbench-linux; made once, reused).
# Usage: tests/bench/kernel_regression_bench.sh [RUNS=10] [STAGES=tree,build,drivers,compare,bisect]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wedge=${WEDGE_BUILD_DIR:-$here/build}/wedge
runs=${1:-10}
stages=${2:-tree,build,drivers,compare,bisect}
tree=${TREE:-/var/tmp/wedge-kbench-linux}
out=${OUT:-/var/tmp/wedge-kbench}
source_tarball=/usr/src/linux-source-6.1.tar.xz
mkdir -p "$out"
chmod 0755 "$out"

say() { echo "[kbench $(date +%H:%M:%S)] $*"; }
wants() { [[ ",$stages," == *",$1,"* ]]; }
git_in_tree() { git -C "$tree" -c user.name=wedge-bench -c user.email=bench@wedge.invalid "$@"; }
commit_all() { git_in_tree add -A && git_in_tree commit -q -m "$1"; }

# Each harmless commit touches a file the x86 build does not compile, or only text.
make_tree() {
  [[ -f $source_tarball ]] || { echo "missing $source_tarball: apt-get install linux-source-6.1" >&2; exit 2; }
  rm -rf "$tree" "$tree.unpack"
  mkdir -p "$tree.unpack"
  tar xJf "$source_tarball" -C "$tree.unpack"
  mv "$tree.unpack"/linux-source-6.1 "$tree"
  rmdir "$tree.unpack"
  # Debian's packaging adds "/*" to the top-level .gitignore (its repository holds only
  # debian/): without dropping that block, git would see no file of the tree.
  python3 - "$tree/.gitignore" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith("# Debian packaging"))
end = lines.index("!/debian/")
open(path, "w").write("\n".join(lines[:start - 1] + lines[end + 1:]))
PY
  git -C "$tree" init -q
  commit_all "linux-source-6.1 as Debian ships it"
  echo "NBD is also the transport wedge swaps over." >>"$tree/Documentation/admin-guide/blockdev/nbd.rst"
  commit_all "docs: nbd: one more sentence"
  sed -i '0,/Network block device support/s//Network block device (NBD) support/' "$tree/drivers/block/Kconfig"
  commit_all "block: Kconfig: NBD in the prompt"
  sed -i '1a /* Atari floppy driver: never built on x86. */' "$tree/drivers/block/ataflop.c"
  commit_all "ataflop: a comment"
  local nbd=$tree/drivers/block/nbd.c
  python3 - "$nbd" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
for old, new in [
    ("\tnoreclaim_flag = memalloc_noreclaim_save();\n", ""),
    ("\tmemalloc_noreclaim_restore(noreclaim_flag);\n", ""),
    ("\tunsigned int noreclaim_flag;\n", ""),
    ("GFP_NOIO | __GFP_MEMALLOC;", "GFP_NOIO;"),
    ("\t\tsk_set_memalloc(sock->sk);\n", ""),
    ("\t\tsk_set_memalloc(config->socks[i]->sock->sk);\n", ""),
]:
    if old not in text:
        sys.exit(f"nbd.c: {old!r} not found")
    text = text.replace(old, new, 1)
open(path, "w").write(text)
PY
  commit_all "nbd: drop the memory reserves of the socket (the regression)"
  sed -i '1a /* Atari Lance ethernet: never built on x86. */' "$tree/drivers/net/ethernet/amd/atarilance.c"
  commit_all "atarilance: a comment"
  echo "See also wedge's nbd-swap-hog." >>"$tree/Documentation/admin-guide/mm/concepts.rst"
  commit_all "docs: mm: a pointer"
  echo "" >>"$tree/README"
  commit_all "README: a blank line"
}

if wants tree && ! git -C "$tree" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  say "making the tree in $tree"
  start=$(date +%s)
  make_tree
  say "tree: $(git -C "$tree" rev-list --count HEAD) commits in $(($(date +%s) - start)) s"
fi
first=$(git -C "$tree" rev-list --max-parents=0 HEAD)
last=$(git -C "$tree" rev-parse HEAD)
culprit=$(git -C "$tree" log --format=%H --grep='the regression')

# build COMMIT NAME: checks COMMIT out, builds it, notes the wall time and the build folder.
build() {
  git -C "$tree" checkout -q "$1"
  local start
  start=$(date +%s)
  "$wedge" kernel build "$tree" --builtin >"$out/build-$2.out" 2>"$out/build-$2.log"
  echo "$(($(date +%s) - start))" >"$out/build-$2.seconds"
  tail -1 "$out/build-$2.out" >"$out/build-$2.dir"
  say "build $2 ($(git -C "$tree" log -1 --format=%s)): $(cat "$out/build-$2.seconds") s -> $(cat "$out/build-$2.dir")"
}
if wants build; then
  build "$first" first
  build "$last" last
  git -C "$tree" checkout -q "$first"
  start=$(date +%s)
  "$wedge" kernel build "$tree" --builtin >/dev/null 2>&1
  say "build first again (cache hit): $(($(date +%s) - start)) s"
  git -C "$tree" checkout -q "$last"
fi
kernel_first=$(cat "$out/build-first.dir")
kernel_last=$(cat "$out/build-last.dir")

# verdict_of DIR: "verdict title" of a run dir's report.
verdict_of() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]+"/report.json")); f=r["findings"]; print(r["verdict"], "|", f[0]["title"] if f else "", "| boot", r["timings"].get("boot_s"))' "$1" 2>/dev/null ||
    echo "no report"
}
if wants drivers; then
  for s in nbd-swap-hog iscsi-swap-hog nfs-swap-hog; do
    "$wedge" run "$s" --kernel "$kernel_first" --out "$out/drivers-$s" --force -q >/dev/null 2>&1 || true
    say "built-in drivers, $s: $(verdict_of "$out/drivers-$s")"
  done
fi

if wants compare; then
  rm -rf "$out/compare"
  start=$(date +%s)
  "$wedge" compare nbd-swap-hog --base "$kernel_first" --candidate "$kernel_last" --repeat "$runs" \
    --parallel 2 --out "$out/compare" >"$out/compare.out" 2>&1 || true
  say "compare: $(($(date +%s) - start)) s"
  cat "$out/compare.out" | tail -20
fi

if wants bisect; then
  rm -rf "$out/bisect"
  start=$(date +%s)
  "$wedge" bisect --good "$first" --bad "$last" nbd-swap-hog --tree "$tree" --builtin \
    --out "$out/bisect" >"$out/bisect.out" 2>&1 || true
  say "bisect: $(($(date +%s) - start)) s, exit in $out/bisect.out"
  tail -15 "$out/bisect.out"
  python3 - "$out/bisect/bisect.json" "$culprit" <<'PY' || true
import json, sys
b = json.load(open(sys.argv[1]))
res, cost = b.get("result", {}), b.get("cost", {})
print(f"first bad: {res.get('first_bad')}  (the reserves commit: {sys.argv[2]})")
print(f"named the reserves commit: {res.get('first_bad') == sys.argv[2]}")
print(f"cost: {json.dumps(cost)}")
PY
fi
