#include "base/error.h"

#include <cstring>

#include <fmt/format.h>

namespace keel::base {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "invalid argument";
    case ErrorCode::NotFound:
      return "not found";
    case ErrorCode::System:
      return "system error";
    case ErrorCode::Parse:
      return "parse error";
    case ErrorCode::Unsupported:
      return "unsupported";
    case ErrorCode::Timeout:
      return "timeout";
    case ErrorCode::State:
      return "wrong state";
  }
  return "unknown";
}

std::string Error::str() const {
  if (code != ErrorCode::System) return message;
  std::string s = fmt::format("{}: {}", message, std::strerror(sys_errno));
  if (file != nullptr) {
    std::string_view f(file);
    if (auto pos = f.rfind("src/"); pos != std::string_view::npos) f.remove_prefix(pos + 4);
    s += fmt::format(" [{}:{}]", f, line);
  }
  return s;
}

Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message), 0, nullptr, 0};
}

Error sysError(int err, std::string message, const char* file, int line) {
  return Error{ErrorCode::System, std::move(message), err, file, line};
}

}  // namespace keel::base
