// The guest writes the console: inputs built here (never checked in) that used to crash or
// stall the parser, and sizes no real log reaches, must finish fast, in bounded memory, with
// the right verdict; guest strings must come out as valid UTF-8 and terminal-safe text.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "harness/console/parser.h"
#include "harness/detect/analyze.h"
#include "harness/util/text.h"
#include "reports/report.h"

namespace wedge::detect {
namespace {

using reports::Verdict;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Sanitizer builds run the same inputs at a tenth of the size (they are 10x slower).
size_t scaled(size_t n) { return kSanitized ? n / 10 : n; }

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Streams `total` bytes made of `pattern` repeated through a LogAnalyzer, 1 MiB at a time.
Analysis stream(const std::string& head, const std::string& pattern, size_t total,
                const std::string& tail = "") {
  LogAnalyzer analyzer;
  analyzer.feed(head);
  std::string chunk;
  while (chunk.size() < (1u << 20)) chunk += pattern;
  for (size_t sent = 0; sent < total; sent += chunk.size()) analyzer.feed(chunk);
  analyzer.feed(tail);
  return analyzer.finish();
}

// The bound for sizes no real log reaches: seconds, and under 64 MiB of peak memory (not
// checked under sanitizers, whose shadow memory and quarantine are counted too).
void expect_within_bounds(double took_s) {
  EXPECT_LT(took_s, kSanitized ? 120.0 : 30.0);
  if (!kSanitized) {
    EXPECT_LT(peak_rss_mib(), 64.0);
  }
}

template <class F>
double seconds(F f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(HostileConsole, LongLineWithAKeywordParsesInBoundedTime) {
  // ~32 KiB lines with a keyword once overflowed std::regex's stack.
  std::string line =
      "[ 1.0] INFO: task " + std::string(32 * 1024, 'a') + ":1 blocked for more than 1 seconds.\n";
  Analysis a;
  double took = seconds([&] {
    a = analyze_console_log(line + line + "[ 2.0] Kernel panic - not syncing: Fatal exception\n");
  });
  EXPECT_LT(took, 2.0);
  EXPECT_EQ(a.verdict, Verdict::kCrash);  // the cut line is no hung task; the panic is seen
  EXPECT_EQ(a.reason, "kernel panic: Fatal exception");
}

TEST(HostileConsole, PanicLineFollowedByThousandsOfSpaces) {
  std::string log =
      "[ 3.0] Kernel panic - not syncing: demo failure" + std::string(5000, ' ') + "\n";
  Analysis a;
  double took = seconds([&] { a = analyze_console_log(log); });
  EXPECT_LT(took, 1.0);
  EXPECT_EQ(a.reason, "kernel panic: demo failure");
}

TEST(HostileConsole, TaskNameWithASplitUtf8CharacterStillGivesJson) {
  std::string log =
      "[ 9.0] INFO: task caf\xC3:77 blocked for more than 10 seconds.\n"
      "[ 9.1] Call Trace:\n"
      "[ 9.2]  demo_read_\xE2\x82+0x1/0x2\n"
      "[ 9.3]  demo_read+0x1/0x2\n";
  Analysis a = analyze_console_log(log);
  ASSERT_EQ(a.findings.size(), 1u);
  std::string json = reports::finding_json(a.findings[0]).dump();  // must not throw
  EXPECT_NE(json.find("INFO: task hung in demo_read"), std::string::npos);
  EXPECT_EQ(valid_utf8("caf\xC3"), "caf\xEF\xBF\xBD");
}

TEST(HostileConsole, ControlCharactersAreEscapedForTerminals) {
  EXPECT_EQ(printable("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
  EXPECT_EQ(printable("tab\tok \xC2\x85"), "tab\tok \\u0085");
  EXPECT_EQ(printable("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(printable("two\nlines\r", true), "two\nlines\\x0d");
}

TEST(HostileConsole, TwoHundredMegabyteLogStaysUnder64MiB) {
  std::string noise = "[ 12.345678] demo: ordinary line of console noise with some numbers 12345\n";
  Analysis a;
  double took = seconds([&] {
    a = stream("", noise, scaled(200u << 20),
               "[ 99.0] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
               "[ 99.1] RIP: 0010:demo_deref+0x1/0x2\n");
  });
  EXPECT_EQ(a.reason, "BUG: unable to handle kernel NULL pointer dereference in demo_deref");
  expect_within_bounds(took);
}

TEST(HostileConsole, FiveMillionFrameTraceIsBounded) {
  Analysis a;
  double took = seconds([&] {
    a = stream(
        "[ 1.0] INFO: task demo:9 blocked for more than 10 seconds.\n[ 1.1] Call Trace:\n"
        "[ 1.2]  demo_read_block+0x1/0x2\n",
        "[ 1.3]  demo_recurse+0x10/0x20\n", scaled(5'000'000) * 28);
  });
  ASSERT_FALSE(a.findings.empty());
  EXPECT_EQ(a.reason, "INFO: task hung in demo_read_block");
  EXPECT_LE(a.findings[0].frames.size(), 128u);
  expect_within_bounds(took);
}

TEST(HostileConsole, MillionHungTaskLinesAreOneFinding) {
  Analysis a;
  double took = seconds([&] {
    a = stream("", "[ 5.0] INFO: task demo:9 blocked for more than 10 seconds.\n",
               scaled(1'000'000) * 60);
  });
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.findings[0].signature, "hang|INFO: task hung");
  EXPECT_LE(a.findings[0].stacks.size(), kMaxTasks);
  expect_within_bounds(took);
}

TEST(HostileConsole, FloodWithoutNewlinesKeepsOnlyALinePrefix) {
  console::ConsoleScanner scanner;
  std::string junk(8u << 20, 'x');
  auto events = scanner.feed(junk);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(scanner.lines(), 0);
  EXPECT_EQ(scanner.dropped_bytes(), junk.size() - console::ConsoleScanner::kMaxLineBytes);
  (void)scanner.feed("\n[ 1.0] Kernel panic - not syncing: after the flood\n");
  EXPECT_EQ(scanner.lines(), 2);
}

}  // namespace
}  // namespace wedge::detect
