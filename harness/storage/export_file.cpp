// Implementation of export_file.h.
#include "harness/storage/export_file.h"

#include "harness/util/files.h"

namespace wedge::storage {

namespace fs = std::filesystem;

Result<ExportPaths> prepare_export(const fs::path& work_dir, const fs::path& export_file,
                                   uint64_t size_bytes) {
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec) return make_error("creating {}: {}", work_dir.string(), ec.message());
  ExportPaths paths{fs::absolute(work_dir), fs::absolute(export_file)};
  WEDGE_CHECK(create_sparse_file(paths.export_file, size_bytes));
  return paths;
}

}  // namespace wedge::storage
