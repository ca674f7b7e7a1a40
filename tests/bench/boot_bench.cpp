// Benchmark: boot-to-agent-ready of the default image through wedge's libvirt backend versus
// the same kernel and initrd booted by a direct qemu-system-x86_64 command, in the same run,
// plus the image's size and pinned memory and the agent's RSS. Prints numbers and ratios;
// never fails on noise (exit 0 unless something could not be measured at all).
//
//   build/wedge_boot_bench [--runs N]
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "harness/agent/decoder.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/libvirt_backend.h"
#include "vm-images/image.h"

namespace {

using namespace wedge;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

const char* kCmdline = "console=ttyS0 loglevel=7 panic=0 net.ifnames=0";

struct Ready {
  double seconds = -1;
  agent::Hello hello;
};

// Feeds bytes from `read` into a decoder until a Hello appears or 120 s pass.
template <typename ReadFn>
Ready wait_hello(Clock::time_point start, ReadFn read) {
  agent::Decoder decoder;
  while (Clock::now() - start < std::chrono::seconds(120)) {
    std::string bytes = read();
    if (!bytes.empty()) {
      decoder.feed(bytes);
      while (auto m = decoder.next()) {
        if (auto* h = std::get_if<agent::Hello>(&*m)) {
          return {std::chrono::duration<double>(Clock::now() - start).count(), *h};
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {};
}

Ready boot_libvirt(vm::LibvirtBackend& backend, const image::GuestImage& img, const fs::path& dir,
                   int i) {
  vm::VmSpec spec;
  spec.name = fmt::format("wedge-bench-{}-{}", ::getpid(), i);
  spec.kernel = img.boot_kernel;
  spec.initrd = img.initrd;
  spec.cmdline = kCmdline;
  spec.console_log = dir / fmt::format("libvirt-{}.log", i);
  spec.agent_socket = dir / fmt::format("libvirt-{}.sock", i);
  auto start = Clock::now();
  auto vm = backend.start(spec);
  if (!vm) {
    fmt::print("libvirt boot failed: {}\n", vm.error().message());
    return {};
  }
  Ready r = wait_hello(start, [&] {
    auto b = (*vm)->read_agent();
    return b.ok() ? *b : std::string();
  });
  (void)(*vm)->destroy();
  return r;
}

Ready boot_direct(const image::GuestImage& img, const fs::path& dir, int i) {
  fs::path sock = dir / fmt::format("direct-{}.sock", i);
  fs::path console = dir / fmt::format("direct-{}.log", i);
  std::vector<std::string> argv = {"qemu-system-x86_64",
                                   "-accel",
                                   "tcg",
                                   "-machine",
                                   "pc",
                                   "-m",
                                   "256",
                                   "-smp",
                                   "1",
                                   "-nodefaults",
                                   "-no-user-config",
                                   "-display",
                                   "none",
                                   "-kernel",
                                   img.boot_kernel.string(),
                                   "-initrd",
                                   img.initrd.string(),
                                   "-append",
                                   kCmdline,
                                   "-serial",
                                   "file:" + console.string(),
                                   "-chardev",
                                   "socket,id=agent,path=" + sock.string() + ",server=on,wait=off",
                                   "-device",
                                   "virtio-serial",
                                   "-device",
                                   "virtserialport,chardev=agent,name=org.wedge.agent.0",
                                   "-netdev",
                                   "user,id=n0",
                                   "-device",
                                   "virtio-net-pci,netdev=n0",
                                   "-device",
                                   "virtio-balloon"};
  auto start = Clock::now();
  auto qemu = ChildProcess::spawn(argv);
  if (!qemu) {
    fmt::print("direct boot failed: {}\n", qemu.error().message());
    return {};
  }
  UniqueFd fd;
  Ready r = wait_hello(start, [&]() -> std::string {
    if (!fd.valid()) {
      UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
      if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
      fd = std::move(s);
    }
    char buf[65536];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  });
  qemu->stop(std::chrono::milliseconds(0));
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  if (argc == 3 && std::string(argv[1]) == "--runs") runs = std::max(1, std::atoi(argv[2]));
  auto img = image::build_image(image::ImageRequest{});
  if (!img) {
    fmt::print("image: {}\n", img.error().message());
    return 1;
  }
  auto backend = vm::LibvirtBackend::connect();
  if (!backend) {
    fmt::print("libvirt: {}\n", backend.error().message());
    return 1;
  }
  auto dir = TempDir::create("wedge-bench");
  if (!dir) return 1;
  std::vector<double> via_libvirt, direct;
  uint64_t rss_kb = 0, locked_kb = 0;
  for (int i = 0; i < runs; ++i) {
    // Alternate the two so that machine load drifts affect both equally.
    Ready a = boot_libvirt(**backend, *img, dir->path(), i);
    Ready b = boot_direct(*img, dir->path(), i);
    if (a.seconds > 0) via_libvirt.push_back(a.seconds);
    if (b.seconds > 0) direct.push_back(b.seconds);
    if (a.seconds > 0) {
      rss_kb = a.hello.rss_kb;
      locked_kb = a.hello.memlocked_kb;
    }
    fmt::print("run {}: libvirt {:.2f} s, direct qemu {:.2f} s\n", i + 1, a.seconds, b.seconds);
  }
  if (via_libvirt.empty() || direct.empty()) {
    fmt::print("could not measure both boot paths\n");
    return 1;
  }
  double ml = median(via_libvirt), md = median(direct);
  fmt::print(
      "\nboot to agent ready (median of {}, TCG): wedge/libvirt {:.2f} s, direct qemu {:.2f} s, "
      "ratio {:.2f}\n",
      runs, ml, md, ml / md);
  fmt::print("image: kernel {}, initrd {:.1f} MiB, pinned in guest RAM {:.1f} MiB\n",
             img->kernel_release, static_cast<double>(img->initrd_bytes) / (1 << 20),
             static_cast<double>(img->pinned_bytes) / (1 << 20));
  fmt::print("agent: RSS {} KiB, locked {} KiB\n", rss_kb, locked_kb);
  return 0;
}
