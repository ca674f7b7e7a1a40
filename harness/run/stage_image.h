// Stage 1 of a run: the guest image. Builds (or finds in the cache) the image the transport,
// the workload and the scenario need, adds the workload's host files as a per-run initrd, and
// finds System.map for naming vCPU addresses.
//
//   WEDGE_TRY(ImageOutput image, build_run_image(ctx, {&transport, &workload}, source));
//   record_image(image, ctx.scenario, ctx.report);
//   WEDGE_CHECK(add_workload_files(ctx, {&transport, &workload}, image));
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "harness/run/image_source.h"
#include "harness/run/run_context.h"
#include "harness/storage/transport.h"
#include "harness/workload_kinds/workload.h"
#include "vm-images/image.h"

namespace wedge::run {

struct ImageInput {
  const storage::Transport* transport = nullptr;
  const workloads::WorkloadEntry* workload = nullptr;
};

struct ImageOutput {
  image::GuestImage image;
  std::filesystem::path initrd;          // the image's, or the run's with the workload's files
  std::filesystem::path system_map;      // "" when none was found
  std::vector<storage::Driver> drivers;  // what the guest kernel needs, for its command line
};

// Phases "image build" and "debug symbols download". An interrupt is an error.
[[nodiscard]] Result<ImageOutput> build_run_image(RunContext& ctx, const ImageInput& input,
                                                  const ImageSource& source);

// The workload's and scenario's host files (under /extra) as the run's own initrd: sets
// image.initrd to it. Nothing to add leaves the image's initrd.
[[nodiscard]] Status add_workload_files(RunContext& ctx, const ImageInput& input,
                                        ImageOutput& image);

// The image's part of report.json (kernel, hash, sizes).
void record_image(const ImageOutput& image, const config::Scenario& scenario,
                  reports::RunReport& report);

}  // namespace wedge::run
