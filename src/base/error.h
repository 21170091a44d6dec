// Error values and Result<T>, the one way project code reports failure.
//
// Project code does not throw: a function that can fail returns Result<T> (tl::expected from
// Debian's libexpected-dev) carrying an Error. OS failures keep errno text and the file:line that
// saw them (KEEL_SYS_ERROR). Value types; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace keel::base {

enum class ErrorCode {
  InvalidArgument,  // a value the caller (or a user's input) got wrong
  NotFound,         // a name, file or key that does not exist
  System,           // an OS call failed; Error::sys_errno says why
  Parse,            // malformed text or bytes
  Unsupported,      // understood, but keel does not do it (yet)
  Timeout,          // a deadline passed
  State,            // not possible in the current state
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::InvalidArgument;
  std::string message;
  int sys_errno = 0;           // non-zero only for ErrorCode::System
  const char* file = nullptr;  // where an OS error was seen, for KEEL_SYS_ERROR
  int line = 0;

  // "message" or, for an OS error, "message: <strerror> [file:line]".
  std::string str() const;
};

Error makeError(ErrorCode code, std::string message);
Error sysError(int err, std::string message, const char* file, int line);

// A Result<T> must be looked at: the class is [[nodiscard]], so a dropped Result warns (an error
// under -Werror).
template <class T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using Base = tl::expected<T, Error>;
  using Base::Base;
  Result(Base b) : Base(std::move(b)) {}                 // NOLINT(google-explicit-constructor)
  Result(Error e) : Base(tl::unexpect, std::move(e)) {}  // NOLINT(google-explicit-constructor)
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace keel::base

// An Error for the errno value `err`, tagged with the caller's file:line.
#define KEEL_SYS_ERROR(err, msg) ::keel::base::sysError((err), (msg), __FILE__, __LINE__)

// Evaluates `expr` (a Result); on error returns that error from the enclosing function.
#define KEEL_TRY(expr)                                      \
  do {                                                      \
    auto&& keel_try_result_ = (expr);                       \
    if (!keel_try_result_) return keel_try_result_.error(); \
  } while (0)
