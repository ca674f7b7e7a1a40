// Where a run's guest image and its System.map come from: the real builder in wedge, a
// stand-in in unit tests (which have no kernel to build an image from).
//
//   RunSources sources{backend_source, ImageSource::real()};
#pragma once

#include <filesystem>
#include <functional>

#include "harness/util/result.h"
#include "vm-images/image.h"

namespace wedge::run {

struct ImageSource {
  std::function<Result<image::GuestImage>(const image::ImageRequest&, const image::ProgressFn&)>
      build;
  // System.map for the image ("" when none is found).
  std::function<std::filesystem::path(const image::GuestImage&, const std::filesystem::path&,
                                      const image::ProgressFn&)>
      system_map;

  // image::build_image and fetch_system_map (symbol_fetcher.h).
  [[nodiscard]] static ImageSource real();
};

}  // namespace wedge::run
