// `wedge-agent cgroup-exec DIR /PROGRAM [ARGS...]`: joins the cgroup v2 directory DIR
// (writes its pid to DIR/cgroup.procs), then execs the program, which runs under the
// cgroup's memory caps. No shell between the host's argv and the workload.
#pragma once

namespace wedge::guest {

// Returns only on failure: 2 usage, 126 joining the cgroup failed, 127 exec failed.
int cgroup_exec_main(int argc, char** argv);

}  // namespace wedge::guest
