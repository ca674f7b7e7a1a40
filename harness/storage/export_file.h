// The files a host storage server starts from: its work directory and the sparse export file
// it serves, both made absolute (the server runs in the work directory).
//
//   WEDGE_TRY(storage::ExportPaths paths, storage::prepare_export(dir, dir / "export.img", size));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "harness/util/result.h"

namespace wedge::storage {

struct ExportPaths {
  std::filesystem::path work_dir;     // absolute, exists
  std::filesystem::path export_file;  // absolute, size_bytes long (sparse)
};

// The export file of export `index` in the run directory: export.img, then export-1.img (RAID1's
// second leg), ...
[[nodiscard]] inline std::filesystem::path export_file_in(const std::filesystem::path& run_dir,
                                                          int index) {
  return run_dir /
         (index == 0 ? std::string("export.img") : "export-" + std::to_string(index) + ".img");
}

// Creates work_dir and export_file (sparse, or resized when it exists).
[[nodiscard]] Result<ExportPaths> prepare_export(const std::filesystem::path& work_dir,
                                                 const std::filesystem::path& export_file,
                                                 uint64_t size_bytes);

}  // namespace wedge::storage
