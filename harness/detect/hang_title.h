// The title of a hang once traces are in, for live runs and `wedge analyze` alike: a vCPU
// that the registers show running in one kernel function in every sample while the others
// halt is a CPU stuck there (a livelock, titled with that function); otherwise the biggest
// group of blocked or spinning tasks names the frame they wait in.
//
//   auto stuck = stuck_cpu_function(samples);          // "spin_forever" or ""
//   std::string t = hang_title_from_traces(stacks, stuck);  // "CPU stuck in spin_forever"
#pragma once

#include <string>
#include <vector>

#include "reports/report.h"

namespace wedge::detect {

// One `info registers -a` sample: per vCPU, halted or the kernel function it runs ("" when
// the instruction pointer could not be named).
struct VcpuSample {
  int cpu = 0;
  bool halted = false;
  std::string function;
};

// The function one vCPU ran in every sample (at least two) while every other vCPU was halted
// in every sample; "" otherwise.
[[nodiscard]] std::string stuck_cpu_function(const std::vector<std::vector<VcpuSample>>& samples);

// "CPU stuck in FUNC" when stuck_function is known, else "tasks blocked in FUNC" /
// "tasks spinning in FUNC" from the first stack group; "" when neither names a frame.
[[nodiscard]] std::string hang_title_from_traces(const std::vector<reports::StackGroup>& stacks,
                                                 const std::string& stuck_function);

// Puts a traces-derived title on a hang finding (and its signature and blamed frame).
void retitle_hang(reports::Finding* finding, const std::string& title, const std::string& blamed);

}  // namespace wedge::detect
