// `wedge-agent watch` (run as /bin/wedge-watch): runs a program that writes to a block device
// or creates an image file (mke2fs) and reports, twice a second, the MiB written to that
// device (/sys/block/X/stat) or, for a file, the MiB of page cache the program dirtied
// (/proc/PID/io write_bytes), with the program's current phase (its last "Phase name:"
// output), forwarding its output.
#pragma once

namespace wedge::guest {

// Arguments after "watch": --device /dev/X | --file-mib TOTAL, then -- /PROGRAM [ARGS...].
// Exits as the program did (128 + signal when it was killed); 2 usage, 127 exec failed.
int watch_main(int argc, char** argv);

}  // namespace wedge::guest
