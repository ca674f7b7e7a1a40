#!/usr/bin/env bash
# The main job: installs everything (ci/setup.sh), then runs the built-in default scenario
# (nbd-swap-hog: a 256 MiB guest swapping over NBD while a hog touches 600 MiB).
# Extra arguments go to `wedge run`, e.g. ci/main.sh --kernel /path/bzImage --out /tmp/r1
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WEDGE_BUILD_DIR:-$here/build}
bash "$here/ci/setup.sh"
exec "$build_dir/wedge" run nbd-swap-hog "$@"
