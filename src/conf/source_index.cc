#include "conf/source_index.h"

namespace keel::conf {

void SourceIndex::note(model::Subject path, Location where, std::string_view source) {
  places_.insert_or_assign(std::move(path), Place{std::move(where), std::string(source)});
}

const SourceIndex::Place* SourceIndex::find(const model::Subject& path) const {
  model::Subject prefix = path;
  while (!prefix.empty()) {
    if (auto it = places_.find(prefix); it != places_.end()) return &it->second;
    prefix.pop_back();
  }
  return nullptr;
}

void SourceIndex::report(Diagnostics& diags, const std::string& file, bool error,
                         std::string message, const model::Subject& subject) const {
  const Place* place = find(subject);
  Diagnostic d{
      error ? Severity::Error : Severity::Warning, Location{file, 0, 0}, std::move(message), {}};
  if (place != nullptr) {
    d.where = place->where;
    d.source_line = place->source;
  }
  diags.add(std::move(d));
}

}  // namespace keel::conf
