// Out-of-line helpers of result.h.
#include "harness/util/result.h"

#include <cstring>

namespace wedge {

Error errno_error(std::string_view what, int err) {
  return make_error("{}: {}", what, std::strerror(err));
}

}  // namespace wedge
