// The files a host storage server starts from: its work directory and the sparse export file
// it serves, both made absolute (the server runs in the work directory).
//
//   WEDGE_TRY(storage::ExportPaths paths, storage::prepare_export(dir, dir / "export.img", size));
#pragma once

#include <cstdint>
#include <filesystem>

#include "harness/util/result.h"

namespace wedge::storage {

struct ExportPaths {
  std::filesystem::path work_dir;     // absolute, exists
  std::filesystem::path export_file;  // absolute, size_bytes long (sparse)
};

// Creates work_dir and export_file (sparse, or resized when it exists).
[[nodiscard]] Result<ExportPaths> prepare_export(const std::filesystem::path& work_dir,
                                                 const std::filesystem::path& export_file,
                                                 uint64_t size_bytes);

}  // namespace wedge::storage
