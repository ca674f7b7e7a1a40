// Implementation of iscsi_initiator.h.
#include "harness/storage/iscsi_initiator.h"

#include <fmt/format.h>

#include "harness/storage/server.h"

namespace wedge::storage {

namespace {

// iscsid listens for iscsiadm on this abstract unix socket (shown with '@' in /proc/net/unix).
constexpr std::string_view kIscsidSocket = "@ISCSIADM_ABSTRACT_NAMESPACE";

std::string_view trim_left(std::string_view s) {
  size_t start = s.find_first_not_of(" \t");
  return start == std::string_view::npos ? std::string_view() : s.substr(start);
}

// Takes the next line off the front of text (without its '\n').
std::string_view take_line(std::string_view& text) {
  size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return line;
}

// The first whitespace-delimited word of s.
std::string_view first_word(std::string_view s) {
  s = trim_left(s);
  return s.substr(0, s.find_first_of(" \t\r"));
}

}  // namespace

std::string iscsi_target_name(int index) {
  return fmt::format("iqn.2025-01.io.wedge:export-{}", index);
}

std::string iscsi_portal(int guest_port) {
  return fmt::format("{}:{},1", kGuestHostAddress, guest_port);
}

std::vector<std::string> IscsiNode::create() const {
  return {iscsiadm, "-m", "node", "-o", "new", "-T", target, "-p", portal};
}

std::vector<std::string> IscsiNode::login() const {
  return {iscsiadm, "-m", "node", "-T", target, "-p", portal, "--login"};
}

std::vector<std::string> IscsiNode::rescan() const {
  return {iscsiadm, "-m", "node", "-T", target, "-p", portal, "--rescan"};
}

std::vector<std::string> IscsiNode::sessions() const {
  return {iscsiadm, "-m", "session", "-P", "3"};
}

std::optional<std::string> attached_disk(std::string_view sessions_p3, std::string_view target) {
  constexpr std::string_view kTarget = "Target: ";
  constexpr std::string_view kDisk = "Attached scsi disk ";
  bool ours = false;
  while (!sessions_p3.empty()) {
    std::string_view line = trim_left(take_line(sessions_p3));
    if (line.starts_with(kTarget)) {
      ours = first_word(line.substr(kTarget.size())) == target;
    } else if (ours && line.starts_with(kDisk)) {
      std::string_view disk = first_word(line.substr(kDisk.size()));
      if (!disk.empty()) return std::string(disk);
    }
  }
  return std::nullopt;
}

bool iscsid_listening(std::string_view proc_net_unix) {
  while (!proc_net_unix.empty()) {
    std::string_view line = take_line(proc_net_unix);
    size_t last = line.find_last_of(" \t");
    if (last != std::string_view::npos && line.substr(last + 1) == kIscsidSocket) return true;
  }
  return false;
}

}  // namespace wedge::storage
