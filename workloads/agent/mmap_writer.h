// The anonymous-mmap writer workload (`wedge-agent mmap-write`): several processes each map
// anonymous memory, write a pattern into it, read it back, and do it again, pass after pass;
// in total several times the guest's RAM, so the kernel swaps all the time (after mmtests'
// vmscan-anon-mmap-write).
#pragma once

namespace wedge::guest {

// Runs the writer with the arguments after "mmap-write". Exit codes: 0 ok, 1 fork or mmap
// failed, 2 usage, 3 verify mismatch. Prints "progress <mib_done> <mib_total>" lines (MiB
// written by all processes together) and, with --verify, "verify ok" or
// "verify mismatch proc <p> pass <n> page <i>". Never mlocks: its memory is what gets swapped.
int mmap_writer_main(int argc, char** argv);

}  // namespace wedge::guest
