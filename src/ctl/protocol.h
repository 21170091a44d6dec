// The control socket's protocol (docs/keelctl.md): JSON lines. A client sends one request per
// line, a JSON object {"cmd": "NAME", ...arguments}, and gets one line back: {"ok": true, ...}
// or {"ok": false, "error": "..."}. Requests come from a local but untrusted peer: every parse
// here is bounded and returns an error, never throws. Pure; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace keel::ctl {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
inline constexpr std::size_t kMaxCommandLength = 32;
inline constexpr int kMaxJsonDepth = 16;

struct Request {
  std::string cmd;      // [a-z0-9-]{1,32}
  nlohmann::json args;  // the whole request object (cmd included)
};

// Parses one request line (without its '\n'). Errors (Parse, InvalidArgument) name what is
// wrong: not JSON, nested deeper than kMaxJsonDepth, not an object, no string "cmd", a command
// name outside [a-z0-9-]{1,32}.
base::Result<Request> parseRequest(std::string_view line);

// A string argument, or nullopt when absent or not a string.
std::optional<std::string> stringArg(const Request& request, const std::string& name);
// A boolean argument; false when absent or not a boolean.
bool flagArg(const Request& request, const std::string& name);

// One response line, '\n' terminated. `body` must be an object; "ok" is set first.
std::string okResponse(nlohmann::ordered_json body = nlohmann::ordered_json::object());
std::string errorResponse(std::string_view message);

// How many bytes of `buffered` form the first complete line (its '\n' included), or nullopt.
std::optional<std::size_t> lineLength(std::string_view buffered);

}  // namespace keel::ctl
