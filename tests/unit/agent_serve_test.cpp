// Runs the real wedge-agent binary in serve mode on this host, connected to a unix socket
// the test listens on, and drives it through the protocol: hello, ping, telemetry, jobs,
// sysrq (redirected to a file), file requests (paged, line-filtered, and blocked in the file
// worker), task scans and signals. Also runs the hog workload and
// checks the binary is static.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/agent/commands.h"
#include "harness/agent/decoder.h"
#include "harness/agent/progress.h"
#include "harness/agent/sample.h"
#include "harness/agent/wire.h"
#include "harness/agent_protocol/protocol.h"
#include "harness/traces/proc_stack.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "tests/unit/agent_fixture.h"

namespace wedge::agent {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ap = agent_protocol;
namespace fs = std::filesystem;

constexpr const char* kAgent = WEDGE_AGENT_BINARY;

// One agent process serving on a socket this fixture listens on.
class AgentServe : public AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    start_agent();
  }

  // Collects a job's stdout (stream 1) or stderr (2) until its Exited arrives.
  struct JobResult {
    std::string out, err;
    std::optional<Exited> exited;
  };
  JobResult run_job(uint64_t job, const std::vector<std::string>& argv,
                    const std::vector<std::string>& env = {}, std::string_view cwd = "") {
    JobResult result;
    auto frame = enc_.encode_exec(job, argv, env, cwd);
    EXPECT_TRUE(frame.ok());
    if (!frame.ok()) return result;
    send(*frame);
    auto started = wait_for<Started>([job](const Started& s) { return s.job == job; });
    EXPECT_TRUE(started) << "no Started for job " << job;
    if (!started) return result;
    EXPECT_GT(started->pid, 0);
    result.exited = wait_for<Exited>([job](const Exited& e) { return e.job == job; }, 10s);
    // Output always precedes Exited in the stream, so it is all queued by now.
    while (auto out = wait_for<Output>([job](const Output& o) { return o.job == job; }, 0ms)) {
      EXPECT_LE(out->data.size(), 4096u);
      (out->stream == 1 ? result.out : result.err) += out->data;
    }
    return result;
  }
};

TEST_F(AgentServe, HelloRepeatsUntilPingThenTelemetryFlows) {
  auto hello = wait_for<Hello>();
  ASSERT_TRUE(hello);
  utsname uts{};
  ::uname(&uts);
  EXPECT_EQ(hello->kernel_release, uts.release);
  EXPECT_EQ(hello->agent_version, WEDGE_VERSION);
  EXPECT_GT(hello->uptime_ms, 0u);
  EXPECT_GT(hello->rss_kb, 0u);
  if (::geteuid() == 0) {
    EXPECT_GE(hello->memlocked_kb, hello->rss_kb * 9 / 10);  // mlockall worked
  }
  std::cout << "[ agent   ] serve mode VmRSS " << hello->rss_kb << " kB, VmLck "
            << hello->memlocked_kb << " kB\n";
  // No host frame yet: the Hello comes again with the next tick.
  EXPECT_TRUE(wait_for<Hello>(nullptr, 3s)) << "hello was not repeated";

  uint64_t req = enc_.next_request_id();
  send(enc_.encode_ping(req));
  auto done = wait_for<Done>([req](const Done& d) { return d.request == req; }, 3s);
  ASSERT_TRUE(done);

  auto heartbeat = wait_for<Heartbeat>(nullptr, 3s);
  ASSERT_TRUE(heartbeat);
  EXPECT_GT(heartbeat->uptime_ms, 0u);
  auto sample = wait_for<Sample>(nullptr, 3s);
  ASSERT_TRUE(sample);
  MemSnapshot snapshot = parse_sample(*sample);
  EXPECT_GT(snapshot.mem_total_kb, 0u);
  EXPECT_GT(snapshot.mem_available_kb, 0u);
  EXPECT_FALSE(sample->vmstat.empty());
  EXPECT_NE(sample->psi_memory.find("some avg10="), std::string::npos);

  // Heartbeats count up; no more Hellos once the host has spoken.
  received_.clear();
  auto next = wait_for<Heartbeat>(nullptr, 3s);
  ASSERT_TRUE(next);
  EXPECT_GT(next->seq, heartbeat->seq);
  EXPECT_FALSE(wait_for<Hello>(nullptr, 0ms));
  EXPECT_EQ(decoder_.stats().skipped_bytes, 0u);
  EXPECT_EQ(decoder_.stats().seq_gaps, 0u);
}

TEST_F(AgentServe, ExecEchoForwardsOutputAndExit) {
  JobResult r = run_job(1, {"/bin/echo", "hi"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exited->exit_code, 0);
  EXPECT_EQ(r.exited->signal, 0);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(AgentServe, ExecUsesPathEnvCwdAndReportsStderrAndCode) {
  JobResult r = run_job(2, {"sh", "-c", "echo out; echo \"$FOO\" >&2; pwd; exit 3"},
                        {"PATH=/usr/bin:/bin", "FOO=bar"}, dir_->path().string());
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exited->exit_code, 3);
  EXPECT_EQ(r.out, "out\n" + dir_->path().string() + "\n");
  EXPECT_EQ(r.err, "bar\n");
  // Jobs start with an empty signal mask and default dispositions, and in their own group.
  JobResult g = run_job(
      3, {"sh", "-c",
          "grep -E '^(SigBlk|SigIgn)' /proc/self/status; read pid comm state ppid pgrp rest "
          "< /proc/$$/stat; [ \"$pgrp\" = \"$$\" ] && echo own-group"});
  ASSERT_TRUE(g.exited);
  EXPECT_NE(g.out.find("SigBlk:\t0000000000000000"), std::string::npos) << g.out;
  // No standard signal (1-31) stays ignored. glibc's posix_spawn leaves its two internal
  // real-time signals (32, 33) ignored in the child; nothing outside glibc uses those.
  size_t ign = g.out.find("SigIgn:\t");
  ASSERT_NE(ign, std::string::npos) << g.out;
  uint64_t ignored = std::stoull(g.out.substr(ign + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & 0x7fffffffu, 0u) << g.out;
  EXPECT_NE(g.out.find("own-group"), std::string::npos) << g.out;
}

// Design: a program that cannot be found or executed is answered with Failed (ENOENT),
// never with Started; there is no shell to turn it into "exit 127".
TEST_F(AgentServe, ExecOfMissingProgramFails) {
  for (uint64_t job : {4u, 5u}) {
    std::string program = job == 4 ? "wedge-no-such-program" : "/no/such/program";
    auto frame = enc_.encode_exec(job, {program});
    ASSERT_TRUE(frame.ok());
    send(*frame);
    auto failed = wait_for<Failed>([job](const Failed& f) { return f.job == job; });
    ASSERT_TRUE(failed) << program;
    EXPECT_EQ(failed->err, ENOENT);
    EXPECT_NE(failed->text.find(program), std::string::npos) << failed->text;
    EXPECT_FALSE(wait_for<Started>([job](const Started& s) { return s.job == job; }, 0ms));
  }
  // A bad cwd fails the same way, and the job id is free again afterwards.
  auto frame = enc_.encode_exec(6, {"/bin/true"}, {}, "/no/such/dir");
  ASSERT_TRUE(frame.ok());
  send(*frame);
  auto failed = wait_for<Failed>([](const Failed& f) { return f.job == 6; });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->err, ENOENT);
  JobResult r = run_job(6, {"/bin/true"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exited->exit_code, 0);
}

TEST_F(AgentServe, JobsLeakNoDescriptors) {
  auto count_fds = [this] {
    auto dir = std::filesystem::path("/proc") / std::to_string(agent_->pid()) / "fd";
    return std::distance(std::filesystem::directory_iterator(dir), {});
  };
  ASSERT_TRUE(run_job(20, {"/bin/true"}).exited);
  auto before = count_fds();
  for (uint64_t job = 21; job < 31; ++job) {
    ASSERT_TRUE(run_job(job, {"/bin/echo", "x"}).exited);
    send(*enc_.encode_exec(100 + job, {"/no/such"}));
    send(*enc_.encode_exec(200 + job, {"/bin/true"}, {}, "/no/such/dir"));
    ASSERT_TRUE(wait_for<Failed>([job](const Failed& f) { return f.job == 100 + job; }));
    ASSERT_TRUE(wait_for<Failed>([job](const Failed& f) { return f.job == 200 + job; }));
  }
  EXPECT_EQ(count_fds(), before);
}

TEST_F(AgentServe, LargeOutputArrivesCompleteInChunks) {
  JobResult r = run_job(7, {"head", "-c", "300000", "/dev/zero"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exited->exit_code, 0);
  EXPECT_EQ(r.out.size(), 300000u);
  EXPECT_EQ(r.out.find_first_not_of('\0'), std::string::npos);
}

// The host stops reading: the ring fills with output, the job waits on its pipe, samples
// are dropped (and the drops reported), heartbeats keep their share; nothing of the output
// is lost once the host reads again.
TEST_F(AgentServe, BackPressureKeepsOutputWholeAndDropsSamplesFirst) {
  ASSERT_TRUE(wait_for<Hello>());
  auto frame = enc_.encode_exec(10, {"head", "-c", "12000000", "/dev/zero"});
  ASSERT_TRUE(frame.ok());
  send(*frame);
  std::this_thread::sleep_for(2500ms);  // not reading: about two ticks pass
  JobResult r;
  r.exited = wait_for<Exited>([](const Exited& e) { return e.job == 10; }, 20s);
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exited->exit_code, 0);
  size_t bytes = 0;
  while (auto out = wait_for<Output>([](const Output& o) { return o.job == 10; }, 0ms)) {
    bytes += out->data.size();
  }
  EXPECT_EQ(bytes, 12000000u);
  EXPECT_TRUE(wait_for<Heartbeat>(nullptr, 0ms)) << "heartbeats were crowded out";
  auto drops = wait_for<Log>(
      [](const Log& l) { return l.text.find("out queue full: dropped") != std::string::npos; }, 3s);
  ASSERT_TRUE(drops);
  EXPECT_EQ(drops->text.find("dropped 0 samples"), std::string::npos) << drops->text;
  EXPECT_EQ(decoder_.stats().seq_gaps, 0u);  // dropped frames never got a sequence number
}

TEST_F(AgentServe, SysrqGoesToTheRedirectedFile) {
  uint64_t req = enc_.next_request_id();
  send(enc_.encode_sysrq(req, 'w'));
  ASSERT_TRUE(wait_for<Done>([req](const Done& d) { return d.request == req; }));
  auto content = read_file(sysrq_path_);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "w");
  uint64_t req2 = enc_.next_request_id();
  send(enc_.encode_sysrq(req2, 'm'));
  ASSERT_TRUE(wait_for<Done>([req2](const Done& d) { return d.request == req2; }));
  EXPECT_EQ(*read_file(sysrq_path_), "wm");
}

TEST_F(AgentServe, WriteFileThenReadFileRoundTrip) {
  std::string path = (dir_->path() / "knob").string();
  std::string data("line 1\nbinary \0 byte\n", 21);
  uint64_t wreq = enc_.next_request_id();
  auto write = enc_.encode_write_file(wreq, path, data);
  ASSERT_TRUE(write.ok());
  send(*write);
  ASSERT_TRUE(wait_for<Done>([wreq](const Done& d) { return d.request == wreq; }));

  uint64_t rreq = enc_.next_request_id();
  auto read = enc_.encode_read_file(rreq, path);
  ASSERT_TRUE(read.ok());
  send(*read);
  auto file = wait_for<File>([rreq](const File& f) { return f.request == rreq; });
  ASSERT_TRUE(file);
  EXPECT_EQ(file->path, path);
  EXPECT_EQ(file->data, data);

  // Overwrite truncates, like a shell redirect.
  uint64_t wreq2 = enc_.next_request_id();
  send(*enc_.encode_write_file(wreq2, path, "2"));
  ASSERT_TRUE(wait_for<Done>([wreq2](const Done& d) { return d.request == wreq2; }));
  EXPECT_EQ(*read_file(path), "2");

  uint64_t missing = enc_.next_request_id();
  send(*enc_.encode_read_file(missing, (dir_->path() / "missing").string()));
  auto failed = wait_for<Failed>([missing](const Failed& f) { return f.request == missing; });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->err, ENOENT);

  uint64_t bad = enc_.next_request_id();
  send(*enc_.encode_write_file(bad, "/no/such/dir/file", "x"));
  auto failed_write = wait_for<Failed>([bad](const Failed& f) { return f.request == bad; });
  ASSERT_TRUE(failed_write);
  EXPECT_EQ(failed_write->err, ENOENT);
  EXPECT_NE(failed_write->text.find("open /no/such/dir/file"), std::string::npos);
}

TEST_F(AgentServe, SignalKillsAJobsProcessGroup) {
  auto frame = enc_.encode_exec(8, {"sleep", "30"});
  ASSERT_TRUE(frame.ok());
  send(*frame);
  ASSERT_TRUE(wait_for<Started>([](const Started& s) { return s.job == 8; }));
  auto begin = Clock::now();
  uint64_t req = enc_.next_request_id();
  send(enc_.encode_signal(8, SIGKILL, req));
  auto done = wait_for<Done>([req](const Done& d) { return d.request == req; });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->job, 8u);
  auto exited = wait_for<Exited>([](const Exited& e) { return e.job == 8; });
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->signal, SIGKILL);
  EXPECT_LT(Clock::now() - begin, 2s);

  uint64_t req2 = enc_.next_request_id();
  send(enc_.encode_signal(99, SIGTERM, req2));
  auto failed = wait_for<Failed>([req2](const Failed& f) { return f.request == req2; });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->err, ESRCH);
  EXPECT_EQ(failed->job, 99u);
}

TEST_F(AgentServe, JobThatBackgroundsAHelperStillReportsExit) {
  // The helper keeps the stdout pipe open; the agent reports the exit after a short grace.
  JobResult r = run_job(9, {"sh", "-c", "sleep 30 & echo $!"});
  ASSERT_TRUE(r.exited);
  EXPECT_EQ(r.exited->exit_code, 0);
  ASSERT_FALSE(r.out.empty());
  pid_t helper = std::stoi(r.out);
  EXPECT_EQ(::kill(helper, 0), 0) << "the helper should still run";
  ::kill(helper, SIGKILL);
}

TEST_F(AgentServe, GarbageFromTheHostIsIgnored) {
  send(std::string("\x00\x01garbage WDG1\xff\xff junk", 22));
  send(std::string(20, 'W'));
  uint64_t req = enc_.next_request_id();
  send(enc_.encode_ping(req));
  EXPECT_TRUE(wait_for<Done>([req](const Done& d) { return d.request == req; }, 3s));
  // An unknown request type with a valid header is skipped too.
  send(make_frame(uint16_t{4242}, 0, "future request"));
  uint64_t req2 = enc_.next_request_id();
  send(enc_.encode_ping(req2));
  EXPECT_TRUE(wait_for<Done>([req2](const Done& d) { return d.request == req2; }, 3s));
}

TEST_F(AgentServe, PoweroffInServeModeOnlyStopsServing) {
  ASSERT_TRUE(wait_for<Hello>());
  send(enc_.encode_poweroff());
  auto status = agent_->wait_for(5s);
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(status->code, 0);
  EXPECT_TRUE(
      wait_for<Log>([](const Log& l) { return l.text.find("poweroff") != std::string::npos; }, 1s));
}

// True once pid is gone or a zombie (its new parent may not reap it right away).
bool process_ended(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  if (!stat.ok()) return true;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && stat->size() > paren + 2 && (*stat)[paren + 2] == 'Z';
}

TEST_F(AgentServe, HostHangupEndsServeModeAndItsJobs) {
  ASSERT_TRUE(wait_for<Hello>());
  auto frame = enc_.encode_exec(11, {"sleep", "30"});
  ASSERT_TRUE(frame.ok());
  send(*frame);
  auto started = wait_for<Started>([](const Started& s) { return s.job == 11; });
  ASSERT_TRUE(started);
  conn_.reset();
  auto status = agent_->wait_for(5s);
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(status->code, 0);
  auto deadline = Clock::now() + 3s;
  while (!process_ended(static_cast<pid_t>(started->pid)) && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(process_ended(static_cast<pid_t>(started->pid))) << "the job outlived the agent";
}

// Collects one task scan: every Task of request req until its Done.
struct Scan {
  std::vector<Task> tasks;
  bool done = false;
  std::chrono::microseconds took{};
};

TEST_F(AgentServe, ScanTasksFindsSleepersAndKernelThreadsButNotTheAgent) {
  auto frame = enc_.encode_exec(40, {"sleep", "30"});
  ASSERT_TRUE(frame.ok());
  send(*frame);
  auto started = wait_for<Started>([](const Started& s) { return s.job == 40; });
  ASSERT_TRUE(started);
  std::this_thread::sleep_for(200ms);  // let it reach nanosleep

  auto scan = [this](const std::string& states) {
    Scan result;
    uint64_t req = enc_.next_request_id();
    auto begin = Clock::now();
    send(*enc_.encode_scan_tasks(req, states));
    result.done =
        wait_for<Done>([req](const Done& d) { return d.request == req; }, 10s).has_value();
    result.took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - begin);
    while (auto t = wait_for<Task>([req](const Task& m) { return m.request == req; }, 0ms)) {
      result.tasks.push_back(*t);
    }
    return result;
  };
  Scan sleeping = scan("S");
  ASSERT_TRUE(sleeping.done);
  auto find = [](const Scan& s, auto pred) {
    auto it = std::find_if(s.tasks.begin(), s.tasks.end(), pred);
    return it == s.tasks.end() ? std::optional<Task>() : std::optional<Task>(*it);
  };
  auto sleeper = find(sleeping, [&](const Task& t) { return t.pid == started->pid; });
  ASSERT_TRUE(sleeper) << "the sleeping job was not reported";
  EXPECT_EQ(sleeper->comm, "sleep");
  EXPECT_EQ(sleeper->state, "S");
  EXPECT_EQ(sleeper->wchan, "hrtimer_nanosleep");
  std::vector<std::string> frames = traces::parse_proc_stack(sleeper->stack);
  if (::geteuid() == 0) {
    ASSERT_FALSE(frames.empty()) << sleeper->stack;
    EXPECT_EQ(frames.front(), "hrtimer_nanosleep") << sleeper->stack;
  }
  if (std::filesystem::exists("/proc/2/comm")) {  // a pid namespace hides kernel threads
    EXPECT_TRUE(find(sleeping, [](const Task& t) { return t.pid == 2 && t.comm == "kthreadd"; }));
  }
  for (const Task& t : sleeping.tasks) {
    EXPECT_EQ(t.state, "S") << t.comm;
    // The agent leaves itself out: its main thread and its file worker.
    EXPECT_FALSE(std::filesystem::exists(fmt::format("/proc/{}/task/{}", agent_->pid(), t.pid)))
        << "the agent reported its own thread " << t.pid;
  }

  Scan all = scan("RSDTtXZIPWK");
  ASSERT_TRUE(all.done);
  EXPECT_GE(all.tasks.size(), sleeping.tasks.size());
  size_t with_stack = std::count_if(all.tasks.begin(), all.tasks.end(),
                                    [](const Task& t) { return !t.stack.empty(); });
  std::cout << "[ agent   ] task scan: " << all.tasks.size() << " tasks (" << with_stack
            << " with a stack) in " << all.took.count() / 1000.0
            << " ms; sleeping only: " << sleeping.tasks.size() << " in "
            << sleeping.took.count() / 1000.0 << " ms\n";
  EXPECT_EQ(decoder_.stats().seq_gaps, 0u);
  EXPECT_EQ(decoder_.stats().malformed, 0u);
}

TEST_F(AgentServe, SecondScanWhileOneRunsIsRefusedAndBadStatesFail) {
  uint64_t first = enc_.next_request_id(), second = enc_.next_request_id();
  // One write: the agent reads both requests before the first scan takes its first step.
  send(*enc_.encode_scan_tasks(first, "S") + *enc_.encode_scan_tasks(second, "D"));
  auto busy = wait_for<Failed>([second](const Failed& f) { return f.request == second; });
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->err, EBUSY);
  ASSERT_TRUE(wait_for<Done>([first](const Done& d) { return d.request == first; }, 10s));
  uint64_t bad = enc_.next_request_id();
  send(make_frame(agent_protocol::MsgType::kScanTasks, 0,
                  PayloadBuilder().u64(agent_protocol::field::kRequestId, bad).take()));
  auto failed = wait_for<Failed>([bad](const Failed& f) { return f.request == bad; });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->err, EINVAL);
}

TEST_F(AgentServe, ReadFilePagesThroughABigFileByOffset) {
  std::string content;
  for (int i = 0; content.size() < 150000; ++i) content += fmt::format("line {}\n", i);
  std::string path = (dir_->path() / "big").string();
  ASSERT_TRUE(write_file_atomic(path, content).ok());
  std::string joined;
  uint64_t offset = 0;
  int pieces = 0;
  for (;;) {
    uint64_t req = enc_.next_request_id();
    send(*enc_.encode_read_file(req, path, offset));
    auto file = wait_for<File>([req](const File& f) { return f.request == req; });
    ASSERT_TRUE(file);
    EXPECT_EQ(file->offset, offset);
    joined += file->data;
    ++pieces;
    if (file->data.size() < 60 * 1024) break;
    offset += file->data.size();
  }
  EXPECT_EQ(pieces, 3);
  EXPECT_EQ(joined, content);

  // Past the end: an empty piece. A pipe can only be read from its start.
  uint64_t past = enc_.next_request_id();
  send(*enc_.encode_read_file(past, path, content.size() + 10));
  auto empty = wait_for<File>([past](const File& f) { return f.request == past; });
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->data, "");

  // /proc/kallsyms, the file this is for: pieces join into whole symbol lines.
  std::string syms;
  auto begin = Clock::now();
  for (uint64_t off = 0; off < 3 * 61440;) {
    uint64_t req = enc_.next_request_id();
    send(*enc_.encode_read_file(req, "/proc/kallsyms", off));
    auto piece = wait_for<File>([req](const File& f) { return f.request == req; });
    ASSERT_TRUE(piece);
    if (piece->data.empty()) break;
    syms += piece->data;
    off += piece->data.size();
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  std::cout << "[ agent   ] /proc/kallsyms: first " << syms.size() << " bytes in 3 pieces, "
            << took.count() << " ms\n";
  std::istringstream lines(syms.substr(0, syms.rfind('\n')));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    ASSERT_GT(line.size(), 19u) << "line " << n;
    EXPECT_EQ(line[16], ' ') << line;
    EXPECT_EQ(line[18], ' ') << line;
  }
  EXPECT_GT(n, 1000);
}

// A filtered read goes through the whole file in the agent and sends only the matching lines,
// whole, at most 60 KiB of them per answer, with the offset to go on from.
TEST_F(AgentServe, FilteredReadSendsOnlyMatchingLinesAndSaysWhereToGoOn) {
  std::string content, expected;
  for (int i = 0; content.size() < (2u << 20); ++i) {
    std::string line = i % 3 == 0 ? fmt::format("ffffffffc{:07x} t mod_fn_{}\t[mod]\n", i, i)
                                  : fmt::format("ffffffff8{:07x} T core_fn_{}\n", i, i);
    content += line;
    if (i % 3 == 0) expected += line;
    // A line longer than the agent's buffer is dropped, holding the filter or not.
    if (i == 1000) content += std::string(70000, 'x') + "\t[long]\n";
  }
  content += "ffffffffc0000000 t last_line_without_newline\t[mod]";
  expected += "ffffffffc0000000 t last_line_without_newline\t[mod]";
  std::string path = (dir_->path() / "kallsyms").string();
  ASSERT_TRUE(write_file_atomic(path, content).ok());

  std::string joined;
  uint64_t offset = 0;
  int pieces = 0;
  for (;;) {
    uint64_t req = enc_.next_request_id();
    send(*enc_.encode_read_lines(req, path, "\t[", offset));
    auto file = wait_for<File>([req](const File& f) { return f.request == req; });
    ASSERT_TRUE(file);
    EXPECT_EQ(file->offset, offset);
    EXPECT_EQ(file->filter, "\t[");
    EXPECT_LE(file->data.size(), 60u * 1024);
    ++pieces;
    joined += file->data;
    if (file->next_offset == 0) break;
    ASSERT_GT(file->next_offset, offset);
    // Each piece ends at a line boundary, and the next starts at a line of the file.
    EXPECT_EQ(file->data.back(), '\n');
    EXPECT_EQ(content[file->next_offset - 1], '\n');
    offset = file->next_offset;
  }
  EXPECT_EQ(joined, expected);
  EXPECT_GT(pieces, 10);
  EXPECT_EQ(joined.find("[long]"), std::string::npos);

  // Nothing matches: one empty answer.
  uint64_t none = enc_.next_request_id();
  send(*enc_.encode_read_lines(none, path, "no such text"));
  auto empty = wait_for<File>([none](const File& f) { return f.request == none; });
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->data, "");
  EXPECT_EQ(empty->next_offset, 0u);

  // A filter longer than the agent keeps is refused, not cut.
  uint64_t bad = enc_.next_request_id();
  send(make_frame(agent_protocol::MsgType::kReadFile, 99,
                  PayloadBuilder()
                      .u64(agent_protocol::field::kRequestId, bad)
                      .bytes(agent_protocol::field::kPath, path)
                      .bytes(agent_protocol::field::kFilter, std::string(65, 'x'))
                      .take()));
  auto failed = wait_for<Failed>([bad](const Failed& f) { return f.request == bad; });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->err, EINVAL);

  // The module lines of this host's /proc/kallsyms, as a run fetches them from its guest.
  auto begin = Clock::now();
  std::string modules;
  for (uint64_t off = 0;;) {
    uint64_t req = enc_.next_request_id();
    send(*enc_.encode_read_lines(req, "/proc/kallsyms", "\t[", off));
    auto piece = wait_for<File>([req](const File& f) { return f.request == req; }, 20s);
    ASSERT_TRUE(piece);
    modules += piece->data;
    if (piece->next_offset == 0) break;
    off = piece->next_offset;
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  std::cout << "[ agent   ] module lines of /proc/kallsyms: " << modules.size() << " bytes in "
            << took.count() << " ms\n";
  std::istringstream lines(modules);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_NE(line.find("\t["), std::string::npos) << line;
    EXPECT_EQ(line.back(), ']') << line;
  }
}

// Samples carry /proc/modules, so the host notices modules being loaded.
TEST_F(AgentServe, SamplesCarryProcModules) {
  ASSERT_TRUE(wait_for<Hello>());
  auto sample = wait_for<Sample>(nullptr, 3s);
  ASSERT_TRUE(sample);
  auto modules = read_file("/proc/modules");
  if (!modules.ok()) {
    EXPECT_EQ(sample->modules, "") << "this host has no /proc/modules";
    return;
  }
  EXPECT_EQ(module_names(sample->modules), module_names(modules->substr(0, 8192)));
}

// kWatch: samples carry the watched files, re-read each time (pread of the descriptor opened
// at the request), at most kMaxWatchedText of each; a path that does not open is named in
// Failed and the others stay watched; an empty set stops watching.
TEST_F(AgentServe, WatchedFilesRideInEverySampleAndAreReRead) {
  ASSERT_TRUE(wait_for<Hello>());
  fs::path counter = dir_->path() / "memory.current";
  fs::path big = dir_->path() / "big";
  ASSERT_TRUE(write_file_atomic(counter, "123\n").ok());
  ASSERT_TRUE(write_file_atomic(big, std::string(5000, '7')).ok());
  uint64_t req = enc_.next_request_id();
  auto frame = enc_.encode_watch(req, {counter.string(), "/nonexistent/wedge/stat", big.string()});
  ASSERT_TRUE(frame.ok());
  send(*frame);
  auto failed = wait_for<Failed>([req](const Failed& f) { return f.request == req; }, 3s);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->text.find("/nonexistent/wedge/stat"), std::string::npos) << failed->text;
  received_.clear();
  auto sample = wait_for<Sample>(nullptr, 3s);
  ASSERT_TRUE(sample);
  ASSERT_EQ(sample->watched.size(), 2u);
  EXPECT_EQ(sample->watched[0], (WatchedFile{counter.string(), "123\n"}));
  EXPECT_EQ(sample->watched[1].path, big.string());
  EXPECT_EQ(sample->watched[1].text, std::string(1024, '7'));
  EXPECT_EQ(parse_sample(*sample).cgroup_memory_current_bytes, 123u);

  // Rewritten in place (same inode, as the kernel's counters are): the next sample sees it.
  {
    FILE* f = std::fopen(counter.c_str(), "r+");
    ASSERT_NE(f, nullptr);
    std::fputs("456\n", f);
    std::fclose(f);
  }
  received_.clear();
  sample = wait_for<Sample>(nullptr, 3s);
  ASSERT_TRUE(sample);
  ASSERT_FALSE(sample->watched.empty());
  EXPECT_EQ(sample->watched[0].text, "456\n");

  req = enc_.next_request_id();
  frame = enc_.encode_watch(req, {});
  ASSERT_TRUE(frame.ok());
  send(*frame);
  ASSERT_TRUE(wait_for<Done>([req](const Done& d) { return d.request == req; }, 3s));
  received_.clear();
  sample = wait_for<Sample>(nullptr, 3s);
  ASSERT_TRUE(sample);
  EXPECT_TRUE(sample->watched.empty());
}

// A kWatch the encoder would refuse (a relative path, too many paths) is refused by the agent.
TEST_F(AgentServe, MalformedWatchIsRefused) {
  ASSERT_TRUE(wait_for<Hello>());
  for (size_t count : {size_t{1}, ap::kMaxWatched + 1}) {
    PayloadBuilder b;
    uint64_t req = enc_.next_request_id();
    b.u64(ap::field::kRequestId, req);
    for (size_t i = 0; i < count; ++i) b.bytes(ap::field::kPath, count == 1 ? "relative" : "/x");
    std::string payload = b.take();
    std::string frame(ap::kHeaderSize, '\0');
    ap::encode_header(reinterpret_cast<uint8_t*>(frame.data()), ap::MsgType::kWatch, 1000 + count,
                      static_cast<uint32_t>(payload.size()));
    send(frame + payload);
    auto failed = wait_for<Failed>([req](const Failed& f) { return f.request == req; }, 3s);
    ASSERT_TRUE(failed) << count;
    EXPECT_EQ(failed->err, EINVAL);
  }
}

// The file worker: a write that blocks (open of a FIFO nobody reads) holds up neither
// heartbeats nor sysrq nor pings; file requests queue behind it in order, and a full queue
// is refused at once.
TEST_F(AgentServe, BlockedWriteStallsNeitherHeartbeatsNorSysrq) {
  std::string fifo = (dir_->path() / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string knob = (dir_->path() / "knob").string();
  ASSERT_TRUE(write_file_atomic(knob, "max\n").ok());
  ASSERT_TRUE(wait_for<Hello>());

  uint64_t blocked = enc_.next_request_id();
  send(*enc_.encode_write_file(blocked, fifo, "12345"));
  std::vector<uint64_t> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(enc_.next_request_id());
    send(*enc_.encode_read_file(queued.back(), knob));
  }
  uint64_t refused = enc_.next_request_id();
  send(*enc_.encode_read_file(refused, knob));
  auto busy = wait_for<Failed>([refused](const Failed& f) { return f.request == refused; });
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->err, EAGAIN);
  EXPECT_NE(busy->text.find("file worker busy"), std::string::npos) << busy->text;

  received_.clear();
  auto h1 = wait_for<Heartbeat>(nullptr, 3s);
  auto h2 = wait_for<Heartbeat>(nullptr, 3s);
  ASSERT_TRUE(h1 && h2) << "heartbeats stopped behind a blocked write";
  EXPECT_GT(h2->seq, h1->seq);
  uint64_t sysrq = enc_.next_request_id();
  auto asked = Clock::now();
  send(enc_.encode_sysrq(sysrq, 'w'));
  ASSERT_TRUE(wait_for<Done>([sysrq](const Done& d) { return d.request == sysrq; }, 1s));
  std::cout << "[ agent   ] sysrq answered in "
            << std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - asked).count()
            << " us while the file worker is blocked\n";
  EXPECT_EQ(*read_file(sysrq_path_), "w");
  uint64_t scan = enc_.next_request_id();
  send(*enc_.encode_scan_tasks(scan, "D"));
  EXPECT_TRUE(wait_for<Done>([scan](const Done& d) { return d.request == scan; }, 5s));
  EXPECT_FALSE(wait_for<Done>([blocked](const Done& d) { return d.request == blocked; }, 0ms));

  // A reader appears: the write completes, then the queued reads, in order.
  UniqueFd reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(reader.valid());
  ASSERT_TRUE(wait_for<Done>([blocked](const Done& d) { return d.request == blocked; }));
  char got[16] = {};
  EXPECT_EQ(::read(reader.get(), got, sizeof got), 5);
  EXPECT_STREQ(got, "12345");
  std::vector<uint64_t> order;
  for (size_t i = 0; i < queued.size(); ++i) {
    auto file = wait_for<File>();
    ASSERT_TRUE(file);
    EXPECT_EQ(file->data, "max\n");
    order.push_back(file->request);
  }
  EXPECT_EQ(order, queued);
}

TEST(AgentHog, WritesAndVerifiesWithProgress) {
  auto out = run_command({kAgent, "hog", "--mib", "64", "--step-mib", "16", "--verify"}, 60s);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->status.code, 0) << out->err;
  std::istringstream lines(out->out);
  std::string line;
  std::vector<Progress> progress;
  std::vector<std::string> other;
  while (std::getline(lines, line)) {
    if (auto p = parse_progress_line(line)) {
      progress.push_back(*p);
    } else {
      other.push_back(line);
    }
  }
  EXPECT_EQ(progress, (std::vector<Progress>{{16, 64}, {32, 64}, {48, 64}, {64, 64}}));
  EXPECT_EQ(other, std::vector<std::string>{"verify ok"});
}

TEST(AgentHog, ReportsTheEndWhenNotAMultipleOfTheStep) {
  auto out = run_command({kAgent, "hog", "--mib", "5", "--step-mib", "2"}, 30s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status.code, 0);
  EXPECT_EQ(out->out, "progress 2 5\nprogress 4 5\nprogress 5 5\n");
}

TEST(AgentHog, RejectsBadArguments) {
  for (std::vector<std::string> argv : {std::vector<std::string>{kAgent, "hog"},
                                        {kAgent, "hog", "--mib", "0"},
                                        {kAgent, "hog", "--mib", "x"},
                                        {kAgent, "hog", "--mib", "4", "--step-mib", "0"},
                                        {kAgent, "hog", "--bogus"}}) {
    auto out = run_command(argv, 10s);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->status.code, 2) << argv.back();
  }
}

TEST(AgentBinary, IsStaticAndHasHelp) {
  auto file = run_command({"file", "-L", kAgent}, 10s);
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_NE(file->out.find("statically linked"), std::string::npos) << file->out;
  auto ldd = run_command({"ldd", kAgent}, 10s);
  ASSERT_TRUE(ldd.ok());
  EXPECT_NE((ldd->out + ldd->err).find("not a dynamic executable"), std::string::npos);
  std::cout << "[ agent   ] " << kAgent << ": " << std::filesystem::file_size(kAgent) << " bytes\n";
  for (const char* mode : {"serve", "hog"}) {
    auto help = run_command({kAgent, mode, "--help"}, 10s);
    ASSERT_TRUE(help.ok());
    EXPECT_EQ(help->status.code, 0);
    EXPECT_NE(help->out.find(std::string("usage: wedge-agent ") + mode), std::string::npos);
  }
  auto top = run_command({kAgent, "--help"}, 10s);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->status.code, 0);
}

}  // namespace
}  // namespace wedge::agent
