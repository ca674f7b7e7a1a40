// Who a host process runs as, from /proc: for the tests that check QEMU and the storage
// servers run unprivileged.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "harness/util/files.h"

namespace wedge::test {

// Expects process pid to run as uid (real, effective, saved, filesystem) with exactly the
// effective capability mask cap_eff ("0000000000000000": none), as /proc/PID/status says.
inline void expect_runs_as(pid_t pid, uid_t uid, const std::string& cap_eff) {
  auto status = read_file(std::filesystem::path("/proc") / std::to_string(pid) / "status");
  ASSERT_TRUE(status.ok()) << status.error().message();
  const std::string id = std::to_string(uid);
  EXPECT_NE(status->find("\nUid:\t" + id + "\t" + id + "\t" + id + "\t" + id + "\n"),
            std::string::npos)
      << *status;
  EXPECT_NE(status->find("\nCapEff:\t" + cap_eff + "\n"), std::string::npos) << *status;
}

// The owner of a file (lstat), or -1 when it cannot be examined.
inline int64_t owner_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return st.st_uid;
}

}  // namespace wedge::test
