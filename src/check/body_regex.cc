#include "check/body_regex.h"

#include <algorithm>
#include <array>

namespace keel::check {

BodyRegex::BodyRegex(std::shared_ptr<const base::Regex> regex, const model::HttpRegex& spec)
    : regex_(std::move(regex)), min_offset_(spec.min_offset), max_offset_(spec.max_offset) {
  match_data_ = pcre2_match_data_create_from_pattern(regex_->code(), nullptr);
  if (spec.stack && regex_->jit()) {
    jit_stack_ = pcre2_jit_stack_create(spec.stack->first, spec.stack->second, nullptr);
    context_ = pcre2_match_context_create(nullptr);
    if (jit_stack_ != nullptr && context_ != nullptr) {
      pcre2_jit_stack_assign(context_, nullptr, jit_stack_);
    }
  }
}

BodyRegex::~BodyRegex() {
  pcre2_match_data_free(match_data_);
  pcre2_match_context_free(context_);
  pcre2_jit_stack_free(jit_stack_);
}

void BodyRegex::feed(std::string_view bytes) {
  if (decided_ || bytes.empty()) return;
  // Bytes that end before min_offset minus the lookbehind can neither hold a match's start nor
  // be looked behind at: drop them unseen.
  const std::uint64_t lookbehind = context();
  const std::uint64_t first_useful = min_offset_ > lookbehind ? min_offset_ - lookbehind : 0;
  const std::uint64_t end = base_ + window_.size();
  if (end < first_useful) {
    const std::uint64_t skip = std::min<std::uint64_t>(first_useful - end, bytes.size());
    bytes.remove_prefix(static_cast<std::size_t>(skip));
    base_ += skip;
    if (bytes.empty()) return;
  }
  window_.append(bytes);
  run(true);
}

void BodyRegex::finish() {
  if (decided_) return;
  run(false);
  if (!decided_) decide(false);
}

void BodyRegex::run(bool partial) {
  std::size_t start = start_;
  if (min_offset_ > base_) start = std::max<std::size_t>(start, min_offset_ - base_);
  if (max_offset_ && base_ + start > *max_offset_) return decide(false);
  if (start > window_.size()) return;  // min_offset lies beyond the bytes seen so far
  const int rc =
      pcre2_match(regex_->code(), reinterpret_cast<PCRE2_SPTR>(window_.data()), window_.size(),
                  start, partial ? PCRE2_PARTIAL_HARD : 0u, match_data_, context_);
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data_);
  if (rc >= 0) return decide(!max_offset_ || base_ + ovector[0] <= *max_offset_);
  if (rc == PCRE2_ERROR_PARTIAL) return onPartial(ovector[0]);
  if (rc == PCRE2_ERROR_NOMATCH) {
    if (!partial) return decide(false);
    return keepTail(std::min(context(), window_.size()));
  }
  std::array<PCRE2_UCHAR, 256> buf{};
  pcre2_get_error_message(rc, buf.data(), buf.size());
  error_ = reinterpret_cast<const char*>(buf.data());
  decide(false);
}

// A match may start at `start` and continue in bytes not yet read: keep it and its lookbehind.
void BodyRegex::onPartial(std::size_t start) {
  if (max_offset_ && base_ + start > *max_offset_) return decide(false);
  const std::size_t lookbehind = context();
  const std::size_t from = start > lookbehind ? start - lookbehind : 0;
  if (window_.size() - from > kMaxWindow) {
    return keepTail(std::min(lookbehind, window_.size()));  // too long: abandoned
  }
  window_.erase(0, from);
  base_ += from;
  start_ = start - from;
}

// Nothing before the last `keep` bytes can start a match: keep only them, for lookbehinds.
void BodyRegex::keepTail(std::size_t keep) {
  const std::size_t drop = window_.size() - keep;
  window_.erase(0, drop);
  base_ += drop;
  start_ = keep;
  if (max_offset_ && base_ + start_ > *max_offset_) decide(false);
}

}  // namespace keel::check
