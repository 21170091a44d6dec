// readConfig(): the whole reader in one call — preprocess a keepalived.conf and its includes,
// build the statement tree, bind it into a model::Config — collecting every diagnostic. This is
// what `keeld -t`, start-up and reload call. Pure apart from reading the files; one thread.
#pragma once

#include <string>

#include "base/error.h"
#include "conf/diagnostics.h"
#include "conf/preprocessor.h"
#include "conf/source_index.h"
#include "model/config.h"

namespace keel::conf {

// Errors: only when the main file cannot be read at all (NotFound when it is missing). A config
// with problems still yields the best model that could be bound; `diags` says what is wrong,
// semantic problems at the statement at fault. `index`, when given, keeps those places for the
// caller's own checks (keeld -t's interface and script checks).
base::Result<model::Config> readConfig(const std::string& path, const PreprocessOptions& options,
                                       Diagnostics& diags, SourceIndex* index = nullptr);

// The same over text in memory, named `name` in diagnostics (tests, fuzzing).
model::Config readConfigText(const std::string& name, std::string_view text,
                             const PreprocessOptions& options, Diagnostics& diags,
                             SourceIndex* index = nullptr);

}  // namespace keel::conf
