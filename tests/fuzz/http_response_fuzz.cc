// libFuzzer target over the HTTP response parser the HTTP_GET/SSL_GET checkers use: arbitrary
// bytes as a backend's response, fed whole and in pieces whose sizes come from the first byte,
// in both body modes, with small caps so the limits are reached. The property: no crash, no
// sanitizer report, memory bounded by the caps, and the split never changes the outcome.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "check/http_response.h"

namespace {

using keel::check::BodyMode;
using keel::check::HttpLimits;
using keel::check::HttpResponseParser;

HttpLimits smallLimits() {
  HttpLimits limits;
  limits.max_line = 256;
  limits.max_header_bytes = 2048;
  limits.max_header_lines = 16;
  limits.max_body = 4096;
  limits.max_interim = 3;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = (data[0] % 7) + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  for (const BodyMode mode : {BodyMode::Status, BodyMode::Digest}) {
    HttpResponseParser whole(mode, smallLimits());
    whole.feed(bytes);
    whole.finish();
    HttpResponseParser pieces(mode, smallLimits());
    for (std::size_t at = 0; at < bytes.size(); at += step) pieces.feed(bytes.substr(at, step));
    pieces.finish();
    if (whole.state() != pieces.state() || whole.error() != pieces.error() ||
        whole.status() != pieces.status()) {
      std::abort();
    }
    if (whole.state() == HttpResponseParser::State::Done && mode == BodyMode::Digest &&
        whole.digestHex() != pieces.digestHex()) {
      std::abort();
    }
  }
  return 0;
}
