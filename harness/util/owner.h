// Who owns a leftover: a process identified by pid, start time and boot, so that a reused pid
// never makes a dead wedge's leftovers look owned, and a live wedge's are never touched.
// Domains carry the owner in their metadata, temp dirs in their names, child processes in
// their environment (WEDGE_OWNER, inherited by everything they fork).
//
//   Owner me = self_owner();
//   std::string text = me.to_string();                 // "pid=4242 start=1234567 boot=3f1c..."
//   if (auto o = parse_owner(text); o && !owner_alive(*o)) reap();
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/util/result.h"

namespace wedge {

// The environment variable every child of wedge inherits: the owner of that child.
inline constexpr const char* kOwnerEnv = "WEDGE_OWNER";

struct Owner {
  pid_t pid = 0;
  uint64_t start_ticks = 0;  // /proc/PID/stat field 22; 0: unknown (old records)
  std::string boot_id;       // /proc/sys/kernel/random/boot_id; empty: unknown
  [[nodiscard]] std::string to_string() const;
  bool operator==(const Owner&) const = default;
};

// This process.
[[nodiscard]] const Owner& self_owner();

// Parses Owner::to_string()'s text; also the older "pid=N" form (start and boot unknown).
[[nodiscard]] std::optional<Owner> parse_owner(std::string_view text);

// True when the owner is still running: same boot, same pid with the same start time. An
// owner from an earlier boot is dead; one without a start time is alive while its pid is.
[[nodiscard]] bool owner_alive(const Owner& owner);

// Field 22 of /proc/PID/stat (when the process started, in clock ticks after boot).
[[nodiscard]] Result<uint64_t> process_start_ticks(pid_t pid);
// Field 3 of /proc/PID/stat: 'R', 'S', 'D', 'T' (stopped), 'Z', ...
[[nodiscard]] Result<char> process_state(pid_t pid);

// The start-time and state fields of a /proc/PID/stat line (comm may hold spaces and ')').
struct ProcStat {
  char state = '?';
  pid_t pgid = 0;
  uint64_t start_ticks = 0;
};
[[nodiscard]] Result<ProcStat> parse_proc_stat(std::string_view line);

// Sets WEDGE_OWNER to this process in our own environment, so every child inherits it.
void mark_children_as_ours();

}  // namespace wedge
