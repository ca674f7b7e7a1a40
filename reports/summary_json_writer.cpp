// summary.json: the matrix summary document (schema: reports/schema/summary.schema.json).
#include "harness/util/files.h"
#include "reports/registry.h"

namespace wedge::reports {

namespace {

class SummaryJsonWriter : public SummaryWriter {
 public:
  Status write(const Summary& summary, const std::filesystem::path& root) const override {
    return write_file_atomic(root / "summary.json", summary_json(summary).dump(2) + "\n")
        .context("writing summary.json");
  }
};

}  // namespace

std::unique_ptr<SummaryWriter> make_summary_json_writer() {
  return std::make_unique<SummaryJsonWriter>();
}

}  // namespace wedge::reports
