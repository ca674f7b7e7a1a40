// Implementation of modules.h: parse the list in a static buffer, finit_module each entry.
#include "workloads/agent/modules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workloads/agent/log.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
// linux/module.h: the kernel decompresses the file itself (needs CONFIG_MODULE_DECOMPRESS).
constexpr int kModuleInitCompressedFile = 4;

char* trim(char* s) {
  while (*s == ' ' || *s == '\t' || *s == '\r') ++s;
  char* end = s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = '\0';
  return s;
}

bool load_one(char* line) {
  char* comment = strchr(line, '#');
  if (comment) *comment = '\0';
  line = trim(line);
  if (*line == '\0') return true;
  char* params = line + strcspn(line, " \t");
  if (*params) *params++ = '\0';
  params = trim(params);
  char path[512];
  snprintf(path, sizeof path, "%s%s", line[0] == '/' ? "" : "/", line);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    agent_log("module %s: open: %s", path, errno_text(errno));
    return false;
  }
  int flags = 0;
  if (ends_with(path, ".xz") || ends_with(path, ".zst") || ends_with(path, ".gz")) {
    flags = kModuleInitCompressedFile;
  }
  long rc = syscall(SYS_finit_module, fd, params, flags);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EEXIST) {
    agent_log("module %s: finit_module: %s", path, errno_text(err));
    return false;
  }
  return true;
}
}  // namespace

int load_modules(const char* list_path) {
  static char list[64 * 1024];
  int fd = open(list_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) agent_log("open %s: %s", list_path, errno_text(errno));
    return 0;
  }
  ssize_t n = pread_whole(fd, list, sizeof list - 1);
  close(fd);
  if (n < 0) {
    agent_log("read %s: %s", list_path, errno_text(errno));
    return 1;
  }
  list[n] = '\0';
  int failures = 0;
  char* save = nullptr;
  for (char* line = strtok_r(list, "\n", &save); line; line = strtok_r(nullptr, "\n", &save)) {
    if (!load_one(line)) ++failures;
  }
  return failures;
}

}  // namespace wedge::guest
