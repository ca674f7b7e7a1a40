// The guest agent's side of the protocol for whole-run unit tests: decodes the requests the
// host writes (harness/agent_protocol/protocol.h) and answers them as a healthy agent would, at
// once: commands exit 0, files are read from `files`, everything else is Done. The job whose argv
// holds `workload_marker` follows `workload` instead (output lines, exit at a run time, or
// never). Each request is recorded for the test to check.
//
//   ScriptedAgent agent;
//   agent.files["/proc/sys/kernel/osrelease"] = "6.1.0-fake\n";
//   agent.workload = {.exit_at_s = 1.0};
//   fake_vm.answer_with(&agent);
#pragma once

#include <cerrno>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/agent/messages.h"
#include "harness/agent_protocol/protocol.h"

namespace wedge::testing {

class ScriptedAgent {
 public:
  struct Request {
    agent_protocol::MsgType type{};
    uint64_t request = 0;
    uint64_t job = 0;
    std::string path;
    std::vector<std::string> argv;
    char key = 0;         // kSysrq
    uint64_t offset = 0;  // kReadFile
  };
  struct JobScript {
    std::vector<std::string> output;  // stdout lines, sent when the job starts
    std::optional<double> exit_at_s;  // run time of its exit; nullopt: it never exits
    int exit_code = 0;
    int signal = 0;
  };
  // A reply and the run time at which the guest sends it.
  struct Timed {
    double t;
    agent::Message message;
  };

  std::map<std::string, std::string> files;  // path -> content, for kReadFile
  std::string workload_marker = "workload-marker";
  JobScript workload;
  std::vector<Request> requests;
  // A guest whose task scan blocks (reading /proc in a guest stuck in reclaim): the agent
  // answers nothing from the first kScanTasks on, and acts on nothing (requests it never read
  // go to unread, not requests).
  bool stuck_from_scan = false;
  std::vector<Request> unread;

  // Decodes frames in bytes (whole frames only, as GuestSession writes them) and returns the
  // replies, each at now_s unless the script says later.
  std::vector<Timed> answer(const std::string& bytes, double now_s) {
    std::vector<Timed> out;
    namespace ap = agent_protocol;
    size_t at = 0;
    while (bytes.size() - at >= ap::kHeaderSize) {
      ap::FrameHeader h{};
      const auto* base = reinterpret_cast<const uint8_t*>(bytes.data() + at);
      if (!ap::decode_header(base, &h) || bytes.size() - at < ap::kHeaderSize + h.length) break;
      Request r = parse(static_cast<ap::MsgType>(h.type), base + ap::kHeaderSize, h.length);
      at += ap::kHeaderSize + h.length;
      stuck_ = stuck_ || (stuck_from_scan && r.type == ap::MsgType::kScanTasks);
      if (stuck_) {
        unread.push_back(r);
        continue;
      }
      requests.push_back(r);
      reply(r, now_s, out);
    }
    return out;
  }

 private:
  bool stuck_ = false;

  static Request parse(agent_protocol::MsgType type, const uint8_t* payload, uint32_t length) {
    namespace ap = agent_protocol;
    Request r;
    r.type = type;
    ap::FieldReader reader(payload, length);
    uint16_t tag = 0;
    const uint8_t* data = nullptr;
    uint32_t len = 0;
    while (reader.next(&tag, &data, &len)) {
      std::string text(reinterpret_cast<const char*>(data), len);
      if (tag == ap::field::kRequestId && len == 8) r.request = ap::load_u64(data);
      if (tag == ap::field::kJobId && len == 8) r.job = ap::load_u64(data);
      if (tag == ap::field::kPath) r.path = text;
      if (tag == ap::field::kArg) r.argv.push_back(text);
      if (tag == ap::field::kKey && len >= 1) r.key = static_cast<char>(data[0]);
      if (tag == ap::field::kOffset && len == 8) r.offset = ap::load_u64(data);
    }
    return r;
  }

  void reply(const Request& r, double now_s, std::vector<Timed>& out) {
    using agent_protocol::MsgType;
    switch (r.type) {
      case MsgType::kExec: {
        out.push_back({now_s, agent::Started{r.job, static_cast<int64_t>(1000 + r.job)}});
        bool is_workload = false;
        for (const auto& arg : r.argv) is_workload |= arg == workload_marker;
        if (!is_workload) {
          out.push_back({now_s, agent::Exited{r.job, 0, 0}});
          return;
        }
        for (const auto& line : workload.output) {
          out.push_back({now_s, agent::Output{r.job, 1, line + "\n"}});
        }
        if (workload.exit_at_s) {
          out.push_back(
              {*workload.exit_at_s, agent::Exited{r.job, workload.exit_code, workload.signal}});
        }
        return;
      }
      case MsgType::kReadFile: {
        auto found = files.find(r.path);
        if (found == files.end()) {
          out.push_back({now_s, agent::Failed{0, r.request, ENOENT, "No such file or directory"}});
        } else {
          // Pieces of at most 60 KiB from the offset asked for; an empty one ends the file.
          const std::string& text = found->second;
          std::string piece = r.offset < text.size() ? text.substr(r.offset, 60 << 10) : "";
          out.push_back({now_s, agent::File{r.request, r.path, piece, r.offset}});
        }
        return;
      }
      case MsgType::kSignal:
        out.push_back({now_s, agent::Done{r.request, r.job}});
        return;
      default:
        out.push_back({now_s, agent::Done{r.request, 0}});
        return;
    }
  }
};

}  // namespace wedge::testing
