#include "ctl/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace keel::ctl {

namespace {

std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string labelText(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" + escapeLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string response(std::string_view status, std::string_view type, const std::string& body) {
  return fmt::format(
      "HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, type, body.size(), body);
}

}  // namespace

void MetricsText::family(std::string name, std::string type, std::string help) {
  families_.push_back({std::move(name), std::move(type), std::move(help), {}});
}

void MetricsText::add(const std::string& name, const Labels& labels, double value) {
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&name](const Family& f) { return f.name == name; });
  if (it == families_.end()) return;
  it->samples.push_back(name + labelText(labels) + " " + formatValue(value) + "\n");
}

std::string MetricsText::str() const {
  std::string out;
  for (const Family& f : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escapeHelp(f.help), f.name, f.type);
    for (const std::string& s : f.samples) out += s;
  }
  return out;
}

std::string escapeLabelValue(std::string_view value) { return escape(value, true); }

std::string escapeHelp(std::string_view help) { return escape(help, false); }

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

std::string httpResponse(std::string_view request_head, const std::string& body) {
  const auto line_end = request_head.find_first_of("\r\n");
  const std::string_view line = request_head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1).rfind("HTTP/", 0) != 0) {
    return response("400 Bad Request", "text/plain", "bad request\n");
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  if (method != "GET") return response("405 Method Not Allowed", "text/plain", "GET only\n");
  if (target != "/metrics") return response("404 Not Found", "text/plain", "try /metrics\n");
  return response("200 OK", kMetricsContentType, body);
}

std::optional<std::size_t> httpHeadLength(std::string_view buffered) {
  const auto crlf = buffered.find("\r\n\r\n");
  const auto lf = buffered.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::nullopt;
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) {
    return crlf + 4;
  }
  return lf + 2;
}

}  // namespace keel::ctl
