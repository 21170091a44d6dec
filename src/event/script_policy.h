// How keeld runs a configured script (docs/reference/keepalived.md §1.6, §2.11): as its own user,
// else the global script_user, else `keepalived_script` when that user exists, else root; and, with
// enable_script_security, never as root when the program or a directory above it is writable by
// anyone but root. The path is resolved first (every symlink, as keepalived does) and each
// directory of the real path is judged, so a link in a safe place to a directory a user can
// swap is refused; the resolved path is what runs, so nothing swapped after the check does. A
// script for another user is run through setpriv(1) (util-linux), since posix_spawn cannot
// change credentials. Reads /etc/passwd and the file system; any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace keel::event {

struct ScriptPolicy {
  bool enable_script_security = false;
  std::string default_user;   // global_defs script_user; empty: keepalived_script, else root
  std::string default_group;  // empty: the user's primary group
};

struct ScriptSpec {
  std::vector<std::string> argv;
  std::string user;   // empty: the policy's default
  std::string group;  // empty: the user's primary group
};

// The argv to spawn for `spec`. Errors: NotFound for an unknown user or group or a program that
// is not found; InvalidArgument ("Unsafe permissions found for script ...") when script
// security refuses it.
base::Result<std::vector<std::string>> prepareScript(const ScriptSpec& spec,
                                                     const ScriptPolicy& policy);

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;  // the user's primary group
};

// The uid and primary gid of `user`. Errors: NotFound ("unknown user NAME").
base::Result<Credentials> lookupUser(const std::string& user);
// The gid of `group`. Errors: NotFound ("unknown group NAME").
base::Result<gid_t> lookupGroup(const std::string& group);

// The program as execvp would find it: a name with '/' as is, else the first match in PATH.
// With `executable` only a regular file keeld may execute counts, else any regular file (as
// keepalived judges script security). Errors: NotFound.
base::Result<std::string> findProgram(const std::string& program, bool executable = true);

// Whether `path` and every directory above it are writable by root only (owned by root and not
// group- or world-writable, or group-writable by root's group), judged on the real path: every
// symlink is resolved first. False when the path cannot be resolved.
bool securePath(const std::string& path);

// `path` with every symlink resolved (realpath(3)). Errors: System.
base::Result<std::string> realPath(const std::string& path);

}  // namespace keel::event
