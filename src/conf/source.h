// Source files of a configuration, read defensively: a config file is untrusted input.
//
// readSource() opens without following the file into anything but a regular file (a FIFO,
// /dev/zero or a directory is refused before a byte is read), caps the file size, and splits
// lines. CRLF endings are accepted; a line with a NUL byte or invalid UTF-8, or longer than the
// limit, is reported with its line and column and dropped (never truncated and reused). The
// (device, inode) pair lets the include processor detect loops. Pure apart from the read; any
// thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "base/error.h"
#include "conf/diagnostics.h"

namespace keel::conf {

struct SourceLimits {
  std::size_t max_file_bytes = 16 << 20;  // 16 MiB, far above any real keepalived.conf
  std::size_t max_line_bytes = 4096;      // keepalived's MAXBUF is 1024; generous, still bounded
};

struct SourceLine {
  int number = 0;    // 1-based line number in the file
  std::string text;  // without the end of line
};

struct SourceFile {
  std::string path;
  dev_t device = 0;
  ino_t inode = 0;
  std::vector<SourceLine> lines;  // dropped lines are absent; numbers stay the file's own
};

// Reads `path`. Errors (the file cannot be used at all): NotFound, System (permission, I/O),
// InvalidArgument (not a regular file, larger than the limit). Problems within a line go to
// `diags` and drop that line.
base::Result<SourceFile> readSource(const std::string& path, const SourceLimits& limits,
                                    Diagnostics& diags);

// Splits text that is already in memory (same line rules), for tests and for definitions.
std::vector<SourceLine> splitLines(const std::string& path, std::string_view text,
                                   const SourceLimits& limits, Diagnostics& diags);

// The 1-based column of the first byte that breaks UTF-8 in `text`, or 0 if it is valid.
int firstInvalidUtf8Column(std::string_view text);

}  // namespace keel::conf
