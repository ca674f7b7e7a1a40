// Tests for traces/registers.h: QEMU `info registers -a` output recorded from a running wedge
// guest (tests/testdata/traces/info-registers-a-*.txt) and kallsyms lines from a host kernel.
#include <gtest/gtest.h>

#include <string>

#include "harness/traces/registers.h"
#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::traces {
namespace {

std::string testdata(const std::string& name) { return wedge::testing::testdata("traces/" + name); }

TEST(InfoRegisters, RecordedIdleGuestIsHalted) {
  auto cpus = parse_info_registers(testdata("info-registers-a-idle.txt"));
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(*cpus, (std::vector<VcpuState>{{0, 0xffffffff8be17a0bULL, true}}));
}

TEST(InfoRegisters, RecordedBusyGuestIsRunning) {
  auto cpus = parse_info_registers(testdata("info-registers-a-busy.txt"));
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(*cpus, (std::vector<VcpuState>{{0, 0xffffffff8b7189b0ULL, false}}));
}

TEST(InfoRegisters, SeveralCpusAndPlainInfoRegisters) {
  // Two recorded single-CPU sections put together as QEMU prints a 2-vCPU guest.
  std::string idle = testdata("info-registers-a-idle.txt");
  std::string busy = testdata("info-registers-a-busy.txt");
  size_t header = busy.find("CPU#0");
  ASSERT_NE(header, std::string::npos);
  busy.replace(header, 5, "CPU#1");
  auto cpus = parse_info_registers(idle + busy);
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(*cpus, (std::vector<VcpuState>{{0, 0xffffffff8be17a0bULL, true},
                                           {1, 0xffffffff8b7189b0ULL, false}}));
  // Plain `info registers` has no CPU# header.
  std::string plain = idle.substr(idle.find("RAX="));
  auto one = parse_info_registers(plain);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (std::vector<VcpuState>{{0, 0xffffffff8be17a0bULL, true}}));
}

TEST(InfoRegisters, GarbageIsAnError) {
  auto r = parse_info_registers("Error: unknown command: 'info registerz'\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("no CPU"), std::string::npos);
  EXPECT_FALSE(parse_info_registers("").ok());
}

TEST(SymbolTable, SymbolizesWithOffsetAndSize) {
  auto table = SymbolTable::from_kallsyms(testdata("host-kallsyms-excerpt.txt"));
  ASSERT_TRUE(table.ok()) << table.error().message();
  // Data symbols (D) are left out; 4 aliases at _stext + 17 functions + 1 module symbol.
  EXPECT_EQ(table->size(), 22u);
  // folio_wait_bit_common at ffffffff8158a8e0, next text symbol at ffffffff8158abf0.
  EXPECT_EQ(table->symbolize(0xffffffff8158a8e0ULL), "folio_wait_bit_common+0x0/0x310");
  EXPECT_EQ(table->symbolize(0xffffffff8158aa1dULL), "folio_wait_bit_common+0x13d/0x310");
  // Of several symbols at one address, the first listed names it.
  EXPECT_EQ(table->symbolize(0xffffffff81000010ULL), "srso_alias_untrain_ret+0x10/0x58a700");
  EXPECT_EQ(table->symbolize(0xffffffff80000000ULL), "0xffffffff80000000");  // before all
  EXPECT_EQ(table->symbolize(0xffffffffc0201000ULL), "ftrace_trampoline+0x0 [__builtin__ftrace]");
  EXPECT_EQ(table->symbolize(0xffffffffc0201010ULL), "0xffffffffc0201010");  // size unknown
}

TEST(SymbolTable, UnsortedInputAndModules) {
  auto table = SymbolTable::from_kallsyms(
      "ffffffffc0002000 t nbd_queue_rq\t[nbd]\n"
      "ffffffff81000100 T b\n"
      "ffffffff81000000 T a\n"
      "ffffffffc0002040 t nbd_send_cmd\t[nbd]\n"
      "ffffffff81000080 D not_text\n"
      "ffffffffc0003000 t end_marker\t[nbd]\n");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->symbolize(0xffffffff81000090ULL), "a+0x90/0x100");
  EXPECT_EQ(table->symbolize(0xffffffffc0002010ULL), "nbd_queue_rq+0x10/0x40 [nbd]");
}

TEST(SymbolTable, ZeroedAddressesAreAnError) {
  // What an unprivileged reader of /proc/kallsyms sees.
  auto table =
      SymbolTable::from_kallsyms("0000000000000000 T _stext\n0000000000000000 T do_syscall_64\n");
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.error().message().find("kptr_restrict"), std::string::npos);
  EXPECT_FALSE(SymbolTable::from_kallsyms("").ok());
}

}  // namespace
}  // namespace wedge::traces
