// The Prometheus text exposition format, version 0.0.4 (docs/metrics.md): metric families with
// their # HELP and # TYPE lines and samples, label values escaped as the format requires
// (backslash, double quote, line feed). app fills one per scrape. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel::ctl {

using Labels = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsText {
 public:
  // Declares a family (type "counter", "gauge", ...). Samples of a family are written together
  // under its HELP/TYPE lines even when added in between others. A family without samples is
  // written with its HELP/TYPE lines only.
  void family(std::string name, std::string type, std::string help);
  // REQUIRES: `name` declared by family().
  void add(const std::string& name, const Labels& labels, double value);

  std::string str() const;

 private:
  struct Family {
    std::string name;
    std::string type;
    std::string help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
};

std::string escapeLabelValue(std::string_view value);
std::string escapeHelp(std::string_view help);
// A sample value: integers without a fraction, NaN and infinities as Prometheus spells them.
std::string formatValue(double value);

// The HTTP/1.0 side of the metrics listener: the response to one request head. GET /metrics
// (query string ignored) -> 200 with `body`; another path -> 404; another method -> 405; a
// head that does not parse -> 400. Always "Connection: close".
std::string httpResponse(std::string_view request_head, const std::string& body);
// How many bytes of `buffered` form the request head (through "\r\n\r\n" or "\n\n"), or nullopt.
std::optional<std::size_t> httpHeadLength(std::string_view buffered);

}  // namespace keel::ctl
