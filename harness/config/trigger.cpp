// Implementation of trigger.h: a hand-written tokenizer and a two-level (or/and) parser.
#include "harness/config/trigger.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace wedge::config {

namespace {

constexpr std::array<std::pair<Metric, const char*>, 7> kMetrics = {{
    {Metric::kElapsedS, "elapsed_s"},
    {Metric::kSwapUsedMib, "swap_used_mib"},
    {Metric::kMemfreeMib, "memfree_mib"},
    {Metric::kDirtyMib, "dirty_mib"},
    {Metric::kWritebackMib, "writeback_mib"},
    {Metric::kPswpout, "pswpout"},
    {Metric::kWorkloadMib, "workload_mib"},
}};

constexpr std::array<std::pair<CompareOp, const char*>, 5> kOps = {{
    {CompareOp::kGreaterEqual, ">="},
    {CompareOp::kLessEqual, "<="},
    {CompareOp::kEqual, "=="},
    {CompareOp::kGreater, ">"},
    {CompareOp::kLess, "<"},
}};

std::string known_names() {
  std::string out;
  for (const auto& [metric, name] : kMetrics) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_op_char(char c) { return c == '<' || c == '>' || c == '=' || c == '!'; }

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
}

// Splits text into words, operators and numbers, remembering where each starts.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  struct Token {
    std::string_view text;  // empty at the end
    size_t column = 0;      // 1-based
  };

  Token next() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    size_t start = pos_;
    if (pos_ < text_.size()) {
      char c = text_[pos_];
      auto take = [&](auto pred) {
        while (pos_ < text_.size() && pred(text_[pos_])) ++pos_;
      };
      if (is_op_char(c)) {
        take(is_op_char);
      } else if ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+') {
        take(is_number_char);
      } else if (is_word_char(c)) {
        take(is_word_char);
      } else {
        ++pos_;  // a stray character: its own token, refused by the parser
      }
    }
    return {text_.substr(start, pos_ - start), start + 1};
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Result<Comparison> parse_comparison(Lexer& lexer) {
  Comparison cmp;
  Lexer::Token name = lexer.next();
  if (name.text.empty()) {
    return make_error("column {}: expected a name ({}) but the expression ended", name.column,
                      known_names());
  }
  bool found = false;
  for (const auto& [metric, spelling] : kMetrics) {
    if (name.text == spelling) {
      cmp.metric = metric;
      found = true;
    }
  }
  if (!found) {
    return make_error("column {}: unknown name '{}' (known: {})", name.column, name.text,
                      known_names());
  }
  Lexer::Token op = lexer.next();
  found = false;
  for (const auto& [o, spelling] : kOps) {
    if (op.text == spelling) {
      cmp.op = o;
      found = true;
    }
  }
  if (!found) {
    return make_error("column {}: expected one of > >= < <= == after '{}', got '{}'", op.column,
                      name.text, op.text.empty() ? "the end" : op.text);
  }
  Lexer::Token number = lexer.next();
  const char* first = number.text.data();
  const char* last = first + number.text.size();
  if (!number.text.empty() && *first == '+') ++first;
  auto [end, ec] = std::from_chars(first, last, cmp.value);
  if (number.text.empty() || ec != std::errc() || end != last || !std::isfinite(cmp.value)) {
    return make_error("column {}: expected a number after '{} {}', got '{}'", number.column,
                      name.text, op.text, number.text.empty() ? "the end" : number.text);
  }
  return cmp;
}

std::optional<double> value_of(Metric metric, const GuestNumbers& n) {
  switch (metric) {
    case Metric::kElapsedS:
      return n.elapsed_s;
    case Metric::kSwapUsedMib:
      return n.swap_used_mib;
    case Metric::kMemfreeMib:
      return n.memfree_mib;
    case Metric::kDirtyMib:
      return n.dirty_mib;
    case Metric::kWritebackMib:
      return n.writeback_mib;
    case Metric::kPswpout:
      return n.pswpout;
    case Metric::kWorkloadMib:
      return n.workload_mib;
  }
  return std::nullopt;
}

bool holds(const Comparison& cmp, const GuestNumbers& numbers) {
  std::optional<double> v = value_of(cmp.metric, numbers);
  if (!v) return false;
  switch (cmp.op) {
    case CompareOp::kGreater:
      return *v > cmp.value;
    case CompareOp::kGreaterEqual:
      return *v >= cmp.value;
    case CompareOp::kLess:
      return *v < cmp.value;
    case CompareOp::kLessEqual:
      return *v <= cmp.value;
    case CompareOp::kEqual:
      return *v == cmp.value;
  }
  return false;
}

}  // namespace

const char* metric_name(Metric metric) {
  for (const auto& [m, name] : kMetrics) {
    if (m == metric) return name;
  }
  return "?";
}

Result<Trigger> parse_trigger(std::string_view text) {
  Trigger trigger;
  Lexer lexer(text);
  trigger.any_of.emplace_back();
  while (true) {
    WEDGE_TRY(Comparison cmp, parse_comparison(lexer));
    trigger.any_of.back().push_back(cmp);
    Lexer::Token joiner = lexer.next();
    if (joiner.text.empty()) break;
    if (joiner.text == "or") {
      trigger.any_of.emplace_back();
    } else if (joiner.text != "and") {
      return make_error("column {}: expected 'and', 'or' or the end, got '{}'", joiner.column,
                        joiner.text);
    }
  }
  return trigger;
}

bool evaluate(const Trigger& trigger, const GuestNumbers& numbers) {
  for (const auto& group : trigger.any_of) {
    bool all = !group.empty();
    for (const Comparison& cmp : group) all = all && holds(cmp, numbers);
    if (all) return true;
  }
  return false;
}

std::string to_string(const Trigger& trigger) {
  std::string out;
  for (const auto& group : trigger.any_of) {
    if (!out.empty()) out += " or ";
    bool first = true;
    for (const Comparison& cmp : group) {
      if (!first) out += " and ";
      first = false;
      const char* op = "?";
      for (const auto& [o, spelling] : kOps) {
        if (o == cmp.op) op = spelling;
      }
      out += fmt::format("{} {} {}", metric_name(cmp.metric), op, cmp.value);
    }
  }
  return out;
}

}  // namespace wedge::config
