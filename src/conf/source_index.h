// SourceIndex: where in the files each block of a configuration, and the statements checked
// after binding, were written, so that a problem found later (model::validate, keeld -t's checks
// of interfaces and scripts) names the file:line:col of the statement at fault as a syntax error
// does. The binder notes places by the same paths model::Problem::subject uses
// ({"vrrp_instance", "VI_1", "interface"}, ...); the model keeps no positions. Filled by one parse;
// read by any thread once complete.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "conf/diagnostics.h"
#include "model/validate.h"

namespace keel::conf {

class SourceIndex {
 public:
  struct Place {
    Location where;
    std::string source;  // the line, for the caret
  };

  // Records `path`'s place; a later note of the same path (a block defined twice) replaces it.
  void note(model::Subject path, Location where, std::string_view source);

  // The place of `path` or, failing that, of its longest prefix that has one; null if none.
  const Place* find(const model::Subject& path) const;

  // Reports `message` at `subject`'s place, or at `file` alone when the index has none.
  void report(Diagnostics& diags, const std::string& file, bool error, std::string message,
              const model::Subject& subject) const;

  std::size_t size() const { return places_.size(); }

 private:
  std::map<model::Subject, Place> places_;
};

}  // namespace keel::conf
