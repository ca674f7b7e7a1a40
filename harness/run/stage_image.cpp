// Implementation of stage_image.h.
#include "harness/run/stage_image.h"

#include "harness/run/image_needs.h"
#include "harness/run/run_files.h"
#include "harness/run/symbol_fetcher.h"
#include "harness/util/interrupt.h"

namespace wedge::run {

namespace fs = std::filesystem;

ImageSource ImageSource::real() {
  return {[](const image::ImageRequest& request, const image::ProgressFn& progress) {
            return image::build_image(request, progress);
          },
          [](const image::GuestImage& image, const fs::path& cache_dir,
             const image::ProgressFn& progress) {
            return fetch_system_map(image, cache_dir, progress);
          }};
}

Result<ImageOutput> build_run_image(RunContext& ctx, const ImageInput& input,
                                    const ImageSource& source) {
  const config::Scenario& scenario = ctx.scenario;
  image::ImageRequest req;
  req.kernel = scenario.guest.kernel;
  req.modules_dir = scenario.guest.modules;
  req.nic_driver = config::nic_driver(scenario.guest.nic);
  req.agent_binary = image::default_agent_path();
  req.cache_dir = ctx.options.cache_dir;
  storage::ImageNeeds needs = storage_image_needs(scenario, *input.transport);
  if (input.workload->image_needs) needs.add(input.workload->image_needs(scenario));
  needs.add({{}, {}, {}, scenario.guest.packages});  // after the workload's own
  apply_image_needs(needs, req);
  ctx.progress.step("preparing guest image");
  ctx.enter("image build");
  auto log = [&](const std::string& m) { ctx.progress.step("  " + m); };
  ImageOutput out;
  out.drivers = needs.drivers;
  auto img = source.build(req, log);
  if (!img) return img.error().context("building the guest image");
  out.image = std::move(*img);
  if (interrupted()) return interruption_error();
  // Names for vCPU instruction pointers even when the agent is dead (a hard lockup).
  ctx.enter("debug symbols download");
  out.system_map = source.system_map(out.image, ctx.options.cache_dir, log);
  if (interrupted()) return interruption_error();
  out.initrd = out.image.initrd;
  return out;
}

Status add_workload_files(RunContext& ctx, const ImageInput& input, ImageOutput& out) {
  const config::Scenario& scenario = ctx.scenario;
  std::vector<fs::path> host_files;
  if (input.workload->host_files) host_files = input.workload->host_files(scenario);
  if (!host_files.empty()) {
    std::vector<image::ExtraFile> extras;
    for (const auto& f : host_files) extras.push_back({f, "/extra/" + f.filename().string()});
    out.initrd = ctx.run_dir / kInitrdWithExtras;
    WEDGE_CHECK(image::write_initrd_with_extras(out.image.initrd, extras, out.initrd)
                    .context("adding workload files to the initrd"));
  }
  return ok_status();
}

void record_image(const ImageOutput& image, const config::Scenario& scenario,
                  reports::RunReport& r) {
  r.kernel_release = image.image.kernel_release;
  r.kernel_path = image.image.kernel.string();
  r.kernel_source = scenario.guest.kernel;
  r.boot_kernel = image.image.boot_kernel_pvh ? "vmlinux (PVH)" : "bzImage";
  r.image_hash = image.image.hash;
  r.initrd_bytes = image.image.initrd_bytes;
  r.pinned_bytes = image.image.pinned_bytes;
}

}  // namespace wedge::run
