// apt-get without root installs: download a package's .deb into a directory, and run a tool
// with a working directory, both through argv (never a shell). Used to fetch Debian kernels
// and their debug-symbol packages into wedge's cache.
//
//   WEDGE_TRY(fs::path deb, apt_download("linux-image-6.1.0-56-cloud-amd64", work_dir, 900s));
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/process.h"
#include "harness/util/result.h"

namespace wedge::image {

// The "E: ..." lines of apt's stderr, joined with "; " ("no error message" if none).
[[nodiscard]] std::string apt_errors(const std::string& err);

// Like run_command, with dir as the working directory.
[[nodiscard]] Result<CommandOutput> run_in_dir(const std::vector<std::string>& argv,
                                               const std::filesystem::path& dir,
                                               std::chrono::milliseconds timeout);

// `apt-get download package` into dir; returns the .deb it wrote.
[[nodiscard]] Result<std::filesystem::path> apt_download(const std::string& package,
                                                         const std::filesystem::path& dir,
                                                         std::chrono::milliseconds timeout);

}  // namespace wedge::image
