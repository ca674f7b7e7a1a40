// Implementation of nbd_connect.h (protocol: the NBD project's doc/proto.md).
#include "workloads/agent/nbd_connect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nbd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {

constexpr uint64_t kNbdMagic = 0x4e42444d41474943ULL;     // "NBDMAGIC"
constexpr uint64_t kOptionMagic = 0x49484156454F5054ULL;  // "IHAVEOPT"
constexpr uint64_t kReplyMagic = 0x0003e889045565a9ULL;
constexpr uint16_t kFlagFixedNewstyle = 1;
constexpr uint16_t kFlagNoZeroes = 2;
constexpr uint32_t kOptExportName = 1;
constexpr uint32_t kOptGo = 7;
constexpr uint32_t kRepAck = 1;
constexpr uint32_t kRepInfo = 3;
constexpr uint32_t kRepErrUnsup = (1u << 31) | 1;
constexpr uint16_t kInfoExport = 0;
constexpr uint32_t kBlockSize = 4096;
constexpr size_t kMaxReply = 64 * 1024;  // a hostile server cannot make us read more

[[gnu::format(printf, 3, 4)]] bool fail(char* error, size_t cap, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error, cap, format, args);
  va_end(args);
  return false;
}

bool read_exact(int fd, void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ECONNRESET;
      return false;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

uint64_t get_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
uint32_t get_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint16_t get_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint8_t* put_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) *p++ = static_cast<uint8_t>(v >> (8 * i));
  return p;
}
uint8_t* put_be32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i) *p++ = static_cast<uint8_t>(v >> (8 * i));
  return p;
}
uint8_t* put_be16(uint8_t* p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v >> 8);
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Sends one option with the export name as its data (plus, for NBD_OPT_GO, zero info requests).
bool send_option(int fd, uint32_t option, const char* name) {
  uint8_t buf[16 + 4 + 256 + 2];
  size_t name_len = strlen(name);
  uint32_t data_len = static_cast<uint32_t>(option == kOptGo ? 4 + name_len + 2 : name_len);
  uint8_t* p = put_be64(buf, kOptionMagic);
  p = put_be32(p, option);
  p = put_be32(p, data_len);
  if (option == kOptGo) p = put_be32(p, static_cast<uint32_t>(name_len));
  memcpy(p, name, name_len);
  p += name_len;
  if (option == kOptGo) p = put_be16(p, 0);
  return write_all(fd, buf, static_cast<size_t>(p - buf));
}

// NBD_OPT_GO: replies until ACK; the export's size comes in NBD_REP_INFO / NBD_INFO_EXPORT.
// Returns 1 done, 0 unsupported (fall back), -1 error.
int option_go(int fd, const char* name, NbdExport* out, char* error, size_t cap) {
  if (!send_option(fd, kOptGo, name)) {
    fail(error, cap, "send NBD_OPT_GO: %s", errno_text(errno));
    return -1;
  }
  static uint8_t data[kMaxReply];
  bool have_export = false;
  while (true) {
    uint8_t head[20];
    if (!read_exact(fd, head, sizeof head)) {
      fail(error, cap, "reading an option reply: %s", errno_text(errno));
      return -1;
    }
    if (get_be64(head) != kReplyMagic) {
      fail(error, cap, "bad option reply magic");
      return -1;
    }
    uint32_t type = get_be32(head + 12);
    uint32_t len = get_be32(head + 16);
    if (len > kMaxReply) {
      fail(error, cap, "option reply of %u bytes", len);
      return -1;
    }
    if (!read_exact(fd, data, len)) {
      fail(error, cap, "reading option reply data: %s", errno_text(errno));
      return -1;
    }
    if (type == kRepErrUnsup) return 0;
    if (type & (1u << 31)) {
      fail(error, cap, "server refused export '%s' (reply 0x%x: %.*s)", name, type,
           static_cast<int>(len > 100 ? 100 : len), reinterpret_cast<const char*>(data));
      return -1;
    }
    if (type == kRepInfo && len >= 12 && get_be16(data) == kInfoExport) {
      out->size = get_be64(data + 2);
      out->transmission_flags = get_be16(data + 10);
      have_export = true;
    } else if (type == kRepAck) {
      if (!have_export) {
        fail(error, cap, "server acknowledged NBD_OPT_GO without the export's size");
        return -1;
      }
      return 1;
    }
  }
}

}  // namespace

bool nbd_handshake(int fd, const char* name, NbdExport* out, char* error, size_t cap) {
  if (strlen(name) > 255) return fail(error, cap, "export name too long");
  uint8_t hello[18];
  if (!read_exact(fd, hello, sizeof hello)) {
    return fail(error, cap, "reading the server greeting: %s", errno_text(errno));
  }
  if (get_be64(hello) != kNbdMagic || get_be64(hello + 8) != kOptionMagic) {
    return fail(error, cap, "not a newstyle NBD server");
  }
  uint16_t server_flags = get_be16(hello + 16);
  if (!(server_flags & kFlagFixedNewstyle)) return fail(error, cap, "server is not fixed newstyle");
  bool no_zeroes = server_flags & kFlagNoZeroes;
  uint8_t client_flags[4];
  put_be32(client_flags, kFlagFixedNewstyle | (no_zeroes ? kFlagNoZeroes : 0));
  if (!write_all(fd, client_flags, sizeof client_flags)) {
    return fail(error, cap, "sending client flags: %s", errno_text(errno));
  }
  int go = option_go(fd, name, out, error, cap);
  if (go == 1) return true;
  if (go < 0) return false;
  // Old servers: NBD_OPT_EXPORT_NAME, answered with size, flags and (maybe) 124 zeroes.
  if (!send_option(fd, kOptExportName, name)) {
    return fail(error, cap, "send NBD_OPT_EXPORT_NAME: %s", errno_text(errno));
  }
  uint8_t reply[10 + 124];
  size_t len = no_zeroes ? 10 : sizeof reply;
  if (!read_exact(fd, reply, len)) {
    return fail(error, cap, "server closed on export '%s': %s", name, errno_text(errno));
  }
  out->size = get_be64(reply);
  out->transmission_flags = get_be16(reply + 8);
  return true;
}

namespace {

int connect_tcp(const char* host, const char* port_text, char* error, size_t cap) {
  uint64_t port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (!parse_decimal(port_text, &port) || port == 0 || port > 65535 ||
      inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fail(error, cap, "bad address %s:%s (an IPv4 address and a port)", host, port_text);
    return -1;
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(error, cap, "socket: %s", errno_text(errno));
    return -1;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fail(error, cap, "connect %s:%s: %s", host, port_text, errno_text(errno));
    close(fd);
    return -1;
  }
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The device's size as the kernel shows it (512-byte sectors), or 0.
uint64_t device_sectors(const char* device) {
  const char* base = strrchr(device, '/');
  base = base ? base + 1 : device;
  char path[96];
  snprintf(path, sizeof path, "/sys/block/%s/size", base);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32];
  ssize_t n = pread_whole(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  uint64_t v = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) v = v * 10 + (buf[i] - '0');
  return v;
}

// The child that stays: the kernel drives the socket; this task only sleeps in NBD_DO_IT.
[[noreturn]] void serve_device(int dev, int sock, const char* device) {
  setsid();
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  (void)mlockall(MCL_CURRENT | MCL_FUTURE);
  char name[16];
  const char* base = strrchr(device, '/');
  snprintf(name, sizeof name, "wedge-%s", base ? base + 1 : device);
  prctl(PR_SET_NAME, name);
  (void)ioctl(dev, NBD_DO_IT);
  (void)ioctl(dev, NBD_CLEAR_QUE);
  (void)ioctl(dev, NBD_CLEAR_SOCK);
  close(sock);
  _exit(0);
}

}  // namespace

int nbd_connect_main(int argc, char** argv) {
  if (argc != 4) {
    fputs("usage: wedge-agent nbd-connect HOST PORT /dev/nbdN EXPORT\n", stderr);
    return 2;
  }
  const char* device = argv[2];
  char error[256] = "";
  int sock = connect_tcp(argv[0], argv[1], error, sizeof error);
  if (sock < 0) {
    fprintf(stderr, "nbd-connect: %s\n", error);
    return 1;
  }
  NbdExport exp;
  if (!nbd_handshake(sock, argv[3], &exp, error, sizeof error)) {
    fprintf(stderr, "nbd-connect: %s:%s: %s\n", argv[0], argv[1], error);
    return 1;
  }
  int dev = open(device, O_RDWR | O_CLOEXEC);
  if (dev < 0) {
    fprintf(stderr, "nbd-connect: open %s: %s\n", device, errno_text(errno));
    return 1;
  }
  if (ioctl(dev, NBD_SET_BLKSIZE, static_cast<unsigned long>(kBlockSize)) < 0 ||
      ioctl(dev, NBD_SET_SIZE_BLOCKS, static_cast<unsigned long>(exp.size / kBlockSize)) < 0 ||
      ioctl(dev, NBD_CLEAR_SOCK) < 0 ||
      ioctl(dev, NBD_SET_FLAGS, static_cast<unsigned long>(exp.transmission_flags)) < 0 ||
      ioctl(dev, NBD_SET_SOCK, static_cast<unsigned long>(sock)) < 0) {
    fprintf(stderr, "nbd-connect: configuring %s: %s\n", device, errno_text(errno));
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "nbd-connect: fork: %s\n", errno_text(errno));
    return 1;
  }
  if (child == 0) serve_device(dev, sock, device);
  for (int waited = 0; waited < 10000; waited += 20) {
    if (device_sectors(device) > 0) {
      printf("%s: %llu bytes from %s:%s export %s (flags 0x%x)\n", device,
             static_cast<unsigned long long>(exp.size), argv[0], argv[1], argv[3],
             exp.transmission_flags);
      return 0;
    }
    sleep_ms(20);
  }
  fprintf(stderr, "nbd-connect: %s did not come up within 10 s\n", device);
  return 1;
}

}  // namespace wedge::guest
