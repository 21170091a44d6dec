#include "conf/reader.h"

#include "conf/binder.h"
#include "conf/statement.h"
#include "model/validate.h"

namespace keel::conf {

namespace {

// Binds the tree and adds the whole-config checks, reported against the main file.
model::Config bindAndValidate(const std::string& name, const std::vector<LogicalLine>& lines,
                              Diagnostics& diags) {
  model::Config config;
  buildStatements(lines, diags, [&](Statement&& s) { bindTopLevel(s, config, diags); });
  for (const model::Problem& p : model::validate(config)) {
    if (p.error) {
      diags.error({name, 0, 0}, p.message);
    } else {
      diags.warning({name, 0, 0}, p.message);
    }
  }
  return config;
}

}  // namespace

base::Result<model::Config> readConfig(const std::string& path, const PreprocessOptions& options,
                                       Diagnostics& diags) {
  auto lines = Preprocessor(options).run(path, diags);
  if (!lines) return lines.error();
  return bindAndValidate(path, *lines, diags);
}

model::Config readConfigText(const std::string& name, std::string_view text,
                             const PreprocessOptions& options, Diagnostics& diags) {
  auto lines = Preprocessor(options).runText(name, text, diags);
  return bindAndValidate(name, lines, diags);
}

}  // namespace keel::conf
