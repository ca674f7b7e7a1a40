// Implementation of messages.h: names and the guest-side encoding of each message.
#include "harness/agent/messages.h"

#include "harness/agent/wire.h"

namespace wedge::agent {

namespace ap = agent_protocol;
namespace field = agent_protocol::field;

namespace {
template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

void put_id(PayloadBuilder& b, uint16_t tag, uint64_t id) {
  if (id != 0) b.u64(tag, id);
}
}  // namespace

const char* message_name(const Message& message) {
  return std::visit(Overload{
                        [](const Hello&) { return "hello"; },
                        [](const Heartbeat&) { return "heartbeat"; },
                        [](const Sample&) { return "sample"; },
                        [](const Started&) { return "started"; },
                        [](const Output&) { return "output"; },
                        [](const Exited&) { return "exited"; },
                        [](const Failed&) { return "failed"; },
                        [](const Done&) { return "done"; },
                        [](const Log&) { return "log"; },
                        [](const File&) { return "file"; },
                        [](const Task&) { return "task"; },
                    },
                    message);
}

std::string encode_message(const Message& message, uint32_t seq) {
  PayloadBuilder b;
  ap::MsgType type = std::visit(
      Overload{
          [&](const Hello& m) {
            b.bytes(field::kKernelRelease, m.kernel_release)
                .bytes(field::kAgentVersion, m.agent_version)
                .u64(field::kUptimeMs, m.uptime_ms)
                .u64(field::kRssKb, m.rss_kb)
                .u64(field::kMemlockedKb, m.memlocked_kb);
            return ap::MsgType::kHello;
          },
          [&](const Heartbeat& m) {
            b.u64(field::kSeq, m.seq).u64(field::kUptimeMs, m.uptime_ms);
            return ap::MsgType::kHeartbeat;
          },
          [&](const Sample& m) {
            b.u64(field::kUptimeMs, m.uptime_ms)
                .bytes(field::kMeminfo, m.meminfo)
                .bytes(field::kVmstat, m.vmstat);
            if (!m.psi_memory.empty()) b.bytes(field::kPsiMemory, m.psi_memory);
            if (!m.psi_io.empty()) b.bytes(field::kPsiIo, m.psi_io);
            if (!m.modules.empty()) b.bytes(field::kModules, m.modules);
            for (size_t i = 0; i < m.watched.size(); ++i) {
              const WatchedFile& w = m.watched[i];
              b.bytes(static_cast<uint16_t>(field::kWatched0 + i), w.path + '\0' + w.text);
            }
            return ap::MsgType::kSample;
          },
          [&](const Started& m) {
            b.u64(field::kJobId, m.job).i64(field::kPid, m.pid);
            return ap::MsgType::kStarted;
          },
          [&](const Output& m) {
            b.u64(field::kJobId, m.job).i64(field::kStream, m.stream).bytes(field::kData, m.data);
            return ap::MsgType::kOutput;
          },
          [&](const Exited& m) {
            b.u64(field::kJobId, m.job);
            if (m.signal != 0) {
              b.i64(field::kSignal, m.signal);
            } else {
              b.i64(field::kExitCode, m.exit_code);
            }
            return ap::MsgType::kExited;
          },
          [&](const Failed& m) {
            put_id(b, field::kJobId, m.job);
            put_id(b, field::kRequestId, m.request);
            b.i64(field::kErrno, m.err).bytes(field::kText, m.text);
            return ap::MsgType::kFailed;
          },
          [&](const Done& m) {
            put_id(b, field::kJobId, m.job);
            put_id(b, field::kRequestId, m.request);
            return ap::MsgType::kDone;
          },
          [&](const Log& m) {
            b.bytes(field::kText, m.text);
            return ap::MsgType::kLog;
          },
          [&](const File& m) {
            put_id(b, field::kRequestId, m.request);
            b.bytes(field::kPath, m.path).u64(field::kOffset, m.offset);
            if (!m.filter.empty()) b.bytes(field::kFilter, m.filter);
            if (m.next_offset != 0) b.u64(field::kNextOffset, m.next_offset);
            b.bytes(field::kData, m.data);
            return ap::MsgType::kFile;
          },
          [&](const Task& m) {
            put_id(b, field::kRequestId, m.request);
            b.i64(field::kPid, m.pid)
                .bytes(field::kComm, m.comm)
                .bytes(field::kState, m.state)
                .bytes(field::kWchan, m.wchan)
                .bytes(field::kData, m.stack);
            return ap::MsgType::kTask;
          },
      },
      message);
  return make_frame(type, seq, b.payload());
}

}  // namespace wedge::agent
