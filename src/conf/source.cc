#include "conf/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace keel::conf {

namespace {

using base::ErrorCode;

// Length of the UTF-8 sequence starting with `lead`, 0 if `lead` cannot start one.
int sequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

// Whether the continuation bytes of the sequence at `s[i]` (length n) are valid, rejecting
// overlong forms, surrogates and code points above U+10FFFF (RFC 3629 §4).
bool validSequence(std::string_view s, std::size_t i, int n) {
  if (i + static_cast<std::size_t>(n) > s.size()) return false;
  auto byte = [&](int k) { return static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]); };
  for (int k = 1; k < n; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return false;
  }
  unsigned char lead = byte(0);
  if (n == 3 && lead == 0xe0 && byte(1) < 0xa0) return false;  // overlong
  if (n == 3 && lead == 0xed && byte(1) > 0x9f) return false;  // surrogate
  if (n == 4 && lead == 0xf0 && byte(1) < 0x90) return false;  // overlong
  if (n == 4 && lead == 0xf4 && byte(1) > 0x8f) return false;  // above U+10FFFF
  return true;
}

// Checks one line; on a problem reports it and returns false.
bool acceptLine(const std::string& path, int number, std::string_view text,
                const SourceLimits& limits, Diagnostics& diags) {
  Location where{path, number, 0};
  if (text.size() > limits.max_line_bytes) {
    diags.error(where, fmt::format("line too long ({} bytes, at most {}) - ignoring", text.size(),
                                   limits.max_line_bytes));
    return false;
  }
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    where.col = static_cast<int>(nul) + 1;
    diags.error(where, "NUL byte in line - ignoring");
    return false;
  }
  if (int col = firstInvalidUtf8Column(text); col != 0) {
    where.col = col;
    diags.error(where, "invalid UTF-8 in line - ignoring");
    return false;
  }
  return true;
}

}  // namespace

int firstInvalidUtf8Column(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    int n = sequenceLength(static_cast<unsigned char>(text[i]));
    if (n == 0 || !validSequence(text, i, n)) return static_cast<int>(i) + 1;
    i += static_cast<std::size_t>(n);
  }
  return 0;
}

std::vector<SourceLine> splitLines(const std::string& path, std::string_view text,
                                   const SourceLimits& limits, Diagnostics& diags) {
  std::vector<SourceLine> lines;
  int number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (acceptLine(path, number, line, limits, diags)) {
      lines.push_back({number, std::string(line)});
    }
  }
  return lines;
}

base::Result<SourceFile> readSource(const std::string& path, const SourceLimits& limits,
                                    Diagnostics& diags) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat() can refuse it.
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT)
      return base::makeError(ErrorCode::NotFound, fmt::format("{}: no such file", path));
    return KEEL_SYS_ERROR(errno, fmt::format("cannot open {}", path));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return KEEL_SYS_ERROR(errno, fmt::format("cannot stat {}", path));
  if (!S_ISREG(st.st_mode)) {
    return base::makeError(ErrorCode::InvalidArgument, fmt::format("{}: not a regular file", path));
  }
  if (static_cast<std::size_t>(st.st_size) > limits.max_file_bytes) {
    return base::makeError(ErrorCode::InvalidArgument,
                           fmt::format("{}: too large ({} bytes, at most {})", path, st.st_size,
                                       limits.max_file_bytes));
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  std::array<char, 65536> chunk{};
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return KEEL_SYS_ERROR(errno, fmt::format("cannot read {}", path));
    if (n == 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(n));
    if (text.size() > limits.max_file_bytes) {  // it grew while we read it
      return base::makeError(
          ErrorCode::InvalidArgument,
          fmt::format("{}: too large (more than {} bytes)", path, limits.max_file_bytes));
    }
  }
  return SourceFile{path, st.st_dev, st.st_ino, splitLines(path, text, limits, diags)};
}

}  // namespace keel::conf
