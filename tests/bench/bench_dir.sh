# Sourced by the bench scripts: the temp folder their runs write into.
# make_bench_dir NAME: sets $out to a fresh /tmp/NAME.XXXXXX, removed when the script exits.
# It is 0755 (mktemp makes 0700): QEMU and the storage servers run unprivileged and must enter
# the run dirs inside it, or wedge refuses every run with exit 2.
make_bench_dir() {
  out=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 0755 "$out"
  trap 'rm -rf "$out"' EXIT
}
