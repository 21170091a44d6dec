// Where keeld keeps its runtime files (pid file, control socket, dumps) and where keelctl looks
// for them, decided by one rule so the two always agree.
//
// The base is --runtime-dir, else /run/keel for root, else $XDG_RUNTIME_DIR/keel, else (as tmux
// does) a per-user directory in the temporary directory, $TMPDIR/keel-UID or /tmp/keel-UID.
// Under it, as keepalived's /run/keepalived/INSTANCE/, an instance subdirectory: --instance, else
// the config's `instance`, else the name of the named network namespace (`ip netns`) the process
// runs in. One keeld per namespace — how the tests and the seed lab run them — never collide, and a
// keelctl started in the same namespace finds its keeld without flags.
//
// keeld trusts the directory only when nobody else can change what is in it: it must be a real
// directory (not a symlink) owned by keeld's user and writable by nobody else (0700 expected),
// and every directory above it (symlinks resolved) owned by root or keeld's user and, when others
// may write to it, sticky (as /tmp). Anything else is refused with a message naming the fix.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/error.h"

namespace keel::app {

struct RuntimeDirRequest {
  std::optional<std::string> base;      // --runtime-dir
  std::optional<std::string> instance;  // --instance, else the config's `instance`
};

// What the process's environment contributes to the rule; from the process by default.
struct RuntimeEnvironment {
  bool root = false;
  std::optional<std::string> xdg_runtime_dir;
  std::optional<std::string> netns;   // the named network namespace we run in, if any
  uid_t uid = 0;                      // the effective uid
  std::optional<std::string> tmpdir;  // $TMPDIR when it is an absolute path

  static RuntimeEnvironment current();
};

// The runtime directory (not created). Errors: InvalidArgument for an instance name that is
// empty, ".", ".." or holds a '/'.
base::Result<std::string> runtimeDir(const RuntimeDirRequest& request,
                                     const RuntimeEnvironment& env = RuntimeEnvironment::current());

// Whether the rule fell back to the temporary directory (not root, no --runtime-dir, no
// XDG_RUNTIME_DIR): keeld says so once in its log.
bool usesTemporaryBase(const RuntimeDirRequest& request, const RuntimeEnvironment& env);

// The name under `netns_dir` of the network namespace this process runs in (the file whose
// inode is /proc/self/ns/net's), or nullopt in a namespace without a name.
std::optional<std::string> currentNetnsName(const std::string& netns_dir = "/run/netns");

// Creates `path` and its missing parents with mode 0700 (each mkdir exclusive: one that exists
// is checked, not trusted), then checks it as the header says. Errors: System; InvalidArgument
// when `path` is not a directory (a symlink is refused, never followed); State when someone else
// owns it or could write to it or to a directory above it.
base::Status makeRuntimeDir(const std::string& path);

// Writes DIR/NAME for an operator: DIR is created 0700 if missing; the file is replaced, never
// followed through a symlink, and readable by its owner only (0600).
base::Status writeRuntimeFile(const std::string& dir, const std::string& name,
                              const std::string& text);

}  // namespace keel::app
