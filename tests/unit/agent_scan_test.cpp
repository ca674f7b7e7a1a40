// Task scans in the real wedge-agent binary, served on a unix socket: threads the task cache
// holds open are reported from those open files, exited ones are dropped, a scan whose read
// blocks still answers within its budget with what it gathered, heartbeats and sysrq go on
// meanwhile, and the agent (but not its jobs or file worker) runs as an IO_FLUSHER. Most tests
// point the agent at a fake /proc tree (--proc-root), where a FIFO stands in for a /proc file
// whose read blocks in a wedged kernel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/agent/commands.h"
#include "harness/agent/decoder.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "tests/unit/agent_fixture.h"

namespace wedge::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// include/linux/sched.h: PR_SET_IO_FLUSHER sets both (the 9th field of /proc/PID/stat).
constexpr uint64_t kPfMemallocNoio = 0x00080000;
constexpr uint64_t kPfLocalThrottle = 0x00100000;

struct Scan {
  std::vector<Task> tasks;
  bool done = false;
  Clock::duration took{};
  const Task* find(int64_t pid) const {
    auto it = std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.pid == pid; });
    return it == tasks.end() ? nullptr : &*it;
  }
};

class AgentScan : public AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    proc_ = dir_->path() / "proc";
    fs::create_directories(proc_);
  }

  void start(const std::vector<std::string>& extra) { start_agent(extra); }

  // Starts the agent on the fake tree.
  void start_on_fake_proc(int refresh_ms) {
    start({"--proc-root", proc_.string(), "--task-refresh-ms", std::to_string(refresh_ms)});
  }

  Scan scan(const std::string& states, std::chrono::milliseconds timeout = 10s) {
    Scan result;
    uint64_t req = enc_.next_request_id();
    auto begin = Clock::now();
    send(*enc_.encode_scan_tasks(req, states));
    result.done =
        wait_for<Done>([req](const Done& d) { return d.request == req; }, timeout).has_value();
    result.took = Clock::now() - begin;
    while (auto t = wait_for<Task>([req](const Task& m) { return m.request == req; }, 0ms)) {
      result.tasks.push_back(*t);
    }
    return result;
  }

  std::optional<Log> wait_for_log(const std::string& part, std::chrono::milliseconds timeout = 3s) {
    return wait_for<Log>([&](const Log& l) { return l.text.find(part) != std::string::npos; },
                         timeout);
  }

  // Writes a fake thread: TREE/PID/task/TID/{stat,wchan,stack}; threads is the stat's count
  // of threads in the process.
  void fake_task(int pid, int tid, const std::string& comm, char state, int threads = 1) {
    fs::path dir = proc_ / std::to_string(pid) / "task" / std::to_string(tid);
    fs::create_directories(dir);
    write_stat(dir / "stat", tid, comm, state, threads);
    ASSERT_TRUE(write_file_atomic(dir / "wchan", "fake_wait_" + std::to_string(tid)).ok());
    ASSERT_TRUE(
        write_file_atomic(dir / "stack", "[<0>] fake_wait+0x1/0x10\n[<0>] fake_caller+0x2/0x20\n")
            .ok());
  }
  static void write_stat(const fs::path& path, int tid, const std::string& comm, char state,
                         int threads = 1) {
    // Fields 4-19 (ppid ... nice), then num_threads, then the rest cut short.
    std::string line = std::to_string(tid) + " (" + comm + ") " + state +
                       " 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 " + std::to_string(threads) +
                       " 0 0\n";
    ASSERT_TRUE(write_file_atomic(path, line).ok());
  }
  fs::path task_file(int pid, int tid, const char* name) const {
    return proc_ / std::to_string(pid) / "task" / std::to_string(tid) / name;
  }

  // The paths of every descriptor the agent holds open.
  std::vector<std::string> agent_open_paths() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e :
         fs::directory_iterator(fs::path("/proc") / std::to_string(agent_->pid()) / "fd", ec)) {
      auto target = fs::read_symlink(e.path(), ec);
      if (!ec) out.push_back(target.string());
    }
    return out;
  }
  // Waits until the agent holds path open (want == true) or no longer does.
  bool wait_until_open(const std::string& path, bool want, std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto paths = agent_open_paths();
      bool open = std::find(paths.begin(), paths.end(), path) != paths.end();
      if (open == want) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
  }

  fs::path proc_;
};

// The cache opened thread 100's files; then its stat file is replaced on disk (the path now
// says "S"). The scan still reports it as "D": it read the descriptor it already held, it did
// not open the path again.
TEST_F(AgentScan, PreOpenedTasksAreReportedFromTheirOpenFiles) {
  fake_task(100, 100, "fake one", 'D');
  fake_task(101, 101, "sleeper", 'S', 2);
  fake_task(101, 102, "worker (2)", 'D', 2);
  start_on_fake_proc(100);
  for (auto [pid, tid] : {std::pair{100, 100}, {101, 101}, {101, 102}}) {
    for (const char* name : {"stat", "wchan", "stack"}) {
      ASSERT_TRUE(wait_until_open(task_file(pid, tid, name), true)) << pid << "/" << tid << name;
    }
  }
  write_stat(task_file(100, 100, "stat"), 100, "renamed", 'S');

  Scan d = scan("D");
  ASSERT_TRUE(d.done);
  ASSERT_EQ(d.tasks.size(), 2u);
  const Task* t = d.find(100);
  ASSERT_TRUE(t) << "the pre-opened thread was not reported";
  EXPECT_EQ(t->comm, "fake one");
  EXPECT_EQ(t->state, "D");
  EXPECT_EQ(t->wchan, "fake_wait_100");
  EXPECT_EQ(t->stack, "[<0>] fake_wait+0x1/0x10\n[<0>] fake_caller+0x2/0x20\n");
  const Task* worker = d.find(102);
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->comm, "worker (2)");  // the name holds a space and parentheses
  EXPECT_TRUE(
      wait_for_log("2 tasks (2 from open files, 0 from a /proc walk that opened 0 directories)"));
}

// A thread that is gone from the listing has its files closed at the next refresh and is not
// reported (its deleted files would still read fine through a descriptor kept open); a thread
// that appeared after the last refresh is found by the /proc walk.
TEST_F(AgentScan, ExitedTasksAreDroppedAndNewOnesFoundByTheWalk) {
  fake_task(100, 100, "stays", 'D');
  fake_task(101, 101, "exits", 'D');
  start_on_fake_proc(100);
  ASSERT_TRUE(wait_until_open(task_file(101, 101, "stat"), true));
  ASSERT_TRUE(wait_until_open(task_file(100, 100, "stack"), true));
  fs::remove_all(proc_ / "101");
  EXPECT_TRUE(wait_until_open(task_file(101, 101, "stat").string() + " (deleted)", false));
  EXPECT_TRUE(wait_until_open((proc_ / "101" / "task").string() + " (deleted)", false));
  for (const std::string& path : agent_open_paths()) {
    EXPECT_EQ(path.find("/proc/101/"), std::string::npos) << path << " is still open";
  }

  Scan d = scan("D");
  ASSERT_TRUE(d.done);
  EXPECT_TRUE(d.find(100));
  EXPECT_FALSE(d.find(101)) << "an exited thread was reported";
}

// Also a new thread of a process already held open: its leader's stat counts more threads than
// the cache knows, so the walk lists that process (and only that one) again.
TEST_F(AgentScan, ThreadsNewSinceTheLastRefreshAreFoundByTheWalk) {
  fake_task(100, 100, "old", 'D');
  fake_task(300, 300, "growing", 'S', 2);  // its second thread appears later
  fake_task(400, 400, "complete", 'S');
  start_on_fake_proc(60000);  // one refresh at start, then none during the test
  for (int pid : {100, 300, 400}) ASSERT_TRUE(wait_until_open(task_file(pid, pid, "stack"), true));
  fake_task(200, 200, "new", 'D');
  fake_task(200, 201, "new-s", 'S', 2);
  fake_task(300, 301, "growing-2", 'D', 2);
  Scan d = scan("D");
  ASSERT_TRUE(d.done);
  ASSERT_EQ(d.tasks.size(), 3u);
  EXPECT_TRUE(d.find(100));
  const Task* t = d.find(200);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->comm, "new");
  EXPECT_EQ(t->wchan, "fake_wait_200");
  EXPECT_FALSE(t->stack.empty());
  EXPECT_TRUE(d.find(301)) << "a new thread of a cached process was missed";
  // Directories opened: 200 (new) and 300 (a thread short); not 100 or 400.
  EXPECT_TRUE(
      wait_for_log("3 tasks (1 from open files, 2 from a /proc walk that opened 2 directories)"));
}

// A new thread's stat is a FIFO: opening it blocks the scan thread, as a /proc open blocks in
// a guest whose swap is stuck. The thread already held open is reported at once, heartbeats
// and sysrq go on, kDone comes within the budget, and the next scan is refused (the thread is
// still stuck) until the open returns; then scans work again.
TEST_F(AgentScan, BlockedReadHoldsUpNeitherGatheredTasksNorHeartbeats) {
  fake_task(100, 100, "cached", 'D');
  start_on_fake_proc(60000);
  ASSERT_TRUE(wait_until_open(task_file(100, 100, "stack"), true));
  fake_task(102, 102, "stuck", 'D');
  fs::path fifo = task_file(102, 102, "stat");
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::path fifo_link = dir_->path() / "fifo";
  fs::create_hard_link(fifo, fifo_link);
  ASSERT_TRUE(wait_for<Hello>());

  uint64_t req = enc_.next_request_id();
  auto asked = Clock::now();
  send(*enc_.encode_scan_tasks(req, "D"));
  auto first = wait_for<Task>([req](const Task& t) { return t.request == req; }, 2s);
  ASSERT_TRUE(first) << "the cached thread was not reported while the walk was blocked";
  EXPECT_EQ(first->pid, 100);
  EXPECT_LT(Clock::now() - asked, 1s);

  received_.clear();
  auto h1 = wait_for<Heartbeat>(nullptr, 2s);
  auto h2 = wait_for<Heartbeat>(nullptr, 2s);
  ASSERT_TRUE(h1 && h2) << "heartbeats stopped behind a blocked scan";
  EXPECT_GT(h2->seq, h1->seq);
  uint64_t sysrq = enc_.next_request_id();
  send(enc_.encode_sysrq(sysrq, 'w'));
  EXPECT_TRUE(wait_for<Done>([sysrq](const Done& d) { return d.request == sysrq; }, 1s));

  auto done = wait_for<Done>([req](const Done& d) { return d.request == req; }, 4s);
  ASSERT_TRUE(done) << "no kDone within the budget";
  auto took = Clock::now() - asked;
  EXPECT_GE(took, 2500ms);
  EXPECT_LT(took, 4500ms);
  EXPECT_FALSE(wait_for<Task>([req](const Task& t) { return t.request == req; }, 0ms));
  auto cut = wait_for_log("still in " + fifo.string());
  EXPECT_TRUE(cut) << "the log does not say where the scan is stuck";

  uint64_t busy = enc_.next_request_id();
  send(*enc_.encode_scan_tasks(busy, "D"));
  auto refused = wait_for<Failed>([busy](const Failed& f) { return f.request == busy; });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->err, EBUSY);
  EXPECT_NE(refused->text.find(fifo.string()), std::string::npos) << refused->text;

  // Unblock: a regular file takes the FIFO's place, then a writer opens the FIFO itself.
  write_stat(fifo, 102, "stuck", 'D');
  UniqueFd writer(::open(fifo_link.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(writer.valid()) << std::strerror(errno);
  writer.reset();
  auto until = Clock::now() + 5s;
  for (;;) {  // the stuck scan ends on its own once its open returns
    uint64_t probe = enc_.next_request_id();
    send(*enc_.encode_scan_tasks(probe, "D"));
    auto failed = wait_for<Failed>([probe](const Failed& f) { return f.request == probe; }, 200ms);
    if (!failed) {
      ASSERT_TRUE(wait_for<Done>([probe](const Done& d) { return d.request == probe; }));
      break;
    }
    ASSERT_LT(Clock::now(), until) << "the scan thread never came back";
  }
  Scan again = scan("D");
  ASSERT_TRUE(again.done);
  EXPECT_TRUE(again.find(100));
  EXPECT_TRUE(again.find(102)) << "the thread that was stuck is not reported once readable";
}

// On the real /proc: a process the test starts is held open and reported with its real stack;
// once it has exited and been reaped, its files are closed and it is not reported.
TEST_F(AgentScan, RealProcessIsHeldOpenThenDroppedWhenItExits) {
  start({"--task-refresh-ms", "100"});
  auto sleeper = ChildProcess::spawn({"sleep", "30"});
  ASSERT_TRUE(sleeper.ok()) << sleeper.error().message();
  pid_t pid = sleeper->pid();
  std::string stat = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/stat";
  ASSERT_TRUE(wait_until_open(stat, true)) << "the cache never opened " << stat;
  std::this_thread::sleep_for(100ms);  // let it reach nanosleep

  Scan s = scan("S");
  ASSERT_TRUE(s.done);
  const Task* t = s.find(pid);
  ASSERT_TRUE(t) << "the sleeping process was not reported";
  EXPECT_EQ(t->comm, "sleep");
  EXPECT_EQ(t->wchan, "hrtimer_nanosleep");
  if (::geteuid() == 0) {
    EXPECT_NE(t->stack.find("hrtimer_nanosleep"), std::string::npos) << t->stack;
  }

  sleeper->stop(0ms);
  EXPECT_TRUE(wait_until_open(stat, false)) << "the exited process's files stay open";
  Scan after = scan("S");
  ASSERT_TRUE(after.done);
  EXPECT_FALSE(after.find(pid));
}

uint64_t stat_flags(const fs::path& stat) {
  auto text = read_file(stat);
  if (!text.ok()) return 0;
  size_t paren = text->rfind(')');
  std::istringstream fields(text->substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 9 && fields >> field; ++i) {
  }
  return std::stoull(field);
}

bool has_cap_sys_resource() {
  constexpr int kCapSysResource = 24;  // include/uapi/linux/capability.h
  auto status = read_file("/proc/self/status");
  if (!status.ok()) return false;
  size_t at = status->find("CapEff:\t");
  if (at == std::string::npos) return false;
  uint64_t caps = std::stoull(status->substr(at + 8, 16), nullptr, 16);
  return (caps >> kCapSysResource) & 1;
}

// PR_SET_IO_FLUSHER needs CAP_SYS_RESOURCE: with it the serving loop has the flag; the scan,
// cache and file worker threads (see workloads/agent/io_flusher.h) and jobs never do. Without
// it (a container) the agent serves all the same with no thread flagged. The guest, where the
// agent is init with every capability, is checked by RunTest.OnlyTheAgentsServingLoopIsAnIoFlusher.
TEST_F(AgentScan, OnlyTheServingLoopIsAnIoFlusher) {
  const bool can_flag = has_cap_sys_resource();
  start({"--task-refresh-ms", "1000"});
  ASSERT_TRUE(wait_for<Hello>());
  uint64_t job = 7;
  send(*enc_.encode_exec(job, {"sleep", "30"}));
  auto started = wait_for<Started>([job](const Started& s) { return s.job == job; });
  ASSERT_TRUE(started);

  constexpr uint64_t kIoFlusher = kPfMemallocNoio | kPfLocalThrottle;
  fs::path tasks = fs::path("/proc") / std::to_string(agent_->pid()) / "task";
  const std::vector<std::string> expected = {"main", "wedge-agent", "wedge-scan", "wedge-tasks"};
  // Each helper thread names itself once it runs: wait for the names to settle.
  std::vector<std::string> threads;
  for (auto deadline = Clock::now() + 3s; threads != expected && Clock::now() < deadline;) {
    threads.clear();
    for (const auto& e : fs::directory_iterator(tasks)) {
      std::string comm = *read_file(e.path() / "comm");
      bool main_thread = e.path().filename() == std::to_string(agent_->pid());
      threads.push_back(main_thread ? "main" : comm.substr(0, comm.size() - 1));
    }
    std::sort(threads.begin(), threads.end());
    if (threads != expected) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(threads, expected);
  for (const auto& e : fs::directory_iterator(tasks)) {
    bool main_thread = e.path().filename() == std::to_string(agent_->pid());
    EXPECT_EQ(stat_flags(e.path() / "stat") & kIoFlusher, main_thread && can_flag ? kIoFlusher : 0u)
        << *read_file(e.path() / "comm");
  }
  uint64_t job_flags = stat_flags(fs::path("/proc") / std::to_string(started->pid) / "stat");
  EXPECT_EQ(job_flags & kIoFlusher, 0u) << "a job inherited IO_FLUSHER";
  send(enc_.encode_signal(job, SIGKILL, enc_.next_request_id()));
}

// The cache looks again as soon as a job starts: a workload that wedges the guest within a
// second of its start must already be held open. (The period here is a minute.)
TEST_F(AgentScan, AJobIsHeldOpenRightAfterItStarts) {
  start({"--task-refresh-ms", "60000"});
  ASSERT_TRUE(wait_for<Hello>());
  uint64_t job = 8;
  send(*enc_.encode_exec(job, {"sleep", "30"}));
  auto started = wait_for<Started>([job](const Started& s) { return s.job == job; });
  ASSERT_TRUE(started);
  std::string stack =
      "/proc/" + std::to_string(started->pid) + "/task/" + std::to_string(started->pid) + "/stack";
  EXPECT_TRUE(wait_until_open(stack, true, 2s)) << "the job's files were not opened";
  send(enc_.encode_signal(job, SIGKILL, enc_.next_request_id()));
}

}  // namespace
}  // namespace wedge::agent
