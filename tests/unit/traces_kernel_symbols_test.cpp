// Tests for traces/symbol_table.h, kernel_symbols.h and module_memory.h: System.map parsing,
// the KASLR offset and the merged core + module lookup on real data (an excerpt of Debian's
// System.map for 6.1.0-56-cloud-amd64 and a guest's /proc/kallsyms of that kernel, see
// tests/testdata/traces/README.md), and the module symbol scan of guest memory.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "harness/traces/kernel_symbols.h"
#include "harness/traces/module_memory.h"
#include "harness/traces/symbol_table.h"
#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::traces {
namespace {

std::string testdata(const std::string& name) { return wedge::testing::testdata("traces/" + name); }

SymbolTable system_map() {
  auto table = SymbolTable::from_kallsyms(testdata("system-map-excerpt.txt"));
  EXPECT_TRUE(table.ok()) << table.error().message();
  return table.ok() ? std::move(*table) : SymbolTable();
}

// The guest of kallsyms-head-excerpt.txt was moved by 0x20800000.
constexpr int64_t kRecordedOffset = 0x20800000;

TEST(SystemMap, ParsesLikeKallsymsAndSkipsItsHeader) {
  SymbolTable map = system_map();
  EXPECT_EQ(map.address_of("_stext"), 0xffffffff81000000ULL);
  EXPECT_EQ(map.address_of("default_idle"), 0xffffffff81a178a0ULL);
  EXPECT_FALSE(map.address_of("modules"));  // data: only a marker
  // Unrelocated, it names the addresses of a kernel booted without KASLR.
  EXPECT_EQ(map.symbolize(0xffffffff81a17a0bULL), "native_safe_halt+0xb/0x10");
  // The last function before rodata ends at _etext's neighbour __start_rodata, a data symbol.
  EXPECT_EQ(map.symbolize(0xffffffff81e01ef1ULL), "__x86_return_thunk+0x1/0x2");
}

TEST(KaslrOffset, FromTheStartOfARecordedGuestKallsyms) {
  auto offset = kaslr_offset(system_map(), testdata("kallsyms-head-excerpt.txt"));
  ASSERT_TRUE(offset.ok()) << offset.error().message();
  EXPECT_EQ(*offset, kRecordedOffset);
}

TEST(KaslrOffset, ACutOffLastLineIsIgnored) {
  std::string head = testdata("kallsyms-head-excerpt.txt");
  // What one 60 KiB piece of the real file ends with: half a line.
  head += "ffffffffa1801d10 t __bpf_tr";
  auto offset = kaslr_offset(system_map(), head);
  ASSERT_TRUE(offset.ok()) << offset.error().message();
  EXPECT_EQ(*offset, kRecordedOffset);
}

TEST(KaslrOffset, ASystemMapOfAnotherBuildIsRefused) {
  // Another build: the same _stext, every function after it 0x40 further on.
  std::string other;
  std::string map = testdata("system-map-excerpt.txt");
  for (size_t pos = 0; pos < map.size();) {
    size_t nl = map.find('\n', pos);
    std::string line = map.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("ffffffff81000", 0) == 0 && line.find("000000 T") == std::string::npos) {
      uint64_t addr = std::stoull(line.substr(0, 16), nullptr, 16) + 0x40;
      line = fmt::format("{:016x}{}", addr, line.substr(16));
    }
    other += line + "\n";
  }
  auto table = SymbolTable::from_kallsyms(other);
  ASSERT_TRUE(table.ok());
  auto offset = kaslr_offset(*table, testdata("kallsyms-head-excerpt.txt"));
  ASSERT_FALSE(offset.ok());
  EXPECT_NE(offset.error().message().find("does not match the running kernel"), std::string::npos)
      << offset.error().message();
}

TEST(KaslrOffset, NeedsStextInBoth) {
  std::string percpu_only =
      "0000000000000000 A fixed_percpu_data\n0000000000001000 A cpu_debug_store\n";
  auto offset = kaslr_offset(system_map(), percpu_only);
  ASSERT_FALSE(offset.ok());
  auto empty_map = SymbolTable::from_kallsyms("ffffffff81a178a0 T default_idle\n");
  ASSERT_TRUE(empty_map.ok());
  EXPECT_FALSE(kaslr_offset(*empty_map, testdata("kallsyms-head-excerpt.txt")).ok());
}

TEST(KernelSymbols, CoreFromSystemMapModulesFromKallsyms) {
  KernelSymbols symbols;
  EXPECT_FALSE(symbols.lookup(0xffffffffa2217a0bULL));
  SymbolTable map = system_map();
  auto offset = kaslr_offset(map, testdata("kallsyms-head-excerpt.txt"));
  ASSERT_TRUE(offset.ok());
  symbols.set_core(std::move(map), *offset);
  // Where that guest's vCPU sat, as its own kallsyms named it (registers.txt of the run).
  EXPECT_EQ(symbols.lookup(0xffffffffa2217a0bULL), "native_safe_halt+0xb/0x10");
  EXPECT_EQ(symbols.lookup(0xffffffffa22178a4ULL), "default_idle+0x4/0x10");
  EXPECT_FALSE(symbols.lookup(0xffffffffc0594030ULL));  // a module's: not in System.map

  symbols.set_modules(module_symbols_from_kallsyms(testdata("kallsyms-modules-excerpt.txt")));
  EXPECT_EQ(symbols.module_symbols(), 29u);
  EXPECT_EQ(symbols.lookup(0xffffffffc0594030ULL), "stats_request+0x10/0x60 [virtio_balloon]");
  // The module's last function ends where its read-only data starts.
  EXPECT_EQ(symbols.lookup(0xffffffffc0595f30ULL),
            "update_balloon_size_func.cold+0x10/0x104 [virtio_balloon]");
  EXPECT_FALSE(symbols.lookup(0xffffffffc0596100ULL));  // its data
  EXPECT_EQ(symbols.lookup(0xffffffffa2217a0bULL), "native_safe_halt+0xb/0x10");

  // A module found in guest memory is looked at after the kallsyms ones; copies share tables.
  symbols.add_module(SymbolTable::from_symbols(
      {{0xffffffffc0600000ULL, 0x90, "wedge_crash_hardlock", "wedge_crash"}}));
  KernelSymbols copy = symbols;
  EXPECT_EQ(copy.lookup(0xffffffffc060002cULL), "wedge_crash_hardlock+0x2c/0x90 [wedge_crash]");
  EXPECT_FALSE(copy.lookup(0xffffffffc0600090ULL));  // past its size
}

// Synthetic guest memory for the scan: pages by address; reads across pages are joined.
class FakeMemory {
 public:
  void put(uint64_t addr, std::string_view bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) byte(addr + i) = bytes[i];
  }
  void put_u64(uint64_t addr, uint64_t v) {
    for (int i = 0; i < 8; ++i)
      byte(addr + static_cast<uint64_t>(i)) = static_cast<char>(v >> (8 * i));
  }
  Result<std::string> read(uint64_t addr, size_t len) {
    ++reads;
    std::string out;
    for (size_t i = 0; i < len; ++i) {
      auto page = pages_.find((addr + i) & ~0xfffULL);
      if (page == pages_.end()) return make_error("cannot read guest memory at {:#x}", addr + i);
      out.push_back(page->second[(addr + i) & 0xfff]);
    }
    return out;
  }
  int reads = 0;

 private:
  char& byte(uint64_t addr) {
    auto& page = pages_[addr & ~0xfffULL];
    if (page.empty()) page.assign(4096, '\xcc');  // int3 filler, like module text padding
    return page[addr & 0xfff];
  }
  std::map<uint64_t, std::string> pages_;
};

// A module laid out as 6.4+ does: code, an unmapped guard page, then its data with struct
// module (name at +24, core_kallsyms inside), the symbols and their strings.
FakeMemory wedge_crash_memory(uint64_t text) {
  FakeMemory m;
  m.put(text, std::string(0x100, '\x90'));
  uint64_t mod = text + 0x2000 + 0x40;
  m.put(mod + 24, std::string("wedge_crash\0", 12));
  uint64_t symtab = text + 0x2800;
  const char strings[] = "\0wedge_crash_hardlock\0wedge_crash_oops\0__this_module\0";
  uint64_t strtab = symtab + 4 * 24;
  m.put_u64(mod + 0x300, symtab);  // struct mod_kallsyms
  m.put_u64(mod + 0x308, 4);
  m.put_u64(mod + 0x310, strtab);
  m.put_u64(mod + 0x318, strtab + sizeof strings);
  m.put(symtab, std::string(24, '\0'));
  auto sym = [&](int i, uint32_t name, uint8_t info, uint64_t value, uint64_t size) {
    uint64_t at = symtab + 24 * static_cast<uint64_t>(i);
    m.put_u64(at, name | (uint64_t{info} << 32));  // st_name, st_info, st_other=0, st_shndx=0
    m.put_u64(at + 8, value);
    m.put_u64(at + 16, size);
  };
  sym(1, 1, 0x02, text, 0x90);          // FUNC, local
  sym(2, 22, 0x12, text + 0x90, 0x20);  // FUNC, global
  sym(3, 39, 0x11, mod, 0x380);         // OBJECT: __this_module
  m.put(strtab, std::string_view(strings, sizeof strings));
  return m;
}

TEST(ModuleMemory, FindsTheModuleSymbolsAfterItsCode) {
  constexpr uint64_t kText = 0xffffffffc0353000ULL;
  FakeMemory m = wedge_crash_memory(kText);
  ReadMemory read = [&](uint64_t addr, size_t len) { return m.read(addr, len); };
  auto scan = module_symbols_from_memory(kText + 0x2c, read);
  ASSERT_TRUE(scan.ok()) << scan.error().message();
  EXPECT_EQ(scan->module, "wedge_crash");
  EXPECT_EQ(scan->kallsyms_at, kText + 0x2000 + 0x40 + 0x300);
  EXPECT_EQ(scan->symbols.size(), 2u);  // the functions
  EXPECT_EQ(scan->symbols.symbolize(kText + 0x2c), "wedge_crash_hardlock+0x2c/0x90 [wedge_crash]");
  EXPECT_EQ(scan->symbols.symbolize(kText + 0x95), "wedge_crash_oops+0x5/0x20 [wedge_crash]");
  EXPECT_LT(m.reads, 20);
}

// Replays the monitor reads of a real hard lockup in wedge_crash.ko: the same reads must come
// out of the scan, and name the function the vCPU spun in, with its size from the ELF symbol.
TEST(ModuleMemory, RecordedHardLockupInTheCrashModule) {
  FakeMemory m;
  std::string recorded = testdata("module-memory-wedge-crash.txt");
  std::vector<std::string> commands;
  for (size_t pos = recorded.find("\n# x "); pos != std::string::npos;) {
    size_t header_end = recorded.find('\n', pos + 1);
    std::string command = recorded.substr(pos + 3, header_end - pos - 3);
    size_t next = recorded.find("\n# x ", header_end);
    std::string answer = recorded.substr(
        header_end + 1, next == std::string::npos ? std::string::npos : next - header_end);
    // "x /512gx 0xffffffffc0294000"
    size_t count = std::stoul(command.substr(3, command.find('g') - 3));
    uint64_t addr = std::stoull(command.substr(command.rfind(' ') + 1), nullptr, 16);
    auto bytes = parse_hmp_memory(answer, addr, count * 8);
    ASSERT_TRUE(bytes.ok()) << command << ": " << bytes.error().message();
    m.put(addr, *bytes);
    commands.push_back(command);
    pos = next;
  }
  ASSERT_EQ(commands.size(), 7u);
  std::vector<std::string> asked;
  ReadMemory read = [&](uint64_t addr, size_t len) {
    asked.push_back(hmp_memory_command(addr, len));
    return m.read(addr, len);
  };
  auto scan = module_symbols_from_memory(0xffffffffc029431cULL, read);
  ASSERT_TRUE(scan.ok()) << scan.error().message();
  EXPECT_EQ(asked, commands);
  EXPECT_EQ(scan->module, "wedge_crash");
  EXPECT_EQ(scan->kallsyms_at, 0xffffffffc02962a8ULL);
  EXPECT_EQ(scan->symbols.symbolize(0xffffffffc029431cULL),
            "wedge_crash_hardlock+0x4c/0x79 [wedge_crash]");
  // `nm -S wedge_crash.ko`: wedge_crash_softlock is 0x66 bytes at .text+0xb4.
  uint64_t text = *scan->symbols.address_of("wedge_crash_oops");
  EXPECT_EQ(scan->symbols.symbolize(text + 0xb4 + 0x65),
            "wedge_crash_softlock+0x65/0x66 [wedge_crash]");
}

TEST(ModuleMemory, NoTableHoldingTheRipIsAnError) {
  constexpr uint64_t kText = 0xffffffffc0353000ULL;
  FakeMemory m = wedge_crash_memory(kText);
  ReadMemory read = [&](uint64_t addr, size_t len) { return m.read(addr, len); };
  // In the module's range but past its functions; and somewhere with nothing mapped after.
  auto past = module_symbols_from_memory(kText + 0x200, read, 64 * 1024);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message().find("no module symbol table holding 0xffffffffc0353200"),
            std::string::npos)
      << past.error().message();
  EXPECT_FALSE(module_symbols_from_memory(0xffffffffc1000000ULL, read, 64 * 1024).ok());
}

TEST(HmpMemory, ParsesQuadwordsLittleEndian) {
  EXPECT_EQ(hmp_memory_command(0xffffffffc0353000ULL, 4096), "x /512gx 0xffffffffc0353000");
  EXPECT_EQ(hmp_memory_command(0xffffffffc0353000ULL, 13), "x /2gx 0xffffffffc0353000");
  auto bytes = parse_hmp_memory(
      "ffffffffc0353000: 0x6b636f6c64726168 0x0000000000000001\r\n"
      "ffffffffc0353010: 0xffffffffc0353000\r\n",
      0xffffffffc0353000ULL, 20);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  EXPECT_EQ(bytes->substr(0, 8), "hardlock");
  EXPECT_EQ((*bytes)[8], '\x01');
  EXPECT_EQ(bytes->size(), 20u);
  EXPECT_EQ(bytes->substr(16, 4), std::string("\x00\x30\x35\xc0", 4));
}

TEST(HmpMemory, UnreadableWrongOrShortAnswersFail) {
  auto unmapped =
      parse_hmp_memory("ffffffffc0354000: Cannot access memory\n", 0xffffffffc0354000ULL, 16);
  ASSERT_FALSE(unmapped.ok());
  EXPECT_NE(unmapped.error().message().find("cannot read"), std::string::npos);
  EXPECT_FALSE(
      parse_hmp_memory("ffffffffc0354008: 0x0000000000000000\n", 0xffffffffc0354000ULL, 8).ok());
  EXPECT_FALSE(
      parse_hmp_memory("ffffffffc0354000: 0x0000000000000000\n", 0xffffffffc0354000ULL, 16).ok());
  EXPECT_FALSE(parse_hmp_memory("unknown command: 'x'\n", 0xffffffffc0354000ULL, 8).ok());
}

}  // namespace
}  // namespace wedge::traces
