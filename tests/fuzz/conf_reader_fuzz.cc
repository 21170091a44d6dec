// libFuzzer target over the config reader: arbitrary bytes as a keepalived.conf, through the
// preprocessor (conditionals, macros, generators), the statement builder and the binder. The
// property is the reader's contract for untrusted input: no crash, no sanitizer report, no hang
// and bounded memory, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conf/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keel::conf;  // NOLINT(google-build-using-namespace): one fuzz entry point
  std::string_view text(reinterpret_cast<const char*>(data), size);
  PreprocessOptions options;
  options.config_id = "main";
  options.budgets.max_lines = 10'000;
  options.budgets.max_line_bytes = 64 << 10;
  options.budgets.max_iterations = 10'000;
  Diagnostics diags;
  // Includes resolve against a folder that does not exist, so the fuzzer cannot reach files.
  auto config = readConfigText("/nonexistent/keel-fuzz/keepalived.conf", text, options, diags);
  (void)diags.renderAll();
  return 0;
}
