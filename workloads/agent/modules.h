// Loads the kernel modules listed in /etc/wedge/modules.load with finit_module, in file order.
// One line per module: a .ko path relative to / and optional parameters after a space;
// '#' starts a comment. Failures are logged (and so reported to the host as kLog).
#pragma once

namespace wedge::guest {

// Returns how many modules failed to load (EEXIST, already loaded, is not a failure).
int load_modules(const char* list_path);

}  // namespace wedge::guest
