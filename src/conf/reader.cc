#include "conf/reader.h"

#include "conf/binder.h"
#include "conf/statement.h"
#include "model/validate.h"

namespace keel::conf {

namespace {

// Binds the tree and adds the whole-config checks, each at the statement at fault (else the main
// file). Nothing is bound or checked once the budget is spent: the configuration is rejected
// anyway.
model::Config bindAndValidate(const std::string& name, const std::vector<LogicalLine>& lines,
                              Diagnostics& diags, Budget& budget, SourceIndex* index) {
  SourceIndex own;
  if (index == nullptr) index = &own;
  model::Config config;
  Binder binder(diags, index);
  buildStatements(
      lines, diags,
      [&](Statement&& s) {
        if (!budget.spent()) binder.bind(s, config);
      },
      &budget);
  if (budget.spent()) return config;
  binder.finish(config, name);
  for (const model::Problem& p : model::validate(config)) {
    index->report(diags, name, p.error, p.message, p.subject);
  }
  return config;
}

}  // namespace

base::Result<model::Config> readConfig(const std::string& path, const PreprocessOptions& options,
                                       Diagnostics& diags, SourceIndex* index) {
  Budget budget(options.budgets, diags, options.clock, options.cancel);
  auto lines = Preprocessor(options, &budget).run(path, diags);
  if (!lines) return lines.error();
  return bindAndValidate(path, *lines, diags, budget, index);
}

model::Config readConfigText(const std::string& name, std::string_view text,
                             const PreprocessOptions& options, Diagnostics& diags,
                             SourceIndex* index) {
  Budget budget(options.budgets, diags, options.clock, options.cancel);
  auto lines = Preprocessor(options, &budget).runText(name, text, diags);
  return bindAndValidate(name, lines, diags, budget, index);
}

}  // namespace keel::conf
