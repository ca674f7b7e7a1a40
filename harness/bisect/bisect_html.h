// bisect.html: one self-contained page (reports/html.h shell, no scripts) with the result,
// BAD's bug and the test's parameters, a table of every step and its runs, and the first bad
// commit's finding and stacks.
//
//   WEDGE_CHECK(write_file_atomic(out / "bisect.html", bisect_html(rec)));
#pragma once

#include <string>

#include "harness/bisect/bisect_record.h"

namespace wedge::bisect {

[[nodiscard]] std::string bisect_html(const BisectRecord& rec);

}  // namespace wedge::bisect
