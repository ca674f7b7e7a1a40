// Implementation of fault_table.h: the keys every fault has (kind, at_s / when, duration_s,
// via, leg) are read here; the kind's own keys come from its declaration.
#include "harness/config/fault_table.h"

#include <fmt/format.h>

#include <string_view>

#include "harness/config/fault_kind.h"
#include "harness/config/table_reader.h"
#include "harness/config/trigger.h"

namespace wedge::config {

namespace fs = std::filesystem;

namespace {

// Every key some kind declares, in registry order: a key of another kind is "takes no" rather
// than "unknown".
std::vector<std::string> all_param_keys() {
  std::vector<std::string> keys;
  for (FaultKind k : kFaultKinds) {
    for (const ParamSpec& p : fault_kind(k).params) {
      if (std::find(keys.begin(), keys.end(), p.key) == keys.end()) keys.emplace_back(p.key);
    }
  }
  return keys;
}

bool declares(const FaultKindSpec& spec, std::string_view key) {
  return std::any_of(spec.params.begin(), spec.params.end(),
                     [&](const ParamSpec& p) { return key == p.key; });
}

Status read_params(TableReader& r, const fs::path& file, const FaultKindSpec& spec,
                   const std::string& at, const std::string& what, FaultConfig* fault) {
  std::vector<std::string> own;
  for (const ParamSpec& p : spec.params) own.emplace_back(p.key);
  for (const std::string& key : all_param_keys()) {
    const toml::node* node = r.node_of(key.c_str());
    if (node && !declares(spec, key)) {
      return make_error("{}: {} takes no {}{}", where(file, node->source()), what, key,
                        own.empty() ? "" : fmt::format(" (it takes {})", fmt::join(own, ", ")));
    }
  }
  for (const ParamSpec& p : spec.params) {
    double value = p.default_value.value_or(0);
    if (p.type == ParamType::kInt) {
      int i = static_cast<int>(value);
      WEDGE_CHECK(
          r.get_int(p.key, &i, static_cast<long long>(p.min), static_cast<long long>(p.max)));
      value = i;
    } else {
      WEDGE_CHECK(r.get_double(p.key, &value, p.min, p.max));
    }
    if (!p.default_value && !r.node_of(p.key)) {
      return make_error("{}: {} needs {}", at, what, p.key);
    }
    fault->params.push_back({p.key, value});
  }
  return ok_status();
}

Status read_fault(const toml::table& table, const fs::path& file, const Scenario& s,
                  FaultConfig* fault) {
  const std::string at = where(file, table.source());
  fault->line = static_cast<int>(table.source().begin.line);
  TableReader r(table, "[fault]", file);
  std::string kind_list;
  for (const std::string& k : fault_kind_names()) {
    kind_list += fmt::format("{}\"{}\"", kind_list.empty() ? "" : ", ", k);
  }
  std::string kind_name;
  WEDGE_CHECK(r.get_string("kind", &kind_name, fault_kind_names()));
  if (kind_name.empty()) {
    return make_error("{}: [[fault]] needs kind = one of {}", at, kind_list);
  }
  fault->kind = *parse_fault_kind(kind_name);
  const FaultKindSpec& kind = fault_kind(fault->kind);
  const std::string what = fmt::format("[[fault]] kind = \"{}\"", kind_name);

  double at_s = -1;
  WEDGE_CHECK(r.get_double("at_s", &at_s, 0, 7 * 24 * 3600));
  WEDGE_CHECK(r.get_string("when", &fault->when));
  if ((at_s >= 0) == (r.node_of("when") != nullptr)) {
    return make_error("{}: {} needs exactly one of at_s = SECONDS or when = \"EXPRESSION\"", at,
                      what);
  }
  if (at_s >= 0) fault->at_s = at_s;
  if (const toml::node* node = r.node_of("when")) {
    if (auto trigger = parse_trigger(fault->when); !trigger) {
      return make_error("{}: [[fault]] when = \"{}\": {}", where(file, node->source()), fault->when,
                        trigger.error().message());
    }
  }

  WEDGE_CHECK(r.get_double("duration_s", &fault->duration_s, 0, 7 * 24 * 3600));
  if (kind.lasting && !r.node_of("duration_s")) {
    return make_error("{}: {} needs duration_s (0: until the end of the run)", at, what);
  }
  if (!kind.lasting && r.node_of("duration_s")) {
    return make_error("{}: {} takes no duration_s ({})",
                      where(file, r.node_of("duration_s")->source()), what, kind.why_no_duration);
  }

  std::vector<std::string> routes;
  for (const FaultRoute& route : kind.routes) routes.emplace_back(route.via);
  WEDGE_CHECK(r.get_string("via", &fault->via, routes));
  if (routes.empty() && r.node_of("via")) {
    return make_error("{}: {} takes no via (it has one route)",
                      where(file, r.node_of("via")->source()), what);
  }
  if (fault->via.empty() && !routes.empty()) fault->via = routes.front();

  WEDGE_CHECK(r.get_int("leg", &fault->leg, 0, 1));
  if (fault->leg != 0 && !s.storage.raid1) {
    return make_error("{}: {} leg = {}: only [storage] raid1 = true has a second leg",
                      where(file, r.node_of("leg")->source()), what, fault->leg);
  }
  WEDGE_CHECK(read_params(r, file, kind, at, what, fault));
  WEDGE_CHECK(r.reject_unknown());

  if (kind.check) {
    const toml::node* first = kind.params.empty() ? nullptr : r.node_of(kind.params[0].key);
    WEDGE_CHECK(kind.check(*fault, s, first ? where(file, first->source()) : at, what));
  }
  bool endless = kind.never_ends || (kind.lasting && fault->duration_s == 0);
  if (endless && s.limits.recover) {
    return make_error(
        "{}: {} never ends, so the run cannot recover from it: set [limits] recover = false{}", at,
        what, kind.lasting ? " or give it a duration_s" : "");
  }
  return ok_status();
}

}  // namespace

Status read_faults(const toml::table& root, const fs::path& file, Scenario* s) {
  const toml::node* node = root.get("fault");
  if (!node) return ok_status();
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    return make_error("{}: 'fault' must be an array of tables ([[fault]])",
                      where(file, node->source()));
  }
  for (const toml::node& element : *array) {
    FaultConfig fault;
    WEDGE_CHECK(read_fault(*element.as_table(), file, *s, &fault));
    s->faults.push_back(std::move(fault));
  }
  return ok_status();
}

toml::table fault_to_toml(const FaultConfig& f) {
  const FaultKindSpec& spec = fault_kind(f.kind);
  toml::table t{{"kind", spec.name}};
  if (f.at_s) t.insert("at_s", *f.at_s);
  if (!f.when.empty()) t.insert("when", f.when);
  if (spec.lasting) t.insert("duration_s", f.duration_s);
  if (!f.via.empty()) t.insert("via", f.via);
  for (const ParamSpec& p : spec.params) {
    if (p.type == ParamType::kInt) {
      t.insert(p.key, f.int_param(p.key));
    } else {
      t.insert(p.key, f.param(p.key));
    }
  }
  if (f.leg != 0) t.insert("leg", f.leg);
  return t;
}

}  // namespace wedge::config
