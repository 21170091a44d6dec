// Where keeld keeps its runtime files (pid file, control socket, dumps) and where keelctl looks
// for them, decided by one rule so the two always agree.
//
// The base is --runtime-dir, else /run/keel for root, else $XDG_RUNTIME_DIR/keel. Under it, as
// keepalived's /run/keepalived/INSTANCE/, an instance subdirectory: --instance, else the
// config's `instance`, else the name of the named network namespace (`ip netns`) the process runs
// in. One keeld per namespace — how the tests and the seed lab run them — never collide, and a
// keelctl started in the same namespace finds its keeld without flags.
#pragma once

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
  std::optional<std::string> netns;  // the named network namespace we run in, if any

  static RuntimeEnvironment current();
};

// The runtime directory (not created). Errors: InvalidArgument for an instance name that is
// empty, ".", ".." or holds a '/'; NotFound when no base can be chosen (not root, no
// --runtime-dir, no XDG_RUNTIME_DIR).
base::Result<std::string> runtimeDir(const RuntimeDirRequest& request,
                                     const RuntimeEnvironment& env = RuntimeEnvironment::current());

// The name under `netns_dir` of the network namespace this process runs in (the file whose
// inode is /proc/self/ns/net's), or nullopt in a namespace without a name.
std::optional<std::string> currentNetnsName(const std::string& netns_dir = "/run/netns");

// Creates `path` and its missing parents with mode 0700. Errors: System; InvalidArgument when
// `path` exists and is not a directory (a symlink is refused, never followed).
base::Status makeRuntimeDir(const std::string& path);

// Writes DIR/NAME for an operator: DIR is created 0700 if missing; the file is replaced, never
// followed through a symlink, and readable by its owner only (0600).
base::Status writeRuntimeFile(const std::string& dir, const std::string& name,
                              const std::string& text);

}  // namespace keel::app
