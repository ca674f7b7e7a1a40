// The memory hog workload (`wedge-agent hog`): fills anonymous memory with a pattern derived
// from each page's index, reporting progress, and can re-read it to detect corrupted swap-ins.
#pragma once

namespace wedge::guest {

// Runs the hog with the arguments after "hog". Exit codes: 0 ok, 1 mmap failed, 2 usage,
// 3 verify mismatch. Prints "progress <mib_done> <mib_total>" lines and "verify ok" or
// "verify mismatch page <n>". Deliberately never mlocks: its memory is what gets swapped.
int hog_main(int argc, char** argv);

}  // namespace wedge::guest
