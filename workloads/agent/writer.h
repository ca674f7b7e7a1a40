// The file-writing workload (`wedge-agent write`, run as /bin/wedge-write): large-file and
// concurrent-writers. Writers are processes; every byte is the pattern of pattern.h, and the
// read-back reports each wrong or missing region as a "finding" line the host parses.
#pragma once

namespace wedge::guest {

// Runs the writers with the arguments after "write". Exit codes: 0 ok, 2 usage, 3 data read
// back wrong, 4 an I/O error (write, fsync, read). Prints "progress <done> <total> MiB <phase>"
// about twice a second and "finding data_loss|io_error ..." lines.
int writer_main(int argc, char** argv);

}  // namespace wedge::guest
