#!/usr/bin/env bash
# Configures the one sanitized build directory that ci/fuzz.sh (libFuzzer targets) and
# ci/sanitize.sh (unit tests of the guest-input parsers) share: clang, ASan+UBSan, libFuzzer
# coverage, -O1 with line tables (what ASan's documentation recommends; about half the compile
# time of -O2 -g). Usage: ci/configure_sanitized.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmake -S "$here" -B "$1" -DWEDGE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
