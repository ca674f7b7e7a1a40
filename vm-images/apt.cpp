// Implementation of apt.h.
#include "vm-images/apt.h"

#include "harness/util/files.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string apt_errors(const std::string& err) {
  std::string out;
  size_t pos = 0;
  while (pos < err.size()) {
    size_t nl = err.find('\n', pos);
    std::string line = err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.starts_with("E: ")) out += (out.empty() ? "" : "; ") + line.substr(3);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out.empty() ? "no error message" : out;
}

Result<CommandOutput> run_in_dir(const std::vector<std::string>& argv, const fs::path& dir,
                                 std::chrono::milliseconds timeout) {
  WEDGE_TRY(TempDir logs, TempDir::create("wedge-apt"));
  SpawnOptions options;
  options.stdout_path = logs.path() / "out";
  options.stderr_path = logs.path() / "err";
  options.working_dir = dir;
  WEDGE_TRY(ChildProcess child, ChildProcess::spawn(argv, options));
  auto waited = child.wait_for(timeout);
  child.stop(0ms);
  if (!waited) return make_error("{} timed out after {} s", argv[0], timeout.count() / 1000);
  CommandOutput result;
  result.status = *waited;
  if (auto out = read_file(options.stdout_path)) result.out = std::move(*out);
  if (auto err = read_file(options.stderr_path)) result.err = std::move(*err);
  return result;
}

Result<fs::path> apt_download(const std::string& package, const fs::path& dir,
                              std::chrono::milliseconds timeout) {
  WEDGE_TRY(CommandOutput out, run_in_dir({"apt-get", "download", package}, dir, timeout));
  if (!out.status.success()) {
    return make_error("apt-get download {} failed ({}): {} (run apt-get update?)", package,
                      out.status.describe(), apt_errors(out.err));
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(package + "_") && name.ends_with(".deb")) return entry.path();
  }
  return make_error("apt-get download {} succeeded but wrote no {}_*.deb in {}", package, package,
                    dir.string());
}

}  // namespace wedge::image
