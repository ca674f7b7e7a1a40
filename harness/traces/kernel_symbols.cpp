// Implementation of kernel_symbols.h.
#include "harness/traces/kernel_symbols.h"

#include <algorithm>
#include <utility>

namespace wedge::traces {

Result<int64_t> kaslr_offset(const SymbolTable& system_map, std::string_view kallsyms_head) {
  WEDGE_TRY(SymbolTable head,
            SymbolTable::from_kallsyms(kallsyms_head).context("the guest's /proc/kallsyms"));
  std::optional<uint64_t> guest, map;
  for (const char* anchor : {"_stext", "_text"}) {
    guest = head.address_of(anchor);
    map = system_map.address_of(anchor);
    if (guest && map) break;
  }
  if (!guest) return make_error("no _stext or _text in the start of the guest's /proc/kallsyms");
  if (!map) return make_error("the System.map has no _stext or _text");
  int64_t offset = static_cast<int64_t>(*guest - *map);

  // Every text symbol of the head must sit at its System.map address plus the offset.
  std::vector<std::pair<std::string_view, uint64_t>> wanted;  // name, System.map address
  for (const auto& s : head.symbols()) {
    if (s.module.empty()) wanted.emplace_back(s.name, s.addr - static_cast<uint64_t>(offset));
  }
  std::sort(wanted.begin(), wanted.end());
  std::vector<bool> found(wanted.size());
  for (const auto& s : system_map.symbols()) {
    auto it = std::lower_bound(wanted.begin(), wanted.end(),
                               std::make_pair(std::string_view(s.name), s.addr));
    if (it != wanted.end() && it->first == s.name && it->second == s.addr) {
      found[static_cast<size_t>(it - wanted.begin())] = true;
    }
  }
  size_t missing = static_cast<size_t>(std::count(found.begin(), found.end(), false));
  // A few names may differ between nm's view and kallsyms'; a wrong map differs in most.
  if (missing * 50 > wanted.size()) {
    std::string_view example =
        wanted[static_cast<size_t>(std::find(found.begin(), found.end(), false) - found.begin())]
            .first;
    return make_error(
        "the System.map does not match the running kernel: {} of {} symbols are not at their "
        "address + the KASLR offset {:#x} (e.g. {})",
        missing, wanted.size(), offset, example);
  }
  return offset;
}

SymbolTable module_symbols_from_kallsyms(std::string_view module_lines) {
  auto table = SymbolTable::from_kallsyms(module_lines);
  return table ? std::move(*table) : SymbolTable();
}

void KernelSymbols::set_core(SymbolTable table, int64_t offset) {
  core_ = std::make_shared<const SymbolTable>(std::move(table));
  offset_ = offset;
}

void KernelSymbols::set_modules(SymbolTable table) {
  auto shared = std::make_shared<const SymbolTable>(std::move(table));
  if (modules_.empty()) {
    modules_.push_back(std::move(shared));
  } else {
    modules_[0] = std::move(shared);
  }
}

void KernelSymbols::add_module(SymbolTable table) {
  if (modules_.empty()) modules_.push_back(std::make_shared<const SymbolTable>());
  modules_.push_back(std::make_shared<const SymbolTable>(std::move(table)));
}

std::optional<std::string> KernelSymbols::lookup(uint64_t addr) const {
  for (const auto& table : modules_) {
    if (auto found = table->lookup(addr)) return found;
  }
  if (core_) return core_->lookup(addr - static_cast<uint64_t>(offset_));
  return std::nullopt;
}

size_t KernelSymbols::module_symbols() const {
  size_t n = 0;
  for (const auto& table : modules_) n += table->size();
  return n;
}

}  // namespace wedge::traces
