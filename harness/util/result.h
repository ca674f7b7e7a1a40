// Result<T>: the error-as-value type used by every fallible function in wedge.
// An Error carries a message that gains context as it travels up the stack:
//
//   Result<int> port = pick_free_port();
//   if (!port) return port.error().context("starting nbd-server");
//   use(*port);
//
// WEDGE_TRY(auto port, pick_free_port()); does the same in one line.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace wedge {

// A failure with a human-readable, context-prefixed message.
class Error {
 public:
  explicit Error(std::string message) : message_(std::move(message)) {}

  // Returns a copy whose message reads "what: <old message>".
  [[nodiscard]] Error context(std::string_view what) const {
    return Error(fmt::format("{}: {}", what, message_));
  }
  [[nodiscard]] const std::string& message() const { return message_; }

 private:
  std::string message_;
};

// Builds an Error from a fmt format string: make_error("bind {}: {}", port, why).
template <typename... Args>
[[nodiscard]] Error make_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error(fmt::format(format, std::forward<Args>(args)...));
}

// Builds an Error from errno-style codes: errno_error("open /dev/nbd0", errno).
[[nodiscard]] Error errno_error(std::string_view what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : value_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  [[nodiscard]] bool ok() const { return value_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(value_); }
  const T& value() const& { return std::get<0>(value_); }
  T&& value() && { return std::get<0>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(value_); }

  // Adds context to the error, if any: return load(path).context("loading scenario");
  [[nodiscard]] Result context(std::string_view what) && {
    if (ok()) return std::move(*this);
    return error().context(what);
  }

 private:
  std::variant<T, Error> value_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const { return error_; }

  [[nodiscard]] Result context(std::string_view what) && {
    if (ok()) return {};
    return error_.context(what);
  }

 private:
  Error error_{""};
  bool failed_ = false;
};

using Status = Result<void>;

// Success value for Result<void>.
[[nodiscard]] inline Status ok_status() { return {}; }

}  // namespace wedge

#define WEDGE_CONCAT_INNER_(a, b) a##b
#define WEDGE_CONCAT_(a, b) WEDGE_CONCAT_INNER_(a, b)

// WEDGE_TRY(auto x, expr): evaluates expr (a Result); on error returns the error
// from the enclosing function, else binds the value to the declaration.
#define WEDGE_TRY(decl, expr)                                                                   \
  auto WEDGE_CONCAT_(wedge_try_, __LINE__) = (expr);                                            \
  if (!WEDGE_CONCAT_(wedge_try_, __LINE__)) return WEDGE_CONCAT_(wedge_try_, __LINE__).error(); \
  decl = std::move(*WEDGE_CONCAT_(wedge_try_, __LINE__))

// WEDGE_CHECK(expr): evaluates a Status; on error returns it.
#define WEDGE_CHECK(expr)                                         \
  do {                                                            \
    auto wedge_check_status_ = (expr);                            \
    if (!wedge_check_status_) return wedge_check_status_.error(); \
  } while (0)
