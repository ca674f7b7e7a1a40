#!/usr/bin/env bash
# Installs everything wedge needs on Debian bookworm (as root), prepares and
# starts libvirt in system mode when no service manager does, and builds wedge.
# Idempotent: running it again only re-checks and rebuilds what changed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WEDGE_BUILD_DIR:-$here/build}

say() { printf '[setup] %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "ci/setup.sh must run as root (it installs packages and starts libvirtd)" >&2
  exit 2
fi

packages=(
  # build
  build-essential cmake pkg-config clang-format
  libvirt-dev libboost1.81-dev libboost-filesystem1.81-dev
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the initramfs cpio (libarchive) and the libvirt domain XML (libxml2)
  libarchive-dev libxml2-dev
  # linear-time regexes for guest text; clang + compiler-rt for libFuzzer and sanitizer builds
  libre2-dev clang libclang-rt-14-dev
  # virtualisation
  qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  # storage servers (host) and clients (copied into the guest image)
  nbd-server nbdkit nbd-client tgt open-iscsi nfs-ganesha nfs-ganesha-vfs
  # guest image ingredients (mdadm: RAID1 over network exports; mkfs for [storage] fs)
  busybox-static kmod e2fsprogs cpio mdadm xfsprogs btrfs-progs
  # headers for the test module workloads/kmod (same 6.1.0-NN release as linux-image-cloud-amd64)
  linux-headers-cloud-amd64
  # tools used by tests and benchmarks
  procps psmisc file python3
  # setfacl: keeps libvirt's view of /dev/kvm true on hosts where QEMU cannot use it (below)
  acl
  # a dynamic host program the workloads test runs in the guest from [workload] files
  stress-ng
  # qemu-io reaches tgtd over iscsi:// (iscsi_test)
  qemu-block-extra
  # reports: curl pushes metrics; tests check the writers with the tools that consume them
  curl libxml2-utils prometheus prometheus-pushgateway chromium python3-jsonschema python3-junitparser
  # reads the memory dumps wedge takes (wedge analyze-dump; libvirt_backend_test checks one)
  crash
  # unpack Debian's -dbg packages for System.map and vmlinux (ar, tar -J)
  binutils xz-utils tar
  # wedge kernel build: libcrypto for its cache keys (SHA-256), and what kbuild needs
  libssl-dev flex bison bc libelf-dev
)

# The guest kernel is fetched with `apt-get download`, which needs package lists.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  say "no apt package lists yet: apt-get update"
  apt-get update -q
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "all packages present"
fi

# libvirtd resolves the compiled-in default user before reading qemu.conf.
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
  useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt /var/lib/libvirt/qemu /var/cache/libvirt /var/run/libvirt
# wedge's storage servers (nbd-server, nbdkit, tgtd, ganesha) run as this unprivileged user.
getent passwd wedge-storage >/dev/null ||
  useradd -r -U -d /nonexistent -M -s /usr/sbin/nologin wedge-storage

# wedge's own guests do not depend on qemu.conf's user: each wedge domain carries a DAC label
# for libvirt-qemu and wedge hands QEMU what it opens (harness/vm/libvirt/qemu_access.h), so
# qemu.conf keeps libvirt's defaults for every other guest (only cgroups are off: these
# containers have none to give). Lines an older setup wrote (QEMU as root, no security driver)
# are removed.
qemu_conf=/etc/libvirt/qemu.conf
# set_conf FILE KEY VALUE: sets "KEY = VALUE" in a libvirt-style config file.
set_conf() {
  local file=$1 key=$2 value=$3
  if grep -qE "^${key}[[:space:]]*=" "$file"; then
    sed -i -E "s|^${key}[[:space:]]*=.*|${key} = ${value}|" "$file"
  else
    printf '%s = %s\n' "$key" "$value" >>"$file"
  fi
}
# unset_conf FILE KEY: removes a "KEY = ..." line, so libvirt's default applies.
unset_conf() { sed -i -E "/^${2}[[:space:]]*=/d" "$1"; }
touch "$qemu_conf"
before=$(md5sum "$qemu_conf")
for key in user group dynamic_ownership security_driver; do unset_conf "$qemu_conf" "$key"; done
set_conf "$qemu_conf" cgroup_controllers '[ ]'
conf_changed=0
[ "$before" = "$(md5sum "$qemu_conf")" ] || conf_changed=1

# virtlogd writes every guest's serial console and rotates it at max_size (2 MiB by default,
# too small for sysrq-t dumps). 256 MiB with one backup also bounds a guest flooding its console.
logd_conf=/etc/libvirt/virtlogd.conf
touch "$logd_conf"
before_logd=$(md5sum "$logd_conf")
set_conf "$logd_conf" max_size 268435456
set_conf "$logd_conf" max_backups 1
logd_changed=0
[ "$before_logd" = "$(md5sum "$logd_conf")" ] || logd_changed=1

# The system daemons are the ones named by their pid files (/run/NAME.pid, as `NAME -d`
# writes it): other daemons of the same name (a test's private libvirtd) are never touched.
# pid_of NAME: the live NAME process of the pid file, if any.
pid_of() {
  local file=/run/$1.pid pid
  [ -r "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && echo "$pid"
}
running() { pid_of "$1" >/dev/null; }
# stop_daemon NAME: SIGTERM to the pid file's process, then wait (libvirtd can take over a
# minute to exit and keeps its pid file, which blocks a new libvirtd -d until removed).
stop_daemon() {
  local pid
  pid=$(pid_of "$1") || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1800); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  if [ -d "/proc/$pid" ]; then
    echo "$1 (pid $pid) did not exit within 3 minutes; stop it by hand" >&2
    exit 1
  fi
  rm -f "/run/$1.pid"
}
if [ -d /run/systemd/system ]; then
  say "systemd present: using systemctl"
  systemctl start virtlogd libvirtd
  [ $logd_changed -eq 0 ] || systemctl restart virtlogd
  [ $conf_changed -eq 0 ] || systemctl restart libvirtd
else
  if running virtlogd && [ $logd_changed -eq 1 ]; then
    say "virtlogd.conf changed: restarting virtlogd"
    stop_daemon virtlogd
  fi
  running virtlogd || { say "starting virtlogd"; virtlogd -d; }
  if running libvirtd && [ $conf_changed -eq 1 ]; then
    say "qemu.conf changed: restarting libvirtd"
    stop_daemon libvirtd
  fi
  running libvirtd || { say "starting libvirtd"; libvirtd -d; }
fi
for _ in $(seq 100); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.1
done
virsh -c qemu:///system version >/dev/null || { echo "libvirtd did not come up" >&2; exit 1; }
say "libvirt ready"

# libvirt re-probes QEMU's capabilities on every call that needs them (two QEMU launches, 5-12 s
# each call; every guest start waited 60 s or more) when its two views of KVM disagree
# (virQEMUCapsIsValid in libvirt's qemu_capabilities.c):
#  - the probe runs QEMU as the QEMU user but grants it CAP_DAC_OVERRIDE (qemuProcessQMPLaunch,
#    for /dev/sev), so it records KVM whenever QEMU can initialise KVM, whatever /dev/kvm's mode;
#  - the validity check is access(2) on /dev/kvm as the QEMU user, without that capability.
# So libvirt-qemu's access to /dev/kvm is made to say what the probe sees, by an ACL entry for
# libvirt-qemu alone (the node's mode and every other user are untouched): granted where QEMU
# initialises KVM (a /dev/kvm open only to root or group kvm), denied where it cannot (a node
# open to libvirt-qemu on a host whose KVM does not initialise). Whether KVM then boots a guest
# is wedge's probe boot's question. Re-checked on each run: the entry is dropped first.
# qemu_initialises_kvm: QEMU as libvirt-qemu with CAP_DAC_OVERRIDE, as libvirt probes it.
qemu_initialises_kvm() {
  printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' |
    setpriv --reuid=libvirt-qemu --regid=libvirt-qemu --init-groups \
      --inh-caps=+dac_override --ambient-caps=+dac_override -- \
      timeout 30 qemu-system-x86_64 -machine none,accel=kvm -nodefaults -display none \
      -qmp stdio >/dev/null 2>&1
}
libvirt_qemu_may_open_kvm() { runuser -u libvirt-qemu -- test -r /dev/kvm -a -w /dev/kvm; }
if [ -e /dev/kvm ]; then
  setfacl -x u:libvirt-qemu /dev/kvm 2>/dev/null || true
  if qemu_initialises_kvm; then
    if libvirt_qemu_may_open_kvm; then
      say "/dev/kvm: QEMU initialises KVM and libvirt-qemu may open it (libvirt's views agree)"
    elif setfacl -m u:libvirt-qemu:rw- /dev/kvm; then
      say "/dev/kvm: libvirt's probe initialises KVM (CAP_DAC_OVERRIDE) but libvirt-qemu could" \
        "not open it; granted libvirt-qemu by an ACL entry so libvirt stops re-probing QEMU"
    else
      say "warning: libvirt's probe initialises KVM but libvirt-qemu may not open /dev/kvm," \
        "and setfacl failed: libvirt will re-probe QEMU on every call (slow)"
    fi
  elif ! libvirt_qemu_may_open_kvm; then
    say "/dev/kvm: QEMU cannot initialise KVM and libvirt-qemu may not open it (views agree)"
  elif setfacl -m u:libvirt-qemu:--- /dev/kvm; then
    say "/dev/kvm: libvirt-qemu may open it but QEMU cannot initialise KVM;" \
      "denied libvirt-qemu by an ACL entry so libvirt stops re-probing QEMU"
  else
    say "warning: /dev/kvm is open to libvirt-qemu but QEMU cannot initialise KVM, and setfacl" \
      "failed: libvirt will re-probe QEMU on every call (slow)"
  fi
  say "/dev/kvm: $(getfacl -p /dev/kvm 2>/dev/null | grep -v '^#' | tr '\n' ' ')"
fi
# The capability cache must hold between two calls; wedge doctor checks the same.
caps_cache=/var/cache/libvirt/qemu/capabilities
virsh -c qemu:///system domcapabilities --virttype qemu >/dev/null
before_caps=$(stat -c '%n %y' "$caps_cache"/*.xml 2>/dev/null || true)
virsh -c qemu:///system domcapabilities --virttype qemu >/dev/null
if [ "$before_caps" = "$(stat -c '%n %y' "$caps_cache"/*.xml 2>/dev/null || true)" ]; then
  say "libvirt keeps QEMU's capabilities cached"
else
  say "warning: libvirt re-probed QEMU's capabilities between two calls (every call will be" \
    "slow); libvirtd with log_filters=\"1:qemu.qemu_capabilities\" says why"
fi

# The main job builds what it runs (wedge, the agent, the stand-ins); ci/test.sh builds the
# tests too (WEDGE_BUILD_TARGET=all).
target=${WEDGE_BUILD_TARGET:-wedge_product}
say "building $target in $build_dir"
# -O1 with line tables: wedge waits on guests, not on its own CPU, and this builds in about half
# the time of CMake's -O2 -g (tests/unit/config_test.cpp: 14.9 s -> 7.2 s at -O1) while
# backtraces stay readable.
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "$target"
say "done: $build_dir/wedge"
