// Implementation of crash_tool.h.
#include "harness/traces/crash_tool.h"

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::traces {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The last non-empty line of crash's stderr: its reason for giving up.
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \n");
  if (end == std::string::npos) return "no message";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

}  // namespace

Status valid_kernel_release(std::string_view release) {
  constexpr size_t kMaxLength = 64;
  auto printable = [&] {
    std::string out;
    for (unsigned char c : release.substr(0, kMaxLength)) {
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    return out;
  };
  if (release.empty() || release.size() > kMaxLength) {
    return make_error("kernel release \"{}\" must be 1 to {} characters long", printable(),
                      kMaxLength);
  }
  for (unsigned char c : release) {
    bool ok = std::isalnum(c) != 0 || c == '.' || c == '+' || c == '_' || c == '-';
    if (!ok || c >= 0x80) {
      return make_error(
          "kernel release \"{}\" holds character 0x{:02x} (allowed: letters, "
          "digits, '.', '+', '_', '-')",
          printable(), static_cast<int>(c));
    }
  }
  if (std::isalnum(static_cast<unsigned char>(release.front())) == 0) {
    return make_error("kernel release \"{}\" must start with a letter or digit", printable());
  }
  if (release.find("..") != std::string_view::npos) {
    return make_error("kernel release \"{}\" holds \"..\"", printable());
  }
  return ok_status();
}

Result<std::string> dump_kernel_release(const fs::path& dump) {
  std::error_code ec;
  if (!fs::is_regular_file(dump, ec)) return make_error("{}: no such file", dump.string());
  WEDGE_TRY(CommandOutput out, run_command({"crash", "--osrelease", dump.string()}, 60s));
  std::string release = out.out.substr(0, out.out.find_first_of(" \n"));
  if (!out.status.success() || release.empty() || release == "(unknown)") {
    return make_error("{}: not a memory dump with VMCOREINFO (crash --osrelease: {})",
                      dump.string(), last_line(out.err + out.out));
  }
  if (auto valid = valid_kernel_release(release); !valid) {
    return valid.error().context(fmt::format("{}: refusing the dump's VMCOREINFO", dump.string()));
  }
  return release;
}

Result<std::string> run_crash(const fs::path& vmlinux, const fs::path& dump,
                              const std::vector<std::string>& commands,
                              std::chrono::milliseconds timeout) {
  WEDGE_TRY(TempDir work, TempDir::create("wedge-crash"));
  std::string script;
  for (const auto& c : commands) script += c + "\n";
  script += "quit\n";
  fs::path script_file = work.path() / "commands";
  WEDGE_CHECK(write_file_atomic(script_file, script));
  WEDGE_TRY(CommandOutput out, run_command({"crash", "-s", "--no_scroll", "-i",
                                            script_file.string(), vmlinux.string(), dump.string()},
                                           timeout));
  if (!out.status.success()) {
    return make_error("crash {} {} ({}): {}", vmlinux.filename().string(), dump.filename().string(),
                      out.status.describe(), last_line(out.err + out.out));
  }
  return out.out;
}

}  // namespace wedge::traces
