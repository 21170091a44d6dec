#include "ctl/protocol.h"

#include <algorithm>

namespace keel::ctl {

namespace {

// Rejects nesting deeper than kMaxJsonDepth before the parser builds it (a line of 64 KiB of
// '[' would otherwise recurse 64 Ki levels).
bool depthWithinLimit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (depth > kMaxJsonDepth) return false;
  }
  return true;
}

bool validCommand(const std::string& cmd) {
  if (cmd.empty() || cmd.size() > kMaxCommandLength) return false;
  return std::all_of(cmd.begin(), cmd.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

base::Result<Request> parseRequest(std::string_view line) {
  if (line.size() > kMaxRequestBytes) {
    return tl::unexpected(base::makeError(base::ErrorCode::InvalidArgument, "request too large"));
  }
  if (!depthWithinLimit(line)) {
    return tl::unexpected(base::makeError(base::ErrorCode::Parse, "request nested too deeply"));
  }
  nlohmann::json json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return tl::unexpected(base::makeError(base::ErrorCode::Parse, "request is not valid JSON"));
  }
  if (!json.is_object()) {
    return tl::unexpected(base::makeError(base::ErrorCode::Parse, "request is not a JSON object"));
  }
  auto cmd = json.find("cmd");
  if (cmd == json.end() || !cmd->is_string()) {
    return tl::unexpected(
        base::makeError(base::ErrorCode::InvalidArgument, "request has no string \"cmd\""));
  }
  Request request{cmd->get<std::string>(), std::move(json)};
  if (!validCommand(request.cmd)) {
    return tl::unexpected(base::makeError(base::ErrorCode::InvalidArgument, "bad command name"));
  }
  return request;
}

std::optional<std::string> stringArg(const Request& request, const std::string& name) {
  auto it = request.args.find(name);
  if (it == request.args.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool flagArg(const Request& request, const std::string& name) {
  auto it = request.args.find(name);
  return it != request.args.end() && it->is_boolean() && it->get<bool>();
}

std::string okResponse(nlohmann::ordered_json body) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["ok"] = true;
  for (auto& [key, value] : body.items()) {
    if (key != "ok") out[key] = value;
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string errorResponse(std::string_view message) {
  nlohmann::ordered_json out = {{"ok", false}, {"error", std::string(message)}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<std::size_t> lineLength(std::string_view buffered) {
  auto pos = buffered.find('\n');
  if (pos == std::string_view::npos) return std::nullopt;
  return pos + 1;
}

}  // namespace keel::ctl
