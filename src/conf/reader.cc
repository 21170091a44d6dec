#include "conf/reader.h"

#include "conf/binder.h"
#include "conf/statement.h"
#include "model/validate.h"

namespace keel::conf {

namespace {

// Binds the tree and adds the whole-config checks, reported against the main file. Nothing is
// bound or checked once the budget is spent: the configuration is rejected anyway.
model::Config bindAndValidate(const std::string& name, const std::vector<LogicalLine>& lines,
                              Diagnostics& diags, Budget& budget) {
  model::Config config;
  buildStatements(
      lines, diags,
      [&](Statement&& s) {
        if (!budget.spent()) bindTopLevel(s, config, diags);
      },
      &budget);
  if (budget.spent()) return config;
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
  Budget budget(options.budgets, diags, options.clock);
  auto lines = Preprocessor(options, &budget).run(path, diags);
  if (!lines) return lines.error();
  return bindAndValidate(path, *lines, diags, budget);
}

model::Config readConfigText(const std::string& name, std::string_view text,
                             const PreprocessOptions& options, Diagnostics& diags) {
  Budget budget(options.budgets, diags, options.clock);
  auto lines = Preprocessor(options, &budget).runText(name, text, diags);
  return bindAndValidate(name, lines, diags, budget);
}

}  // namespace keel::conf
