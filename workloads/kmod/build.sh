#!/usr/bin/env bash
# Builds wedge_crash.ko for the kernel release wedge's default guest image boots, with kbuild
# against that release's headers. Usage: build.sh WEDGE_BINARY SOURCE_DIR BUILD_DIR
set -euo pipefail

wedge=$1 src=$2 out=$3

# The release comes from the image wedge will boot, never from the host's uname.
if ! image=$("$wedge" image build); then
  echo "wedge_crash: '$wedge image build' failed, so the guest's kernel release is unknown" >&2
  exit 1
fi
release=$(printf '%s\n' "$image" | sed -n 's/^kernel release *//p')
if [ -z "$release" ]; then
  echo "wedge_crash: '$wedge image build' reported no kernel release" >&2
  exit 1
fi
kdir=/lib/modules/$release/build
if [ ! -f "$kdir/Makefile" ]; then
  installed=$(ls /lib/modules 2>/dev/null | paste -sd' ')
  echo "wedge_crash: no kernel headers for $release, the release of wedge's guest image" >&2
  echo "  (headers installed for: ${installed:-none}). Install linux-headers-$release;" >&2
  echo "  ci/setup.sh installs linux-headers-cloud-amd64, which must match linux-image-cloud-amd64." >&2
  exit 1
fi

# kbuild writes its objects next to the source: build in a copy inside the build tree
# (cp -p keeps mtimes, so kbuild rebuilds only what changed).
mkdir -p "$out"
cp -p "$src/wedge_crash.c" "$src/Kbuild" "$out/"
# A make started from CMake's make cannot share its jobserver; build on its own.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$kdir" M="$out" modules
modinfo_release=$(PATH=$PATH:/usr/sbin:/sbin modinfo -F vermagic "$out/wedge_crash.ko" | cut -d' ' -f1)
if [ "$modinfo_release" != "$release" ]; then
  echo "wedge_crash: built for $modinfo_release, but the guest image boots $release" >&2
  exit 1
fi
echo "$release" >"$out/release"
